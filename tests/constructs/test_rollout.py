"""AgentRollout on AgentCoreAgent: its endpoints and pins, the switch, the session table, the rollback alarms, rule
and function with their grants, the split configuration of the front doors' proxies, and its checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Capture, Match, Template

from constructs_lib import (
    AgentApiFacade,
    AgentCoreChecks,
    AgentRollout,
    AgentWebSocketFacade,
    ConstructsLibValidationError,
)
from constructs_lib.handlers import contract
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.planning.rollout import DEFAULT_ROLLBACK_ERROR_RATE, DEFAULT_ROLLBACK_LATENCY_FRACTION
from tests.conftest import ENV
from tests.serving._fixtures import make_agent

ENDPOINT = "AWS::BedrockAgentCore::RuntimeEndpoint"
ALARM = "AWS::CloudWatch::Alarm"
FUNCTION = "AWS::Lambda::Function"
POLICY = "AWS::IAM::Policy"


def rollout(**overrides: Any) -> AgentRollout:
    props: dict[str, Any] = {"stable": "prod", "stable_version": "3", "candidate": "canary", "candidate_weight": 10}
    return AgentRollout(**{**props, **overrides})


def switch_arn(stack: cdk.Stack, agent: Any) -> Any:
    """The switch parameter's ARN as the template writes it."""
    return stack.resolve(agent.rollout_control.switch.parameter_arn)


def test_the_agent_creates_the_stable_endpoint_pinned_and_the_candidate_following_the_deployed_version(
    stack: cdk.Stack,
) -> None:
    # WHEN an agent declares a rollout
    agent = make_agent(stack, rollout=rollout())
    template = Template.from_stack(stack)
    # THEN both endpoints exist: stable pinned to its version, the candidate on the runtime's deployed version
    template.resource_count_is(ENDPOINT, 2)
    template.has_resource_properties(ENDPOINT, {"Name": "prod", "AgentRuntimeVersion": "3"})
    runtime = stack.get_logical_id(agent.runtime.node.default_child)  # type: ignore[arg-type]
    template.has_resource_properties(ENDPOINT, {
        "Name": "canary", "AgentRuntimeVersion": {"Fn::GetAtt": [runtime, "AgentRuntimeVersion"]}})
    # AND the plan counts them (DEFAULT and two named), and clients default to the stable endpoint
    assert agent.plan.endpoint_count == 3
    assert agent.default_qualifier == "prod"
    assert agent.rollout_plan is not None and agent.rollout_plan.candidate_follows_latest


def test_a_pinned_candidate_and_endpoints_also_listed_by_name_are_created_once(stack: cdk.Stack) -> None:
    make_agent(stack, endpoints=["prod", "staging"], rollout=rollout(candidate_version="4"))
    template = Template.from_stack(stack)
    template.resource_count_is(ENDPOINT, 3)
    template.has_resource_properties(ENDPOINT, {"Name": "prod", "AgentRuntimeVersion": "3"})
    template.has_resource_properties(ENDPOINT, {"Name": "canary", "AgentRuntimeVersion": "4"})


