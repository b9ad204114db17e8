"""AgentPlatform: composition per agent, shared resources, account-level checks and placement."""

from __future__ import annotations

import re
from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib import (
    AgentArtifact,
    AgentCoreAgent,
    AgentIsolation,
    AgentPlacement,
    AgentPlatform,
    AgentSpec,
    ConstructsLibValidationError,
    SessionBudget,
    ToolSpec,
    WorkloadProfile,
)
from tests.conftest import RESEARCH_CODE, ROOT

MODEL = "anthropic.claude-sonnet-4-20250514-v1:0"
TOOL_CODE = ROOT / "stacks" / "tools" / "order_status"


def spec(name: str, **kwargs: object) -> AgentSpec:
    kwargs.setdefault("artifact", AgentArtifact.from_managed_repository("v1"))
    kwargs.setdefault("models", [MODEL])
    return AgentSpec(name=name, **kwargs)  # type: ignore[arg-type]


def test_each_agent_gets_what_it_needs(stack: cdk.Stack) -> None:
    # GIVEN a support agent with large payloads and a tool, and an asynchronous research agent
    platform = AgentPlatform(stack, "Platform", agents=[
        spec("support", workload=WorkloadProfile(max_payload=cdk.Size.mebibytes(25)),
             tools=[ToolSpec(tool_name="order_status", description="Look up an order",
                             code=lambda_.Code.from_asset(str(TOOL_CODE)), handler="index.handler")]),
        spec("research", artifact=AgentArtifact.from_code(RESEARCH_CODE),
             workload=WorkloadProfile(longest_task=cdk.Duration.hours(3)), audit_required=True),
    ])
    # THEN both are routes of the one shared API, with items in the shared tables; tools where asked; staging
    # because of the payloads
    support, research = platform.agents["support"], platform.agents["research"]
    assert (support.route, research.route) == ("support", "research")
    assert support.facade is None and support.session_store is None and platform.sessions is not None
    assert platform.api is not None and platform.api.jobs is not None
    assert set(platform.api.agents) == {"support", "research"} and platform.api.agents["support"].staging
    assert set(support.tools) == {"order_status"} and not research.tools
    assert platform.staging is not None
    assert platform.monitoring is not None and set(platform.monitoring.monitored_agents) == {
        support.agent, research.agent}
    assert platform.archive is not None and set(platform.archive.archived_agents) == {support.agent, research.agent}
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::BedrockAgentCore::Runtime", 2)
    template.resource_count_is("AWS::ApiGateway::RestApi", 1)
    template.resource_count_is("AWS::Lambda::Function", 3)  # the shared proxy, the tool, the archiver
    template.resource_count_is("AWS::DynamoDB::Table", 2)  # the shared session and job tables
    template.resource_count_is("AWS::WAFv2::WebACL", 1)
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    # AND runtime names are derived from the stack and path (stage-safe), not from the spec names alone
    assert re.fullmatch(r"TestStack_Platform_support_Agent_[0-9A-F]{8}", support.agent.runtime_name)
    template.has_resource_properties("AWS::BedrockAgentCore::Runtime", {
        "AgentRuntimeName": support.agent.runtime_name,
        "EnvironmentVariables": Match.object_like({"AGENT_SESSION_TABLE": Match.any_value(),
                                                   "AGENT_KEY_PREFIX": "support#",
                                                   "AGENT_TOOLS": Match.any_value()}),
    })
    Annotations.from_stack(stack).has_no_error("*", Match.any_value())


def test_switches_and_existing_agents(stack: cdk.Stack) -> None:
    existing = AgentCoreAgent(stack, "legacy", runtime_name="legacy",
                              artifact=AgentArtifact.from_managed_repository("v1"))
    platform = AgentPlatform(stack, "Platform", agents=[
        existing,
        spec("quiet", facade=False, session_store=False, monitoring=False, archive=False),
    ], monitoring=True, archive=True)
    assert platform.agent("legacy") is existing
    assert platform.agents["legacy"].route == "legacy" and platform.api is not None
    quiet = platform.agents["quiet"]
    assert quiet.facade is None and quiet.session_store is None
    assert platform.staging is None
    assert platform.monitoring is not None and platform.monitoring.monitored_agents == [existing]
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::ApiGateway::RestApi", 1)
    template.resource_count_is("AWS::DynamoDB::Table", 1)


def test_payloads_above_what_lambda_takes_inline_get_staging(stack: cdk.Stack) -> None:
    # GIVEN an agent whose 8 MiB payloads fit API Gateway's payload size but not Lambda's request payload
    platform = AgentPlatform(stack, "Platform", agents=[
        spec("support", workload=WorkloadProfile(max_payload=cdk.Size.mebibytes(8)))])
    # THEN the platform chose staging for it (the smallest limit on the REST path decides), and synthesis passes
    assert platform.staging is not None and platform.api is not None and platform.api.staging is platform.staging
    assert platform.api.agents["support"].staging
    Annotations.from_stack(stack).has_no_error("*", Match.any_value())


