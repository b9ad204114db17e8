"""AgentMonitoring: every alarm's metric, dimensions, quota-derived threshold and actions; the dashboard."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from constructs_lib import AgentArtifact, AgentCoreAgent, ConstructsLibValidationError, WorkloadProfile
from constructs_lib._cdk.scope import catalog_for
from constructs_lib.limits.catalog import EDITION_CONTEXT_KEY, OVERRIDES_CONTEXT_KEY, QuotaName
from constructs_lib.operations.monitoring import AgentMonitoring
from tests.conftest import REGION, RESEARCH_CODE

NAMESPACE = "AWS/Bedrock-AgentCore"


def _support(stack: cdk.Stack) -> AgentCoreAgent:
    return AgentCoreAgent(
        stack, "Support", runtime_name="support_agent",
        artifact=AgentArtifact.from_managed_repository("v1"),
        workload=WorkloadProfile(longest_task=cdk.Duration.minutes(40)),
        endpoints=["prod", "canary"],
    )


def _research(stack: cdk.Stack) -> AgentCoreAgent:
    return AgentCoreAgent(
        stack, "Research", runtime_name="research_agent",
        artifact=AgentArtifact.from_code(RESEARCH_CODE),
        workload=WorkloadProfile(longest_task=cdk.Duration.hours(3)),
    )


def _alarm(template: Template, name: str) -> dict[str, Any]:
    found = template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": name}})
    assert len(found) == 1, f"expected one alarm named {name}, found {len(found)}"
    return next(iter(found.values()))["Properties"]


def _topic_ref(template: Template) -> dict[str, str]:
    topics = template.find_resources("AWS::SNS::Topic")
    assert len(topics) == 1
    return {"Ref": next(iter(topics))}


def _metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm reads, whether it is written as one metric or as a Metrics array."""
    if "Metrics" not in alarm:
        return [{
            "Metric": {"MetricName": alarm["MetricName"], "Namespace": alarm["Namespace"],
                       "Dimensions": alarm.get("Dimensions", [])},
            "Stat": alarm.get("Statistic", alarm.get("ExtendedStatistic")),
            "Period": alarm["Period"],
        }]
    return [m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m]


def _dimensions(stat: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}


@pytest.fixture
def monitored(stack: cdk.Stack) -> tuple[cdk.Stack, AgentMonitoring, AgentCoreAgent, AgentCoreAgent, Template]:
    support, research = _support(stack), _research(stack)
    monitoring = AgentMonitoring(stack, "Ops", alarm_name_prefix="ops", agents=[support]).monitor_agent(research)
    return stack, monitoring, support, research, Template.from_stack(stack)


def test_active_sessions_alarms_use_the_regional_quota(monitored: Any) -> None:
    # GIVEN monitoring in us-east-1 with the default levels
    stack, _, _, _, template = monitored
    quota = catalog_for(stack).resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, REGION)
    topic = _topic_ref(template)
    # THEN Warning and Critical alarms compare ActiveSessionCount with 80 % and 95 % of the quota
    for level, fraction in (("Warning", 0.8), ("Critical", 0.95)):
        alarm = _alarm(template, f"ops-Account-ActiveSessions-{level}")
        assert alarm["MetricName"] == "ActiveSessionCount"
        assert alarm["Namespace"] == NAMESPACE
        assert alarm["Dimensions"] == [{"Name": "Service", "Value": "AgentCore.Runtime"}]
        assert alarm["Statistic"] == "Maximum"
        assert alarm["Threshold"] == pytest.approx(fraction * quota.value)
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["TreatMissingData"] == "ignore"
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
        assert quota.quota.code in alarm["AlarmDescription"]


def test_active_sessions_threshold_follows_an_approved_override(make_stack: Callable[..., cdk.Stack]) -> None:
    # GIVEN an approved increase of the active-session quota in the context
    stack = make_stack(context={OVERRIDES_CONTEXT_KEY: {"active_session_workloads": {REGION: 8000}}})
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops")
    template = Template.from_stack(stack)
    quota = catalog_for(stack).resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, REGION)
    # THEN the thresholds follow the override, not the catalog default
    assert quota.value == 8000
    assert _alarm(template, "ops-Account-ActiveSessions-Warning")["Threshold"] == pytest.approx(0.8 * quota.value)


