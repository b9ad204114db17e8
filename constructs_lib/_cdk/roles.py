"""Roles an AWS service assumes on behalf of one resource of this stack's account (the confused-deputy conditions)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct


def service_role(
    scope: Construct,
    construct_id: str,
    *,
    service: str,
    source_arn: str,
    description: str,
    max_session_duration: cdk.Duration | None = None,
) -> iam.Role:
    """A role ``service`` may assume only for ``source_arn`` (``aws:SourceArn``) in this account.

    Args:
        scope: the parent construct.
        construct_id: the role's construct id.
        service: the service principal (``states.amazonaws.com``).
        source_arn: the one resource the service acts for: an exact ARN, or one with IAM's single-character wildcard
            ``?`` where the service assigns part of it; never ``*``.
        description: the role's description.
        max_session_duration: how long one assumption may last. Default: IAM's.
    """
    if "*" in source_arn:
        raise ValueError(f"a service role trusts one resource, not a pattern with '*': {source_arn}")
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal(
            service,
            conditions={
                "StringEquals": {"aws:SourceAccount": cdk.Stack.of(scope).account},
                "ArnLike": {"aws:SourceArn": source_arn},
            },
        ),
        description=description,
        max_session_duration=max_session_duration,
    )


__all__ = ["service_role"]
