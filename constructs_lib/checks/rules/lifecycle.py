"""AgentCore-Lifecycle: session lifecycle settings within the limits of the runtime's compute type."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib._cdk.scope import catalog_for, region_of
from constructs_lib.checks._cfn import RUNTIME, concrete_number, is_intrinsic, properties, resource_type
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.planning.compute import ComputeKind, session_lifetime_quota

#: Granular findings of this rule.
IDLE_OUT_OF_RANGE = "IdleRuntimeSessionTimeout"
MAX_LIFETIME_OUT_OF_RANGE = "MaxLifetime"
IDLE_EXCEEDS_MAX_LIFETIME = "IdleExceedsMaxLifetime"


def lifecycle_within_limits(node: cdk.CfnResource) -> RuleResult:
    """Findings for ``LifecycleConfiguration`` values outside what AgentCore allows.

    - ``[IdleRuntimeSessionTimeout]`` / ``[MaxLifetime]``: below the lifecycle minimum, or above the longest
      session of the compute type: the asynchronous job duration on microVMs, the Instances session lifetime on a
      runtime with a ``CapacityProviderConfiguration`` (only the minimum when the edition predates Instances).
    - ``[IdleExceedsMaxLifetime]``: both are set and the idle timeout is longer than the lifetime.

    A runtime without lifecycle settings uses the service defaults and is compliant. The rule does not
    guess values it cannot see: when a setting (or the whole configuration, or whether the runtime uses
    Instances compute) is an unresolved intrinsic and the concrete values show no problem, the result is
    ``NOT_APPLICABLE``, not ``COMPLIANT``.
    """
    if resource_type(node) != RUNTIME:
        return NagRuleCompliance.NOT_APPLICABLE
    props = properties(node)
    lifecycle = props.get("LifecycleConfiguration")
    if lifecycle is None:
        return NagRuleCompliance.COMPLIANT
    if not isinstance(lifecycle, dict) or is_intrinsic(lifecycle):
        return NagRuleCompliance.NOT_APPLICABLE
    catalog, region = catalog_for(node), region_of(node)
    minimum = catalog.value(QuotaName.LIFECYCLE_TIMEOUT_MINIMUM, region)
    provider = props.get("CapacityProviderConfiguration")
    kind = ComputeKind.MICROVM if provider is None else ComputeKind.INSTANCES
    longest = session_lifetime_quota(catalog, kind, region)
    maximum = None if longest is None else longest.value
    raw = {key: lifecycle.get(key) for key in ("IdleRuntimeSessionTimeout", "MaxLifetime")}
    idle, max_lifetime = (concrete_number(value) for value in raw.values())
    unseen = is_intrinsic(provider) or any(
        value is not None and concrete_number(value) is None for value in raw.values()
    )
    findings: list[str] = []
    for finding, value in ((IDLE_OUT_OF_RANGE, idle), (MAX_LIFETIME_OUT_OF_RANGE, max_lifetime)):
        if value is not None and (value < minimum or (maximum is not None and value > maximum)):
            findings.append(finding)
    if idle is not None and max_lifetime is not None and idle > max_lifetime:
        findings.append(IDLE_EXCEEDS_MAX_LIFETIME)
    if findings:
        return findings
    return NagRuleCompliance.NOT_APPLICABLE if unseen else NagRuleCompliance.COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    minimum = catalog.resolve(QuotaName.LIFECYCLE_TIMEOUT_MINIMUM, region)
    maximum = catalog.resolve(QuotaName.ASYNCHRONOUS_JOB_DURATION, region)
    instances = session_lifetime_quota(catalog, ComputeKind.INSTANCES, region)
    on_instances = (
        f", and on Instances compute at most {instances.formatted()} (the {instances.describe()})" if instances else ""
    )
    return (
        f"IdleRuntimeSessionTimeout and MaxLifetime must be at least {minimum.formatted()} (the "
        f"{minimum.describe()}), on microVM compute at most {maximum.formatted()} (the {maximum.describe()})"
        f"{on_instances}; the CloudFormation schema allows the Instances maximum for every runtime. A session "
        "cannot idle longer than it lives, so the idle timeout must not exceed MaxLifetime. Choose values in "
        "range, or use Instances compute (a capacity provider) for longer sessions."
    )


RULE = RuleSpec(
    rule_id="Lifecycle",
    level=NagMessageLevel.ERROR,
    info="The AgentCore runtime lifecycle configuration is outside the limits of its compute type.",
    explanation=_explanation,
    check=lifecycle_within_limits,
    resource_types=frozenset({RUNTIME}),
)
