"""Capacity planning: modes, lifecycle, endpoints, shares and findings, example-based and property-based."""

from __future__ import annotations

import math
from datetime import timedelta

import aws_cdk as cdk
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.catalog import SERVICE_DEFAULTS, QuotaCatalog, QuotaEdition, QuotaName
from constructs_lib.planning.agent_plan import (
    ARTIFACT_KIND_UNKNOWN,
    KNOWN_ARTIFACT_KINDS,
    RUNTIME_LIFECYCLE_ASSUMED,
    VERSION_PROJECTION_DAYS,
    ArtifactFacts,
    ArtifactKind,
    CapacityPlan,
    InvocationMode,
    LifecycleRequest,
    RateModel,
)
from constructs_lib.planning.findings import Severity
from constructs_lib.planning.profile import WorkloadProfile

MIB = 1024 * 1024
OLD, NEW = QuotaCatalog("2026-03"), QuotaCatalog("2026-09")


def plan(profile: WorkloadProfile | None = None, **kwargs: object) -> CapacityPlan:
    kwargs.setdefault("region", "us-east-1")
    return CapacityPlan.derive(profile, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("task", "mode"),
    [
        (None, InvocationMode.SYNCHRONOUS),
        (timedelta(minutes=15), InvocationMode.SYNCHRONOUS),
        (timedelta(minutes=15, seconds=1), InvocationMode.STREAMING),
        (timedelta(minutes=60), InvocationMode.STREAMING),
        (timedelta(minutes=61), InvocationMode.ASYNCHRONOUS),
        (timedelta(hours=8), InvocationMode.ASYNCHRONOUS),
    ],
)
def test_mode_follows_the_longest_task(task: timedelta | None, mode: InvocationMode) -> None:
    result = plan(WorkloadProfile(longest_task=task))
    assert result.mode is mode
    assert not result.errors


def test_accepts_cdk_duration_and_size() -> None:
    result = plan(WorkloadProfile(longest_task=cdk.Duration.minutes(40), max_payload=cdk.Size.mebibytes(20)))
    assert result.mode is InvocationMode.STREAMING
    assert result.payload_staging_required
    assert result.finding("PayloadStagingRequired").severity is Severity.INFO  # type: ignore[union-attr]


def test_fails_when_task_exceeds_eight_hours_naming_the_ways_out() -> None:
    result = plan(WorkloadProfile(longest_task=timedelta(hours=9)))
    error = result.finding("TaskTooLong")
    assert error is not None and error.severity is Severity.ERROR
    for way_out in ("Instances compute", "capacity provider", "Amazon ECS", "Amazon EKS", "asynchronous job duration"):
        assert way_out in error.message


@pytest.mark.parametrize(
    ("profile", "code"),
    [
        (WorkloadProfile(vcpus_per_session=4), "SessionHardwareExceeded"),
        (WorkloadProfile(memory_per_session=cdk.Size.gibibytes(16)), "SessionHardwareExceeded"),
        (WorkloadProfile(max_payload=cdk.Size.mebibytes(101)), "PayloadTooLarge"),
        (WorkloadProfile(streaming_chunk=cdk.Size.mebibytes(11)), "StreamingChunkTooLarge"),
        (WorkloadProfile(websocket_frame_size=cdk.Size.kibibytes(65)), "WebSocketFrameTooLarge"),
        (WorkloadProfile(websocket_frames_per_second=251), "WebSocketFrameRateTooHigh"),
    ],
)
def test_each_hard_limit_crossing_is_an_error(profile: WorkloadProfile, code: str) -> None:
    finding = plan(profile).finding(code)
    assert finding is not None and finding.severity is Severity.ERROR
    assert "hard limit" in finding.message and "edition 2026-09" in finding.message


