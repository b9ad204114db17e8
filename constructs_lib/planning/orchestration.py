"""Orchestration fit: every limit decision of a pipeline step, a map, a workflow type and an agent tool.

Pure functions from the quota catalog and what a construct was asked for to values (timeouts, concurrency, the
workflow type, the tool list) and :class:`~constructs_lib.planning.findings.Finding` objects. ``AgentPipeline``,
``AgentStep``, ``AgentMap`` and ``AgentTool`` report the findings and build what the values say; they compare no
number themselves.

A value the construct cannot see at synth (a CDK token) is passed as unknown; the check it would feed is returned as
an :class:`Unchecked` note instead of being guessed.

Plain Python: nothing here imports the CDK.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName, ResolvedQuota, Unit, format_value
from constructs_lib.planning.agent_plan import InvocationMode
from constructs_lib.planning.findings import Finding, Severity


@dataclass(frozen=True)
class Unchecked:
    """A check that waits for deployment because the value it needs is an unresolved token.

    Attributes:
        prop: the value that is a token, in the user's words (``"step Triage: timeout"``).
        against: the limit it would have been checked against, in words.
    """

    prop: str
    against: str


class WorkflowType(StrEnum):
    """The Step Functions workflow type of a pipeline."""

    STANDARD = "STANDARD"
    EXPRESS = "EXPRESS"


def _against(quota: ResolvedQuota) -> str:
    return f"{quota.formatted()}, the {quota.describe()}"


def _error(code: str, message: str, quota: ResolvedQuota, asked: float) -> Finding:
    return Finding(Severity.ERROR, code, message, quota.quota.name, asked, quota.value)


# -- steps ------------------------------------------------------------------------------------------------


def retry_wait_budget_seconds(
    max_attempts: int, interval_seconds: float, backoff_rate: float, max_delay_seconds: float
) -> float:
    """The longest the retries of one step can wait in total: every wait at its cap, before jitter."""
    return float(sum(
        min(interval_seconds * backoff_rate**attempt, max_delay_seconds) for attempt in range(max_attempts - 1)
    ))


@dataclass(frozen=True)
class StepFit:
    """How long one agent step may run and how long it can take.

    Attributes:
        timeout_seconds: the step timeout to render; ``None`` when the requested timeout is a token (render it).
        expected_seconds: the longest the step can take, retry waits included (``inf`` when unknown at synth).
        findings: hard limits the step crosses.
        unchecked: checks that wait for deployment.
    """

    timeout_seconds: float | None
    expected_seconds: float
    findings: tuple[Finding, ...]
    unchecked: tuple[Unchecked, ...]


def step_fit(
    catalog: QuotaCatalog,
    region: str | None,
    *,
    step: str,
    agent: str,
    callback: bool,
    mode: InvocationMode,
    mode_limit_seconds: float,
    longest_task_seconds: float | None,
    timeout_seconds: float | None = None,
    timeout_known: bool = True,
    heartbeat_seconds: float | None = None,
    heartbeat_known: bool = True,
    retry_wait_seconds: float = 0.0,
) -> StepFit:
    """Fit one agent step into its integration's limit and its agent's invocation mode.

    A request-response step waits at most the synchronous request timeout, so an agent planned for longer tasks
    cannot be called that way (``SynchronousStepTooLong``); a callback step waits at most the asynchronous job
    duration. A timeout beyond the integration's limit is ``StepTimeoutExceedsInvocationLimit``; a heartbeat that is
    not shorter than the timeout is ``HeartbeatNotShorterThanTimeout`` (Amazon States Language requires it).

    Args:
        catalog: the quotas.
        region: the stack's region, ``None`` when unknown.
        step: the state name, for messages.
        agent: the agent's construct path, for messages.
        callback: the step waits for a task token (else it is a request-response SDK call).
        mode: the agent's planned invocation mode.
        mode_limit_seconds: the longest the agent's mode allows.
        longest_task_seconds: the agent's planned longest task, if stated.
        timeout_seconds: the requested step timeout; ``None`` takes the default (the integration's limit, and for a
            callback step at most the agent's mode limit).
        timeout_known: False when the requested timeout is a token.
        heartbeat_seconds: the requested heartbeat of a callback step, if any.
        heartbeat_known: False when the heartbeat is a token.
        retry_wait_seconds: the longest the step's retries can wait (:func:`retry_wait_budget_seconds`).
    """
    quota = catalog.resolve(
        QuotaName.ASYNCHRONOUS_JOB_DURATION if callback else QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT, region
    )
    findings: list[Finding] = []
    unchecked: list[Unchecked] = []
    timeout: float | None
    if not timeout_known:
        timeout = None
        unchecked.append(Unchecked(f"step {step}: timeout", _against(quota)))
    elif timeout_seconds is None:
        timeout = min(mode_limit_seconds, quota.value) if callback else quota.value
    else:
        timeout = timeout_seconds
        if timeout > quota.value:
            way_out = (
                "split the task" if callback else
                "use integration=StepIntegration.CALLBACK (the agent works asynchronously and reports with "
                "SendTaskSuccess), or split the task into steps of at most that length"
            )
            findings.append(_error(
                "StepTimeoutExceedsInvocationLimit",
                f"step {step}: timeout {format_value(timeout, Unit.SECONDS)} exceeds {_against(quota)}; {way_out}",
                quota, timeout,
            ))
    if not callback and longest_task_seconds is not None and longest_task_seconds > quota.value:
        findings.append(_error(
            "SynchronousStepTooLong",
            f"step {step}: agent {agent} plans a longest_task of {format_value(longest_task_seconds, Unit.SECONDS)} "
            f"({mode.value}), but a request-response step waits at most {_against(quota)}; use "
            "integration=StepIntegration.CALLBACK so the agent reports completion with the task token, or split the "
            "task into steps that each fit",
            quota, longest_task_seconds,
        ))
    if heartbeat_seconds is not None or not heartbeat_known:
        if not heartbeat_known or timeout is None:
            unchecked.append(Unchecked(f"step {step}: heartbeat", "the step timeout (it must be shorter)"))
        elif heartbeat_seconds is not None and heartbeat_seconds >= timeout:
            findings.append(Finding(
                Severity.ERROR,
                "HeartbeatNotShorterThanTimeout",
                f"step {step}: heartbeat {format_value(heartbeat_seconds, Unit.SECONDS)} must be shorter than the "
                f"step timeout {format_value(timeout, Unit.SECONDS)} (Amazon States Language requires it); lower the "
                "heartbeat or raise the timeout",
                None, heartbeat_seconds, timeout,
            ))
    bound = math.inf if timeout is None else timeout
    # A throttled attempt fails at once, but the waits between attempts add up: a run that fits a limit only
    # without them is cut off exactly when the account is under pressure.
    run = min(longest_task_seconds, bound) if longest_task_seconds is not None else bound
    return StepFit(timeout, run + retry_wait_seconds, tuple(findings), tuple(unchecked))


def pipeline_timeout_problems(timeout_seconds: float, step_timeouts: Sequence[tuple[str, float]]) -> list[str]:
    """Problems of a pipeline timeout shorter than one of its steps' timeouts: that step could be cut while within
    its own limit.

    Args:
        timeout_seconds: the pipeline's execution timeout.
        step_timeouts: each step's state name and timeout in seconds (as rendered).
    """
    return [
        f"timeout {timeout_seconds:g} s is shorter than step {name}'s timeout {seconds:g} s, so the execution could "
        f"end while the step is within its own limit; give the pipeline a timeout of at least the longest run of its "
        f"steps, or give step {name} a shorter timeout"
        for name, seconds in step_timeouts
        if seconds > timeout_seconds
    ]


def state_name_findings(catalog: QuotaCatalog, names: Sequence[tuple[str, str]]) -> list[Finding]:
    """``StateNameTooLong`` for each rendered state name beyond the Step Functions state-name limit.

    Args:
        catalog: the quotas.
        names: ``(state name, the prop it comes from)`` pairs, for example ``("RecordTriageFailure", "step name
            'Triage'")``.
    """
    quota = catalog.resolve(QuotaName.STEP_FUNCTIONS_STATE_NAME_LENGTH)
    return [
        _error(
            "StateNameTooLong",
            f"state {state!r} ({len(state)} characters, from the {origin}) exceeds {_against(quota)}; choose a "
            "shorter name (name=...)",
            quota, len(state),
        )
        for state, origin in names
        if len(state) > quota.value
    ]


# -- maps -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionCreationLimit:
    """The session-creation quota that applies to one agent a map invokes.

    Attributes:
        agent: the agent's construct path, for messages.
        quota: its quota (``planning.agent_plan.session_creation_quota``).
    """

    agent: str
    quota: ResolvedQuota


@dataclass(frozen=True)
class MapFit:
    """The concurrency of one map and the new sessions it can open at once.

    Attributes:
        max_concurrency: the ``MaxConcurrency`` to render (0 is unlimited); ``None`` when the requested value is a
            token (render it).
        derived_concurrency: what the session-creation quota allows (the default).
        fan_out: the most new sessions the map opens at once (``inf`` when unknown at synth).
        fan_out_known: False when a token hides the fan-out (of this map or one inside it).
        expected_seconds: the longest the map can run (``inf`` without a known item count).
        findings: ``FanOutExceedsSessionCreationRate`` when the map can open sessions faster than the quota allows.
        unchecked: checks that wait for deployment.
    """

    max_concurrency: int | None
    derived_concurrency: int
    fan_out: float
    fan_out_known: bool
    expected_seconds: float
    findings: tuple[Finding, ...]
    unchecked: tuple[Unchecked, ...]


def map_fit(
    catalog: QuotaCatalog,
    region: str | None,
    *,
    map_name: str,
    limits: Sequence[SessionCreationLimit],
    item_fan_out: float,
    item_fan_out_known: bool = True,
    item_seconds: float,
    requested_concurrency: int | None = None,
    concurrency_known: bool = True,
    expected_items: int | None = None,
) -> MapFit:
    """Derive a map's concurrency from the session-creation quota and what each item opens at once.

    Every item opens a new runtime session per agent call in flight (several when its step is a parallel step or
    another map), so the default concurrency is the slowest session-creation quota of the agents inside divided by
    the sessions one item opens at once (at least 1), and never more than Step Functions runs of an Inline Map at
    once. A requested concurrency (0: unlimited) that lets the map open sessions faster than the quota draws the
    acknowledgeable warning ``FanOutExceedsSessionCreationRate``.

    Args:
        catalog: the quotas.
        region: the stack's region, ``None`` when unknown.
        map_name: the state name, for messages.
        limits: the session-creation quota of each agent the map's items invoke.
        item_fan_out: the most new sessions one item opens at once.
        item_fan_out_known: False when a token hides the item's fan-out.
        item_seconds: the longest one item can take.
        requested_concurrency: the requested ``max_concurrency`` (0: unlimited); ``None`` takes the derived value.
        concurrency_known: False when the requested concurrency is a token.
        expected_items: the most items expected, if known.
    """
    inline = catalog.resolve(QuotaName.STEP_FUNCTIONS_INLINE_MAP_CONCURRENCY, region)
    cap = int(inline.value)
    slowest = min(limits, key=lambda limit: limit.quota.per_second) if limits else None
    rate = slowest.quota.per_second if slowest else math.inf
    if slowest is None:
        derived = 0  # no agent inside: nothing to protect, Step Functions' own cap applies
    elif math.isinf(item_fan_out):
        derived = 1  # each item may open sessions without bound: run one at a time
    else:
        derived = min(cap, max(1, math.floor(rate / item_fan_out)))
    unchecked: list[Unchecked] = []
    findings: list[Finding] = []
    if not concurrency_known:
        concurrency: int | None = None
        running: float = cap
        unchecked.append(Unchecked(f"map {map_name}: max_concurrency", _creation_against(slowest)))
    else:
        concurrency = derived if requested_concurrency is None else requested_concurrency
        running = cap if concurrency == 0 else min(concurrency, cap)
    fan_out = running * item_fan_out
    known = concurrency_known and item_fan_out_known
    if slowest is not None and known and fan_out > rate:
        findings.append(_fan_out_warning(map_name, concurrency or 0, running, item_fan_out, derived, slowest, inline))
    if slowest is not None and concurrency_known and not item_fan_out_known:
        unchecked.append(Unchecked(f"map {map_name}: the sessions its items open", _creation_against(slowest)))
    if expected_items is None or concurrency is None:
        expected = math.inf
    else:
        expected = item_seconds * math.ceil(expected_items / running) if expected_items else 0.0
    return MapFit(
        concurrency, derived, fan_out if known else math.inf, known, expected, tuple(findings), tuple(unchecked)
    )


def _creation_against(slowest: SessionCreationLimit | None) -> str:
    return "the new-session creation quota" if slowest is None else _against(slowest.quota)


def _fan_out_warning(
    map_name: str,
    concurrency: int,
    running: float,
    item_fan_out: float,
    derived: int,
    slowest: SessionCreationLimit,
    inline: ResolvedQuota,
) -> Finding:
    quota = slowest.quota
    asked = f"unlimited items (Step Functions runs {running:g} at once, the {inline.describe()})" if concurrency == 0 \
        else f"up to {running:g} items"
    each = "a new session" if item_fan_out == 1 else f"up to {item_fan_out:g} new sessions"
    return Finding(
        Severity.WARNING,
        "FanOutExceedsSessionCreationRate",
        f"map {map_name} starts {asked} at once, each opening {each} of agent {slowest.agent}, more than the "
        f"{format_value(quota.per_second, Unit.PER_SECOND)} of new sessions allowed by the {quota.describe()}; set "
        f"max_concurrency={derived} (the default), or {quota.increase_advice()}; throttled items are retried with "
        "backoff and jitter meanwhile",
        quota.quota.name,
        running * item_fan_out,
        quota.per_second,
    )


# -- workflow type ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowFit:
    """The workflow type of a pipeline.

    Attributes:
        workflow_type: the type to render.
        findings: hard limits a forced type crosses, or a warning when its fit cannot be checked.
    """

    workflow_type: WorkflowType
    findings: tuple[Finding, ...]


def workflow_fit(
    catalog: QuotaCatalog,
    region: str | None,
    *,
    longest_run_seconds: float,
    callback_agents: Sequence[str],
    forced: WorkflowType | None = None,
) -> WorkflowFit:
    """Choose the workflow type: Express only when no step waits for a task token and the worst case fits.

    The worst case is the longest run with every retry wait at its cap. Forcing Express with a callback step is
    ``ExpressCannotWaitForCallback``, beyond the Express duration ``ExpressDurationExceeded`` (both hard limits);
    with a run that is unknown at synth (a map without ``expected_items``, or a token timeout) the acknowledgeable
    warning ``ExpressDurationUnknown``.

    Args:
        catalog: the quotas.
        region: the stack's region, ``None`` when unknown.
        longest_run_seconds: the longest the pipeline can run, retry waits included (``inf`` when unknown).
        callback_agents: construct paths of the agents whose steps wait for a task token.
        forced: the type the user asked for, if any.
    """
    express = catalog.resolve(QuotaName.STEP_FUNCTIONS_EXPRESS_DURATION, region)
    if forced is None:
        fits = not callback_agents and longest_run_seconds <= express.value
        return WorkflowFit(WorkflowType.EXPRESS if fits else WorkflowType.STANDARD, ())
    findings: list[Finding] = []
    if forced is WorkflowType.EXPRESS:
        if callback_agents:
            findings.append(Finding(
                Severity.ERROR,
                "ExpressCannotWaitForCallback",
                "state_machine_type EXPRESS cannot run steps that wait for a task token (agents "
                f"{', '.join(callback_agents)}); Express workflows support only request-response integrations: use "
                "STANDARD (or leave state_machine_type unset)",
            ))
        if math.isinf(longest_run_seconds):
            findings.append(Finding(
                Severity.WARNING,
                "ExpressDurationUnknown",
                f"the longest run is unknown at synth (a map without expected_items, or a step timeout that is a "
                f"token), so it is not checked against {_against(express)}; set expected_items and concrete "
                "timeouts, or use STANDARD",
                express.quota.name, None, express.value,
            ))
        elif longest_run_seconds > express.value:
            findings.append(_error(
                "ExpressDurationExceeded",
                f"state_machine_type EXPRESS: the pipeline can run {format_value(longest_run_seconds, Unit.SECONDS)}, "
                f"more than {_against(express)} (retry waits included); use STANDARD (or leave state_machine_type "
                "unset), or shorten the step timeouts or lower max_attempts",
                express, longest_run_seconds,
            ))
    return WorkflowFit(forced, tuple(findings))


# -- tools ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolDefinitionFit:
    """What a tool's name and description allow.

    Attributes:
        function_description: the description to give the function, ``None`` when it does not fit (an error says
            so; the function is then built without one while synthesis fails).
        findings: hard limits the name or description crosses.
        unchecked: checks that wait for deployment.
    """

    function_description: str | None
    findings: tuple[Finding, ...]
    unchecked: tuple[Unchecked, ...]


def tool_definition_fit(
    catalog: QuotaCatalog,
    *,
    tool_name: str,
    description: str,
    name_known: bool = True,
    description_known: bool = True,
    describes_function: bool = True,
) -> ToolDefinitionFit:
    """Check a tool's name against the Converse tool-name limit and its description against Lambda's.

    A name beyond the limit is ``ToolNameTooLong``; a description beyond Lambda's function-description limit (the
    tool's function carries it) is ``ToolDescriptionTooLong``. Nothing is truncated.

    Args:
        catalog: the quotas.
        tool_name: the name the model sees.
        description: what the tool does.
        name_known: False when the name is a token.
        description_known: False when the description is a token.
        describes_function: the description becomes the description of a function the construct creates.
    """
    findings: list[Finding] = []
    unchecked: list[Unchecked] = []
    name_quota = catalog.resolve(QuotaName.BEDROCK_TOOL_NAME_LENGTH)
    if not name_known:
        unchecked.append(Unchecked("tool_name", _against(name_quota)))
    elif len(tool_name) > name_quota.value:
        findings.append(_error(
            "ToolNameTooLong",
            f"tool_name {tool_name!r} is {len(tool_name)} characters, more than {_against(name_quota)}; choose a "
            "shorter name",
            name_quota, len(tool_name),
        ))
    function_description: str | None = description if describes_function else None
    if describes_function:
        quota = catalog.resolve(QuotaName.LAMBDA_DESCRIPTION_LENGTH)
        if not description_known:
            unchecked.append(Unchecked("description", _against(quota)))
        elif len(description) > quota.value:
            function_description = None
            findings.append(_error(
                "ToolDescriptionTooLong",
                f"description is {len(description)} characters, more than {_against(quota)} (the tool's function "
                "carries it); shorten the description",
                quota, len(description),
            ))
    return ToolDefinitionFit(function_description, tuple(findings), tuple(unchecked))


def tool_timeout_findings(catalog: QuotaCatalog, region: str | None, *, timeout_seconds: float) -> list[Finding]:
    """``ToolTimeoutTooLong`` when a tool's function timeout exceeds Lambda's function timeout."""
    quota = catalog.resolve(QuotaName.LAMBDA_TIMEOUT, region)
    if timeout_seconds <= quota.value:
        return []
    return [_error(
        "ToolTimeoutTooLong",
        f"timeout {format_value(timeout_seconds, Unit.SECONDS)} exceeds {_against(quota)}; "
        f"{quota.increase_advice()}: split the work, or let the tool start an AgentPipeline (Step Functions) and "
        "return at once",
        quota, timeout_seconds,
    )]


def tool_agent_findings(
    *,
    tool_name: str,
    timeout_seconds: float,
    agent: str,
    mode: InvocationMode,
    mode_limit_seconds: float,
    longest_task_seconds: float | None,
) -> list[Finding]:
    """``ToolTimeoutExceedsInvocationMode`` when a tool may run longer than its agent can wait for it.

    The agent waits at most its invocation mode's limit, or its planned longest task when that is shorter.
    """
    limit = mode_limit_seconds
    reason = f"the {mode.value} invocation mode allows {format_value(limit, Unit.SECONDS)}"
    if longest_task_seconds is not None and longest_task_seconds < limit:
        limit = longest_task_seconds
        reason = f"the agent's longest_task is {format_value(longest_task_seconds, Unit.SECONDS)}"
    if timeout_seconds <= limit:
        return []
    return [Finding(
        Severity.WARNING,
        "ToolTimeoutExceedsInvocationMode",
        f"tool {tool_name!r} may run {format_value(timeout_seconds, Unit.SECONDS)}, longer than agent {agent} can "
        f"wait for it ({reason}); lower the tool timeout, make the tool asynchronous (return a job id and let the "
        "agent poll), or plan the agent for a longer task (workload=WorkloadProfile(longest_task=...))",
        None, timeout_seconds, limit,
    )]


@dataclass(frozen=True)
class ToolEntry:
    """One tool in an agent's tool list.

    Attributes:
        name: the tool name.
        arn: the function ARN (may be a token string).
        description: what the tool does.
        arn_known: False when ``arn`` is a token string.
    """

    name: str
    arn: str
    description: str
    arn_known: bool = True

    def as_json(self) -> dict[str, str]:
        """The entry as the agent reads it."""
        return {"name": self.name, "arn": self.arn, "description": self.description}


@dataclass(frozen=True)
class ToolListFit:
    """An agent's tool list as one environment variable value.

    Attributes:
        value: the compact JSON list, in registration order.
        fits: False when the list is certainly longer than the environment value limit (an error says so).
        findings: ``ToolListTooLong`` when it is.
        unchecked: a note when token ARNs leave the length open.
    """

    value: str
    fits: bool
    findings: tuple[Finding, ...]
    unchecked: tuple[Unchecked, ...]


def tool_list_fit(
    catalog: QuotaCatalog, *, variable: str, agent: str, tool_name: str, entries: Sequence[ToolEntry]
) -> ToolListFit:
    """The tool list ``entries`` as the value of ``variable``, checked against the environment value limit.

    Token ARNs are not guessed: the list is too long when its known part alone exceeds the limit
    (``ToolListTooLong``), fits when it would fit with every token ARN at Lambda's longest function ARN, and is
    otherwise left to deployment (an :class:`Unchecked` note).

    Args:
        catalog: the quotas.
        variable: the environment variable's name, for messages.
        agent: the agent's construct path, for messages.
        tool_name: the tool being added, for messages.
        entries: every tool of the agent, the new one last.
    """
    value = json.dumps([e.as_json() for e in entries], separators=(",", ":"))
    unknown = [e for e in entries if not e.arn_known]
    known_length = len(value) - sum(len(e.arn) for e in unknown)
    arn_limit = catalog.resolve(QuotaName.LAMBDA_FUNCTION_ARN_LENGTH)
    longest = known_length + len(unknown) * arn_limit.value
    quota = catalog.resolve(QuotaName.ENVIRONMENT_VARIABLE_VALUE_LENGTH)
    if known_length > quota.value:
        finding = _error(
            "ToolListTooLong",
            f"the {variable} list of agent {agent} would be at least {known_length:,} characters with tool "
            f"{tool_name!r}, more than {_against(quota)}; shorten tool descriptions, or give the agent fewer tools "
            "(an AgentCore Gateway can front many)",
            quota, known_length,
        )
        return ToolListFit(value, False, (finding,), ())
    unchecked: tuple[Unchecked, ...] = ()
    if longest > quota.value:
        unchecked = (Unchecked(
            f"the {variable} list of agent {agent} ({known_length:,} characters besides {len(unknown)} function ARNs "
            f"of up to {arn_limit.formatted()} each, the {arn_limit.describe()})",
            _against(quota),
        ),)
    return ToolListFit(value, True, (), unchecked)


__all__ = [
    "MapFit",
    "SessionCreationLimit",
    "StepFit",
    "ToolDefinitionFit",
    "ToolEntry",
    "ToolListFit",
    "Unchecked",
    "WorkflowFit",
    "WorkflowType",
    "map_fit",
    "pipeline_timeout_problems",
    "retry_wait_budget_seconds",
    "state_name_findings",
    "step_fit",
    "tool_agent_findings",
    "tool_definition_fit",
    "tool_list_fit",
    "tool_timeout_findings",
    "workflow_fit",
]
