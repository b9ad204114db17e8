"""AgentWebSocketFacade: routes, authorization, stage throttling and logging, proxy wiring, synth-time checks."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Capture, Match, Template

from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.handlers import contract
from constructs_lib.handlers.websocket_proxy import WebSocketProxy
from constructs_lib.handlers.websocket_relay import WebSocketRelay
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.serving.auth import FacadeAuth
from constructs_lib.serving.payload_staging import PayloadStaging
from constructs_lib.serving.websocket_facade import ACCESS_LOG_FORMAT, AgentWebSocketFacade
from tests.conftest import ENV

from ._fixtures import make_agent, packaged_proxy, synth_error_codes, synth_errors

PATH = "/TestStack/WebSocket"


def _facade(stack: cdk.Stack, workload: WorkloadProfile | None = None, **kwargs: object) -> AgentWebSocketFacade:
    agent = make_agent(stack, workload=workload or WorkloadProfile(peak_requests_per_second=20), endpoints=["prod"])
    return AgentWebSocketFacade(stack, "WebSocket", agent=agent, **kwargs)  # type: ignore[arg-type]


def _route(template: Template, key: str) -> dict:
    routes = template.find_resources("AWS::ApiGatewayV2::Route", {"Properties": {"RouteKey": key}})
    (route,) = routes.values()
    return route["Properties"]


def test_websocket_api_has_connect_disconnect_and_default_routes_with_iam_on_connect(stack: cdk.Stack) -> None:
    # GIVEN / WHEN a facade with default settings
    _facade(stack)
    template = Template.from_stack(stack)
    # THEN a WebSocket API with three routes to the proxy, IAM on $connect
    template.has_resource_properties("AWS::ApiGatewayV2::Api", {"ProtocolType": "WEBSOCKET"})
    assert _route(template, "$connect")["AuthorizationType"] == "AWS_IAM"
    assert _route(template, "$disconnect")["AuthorizationType"] == "NONE"
    assert _route(template, "$default")["AuthorizationType"] == "NONE"
    template.resource_count_is("AWS::ApiGatewayV2::Route", 3)
    template.has_resource_properties("AWS::ApiGatewayV2::Integration", {"IntegrationType": "AWS_PROXY"})


def test_stage_throttles_from_the_plan_and_writes_access_logs(stack: cdk.Stack) -> None:
    facade = _facade(stack)
    template = Template.from_stack(stack)
    log_group = Capture()
    template.has_resource_properties("AWS::ApiGatewayV2::Stage", {
        "StageName": "prod",
        "AutoDeploy": True,
        "DefaultRouteSettings": {"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 40},
        "AccessLogSettings": {"DestinationArn": {"Fn::GetAtt": [log_group, "Arn"]}, "Format": ACCESS_LOG_FORMAT},
    })
    assert log_group.as_string().startswith("WebSocketAccessLogs")
    # the same log retention as the REST facade: one month (the agent's runtime log groups keep their own)
    facade_groups = [group for logical_id, group in template.find_resources("AWS::Logs::LogGroup").items()
                     if logical_id.startswith("WebSocket")]
    assert facade_groups and all(group["Properties"]["RetentionInDays"] == 30 for group in facade_groups)
    assert json.loads(ACCESS_LOG_FORMAT)["connectionId"] == "$context.connectionId"
    assert (facade.throttle_rate_limit, facade.throttle_burst_limit) == (20, 40)


def test_the_relay_is_arm64_traced_logged_and_configured_from_the_catalog(stack: cdk.Stack) -> None:
    _facade(stack)
    catalog = QuotaCatalog()
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Lambda::Function", {
        "Runtime": "python3.14",
        "Architectures": ["arm64"],
        "Handler": "websocket_relay.handler",
        "TracingConfig": {"Mode": "Active"},
        "LoggingConfig": {"LogGroup": {"Ref": Match.string_like_regexp("WebSocketRelayLogGroup")}},
        "Timeout": int(catalog.value(QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT)),
        "Layers": [{"Ref": Match.string_like_regexp("^SsmParameterValueawsservicepowertoolspython")}],
        "Environment": {"Variables": Match.object_like({
            "AGENT_QUALIFIER": "prod",
            # the relay's read timeout stays below its function timeout
            "AGENT_READ_TIMEOUT_SECONDS": f"{catalog.value(QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT) - 3:g}",
            "AGENT_MAX_ATTEMPTS": "1",
            "FRAME_BYTES": str(int(catalog.value(QuotaName.API_GATEWAY_WEBSOCKET_FRAME_SIZE))),
            "MAX_FRAMES_PER_SECOND": f"{catalog.value(QuotaName.WEBSOCKET_FRAMES_PER_SECOND):g}",
            "CONNECTIONS_TABLE": {"Ref": Match.string_like_regexp("WebSocketConnections")},
            "AGENT_RUNTIME_ARN": {"Fn::GetAtt": [Match.string_like_regexp("^Agent"), "AgentRuntimeArn"]},
            "SEND_RUNTIME_USER_ID": "true",
            "CALLBACK_URL": Match.any_value(),
        })},
    })
    # AND a retried relay would run the agent's task again: asynchronous retries are off
    template.has_resource_properties("AWS::Lambda::EventInvokeConfig", {
        "FunctionName": {"Ref": Match.string_like_regexp("^WebSocketRelayFunction")}, "MaximumRetryAttempts": 0})


def test_the_route_proxy_answers_within_the_websocket_integration_timeout_and_hands_off(stack: cdk.Stack) -> None:
    _facade(stack)
    catalog = QuotaCatalog()
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {
        "Handler": "websocket_proxy.handler",
        "Timeout": int(catalog.value(QuotaName.API_GATEWAY_WEBSOCKET_INTEGRATION_TIMEOUT)),
        "Environment": {"Variables": Match.object_like({
            "CONNECTION_TTL_SECONDS": str(int(catalog.value(QuotaName.API_GATEWAY_WEBSOCKET_CONNECTION_DURATION))),
            "MAX_REQUEST_BYTES": str(int(catalog.value(QuotaName.API_GATEWAY_WEBSOCKET_MESSAGE_SIZE))),
            "RELAY_FUNCTION_ARN": {"Fn::GetAtt": [Match.string_like_regexp("^WebSocketRelayFunction"), "Arn"]},
        })},
    })


def test_connections_table_has_ttl_pitr_encryption_and_is_retained(stack: cdk.Stack) -> None:
    _facade(stack)
    template = Template.from_stack(stack)
    template.has_resource("AWS::DynamoDB::Table", {
        "DeletionPolicy": "Retain",
        "Properties": {
            "KeySchema": [{"AttributeName": "connectionId", "KeyType": "HASH"}],
            "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "BillingMode": "PAY_PER_REQUEST",
        },
    })


def _statements(template: Template, role: str) -> dict[str, Any]:
    policies = template.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [
        {"Ref": Match.string_like_regexp(role)}]}})
    (policy,) = policies.values()
    return {json.dumps(s["Action"]): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_each_function_is_allowed_exactly_what_it_uses(stack: cdk.Stack) -> None:
    _facade(stack)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    template.has_resource_properties("AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Statement": [Match.object_like(
            {"Principal": {"Service": "lambda.amazonaws.com"}})]},
        "ManagedPolicyArns": Match.absent(),
    })
    # THEN the route proxy records connections, stops the sessions of ended ones and invokes the relay (unqualified)
    proxy = _statements(template, "WebSocketProxyServiceRole")
    stop = proxy['"bedrock-agentcore:StopRuntimeSession"']
    assert stop["Resource"][1]["Fn::Join"][1][-1] == "/runtime-endpoint/prod"
    assert json.dumps(["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]) in proxy
    functions = template.find_resources("AWS::Lambda::Function")
    relay_id = next(k for k in functions if k.startswith("WebSocketRelayFunction"))
    assert proxy['"lambda:InvokeFunction"']["Resource"] == {"Fn::GetAtt": [relay_id, "Arn"]}
    assert not any("InvokeAgentRuntime" in k for k in proxy)
    # AND the relay invokes the agent as the caller, stops sessions it abandons, keeps its idempotency records
    relay = _statements(template, "WebSocketRelayServiceRole")
    agentcore = relay[json.dumps(["bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:InvokeAgentRuntimeForUser",
                                  "bedrock-agentcore:StopRuntimeSession"])]
    assert agentcore["Resource"][1]["Fn::Join"][1][-1] == "/runtime-endpoint/prod"
    assert json.dumps(["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]) in relay
    # AND both post to this stage's connections only
    for statements in (proxy, relay):
        manage = statements['"execute-api:ManageConnections"']
        assert manage["Resource"]["Fn::Join"][1][-1] == "/prod/POST/@connections/*"


def test_lambda_request_authorizer(stack: cdk.Stack) -> None:
    authorizer = lambda_.Function(stack, "Auth", runtime=lambda_.Runtime.PYTHON_3_14, handler="a.handler",
                                  code=lambda_.Code.from_inline("def handler(e, c): pass"))
    _facade(stack, auth=FacadeAuth.lambda_authorizer(
        authorizer, identity_source=["route.request.querystring.token"]))
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ApiGatewayV2::Authorizer", {
        "AuthorizerType": "REQUEST", "IdentitySource": ["route.request.querystring.token"],
    })
    assert _route(template, "$connect")["AuthorizationType"] == "CUSTOM"


def test_lambda_authorizer_reads_the_authorization_header_by_default(stack: cdk.Stack) -> None:
    authorizer = lambda_.Function(stack, "Auth", runtime=lambda_.Runtime.PYTHON_3_14, handler="a.handler",
                                  code=lambda_.Code.from_inline("def handler(e, c): pass"))
    _facade(stack, auth=FacadeAuth.lambda_authorizer(authorizer))
    Template.from_stack(stack).has_resource_properties("AWS::ApiGatewayV2::Authorizer", {
        "IdentitySource": ["route.request.header.Authorization"]})


@pytest.mark.parametrize("auth", ["cognito", "cached", "rest source"])
def test_fails_when_the_auth_is_not_one_a_websocket_api_supports(stack: cdk.Stack, auth: str) -> None:
    from aws_cdk import aws_cognito as cognito

    function = lambda_.Function(stack, "Auth", runtime=lambda_.Runtime.PYTHON_3_14, handler="a.handler",
                                code=lambda_.Code.from_inline("def handler(e, c): pass"))
    choices = {
        "cognito": FacadeAuth.cognito(cognito.UserPool(stack, "Pool")),
        "cached": FacadeAuth.lambda_authorizer(function, results_cache_ttl=cdk.Duration.minutes(5)),
        "rest source": FacadeAuth.lambda_authorizer(function, identity_source="method.request.header.Authorization"),
    }
    with pytest.raises(ConstructsLibValidationError) as exc:
        _facade(stack, auth=choices[auth])
    assert exc.value.code == "UnsupportedAuth"


def test_fails_when_auth_is_not_a_facade_auth(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="auth must be a FacadeAuth") as exc:
        _facade(stack, auth="iam")
    assert exc.value.code == "InvalidProps"


def test_unauthenticated_api_only_by_opt_in_and_with_a_warning(stack: cdk.Stack) -> None:
    _facade(stack, auth=FacadeAuth.none())
    template = Template.from_stack(stack)
    assert _route(template, "$connect")["AuthorizationType"] == "NONE"
    Annotations.from_stack(stack).has_warning(PATH, Match.string_like_regexp(
        r"\[UnauthenticatedApi\] the WebSocket API .* accepts unauthenticated requests"))


def test_iam_authorization_draws_no_warning(stack: cdk.Stack) -> None:
    _facade(stack)
    Annotations.from_stack(stack).has_no_warning(PATH, Match.any_value())


def test_grant_connect_allows_invoke_on_connect_route(stack: cdk.Stack) -> None:
    facade = _facade(stack)
    client = iam.Role(stack, "Client", assumed_by=iam.AccountRootPrincipal())
    facade.grant_connect(client)
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [
        {"Ref": Match.string_like_regexp("Client")}]}})
    (policy,) = policies.values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"]["Fn::Join"][1][-1] == "/prod/$connect"


def test_metrics_use_the_stage(stack: cdk.Stack) -> None:
    facade = _facade(stack)
    metric = facade.metric_message_count()
    assert (metric.namespace, metric.metric_name, metric.statistic) == ("AWS/ApiGateway", "MessageCount", "Sum")
    assert stack.resolve(metric.dimensions)["Stage"] == "prod"
    assert facade.metric_connect_count().metric_name == "ConnectCount"
    assert facade.metric_client_errors().metric_name == "ClientError"
    assert facade.metric_integration_errors().metric_name == "IntegrationError"


# -- synth-time checks ---------------------------------------------------------------------------------


def test_fails_when_frame_exceeds_api_gateway_frame_size(stack: cdk.Stack) -> None:
    # GIVEN frames within AgentCore's 64 KiB (2026-09) but above API Gateway's frame size
    workload = WorkloadProfile(websocket_frame_size=cdk.Size.kibibytes(48))
    # WHEN the facade is built THEN synthesis fails with the quota and the ways out
    (message,) = synth_errors(_facade(stack, workload))
    assert message.startswith("[WebSocketFrameExceedsApiGateway] websocket_frame_size 48 KiB exceeds 32 KiB")
    assert "Amazon API Gateway quota 'WebSocket frame size'" in message
    assert "PayloadStaging" in message and "InvokeAgentRuntimeWithWebSocketStream" in message


def test_frame_within_api_gateway_frame_size_passes(stack: cdk.Stack) -> None:
    assert synth_errors(_facade(stack, WorkloadProfile(websocket_frame_size=cdk.Size.kibibytes(32)))) == []


def test_fails_when_payload_exceeds_websocket_message_size_without_staging(stack: cdk.Stack) -> None:
    (message,) = synth_errors(_facade(stack, WorkloadProfile(max_payload=cdk.Size.mebibytes(1))))
    assert message.startswith("[PayloadStagingRequired] max_payload 1 MiB exceeds")
    assert "WebSocket message payload size" in message and "staging=PayloadStaging" in message


def test_every_hard_limit_is_reported_at_once(stack: cdk.Stack) -> None:
    # GIVEN a workload that crosses three of the WebSocket front door's hard limits
    facade = _facade(stack, WorkloadProfile(websocket_frame_size=cdk.Size.kibibytes(48),
                                            max_payload=cdk.Size.mebibytes(1), longest_task=cdk.Duration.minutes(40)))
    # THEN all three fail synthesis together (no exception stops at the first)
    assert sorted(synth_error_codes(facade)) == [
        "PayloadStagingRequired", "WebSocketFrameExceedsApiGateway", "WebSocketRelayTimeout"]


def test_large_payload_with_staging_passes_with_an_info(stack: cdk.Stack) -> None:
    # GIVEN payloads above a WebSocket message, and a staging bucket
    staging = PayloadStaging(stack, "Staging")
    facade = _facade(stack, WorkloadProfile(max_payload=cdk.Size.mebibytes(50)), staging=staging)
    assert synth_errors(facade) == []
    Annotations.from_stack(stack).has_info(PATH, Match.string_like_regexp(
        r"\[PayloadStagingInUse\] .*payload staging bucket"))
    template = Template.from_stack(stack)
    # THEN the proxy knows the bucket and may sign uploads under inputs/
    template.has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables": Match.object_like({
        "PAYLOAD_STAGING_BUCKET": {"Ref": Match.string_like_regexp("Staging")},
        "PAYLOAD_STAGING_INPUT_PREFIX": "inputs/chat_agent/",
        "PAYLOAD_STAGING_MAX_OBJECT_BYTES": str(100 * 1024 * 1024),
    })}})
    template.has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": Match.string_like_regexp("WebSocketProxyServiceRole")}],
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Action": "s3:PutObject"})])},
    })
    # AND the agent reads its inputs
    template.has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": Match.string_like_regexp("^AgentExecutionRole")}],
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Action": "s3:GetObject"})])},
    })


def test_fails_when_task_outlasts_the_lambda_relay(stack: cdk.Stack) -> None:
    (message,) = synth_errors(_facade(stack, WorkloadProfile(longest_task=cdk.Duration.minutes(40))))
    assert message.startswith("[WebSocketRelayTimeout] longest_task 40 min exceeds")
    assert "asynchronous" in message and "function timeout" in message


def test_asynchronous_agent_answers_at_once_and_fits_the_relay(stack: cdk.Stack) -> None:
    assert synth_errors(_facade(stack, WorkloadProfile(longest_task=cdk.Duration.hours(3)))) == []
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {
        "Timeout": int(QuotaCatalog().value(QuotaName.LAMBDA_TIMEOUT)),
    })


def test_frame_rate_above_stage_throttle_warns(stack: cdk.Stack) -> None:
    _facade(stack, WorkloadProfile(peak_requests_per_second=20, websocket_frames_per_second=100))
    Annotations.from_stack(stack).has_warning(PATH, Match.string_like_regexp(
        r"\[WebSocketFrameRateAboveStageThrottle\] websocket_frames_per_second 100"))


def test_frame_rate_above_agentcore_quota_is_a_plan_error(stack: cdk.Stack) -> None:
    # The AgentCore frames-per-second quota is enforced by the agent's plan (a hard limit).
    facade = _facade(stack, WorkloadProfile(websocket_frames_per_second=300))
    assert facade.agent.plan.finding("WebSocketFrameRateTooHigh") is not None


def test_throttle_above_plan_warns(stack: cdk.Stack) -> None:
    _facade(stack, throttle_rate_limit=5000, throttle_burst_limit=5000)
    Annotations.from_stack(stack).has_warning(PATH, Match.string_like_regexp(
        r"\[ThrottleAboveInvokeQuota\] throttle_rate_limit 5000"))
    Template.from_stack(stack).has_resource_properties("AWS::ApiGatewayV2::Stage", {
        "DefaultRouteSettings": {"ThrottlingRateLimit": 5000, "ThrottlingBurstLimit": 5000},
    })


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (10, 0), (10, 2.5)])
def test_fails_when_throttle_is_not_positive(stack: cdk.Stack, rate: float, burst: float) -> None:
    # the same rule and code as the REST facade: a positive rate, a burst of at least 1
    with pytest.raises(ConstructsLibValidationError) as exc:
        _facade(stack, throttle_rate_limit=rate, throttle_burst_limit=burst)
    assert exc.value.code == "InvalidThrottle"


def test_fails_when_connection_records_expire_before_connections_can_end(stack: cdk.Stack) -> None:
    (message,) = synth_errors(_facade(stack, connection_record_ttl=cdk.Duration.minutes(30)))
    assert message.startswith("[ConnectionRecordTtlTooShort] connection_record_ttl 30 min is shorter than")
    assert "WebSocket connection duration" in message


def test_a_token_connection_record_ttl_is_not_checked(stack: cdk.Stack) -> None:
    seconds = cdk.CfnParameter(stack, "Ttl", type="Number").value_as_number
    facade = _facade(stack, connection_record_ttl=cdk.Duration.seconds(seconds))
    assert synth_errors(facade) == []
    Annotations.from_stack(stack).has_info(PATH, Match.string_like_regexp(
        r"\[TokenNotChecked\] connection_record_ttl is an unresolved token"))
    # AND the proxy gets the parameter itself, not a number made up from the token
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables":
        Match.object_like({"CONNECTION_TTL_SECONDS": {"Ref": "Ttl"}})}})


def test_the_functions_start_with_exactly_what_the_template_sets(tmp_path: object) -> None:
    # GIVEN a synthesized facade with staging
    from pathlib import Path

    outdir = Path(str(tmp_path))
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Packaged", env=ENV)
    agent = make_agent(stack, workload=WorkloadProfile(peak_requests_per_second=20), endpoints=["prod"])
    facade = AgentWebSocketFacade(stack, "WebSocket", agent=agent, staging=PayloadStaging(stack, "Staging"))
    app.synth()
    template = Template.from_stack(stack)
    package, variables = packaged_proxy(template, outdir, "websocket_proxy.handler",
                                        CALLBACK_URL="https://abc.execute-api.us-east-1.amazonaws.com/prod")
    _, relay_variables = packaged_proxy(template, outdir, "websocket_relay.handler",
                                        CALLBACK_URL="https://abc.execute-api.us-east-1.amazonaws.com/prod")
    # THEN one asset holds both handlers, what they import and the contract
    assert sorted(p.name for p in package.iterdir()) == [
        "agent_calls.py", "caller.py", "clients.py", "contract.py", "inputs.py", "rollout.py", "session_budget.py",
        "staging_urls.py",
        "websocket_proxy.py", "websocket_relay.py"]
    # AND each starts from the template's environment alone (it has no fallback for any setting)
    proxy = WebSocketProxy(environ=variables)
    relay = WebSocketRelay(environ=relay_variables)
    assert relay.frame_bytes == facade.fit.frame_bytes and relay.send_user_id
    assert proxy.session_rule.accepts(proxy.session_rule.new_id())
    assert proxy.staging is not None and proxy.staging.input_prefix == "inputs/chat_agent/"
    # AND without any one of them it does not start
    for name in variables:
        if name.startswith(("PAYLOAD_STAGING_", "POWERTOOLS_")):
            continue  # staging is optional as a whole; Powertools' own settings have defaults
        with pytest.raises(contract.ConfigurationError, match=name):
            WebSocketProxy(environ={k: v for k, v in variables.items() if k != name})
    for name in relay_variables:
        if name.startswith("POWERTOOLS_"):
            continue
        with pytest.raises(contract.ConfigurationError, match=name):
            WebSocketRelay(environ={k: v for k, v in relay_variables.items() if k != name})


def test_the_api_is_the_primary_child(stack: cdk.Stack) -> None:
    facade = _facade(stack)
    assert facade.node.default_child is facade.api and facade.api.node.id == "Resource"


def test_fails_when_qualifier_is_not_an_endpoint(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="canary") as exc:
        _facade(stack, qualifier="canary")
    assert exc.value.code == "UnknownQualifier"


def test_token_throttle_skips_the_plan_check_with_an_info(stack: cdk.Stack) -> None:
    rate = cdk.CfnParameter(stack, "Rate", type="Number")
    _facade(stack, throttle_rate_limit=rate.value_as_number)
    annotations = Annotations.from_stack(stack)
    annotations.has_info(PATH, Match.string_like_regexp(
        r"\[TokenNotChecked\] throttle_rate_limit or throttle_burst_limit is an unresolved token"
    ))
    annotations.has_no_warning(PATH, Match.any_value())


def test_the_websocket_api_name_is_derived_from_the_stack_and_path(stack: cdk.Stack) -> None:
    # GIVEN a WebSocket facade that names no API WHEN synthesized THEN its name is unique per stack and path
    _facade(stack)
    Template.from_stack(stack).has_resource_properties(
        "AWS::ApiGatewayV2::Api", {"Name": "TestStack-WebSocket", "ProtocolType": "WEBSOCKET"}
    )
