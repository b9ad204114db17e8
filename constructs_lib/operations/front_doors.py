"""Front-door monitoring through cdk-monitoring-constructs: the APIs, functions, tables and state machines in front of
an agent, with thresholds from the plan.

Each function adds one cdk-monitoring-constructs monitoring to a ``MonitoringFacade`` (a team's own, or the one inside
:class:`~constructs_lib.operations.monitoring.AgentMonitoring`) and returns it. The resources are taken as aws-cdk-lib
interfaces (``apigw.IRestApi``, ``lambda_.IFunction``, ``dynamodb.ITable``, ``sfn.IStateMachine``), so any front door
fits, the library's facades included (``AgentApiFacade.api``, ``.proxy_function``, ``.jobs.table``).

Thresholds are levels keyed by disambiguator, like the AgentCore alarms: counts per period for errors and throttles,
fractions for error rates, and fractions of a deadline for latency and duration (the API's integration timeout, the
function's timeout: :mod:`constructs_lib.planning.operations`).

Alarm names are the facade's: ``<facade prefix>-<name>-<metric>-<disambiguator>``, where ``name`` defaults to the
resource's construct path inside its stack (``Platform-support-Api``): front doors of every agent have the same
construct ids, so names of their own would collide.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import aws_cdk as cdk
import cdk_monitoring_constructs as cmc
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import IConstruct

from constructs_lib._cdk.names import alarm_name_part
from constructs_lib._cdk.scope import catalog_for, path_of
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.names import ALARM_NAME_CHARACTERS
from constructs_lib.planning.operations import (
    AT_ONCE,
    DEFAULT_API_CLIENT_ERROR_RATE_THRESHOLDS,
    DEFAULT_API_LATENCY_THRESHOLDS,
    DEFAULT_API_SERVER_ERROR_THRESHOLDS,
    DEFAULT_FUNCTION_DURATION_THRESHOLDS,
    DEFAULT_FUNCTION_ERROR_THRESHOLDS,
    DEFAULT_FUNCTION_THROTTLE_THRESHOLDS,
    DEFAULT_STATE_MACHINE_FAILED_THRESHOLDS,
    DEFAULT_STATE_MACHINE_THROTTLED_THRESHOLDS,
    DEFAULT_STATE_MACHINE_TIMED_OUT_THRESHOLDS,
    DEFAULT_TABLE_SYSTEM_ERROR_THRESHOLDS,
    DEFAULT_TABLE_THROTTLE_THRESHOLDS,
    MOSTLY,
    SUSTAINED,
    DeadlineAlarms,
    Evaluation,
    api_latency_alarms,
    deadline_problems,
    default_period_seconds,
    function_duration_alarms,
    level_problems,
)

#: WebSocket API metrics (``AWS/ApiGateway``, dimensions ``ApiId`` and ``Stage``), read through the stage's ``metric``.
WEBSOCKET_INTEGRATION_ERROR = "IntegrationError"
WEBSOCKET_CLIENT_ERROR = "ClientError"
WEBSOCKET_MESSAGE_COUNT = "MessageCount"
WEBSOCKET_CONNECT_COUNT = "ConnectCount"
WEBSOCKET_INTEGRATION_LATENCY = "IntegrationLatency"

_GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
M = TypeVar("M", bound=cmc.Monitoring)


def _levels(
    prop: str, levels: Mapping[str, float] | None, default: Mapping[str, float], *, fraction: bool, problems: list[str]
) -> dict[str, float]:
    chosen = dict(default if levels is None else levels)
    problems += level_problems(prop, chosen, fraction=fraction, allowed=ALARM_NAME_CHARACTERS)
    return chosen


def _seconds(duration: cdk.Duration | None) -> float | None:
    return None if duration is None or duration.is_unresolved() else duration.to_seconds()


def _name(facade: cmc.MonitoringFacade, resource: IConstruct, name: str | None, problems: list[str]) -> str:
    if name is None:
        return alarm_name_part(resource, catalog_for(facade))
    if not name or set(name) - ALARM_NAME_CHARACTERS:
        problems.append(f"name may contain only letters, digits, '_', '.' and '-', got {name!r}")
    return name


def _added(facade: cmc.MonitoringFacade, monitoring: M) -> M:
    """``monitoring`` added to ``facade``'s dashboards and alarms (what the facade's ``monitor_*`` methods do)."""
    facade.add_segment(monitoring)
    return monitoring


def _counts(
    levels: Mapping[str, float], evaluation: Evaluation, what: str
) -> dict[str, cmc.ErrorCountThreshold]:
    return {
        k: cmc.ErrorCountThreshold(
            max_error_count=v, alarm_description_override=f"{k}: more than {v:g} {what} {evaluation.describe()}",
            evaluation_periods=evaluation.evaluation_periods, datapoints_to_alarm=evaluation.datapoints_to_alarm,
        )
        for k, v in levels.items()
    }


def _rates(levels: Mapping[str, float], evaluation: Evaluation, what: str) -> dict[str, cmc.ErrorRateThreshold]:
    return {
        k: cmc.ErrorRateThreshold(
            max_error_rate=v, alarm_description_override=f"{k}: more than {v:.0%} of {what} {evaluation.describe()}",
            evaluation_periods=evaluation.evaluation_periods, datapoints_to_alarm=evaluation.datapoints_to_alarm,
        )
        for k, v in levels.items()
    }


def _latencies(alarms: DeadlineAlarms, evaluation: Evaluation, what: str) -> dict[str, cmc.LatencyThreshold]:
    return {
        level.level: cmc.LatencyThreshold(
            max_latency=cdk.Duration.millis(round(level.threshold * 1000)),
            alarm_description_override=(
                f"{level.level}: p99 {what} above {level.fraction:.0%} of {alarms.deadline}; requests near it are cut "
                "off"
            ),
            evaluation_periods=evaluation.evaluation_periods, datapoints_to_alarm=evaluation.datapoints_to_alarm,
        )
        for level in alarms.levels
    }


def monitor_rest_api(
    facade: cmc.MonitoringFacade,
    api: apigw.IRestApi,
    *,
    integration_timeout: cdk.Duration,
    stage_name: str | None = None,
    name: str | None = None,
    server_errors: Mapping[str, float] | None = None,
    client_error_rate: Mapping[str, float] | None = None,
    latency: Mapping[str, float] | None = None,
) -> cmc.ApiGatewayMonitoring:
    """Alarms and a dashboard row for a REST API: 5XX answers, the 4XX rate, p99 latency vs the integration timeout.

    Args:
        facade: the facade the monitoring goes to.
        api: the REST API.
        integration_timeout: the integration timeout of its routes (``AgentApiFacade.fit.integration_timeout_seconds``).
        stage_name: the stage to watch. Default: the API's deployment stage.
        name: the resource part of alarm names. Default: the API's construct path in its stack.
        server_errors: alarm when more 5XX answers than this occur in most periods of a short window.
            Default: ``DEFAULT_API_SERVER_ERROR_THRESHOLDS`` (any).
        client_error_rate: alarm when the share of 4XX answers exceeds this fraction for a sustained window.
            Default: ``DEFAULT_API_CLIENT_ERROR_RATE_THRESHOLDS``.
        latency: alarm when p99 latency exceeds this fraction of ``integration_timeout``.
            Default: ``DEFAULT_API_LATENCY_THRESHOLDS``.

    Raises:
        ConstructsLibValidationError: ``InvalidMonitoringConfiguration`` for levels out of range, a token or
            non-positive timeout, or a bad name.
    """
    problems: list[str] = []
    label = _name(facade, api, name, problems)
    errors = _levels("server_errors", server_errors, DEFAULT_API_SERVER_ERROR_THRESHOLDS, fraction=False,
                     problems=problems)
    rates = _levels("client_error_rate", client_error_rate, DEFAULT_API_CLIENT_ERROR_RATE_THRESHOLDS, fraction=True,
                    problems=problems)
    fractions = _levels("latency", latency, DEFAULT_API_LATENCY_THRESHOLDS, fraction=True, problems=problems)
    timeout = _seconds(integration_timeout)
    problems += deadline_problems("integration_timeout", timeout)
    raise_all("InvalidMonitoringConfiguration", problems, path_of(facade))
    assert timeout is not None
    return _added(facade, cmc.ApiGatewayMonitoring(
        facade,
        api=api,
        api_stage=stage_name,
        alarm_friendly_name=label,
        human_readable_name=f"REST API {label}",
        add5_xx_fault_count_alarm=_counts(errors, MOSTLY, f"5XX answers of {label}"),
        add4_xx_error_rate_alarm=_rates(rates, SUSTAINED, f"requests to {label} answered 4XX"),
        add_latency_p99_alarm=_latencies(api_latency_alarms(timeout, fractions), MOSTLY, "latency"),
    ))


def monitor_function(
    facade: cmc.MonitoringFacade,
    function: lambda_.IFunction,
    *,
    timeout: cdk.Duration | None = None,
    name: str | None = None,
    errors: Mapping[str, float] | None = None,
    throttles: Mapping[str, float] | None = None,
    duration: Mapping[str, float] | None = None,
) -> cmc.LambdaFunctionMonitoring:
    """Alarms and a dashboard row for a front-door function: errors, throttles, p99 duration vs its timeout.

    Args:
        facade: the facade the monitoring goes to.
        function: the function (a proxy or relay).
        timeout: the function's timeout. Default: ``function.timeout`` when it is a ``lambda_.Function`` with one;
            required for an imported function.
        name: the resource part of alarm names. Default: the function's construct path in its stack.
        errors: alarm when more errors than this occur in most periods of a short window.
            Default: ``DEFAULT_FUNCTION_ERROR_THRESHOLDS`` (any).
        throttles: alarm when more invocations than this are throttled in a period.
            Default: ``DEFAULT_FUNCTION_THROTTLE_THRESHOLDS`` (any).
        duration: alarm when p99 duration exceeds this fraction of the timeout.
            Default: ``DEFAULT_FUNCTION_DURATION_THRESHOLDS``.

    Raises:
        ConstructsLibValidationError: ``InvalidMonitoringConfiguration`` for levels out of range, a missing, token or
            non-positive timeout, or a bad name.
    """
    problems: list[str] = []
    label = _name(facade, function, name, problems)
    error_levels = _levels("errors", errors, DEFAULT_FUNCTION_ERROR_THRESHOLDS, fraction=False, problems=problems)
    throttle_levels = _levels("throttles", throttles, DEFAULT_FUNCTION_THROTTLE_THRESHOLDS, fraction=False,
                              problems=problems)
    fractions = _levels("duration", duration, DEFAULT_FUNCTION_DURATION_THRESHOLDS, fraction=True, problems=problems)
    own = function.timeout if isinstance(function, lambda_.Function) else None
    chosen = timeout or own
    if chosen is None:
        raise ConstructsLibValidationError(
            "InvalidMonitoringConfiguration",
            f"timeout is required for {path_of(function)}: it is not a lambda_.Function with a timeout, and duration "
            "alarms are fractions of the timeout",
            path_of(facade),
        )
    seconds = _seconds(chosen)
    problems += deadline_problems("timeout", seconds)
    raise_all("InvalidMonitoringConfiguration", problems, path_of(facade))
    assert seconds is not None
    return _added(facade, cmc.LambdaFunctionMonitoring(
        facade,
        lambda_function=function,
        alarm_friendly_name=label,
        human_readable_name=f"Function {label}",
        add_fault_count_alarm=_counts(error_levels, MOSTLY, f"errors of {label}"),
        add_throttles_count_alarm=_counts(throttle_levels, AT_ONCE, f"throttled invocations of {label}"),
        add_latency_p99_alarm=_latencies(function_duration_alarms(seconds, fractions), MOSTLY, "duration"),
    ))


def monitor_websocket_api(
    facade: cmc.MonitoringFacade,
    stage: apigwv2.IWebSocketStage,
    *,
    integration_timeout: cdk.Duration,
    name: str | None = None,
    period: cdk.Duration | None = None,
    server_errors: Mapping[str, float] | None = None,
    client_error_rate: Mapping[str, float] | None = None,
    latency: Mapping[str, float] | None = None,
) -> cmc.CustomMonitoring:
    """Alarms and a dashboard row for a WebSocket API stage: integration errors, the client-error rate, p99
    integration latency vs the integration timeout.

    cdk-monitoring-constructs has no WebSocket monitoring, so this is its custom monitoring over the stage's own
    metrics (``stage.metric``).

    Args:
        facade: the facade the monitoring goes to.
        stage: the WebSocket stage (``AgentWebSocketFacade.stage``).
        integration_timeout: the route integration's timeout (API Gateway's WebSocket integration timeout).
        name: the resource part of alarm names. Default: the stage's construct path in its stack.
        period: the period the metrics aggregate over. Default: CloudWatch's standard-resolution period (the stage's
            metrics do not follow the facade's metric defaults).
        server_errors: alarm when more integration errors than this occur in most periods of a short window.
            Default: ``DEFAULT_API_SERVER_ERROR_THRESHOLDS`` (any).
        client_error_rate: alarm when ``ClientError / (MessageCount + ConnectCount)`` exceeds this fraction for a
            sustained window. Default: ``DEFAULT_API_CLIENT_ERROR_RATE_THRESHOLDS``.
        latency: alarm when p99 integration latency exceeds this fraction of ``integration_timeout``.
            Default: ``DEFAULT_API_LATENCY_THRESHOLDS``.

    Raises:
        ConstructsLibValidationError: ``InvalidMonitoringConfiguration`` for levels out of range, a token or
            non-positive timeout, or a bad name.
    """
    problems: list[str] = []
    label = _name(facade, stage, name, problems)
    errors = _levels("server_errors", server_errors, DEFAULT_API_SERVER_ERROR_THRESHOLDS, fraction=False,
                     problems=problems)
    rates = _levels("client_error_rate", client_error_rate, DEFAULT_API_CLIENT_ERROR_RATE_THRESHOLDS, fraction=True,
                    problems=problems)
    fractions = _levels("latency", latency, DEFAULT_API_LATENCY_THRESHOLDS, fraction=True, problems=problems)
    timeout = _seconds(integration_timeout)
    problems += deadline_problems("integration_timeout", timeout)
    raise_all("InvalidMonitoringConfiguration", problems, path_of(facade))
    assert timeout is not None

    every = period or cdk.Duration.seconds(default_period_seconds(catalog_for(facade)))
    integration_errors = stage.metric(
        WEBSOCKET_INTEGRATION_ERROR, statistic="Sum", label="integration errors", period=every
    )
    client_errors = stage.metric(WEBSOCKET_CLIENT_ERROR, statistic="Sum", period=every)
    messages = stage.metric(WEBSOCKET_MESSAGE_COUNT, statistic="Sum", period=every)
    connects = stage.metric(WEBSOCKET_CONNECT_COUNT, statistic="Sum", period=every)
    client_rate = cloudwatch.MathExpression(
        expression="FILL(e, 0) / (FILL(m, 0) + FILL(c, 0))",
        using_metrics={"e": client_errors, "m": messages, "c": connects},
        label="client error rate",
        period=every,
    )
    p99 = stage.metric(
        WEBSOCKET_INTEGRATION_LATENCY, statistic="p99", label="integration latency p99 (ms)", period=every
    )
    deadline = api_latency_alarms(timeout, fractions)

    def custom(levels: Mapping[str, float], evaluation: Evaluation, describe: str) -> dict[str, cmc.CustomThreshold]:
        return {
            level: cmc.CustomThreshold(
                threshold=value, comparison_operator=_GT, alarm_description_override=f"{level}: {describe}",
                # No traffic: nothing failed and nothing was slow.
                treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                evaluation_periods=evaluation.evaluation_periods, datapoints_to_alarm=evaluation.datapoints_to_alarm,
            )
            for level, value in levels.items()
        }

    latency_levels = {
        level.level: cmc.CustomThreshold(
            threshold=level.threshold * 1000, comparison_operator=_GT,
            treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description_override=(
                f"{level.level}: p99 integration latency above {level.fraction:.0%} of {deadline.deadline}; messages "
                "near it are cut off"
            ),
            evaluation_periods=MOSTLY.evaluation_periods, datapoints_to_alarm=MOSTLY.datapoints_to_alarm,
        )
        for level in deadline.levels
    }
    return _added(facade, cmc.CustomMonitoring(
        facade,
        alarm_friendly_name=label,
        human_readable_name=f"WebSocket API {label}",
        metric_groups=[
            cmc.CustomMetricGroup(title="Errors", metrics=[
                cmc.CustomMetricWithAlarm(
                    metric=integration_errors, alarm_friendly_name="IntegrationErrors",
                    add_alarm=custom(errors, MOSTLY, f"integration errors of {label} (the relay failed) "
                                                     f"{MOSTLY.describe()}"),
                ),
            ]),
            cmc.CustomMetricGroup(title="Client error rate", metrics=[
                cmc.CustomMetricWithAlarm(
                    metric=client_rate, alarm_friendly_name="ClientErrorRate",
                    add_alarm=custom(rates, SUSTAINED, f"share of messages and connects to {label} answered with a "
                                                       f"client error {SUSTAINED.describe()}"),
                ),
            ]),
            cmc.CustomMetricGroup(title="Integration latency", metrics=[
                cmc.CustomMetricWithAlarm(metric=p99, alarm_friendly_name="IntegrationLatencyP99",
                                          add_alarm=latency_levels),
            ]),
        ],
    ))


def monitor_table(
    facade: cmc.MonitoringFacade,
    table: dynamodb.ITable,
    *,
    name: str | None = None,
    throttles: Mapping[str, float] | None = None,
    system_errors: Mapping[str, float] | None = None,
) -> cmc.DynamoTableMonitoring:
    """Alarms and a dashboard row for a table (sessions, jobs, connections): throttled reads and writes, system errors.

    Args:
        facade: the facade the monitoring goes to.
        table: the table.
        name: the resource part of alarm names. Default: the table's construct path in its stack.
        throttles: alarm when more reads (and, separately, writes) than this are throttled in a period.
            Default: ``DEFAULT_TABLE_THROTTLE_THRESHOLDS`` (any).
        system_errors: alarm when more system errors than this occur in most periods of a short window.
            Default: ``DEFAULT_TABLE_SYSTEM_ERROR_THRESHOLDS`` (any).

    Raises:
        ConstructsLibValidationError: ``InvalidMonitoringConfiguration`` for levels out of range or a bad name.
    """
    problems: list[str] = []
    label = _name(facade, table, name, problems)
    throttle_levels = _levels("throttles", throttles, DEFAULT_TABLE_THROTTLE_THRESHOLDS, fraction=False,
                              problems=problems)
    error_levels = _levels("system_errors", system_errors, DEFAULT_TABLE_SYSTEM_ERROR_THRESHOLDS, fraction=False,
                           problems=problems)
    raise_all("InvalidMonitoringConfiguration", problems, path_of(facade))
    throttled = {
        k: cmc.ThrottledEventsThreshold(
            max_throttled_events_threshold=v, evaluation_periods=AT_ONCE.evaluation_periods,
            datapoints_to_alarm=AT_ONCE.datapoints_to_alarm,
            alarm_description_override=f"{k}: more than {v:g} throttled reads or writes of table {label} in one period",
        )
        for k, v in throttle_levels.items()
    }
    return _added(facade, cmc.DynamoTableMonitoring(
        facade,
        table=table,
        alarm_friendly_name=label,
        human_readable_name=f"Table {label}",
        add_read_throttled_events_count_alarm=throttled,
        add_write_throttled_events_count_alarm=throttled,
        add_system_error_count_alarm=_counts(error_levels, MOSTLY, f"system errors of table {label}"),
    ))


def monitor_state_machine(
    facade: cmc.MonitoringFacade,
    state_machine: sfn.IStateMachine,
    *,
    name: str | None = None,
    failed: Mapping[str, float] | None = None,
    timed_out: Mapping[str, float] | None = None,
    throttled: Mapping[str, float] | None = None,
) -> cmc.StepFunctionMonitoring:
    """Alarms and a dashboard row for a state machine (a pipeline): failed, timed-out and throttled executions.

    Args:
        facade: the facade the monitoring goes to.
        state_machine: the state machine (``AgentPipeline.state_machine``).
        name: the resource part of alarm names. Default: the state machine's construct path in its stack.
        failed: alarm when more executions than this fail in a period.
            Default: ``DEFAULT_STATE_MACHINE_FAILED_THRESHOLDS``.
        timed_out: alarm when more executions than this time out in a period.
            Default: ``DEFAULT_STATE_MACHINE_TIMED_OUT_THRESHOLDS``.
        throttled: alarm when more executions than this are throttled in a period.
            Default: ``DEFAULT_STATE_MACHINE_THROTTLED_THRESHOLDS``.

    Raises:
        ConstructsLibValidationError: ``InvalidMonitoringConfiguration`` for levels out of range or a bad name.
    """
    problems: list[str] = []
    label = _name(facade, state_machine, name, problems)
    failed_levels = _levels("failed", failed, DEFAULT_STATE_MACHINE_FAILED_THRESHOLDS, fraction=False,
                            problems=problems)
    timed_out_levels = _levels("timed_out", timed_out, DEFAULT_STATE_MACHINE_TIMED_OUT_THRESHOLDS, fraction=False,
                               problems=problems)
    throttled_levels = _levels("throttled", throttled, DEFAULT_STATE_MACHINE_THROTTLED_THRESHOLDS, fraction=False,
                               problems=problems)
    raise_all("InvalidMonitoringConfiguration", problems, path_of(facade))
    return _added(facade, cmc.StepFunctionMonitoring(
        facade,
        state_machine=state_machine,
        alarm_friendly_name=label,
        human_readable_name=f"State machine {label}",
        add_failed_execution_count_alarm=_counts(failed_levels, AT_ONCE, f"failed executions of {label}"),
        add_timed_out_execution_count_alarm=_counts(timed_out_levels, AT_ONCE, f"timed-out executions of {label}"),
        add_throttled_execution_count_alarm=_counts(
            throttled_levels, AT_ONCE, f"throttled executions of {label}"
        ),
    ))


__all__ = [
    "WEBSOCKET_CLIENT_ERROR",
    "WEBSOCKET_CONNECT_COUNT",
    "WEBSOCKET_INTEGRATION_ERROR",
    "WEBSOCKET_INTEGRATION_LATENCY",
    "WEBSOCKET_MESSAGE_COUNT",
    "monitor_function",
    "monitor_rest_api",
    "monitor_state_machine",
    "monitor_table",
    "monitor_websocket_api",
]
