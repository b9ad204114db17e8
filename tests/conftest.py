"""Shared fixtures: one fixed environment, CDK template validation off for unit synths.

CDK's CloudFormation template validation is most of synth time; unit tests turn it off here (before the
jsii kernel starts) and the integration tests run the reference app in a subprocess with it on, strict.
"""

from __future__ import annotations

import os

os.environ.setdefault("CDK_VALIDATION", "false")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from collections.abc import Callable, Mapping  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
REGION = "us-east-1"
ENV = cdk.Environment(account=ACCOUNT, region=REGION)
RESEARCH_CODE = ROOT / "stacks" / "agents" / "research"
SUPPORT_IMAGE = ROOT / "stacks" / "agents" / "support"


@pytest.fixture
def make_stack() -> Callable[..., cdk.Stack]:
    """A factory for a fresh app and stack: ``make_stack(context={...}, env=None | ENV)``."""

    def factory(context: Mapping[str, Any] | None = None, env: cdk.Environment | None = ENV) -> cdk.Stack:
        app = cdk.App(context=dict(context or {}))
        return cdk.Stack(app, "TestStack", env=env)

    return factory


@pytest.fixture
def stack(make_stack: Callable[..., cdk.Stack]) -> cdk.Stack:
    """A stack in us-east-1 with the default quota edition."""
    return make_stack()
