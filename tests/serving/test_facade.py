"""AgentApiFacade: secure defaults, routes, throttling, timeouts per invocation mode, auth options, WAF."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Capture, Match, Template

from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.handlers import contract, invoke_proxy
from constructs_lib.limits.service import SESSION_HEADER, SESSION_ID_PATTERN
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.auth import FacadeAuth
from tests.conftest import ENV, RESEARCH_CODE
from tests.serving._fixtures import packaged_proxy, synth_error_codes, synth_errors


def agent(stack: cdk.Stack, name: str = "chat_agent", **workload: Any) -> AgentCoreAgent:
    return AgentCoreAgent(
        stack, name.title().replace("_", ""), runtime_name=name, artifact=AgentArtifact.from_code(RESEARCH_CODE),
        workload=WorkloadProfile(**workload),
    )


def statements(template: Template) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_defaults_are_secure_and_derived_from_the_plan(stack: cdk.Stack) -> None:
    # GIVEN a synchronous agent with a stated peak
    chat = agent(stack, peak_requests_per_second=40)
    # WHEN it gets a facade with no options
    api = AgentApiFacade(stack, "Api", agent=chat)
    template = Template.from_stack(stack)
    # THEN every method uses IAM auth and request validation
    methods = template.find_resources("AWS::ApiGateway::Method")
    assert methods, "no methods"
    for method in methods.values():
        assert method["Properties"]["AuthorizationType"] == "AWS_IAM"
        assert "RequestValidatorId" in method["Properties"]
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestBody": True, "ValidateRequestParameters": True}
    )
    # AND the stage logs access, traces, logs errors (no bodies) and throttles at the plan's rate
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "TracingEnabled": True,
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "MethodSettings": Match.array_with([
                Match.object_like({
                    "HttpMethod": "*", "ResourcePath": "/*", "LoggingLevel": "ERROR", "DataTraceEnabled": False,
                    "ThrottlingRateLimit": chat.plan.api_throttle_rate,
                    "ThrottlingBurstLimit": chat.plan.api_throttle_burst,
                })
            ]),
        },
    )
    template.has_resource_properties(
        "AWS::ApiGateway::UsagePlan",
        {"Throttle": {"RateLimit": chat.plan.api_throttle_rate, "BurstLimit": chat.plan.api_throttle_burst}},
    )
    template.has_resource_properties("AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["REGIONAL"]}})
    # AND the proxy is an ARM64 Python function with tracing, invoking the default qualifier
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Architectures": ["arm64"],
            "Runtime": Match.string_like_regexp("python3.1[2-9]"),
            "TracingConfig": {"Mode": "Active"},
            "Handler": "invoke_proxy.handler",
            "Timeout": 29,
            # One attempt: a retried read timeout would run the task twice and overrun the 29 s
            "Environment": {"Variables": Match.object_like({
                "AGENT_QUALIFIER": "DEFAULT", "AGENT_MAX_ATTEMPTS": "1", "AGENT_READ_TIMEOUT_SECONDS": "26",
                # the session-id rule reaches the proxy from limits/service.py (the handler has no copy of it)
                "SESSION_HEADER": SESSION_HEADER, "SESSION_ID_PATTERN": SESSION_ID_PATTERN.pattern,
            })},
        },
    )
    assert api.url and api.proxy_function is not None and api.jobs is None and not api.streaming
    # AND the RestApi is the construct's primary child
    assert api.node.default_child is api.api and api.api.node.id == "Resource"


def test_only_the_invoke_route_exists_for_a_synchronous_agent(stack: cdk.Stack) -> None:
    AgentApiFacade(stack, "Api", agent=agent(stack))
    template = Template.from_stack(stack)
    paths = [r["Properties"]["PathPart"] for r in template.find_resources("AWS::ApiGateway::Resource").values()]
    assert paths == ["invoke"]
    template.resource_count_is("AWS::DynamoDB::Table", 0)
    template.resource_count_is("AWS::WAFv2::WebACL", 0)


def proxy_statements(template: Template) -> list[dict[str, Any]]:
    """The statements of the proxy's role policy."""
    policies = template.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [
        {"Ref": Match.string_like_regexp("^ApiProxyServiceRole")}]}})
    return [s for policy in policies.values() for s in policy["Properties"]["PolicyDocument"]["Statement"]]


