"""AgentCore-CapacityProvider: a capacity provider's instance types fit its operating system and AgentCore."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import (
    CAPACITY_PROVIDER,
    capacity_provider_ec2,
    concrete_number,
    concrete_str,
    resource_type,
)
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.limits.instance_types import AGENTCORE_ACCELERATOR_FAMILIES
from constructs_lib.planning.compute import OPERATING_SYSTEMS, resolve_architecture

#: Granular findings of this rule.
ARCHITECTURE = "Architecture"
ACCELERATOR_FAMILY = "AcceleratorFamily"
INSTANCE_LIFECYCLE = "InstanceLifecycle"

_FINDING_OF_CODE = {"InstanceArchitectureMismatch": ARCHITECTURE, "AcceleratorFamilyNotSupported": ACCELERATOR_FAMILY}
_ARCHITECTURE_OF_OS = {os: architecture for architecture, os in OPERATING_SYSTEMS.items()}


def capacity_provider_instances(node: cdk.CfnResource) -> RuleResult:
    """Findings for instance types AgentCore would refuse, and for an instance lifecycle that cannot hold.

    - ``[Architecture]``: an allowed instance type of another architecture than the ``OperatingSystem``;
    - ``[AcceleratorFamily]``: an accelerator type of a family AgentCore Instances does not accept;
    - ``[InstanceLifecycle]``: an ``IdleInstanceTimeout`` longer than the ``MaxLifetime``.

    Instance types the library's table does not list are not judged. Values that are intrinsics are not guessed:
    without a finding among the concrete values, the result is ``NOT_APPLICABLE``.
    """
    if resource_type(node) != CAPACITY_PROVIDER:
        return NagRuleCompliance.NOT_APPLICABLE
    ec2 = capacity_provider_ec2(node)
    launch = (ec2.get("LaunchTemplateSource") or {}).get("LaunchParameters")
    if not isinstance(launch, dict):
        return NagRuleCompliance.NOT_APPLICABLE
    listed = (launch.get("InstanceRequirements") or {}).get("AllowedInstanceTypes")
    types = listed if isinstance(listed, list) else []
    concrete_types = [t for t in types if concrete_str(t)]
    system = concrete_str(launch.get("OperatingSystem"))
    unseen = system is None or not isinstance(listed, list) or len(concrete_types) != len(types)
    findings: list[str] = []
    _, problems = resolve_architecture(concrete_types, _ARCHITECTURE_OF_OS.get(system or ""))
    for problem in problems:
        finding = _FINDING_OF_CODE[problem.code]
        if finding not in findings:
            findings.append(finding)
    lifecycle = ec2.get("LifecycleConfiguration")
    if isinstance(lifecycle, dict):
        idle, maximum = (concrete_number(lifecycle.get(k)) for k in ("IdleInstanceTimeout", "MaxLifetime"))
        if idle is not None and maximum is not None and idle > maximum:
            findings.append(INSTANCE_LIFECYCLE)
    if findings:
        return findings
    return NagRuleCompliance.NOT_APPLICABLE if unseen else NagRuleCompliance.COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    return (
        "A capacity provider launches one operating system (LINUX_X86_64 or LINUX_ARM64), so every allowed instance "
        "type must be of that architecture; AgentCore Instances accepts accelerator instance types only from the "
        f"families {', '.join(sorted(AGENTCORE_ACCELERATOR_FAMILIES))} and CreateCapacityProvider fails otherwise; "
        "an instance cannot idle longer than it lives. Choose instance types of one architecture and a supported "
        "GPU family, and an IdleInstanceTimeout no longer than MaxLifetime."
    )


RULE = RuleSpec(
    rule_id="CapacityProvider",
    level=NagMessageLevel.ERROR,
    info="The AgentCore capacity provider's instance types or instance lifecycle cannot work as configured.",
    explanation=_explanation,
    check=capacity_provider_instances,
    resource_types=frozenset({CAPACITY_PROVIDER}),
)
