"""AgentMonitoring: CloudWatch alarms and a dashboard for AgentCore agents and their front doors.

The on-call engineer is paged before clients feel a quota: every AgentCore threshold is a fraction of a limit read
from the quota catalog (with the approved overrides of the CDK context key ``agentcore:quotaOverrides``), never a
number written here. The AgentCore alarms are :class:`~constructs_lib.operations.agentcore_segment.AgentCoreMonitoring`,
the same segment a team adds to its own cdk-monitoring-constructs ``MonitoringFacade``; the front doors (REST and
WebSocket APIs, proxy functions, tables, state machines) are cdk-monitoring-constructs monitorings with thresholds
from the plan (:mod:`constructs_lib.operations.front_doors`).

All of it is built on a cdk-monitoring-constructs ``MonitoringFacade`` (``facade``: add any of its ``monitor_*``
to the same topic and dashboard) whose alarm factory names every alarm
``<prefix>-<resource>-<metric>-<disambiguator>`` and notifies the topic on ALARM and on OK, and whose dashboard is this
construct's own (``dashboard``).

Log groups:
    This module creates no log group. Each agent owns its runtime's log groups
    (``/aws/bedrock-agentcore/runtimes/<runtimeId>-<endpoint>``, ``agent.log_groups``): they are created in
    the agent's template right after the runtime, before the service would create them on an endpoint's first
    invocation, with a retention, an optional KMS key and tags (see
    :class:`~constructs_lib.agent.log_groups.RuntimeLogGroups`). Only an agent made with
    ``create_log_groups=False`` (a runtime invoked before the library owned its groups) leaves them to the
    service, which creates them with no retention ("never expire").

See: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/bedrock-agentcore-limits.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
import cdk_monitoring_constructs as cmc
import jsii
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from constructs_lib._cdk.names import default_alarm_name_prefix, watch_unique_names
from constructs_lib._cdk.props import PropChecks, check_construct_id
from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.agent.interface import INVALID_AGENT, IAgentCoreAgent, check_agents
from constructs_lib.errors import raise_all
from constructs_lib.limits.names import ALARM_NAME_CHARACTERS
from constructs_lib.operations import front_doors
from constructs_lib.operations.agentcore_segment import (
    ACTIVE_SESSION_COUNT_DIMENSIONS,
    ACTIVE_SESSION_COUNT_METRIC,
    AgentCoreMonitoring,
    metric_active_session_count,
)
from constructs_lib.planning.operations import default_period_seconds

#: The detail dashboard's name in cdk-monitoring-constructs (the value of its ``DefaultDashboards.DETAIL``: Python's
#: enum member carries the member name instead).
_DETAIL_DASHBOARD = "Detail"


@jsii.implements(cmc.IDynamicDashboardFactory)
class _IntoDashboard:
    """The facade's dashboard factory: every segment's detail widgets go to one existing dashboard."""

    def __init__(self, dashboard: cloudwatch.Dashboard) -> None:
        self._dashboard = dashboard

    def add_dynamic_segment(self, segment: cmc.IDynamicDashboardSegment) -> None:
        """Add the segment's detail widgets as one block (CloudWatch wraps them into rows)."""
        widgets = segment.widgets_for_dashboard(_DETAIL_DASHBOARD)
        if widgets:
            self._dashboard.add_widgets(*widgets)

    def get_dashboard(self, type: str) -> cloudwatch.Dashboard | None:  # noqa: A002 - the interface's name
        """The dashboard for the detail type, none for the others."""
        return self._dashboard if type == _DETAIL_DASHBOARD else None


