"""The building blocks of an :class:`AgentPipeline` and how they become Step Functions states.

Steps are plain descriptions (``AgentStep``, ``AgentSequence``, ``AgentParallel``, ``AgentMap``); the
pipeline renders them once, into states under its own scope. Every limit decision of a step (its timeout, its
longest run, a map's concurrency) is made by :mod:`constructs_lib.planning.orchestration`; the rendering collects
the findings, and the pipeline reports them.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from constructs_lib._cdk import perms
from constructs_lib._cdk.props import PropChecks
from constructs_lib._cdk.scope import path_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.agent.interface import IAgentCoreAgent, require_agent
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.limits.service import DEFAULT_ENDPOINT
from constructs_lib.planning.agent_plan import InvocationMode, session_creation_quota
from constructs_lib.planning.findings import Finding
from constructs_lib.planning.orchestration import (
    SessionCreationLimit,
    Unchecked,
    map_fit,
    retry_wait_budget_seconds,
    step_fit,
)

# Step Functions names the errors of an AWS SDK integration ``<ServiceName>.<ErrorName>``, both in
# PascalCase, with the ``Exception`` suffix always present (Step Functions developer guide, "AWS SDK
# service integrations"); for the ``bedrockagentcore`` integration the service name is
# ``BedrockAgentCore``. InvokeAgentRuntime starts the agent's task, so a step retries only the errors AgentCore
# answers before it runs anything, where sending the request again cannot run the task twice:
# - ThrottlingException (429): the request rate was refused;
# - ServiceQuotaExceededException (402): no session could be started (the active-session quota is reached);
# - RetryableConflictException (409): the session is busy with another request, this one was refused.
# Never retried: InternalServerException and RuntimeClientError (the agent may have started), States.Timeout and
# States.TaskFailed of the integration (the caller cannot know how far the agent got).
RETRYABLE_AGENT_ERRORS: tuple[str, ...] = (
    "BedrockAgentCore.ThrottlingException",
    "BedrockAgentCore.ServiceQuotaExceededException",
    "BedrockAgentCore.RetryableConflictException",
)
# The task token starter is a Python Lambda making one InvokeAgentRuntime attempt: an AgentCore error it lets through
# keeps botocore's class name as the Lambda error type. The same three, for the same reason.
RETRYABLE_STARTER_ERRORS: tuple[str, ...] = (
    "ThrottlingException",
    "ServiceQuotaExceededException",
    "RetryableConflictException",
)
# The Lambda integration's own errors after which the starter did not run: Lambda refused the invoke (429). Its other
# service errors (Lambda.ServiceException, Lambda.AWSLambdaException, Lambda.SdkClientException,
# Lambda.ClientExecutionTimeoutException), which CDK's retry_on_service_exceptions would retry, can come after the
# starter has invoked the agent: they are not retried.
RETRYABLE_LAMBDA_INVOKE_ERRORS: tuple[str, ...] = ("Lambda.TooManyRequestsException",)
#: Retry timing of the transient errors: the first wait, its growth factor and the cap on one wait (a policy of
#: the library, not a limit; the worst case of these waits counts towards the workflow type).
RETRY_INTERVAL_SECONDS = 2
RETRY_BACKOFF_RATE = 2
RETRY_MAX_DELAY_SECONDS = 60
#: Where a caught error is recorded in the state (``{"Error": ..., "Cause": ...}``).
ERROR_PATH = "$.error"
#: Where the name of the failed step is recorded.
FAILED_STEP_PATH = "$.failedStep"
#: Keys an :class:`AgentMap` gives each item's input.
MAP_ITEM_KEY = "item"
MAP_INDEX_KEY = "index"
#: Key a map nested in another map gives each item's input: the enclosing items' indexes and its own,
#: so that items of different outer items never share a runtime session.
MAP_SESSION_SCOPE_KEY = "sessionScope"
_SCRATCH_KEY = "stepPayloads"
#: Step names and output keys: they become state names, plain JsonPath keys (``$.<output_key>``) and literals
#: inside ``States.Format`` session seeds, so no punctuation. Their length is checked on the rendered states
#: (with the ``Record...Failure`` and ``...Failed`` states derived from them) against the Step Functions
#: state-name limit: ``StateNameTooLong`` fails synthesis.
STEP_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")


def _checked_name(kind: str, value: str | None) -> str | None:
    """``value`` unchanged when it is a valid step name or output key (or None), else an error."""
    if value is not None and (not isinstance(value, str) or not STEP_NAME_PATTERN.match(value)):
        raise ConstructsLibValidationError(
            "InvalidStepName",
            f"{kind} must match {STEP_NAME_PATTERN.pattern} (it becomes a state name, a JsonPath key and part "
            f"of the session id seed), got {value!r}",
        )
    return value


class StepIntegration(StrEnum):
    """How a step waits for its agent."""

    REQUEST_RESPONSE = "request-response"
    """The ``bedrockagentcore:invokeAgentRuntime`` SDK integration: the answer, within the synchronous request
    timeout, is the result."""
    CALLBACK = "callback"
    """A Lambda starts the agent with a task token; the agent calls ``SendTaskSuccess`` when done."""


class StepPayload:
    """What a step sends to its agent. Use the static factories."""

    def __init__(self, path: str | None, template: Mapping[str, Any] | None) -> None:
        self.path = path
        self.template = template

    @staticmethod
    def from_state(path: str = "$") -> StepPayload:
        """A part of the state, sent as JSON (default: the whole state, ``$``)."""
        if not isinstance(path, str) or not path.startswith("$"):
            raise ConstructsLibValidationError(
                "InvalidStepPayload", f"path must be a JsonPath starting with $, got {path!r}"
            )
        return StepPayload(path, None)

    @staticmethod
    def from_template(template: Mapping[str, Any]) -> StepPayload:
        """A JSON object built from a template whose values may be ``sfn.JsonPath.string_at(...)``."""
        if not isinstance(template, Mapping) or not template:
            raise ConstructsLibValidationError("InvalidStepPayload", "template must be a non-empty mapping")
        return StepPayload(None, dict(template))


@dataclass
class _Block:
    """One ``States`` block: the top level, a Parallel branch or a Map item processor."""

    name: str
    session_salt: str | None = None
    """A literal that separates this block's sessions from the enclosing block's (branch or map name)."""
    session_scope: str | None = None
    """A JsonPath whose value separates concurrent runs of this block (a map item's index)."""
    fail: sfn.Fail | None = None
    origin: str = "pipeline"
    """What the block's state names come from, for messages."""


@dataclass
class Rendered:
    """A rendered step: its chain and what the checks need."""

    chain: sfn.Chain
    expected_seconds: float
    fan_out: float = 1.0
    """The most agent invocations (each possibly a new session) the step has in flight at once."""
    fan_out_known: bool = True
    """False when a token (a map's ``max_concurrency``) hides the fan-out."""


@dataclass
class RenderContext:
    """State shared while one pipeline is rendered."""

    scope: Construct
    catalog: QuotaCatalog
    region: str | None
    path: str
    starter: Callable[[], lambda_.IFunction]
    names: dict[str, str] = field(default_factory=dict)
    """Every state name rendered, with what it comes from (for the state-name check)."""
    callback_agents: list[IAgentCoreAgent] = field(default_factory=list)
    request_agents: list[IAgentCoreAgent] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)
    step_timeouts: list[tuple[str, float]] = field(default_factory=list)
    """Each agent step's state name and concrete timeout in seconds (for the pipeline timeout check)."""

    def unique(self, name: str, origin: str, *, explicit: bool = False) -> str:
        """``name``, or ``name`` with the smallest number suffix not yet used (state names are global).

        Args:
            name: the wanted state name.
            origin: what it comes from, in the user's words (``"step name 'Triage'"``).
            explicit: the user chose the name: it is used as given, or refused when taken (``DuplicateStepName``),
                never renamed. Default names and the states derived from names are numbered instead.
        """
        if explicit and name in self.names:
            raise ConstructsLibValidationError(
                "DuplicateStepName",
                f"{origin} is already used by {self.names[name]}: state names must be unique in a pipeline, so give "
                "each step, parallel and map its own name (a default name is numbered; a given one is never renamed)",
                self.path,
            )
        candidate, n = name, 2
        while candidate in self.names:
            candidate, n = f"{name}{n}", n + 1
        self.names[candidate] = origin
        return candidate

    def failure_path(self, block: _Block, step_name: str, origin: str) -> sfn.Chain:
        """Record the failed step's name, then fail the block with the caught error and cause."""
        if block.fail is None:
            block.fail = sfn.Fail(
                self.scope,
                self.unique(f"{block.name}Failed", block.origin),
                error_path=f"{ERROR_PATH}.Error",
                cause_path=f"{ERROR_PATH}.Cause",
            )
        record = sfn.Pass(
            self.scope,
            self.unique(f"Record{step_name}Failure", origin),
            result=sfn.Result.from_string(step_name),
            result_path=FAILED_STEP_PATH,
        )
        return sfn.Chain.start(record).next(block.fail)


