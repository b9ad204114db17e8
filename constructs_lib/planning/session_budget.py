"""The runaway-session guard checked against the agent's plan: what a session budget may ask for.

A session budget caps how long a session may live and idle (the sweeper stops it when it is over either) and how many
sessions a caller, and the whole agent, may hold at once (the front doors refuse more). The durations must fit the
agent's mode (the session lifetime quota of its compute: microVM or Instances), must leave room for the agent's longest
task, and the idle limit must be one AgentCore's idle timeout could have; the agent-wide cap is compared with the
active-session quota of the region.

Plain Python (no CDK import): :class:`SessionBudgetRequest` holds seconds and counts, :func:`session_budget_findings`
returns the findings the agent reports at synth.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName, Unit, format_value
from constructs_lib.planning.agent_plan import CapacityPlan
from constructs_lib.planning.compute import INSTANCES_WAY_OUT, ComputeKind, session_lifetime_quota
from constructs_lib.planning.findings import Finding, Severity


@dataclass(frozen=True)
class SessionBudgetRequest:
    """A session budget in plain numbers (``None``: no limit of that kind).

    Attributes:
        max_session_duration_seconds: the longest a session may live before the sweeper stops it.
        max_idle_seconds: the longest a session may go without a request through a front door.
        max_sessions_per_caller: sessions one caller may hold at once.
        max_sessions: sessions the agent may hold at once, all callers together.
    """

    max_session_duration_seconds: float | None = None
    max_idle_seconds: float | None = None
    max_sessions_per_caller: int | None = None
    max_sessions: int | None = None


def session_budget_findings(plan: CapacityPlan, budget: SessionBudgetRequest, catalog: QuotaCatalog) -> list[Finding]:
    """Findings of a session budget against the agent's plan.

    Errors: ``SessionBudgetBeyondLifetime`` (a duration or idle limit above the session lifetime quota of the agent's
    compute: no session lives that long, and no idle timeout can be set that long), ``SessionBudgetBelowMinimum`` (a
    duration or idle limit below the lifecycle timeout minimum), ``SessionBudgetBelowLongestTask`` (sessions would be
    stopped mid-task), ``SessionBudgetIdleBeyondDuration`` (a session cannot idle longer than it may live). Warning:
    ``SessionBudgetAboveActiveSessions`` (the agent-wide cap is above the active-session quota, which refuses sessions
    first). Infos: ``SessionBudgetDurationNotBinding`` and ``SessionBudgetIdleNotBinding`` (AgentCore's own lifecycle
    ends sessions before the budget would).
    """
    findings: list[Finding] = []
    region = plan.region
    lifetime = session_lifetime_quota(catalog, plan.compute.kind, region) or catalog.resolve(
        QuotaName.ASYNCHRONOUS_JOB_DURATION, region)
    minimum = catalog.resolve(QuotaName.LIFECYCLE_TIMEOUT_MINIMUM, region)
    way_out = f"use at most {lifetime.formatted()} on {plan.compute.kind.label} compute" + (
        "" if plan.compute.kind is ComputeKind.INSTANCES else f", or {INSTANCES_WAY_OUT}")
    limits = (("max_session_duration", budget.max_session_duration_seconds), ("max_idle", budget.max_idle_seconds))
    for name, value in limits:
        if value is None:
            continue
        if value > lifetime.value:
            findings.append(Finding(
                Severity.ERROR, "SessionBudgetBeyondLifetime",
                f"session_budget {name} {format_value(value, Unit.SECONDS)} exceeds {lifetime.formatted()}, the "
                f"{lifetime.describe()}: no session of this agent lives, or idles, that long; {way_out}",
                lifetime.quota.name, value, lifetime.value))
        elif value < minimum.value:
            findings.append(Finding(
                Severity.ERROR, "SessionBudgetBelowMinimum",
                f"session_budget {name} {format_value(value, Unit.SECONDS)} is below {minimum.formatted()}, the "
                f"{minimum.describe()}; use at least {minimum.formatted()}",
                minimum.quota.name, value, minimum.value))
    duration, idle = budget.max_session_duration_seconds, budget.max_idle_seconds
    task = plan.profile.longest_task_seconds
    if duration is not None and task is not None and duration < task:
        findings.append(Finding(
            Severity.ERROR, "SessionBudgetBelowLongestTask",
            f"session_budget max_session_duration {format_value(duration, Unit.SECONDS)} is shorter than the "
            f"workload's longest_task {format_value(task, Unit.SECONDS)}: the sweeper would stop sessions mid-task; "
            "raise max_session_duration to at least the longest task, or lower longest_task",
            None, task, duration))
    if duration is not None and idle is not None and idle > duration:
        findings.append(Finding(
            Severity.ERROR, "SessionBudgetIdleBeyondDuration",
            f"session_budget max_idle {format_value(idle, Unit.SECONDS)} exceeds max_session_duration "
            f"{format_value(duration, Unit.SECONDS)}; a session cannot idle longer than it may live",
            None, idle, duration))
    if duration is not None and duration >= plan.max_lifetime_seconds:
        findings.append(Finding(
            Severity.INFO, "SessionBudgetDurationNotBinding",
            f"session_budget max_session_duration {format_value(duration, Unit.SECONDS)} is not below the runtime's "
            f"max_lifetime {format_value(plan.max_lifetime_seconds, Unit.SECONDS)}: AgentCore ends sessions first",
            None, duration, plan.max_lifetime_seconds))
    if idle is not None and idle >= plan.idle_runtime_session_timeout_seconds:
        findings.append(Finding(
            Severity.INFO, "SessionBudgetIdleNotBinding",
            f"session_budget max_idle {format_value(idle, Unit.SECONDS)} is not below the runtime's "
            f"idle_runtime_session_timeout {format_value(plan.idle_runtime_session_timeout_seconds, Unit.SECONDS)}: "
            "AgentCore ends idle sessions first, except those its agent reports busy",
            None, idle, plan.idle_runtime_session_timeout_seconds))
    if budget.max_sessions is not None:
        active = catalog.resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, region)
        if budget.max_sessions > active.value:
            findings.append(Finding(
                Severity.WARNING, "SessionBudgetAboveActiveSessions",
                f"session_budget max_sessions {format_value(budget.max_sessions, Unit.COUNT)} exceeds "
                f"{active.formatted()}, the {active.describe()}, which AgentCore enforces first (shared by every "
                f"agent of the account); lower max_sessions, or {active.increase_advice()}",
                active.quota.name, budget.max_sessions, active.value))
    return findings


__all__ = ["SessionBudgetRequest", "session_budget_findings"]