@pytest.mark.parametrize(
    "profile",
    [
        WorkloadProfile(vcpus_per_session=2, memory_per_session=cdk.Size.gibibytes(8)),
        WorkloadProfile(max_payload=cdk.Size.mebibytes(100), streaming_chunk=cdk.Size.mebibytes(10)),
        WorkloadProfile(websocket_frame_size=cdk.Size.kibibytes(64), websocket_frames_per_second=250),
    ],
)
def test_values_at_the_limit_pass(profile: WorkloadProfile) -> None:
    assert not plan(profile).errors


def test_hardware_error_names_instances_compute_ecs_and_eks() -> None:
    message = plan(WorkloadProfile(vcpus_per_session=4)).errors[0].message
    assert "4 vCPU exceeds 2 vCPU" in message
    assert "Instances compute" in message and "Amazon ECS" in message and "Amazon EKS" in message


def test_frame_size_depends_on_edition() -> None:
    profile = WorkloadProfile(websocket_frame_size=cdk.Size.kibibytes(48))
    assert plan(profile, catalog=OLD).finding("WebSocketFrameTooLarge") is not None
    assert plan(profile, catalog=NEW).finding("WebSocketFrameTooLarge") is None


def test_code_and_image_size_limits() -> None:
    too_big = ArtifactFacts(ArtifactKind.DIRECT_CODE, code_zipped_bytes=251 * MIB, code_unzipped_bytes=751 * MIB)
    codes = [f.code for f in plan(artifact=too_big).errors]
    assert codes == ["CodePackageTooLarge", "CodePackageTooLarge"]
    fits = ArtifactFacts(ArtifactKind.DIRECT_CODE, code_zipped_bytes=250 * MIB, code_unzipped_bytes=750 * MIB)
    assert not plan(artifact=fits).errors
    image = ArtifactFacts(ArtifactKind.CONTAINER, image_size_bytes=3 * 1024 * MIB)
    assert plan(artifact=image).finding("ContainerImageTooLarge") is not None


def test_2026_03_scales_by_endpoints() -> None:
    result = plan(WorkloadProfile(peak_requests_per_second=60), catalog=OLD)
    assert result.rate_model is RateModel.PER_ENDPOINT
    assert result.endpoints_for_throughput == 3
    assert result.endpoint_count == 3
    assert result.invoke_capacity_per_second == 75
    assert not result.warnings


def test_2026_03_beyond_ten_endpoints_warns_with_quota_codes() -> None:
    result = plan(WorkloadProfile(peak_requests_per_second=300), catalog=OLD)
    warning = result.finding("InvokeRateExceedsEndpointCapacity")
    assert warning is not None and warning.severity is Severity.WARNING
    assert "L-46ED137C" in warning.message and "request a quota increase" in warning.message
    assert result.invoke_capacity_per_second == 250  # capped at the endpoints quota


def test_2026_03_override_of_endpoint_quota_removes_the_warning() -> None:
    catalog = QuotaCatalog("2026-03", overrides={"endpoints_per_agent": 12})
    result = plan(WorkloadProfile(peak_requests_per_second=300), catalog=catalog)
    assert result.endpoint_count == 12
    assert not result.warnings


def test_2026_09_uses_the_account_pool() -> None:
    result = plan(WorkloadProfile(peak_requests_per_second=300), catalog=NEW)
    assert result.rate_model is RateModel.ACCOUNT_POOL
    assert result.endpoint_count == 1
    assert result.invoke_capacity_per_second == 1000
    assert result.invoke_share == pytest.approx(0.3)
    over = plan(WorkloadProfile(peak_requests_per_second=1500), catalog=NEW).finding("InvokeRateExceedsAccountPool")
    assert over is not None and "shared by every agent" in over.message


def test_approved_override_is_named_in_the_warning() -> None:
    catalog = QuotaCatalog(overrides={"invoke_rate": 1200})
    warning = plan(WorkloadProfile(peak_requests_per_second=1500), catalog=catalog).warnings[0]
    assert "approved override 1,200 TPS in use" in warning.message