def test_the_switch_starts_on_auto_and_the_session_table_is_encrypted_expiring_and_retained(stack: cdk.Stack) -> None:
    make_agent(stack, rollout=rollout())
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::SSM::Parameter", {
        "Name": "/agentcore/chat_agent/rollout-switch", "Type": "String", "Value": contract.ROLLOUT_SWITCH_AUTO})
    template.has_resource("AWS::DynamoDB::Table", {
        "DeletionPolicy": "Retain",
        "Properties": Match.object_like({
            "KeySchema": [{"AttributeName": contract.ROLLOUT_SESSION_KEY, "KeyType": "HASH"}],
            "TimeToLiveSpecification": {"AttributeName": contract.ROLLOUT_EXPIRES_AT, "Enabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        }),
    })


def test_rollback_alarms_watch_the_candidate_endpoint_with_thresholds_from_the_plan(stack: cdk.Stack) -> None:
    # GIVEN a streaming agent (a 40-minute task: the streaming duration is the latency limit)
    agent = make_agent(stack, workload=WorkloadProfile(longest_task=cdk.Duration.minutes(40)), rollout=rollout())
    template = Template.from_stack(stack)
    template.resource_count_is(ALARM, 2)
    # THEN the error-rate alarm divides the candidate's system errors by its invocations
    errors = Capture()
    template.has_resource_properties(ALARM, {
        "Threshold": DEFAULT_ROLLBACK_ERROR_RATE, "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 5, "DatapointsToAlarm": 3, "TreatMissingData": "notBreaching",
        "Metrics": Match.array_with([Match.object_like({"Expression": "IF(invocations > 0, errors / invocations, 0)"}),
                                     errors]),
    })
    names = {d["Name"]: d["Value"] for d in errors.as_object()["MetricStat"]["Metric"]["Dimensions"]}
    assert names["Name"] == "chat_agent::canary"
    # AND the latency alarm reads the candidate's p99 against 80% of the streaming duration (60 minutes)
    assert agent.plan.mode_limit_seconds == 3600
    template.has_resource_properties(ALARM, {
        "MetricName": "Latency", "ExtendedStatistic": "p99",
        "Threshold": DEFAULT_ROLLBACK_LATENCY_FRACTION * 3600 * 1000,
        "Dimensions": Match.array_with([{"Name": "Name", "Value": "chat_agent::canary"}]),
    })


def test_the_rule_sends_alarm_state_changes_into_alarm_to_the_rollback_function(stack: cdk.Stack) -> None:
    make_agent(stack, rollout=rollout())
    template = Template.from_stack(stack)
    target = Capture()
    template.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": {
            "source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
            "detail": {"state": {"value": ["ALARM"]}},
            "resources": [{"Fn::GetAtt": [Match.string_like_regexp("CandidateErrorRate"), "Arn"]},
                          {"Fn::GetAtt": [Match.string_like_regexp("CandidateLatency"), "Arn"]}],
        },
        "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [target, "Arn"]}})],
    })
    assert "RolloutRollback" in target.as_string()
    template.has_resource_properties(FUNCTION, {
        "Handler": "rollout_rollback.handler",
        "Environment": {"Variables": Match.object_like({
            contract.ENV_ROLLOUT_SWITCH_PARAMETER: {"Ref": Match.string_like_regexp("AgentRolloutSwitch")}})},
    })


def test_the_rollback_function_may_put_the_switch_parameter_and_nothing_else_of_ssm(stack: cdk.Stack) -> None:
    make_agent(stack, rollout=rollout())
    template = Template.from_stack(stack)
    policies = template.find_resources(POLICY, {"Properties": {"Roles": [
        {"Ref": Match.string_like_regexp("RolloutRollbackServiceRole")}]}})
    (policy,) = policies.values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    ssm = [s for s in statements if any(str(a).startswith("ssm:") for a in _actions(s))]
    assert len(ssm) == 1 and _actions(ssm[0]) == ["ssm:PutParameter"]
    assert ssm[0]["Resource"]["Fn::Join"][1][-1]["Ref"].startswith("AgentRolloutSwitch")


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_without_automatic_rollback_there_are_no_alarms_rule_or_function(stack: cdk.Stack) -> None:
    agent = make_agent(stack, rollout=rollout(automatic_rollback=False))
    template = Template.from_stack(stack)
    for kind in (ALARM, "AWS::Events::Rule", FUNCTION):
        template.resource_count_is(kind, 0)
    assert agent.rollout_control is not None and agent.rollout_control.rollback_function is None


def test_the_rest_proxy_routes_between_both_endpoints_with_the_split_and_least_privilege(stack: cdk.Stack) -> None:
    # GIVEN a REST facade of an agent with a rollout (no qualifier)
    agent = make_agent(stack, rollout=rollout())
    facade = AgentApiFacade(stack, "Api", agent=agent)
    template = Template.from_stack(stack)
    # THEN its proxy gets the split: endpoints, weight, the switch, its cache time, the table, the session lifetime
    proxy = stack.get_logical_id(facade.proxy_function.node.default_child)  # type: ignore[arg-type]
    variables = template.to_json()["Resources"][proxy]["Properties"]["Environment"]["Variables"]
    assert {k: variables[k] for k in (contract.ENV_ROLLOUT_STABLE, contract.ENV_ROLLOUT_CANDIDATE,
                                      contract.ENV_ROLLOUT_CANDIDATE_WEIGHT, contract.ENV_ROLLOUT_SWITCH_CACHE_SECONDS,
                                      contract.ENV_ROLLOUT_SESSION_LIFETIME_SECONDS, contract.ENV_AGENT_QUALIFIER)} \
        == {contract.ENV_ROLLOUT_STABLE: "prod", contract.ENV_ROLLOUT_CANDIDATE: "canary",
            contract.ENV_ROLLOUT_CANDIDATE_WEIGHT: "10",
            contract.ENV_ROLLOUT_SWITCH_CACHE_SECONDS: str(contract.ROLLOUT_SWITCH_CACHE_SECONDS),
            contract.ENV_ROLLOUT_SESSION_LIFETIME_SECONDS: str(agent.plan.max_lifetime_seconds),
            contract.ENV_AGENT_QUALIFIER: "prod"}
    assert variables[contract.ENV_ROLLOUT_SWITCH_PARAMETER]["Ref"].startswith("AgentRolloutSwitch")
    # AND it may read that one parameter, read and write session records, and invoke both endpoints
    role = {"Ref": Match.string_like_regexp("ApiProxyServiceRole")}
    template.has_resource_properties(POLICY, {"Roles": [role], "PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Action": ["bedrock-agentcore:InvokeAgentRuntime",
                                      "bedrock-agentcore:InvokeAgentRuntimeForUser"],
                           "Resource": Match.array_with([
                               {"Fn::Join": ["", [Match.any_value(), "/runtime-endpoint/canary"]]},
                               {"Fn::Join": ["", [Match.any_value(), "/runtime-endpoint/prod"]]}])}),
        {"Action": "ssm:GetParameter", "Effect": "Allow", "Resource": switch_arn(stack, agent)},
        {"Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Effect": "Allow",
         "Resource": {"Fn::GetAtt": [Match.string_like_regexp("AgentRolloutSessions"), "Arn"]}},
    ])}})


