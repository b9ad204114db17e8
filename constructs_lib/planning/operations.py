"""Operations fit: alarm thresholds as fractions of resolved quotas, and whether a version archive keeps up.

``AgentMonitoring`` and ``AgentVersionArchive`` build alarms, graphs and warnings from what these functions return:
every threshold is a fraction of a limit read from the quota catalog (with the approved overrides), per edition
(the active-session quota of the region, the data-plane rate of the account pool or of each endpoint, the
session-creation quota by artifact kind, the invocation mode's limit for latency), never a number in a construct.

Plain Python: nothing here imports the CDK.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName, QuotaScope, ResolvedQuota, Unit, format_value
from constructs_lib.planning.agent_plan import (
    ArtifactKind,
    InvocationMode,
    account_session_creation_quota,
    session_creation_quota,
)
from constructs_lib.planning.findings import Finding, Severity

#: Default alarm levels for active sessions, as fractions of the regional active-session quota.
DEFAULT_ACTIVE_SESSION_THRESHOLDS: Mapping[str, float] = {"Warning": 0.8, "Critical": 0.95}
#: Default alarm levels for invocations, as fractions of the data-plane rate quota.
DEFAULT_INVOKE_RATE_THRESHOLDS: Mapping[str, float] = {"Warning": 0.8}
#: Default: alarm on any throttled invocation in a period (counts above the threshold alarm).
DEFAULT_THROTTLE_THRESHOLDS: Mapping[str, float] = {"Critical": 0}
#: Default: alarm on any system error in most periods of the evaluation window.
DEFAULT_SYSTEM_ERROR_THRESHOLDS: Mapping[str, float] = {"Warning": 0}
#: Default: alarm when more than a tenth of invocations fail with a client error.
DEFAULT_USER_ERROR_RATE_THRESHOLDS: Mapping[str, float] = {"Warning": 0.1}
#: Default: alarm when p99 latency reaches this fraction of the invocation mode's limit.
DEFAULT_LATENCY_THRESHOLDS: Mapping[str, float] = {"Warning": 0.8}
#: Default: alarm when an agent's new sessions reach this fraction of its session-creation quota.
DEFAULT_NEW_SESSION_RATE_THRESHOLDS: Mapping[str, float] = {"Warning": 0.8}
#: Default: alarm when the session budget's sweeper stops any session in a period (a session ran away).
DEFAULT_SESSIONS_STOPPED_THRESHOLDS: Mapping[str, float] = {"Warning": 0}
#: Default alarm levels for the new sessions of all agents, as fractions of an account-wide creation quota.
DEFAULT_SESSION_CREATION_THRESHOLDS: Mapping[str, float] = {"Warning": 0.8}

#: Default: alarm on any 5XX answer of an API (REST ``5XXError``, WebSocket ``IntegrationError``) in most periods.
DEFAULT_API_SERVER_ERROR_THRESHOLDS: Mapping[str, float] = {"Critical": 0}
#: Default: alarm when more than a tenth of an API's requests fail with a 4XX answer for a sustained window.
DEFAULT_API_CLIENT_ERROR_RATE_THRESHOLDS: Mapping[str, float] = {"Warning": 0.1}
#: Default: alarm when an API's p99 latency reaches this fraction of its integration timeout.
DEFAULT_API_LATENCY_THRESHOLDS: Mapping[str, float] = {"Warning": 0.8}
#: Default: alarm on any error of a front-door function in most periods.
DEFAULT_FUNCTION_ERROR_THRESHOLDS: Mapping[str, float] = {"Critical": 0}
#: Default: alarm on any throttled invocation of a front-door function.
DEFAULT_FUNCTION_THROTTLE_THRESHOLDS: Mapping[str, float] = {"Critical": 0}
#: Default: alarm when a front-door function's p99 duration reaches this fraction of its timeout.
DEFAULT_FUNCTION_DURATION_THRESHOLDS: Mapping[str, float] = {"Warning": 0.8}
#: Default: alarm on any throttled read or write of a table (on-demand tables throttle at their account limits).
DEFAULT_TABLE_THROTTLE_THRESHOLDS: Mapping[str, float] = {"Warning": 0}
#: Default: alarm on any DynamoDB system error (HTTP 500) of a table.
DEFAULT_TABLE_SYSTEM_ERROR_THRESHOLDS: Mapping[str, float] = {"Critical": 0}
#: Default: alarm on any failed execution of a state machine.
DEFAULT_STATE_MACHINE_FAILED_THRESHOLDS: Mapping[str, float] = {"Critical": 0}
#: Default: alarm on any timed-out execution of a state machine.
DEFAULT_STATE_MACHINE_TIMED_OUT_THRESHOLDS: Mapping[str, float] = {"Critical": 0}
#: Default: alarm on any throttled execution of a state machine.
DEFAULT_STATE_MACHINE_THROTTLED_THRESHOLDS: Mapping[str, float] = {"Warning": 0}

_SECONDS_PER_DAY = 86400
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": _SECONDS_PER_DAY}


@dataclass(frozen=True)
class Evaluation:
    """How many periods an alarm looks at, and how many of them must breach."""

    evaluation_periods: int
    datapoints_to_alarm: int

    def describe(self) -> str:
        """The window in words, for alarm descriptions (``"in 3 of 5 periods"``)."""
        if self.evaluation_periods == self.datapoints_to_alarm == 1:
            return "in one period"
        if self.evaluation_periods == self.datapoints_to_alarm:
            return f"for {self.evaluation_periods} periods"
        return f"in {self.datapoints_to_alarm} of {self.evaluation_periods} periods"


#: Quota approach is immediate: one breaching period pages (the quota rejects requests right then).
AT_ONCE = Evaluation(1, 1)
#: Errors and latency are noisy minute by minute: alarm when most of a short window breaches.
MOSTLY = Evaluation(5, 3)
#: A rate of client errors matters when it is sustained (a single bad client is not an incident).
SUSTAINED = Evaluation(5, 5)


@dataclass(frozen=True)
class AlarmLevel:
    """One alarm level.

    Attributes:
        level: the disambiguator (``"Warning"``, ``"Critical"``).
        fraction: the level as asked: a fraction of the limit, or a count for count alarms.
        threshold: the alarm threshold, in the alarm metric's unit.
    """

    level: str
    fraction: float
    threshold: float


@dataclass(frozen=True)
class QuotaAlarms:
    """Alarm levels against one quota.

    Attributes:
        quota: the quota the levels are fractions of.
        limit: the quota in the alarm metric's unit (a count, or the rate times the period).
        per_second: the quota as a rate per second (for graphs of rates), or its value for counts.
        per_endpoint: the quota is counted per endpoint (edition 2026-03 rates), so each endpoint has its own alarm.
        levels: the levels, in the order asked.
    """

    quota: ResolvedQuota
    limit: float
    per_second: float
    per_endpoint: bool
    levels: tuple[AlarmLevel, ...]

    def per_second_levels(self) -> tuple[AlarmLevel, ...]:
        """The levels as rates per second, to draw beside a per-second graph of the metric."""
        return _levels({lvl.level: lvl.fraction for lvl in self.levels}, self.per_second)


def _levels(levels: Mapping[str, float], limit: float) -> tuple[AlarmLevel, ...]:
    return tuple(AlarmLevel(level, fraction, fraction * limit) for level, fraction in levels.items())


def _rate_alarms(quota: ResolvedQuota, levels: Mapping[str, float], period_seconds: float) -> QuotaAlarms:
    limit = quota.per_second * period_seconds
    return QuotaAlarms(quota, limit, quota.per_second, quota.quota.scope is QuotaScope.ENDPOINT, _levels(levels, limit))


def count_levels(levels: Mapping[str, float]) -> tuple[AlarmLevel, ...]:
    """Levels that are counts per period (throttles, system errors): the threshold is the count."""
    return tuple(AlarmLevel(level, count, count) for level, count in levels.items())


def fraction_levels(levels: Mapping[str, float]) -> tuple[AlarmLevel, ...]:
    """Levels that are fractions compared as they are (the user-error rate is a ratio already)."""
    return _levels(levels, 1.0)


def active_session_alarms(catalog: QuotaCatalog, region: str | None, levels: Mapping[str, float]) -> QuotaAlarms:
    """Levels of the account's ``ActiveSessionCount`` gauge against the regional active-session quota."""
    quota = catalog.resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, region)
    return QuotaAlarms(quota, quota.value, quota.value, False, _levels(levels, quota.value))


