"""The IAM policies of a capacity provider: its operator (infrastructure) role and its instance role.

The operator role follows the AWS managed policy ``BedrockAgentCoreRuntimeInstancesOperatorRolePolicy`` (version 2,
August 2026), statement by statement, and narrows it where the service allows: this stack's region and account
instead of ``*``, the capacity provider's own subnets and security groups, its allowed instance types
(``ec2:InstanceType``), its own instance role for ``iam:PassRole``, and the one service-linked role it may create.
Statements keep the managed policy's conditions (request and resource tags ``bedrock-agentcore:capacity-provider-id``,
``ec2:ManagedResourceOperator``, ``events:ManagedBy``), which confine them to resources AgentCore creates.

See: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/BedrockAgentCoreRuntimeInstancesOperatorRolePolicy.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from constructs_lib._cdk import nag

#: The service principal that assumes the operator role and whose managed EC2 resources the conditions name.
AGENTCORE_SERVICE = "bedrock-agentcore.amazonaws.com"
#: Tag AgentCore puts on every resource it creates for a capacity provider.
_PROVIDER_TAG = "bedrock-agentcore:capacity-provider-id"
#: Name prefixes AgentCore uses for the Auto Scaling groups and EventBridge rules it creates.
_ASG_NAME_PREFIX = "agentcore-managed-instances-"
_RULE_NAME_PREFIX = "agentcore-lifecycle-events-"

_DESCRIBE_ACTIONS = (
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeCapacityReservations",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeInstanceTypeOfferings",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVolumes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:DescribeNetworkInterfaces",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeAutoScalingGroups",
)
#: What EBS needs to create and attach volumes encrypted with a customer managed key, through EC2.
_VOLUME_KEY_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


@dataclass(frozen=True)
class OperatorScope:
    """What the operator role may act on.

    Attributes:
        subnet_ids: the capacity provider's subnets.
        security_group_ids: its security groups.
        instance_types: its allowed instance types.
        instance_role_arn: the role of its instance profile (passed to EC2).
        encryption_key_arn: the customer managed key of its volumes, if any.
    """

    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]
    instance_types: Sequence[str]
    instance_role_arn: str
    encryption_key_arn: str | None = None


def _arn(stack: cdk.Stack, service: str, resource: str, **options: str) -> str:
    return stack.format_arn(service=service, resource=resource, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME, **options)


def _taggable(stack: cdk.Stack) -> list[str]:
    return [_arn(stack, "ec2", f"{kind}/*") for kind in ("fleet", "instance", "network-interface", "volume",
                                                          "launch-template")]


def operator_policy(stack: cdk.Stack, scope: OperatorScope) -> iam.PolicyDocument:
    """The operator role's permissions for one capacity provider."""

    def ec2(resource: str) -> str:
        return _arn(stack, "ec2", resource)

    request_tagged = {"Null": {f"aws:RequestTag/{_PROVIDER_TAG}": "false"}}
    resource_tagged = {"Null": {f"aws:ResourceTag/{_PROVIDER_TAG}": "false"}}
    managed = {"StringEquals": {"ec2:ManagedResourceOperator": AGENTCORE_SERVICE}}
    groups = _arn(stack, "autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{_ASG_NAME_PREFIX}*")
    rules = _arn(stack, "events", f"rule/{_RULE_NAME_PREFIX}*")
    statements = [
        # Describe* calls support no resource-level permissions.
        iam.PolicyStatement(sid="DescribeComputeResources", actions=list(_DESCRIBE_ACTIONS), resources=["*"]),
        iam.PolicyStatement(sid="DescribeLifecycleRules", actions=["events:DescribeRule"], resources=[rules]),
        iam.PolicyStatement(sid="CreateManagedVolumes", actions=["ec2:CreateVolume"], resources=[ec2("volume/*")],
                            conditions=request_tagged),
        iam.PolicyStatement(sid="AttachManagedVolumes", actions=["ec2:AttachVolume"],
                            resources=[ec2("volume/*"), ec2("instance/*")], conditions=managed),
        iam.PolicyStatement(sid="CreateManagedLaunchTemplates", actions=["ec2:CreateLaunchTemplate"],
                            resources=[ec2("launch-template/*")], conditions=request_tagged),
        iam.PolicyStatement(sid="ModifyManagedLaunchTemplates",
                            actions=["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"],
                            resources=[ec2("launch-template/*")], conditions=managed),
        iam.PolicyStatement(sid="CreateManagedAutoScalingGroups", actions=["autoscaling:CreateAutoScalingGroup"],
                            resources=[groups], conditions=request_tagged),
        iam.PolicyStatement(
            sid="OperateManagedAutoScalingGroups",
            actions=["autoscaling:UpdateAutoScalingGroup", "autoscaling:PutLifecycleHook",
                     "autoscaling:CompleteLifecycleAction", "autoscaling:LaunchInstances"],
            resources=[groups], conditions=resource_tagged,
        ),
        iam.PolicyStatement(
            sid="LaunchInProviderNetwork",
            actions=["ec2:RunInstances", "ec2:CreateNetworkInterface", "ec2:CreateFleet"],
            resources=[ec2(f"subnet/{subnet}") for subnet in scope.subnet_ids]
            + [ec2(f"security-group/{group}") for group in scope.security_group_ids],
        ),
        iam.PolicyStatement(
            sid="LaunchFromAmazonImages", actions=["ec2:RunInstances", "ec2:CreateFleet"],
            resources=[_arn(stack, "ec2", "image/*", account="")],
            conditions={"StringEquals": {"ec2:Owner": "amazon"}},
        ),
        iam.PolicyStatement(sid="CreateFleets", actions=["ec2:CreateFleet"], resources=[ec2("fleet/*")]),
        iam.PolicyStatement(sid="LaunchWithManagedLaunchTemplates", actions=["ec2:CreateFleet", "ec2:RunInstances"],
                            resources=[ec2("launch-template/*")], conditions=resource_tagged),
        iam.PolicyStatement(
            sid="LaunchAllowedInstanceTypes", actions=["ec2:CreateFleet", "ec2:RunInstances"],
            resources=[ec2("instance/*")],
            conditions={**request_tagged, "StringEquals": {"ec2:InstanceType": list(scope.instance_types)}},
        ),
        iam.PolicyStatement(sid="LaunchManagedInterfacesAndVolumes", actions=["ec2:CreateFleet", "ec2:RunInstances"],
                            resources=[ec2("network-interface/*"), ec2("volume/*")], conditions=request_tagged),
        iam.PolicyStatement(
            sid="TagOnCreate", actions=["ec2:CreateTags"], resources=_taggable(stack),
            conditions={"StringEquals": {"ec2:CreateAction": ["CreateFleet", "CreateLaunchTemplate", "RunInstances",
                                                               "CreateVolume", "CreateNetworkInterface"]}},
        ),
        iam.PolicyStatement(
            sid="TagManagedResources", actions=["ec2:CreateTags"], resources=_taggable(stack),
            conditions={**managed, "ForAllValues:StringLike": {"aws:TagKeys": "bedrock-agentcore:*"}},
        ),
        iam.PolicyStatement(sid="AttachManagedInterfaces", actions=["ec2:AttachNetworkInterface"],
                            resources=[ec2("instance/*"), ec2("network-interface/*")], conditions=managed),
        iam.PolicyStatement(
            sid="ManageLifecycleRules", actions=["events:PutRule", "events:PutTargets", "events:RemoveTargets"],
            resources=[rules], conditions={"StringEquals": {"events:ManagedBy": AGENTCORE_SERVICE}},
        ),
        iam.PolicyStatement(
            sid="CreateAutoScalingServiceLinkedRole", actions=["iam:CreateServiceLinkedRole"],
            resources=[stack.format_arn(
                service="iam", region="", resource="role",
                resource_name="aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
            )],
        ),
        iam.PolicyStatement(
            sid="PassInstanceRole", actions=["iam:PassRole"], resources=[scope.instance_role_arn],
            conditions={"StringEquals": {"iam:PassedToService": f"ec2.{stack.url_suffix}"}},
        ),
    ]
    if scope.encryption_key_arn is not None:
        via_ec2 = {"StringEquals": {"kms:ViaService": f"ec2.{stack.region}.{stack.url_suffix}"}}
        statements += [
            iam.PolicyStatement(sid="UseVolumeKey", actions=list(_VOLUME_KEY_ACTIONS),
                                resources=[scope.encryption_key_arn], conditions=via_ec2),
            iam.PolicyStatement(
                sid="GrantVolumeKeyToEbs", actions=["kms:CreateGrant"], resources=[scope.encryption_key_arn],
                conditions={**via_ec2, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
    return iam.PolicyDocument(statements=statements)


def acknowledge_operator_wildcards(role: iam.IRole, stack: cdk.Stack, provider: str) -> None:
    """Acknowledge the operator policy's wildcard resources, each with the service fact behind it."""

    def ec2(resource: str) -> str:
        return f"Resource::{nag.arn_text(stack, 'ec2', resource)}"

    nag.acknowledge(
        role, "AwsSolutions-IAM5", ["Resource::*"],
        f"capacity provider {provider}: the EC2 and Auto Scaling Describe* calls AgentCore makes to place instances "
        "support no resource-level permissions",
    )
    nag.acknowledge(
        role, "AwsSolutions-IAM5",
        [ec2(f"{kind}/*") for kind in ("volume", "instance", "launch-template", "network-interface", "fleet")]
        + [f"Resource::{nag.arn_text(stack, 'ec2', 'image/*', account=False)}"],
        f"capacity provider {provider}: AgentCore creates the instances, volumes, network interfaces, launch "
        "templates and fleets at run time, so their ids are unknown; each statement is confined by the "
        f"{_PROVIDER_TAG} request or resource tag, ec2:ManagedResourceOperator, ec2:InstanceType or ec2:Owner=amazon, "
        "as in the AWS managed operator policy",
    )
    groups = f"autoScalingGroup:*:autoScalingGroupName/{_ASG_NAME_PREFIX}*"
    nag.acknowledge(
        role, "AwsSolutions-IAM5",
        [f"Resource::{nag.arn_text(stack, 'autoscaling', groups)}",
         f"Resource::{nag.arn_text(stack, 'events', f'rule/{_RULE_NAME_PREFIX}*')}"],
        f"capacity provider {provider}: AgentCore names the Auto Scaling groups and EventBridge rules it creates with "
        f"the prefixes {_ASG_NAME_PREFIX} and {_RULE_NAME_PREFIX} and a generated suffix; writes are further confined "
        "by the capacity-provider tag and events:ManagedBy",
    )


def instance_policy(stack: cdk.Stack, provider_name: str) -> iam.PolicyDocument:
    """The instance role's permissions: system logs of this capacity provider only."""
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="WriteSystemLogs",
                actions=["bedrock-agentcore:PutSystemLogEvents"],
                resources=[provider_arn_pattern(stack, provider_name)],
            )
        ]
    )


def provider_arn_pattern(stack: cdk.Stack, provider_name: str) -> str:
    """The ARN of the capacity provider named ``provider_name``, whose id is the name plus a service suffix."""
    return _arn(stack, "bedrock-agentcore", f"capacity-provider/{provider_name}-*")


def acknowledge_instance_wildcard(role: iam.IRole, stack: cdk.Stack, provider_name: str) -> None:
    """Acknowledge the instance role's one wildcard: the service-assigned suffix of the capacity provider id."""
    nag.acknowledge(
        role, "AwsSolutions-IAM5",
        [f"Resource::{nag.arn_text(stack, 'bedrock-agentcore', f'capacity-provider/{provider_name}-*')}"],
        f"capacity provider {provider_name}: its ARN ends in a suffix AgentCore assigns at creation, after this role "
        "exists; the grant names the provider by its name",
    )


__all__ = [
    "AGENTCORE_SERVICE",
    "OperatorScope",
    "acknowledge_instance_wildcard",
    "acknowledge_operator_wildcards",
    "instance_policy",
    "operator_policy",
    "provider_arn_pattern",
]