def prefixes(found: list[dict[str, Any]], action: str) -> list[str]:
    """The object prefixes ``action`` is granted on, sorted."""
    resources = [r for s in found if action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
                 for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
    return sorted(r["Fn::Join"][1][-1] for r in resources)


def test_the_proxy_may_invoke_only_its_runtime_and_endpoint(stack: cdk.Stack) -> None:
    chat = agent(stack)
    AgentApiFacade(stack, "Api", agent=chat)
    found = statements(Template.from_stack(stack))
    invoke = [s for s in found if "bedrock-agentcore:InvokeAgentRuntime" in s["Action"]]
    assert len(invoke) == 1
    rendered = json.dumps(invoke[0]["Resource"])
    assert "runtime-endpoint/DEFAULT" in rendered and "/*" not in rendered


@pytest.mark.parametrize(("options", "actions"), [
    # buffered answers: invoke, as the caller
    ({}, ["bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:InvokeAgentRuntimeForUser"]),
    ({"send_runtime_user_id": False}, ["bedrock-agentcore:InvokeAgentRuntime"]),
    # streams and jobs stop the sessions they abandon
    ({"streaming": True}, ["bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:InvokeAgentRuntimeForUser",
                           "bedrock-agentcore:StopRuntimeSession"]),
    ({"jobs": True, "invoke_route": False, "send_runtime_user_id": False},
     ["bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:StopRuntimeSession"]),
])
def test_the_proxy_is_allowed_exactly_the_agentcore_actions_it_uses(
    stack: cdk.Stack, options: dict[str, Any], actions: list[str]
) -> None:
    api = AgentApiFacade(stack, "Api", agent=agent(stack), **options)
    found = [s for s in proxy_statements(Template.from_stack(stack)) if "bedrock-agentcore" in json.dumps(s["Action"])]
    (statement,) = found
    assert sorted(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]) == actions
    assert "runtime-endpoint/DEFAULT" in json.dumps(statement["Resource"])
    variables = Capture()
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {
        "Handler": "invoke_proxy.handler", "Environment": {"Variables": variables}})
    assert variables.as_object()["SEND_RUNTIME_USER_ID"] == ("false" if "send_runtime_user_id" in options else "true")
    assert api.send_runtime_user_id is ("send_runtime_user_id" not in options)


def test_the_proxy_runs_on_the_powertools_layer_resolved_from_its_public_parameter(stack: cdk.Stack) -> None:
    from constructs_lib._cdk.functions import POWERTOOLS_VERSION

    AgentApiFacade(stack, "Api", agent=agent(stack))
    template = Template.from_stack(stack)
    layers = Capture()
    template.has_resource_properties("AWS::Lambda::Function", {"Handler": "invoke_proxy.handler",
                                                                "Layers": [layers]})
    parameter = template.to_json()["Parameters"][layers.as_object()["Ref"]]
    assert parameter == {"Type": "AWS::SSM::Parameter::Value<String>",
                         "Default": f"/aws/service/powertools/python/arm64/python3.14/{POWERTOOLS_VERSION}"}


def test_the_proxy_is_told_the_limits_of_its_path_from_the_catalog(stack: cdk.Stack) -> None:
    from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
    from constructs_lib.planning.serving import rest_inline_limit

    AgentApiFacade(stack, "Api", agent=agent(stack), streaming=True)
    variables = Capture()
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {
        "Handler": "invoke_proxy.handler", "Environment": {"Variables": variables}})
    catalog = QuotaCatalog()
    found = variables.as_object()
    assert found["MAX_REQUEST_BYTES"] == str(int(rest_inline_limit(catalog, "us-east-1").bytes))
    assert found["MAX_RESPONSE_BYTES"] == str(int(catalog.value(QuotaName.LAMBDA_SYNC_RESPONSE_PAYLOAD)))
    idle = catalog.value(QuotaName.API_GATEWAY_STREAM_IDLE_TIMEOUT_REGIONAL)
    assert 0 < float(found["STREAM_KEEPALIVE_SECONDS"]) < idle
    assert found["AWS_LAMBDA_EXEC_WRAPPER"] == "/var/task/invoke_proxy_stream.sh"