def invoke_rate_alarms(
    catalog: QuotaCatalog, region: str | None, levels: Mapping[str, float], period_seconds: float
) -> QuotaAlarms:
    """Levels of invocations per period against the data-plane rate quota (account pool, or each endpoint)."""
    return _rate_alarms(catalog.resolve(QuotaName.INVOKE_RATE, region), levels, period_seconds)


def account_session_creation_alarms(
    catalog: QuotaCatalog, region: str | None, levels: Mapping[str, float], period_seconds: float
) -> QuotaAlarms:
    """Levels of every agent's new sessions together against the account's session-creation pool.

    Where the quota is per endpoint (edition 2026-03) the result says so (``per_endpoint``) and the per-agent
    alarms of :func:`new_session_alarms` cover it instead.
    """
    return _rate_alarms(account_session_creation_quota(catalog, region), levels, period_seconds)


def new_session_alarms(
    catalog: QuotaCatalog,
    region: str | None,
    kind: ArtifactKind,
    levels: Mapping[str, float],
    period_seconds: float,
) -> QuotaAlarms:
    """Levels of one agent's new sessions per period against the session-creation quota of its artifact kind."""
    return _rate_alarms(session_creation_quota(catalog, region, kind), levels, period_seconds)


@dataclass(frozen=True)
class LatencyAlarms:
    """Levels of p99 latency against the limit an invocation must answer within.

    Attributes:
        limit_seconds: the limit.
        limit_ms: the limit in milliseconds (the unit of the ``Latency`` metric).
        quota: the quota the limit comes from when it is one (asynchronous agents: the synchronous request
            timeout), else ``None`` (the limit of the agent's invocation mode).
        mode: the agent's invocation mode.
        levels: the levels, thresholds in milliseconds.
    """

    limit_seconds: float
    limit_ms: float
    quota: ResolvedQuota | None
    mode: InvocationMode
    levels: tuple[AlarmLevel, ...]

    def describe_limit(self) -> str:
        """The limit in words, for alarm descriptions."""
        if self.quota is not None:
            return f"{self.quota.formatted()}, the {self.quota.describe()}"
        return f"{format_value(self.limit_seconds, Unit.SECONDS)}, the limit of the {self.mode.value} invocation mode"