class PipelineStep(abc.ABC):
    """A part of an :class:`AgentPipeline`: one agent call or a composition of steps."""

    @abc.abstractmethod
    def _render(self, ctx: RenderContext, block: _Block) -> Rendered: ...


def _salt(outer: _Block, name: str) -> str:
    return f"{outer.session_salt}/{name}" if outer.session_salt else name


def _as_step(value: PipelineStep | Sequence[PipelineStep], prop: str) -> PipelineStep:
    """A step, or a list of steps run in sequence; anything else (an agent, a string) is an error naming ``prop``."""
    if isinstance(value, PipelineStep):
        return value
    checks = PropChecks(code="InvalidStep")
    allowed = "AgentStep, AgentSequence, AgentParallel or AgentMap (wrap an agent: AgentStep(agent))"
    checks.sequence_of(prop, value, PipelineStep, allowed, optional=False)
    checks.raise_if_any()
    return AgentSequence(*value)


class AgentStep(PipelineStep):
    """One invocation of an agent.

    The result lands at ``$.<output_key>.response``: the agent's response body as a string (or parsed
    JSON with ``parse_json_response``) for a request-response step, the output the agent sent with
    ``SendTaskSuccess`` for a callback step. The next step reads it, for example with
    ``StepPayload.from_state("$.Triage.response")``.

    Every execution gets its own runtime session: the session id is the SHA-256 of the execution id
    (64 hexadecimal characters, inside the session-id rule of ``constructs_lib.limits.service``), and inside an
    :class:`AgentMap` also of the item index, so concurrent items never share a session. Steps that invoke the same
    agent in one execution share its session.

    Limits are checked when the pipeline is built (``constructs_lib.planning.orchestration.step_fit``) and fail
    synthesis together: a timeout beyond the integration's limit (``StepTimeoutExceedsInvocationLimit``), an agent
    planned for longer tasks than a request-response step waits (``SynchronousStepTooLong``), a heartbeat not
    shorter than the timeout (``HeartbeatNotShorterThanTimeout``), a state name beyond the Step Functions limit
    (``StateNameTooLong``). A timeout or heartbeat that is a token is not checked (an info note says so).

    Args:
        agent: the agent to invoke.
        name: the state name, letters, digits and ``_`` (:data:`STEP_NAME_PATTERN`). Default:
            ``Invoke<agent construct id>`` without its other characters.
        payload: what to send. Default: the whole state as JSON.
        output_key: where the result goes (``$.<output_key>``), same alphabet as ``name``. Default: the
            state name.
        qualifier: the endpoint to invoke. Default: the agent's default qualifier (its first named
            endpoint, else ``DEFAULT``).
        integration: request-response or callback. Default: callback for an agent planned asynchronous,
            request-response otherwise.
        timeout: the step timeout. Request-response: at most the synchronous request timeout, default that
            limit. Callback: at most the asynchronous job duration, default the agent's invocation mode limit.
        heartbeat: callback steps only: fail the step when the agent sends no ``SendTaskHeartbeat`` for
            this long; shorter than the timeout (a request-response step with a heartbeat is an error).
            Default: no heartbeat.
        parse_json_response: parse the response body as JSON (``States.StringToJson``); a body that is
            not JSON then fails the step. Default: False (the body stays a string).
        max_attempts: attempts on throttling, quota-exceeded and retryable-conflict errors, with
            exponential backoff and full jitter. The longest the retries can wait in total
            (:meth:`retry_delay_budget_seconds`) counts towards the step's expected run, and so towards the
            state machine type. Default: 6.
    """

    def __init__(
        self,
        agent: IAgentCoreAgent,
        *,
        name: str | None = None,
        payload: StepPayload | None = None,
        output_key: str | None = None,
        qualifier: str | None = None,
        integration: StepIntegration | None = None,
        timeout: cdk.Duration | None = None,
        heartbeat: cdk.Duration | None = None,
        parse_json_response: bool = False,
        max_attempts: int = 6,
    ) -> None:
        require_agent(agent, "agent", None, code="InvalidStep")
        checks = PropChecks(path_of(agent), code="InvalidStep")
        checks.instance("payload", payload, StepPayload, "a StepPayload (StepPayload.from_state(...) or from_template)")
        checks.string("qualifier", qualifier)
        checks.instance("integration", integration, StepIntegration, "a StepIntegration")
        checks.duration("timeout", timeout)
        checks.duration("heartbeat", heartbeat)
        checks.boolean("parse_json_response", parse_json_response)
        checks.whole_number("max_attempts", max_attempts, optional=False, minimum=1)
        checks.raise_if_any()
        self.agent = agent
        #: Whether the state name was given (then it is used as given, never renamed).
        self.name_given = name is not None
        self.name = _checked_name("name", name) or "Invoke" + re.sub(r"[^A-Za-z0-9_]", "", agent.node.id)
        self.payload = payload or StepPayload.from_state()
        self.output_key = _checked_name("output_key", output_key)
        self.qualifier = agent.default_qualifier if qualifier is None else qualifier
        _check_qualifier(agent, self.qualifier)
        self.integration = integration or (
            StepIntegration.CALLBACK
            if agent.plan.mode is InvocationMode.ASYNCHRONOUS
            else StepIntegration.REQUEST_RESPONSE
        )
        if heartbeat is not None and self.integration is not StepIntegration.CALLBACK:
            raise ConstructsLibValidationError(
                "InvalidStepTimeout",
                f"step {self.name}: heartbeat applies only to a callback step (the agent sends SendTaskHeartbeat "
                "with the task token); a request-response step has no token to beat with",
            )
        self.timeout = timeout
        self.heartbeat = heartbeat
        self.parse_json_response = parse_json_response
        self.max_attempts = max_attempts

    # -- rendering ---------------------------------------------------------------------------------

    def _session_id(self, block: _Block) -> str:
        if block.session_salt is None and block.session_scope is None:
            return sfn.JsonPath.hash(sfn.JsonPath.execution_id, "SHA-256")
        # State names are letters and digits, so the salt needs no escaping inside the format template.
        if block.session_scope is None:
            seed = sfn.JsonPath.format(f"{{}}/{block.session_salt}", sfn.JsonPath.execution_id)
        else:
            seed = sfn.JsonPath.format(f"{{}}/{block.session_salt}/{{}}", sfn.JsonPath.execution_id,
                                       sfn.JsonPath.string_at(block.session_scope))
        return sfn.JsonPath.hash(seed, "SHA-256")

    def _render(self, ctx: RenderContext, block: _Block) -> Rendered:
        origin = f"step name {self.name!r}"
        name = ctx.unique(self.name, origin, explicit=self.name_given)
        output_key = self.output_key or name
        callback = self.integration is StepIntegration.CALLBACK
        plan = self.agent.plan
        timeout_known = self.timeout is None or not self.timeout.is_unresolved()
        heartbeat_known = self.heartbeat is None or not self.heartbeat.is_unresolved()
        fit = step_fit(
            ctx.catalog,
            ctx.region,
            step=name,
            agent=path_of(self.agent),
            callback=callback,
            mode=plan.mode,
            mode_limit_seconds=plan.mode_limit_seconds,
            longest_task_seconds=plan.profile.longest_task_seconds,
            timeout_seconds=float(self.timeout.to_seconds()) if self.timeout is not None and timeout_known else None,
            timeout_known=timeout_known,
            heartbeat_seconds=(
                float(self.heartbeat.to_seconds()) if self.heartbeat is not None and heartbeat_known else None
            ),
            heartbeat_known=heartbeat_known,
            retry_wait_seconds=self.retry_delay_budget_seconds(),
        )
        ctx.findings.extend(fit.findings)
        ctx.unchecked.extend(fit.unchecked)
        # A token timeout is rendered as given; a concrete one as the plan says (the request or the default).
        timeout = self.timeout if fit.timeout_seconds is None else cdk.Duration.seconds(fit.timeout_seconds)
        assert timeout is not None  # step_fit returns no timeout only for a requested token
        if fit.timeout_seconds is not None:
            ctx.step_timeouts.append((name, float(fit.timeout_seconds)))
        arn = self.agent.agent_runtime_arn
        session = self._session_id(block)
        if callback:
            task: sfn.TaskStateBase = self._callback_task(ctx, name, output_key, arn, session, timeout)
            chain = sfn.Chain.start(task)
            ctx.callback_agents.append(self.agent)
        else:
            chain, task = self._request_task(ctx, name, origin, output_key, arn, session, timeout)
            ctx.request_agents.append(self.agent)
        task.add_catch(ctx.failure_path(block, name, origin), errors=[sfn.Errors.ALL], result_path=ERROR_PATH)
        return Rendered(chain, fit.expected_seconds)

    def retry_delay_budget_seconds(self) -> float:
        """The longest the retries of this step can wait in total (every wait at its cap, before jitter)."""
        return retry_wait_budget_seconds(
            self.max_attempts, RETRY_INTERVAL_SECONDS, RETRY_BACKOFF_RATE, RETRY_MAX_DELAY_SECONDS
        )

    def _retry(self, errors: Sequence[str]) -> dict[str, Any]:
        """Exponential backoff (:data:`RETRY_INTERVAL_SECONDS` growing by :data:`RETRY_BACKOFF_RATE`, each wait at
        most :data:`RETRY_MAX_DELAY_SECONDS`) with full jitter, as ``add_retry`` keywords."""
        return {
            "errors": list(errors),
            "interval": cdk.Duration.seconds(RETRY_INTERVAL_SECONDS),
            "max_attempts": self.max_attempts,
            "backoff_rate": RETRY_BACKOFF_RATE,
            "max_delay": cdk.Duration.seconds(RETRY_MAX_DELAY_SECONDS),
            "jitter_strategy": sfn.JitterType.FULL,
        }

    def _request_task(
        self,
        ctx: RenderContext,
        name: str,
        origin: str,
        output_key: str,
        arn: str,
        session: str,
        timeout: cdk.Duration,
    ) -> tuple[sfn.Chain, sfn.TaskStateBase]:
        first: sfn.State | None = None
        if self.payload.template is not None:
            # Payload must be a string: build the object in a Pass state, then serialize it.
            scratch = f"$.{_SCRATCH_KEY}.{name}"
            first = sfn.Pass(ctx.scope, ctx.unique(f"Prepare{name}", origin), parameters=dict(self.payload.template),
                             result_path=scratch)
            body = sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(scratch))
        else:
            body = sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(self.payload.path or "$"))
        response = sfn.JsonPath.string_at("$.Response")
        task = tasks.CallAwsService(
            ctx.scope,
            name,
            service="bedrockagentcore",
            action="invokeAgentRuntime",
            # CDK would derive the wrong IAM prefix from the SDK service name; endpoints (qualifiers) are
            # sub-resources of the runtime ARN, hence ARN/*.
            iam_action=perms.INVOKE_AGENT_RUNTIME,
            iam_resources=[arn, f"{arn}/*"],
            parameters={
                "AgentRuntimeArn": arn,
                "RuntimeSessionId": session,
                "Qualifier": self.qualifier,
                "ContentType": "application/json",
                "Accept": "application/json",
                "Payload": body,
            },
            # The SDK integration returns the streamed body as the string ``Response``.
            result_selector={
                "response": sfn.JsonPath.string_to_json(response) if self.parse_json_response else response,
            },
            result_path=f"$.{output_key}",
            task_timeout=sfn.Timeout.duration(timeout),
        )
        task.add_retry(**self._retry(RETRYABLE_AGENT_ERRORS))
        chain = sfn.Chain.start(first).next(task) if first is not None else sfn.Chain.start(task)
        return chain, task

    def _callback_task(
        self, ctx: RenderContext, name: str, output_key: str, arn: str, session: str, timeout: cdk.Duration
    ) -> sfn.TaskStateBase:
        if self.payload.template is not None:
            payload: Any = dict(self.payload.template)
        else:
            payload = sfn.JsonPath.object_at(self.payload.path or "$")
        task = tasks.LambdaInvoke(
            ctx.scope,
            name,
            lambda_function=ctx.starter(),
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object({
                "agentRuntimeArn": arn,
                "qualifier": self.qualifier,
                "runtimeSessionId": session,
                "payload": payload,
                "taskToken": sfn.JsonPath.task_token,
            }),
            result_selector={"response": sfn.JsonPath.object_at("$")},
            result_path=f"$.{output_key}",
            task_timeout=sfn.Timeout.duration(timeout),
            heartbeat_timeout=sfn.Timeout.duration(self.heartbeat) if self.heartbeat is not None else None,
            # Not CDK's retries of every Lambda service error: some come after the agent was started.
            retry_on_service_exceptions=False,
        )
        task.add_retry(**self._retry((*RETRYABLE_LAMBDA_INVOKE_ERRORS, *RETRYABLE_STARTER_ERRORS)))
        return task


