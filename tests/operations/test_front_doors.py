"""Front-door monitoring: every alarm's metric, dimensions, threshold from the plan and actions; the platform wiring."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from constructs_lib import AgentArtifact, AgentPlatform, AgentSpec, ConstructsLibValidationError, WorkloadProfile
from constructs_lib.operations.monitoring import AgentMonitoring
from constructs_lib.orchestration.pipeline import AgentPipeline
from constructs_lib.orchestration.steps import AgentStep
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.websocket_facade import AgentWebSocketFacade
from tests.serving._fixtures import make_agent


def _alarm(template: Template, name: str) -> dict[str, Any]:
    found = template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": name}})
    assert len(found) == 1, f"expected one alarm named {name}, found {sorted(found)}"
    return next(iter(found.values()))["Properties"]


def _stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    return [m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m]


def _dims(stat: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}


def _ref(template: Template, cfn_type: str, path_part: str) -> dict[str, str]:
    (logical_id,) = [k for k in template.find_resources(cfn_type) if path_part in k]
    return {"Ref": logical_id}


def _notifies_topic(template: Template, alarm: dict[str, Any]) -> None:
    (topic,) = template.find_resources("AWS::SNS::Topic")
    assert alarm["AlarmActions"] == [{"Ref": topic}] and alarm["OKActions"] == [{"Ref": topic}]


@pytest.fixture
def rest(stack: cdk.Stack) -> tuple[AgentApiFacade, Template]:
    agent = make_agent(stack)
    facade = AgentApiFacade(stack, "Api", agent=agent, jobs=True)
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops").monitor_rest_api(
        facade.api, integration_timeout=cdk.Duration.seconds(facade.fit.integration_timeout_seconds),
        proxy=facade.proxy_function,
    ).monitor_table(facade.jobs.table)  # type: ignore[union-attr]
    return facade, Template.from_stack(stack)


def test_rest_api_alarms_on_5xx_4xx_rate_and_latency_against_the_integration_timeout(rest: Any) -> None:
    facade, template = rest
    timeout_ms = facade.fit.integration_timeout_seconds * 1000
    stage = _ref(template, "AWS::ApiGateway::Stage", "ApiDeploymentStage")
    # THEN 5XX: any 5XXError (Sum) in 3 of 5 periods pages
    faults = _alarm(template, "ops-Api-Fault-Count-Critical")
    (stat,) = _stats(faults)
    assert stat["Metric"]["Namespace"] == "AWS/ApiGateway" and stat["Metric"]["MetricName"] == "5XXError"
    assert _dims(stat) == {"ApiName": facade.api.rest_api_name, "Stage": stage}
    assert stat["Stat"] == "Sum" and faults["Threshold"] == 0
    assert (faults["DatapointsToAlarm"], faults["EvaluationPeriods"]) == (3, 5)
    _notifies_topic(template, faults)
    # AND the 4XX rate (Average of 4XXError) above a tenth for a sustained window
    rate = _alarm(template, "ops-Api-Error-Rate-Warning")
    (stat,) = _stats(rate)
    assert stat["Metric"]["MetricName"] == "4XXError" and stat["Stat"] == "Average"
    assert rate["Threshold"] == pytest.approx(0.1) and rate["DatapointsToAlarm"] == rate["EvaluationPeriods"] == 5
    # AND p99 latency at 80 % of the integration timeout the facade's fit chose
    latency = _alarm(template, "ops-Api-Latency-P99-Warning")
    (stat,) = _stats(latency)
    assert stat["Metric"]["MetricName"] == "Latency" and stat["Stat"] == "p99" and stat["Period"] == 60
    assert latency["Threshold"] == pytest.approx(0.8 * timeout_ms)
    assert "integration timeout" in latency["AlarmDescription"]
    _notifies_topic(template, latency)


def test_proxy_alarms_on_errors_throttles_and_duration_against_its_timeout(rest: Any) -> None:
    facade, template = rest
    function = _ref(template, "AWS::Lambda::Function", "ApiProxy")
    timeout_ms = facade.fit.proxy_timeout_seconds * 1000
    for name, metric, stat_name, threshold in (
        ("ops-Api-Proxy-Function-Fault-Count-Critical", "Errors", "Sum", 0),
        ("ops-Api-Proxy-Function-Throttled-Count-Critical", "Throttles", "Sum", 0),
        ("ops-Api-Proxy-Function-Latency-P99-Warning", "Duration", "p99", 0.8 * timeout_ms),
    ):
        alarm = _alarm(template, name)
        (stat,) = _stats(alarm)
        assert stat["Metric"]["Namespace"] == "AWS/Lambda" and stat["Metric"]["MetricName"] == metric
        assert _dims(stat) == {"FunctionName": function} and stat["Stat"] == stat_name
        assert alarm["Threshold"] == pytest.approx(threshold)
        _notifies_topic(template, alarm)


def test_table_alarms_on_throttled_reads_writes_and_system_errors(rest: Any) -> None:
    _, template = rest
    table = _ref(template, "AWS::DynamoDB::Table", "ApiJobs")
    for name, metric in (
        ("ops-Api-Jobs-Read-Throttled-Events-Warning", "ReadThrottleEvents"),
        ("ops-Api-Jobs-Write-Throttled-Events-Warning", "WriteThrottleEvents"),
        ("ops-Api-Jobs-SystemError-Count-Critical", "SystemErrors"),
    ):
        alarm = _alarm(template, name)
        stats = _stats(alarm)
        assert {s["Metric"]["MetricName"] for s in stats} == {metric}
        assert all(s["Metric"]["Namespace"] == "AWS/DynamoDB" and _dims(s)["TableName"] == table for s in stats)
        assert alarm["Threshold"] == 0
        _notifies_topic(template, alarm)


def test_streaming_api_latency_follows_the_streaming_integration_timeout(stack: cdk.Stack) -> None:
    # GIVEN a streaming facade: its integration timeout is the streaming duration, not the buffered 29 s
    agent = make_agent(stack, workload=WorkloadProfile(longest_task=cdk.Duration.minutes(5)))
    facade = AgentApiFacade(stack, "Api", agent=agent, streaming=True)
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops").monitor_rest_api(
        facade.api, integration_timeout=cdk.Duration.seconds(facade.fit.integration_timeout_seconds),
        latency={"Warning": 0.5, "Critical": 0.9},
    )
    template = Template.from_stack(stack)
    for level, fraction in (("Warning", 0.5), ("Critical", 0.9)):
        alarm = _alarm(template, f"ops-Api-Latency-P99-{level}")
        assert alarm["Threshold"] == pytest.approx(fraction * facade.fit.integration_timeout_seconds * 1000)
    assert facade.fit.integration_timeout_seconds > 29


def test_websocket_alarms_on_integration_errors_client_error_rate_and_latency(stack: cdk.Stack) -> None:
    agent = make_agent(stack)
    ws = AgentWebSocketFacade(stack, "WebSocket", agent=agent)
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops").monitor_websocket_api(
        ws.stage, integration_timeout=cdk.Duration.seconds(29), proxy=ws.relay_function,
    )
    template = Template.from_stack(stack)
    api = _ref(template, "AWS::ApiGatewayV2::Api", "WebSocket")
    errors = _alarm(template, "ops-WebSocket-Stage-IntegrationErrors-Critical")
    (stat,) = _stats(errors)
    assert stat["Metric"]["MetricName"] == "IntegrationError" and stat["Stat"] == "Sum" and stat["Period"] == 60
    assert _dims(stat) == {"ApiId": api, "Stage": ws.stage.stage_name}
    assert errors["Threshold"] == 0 and errors["TreatMissingData"] == "notBreaching"
    _notifies_topic(template, errors)
    rate = _alarm(template, "ops-WebSocket-Stage-ClientErrorRate-Warning")
    assert {s["Metric"]["MetricName"] for s in _stats(rate)} == {"ClientError", "MessageCount", "ConnectCount"}
    assert rate["Threshold"] == pytest.approx(0.1)
    latency = _alarm(template, "ops-WebSocket-Stage-IntegrationLatencyP99-Warning")
    (stat,) = _stats(latency)
    assert stat["Metric"]["MetricName"] == "IntegrationLatency" and stat["Stat"] == "p99"
    assert latency["Threshold"] == pytest.approx(0.8 * 29 * 1000)
    # AND the relay's duration alarm reads its own (longer) timeout
    relay = _alarm(template, "ops-WebSocket-Relay-Function-Latency-P99-Warning")
    assert relay["Threshold"] == pytest.approx(0.8 * ws.fit.relay_timeout_seconds * 1000)


def test_state_machine_alarms_on_failed_timed_out_and_throttled_executions(stack: cdk.Stack) -> None:
    agent = make_agent(stack)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent, name="One")])
    AgentMonitoring(stack, "Ops", alarm_name_prefix="ops").monitor_state_machine(pipeline.state_machine)
    template = Template.from_stack(stack)
    machine = _ref(template, "AWS::StepFunctions::StateMachine", "Pipeline")
    for name, metric in (
        ("ops-Pipeline-Failure-Count-Critical", "ExecutionsFailed"),
        ("ops-Pipeline-TimedOut-Count-Critical", "ExecutionsTimedOut"),
        ("ops-Pipeline-Throttled-Count-Warning", "ExecutionThrottled"),
    ):
        alarm = _alarm(template, name)
        (stat,) = _stats(alarm)
        assert stat["Metric"]["Namespace"] == "AWS/States" and stat["Metric"]["MetricName"] == metric
        assert _dims(stat) == {"StateMachineArn": machine} and alarm["Threshold"] == 0
        _notifies_topic(template, alarm)


def test_fails_when_the_integration_timeout_is_a_token(stack: cdk.Stack) -> None:
    facade = AgentApiFacade(stack, "Api", agent=make_agent(stack))
    seconds = cdk.CfnParameter(stack, "Timeout", type="Number").value_as_number
    with pytest.raises(ConstructsLibValidationError, match="integration_timeout must be a concrete duration") as exc:
        AgentMonitoring(stack, "Ops", alarm_name_prefix="ops").monitor_rest_api(
            facade.api, integration_timeout=cdk.Duration.seconds(seconds))
    assert exc.value.code == "InvalidMonitoringConfiguration"


def test_fails_when_a_latency_level_is_not_a_fraction(stack: cdk.Stack) -> None:
    facade = AgentApiFacade(stack, "Api", agent=make_agent(stack))
    with pytest.raises(ConstructsLibValidationError, match=r"latency\['Warning'\] must be a fraction") as exc:
        AgentMonitoring(stack, "Ops", alarm_name_prefix="ops").monitor_rest_api(
            facade.api, integration_timeout=cdk.Duration.seconds(29), latency={"Warning": 1.5})
    assert exc.value.code == "InvalidMonitoringConfiguration"


def test_fails_when_an_imported_function_has_no_timeout(stack: cdk.Stack) -> None:
    imported = lambda_.Function.from_function_name(stack, "Imported", "team-proxy")
    with pytest.raises(ConstructsLibValidationError, match="timeout is required") as exc:
        AgentMonitoring(stack, "Ops", alarm_name_prefix="ops").monitor_function(imported)
    assert exc.value.code == "InvalidMonitoringConfiguration"


def test_platform_monitors_each_agents_front_doors(stack: cdk.Stack) -> None:
    # GIVEN a platform with a synchronous agent and an asynchronous one (jobs)
    platform = AgentPlatform(stack, "Platform", agents=[
        AgentSpec(name="support", artifact=AgentArtifact.from_managed_repository("v1")),
        AgentSpec(name="research", artifact=AgentArtifact.from_managed_repository("v1"),
                  workload=WorkloadProfile(longest_task=cdk.Duration.hours(3))),
    ])
    template = Template.from_stack(stack)
    monitoring = platform.monitoring
    assert monitoring is not None
    prefix = monitoring.alarm_name_prefix
    assert prefix == "TestStack-Platform-Monitoring"
    # THEN the shared API, its proxy, the session table and the job table are watched once, for every agent
    api = platform.api
    assert api is not None and set(api.agents) == {"support", "research"}
    latency = _alarm(template, f"{prefix}-Platform-Api-Latency-P99-Warning")
    fit = api.agents["support"].fit
    assert latency["Threshold"] == pytest.approx(0.8 * fit.integration_timeout_seconds * 1000)
    _alarm(template, f"{prefix}-Platform-Api-Proxy-Function-Throttled-Count-Critical")
    _alarm(template, f"{prefix}-Platform-Sessions-Read-Throttled-Events-Warning")
    _alarm(template, f"{prefix}-Platform-Api-Jobs-SystemError-Count-Critical")
    assert len(template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {
        "AlarmName": Match.string_like_regexp("-Api-Latency-P99-Warning$")}})) == 1
    # AND every front-door alarm is among the monitoring's created alarms
    names = {a.node.id for a in monitoring.created_alarms()}
    assert f"{prefix}-Platform-Api-Fault-Count-Critical" in names
