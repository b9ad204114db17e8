"""AgentCore-AgentsPerCapacityProvider: no more runtimes on a capacity provider than one session can hold."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib._cdk.scope import catalog_for
from constructs_lib.checks._cfn import CAPACITY_PROVIDER, RUNTIME, referring, resource_type
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName


def runtimes_on(node: cdk.CfnResource) -> list[cdk.CfnResource]:
    """The runtimes in the capacity provider's stack whose ``CapacityProviderArn`` refers to it."""
    return referring(
        node, RUNTIME, lambda props: (props.get("CapacityProviderConfiguration") or {}).get("CapacityProviderArn")
    )


def agents_within_session_quota(node: cdk.CfnResource) -> RuleResult:
    """Non-compliant when more runtimes in the stack use a capacity provider than one of its sessions holds.

    Runtimes invoked with the same session id share one instance; beyond the quota
    ``agents_per_capacity_provider_session`` some of them cannot join. Runtimes in other stacks are not counted.
    """
    if resource_type(node) != CAPACITY_PROVIDER:
        return NagRuleCompliance.NOT_APPLICABLE
    catalog = catalog_for(node)
    if not catalog.has(QuotaName.AGENTS_PER_CAPACITY_PROVIDER_SESSION):
        return NagRuleCompliance.NOT_APPLICABLE
    quota = catalog.value(QuotaName.AGENTS_PER_CAPACITY_PROVIDER_SESSION)
    return NagRuleCompliance.NON_COMPLIANT if len(runtimes_on(node)) > quota else NagRuleCompliance.COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    if not catalog.has(QuotaName.AGENTS_PER_CAPACITY_PROVIDER_SESSION):
        return "Quota edition without Instances compute: nothing to check."
    quota = catalog.resolve(QuotaName.AGENTS_PER_CAPACITY_PROVIDER_SESSION)
    return (
        f"At most {quota.formatted()} agents run on one capacity provider session (the {quota.describe()}). Agents "
        "invoked with the same session id share one instance, so a capacity provider used by more runtimes cannot "
        "hold all of them in one session: co-locate at most that many per session id, or split the runtimes "
        "across capacity providers."
    )


RULE = RuleSpec(
    rule_id="AgentsPerCapacityProvider",
    level=NagMessageLevel.WARN,
    info="More AgentCore runtimes use the capacity provider than one of its sessions can hold.",
    explanation=_explanation,
    check=agents_within_session_quota,
    resource_types=frozenset({CAPACITY_PROVIDER}),
)