class AgentSequence(PipelineStep):
    """Steps run one after the other; each sees the state the previous one left.

    Args:
        steps: the steps, in order (at least one).
    """

    def __init__(self, *steps: PipelineStep | Sequence[PipelineStep]) -> None:
        if not steps:
            raise ConstructsLibValidationError("EmptyPipeline", "a sequence needs at least one step")
        self.steps = [_as_step(s, "steps") for s in steps]

    def _render(self, ctx: RenderContext, block: _Block) -> Rendered:
        rendered = [s._render(ctx, block) for s in self.steps]
        chain = rendered[0].chain
        for part in rendered[1:]:
            chain = chain.next(part.chain)
        return Rendered(
            chain,
            sum(r.expected_seconds for r in rendered),
            max(r.fan_out for r in rendered),
            all(r.fan_out_known for r in rendered),
        )


class AgentParallel(PipelineStep):
    """Branches run at the same time; their outputs land at ``$.<output_key>`` as a list.

    A failure in any branch fails the whole parallel step, which is caught like an agent step.

    Args:
        branches: one step (or list of steps run in sequence) per branch, at least one.
        name: the state name, letters, digits and ``_``. Default: ``Parallel``.
        output_key: where the list of branch outputs goes. Default: the state name.
    """

    def __init__(
        self, *branches: PipelineStep | Sequence[PipelineStep], name: str | None = None, output_key: str | None = None
    ) -> None:
        if not branches:
            raise ConstructsLibValidationError("EmptyPipeline", "a parallel step needs at least one branch")
        self.branches = [_as_step(b, "branches") for b in branches]
        self.name_given = name is not None
        self.name = _checked_name("name", name) or "Parallel"
        self.output_key = _checked_name("output_key", output_key)

    def _render(self, ctx: RenderContext, block: _Block) -> Rendered:
        origin = f"parallel step name {self.name!r}"
        name = ctx.unique(self.name, origin, explicit=self.name_given)
        parallel = sfn.Parallel(ctx.scope, name, result_path=f"$.{self.output_key or name}")
        longest, fan_out, known = 0.0, 0.0, True
        for index, branch in enumerate(self.branches, start=1):
            inner = _Block(f"{name}Branch{index}", session_salt=_salt(block, f"{name}Branch{index}"),
                           session_scope=block.session_scope, origin=origin)
            rendered = branch._render(ctx, inner)
            parallel.branch(rendered.chain)
            longest = max(longest, rendered.expected_seconds)
            fan_out += rendered.fan_out
            known = known and rendered.fan_out_known
        parallel.add_catch(ctx.failure_path(block, name, origin), errors=[sfn.Errors.ALL], result_path=ERROR_PATH)
        return Rendered(sfn.Chain.start(parallel), longest, fan_out, known)


