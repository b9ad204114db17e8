"""AgentCore-Env: runtime environment variables within the count, key and value-length limits."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib._cdk.scope import catalog_for, region_of
from constructs_lib.checks._cfn import RUNTIME, concrete_str, is_intrinsic, properties, resource_type
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.service import ENVIRONMENT_KEY_PATTERN

#: Granular findings of this rule.
COUNT = "Count"
KEY = "Key"
VALUE_LENGTH = "ValueLength"


def environment_within_limits(node: cdk.CfnResource) -> RuleResult:
    """Findings ``[Count]``, ``[Key]`` and ``[ValueLength]`` for ``EnvironmentVariables``.

    Values that are intrinsics cannot be measured: when one is present and nothing else is wrong, the
    result is ``NOT_APPLICABLE`` rather than a guessed ``COMPLIANT``. A map that is itself an intrinsic
    is not applicable.
    """
    if resource_type(node) != RUNTIME:
        return NagRuleCompliance.NOT_APPLICABLE
    variables = properties(node).get("EnvironmentVariables")
    if variables is None:
        return NagRuleCompliance.COMPLIANT
    if not isinstance(variables, dict) or is_intrinsic(variables):
        return NagRuleCompliance.NOT_APPLICABLE
    catalog, region = catalog_for(node), region_of(node)
    findings: list[str] = []
    if len(variables) > catalog.value(QuotaName.ENVIRONMENT_VARIABLES, region):
        findings.append(COUNT)
    if any(not ENVIRONMENT_KEY_PATTERN.match(key) for key in variables):
        findings.append(KEY)
    length = catalog.value(QuotaName.ENVIRONMENT_VARIABLE_VALUE_LENGTH, region)
    if any((text := concrete_str(value)) is not None and len(text) > length for value in variables.values()):
        findings.append(VALUE_LENGTH)
    if findings:
        return findings
    unseen = any(isinstance(value, dict) for value in variables.values())  # intrinsics
    return NagRuleCompliance.NOT_APPLICABLE if unseen else NagRuleCompliance.COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    count = catalog.resolve(QuotaName.ENVIRONMENT_VARIABLES, region)
    length = catalog.resolve(QuotaName.ENVIRONMENT_VARIABLE_VALUE_LENGTH, region)
    return (
        f"A runtime takes at most {count.formatted()} environment variables (the {count.describe()}), keys "
        f"matching {ENVIRONMENT_KEY_PATTERN.pattern}, and values of at most {length.formatted()} (the "
        f"{length.describe()}). Move configuration to SSM Parameter Store, S3 or one JSON variable."
    )


RULE = RuleSpec(
    rule_id="Env",
    level=NagMessageLevel.ERROR,
    info="The AgentCore runtime environment variables exceed the count, key or value-length limits.",
    explanation=_explanation,
    check=environment_within_limits,
    resource_types=frozenset({RUNTIME}),
)
