"""IAM action constants and ARN helpers shared by the constructs."""

from __future__ import annotations

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

#: Creating or updating a runtime on a capacity provider (authorized on the capacity provider ARN); the caller of
#: CreateAgentRuntime needs it, which under CloudFormation is the stack's deployment (CloudFormation execution) role.
PASS_CAPACITY_PROVIDER = "bedrock-agentcore:PassCapacityProvider"

# Geographic prefixes of cross-region inference profile ids (us.anthropic..., global.amazon...).
_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.")


def model_arns(stack: cdk.Stack, model: str) -> list[str]:
    """The resources to grant for one model reference.

    - an ARN is used as given;
    - an inference profile id (``us.anthropic.claude-...``) grants the profile in this account and
      region plus the underlying foundation model in every region, because a cross-region profile
      routes requests to the model in any region of its geography;
    - any other id is a foundation model in the stack's region.
    """
    if model.startswith("arn:"):
        return [model]
    if model.startswith(_PROFILE_PREFIXES):
        base = model.split(".", 1)[1]
        return [
            stack.format_arn(
                service="bedrock",
                resource="inference-profile",
                resource_name=model,
                arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
            ),
            stack.format_arn(
                service="bedrock",
                region="*",
                account="",
                resource="foundation-model",
                resource_name=base,
                arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
            ),
        ]
    return [
        stack.format_arn(
            service="bedrock",
            account="",
            resource="foundation-model",
            resource_name=model,
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
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