def latency_alarms(
    catalog: QuotaCatalog,
    region: str | None,
    *,
    mode: InvocationMode,
    mode_limit_seconds: float,
    levels: Mapping[str, float],
) -> LatencyAlarms:
    """Levels of p99 latency as fractions of the invocation mode's limit.

    An asynchronous invocation answers at once and the work continues in the session, so the request itself is
    bound by the synchronous request timeout, not by the job duration.
    """
    quota = catalog.resolve(QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT, region) if mode is InvocationMode.ASYNCHRONOUS \
        else None
    seconds = quota.value if quota is not None else mode_limit_seconds
    limit_ms = seconds * 1000.0
    return LatencyAlarms(seconds, limit_ms, quota, mode, _levels(levels, limit_ms))


@dataclass(frozen=True)
class DeadlineAlarms:
    """Levels of a latency or duration against the deadline a request must finish within.

    Attributes:
        deadline_seconds: the deadline (an API's integration timeout, a function's timeout).
        deadline: the deadline in words, for alarm descriptions (``"the integration timeout of 29 s"``).
        levels: the levels, thresholds in seconds.
    """

    deadline_seconds: float
    deadline: str
    levels: tuple[AlarmLevel, ...]


def _deadline_alarms(what: str, deadline_seconds: float, levels: Mapping[str, float]) -> DeadlineAlarms:
    words = f"{what} of {format_value(deadline_seconds, Unit.SECONDS)}"
    return DeadlineAlarms(deadline_seconds, words, _levels(levels, deadline_seconds))


