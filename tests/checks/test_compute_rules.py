"""The Instances-compute rules of AgentCoreChecks on raw L1 resources: compliant, non-compliant, not applicable."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_s3 as s3
from cdk_nag import NagRuleCompliance

from constructs_lib.checks.rules import (
    agents_within_session_quota,
    capacity_provider_instances,
    capacity_provider_volumes_encrypted,
    runtime_fits_capacity_provider,
)
from tests.checks._l1 import cfn_capacity_provider, cfn_runtime, new_stack, violations

COMPLIANT = NagRuleCompliance.COMPLIANT
NON_COMPLIANT = NagRuleCompliance.NON_COMPLIANT
NOT_APPLICABLE = NagRuleCompliance.NOT_APPLICABLE
CP = agentcore.CfnCapacityProvider


@pytest.fixture
def stack() -> cdk.Stack:
    """A fresh stack for raw L1 resources."""
    return new_stack()[1]


def _on(provider: agentcore.CfnCapacityProvider | str) -> agentcore.CfnRuntime.CapacityProviderConfigurationProperty:
    arn = provider if isinstance(provider, str) else provider.attr_arn
    return agentcore.CfnRuntime.CapacityProviderConfigurationProperty(capacity_provider_arn=arn)


def _lifetime(seconds: object) -> agentcore.CfnRuntime.LifecycleConfigurationProperty:
    return agentcore.CfnRuntime.LifecycleConfigurationProperty(max_lifetime=seconds)  # type: ignore[arg-type]


def _volume(encrypted: object) -> CP.VolumeConfigurationProperty:
    return CP.VolumeConfigurationProperty(ebs_configuration=CP.EbsVolumeConfigurationProperty(
        name="workspace", size_gib=10, encrypted=encrypted))  # type: ignore[arg-type]


# -- AgentCore-CapacityProvider ---------------------------------------------------------------------------


def test_capacity_provider_compliant(stack: cdk.Stack) -> None:
    assert capacity_provider_instances(cfn_capacity_provider(stack, instance_types=("g6.xlarge", "g5.2xlarge"))) \
        == COMPLIANT
    arm = cfn_capacity_provider(stack, "Arm", instance_types=("m7g.large",), operating_system="LINUX_ARM64")
    assert capacity_provider_instances(arm) == COMPLIANT
    # an instance type the table does not list is not judged
    assert capacity_provider_instances(cfn_capacity_provider(stack, "New", instance_types=("g7e.2xlarge",))) \
        == COMPLIANT


def test_capacity_provider_non_compliant_with_granular_findings(stack: cdk.Stack) -> None:
    # GIVEN an x86_64 provider listing a Graviton type and an unsupported GPU family, idling longer than it lives
    node = cfn_capacity_provider(
        stack, instance_types=("m7g.large", "p5.48xlarge"),
        lifecycle=CP.InstanceLifecycleConfigurationProperty(idle_instance_timeout=7200, max_lifetime=3600),
    )
    # THEN each problem is its own finding
    assert capacity_provider_instances(node) == ["Architecture", "AcceleratorFamily", "InstanceLifecycle"]


def test_capacity_provider_not_applicable(stack: cdk.Stack) -> None:
    assert capacity_provider_instances(s3.CfnBucket(stack, "Bucket")) == NOT_APPLICABLE
    # an operating system or a type list from a parameter cannot be judged at synth
    system = cdk.CfnParameter(stack, "System").value_as_string
    assert capacity_provider_instances(cfn_capacity_provider(stack, "Os", operating_system=system)) == NOT_APPLICABLE
    types = cdk.CfnParameter(stack, "Types", type="List<String>").value_as_list
    assert capacity_provider_instances(cfn_capacity_provider(stack, "Listed", instance_types=types)) == NOT_APPLICABLE


# -- AgentCore-CapacityProviderEncryption ---------------------------------------------------------------------


def test_capacity_provider_encryption_compliant(stack: cdk.Stack) -> None:
    node = cfn_capacity_provider(stack, volumes=[_volume(True)])
    assert capacity_provider_volumes_encrypted(node) == COMPLIANT


def test_capacity_provider_encryption_non_compliant(stack: cdk.Stack) -> None:
    # GIVEN no root volume configuration (the account default decides) and a volume without the flag
    node = cfn_capacity_provider(stack, root_encrypted=None, volumes=[_volume(True), _volume(None)])
    assert capacity_provider_volumes_encrypted(node) == ["RootVolume", "Volumes"]
    explicit = cfn_capacity_provider(stack, "Off", root_encrypted=False)
    assert capacity_provider_volumes_encrypted(explicit) == ["RootVolume"]


def test_capacity_provider_encryption_not_applicable(stack: cdk.Stack) -> None:
    assert capacity_provider_volumes_encrypted(cfn_runtime(stack)) == NOT_APPLICABLE
    flag = cdk.CfnParameter(stack, "Encrypt", type="String").value_as_string
    node = cfn_capacity_provider(stack, root_encrypted=cdk.Token.as_any(flag))
    assert capacity_provider_volumes_encrypted(node) == NOT_APPLICABLE


# -- AgentCore-RuntimeCompute ---------------------------------------------------------------------------------


def test_runtime_compute_compliant(stack: cdk.Stack) -> None:
    provider = cfn_capacity_provider(
        stack, lifecycle=CP.InstanceLifecycleConfigurationProperty(max_lifetime=3 * 86400))
    assert runtime_fits_capacity_provider(cfn_runtime(stack, capacity_provider_configuration=_on(provider),
                                                      lifecycle_configuration=_lifetime(2 * 86400))) == COMPLIANT
    # both unset: 8 h sessions on 8 h instances
    plain = cfn_capacity_provider(stack, "Plain")
    assert runtime_fits_capacity_provider(cfn_runtime(stack, "OnPlain", capacity_provider_configuration=_on(plain))) \
        == COMPLIANT


def test_runtime_compute_non_compliant(stack: cdk.Stack) -> None:
    # GIVEN the developer guide's trap: a provider whose instances live 1 h, a runtime with the 8 h default,
    # and a network configuration besides the capacity provider
    provider = cfn_capacity_provider(stack, lifecycle=CP.InstanceLifecycleConfigurationProperty(max_lifetime=3600))
    node = cfn_runtime(
        stack, capacity_provider_configuration=_on(provider),
        network_configuration=agentcore.CfnRuntime.NetworkConfigurationProperty(network_mode="PUBLIC"),
    )
    assert runtime_fits_capacity_provider(node) == ["NetworkConfiguration", "InstanceMaxLifetime"]


def test_runtime_compute_not_applicable(stack: cdk.Stack) -> None:
    # microVM runtimes, and a provider outside the stack (only its network can be checked)
    assert runtime_fits_capacity_provider(cfn_runtime(stack)) == NOT_APPLICABLE
    arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:capacity-provider/gpu-abcdefghij"
    assert runtime_fits_capacity_provider(cfn_runtime(stack, "Elsewhere", capacity_provider_configuration=_on(arn))) \
        == NOT_APPLICABLE
    provider = cfn_capacity_provider(stack)
    lifetime = cdk.CfnParameter(stack, "Lifetime", type="Number").value_as_number
    node = cfn_runtime(stack, "Token", capacity_provider_configuration=_on(provider),
                       lifecycle_configuration=_lifetime(lifetime))
    assert runtime_fits_capacity_provider(node) == NOT_APPLICABLE


# -- AgentCore-AgentsPerCapacityProvider ----------------------------------------------------------------------


def test_agents_per_provider_compliant(stack: cdk.Stack) -> None:
    provider = cfn_capacity_provider(stack)
    for i in range(20):
        cfn_runtime(stack, f"R{i}", name=f"agent_{i}", capacity_provider_configuration=_on(provider))
    assert agents_within_session_quota(provider) == COMPLIANT


def test_agents_per_provider_non_compliant(stack: cdk.Stack) -> None:
    provider = cfn_capacity_provider(stack)
    for i in range(21):
        cfn_runtime(stack, f"R{i}", name=f"agent_{i}", capacity_provider_configuration=_on(provider))
    assert agents_within_session_quota(provider) == NON_COMPLIANT


def test_agents_per_provider_not_applicable(stack: cdk.Stack) -> None:
    assert agents_within_session_quota(cfn_runtime(stack)) == NOT_APPLICABLE
    _, old = new_stack({"agentcore:quotaEdition": "2026-03"})
    assert agents_within_session_quota(cfn_capacity_provider(old)) == NOT_APPLICABLE


# -- the pack on an app ---------------------------------------------------------------------------------------


def test_the_pack_reports_the_compute_rules_on_raw_l1() -> None:
    app, stack = new_stack()
    provider = cfn_capacity_provider(stack, instance_types=("m7g.large",), root_encrypted=None,
                                     lifecycle=CP.InstanceLifecycleConfigurationProperty(max_lifetime=3600))
    cfn_runtime(stack, capacity_provider_configuration=_on(provider))
    found = violations(app)
    assert found["AgentCore-CapacityProvider[Architecture]"] == ["L1Stack/Provider"]
    assert found["AgentCore-CapacityProviderEncryption[RootVolume]"] == ["L1Stack/Provider"]
    assert found["AgentCore-RuntimeCompute[InstanceMaxLifetime]"] == ["L1Stack/Runtime"]
