"""AgentCore-EndpointVersion: a named endpoint left on the runtime's first version."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import RUNTIME, RUNTIME_ENDPOINT, logical_id, properties, resource_type, stack_resources
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog

#: The version a runtime's first deployment creates.
FIRST_VERSION = "1"
#: The runtime attribute a following endpoint reads.
_VERSION_ATTRIBUTE = "AgentRuntimeVersion"


def endpoint_follows_deployments(node: cdk.CfnResource) -> RuleResult:
    """Non-compliant when a ``RuntimeEndpoint`` has no ``AgentRuntimeVersion`` or the literal ``"1"``.

    Such an endpoint is stranded on the first version: every later update creates a new version that it
    never serves. Compliant when the version follows a runtime (``GetAtt <runtime>.AgentRuntimeVersion``)
    or is pinned to another literal version deliberately. Any other intrinsic (a parameter, an import, a
    condition) may well resolve to ``"1"`` at deploy time: the rule cannot see it and answers
    ``NOT_APPLICABLE`` instead of guessing.
    """
    if resource_type(node) != RUNTIME_ENDPOINT:
        return NagRuleCompliance.NOT_APPLICABLE
    version = properties(node).get("AgentRuntimeVersion")
    if version is None:
        return NagRuleCompliance.NON_COMPLIANT
    if isinstance(version, dict):
        return NagRuleCompliance.COMPLIANT if _follows_a_runtime(node, version) else NagRuleCompliance.NOT_APPLICABLE
    return NagRuleCompliance.NON_COMPLIANT if str(version) == FIRST_VERSION else NagRuleCompliance.COMPLIANT


def _follows_a_runtime(node: cdk.CfnResource, version: dict[str, Any]) -> bool:
    """Whether ``version`` is ``GetAtt <runtime in the stack>.AgentRuntimeVersion``."""
    get_att = version.get("Fn::GetAtt")
    if isinstance(get_att, str):
        get_att = get_att.split(".", 1)
    if not (isinstance(get_att, list) and len(get_att) == 2 and get_att[1] == _VERSION_ATTRIBUTE):
        return False
    return any(logical_id(runtime) == get_att[0] for runtime in stack_resources(node, RUNTIME))


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
