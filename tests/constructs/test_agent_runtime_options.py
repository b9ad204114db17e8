"""AgentCoreAgent passes the L2 Runtime's options through, checked where AgentCore has rules the L2 does not check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from constructs_lib import AgentArtifact, AgentCoreAgent, ConstructsLibValidationError
from constructs_lib.limits.service import CUSTOM_REQUEST_HEADER_PREFIX
from tests._validators import assert_cfn_lint_clean, assert_clean
from tests.conftest import ENV

RUNTIME = "AWS::BedrockAgentCore::Runtime"
DISCOVERY_URL = "https://issuer.example.com/.well-known/openid-configuration"


def agent(stack: cdk.Stack, **kwargs: Any) -> AgentCoreAgent:
    kwargs.setdefault("runtime_name", "support_agent")
    return AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_managed_repository("v1"), **kwargs)


def headers(*names: str) -> agentcore.RequestHeaderConfiguration:
    return agentcore.RequestHeaderConfiguration(allowlisted_headers=list(names))


# -- each option reaches the L1 ----------------------------------------------------------------------------------


def test_platform_version_protocol_and_request_headers_are_rendered(stack: cdk.Stack) -> None:
    # GIVEN V2, A2A and two forwarded headers WHEN defined THEN the runtime carries each
    agent(stack, platform_version=agentcore.PlatformVersion.V2, protocol_configuration=agentcore.ProtocolType.A2_A,
          request_header_configuration=headers("X-Api-Key", f"{CUSTOM_REQUEST_HEADER_PREFIX}Tenant"))
    Template.from_stack(stack).has_resource_properties(RUNTIME, {
        "PlatformVersion": "V2",
        "ProtocolConfiguration": "A2A",
        "RequestHeaderConfiguration": {
            "RequestHeaderAllowlist": ["X-Api-Key", f"{CUSTOM_REQUEST_HEADER_PREFIX}Tenant"]},
    })


def test_unset_options_are_not_rendered(stack: cdk.Stack) -> None:
    # GIVEN no options WHEN defined THEN the service defaults apply: no platform version, no headers, no delivery
    agent(stack)
    template = Template.from_stack(stack)
    template.has_resource_properties(RUNTIME, {
        "PlatformVersion": Match.absent(), "RequestHeaderConfiguration": Match.absent(),
        "AuthorizerConfiguration": Match.absent(), "ProtocolConfiguration": "HTTP"})
    template.resource_count_is("AWS::Logs::Delivery", 0)


def test_authorization_header_is_forwarded_with_a_jwt_authorizer(stack: cdk.Stack) -> None:
    agent(stack, authorizer_configuration=agentcore.RuntimeAuthorizerConfiguration.using_jwt(
        DISCOVERY_URL, allowed_clients=["client-1"]), request_header_configuration=headers("Authorization"))
    Template.from_stack(stack).has_resource_properties(RUNTIME, {
        "AuthorizerConfiguration": {"CustomJWTAuthorizer": Match.object_like({"DiscoveryUrl": DISCOVERY_URL})},
        "RequestHeaderConfiguration": {"RequestHeaderAllowlist": ["Authorization"]},
    })


def test_logging_configs_deliver_application_and_usage_logs(stack: cdk.Stack) -> None:
    # GIVEN application logs to a log group and usage logs to a bucket WHEN defined THEN one delivery source per
    # log type from the runtime, a destination and a delivery each
    group = logs.LogGroup(stack, "Delivered")
    bucket = s3.Bucket(stack, "Usage")
    agent(stack, logging_configs=[
        agentcore.LoggingConfig(log_type=agentcore.LogType.APPLICATION_LOGS,
                                destination=agentcore.LoggingDestination.cloud_watch_logs(group)),
        agentcore.LoggingConfig(log_type=agentcore.LogType.USAGE_LOGS,
                                destination=agentcore.LoggingDestination.s3(bucket)),
    ])
    template = Template.from_stack(stack)
    for log_type in ("APPLICATION_LOGS", "USAGE_LOGS"):
        template.has_resource_properties("AWS::Logs::DeliverySource", {
            "LogType": log_type,
            "ResourceArn": {"Fn::GetAtt": [Match.string_like_regexp("^Agent"), "AgentRuntimeArn"]}})
    template.has_resource_properties("AWS::Logs::DeliveryDestination", {"DeliveryDestinationType": "CWL"})
    template.has_resource_properties("AWS::Logs::DeliveryDestination", {"DeliveryDestinationType": "S3"})
    template.resource_count_is("AWS::Logs::Delivery", 2)
    template.resource_count_is("AWS::Logs::ResourcePolicy", 1)


def test_tracing_delivers_traces_to_xray(stack: cdk.Stack) -> None:
    agent(stack, tracing_enabled=True)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Logs::DeliverySource", {"LogType": "TRACES"})
    template.has_resource_properties("AWS::Logs::DeliveryDestination", {"DeliveryDestinationType": "XRAY"})
    template.resource_count_is("AWS::XRay::ResourcePolicy", 1)


def test_delivery_resource_policies_can_be_left_to_the_user(stack: cdk.Stack) -> None:
    # GIVEN many runtimes per account WHEN the user manages the delivery policies THEN the L2 creates none
    agent(stack, tracing_enabled=True, manage_delivery_resource_policy=False, logging_configs=[
        agentcore.LoggingConfig(log_type=agentcore.LogType.APPLICATION_LOGS,
                                destination=agentcore.LoggingDestination.cloud_watch_logs(
                                    logs.LogGroup(stack, "Delivered")))])
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::Logs::Delivery", 2)
    template.resource_count_is("AWS::XRay::ResourcePolicy", 0)
    template.resource_count_is("AWS::Logs::ResourcePolicy", 0)


# -- wrong types: one error naming the prop, never a jsii trace ----------------------------------------------------

WRONG_TYPES = [
    ("platform_version", "V2", "PlatformVersion"),
    ("protocol_configuration", "MCP", "ProtocolType"),
    ("authorizer_configuration", {"customJwtAuthorizer": {}}, "RuntimeAuthorizerConfiguration"),
    ("request_header_configuration", ["X-Api-Key"], "RequestHeaderConfiguration"),
    ("tracing_enabled", "yes", "True or False"),
    ("manage_delivery_resource_policy", 1, "True or False"),
    ("log_retention", 365, "RetentionDays"),
    ("log_encryption_key", "arn:aws:kms:us-east-1:123456789012:key/abc", "KMS key"),
    ("create_log_groups", "no", "True or False"),
    ("logging_configs", "APPLICATION_LOGS", "list of LoggingConfig"),
    ("logging_configs", [{"log_type": "APPLICATION_LOGS"}], r"\[0\] must be a LoggingConfig"),
]


@pytest.mark.parametrize(("prop", "value", "expected"), WRONG_TYPES, ids=[f"{p}-{type(v).__name__}"
                                                                          for p, v, _ in WRONG_TYPES])
def test_fails_when_an_option_has_the_wrong_type(stack: cdk.Stack, prop: str, value: object, expected: str) -> None:
    with pytest.raises(ConstructsLibValidationError, match=rf"{prop}.*{expected}") as exc:
        agent(stack, **{prop: value})
    assert exc.value.code == "InvalidProps"


def test_wrong_types_are_listed_together(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match=r"platform_version.*; tracing_enabled") as exc:
        agent(stack, platform_version="V2", tracing_enabled="yes")
    assert exc.value.code == "InvalidProps"


# -- request headers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("names", "expected"), [
    (("Host",), r"'Host' is restricted by AgentCore"),
    (("X-Amz-Security-Token",), r"'X-Amz-Security-Token' starts with a prefix AgentCore reserves"),
    (("X-Tenant", "x-tenant"), r"header names are case-insensitive"),
    ((), r"must list at least one header"),
], ids=["restricted", "reserved-prefix", "duplicate", "empty"])
def test_fails_when_a_header_is_not_forwardable(stack: cdk.Stack, names: tuple[str, ...], expected: str) -> None:
    with pytest.raises(ConstructsLibValidationError,
                       match=rf"request_header_configuration.allowlisted_headers.*{expected}") as exc:
        agent(stack, request_header_configuration=headers(*names))
    assert exc.value.code == "InvalidRequestHeaders"


def test_fails_on_too_many_headers_before_the_l2_does(stack: cdk.Stack) -> None:
    # GIVEN 21 headers (the L2 would raise its own jsii error) WHEN defined THEN the library's error with the quota
    with pytest.raises(ConstructsLibValidationError, match=r"lists 21 headers, more than 20.*request headers") as exc:
        agent(stack, request_header_configuration=headers(*[f"X-H{i}" for i in range(21)]))
    assert exc.value.code == "InvalidRequestHeaders"


@pytest.mark.parametrize("authorizer", [None, agentcore.RuntimeAuthorizerConfiguration.using_iam()],
                         ids=["default", "iam"])
def test_fails_when_authorization_is_forwarded_without_a_jwt_authorizer(
    stack: cdk.Stack, authorizer: agentcore.RuntimeAuthorizerConfiguration | None
) -> None:
    with pytest.raises(ConstructsLibValidationError, match=r"forwards Authorization.*JWT authorizer") as exc:
        agent(stack, authorizer_configuration=authorizer, request_header_configuration=headers("authorization"))
    assert exc.value.code == "AuthorizationHeaderWithoutJwt"


def test_token_headers_are_not_guessed(stack: cdk.Stack) -> None:
    # GIVEN one header that is a token WHEN defined THEN the others are checked, the token is said to be unchecked
    token = cdk.Token.as_string(cdk.Fn.ref("HeaderName"))
    agent(stack, request_header_configuration=headers(token, "X-Api-Key"))
    Annotations.from_stack(stack).has_info("/TestStack/Agent", Match.string_like_regexp(
        r"\[TokenNotChecked\] a header of request_header_configuration.allowlisted_headers is an unresolved token"))
    with pytest.raises(ConstructsLibValidationError, match="'Host' is restricted"):
        agent(cdk.Stack(cdk.App(), "Other"), request_header_configuration=headers(token, "Host"))


def test_a_token_header_list_is_not_guessed(stack: cdk.Stack) -> None:
    # GIVEN the whole list as a token (a parameter, which the L2 would refuse) WHEN defined THEN it is rendered
    # unchecked, and said so
    listed = cdk.Token.as_list(cdk.Fn.split(",", cdk.Fn.ref("HeaderNames")))
    agent(stack, request_header_configuration=agentcore.RequestHeaderConfiguration(allowlisted_headers=listed))
    Annotations.from_stack(stack).has_info("/TestStack/Agent", Match.string_like_regexp(
        r"\[TokenNotChecked\] request_header_configuration.allowlisted_headers is an unresolved token"))
    Template.from_stack(stack).has_resource_properties(RUNTIME, {"RequestHeaderConfiguration": {
        "RequestHeaderAllowlist": {"Fn::Split": [",", {"Ref": "HeaderNames"}]}}})


# -- platform version --------------------------------------------------------------------------------------------


def test_fails_when_v2_is_not_available_in_the_region(make_stack: Any) -> None:
    stack = make_stack(env=cdk.Environment(account="123456789012", region="eu-south-1"))
    with pytest.raises(ConstructsLibValidationError,
                       match=r"platform_version V2 is not available in eu-south-1") as exc:
        agent(stack, platform_version=agentcore.PlatformVersion.V2)
    assert exc.value.code == "PlatformVersionNotInRegion"
    # V1 is everywhere
    agent(make_stack(env=cdk.Environment(account="123456789012", region="eu-south-1")),
          platform_version=agentcore.PlatformVersion.V1)


def test_v2_in_an_environment_agnostic_stack_is_not_guessed(make_stack: Any) -> None:
    stack = make_stack(env=None)
    agent(stack, platform_version=agentcore.PlatformVersion.V2)
    Annotations.from_stack(stack).has_info("/TestStack/Agent", Match.string_like_regexp(
        r"\[TokenNotChecked\] the stack's region is an unresolved token.*platform_version V2"))


# -- every option at once, under the external validators -----------------------------------------------------------


def test_an_agent_with_every_option_is_clean_under_cdk_nag_and_cfn_lint(tmp_path: Path) -> None:
    # GIVEN a VPC runtime on V2 with headers, a JWT authorizer, log delivery, tracing and encrypted log groups
    app = cdk.App(outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = cdk.Stack(app, "TestStack", env=ENV)
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-12345678", availability_zones=["us-east-1a"],
                                      private_subnet_ids=["subnet-0b0b0b0b0b0b0b0b0"],
                                      private_subnet_route_table_ids=["rtb-0b0b0b0b0b0b0b0b0"])
    delivered = logs.LogGroup(stack, "Delivered", retention=logs.RetentionDays.ONE_MONTH)
    agent(stack, endpoints=["prod"], platform_version=agentcore.PlatformVersion.V2,
          protocol_configuration=agentcore.ProtocolType.MCP,
          authorizer_configuration=agentcore.RuntimeAuthorizerConfiguration.using_jwt(
              DISCOVERY_URL, allowed_clients=["client-1"]),
          request_header_configuration=headers("Authorization", "X-Tenant-Id"),
          network_configuration=agentcore.RuntimeNetworkConfiguration.using_vpc(
              Construct(stack, "AgentNetwork"), vpc=vpc),
          logging_configs=[agentcore.LoggingConfig(log_type=agentcore.LogType.APPLICATION_LOGS,
                                                   destination=agentcore.LoggingDestination.cloud_watch_logs(delivered))],
          tracing_enabled=True, log_encryption_key=kms.Key(stack, "LogKey", enable_key_rotation=True),
          log_retention=logs.RetentionDays.SIX_MONTHS)
    # WHEN synthesized with cdk-nag AwsSolutions THEN nothing is left open, and cfn-lint agrees
    app.synth()
    assert_clean(tmp_path)
    assert_cfn_lint_clean(tmp_path / "TestStack.template.json")
