"""SessionBudget: the runaway-session guard of an agent, and the registry and sweeper that enforce it.

AgentCore bills a session while it lives and has no API that lists sessions: a session that runs away costs money until
its lifetime ends. With ``session_budget=SessionBudget(...)`` on :class:`AgentCoreAgent`, the agent gets:

- a **session registry** (``SessionBudget/Registry``, a DynamoDB table: see
  :mod:`constructs_lib.handlers.session_budget` for its items and for why two concurrent requests cannot both pass a
  cap) in which every front door of the agent
  (the REST facade's ``POST /invoke``, buffered and streamed, and ``POST /jobs``; the WebSocket facade's ``$connect``
  and messages) registers each session with its start, last activity and caller, and refuses a caller over
  ``max_sessions_per_caller`` (429 ``CallerSessionLimitReached``) or an agent over ``max_sessions`` (429
  ``AgentSessionLimitReached``);
- a **sweeper** (``SessionBudget/Sweeper``: a Lambda function on the library's secure builder, run every minute by an
  EventBridge schedule ``SessionBudget/Schedule``) that calls ``StopRuntimeSession`` for every session over
  ``max_session_duration`` or ``max_idle``, once each even when two sweeps overlap
  (:mod:`constructs_lib.handlers.session_sweeper`), and publishes ``SessionsStopped``
  (:meth:`SessionGuard.metric_sessions_stopped`; ``AgentMonitoring`` alarms on it and draws it).

The budget is checked against the agent's plan at synth (:func:`constructs_lib.planning.session_budget.
session_budget_findings`): a duration or idle limit beyond the session lifetime of the agent's compute, below the
lifecycle minimum, a duration below the workload's longest task, an idle limit beyond the duration, an agent-wide cap
above the active-session quota.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_lib._cdk import nag, perms
from constructs_lib._cdk.functions import DEFAULT_PYTHON_RUNTIME, handler_code, powertools_layer, secure_function
from constructs_lib._cdk.props import PropChecks
from constructs_lib._cdk.reporting import report, report_unresolved
from constructs_lib._cdk.scope import catalog_for
from constructs_lib.handlers import contract
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.limits.service import DEFAULT_ENDPOINT
from constructs_lib.planning.session_budget import SessionBudgetRequest, session_budget_findings

if TYPE_CHECKING:
    from constructs_lib.agent.agent import AgentCoreAgent

#: How often the sweeper runs (a choice of the library: a session over budget is stopped within about a minute).
SWEEP_INTERVAL = cdk.Duration.minutes(1)
#: The sweeper's function timeout (a choice of the library: one sweep of thousands of sessions fits well within it).
SWEEP_TIMEOUT = cdk.Duration.minutes(2)
#: Attempts of one StopRuntimeSession call by the sweeper, the first included (botocore's adaptive retry mode spaces
#: them out under throttling).
STOP_ATTEMPTS = 5
#: The registry's actions of a front door: read a session, start one and count it (a transaction of Put and Update
#: items is authorized per item action), move its activity, release it.
FRONT_DOOR_ACTIONS: tuple[str, ...] = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
#: The registry's actions of the sweeper: query the indexes, read, claim and release sessions.
SWEEPER_ACTIONS: tuple[str, ...] = ("dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem")
_TTL_ATTRIBUTE = "expiresAt"


@dataclass(frozen=True, kw_only=True)
class SessionBudget:
    """A runaway-session guard: how long an agent's sessions may live and idle, and how many a caller may hold.

    Args:
        max_session_duration: the sweeper stops a session this long after it started. At most the session lifetime
            quota of the agent's compute (``asynchronous_job_duration`` on microVMs, ``instances_session_lifetime``
            on Instances), at least the lifecycle minimum and the workload's ``longest_task``. Default: no duration
            limit.
        max_idle: the sweeper stops a session that has had no request through a front door for this long (job
            sessions excepted: their agent keeps them busy between requests). Same bounds as the duration, and at
            most ``max_session_duration``. Default: no idle limit.
        max_sessions_per_caller: sessions one caller (the full principal a front door authenticated) may hold at
            once; a new session beyond it is refused with 429 ``CallerSessionLimitReached``. Default: no cap.
        max_sessions: sessions the agent may hold at once, all callers together; beyond it 429
            ``AgentSessionLimitReached``. A warning when above the active-session quota. Default: no cap.

    Raises:
        ConstructsLibValidationError: ``InvalidSessionBudget`` for a prop of the wrong type, a count below 1, no
            limit at all, or ``max_sessions_per_caller`` above ``max_sessions``.
    """

    max_session_duration: cdk.Duration | None = None
    max_idle: cdk.Duration | None = None
    max_sessions_per_caller: int | None = None
    max_sessions: int | None = None

    def __post_init__(self) -> None:
        checks = PropChecks(code="InvalidSessionBudget")
        checks.duration("max_session_duration", self.max_session_duration)
        checks.duration("max_idle", self.max_idle)
        counts_ok = checks.whole_number("max_sessions_per_caller", self.max_sessions_per_caller, minimum=1)
        counts_ok = checks.whole_number("max_sessions", self.max_sessions, minimum=1) and counts_ok
        if all(v is None for v in (self.max_session_duration, self.max_idle, self.max_sessions_per_caller,
                                   self.max_sessions)):
            checks.fail("session_budget", self, "a budget with at least one limit (max_session_duration, max_idle, "
                        "max_sessions_per_caller or max_sessions)")
        per_caller, total = self.max_sessions_per_caller, self.max_sessions
        if counts_ok and per_caller is not None and total is not None and per_caller > total:
            checks.fail("max_sessions_per_caller", per_caller, f"at most max_sessions ({total})")
        checks.raise_if_any()

    def request(self) -> SessionBudgetRequest:
        """The budget in plain numbers for planning (a token duration is left out: its check is skipped)."""
        return SessionBudgetRequest(
            max_session_duration_seconds=_seconds(self.max_session_duration),
            max_idle_seconds=_seconds(self.max_idle),
            max_sessions_per_caller=self.max_sessions_per_caller,
            max_sessions=self.max_sessions,
        )


def _seconds(value: cdk.Duration | None) -> float | None:
    if value is None or value.is_unresolved():
        return None
    return float(value.to_seconds())


def _env_number(value: cdk.Duration | int | None) -> str:
    if value is None:
        return contract.NO_LIMIT
    if isinstance(value, cdk.Duration):
        return cdk.Token.as_string(value.to_seconds()) if value.is_unresolved() else f"{value.to_seconds():g}"
    return str(value)


class SessionGuard(Construct):
    """Defines the registry, the sweeper and its schedule that enforce an agent's :class:`SessionBudget`.

    Created by :class:`AgentCoreAgent` under ``SessionBudget`` (``agent.session_guard``); the front doors wire
    themselves with :meth:`environment_for_front_door` and :meth:`grant_admit`.

    Attributes:
        budget: the budget.
        table: the session registry (``Registry``; encrypted, point-in-time recovery, TTL, retained).
        sweeper: the sweeper function (``Sweeper/Function``).
        schedule: the EventBridge rule that runs it (``Schedule``).
        findings: the budget's findings against the agent's plan.
    """

    def __init__(self, agent: AgentCoreAgent, construct_id: str, *, budget: SessionBudget) -> None:
        super().__init__(agent, construct_id)
        self.agent = agent
        self.budget = budget
        for name in ("max_session_duration", "max_idle"):
            value = getattr(budget, name)
            if value is not None and value.is_unresolved():
                report_unresolved(self, f"session_budget {name}", "the session lifetime quota")
        self.findings = session_budget_findings(agent.plan, budget.request(), agent.catalog)
        report(self, self.findings)
        self.table = self._registry()
        self.sweeper = self._sweeper()
        self.schedule = events.Rule(
            self, "Schedule", schedule=events.Schedule.rate(SWEEP_INTERVAL),
            description=f"Stops the sessions of agent {agent.runtime_name} that are over their session budget",
        )
        # A failed sweep is not retried: the next one, a minute later, finds the same sessions.
        self.schedule.add_target(targets.LambdaFunction(self.sweeper, retry_attempts=0))

    def _registry(self) -> dynamodb.Table:
        table = dynamodb.Table(
            self, "Registry",
            partition_key=dynamodb.Attribute(name="sessionId", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=_TTL_ATTRIBUTE,
            # Session records name callers (hashed) and what they ran: encrypted, recoverable, kept with the stack.
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # Sparse indexes of live sessions only (a released session has no `live`): the sweeper queries them by age.
        indexes = ((contract.REGISTRY_BY_START_INDEX, "startedAt"),
                   (contract.REGISTRY_BY_ACTIVITY_INDEX, "lastActivity"))
        for name, sort_key in indexes:
            table.add_global_secondary_index(
                index_name=name,
                partition_key=dynamodb.Attribute(name=contract.REGISTRY_LIVE, type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.NUMBER),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _record_ttl_seconds(self) -> int:
        """A session record outlives its last activity by the longest a session of this agent can live, and a day
        more (a choice of the library): the sweeper releases a session long before DynamoDB deletes its record."""
        return int(self.agent.plan.max_lifetime_seconds + cdk.Duration.days(1).to_seconds())

    def _sweeper(self) -> lambda_.Function:
        agent, plan = self.agent, self.agent.plan
        created = secure_function(
            Construct(self, "Sweeper"),
            purpose=f"session sweeper of agent {agent.runtime_name}",
            code=handler_code("session_sweeper.py", "session_budget.py"),
            handler="session_sweeper.handler",
            runtime=DEFAULT_PYTHON_RUNTIME,
            timeout=SWEEP_TIMEOUT,
            memory_size=256,
            environment={
                **self.environment_for_front_door(),
                contract.ENV_AGENT_RUNTIME_ARN: agent.agent_runtime_arn,
                contract.ENV_AGENT_RUNTIME_NAME: agent.runtime_name,
                contract.ENV_MAX_SESSION_DURATION_SECONDS: _env_number(self.budget.max_session_duration),
                contract.ENV_MAX_IDLE_SECONDS: _env_number(self.budget.max_idle),
                contract.ENV_RUNTIME_MAX_LIFETIME_SECONDS: str(plan.max_lifetime_seconds),
                contract.ENV_RUNTIME_IDLE_TIMEOUT_SECONDS: str(plan.idle_runtime_session_timeout_seconds),
                contract.ENV_STOP_MAX_ATTEMPTS: str(STOP_ATTEMPTS),
                # A claim outlasts the sweep that took it, so only a crashed sweep's claim runs out.
                contract.ENV_STOP_CLAIM_SECONDS: f"{SWEEP_TIMEOUT.to_seconds() + SWEEP_INTERVAL.to_seconds():g}",
                "POWERTOOLS_SERVICE_NAME": "agent-session-sweeper",
            },
            dead_letter_queue=False,
            description=f"Stops the sessions of AgentCore runtime {agent.runtime_name} over their session budget "
                        "(constructs_lib SessionBudget)",
            layers=[powertools_layer(self, DEFAULT_PYTHON_RUNTIME)],
        )
        function = created.function
        self.table.grant(function, *SWEEPER_ACTIONS)
        self._acknowledge_indexes(created.role, "session sweeper")
        # StopRuntimeSession is authorized on the runtime and on the endpoint the qualifier names; the statement
        # names this agent's runtime and each of its endpoints (add_endpoint adds later ones).
        self._stop_statement = iam.PolicyStatement(
            sid="StopSessionsOverBudget", actions=[perms.STOP_RUNTIME_SESSION],
            resources=[agent.agent_runtime_arn, self._endpoint_arn(DEFAULT_ENDPOINT)],
        )
        created.role.add_to_principal_policy(self._stop_statement)
        return function

    def _endpoint_arn(self, name: str) -> str:
        return f"{self.agent.agent_runtime_arn}/runtime-endpoint/{name}"

    def add_endpoint(self, name: str) -> None:
        """Let the sweeper stop sessions on the agent's endpoint ``name`` too (the agent calls it)."""
        self._stop_statement.add_resources(self._endpoint_arn(name))

    def environment_for_front_door(self) -> dict[str, str]:
        """The variables a front door's proxy reads to register sessions and refuse callers over their caps."""
        return {
            contract.ENV_SESSION_REGISTRY_TABLE: self.table.table_name,
            contract.ENV_MAX_SESSIONS_PER_CALLER: _env_number(self.budget.max_sessions_per_caller),
            contract.ENV_MAX_SESSIONS: _env_number(self.budget.max_sessions),
            contract.ENV_SESSION_RECORD_TTL_SECONDS: str(self._record_ttl_seconds()),
        }

    def grant_admit(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` (a front door's proxy) to register, count and release sessions in the registry."""
        grant = self.table.grant(grantee, *FRONT_DOOR_ACTIONS)
        role = getattr(grantee, "role", None)
        if isinstance(role, iam.Role):  # a function of this app: its policy's index wildcard is acknowledged there
            self._acknowledge_indexes(role, "front door proxy")
        return grant

    def _acknowledge_indexes(self, role: iam.Role, who: str) -> None:
        table = cdk.Stack.of(role).resolve(self.table.table_arn)
        if not isinstance(table, dict) or "Fn::GetAtt" not in table:
            return  # the registry is in another stack: cdk-nag names it by an import, not checked here
        nag.acknowledge(
            role, "AwsSolutions-IAM5", [f"Resource::<{table['Fn::GetAtt'][0]}.Arn>/index/*"],
            f"{who} of agent {self.agent.runtime_name}: the DynamoDB grant covers the indexes of its own session "
            "registry only (ByStart and ByActivity, table ARN /index/*), which the sweeper queries by session age",
        )

    def metric_sessions_stopped(self, **options: Any) -> cloudwatch.Metric:
        """Sessions the sweeper stopped because they were over their budget (Sum)."""
        period = catalog_for(self).value(QuotaName.CLOUDWATCH_METRIC_PERIOD)
        options.setdefault("period", cdk.Duration.seconds(period))
        return cloudwatch.Metric(
            namespace=contract.SESSION_BUDGET_NAMESPACE, metric_name=contract.SESSIONS_STOPPED_METRIC,
            dimensions_map={contract.SESSION_BUDGET_DIMENSION: self.agent.runtime_name},
            statistic="Sum", **options,
        )


__all__ = ["FRONT_DOOR_ACTIONS", "SWEEPER_ACTIONS", "SessionBudget", "SessionGuard"]