def api_latency_alarms(integration_timeout_seconds: float, levels: Mapping[str, float]) -> DeadlineAlarms:
    """Levels of an API's p99 latency as fractions of its integration timeout.

    The timeout is the one the facade's fit chose (``RestFit.integration_timeout_seconds``: API Gateway's
    integration timeout for a buffered answer, the streaming duration for a streamed one): a request near it is cut
    off with a 504.
    """
    return _deadline_alarms("the integration timeout", integration_timeout_seconds, levels)


def function_duration_alarms(timeout_seconds: float, levels: Mapping[str, float]) -> DeadlineAlarms:
    """Levels of a front-door function's p99 duration as fractions of its timeout (``RestFit.proxy_timeout_seconds``
    for a REST proxy): an invocation at the timeout is killed mid-answer."""
    return _deadline_alarms("the function timeout", timeout_seconds, levels)


def deadline_problems(name: str, seconds: float | None) -> list[str]:
    """Problems with a deadline given to a front-door monitor: it must be a concrete, positive duration."""
    if seconds is None:
        return [f"{name} must be a concrete duration (alarm thresholds are fractions of it), got an unresolved token"]
    if seconds <= 0:
        return [f"{name} must be positive, got {format_value(seconds, Unit.SECONDS)}"]
    return []


def alarm_metric_findings(
    catalog: QuotaCatalog, region: str | None, *, agent: str, endpoints: int, ratio_alarm: bool
) -> list[Finding]:
    """``TooManyMetricsInAlarm`` when one agent's widest alarm reads more metrics than a metric-math alarm may.

    The user-error rate reads two metrics per endpoint (errors and invocations), the sums one per endpoint.
    """
    widest = 2 * endpoints if ratio_alarm else endpoints
    quota = catalog.resolve(QuotaName.CLOUDWATCH_ALARM_METRICS, region)
    if widest <= quota.value:
        return []
    return [Finding(
        Severity.ERROR,
        "TooManyMetricsInAlarm",
        f"monitoring {endpoints} endpoints of {agent} needs alarms over {widest} metrics, more than "
        f"{quota.formatted()}, the {quota.describe()}; pass endpoints=[...] to watch fewer endpoints per call, or "
        "user_error_rate={} to drop the ratio alarm",
        quota.quota.name, widest, quota.value,
    )]


def compact_alarm_fits(
    catalog: QuotaCatalog, region: str | None, *, metrics: int, description_length: int
) -> bool:
    """Whether one metric-math alarm can watch several conditions: it reads at most the metrics a metric-math alarm
    may, and its description (what each condition's number means) fits CloudWatch's alarm description."""
    return (metrics <= catalog.value(QuotaName.CLOUDWATCH_ALARM_METRICS, region)
            and description_length <= catalog.value(QuotaName.CLOUDWATCH_ALARM_DESCRIPTION_LENGTH, region))


def default_period_seconds(catalog: QuotaCatalog) -> float:
    """The default alarm and graph period: the finest period of the standard-resolution metrics AgentCore publishes.

    Quotas are per second; a longer period would average a burst away.
    """
    return catalog.value(QuotaName.CLOUDWATCH_METRIC_PERIOD)


def period_problems(catalog: QuotaCatalog, seconds: float) -> list[str]:
    """Problems with an alarm period: it must be a whole multiple of the standard-resolution period."""
    quota = catalog.resolve(QuotaName.CLOUDWATCH_METRIC_PERIOD)
    if seconds >= quota.value and seconds % quota.value == 0:
        return []
    return [
        f"period must be a whole multiple of {quota.formatted()}, the {quota.describe()} (AgentCore publishes "
        f"standard-resolution metrics), got {format_value(seconds, Unit.SECONDS)}"
    ]