class AgentMap(PipelineStep):
    """A step run for each item of a list, with bounded concurrency.

    Each item's step sees ``{"item": <the item>, "index": <its position>}`` and gets its own runtime
    session (a map inside another map also gets ``sessionScope``, the outer and inner positions, so items
    of different outer items never share a session). The outputs land at ``$.<output_key>`` as a list.

    Args:
        step: the step (or list of steps run in sequence) applied to each item.
        items_path: where the list is in the state. Default: ``$.items``.
        max_concurrency: items in flight at once. Every item opens a new runtime session (several when
            its step is a parallel step or another map), so the default is the new-session creation quota
            of the slowest agent inside divided by the sessions one item opens at once (at least 1, at most what
            Step Functions runs of an Inline Map at once); more draws the warning
            ``constructs_lib:FanOutExceedsSessionCreationRate``. ``0`` means unlimited and draws it too.
        expected_items: the largest number of items expected, used to estimate the longest run (and so
            the state machine type). Default: unknown, the pipeline is planned as a standard workflow.
        item_fields: more fields for each item's input, read from the state around the map (for example
            ``{"brief": sfn.JsonPath.string_at("$.Triage.response")}``); ``item`` and ``index`` are
            reserved. Default: none.
        name: the state name, letters, digits and ``_``. Default: ``Map``.
        output_key: where the list of outputs goes. Default: the state name.
    """

    def __init__(
        self,
        step: PipelineStep | Sequence[PipelineStep],
        *,
        items_path: str = "$.items",
        max_concurrency: int | None = None,
        expected_items: int | None = None,
        item_fields: Mapping[str, Any] | None = None,
        name: str | None = None,
        output_key: str | None = None,
    ) -> None:
        checks = PropChecks(code="InvalidStep")
        checks.string("items_path", items_path, optional=False, code="InvalidItemsPath")
        if isinstance(items_path, str) and not is_unresolved(items_path) and not items_path.startswith("$"):
            checks.fail("items_path", items_path, "a JsonPath starting with $ (for example $.items)",
                        code="InvalidItemsPath")
        checks.whole_number("max_concurrency", max_concurrency, minimum=0, code="InvalidMaxConcurrency")
        checks.whole_number("expected_items", expected_items, minimum=0)
        checks.instance("item_fields", item_fields, Mapping, "a mapping of field names to values")
        checks.raise_if_any()
        reserved = sorted({MAP_ITEM_KEY, MAP_INDEX_KEY, MAP_SESSION_SCOPE_KEY} & set(item_fields or {}))
        if reserved:
            raise ConstructsLibValidationError(
                "InvalidStep", f"item_fields must not set the reserved keys {', '.join(reserved)}"
            )
        if _concrete(max_concurrency) and max_concurrency < 0:  # type: ignore[operator]
            raise ConstructsLibValidationError(
                "InvalidMaxConcurrency", f"max_concurrency must be 0 (unlimited) or more, got {max_concurrency}"
            )
        if _concrete(expected_items) and expected_items < 0:  # type: ignore[operator]
            raise ConstructsLibValidationError(
                "InvalidStep", f"expected_items must not be negative, got {expected_items}"
            )
        self.step = _as_step(step, "step")
        self.items_path = items_path
        self.max_concurrency = max_concurrency
        self.expected_items = expected_items
        self.item_fields = dict(item_fields or {})
        self.name_given = name is not None
        self.name = _checked_name("name", name) or "Map"
        self.output_key = _checked_name("output_key", output_key)
        #: The concurrency chosen when the pipeline was rendered (``None`` while unrendered, or for a token).
        self.effective_max_concurrency: int | None = None

    def _render(self, ctx: RenderContext, block: _Block) -> Rendered:
        origin = f"map name {self.name!r}"
        name = ctx.unique(self.name, origin, explicit=self.name_given)
        selector: dict[str, Any] = {
            **self.item_fields,
            MAP_ITEM_KEY: sfn.JsonPath.string_at("$$.Map.Item.Value"),
            MAP_INDEX_KEY: sfn.JsonPath.number_at("$$.Map.Item.Index"),
        }
        scope = f"$.{MAP_INDEX_KEY}"
        if block.session_scope is not None:
            # Inside another map, the item index alone repeats for every outer item: carry the outer scope.
            selector[MAP_SESSION_SCOPE_KEY] = sfn.JsonPath.format(
                "{}/{}", sfn.JsonPath.string_at(block.session_scope), sfn.JsonPath.string_at("$$.Map.Item.Index")
            )
            scope = f"$.{MAP_SESSION_SCOPE_KEY}"
        inner_block = _Block(f"{name}Item", session_salt=_salt(block, f"{name}Item"), session_scope=scope,
                             origin=origin)
        before_request, before_callback = len(ctx.request_agents), len(ctx.callback_agents)
        rendered = self.step._render(ctx, inner_block)
        agents = [*ctx.request_agents[before_request:], *ctx.callback_agents[before_callback:]]
        concurrency_known = self.max_concurrency is None or _concrete(self.max_concurrency)
        fit = map_fit(
            ctx.catalog,
            ctx.region,
            map_name=name,
            limits=[
                SessionCreationLimit(path_of(a), session_creation_quota(a.catalog, a.region, a.artifact_kind))
                for a in agents
            ],
            item_fan_out=rendered.fan_out,
            item_fan_out_known=rendered.fan_out_known,
            item_seconds=rendered.expected_seconds,
            requested_concurrency=self.max_concurrency if concurrency_known else None,
            concurrency_known=concurrency_known,
            expected_items=self.expected_items if _concrete(self.expected_items) else None,
        )
        ctx.findings.extend(fit.findings)
        ctx.unchecked.extend(fit.unchecked)
        self.effective_max_concurrency = fit.max_concurrency
        state = sfn.Map(
            ctx.scope,
            name,
            items_path=self.items_path,
            max_concurrency=self.max_concurrency if fit.max_concurrency is None else fit.max_concurrency,
            item_selector=selector,
            result_path=f"$.{self.output_key or name}",
        )
        state.item_processor(rendered.chain)
        state.add_catch(ctx.failure_path(block, name, origin), errors=[sfn.Errors.ALL], result_path=ERROR_PATH)
        return Rendered(sfn.Chain.start(state), fit.expected_seconds, fit.fan_out, fit.fan_out_known)


def _check_qualifier(agent: IAgentCoreAgent, qualifier: str) -> None:
    """The qualifier is an endpoint of the agent (``DEFAULT`` or a named one), or a token (not checked)."""
    if isinstance(qualifier, str) and is_unresolved(qualifier):
        return
    known = [DEFAULT_ENDPOINT, *agent.endpoints]
    if qualifier not in known:
        raise ConstructsLibValidationError(
            "UnknownQualifier",
            f"qualifier {qualifier!r} is not an endpoint of agent {agent.runtime_name}: use one of "
            f"{', '.join(known)} (add the endpoint to the agent before the step: endpoints=[...] or add_endpoint)",
            path_of(agent),
        )


def _concrete(value: int | None) -> bool:
    """Whether ``value`` is a number known at synth (not ``None``, not a token)."""
    return value is not None and not is_unresolved(value)
