"""AgentPipeline: several agents as one Step Functions workflow, checked against the limits at synth.

Build the workflow from :class:`AgentStep` (one agent call), :class:`AgentSequence`,
:class:`AgentParallel` and :class:`AgentMap`. Every agent call retries throttling, quota-exceeded and
retryable-conflict errors with exponential backoff and full jitter, and is caught into a failure path
that records the error (``$.error``) and the failed step (``$.failedStep``) before failing the execution.

Asynchronous agents (planned for tasks longer than streaming allows, or with
``integration=StepIntegration.CALLBACK``) are started by a small Lambda function with the step's task
token (``constructs_lib/handlers/task_token_starter.py``). The agent receives the token as
``taskToken`` in its payload and ends the step by calling ``states:SendTaskSuccess`` with its result
(or ``states:SendTaskFailure``); the pipeline grants those actions to the agent's role on this state
machine only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from constructs_lib._cdk import nag, perms
from constructs_lib._cdk.functions import DEFAULT_LOG_RETENTION, DEFAULT_PYTHON_RUNTIME, handler_code, secure_function
from constructs_lib._cdk.props import PropChecks, check_construct_id
from constructs_lib._cdk.reporting import report, report_unresolved
from constructs_lib._cdk.roles import service_role
from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib.agent.interface import IAgentCoreAgent
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.handlers import contract
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.limits.service import STATE_MACHINE_NAME_PATTERN
from constructs_lib.orchestration.steps import (
    ERROR_PATH,
    FAILED_STEP_PATH,
    MAP_INDEX_KEY,
    MAP_ITEM_KEY,
    RETRYABLE_AGENT_ERRORS,
    AgentMap,
    AgentParallel,
    AgentSequence,
    AgentStep,
    PipelineStep,
    RenderContext,
    StepIntegration,
    StepPayload,
    _Block,
)
from constructs_lib.planning.orchestration import (
    WorkflowType,
    pipeline_timeout_problems,
    state_name_findings,
    workflow_fit,
)

__all__ = [
    "ERROR_PATH",
    "FAILED_STEP_PATH",
    "MAP_INDEX_KEY",
    "MAP_ITEM_KEY",
    "RETRYABLE_AGENT_ERRORS",
    "AgentMap",
    "AgentParallel",
    "AgentPipeline",
    "AgentSequence",
    "AgentStep",
    "PipelineStep",
    "StepIntegration",
    "StepPayload",
]

_STARTER_MODULE = "task_token_starter"
#: botocore ``total_max_attempts`` of the starter's AgentCore client: one. InvokeAgentRuntime starts the agent's task,
#: and botocore's standard mode would also retry a read timeout or a connection closed after the request was sent,
#: when the starter cannot know whether the agent began; the step retries only the errors AgentCore returns before
#: it runs anything (:data:`RETRYABLE_STARTER_ERRORS`).
STARTER_MAX_ATTEMPTS = 1
#: The service principal of Step Functions.
STATES_PRINCIPAL = "states.amazonaws.com"
#: The separator of a generated state machine name (its length is the catalog's state machine name length).
_GENERATED_NAME_SEPARATOR = "-"
#: How long the starter waits for the agent's immediate acknowledgment: the agent answers an asynchronous
#: invocation at once and keeps working, so the work itself is not waited for.
STARTER_TIMEOUT = cdk.Duration.seconds(60)
#: Actions an asynchronous agent needs to end its step.
TASK_RESPONSE_ACTIONS: tuple[str, ...] = (
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
    "states:SendTaskHeartbeat",
)


class AgentPipeline(Construct):
    """Defines a Step Functions state machine that runs AgentCore agents as one workflow.

    Resources: the state machine (``Resource``, ``state_machine`` and ``node.default_child``) with its role, a
    log group with a retention (``LogGroup``), and, when a step waits for a task token, the task token starter
    function (``TaskTokenStarter``) and one policy per asynchronous agent allowing it to answer the token
    (``CallbackGrants``).

    The state machine type follows the longest expected run (``constructs_lib.planning.orchestration``):
    express only when no step waits for a task token and the worst case fits the Step Functions Express workflow
    duration; a step's expected run is its agent's ``longest_task`` when stated, else the step timeout, plus the
    longest its retries can wait (see ``AgentStep(max_attempts=...)``).

    Every limit a step, a map or the forced type crosses is reported at synth, all at once: hard limits fail
    synthesis, adjustable quotas are acknowledgeable warnings (``constructs_lib:<Code>``), and a check that a token
    hides is an info note.

    Args:
        scope: parent construct.
        construct_id: construct id.
        steps: the workflow, run in sequence (each item an :class:`AgentStep`, :class:`AgentSequence`,
            :class:`AgentParallel` or :class:`AgentMap`), at least one.
        state_machine_type: force a type. Default: chosen from the longest expected run as above.
            Forcing express fails synthesis when a step waits for a task token (``ExpressCannotWaitForCallback``)
            or the run can exceed the express duration (``ExpressDurationExceeded``).
        log_level: what the state machine logs. Default: ``ALL`` (every event; without execution data).
        include_execution_data: log inputs and outputs too (they may hold personal data). Default: False.
        log_retention: retention of the log group. Default: one month.
        tracing_enabled: X-Ray tracing. Default: True.
        timeout: the execution timeout, at least the longest run of the steps (a shorter one would cut a step that
            is within its own limits: ``PipelineTimeoutShorterThanSteps``). Default: none (each step has its own
            timeout).
        state_machine_name: the name. The state machine's role trusts Step Functions for this state machine only, so
            the name is known before deployment. Default: generated from the construct path and the state machine
            type (``...-standard``, ``...-express``), so that a change of type, which replaces the state machine,
            also changes its name.
        comment: a comment for the definition.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        steps: Sequence[PipelineStep],
        state_machine_type: sfn.StateMachineType | None = None,
        log_level: sfn.LogLevel | None = None,
        include_execution_data: bool = False,
        log_retention: logs.RetentionDays | None = None,
        tracing_enabled: bool = True,
        timeout: cdk.Duration | None = None,
        state_machine_name: str | None = None,
        comment: str | None = None,
    ) -> None:
        check_construct_id(construct_id)
        super().__init__(scope, construct_id)
        self.catalog = catalog_for(self)
        self._check_props(
            steps=steps, state_machine_type=state_machine_type, log_level=log_level,
            include_execution_data=include_execution_data, log_retention=log_retention,
            tracing_enabled=tracing_enabled, timeout=timeout, state_machine_name=state_machine_name, comment=comment,
        )
        self.region = region_of(self)
        self.task_token_starter: lambda_.Function | None = None
        states_scope = Construct(self, "States")
        ctx = RenderContext(
            scope=states_scope, catalog=self.catalog, region=self.region, path=path_of(self),
            starter=self._starter,
        )
        rendered = AgentSequence(*steps)._render(ctx, _Block("Pipeline"))
        #: The longest run the steps can take, in seconds (``inf`` when a map has no ``expected_items``).
        self.longest_run_seconds: float = rendered.expected_seconds
        if timeout is not None and not timeout.is_unresolved():
            raise_all("PipelineTimeoutShorterThanSteps",
                      pipeline_timeout_problems(float(timeout.to_seconds()), ctx.step_timeouts), path_of(self))
        self.agents: list[IAgentCoreAgent] = _unique([*ctx.request_agents, *ctx.callback_agents])
        self.request_agents: list[IAgentCoreAgent] = _unique(ctx.request_agents)
        self.callback_agents: list[IAgentCoreAgent] = _unique(ctx.callback_agents)
        fit = workflow_fit(
            self.catalog,
            self.region,
            longest_run_seconds=self.longest_run_seconds,
            callback_agents=[path_of(a) for a in self.callback_agents],
            forced=WorkflowType(state_machine_type.value) if state_machine_type is not None else None,
        )
        self.state_machine_type: sfn.StateMachineType = sfn.StateMachineType(fit.workflow_type.value)
        #: The state machine's name (generated unless given), known before deployment.
        self.state_machine_name: str = state_machine_name or self._generated_name()
        #: The state machine's role: Step Functions may assume it for this state machine only (``Role``).
        self.role = self._role()

        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=log_retention or DEFAULT_LOG_RETENTION,
            # Execution logs are operational data of a replaceable workflow.
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "Resource",
            definition_body=sfn.DefinitionBody.from_chainable(rendered.chain),
            state_machine_type=self.state_machine_type,
            state_machine_name=self.state_machine_name,
            role=self.role,
            logs=sfn.LogOptions(
                destination=self.log_group,
                level=log_level or sfn.LogLevel.ALL,
                include_execution_data=include_execution_data,
            ),
            tracing_enabled=tracing_enabled,
            timeout=timeout,
            comment=comment,
        )
        self.node.default_child = self.state_machine
        report(self, [*ctx.findings, *state_name_findings(self.catalog, list(ctx.names.items())), *fit.findings])
        for unchecked in ctx.unchecked:
            report_unresolved(self, unchecked.prop, unchecked.against)
        self._grant_callbacks()
        self._acknowledge()

    # -- construction helpers ------------------------------------------------------------------------

    def _check_props(self, **props: Any) -> None:
        """Every prop's type and the state machine name's rule, before anything reaches jsii."""
        steps = props["steps"]
        if isinstance(steps, Sequence) and not isinstance(steps, str) and not steps:
            raise ConstructsLibValidationError("EmptyPipeline", "steps must list at least one step", path_of(self))
        checks = PropChecks(path_of(self))
        checks.sequence_of("steps", steps, PipelineStep,
                           "AgentStep, AgentSequence, AgentParallel or AgentMap (wrap an agent: AgentStep(agent))",
                           optional=False, code="InvalidStep")
        checks.choice("state_machine_type", props["state_machine_type"], sfn.StateMachineType)
        checks.choice("log_level", props["log_level"], sfn.LogLevel)
        checks.boolean("include_execution_data", props["include_execution_data"])
        checks.choice("log_retention", props["log_retention"], logs.RetentionDays)
        checks.boolean("tracing_enabled", props["tracing_enabled"])
        checks.duration("timeout", props["timeout"])
        longest = int(self.catalog.value(QuotaName.STEP_FUNCTIONS_STATE_MACHINE_NAME_LENGTH))
        checks.string("state_machine_name", props["state_machine_name"], pattern=STATE_MACHINE_NAME_PATTERN,
                      max_length=longest, allowed="letters, digits, '-' and '_'")
        checks.string("comment", props["comment"], empty=True)
        checks.raise_if_any()

    def _generated_name(self) -> str:
        suffix = f"{_GENERATED_NAME_SEPARATOR}{self.state_machine_type.value.lower()}"
        longest = int(self.catalog.value(QuotaName.STEP_FUNCTIONS_STATE_MACHINE_NAME_LENGTH))
        base = cdk.Names.unique_resource_name(
            self, max_length=longest - len(suffix), separator=_GENERATED_NAME_SEPARATOR
        )
        return f"{base}{suffix}"

    def _role(self) -> iam.Role:
        stack = cdk.Stack.of(self)
        arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.state_machine_name,
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        # The L2's own role would trust stateMachine:*, any state machine of the account.
        return service_role(
            self, "Role", service=STATES_PRINCIPAL, source_arn=arn,
            description=f"Role of the agent pipeline {path_of(self)}",
        )

    def _starter(self) -> lambda_.IFunction:
        if self.task_token_starter is None:
            holder = Construct(self, "TaskTokenStarter")
            # Only the starter module and the handler contract are packaged, not the other handlers beside them.
            code = handler_code(f"{_STARTER_MODULE}.py")
            created = secure_function(
                holder,
                purpose="agent pipeline task token starter",
                code=code,
                handler=f"{_STARTER_MODULE}.handler",
                runtime=DEFAULT_PYTHON_RUNTIME,
                timeout=STARTER_TIMEOUT,
                # Every value the handler needs is set here; it has no fallback of its own.
                environment={contract.ENV_AGENTCORE_MAX_ATTEMPTS: str(STARTER_MAX_ATTEMPTS)},
                # Step Functions invokes it synchronously (with the task token); no asynchronous events.
                dead_letter_queue=False,
            )
            self.task_token_starter = created.function
        return self.task_token_starter

    def _grant_callbacks(self) -> None:
        if not self.callback_agents:
            return
        starter = self.task_token_starter
        assert starter is not None
        stack = cdk.Stack.of(self)
        holder = Construct(self, "CallbackGrants")
        findings: list[str] = []
        for agent in self.callback_agents:
            arn = agent.agent_runtime_arn
            starter.add_to_role_policy(
                iam.PolicyStatement(actions=[perms.INVOKE_AGENT_RUNTIME], resources=[arn, f"{arn}/*"])
            )
            findings.append(_runtime_finding(stack, agent))
            # A separate policy, not the agent role's default policy: the runtime may depend on its
            # role's policies, and the state machine depends on the runtime, which would be a cycle.
            iam.Policy(
                holder,
                agent.node.addr,
                roles=[agent.role],
                statements=[
                    iam.PolicyStatement(
                        actions=list(TASK_RESPONSE_ACTIONS), resources=[self.state_machine.state_machine_arn]
                    )
                ],
            )
        nag.acknowledge(
            starter.role, "AwsSolutions-IAM5", findings,  # type: ignore[arg-type]
            f"pipeline {path_of(self)}: the starter invokes the named asynchronous agents on the endpoint its "
            "step names; endpoints are sub-resources of the runtime ARN (runtime/<id>/runtime-endpoint/<name>)",
        )

    def _acknowledge(self) -> None:
        stack = cdk.Stack.of(self)
        role = self.state_machine.role
        nag.acknowledge(
            role, "AwsSolutions-IAM5", ["Resource::*"],
            f"pipeline {path_of(self)}: CloudWatch Logs log delivery (logs:CreateLogDelivery and related "
            "actions) and X-Ray tracing support no resource-level permissions",
        )
        findings = [_runtime_finding(stack, a) for a in self.request_agents]
        if findings:
            nag.acknowledge(
                role, "AwsSolutions-IAM5", findings,
                f"pipeline {path_of(self)}: each step invokes its agent on a named endpoint; endpoints are "
                "sub-resources of the runtime ARN (runtime/<id>/runtime-endpoint/<name>)",
            )
        if self.task_token_starter is not None:
            fn_id = stack.resolve(stack.get_logical_id(self.task_token_starter.node.default_child))  # type: ignore[arg-type]
            nag.acknowledge(
                role, "AwsSolutions-IAM5", [f"Resource::<{fn_id}.Arn>:*"],
                f"pipeline {path_of(self)}: Step Functions' Lambda integration grants the task token starter "
                "function and its versions (ARN:*), and nothing else",
            )

    # -- public API ----------------------------------------------------------------------------------

    @property
    def state_machine_arn(self) -> str:
        """ARN of the state machine."""
        return self.state_machine.state_machine_arn

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to start executions (``states:StartExecution`` on this state machine)."""
        return self.state_machine.grant_start_execution(grantee)

    def grant_start_sync_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to run an express pipeline synchronously (``states:StartSyncExecution``)."""
        return self.state_machine.grant_start_sync_execution(grantee)

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to list and describe executions."""
        return self.state_machine.grant_read(grantee)

    def metric_failed(self, **options: Any) -> cloudwatch.Metric:
        """Failed executions (Sum)."""
        return self.state_machine.metric_failed(**options)

    def metric_throttled(self, **options: Any) -> cloudwatch.Metric:
        """Executions throttled by Step Functions (Sum)."""
        return self.state_machine.metric_throttled(**options)

    def metric_timed_out(self, **options: Any) -> cloudwatch.Metric:
        """Executions that timed out (Sum)."""
        return self.state_machine.metric_timed_out(**options)

    def metric_succeeded(self, **options: Any) -> cloudwatch.Metric:
        """Executions that succeeded (Sum)."""
        return self.state_machine.metric_succeeded(**options)

    def metric_time(self, **options: Any) -> cloudwatch.Metric:
        """Execution time in milliseconds (Average unless ``statistic`` is given)."""
        return self.state_machine.metric_time(**options)


def _runtime_finding(stack: cdk.Stack, agent: IAgentCoreAgent) -> str:
    """The IAM5 finding id of ``<runtime ARN>/*`` as cdk-nag prints it (a runtime of the app, or an imported one)."""
    return f"Resource::{nag.flatten(stack, f'{agent.agent_runtime_arn}/*')}"


def _unique(agents: list[IAgentCoreAgent]) -> list[IAgentCoreAgent]:
    seen: list[IAgentCoreAgent] = []
    for agent in agents:
        if not any(a is agent for a in seen):
            seen.append(agent)
    return seen