def test_too_many_endpoints_is_a_warning() -> None:
    result = plan(WorkloadProfile(endpoints=11))
    finding = result.finding("TooManyEndpoints")
    assert finding is not None and finding.severity is Severity.WARNING and "L-9B442722" in finding.message


def test_session_share_and_region() -> None:
    assert plan(WorkloadProfile(peak_concurrent_sessions=500)).session_share == pytest.approx(0.1)
    eu = plan(WorkloadProfile(peak_concurrent_sessions=500), region="eu-west-1")
    assert eu.active_session_capacity == 2500 and eu.session_share == pytest.approx(0.2)
    over = plan(WorkloadProfile(peak_concurrent_sessions=3000), region="eu-west-1")
    assert over.finding("ActiveSessionsExceeded") is not None
    assert plan(WorkloadProfile(peak_concurrent_sessions=3000), region="us-east-1").finding(
        "ActiveSessionsExceeded") is None


def test_unknown_region_warns_and_uses_the_smallest_value() -> None:
    result = plan(WorkloadProfile(peak_concurrent_sessions=3000), region=None)
    assert result.finding("RegionUnknown") is not None
    assert result.active_session_capacity == 2500
    assert result.finding("ActiveSessionsExceeded") is not None


def test_session_creation_rate_depends_on_artifact_in_2026_03() -> None:
    profile = WorkloadProfile(new_sessions_per_second=5)
    container = plan(profile, catalog=OLD, artifact=ArtifactFacts(ArtifactKind.CONTAINER))
    code = plan(profile, catalog=OLD, artifact=ArtifactFacts(ArtifactKind.DIRECT_CODE))
    assert container.finding("SessionCreationRateExceeded") is not None
    assert code.finding("SessionCreationRateExceeded") is None


def test_lifecycle_fits_the_mode() -> None:
    sync = plan(WorkloadProfile(longest_task=timedelta(minutes=5)))
    assert (sync.idle_runtime_session_timeout_seconds, sync.max_lifetime_seconds) == (900, 28800)
    asynchronous = plan(WorkloadProfile(longest_task=timedelta(hours=3)))
    assert asynchronous.max_lifetime_seconds == OLD.value(QuotaName.ASYNCHRONOUS_JOB_DURATION)


def test_lifecycle_request_is_checked() -> None:
    short = plan(WorkloadProfile(longest_task=timedelta(hours=3)),
                 lifecycle=LifecycleRequest(max_lifetime_seconds=3600))
    assert short.finding("MaxLifetimeBelowLongestTask") is not None
    low = plan(lifecycle=LifecycleRequest(idle_runtime_session_timeout_seconds=30))
    assert low.finding("LifecycleOutOfRange") is not None
    high = plan(lifecycle=LifecycleRequest(max_lifetime_seconds=9 * 3600))
    assert high.finding("LifecycleOutOfRange") is not None
    inverted = plan(lifecycle=LifecycleRequest(idle_runtime_session_timeout_seconds=7200, max_lifetime_seconds=3600))
    assert inverted.finding("LifecycleOutOfRange") is not None
    fine = plan(lifecycle=LifecycleRequest(idle_runtime_session_timeout_seconds=120, max_lifetime_seconds=3600))
    assert not fine.errors
    assert (fine.idle_runtime_session_timeout_seconds, fine.max_lifetime_seconds) == (120, 3600)


def test_versions_quota_projection_without_automatic_deletion() -> None:
    # GIVEN edition 2026-09, whose quotas page states no deletion of inactive versions
    # WHEN an agent is deployed 1,200 times a year THEN it is warned that it fills the 1,000 versions within the year
    finding = plan(WorkloadProfile(deployments_per_day=1200 / 365)).finding("VersionsQuotaAtRisk")
    assert finding is not None and finding.severity is Severity.WARNING
    assert "reaches the quota in 304 days" in finding.message and "AgentVersionArchive" in finding.message
    assert "L-61A3A6D8" in finding.message
    # and 900 a year stays quiet: the quota lasts longer than the horizon
    assert plan(WorkloadProfile(deployments_per_day=900 / 365)).finding("VersionsQuotaAtRisk") is None


