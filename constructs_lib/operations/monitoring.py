"""AgentMonitoring: CloudWatch alarms and a dashboard for AgentCore agents, thresholds from the quota catalog.

The on-call engineer is paged before clients feel a quota: every threshold is a fraction of a limit read
from the quota catalog (with the approved overrides of the CDK context key ``agentcore:quotaOverrides``),
never a number written here.

Per agent (:meth:`AgentMonitoring.monitor_agent`): throttles, system errors, the user-error rate
(``UserErrors / Invocations``), p99 latency approaching the invocation mode's limit, and the new-session
rate approaching the session-creation quota. Per account and region: ``ActiveSessionCount`` against the
active-session quota (Warning and Critical), invocations against the data-plane rate quota (the
account pool in edition 2026-09, each endpoint in 2026-03) and, where the session-creation quota is one
pool for the account (2026-09), the new sessions of every agent together against it.

Alarm names are deterministic: ``<prefix>-<resource>-<metric>-<disambiguator>``, where the resource is
the runtime name (``support_agent``), ``<runtime>.<endpoint>`` for per-endpoint quotas, or ``Account``.

Log groups:
    This module creates no log group. The runtime log groups are created by AgentCore itself, on the
    first invocation of each endpoint, not at deploy time:
    ``/aws/bedrock-agentcore/runtimes/<runtimeId>-<endpoint>`` (application logs). The library cannot own
    them in CloudFormation (a stack that declared one would fail to deploy once the service had created
    it), so they keep the service's retention ("never expire") until you set one, for example with
    ``aws logs put-retention-policy --log-group-name /aws/bedrock-agentcore/runtimes/<id>-<endpoint>
    --retention-in-days 365`` after the first invocation, or an account-level log retention policy.
    Log groups the library does create (the version archiver's) always carry a retention.

See: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/bedrock-agentcore-limits.html
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib._cdk.reporting import report, report_unresolved
from constructs_lib._cdk.scope import catalog_for, region_of
from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.limits.service import DEFAULT_ENDPOINT, METRIC_NAMESPACE
from constructs_lib.planning.findings import Severity
from constructs_lib.planning.operations import (
    AT_ONCE,
    DEFAULT_ACTIVE_SESSION_THRESHOLDS,
    DEFAULT_INVOKE_RATE_THRESHOLDS,
    DEFAULT_LATENCY_THRESHOLDS,
    DEFAULT_NEW_SESSION_RATE_THRESHOLDS,
    DEFAULT_SESSION_CREATION_THRESHOLDS,
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

_ALARM_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


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


class AgentMonitoring(Construct):
    """Defines CloudWatch alarms and a dashboard for AgentCore agents, with quota-derived thresholds.

    In the style of cdk-monitoring-constructs: create the facade once, then chain
    :meth:`monitor_agent` for each agent. Every alarm notifies ``alarm_topic`` on ALARM and on OK.

    Resources: the dashboard (``Resource``, ``dashboard`` and ``node.default_child``: the one resource every
    monitoring has, with a quota row and a row per agent), the account-level alarms (active sessions, and the
    data-plane and session-creation pools once an agent is monitored under edition 2026-09), per-agent alarms, and,
    unless ``alarm_topic`` is given, an SNS topic encrypted with a new customer-managed KMS key (rotation on,
    CloudWatch allowed to use it) whose policy denies non-TLS publishing.

    Thresholds come from :mod:`constructs_lib.planning.operations`: fractions of quotas resolved from the catalog.
    An agent whose widest alarm would read more metrics than a metric-math alarm may fails synthesis
    (``TooManyMetricsInAlarm``).

    Args:
        scope: parent construct.
        construct_id: construct id.
        alarm_name_prefix: first part of every alarm name (letters, digits, ``_``, ``.``, ``-``).
        alarm_topic: the topic alarms notify. Default: a new encrypted, TLS-only topic.
        agents: agents to monitor with the default thresholds (same as calling :meth:`monitor_agent`).
            Default: none; add them with :meth:`monitor_agent`.
        dashboard_name: name of the CloudWatch dashboard. Default: a name generated by CloudFormation.
        dashboard_interval: the time range the dashboard shows when it loads. Default: CloudWatch's own default
            range.
        active_session_thresholds: alarm levels for ``ActiveSessionCount`` as fractions of the regional
            active-session quota (:data:`DEFAULT_ACTIVE_SESSION_THRESHOLDS` by default); an empty mapping
            creates no active-session alarm.
        invoke_rate_thresholds: alarm levels for invocations as fractions of the data-plane rate quota
            (the account pool, or each endpoint's rate in edition 2026-03). Default:
            :data:`DEFAULT_INVOKE_RATE_THRESHOLDS`.
        session_creation_thresholds: alarm levels for the new sessions of every agent in the account
            (``Sessions`` aggregated) as fractions of the session-creation quota, when that quota is one
            pool for the account (edition 2026-09; in 2026-03 it is per endpoint and the per-agent
            ``new_session_rate`` alarms cover it). Default: :data:`DEFAULT_SESSION_CREATION_THRESHOLDS`.
        period: the period every alarm and graph aggregates over, a whole multiple of CloudWatch's
            standard-resolution period. Default: that period (quotas are per second; a longer period would average
            a burst away).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarm_name_prefix: str,
        alarm_topic: sns.ITopic | None = None,
        agents: Sequence[AgentCoreAgent] = (),
        dashboard_name: str | None = None,
        dashboard_interval: cdk.Duration | None = None,
        active_session_thresholds: Mapping[str, float] | None = None,
        invoke_rate_thresholds: Mapping[str, float] | None = None,
        session_creation_thresholds: Mapping[str, float] | None = None,
        period: cdk.Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.catalog = catalog_for(self)
        self.region: str | None = region_of(self)
        self.alarm_name_prefix: str = alarm_name_prefix
        self.period: cdk.Duration = period or cdk.Duration.seconds(default_period_seconds(self.catalog))
        active_levels = dict(
            DEFAULT_ACTIVE_SESSION_THRESHOLDS if active_session_thresholds is None else active_session_thresholds
        )
        invoke_levels = dict(
            DEFAULT_INVOKE_RATE_THRESHOLDS if invoke_rate_thresholds is None else invoke_rate_thresholds
        )
        session_levels = dict(
            DEFAULT_SESSION_CREATION_THRESHOLDS if session_creation_thresholds is None
            else session_creation_thresholds
        )
        problems = self._prefix_problems(alarm_name_prefix) + self._period_problems(self.period)
        for name, levels in (
            ("active_session_thresholds", active_levels),
            ("invoke_rate_thresholds", invoke_levels),
            ("session_creation_thresholds", session_levels),
        ):
            problems += level_problems(name, levels, fraction=True, allowed=_ALARM_NAME_CHARACTERS)
        raise_all("InvalidMonitoringConfiguration", problems, self.node.path)

        self.alarm_topic_key: kms.IKey | None = None
        self.alarm_topic: sns.ITopic = alarm_topic or self._default_topic()
        self._action = cloudwatch_actions.SnsAction(self.alarm_topic)
        self._alarms: list[tuple[cloudwatch.Alarm, str]] = []
        self._monitored: dict[str, AgentCoreAgent] = {}
        self._pool_alarmed = False
        self._session_pool_alarmed = False
        self._graph_keys = 0
        self._width = int(self.catalog.value(QuotaName.CLOUDWATCH_DASHBOARD_WIDTH))

        seconds = self.period.to_seconds()
        self._active_sessions = active_session_alarms(self.catalog, self.region, active_levels)
        self._invoke = invoke_rate_alarms(self.catalog, self.region, invoke_levels, seconds)
        self._session_pool = account_session_creation_alarms(self.catalog, self.region, session_levels, seconds)

        self.dashboard = cloudwatch.Dashboard(
            self, "Resource", dashboard_name=dashboard_name, default_interval=dashboard_interval
        )
        self.node.default_child = self.dashboard
        self._account = Construct(self, "Account")
        self._active_sessions_graph, self._invocations_graph, self._new_sessions_graph = self._quota_row()
        self._alarm_active_sessions()

        for agent in agents:
            self.monitor_agent(agent)

    # -- defaults and validation -------------------------------------------------------------------

    def _default_topic(self) -> sns.ITopic:
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"Encrypts the alarm topic of {self.node.path}",
            # Key rotation is a security default (AwsSolutions-KMS5); it costs nothing to keep.
            enable_key_rotation=True,
        )
        # CloudWatch publishes alarm notifications to an encrypted topic only when the key lets it; the
        # AWS managed key alias/aws/sns cannot be shared, hence a customer-managed key.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is the key itself
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
            )
        )
        self.alarm_topic_key = key
        # enforce_ssl adds a topic policy denying sns:Publish without TLS (AwsSolutions-SNS3).
        return sns.Topic(self, "AlarmTopic", master_key=key, enforce_ssl=True, display_name="AgentCore alarms")

    def _prefix_problems(self, prefix: str) -> list[str]:
        if not isinstance(prefix, str) or not prefix:
            return [f"alarm_name_prefix must be a non-empty string, got {prefix!r}"]
        if cdk.Token.is_unresolved(prefix):
            report_unresolved(self, "alarm_name_prefix", "the characters CloudWatch allows in alarm names")
            return []
        bad = sorted(set(prefix) - _ALARM_NAME_CHARACTERS)
        if bad:
            return [
                f"alarm_name_prefix may contain only letters, digits, '_', '.' and '-', got {prefix!r} "
                f"(offending: {' '.join(repr(c) for c in bad)})"
            ]
        return []

    def _period_problems(self, period: cdk.Duration) -> list[str]:
        if period.is_unresolved():
            # Not a limit check but an input of the plan: every rate threshold is the quota per second times
            # the period, so the period must be known when the alarms are written.
            return ["period must be a concrete duration (rate thresholds are the quota per second times the "
                    "period), got an unresolved token"]
        return period_problems(self.catalog, period.to_seconds())

    # -- wiring ------------------------------------------------------------------------------------

    def created_alarms(self) -> list[cloudwatch.Alarm]:
        """Every alarm this facade created, in creation order."""
        return [alarm for alarm, _ in self._alarms]

    def created_alarms_with_disambiguator(self, disambiguator: str) -> list[cloudwatch.Alarm]:
        """The alarms created for one level (``"Warning"``, ``"Critical"``...), for wiring extra actions."""
        return [alarm for alarm, level in self._alarms if level == disambiguator]

    def _next_graph_key(self) -> int:
        self._graph_keys += 1
        return self._graph_keys

    @property
    def monitored_agents(self) -> list[AgentCoreAgent]:
        """The agents monitored so far."""
        return list(self._monitored.values())

    def _alarm(
        self,
        scope: Construct,
        *,
        resource: str,
        metric_label: str,
        level: AlarmLevel,
        metric: cloudwatch.IMetric,
        evaluation: Evaluation,
        treat_missing_data: cloudwatch.TreatMissingData,
        description: str,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            scope,
            level.level,
            alarm_name=f"{self.alarm_name_prefix}-{resource}-{metric_label}-{level.level}",
            alarm_description=description,
            metric=metric,
            threshold=level.threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation.evaluation_periods,
            datapoints_to_alarm=evaluation.datapoints_to_alarm,
            treat_missing_data=treat_missing_data,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self._alarms.append((alarm, level.level))
        return alarm

    # -- account and region ------------------------------------------------------------------------

    def _alarm_active_sessions(self) -> None:
        quota = self._active_sessions.quota
        group = Construct(self._account, "ActiveSessions")
        for level in self._active_sessions.levels:
            self._alarm(
                group,
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

    def _alarm_invoke_pool(self, agent: AgentCoreAgent) -> None:
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
        self._invocations_graph.add_left_metric(_per_second(metric, "invocations/s (all agents)", "pool"))

    def _alarm_session_pool(self, agent: AgentCoreAgent) -> None:
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
        self._new_sessions_graph.add_left_metric(_per_second(metric, "new sessions/s (all agents)", "sessions"))

    def _alarm_account_pool(
        self,
        metric_label: str,
        metric: cloudwatch.IMetric,
        alarms: QuotaAlarms,
        describe: Callable[[AlarmLevel], str],
    ) -> None:
        """One alarm per level comparing an aggregated Sum per period with a per-second account quota."""
        group = Construct(self._account, metric_label)
        for level in alarms.levels:
            self._alarm(
                group,
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
        first, second, last = _widths(self._width, 3)
        active = cloudwatch.GraphWidget(
            title=f"Active sessions vs quota ({sessions.formatted()}, {sessions.source.value})",
            left=[metric_active_session_count(period=self.period, label="ActiveSessionCount")],
            left_annotations=session_lines,
            width=first,
        )
        invocations = self._quota_graph("Invocations", self._invoke, width=second, with_levels=True)
        new_sessions = self._quota_graph(
            "New sessions", self._session_pool, width=last,
            # A per-endpoint creation quota has per-endpoint alarms, no account-level ones to draw.
            with_levels=not self._session_pool.per_endpoint,
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=(
                    f"## Quotas (edition {self.catalog.edition.value}, region {self.region or 'unknown'})\n"
                    f"{sessions.describe()}; {self._invoke.quota.describe()}; {self._session_pool.quota.describe()}"
                ),
                width=self._width,
                height=2,
            )
        )
        self.dashboard.add_widgets(active, invocations, new_sessions)
        return active, invocations, new_sessions

    @staticmethod
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

    # -- agents ------------------------------------------------------------------------------------

    def monitor_agent(
        self,
        agent: AgentCoreAgent,
        *,
        throttles: Mapping[str, float] | None = None,
        system_errors: Mapping[str, float] | None = None,
        user_error_rate: Mapping[str, float] | None = None,
        latency: Mapping[str, float] | None = None,
        new_session_rate: Mapping[str, float] | None = None,
        endpoints: Sequence[str] | None = None,
    ) -> AgentMonitoring:
        """Add alarms and a dashboard row for one agent; returns ``self`` for chaining.

        Each threshold argument maps a disambiguator (``"Warning"``, ``"Critical"``) to a level; an
        empty mapping creates no alarm of that kind. Levels that are fractions refer to a limit read
        from the quota catalog (with approved overrides) when the construct is built.

        Args:
            agent: the agent.
            throttles: alarm when more invocations than this are throttled in a period.
                Default: :data:`DEFAULT_THROTTLE_THRESHOLDS` (any throttle).
            system_errors: alarm when more system errors than this occur in most periods of a short window.
                Default: :data:`DEFAULT_SYSTEM_ERROR_THRESHOLDS`.
            user_error_rate: alarm when ``UserErrors / Invocations`` exceeds this fraction for a sustained window.
                Default: :data:`DEFAULT_USER_ERROR_RATE_THRESHOLDS`.
            latency: alarm when p99 latency exceeds this fraction of the invocation mode's limit
                (``agent.plan.mode_limit_seconds``; for the asynchronous mode, the synchronous request
                timeout, because the invocation itself must answer at once).
                Default: :data:`DEFAULT_LATENCY_THRESHOLDS`.
            new_session_rate: alarm when new sessions in a period exceed this fraction of the
                session-creation quota of the agent's artifact kind (the quota per second times the period).
                Counted per endpoint when the quota is per endpoint (2026-03), else for the agent.
                Default: :data:`DEFAULT_NEW_SESSION_RATE_THRESHOLDS`.
            endpoints: which endpoints to watch. Default: ``DEFAULT`` and every named endpoint.

        Raises:
            ConstructsLibValidationError: ``AgentAlreadyMonitored`` for a second call with the same
                agent, ``InvalidMonitoringConfiguration`` for levels out of range or unknown endpoints.
        """
        if agent.runtime_name in self._monitored:
            raise ConstructsLibValidationError(
                "AgentAlreadyMonitored",
                f"agent {agent.runtime_name!r} ({agent.node.path}) is already monitored by this AgentMonitoring",
                self.node.path,
            )
        levels = {
            "throttles": dict(DEFAULT_THROTTLE_THRESHOLDS if throttles is None else throttles),
            "system_errors": dict(DEFAULT_SYSTEM_ERROR_THRESHOLDS if system_errors is None else system_errors),
            "user_error_rate": dict(
                DEFAULT_USER_ERROR_RATE_THRESHOLDS if user_error_rate is None else user_error_rate
            ),
            "latency": dict(DEFAULT_LATENCY_THRESHOLDS if latency is None else latency),
            "new_session_rate": dict(
                DEFAULT_NEW_SESSION_RATE_THRESHOLDS if new_session_rate is None else new_session_rate
            ),
        }
        known = [DEFAULT_ENDPOINT, *agent.endpoints]
        chosen = list(known if endpoints is None else endpoints)
        problems: list[str] = []
        for name, values in levels.items():
            problems += level_problems(
                name, values, fraction=name not in ("throttles", "system_errors"), allowed=_ALARM_NAME_CHARACTERS
            )
        unknown = [e for e in chosen if e not in known]
        if unknown:
            problems.append(f"endpoints {unknown!r} are not endpoints of {agent.runtime_name} (known: {known!r})")
        if not chosen:
            problems.append("endpoints must name at least one endpoint")
        raise_all("InvalidMonitoringConfiguration", problems, self.node.path)
        findings = alarm_metric_findings(
            self.catalog, self.region, agent=agent.runtime_name, endpoints=len(chosen),
            ratio_alarm=bool(levels["user_error_rate"]),
        )
        report(self, findings)
        if any(f.severity is Severity.ERROR for f in findings):
            # Synthesis fails with the finding; CloudWatch's L2 would throw on the alarm itself first and hide the
            # app's other findings, so the agent's alarms are not built (a call with fewer endpoints may follow).
            return self
        self._monitored[agent.runtime_name] = agent
        _AgentAlarms(self, agent, chosen, levels).build()
        if not self._invoke.per_endpoint:
            self._alarm_invoke_pool(agent)
        if not self._session_pool.per_endpoint:
            self._alarm_session_pool(agent)
        return self


class _AgentAlarms:
    """Builds one agent's alarms and dashboard row (kept apart so the facade stays readable)."""

    def __init__(
        self,
        monitoring: AgentMonitoring,
        agent: AgentCoreAgent,
        endpoints: list[str],
        levels: Mapping[str, Mapping[str, float]],
    ) -> None:
        self.m = monitoring
        self.agent = agent
        self.endpoints = endpoints
        self.levels = levels
        self.period = monitoring.period
        self.resource = agent.runtime_name
        # One group per monitored agent; the runtime name is unique in the account and region.
        self.group = Construct(monitoring, agent.runtime_name)

    def _metrics(self, factory_name: str, **options: object) -> list[cloudwatch.Metric]:
        factory = getattr(self.agent, factory_name)
        return [factory(endpoint=e, period=self.period, label=e, **options) for e in self.endpoints]

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
            self._alarm("Throttles", level, _sum(throttles, "throttles", self.period), AT_ONCE,
                        # No data means no invocations, so nothing was throttled.
                        not_breaching,
                        f"{level.level}: more than {level.threshold:g} invocations of {self.resource} throttled in "
                        f"{period}; clients see ThrottlingException (429)")
        for level in count_levels(self.levels["system_errors"]):
            self._alarm("SystemErrors", level, _sum(system_errors, "system errors", self.period), MOSTLY,
                        # No data means no invocations, so no errors.
                        not_breaching,
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
        p99 = _max(latency, "p99 latency", self.period)
        for level in limit.levels:
            self._alarm("LatencyP99", level, p99, MOSTLY,
                        # No invocations, no latency to judge.
                        not_breaching,
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
                self._alarm("NewSessions", level, _sum(metrics, "new sessions", self.period), AT_ONCE,
                            # No new sessions: far from the creation quota.
                            not_breaching,
                            f"{level.level}: new sessions of {self.resource}"
                            f"{'' if endpoint is None else ' on endpoint ' + endpoint} above {level.fraction:.0%} of "
                            f"{quota.formatted()}, the {quota.describe()}; reuse sessions across turns, or "
                            f"{quota.increase_advice()}",
                            endpoint=endpoint)
        if creation.per_endpoint:
            for endpoint, metric in zip(self.endpoints, sessions, strict=True):
                self.m._new_sessions_graph.add_left_metric(_per_second(
                    metric, f"{self.resource}::{endpoint} new sessions/s", f"s{self.m._next_graph_key()}"
                ))
        if self.m._invoke.per_endpoint:
            self._per_endpoint_invoke_alarms(invocations)
        self._dashboard_row(invocations, throttles, system_errors, user_errors, latency, sessions,
                            limit.limit_ms, limit.levels, creation.limit)

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
        scope = _group(self.group, metric_label)
        if endpoint is not None:
            scope = _group(scope, endpoint)
        resource = self.resource if endpoint is None else f"{self.resource}.{endpoint}"
        self.m._alarm(
            scope,
            resource=resource,
            metric_label=metric_label,
            level=level,
            metric=metric,
            evaluation=evaluation,
            treat_missing_data=treat_missing_data,
            description=description,
        )

    def _per_endpoint_invoke_alarms(self, invocations: list[cloudwatch.Metric]) -> None:
        """Edition 2026-03: each endpoint has its own invoke rate quota."""
        quota = self.m._invoke.quota
        for endpoint, metric in zip(self.endpoints, invocations, strict=True):
            for level in self.m._invoke.levels:
                self._alarm("InvokeRate", level, metric, AT_ONCE,
                            # No invocations: far from the quota.
                            cloudwatch.TreatMissingData.NOT_BREACHING,
                            f"{level.level}: invocations of {self.resource} on endpoint {endpoint} above "
                            f"{level.fraction:.0%} of {quota.formatted()}, the {quota.describe()}; add endpoints or "
                            f"{quota.increase_advice()}",
                            endpoint=endpoint)
            self.m._invocations_graph.add_left_metric(
                _per_second(metric, f"{self.resource}::{endpoint} invocations/s", f"e{self.m._next_graph_key()}")
            )

    def _dashboard_row(
        self,
        invocations: list[cloudwatch.Metric],
        throttles: list[cloudwatch.Metric],
        system_errors: list[cloudwatch.Metric],
        user_errors: list[cloudwatch.Metric],
        latency: list[cloudwatch.Metric],
        sessions: list[cloudwatch.Metric],
        limit_ms: float,
        latency_levels: Sequence[AlarmLevel],
        session_capacity: float,
    ) -> None:
        plan = self.agent.plan
        total = self.m._width
        widths = _widths(total, 5)
        errors = [m.with_(label=f"{m.label} system") for m in system_errors]
        errors += [m.with_(label=f"{m.label} user") for m in user_errors]
        latency_lines = [cloudwatch.HorizontalAnnotation(value=limit_ms, label="invocation limit")]
        latency_lines += [
            cloudwatch.HorizontalAnnotation(value=level.threshold, label=f"{level.level} {level.fraction:.0%}")
            for level in latency_levels
        ]
        session_lines = [cloudwatch.HorizontalAnnotation(value=session_capacity, label="creation quota per period")]
        self.m.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=(
                    f"### {self.resource}: {plan.mode.value} invocation, endpoints {', '.join(self.endpoints)}"
                ),
                width=total,
                height=1,
            )
        )
        self.m.dashboard.add_widgets(
            cloudwatch.GraphWidget(title=f"{self.resource} invocations", left=invocations, width=widths[0]),
            cloudwatch.GraphWidget(title=f"{self.resource} throttles", left=throttles, width=widths[1]),
            cloudwatch.GraphWidget(title=f"{self.resource} errors", left=errors, width=widths[2]),
            cloudwatch.GraphWidget(title=f"{self.resource} latency p99 (ms)", left=latency,
                                   left_annotations=latency_lines, width=widths[3]),
            cloudwatch.GraphWidget(title=f"{self.resource} new sessions", left=sessions,
                                   left_annotations=session_lines, width=widths[4]),
        )


def _widths(total: int, count: int) -> list[int]:
    """Widths of ``count`` widgets filling a dashboard row of ``total`` grid units (the last takes the rest)."""
    each = total // count
    return [each] * (count - 1) + [total - each * (count - 1)]


def _group(parent: Construct, construct_id: str) -> Construct:
    """The child grouping construct ``construct_id`` of ``parent``, created on first use."""
    existing = parent.node.try_find_child(construct_id)
    return existing if isinstance(existing, Construct) else Construct(parent, construct_id)


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


def _per_second(metric: cloudwatch.IMetric, label: str, key: str) -> cloudwatch.MathExpression:
    """A Sum metric as a rate per second, to compare with a quota in TPS (``key``: unique in its graph)."""
    return cloudwatch.MathExpression(expression=f"{key} / PERIOD({key})", using_metrics={key: metric}, label=label)


# The default thresholds are planning data: constructs_lib.planning.operations.DEFAULT_*_THRESHOLDS.
__all__ = [
    "ACTIVE_SESSION_COUNT_DIMENSIONS",
    "ACTIVE_SESSION_COUNT_METRIC",
    "AgentMonitoring",
    "metric_active_session_count",
]
