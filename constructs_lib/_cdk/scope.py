"""What a construct learns from where it sits: the quota catalog and the region of its stack."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from constructs_lib.limits.catalog import QuotaCatalog


def catalog_for(scope: Construct) -> QuotaCatalog:
    """The quota catalog configured for ``scope`` by the CDK context keys ``agentcore:quotaEdition``
    and ``agentcore:quotaOverrides`` (a stack or app may set them; the nearest wins)."""
    return QuotaCatalog.from_context(scope.node.try_get_context)


def region_of(scope: Construct) -> str | None:
    """The concrete region of ``scope``'s stack, or ``None`` for an environment-agnostic stack."""
    region = cdk.Stack.of(scope).region
    return None if cdk.Token.is_unresolved(region) else region


def account_of(scope: Construct) -> str | None:
    """The concrete account of ``scope``'s stack, or ``None`` for an environment-agnostic stack."""
    account = cdk.Stack.of(scope).account
    return None if cdk.Token.is_unresolved(account) else account