def test_versions_quota_projection_within_the_2026_03_deletion_window() -> None:
    old = QuotaCatalog(QuotaEdition.E2026_03)
    assert plan(WorkloadProfile(deployments_per_day=30), catalog=old).finding("VersionsQuotaAtRisk") is not None
    # 5 a day over the 45-day window is 225 versions: inactive ones are deleted before the quota fills
    assert plan(WorkloadProfile(deployments_per_day=5), catalog=old).finding("VersionsQuotaAtRisk") is None
    assert not QuotaCatalog().has(QuotaName.INACTIVE_VERSION_RETENTION)


@given(st.floats(min_value=0.01, max_value=1000, allow_nan=False))
def test_versions_projection_warns_exactly_when_the_quota_fills_within_the_horizon(rate: float) -> None:
    warned = plan(WorkloadProfile(deployments_per_day=rate)).finding("VersionsQuotaAtRisk") is not None
    assert warned == (1000 / rate <= VERSION_PROJECTION_DAYS)


def test_throttle_never_exceeds_capacity() -> None:
    result = plan(WorkloadProfile(peak_requests_per_second=5000))
    assert result.api_throttle_rate == result.invoke_capacity_per_second
    assert result.api_throttle_burst <= result.invoke_capacity_per_second


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"vcpus_per_session": -1}, "vcpus_per_session must not be negative"),
        ({"peak_requests_per_second": float("nan")}, "must be a finite number"),
        ({"longest_task": 40}, "longest_task must be an aws_cdk.Duration"),
        ({"max_payload": 20}, "max_payload must be an aws_cdk.Size"),
        ({"endpoints": 0}, "endpoints must be a whole number"),
        ({"longest_task": cdk.Duration.minutes(cdk.Token.as_number(cdk.Aws.ACCOUNT_ID))}, "unresolved token"),
    ],
)
def test_fails_when_profile_is_malformed(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConstructsLibValidationError, match=fragment) as exc:
        WorkloadProfile(**kwargs)  # type: ignore[arg-type]
    assert exc.value.code == "InvalidWorkloadProfile"


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------

MODE_LIMIT = {
    InvocationMode.SYNCHRONOUS: QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT,
    InvocationMode.STREAMING: QuotaName.STREAMING_DURATION,
    InvocationMode.ASYNCHRONOUS: QuotaName.ASYNCHRONOUS_JOB_DURATION,
}

profiles = st.builds(
    WorkloadProfile,
    vcpus_per_session=st.none() | st.floats(min_value=0.25, max_value=16),
    memory_per_session=st.none() | st.integers(min_value=1, max_value=64).map(cdk.Size.gibibytes),
    longest_task=st.none() | st.integers(min_value=1, max_value=20 * 3600).map(lambda s: timedelta(seconds=s)),
    peak_requests_per_second=st.none() | st.floats(min_value=0, max_value=5000),
    peak_concurrent_sessions=st.none() | st.integers(min_value=0, max_value=20000),
    new_sessions_per_second=st.none() | st.floats(min_value=0, max_value=100),
    max_payload=st.none() | st.integers(min_value=1, max_value=300).map(cdk.Size.mebibytes),
    streaming_chunk=st.none() | st.integers(min_value=1, max_value=30).map(cdk.Size.mebibytes),
    websocket_frame_size=st.none() | st.integers(min_value=1, max_value=200).map(cdk.Size.kibibytes),
    websocket_frames_per_second=st.none() | st.floats(min_value=0, max_value=1000),
    endpoints=st.none() | st.integers(min_value=1, max_value=20),
)
catalogs = st.sampled_from([OLD, NEW, QuotaCatalog("2026-03", overrides={"endpoints_per_agent": 15})])
regions = st.sampled_from(["us-east-1", "eu-west-1", None])


