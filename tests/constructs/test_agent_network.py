"""A VPC runtime: private subnets only, the schema's counts, and its security group retained on delete."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Annotations, Capture, Match, Template
from constructs import Construct

from constructs_lib import AgentArtifact, AgentCoreAgent, ConstructsLibValidationError, QuotaCatalog, QuotaName

RUNTIME = "AWS::BedrockAgentCore::Runtime"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
ZONE = "us-east-1a"


def agent(stack: cdk.Stack, network: agentcore.RuntimeNetworkConfiguration | Any) -> AgentCoreAgent:
    return AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_managed_repository("v1"),
                          runtime_name="support_agent", network_configuration=network)


def imported_vpc(stack: cdk.Stack) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(
        stack, "Imported", vpc_id="vpc-12345678", availability_zones=[ZONE],
        public_subnet_ids=["subnet-0a0a0a0a0a0a0a0a0"], private_subnet_ids=["subnet-0b0b0b0b0b0b0b0b0"])


def test_private_subnets_and_a_retained_security_group(stack: cdk.Stack) -> None:
    # GIVEN a VPC with public and private subnets WHEN the runtime uses the default selection (private)
    # THEN it renders those subnets, and the security group created for it is retained on delete
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    agent(stack, agentcore.RuntimeNetworkConfiguration.using_vpc(Construct(stack, "AgentNetwork"), vpc=vpc))
    template = Template.from_stack(stack)
    subnets, group = Capture(), Capture()
    template.has_resource_properties(RUNTIME, {"NetworkConfiguration": {
        "NetworkMode": "VPC", "NetworkModeConfig": {"Subnets": subnets, "SecurityGroups": [{"Fn::GetAtt": [group,
                                                                                                          "GroupId"]}]}}})
    assert all("PrivateSubnet" in subnet["Ref"] for subnet in subnets.as_array())
    assert group.as_string().startswith("AgentNetworkSecurityGroup")
    template.has_resource(SECURITY_GROUP, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_security_groups_of_the_user_are_left_as_they_are(stack: cdk.Stack) -> None:
    # GIVEN the user's own security group WHEN used by the runtime THEN its removal policy is the user's to set
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    own = ec2.SecurityGroup(stack, "Own", vpc=vpc)
    agent(stack, agentcore.RuntimeNetworkConfiguration.using_vpc(stack, vpc=vpc, security_groups=[own]))
    template = Template.from_stack(stack)
    template.resource_count_is(SECURITY_GROUP, 1)
    template.has_resource(SECURITY_GROUP, {"DeletionPolicy": Match.absent()})


def test_fails_when_subnets_are_public_and_names_them(stack: cdk.Stack) -> None:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    network = agentcore.RuntimeNetworkConfiguration.using_vpc(
        stack, vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC))
    with pytest.raises(ConstructsLibValidationError, match=(
            r"network_configuration selects public subnets \(TestStack/Vpc/PublicSubnet1, TestStack/Vpc/PublicSubnet2\)"
            r".*private IP addresses only.*PRIVATE_WITH_EGRESS")) as exc:
        agent(stack, network)
    assert exc.value.code == "PublicSubnetsNotAllowed"


def test_fails_when_an_imported_vpc_s_public_subnet_is_selected_and_names_it_by_id(stack: cdk.Stack) -> None:
    vpc = imported_vpc(stack)
    network = agentcore.RuntimeNetworkConfiguration.using_vpc(
        stack, vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnets=vpc.public_subnets + vpc.private_subnets))
    with pytest.raises(ConstructsLibValidationError, match=r"public subnets \(subnet-0a0a0a0a0a0a0a0a0\);") as exc:
        agent(stack, network)
    assert exc.value.code == "PublicSubnetsNotAllowed"


def test_an_imported_vpc_s_private_subnets_pass(stack: cdk.Stack) -> None:
    agent(stack, agentcore.RuntimeNetworkConfiguration.using_vpc(stack, vpc=imported_vpc(stack)))
    Template.from_stack(stack).has_resource_properties(RUNTIME, {"NetworkConfiguration": {"NetworkModeConfig": {
        "Subnets": ["subnet-0b0b0b0b0b0b0b0b0"], "SecurityGroups": Match.any_value()}}})


@pytest.mark.parametrize(("what", "quota"), [("subnets", QuotaName.RUNTIME_SUBNETS),
                                             ("security groups", QuotaName.RUNTIME_SECURITY_GROUPS)])
def test_fails_when_there_are_more_than_the_schema_allows(stack: cdk.Stack, what: str, quota: QuotaName) -> None:
    limit = int(QuotaCatalog().value(quota))
    vpc = imported_vpc(stack)
    many = limit + 1
    subnets = ([ec2.Subnet.from_subnet_attributes(stack, f"S{i}", subnet_id=f"subnet-{i:017d}", availability_zone=ZONE)
                for i in range(many)] if what == "subnets" else vpc.private_subnets)
    groups = ([ec2.SecurityGroup.from_security_group_id(stack, f"G{i}", f"sg-{i:017d}") for i in range(many)]
              if what == "security groups" else None)
    network = agentcore.RuntimeNetworkConfiguration.using_vpc(
        stack, vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnets=subnets), security_groups=groups)
    with pytest.raises(ConstructsLibValidationError,
                       match=rf"selects {many} {what}, more than {limit}, the .*'{what} per VPC runtime'") as exc:
        agent(stack, network)
    assert exc.value.code == "InvalidNetworkConfiguration"


def test_a_subnet_imported_without_its_zone_is_not_guessed(stack: cdk.Stack) -> None:
    # GIVEN a subnet imported by id alone (the L2 needs only the id) WHEN used THEN the runtime renders it and the
    # subnet checks say they did not run, instead of failing on the missing Availability Zone
    subnet = ec2.Subnet.from_subnet_id(stack, "ById", "subnet-0c0c0c0c0c0c0c0c0")
    agent(stack, agentcore.RuntimeNetworkConfiguration.using_vpc(
        stack, vpc=imported_vpc(stack), vpc_subnets=ec2.SubnetSelection(subnets=[subnet])))
    Annotations.from_stack(stack).has_info("/TestStack/Agent", Match.string_like_regexp(
        r"\[VpcSubnetsNotChecked\] network_configuration selects a subnet imported without its Availability Zone"))
    Template.from_stack(stack).has_resource_properties(RUNTIME, {"NetworkConfiguration": {"NetworkModeConfig": {
        "Subnets": ["subnet-0c0c0c0c0c0c0c0c0"], "SecurityGroups": Match.any_value()}}})


def test_public_networking_creates_no_security_group(stack: cdk.Stack) -> None:
    agent(stack, agentcore.RuntimeNetworkConfiguration.using_public_network())
    template = Template.from_stack(stack)
    template.has_resource_properties(RUNTIME, {"NetworkConfiguration": {"NetworkMode": "PUBLIC"}})
    template.resource_count_is(SECURITY_GROUP, 0)


def test_fails_when_network_configuration_is_not_one(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match=r"network_configuration must be a "
                                                           r"RuntimeNetworkConfiguration.*got dict") as exc:
        agent(stack, {"NetworkMode": "VPC"})
    assert exc.value.code == "InvalidNetworkConfiguration"
