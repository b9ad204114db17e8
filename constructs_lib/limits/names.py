"""Physical names: which resource types AWS requires to be uniquely named, and where.

Two resources of one of these types with the same explicit name in the same place (the same account and region, the
same account, or anywhere in the partition) cannot both be deployed: the second deployment fails after the first
succeeded. CloudFormation and CDK check this only within one template, so the library checks the whole app
(:mod:`constructs_lib._cdk.names`, the ``AgentCore-UniqueName`` rule of the checks pack).

Types whose names AWS lets repeat (REST and WebSocket API names, stage names, roles' descriptions) are not listed.
Runtime endpoint names are unique per runtime only, which CloudFormation already enforces, so they are not listed
either.

Plain Python: nothing here imports the CDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NameScope(StrEnum):
    """Where AWS requires a resource name to be unique."""

    ACCOUNT_AND_REGION = "account-and-region"
    """Unique per account and region (most resources)."""
    ACCOUNT = "account"
    """Unique per account in every region (CloudWatch dashboards, IAM roles)."""
    PARTITION = "partition"
    """Unique across every account of the partition (S3 buckets)."""


@dataclass(frozen=True)
class NameRule:
    """The naming rule of one CloudFormation resource type.

    Attributes:
        cfn_type: the CloudFormation resource type.
        name_property: the property holding the physical name, as CloudFormation spells it.
        scope: where the name must be unique.
        label: what the resource is called in messages.
    """

    cfn_type: str
    name_property: str
    scope: NameScope
    label: str


_R, _A, _P = NameScope.ACCOUNT_AND_REGION, NameScope.ACCOUNT, NameScope.PARTITION

#: Every resource type whose physical name AWS requires to be unique, with the property that names it.
UNIQUE_NAME_RULES: tuple[NameRule, ...] = (
    NameRule("AWS::BedrockAgentCore::Runtime", "AgentRuntimeName", _R, "AgentCore runtime"),
    NameRule("AWS::CloudWatch::Alarm", "AlarmName", _R, "CloudWatch alarm"),
    # Composite and metric alarms share one namespace; the check keys both under the metric alarm's type.
    NameRule("AWS::CloudWatch::CompositeAlarm", "AlarmName", _R, "CloudWatch composite alarm"),
    NameRule("AWS::CloudWatch::Dashboard", "DashboardName", _A, "CloudWatch dashboard"),
    NameRule("AWS::DynamoDB::Table", "TableName", _R, "DynamoDB table"),
    NameRule("AWS::S3::Bucket", "BucketName", _P, "S3 bucket"),
    NameRule("AWS::Lambda::Function", "FunctionName", _R, "Lambda function"),
    NameRule("AWS::Logs::LogGroup", "LogGroupName", _R, "log group"),
    NameRule("AWS::StepFunctions::StateMachine", "StateMachineName", _R, "state machine"),
    NameRule("AWS::SNS::Topic", "TopicName", _R, "SNS topic"),
    NameRule("AWS::SQS::Queue", "QueueName", _R, "SQS queue"),
    NameRule("AWS::ECR::Repository", "RepositoryName", _R, "ECR repository"),
    NameRule("AWS::IAM::Role", "RoleName", _A, "IAM role"),
)

#: The rules by CloudFormation type.
UNIQUE_NAME_RULES_BY_TYPE: dict[str, NameRule] = {rule.cfn_type: rule for rule in UNIQUE_NAME_RULES}

#: Types that share one namespace of names with another type (composite alarms with metric alarms).
SHARED_NAMESPACE: dict[str, str] = {"AWS::CloudWatch::CompositeAlarm": "AWS::CloudWatch::Alarm"}

#: Characters CloudWatch alarm names may contain as the library writes them (ASCII letters, digits, ``_ . -``).
ALARM_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
#: The characters the library uses in derived API Gateway API names (any are allowed; these read well everywhere).
API_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")

__all__ = [
    "ALARM_NAME_CHARACTERS",
    "API_NAME_CHARACTERS",
    "SHARED_NAMESPACE",
    "UNIQUE_NAME_RULES",
    "UNIQUE_NAME_RULES_BY_TYPE",
    "NameRule",
    "NameScope",
]