def test_fails_when_send_runtime_user_id_is_not_a_bool(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="send_runtime_user_id must be True or False") as exc:
        AgentApiFacade(stack, "Api", agent=agent(stack), send_runtime_user_id="yes")  # type: ignore[arg-type]
    assert exc.value.code == "InvalidProps"


def test_default_request_model_requires_a_prompt(stack: cdk.Stack) -> None:
    AgentApiFacade(stack, "Api", agent=agent(stack))
    schema = Capture()
    Template.from_stack(stack).has_resource_properties(
        "AWS::ApiGateway::Model", {"ContentType": "application/json", "Schema": schema}
    )
    assert schema.as_object()["required"] == ["prompt"]
    assert schema.as_object()["properties"]["sessionId"]["pattern"] == SESSION_ID_PATTERN.pattern
    assert schema.as_object()["$schema"].startswith("http://json-schema.org/draft-04/")


def test_a_custom_request_schema_is_used_as_given(stack: cdk.Stack) -> None:
    custom = {"type": "object", "required": ["question"], "properties": {"question": {"type": "string"}}}
    AgentApiFacade(stack, "Api", agent=agent(stack), request_schema=custom)
    Template.from_stack(stack).has_resource_properties(
        "AWS::ApiGateway::Model", {"Schema": Match.object_like({"required": ["question"]})}
    )


@pytest.mark.parametrize("schema", [{"type": "array"}, {"type": "object", "required": "prompt"}, ["prompt"]])
def test_fails_when_the_request_schema_is_invalid(stack: cdk.Stack, schema: Any) -> None:
    with pytest.raises(ConstructsLibValidationError, match="request_schema") as exc:
        AgentApiFacade(stack, "Api", agent=agent(stack), request_schema=schema)
    assert exc.value.code == "InvalidRequestSchema"


def test_fails_when_a_synchronous_task_exceeds_the_integration_timeout(stack: cdk.Stack) -> None:
    # GIVEN a synchronous agent whose tasks take 5 minutes (more than the 29 s integration timeout)
    api = AgentApiFacade(stack, "Api", agent=agent(stack, longest_task=cdk.Duration.minutes(5)))
    assert synth_error_codes(api) == ["TaskExceedsIntegrationTimeout"]
    # WHEN the app is synthesized THEN a validation error names the job API and streaming as the way out
    with pytest.raises(Exception, match=r"TaskExceedsIntegrationTimeout.*POST /jobs.*streaming=True") as exc:
        cdk.App.of(stack).synth()  # type: ignore[union-attr]
    assert "API Gateway quota 'REST API integration timeout'" in str(exc.value)


def test_an_approved_integration_timeout_increase_is_used(make_stack: Any) -> None:
    # GIVEN an approved integration timeout of 10 minutes in the context
    stack = make_stack(context={"agentcore:quotaOverrides": {"api_gateway_integration_timeout": 600}})
    AgentApiFacade(stack, "Api", agent=agent(stack, longest_task=cdk.Duration.minutes(5)))
    # THEN synth succeeds and the integration and proxy wait that long
    cdk.App.of(stack).synth()  # type: ignore[union-attr]
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::ApiGateway::Method", {"Integration": Match.object_like({"TimeoutInMillis": 600000})}
    )
    template.has_resource_properties("AWS::Lambda::Function", {"Timeout": 600})


def test_streaming_is_the_way_out_for_long_synchronous_tasks(stack: cdk.Stack) -> None:
    # GIVEN the same long synchronous agent, with streaming
    AgentApiFacade(stack, "Api", agent=agent(stack, longest_task=cdk.Duration.minutes(5)), streaming=True)
    cdk.App.of(stack).synth()  # type: ignore[union-attr]
    template = Template.from_stack(stack)
    # THEN the integration streams through Lambda InvokeWithResponseStream
    uri = Capture()
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {"Integration": Match.object_like({"ResponseTransferMode": "STREAM", "Uri": uri, "Type": "AWS_PROXY"})},
    )
    assert "response-streaming-invocations" in json.dumps(uri.as_object())
    # AND the integration waits as long as the stream may last (the 29 s default would cut it)
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {"Integration": Match.object_like({"ResponseTransferMode": "STREAM", "TimeoutInMillis": 900000})},
    )
    # AND the proxy runs the streaming runtime loop, up to the Lambda timeout from the catalog
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Timeout": 900, "Environment": {"Variables": Match.object_like(
            {"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/invoke_proxy_stream.sh"})}},
    )


