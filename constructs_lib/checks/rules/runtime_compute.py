"""AgentCore-RuntimeCompute: a runtime on Instances compute fits the capacity provider it names."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import (
    CAPACITY_PROVIDER,
    RUNTIME,
    capacity_provider_ec2,
    concrete_number,
    is_intrinsic,
    logical_id,
    properties,
    references,
    resource_type,
    stack_resources,
)
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import SERVICE_DEFAULTS, QuotaCatalog

#: Granular findings of this rule.
NETWORK_CONFIGURATION = "NetworkConfiguration"
INSTANCE_MAX_LIFETIME = "InstanceMaxLifetime"


def provider_of(node: cdk.CfnResource) -> cdk.CfnResource | None:
    """The capacity provider in the runtime's stack whose ARN its ``CapacityProviderArn`` refers to, if any."""
    arn = (properties(node).get("CapacityProviderConfiguration") or {}).get("CapacityProviderArn")
    return next(
        (p for p in stack_resources(node, CAPACITY_PROVIDER) if references(arn, logical_id(p))), None
    )


def runtime_fits_capacity_provider(node: cdk.CfnResource) -> RuleResult:
    """Findings for an Instances runtime that CreateAgentRuntime refuses.

    - ``[NetworkConfiguration]``: the runtime sets a ``NetworkConfiguration`` besides its capacity provider (an
      Instances runtime uses the provider's VPC; the service refuses both);
    - ``[InstanceMaxLifetime]``: the runtime's session ``MaxLifetime`` (the service default when unset) is longer
      than the instance ``MaxLifetime`` of its capacity provider in the same stack (the default when unset).

    microVM runtimes (no ``CapacityProviderConfiguration``) are not applicable. A capacity provider in another stack
    or given as a literal ARN is not seen, and intrinsic lifetimes are not guessed.
    """
    if resource_type(node) != RUNTIME:
        return NagRuleCompliance.NOT_APPLICABLE
    props = properties(node)
    if props.get("CapacityProviderConfiguration") is None:
        return NagRuleCompliance.NOT_APPLICABLE
    findings: list[str] = []
    if props.get("NetworkConfiguration") is not None:
        findings.append(NETWORK_CONFIGURATION)
    provider = provider_of(node)
    unseen = provider is None
    if provider is not None:
        session = _lifetime(props.get("LifecycleConfiguration"), SERVICE_DEFAULTS.max_lifetime_seconds)
        instance = _lifetime(capacity_provider_ec2(provider).get("LifecycleConfiguration"),
                             SERVICE_DEFAULTS.instance_max_lifetime_seconds)
        unseen = session is None or instance is None
        if session is not None and instance is not None and session > instance:
            findings.append(INSTANCE_MAX_LIFETIME)
    if findings:
        return findings
    return NagRuleCompliance.NOT_APPLICABLE if unseen else NagRuleCompliance.COMPLIANT


def _lifetime(lifecycle: object, default: float) -> float | None:
    """``MaxLifetime`` of a lifecycle configuration, ``default`` when unset, ``None`` when an intrinsic."""
    if lifecycle is None:
        return default
    if not isinstance(lifecycle, dict) or is_intrinsic(lifecycle):
        return None
    value = lifecycle.get("MaxLifetime")
    return default if value is None else concrete_number(value)


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    return (
        "A runtime on Instances compute inherits its networking from its capacity provider's VpcConfiguration, so "
        "CreateAgentRuntime fails when it also sets NetworkConfiguration: remove it. Its sessions run on the "
        "provider's instances, so the runtime's LifecycleConfiguration.MaxLifetime (8 hours when unset) must not "
        "exceed the provider's Ec2Configuration.LifecycleConfiguration.MaxLifetime (8 hours when unset): lower the "
        "runtime's, or raise the provider's (a new capacity provider, since its compute configuration cannot change)."
    )


RULE = RuleSpec(
    rule_id="RuntimeCompute",
    level=NagMessageLevel.ERROR,
    info="The AgentCore runtime on Instances compute conflicts with its capacity provider.",
    explanation=_explanation,
    check=runtime_fits_capacity_provider,
    resource_types=frozenset({RUNTIME}),
)