def level_problems(name: str, levels: Mapping[str, float], *, fraction: bool, allowed: frozenset[str]) -> list[str]:
    """Problems with one threshold mapping: alarm-name-safe keys, numbers, fractions in (0, 1] or counts >= 0.

    Args:
        name: the prop, for messages.
        levels: the mapping asked for.
        fraction: the values are fractions of a limit (else counts per period).
        allowed: characters an alarm name may contain.
    """
    problems: list[str] = []
    for level, value in levels.items():
        if not isinstance(level, str) or not level or set(level) - allowed:
            problems.append(f"{name} keys must be alarm-name-safe disambiguators like 'Warning', got {level!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{name}[{level!r}] must be a number, got {value!r}")
        elif fraction and not 0 < value <= 1:
            problems.append(f"{name}[{level!r}] must be a fraction of the limit in (0, 1], got {value!r}")
        elif not fraction and value < 0:
            problems.append(f"{name}[{level!r}] must be a count of at least 0, got {value!r}")
    return problems


# -- version archive --------------------------------------------------------------------------------------


def sweep_interval_seconds(expression: str) -> float | None:
    """The interval of a ``rate(N unit)`` schedule expression, ``None`` for a cron expression (or a token)."""
    match = _RATE.match(expression)
    if match is None:
        return None
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")])


def archive_transition_problems(days: float) -> list[str]:
    """Problems with the archive's storage-class transition age: S3 lifecycle rules count in whole days."""
    if days >= 1 and float(days).is_integer():
        return []
    return [f"archive_transition_after must be a positive whole number of days (S3 lifecycle rules count in days), "
            f"got {format_value(days * _SECONDS_PER_DAY, Unit.SECONDS)}"]


@dataclass(frozen=True)
class ArchiveProjection:
    """Whether a version archive keeps up with one agent's deployments.

    Attributes:
        versions_between_sweeps: versions created between two sweeps (``None`` without a rate schedule).
        fill_days: days until the deployments fill the versions-per-agent quota.
        falls_behind: more versions than the quota holds are created between two sweeps.
        findings: ``VersionArchiveFallsBehind`` (warning), or ``VersionArchiveKeepsUp`` /
            ``SweepScheduleNotChecked`` (infos).
    """

    versions_between_sweeps: float | None
    fill_days: float
    falls_behind: bool
    findings: tuple[Finding, ...]


