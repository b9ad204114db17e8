"""AgentCore-CapacityProviderEncryption: a capacity provider's root and persistent volumes are encrypted."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import CAPACITY_PROVIDER, capacity_provider_ec2, is_intrinsic, resource_type
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog

#: Granular findings of this rule.
ROOT_VOLUME = "RootVolume"
VOLUMES = "Volumes"


def capacity_provider_volumes_encrypted(node: cdk.CfnResource) -> RuleResult:
    """Findings for volumes that are not explicitly encrypted.

    - ``[RootVolume]``: no ``RootVolume``, or its ``Encrypted`` is not ``true``;
    - ``[Volumes]``: a persistent volume whose ``EbsConfiguration.Encrypted`` is not ``true``.

    An unset flag is a finding: the developer guide says unset volumes follow the account's EBS
    encryption-by-default setting, while the CloudFormation schema says persistent volumes default to encrypted;
    an explicit ``true`` holds either way. An intrinsic flag is not guessed (``NOT_APPLICABLE`` without findings).
    """
    if resource_type(node) != CAPACITY_PROVIDER:
        return NagRuleCompliance.NOT_APPLICABLE
    ec2 = capacity_provider_ec2(node)
    if not ec2:
        return NagRuleCompliance.NOT_APPLICABLE
    flags = {ROOT_VOLUME: [(ec2.get("RootVolume") or {}).get("Encrypted")]}
    volumes = ec2.get("Volumes")
    if is_intrinsic(volumes):
        flags[VOLUMES] = [volumes]
    elif isinstance(volumes, list):
        flags[VOLUMES] = [((v or {}).get("EbsConfiguration") or {}).get("Encrypted") for v in volumes]
    findings = [name for name, values in flags.items() if any(v is not True and not is_intrinsic(v) for v in values)]
    if findings:
        return findings
    unseen = any(is_intrinsic(v) for values in flags.values() for v in values)
    return NagRuleCompliance.NOT_APPLICABLE if unseen else NagRuleCompliance.COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    return (
        "Sessions on Instances compute keep their data on the capacity provider's EBS volumes: the root volume "
        "while the instance runs, persistent volumes until the session is deleted. Set Encrypted: true on the "
        "RootVolume and on every volume's EbsConfiguration (with KmsKeyId for a customer managed key); without it, "
        "encryption depends on the account's EBS default. The encryption of a capacity provider cannot be changed "
        "after creation: create a new capacity provider and move the runtimes to it."
    )


RULE = RuleSpec(
    rule_id="CapacityProviderEncryption",
    level=NagMessageLevel.WARN,
    info="The AgentCore capacity provider has volumes that are not explicitly encrypted.",
    explanation=_explanation,
    check=capacity_provider_volumes_encrypted,
    resource_types=frozenset({CAPACITY_PROVIDER}),
)
