"""Grants of the serving constructs: who receives them, and where their acknowledgments go."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_lib.agent.agent import AgentCoreAgent


def principal_of(grantee: iam.IGrantable | AgentCoreAgent) -> iam.IGrantable:
    """The IAM grantable behind ``grantee``: an :class:`AgentCoreAgent` grants through its runtime's role."""
    if isinstance(grantee, AgentCoreAgent):
        return grantee.runtime
    return grantee


def acknowledgment_target(grantee: Any) -> Construct | None:
    """The construct a cdk-nag acknowledgment of a grant to ``grantee`` belongs on (its role, or itself)."""
    for candidate in (getattr(grantee, "role", None), grantee, getattr(grantee, "grant_principal", None)):
        if isinstance(candidate, Construct):
            return candidate
    return None


__all__ = ["acknowledgment_target", "principal_of"]