def archive_projection(
    catalog: QuotaCatalog,
    region: str | None,
    *,
    agent: str,
    deployments_per_day: float,
    schedule: str,
    interval_seconds: float | None,
    versions_at_risk: bool = True,
) -> ArchiveProjection:
    """Project one agent's versions against the versions-per-agent quota and the archive's sweep.

    Each deployment creates a version. The archive captures a version on its CloudTrail event and sweeps every
    version on ``schedule``; when more versions than the quota holds are created between two sweeps, a missed event
    means versions deleted to make room are lost before the sweep sees them (``VersionArchiveFallsBehind``). The
    projection rests on the deployment rate and the versions quota only, not on any automatic deletion of inactive
    versions.

    Args:
        catalog: the quotas.
        region: the agent's region, ``None`` when unknown.
        agent: the agent's runtime name, for messages.
        deployments_per_day: the agent's planned deployments per day (positive).
        schedule: the sweep's schedule expression, for messages.
        interval_seconds: the sweep interval (:func:`sweep_interval_seconds`), ``None`` for a cron schedule.
        versions_at_risk: the agent's plan warns that its versions reach the quota (``VersionsQuotaAtRisk``); the
            info notes (``VersionArchiveKeepsUp``, ``SweepScheduleNotChecked``) are given only then, the warning
            always.
    """
    versions = catalog.resolve(QuotaName.VERSIONS_PER_AGENT, region)
    fill_days = versions.value / deployments_per_day
    fill = f"{fill_days:,.1f} days"
    if interval_seconds is None:
        info = Finding(
            Severity.INFO, "SweepScheduleNotChecked",
            f"{agent}: the sweep schedule {schedule} is not a rate, so whether it keeps up with the agent's "
            f"deployments is not checked (the quota of {versions.formatted()} versions fills in {fill})",
            versions.quota.name, None, versions.value,
        )
        return ArchiveProjection(None, fill_days, False, (info,) if versions_at_risk else ())
    between = deployments_per_day * interval_seconds / _SECONDS_PER_DAY
    if between >= versions.value:
        warning = Finding(
            Severity.WARNING, "VersionArchiveFallsBehind",
            f"agent {agent} deploys {deployments_per_day:g} times a day, so {between:,.0f} versions are created "
            f"between two sweeps ({schedule}), more than {versions.formatted()}, the {versions.describe()}: the quota "
            f"fills in {fill}, and a missed CloudTrail event means versions deleted to make room are lost before the "
            "sweep sees them; sweep more often (schedule=Schedule.rate(...)), deploy less often, or "
            + versions.increase_advice(),
            versions.quota.name, between, versions.value,
        )
        return ArchiveProjection(between, fill_days, True, (warning,))
    info = Finding(
        Severity.INFO, "VersionArchiveKeepsUp",
        f"{agent}: at {deployments_per_day:g} deployments a day the quota of {versions.formatted()} versions fills in "
        f"{fill}; the archive captures each version on its CloudTrail event and sweeps on {schedule}, so it keeps up; "
        "delete old versions only once they are archived",
        versions.quota.name, between, versions.value,
    )
    return ArchiveProjection(between, fill_days, False, (info,) if versions_at_risk else ())


__all__ = [
    "AT_ONCE",
    "DEFAULT_API_CLIENT_ERROR_RATE_THRESHOLDS",
    "DEFAULT_API_LATENCY_THRESHOLDS",
    "DEFAULT_API_SERVER_ERROR_THRESHOLDS",
    "DEFAULT_FUNCTION_DURATION_THRESHOLDS",
    "DEFAULT_FUNCTION_ERROR_THRESHOLDS",
    "DEFAULT_FUNCTION_THROTTLE_THRESHOLDS",
    "DEFAULT_STATE_MACHINE_FAILED_THRESHOLDS",
    "DEFAULT_STATE_MACHINE_THROTTLED_THRESHOLDS",
    "DEFAULT_STATE_MACHINE_TIMED_OUT_THRESHOLDS",
    "DEFAULT_TABLE_SYSTEM_ERROR_THRESHOLDS",
    "DEFAULT_TABLE_THROTTLE_THRESHOLDS",
    "DEFAULT_ACTIVE_SESSION_THRESHOLDS",
    "DEFAULT_INVOKE_RATE_THRESHOLDS",
    "DEFAULT_LATENCY_THRESHOLDS",
    "DEFAULT_NEW_SESSION_RATE_THRESHOLDS",
    "DEFAULT_SESSION_CREATION_THRESHOLDS",
    "DEFAULT_SYSTEM_ERROR_THRESHOLDS",
    "DEFAULT_SESSIONS_STOPPED_THRESHOLDS",
    "DEFAULT_THROTTLE_THRESHOLDS",
    "DEFAULT_USER_ERROR_RATE_THRESHOLDS",
    "MOSTLY",
    "SUSTAINED",
    "AlarmLevel",
    "ArchiveProjection",
    "DeadlineAlarms",
    "Evaluation",
    "LatencyAlarms",
    "QuotaAlarms",
    "account_session_creation_alarms",
    "active_session_alarms",
    "alarm_metric_findings",
    "compact_alarm_fits",
    "api_latency_alarms",
    "archive_projection",
    "archive_transition_problems",
    "count_levels",
    "deadline_problems",
    "default_period_seconds",
    "fraction_levels",
    "function_duration_alarms",
    "invoke_rate_alarms",
    "latency_alarms",
    "level_problems",
    "new_session_alarms",
    "period_problems",
    "sweep_interval_seconds",
]
