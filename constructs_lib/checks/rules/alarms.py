"""AgentCore-Alarms: a stack with a runtime has alarms on throttling and on active sessions."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import (
    ALARM,
    RUNTIME,
    concrete_str,
    logical_id,
    memo,
    properties,
    references,
    resource_type,
    stack_resources,
)
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.service import METRIC_NAMESPACE

#: Per-runtime metric of throttled invocations.
THROTTLES = "Throttles"
#: Account-level gauge of live sessions, compared with the active-session quota.
ACTIVE_SESSION_COUNT = "ActiveSessionCount"


def _alarm_metrics(alarm: cdk.CfnResource) -> list[tuple[str | None, str | None, Any]]:
    """``(namespace, metric name, dimensions)`` of a simple alarm and of every metric in a math alarm."""
    return memo("alarm_metrics", alarm, lambda: _read_alarm_metrics(alarm))


def _read_alarm_metrics(alarm: cdk.CfnResource) -> list[tuple[str | None, str | None, Any]]:
    props = properties(alarm)
    metrics = [(props.get("Namespace"), props.get("MetricName"), props.get("Dimensions"))]
    for query in props.get("Metrics", []) or []:
        metric = (query.get("MetricStat") or {}).get("Metric") if isinstance(query, dict) else None
        if isinstance(metric, dict):
            metrics.append((metric.get("Namespace"), metric.get("MetricName"), metric.get("Dimensions")))
    return [(concrete_str(ns), concrete_str(name), dims) for ns, name, dims in metrics]


def _names_runtime(dimensions: Any, runtime_id: str, runtime_name: str | None) -> bool:
    if references(dimensions, runtime_id):
        return True
    values = [d.get("Value") for d in dimensions or [] if isinstance(d, dict)]
    return runtime_name is not None and any(
        isinstance(v, str) and (v == runtime_name or v.startswith(f"{runtime_name}::")) for v in values
    )


def _names_any_runtime(dimensions: Any, runtimes: list[cdk.CfnResource]) -> bool:
    return any(
        _names_runtime(dimensions, logical_id(r), concrete_str(properties(r).get("AgentRuntimeName")))
        for r in runtimes
    )


def alarms_present(node: cdk.CfnResource) -> RuleResult:
    """Findings ``[Throttles]`` and ``[ActiveSessionCount]`` for a runtime whose stack lacks those alarms.

    A ``Throttles`` alarm in ``AWS/Bedrock-AgentCore`` counts for the runtime when its dimensions name
    this runtime (by reference or by runtime name) or name no runtime of the stack at all (an aggregate
    alarm). Any ``ActiveSessionCount`` alarm in the namespace counts: it is an account-level gauge.
    """
    if resource_type(node) != RUNTIME:
        return NagRuleCompliance.NOT_APPLICABLE
    runtime_id = logical_id(node)
    runtime_name = concrete_str(properties(node).get("AgentRuntimeName"))
    runtimes = stack_resources(node, RUNTIME)
    throttles = sessions = False
    for alarm in stack_resources(node, ALARM):
        for namespace, metric_name, dimensions in _alarm_metrics(alarm):
            if namespace != METRIC_NAMESPACE:
                continue
            if metric_name == ACTIVE_SESSION_COUNT:
                sessions = True
            elif metric_name == THROTTLES and (
                _names_runtime(dimensions, runtime_id, runtime_name) or not _names_any_runtime(dimensions, runtimes)
            ):
                throttles = True
    findings = [name for name, present in ((THROTTLES, throttles), (ACTIVE_SESSION_COUNT, sessions)) if not present]
    return findings or NagRuleCompliance.COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    invoke = catalog.resolve(QuotaName.INVOKE_RATE, region)
    sessions = catalog.resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, region)
    return (
        f"Invocations beyond {invoke.formatted()} (the {invoke.describe()}) are throttled, and new sessions "
        f"beyond {sessions.formatted()} active (the {sessions.describe()}) fail with "
        "ServiceQuotaExceededException. Without alarms on Throttles and on ActiveSessionCount in "
        f"{METRIC_NAMESPACE} the first sign is failing users. Add them (AgentMonitoring does), or acknowledge "
        "where another stack monitors the account."
    )


RULE = RuleSpec(
    rule_id="Alarms",
    level=NagMessageLevel.WARN,
    info="The stack defines an AgentCore runtime without alarms on Throttles and ActiveSessionCount.",
    explanation=_explanation,
    check=alarms_present,
    resource_types=frozenset({RUNTIME}),
)