@settings(max_examples=300, deadline=None)
@given(profile=profiles, catalog=catalogs, region=regions)
def test_property_mode_never_below_longest_task(profile: WorkloadProfile, catalog: QuotaCatalog,
                                                region: str | None) -> None:
    result = CapacityPlan.derive(profile, catalog=catalog, region=region)
    task = profile.longest_task_seconds
    if task is not None and task > result.mode_limit_seconds:
        assert result.finding("TaskTooLong") is not None
    else:
        assert task is None or task <= catalog.value(MODE_LIMIT[result.mode])
    # The cheapest mode that fits is chosen: the previous rung would not fit.
    rungs = list(MODE_LIMIT)
    index = rungs.index(result.mode)
    if index > 0 and task is not None:
        assert task > catalog.value(MODE_LIMIT[rungs[index - 1]])


@settings(max_examples=300, deadline=None)
@given(profile=profiles, catalog=catalogs, region=regions)
def test_property_no_endpoints_beyond_quota_without_a_finding(profile: WorkloadProfile, catalog: QuotaCatalog,
                                                              region: str | None) -> None:
    result = CapacityPlan.derive(profile, catalog=catalog, region=region)
    quota = catalog.value(QuotaName.ENDPOINTS_PER_AGENT, region)
    if result.endpoint_count > quota:
        assert result.finding("TooManyEndpoints") is not None
    assert result.invoke_capacity_per_second <= quota * catalog.value(QuotaName.INVOKE_RATE, region) or (
        result.rate_model is RateModel.ACCOUNT_POOL
    )
    if result.rate_model is RateModel.PER_ENDPOINT and profile.peak_requests_per_second:
        assert result.endpoints_for_throughput == max(
            1, math.ceil(profile.peak_requests_per_second / catalog.value(QuotaName.INVOKE_RATE, region)))


@settings(max_examples=300, deadline=None)
@given(profile=profiles, catalog=catalogs, region=regions)
def test_property_every_hard_limit_crossing_is_an_error(profile: WorkloadProfile, catalog: QuotaCatalog,
                                                       region: str | None) -> None:
    result = CapacityPlan.derive(profile, catalog=catalog, region=region)
    error_quotas = {f.quota for f in result.errors}
    checks = [
        (profile.vcpus_per_session, QuotaName.SESSION_VCPU),
        (profile.memory_bytes, QuotaName.SESSION_MEMORY),
        (profile.longest_task_seconds, QuotaName.ASYNCHRONOUS_JOB_DURATION),
        (profile.max_payload_bytes, QuotaName.REQUEST_PAYLOAD),
        (profile.streaming_chunk_bytes, QuotaName.STREAMING_CHUNK),
        (profile.websocket_frame_bytes, QuotaName.WEBSOCKET_FRAME_SIZE),
        (profile.websocket_frames_per_second, QuotaName.WEBSOCKET_FRAMES_PER_SECOND),
    ]
    for asked, name in checks:
        crossed = asked is not None and asked > catalog.value(name, region)
        assert (name in error_quotas) is crossed, name
    # Errors only ever come from hard limits; adjustable quotas give warnings.
    for finding in result.errors:
        if finding.quota is not None:
            assert not catalog.get(finding.quota).adjustable
    for finding in result.warnings:
        if finding.quota is not None and finding.code != "RegionUnknown":
            assert catalog.get(finding.quota).adjustable


@settings(max_examples=200, deadline=None)
@given(profile=profiles, catalog=catalogs, region=regions)
def test_property_plan_is_deterministic_and_throttles_fit(profile: WorkloadProfile, catalog: QuotaCatalog,
                                                          region: str | None) -> None:
    first = CapacityPlan.derive(profile, catalog=catalog, region=region)
    assert first == CapacityPlan.derive(profile, catalog=catalog, region=region)
    assert 1 <= first.api_throttle_rate <= max(1.0, first.invoke_capacity_per_second)
    assert first.api_throttle_burst >= 1
    assert first.idle_runtime_session_timeout_seconds <= first.max_lifetime_seconds or first.errors