def test_unknown_region_plans_against_the_smallest_quota(make_stack: Callable[..., cdk.Stack]) -> None:
    stack = make_stack(env=None)
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops", active_session_thresholds={"Critical": 0.9})
    smallest = catalog_for(stack).resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, None)
    alarm = _alarm(Template.from_stack(stack), "ops-Account-ActiveSessions-Critical")
    assert alarm["Threshold"] == pytest.approx(0.9 * smallest.value)


def test_invocations_alarm_against_the_account_pool(monitored: Any) -> None:
    # GIVEN edition 2026-09, where the data-plane rate is one pool per account
    stack, _, _, _, template = monitored
    pool = catalog_for(stack).resolve(QuotaName.INVOKE_RATE, REGION)
    # THEN one alarm compares the aggregated invocations per minute with 80 % of the pool
    alarm = _alarm(template, "ops-Account-InvokeRate-Warning")
    (stat,) = _metric_stats(alarm)
    assert stat["Metric"]["MetricName"] == "Invocations"
    assert _dimensions(stat) == {"AggregateOperation": "InvokeAgentRuntime"}
    assert stat["Stat"] == "Sum" and stat["Period"] == 60
    assert alarm["Threshold"] == pytest.approx(0.8 * pool.per_second * 60)
    assert alarm["TreatMissingData"] == "notBreaching"
    pool_alarms = template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": Match.string_like_regexp("InvokeRate")}}
    )
    assert len(pool_alarms) == 1


def test_throttles_alarm_sums_every_endpoint(monitored: Any) -> None:
    _, _, _, _, template = monitored
    alarm = _alarm(template, "ops-support_agent-Throttles-Critical")
    stats = _metric_stats(alarm)
    assert {s["Metric"]["MetricName"] for s in stats} == {"Throttles"}
    names = {_dimensions(s)["Name"] for s in stats}
    assert names == {"support_agent::DEFAULT", "support_agent::prod", "support_agent::canary"}
    for s in stats:
        dims = _dimensions(s)
        assert dims["Operation"] == "InvokeAgentRuntime"
        assert dims["Resource"]["Fn::GetAtt"][1] == "AgentRuntimeArn"
    expression = next(m["Expression"] for m in alarm["Metrics"] if "Expression" in m)
    assert expression == "FILL(m0, 0) + FILL(m1, 0) + FILL(m2, 0)"
    assert alarm["Threshold"] == 0 and alarm["EvaluationPeriods"] == 1
    topic = _topic_ref(template)
    assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]


def test_single_endpoint_agent_alarms_on_the_metric_itself(monitored: Any) -> None:
    _, _, _, research, template = monitored
    alarm = _alarm(template, "ops-research_agent-SystemErrors-Warning")
    (stat,) = _metric_stats(alarm)
    assert not any("Expression" in m for m in alarm.get("Metrics", []))
    assert stat["Metric"]["MetricName"] == "SystemErrors" and stat["Metric"]["Namespace"] == NAMESPACE
    dims = _dimensions(stat)
    assert dims["Name"] == "research_agent::DEFAULT" and dims["Operation"] == "InvokeAgentRuntime"
    assert dims["Resource"]["Fn::GetAtt"][1] == "AgentRuntimeArn"
    assert stat["Stat"] == "Sum"
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (5, 3)