def test_synchronous_agent_with_long_tasks_is_streamed_on_an_api_of_its_own(stack: cdk.Stack) -> None:
    platform = AgentPlatform(stack, "Platform", agents=[
        spec("assistant", workload=WorkloadProfile(longest_task=cdk.Duration.minutes(5))), spec("chat")])
    Template.from_stack(stack)  # no TaskExceedsIntegrationTimeout: the facade streams
    # THEN the streaming agent is dedicated (the shared proxy answers buffered), and the platform says why
    assistant = platform.agents["assistant"]
    assert assistant.isolation is AgentIsolation.DEDICATED and assistant.facade is not None
    assert platform.agents["chat"].isolation is AgentIsolation.SHARED
    Annotations.from_stack(stack).has_info("/TestStack/Platform/assistant",
                                           Match.string_like_regexp("DedicatedAgent.*shared proxy answers buffered"))
    Template.from_stack(stack).has_resource_properties("AWS::ApiGateway::Method", {
        "Integration": Match.object_like({"ResponseTransferMode": "STREAM"})})


@pytest.mark.parametrize(
    ("profiles", "code"),
    [
        ([WorkloadProfile(peak_requests_per_second=600)] * 2, "AccountInvokePoolExceeded"),
        ([WorkloadProfile(peak_concurrent_sessions=3000)] * 2, "AccountActiveSessionsExceeded"),
    ],
)
def test_account_level_quota_crossed_by_the_sum_warns(stack: cdk.Stack, profiles: list[WorkloadProfile],
                                                      code: str) -> None:
    # GIVEN agents that each fit their quotas WHEN their sum does not THEN the platform warns
    platform = AgentPlatform(stack, "Platform", agents=[
        spec(f"a{i}", workload=p, facade=False) for i, p in enumerate(profiles)])
    assert any(f.code == code for f in platform.account_capacity.findings)
    Annotations.from_stack(stack).has_warning("/TestStack/Platform", Match.string_like_regexp(code))


@pytest.mark.parametrize(
    "profiles",
    [[WorkloadProfile(peak_requests_per_second=400)] * 2, [WorkloadProfile(peak_concurrent_sessions=2000)] * 2],
)
def test_account_level_sum_within_quota_is_quiet(stack: cdk.Stack, profiles: list[WorkloadProfile]) -> None:
    platform = AgentPlatform(stack, "Platform", agents=[
        spec(f"a{i}", workload=p, facade=False) for i, p in enumerate(profiles)])
    assert not platform.account_capacity.findings
    Annotations.from_stack(stack).has_no_warning("/TestStack/Platform", Match.any_value())


def test_agents_per_account_quota(make_stack: Callable[..., cdk.Stack]) -> None:
    stack = make_stack(context={"agentcore:quotaOverrides": {"agents_per_account": 1}})
    AgentPlatform(stack, "Platform", agents=[spec("a", facade=False), spec("b", facade=False)])
    Annotations.from_stack(stack).has_warning("/TestStack/Platform", Match.string_like_regexp("TooManyAgents"))
    fits = make_stack(context={"agentcore:quotaOverrides": {"agents_per_account": 2}})
    AgentPlatform(fits, "Platform", agents=[spec("a", facade=False), spec("b", facade=False)])
    Annotations.from_stack(fits).has_no_warning("/TestStack/Platform", Match.any_value())


def test_nested_stack_per_agent(stack: cdk.Stack) -> None:
    platform = AgentPlatform(stack, "Platform", placement=AgentPlacement.NESTED_STACK_PER_AGENT,
                             agents=[spec("a"), spec("b", isolation=AgentIsolation.DEDICATED)])
    for name in ("a", "b"):
        assert isinstance(platform.agents[name].scope, cdk.NestedStack)
        assert cdk.Stack.of(platform.agent(name)) is platform.agents[name].scope
    parent = Template.from_stack(stack)
    parent.resource_count_is("AWS::CloudFormation::Stack", 2)
    parent.resource_count_is("AWS::BedrockAgentCore::Runtime", 0)
    parent.resource_count_is("AWS::ApiGateway::RestApi", 1)  # the shared API, serving a
    nested = Template.from_stack(platform.agents["a"].scope)  # type: ignore[arg-type]
    nested.resource_count_is("AWS::BedrockAgentCore::Runtime", 1)
    nested.resource_count_is("AWS::ApiGateway::RestApi", 0)
    dedicated = Template.from_stack(platform.agents["b"].scope)  # type: ignore[arg-type]
    dedicated.resource_count_is("AWS::ApiGateway::RestApi", 1)
    # AND each agent's alarms and dashboard are in its nested stack, the account's alarms in the parent
    for name, template in (("a", nested), ("b", dedicated)):
        member = platform.agents[name]
        assert member.monitoring is not None and cdk.Stack.of(member.monitoring) is member.scope
        template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
        template.has_resource_properties("AWS::CloudWatch::Alarm", {
            "AlarmName": Match.string_like_regexp(f"{member.agent.runtime_name}-Throttles")})
    parent.has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": Match.string_like_regexp("Account-ActiveSessions")})
    assert not [a for a in parent.find_resources("AWS::CloudWatch::Alarm").values()
                if "Agent" in str(a["Properties"].get("AlarmName"))]