def test_short_max_lifetime_alone_shortens_the_default_idle_timeout() -> None:
    # GIVEN only max_lifetime, below the service's default idle timeout WHEN planned THEN idle follows it
    result = plan(lifecycle=LifecycleRequest(max_lifetime_seconds=600))
    assert not result.errors
    assert (result.idle_runtime_session_timeout_seconds, result.max_lifetime_seconds) == (600, 600)


def test_staging_is_required_above_what_a_rest_proxy_takes_inline_not_api_gateways_ten_mib() -> None:
    # GIVEN payloads of 8 MiB: within API Gateway's payload size, above Lambda's synchronous payload less base64
    result = plan(WorkloadProfile(max_payload=cdk.Size.mebibytes(8)))
    # THEN the plan says they go through staging, naming Lambda's quota
    assert result.payload_staging_required
    finding = result.finding("PayloadStagingRequired")
    assert finding is not None and finding.quota == QuotaName.LAMBDA_SYNC_REQUEST_PAYLOAD


# -- an existing runtime (AgentCoreAgent.from_runtime): its lifecycle is checked, never chosen -------------------------

lifecycle_values = st.none() | st.integers(min_value=60, max_value=8 * 3600)


@settings(max_examples=300, deadline=None)
@given(profile=profiles, catalog=catalogs, idle=lifecycle_values, max_lifetime=lifecycle_values,
       known=st.booleans())
def test_property_an_existing_runtime_keeps_its_lifecycle(
    profile: WorkloadProfile, catalog: QuotaCatalog, idle: int | None, max_lifetime: int | None, known: bool
) -> None:
    # GIVEN the lifecycle an existing runtime runs with (what it sets; nothing when imported and not told)
    given_idle, given_max = (idle, max_lifetime) if known else (None, None)
    result = CapacityPlan.derive(
        profile, catalog=catalog, region="us-east-1",
        lifecycle=LifecycleRequest(given_idle, given_max, existing=True, known=known),
    )
    # THEN the plan's lifecycle is the runtime's, AgentCore's default for what it leaves unset, whatever the workload
    defaults = SERVICE_DEFAULTS.idle_runtime_session_timeout_seconds, SERVICE_DEFAULTS.max_lifetime_seconds
    expected_idle = defaults[0] if given_idle is None else given_idle
    expected_max = defaults[1] if given_max is None else given_max
    assert (result.idle_runtime_session_timeout_seconds, result.max_lifetime_seconds) == (expected_idle, expected_max)
    # AND a task the runtime ends early is an error on that lifecycle, never a lifecycle changed to fit it
    task = profile.longest_task_seconds
    fits_compute = task is not None and task <= catalog.value(QuotaName.ASYNCHRONOUS_JOB_DURATION)
    assert (result.finding("MaxLifetimeBelowLongestTask") is not None) == (
        fits_compute and task is not None and task > expected_max)
    # AND the note that the lifecycle was assumed appears exactly when the app could not see it
    assert (result.finding(RUNTIME_LIFECYCLE_ASSUMED) is not None) is (not known)


@settings(max_examples=100, deadline=None)
@given(profile=profiles, catalog=catalogs, region=regions)
def test_property_an_unknown_artifact_kind_plans_on_the_smaller_session_quota(
    profile: WorkloadProfile, catalog: QuotaCatalog, region: str | None
) -> None:
    unknown = CapacityPlan.derive(profile, catalog=catalog, region=region, artifact=ArtifactFacts(ArtifactKind.UNKNOWN))
    known = [CapacityPlan.derive(profile, catalog=catalog, region=region, artifact=ArtifactFacts(kind))
             for kind in KNOWN_ARTIFACT_KINDS]
    rates = [plan_.session_creation_capacity_per_second for plan_ in known]
    assert unknown.session_creation_capacity_per_second == min(rates)
    assert (unknown.finding(ARTIFACT_KIND_UNKNOWN) is not None) == (len(set(rates)) > 1)
