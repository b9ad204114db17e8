"""AgentSessionStore: keys, TTL, PITR, encryption, billing, retention, grants, environment and metrics."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.serving.session_store import SESSION_TABLE_ENV, AgentSessionStore

from ._fixtures import make_agent, runtime_environment


def test_table_defaults_are_secure_and_retained(stack: cdk.Stack) -> None:
    # GIVEN / WHEN a store with defaults
    AgentSessionStore(stack, "Sessions")
    template = Template.from_stack(stack)
    # THEN sessionId/turn keys, TTL, PITR, KMS encryption, on-demand billing
    template.has_resource_properties("AWS::DynamoDB::Table", {
        "KeySchema": [{"AttributeName": "sessionId", "KeyType": "HASH"}, {"AttributeName": "turn", "KeyType": "RANGE"}],
        "AttributeDefinitions": Match.array_with([
            {"AttributeName": "sessionId", "AttributeType": "S"}, {"AttributeName": "turn", "AttributeType": "N"},
        ]),
        "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "BillingMode": "PAY_PER_REQUEST",
        "ProvisionedThroughput": Match.absent(),
    })
    # AND the table is kept when the stack is deleted
    template.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_customer_key_and_provisioned_billing(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    AgentSessionStore(stack, "Sessions", encryption_key=key, billing_mode=dynamodb.BillingMode.PROVISIONED,
                      read_capacity=10, write_capacity=4, time_to_live_attribute="ttl", table_name="sessions")
    Template.from_stack(stack).has_resource_properties("AWS::DynamoDB::Table", {
        "TableName": "sessions",
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS",
                             "KMSMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("Key"), "Arn"]}},
        "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 4},
        "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
    })


def test_removal_policy_can_be_destroy(stack: cdk.Stack) -> None:
    AgentSessionStore(stack, "Sessions", removal_policy=cdk.RemovalPolicy.DESTROY)
    Template.from_stack(stack).has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Delete"})


def test_bind_grants_read_write_and_names_the_table_in_the_agent(stack: cdk.Stack) -> None:
    # GIVEN an agent and a store
    agent = make_agent(stack)
    store = AgentSessionStore(stack, "Sessions")
    # WHEN the agent is bound to the store
    store.bind(agent)
    template = Template.from_stack(stack)
    # THEN the agent role may put and query items on this table
    table_id = stack.get_logical_id(store.table.node.default_child)
    template.has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": Match.string_like_regexp("^AgentExecutionRole")}],
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Action": Match.array_with(["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]),
            "Resource": {"Fn::GetAtt": [table_id, "Arn"]},
        })])},
    })
    # AND the agent's environment names the table
    assert runtime_environment(template)[SESSION_TABLE_ENV] == {"Ref": table_id}


def test_grant_read_write_only_grants(stack: cdk.Stack) -> None:
    # GIVEN an agent granted read/write directly
    agent = make_agent(stack)
    AgentSessionStore(stack, "Sessions").grant_read_write(agent)
    template = Template.from_stack(stack)
    # THEN its role may write, and its environment is left alone
    template.has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": Match.string_like_regexp("^AgentExecutionRole")}],
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Action": Match.array_with(["dynamodb:PutItem"])})])},
    })
    assert SESSION_TABLE_ENV not in runtime_environment(template)


def test_grant_read_is_read_only(stack: cdk.Stack) -> None:
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    store = AgentSessionStore(stack, "Sessions")
    store.grant_read(role)
    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
    actions = policy["Properties"]["PolicyDocument"]["Statement"][0]["Action"]
    assert "dynamodb:Query" in actions and "dynamodb:GetItem" in actions
    assert not any(a in actions for a in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"))


def test_metrics_delegate_to_the_table(stack: cdk.Stack) -> None:
    store = AgentSessionStore(stack, "Sessions")
    table_ref = {"Ref": stack.get_logical_id(store.table.node.default_child)}
    read = store.metric_consumed_read_capacity_units()
    assert read.metric_name == "ConsumedReadCapacityUnits" and read.namespace == "AWS/DynamoDB"
    assert stack.resolve(read.dimensions)["TableName"] == table_ref
    assert store.metric_consumed_write_capacity_units().metric_name == "ConsumedWriteCapacityUnits"
    latency = store.metric_successful_request_latency(dynamodb.Operation.QUERY)
    assert stack.resolve(latency.dimensions) == {"TableName": table_ref, "Operation": "Query"}
    throttled = store.metric_throttled_requests()
    assert "ThrottledRequests" in str(stack.resolve(throttled.to_metric_config().math_expression.using_metrics))
    assert store.metric_user_errors().metric_name == "UserErrors"
    assert store.metric_user_errors().dimensions == {}  # account-wide: DynamoDB gives it no table dimension


def test_pitr_off_draws_a_warning(stack: cdk.Stack) -> None:
    AgentSessionStore(stack, "Sessions", point_in_time_recovery=False)
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Sessions", Match.string_like_regexp("point_in_time_recovery is off")
    )


def test_fails_when_capacity_is_given_for_on_demand(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="read_capacity") as exc:
        AgentSessionStore(stack, "Sessions", read_capacity=5)
    assert exc.value.code == "InvalidBillingConfiguration"