def test_streaming_agents_stream_by_default_and_warn_beyond_the_proxy_timeout(stack: cdk.Stack) -> None:
    # GIVEN an agent planned for streaming (40 min tasks)
    chat = agent(stack, longest_task=cdk.Duration.minutes(40))
    api = AgentApiFacade(stack, "Api", agent=chat)
    assert api.streaming
    # THEN a warning says streams are cut at the Lambda timeout and names the alternatives
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Api", Match.string_like_regexp("StreamExceedsProxyTimeout.*AWS Lambda.*jobs=True.*WebSocket")
    )


def test_warns_when_throttle_exceeds_the_invoke_quota(make_stack: Any) -> None:
    # GIVEN the 2026-03 edition (25 TPS per endpoint) and a user asking for 100 TPS
    stack = make_stack(context={"agentcore:quotaEdition": "2026-03"})
    AgentApiFacade(stack, "Api", agent=agent(stack), throttle_rate_limit=100, throttle_burst_limit=10)
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Api",
        Match.string_like_regexp("ThrottleAboveInvokeQuota.*throttle_rate_limit 100.*InvokeAgentRuntime rate"),
    )


def test_no_throttle_warning_within_the_plan(stack: cdk.Stack) -> None:
    AgentApiFacade(stack, "Api", agent=agent(stack, peak_requests_per_second=10))
    Annotations.from_stack(stack).has_no_warning("/TestStack/Api", Match.string_like_regexp("ThrottleAboveInvokeQuota"))


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-5, 1), (10, 0), (10, 2.5), (True, 1), ("10", 1)])
def test_fails_when_throttle_is_not_positive(stack: cdk.Stack, rate: float, burst: Any) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentApiFacade(stack, "Api", agent=agent(stack), throttle_rate_limit=rate, throttle_burst_limit=burst)
    assert exc.value.code == "InvalidThrottle"


def test_unauthenticated_api_only_by_opt_in_with_a_warning(stack: cdk.Stack) -> None:
    AgentApiFacade(stack, "Api", agent=agent(stack), auth=FacadeAuth.none())
    Template.from_stack(stack).has_resource_properties("AWS::ApiGateway::Method", {"AuthorizationType": "NONE"})
    Annotations.from_stack(stack).has_warning("/TestStack/Api", Match.string_like_regexp("UnauthenticatedApi"))


def test_cognito_auth(stack: cdk.Stack) -> None:
    pool = cognito.UserPool(stack, "Pool")
    AgentApiFacade(stack, "Api", agent=agent(stack), auth=FacadeAuth.cognito(pool))
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ApiGateway::Authorizer", {"Type": "COGNITO_USER_POOLS"})
    template.has_resource_properties("AWS::ApiGateway::Method", {"AuthorizationType": "COGNITO_USER_POOLS"})


def test_lambda_authorizer(stack: cdk.Stack) -> None:
    fn = lambda_.Function(stack, "Authz", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                          code=lambda_.Code.from_inline("def handler(e, c): pass"))
    AgentApiFacade(stack, "Api", agent=agent(stack), auth=FacadeAuth.lambda_authorizer(fn))
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::ApiGateway::Authorizer", {"Type": "TOKEN", "IdentitySource": "method.request.header.Authorization"}
    )
    template.has_resource_properties("AWS::ApiGateway::Method", {"AuthorizationType": "CUSTOM"})