def test_fails_when_the_stack_outgrows_cloudformation_limit_with_the_way_out(stack: cdk.Stack) -> None:
    platform = AgentPlatform(stack, "Platform", isolation=AgentIsolation.DEDICATED,
                             agents=[spec(f"agent{i}") for i in range(20)])
    errors = platform.node.validate()
    assert len(errors) == 1
    assert "[StackResourceLimit]" in errors[0] and "more than 500" in errors[0]
    assert "NESTED_STACK_PER_AGENT" in errors[0]


@pytest.mark.parametrize(
    ("agents", "code"),
    [([], "NoAgents"), (["a", "a"], "DuplicateAgentName")],
)
def test_fails_when_agent_list_is_invalid(stack: cdk.Stack, agents: list[str], code: str) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentPlatform(stack, "Platform", agents=[spec(n) for n in agents])
    assert exc.value.code == code


def test_fails_when_looking_up_an_unknown_agent(stack: cdk.Stack) -> None:
    platform = AgentPlatform(stack, "Platform", agents=[spec("a", facade=False)])
    with pytest.raises(ConstructsLibValidationError, match="agents: a") as exc:
        platform.agent("b")
    assert exc.value.code == "UnknownAgent"


def test_fails_when_agents_is_not_a_list_of_specs(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="must be a list of AgentSpec") as exc:
        AgentPlatform(stack, "Platform", agents=spec("a"))  # type: ignore[arg-type]
    assert exc.value.code == "InvalidProps"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"facade_options": {"enable_wafs": True}}, "support.facade_options has unknown keys ['enable_wafs']"),
        ({"agent_options": {"runtime_name": "x"}}, "agent_options sets ['runtime_name'], which the platform sets"),
        ({"monitoring_options": {"throttle": {}}}, "monitoring_options has unknown keys ['throttle']"),
    ],
)
def test_fails_when_options_name_unknown_or_reserved_keys(stack: cdk.Stack, kwargs: dict[str, object],
                                                          fragment: str) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentPlatform(stack, "Platform", agents=[spec("support", **kwargs)])
    assert exc.value.code == "InvalidPlatformOptions" and fragment in str(exc.value)


def test_options_reach_the_constructs(stack: cdk.Stack) -> None:
    # GIVEN options only a facade and a table of the agent's own take (it is dedicated for them)
    platform = AgentPlatform(stack, "Platform", agents=[spec(
        "support", facade_options={"stage_name": "v1"}, monitoring_options={"throttles": {"Critical": 3}},
        session_store_options={"time_to_live_attribute": "ttl"})])
    assert platform.agents["support"].isolation is AgentIsolation.DEDICATED
    Template.from_stack(stack).has_resource_properties("AWS::ApiGateway::Stage", {"StageName": "v1"})
    Template.from_stack(stack).has_resource_properties("AWS::DynamoDB::Table", {
        "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True}})
    assert platform.monitoring is not None and platform.monitoring.created_alarms_with_disambiguator("Critical")


def test_the_platforms_session_budget_is_every_agents_default_and_a_spec_may_set_its_own(stack: cdk.Stack) -> None:
    # GIVEN a platform default budget, one agent taking it and one with a budget of its own
    default = SessionBudget(max_session_duration=cdk.Duration.hours(2), max_sessions_per_caller=5)
    own = SessionBudget(max_idle=cdk.Duration.minutes(5))
    platform = AgentPlatform(stack, "Platform", session_budget=default, agents=[
        spec("support"), spec("research", session_budget=own)])
    # THEN each agent enforces its budget: a registry and a sweeper each, and an alarm on the stopped sessions
    support, research = (platform.agents[n].agent.session_guard for n in ("support", "research"))
    assert support is not None and support.budget is default
    assert research is not None and research.budget is own
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::Events::Rule", 2 + 2)  # the archive's two rules, and one schedule per agent
    assert len([a for a in template.find_resources("AWS::CloudWatch::Alarm")
                if "SessionsStopped" in a]) == 2
    # AND both are served by front doors of their own, which register their sessions (the shared API registers none)
    assert all(platform.agents[n].isolation is AgentIsolation.DEDICATED and platform.agents[n].facade is not None
               for n in ("support", "research"))
    Annotations.from_stack(stack).has_info("/TestStack/Platform/support", Match.string_like_regexp(
        "DedicatedAgent.*session budget"))
