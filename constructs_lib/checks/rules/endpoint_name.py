"""AgentCore-EndpointName: endpoint names must match the anchored pattern and not be DEFAULT."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import RUNTIME_ENDPOINT, properties, resource_type
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.checks.rules.runtime_name import name_compliance
from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.limits.service import DEFAULT_ENDPOINT, NAME_MAX_LENGTH, NAME_PATTERN


def endpoint_name_anchored(node: cdk.CfnResource) -> RuleResult:
    """Non-compliant when a runtime endpoint's ``Name`` does not match the anchored pattern or is ``DEFAULT``.

    Unresolved intrinsic names are not applicable.
    """
    if resource_type(node) != RUNTIME_ENDPOINT:
        return NagRuleCompliance.NOT_APPLICABLE
    return name_compliance(properties(node).get("Name"), "Name", reserved=DEFAULT_ENDPOINT)


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    return (
        f"AgentCore accepts endpoint names matching {NAME_PATTERN.pattern} (no hyphens, at most "
        f"{NAME_MAX_LENGTH} characters), but the CloudFormation schema does not anchor the pattern, so "
        f"templates with invalid names synthesize and fail at deploy. '{DEFAULT_ENDPOINT}' is reserved: every "
        "runtime already has it. Rename the endpoint."
    )


RULE = RuleSpec(
    rule_id="EndpointName",
    level=NagMessageLevel.ERROR,
    info=f"The AgentCore runtime endpoint name does not match {NAME_PATTERN.pattern} or is the reserved "
    f"name {DEFAULT_ENDPOINT}.",
    explanation=_explanation,
    check=endpoint_name_anchored,
    resource_types=frozenset({RUNTIME_ENDPOINT}),
)
