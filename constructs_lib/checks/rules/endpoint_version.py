"""AgentCore-EndpointVersion: a named endpoint left on the runtime's first version."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import RUNTIME_ENDPOINT, properties, resource_type
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.quotas import QuotaCatalog

#: The version a runtime's first deployment creates.
FIRST_VERSION = "1"


def endpoint_follows_deployments(node: cdk.CfnResource) -> RuleResult:
    """Non-compliant when a ``RuntimeEndpoint`` has no ``AgentRuntimeVersion`` or the literal ``"1"``.

    Such an endpoint is stranded on the first version: every later update creates a new version that it
    never serves. Compliant when the version follows the runtime (``GetAtt AgentRuntimeVersion``) or is
    pinned to another version deliberately.
    """
    if resource_type(node) != RUNTIME_ENDPOINT:
        return NagRuleCompliance.NOT_APPLICABLE
    version = properties(node).get("AgentRuntimeVersion")
    if version is None or str(version) == FIRST_VERSION:
        return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    return (
        "Every update of a runtime creates a new immutable version, and only DEFAULT follows the latest. A "
        "named endpoint without AgentRuntimeVersion, or with the literal '1' (the default of a standalone "
        "aws-cdk-lib RuntimeEndpoint), keeps serving the first container after every deployment. Set "
        "AgentRuntimeVersion to the runtime's GetAtt AgentRuntimeVersion (AgentCoreAgent.add_endpoint and "
        "Runtime.add_endpoint do), or acknowledge this finding where the pin is deliberate."
    )


RULE = RuleSpec(
    rule_id="EndpointVersion",
    level=NagMessageLevel.WARN,
    info="The AgentCore runtime endpoint is pinned to the runtime's first version and never serves updates.",
    explanation=_explanation,
    check=endpoint_follows_deployments,
    resource_types=frozenset({RUNTIME_ENDPOINT}),
)