def test_user_error_rate_is_user_errors_over_invocations(monitored: Any) -> None:
    _, _, _, _, template = monitored
    alarm = _alarm(template, "ops-support_agent-UserErrorRate-Warning")
    stats = {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert {v for k, v in stats.items() if k.startswith("e")} == {"UserErrors"}
    assert {v for k, v in stats.items() if k.startswith("i")} == {"Invocations"}
    expression = next(m["Expression"] for m in alarm["Metrics"] if "Expression" in m)
    assert expression == "(FILL(e0, 0) + FILL(e1, 0) + FILL(e2, 0)) / (FILL(i0, 0) + FILL(i1, 0) + FILL(i2, 0))"
    assert alarm["Threshold"] == pytest.approx(0.1)
    assert alarm["TreatMissingData"] == "notBreaching"


def test_latency_alarm_is_relative_to_the_invocation_mode_limit(monitored: Any) -> None:
    # GIVEN a streaming agent (40 min task) and an asynchronous one (3 h task)
    stack, _, support, research, template = monitored
    # THEN p99 latency (ms) is compared with 80 % of the streaming limit
    alarm = _alarm(template, "ops-support_agent-LatencyP99-Warning")
    assert {s["Stat"] for s in _metric_stats(alarm)} == {"p99"}
    assert {s["Metric"]["MetricName"] for s in _metric_stats(alarm)} == {"Latency"}
    assert next(m["Expression"] for m in alarm["Metrics"] if "Expression" in m) == "MAX([m0, m1, m2])"
    assert alarm["Threshold"] == pytest.approx(0.8 * support.plan.mode_limit_seconds * 1000)
    # AND the asynchronous agent's invocation is held to the synchronous request timeout
    sync = catalog_for(stack).resolve(QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT, REGION)
    alarm = _alarm(template, "ops-research_agent-LatencyP99-Warning")
    assert [s["Stat"] for s in _metric_stats(alarm)] == ["p99"]
    assert alarm["Threshold"] == pytest.approx(0.8 * sync.value * 1000)


def test_new_session_alarm_uses_the_session_creation_quota(monitored: Any) -> None:
    _, _, support, research, template = monitored
    for agent in (support, research):
        alarm = _alarm(template, f"ops-{agent.runtime_name}-NewSessions-Warning")
        assert alarm["Threshold"] == pytest.approx(0.8 * agent.plan.session_creation_capacity_per_second * 60)
    (stat,) = _metric_stats(_alarm(template, "ops-research_agent-NewSessions-Warning"))
    assert stat["Metric"]["MetricName"] == "SessionCount" and stat["Stat"] == "Sum"


def test_new_sessions_of_all_agents_alarm_against_the_account_pool(monitored: Any) -> None:
    # GIVEN edition 2026-09, where the session-creation rate is one pool for the whole account
    stack, _, support, research, template = monitored
    pool = catalog_for(stack).resolve(QuotaName.SESSION_CREATION_RATE_CONTAINER, REGION)
    # THEN one alarm compares the new sessions of every agent together with 80 % of the pool: two agents
    # each below their own alarm can still exhaust it together
    alarm = _alarm(template, "ops-Account-NewSessions-Warning")
    (stat,) = _metric_stats(alarm)
    assert stat["Metric"]["MetricName"] == "Sessions"
    assert stat["Metric"]["Namespace"] == NAMESPACE
    assert _dimensions(stat) == {"AggregateOperation": "InvokeAgentRuntime"}
    assert stat["Stat"] == "Sum" and stat["Period"] == 60
    assert alarm["Threshold"] == pytest.approx(0.8 * pool.per_second * 60)
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == alarm["OKActions"] == [_topic_ref(template)]
    assert len(template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": Match.string_like_regexp("Account-NewSessions")}}
    )) == 1
    # and the quota row graphs it against the pool
    widgets = _dashboard(template)["widgets"]
    graph = next(w for w in widgets if w["properties"].get("title", "").startswith("New sessions per second"))
    assert graph["properties"]["metrics"]