class AgentMonitoring(Construct):
    """Defines CloudWatch alarms and a dashboard for AgentCore agents and their front doors.

    In the style of cdk-monitoring-constructs: create the facade once, then chain :meth:`monitor_agent` for each agent
    and ``monitor_rest_api`` / ``monitor_websocket_api`` / ``monitor_function`` / ``monitor_table`` /
    ``monitor_state_machine`` for what is in front of it. Every alarm notifies ``alarm_topic`` on ALARM and on OK.

    Resources: the dashboard (``Resource``, ``dashboard`` and ``node.default_child``: the one resource every
    monitoring has, with a quota row and a row per agent and front door), the cdk-monitoring-constructs facade
    (``Facade``, ``facade``, holding every alarm), the account-level alarms (active sessions, and the data-plane and
    session-creation pools once an agent is monitored under edition 2026-09), per-agent and per-front-door alarms,
    and, unless ``alarm_topic`` is given, an SNS topic encrypted with a new customer-managed KMS key (rotation on,
    CloudWatch allowed to use it) whose policy denies non-TLS publishing.

    Args:
        scope: parent construct.
        construct_id: construct id.
        alarm_name_prefix: first part of every alarm name (letters, digits, ``_``, ``.``, ``-``). Default: the stack
            name and this construct's path (``MyStack-dev-Ops``), so two stages of one stack in one account and
            region never share an alarm name; shortened with a stable hash past a quarter of CloudWatch's alarm name
            length.
        alarm_topic: the topic alarms notify. Default: a new encrypted, TLS-only topic.
        agents: agents to monitor with the default thresholds (same as calling :meth:`monitor_agent`).
            Default: none; add them with :meth:`monitor_agent`.
        dashboard_name: name of the CloudWatch dashboard. Default: a name generated by CloudFormation.
        dashboard_interval: the time range the dashboard shows when it loads. Default: CloudWatch's own default
            range.
        active_session_thresholds: alarm levels for ``ActiveSessionCount`` as fractions of the regional
            active-session quota (``DEFAULT_ACTIVE_SESSION_THRESHOLDS`` by default); an empty mapping creates no
            active-session alarm.
        invoke_rate_thresholds: alarm levels for invocations as fractions of the data-plane rate quota
            (the account pool, or each endpoint's rate in edition 2026-03). Default: ``DEFAULT_INVOKE_RATE_THRESHOLDS``.
        session_creation_thresholds: alarm levels for the new sessions of every agent in the account as fractions of
            the session-creation quota, when that quota is one pool for the account (edition 2026-09).
            Default: ``DEFAULT_SESSION_CREATION_THRESHOLDS``.
        period: the period every alarm and graph aggregates over, a whole multiple of CloudWatch's
            standard-resolution period. Default: that period (quotas are per second; a longer period would average
            a burst away).
        account_alarms: make the account-and-region alarms and the quota row. Default: True. False for a monitoring
            of some agents whose account another monitoring watches (a platform's agent in its nested stack: its
            alarms and dashboard stay in its template, the account's in the platform's); that one calls
            :meth:`monitor_account_pools`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarm_name_prefix: str | None = None,
        alarm_topic: sns.ITopic | None = None,
        agents: Sequence[IAgentCoreAgent] = (),
        dashboard_name: str | None = None,
        dashboard_interval: cdk.Duration | None = None,
        active_session_thresholds: Mapping[str, float] | None = None,
        invoke_rate_thresholds: Mapping[str, float] | None = None,
        session_creation_thresholds: Mapping[str, float] | None = None,
        period: cdk.Duration | None = None,
        account_alarms: bool = True,
    ) -> None:
        check_construct_id(construct_id)
        super().__init__(scope, construct_id)
        checks = PropChecks(path_of(self))
        checks.string("alarm_name_prefix", alarm_name_prefix, empty=True)  # its rules: _prefix_problems
        checks.resource("alarm_topic", alarm_topic, "topic_arn", "an sns.ITopic")
        check_agents(checks, "agents", agents, code=INVALID_AGENT)
        checks.string("dashboard_name", dashboard_name)
        checks.duration("dashboard_interval", dashboard_interval)
        checks.duration("period", period)
        checks.raise_if_any()
        self.catalog = catalog_for(self)
        self.region: str | None = region_of(self)
        watch_unique_names(self)
        prefix = default_alarm_name_prefix(self, self.catalog) if alarm_name_prefix is None else alarm_name_prefix
        raise_all("InvalidMonitoringConfiguration", self._prefix_problems(prefix), path_of(self))
        self.alarm_name_prefix: str = prefix

        self.alarm_topic_key: kms.IKey | None = None
        self.alarm_topic: sns.ITopic = alarm_topic or self._default_topic()
        self.dashboard = cloudwatch.Dashboard(
            self, "Resource", dashboard_name=dashboard_name, default_interval=dashboard_interval
        )
        self.node.default_child = self.dashboard
        # The front doors aggregate over the same period as the AgentCore alarms (validated by the segment).
        chosen_period = period or cdk.Duration.seconds(default_period_seconds(self.catalog))
        self.facade: cmc.MonitoringFacade = cmc.MonitoringFacade(
            self,
            "Facade",
            alarm_factory_defaults=cmc.AlarmFactoryDefaults(
                alarm_name_prefix=prefix,
                actions_enabled=True,
                action=cmc.SnsAlarmActionStrategy(on_alarm_topic=self.alarm_topic, on_ok_topic=self.alarm_topic),
            ),
            metric_factory_defaults=cmc.MetricFactoryDefaults(period=chosen_period),
            dashboard_factory=_IntoDashboard(self.dashboard),
        )
        self.agentcore: AgentCoreMonitoring = AgentCoreMonitoring(
            self.facade,
            active_session_thresholds=active_session_thresholds,
            invoke_rate_thresholds=invoke_rate_thresholds,
            session_creation_thresholds=session_creation_thresholds,
            period=chosen_period,
            findings_scope=self,
            account_alarms=account_alarms,
        )
        self.period: cdk.Duration = self.agentcore.period
        self.facade.add_segment(self.agentcore)
        for agent in agents:
            self.monitor_agent(agent)

    # -- defaults and validation -------------------------------------------------------------------

    def _default_topic(self) -> sns.ITopic:
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"Encrypts the alarm topic of {path_of(self)}",
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
        if is_unresolved(prefix):
            # cdk-monitoring-constructs uses each alarm name as the alarm's construct id, which cannot hold a token.
            return ["alarm_name_prefix must be a concrete string (alarm names are the alarms' construct ids), got an "
                    "unresolved token; leave it unset for a name derived from the stack and path"]
        bad = sorted(set(prefix) - ALARM_NAME_CHARACTERS)
        if bad:
            return [
                f"alarm_name_prefix may contain only letters, digits, '_', '.' and '-', got {prefix!r} "
                f"(offending: {' '.join(repr(c) for c in bad)})"
            ]
        return []

    # -- wiring ------------------------------------------------------------------------------------

    def created_alarms(self) -> list[cloudwatch.AlarmBase]:
        """Every alarm this monitoring created (AgentCore and front doors), in creation order."""
        return [created.alarm for created in self.facade.created_alarms()]

    def created_alarms_with_disambiguator(self, disambiguator: str) -> list[cloudwatch.AlarmBase]:
        """The alarms created for one level (``"Warning"``, ``"Critical"``...), for wiring extra actions."""
        return [created.alarm for created in self.facade.created_alarms_with_disambiguator(disambiguator)]

    @property
    def monitored_agents(self) -> list[IAgentCoreAgent]:
        """The agents monitored so far."""
        return self.agentcore.monitored_agents

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
    ) -> AgentMonitoring:
        """Add alarms and a dashboard row for one agent; returns ``self`` for chaining.

        The arguments are those of :meth:`AgentCoreMonitoring.monitor_agent` (levels keyed by disambiguator, an empty
        mapping for no alarm of that kind, ``endpoints`` to watch fewer endpoints, ``compact`` for one metric-math alarm
        per level and evaluation window instead of one per condition).

        Raises:
            ConstructsLibValidationError: ``AgentAlreadyMonitored`` for a second call with the same
                agent, ``InvalidMonitoringConfiguration`` for levels out of range or unknown endpoints.
        """
        before = len(self.agentcore.widgets())
        self.agentcore.monitor_agent(
            agent, throttles=throttles, system_errors=system_errors, user_error_rate=user_error_rate,
            latency=latency, new_session_rate=new_session_rate, endpoints=endpoints, compact=compact,
            sessions_stopped=sessions_stopped,
        )
        row = self.agentcore.widgets()[before:]
        if row:
            self.dashboard.add_widgets(*row)
        return self

    def monitor_account_pools(self, agent: IAgentCoreAgent) -> AgentMonitoring:
        """The account-pool alarms and graphs (edition 2026-09) for agents another monitoring watches (``agent``: any
        of them); :meth:`monitor_agent` makes them itself. Returns ``self``."""
        self.agentcore.watch_account_pools(agent)
        return self

    # -- front doors -------------------------------------------------------------------------------

    def monitor_rest_api(
        self,
        api: apigw.IRestApi,
        *,
        integration_timeout: cdk.Duration,
        proxy: lambda_.IFunction | None = None,
        proxy_timeout: cdk.Duration | None = None,
        stage_name: str | None = None,
        name: str | None = None,
        server_errors: Mapping[str, float] | None = None,
        client_error_rate: Mapping[str, float] | None = None,
        latency: Mapping[str, float] | None = None,
    ) -> AgentMonitoring:
        """Alarms and a row for a REST API (5XX, 4XX rate, p99 latency vs ``integration_timeout``) and, when given,
        its proxy function (:meth:`monitor_function` with the default levels); returns ``self``.

        For an :class:`AgentApiFacade`: ``monitor_rest_api(facade.api, integration_timeout=Duration.seconds(
        facade.fit.integration_timeout_seconds), proxy=facade.proxy_function)``. The other arguments are those of
        :func:`constructs_lib.operations.front_doors.monitor_rest_api`; ``proxy_timeout`` is the proxy's timeout
        (default: the function's own).
        """
        front_doors.monitor_rest_api(
            self.facade, api, integration_timeout=integration_timeout, stage_name=stage_name, name=name,
            server_errors=server_errors, client_error_rate=client_error_rate, latency=latency,
        )
        if proxy is not None:
            self.monitor_function(proxy, timeout=proxy_timeout)
        return self

    def monitor_websocket_api(
        self,
        stage: apigwv2.IWebSocketStage,
        *,
        integration_timeout: cdk.Duration,
        proxy: lambda_.IFunction | None = None,
        proxy_timeout: cdk.Duration | None = None,
        name: str | None = None,
        server_errors: Mapping[str, float] | None = None,
        client_error_rate: Mapping[str, float] | None = None,
        latency: Mapping[str, float] | None = None,
    ) -> AgentMonitoring:
        """Alarms and a row for a WebSocket stage (integration errors, client-error rate, p99 integration latency vs
        ``integration_timeout``) and, when given, its relay function; returns ``self``.

        The arguments are those of :func:`constructs_lib.operations.front_doors.monitor_websocket_api`.
        """
        front_doors.monitor_websocket_api(
            self.facade, stage, integration_timeout=integration_timeout, name=name, server_errors=server_errors,
            client_error_rate=client_error_rate, latency=latency,
        )
        if proxy is not None:
            self.monitor_function(proxy, timeout=proxy_timeout)
        return self

    def monitor_function(
        self,
        function: lambda_.IFunction,
        *,
        timeout: cdk.Duration | None = None,
        name: str | None = None,
        errors: Mapping[str, float] | None = None,
        throttles: Mapping[str, float] | None = None,
        duration: Mapping[str, float] | None = None,
    ) -> AgentMonitoring:
        """Alarms and a row for a front-door function (errors, throttles, p99 duration vs its timeout); returns
        ``self``. The arguments are those of :func:`constructs_lib.operations.front_doors.monitor_function`."""
        front_doors.monitor_function(
            self.facade, function, timeout=timeout, name=name, errors=errors, throttles=throttles, duration=duration,
        )
        return self

    def monitor_table(
        self,
        table: dynamodb.ITable,
        *,
        name: str | None = None,
        throttles: Mapping[str, float] | None = None,
        system_errors: Mapping[str, float] | None = None,
    ) -> AgentMonitoring:
        """Alarms and a row for a table (throttled reads and writes, system errors); returns ``self``. The arguments
        are those of :func:`constructs_lib.operations.front_doors.monitor_table`."""
        front_doors.monitor_table(self.facade, table, name=name, throttles=throttles, system_errors=system_errors)
        return self

    def monitor_state_machine(
        self,
        state_machine: sfn.IStateMachine,
        *,
        name: str | None = None,
        failed: Mapping[str, float] | None = None,
        timed_out: Mapping[str, float] | None = None,
        throttled: Mapping[str, float] | None = None,
    ) -> AgentMonitoring:
        """Alarms and a row for a state machine (failed, timed-out, throttled executions); returns ``self``. The
        arguments are those of :func:`constructs_lib.operations.front_doors.monitor_state_machine`."""
        front_doors.monitor_state_machine(
            self.facade, state_machine, name=name, failed=failed, timed_out=timed_out, throttled=throttled,
        )
        return self


# The default thresholds are planning data: constructs_lib.planning.operations.DEFAULT_*_THRESHOLDS.
__all__ = [
    "ACTIVE_SESSION_COUNT_DIMENSIONS",
    "ACTIVE_SESSION_COUNT_METRIC",
    "AgentMonitoring",
    "metric_active_session_count",
]
