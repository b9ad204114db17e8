"""The runtime's log groups: under the names AgentCore writes to, with retention, KMS, tags, and retained."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Annotations, Capture, Match, Template

from constructs_lib import AgentArtifact, AgentCoreAgent, ConstructsLibValidationError
from constructs_lib.agent.log_groups import DEFAULT_RUNTIME_LOG_RETENTION

LOG_GROUP = "AWS::Logs::LogGroup"
RUNTIME = "AWS::BedrockAgentCore::Runtime"
ENDPOINT = "AWS::BedrockAgentCore::RuntimeEndpoint"


def agent(stack: cdk.Stack, **kwargs: Any) -> AgentCoreAgent:
    kwargs.setdefault("runtime_name", "support_agent")
    return AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_managed_repository("v1"), **kwargs)


def runtime_logical_id(template: Template) -> str:
    (logical_id,) = template.find_resources(RUNTIME)
    return logical_id


def name_of(runtime: str, endpoint: str) -> dict[str, Any]:
    """The log group name AgentCore writes to: the prefix, the runtime id and the endpoint, joined."""
    return {"Fn::Join": ["", ["/aws/bedrock-agentcore/runtimes/", {"Fn::GetAtt": [runtime, "AgentRuntimeId"]},
                              f"-{endpoint}"]]}


def test_one_group_per_endpoint_under_the_name_the_service_writes_to(stack: cdk.Stack) -> None:
    # GIVEN DEFAULT, one endpoint at construction and one added later WHEN synthesized THEN three groups, each named
    # after the runtime id and its endpoint, kept for a year and retained
    created = agent(stack, endpoints=["prod"])
    created.add_endpoint("canary")
    template = Template.from_stack(stack)
    runtime = runtime_logical_id(template)
    template.resource_count_is(LOG_GROUP, 3)
    for endpoint in ("DEFAULT", "prod", "canary"):
        template.has_resource(LOG_GROUP, {
            "Properties": {"LogGroupName": name_of(runtime, endpoint), "RetentionInDays": 365,
                           "KmsKeyId": Match.absent()},
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        })
    assert set(created.log_groups) == {"DEFAULT", "prod", "canary"}
    assert DEFAULT_RUNTIME_LOG_RETENTION is logs.RetentionDays.ONE_YEAR


def test_a_named_endpoint_is_created_after_its_log_group(stack: cdk.Stack) -> None:
    # GIVEN a named endpoint WHEN deployed THEN its group exists first, so the service never creates it itself
    created = agent(stack, endpoints=["prod"])
    template = Template.from_stack(stack)
    group = stack.get_logical_id(created.log_groups["prod"].node.default_child)  # type: ignore[arg-type]
    template.has_resource(ENDPOINT, {"Properties": {"Name": "prod"}, "DependsOn": Match.array_with([group])})


def test_retention_and_tags_are_configurable(stack: cdk.Stack) -> None:
    agent(stack, log_retention=logs.RetentionDays.THREE_MONTHS, tags={"team": "support"})
    template = Template.from_stack(stack)
    template.has_resource_properties(LOG_GROUP, {
        "RetentionInDays": 90, "Tags": Match.array_with([{"Key": "team", "Value": "support"}])})
    template.has_resource_properties(RUNTIME, {"Tags": {"team": "support"}})


def test_encrypted_with_a_key_that_lets_cloudwatch_logs_use_it_for_this_runtime_only(stack: cdk.Stack) -> None:
    # GIVEN a key of the app WHEN the groups use it THEN each names the key, and the key policy allows the regional
    # CloudWatch Logs principal on this runtime's groups only (encryption context), as AWS documents
    key = kms.Key(stack, "LogKey", enable_key_rotation=True)
    agent(stack, log_encryption_key=key, endpoints=["prod"])
    template = Template.from_stack(stack)
    key_id = stack.get_logical_id(key.node.default_child)  # type: ignore[arg-type]
    template.all_resources_properties(LOG_GROUP, {"KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]}})
    condition = Capture()
    template.has_resource_properties("AWS::KMS::Key", {"KeyPolicy": {"Statement": Match.array_with([{
        "Effect": "Allow",
        "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
        # Sorted by @aws-cdk/aws-iam:minimizePolicies.
        "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": condition}},
    }])}})
    assert stack.resolve(condition.as_string()).endswith(
        ":logs:us-east-1:123456789012:log-group:/aws/bedrock-agentcore/runtimes/support_agent-*")


def test_an_imported_key_draws_a_warning_with_the_statement_to_add(stack: cdk.Stack) -> None:
    key = kms.Key.from_key_arn(
        stack, "Imported", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    agent(stack, log_encryption_key=key)
    Template.from_stack(stack).has_resource_properties(LOG_GROUP, {"KmsKeyId": key.key_arn})
    Annotations.from_stack(stack).has_warning("/TestStack/Agent/LogGroups", Match.string_like_regexp(
        r"\[LogKeyPolicyNotUpdated\] log_encryption_key is imported.*logs.<region>.amazonaws.com.*"
        r"/aws/bedrock-agentcore/runtimes/support_agent-\*"))


def test_log_groups_can_be_left_to_the_service(stack: cdk.Stack) -> None:
    # GIVEN a runtime deployed before the library owned its groups WHEN turned off THEN none is created
    created = agent(stack, create_log_groups=False, endpoints=["prod"])
    Template.from_stack(stack).resource_count_is(LOG_GROUP, 0)
    assert created.log_groups == {}


@pytest.mark.parametrize("prop", ["log_retention", "log_encryption_key"])
def test_fails_when_log_group_options_come_without_log_groups(stack: cdk.Stack, prop: str) -> None:
    value = logs.RetentionDays.ONE_WEEK if prop == "log_retention" else kms.Key(stack, "Key")
    with pytest.raises(ConstructsLibValidationError,
                       match=rf"provide create_log_groups=False or {prop}, not both") as exc:
        agent(stack, create_log_groups=False, **{prop: value})
    assert exc.value.code == "ConflictingLogProps"


def test_a_generated_runtime_name_keys_the_key_policy(stack: cdk.Stack) -> None:
    # GIVEN no runtime name WHEN the key policy is written THEN it names the generated one
    key = kms.Key(stack, "LogKey", enable_key_rotation=True)
    created = AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_managed_repository("v1"),
                             log_encryption_key=key)
    condition = Capture()
    Template.from_stack(stack).has_resource_properties("AWS::KMS::Key", {"KeyPolicy": {"Statement": Match.array_with([
        Match.object_like({"Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": condition}}})])}})
    assert stack.resolve(condition.as_string()).endswith(f"/aws/bedrock-agentcore/runtimes/{created.runtime_name}-*")
