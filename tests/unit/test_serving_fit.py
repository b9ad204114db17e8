"""The serving fit (planning/serving.py): every front-door limit decision, property-based, without a synth.

Each finding code has a passing and a failing case; the invariants hold for any workload, edition and approved
increase: a proxy's read timeout is always below its deadline, ``POST /jobs`` is never throttled above the
session-creation capacity, and a proxy never runs longer than Lambda allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.planning.agent_plan import CapacityPlan, InvocationMode
from constructs_lib.planning.findings import Finding, Severity
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.planning.serving import (
    BASE64_GROWTH,
    PROXY_ANSWER_MARGIN_SECONDS,
    Throttle,
    buffered_limit,
    connection_record_findings,
    default_staged_object_bytes,
    job_record_findings,
    read_timeout_seconds,
    response_limit,
    rest_fit,
    rest_inline_limit,
    rest_needs_streaming,
    rest_staging_required,
    staging_findings,
    stream_limit,
    websocket_fit,
    websocket_inline_limit,
)

REGION = "us-east-1"
CATALOGS = {edition: QuotaCatalog(edition) for edition in ("2026-03", "2026-09")}
NEW = CATALOGS["2026-09"]
KIB = 1024
MIB = 1024 * KIB
#: What a facade asks for when the user leaves the throttle to the plan.
UNLIMITED = Throttle(None, None)


@dataclass(frozen=True)
class Bytes:
    """A size (the planner takes anything with ``to_bytes()``, as ``aws_cdk.Size`` has)."""

    value: float

    def to_bytes(self) -> float:
        return self.value


def q(name: QuotaName, catalog: QuotaCatalog = NEW) -> float:
    return catalog.value(name, REGION)


def derive(catalog: QuotaCatalog = NEW, **workload: object) -> CapacityPlan:
    return CapacityPlan.derive(WorkloadProfile(**workload), catalog=catalog, region=REGION)  # type: ignore[arg-type]


def codes(findings: tuple[Finding, ...] | list[Finding], severity: Severity | None = None) -> list[str]:
    return [f.code for f in findings if severity is None or f.severity is severity]


def plan_throttle(plan: CapacityPlan) -> Throttle:
    return Throttle(plan.api_throttle_rate, plan.api_throttle_burst)


catalogs = st.sampled_from(sorted(CATALOGS)).map(CATALOGS.__getitem__)
task_seconds = st.integers(min_value=1, max_value=8 * 3600)
rates = st.floats(min_value=0.1, max_value=5000, allow_nan=False)
bursts = st.integers(min_value=1, max_value=10_000)


# -- read timeout --------------------------------------------------------------------------------------


@given(st.floats(min_value=0.001, max_value=100_000, allow_nan=False))
def test_the_read_timeout_is_always_positive_and_below_the_deadline(deadline: float) -> None:
    read = read_timeout_seconds(deadline)
    assert 0 < read < deadline


def test_the_read_timeout_keeps_the_margin_when_the_deadline_allows() -> None:
    assert read_timeout_seconds(29) == 29 - PROXY_ANSWER_MARGIN_SECONDS


# -- REST: timeouts ------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    catalog=catalogs,
    task=st.one_of(st.none(), task_seconds),
    streaming=st.one_of(st.none(), st.booleans()),
    integration_override=st.one_of(st.none(), st.floats(min_value=1, max_value=3600, allow_nan=False)),
)
def test_rest_timeouts_fit_lambda_and_api_gateway(
    catalog: QuotaCatalog, task: int | None, streaming: bool | None, integration_override: float | None
) -> None:
    # GIVEN any workload, edition and approved integration timeout increase
    if integration_override is not None:
        catalog = catalog.with_overrides({"api_gateway_integration_timeout": integration_override})
    plan = derive(catalog, longest_task=None if task is None else timedelta(seconds=task))
    fit = rest_fit(plan, catalog, REGION, throttle=plan_throttle(plan), streaming=streaming)
    # THEN the proxy never runs longer than Lambda allows, the integration waits as long as the proxy runs, and the
    # AgentCore read timeout stays below both
    assert fit.proxy_timeout_seconds <= q(QuotaName.LAMBDA_TIMEOUT, catalog)
    assert fit.integration_timeout_seconds == fit.proxy_timeout_seconds
    assert 0 < fit.read_timeout_seconds < fit.integration_timeout_seconds
    if fit.streaming:
        assert fit.proxy_timeout_seconds <= q(QuotaName.API_GATEWAY_STREAMING_DURATION, catalog)
    else:
        assert fit.proxy_timeout_seconds <= catalog.value(QuotaName.API_GATEWAY_INTEGRATION_TIMEOUT, REGION)
    # AND a buffered POST /invoke fails synthesis exactly when the longest task outlasts it
    buffered = buffered_limit(catalog, REGION).value
    outlasts = fit.invoke_route and not fit.streaming and task is not None and task > buffered
    assert ("TaskExceedsIntegrationTimeout" in codes(fit.findings, Severity.ERROR)) is outlasts


def test_task_exceeds_integration_timeout_fails_and_names_the_ways_out() -> None:
    plan = derive(longest_task=timedelta(minutes=5))
    fit = rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan))
    (error,) = [f for f in fit.findings if f.severity is Severity.ERROR]
    assert error.code == "TaskExceedsIntegrationTimeout"
    assert "POST /jobs" in error.message and "streaming=True" in error.message and "L-E5AE38E3" in error.message


def test_a_task_within_the_integration_timeout_passes() -> None:
    seconds = q(QuotaName.API_GATEWAY_INTEGRATION_TIMEOUT)
    plan = derive(longest_task=timedelta(seconds=seconds))
    assert codes(rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan)).findings) == []


def test_without_the_invoke_route_a_long_task_is_not_an_error() -> None:
    plan = derive(longest_task=timedelta(minutes=5))
    fit = rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan), jobs=True, invoke_route=False)
    assert codes(fit.findings) == []


def test_an_approved_integration_timeout_increase_is_used_up_to_lambdas_timeout() -> None:
    raised = NEW.with_overrides({"api_gateway_integration_timeout": 3600})
    plan = derive(raised, longest_task=timedelta(minutes=10))
    fit = rest_fit(plan, raised, REGION, throttle=plan_throttle(plan))
    assert fit.proxy_timeout_seconds == q(QuotaName.LAMBDA_TIMEOUT)
    assert codes(fit.findings) == []


@pytest.mark.parametrize(("task", "warned"), [(timedelta(minutes=15), False), (timedelta(minutes=40), True)])
def test_stream_exceeds_proxy_timeout_warns_beyond_the_stream_limit(task: timedelta, warned: bool) -> None:
    plan = derive(longest_task=task)
    fit = rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan), streaming=True)
    assert fit.streaming and fit.proxy_timeout_seconds == stream_limit(NEW, REGION).value
    assert ("StreamExceedsProxyTimeout" in codes(fit.findings, Severity.WARNING)) is warned


def test_modes_choose_the_routes() -> None:
    asynchronous = derive(longest_task=timedelta(hours=3))
    fit = rest_fit(asynchronous, NEW, REGION, throttle=plan_throttle(asynchronous))
    assert (fit.jobs, fit.invoke_route, fit.streaming) == (True, False, False)
    streaming = derive(longest_task=timedelta(minutes=40))
    fit = rest_fit(streaming, NEW, REGION, throttle=plan_throttle(streaming))
    assert (fit.jobs, fit.invoke_route, fit.streaming) == (False, True, True)


@settings(max_examples=40, deadline=None)
@given(catalog=catalogs, task=task_seconds)
def test_streaming_is_needed_exactly_when_a_synchronous_task_outlasts_a_buffered_answer(
    catalog: QuotaCatalog, task: int
) -> None:
    plan = derive(catalog, longest_task=timedelta(seconds=task))
    needed = rest_needs_streaming(plan, catalog, REGION)
    assert needed is (plan.mode is InvocationMode.SYNCHRONOUS and task > buffered_limit(catalog, REGION).value)
    if needed:
        # the platform's way out: a stream carries it without an error
        fit = rest_fit(plan, catalog, REGION, throttle=plan_throttle(plan), streaming=True)
        assert codes(fit.findings, Severity.ERROR) == []


# -- REST: throttles -----------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(catalog=catalogs, rate=rates, burst=bursts, kind=st.sampled_from(["container", "direct_code"]))
def test_jobs_throttle_never_exceeds_the_session_creation_capacity(
    catalog: QuotaCatalog, rate: float, burst: int, kind: str
) -> None:
    from constructs_lib.planning.agent_plan import ArtifactFacts, ArtifactKind

    plan = CapacityPlan.derive(
        WorkloadProfile(longest_task=timedelta(hours=2)), catalog=catalog, region=REGION,
        artifact=ArtifactFacts(kind=ArtifactKind(kind)),
    )
    fit = rest_fit(plan, catalog, REGION, throttle=Throttle(rate, burst))
    sessions = plan.session_creation_capacity_per_second
    jobs = fit.jobs_throttle
    assert jobs.rate_limit is not None and jobs.burst_limit is not None
    assert jobs.rate_limit <= sessions and jobs.rate_limit <= rate
    assert 1 <= jobs.burst_limit <= max(1, math.floor(sessions)) and jobs.burst_limit <= burst


def test_a_token_throttle_leaves_the_jobs_throttle_to_the_stage() -> None:
    plan = derive(longest_task=timedelta(hours=2))
    fit = rest_fit(plan, NEW, REGION, throttle=UNLIMITED)
    assert fit.jobs_throttle == Throttle(None, None)
    assert "ThrottleAboveInvokeQuota" not in codes(fit.findings)


@settings(max_examples=60, deadline=None)
@given(catalog=catalogs, rate=rates, burst=bursts)
def test_throttles_above_the_invoke_capacity_warn(catalog: QuotaCatalog, rate: float, burst: int) -> None:
    plan = derive(catalog)
    fit = rest_fit(plan, catalog, REGION, throttle=Throttle(rate, burst))
    warned = [f for f in fit.findings if f.code == "ThrottleAboveInvokeQuota"]
    capacity = plan.invoke_capacity_per_second
    assert len(warned) == (rate > capacity) + (burst > capacity)
    assert all(f.severity is Severity.WARNING and f.limit == capacity for f in warned)


def test_the_plans_own_throttle_draws_no_warning() -> None:
    plan = derive(peak_requests_per_second=40)
    assert codes(rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan)).findings) == []


# -- payload staging on both front doors ----------------------------------------------------------------


@pytest.mark.parametrize(("staging", "expected"), [(False, Severity.ERROR), (True, Severity.INFO)])
def test_rest_payloads_above_the_smallest_limit_on_the_path_need_staging(staging: bool, expected: Severity) -> None:
    plan = derive(max_payload=Bytes(rest_inline_limit(NEW, REGION).bytes + 1))
    fit = rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan), staging=staging)
    (finding,) = fit.findings
    assert finding.severity is expected
    assert finding.code == ("PayloadStagingRequired" if expected is Severity.ERROR else "PayloadStagingInUse")


def test_rest_payloads_that_fit_inline_need_no_staging() -> None:
    plan = derive(max_payload=Bytes(rest_inline_limit(NEW, REGION).bytes))
    assert codes(rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan)).findings) == []


@settings(max_examples=60, deadline=None)
@given(payload=st.integers(min_value=1, max_value=100 * MIB))
def test_the_inline_limit_of_a_rest_facade_is_the_smallest_limit_on_its_path(payload: int) -> None:
    # GIVEN any payload size
    plan = derive(max_payload=Bytes(payload))
    limit = rest_inline_limit(NEW, REGION)
    # THEN the limit is neither above API Gateway's payload size nor above what Lambda takes base64-encoded
    assert limit.bytes <= q(QuotaName.API_GATEWAY_PAYLOAD)
    assert limit.bytes <= q(QuotaName.LAMBDA_SYNC_REQUEST_PAYLOAD) / BASE64_GROWTH
    # AND staging is required exactly above it, and the proxy refuses exactly what is above it
    assert rest_staging_required(plan, NEW, REGION) is (payload > limit.bytes)
    fit = rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan))
    assert fit.max_request_bytes == int(limit.bytes)
    assert ("PayloadStagingRequired" in codes(fit.findings)) is (payload > limit.bytes)


@settings(max_examples=60, deadline=None)
@given(answer=st.integers(min_value=1, max_value=100 * MIB), staging=st.booleans(), streaming=st.booleans())
def test_buffered_answers_above_lambdas_response_payload_warn_without_staging(
    answer: int, staging: bool, streaming: bool
) -> None:
    plan = derive(max_response=Bytes(answer))
    fit = rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan), staging=staging, streaming=streaming)
    above = answer > response_limit(NEW, REGION).bytes
    expected = [] if streaming or not above else ["AnswerStagingInUse" if staging else "AnswerExceedsLambdaResponse"]
    assert [c for c in codes(fit.findings) if c.startswith("Answer")] == expected
    assert fit.max_response_bytes == q(QuotaName.LAMBDA_SYNC_RESPONSE_PAYLOAD)


def test_streams_keep_alive_within_api_gateways_idle_timeout() -> None:
    plan = derive()
    streamed = rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan), streaming=True)
    buffered = rest_fit(plan, NEW, REGION, throttle=plan_throttle(plan), streaming=False)
    assert streamed.stream_keepalive_seconds is not None
    assert 0 < streamed.stream_keepalive_seconds < q(QuotaName.API_GATEWAY_STREAM_IDLE_TIMEOUT_REGIONAL)
    assert buffered.stream_keepalive_seconds is None
    assert streamed.answer_margin_seconds < streamed.proxy_timeout_seconds


@settings(max_examples=60, deadline=None)
@given(payload=st.integers(min_value=1, max_value=100 * MIB), staging=st.booleans())
def test_websocket_payloads_above_a_message_need_staging(payload: int, staging: bool) -> None:
    plan = derive(max_payload=Bytes(payload))
    fit = websocket_fit(plan, NEW, REGION, throttle=plan_throttle(plan), staging=staging)
    above = payload > q(QuotaName.API_GATEWAY_WEBSOCKET_MESSAGE_SIZE)
    assert ("PayloadStagingRequired" in codes(fit.findings, Severity.ERROR)) is (above and not staging)
    assert ("PayloadStagingInUse" in codes(fit.findings, Severity.INFO)) is (above and staging)


# -- WebSocket -----------------------------------------------------------------------------------------


def test_the_route_proxy_fits_the_websocket_integration_timeout_and_hands_off_messages_that_fit() -> None:
    plan = derive()
    fit = websocket_fit(plan, NEW, REGION, throttle=plan_throttle(plan))
    assert fit.proxy_timeout_seconds <= q(QuotaName.API_GATEWAY_WEBSOCKET_INTEGRATION_TIMEOUT)
    limit = websocket_inline_limit(NEW, REGION)
    assert fit.max_message_bytes == int(limit.bytes) <= q(QuotaName.API_GATEWAY_WEBSOCKET_MESSAGE_SIZE)
    assert limit.bytes <= q(QuotaName.LAMBDA_ASYNC_PAYLOAD) / BASE64_GROWTH
    assert fit.answer_margin_seconds < fit.relay_timeout_seconds


@settings(max_examples=60, deadline=None)
@given(catalog=catalogs, task=st.one_of(st.none(), task_seconds))
def test_the_relay_fits_lambda_and_its_read_timeout_stays_below(catalog: QuotaCatalog, task: int | None) -> None:
    plan = derive(catalog, longest_task=None if task is None else timedelta(seconds=task))
    fit = websocket_fit(plan, catalog, REGION, throttle=plan_throttle(plan))
    assert fit.relay_timeout_seconds <= q(QuotaName.LAMBDA_TIMEOUT, catalog)
    assert 0 < fit.read_timeout_seconds < fit.relay_timeout_seconds
    assert fit.frame_bytes == q(QuotaName.API_GATEWAY_WEBSOCKET_FRAME_SIZE, catalog)
    relay_too_short = (plan.mode is not InvocationMode.ASYNCHRONOUS and task is not None
                       and task > q(QuotaName.LAMBDA_TIMEOUT, catalog))
    assert ("WebSocketRelayTimeout" in codes(fit.findings, Severity.ERROR)) is relay_too_short


@pytest.mark.parametrize(("task", "fails"), [
    (timedelta(minutes=15), False), (timedelta(minutes=40), True), (timedelta(hours=3), False),
])
def test_websocket_relay_timeout(task: timedelta, fails: bool) -> None:
    plan = derive(longest_task=task)
    fit = websocket_fit(plan, NEW, REGION, throttle=plan_throttle(plan))
    assert ("WebSocketRelayTimeout" in codes(fit.findings)) is fails


@settings(max_examples=60, deadline=None)
@given(catalog=catalogs, frame=st.integers(min_value=1, max_value=64 * KIB))
def test_frames_above_api_gateways_frame_size_fail(catalog: QuotaCatalog, frame: int) -> None:
    plan = derive(catalog, websocket_frame_size=Bytes(frame))
    fit = websocket_fit(plan, catalog, REGION, throttle=plan_throttle(plan))
    above = frame > q(QuotaName.API_GATEWAY_WEBSOCKET_FRAME_SIZE, catalog)
    assert ("WebSocketFrameExceedsApiGateway" in codes(fit.findings, Severity.ERROR)) is above


@settings(max_examples=60, deadline=None)
@given(frames=st.floats(min_value=0.1, max_value=250, allow_nan=False), rate=rates)
def test_a_frame_rate_above_the_stage_throttle_warns(frames: float, rate: float) -> None:
    plan = derive(websocket_frames_per_second=frames)
    fit = websocket_fit(plan, NEW, REGION, throttle=Throttle(rate, plan.api_throttle_burst))
    assert ("WebSocketFrameRateAboveStageThrottle" in codes(fit.findings, Severity.WARNING)) is (frames > rate)


def test_a_token_stage_throttle_is_not_compared_with_the_frame_rate() -> None:
    plan = derive(websocket_frames_per_second=100)
    fit = websocket_fit(plan, NEW, REGION, throttle=UNLIMITED)
    assert codes(fit.findings) == []


def test_websocket_throttle_above_the_plan_warns_like_rest() -> None:
    plan = derive(peak_requests_per_second=20)
    above = websocket_fit(plan, NEW, REGION, throttle=Throttle(5000, 5000))
    assert codes(above.findings) == ["ThrottleAboveInvokeQuota", "ThrottleAboveInvokeQuota"]
    assert codes(websocket_fit(plan, NEW, REGION, throttle=plan_throttle(plan)).findings) == []


# -- records and staging ---------------------------------------------------------------------------------


@given(ttl=st.floats(min_value=1, max_value=30 * 86400, allow_nan=False))
def test_job_records_must_outlive_the_longest_job(ttl: float) -> None:
    failed = codes(job_record_findings(NEW, REGION, ttl)) == ["JobTimeToLiveTooShort"]
    assert failed is (ttl < q(QuotaName.ASYNCHRONOUS_JOB_DURATION))


@given(ttl=st.floats(min_value=1, max_value=30 * 86400, allow_nan=False))
def test_connection_records_must_outlive_the_connection(ttl: float) -> None:
    failed = codes(connection_record_findings(NEW, REGION, ttl)) == ["ConnectionRecordTtlTooShort"]
    assert failed is (ttl < q(QuotaName.API_GATEWAY_WEBSOCKET_CONNECTION_DURATION))


def test_the_default_connection_record_ttl_passes() -> None:
    plan = derive()
    default = websocket_fit(plan, NEW, REGION, throttle=plan_throttle(plan)).default_connection_record_ttl_seconds
    assert connection_record_findings(NEW, REGION, default) == []


def test_token_record_lifetimes_are_not_checked() -> None:
    assert job_record_findings(NEW, REGION, None) == []
    assert connection_record_findings(NEW, REGION, None) == []


@settings(max_examples=60, deadline=None)
@given(
    url=st.one_of(st.none(), st.floats(min_value=1, max_value=30 * 86400, allow_nan=False)),
    size=st.one_of(st.none(), st.floats(min_value=1, max_value=1024 * MIB, allow_nan=False)),
)
def test_staging_hard_limits(url: float | None, size: float | None) -> None:
    found = codes(staging_findings(NEW, REGION, url_expiry_seconds=url, max_object_bytes=size), Severity.ERROR)
    assert ("StagingUrlExpiryTooLong" in found) is (url is not None and url > q(QuotaName.S3_PRESIGNED_URL_EXPIRY))
    assert ("StagedObjectTooLarge" in found) is (size is not None and size > q(QuotaName.REQUEST_PAYLOAD))


def test_the_default_staged_object_size_is_the_request_payload_quota_and_passes() -> None:
    default = default_staged_object_bytes(NEW, REGION)
    assert default == q(QuotaName.REQUEST_PAYLOAD)
    assert staging_findings(NEW, REGION, url_expiry_seconds=None, max_object_bytes=default) == []


# -- every finding is worded the library's way --------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(catalog=catalogs, task=task_seconds, payload=st.integers(min_value=1, max_value=100 * MIB),
       frame=st.integers(min_value=1, max_value=32 * KIB), rate=rates)
def test_every_finding_has_a_code_and_says_what_was_asked(
    catalog: QuotaCatalog, task: int, payload: int, frame: int, rate: float
) -> None:
    plan = derive(catalog, longest_task=timedelta(seconds=task), max_payload=Bytes(payload),
                  websocket_frame_size=Bytes(frame))
    assume(not plan.errors)
    throttle = Throttle(rate, plan.api_throttle_burst)
    findings = [*rest_fit(plan, catalog, REGION, throttle=throttle).findings,
                *websocket_fit(plan, catalog, REGION, throttle=throttle).findings]
    for finding in findings:
        assert finding.code and finding.code[0].isupper() and " " not in finding.code
        assert finding.render().startswith(f"[{finding.code}] ")
        assert finding.asked is not None and finding.limit is not None
