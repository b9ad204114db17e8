"""AgentCoreMonitoring: the quota-aware AgentCore alarms and dashboard rows as a cdk-monitoring-constructs segment.

A team that already runs cdk-monitoring-constructs' ``MonitoringFacade`` adds AgentCore to it like any other
monitoring::

    facade = MonitoringFacade(stack, "Team", alarm_factory_defaults=...)
    facade.add_segment(AgentCoreMonitoring(facade, agents=[support, research]))

The alarms are made by the facade's own alarm factory, so they carry the facade's alarm name prefix, actions and
disambiguator actions and appear in ``facade.created_alarms()`` (composite alarms by disambiguator work on them);
the rows go to the facade's dashboards. :class:`~constructs_lib.operations.monitoring.AgentMonitoring` is built on the
same segment.

Every threshold is a fraction of a limit read from the quota catalog (with the approved overrides of the CDK context
key ``agentcore:quotaOverrides``), never a number written here. Per agent (:meth:`AgentCoreMonitoring.monitor_agent`):
throttles, system errors, the user-error rate (``UserErrors / Invocations``), p99 latency approaching the invocation
mode's limit, and the new-session rate approaching the session-creation quota. Per account and region:
``ActiveSessionCount`` against the active-session quota, invocations against the data-plane rate quota (the account
pool in edition 2026-09, each endpoint in 2026-03) and, where the session-creation quota is one pool for the account
(2026-09), the new sessions of every agent together against it.

Alarm names are the facade's: ``<facade prefix>-<resource>-<metric>-<disambiguator>``, where the resource is the
runtime name (``support_agent``), ``<runtime>.<endpoint>`` for per-endpoint quotas, or ``Account``.

See: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/bedrock-agentcore-limits.html
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
import cdk_monitoring_constructs as cmc
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import IConstruct

from constructs_lib._cdk.kernel import invoke_for_struct
from constructs_lib._cdk.reporting import report
from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib.agent.interface import IAgentCoreAgent, require_agent
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.limits.names import ALARM_NAME_CHARACTERS
from constructs_lib.limits.service import DEFAULT_ENDPOINT, METRIC_NAMESPACE
from constructs_lib.planning.findings import Severity
from constructs_lib.planning.operations import (
    AT_ONCE,
    DEFAULT_ACTIVE_SESSION_THRESHOLDS,
    DEFAULT_INVOKE_RATE_THRESHOLDS,
    DEFAULT_LATENCY_THRESHOLDS,
    DEFAULT_NEW_SESSION_RATE_THRESHOLDS,
    DEFAULT_SESSION_CREATION_THRESHOLDS,
    DEFAULT_SESSIONS_STOPPED_THRESHOLDS,
    DEFAULT_SYSTEM_ERROR_THRESHOLDS,
    DEFAULT_THROTTLE_THRESHOLDS,
    DEFAULT_USER_ERROR_RATE_THRESHOLDS,
    MOSTLY,
    SUSTAINED,
    AlarmLevel,
    Evaluation,
    QuotaAlarms,
    account_session_creation_alarms,
    active_session_alarms,
    alarm_metric_findings,
    compact_alarm_fits,
    count_levels,
    default_period_seconds,
    fraction_levels,
    invoke_rate_alarms,
    latency_alarms,
    level_problems,
    new_session_alarms,
    period_problems,
)

#: Name of the account-level gauge of live sessions.
ACTIVE_SESSION_COUNT_METRIC = "ActiveSessionCount"
#: Dimensions of the account-level gauge of live runtime sessions.
ACTIVE_SESSION_COUNT_DIMENSIONS: Mapping[str, str] = {"Service": "AgentCore.Runtime"}
#: Resource name used in alarm names for account-and-region alarms.
ACCOUNT_RESOURCE = "Account"


def metric_active_session_count(*, period: cdk.Duration | None = None, **options: object) -> cloudwatch.Metric:
    """``ActiveSessionCount`` (Maximum): live runtime sessions in the account and region.

    The gauge to compare with the active-session quota (``Service=AgentCore.Runtime``). The stable L2 has
    no helper for it, so it is defined here with the library's namespace constant.

    Args:
        period: aggregation period. Default: ``cloudwatch.Metric``'s default period.
        options: further ``cloudwatch.Metric`` options (``label``, ``color``, ``statistic``...).
    """
    kwargs: dict[str, object] = {"statistic": "Maximum", **options}
    return cloudwatch.Metric(
        namespace=METRIC_NAMESPACE,
        metric_name=ACTIVE_SESSION_COUNT_METRIC,
        dimensions_map=dict(ACTIVE_SESSION_COUNT_DIMENSIONS),
        period=period,
        **kwargs,  # type: ignore[arg-type]
    )


def _levels_or_default(levels: Mapping[str, float] | None, default: Mapping[str, float]) -> dict[str, float]:
    return dict(default if levels is None else levels)


class AgentCoreMonitoring(cmc.Monitoring):
    """Defines the quota-aware AgentCore alarms and dashboard rows as a cdk-monitoring-constructs segment.

    Create it on a ``MonitoringScope`` (a ``MonitoringFacade``), monitor every agent (``agents=[...]`` or
    :meth:`monitor_agent`), then add it with ``facade.add_segment(segment)``: the facade reads the rows when the segment
    is added. The account-and-region alarms (active sessions, and the data-plane and session-creation pools once an
    agent is monitored under edition 2026-09) are made once per segment: use one segment per account and region.

    Thresholds come from :mod:`constructs_lib.planning.operations`: fractions of quotas resolved from the catalog of
    the scope. An agent whose widest alarm would read more metrics than a metric-math alarm may fails synthesis
    (``TooManyMetricsInAlarm``).

    Args:
        scope: the monitoring scope (a ``MonitoringFacade``) whose alarm factory names the alarms and adds actions.
        agents: agents to monitor with the default thresholds (same as calling :meth:`monitor_agent`).
            Default: none.
        active_session_thresholds: alarm levels for ``ActiveSessionCount`` as fractions of the regional
            active-session quota (:data:`~constructs_lib.planning.operations.DEFAULT_ACTIVE_SESSION_THRESHOLDS` by
            default); an empty mapping creates no active-session alarm.
        invoke_rate_thresholds: alarm levels for invocations as fractions of the data-plane rate quota (the account
            pool, or each endpoint's rate in edition 2026-03). Default: ``DEFAULT_INVOKE_RATE_THRESHOLDS``.
        session_creation_thresholds: alarm levels for the new sessions of every agent in the account as fractions of
            the session-creation quota, when that quota is one pool for the account (edition 2026-09).
            Default: ``DEFAULT_SESSION_CREATION_THRESHOLDS``.
        period: the period every alarm and graph aggregates over, a whole multiple of CloudWatch's
            standard-resolution period. Default: that period (quotas are per second; a longer period would average a
            burst away).
        findings_scope: the construct planning findings (``TooManyMetricsInAlarm``) and validation errors are
            reported on. Default: ``scope``.
        account_alarms: make the account-and-region alarms and the quota row. Default: True. A segment that watches
            some agents of an account whose account alarms another segment makes (the nested stack of one agent of a
            platform) sets False; the other segment then watches the pools with :meth:`watch_account_pools`.

    Raises:
        ConstructsLibValidationError: ``InvalidMonitoringConfiguration`` for levels out of range or a bad period.
    """

    def __init__(
        self,
        scope: cmc.MonitoringScope,
        *,
        agents: Sequence[IAgentCoreAgent] = (),
        active_session_thresholds: Mapping[str, float] | None = None,
        invoke_rate_thresholds: Mapping[str, float] | None = None,
        session_creation_thresholds: Mapping[str, float] | None = None,
        period: cdk.Duration | None = None,
        findings_scope: IConstruct | None = None,
        account_alarms: bool = True,
    ) -> None:
        super().__init__(scope)
        self.account_alarms: bool = account_alarms
        self.monitoring_scope: cmc.MonitoringScope = scope
        self.findings_scope: IConstruct = findings_scope or scope
        self.catalog = catalog_for(scope)
        self.region: str | None = region_of(scope)
        self.period: cdk.Duration = period or cdk.Duration.seconds(default_period_seconds(self.catalog))
        active_levels = _levels_or_default(active_session_thresholds, DEFAULT_ACTIVE_SESSION_THRESHOLDS)
        invoke_levels = _levels_or_default(invoke_rate_thresholds, DEFAULT_INVOKE_RATE_THRESHOLDS)
        session_levels = _levels_or_default(session_creation_thresholds, DEFAULT_SESSION_CREATION_THRESHOLDS)
        problems = self._period_problems(self.period)
        for name, levels in (
            ("active_session_thresholds", active_levels),
            ("invoke_rate_thresholds", invoke_levels),
            ("session_creation_thresholds", session_levels),
        ):
            problems += level_problems(name, levels, fraction=True, allowed=ALARM_NAME_CHARACTERS)
        raise_all("InvalidMonitoringConfiguration", problems, path_of(self.findings_scope))

        self._level_alarms: list[tuple[cloudwatch.AlarmBase, str]] = []
        self._widgets: list[cloudwatch.IWidget] = []
        self._monitored: dict[str, IAgentCoreAgent] = {}
        self._pool_alarmed = False
        self._session_pool_alarmed = False
        self._graph_keys = 0
        self._alarm_factories: dict[str, cmc.AlarmFactory] = {}
        self.width = int(self.catalog.value(QuotaName.CLOUDWATCH_DASHBOARD_WIDTH))

        seconds = self.period.to_seconds()
        self._active_sessions = active_session_alarms(self.catalog, self.region, active_levels)
        self._invoke = invoke_rate_alarms(self.catalog, self.region, invoke_levels, seconds)
        self._session_pool = account_session_creation_alarms(self.catalog, self.region, session_levels, seconds)
        self._active_sessions_graph, self._invocations_graph, self._new_sessions_graph = self._quota_row()
        if account_alarms:
            self._alarm_active_sessions()

        for agent in agents:
            self.monitor_agent(agent)

    # -- the segment ---------------------------------------------------------------------------------

    def widgets(self) -> list[cloudwatch.IWidget]:
        """The rows for the detail dashboard: the quota row, then one row per monitored agent."""
        return list(self._widgets)

    def summary_widgets(self) -> list[cloudwatch.IWidget]:
        """The quota row, for a summary dashboard."""
        return [self._active_sessions_graph, self._invocations_graph, self._new_sessions_graph]

    def agentcore_alarms(self) -> list[cloudwatch.AlarmBase]:
        """Every alarm this segment created, in creation order (``created_alarms()`` returns them with annotations)."""
        return [alarm for alarm, _ in self._level_alarms]

    def agentcore_alarms_with_disambiguator(self, disambiguator: str) -> list[cloudwatch.AlarmBase]:
        """The alarms created for one level (``"Warning"``, ``"Critical"``...)."""
        return [alarm for alarm, level in self._level_alarms if level == disambiguator]

    @property
    def monitored_agents(self) -> list[IAgentCoreAgent]:
        """The agents monitored so far."""
        return list(self._monitored.values())

    def _period_problems(self, period: cdk.Duration) -> list[str]:
        if period.is_unresolved():
            # Not a limit check but an input of the plan: every rate threshold is the quota per second times the
            # period, so the period must be known when the alarms are written.
            return ["period must be a concrete duration (rate thresholds are the quota per second times the "
                    "period), got an unresolved token"]
        return period_problems(self.catalog, period.to_seconds())

    def next_graph_key(self) -> int:
        """A key unique within this segment's graphs, for metric-math ids."""
        self._graph_keys += 1
        return self._graph_keys

    def alarm(
        self,
        *,
        resource: str,
        metric_label: str,
        level: AlarmLevel,
        metric: cloudwatch.IMetric,
        evaluation: Evaluation,
        treat_missing_data: cloudwatch.TreatMissingData,
        description: str,
    ) -> cloudwatch.AlarmBase:
        """One alarm through the scope's alarm factory, named ``<prefix>-<resource>-<metric_label>-<level>``."""
        factory = self._alarm_factories.get(resource)
        if factory is None:
            factory = self._alarm_factories[resource] = self.create_alarm_factory(resource)
        props = cmc.AddAlarmProps(
            alarm_name_suffix=metric_label,
            disambiguator=level.level,
            alarm_description=description,
            threshold=level.threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation.evaluation_periods,
            datapoints_to_alarm=evaluation.datapoints_to_alarm,
            treat_missing_data=treat_missing_data,
        )
        # The AlarmWithAnnotation the factory returns goes back to Monitoring.addAlarm whole (its generated Python
        # signature spreads the struct's fields) and only its alarm is read: it stays in the kernel.
        created = invoke_for_struct(factory, "addAlarm", [metric, props])
        jsii.invoke(self, "addAlarm", [created.reference])
        alarm: cloudwatch.AlarmBase = created.get("alarm")
        self._level_alarms.append((alarm, level.level))
        return alarm

    # -- account and region ------------------------------------------------------------------------

    def _alarm_active_sessions(self) -> None:
        quota = self._active_sessions.quota
        for level in self._active_sessions.levels:
            self.alarm(
                resource=ACCOUNT_RESOURCE,
                metric_label="ActiveSessions",
                level=level,
                metric=metric_active_session_count(period=self.period),
                evaluation=AT_ONCE,
                # A gauge that stops reporting says nothing about the level: keep the current state
                # rather than flapping to OK (or to ALARM) on a gap.
                treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
                description=(
                    f"{level.level}: live AgentCore sessions above {level.fraction:.0%} of {quota.formatted()}, the "
                    f"{quota.describe()}; new sessions fail with ServiceQuotaExceededException at the quota. "
                    f"Lower idle_runtime_session_timeout, or {quota.increase_advice()}"
                ),
            )

    def _alarm_invoke_pool(self, agent: IAgentCoreAgent) -> None:
        """Edition 2026-09: one alarm on the account's aggregated invocations against the shared pool."""
        if self._pool_alarmed or not self._invoke.levels:
            return
        self._pool_alarmed = True
        quota = self._invoke.quota
        metric = agent.runtime.metric_invocations_aggregated(period=self.period, label="all agents")
        self._alarm_account_pool(
            "InvokeRate", metric, self._invoke,
            lambda level: (
                f"{level.level}: invocations of every agent in the account above {level.fraction:.0%} of "
                f"{quota.formatted()}, the {quota.describe()}, shared by all data-plane APIs; "
                f"{quota.increase_advice()}"
            ),
        )
        self._invocations_graph.add_left_metric(
            _per_second(metric, "invocations/s (all agents)", "pool", self.period)
        )

    def _alarm_session_pool(self, agent: IAgentCoreAgent) -> None:
        """Edition 2026-09: the new sessions of every agent together against the account's creation pool.

        Each agent's own ``NewSessions`` alarm compares that agent alone with the quota; agents that are
        each below it can still exhaust the pool together, which only the aggregated metric shows.
        """
        if self._session_pool_alarmed or not self._session_pool.levels:
            return
        self._session_pool_alarmed = True
        quota = self._session_pool.quota
        metric = agent.runtime.metric_sessions_aggregated(period=self.period, statistic="Sum", label="all agents")
        self._alarm_account_pool(
            "NewSessions", metric, self._session_pool,
            lambda level: (
                f"{level.level}: new sessions of every agent in the account above {level.fraction:.0%} of "
                f"{quota.formatted()}, the {quota.describe()}; new sessions beyond it are throttled. Reuse "
                f"sessions across turns, or {quota.increase_advice()}"
            ),
        )
        self._new_sessions_graph.add_left_metric(
            _per_second(metric, "new sessions/s (all agents)", "sessions", self.period)
        )

    def _alarm_account_pool(
        self,
        metric_label: str,
        metric: cloudwatch.IMetric,
        alarms: QuotaAlarms,
        describe: Callable[[AlarmLevel], str],
    ) -> None:
        """One alarm per level comparing an aggregated Sum per period with a per-second account quota."""
        for level in alarms.levels:
            self.alarm(
                resource=ACCOUNT_RESOURCE,
                metric_label=metric_label,
                level=level,
                metric=metric,
                evaluation=AT_ONCE,
                # Nothing anywhere in the account: nowhere near the pool.
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                description=describe(level),
            )

    def _quota_row(self) -> tuple[cloudwatch.GraphWidget, cloudwatch.GraphWidget, cloudwatch.GraphWidget]:
        sessions = self._active_sessions.quota
        session_lines = [cloudwatch.HorizontalAnnotation(value=sessions.value, label=f"quota {sessions.formatted()}")]
        session_lines += [
            cloudwatch.HorizontalAnnotation(value=level.threshold, label=f"{level.level} {level.fraction:.0%}")
            for level in self._active_sessions.levels
        ]
        first, second, last = widths(self.width, 3)
        active = cloudwatch.GraphWidget(
            title=f"Active sessions vs quota ({sessions.formatted()}, {sessions.source.value})",
            left=[metric_active_session_count(period=self.period, label="ActiveSessionCount")],
            left_annotations=session_lines,
            width=first,
        )
        invocations = _quota_graph("Invocations", self._invoke, width=second, with_levels=True)
        new_sessions = _quota_graph(
            "New sessions", self._session_pool, width=last,
            # A per-endpoint creation quota has per-endpoint alarms, no account-level ones to draw.
            with_levels=not self._session_pool.per_endpoint,
        )
        if not self.account_alarms:
            return active, invocations, new_sessions
        self._widgets += [
            cloudwatch.TextWidget(
                markdown=(
                    f"## Quotas (edition {self.catalog.edition.value}, region {self.region or 'unknown'})\n"
                    f"{sessions.describe()}; {self._invoke.quota.describe()}; {self._session_pool.quota.describe()}"
                ),
                width=self.width,
                height=2,
            ),
            active, invocations, new_sessions,
        ]
        return active, invocations, new_sessions

    # -- agents ------------------------------------------------------------------------------------

    def monitor_agent(
        self,
        agent: IAgentCoreAgent,
        *,
        throttles: Mapping[str, float] | None = None,
        system_errors: Mapping[str, float] | None = None,
        user_error_rate: Mapping[str, float] | None = None,
        latency: Mapping[str, float] | None = None,
        new_session_rate: Mapping[str, float] | None = None,
        endpoints: Sequence[str] | None = None,
        compact: bool = False,
        sessions_stopped: Mapping[str, float] | None = None,
    ) -> AgentCoreMonitoring:
        """Add alarms and a dashboard row for one agent; returns ``self`` for chaining.

        Each threshold argument maps a disambiguator (``"Warning"``, ``"Critical"``) to a level; an
        empty mapping creates no alarm of that kind. Levels that are fractions refer to a limit read
        from the quota catalog (with approved overrides) when the construct is built.

        Args:
            agent: the agent.
            throttles: alarm when more invocations than this are throttled in a period.
                Default: ``DEFAULT_THROTTLE_THRESHOLDS`` (any throttle).
            system_errors: alarm when more system errors than this occur in most periods of a short window.
                Default: ``DEFAULT_SYSTEM_ERROR_THRESHOLDS``.
            user_error_rate: alarm when ``UserErrors / Invocations`` exceeds this fraction for a sustained window.
                Default: ``DEFAULT_USER_ERROR_RATE_THRESHOLDS``.
            latency: alarm when p99 latency exceeds this fraction of the invocation mode's limit
                (``agent.plan.mode_limit_seconds``; for the asynchronous mode, the synchronous request
                timeout, because the invocation itself must answer at once).
                Default: ``DEFAULT_LATENCY_THRESHOLDS``.
            new_session_rate: alarm when new sessions in a period exceed this fraction of the
                session-creation quota of the agent's artifact kind (the quota per second times the period).
                Counted per endpoint when the quota is per endpoint (2026-03), else for the agent.
                Default: ``DEFAULT_NEW_SESSION_RATE_THRESHOLDS``.
            endpoints: which endpoints to watch. Default: ``DEFAULT`` and every named endpoint.
            compact: one metric-math alarm per level for the conditions that share an evaluation window (throttles
                and new sessions at once; system errors and p99 latency in most periods of a window) instead of one
                alarm each: its value adds each firing condition's number (1, 2, 4...), its name joins the
                conditions (``ThrottlesOrNewSessions``) and its description says what each number means. A group
                that would read more metrics than a metric-math alarm may, or describe itself in more than an
                alarm description holds, stays separate alarms. Default: False (one alarm per condition).
            sessions_stopped: for an agent with a ``session_budget``, alarm when its sweeper stops more sessions
                than this in a period (each one ran over its budget), and draw them in the agent's row.
                Default: ``DEFAULT_SESSIONS_STOPPED_THRESHOLDS`` (any stopped session).

        Raises:
            ConstructsLibValidationError: ``AgentAlreadyMonitored`` for a second call with the same
                agent, ``InvalidMonitoringConfiguration`` for levels out of range or unknown endpoints.
        """
        path = path_of(self.findings_scope)
        require_agent(agent, "agent", path)
        if agent.runtime_name in self._monitored:
            raise ConstructsLibValidationError(
                "AgentAlreadyMonitored",
                f"agent {agent.runtime_name!r} ({path_of(agent)}) is already monitored by this monitoring",
                path,
            )
        levels = {
            "throttles": _levels_or_default(throttles, DEFAULT_THROTTLE_THRESHOLDS),
            "system_errors": _levels_or_default(system_errors, DEFAULT_SYSTEM_ERROR_THRESHOLDS),
            "user_error_rate": _levels_or_default(user_error_rate, DEFAULT_USER_ERROR_RATE_THRESHOLDS),
            "latency": _levels_or_default(latency, DEFAULT_LATENCY_THRESHOLDS),
            "new_session_rate": _levels_or_default(new_session_rate, DEFAULT_NEW_SESSION_RATE_THRESHOLDS),
            "sessions_stopped": _levels_or_default(sessions_stopped, DEFAULT_SESSIONS_STOPPED_THRESHOLDS),
        }
        known = [DEFAULT_ENDPOINT, *agent.endpoints]
        chosen = list(known if endpoints is None else endpoints)
        problems: list[str] = []
        for name, values in levels.items():
            problems += level_problems(
                name, values, fraction=name not in ("throttles", "system_errors", "sessions_stopped"),
                allowed=ALARM_NAME_CHARACTERS,
            )
        unknown = [e for e in chosen if e not in known]
        if unknown:
            problems.append(f"endpoints {unknown!r} are not endpoints of {agent.runtime_name} (known: {known!r})")
        if not chosen:
            problems.append("endpoints must name at least one endpoint")
        raise_all("InvalidMonitoringConfiguration", problems, path)
        findings = alarm_metric_findings(
            self.catalog, self.region, agent=agent.runtime_name, endpoints=len(chosen),
            ratio_alarm=bool(levels["user_error_rate"]),
        )
        report(self.findings_scope, findings)
        if any(f.severity is Severity.ERROR for f in findings):
            # Synthesis fails with the finding; CloudWatch's L2 would throw on the alarm itself first and hide the
            # app's other findings, so the agent's alarms are not built (a call with fewer endpoints may follow).
            return self
        self._monitored[agent.runtime_name] = agent
        _AgentAlarms(self, agent, chosen, levels, compact=compact).build()
        if self.account_alarms:
            self.watch_account_pools(agent)
        return self

    def watch_account_pools(self, agent: IAgentCoreAgent) -> AgentCoreMonitoring:
        """The account-pool alarms (edition 2026-09: invocations and new sessions of every agent together), once per
        segment; ``agent`` is any agent of the account (the aggregated metrics have no agent dimension). Returns
        ``self``. :meth:`monitor_agent` calls it unless the segment was made with ``account_alarms=False``."""
        if not self._invoke.per_endpoint:
            self._alarm_invoke_pool(agent)
        if not self._session_pool.per_endpoint:
            self._alarm_session_pool(agent)
        return self


class _AgentAlarms:
    """Builds one agent's alarms and dashboard row (kept apart so the segment stays readable)."""

    def __init__(
        self,
        segment: AgentCoreMonitoring,
        agent: IAgentCoreAgent,
        endpoints: list[str],
        levels: Mapping[str, Mapping[str, float]],
        *,
        compact: bool = False,
    ) -> None:
        self.m = segment
        self.agent = agent
        self.endpoints = endpoints
        self.levels = levels
        self.compact = compact
        self._held: list[_Condition] = []
        self.period = segment.period
        self.resource = agent.runtime_name

    def _metrics(self, factory_name: str, *, label_suffix: str = "", **options: object) -> list[cloudwatch.Metric]:
        factory = getattr(self.agent, factory_name)
        return [factory(endpoint=e, period=self.period, label=f"{e}{label_suffix}", **options) for e in self.endpoints]

    def build(self) -> None:
        plan = self.agent.plan
        invocations = self._metrics("metric_invocations")
        throttles = self._metrics("metric_throttles")
        system_errors = self._metrics("metric_system_errors")
        user_errors = self._metrics("metric_user_errors")
        latency = self._metrics("metric_latency", statistic="p99")
        sessions = self._metrics("metric_session_count")
        not_breaching = cloudwatch.TreatMissingData.NOT_BREACHING
        period = self.period.to_human_string()

        for level in count_levels(self.levels["throttles"]):
            # No data means no invocations, so nothing was throttled.
            self._watch("Throttles", level, throttles, "sum", AT_ONCE,
                        f"{level.level}: more than {level.threshold:g} invocations of {self.resource} throttled in "
                        f"{period}; clients see ThrottlingException (429)")
        for level in count_levels(self.levels["system_errors"]):
            # No data means no invocations, so no errors.
            self._watch("SystemErrors", level, system_errors, "sum", MOSTLY,
                        f"{level.level}: more than {level.threshold:g} system errors of {self.resource} per "
                        f"{period} {MOSTLY.describe()}")
        error_rate = _ratio(user_errors, invocations, "user error rate", self.period)
        for level in fraction_levels(self.levels["user_error_rate"]):
            self._alarm("UserErrorRate", level, error_rate, SUSTAINED,
                        # Without invocations the rate is undefined; a quiet agent is not failing.
                        not_breaching,
                        f"{level.level}: more than {level.fraction:.0%} of invocations of {self.resource} fail with "
                        f"a client error (UserErrors / Invocations) {SUSTAINED.describe()}")
        limit = latency_alarms(
            self.agent.catalog, self.agent.region, mode=plan.mode, mode_limit_seconds=plan.mode_limit_seconds,
            levels=self.levels["latency"],
        )
        for level in limit.levels:
            # No invocations, no latency to judge.
            self._watch("LatencyP99", level, latency, "max", MOSTLY,
                        f"{level.level}: p99 latency of {self.resource} above {level.fraction:.0%} of "
                        f"{limit.describe_limit()}; requests near the limit are cut off")
        creation = new_session_alarms(
            self.agent.catalog, self.agent.region, self.agent.artifact_kind, self.levels["new_session_rate"],
            self.period.to_seconds(),
        )
        quota = creation.quota
        for level in creation.levels:
            targets = [(e, [m]) for e, m in zip(self.endpoints, sessions, strict=True)] if creation.per_endpoint \
                else [(None, sessions)]
            for endpoint, metrics in targets:
                # No new sessions: far from the creation quota.
                self._watch("NewSessions", level, metrics, "sum", AT_ONCE,
                            f"{level.level}: new sessions of {self.resource}"
                            f"{'' if endpoint is None else ' on endpoint ' + endpoint} above {level.fraction:.0%} of "
                            f"{quota.formatted()}, the {quota.describe()}; reuse sessions across turns, or "
                            f"{quota.increase_advice()}",
                            endpoint=endpoint)
        if creation.per_endpoint:
            for endpoint, metric in zip(self.endpoints, sessions, strict=True):
                self.m._new_sessions_graph.add_left_metric(_per_second(
                    metric, f"{self.resource}::{endpoint} new sessions/s", f"s{self.m.next_graph_key()}", self.period
                ))
        if self.m._invoke.per_endpoint:
            self._per_endpoint_invoke_alarms(invocations)
        self._compact_alarms()
        self._dashboard_row(invocations, throttles, latency, sessions, limit.limit_ms, limit.levels, creation.limit)
        self._session_budget()

    def _session_budget(self) -> None:
        """The sweeper's stopped sessions of an agent with a session budget: alarms and a row of the dashboard."""
        guard = self.agent.session_guard
        if guard is None:
            return
        stopped = guard.metric_sessions_stopped(period=self.period, label="sessions stopped")
        period = self.period.to_human_string()
        levels = count_levels(self.levels["sessions_stopped"])
        for level in levels:
            self._alarm("SessionsStopped", level, stopped, AT_ONCE,
                        # The sweeper publishes on every run; no data means no sweep, and no session stopped.
                        cloudwatch.TreatMissingData.NOT_BREACHING,
                        f"{level.level}: the session budget's sweeper stopped more than {level.threshold:g} sessions "
                        f"of {self.resource} in {period}; each ran over its max_session_duration or max_idle: look "
                        "for runaway clients or agents in the session registry")
        budget = guard.budget
        limits = [f"{name} {'set at deployment' if value.is_unresolved() else value.to_human_string()}"
                  for name, value in (
            ("max_session_duration", budget.max_session_duration), ("max_idle", budget.max_idle)) if value is not None]
        limits += [f"{name} {value}" for name, value in (
            ("max_sessions_per_caller", budget.max_sessions_per_caller), ("max_sessions", budget.max_sessions))
            if value is not None]
        total = self.m.width
        self.m._widgets += [
            cloudwatch.TextWidget(markdown=f"### {self.resource}: session budget, {', '.join(limits)}",
                                  width=total, height=1),
            cloudwatch.GraphWidget(
                title=f"{self.resource} sessions stopped over budget", left=[stopped], width=total,
                left_annotations=[cloudwatch.HorizontalAnnotation(value=level.threshold, label=level.level)
                                  for level in levels]),
        ]

    def _alarm(
        self,
        metric_label: str,
        level: AlarmLevel,
        metric: cloudwatch.IMetric,
        evaluation: Evaluation,
        treat_missing_data: cloudwatch.TreatMissingData,
        description: str,
        *,
        endpoint: str | None = None,
    ) -> None:
        resource = self.resource if endpoint is None else f"{self.resource}.{endpoint}"
        self.m.alarm(
            resource=resource,
            metric_label=metric_label,
            level=level,
            metric=metric,
            evaluation=evaluation,
            treat_missing_data=treat_missing_data,
            description=description,
        )

    def _watch(
        self,
        metric_label: str,
        level: AlarmLevel,
        metrics: Sequence[cloudwatch.IMetric],
        combine: str,
        evaluation: Evaluation,
        description: str,
        *,
        endpoint: str | None = None,
    ) -> None:
        """A condition that breaches when ``metrics`` (summed, or their ``max``) exceed the level: its own alarm, or
        held for a compact one (no data breaches none of them: no traffic)."""
        condition = _Condition(metric_label, level, list(metrics), combine, evaluation, description, endpoint)
        if self.compact:
            self._held.append(condition)
            return
        self._alarm(metric_label, level, condition.metric(self.period), evaluation,
                    cloudwatch.TreatMissingData.NOT_BREACHING, description, endpoint=endpoint)

    def _compact_alarms(self) -> None:
        """The held conditions as one alarm per level and evaluation window, where one alarm can hold them."""
        groups: dict[tuple[str, Evaluation], list[_Condition]] = {}
        for condition in self._held:
            groups.setdefault((condition.level.level, condition.evaluation), []).append(condition)
        catalog, region = self.agent.catalog, self.agent.region
        for (level_name, evaluation), conditions in groups.items():
            description = _compact_description(level_name, conditions)
            metrics = sum(len(c.metrics) for c in conditions)
            if len(conditions) == 1 or not compact_alarm_fits(catalog, region, metrics=metrics,
                                                              description_length=len(description)):
                for c in conditions:
                    self._alarm(c.label, c.level, c.metric(self.period), c.evaluation,
                                cloudwatch.TreatMissingData.NOT_BREACHING, c.description, endpoint=c.endpoint)
                continue
            using: dict[str, cloudwatch.IMetric] = {}
            terms = []
            for k, condition in enumerate(conditions):
                keys = [f"c{k}m{i}" for i in range(len(condition.metrics))]
                using.update(zip(keys, condition.metrics, strict=True))
                value = (f"MAX([{', '.join(keys)}])" if condition.combine == "max"
                         else " + ".join(f"FILL({key}, 0)" for key in keys))
                terms.append(f"IF(({value}) > {condition.level.threshold:g}, {2 ** k}, 0)")
            label = "Or".join(c.label if c.endpoint is None else f"{c.label}{c.endpoint}" for c in conditions)
            metric = cloudwatch.MathExpression(expression=" + ".join(terms), using_metrics=using,
                                               label=f"{self.resource} conditions", period=self.period)
            # The value is the sum of the numbers of the conditions that fire: anything above 0 is an alarm.
            self._alarm(label, AlarmLevel(level_name, 0, 0), metric, evaluation,
                        cloudwatch.TreatMissingData.NOT_BREACHING, description)

    def _per_endpoint_invoke_alarms(self, invocations: list[cloudwatch.Metric]) -> None:
        """Edition 2026-03: each endpoint has its own invoke rate quota."""
        quota = self.m._invoke.quota
        for endpoint, metric in zip(self.endpoints, invocations, strict=True):
            for level in self.m._invoke.levels:
                # No invocations: far from the quota.
                self._watch("InvokeRate", level, [metric], "sum", AT_ONCE,
                            f"{level.level}: invocations of {self.resource} on endpoint {endpoint} above "
                            f"{level.fraction:.0%} of {quota.formatted()}, the {quota.describe()}; add endpoints or "
                            f"{quota.increase_advice()}",
                            endpoint=endpoint)
            self.m._invocations_graph.add_left_metric(
                _per_second(
                    metric, f"{self.resource}::{endpoint} invocations/s", f"e{self.m.next_graph_key()}", self.period
                )
            )

    def _dashboard_row(
        self,
        invocations: list[cloudwatch.Metric],
        throttles: list[cloudwatch.Metric],
        latency: list[cloudwatch.Metric],
        sessions: list[cloudwatch.Metric],
        limit_ms: float,
        latency_levels: Sequence[AlarmLevel],
        session_capacity: float,
    ) -> None:
        plan = self.agent.plan
        total = self.m.width
        row = widths(total, 5)
        # The error graph's lines, labelled by endpoint and kind (made like the alarms' metrics, not copied from them).
        errors = self._metrics("metric_system_errors", label_suffix=" system")
        errors += self._metrics("metric_user_errors", label_suffix=" user")
        latency_lines = [cloudwatch.HorizontalAnnotation(value=limit_ms, label="invocation limit")]
        latency_lines += [
            cloudwatch.HorizontalAnnotation(value=level.threshold, label=f"{level.level} {level.fraction:.0%}")
            for level in latency_levels
        ]
        session_lines = [cloudwatch.HorizontalAnnotation(value=session_capacity, label="creation quota per period")]
        self.m._widgets += [
            cloudwatch.TextWidget(
                markdown=(
                    f"### {self.resource}: {plan.mode.value} invocation, endpoints {', '.join(self.endpoints)}"
                ),
                width=total,
                height=1,
            ),
            cloudwatch.GraphWidget(title=f"{self.resource} invocations", left=invocations, width=row[0]),
            cloudwatch.GraphWidget(title=f"{self.resource} throttles", left=throttles, width=row[1]),
            cloudwatch.GraphWidget(title=f"{self.resource} errors", left=errors, width=row[2]),
            cloudwatch.GraphWidget(title=f"{self.resource} latency p99 (ms)", left=latency,
                                   left_annotations=latency_lines, width=row[3]),
            cloudwatch.GraphWidget(title=f"{self.resource} new sessions", left=sessions,
                                   left_annotations=session_lines, width=row[4]),
        ]


@dataclass(frozen=True)
class _Condition:
    """One alarm condition of an agent: its metrics (summed, or their ``max``) above the level."""

    label: str
    level: AlarmLevel
    metrics: list[cloudwatch.IMetric]
    combine: str
    evaluation: Evaluation
    description: str
    endpoint: str | None

    def metric(self, period: cdk.Duration) -> cloudwatch.IMetric:
        """The condition's own alarm metric."""
        what = {"Throttles": "throttles", "SystemErrors": "system errors", "LatencyP99": "p99 latency",
                "NewSessions": "new sessions", "InvokeRate": "invocations"}.get(self.label, self.label)
        return (_max(self.metrics, what, period) if self.combine == "max" else _sum(self.metrics, what, period))


def _compact_description(level: str, conditions: Sequence[_Condition]) -> str:
    """What a compact alarm's value means: each firing condition adds its number."""
    parts = [f"{2 ** k} = {c.description.removeprefix(f'{c.level.level}: ')}" for k, c in enumerate(conditions)]
    return f"{level}: the alarm's value adds the number of each condition that fires: " + " | ".join(parts)


def _quota_graph(what: str, alarms: QuotaAlarms, *, width: int, with_levels: bool) -> cloudwatch.GraphWidget:
    """A per-second rate graph with the quota (per endpoint or account pool) and its alarm levels drawn."""
    quota = alarms.quota
    lines = [cloudwatch.HorizontalAnnotation(
        value=alarms.per_second,
        label=f"{'per-endpoint quota' if alarms.per_endpoint else 'account pool'} {quota.formatted()}",
    )]
    if with_levels:
        lines += [
            cloudwatch.HorizontalAnnotation(value=level.threshold, label=f"{level.level} {level.fraction:.0%}")
            for level in alarms.per_second_levels()
        ]
    return cloudwatch.GraphWidget(
        title=(
            f"{what} per second vs {'each endpoint' if alarms.per_endpoint else 'the account pool'} "
            f"({quota.formatted()})"
        ),
        left_annotations=lines,
        width=width,
    )


def widths(total: int, count: int) -> list[int]:
    """Widths of ``count`` widgets filling a dashboard row of ``total`` grid units (the last takes the rest)."""
    each = total // count
    return [each] * (count - 1) + [total - each * (count - 1)]


def _sum(metrics: Sequence[cloudwatch.IMetric], label: str, period: cdk.Duration) -> cloudwatch.IMetric:
    """The metrics themselves when there is one, else their sum with gaps counted as 0."""
    if len(metrics) == 1:
        return metrics[0]
    using = {f"m{i}": m for i, m in enumerate(metrics)}
    expression = " + ".join(f"FILL({key}, 0)" for key in using)
    return cloudwatch.MathExpression(expression=expression, using_metrics=using, label=label, period=period)


def _max(metrics: Sequence[cloudwatch.IMetric], label: str, period: cdk.Duration) -> cloudwatch.IMetric:
    """The metric itself when there is one, else the highest of them at each point."""
    if len(metrics) == 1:
        return metrics[0]
    using = {f"m{i}": m for i, m in enumerate(metrics)}
    return cloudwatch.MathExpression(
        expression=f"MAX([{', '.join(using)}])", using_metrics=using, label=label, period=period
    )


def _ratio(
    numerators: Sequence[cloudwatch.IMetric],
    denominators: Sequence[cloudwatch.IMetric],
    label: str,
    period: cdk.Duration,
) -> cloudwatch.MathExpression:
    """Sum of numerators over sum of denominators (no datapoint when there is no traffic)."""
    using: dict[str, cloudwatch.IMetric] = {f"e{i}": m for i, m in enumerate(numerators)}
    using.update({f"i{i}": m for i, m in enumerate(denominators)})
    errors = " + ".join(f"FILL(e{i}, 0)" for i in range(len(numerators)))
    calls = " + ".join(f"FILL(i{i}, 0)" for i in range(len(denominators)))
    return cloudwatch.MathExpression(
        expression=f"({errors}) / ({calls})", using_metrics=using, label=label, period=period
    )


def _per_second(metric: cloudwatch.IMetric, label: str, key: str, period: cdk.Duration) -> cloudwatch.MathExpression:
    """A Sum metric as a rate per second, to compare with a quota in TPS (``key``: unique in its graph).

    The expression has the metric's period: without it, CloudWatch's default would override the metric's.
    """
    return cloudwatch.MathExpression(
        expression=f"{key} / PERIOD({key})", using_metrics={key: metric}, label=label, period=period
    )


__all__ = [
    "ACCOUNT_RESOURCE",
    "ACTIVE_SESSION_COUNT_DIMENSIONS",
    "ACTIVE_SESSION_COUNT_METRIC",
    "AgentCoreMonitoring",
    "metric_active_session_count",
    "widths",
]
