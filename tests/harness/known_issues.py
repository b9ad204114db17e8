"""Marks for tests of the correct behaviour that today's handlers get wrong, each a finding of an issue.

A marked test runs and must fail with an ``AssertionError`` (strict: an unexpected pass fails the suite, so the
mark is removed in the change that fixes the finding; any other exception is a real failure).
"""

from __future__ import annotations

import pytest


def issue_10(finding: str) -> pytest.MarkDecorator:
    """``xfail(strict=True, raises=AssertionError)`` for a finding of issue 10 (tenant-safe, stream-true data path)."""
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"issue 10: {finding}")