def test_waf_web_acl_with_managed_rules(stack: cdk.Stack) -> None:
    api = AgentApiFacade(stack, "Api", agent=agent(stack), enable_waf=True)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::WAFv2::WebACL", {"Scope": "REGIONAL", "Rules": Match.array_with([
        Match.object_like({"Name": "AWSManagedRulesCommonRuleSet", "Statement": {"ManagedRuleGroupStatement":
            Match.object_like({"RuleActionOverrides": [{"Name": "SizeRestrictions_BODY",
                                                         "ActionToUse": {"Count": {}}}]})}}),
    ])})
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
    assert api.web_acl is not None


def test_existing_web_acl_is_associated(stack: cdk.Stack) -> None:
    arn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shared/abc"
    AgentApiFacade(stack, "Api", agent=agent(stack), waf_web_acl_arn=arn)
    Template.from_stack(stack).has_resource_properties("AWS::WAFv2::WebACLAssociation", {"WebACLArn": arn})


def test_fails_when_both_waf_options_are_given(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="not both") as exc:
        AgentApiFacade(stack, "Api", agent=agent(stack), enable_waf=True, waf_web_acl_arn="arn:aws:wafv2:x")
    assert exc.value.code == "ConflictingWafOptions"


def test_fails_when_the_qualifier_is_not_an_endpoint(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="qualifier 'beta'") as exc:
        AgentApiFacade(stack, "Api", agent=agent(stack), qualifier="beta")
    assert exc.value.code == "UnknownQualifier"


def test_a_token_qualifier_is_not_checked(stack: cdk.Stack) -> None:
    # GIVEN an endpoint name known only at deploy
    qualifier = cdk.CfnParameter(stack, "Endpoint").value_as_string
    AgentApiFacade(stack, "Api", agent=agent(stack), qualifier=qualifier)
    # THEN it is not guessed and does not raise: an info says so, and the proxy invokes it
    Annotations.from_stack(stack).has_info("/TestStack/Api", Match.string_like_regexp(
        r"\[TokenNotChecked\] qualifier is an unresolved token"))
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {
        "Environment": {"Variables": Match.object_like({"AGENT_QUALIFIER": {"Ref": "Endpoint"}})}})


def test_fails_when_the_agent_is_not_an_agent(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="agent must be an agent .* got 'support_agent'") as exc:
        AgentApiFacade(stack, "Api", agent="support_agent")  # type: ignore[arg-type]
    assert exc.value.code == "InvalidProps"


@pytest.mark.parametrize(("props", "prop"), [({"staging": "bucket"}, "staging"), ({"auth": "iam"}, "auth")])
def test_fails_when_a_shared_prop_has_the_wrong_type(stack: cdk.Stack, props: dict[str, Any], prop: str) -> None:
    with pytest.raises(ConstructsLibValidationError, match=f"{prop} must be a") as exc:
        AgentApiFacade(stack, "Api", agent=agent(stack), **props)
    assert exc.value.code == "InvalidProps"


def test_fails_when_the_authorizer_reads_a_websocket_source(stack: cdk.Stack) -> None:
    fn = lambda_.Function(stack, "Authz", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
                          code=lambda_.Code.from_inline("def handler(e, c): pass"))
    auth = FacadeAuth.lambda_authorizer(fn, identity_source=["route.request.header.Authorization"])
    with pytest.raises(ConstructsLibValidationError, match="method.request") as exc:
        AgentApiFacade(stack, "Api", agent=agent(stack), auth=auth)
    assert exc.value.code == "UnsupportedAuth"


def test_a_named_endpoint_is_the_default_qualifier(stack: cdk.Stack) -> None:
    chat = AgentCoreAgent(stack, "Chat", runtime_name="chat", artifact=AgentArtifact.from_code(RESEARCH_CODE),
                          endpoints=["prod"])
    AgentApiFacade(stack, "Api", agent=chat)
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function", {"Environment": {"Variables": Match.object_like({"AGENT_QUALIFIER": "prod"})}}
    )


