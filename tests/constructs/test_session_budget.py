"""SessionBudget on an agent: the registry table, the sweeper and its schedule, least-privilege grants, the alarm and
the dashboard row, the plan checks as synth findings, and the budget in the plan record."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Capture, Match, Template
from cdk_nag import AwsSolutionsChecks

from constructs_lib import AgentApiFacade, AgentMonitoring, SessionBudget
from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.handlers import contract
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.planning.record import PlanRecord
from tests._validators import assert_clean
from tests.conftest import ENV
from tests.serving._fixtures import make_agent

BUDGET = SessionBudget(max_session_duration=cdk.Duration.hours(2), max_idle=cdk.Duration.minutes(10),
                       max_sessions_per_caller=3, max_sessions=200)


def budgeted(**kwargs: Any) -> tuple[cdk.Stack, AgentCoreAgent]:
    stack = cdk.Stack(cdk.App(), "Budget", env=ENV)
    agent = make_agent(stack, runtime_name="budget_agent", endpoints=["prod"], session_budget=BUDGET, **kwargs)
    return stack, agent


def statements(template: Template, role_logical_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if any(r.get("Ref") == role_logical_id for r in policy["Properties"]["Roles"]):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_the_registry_is_an_encrypted_retained_table_with_ttl_and_two_sparse_indexes() -> None:
    stack, agent = budgeted()
    template = Template.from_stack(stack)
    assert agent.session_guard is not None
    template.has_resource("AWS::DynamoDB::Table", {
        "DeletionPolicy": "Retain",
        "Properties": Match.object_like({
            "KeySchema": [{"AttributeName": "sessionId", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"SSEEnabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
            "GlobalSecondaryIndexes": [
                Match.object_like({"IndexName": "ByStart", "KeySchema": [
                    {"AttributeName": "live", "KeyType": "HASH"}, {"AttributeName": "startedAt", "KeyType": "RANGE"}]}),
                Match.object_like({"IndexName": "ByActivity", "KeySchema": [
                    {"AttributeName": "live", "KeyType": "HASH"},
                    {"AttributeName": "lastActivity", "KeyType": "RANGE"}]}),
            ],
        }),
    })


def test_a_schedule_runs_the_sweeper_every_minute_with_the_budget_in_its_environment() -> None:
    stack, agent = budgeted()
    template = Template.from_stack(stack)
    guard = agent.session_guard
    assert guard is not None
    sweeper_id = stack.get_logical_id(guard.sweeper.node.default_child)  # type: ignore[arg-type]
    template.has_resource_properties("AWS::Events::Rule", {
        "ScheduleExpression": "rate(1 minute)", "State": "ENABLED",
        "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [sweeper_id, "Arn"]},
                                       "RetryPolicy": {"MaximumRetryAttempts": 0}})],
    })
    variables = Capture()
    template.has_resource_properties("AWS::Lambda::Function", {
        "Handler": "session_sweeper.handler", "TracingConfig": {"Mode": "Active"}, "Architectures": ["arm64"],
        "Environment": {"Variables": variables},
    })
    env = variables.as_object()
    assert env[contract.ENV_MAX_SESSION_DURATION_SECONDS] == "7200"
    assert env[contract.ENV_MAX_IDLE_SECONDS] == "600"
    assert env[contract.ENV_MAX_SESSIONS_PER_CALLER] == "3" and env[contract.ENV_MAX_SESSIONS] == "200"
    assert env[contract.ENV_RUNTIME_MAX_LIFETIME_SECONDS] == str(agent.plan.max_lifetime_seconds)
    assert env[contract.ENV_SESSION_REGISTRY_TABLE] == {"Ref": stack.get_logical_id(guard.table.node.default_child)}  # type: ignore[arg-type]


def test_the_sweeper_may_stop_sessions_of_this_runtime_and_its_endpoints_only_and_use_this_table_only() -> None:
    stack, agent = budgeted()
    agent.add_endpoint("canary")
    template = Template.from_stack(stack)
    guard = agent.session_guard
    assert guard is not None
    role_id = stack.get_logical_id(guard.sweeper.role.node.default_child)  # type: ignore[union-attr, arg-type]
    table_id = stack.get_logical_id(guard.table.node.default_child)  # type: ignore[arg-type]
    runtime_id = stack.get_logical_id(agent.runtime.node.default_child)  # type: ignore[arg-type]
    found = statements(template, role_id)
    (stop,) = [s for s in found if s.get("Sid") == "StopSessionsOverBudget"]
    assert stop["Action"] == "bedrock-agentcore:StopRuntimeSession"
    rendered = json.dumps(stop["Resource"])
    assert "*" not in rendered
    assert len(stop["Resource"]) == 4  # the runtime, DEFAULT, prod and canary
    for endpoint in ("DEFAULT", "prod", "canary"):
        assert f"/runtime-endpoint/{endpoint}" in rendered
    assert all(runtime_id in json.dumps(r) for r in stop["Resource"])
    (table,) = [s for s in found if "dynamodb:Query" in s["Action"]]
    assert sorted(table["Action"]) == ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]
    assert table["Resource"] == [{"Fn::GetAtt": [table_id, "Arn"]},
                                 {"Fn::Join": ["", [{"Fn::GetAtt": [table_id, "Arn"]}, "/index/*"]]}]
    assert not [s for s in found if "dynamodb:DeleteItem" in json.dumps(s) or "dynamodb:Scan" in json.dumps(s)]


def test_a_facade_proxy_registers_sessions_in_the_agents_registry_with_the_actions_it_uses() -> None:
    stack, agent = budgeted()
    facade = AgentApiFacade(stack, "Api", agent=agent)
    template = Template.from_stack(stack)
    guard = agent.session_guard
    assert guard is not None
    table_id = stack.get_logical_id(guard.table.node.default_child)  # type: ignore[arg-type]
    proxy_role = stack.get_logical_id(facade.proxy_function.role.node.default_child)  # type: ignore[union-attr, arg-type]
    registry = [s for s in statements(template, proxy_role) if table_id in json.dumps(s["Resource"])]
    assert len(registry) == 1
    assert sorted(registry[0]["Action"]) == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    template.has_resource_properties("AWS::Lambda::Function", {
        "Handler": "invoke_proxy.handler",
        "Environment": {"Variables": Match.object_like({
            contract.ENV_SESSION_REGISTRY_TABLE: {"Ref": table_id}, contract.ENV_MAX_SESSIONS_PER_CALLER: "3"})},
    })


def test_a_facade_of_an_agent_without_budget_registers_nothing() -> None:
    stack = cdk.Stack(cdk.App(), "NoBudget", env=ENV)
    agent = make_agent(stack, runtime_name="plain_agent")
    AgentApiFacade(stack, "Api", agent=agent)
    template = Template.from_stack(stack)
    assert agent.session_guard is None
    template.resource_count_is("AWS::Events::Rule", 0)
    for function in template.find_resources("AWS::Lambda::Function").values():
        assert contract.ENV_SESSION_REGISTRY_TABLE not in function["Properties"]["Environment"]["Variables"]


def test_monitoring_alarms_on_sessions_stopped_and_draws_the_budget_row() -> None:
    stack, agent = budgeted()
    monitoring = AgentMonitoring(stack, "Ops", alarm_name_prefix="ops")
    monitoring.monitor_agent(agent)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": "ops-budget_agent-SessionsStopped-Warning",
        "Metrics": [Match.object_like({"MetricStat": {
            "Metric": {"Namespace": contract.SESSION_BUDGET_NAMESPACE, "MetricName": contract.SESSIONS_STOPPED_METRIC,
                       "Dimensions": [{"Name": contract.SESSION_BUDGET_DIMENSION, "Value": "budget_agent"}]},
            "Period": 60, "Stat": "Sum"}})],
        "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
    })
    body = json.dumps(template.find_resources("AWS::CloudWatch::Dashboard"))
    assert "budget_agent sessions stopped over budget" in body
    assert "session budget, max_session_duration 2 hours, max_idle 10 minutes" in body


def test_no_sessions_stopped_alarm_with_an_empty_mapping() -> None:
    stack, agent = budgeted()
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops").monitor_agent(agent, sessions_stopped={})
    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    assert not [a for a in alarms.values() if a["Properties"].get("MetricName") == contract.SESSIONS_STOPPED_METRIC]


def test_the_budget_is_recorded_with_the_plan() -> None:
    stack, agent = budgeted()
    template = Template.from_stack(stack)
    (runtime,) = template.find_resources("AWS::BedrockAgentCore::Runtime").values()
    record = PlanRecord.from_dict(runtime["Metadata"]["constructs_lib:plan"])
    assert record.session_budget is not None
    assert record.session_budget.max_session_duration_seconds == 7200
    assert record.session_budget.max_sessions_per_caller == 3


@pytest.mark.parametrize(("budget", "workload", "code"), [
    (SessionBudget(max_session_duration=cdk.Duration.hours(9)), None, "SessionBudgetBeyondLifetime"),
    (SessionBudget(max_idle=cdk.Duration.hours(9)), None, "SessionBudgetBeyondLifetime"),
    (SessionBudget(max_session_duration=cdk.Duration.minutes(30)),
     WorkloadProfile(longest_task=cdk.Duration.hours(1)), "SessionBudgetBelowLongestTask"),
    (SessionBudget(max_session_duration=cdk.Duration.minutes(20), max_idle=cdk.Duration.minutes(30)), None,
     "SessionBudgetIdleBeyondDuration"),
    (SessionBudget(max_idle=cdk.Duration.seconds(10)), None, "SessionBudgetBelowMinimum"),
])
def test_fails_when_the_budget_does_not_fit_the_plan(budget: SessionBudget, workload: WorkloadProfile | None,
                                                     code: str) -> None:
    stack = cdk.Stack(cdk.App(), "Bad", env=ENV)
    make_agent(stack, runtime_name="bad_agent", workload=workload, session_budget=budget)
    with pytest.raises(RuntimeError) as failed:
        stack.node.root.synth()  # type: ignore[attr-defined]
    # The error names the construct path, the code, and (for quotas) the quota and the way out.
    assert f"[Bad/Agent/SessionBudget] [{code}] session_budget " in str(failed.value)


def test_an_agent_wide_cap_above_the_active_session_quota_is_a_warning() -> None:
    stack = cdk.Stack(cdk.App(), "Wide", env=ENV)
    make_agent(stack, runtime_name="wide_agent", session_budget=SessionBudget(max_sessions=100_000))
    Annotations.from_stack(stack).has_warning(
        "/Wide/Agent/SessionBudget", Match.string_like_regexp("SessionBudgetAboveActiveSessions.*L-3E5722B2"))


def test_a_token_duration_skips_the_check_and_says_so() -> None:
    stack = cdk.Stack(cdk.App(), "Token", env=ENV)
    seconds = cdk.CfnParameter(stack, "Seconds", type="Number").value_as_number
    make_agent(stack, runtime_name="token_agent",
               session_budget=SessionBudget(max_session_duration=cdk.Duration.seconds(seconds)))
    annotations = Annotations.from_stack(stack)
    annotations.has_info("/Token/Agent/SessionBudget", Match.string_like_regexp("max_session_duration"))
    annotations.has_no_error("*", Match.any_value())


@pytest.mark.parametrize(("props", "fragment"), [
    ({}, "at least one limit"),
    ({"max_sessions_per_caller": 0}, "max_sessions_per_caller must be a whole number of at least 1"),
    ({"max_sessions": 2.5}, "max_sessions must be a whole number"),
    ({"max_session_duration": 3600}, "max_session_duration must be an aws_cdk.Duration"),
    ({"max_sessions_per_caller": 5, "max_sessions": 2}, "at most max_sessions (2)"),
])
def test_fails_when_the_budget_props_are_invalid(props: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConstructsLibValidationError) as raised:
        SessionBudget(**props)
    assert raised.value.code == "InvalidSessionBudget"
    assert fragment in str(raised.value)


def test_cdk_nag_finds_nothing_unacknowledged_in_the_guard_and_the_proxies_it_grants(tmp_path: Any) -> None:
    # GIVEN an agent with a budget behind a REST facade, checked by cdk-nag's AwsSolutions pack
    app = cdk.App(outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = cdk.Stack(app, "Nagged", env=ENV)
    agent = make_agent(stack, runtime_name="nagged_agent", session_budget=BUDGET)
    AgentApiFacade(stack, "Api", agent=agent,
                   waf_web_acl_arn="arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shared/abc")
    # WHEN synthesized THEN the registry, the sweeper and the proxies' grants leave no finding open
    app.synth()
    assert_clean(tmp_path)


def test_a_websocket_proxy_that_registers_sessions_of_a_rolled_out_agent_assigns_their_endpoint() -> None:
    # GIVEN an agent with a rollout and a session budget behind a WebSocket facade
    from constructs_lib import AgentRollout, AgentWebSocketFacade  # noqa: PLC0415

    stack, agent = budgeted(rollout=AgentRollout(stable="prod", stable_version="1", candidate="canary",
                                                 candidate_weight=10))
    facade = AgentWebSocketFacade(stack, "Chat", agent=agent)
    template = Template.from_stack(stack)
    # THEN its connection proxy, which registers each session at $connect, may assign the session's endpoint (read the
    # switch, record the assignment), so the registry and the sweeper know the endpoint the relay will invoke
    role = stack.resolve(facade.proxy_function.role.node.default_child.logical_id)  # type: ignore[union-attr]
    granted = statements(template, role)
    control = agent.rollout_control
    assert control is not None
    sessions_arn = stack.resolve(control.sessions.table_arn)
    assert any(s["Action"] == "ssm:GetParameter" for s in granted)
    assert any("dynamodb:PutItem" in s["Action"] and sessions_arn in (s["Resource"] if isinstance(s["Resource"], list)
               else [s["Resource"]]) for s in granted)
    env = template.find_resources("AWS::Lambda::Function")
    proxy_env = [f["Properties"]["Environment"]["Variables"] for f in env.values()
                 if contract.ENV_AGENT_QUALIFIER in f["Properties"].get("Environment", {}).get("Variables", {})]
    assert all(any(key.startswith("ROLLOUT_") for key in variables) for variables in proxy_env)
