"""AgentRollout: blue/green promotion of an agent, a stable and a candidate endpoint with a traffic split at the front
doors, and an automatic rollback.

:class:`AgentRollout` is the prop (``AgentCoreAgent(rollout=...)``, ``AgentSpec(rollout=...)``); the agent creates
both endpoints and a :class:`RolloutControl` (child ``Rollout``) holding what the front doors and the rollback share:

- ``Switch``: an SSM parameter the front doors read through a short cache (``auto``, ``stable``, ``candidate`` or a
  weight; see :mod:`constructs_lib.handlers.rollout`), ``auto`` when created;
- ``Sessions``: the table recording each runtime session's endpoint, so that a session stays on the endpoint it
  started on while the weight changes (records expire with the agent's session lifetime);
- with ``automatic_rollback``: two alarms on the candidate endpoint (``CandidateErrorRate``: system errors over
  invocations; ``CandidateLatency``: p99 latency against the invocation mode's limit, both from the plan), an
  EventBridge rule (``RollbackRule``) on their state changes into ``ALARM``, and the function it invokes
  (``Rollback``), which sets the switch to ``stable``.

Promotion and rollback are commits (``docs/rollout.md``): promote by pinning ``stable_version`` to the candidate's
version, roll back by ``candidate_weight=0``; the switch moves new sessions without a deploy.
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
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from constructs_lib._cdk.functions import DEFAULT_PYTHON_RUNTIME, handler_code, powertools_layer, secure_function
from constructs_lib._cdk.props import PropChecks
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.handlers import contract
from constructs_lib.planning.operations import default_period_seconds
from constructs_lib.planning.rollout import (
    DEFAULT_ROLLBACK_ERROR_RATE,
    DEFAULT_ROLLBACK_LATENCY_FRACTION,
    INVALID_ROLLOUT_ENDPOINT,
    RolloutPlan,
    rollout_problems,
)

if TYPE_CHECKING:
    from constructs_lib.agent.agent import AgentCoreAgent

#: The version a runtime's first deployment creates (a pin to it is deliberate in a rollout).
FIRST_VERSION = "1"
#: The rollout prop's code for a value of the wrong type.
INVALID_ROLLOUT = "InvalidRollout"
#: Reading the switch (the front doors).
SSM_GET_PARAMETER = "ssm:GetParameter"
#: Setting the switch (the rollback function).
SSM_PUT_PARAMETER = "ssm:PutParameter"
#: Reading a session's endpoint record (every rollout proxy).
READ_ASSIGNMENT_ACTIONS: tuple[str, ...] = ("dynamodb:GetItem",)
#: Recording a new session's endpoint (the proxies that invoke).
ASSIGN_ACTIONS: tuple[str, ...] = ("dynamodb:GetItem", "dynamodb:PutItem")


def _is_token(value: Any) -> bool:
    return isinstance(value, str) and is_unresolved(value)


@dataclass(frozen=True, kw_only=True)
class AgentRollout:
    """Defines a blue/green rollout of an agent: a pinned stable endpoint, a candidate, and the split of new sessions.

    Each new session is assigned to the candidate with probability ``candidate_weight`` percent, from its runtime
    session id, and stays on its endpoint for its life. Alarms on the candidate's errors and latency move new sessions
    to the stable endpoint without a deploy (``automatic_rollback``), and an operator can force either endpoint.

    Attributes:
        stable: the stable endpoint's name (the agent creates it): a letter, then letters, digits and underscores,
            within the service's name length; not ``DEFAULT``.
        stable_version: the runtime version the stable endpoint serves (``"3"``): a whole number from 1, as AgentCore
            numbers versions (``limits.service.RUNTIME_VERSION_PATTERN``). Promotion pins it to the candidate's version.
        candidate: the candidate endpoint's name (the agent creates it), by the same rule, other than ``stable``.
        candidate_weight: the candidate's share of new sessions, a whole number of percent from 0 to 100. Rollback in
            a commit is 0.
        candidate_version: pin the candidate to a version. Default: the candidate follows the deployed version (each
            deploy of the runtime reaches it).
        automatic_rollback: alarms on the candidate endpoint set the switch to ``stable``. Default: True.
        rollback_error_rate: the fraction of the candidate's invocations ending in a system error that rolls back,
            above 0 and at most 1. Default: ``planning.rollout.DEFAULT_ROLLBACK_ERROR_RATE``.
        rollback_latency_fraction: the candidate's p99 latency that rolls back, as a fraction of the invocation mode's
            limit (the plan's), above 0 and at most 1. Default: ``planning.rollout.DEFAULT_ROLLBACK_LATENCY_FRACTION``.

    Raises:
        ConstructsLibValidationError: ``InvalidRollout`` (a prop of the wrong type), ``InvalidRolloutEndpoint``,
            ``InvalidRolloutVersion``, ``InvalidRolloutWeight``, ``InvalidRolloutThreshold``.
    """

    stable: str
    stable_version: str
    candidate: str
    candidate_weight: int
    candidate_version: str | None = None
    automatic_rollback: bool = True
    rollback_error_rate: float = DEFAULT_ROLLBACK_ERROR_RATE
    rollback_latency_fraction: float = DEFAULT_ROLLBACK_LATENCY_FRACTION

    def __post_init__(self) -> None:
        checks = PropChecks(code=INVALID_ROLLOUT)
        checks.string("stable", self.stable, optional=False, code=INVALID_ROLLOUT_ENDPOINT)
        checks.string("candidate", self.candidate, optional=False, code=INVALID_ROLLOUT_ENDPOINT)
        checks.string("stable_version", self.stable_version, optional=False)
        checks.string("candidate_version", self.candidate_version)
        checks.boolean("automatic_rollback", self.automatic_rollback)
        checks.raise_if_any()
        if _is_token(self.stable) or _is_token(self.candidate):
            checks.fail("stable and candidate", (self.stable, self.candidate),
                        "concrete endpoint names (the front doors route by name)", code=INVALID_ROLLOUT_ENDPOINT)
        if isinstance(self.candidate_weight, float) and is_unresolved(self.candidate_weight):
            checks.fail("candidate_weight", self.candidate_weight,
                        "a concrete whole number of percent (the plan and the report show it)")
        checks.raise_if_any()
        for code, problem in rollout_problems(
            stable=self.stable, candidate=self.candidate,
            stable_version=None if _is_token(self.stable_version) else self.stable_version,
            candidate_version=None if _is_token(self.candidate_version) else self.candidate_version,
            candidate_weight=self.candidate_weight, rollback_error_rate=self.rollback_error_rate,
            rollback_latency_fraction=self.rollback_latency_fraction,
        ):
            checks.add(code, [problem])
        checks.raise_if_any()

    @property
    def endpoints(self) -> tuple[str, str]:
        """``(stable, candidate)``."""
        return self.stable, self.candidate

    @property
    def pins(self) -> dict[str, str | None]:
        """The version each rollout endpoint is pinned to (``None``: it follows the deployed version)."""
        return {self.stable: self.stable_version, self.candidate: self.candidate_version}

    def _plan(self, agent: AgentCoreAgent) -> RolloutPlan:
        """The rollout of ``agent`` against its plan."""
        return RolloutPlan.derive(
            agent.plan, agent.catalog, stable=self.stable,
            stable_version=None if _is_token(self.stable_version) else self.stable_version,
            candidate=self.candidate,
            candidate_version=None if _is_token(self.candidate_version) else self.candidate_version,
            candidate_follows_latest=self.candidate_version is None, candidate_weight=self.candidate_weight,
            automatic_rollback=self.automatic_rollback, rollback_error_rate=self.rollback_error_rate,
            rollback_latency_fraction=self.rollback_latency_fraction,
        )


class RolloutControl(Construct):
    """Defines what an agent's front doors and automatic rollback share: the switch, the session table, the alarms,
    the rule and the rollback function (see the module docstring).

    Created by :class:`~constructs_lib.agent.agent.AgentCoreAgent` as its child ``Rollout``; reach it as
    ``agent.rollout_control``. Facades of the agent route through it unless they are given a ``qualifier``.

    Args:
        agent: the agent.
        construct_id: construct id.
        rollout: the rollout asked for.
    """

    def __init__(self, agent: AgentCoreAgent, construct_id: str, *, rollout: AgentRollout) -> None:
        super().__init__(agent, construct_id)
        self.agent = agent
        #: The rollout asked for.
        self.rollout: AgentRollout = rollout
        #: What the rollout decided (thresholds from the agent's plan).
        self.plan: RolloutPlan = rollout._plan(agent)
        #: The switch (``auto`` when created; ``stable``, ``candidate`` or a weight when set).
        self.switch: ssm.StringParameter = ssm.StringParameter(
            self, "Switch",
            parameter_name=f"/agentcore/{agent.runtime_name}/rollout-switch",
            string_value=contract.ROLLOUT_SWITCH_AUTO,
            description=(f"Rollout switch of AgentCore agent {agent.runtime_name}: auto, stable, candidate or a "
                         f"weight from 0 to {contract.ROLLOUT_BUCKETS} for new sessions"),
            tier=ssm.ParameterTier.STANDARD,
        )
        #: The endpoint of each runtime session (records expire with the agent's session lifetime).
        self.sessions: dynamodb.Table = dynamodb.Table(
            self, "Sessions",
            partition_key=dynamodb.Attribute(name=contract.ROLLOUT_SESSION_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=contract.ROLLOUT_EXPIRES_AT,
            # Which endpoint a live conversation runs on: encrypted, recoverable, and kept when the stack goes.
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self._acknowledge_first_version_pins()
        self.error_rate_alarm: cloudwatch.Alarm | None = None
        self.latency_alarm: cloudwatch.Alarm | None = None
        self.rule: events.Rule | None = None
        self.rollback_function: lambda_.Function | None = None
        if self.plan.automatic_rollback:
            self._automatic_rollback()

    def _acknowledge_first_version_pins(self) -> None:
        """A rollout endpoint pinned to version 1 is pinned on purpose (AgentCore-EndpointVersion flags the pin)."""
        for name, version in self.rollout.pins.items():
            if version == FIRST_VERSION:
                cdk.Validations.of(self.agent.endpoints[name]).acknowledge(cdk.Acknowledgment(
                    id="AgentCoreChecks::AgentCore-EndpointVersion",
                    reason=f"endpoint {name} of agent {self.agent.runtime_name} is pinned to version 1 by its "
                           "AgentRollout on purpose; promotion moves the pin in a commit",
                ))

    # -- automatic rollback --------------------------------------------------------------------------

    def _automatic_rollback(self) -> None:
        agent, plan = self.agent, self.plan
        period = cdk.Duration.seconds(default_period_seconds(agent.catalog))
        candidate = plan.candidate
        errors = cloudwatch.MathExpression(
            expression="IF(invocations > 0, errors / invocations, 0)",
            using_metrics={"errors": agent.metric_system_errors(endpoint=candidate, period=period),
                           "invocations": agent.metric_invocations(endpoint=candidate, period=period)},
            period=period, label=f"system error rate of {candidate}",
        )
        window = dict(evaluation_periods=plan.evaluation_periods, datapoints_to_alarm=plan.datapoints_to_alarm,
                      treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        self.error_rate_alarm = errors.create_alarm(
            self, "CandidateErrorRate", threshold=plan.error_rate_threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            alarm_description=(f"Rollback of {agent.runtime_name}: more than {plan.error_rate_threshold:.0%} of the "
                               f"invocations of candidate endpoint {candidate} end in a system error"),
            **window,  # type: ignore[arg-type]
        )
        self.latency_alarm = agent.metric_latency(endpoint=candidate, statistic="p99", period=period).create_alarm(
            self, "CandidateLatency", threshold=plan.latency_threshold_ms,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            alarm_description=(f"Rollback of {agent.runtime_name}: p99 latency of candidate endpoint {candidate} "
                               f"reaches {plan.latency_threshold_ms:,.0f} ms of the "
                               f"{plan.latency_limit_ms:,.0f} ms its invocation mode allows"),
            **window,  # type: ignore[arg-type]
        )
        created = secure_function(
            Construct(self, "Rollback"),
            purpose=f"rollout rollback of agent {agent.runtime_name}",
            code=handler_code("rollout_rollback.py"),
            handler="rollout_rollback.handler",
            runtime=DEFAULT_PYTHON_RUNTIME,
            timeout=cdk.Duration.seconds(30),
            environment={contract.ENV_ROLLOUT_SWITCH_PARAMETER: self.switch.parameter_name,
                         "POWERTOOLS_SERVICE_NAME": "agent-rollout-rollback"},
            description=f"Sets the rollout switch of AgentCore agent {agent.runtime_name} to stable on an alarm",
            layers=[powertools_layer(self)],
        )
        self.rollback_function = created.function
        # PutParameter on the switch only: the function can move new sessions to stable, nothing else.
        created.role.add_to_principal_policy(iam.PolicyStatement(
            sid="SetRolloutSwitch", actions=[SSM_PUT_PARAMETER], resources=[self.switch.parameter_arn],
        ))
        self.rule = events.Rule(
            self, "RollbackRule",
            description=f"Rolls back AgentCore agent {agent.runtime_name} when a candidate alarm enters ALARM",
            event_pattern=events.EventPattern(
                source=["aws.cloudwatch"], detail_type=["CloudWatch Alarm State Change"],
                resources=[self.error_rate_alarm.alarm_arn, self.latency_alarm.alarm_arn],
                detail={"state": {"value": ["ALARM"]}},
            ),
            targets=[targets.LambdaFunction(self.rollback_function, retry_attempts=2)],
        )

    # -- the front doors -----------------------------------------------------------------------------

    def environment_for_proxy(self) -> dict[str, str]:
        """The ``ROLLOUT_*`` variables of a front door's proxy (see :mod:`constructs_lib.handlers.contract`)."""
        plan = self.plan
        return {
            contract.ENV_ROLLOUT_STABLE: plan.stable,
            contract.ENV_ROLLOUT_CANDIDATE: plan.candidate,
            contract.ENV_ROLLOUT_CANDIDATE_WEIGHT: str(plan.candidate_weight),
            contract.ENV_ROLLOUT_SWITCH_PARAMETER: self.switch.parameter_name,
            contract.ENV_ROLLOUT_SWITCH_CACHE_SECONDS: str(contract.ROLLOUT_SWITCH_CACHE_SECONDS),
            contract.ENV_ROLLOUT_SESSIONS_TABLE: self.sessions.table_name,
            contract.ENV_ROLLOUT_SESSION_LIFETIME_SECONDS: str(self.agent.plan.max_lifetime_seconds),
        }

    def grant_routing(self, grantee: iam.IGrantable, *, assigns: bool = True) -> iam.Grant:
        """Allow a proxy to route sessions: read session records, and with ``assigns`` read the switch
        (``ssm:GetParameter`` on it only) and record new sessions (``dynamodb:PutItem``)."""
        if not assigns:
            return self.sessions.grant(grantee, *READ_ASSIGNMENT_ACTIONS)
        self.grant_read_switch(grantee)
        return self.sessions.grant(grantee, *ASSIGN_ACTIONS)

    def grant_read_switch(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to read the switch (``ssm:GetParameter`` on this parameter only)."""
        return iam.Grant.add_to_principal(grantee=grantee, actions=[SSM_GET_PARAMETER],
                                          resource_arns=[self.switch.parameter_arn])

    def grant_set_switch(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` (an operator's role, a pipeline) to set the switch (``ssm:PutParameter`` on it only)."""
        return iam.Grant.add_to_principal(grantee=grantee, actions=[SSM_PUT_PARAMETER],
                                          resource_arns=[self.switch.parameter_arn])

    @property
    def endpoint_arns(self) -> list[str]:
        """The ARNs of the two endpoints (what a routing proxy invokes and stops sessions on)."""
        arn = self.agent.agent_runtime_arn
        return [f"{arn}/runtime-endpoint/{name}" for name in self.plan.endpoints]


__all__ = ["AgentRollout", "RolloutControl"]
