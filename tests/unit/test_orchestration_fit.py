"""Orchestration fit (planning, no CDK): step timeouts, maps, the workflow type and tools, by example and by property.

Every finding code has a passing and a failing case; the invariants are checked over generated inputs: a step never
takes longer than its timeout plus its retry waits, a default map never opens sessions faster than the quota allows
(unless one item alone does), Express is chosen only when the worst case fits.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.planning.agent_plan import ArtifactKind, InvocationMode, session_creation_quota
from constructs_lib.planning.findings import Severity
from constructs_lib.planning.orchestration import (
    SessionCreationLimit,
    ToolEntry,
    WorkflowType,
    map_fit,
    retry_wait_budget_seconds,
    state_name_findings,
    step_fit,
    tool_agent_findings,
    tool_definition_fit,
    tool_list_fit,
    tool_timeout_findings,
    workflow_fit,
)

OLD, NEW = QuotaCatalog("2026-03"), QuotaCatalog("2026-09")
CATALOGS = st.sampled_from([OLD, NEW])
REGION = "us-east-1"
SYNC = NEW.value(QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT)
ASYNC = NEW.value(QuotaName.ASYNCHRONOUS_JOB_DURATION)
EXPRESS = NEW.value(QuotaName.STEP_FUNCTIONS_EXPRESS_DURATION)
INLINE = int(NEW.value(QuotaName.STEP_FUNCTIONS_INLINE_MAP_CONCURRENCY))
SECONDS = st.floats(min_value=1, max_value=2 * ASYNC, allow_nan=False)


def codes(findings: object) -> list[str]:
    return [f.code for f in findings]  # type: ignore[attr-defined]


def step(**kwargs: object):  # type: ignore[no-untyped-def]
    kwargs.setdefault("step", "Triage")
    kwargs.setdefault("agent", "Stack/Triage")
    kwargs.setdefault("callback", False)
    kwargs.setdefault("mode", InvocationMode.SYNCHRONOUS)
    kwargs.setdefault("mode_limit_seconds", SYNC)
    kwargs.setdefault("longest_task_seconds", None)
    return step_fit(NEW, REGION, **kwargs)  # type: ignore[arg-type]


# -- retry waits --------------------------------------------------------------------------------------------


def test_retry_waits_double_up_to_their_cap() -> None:
    assert retry_wait_budget_seconds(6, 2, 2, 60) == 2 + 4 + 8 + 16 + 32
    assert retry_wait_budget_seconds(9, 2, 2, 60) == 2 + 4 + 8 + 16 + 32 + 60 + 60 + 60
    assert retry_wait_budget_seconds(1, 2, 2, 60) == 0


@given(st.integers(1, 30), st.floats(0.1, 10), st.floats(1, 4), st.floats(1, 300))
def test_retry_waits_grow_with_attempts_and_stay_under_the_cap(
    attempts: int, interval: float, rate: float, cap: float
) -> None:
    budget = retry_wait_budget_seconds(attempts, interval, rate, cap)
    assert budget <= (attempts - 1) * cap + 1e-9
    assert retry_wait_budget_seconds(attempts + 1, interval, rate, cap) >= budget


# -- steps ----------------------------------------------------------------------------------------------------


def test_request_response_step_defaults_to_the_synchronous_limit() -> None:
    fit = step()
    assert fit.timeout_seconds == SYNC and not fit.findings and not fit.unchecked


def test_callback_step_defaults_to_the_agents_mode_limit() -> None:
    fit = step(callback=True, mode=InvocationMode.STREAMING, mode_limit_seconds=3600)
    assert fit.timeout_seconds == 3600


def test_step_timeout_within_the_limit_passes_and_beyond_fails() -> None:
    assert not step(timeout_seconds=SYNC).findings
    fit = step(timeout_seconds=SYNC + 1)
    assert codes(fit.findings) == ["StepTimeoutExceedsInvocationLimit"]
    assert fit.findings[0].severity is Severity.ERROR and "CALLBACK" in fit.findings[0].message
    callback = step(callback=True, mode=InvocationMode.ASYNCHRONOUS, mode_limit_seconds=ASYNC,
                    timeout_seconds=ASYNC + 1)
    assert codes(callback.findings) == ["StepTimeoutExceedsInvocationLimit"]


def test_synchronous_step_of_a_longer_agent_fails() -> None:
    assert not step(longest_task_seconds=SYNC).findings
    fit = step(longest_task_seconds=SYNC + 1, mode=InvocationMode.STREAMING)
    assert codes(fit.findings) == ["SynchronousStepTooLong"]
    # a callback step waits for the token instead
    assert not step(longest_task_seconds=SYNC + 1, callback=True, mode_limit_seconds=3600).findings


def test_heartbeat_must_be_shorter_than_the_timeout() -> None:
    ok = step(callback=True, mode_limit_seconds=ASYNC, timeout_seconds=600, heartbeat_seconds=599)
    assert not ok.findings
    fit = step(callback=True, mode_limit_seconds=ASYNC, timeout_seconds=600, heartbeat_seconds=600)
    assert codes(fit.findings) == ["HeartbeatNotShorterThanTimeout"]


def test_token_timeout_and_heartbeat_are_left_unchecked() -> None:
    fit = step(callback=True, mode_limit_seconds=ASYNC, timeout_known=False, heartbeat_known=False)
    assert fit.timeout_seconds is None and math.isinf(fit.expected_seconds) and not fit.findings
    assert [u.prop for u in fit.unchecked] == ["step Triage: timeout", "step Triage: heartbeat"]
    bounded = step(timeout_known=False, longest_task_seconds=120, retry_wait_seconds=62)
    assert bounded.expected_seconds == 182  # the longest task still bounds the run


@given(
    timeout=st.none() | SECONDS,
    longest=st.none() | SECONDS,
    wait=st.floats(0, 600),
    callback=st.booleans(),
)
def test_step_never_takes_longer_than_its_timeout_plus_its_retry_waits(
    timeout: float | None, longest: float | None, wait: float, callback: bool
) -> None:
    fit = step(callback=callback, mode_limit_seconds=ASYNC, timeout_seconds=timeout, longest_task_seconds=longest,
               retry_wait_seconds=wait)
    assert fit.timeout_seconds is not None
    assert fit.expected_seconds <= fit.timeout_seconds + wait + 1e-6
    assert fit.expected_seconds >= wait
    limit = ASYNC if callback else SYNC
    # an error exactly when the asked timeout exceeds the integration's limit
    assert ("StepTimeoutExceedsInvocationLimit" in codes(fit.findings)) == (timeout is not None and timeout > limit)
    if timeout is None:
        assert fit.timeout_seconds <= limit


def test_state_names_beyond_the_limit_fail() -> None:
    limit = int(NEW.value(QuotaName.STEP_FUNCTIONS_STATE_NAME_LENGTH))
    assert not state_name_findings(NEW, [("S" * limit, "step name")])
    (finding,) = state_name_findings(NEW, [("S" * (limit + 1), "step name 'S'")])
    assert finding.code == "StateNameTooLong" and finding.severity is Severity.ERROR and "step name 'S'" in \
        finding.message


# -- maps -----------------------------------------------------------------------------------------------------


def limits(catalog: QuotaCatalog, *kinds: ArtifactKind) -> list[SessionCreationLimit]:
    return [SessionCreationLimit(f"Stack/{k.value}", session_creation_quota(catalog, REGION, k)) for k in kinds]


def test_default_map_concurrency_is_the_session_creation_rate() -> None:
    fit = map_fit(NEW, REGION, map_name="Map", limits=limits(NEW, ArtifactKind.DIRECT_CODE), item_fan_out=1,
                  item_seconds=60)
    assert fit.max_concurrency == 25 and not fit.findings and fit.fan_out == 25


def test_container_agents_in_2026_03_open_sessions_slowly() -> None:
    fit = map_fit(OLD, REGION, map_name="Map", limits=limits(OLD, ArtifactKind.CONTAINER), item_fan_out=1,
                  item_seconds=60)
    assert fit.max_concurrency == 1  # 100 per minute is 1.67 per second


def test_fan_out_beyond_the_rate_warns_and_within_does_not() -> None:
    within = map_fit(NEW, REGION, map_name="Map", limits=limits(NEW, ArtifactKind.CONTAINER), item_fan_out=1,
                     item_seconds=60, requested_concurrency=25)
    assert not within.findings
    beyond = map_fit(NEW, REGION, map_name="Map", limits=limits(NEW, ArtifactKind.CONTAINER), item_fan_out=1,
                     item_seconds=60, requested_concurrency=26)
    (finding,) = beyond.findings
    assert finding.code == "FanOutExceedsSessionCreationRate" and finding.severity is Severity.WARNING
    assert "max_concurrency=25" in finding.message and "L-8EE2AEA2" in finding.message


def test_unlimited_map_runs_what_step_functions_allows_at_once() -> None:
    fit = map_fit(NEW, REGION, map_name="Map", limits=limits(NEW, ArtifactKind.CONTAINER), item_fan_out=1,
                  item_seconds=10, requested_concurrency=0, expected_items=100)
    assert fit.fan_out == INLINE and codes(fit.findings) == ["FanOutExceedsSessionCreationRate"]
    assert "unlimited" in fit.findings[0].message
    assert fit.expected_seconds == 10 * math.ceil(100 / INLINE)


def test_token_concurrency_is_left_unchecked() -> None:
    fit = map_fit(NEW, REGION, map_name="Map", limits=limits(NEW, ArtifactKind.CONTAINER), item_fan_out=1,
                  item_seconds=10, concurrency_known=False, expected_items=10)
    assert fit.max_concurrency is None and not fit.fan_out_known and not fit.findings
    assert math.isinf(fit.expected_seconds) and [u.prop for u in fit.unchecked] == ["map Map: max_concurrency"]


@given(
    catalog=CATALOGS,
    kinds=st.lists(st.sampled_from(list(ArtifactKind)), min_size=1, max_size=3),
    fan=st.integers(1, 200),
    override=st.none() | st.floats(0.5, 500),
)
def test_default_concurrency_never_opens_sessions_faster_than_the_quota(
    catalog: QuotaCatalog, kinds: list[ArtifactKind], fan: int, override: float | None
) -> None:
    if override is not None:
        catalog = catalog.with_overrides({"session_creation_rate_direct_code": override,
                                          "session_creation_rate_container": override})
    found = limits(catalog, *kinds)
    rate = min(limit.quota.per_second for limit in found)
    fit = map_fit(catalog, REGION, map_name="Map", limits=found, item_fan_out=fan, item_seconds=1)
    assert fit.max_concurrency is not None and 1 <= fit.max_concurrency <= INLINE
    # the default opens at most the rate, unless one item alone opens more (then one item at a time)
    assert fit.fan_out <= rate + 1e-9 or fit.max_concurrency == 1
    assert not fit.findings or fan > rate


@given(requested=st.integers(0, 500), fan=st.integers(1, 50), catalog=CATALOGS)
def test_a_warning_exactly_when_the_requested_fan_out_exceeds_the_rate(
    requested: int, fan: int, catalog: QuotaCatalog
) -> None:
    found = limits(catalog, ArtifactKind.DIRECT_CODE)
    fit = map_fit(catalog, REGION, map_name="Map", limits=found, item_fan_out=fan, item_seconds=1,
                  requested_concurrency=requested)
    running = INLINE if requested == 0 else min(requested, INLINE)
    assert fit.fan_out == running * fan
    assert bool(fit.findings) == (running * fan > found[0].quota.per_second)


# -- workflow type ----------------------------------------------------------------------------------------------


def test_short_pipeline_is_express_and_long_or_callback_is_standard() -> None:
    assert workflow_fit(NEW, REGION, longest_run_seconds=EXPRESS, callback_agents=[]).workflow_type \
        is WorkflowType.EXPRESS
    assert workflow_fit(NEW, REGION, longest_run_seconds=EXPRESS + 1, callback_agents=[]).workflow_type \
        is WorkflowType.STANDARD
    assert workflow_fit(NEW, REGION, longest_run_seconds=1, callback_agents=["A"]).workflow_type \
        is WorkflowType.STANDARD


def test_forced_express_findings() -> None:
    ok = workflow_fit(NEW, REGION, longest_run_seconds=EXPRESS, callback_agents=[], forced=WorkflowType.EXPRESS)
    assert not ok.findings
    assert codes(workflow_fit(NEW, REGION, longest_run_seconds=EXPRESS + 1, callback_agents=[],
                              forced=WorkflowType.EXPRESS).findings) == ["ExpressDurationExceeded"]
    assert codes(workflow_fit(NEW, REGION, longest_run_seconds=1, callback_agents=["Stack/Research"],
                              forced=WorkflowType.EXPRESS).findings) == ["ExpressCannotWaitForCallback"]
    unknown = workflow_fit(NEW, REGION, longest_run_seconds=math.inf, callback_agents=[], forced=WorkflowType.EXPRESS)
    assert codes(unknown.findings) == ["ExpressDurationUnknown"]
    assert unknown.findings[0].severity is Severity.WARNING
    standard = workflow_fit(NEW, REGION, longest_run_seconds=math.inf, callback_agents=["A"],
                            forced=WorkflowType.STANDARD)
    assert standard.workflow_type is WorkflowType.STANDARD and not standard.findings


@given(longest=st.floats(0, 10 * EXPRESS) | st.just(math.inf), callbacks=st.integers(0, 2))
def test_express_only_when_the_worst_case_fits(longest: float, callbacks: int) -> None:
    agents = [f"Stack/A{i}" for i in range(callbacks)]
    fit = workflow_fit(NEW, REGION, longest_run_seconds=longest, callback_agents=agents)
    assert not fit.findings
    assert (fit.workflow_type is WorkflowType.EXPRESS) == (not agents and longest <= EXPRESS)


# -- tools ------------------------------------------------------------------------------------------------------


def test_tool_name_and_description_limits() -> None:
    name_limit = int(NEW.value(QuotaName.BEDROCK_TOOL_NAME_LENGTH))
    text_limit = int(NEW.value(QuotaName.LAMBDA_DESCRIPTION_LENGTH))
    ok = tool_definition_fit(NEW, tool_name="t" * name_limit, description="d" * text_limit)
    assert not ok.findings and ok.function_description == "d" * text_limit
    bad = tool_definition_fit(NEW, tool_name="t" * (name_limit + 1), description="d" * (text_limit + 1))
    assert codes(bad.findings) == ["ToolNameTooLong", "ToolDescriptionTooLong"]
    assert bad.function_description is None  # never truncated
    # a description that goes only to the tool list is not held to Lambda's limit
    assert not tool_definition_fit(NEW, tool_name="t", description="d" * 1000, describes_function=False).findings
    tokens = tool_definition_fit(NEW, tool_name="x", description="y", name_known=False, description_known=False)
    assert [u.prop for u in tokens.unchecked] == ["tool_name", "description"]


def test_tool_timeout_against_lambda_and_the_agent() -> None:
    lambda_limit = NEW.value(QuotaName.LAMBDA_TIMEOUT)
    assert not tool_timeout_findings(NEW, REGION, timeout_seconds=lambda_limit)
    assert codes(tool_timeout_findings(NEW, REGION, timeout_seconds=lambda_limit + 1)) == ["ToolTimeoutTooLong"]
    common = {"tool_name": "t", "agent": "Stack/A", "mode": InvocationMode.SYNCHRONOUS, "mode_limit_seconds": SYNC}
    assert not tool_agent_findings(timeout_seconds=120, longest_task_seconds=120, **common)  # type: ignore[arg-type]
    (finding,) = tool_agent_findings(timeout_seconds=121, longest_task_seconds=120, **common)  # type: ignore[arg-type]
    assert finding.code == "ToolTimeoutExceedsInvocationMode" and finding.severity is Severity.WARNING
    assert codes(tool_agent_findings(timeout_seconds=SYNC + 1, longest_task_seconds=None, **common)) == [  # type: ignore[arg-type]
        "ToolTimeoutExceedsInvocationMode"
    ]


def entries(count: int, description: int, *, known: bool) -> list[ToolEntry]:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:tool"
    return [ToolEntry(f"tool_{i}", arn if known else "${Token[TOKEN.1]}", "d" * description, arn_known=known)
            for i in range(count)]


def test_tool_list_fits_or_is_too_long() -> None:
    fit = tool_list_fit(NEW, variable="AGENT_TOOLS", agent="Stack/A", tool_name="t", entries=entries(2, 50, known=True))
    assert fit.fits and not fit.findings and not fit.unchecked
    assert fit.value.startswith('[{"name":"tool_0","arn":"arn:aws:lambda:')
    long = tool_list_fit(NEW, variable="AGENT_TOOLS", agent="Stack/A", tool_name="t",
                         entries=entries(10, 250, known=True))
    assert not long.fits and codes(long.findings) == ["ToolListTooLong"]


def test_token_arns_leave_the_tool_list_length_open_until_it_is_certain() -> None:
    open_ = tool_list_fit(NEW, variable="AGENT_TOOLS", agent="Stack/A", tool_name="t",
                          entries=entries(8, 150, known=False))
    assert open_.fits and not open_.findings and len(open_.unchecked) == 1
    certain = tool_list_fit(NEW, variable="AGENT_TOOLS", agent="Stack/A", tool_name="t",
                            entries=entries(10, 250, known=False))
    assert codes(certain.findings) == ["ToolListTooLong"]


@given(count=st.integers(1, 20), description=st.integers(1, 400), known=st.booleans())
def test_tool_list_is_an_error_only_when_it_certainly_does_not_fit(count: int, description: int, known: bool) -> None:
    found = entries(count, description, known=known)
    fit = tool_list_fit(NEW, variable="AGENT_TOOLS", agent="Stack/A", tool_name="t", entries=found)
    limit = NEW.value(QuotaName.ENVIRONMENT_VARIABLE_VALUE_LENGTH)
    arn_limit = NEW.value(QuotaName.LAMBDA_FUNCTION_ARN_LENGTH)
    without_arns = len(fit.value) - sum(len(e.arn) for e in found)
    if known:
        assert fit.fits == (len(fit.value) <= limit) and not fit.unchecked
    else:
        assert fit.fits == (without_arns <= limit)
        assert bool(fit.unchecked) == (fit.fits and without_arns + count * arn_limit > limit)


@pytest.mark.parametrize("catalog", [OLD, NEW])
def test_catalog_rows_for_orchestration_are_hard_limits(catalog: QuotaCatalog) -> None:
    for name in (
        QuotaName.BEDROCK_TOOL_NAME_LENGTH, QuotaName.LAMBDA_DESCRIPTION_LENGTH, QuotaName.LAMBDA_FUNCTION_ARN_LENGTH,
        QuotaName.STEP_FUNCTIONS_STATE_NAME_LENGTH, QuotaName.STEP_FUNCTIONS_INLINE_MAP_CONCURRENCY,
    ):
        assert not catalog.get(name).adjustable
