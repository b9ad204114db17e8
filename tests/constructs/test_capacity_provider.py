"""AgentCapacityProvider and AgentCompute.instances: the capacity provider, its roles and the runtimes on it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Capture, Match, Template

from constructs_lib import (
    AgentApiFacade,
    AgentArtifact,
    AgentCapacityProvider,
    AgentCompute,
    AgentCoreAgent,
    AgentPlatform,
    AgentSpec,
    ConstructsLibValidationError,
    InstanceArchitecture,
    InstanceLifecycle,
    InstanceVolume,
    InvocationMode,
    QuotaCatalog,
    QuotaName,
    WorkloadProfile,
)
from constructs_lib.limits import catalog as catalog_module
from tests.conftest import RESEARCH_CODE, SUPPORT_IMAGE

PROVIDER = "AWS::BedrockAgentCore::CapacityProvider"
RUNTIME = "AWS::BedrockAgentCore::Runtime"
ROLE = "AWS::IAM::Role"
ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:capacity-provider/shared_gpu-a1b2c3d4e5"
INSTANCES_LIFETIME = int(QuotaCatalog().value(QuotaName.INSTANCES_SESSION_LIFETIME))


def vpc_of(stack: cdk.Stack) -> ec2.Vpc:
    return ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)


def provider(stack: cdk.Stack, construct_id: str = "Gpu", **kwargs: Any) -> AgentCapacityProvider:
    kwargs.setdefault("instance_types", ["g6.xlarge"])
    existing = stack.node.try_find_child("Vpc")
    kwargs.setdefault("vpc", vpc_of(stack) if existing is None else existing)
    return AgentCapacityProvider(stack, construct_id, **kwargs)


def provider_arn(stack: cdk.Stack, name: str) -> Any:
    """A capacity provider ARN of this stack, as the template renders it."""
    return stack.resolve(stack.format_arn(
        service="bedrock-agentcore", resource=f"capacity-provider/{name}", arn_format=cdk.ArnFormat.NO_RESOURCE_NAME))


def gpu_agent(stack: cdk.Stack, construct_id: str = "Agent", **kwargs: Any) -> AgentCoreAgent:
    kwargs.setdefault("artifact", AgentArtifact.from_managed_repository("v1"))
    return AgentCoreAgent(stack, construct_id, **kwargs)


def errors_of(stack: cdk.Stack) -> str:
    with pytest.raises(Exception) as exc:
        stack.node.root.synth()  # type: ignore[attr-defined]
    return str(exc.value)


@pytest.fixture
def patch_quota(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[QuotaName, float], None]]:
    """Lower a 2026-09 quota for one test, so that a quota is crossed with a handful of constructs."""

    def patch(name: QuotaName, value: float) -> None:
        rows = tuple(dataclasses.replace(q, value=value) if q.name is name else q
                     for q in catalog_module._CHANGED_IN_2026_09)
        monkeypatch.setattr(catalog_module, "_CHANGED_IN_2026_09", rows)

    yield patch


# -- the capacity provider ----------------------------------------------------------------------------


def test_capacity_provider_runs_in_private_subnets_with_encrypted_volumes(stack: cdk.Stack) -> None:
    # GIVEN a GPU capacity provider with a workspace volume and tags
    provider(stack, instance_types=["g6.xlarge", "g6.2xlarge"], tags={"team": "render"},
             volumes=[InstanceVolume(name="workspace", size=cdk.Size.gibibytes(50))])
    template = Template.from_stack(stack)
    subnets = Capture()
    # THEN it launches x86_64 instances of the allowed types in the private subnets, everything encrypted
    template.has_resource_properties(PROVIDER, {
        "Name": Match.string_like_regexp(r"^[A-Za-z][A-Za-z0-9_]{0,47}$"),
        "ComputeConfiguration": {"Ec2Configuration": {
            "LaunchTemplateSource": {"LaunchParameters": {
                "OperatingSystem": "LINUX_X86_64",
                "InstanceRequirements": {"AllowedInstanceTypes": ["g6.xlarge", "g6.2xlarge"]},
                "InstanceProfileArn": {"Fn::GetAtt": [Match.string_like_regexp("GpuInstanceProfile"), "Arn"]},
                "PropagatedTags": {"team": "render"},
            }},
            "VpcConfiguration": {"Subnets": subnets, "SecurityGroups": [{"Fn::GetAtt": [
                Match.string_like_regexp("GpuSecurityGroup"), "GroupId"]}]},
            "LifecycleConfiguration": {"MaxLifetime": INSTANCES_LIFETIME},
            "RootVolume": {"Encrypted": True, "VolumeType": "gp3"},
            "Volumes": [{"EbsConfiguration": {"Name": "workspace", "SizeGiB": 50, "Encrypted": True,
                                              "VolumeType": "gp3"}}],
        }},
        "PermissionsConfiguration": {"CapacityProviderOperatorRoleArn": {"Fn::GetAtt": [
            Match.string_like_regexp("GpuOperatorRole"), "Arn"]}},
        "Tags": [{"Key": "team", "Value": "render"}],
    })
    assert all("PrivateSubnet" in s["Ref"] for s in subnets.as_array())
    # AND it is retained: deleting it deletes every session's volumes
    template.has_resource(PROVIDER, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_operator_role_is_least_privilege_on_named_resources(stack: cdk.Stack) -> None:
    cp = provider(stack, instance_types=["g6.xlarge", "g6.2xlarge"])
    template = Template.from_stack(stack)
    name = cp.capacity_provider_name
    # THEN only AgentCore, for this account and this provider, may assume it
    template.has_resource_properties(ROLE, {
        "AssumeRolePolicyDocument": {"Statement": [{
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": provider_arn(stack, f"{name}-*")},
            },
        }]},
    })
    role = next(r for r in template.find_resources(ROLE).values()
                if "bedrock-agentcore" in str(r["Properties"]["AssumeRolePolicyDocument"]))
    statements = {s["Sid"]: s for s in role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]}
    # AND it launches only into the provider's own subnets and security group
    network = statements["LaunchInProviderNetwork"]["Resource"]
    assert len(network) == 3 and all("subnet/" in str(r) or "security-group/" in str(r) for r in network)
    # AND only the allowed instance types, from Amazon's images, passing only its own instance role
    assert statements["LaunchAllowedInstanceTypes"]["Condition"]["StringEquals"] == {
        "ec2:InstanceType": ["g6.xlarge", "g6.2xlarge"]}
    assert statements["LaunchFromAmazonImages"]["Condition"] == {"StringEquals": {"ec2:Owner": "amazon"}}
    assert statements["PassInstanceRole"]["Resource"] == stack.resolve(cp.instance_role.role_arn)
    assert statements["PassInstanceRole"]["Condition"] == {"StringEquals": {
        "iam:PassedToService": stack.resolve(f"ec2.{stack.url_suffix}")}}
    # AND the one "*" is the Describe statement (no resource-level permissions exist for it)
    assert [sid for sid, s in statements.items() if s["Resource"] == "*"] == ["DescribeComputeResources"]
    assert "UseVolumeKey" not in statements


def test_instance_role_writes_only_this_providers_system_logs(stack: cdk.Stack) -> None:
    cp = provider(stack)
    Template.from_stack(stack).has_resource_properties(ROLE, {
        "AssumeRolePolicyDocument": {"Statement": [Match.object_like({"Principal": {"Service": "ec2.amazonaws.com"}})]},
        "Policies": [{"PolicyName": "SystemLogs", "PolicyDocument": {"Statement": [Match.object_like({
            "Action": "bedrock-agentcore:PutSystemLogEvents",
            "Resource": provider_arn(stack, f"{cp.capacity_provider_name}-*"),
        })]}}],
    })


def test_customer_managed_key_encrypts_every_volume_and_is_granted_through_ec2(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    provider(stack, encryption_key=key, volumes=[InstanceVolume(name="data", size=cdk.Size.gibibytes(10))])
    template = Template.from_stack(stack)
    key_arn = {"Fn::GetAtt": [Match.string_like_regexp("^Key"), "Arn"]}
    template.has_resource_properties(PROVIDER, {"ComputeConfiguration": {"Ec2Configuration": Match.object_like({
        "RootVolume": Match.object_like({"Encrypted": True, "KmsKeyId": key_arn}),
        "Volumes": [{"EbsConfiguration": Match.object_like({"Encrypted": True, "KmsKeyId": key_arn})}],
    })}})
    template.has_resource_properties(ROLE, {"Policies": [{"PolicyName": "Operator", "PolicyDocument": {
        "Statement": Match.array_with([Match.object_like({
            "Sid": "GrantVolumeKeyToEbs", "Action": "kms:CreateGrant", "Resource": key_arn,
            "Condition": Match.object_like({"Bool": {"kms:GrantIsForAWSResource": "true"}}),
        })]),
    }}]})


def test_generated_name_changes_with_the_compute_configuration(make_stack: Callable[..., cdk.Stack]) -> None:
    # GIVEN the same provider built twice, and once with another instance type
    names = [provider(make_stack()).capacity_provider_name for _ in range(2)]
    other = provider(make_stack(), instance_types=["g6.2xlarge"]).capacity_provider_name
    # THEN the name is stable for one configuration and new for another (a replacement never collides)
    assert names[0] == names[1] != other
    assert names[0].rsplit("_", 1)[0] == other.rsplit("_", 1)[0]


def test_grant_pass_allows_creating_runtimes_on_the_provider(stack: cdk.Stack) -> None:
    cp = provider(stack)
    deployer = iam.Role(stack, "Deployer", assumed_by=iam.AccountRootPrincipal())
    cp.grant_pass(deployer)
    Template.from_stack(stack).has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {"Statement": [{
        "Action": "bedrock-agentcore:PassCapacityProvider", "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [Match.string_like_regexp("^Gpu"), "Arn"]},
    }]}})


def test_warns_when_the_provider_is_not_retained(stack: cdk.Stack) -> None:
    provider(stack, removal_policy=cdk.RemovalPolicy.DESTROY)
    Annotations.from_stack(stack).has_warning("/TestStack/Gpu", Match.string_like_regexp("StatefulResourceNotRetained"))


def test_arm64_types_launch_linux_arm64(stack: cdk.Stack) -> None:
    cp = provider(stack, instance_types=["m7g.xlarge", "c7g.2xlarge"])
    assert cp.architecture is InstanceArchitecture.ARM64
    Template.from_stack(stack).has_resource_properties(PROVIDER, {"ComputeConfiguration": {"Ec2Configuration": {
        "LaunchTemplateSource": {"LaunchParameters": Match.object_like({"OperatingSystem": "LINUX_ARM64"})}}}})


# -- the capacity provider's validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code", "match"),
    [
        ({"instance_types": []}, "InvalidInstanceTypes", "at least one"),
        ({"instance_types": "g6.xlarge"}, "InvalidInstanceTypes", "list of instance type names"),
        ({"instance_types": ["g6.xlarge", "g6.xlarge"]}, "InvalidInstanceTypes", "more than once"),
        ({"instance_types": ["large"]}, "InvalidInstanceTypes", "concrete EC2 instance type"),
        ({"instance_types": [f"m7g.{i}xlarge" for i in range(31)]}, "InvalidInstanceTypes",
         "allowed instance types per capacity provider"),
        ({"instance_types": ["zz9.large"]}, "ArchitectureRequired", "architecture"),
        ({"architecture": "x86_64"}, "InvalidArchitecture", "InstanceArchitecture"),
        ({"volumes": [InstanceVolume(name=f"v{i}", size=cdk.Size.gibibytes(1)) for i in range(6)]}, "InvalidVolumes",
         "persistent volumes per capacity provider"),
        ({"volumes": [InstanceVolume(name="a", size=cdk.Size.gibibytes(1)),
                      InstanceVolume(name="a", size=cdk.Size.gibibytes(1), mount_path="/mnt/b")]},
         "InvalidVolumes", "volume names must be unique"),
        ({"volumes": [InstanceVolume(name="data", size=cdk.Size.gibibytes(1), mount_path="/data")]},
         "InvalidVolumes", "one directory under /mnt"),
        ({"volumes": [InstanceVolume(name="data", size=cdk.Size.mebibytes(1536))]}, "InvalidVolumes",
         "whole number of GiB"),
        ({"volumes": [InstanceVolume(name="data", size=cdk.Size.gibibytes(70000))]}, "InvalidVolumes",
         "persistent volume size maximum"),
        ({"volumes": ["data"]}, "InvalidVolumes", "InstanceVolume"),
        ({"root_volume_free_space": cdk.Size.gibibytes(1)}, "InvalidRootVolume", "root volume free space minimum"),
        ({"instance_lifecycle": InstanceLifecycle(max_lifetime=cdk.Duration.days(15))}, "InvalidInstanceLifecycle",
         "session lifetime on Instances compute"),
        ({"instance_lifecycle": InstanceLifecycle(idle_instance_timeout=cdk.Duration.seconds(30))},
         "InvalidInstanceLifecycle", "below"),
        ({"instance_lifecycle": InstanceLifecycle(idle_instance_timeout=cdk.Duration.hours(2),
                                                  max_lifetime=cdk.Duration.hours(1))},
         "InvalidInstanceLifecycle", "cannot idle longer"),
        ({"instance_lifecycle": InstanceLifecycle(max_lifetime=cdk.Duration.seconds(cdk.Token.as_number(
            cdk.Fn.ref("Lifetime"))))}, "InvalidInstanceLifecycle", "concrete duration"),
        ({"instance_lifecycle": {"max_lifetime": 3600}}, "InvalidInstanceLifecycle", "InstanceLifecycle"),
        ({"capacity_provider_name": "gpu-pool"}, "InvalidCapacityProviderName", "underscores"),
        ({"capacity_provider_name": cdk.Fn.ref("Name")}, "InvalidCapacityProviderName", "concrete string"),
        ({"security_groups": []}, "InvalidSecurityGroups", "at least one"),
    ],
)
def test_fails_when_capacity_provider_props_are_invalid(
    stack: cdk.Stack, kwargs: dict[str, Any], code: str, match: str
) -> None:
    with pytest.raises(ConstructsLibValidationError, match=match) as exc:
        provider(stack, **kwargs)
    assert exc.value.code == code
    assert exc.value.path == "TestStack/Gpu"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "9data", "size": cdk.Size.gibibytes(1)}, "name must be a letter, then letters, digits"),
        ({"name": "data", "size": 10}, "size must be an aws_cdk.Size"),
        ({"name": "data", "size": cdk.Size.gibibytes(1), "iops": 2.5}, "iops must be a whole number"),
    ],
)
def test_fails_when_a_volume_is_described_wrongly(kwargs: dict[str, Any], match: str) -> None:
    # The volume's own props are checked when it is described, before any capacity provider takes it
    with pytest.raises(ConstructsLibValidationError, match=match) as exc:
        InstanceVolume(**kwargs)
    assert exc.value.code == "InvalidVolumes"


def test_fails_when_security_groups_exceed_the_quota(stack: cdk.Stack) -> None:
    vpc = vpc_of(stack)
    groups = [ec2.SecurityGroup(stack, f"G{i}", vpc=vpc) for i in range(17)]
    with pytest.raises(ConstructsLibValidationError, match="security groups per capacity provider") as exc:
        provider(stack, security_groups=groups)
    assert exc.value.code == "InvalidSecurityGroups"


def test_fails_when_public_subnets_are_selected(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="private subnets only") as exc:
        provider(stack, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC))
    assert exc.value.code == "PublicSubnetsNotAllowed"


def test_fails_when_the_vpc_has_no_private_subnet(stack: cdk.Stack) -> None:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, subnet_configuration=[
        ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)])
    with pytest.raises(ConstructsLibValidationError, match="no private subnets") as exc:
        provider(stack, vpc=vpc)
    assert exc.value.code == "NoPrivateSubnets"


def test_isolated_subnets_are_used_when_there_is_no_egress_subnet(stack: cdk.Stack) -> None:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, subnet_configuration=[
        ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    provider(stack, vpc=vpc)
    subnets = Capture()
    Template.from_stack(stack).has_resource_properties(PROVIDER, {"ComputeConfiguration": {"Ec2Configuration":
        Match.object_like({"VpcConfiguration": Match.object_like({"Subnets": subnets})})}})
    assert all("isolated" in s["Ref"] for s in subnets.as_array())


def test_fails_when_subnets_exceed_the_quota(stack: cdk.Stack) -> None:
    vpc = vpc_of(stack)
    subnets = [ec2.Subnet.from_subnet_attributes(stack, f"S{i}", subnet_id=f"subnet-{i:08d}", availability_zone="a")
               for i in range(17)]
    with pytest.raises(ConstructsLibValidationError, match="subnets per capacity provider") as exc:
        provider(stack, vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnets=subnets))
    assert exc.value.code == "InvalidSubnets"


@pytest.mark.parametrize(
    ("types", "code"),
    [(["m7g.large", "g6.xlarge"], "InstanceArchitectureMismatch"), (["p5.48xlarge"], "AcceleratorFamilyNotSupported")],
)
def test_fails_at_synth_on_instance_types_agentcore_refuses(stack: cdk.Stack, types: list[str], code: str) -> None:
    provider(stack, instance_types=types, architecture=InstanceArchitecture.X86_64)
    message = errors_of(stack)
    assert f"[TestStack/Gpu] [{code}]" in message


def test_fails_at_synth_when_the_edition_predates_instances(make_stack: Callable[..., cdk.Stack]) -> None:
    stack = make_stack(context={"agentcore:quotaEdition": "2026-03"})
    provider(stack)
    assert "[InstancesNotInEdition]" in errors_of(stack)


def test_fails_when_an_app_defines_more_providers_than_an_account_holds(
    make_stack: Callable[..., cdk.Stack], patch_quota: Callable[[QuotaName, float], None]
) -> None:
    # GIVEN an account quota of 1 capacity provider (patched) WHEN an app defines two THEN synthesis fails once
    patch_quota(QuotaName.CAPACITY_PROVIDERS_PER_ACCOUNT, 1)
    stack = make_stack()
    provider(stack, "One")
    provider(stack, "Two")
    message = errors_of(stack)
    assert message.count("[TooManyCapacityProviders]") == 1
    assert "2 capacity providers" in message and "hard limit" in message


# -- agents on Instances compute ------------------------------------------------------------------------


def test_instances_agent_runtime_uses_the_provider_and_the_l1_lifecycle(stack: cdk.Stack) -> None:
    # GIVEN a three-day GPU job WHEN the agent runs on Instances compute
    agent = gpu_agent(
        stack, workload=WorkloadProfile(longest_task=timedelta(days=3), gpus_per_session=1),
        compute=AgentCompute.instances(instance_types=["g6.xlarge"], vpc=vpc_of(stack),
                                       volumes=[InstanceVolume(name="workspace", size=cdk.Size.gibibytes(50))]),
    )
    assert agent.plan.mode is InvocationMode.ASYNCHRONOUS and not agent.plan.errors
    assert agent.capacity_provider is not None
    assert agent.capacity_provider.node.path == "TestStack/Agent/CapacityProvider"
    template = Template.from_stack(stack)
    template.resource_count_is(PROVIDER, 1)
    # THEN the runtime names the provider, mounts its volume, lives three days and more, and has no network of its own
    template.has_resource_properties(RUNTIME, {
        "AgentRuntimeName": Match.string_like_regexp("_instances$"),
        "CapacityProviderConfiguration": {"CapacityProviderArn": {"Fn::GetAtt": [
            Match.string_like_regexp("AgentCapacityProvider"), "Arn"]}},
        "FilesystemConfigurations": [{"CapacityProviderVolume": {"VolumeName": "workspace",
                                                                 "MountPath": "/mnt/workspace"}}],
        "LifecycleConfiguration": {"IdleRuntimeSessionTimeout": 900, "MaxLifetime": INSTANCES_LIFETIME},
        "NetworkConfiguration": Match.absent(),
    })
    Annotations.from_stack(stack).has_no_error("*", Match.any_value())
    assert agent.plan_record.compute == "instances"


def test_user_lifecycle_beyond_eight_hours_is_written_to_the_l1(stack: cdk.Stack) -> None:
    gpu_agent(stack, compute=AgentCompute.instances(instance_types=["g6.xlarge"], vpc=vpc_of(stack)),
              idle_runtime_session_timeout=cdk.Duration.hours(10), max_lifetime=cdk.Duration.days(2))
    Template.from_stack(stack).has_resource_properties(RUNTIME, {
        "LifecycleConfiguration": {"IdleRuntimeSessionTimeout": 36000, "MaxLifetime": 172800}})


def test_several_agents_share_one_provider_and_its_volumes(stack: cdk.Stack) -> None:
    shared = provider(stack, volumes=[InstanceVolume(name="workspace", size=cdk.Size.gibibytes(20),
                                                     mount_path="/mnt/shared")])
    for name in ("A", "B"):
        gpu_agent(stack, name, compute=AgentCompute.instances(capacity_provider=shared))
    template = Template.from_stack(stack)
    template.resource_count_is(PROVIDER, 1)
    runtimes = template.find_resources(RUNTIME, {"Properties": {
        "CapacityProviderConfiguration": {"CapacityProviderArn": {"Fn::GetAtt": [
            Match.string_like_regexp("^Gpu"), "Arn"]}},
        "FilesystemConfigurations": [{"CapacityProviderVolume": {"VolumeName": "workspace",
                                                                 "MountPath": "/mnt/shared"}}],
    }})
    assert len(runtimes) == 2
    assert [a.node.id for a in shared.agents] == ["A", "B"]


def test_an_existing_provider_by_arn(stack: cdk.Stack) -> None:
    agent = gpu_agent(stack, workload=WorkloadProfile(vcpus_per_session=8),
                      compute=AgentCompute.instances(capacity_provider=ARN, instance_types=["g6.2xlarge"]))
    template = Template.from_stack(stack)
    template.resource_count_is(PROVIDER, 0)
    template.has_resource_properties(RUNTIME, {"CapacityProviderConfiguration": {"CapacityProviderArn": ARN}})
    assert agent.capacity_provider is None and agent.compute_facts.architecture is InstanceArchitecture.X86_64
    assert not agent.plan.findings


def test_an_existing_provider_by_token_is_noted_not_checked(stack: cdk.Stack) -> None:
    arn = cdk.Fn.import_value("SharedCapacityProviderArn")
    gpu_agent(stack, compute=AgentCompute.instances(capacity_provider=arn))
    Annotations.from_stack(stack).has_info("/TestStack/Agent", Match.string_like_regexp("capacity_provider is an"))


def test_warns_when_more_agents_share_a_provider_than_a_session_holds(
    stack: cdk.Stack, patch_quota: Callable[[QuotaName, float], None]
) -> None:
    patch_quota(QuotaName.AGENTS_PER_CAPACITY_PROVIDER_SESSION, 1)
    shared = provider(stack)
    for name in ("A", "B"):
        gpu_agent(stack, name, compute=AgentCompute.instances(capacity_provider=shared))
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Gpu", Match.string_like_regexp(r"\[AgentsPerSessionExceeded\] 2 agents run on capacity provider"))


def test_no_agents_per_session_warning_within_the_quota(stack: cdk.Stack) -> None:
    shared = provider(stack)
    gpu_agent(stack, "A", compute=AgentCompute.instances(capacity_provider=shared))
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("AgentsPerSessionExceeded"))


def test_fails_at_synth_when_an_instance_type_is_too_small(stack: cdk.Stack) -> None:
    gpu_agent(stack, workload=WorkloadProfile(gpus_per_session=2),
              compute=AgentCompute.instances(instance_types=["g6.xlarge", "g6.12xlarge"], vpc=vpc_of(stack)))
    message = errors_of(stack)
    assert "[InstanceTypeTooSmall] gpus_per_session 2 exceeds the 1 of instance type g6.xlarge" in message
    assert "g6.12xlarge" not in message.split("[InstanceTypeTooSmall]", 1)[1].split("\n")[0]


def test_warns_about_an_unknown_instance_type(stack: cdk.Stack) -> None:
    gpu_agent(stack, workload=WorkloadProfile(vcpus_per_session=4),
              compute=AgentCompute.instances(instance_types=["g7e.2xlarge"], vpc=vpc_of(stack),
                                             architecture=InstanceArchitecture.X86_64))
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Agent", Match.string_like_regexp(r"\[InstanceTypeUnknown\] instance type g7e\.2xlarge is not"))


def test_microvm_agents_keep_their_name_and_l2_lifecycle(stack: cdk.Stack) -> None:
    agent = gpu_agent(stack, compute=AgentCompute.microvm())
    assert not agent.runtime_name.endswith("_instances") and agent.capacity_provider is None
    Template.from_stack(stack).has_resource_properties(RUNTIME, {
        "CapacityProviderConfiguration": Match.absent(), "NetworkConfiguration": {"NetworkMode": "PUBLIC"}})


def test_image_platform_follows_the_capacity_provider(stack: cdk.Stack) -> None:
    # GIVEN an x86_64 provider WHEN an image is built from a directory without a platform THEN it is linux/amd64
    vpc = vpc_of(stack)
    gpu_agent(stack, "Amd", artifact=AgentArtifact.from_directory(SUPPORT_IMAGE),
              compute=AgentCompute.instances(instance_types=["g6.xlarge"], vpc=vpc))
    # AND an arm64 image on it is a warning, while on microVMs an amd64 image is the old warning
    arm64 = AgentArtifact.from_directory(SUPPORT_IMAGE, platform=ecr_assets.Platform.LINUX_ARM64)
    gpu_agent(stack, "Arm", artifact=arm64, compute=AgentCompute.instances(instance_types=["g6.xlarge"], vpc=vpc))
    gpu_agent(stack, "Micro", artifact=AgentArtifact.from_directory(SUPPORT_IMAGE,
                                                                    platform=ecr_assets.Platform.LINUX_AMD64))
    annotations = Annotations.from_stack(stack)
    annotations.has_no_warning("/TestStack/Amd", Match.string_like_regexp("ImagePlatform"))
    annotations.has_warning("/TestStack/Arm", Match.string_like_regexp(r"\[ImagePlatformMismatch\]"))
    annotations.has_warning("/TestStack/Micro", Match.string_like_regexp(r"\[ImagePlatformNotArm64\]"))
    assembly = stack.node.root.synth()  # type: ignore[attr-defined]
    manifest = json.loads((Path(assembly.directory) / f"{stack.artifact_id}.assets.json").read_text())
    platforms = {image["displayName"].split("/")[0]: image["source"]["platform"]
                 for image in manifest["dockerImages"].values()}
    # (the amd64 image of Micro is the same asset as Amd's, listed once)
    assert platforms == {"Amd": "linux/amd64", "Arm": "linux/arm64"}


@pytest.mark.parametrize(
    ("compute", "kwargs", "code", "match"),
    [
        ("microvm", {}, "InvalidCompute", "AgentCompute.microvm()"),
        (AgentCompute.instances(instance_types=["g6.xlarge"]), {}, "MissingComputeProps", "needs vpc"),
        (AgentCompute.instances(vpc=None), {}, "MissingComputeProps", "instance_types and vpc"),
        (AgentCompute.instances(capacity_provider=ARN, volumes=[InstanceVolume(name="a", size=cdk.Size.gibibytes(1))]),
         {}, "ConflictingComputeProps", "provide capacity_provider or volumes, not both"),
        (AgentCompute.instances(capacity_provider="arn:aws:s3:::bucket"), {}, "InvalidCapacityProvider",
         "not a capacity provider ARN"),
        (AgentCompute.instances(capacity_provider=42), {}, "InvalidCapacityProvider",  # type: ignore[arg-type]
         "AgentCapacityProvider or a capacity provider ARN"),
        (AgentCompute.instances(capacity_provider=ARN),
         {"network_configuration": agentcore.RuntimeNetworkConfiguration.using_public_network()},
         "ConflictingComputeProps", "network_configuration"),
    ],
)
def test_fails_when_compute_props_are_invalid(
    stack: cdk.Stack, compute: Any, kwargs: dict[str, Any], code: str, match: str
) -> None:
    with pytest.raises(ConstructsLibValidationError, match=match) as exc:
        gpu_agent(stack, compute=compute, **kwargs)
    assert exc.value.code == code


def test_fails_when_a_construct_provider_comes_with_provider_props(stack: cdk.Stack) -> None:
    shared = provider(stack)
    with pytest.raises(ConstructsLibValidationError, match="instance_types, not both") as exc:
        gpu_agent(stack, compute=AgentCompute.instances(capacity_provider=shared, instance_types=["g6.xlarge"]))
    assert exc.value.code == "ConflictingComputeProps"


def test_platform_spec_passes_the_compute_through(stack: cdk.Stack) -> None:
    shared = provider(stack)
    platform = AgentPlatform(stack, "Platform", agents=[AgentSpec(
        name="gpu_agent", artifact=AgentArtifact.from_code(RESEARCH_CODE), facade=False, session_store=False,
        monitoring=False, archive=False, compute=AgentCompute.instances(capacity_provider=shared),
    )])
    assert platform.agents["gpu_agent"].agent.compute_facts.instance_types == ("g6.xlarge",)
    with pytest.raises(ConstructsLibValidationError, match="compute") as exc:
        AgentPlatform(stack, "Other", agents=[AgentSpec(
            name="other", artifact=AgentArtifact.from_code(RESEARCH_CODE), agent_options={"compute": None})])
    assert exc.value.code == "InvalidPlatformOptions"


def test_job_records_of_an_instances_agent_outlive_its_longest_job(stack: cdk.Stack) -> None:
    # GIVEN an asynchronous agent on Instances compute behind a REST facade with jobs, no time to live given
    agent = gpu_agent(stack, compute=AgentCompute.instances(instance_types=["g6.xlarge"], vpc=vpc_of(stack)),
                      workload=WorkloadProfile(longest_task=timedelta(days=3)))
    api = AgentApiFacade(stack, "Api", agent=agent, jobs=True, invoke_route=False)
    # THEN the job records live as long as an Instances session may (not the 7-day default)
    lifetime = QuotaCatalog().value(QuotaName.INSTANCES_SESSION_LIFETIME)
    assert api.jobs is not None and api.jobs.time_to_live.to_seconds() == lifetime
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables":
        Match.object_like({"JOB_TIME_TO_LIVE_SECONDS": str(int(lifetime))})}})


def test_fails_at_synth_when_job_records_of_an_instances_agent_expire_before_its_jobs(stack: cdk.Stack) -> None:
    # GIVEN the same agent with job records kept 7 days
    agent = gpu_agent(stack, compute=AgentCompute.instances(instance_types=["g6.xlarge"], vpc=vpc_of(stack)),
                      workload=WorkloadProfile(longest_task=timedelta(days=3)))
    AgentApiFacade(stack, "Api", agent=agent, jobs=True, invoke_route=False, job_time_to_live=cdk.Duration.days(7))
    # THEN synth fails naming the Instances session lifetime
    assert "[JobTimeToLiveTooShort]" in errors_of(stack) and "Instances" in errors_of(stack)


def test_one_job_table_of_two_instances_agents_reports_its_short_time_to_live_once(stack: cdk.Stack) -> None:
    # GIVEN one job table, kept 7 days, that two asynchronous Instances agents report to
    from constructs_lib import AgentJobs  # noqa: PLC0415

    jobs = AgentJobs(stack, "Jobs", time_to_live=cdk.Duration.days(7))
    vpc = vpc_of(stack)
    for name in ("First", "Second"):
        jobs.bind(gpu_agent(stack, name, runtime_name=name.lower(), workload=WorkloadProfile(
            longest_task=timedelta(days=3)), compute=AgentCompute.instances(instance_types=["g6.xlarge"], vpc=vpc)))
    # THEN synth fails with the table's finding once, not once per agent
    assert errors_of(stack).count("[JobTimeToLiveTooShort]") == 1