def test_edition_2026_03_alarms_each_endpoint(make_stack: Callable[..., cdk.Stack]) -> None:
    # GIVEN edition 2026-03, where the invoke and session-creation rates are per endpoint
    stack = make_stack(context={EDITION_CONTEXT_KEY: "2026-03"})
    support = _support(stack)
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops", agents=[support])
    template = Template.from_stack(stack)
    invoke = catalog_for(stack).resolve(QuotaName.INVOKE_RATE, REGION)
    creation = catalog_for(stack).resolve(QuotaName.SESSION_CREATION_RATE_CONTAINER, REGION)
    # THEN every endpoint has its own invoke-rate and new-session alarm, and there is no pool alarm
    for endpoint in ("DEFAULT", "prod", "canary"):
        alarm = _alarm(template, f"ops-support_agent.{endpoint}-InvokeRate-Warning")
        (stat,) = _metric_stats(alarm)
        assert stat["Metric"]["MetricName"] == "Invocations"
        assert _dimensions(stat)["Name"] == f"support_agent::{endpoint}"
        assert alarm["Threshold"] == pytest.approx(0.8 * invoke.per_second * 60)
        alarm = _alarm(template, f"ops-support_agent.{endpoint}-NewSessions-Warning")
        assert alarm["Threshold"] == pytest.approx(0.8 * creation.per_second * 60)
    assert not template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": "ops-Account-InvokeRate-Warning"}}
    )
    assert not template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": "ops-Account-NewSessions-Warning"}}
    )


def test_custom_levels_and_disambiguators(stack: cdk.Stack) -> None:
    support = _support(stack)
    monitoring = AgentMonitoring(
        stack, "Ops", alarm_name_prefix="team.ops", active_session_thresholds={}, session_creation_thresholds={}
    )
    result = monitoring.monitor_agent(
        support, throttles={"Warning": 5, "Critical": 20}, system_errors={}, user_error_rate={},
        latency={"Critical": 0.95}, new_session_rate={}, endpoints=["prod"],
    )
    assert result is monitoring
    template = Template.from_stack(stack)
    assert _alarm(template, "team.ops-support_agent-Throttles-Warning")["Threshold"] == 5
    assert _alarm(template, "team.ops-support_agent-Throttles-Critical")["Threshold"] == 20
    latency = _alarm(template, "team.ops-support_agent-LatencyP99-Critical")
    assert latency["Threshold"] == pytest.approx(0.95 * support.plan.mode_limit_seconds * 1000)
    assert [_dimensions(s)["Name"] for s in _metric_stats(latency)] == ["support_agent::prod"]
    names = sorted(a.alarm_name for a in monitoring.created_alarms())
    assert len(names) == 4  # 2 throttles, 1 latency, 1 pool
    critical = monitoring.created_alarms_with_disambiguator("Critical")
    assert len(critical) == 2
    template.resource_count_is("AWS::CloudWatch::Alarm", 4)


def test_created_alarms_are_every_alarm(monitored: Any) -> None:
    _, monitoring, _, _, template = monitored
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(monitoring.created_alarms()) == len(alarms) == 14
    assert len(monitoring.created_alarms_with_disambiguator("Critical")) == 3  # 2 throttles, active sessions


