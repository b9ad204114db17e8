"""AgentCoreMonitoring in a team's own cdk-monitoring-constructs MonitoringFacade: our alarms, their facade."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import cdk_monitoring_constructs as cmc
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from constructs_lib import AgentArtifact, AgentCoreAgent, ConstructsLibValidationError, WorkloadProfile
from constructs_lib._cdk.scope import catalog_for
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.operations.agentcore_segment import AgentCoreMonitoring
from tests.conftest import REGION


def _agent(stack: cdk.Stack, construct_id: str, name: str) -> AgentCoreAgent:
    return AgentCoreAgent(
        stack, construct_id, runtime_name=name, artifact=AgentArtifact.from_managed_repository("v1"),
        workload=WorkloadProfile(longest_task=cdk.Duration.minutes(40)), endpoints=["prod"],
    )


def _alarm(template: Template, name: str) -> dict[str, Any]:
    found = template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": name}})
    assert len(found) == 1, f"expected one alarm named {name}"
    return next(iter(found.values()))["Properties"]


@pytest.fixture
def team(stack: cdk.Stack) -> tuple[cmc.MonitoringFacade, AgentCoreMonitoring, sns.Topic, Template]:
    # GIVEN a team's facade with its own prefix, topic and dashboard, and our segment for two agents
    topic = sns.Topic(stack, "TeamPager")
    facade = cmc.MonitoringFacade(
        stack, "Team",
        alarm_factory_defaults=cmc.AlarmFactoryDefaults(
            alarm_name_prefix="team", actions_enabled=True, action=cmc.SnsAlarmActionStrategy(on_alarm_topic=topic),
        ),
    )
    segment = AgentCoreMonitoring(facade, agents=[_agent(stack, "Support", "support_agent")])
    segment.monitor_agent(_agent(stack, "Research", "research_agent"), latency={"Critical": 0.9})
    facade.add_segment(segment)
    facade.monitor_sns_topic(topic=topic)  # the team's own monitoring beside ours
    return facade, segment, topic, Template.from_stack(stack)


def test_segment_alarms_carry_the_facades_prefix_and_actions(stack: cdk.Stack, team: Any) -> None:
    _, _, _, template = team
    (topic,) = [k for k in template.find_resources("AWS::SNS::Topic") if k.startswith("TeamPager")]
    quota = catalog_for(stack).resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, REGION)
    # THEN the quota alarms are named by the team's facade and page the team's topic
    active = _alarm(template, "team-Account-ActiveSessions-Critical")
    assert active["MetricName"] == "ActiveSessionCount" and active["Namespace"] == "AWS/Bedrock-AgentCore"
    assert active["Threshold"] == pytest.approx(0.95 * quota.value)
    assert active["AlarmActions"] == [{"Ref": topic}]
    throttles = _alarm(template, "team-support_agent-Throttles-Critical")
    assert throttles["AlarmActions"] == [{"Ref": topic}]
    assert {d["Value"] for m in throttles["Metrics"] if "MetricStat" in m
            for d in m["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "Name"} == {
        "support_agent::DEFAULT", "support_agent::prod"}
    # AND per-agent levels apply (the research agent's latency at 90 % of its streaming limit)
    _alarm(template, "team-research_agent-LatencyP99-Critical")
    assert not template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": "team-research_agent-LatencyP99-Warning"}})


def test_segment_alarms_are_the_facades_alarms(team: Any) -> None:
    facade, segment, _, _ = team
    # THEN the facade lists our alarms with its own, and composite alarms by disambiguator include them
    names = {a.alarm_name for a in facade.created_alarms()}
    ours = {a.node.id for a in segment.agentcore_alarms()}
    assert ours and ours <= names
    assert {a.alarm_name for a in segment.created_alarms()} == ours
    critical = {a.alarm_name for a in facade.created_alarms_with_disambiguator("Critical")}
    assert "team-support_agent-Throttles-Critical" in critical
    composite = facade.create_composite_alarm_using_disambiguator("Critical", disambiguator="Critical")
    assert composite is not None


def test_segment_rows_go_to_the_facades_dashboard(team: Any) -> None:
    _, _, _, template = team
    dashboards = template.find_resources("AWS::CloudWatch::Dashboard")
    bodies = [json.dumps(d["Properties"]["DashboardBody"]) for d in dashboards.values()]
    # THEN the team's detail dashboard has the quota row and a row per agent
    (body,) = [b for b in bodies if "Active sessions vs quota" in b]
    assert "support_agent invocations" in body and "research_agent latency p99 (ms)" in body


def test_fails_when_the_same_agent_is_monitored_twice(stack: cdk.Stack) -> None:
    facade = cmc.MonitoringFacade(stack, "Team")
    agent = _agent(stack, "Support", "support_agent")
    segment = AgentCoreMonitoring(facade, agents=[agent])
    with pytest.raises(ConstructsLibValidationError) as exc:
        segment.monitor_agent(agent)
    assert exc.value.code == "AgentAlreadyMonitored"