def test_the_websocket_route_proxy_only_reads_session_records_and_the_relay_routes(stack: cdk.Stack) -> None:
    agent = make_agent(stack, rollout=rollout())
    facade = AgentWebSocketFacade(stack, "Chat", agent=agent)
    template = Template.from_stack(stack)
    proxy_role = {"Ref": Match.string_like_regexp("ChatProxyServiceRole")}
    documents = [p["Properties"]["PolicyDocument"]["Statement"]
                 for p in template.find_resources(POLICY, {"Properties": {"Roles": [proxy_role]}}).values()]
    actions = {a for statements in documents for s in statements for a in _actions(s)}
    assert "dynamodb:GetItem" in actions and "ssm:GetParameter" not in actions
    session_grants = [s for statements in documents for s in statements
                      if "AgentRolloutSessions" in str(s.get("Resource"))]
    assert [_actions(s) for s in session_grants] == [["dynamodb:GetItem"]]
    relay_role = {"Ref": Match.string_like_regexp("ChatRelayServiceRole")}
    template.has_resource_properties(POLICY, {"Roles": [relay_role], "PolicyDocument": {"Statement": Match.array_with([
        {"Action": "ssm:GetParameter", "Effect": "Allow", "Resource": switch_arn(stack, agent)}])}})
    assert facade.relay_function is not None


def test_a_facade_with_a_qualifier_invokes_that_endpoint_only(stack: cdk.Stack) -> None:
    agent = make_agent(stack, rollout=rollout())
    facade = AgentApiFacade(stack, "Canary", agent=agent, qualifier="canary")
    template = Template.from_stack(stack)
    proxy = stack.get_logical_id(facade.proxy_function.node.default_child)  # type: ignore[arg-type]
    variables = template.to_json()["Resources"][proxy]["Properties"]["Environment"]["Variables"]
    assert variables[contract.ENV_AGENT_QUALIFIER] == "canary"
    assert not any(name.startswith("ROLLOUT_") for name in variables)


def test_the_rollout_counts_against_the_endpoints_quota(stack: cdk.Stack) -> None:
    # GIVEN eight named endpoints and a rollout adding two: eleven with DEFAULT, over the quota of ten
    make_agent(stack, endpoints=[f"e{i}" for i in range(8)], rollout=rollout())
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Agent", Match.string_like_regexp(r"\[TooManyEndpoints\].*11 exceeds 10"))


def test_the_plan_record_and_the_template_metadata_carry_the_rollout(stack: cdk.Stack) -> None:
    agent = make_agent(stack, rollout=rollout(candidate_weight=25))
    record = agent.plan_record.to_dict()["rollout"]
    assert (record["stable"], record["stable_version"], record["candidate"], record["candidate_weight"]) == (
        "prod", "3", "canary", 25)
    template = Template.from_stack(stack)
    runtime = template.find_resources("AWS::BedrockAgentCore::Runtime")
    (resource,) = runtime.values()
    assert resource["Metadata"]["constructs_lib:plan"]["rollout"]["candidate_weight"] == 25