def test_default_topic_is_encrypted_and_tls_only(monitored: Any) -> None:
    _, monitoring, _, _, template = monitored
    template.has_resource_properties("AWS::KMS::Key", {
        "EnableKeyRotation": True,
        "KeyPolicy": {"Statement": Match.array_with([Match.object_like({
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        })])},
    })
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]}})
    template.has_resource_properties("AWS::SNS::TopicPolicy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    ])}})
    assert monitoring.alarm_topic_key is not None


def test_user_supplied_topic_is_used(stack: cdk.Stack) -> None:
    topic = sns.Topic(stack, "Pager")
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops", alarm_topic=topic, agents=[_support(stack)])
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SNS::Topic", 1)
    template.resource_count_is("AWS::KMS::Key", 0)
    ref = {"Ref": stack.get_logical_id(topic.node.default_child)}  # type: ignore[arg-type]
    for props in (r["Properties"] for r in template.find_resources("AWS::CloudWatch::Alarm").values()):
        assert props["AlarmActions"] == [ref] and props["OKActions"] == [ref]


def _dashboard(template: Template) -> dict[str, Any]:
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    text = "".join(p if isinstance(p, str) else "TOKEN" for p in body["Fn::Join"][1])
    return json.loads(text)


def test_dashboard_has_a_quota_row_and_a_row_per_agent(monitored: Any) -> None:
    stack, _, _, _, template = monitored
    template.has_resource_properties("AWS::CloudWatch::Dashboard", {})
    widgets = _dashboard(template)["widgets"]
    titles = [w["properties"].get("title", "") for w in widgets]
    texts = [w["properties"].get("markdown", "") for w in widgets if w["type"] == "text"]
    # a quota row first
    assert "Quotas" in texts[0]
    quota = catalog_for(stack).resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, REGION)
    active = next(w for w in widgets if w["properties"].get("title", "").startswith("Active sessions"))
    values = sorted(a["value"] for a in active["properties"]["annotations"]["horizontal"])
    assert values == pytest.approx(sorted([quota.value, 0.8 * quota.value, 0.95 * quota.value]))
    pool = next(w for w in widgets if w["properties"].get("title", "").startswith("Invocations per second"))
    assert pool["properties"]["metrics"], "the pool graph shows the aggregated invocations"
    # then one row per agent: a header and five graphs
    for name in ("support_agent", "research_agent"):
        assert any(t.startswith(f"### {name}") for t in texts)
        for graph in ("invocations", "throttles", "errors", "latency p99 (ms)", "new sessions"):
            assert f"{name} {graph}" in titles
    rows = [w for w in widgets if w["properties"].get("title", "").startswith("support_agent")]
    assert sum(w["width"] for w in rows) == 24


def test_dashboard_name(stack: cdk.Stack) -> None:
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops", dashboard_name="agents-ops")
    Template.from_stack(stack).has_resource_properties("AWS::CloudWatch::Dashboard", {"DashboardName": "agents-ops"})


def test_monitoring_creates_no_log_group(monitored: Any) -> None:
    # the only log groups are the agents' own runtime log groups
    _, _, support, research, template = monitored
    template.resource_count_is("AWS::Logs::LogGroup", len(support.log_groups) + len(research.log_groups))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"alarm_name_prefix": "bad prefix!"}, "alarm_name_prefix"),
        ({"alarm_name_prefix": ""}, "alarm_name_prefix"),
        ({"alarm_name_prefix": "ops", "active_session_thresholds": {"Warning": 80}}, "fraction"),
        ({"alarm_name_prefix": "ops", "invoke_rate_thresholds": {"Warning": 0}}, "fraction"),
        ({"alarm_name_prefix": "ops", "session_creation_thresholds": {"Warning": 2}}, "fraction"),
        ({"alarm_name_prefix": "ops", "period": cdk.Duration.seconds(90)}, "whole multiple of 1 min.*got 90 s"),
        ({"alarm_name_prefix": "ops", "period": cdk.Duration.seconds(30)}, "whole multiple of 1 min.*got 30 s"),
    ],
)
def test_fails_when_configuration_is_invalid(stack: cdk.Stack, kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConstructsLibValidationError, match=fragment) as exc:
        AgentMonitoring(stack, "Ops", **kwargs)
    assert exc.value.code == "InvalidMonitoringConfiguration"


def test_fails_when_levels_or_endpoints_are_invalid(stack: cdk.Stack) -> None:
    support = _support(stack)
    monitoring = AgentMonitoring(stack, "Ops", alarm_name_prefix="ops")
    with pytest.raises(ConstructsLibValidationError, match="latency.*fraction") as exc:
        monitoring.monitor_agent(support, latency={"Warning": 1.5})
    assert exc.value.code == "InvalidMonitoringConfiguration"
    with pytest.raises(ConstructsLibValidationError, match="at least 0") as exc:
        monitoring.monitor_agent(support, throttles={"Warning": -1})
    with pytest.raises(ConstructsLibValidationError, match="staging") as exc:
        monitoring.monitor_agent(support, endpoints=["staging"])
    assert exc.value.code == "InvalidMonitoringConfiguration"


