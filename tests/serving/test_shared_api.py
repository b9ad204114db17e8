"""AgentPlatformApi: one REST API and one proxy for several agents: routes, per-agent throttles (method settings and
usage plan), exact grants, tables partitioned by agent, and the limits of one API and one proxy."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Capture, Match, Template
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib import ConstructsLibValidationError, PayloadStaging, WorkloadProfile
from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.handlers import contract
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.planning.platform import SharedRoute, shared_api_findings, shared_api_resources
from constructs_lib.serving.shared_api import AgentPlatformApi, SharedApiAgent
from tests.serving._fixtures import make_agent


def two_agents(stack: cdk.Stack) -> tuple[AgentCoreAgent, AgentCoreAgent]:
    chat = make_agent(stack, "Chat", runtime_name="chat_agent", endpoints=["prod"],
                      workload=WorkloadProfile(peak_requests_per_second=40))
    research = make_agent(stack, "Research", runtime_name="research_agent",
                          workload=WorkloadProfile(longest_task=cdk.Duration.hours(2), peak_requests_per_second=5))
    return chat, research


def shared(stack: cdk.Stack, **kwargs: object) -> tuple[AgentPlatformApi, AgentCoreAgent, AgentCoreAgent]:
    chat, research = two_agents(stack)
    staging = PayloadStaging(stack, "Staging")
    api = AgentPlatformApi(stack, "Api", staging=staging, agents=[
        SharedApiAgent(route="chat", agent=chat, staging=True),
        SharedApiAgent(route="research", agent=research),
    ], **kwargs)  # type: ignore[arg-type]
    return api, chat, research


def test_one_api_and_one_proxy_serve_each_agent_under_its_route(stack: cdk.Stack) -> None:
    api, chat, research = shared(stack)
    template = Template.from_stack(stack)
    # THEN one API, one proxy function, one permission for API Gateway to invoke it
    template.resource_count_is("AWS::ApiGateway::RestApi", 1)
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.resource_count_is("AWS::Lambda::Permission", 1)
    template.has_resource_properties("AWS::Lambda::Permission", {
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": {"Fn::Join": ["", Match.array_with([Match.string_like_regexp("/prod/\\*/\\*$")])]},
    })
    # AND each agent's routes sit under its own path segment: invoke for the synchronous one (and uploads, it
    # stages), the job routes for the asynchronous one
    assert set(api.agents["chat"].methods) == {"invoke/POST", "uploads/POST"}
    assert set(api.agents["research"].methods) == {"jobs/POST", "jobs/{jobId}/GET", "jobs/{jobId}/DELETE"}
    parts = sorted(r["Properties"]["PathPart"] for r in template.find_resources("AWS::ApiGateway::Resource").values())
    assert parts == sorted(["chat", "invoke", "uploads", "research", "jobs", "{jobId}"])
    template.resource_count_is("AWS::ApiGateway::Method", 5)
    template.all_resources_properties("AWS::ApiGateway::Method", {"AuthorizationType": "AWS_IAM"})
    # AND the proxy knows each route's runtime (by id), endpoint and staging, and the runtimes' ARN prefix
    routes = Capture()
    template.has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables": Match.object_like({
        contract.ENV_AGENT_ROUTES: routes,
        contract.ENV_AGENT_RUNTIME_ARN_PREFIX: Match.any_value(),
    })}})
    text = json.dumps(routes.as_object())
    assert '"chat\\":[\\"' in text and '\\",\\"prod\\",1]' in text and '\\",\\"DEFAULT\\",0]' in text
    assert stack.get_logical_id(chat.runtime.node.default_child) in text  # type: ignore[arg-type]
    assert stack.get_logical_id(research.runtime.node.default_child) in text  # type: ignore[arg-type]


def test_each_agents_plan_throttles_its_own_methods_on_the_stage_and_in_the_usage_plan(stack: cdk.Stack) -> None:
    api, chat, research = shared(stack)
    template = Template.from_stack(stack)
    chat_rate, research_rate = chat.plan.api_throttle_rate, research.plan.api_throttle_rate
    assert chat_rate != research_rate
    settings = Capture()
    template.has_resource_properties("AWS::ApiGateway::Stage", {"MethodSettings": settings})
    by_path = {(s["ResourcePath"], s["HttpMethod"]): s for s in settings.as_array()}
    assert by_path[("/~1chat~1invoke", "POST")]["ThrottlingRateLimit"] == chat_rate
    assert by_path[("/~1chat~1uploads", "POST")]["ThrottlingRateLimit"] == chat_rate
    assert by_path[("/~1research~1jobs~1{jobId}", "GET")]["ThrottlingRateLimit"] == research_rate
    # POST /jobs starts a session: within the agent's rate and the session creation rate
    jobs_rate = by_path[("/~1research~1jobs", "POST")]["ThrottlingRateLimit"]
    assert jobs_rate == api.throttles["/research/jobs/POST"][0] <= research_rate
    # AND the stage-wide default is the most restricted agent's
    assert by_path[("/*", "*")]["ThrottlingRateLimit"] == min(chat_rate, research_rate)
    # AND the usage plan carries the same per-method throttles
    template.has_resource_properties("AWS::ApiGateway::UsagePlan", {"ApiStages": [Match.object_like({"Throttle": {
        "/chat/invoke/POST": {"RateLimit": chat_rate, "BurstLimit": chat.plan.api_throttle_burst},
        "/chat/uploads/POST": Match.any_value(),
        "/research/jobs/POST": {"RateLimit": jobs_rate, "BurstLimit": Match.any_value()},
        "/research/jobs/{jobId}/GET": {"RateLimit": research_rate, "BurstLimit": research.plan.api_throttle_burst},
        "/research/jobs/{jobId}/DELETE": Match.any_value(),
    }})]})


def test_the_proxy_may_invoke_exactly_the_agents_runtimes_and_endpoints(stack: cdk.Stack) -> None:
    api, chat, research = shared(stack)
    template = Template.from_stack(stack)
    statements = Capture()
    proxy_role = stack.get_logical_id(api.proxy_function.role.node.default_child)  # type: ignore[union-attr,arg-type]
    template.has_resource_properties("AWS::IAM::Policy", {
        "PolicyDocument": {"Statement": statements}, "Roles": [{"Ref": proxy_role}]})
    invoking = [s for s in statements.as_array() if "bedrock-agentcore:InvokeAgentRuntime" in s["Action"]]
    resolved = stack.resolve([*[chat.agent_runtime_arn, f"{chat.agent_runtime_arn}/runtime-endpoint/prod"],
                              *[research.agent_runtime_arn, f"{research.agent_runtime_arn}/runtime-endpoint/DEFAULT"]])
    assert sorted(json.dumps(r, sort_keys=True) for s in invoking for r in s["Resource"]) == sorted(
        json.dumps(r, sort_keys=True) for r in resolved)
    # AND only the jobs agent's sessions are stopped (its failed and cancelled jobs)
    stopping = [s for s in statements.as_array() if "bedrock-agentcore:StopRuntimeSession" in s["Action"]]
    assert [json.dumps(r, sort_keys=True) for s in stopping for r in s["Resource"]] == [
        json.dumps(r, sort_keys=True) for r in resolved[2:]]


def test_the_job_table_is_shared_and_each_agent_reports_only_under_its_key_prefix(stack: cdk.Stack) -> None:
    api, _, research = shared(stack)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::DynamoDB::Table", 1)
    assert api.jobs is not None
    role = stack.get_logical_id(research.role.node.default_child)  # type: ignore[arg-type]
    template.has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": role}],
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Action": "dynamodb:UpdateItem",
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["research#*"]}},
            "Resource": stack.resolve(api.jobs.table.table_arn),
        })])},
    })
    template.has_resource_properties("AWS::BedrockAgentCore::Runtime", {
        "AgentRuntimeName": "research_agent",
        "EnvironmentVariables": Match.object_like({"AGENT_KEY_PREFIX": "research#"}),
    })


def test_the_proxy_environment_is_measured_and_reported(stack: cdk.Stack) -> None:
    api, _, _ = shared(stack)
    # THEN the estimate covers every variable (names and values) and each runtime id at its longest
    assert 1000 < api.environment_bytes < 4096
    assert not api.findings
    Annotations.from_stack(stack).has_no_error("*", Match.any_value())


@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=120),
       st.integers(min_value=0, max_value=8192))
def test_shared_api_findings_follow_the_catalog(routes: list[tuple[bool, bool, bool]], environment: int) -> None:
    catalog = QuotaCatalog()
    shaped = [SharedRoute(f"r{i}", *flags) for i, flags in enumerate(routes)]
    findings = {f.code: f for f in shared_api_findings(catalog, None, routes=shaped, environment_bytes=environment)}
    resources = shared_api_resources(shaped)
    assert resources == 1 + sum(1 + i + 2 * j + u for i, j, u in routes)
    assert ("SharedApiResourcesExceeded" in findings) == (
        resources > catalog.value(QuotaName.API_GATEWAY_RESOURCES_PER_API))
    assert ("SharedProxyEnvironmentFull" in findings) == (
        environment > catalog.value(QuotaName.LAMBDA_ENVIRONMENT_SIZE))
    for finding in findings.values():
        assert "AgentIsolation.DEDICATED" in finding.message and "AgentPlatforms" in finding.message


@pytest.mark.parametrize(
    ("route", "code"),
    [("has/slash", "InvalidRoute"), ("has#hash", "InvalidRoute"), ("", "InvalidRoute")],
)
def test_fails_when_a_route_is_not_a_path_segment(stack: cdk.Stack, route: str, code: str) -> None:
    chat, _ = two_agents(stack)
    with pytest.raises(ConstructsLibValidationError, match="route") as exc:
        AgentPlatformApi(stack, "Api", agents=[SharedApiAgent(route=route, agent=chat)])
    assert exc.value.code == code


def test_fails_when_a_route_or_agent_appears_twice(stack: cdk.Stack) -> None:
    chat, research = two_agents(stack)
    with pytest.raises(ConstructsLibValidationError, match="chat") as exc:
        AgentPlatformApi(stack, "Api", agents=[SharedApiAgent(route="chat", agent=chat),
                                               SharedApiAgent(route="chat", agent=research)])
    assert exc.value.code == "DuplicateRoute"
    with pytest.raises(ConstructsLibValidationError, match="chat_agent") as exc:
        AgentPlatformApi(stack, "Api2", agents=[SharedApiAgent(route="a", agent=chat),
                                                SharedApiAgent(route="b", agent=chat)])
    assert exc.value.code == "DuplicateAgent"


def test_fails_when_an_agent_needs_a_streamed_answer(stack: cdk.Stack) -> None:
    assistant = make_agent(stack, "Assistant", runtime_name="assistant",
                           workload=WorkloadProfile(longest_task=cdk.Duration.minutes(5)))
    with pytest.raises(ConstructsLibValidationError, match="AgentIsolation.DEDICATED") as exc:
        AgentPlatformApi(stack, "Api", agents=[SharedApiAgent(route="assistant", agent=assistant)])
    assert exc.value.code == "SharedApiCannotStream"


def test_fails_when_staging_is_asked_without_a_bucket(stack: cdk.Stack) -> None:
    chat, _ = two_agents(stack)
    with pytest.raises(ConstructsLibValidationError, match="no staging bucket") as exc:
        AgentPlatformApi(stack, "Api", agents=[SharedApiAgent(route="chat", agent=chat, staging=True)])
    assert exc.value.code == "InvalidProps"


def test_fails_when_agents_is_empty_or_not_shared_api_agents(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentPlatformApi(stack, "Api", agents=[])
    assert exc.value.code == "NoAgents"
    chat, _ = two_agents(stack)
    with pytest.raises(ConstructsLibValidationError, match="SharedApiAgent") as exc:
        AgentPlatformApi(stack, "Api2", agents=[chat])  # type: ignore[list-item]
    assert exc.value.code == "InvalidProps"
