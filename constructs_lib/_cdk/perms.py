"""IAM action constants and ARN helpers shared by the constructs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk

#: Bedrock actions an agent needs to call a model. Converse and ConverseStream are authorized through
#: these two actions; there is no separate IAM action for them.
MODEL_INVOKE_ACTIONS: tuple[str, ...] = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")

#: Invoking an agent over HTTPS (runtime ARN and endpoint ARNs below it).
INVOKE_AGENT_RUNTIME = "bedrock-agentcore:InvokeAgentRuntime"
#: Invoking with a user id header.
INVOKE_AGENT_RUNTIME_FOR_USER = "bedrock-agentcore:InvokeAgentRuntimeForUser"
#: Invoking over a WebSocket stream.
INVOKE_AGENT_RUNTIME_WEBSOCKET = "bedrock-agentcore:InvokeAgentRuntimeWithWebSocketStream"
#: Stopping a runtime session (on the runtime ARN and the endpoint ARN the qualifier names).
STOP_RUNTIME_SESSION = "bedrock-agentcore:StopRuntimeSession"

#: Creating or updating a runtime on a capacity provider (authorized on the capacity provider ARN); the caller of
#: CreateAgentRuntime needs it, which under CloudFormation is the stack's deployment (CloudFormation execution) role.
PASS_CAPACITY_PROVIDER = "bedrock-agentcore:PassCapacityProvider"

# -- an AgentCore runtime's execution role (what the service does with it while the agent runs) ------------------------

#: Creating and reading the runtime's log groups (the service creates them on first invocation).
RUNTIME_LOG_GROUP_ACTIONS: tuple[str, ...] = ("logs:CreateLogGroup", "logs:DescribeLogStreams")
#: Writing the runtime's log streams.
RUNTIME_LOG_STREAM_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")
#: Listing log groups (authorized on ``log-group:*`` only).
DESCRIBE_LOG_GROUPS = "logs:DescribeLogGroups"
#: X-Ray tracing (no resource-level permissions).
XRAY_TRACE_ACTIONS: tuple[str, ...] = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
)
#: Publishing metrics (no resource-level permissions; limited by the ``cloudwatch:namespace`` condition key).
PUT_METRIC_DATA = "cloudwatch:PutMetricData"
#: The CloudWatch namespace a runtime publishes its agent's metrics in.
RUNTIME_METRIC_NAMESPACE = "bedrock-agentcore"
#: Workload access tokens for the runtime's own workload identity, alone or for a user proven by a JWT.
WORKLOAD_ACCESS_TOKEN_ACTIONS: tuple[str, ...] = (
    "bedrock-agentcore:GetWorkloadAccessToken",
    "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
)
#: Workload access tokens for a user id the caller names, with no proof of the user's identity.
WORKLOAD_ACCESS_TOKEN_FOR_USER_ID = "bedrock-agentcore:GetWorkloadAccessTokenForUserId"
#: Pulling an image from one repository.
ECR_PULL_ACTIONS: tuple[str, ...] = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
#: The registry login token (authorized on ``*`` only).
ECR_AUTHORIZATION_TOKEN = "ecr:GetAuthorizationToken"
#: Reading one object (a direct-code package).
S3_GET_OBJECT = "s3:GetObject"

# Geographic prefixes of cross-region inference profile ids (us.anthropic..., global.amazon...).
_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.")
#: The condition key naming the inference profile a model request came through.
INFERENCE_PROFILE_ARN_KEY = "bedrock:InferenceProfileArn"


@dataclass(frozen=True)
class ModelGrant:
    """One statement's worth of model access: resources, and the condition they are granted under (if any)."""

    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, str]] | None = None


def is_inference_profile_id(model: str) -> bool:
    """Whether ``model`` is a cross-region inference profile id (``us.anthropic.claude-...``)."""
    return model.startswith(_PROFILE_PREFIXES)


def model_grants(stack: cdk.Stack, model: str) -> list[ModelGrant]:
    """What to grant for one model reference.

    - an ARN is granted as given;
    - an inference profile id (``us.anthropic.claude-...``) grants the profile in this account and region, and the
      underlying foundation model in every region (a cross-region profile routes requests to the model in any region of
      its geography) only for requests made through that profile: the ``bedrock:InferenceProfileArn`` condition, as
      the Bedrock user guide writes it for cross-region inference, so the grant is not a direct grant of the model in
      every region;
    - any other id is a foundation model in the stack's region.
    """
    if model.startswith("arn:"):
        return [ModelGrant((model,))]
    if is_inference_profile_id(model):
        profile = stack.format_arn(
            service="bedrock",
            resource="inference-profile",
            resource_name=model,
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
        model_in_any_region = stack.format_arn(
            service="bedrock",
            region="*",
            account="",
            resource="foundation-model",
            resource_name=model.split(".", 1)[1],
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
        return [
            ModelGrant((profile,)),
            ModelGrant((model_in_any_region,), {"StringEquals": {INFERENCE_PROFILE_ARN_KEY: profile}}),
        ]
    return [
        ModelGrant((
            stack.format_arn(
                service="bedrock",
                account="",
                resource="foundation-model",
                resource_name=model,
                arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
            ),
        ))
    ]


#: What CloudWatch Logs does with the customer managed key of an encrypted log group (the key policy statement AWS
#: documents for log group encryption, granted to ``logs.<region>.amazonaws.com``).
#: See: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
LOG_GROUP_KEY_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)
#: The KMS encryption context key naming the log group CloudWatch Logs encrypts for.
LOG_GROUP_ENCRYPTION_CONTEXT_KEY = "kms:EncryptionContext:aws:logs:arn"
