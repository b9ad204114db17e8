"""AgentCore-RuntimeName: runtime names must match the anchored pattern the service enforces."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import RUNTIME, concrete_str, properties, resource_type
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.limits.service import NAME_MAX_LENGTH, NAME_PATTERN
from constructs_lib.limits.validation import name_problems


def runtime_name_anchored(node: cdk.CfnResource) -> RuleResult:
    """Non-compliant when ``AgentRuntimeName`` does not match the anchored name rule (``limits.service.NAME_PATTERN``).

    The CloudFormation schema carries the pattern without anchors, so ``my-agent`` passes cfn-lint and
    CDK's template validation and fails at deploy. A name that is an unresolved intrinsic is not
    applicable (it cannot be checked at synth).
    """
    if resource_type(node) != RUNTIME:
        return NagRuleCompliance.NOT_APPLICABLE
    return name_compliance(properties(node).get("AgentRuntimeName"), "AgentRuntimeName")


def name_compliance(raw: Any, param: str, *, reserved: str | None = None) -> NagRuleCompliance:
    """Compliance of a runtime or endpoint name as rendered: missing or invalid (or ``reserved``) is
    non-compliant, an unresolved intrinsic is not applicable."""
    if raw is None:
        return NagRuleCompliance.NON_COMPLIANT
    name = concrete_str(raw)
    if name is None:
        return NagRuleCompliance.NOT_APPLICABLE
    if name_problems(name, param) or name == reserved:
        return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    return (
        f"AgentCore accepts runtime names matching {NAME_PATTERN.pattern}: a letter, then letters, digits and "
        f"underscores, at most {NAME_MAX_LENGTH} characters, no hyphens. The CloudFormation schema states the "
        "pattern without anchors, so neither cfn-lint nor CDK template validation rejects 'my-agent'; the "
        "deployment fails instead. Rename the runtime (use underscores instead of hyphens)."
    )


RULE = RuleSpec(
    rule_id="RuntimeName",
    level=NagMessageLevel.ERROR,
    info=f"The AgentCore runtime name does not match the anchored pattern {NAME_PATTERN.pattern}.",
    explanation=_explanation,
    check=runtime_name_anchored,
    resource_types=frozenset({RUNTIME}),
)