def test_fails_when_an_agent_is_monitored_twice(stack: cdk.Stack) -> None:
    support = _support(stack)
    monitoring = AgentMonitoring(stack, "Ops", alarm_name_prefix="ops", agents=[support])
    with pytest.raises(ConstructsLibValidationError) as exc:
        monitoring.monitor_agent(support)
    assert exc.value.code == "AgentAlreadyMonitored"


def test_fails_when_an_alarm_would_read_too_many_metrics(stack: cdk.Stack) -> None:
    # GIVEN an agent with six endpoints: the user-error rate would read twelve metrics
    agent = AgentCoreAgent(
        stack, "Wide", runtime_name="wide_agent", artifact=AgentArtifact.from_managed_repository("v1"),
        endpoints=["a", "b", "c", "d", "e"],
    )
    monitoring = AgentMonitoring(stack, "Ops", alarm_name_prefix="ops")
    monitoring.monitor_agent(agent)
    # THEN synthesis fails with the CloudWatch limit and the way out, and none of the agent's alarms is built
    (message,) = monitoring.node.validate()
    assert message.startswith("[TooManyMetricsInAlarm] monitoring 6 endpoints of wide_agent needs alarms over 12")
    assert "more than 10" in message and "endpoints=[...]" in message
    assert not [a for a in monitoring.created_alarms() if "wide_agent" in a.node.path]
    # AND watching fewer endpoints per call works
    other = AgentMonitoring(stack, "Other", alarm_name_prefix="other")
    other.monitor_agent(agent, endpoints=["DEFAULT", "a"])
    assert other.node.validate() == []
    assert other.monitored_agents == [agent]


def test_the_ratio_alarm_is_what_makes_many_endpoints_too_wide(stack: cdk.Stack) -> None:
    agent = AgentCoreAgent(
        stack, "Wide", runtime_name="wide_agent", artifact=AgentArtifact.from_managed_repository("v1"),
        endpoints=["a", "b", "c", "d", "e"],
    )
    monitoring = AgentMonitoring(stack, "Ops", alarm_name_prefix="ops").monitor_agent(agent, user_error_rate={})
    assert monitoring.node.validate() == []


def test_dashboard_is_the_primary_child(stack: cdk.Stack) -> None:
    monitoring = AgentMonitoring(stack, "Ops", alarm_name_prefix="ops", dashboard_interval=cdk.Duration.days(7))
    assert monitoring.node.default_child is monitoring.dashboard
    assert monitoring.dashboard.node.id == "Resource"
    assert _dashboard(Template.from_stack(stack))["start"] == "-P7D"


def test_dashboard_time_range_is_cloudwatchs_own_by_default(stack: cdk.Stack) -> None:
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops")
    assert "start" not in _dashboard(Template.from_stack(stack))


def test_fails_when_the_prefix_is_a_token(stack: cdk.Stack) -> None:
    # GIVEN a prefix known only at deploy time: alarm names are the alarms' construct ids, which cannot hold one
    prefix = cdk.CfnParameter(stack, "Prefix").value_as_string
    with pytest.raises(ConstructsLibValidationError, match="alarm_name_prefix must be a concrete string") as exc:
        AgentMonitoring(stack, "Ops", alarm_name_prefix=prefix)
    assert exc.value.code == "InvalidMonitoringConfiguration"


def test_period_is_a_multiple_of_the_metric_resolution(stack: cdk.Stack) -> None:
    # GIVEN a five-minute period THEN rate thresholds are the quota per second times that period
    support = _support(stack)
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops", period=cdk.Duration.minutes(5), agents=[support])
    pool = catalog_for(stack).resolve(QuotaName.INVOKE_RATE, REGION)
    alarm = _alarm(Template.from_stack(stack), "ops-Account-InvokeRate-Warning")
    assert alarm["Threshold"] == pytest.approx(0.8 * pool.per_second * 300)
