"""Grants of the serving constructs: where their cdk-nag acknowledgments go."""

from __future__ import annotations

from typing import Any

from constructs import Construct


def acknowledgment_target(grantee: Any) -> Construct | None:
    """The construct a cdk-nag acknowledgment of a grant to ``grantee`` belongs on (its role, or itself)."""
    for candidate in (getattr(grantee, "role", None), grantee, getattr(grantee, "grant_principal", None)):
        if isinstance(candidate, Construct):
            return candidate
    return None


__all__ = ["acknowledgment_target"]