def test_fails_when_no_route_would_exist(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentApiFacade(stack, "Api", agent=agent(stack), invoke_route=False, jobs=False)
    assert exc.value.code == "NoRoutes"


@pytest.mark.parametrize("mebibytes", [8, 20])
def test_fails_when_staging_is_required_but_missing(stack: cdk.Stack, mebibytes: int) -> None:
    # GIVEN payloads above what Lambda takes inline (8 MiB fits API Gateway's payload, not Lambda's), and no staging
    big = agent(stack, max_payload=cdk.Size.mebibytes(mebibytes))
    api = AgentApiFacade(stack, "Api", agent=big)
    # THEN synthesis fails with the smallest limit on the path, its quota, and the way out
    (error,) = synth_errors(api)
    assert error.startswith(f"[PayloadStagingRequired] max_payload {mebibytes} MiB exceeds 4.5 MiB (6 MiB, the AWS "
                            "Lambda quota 'invocation payload, synchronous (request)'")
    assert "less the third base64 encoding adds" in error and "staging=PayloadStaging" in error


def test_warns_when_buffered_answers_may_exceed_lambdas_response_payload(stack: cdk.Stack) -> None:
    # GIVEN an agent whose answers may reach 8 MiB, behind a buffered POST /invoke without staging
    big = agent(stack, max_response=cdk.Size.mebibytes(8))
    AgentApiFacade(stack, "Api", agent=big)
    # THEN synthesis warns that such answers are a 502, and names the ways out
    Annotations.from_stack(stack).has_warning("/TestStack/Api", Match.string_like_regexp(
        r"AnswerExceedsLambdaResponse.*502 AnswerTooLarge.*staging=PayloadStaging.*streaming=True"))


def test_staging_adds_the_upload_route_and_grants(stack: cdk.Stack) -> None:
    from constructs_lib.serving.payload_staging import PayloadStaging

    big = agent(stack, max_payload=cdk.Size.mebibytes(20))
    staging = PayloadStaging(stack, "Staging")
    api = AgentApiFacade(stack, "Api", agent=big, staging=staging)
    template = Template.from_stack(stack)
    paths = {r["Properties"]["PathPart"] for r in template.find_resources("AWS::ApiGateway::Resource").values()}
    assert paths == {"invoke", "uploads"}
    env = Capture()
    template.has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables": env}})
    assert env.as_object()["PAYLOAD_STAGING_INPUT_PREFIX"] == "inputs/chat_agent/"
    assert env.as_object()["PAYLOAD_STAGING_URL_EXPIRY_SECONDS"] == "900"
    # AND the proxy signs URLs under its own agent's prefixes only
    proxy = proxy_statements(template)
    # uploads under the agent's inputs, and answers too large to return under its outputs
    assert prefixes(proxy, "s3:PutObject") == ["/inputs/chat_agent/*", "/outputs/chat_agent/*"]
    assert prefixes(proxy, "s3:GetObject") == ["/inputs/chat_agent/*", "/outputs/chat_agent/*"]
    assert "PAYLOAD_STAGING_BUCKET" in big.environment
    assert api.staging is staging
    # AND synthesis passes, saying where large inputs go
    assert synth_errors(api) == []
    Annotations.from_stack(stack).has_info("/TestStack/Api", Match.string_like_regexp(r"\[PayloadStagingInUse\]"))


def test_grant_invoke_api_is_scoped_to_the_stage(stack: cdk.Stack) -> None:
    api = AgentApiFacade(stack, "Api", agent=agent(stack))
    role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    api.grant_invoke_api(role)
    grant = [s for s in statements(Template.from_stack(stack)) if s["Action"] == "execute-api:Invoke"]
    assert len(grant) == 1
    assert "/prod/*/*" in json.dumps(grant[0]["Resource"])


def test_metrics(stack: cdk.Stack) -> None:
    api = AgentApiFacade(stack, "Api", agent=agent(stack))
    assert api.metric_client_error().metric_name == "4XXError"
    assert api.metric_server_error().metric_name == "5XXError"
    assert api.metric_latency().statistic == "Average"
    assert api.metric_integration_latency().metric_name == "IntegrationLatency"
    assert api.metric_count().statistic == "Sum"


def test_the_proxy_package_holds_the_proxy_the_contract_and_nothing_else(tmp_path: Any) -> None:
    # GIVEN a synthesized facade
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Packaged", env=ENV)
    AgentApiFacade(stack, "Api", agent=agent(stack))
    app.synth()
    package, variables = packaged_proxy(Template.from_stack(stack), tmp_path, "invoke_proxy.handler")
    # THEN its asset holds the handler modules and the contract
    assert sorted(p.name for p in package.iterdir()) == [
        "agent_calls.py", "caller.py", "clients.py", "contract.py", "inputs.py", "invoke_proxy.py",
        "invoke_proxy_stream.sh", "rollout.py", "session_budget.py",
        "staging_urls.py", "stream_runtime.py"]
    # AND the environment the template sets is all the proxy needs (it has no fallback)
    assert set(variables) >= {contract.ENV_AGENT_RUNTIME_ARN, contract.ENV_AGENT_QUALIFIER}
    with pytest.MonkeyPatch.context() as patch:
        for name in list(invoke_proxy.os.environ):
            patch.delenv(name)
        for name, value in variables.items():
            patch.setenv(name, value)
        invoke_proxy.configured.cache_clear()
        invoke_proxy.check_configuration()
    invoke_proxy.configured.cache_clear()


def test_a_token_throttle_is_not_checked(stack: cdk.Stack) -> None:
    # GIVEN a throttle known only at deploy (a parameter)
    rate = cdk.CfnParameter(stack, "Rate", type="Number").value_as_number
    AgentApiFacade(stack, "Api", agent=agent(stack), throttle_rate_limit=rate)
    # THEN it is used as is, and an info says the check was skipped
    Annotations.from_stack(stack).has_info("/TestStack/Api", Match.string_like_regexp(
        r"\[TokenNotChecked\] throttle_rate_limit or throttle_burst_limit is an unresolved token"
    ))
    Annotations.from_stack(stack).has_no_warning("/TestStack/Api", Match.string_like_regexp("ThrottleAboveInvokeQuota"))
    Template.from_stack(stack).has_resource_properties(
        "AWS::ApiGateway::UsagePlan", {"Throttle": Match.object_like({"RateLimit": {"Ref": "Rate"}})}
    )


@pytest.mark.parametrize("send", [True, False])
def test_a_facade_that_invokes_for_users_lets_the_agent_get_their_workload_tokens(stack: cdk.Stack, send: bool) -> None:
    # GIVEN an agent behind a facade that sends (or does not send) the caller as runtimeUserId
    from tests.serving._fixtures import make_agent

    agent = make_agent(stack)
    AgentApiFacade(stack, "Api", agent=agent, send_runtime_user_id=send)
    # THEN the agent's role may get workload tokens for user ids exactly when the facade sends them
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    text = json.dumps([p for p in policies.values() if agent.role.node.path.split("/")[-1] in json.dumps(p)])
    assert ("GetWorkloadAccessTokenForUserId" in text) is send
    assert "workload-identity/*" not in json.dumps(Template.from_stack(stack).to_json())


def test_two_facades_get_api_names_of_their_own_so_their_metrics_are_apart() -> None:
    # GIVEN two stages of one stack class, each with two REST facades and none naming its API
    app = cdk.App()
    stacks = [cdk.Stack(app, f"MyStack-{stage}", env=ENV) for stage in ("dev", "staging")]
    for stack in stacks:
        shared = agent(stack, name=f"chat_{stack.stack_name[len('MyStack-'):]}")
        for facade_id in ("Chat", "Support"):
            AgentApiFacade(stack, facade_id, agent=shared)
    names = [
        api["Properties"]["Name"]
        for stack in stacks
        for api in Template.from_stack(stack).find_resources("AWS::ApiGateway::RestApi").values()
    ]
    # THEN every API has its own name (API Gateway's ApiName metric dimension), derived from stack and path
    assert sorted(names) == ["MyStack-dev-Chat", "MyStack-dev-Support", "MyStack-staging-Chat",
                             "MyStack-staging-Support"]


def test_a_named_api_keeps_its_name(stack: cdk.Stack) -> None:
    AgentApiFacade(stack, "Api", agent=agent(stack), api_name="chat-api")
    Template.from_stack(stack).has_resource_properties("AWS::ApiGateway::RestApi", {"Name": "chat-api"})