def test_a_stable_pin_to_version_one_is_acknowledged_as_deliberate(tmp_path: Path) -> None:
    # GIVEN the AgentCoreChecks pack, which flags endpoints left on version 1
    app = cdk.App(outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(AgentCoreChecks(app))
    stack = cdk.Stack(app, "Pinned", env=ENV)
    # WHEN a rollout pins its stable endpoint to version 1
    make_agent(stack, rollout=rollout(stable_version="1"))
    app.synth()
    # THEN the finding is acknowledged on that endpoint, with the rollout as the reason
    reports = json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"]
    (pack,) = [r for r in reports if r["pluginName"] == "AgentCoreChecks"]
    assert not [v for v in pack.get("violations", []) if v["ruleName"] == "AgentCore-EndpointVersion"]
    suppressed = [v for v in pack.get("suppressedViolations", []) if v["ruleName"] == "AgentCore-EndpointVersion"]
    assert suppressed and "pinned to version 1 by its AgentRollout" in json.dumps(suppressed)


@pytest.mark.parametrize(("props", "code"), [
    ({"stable": "prod-v1"}, "InvalidRolloutEndpoint"),
    ({"stable": "DEFAULT"}, "InvalidRolloutEndpoint"),
    ({"candidate": "prod"}, "InvalidRolloutEndpoint"),
    ({"stable_version": "0"}, "InvalidRolloutVersion"),
    ({"stable_version": "v3"}, "InvalidRolloutVersion"),
    ({"candidate_version": "123456"}, "InvalidRolloutVersion"),
    ({"candidate_weight": 101}, "InvalidRolloutWeight"),
    ({"candidate_weight": -1}, "InvalidRolloutWeight"),
    ({"candidate_weight": 12.5}, "InvalidRolloutWeight"),
    ({"rollback_error_rate": 0}, "InvalidRolloutThreshold"),
    ({"rollback_latency_fraction": 1.5}, "InvalidRolloutThreshold"),
    ({"stable_version": 3}, "InvalidRollout"),
    ({"automatic_rollback": "yes"}, "InvalidRollout"),
])
def test_fails_when_a_rollout_prop_is_invalid(props: dict[str, Any], code: str) -> None:
    with pytest.raises(ConstructsLibValidationError) as raised:
        rollout(**props)
    assert raised.value.code == code
    assert next(iter(props)) in str(raised.value)


def test_fails_when_rollout_is_not_an_agent_rollout(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError) as raised:
        make_agent(stack, rollout={"stable": "prod"})
    assert raised.value.code == "InvalidRollout" and "rollout must be an AgentRollout" in str(raised.value)


def test_a_token_version_pin_is_passed_on_unchecked(stack: cdk.Stack) -> None:
    # GIVEN a stable version from a stack parameter (known at deploy only)
    version = cdk.CfnParameter(stack, "StableVersion", type="String").value_as_string
    agent = make_agent(stack, rollout=rollout(stable_version=version))
    # THEN the pin is the parameter, and the plan records no concrete version
    Template.from_stack(stack).has_resource_properties(ENDPOINT, {
        "Name": "prod", "AgentRuntimeVersion": {"Ref": "StableVersion"}})
    assert agent.rollout_plan is not None and agent.rollout_plan.stable_version is None


def test_a_platform_agent_with_a_rollout_gets_a_facade_of_its_own_that_routes(stack: cdk.Stack) -> None:
    from constructs_lib import AgentArtifact, AgentIsolation, AgentPlatform, AgentSpec

    # GIVEN a platform whose agents share one API by default, and one agent with a rollout
    platform = AgentPlatform(stack, "Platform", agents=[
        AgentSpec(name="plain", artifact=AgentArtifact.from_managed_repository("v1")),
        AgentSpec(name="rolled", artifact=AgentArtifact.from_managed_repository("v1"), rollout=rollout()),
    ])
    # THEN the rolled-out agent has its own facade (the shared proxy invokes one endpoint per agent), saying why
    rolled = platform.agents["rolled"]
    assert rolled.isolation is AgentIsolation.DEDICATED and platform.agents["plain"].isolation is AgentIsolation.SHARED
    assert rolled.facade is not None and rolled.facade.qualifier == "prod"
    Annotations.from_stack(stack).has_info("*", Match.string_like_regexp(r"\[DedicatedAgent\].*has a rollout"))
    # AND its proxy routes by the rollout
    proxy = stack.get_logical_id(rolled.facade.proxy_function.node.default_child)  # type: ignore[arg-type]
    variables = Template.from_stack(stack).to_json()["Resources"][proxy]["Properties"]["Environment"]["Variables"]
    assert variables[contract.ENV_ROLLOUT_CANDIDATE] == "canary"
