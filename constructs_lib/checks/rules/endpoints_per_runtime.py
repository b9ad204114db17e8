"""AgentCore-EndpointsPerRuntime: a runtime's endpoints, DEFAULT included, within the quota."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib._cdk.scope import catalog_for, region_of
from constructs_lib.checks._cfn import RUNTIME, RUNTIME_ENDPOINT, concrete_str, properties, referring, resource_type
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.service import DEFAULT_ENDPOINT


def endpoints_of(node: cdk.CfnResource) -> list[cdk.CfnResource]:
    """The ``RuntimeEndpoint`` resources in the runtime's stack whose ``AgentRuntimeId`` refers to it."""
    return referring(node, RUNTIME_ENDPOINT, lambda props: props.get("AgentRuntimeId"))


def endpoints_within_quota(node: cdk.CfnResource) -> RuleResult:
    """Non-compliant when a runtime has more endpoints than the endpoints-per-agent quota allows.

    Counts like the capacity planner: ``DEFAULT``, which every runtime has and which counts against the
    quota, plus the named endpoints in the same stack that reference the runtime. An endpoint resource
    named ``DEFAULT`` (which AgentCore-EndpointName reports) is not counted twice. Endpoints in other
    stacks are not seen.
    """
    if resource_type(node) != RUNTIME:
        return NagRuleCompliance.NOT_APPLICABLE
    quota = catalog_for(node).value(QuotaName.ENDPOINTS_PER_AGENT, region_of(node))
    named = [e for e in endpoints_of(node) if concrete_str(properties(e).get("Name")) != DEFAULT_ENDPOINT]
    count = 1 + len(named)
    return NagRuleCompliance.NON_COMPLIANT if count > quota else NagRuleCompliance.COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    quota = catalog.resolve(QuotaName.ENDPOINTS_PER_AGENT, region)
    return (
        f"A runtime may have {quota.formatted()} endpoints including DEFAULT (the {quota.describe()}); the "
        f"deployment of further endpoints fails. Remove endpoints you no longer route traffic to, or "
        f"{quota.increase_advice()}."
    )


RULE = RuleSpec(
    rule_id="EndpointsPerRuntime",
    level=NagMessageLevel.WARN,
    info="The AgentCore runtime has more endpoints (DEFAULT included) than the endpoints-per-agent quota.",
    explanation=_explanation,
    check=endpoints_within_quota,
    resource_types=frozenset({RUNTIME}),
)
