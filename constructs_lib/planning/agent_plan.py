"""The agent plan: from what an agent needs to how AgentCore must be configured for it.

``CapacityPlan.derive`` turns a :class:`~constructs_lib.planning.profile.WorkloadProfile`, the quota catalog and the
region into decisions (invocation mode, lifecycle, endpoints, throttles, capacity shares) and findings (errors for
hard limits, warnings for adjustable quotas).

Plain Python: nothing here imports the CDK, so the planner is fast to test exhaustively.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from constructs_lib.limits.catalog import (
    SERVICE_DEFAULTS,
    QuotaCatalog,
    QuotaName,
    QuotaScope,
    ResolvedQuota,
    Unit,
    format_value,
)
from constructs_lib.planning.compute import (
    INSTANCES_WAY_OUT,
    ComputeFacts,
    ComputeKind,
    edition_findings,
    hardware_findings,
    session_lifetime_quota,
)
from constructs_lib.planning.findings import Finding, Severity
from constructs_lib.planning.inline import rest_inline_limit
from constructs_lib.planning.profile import WorkloadProfile

#: Code of the info note for a plan made without a concrete region (reported once per app, not per agent).
REGION_UNKNOWN = "RegionUnknown"
#: Code of the info note for a plan made without knowing the artifact kind (an adopted runtime), where it matters.
ARTIFACT_KIND_UNKNOWN = "ArtifactKindUnknown"
#: Code of the info note for an adopted runtime whose lifecycle the app cannot see (planned on AgentCore's defaults).
RUNTIME_LIFECYCLE_ASSUMED = "RuntimeLifecycleAssumed"
#: How far ahead the versions projection looks when versions are never deleted automatically (a planning horizon,
#: not a quota: an agent that fills its versions quota within a year needs a retention practice).
VERSION_PROJECTION_DAYS = 365


class InvocationMode(StrEnum):
    """How clients invoke the agent, chosen by the longest task it runs."""

    SYNCHRONOUS = "synchronous"
    """Request and response within the quota ``synchronous_request_timeout``."""
    STREAMING = "streaming"
    """Server-sent events or WebSocket, within the quota ``streaming_duration``."""
    ASYNCHRONOUS = "asynchronous"
    """The agent answers at once and keeps working, within the quota ``asynchronous_job_duration``."""


class ArtifactKind(StrEnum):
    """How the agent's code reaches AgentCore (the session-creation rate differs in 2026-03)."""

    CONTAINER = "container"
    DIRECT_CODE = "direct_code"
    UNKNOWN = "unknown"
    """Not known at synth (a runtime adopted with ``AgentCoreAgent.from_runtime`` without its kind): planned against
    the more restrictive quota of the known kinds."""


#: The artifact kinds AgentCore has, each with its own quotas (``UNKNOWN`` stands for either).
KNOWN_ARTIFACT_KINDS = (ArtifactKind.CONTAINER, ArtifactKind.DIRECT_CODE)


class RateModel(StrEnum):
    """How the invoke rate quota is counted in the edition in force."""

    PER_ENDPOINT = "per-endpoint"
    """2026-03: each endpoint has its own rate; an agent scales by adding endpoints."""
    ACCOUNT_POOL = "account-pool"
    """2026-09: one pool per account and region, shared by every agent and data-plane API."""


@dataclass(frozen=True)
class ArtifactFacts:
    """What is known at synth about the agent's artifact.

    Attributes:
        kind: container image or direct code.
        image_size_bytes: measured or declared image size, if known.
        code_zipped_bytes: size of the direct-code package as zipped, if measured.
        code_unzipped_bytes: size of the direct-code package unzipped, if measured.
    """

    kind: ArtifactKind = ArtifactKind.CONTAINER
    image_size_bytes: float | None = None
    code_zipped_bytes: float | None = None
    code_unzipped_bytes: float | None = None


@dataclass(frozen=True)
class LifecycleRequest:
    """Lifecycle values a user sets explicitly instead of taking the plan's (seconds).

    Attributes:
        idle_runtime_session_timeout_seconds: the idle timeout set, if any.
        max_lifetime_seconds: the maximum session lifetime set, if any.
        existing: the runtime exists already and keeps its own lifecycle (an adopted runtime): a value it does not
            set is AgentCore's default (``SERVICE_DEFAULTS``), not the plan's to choose, and the plan checks the
            workload against what the runtime runs with.
        known: with ``existing``, whether the values are the runtime's own; ``False`` for an imported runtime whose
            lifecycle the app cannot see (planned on AgentCore's defaults, with the info note
            ``RuntimeLifecycleAssumed``).
    """

    idle_runtime_session_timeout_seconds: float | None = None
    max_lifetime_seconds: float | None = None
    existing: bool = False
    known: bool = True


@dataclass(frozen=True)
class CapacityPlan:
    """Decisions derived from a workload profile, the quota catalog and the region.

    Build one with :meth:`CapacityPlan.derive`. Every attribute is concrete (no tokens).

    Attributes:
        profile: the workload the plan was derived from.
        edition: the quota edition planned against.
        region: the region planned for; ``None`` when unknown at synth.
        mode: the invocation mode that fits the longest task.
        mode_limit_seconds: the maximum duration the mode allows.
        idle_runtime_session_timeout_seconds: lifecycle setting for the runtime.
        max_lifetime_seconds: lifecycle setting for the runtime.
        rate_model: how the invoke quota is counted in this edition.
        endpoints_for_throughput: endpoints needed to carry the peak rate (per-endpoint model), else 1.
        endpoint_count: endpoints planned (the larger of the above and the endpoints asked for).
        invoke_capacity_per_second: invocations per second the agent can get without a quota increase
            beyond the approved overrides (endpoints x rate, or the account pool).
        invoke_share: peak rate over ``invoke_capacity_per_second`` (0 when no peak is stated).
        session_creation_capacity_per_second: new sessions per second the quota allows.
        active_session_capacity: active session workloads allowed in the region.
        session_share: peak concurrent sessions over ``active_session_capacity``.
        payload_staging_required: payloads exceed what a REST facade's proxy takes inline and go through S3.
        api_throttle_rate: steady-state requests per second a facade should allow.
        api_throttle_burst: burst a facade should allow.
        compute: the compute the plan was made for (microVM or Instances, with the capacity provider's facts).
        findings: errors, warnings and infos, in the order they were found.
    """

    profile: WorkloadProfile
    edition: str
    region: str | None
    mode: InvocationMode
    mode_limit_seconds: float
    idle_runtime_session_timeout_seconds: int
    max_lifetime_seconds: int
    rate_model: RateModel
    endpoints_for_throughput: int
    endpoint_count: int
    invoke_capacity_per_second: float
    invoke_share: float
    session_creation_capacity_per_second: float
    active_session_capacity: float
    session_share: float
    payload_staging_required: bool
    api_throttle_rate: float
    api_throttle_burst: int
    compute: ComputeFacts
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> list[Finding]:
        """Findings that fail synthesis."""
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """Findings reported as warnings."""
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def finding(self, code: str) -> Finding | None:
        """The first finding with ``code``, if any."""
        return next((f for f in self.findings if f.code == code), None)

    @classmethod
    def derive(
        cls,
        profile: WorkloadProfile | None = None,
        *,
        catalog: QuotaCatalog | None = None,
        region: str | None = None,
        artifact: ArtifactFacts | None = None,
        named_endpoints: int = 0,
        lifecycle: LifecycleRequest | None = None,
        compute: ComputeFacts | None = None,
    ) -> CapacityPlan:
        """Plan an agent.

        Args:
            profile: what the agent needs. Default: an empty profile (short synchronous tasks).
            catalog: the quotas to plan against. Default: the newest edition without overrides.
            region: the stack's region; ``None`` plans against the smallest regional values.
            artifact: what is known about the artifact. Default: a container of unknown size.
            named_endpoints: endpoints the agent declares by name besides ``DEFAULT`` (the planned
                count is ``DEFAULT`` plus these when the profile does not state ``endpoints``).
            lifecycle: lifecycle values the user sets instead of the plan's.
            compute: the compute the agent runs on. Default: microVMs. On Instances compute the hardware check
                compares the workload with the capacity provider's instance types, and sessions (so the
                asynchronous mode and the lifecycle) may last up to the Instances session lifetime.
        """
        return _Planner(
            profile or WorkloadProfile(),
            catalog or QuotaCatalog(),
            region,
            artifact or ArtifactFacts(),
            named_endpoints,
            lifecycle or LifecycleRequest(),
            compute or ComputeFacts(),
        ).plan()


def session_creation_quota(catalog: QuotaCatalog, region: str | None, kind: ArtifactKind) -> ResolvedQuota:
    """The new-session creation quota that applies to an agent of artifact ``kind``.

    Edition 2026-03 has one quota per artifact kind and endpoint; 2026-09 has one account pool for all kinds (both
    names resolve to it). An ``UNKNOWN`` kind gets the more restrictive of the known kinds' quotas.
    """
    if kind is ArtifactKind.UNKNOWN:
        return account_session_creation_quota(catalog, region)
    name = (
        QuotaName.SESSION_CREATION_RATE_DIRECT_CODE
        if kind is ArtifactKind.DIRECT_CODE
        else QuotaName.SESSION_CREATION_RATE_CONTAINER
    )
    return catalog.resolve(name, region)


def account_session_creation_quota(catalog: QuotaCatalog, region: str | None) -> ResolvedQuota:
    """The session-creation quota the agents of an account share when it is one pool (edition 2026-09).

    Returns the smaller of the per-kind values, which is the pool itself where both name one pool.
    """
    return min(
        (session_creation_quota(catalog, region, kind) for kind in KNOWN_ARTIFACT_KINDS), key=lambda q: q.per_second
    )


def endpoint_shortfall_findings(plan: CapacityPlan, catalog: QuotaCatalog, named_endpoints: int) -> list[Finding]:
    """A warning when the invoke rate is counted per endpoint (2026-03) and the agent declares fewer endpoints
    (``DEFAULT`` and ``named_endpoints``) than its peak rate needs."""
    declared = 1 + named_endpoints
    if plan.rate_model is not RateModel.PER_ENDPOINT or plan.endpoints_for_throughput <= declared:
        return []
    invoke = catalog.resolve(QuotaName.INVOKE_RATE, plan.region)
    return [
        Finding(
            Severity.WARNING,
            "EndpointsBelowThroughputPlan",
            f"peak_requests_per_second {plan.profile.peak_requests_per_second:g} needs "
            f"{plan.endpoints_for_throughput} endpoints at {invoke.formatted()} each under the "
            f"{invoke.describe()}, but the agent declares {declared} (DEFAULT and {named_endpoints} named); "
            "add endpoints (endpoints=[...]) and spread traffic across them",
        )
    ]


class _Planner:
    """One planning run; collects findings while it derives each decision."""

    def __init__(
        self,
        profile: WorkloadProfile,
        catalog: QuotaCatalog,
        region: str | None,
        artifact: ArtifactFacts,
        named_endpoints: int,
        lifecycle: LifecycleRequest,
        compute: ComputeFacts,
    ) -> None:
        self.p = profile
        self.catalog = catalog
        self.region = region
        self.artifact = artifact
        self.named_endpoints = named_endpoints
        self.lifecycle = lifecycle
        self.compute = compute
        self.findings: list[Finding] = []

    def q(self, name: QuotaName) -> ResolvedQuota:
        return self.catalog.resolve(name, self.region)

    # -- reporting helpers -------------------------------------------------------------------------

    def hard(self, code: str, what: str, asked: float, quota: ResolvedQuota, way_out: str) -> None:
        unit = quota.quota.unit
        self.findings.append(
            Finding(
                Severity.ERROR,
                code,
                f"{what} {format_value(asked, unit)} exceeds {quota.formatted()}, the {quota.describe()}; "
                f"{way_out}",
                quota.quota.name,
                asked,
                quota.value,
            )
        )

    def soft(self, code: str, what: str, asked: float, quota: ResolvedQuota, extra: str = "") -> None:
        unit = quota.quota.unit
        self.findings.append(
            Finding(
                Severity.WARNING,
                code,
                f"{what} {format_value(asked, unit)} exceeds {quota.formatted()}, the {quota.describe()}; "
                f"{extra}{quota.increase_advice()}",
                quota.quota.name,
                asked,
                quota.value,
            )
        )

    def exceeds(self, asked: float | None, name: QuotaName) -> ResolvedQuota | None:
        if asked is None or not self.catalog.has(name):
            return None
        quota = self.q(name)
        return quota if asked > quota.value else None

    # -- decisions ---------------------------------------------------------------------------------

    def plan(self) -> CapacityPlan:
        self.check_region()
        self.check_hardware()
        self.check_artifact()
        mode, mode_limit = self.choose_mode()
        idle, max_lifetime = self.choose_lifecycle(mode)
        self.check_payloads()
        self.check_websocket()
        rate_model, for_throughput, endpoint_count, capacity = self.plan_endpoints()
        share = (self.p.peak_requests_per_second or 0.0) / capacity if capacity else 0.0
        creation_capacity = self.plan_session_creation()
        sessions, session_share = self.plan_sessions()
        self.check_versions()
        staging = self.plan_staging()
        throttle_rate = min(self.p.peak_requests_per_second or capacity, capacity)
        throttle_rate = max(throttle_rate, 1.0)
        burst = max(1, math.ceil(min(throttle_rate * 2, capacity)))
        return CapacityPlan(
            profile=self.p,
            edition=self.catalog.edition.value,
            region=self.region,
            mode=mode,
            mode_limit_seconds=mode_limit,
            idle_runtime_session_timeout_seconds=idle,
            max_lifetime_seconds=max_lifetime,
            rate_model=rate_model,
            endpoints_for_throughput=for_throughput,
            endpoint_count=endpoint_count,
            invoke_capacity_per_second=capacity,
            invoke_share=share,
            session_creation_capacity_per_second=creation_capacity,
            active_session_capacity=sessions,
            session_share=session_share,
            payload_staging_required=staging,
            api_throttle_rate=throttle_rate,
            api_throttle_burst=burst,
            compute=self.compute,
            findings=tuple(self.findings),
        )

    def check_region(self) -> None:
        if self.region is None:
            quota = self.q(QuotaName.ACTIVE_SESSION_WORKLOADS)
            self.findings.append(
                Finding(
                    Severity.INFO,
                    REGION_UNKNOWN,
                    f"the stack has no concrete region, so region-dependent quotas are planned against their "
                    f"smallest regional value ({quota.formatted()} {quota.quota.label}); set env=Environment("
                    "region=...) on the stack to plan against the region's own quotas",
                    quota.quota.name,
                    None,
                    quota.value,
                )
            )

    def check_hardware(self) -> None:
        self.findings += edition_findings(self.compute, self.catalog)
        self.findings += hardware_findings(self.p, self.compute, self.catalog)

    def session_lifetime(self) -> ResolvedQuota:
        """The longest a session of this agent's compute may live (microVM limits when the edition lacks Instances)."""
        quota = session_lifetime_quota(self.catalog, self.compute.kind, self.region)
        return quota or self.q(QuotaName.ASYNCHRONOUS_JOB_DURATION)

    def instance_lifetime_limit(self) -> float | None:
        """The capacity provider's instance max lifetime when it is known and shorter than the session quota."""
        limit = self.compute.instance_max_lifetime_seconds
        if self.compute.kind is not ComputeKind.INSTANCES or limit is None:
            return None
        return limit if limit < self.session_lifetime().value else None

    def check_artifact(self) -> None:
        a = self.artifact
        if quota := self.exceeds(a.image_size_bytes, QuotaName.CONTAINER_IMAGE_SIZE):
            self.hard("ContainerImageTooLarge", "the container image of", a.image_size_bytes or 0, quota,
                      "use a slimmer base image and multi-stage builds, or move model weights and data to S3")
        way_out = "exclude what the agent does not need at run time (exclude=...) or use a container image"
        if quota := self.exceeds(a.code_zipped_bytes, QuotaName.CODE_PACKAGE_ZIPPED):
            self.hard("CodePackageTooLarge", "the zipped code package of", a.code_zipped_bytes or 0, quota, way_out)
        if quota := self.exceeds(a.code_unzipped_bytes, QuotaName.CODE_PACKAGE_UNZIPPED):
            self.hard("CodePackageTooLarge", "the unzipped code package of", a.code_unzipped_bytes or 0, quota,
                      way_out)

    def choose_mode(self) -> tuple[InvocationMode, float]:
        ladder = (
            (InvocationMode.SYNCHRONOUS, self.q(QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT)),
            (InvocationMode.STREAMING, self.q(QuotaName.STREAMING_DURATION)),
            (InvocationMode.ASYNCHRONOUS, self.session_lifetime()),
        )
        task = self.p.longest_task_seconds
        if task is None:
            return ladder[0][0], ladder[0][1].value
        instance_limit = self.instance_lifetime_limit()
        for mode, quota in ladder:
            if task <= quota.value:
                if mode is InvocationMode.ASYNCHRONOUS and instance_limit is not None:
                    self.check_task_within_instance_lifetime(task, instance_limit)
                    return mode, instance_limit
                return mode, quota.value
        mode, quota = ladder[-1]
        self.hard("TaskTooLong", "longest_task", task, quota, self.task_way_out())
        return mode, instance_limit if instance_limit is not None else quota.value

    def task_way_out(self) -> str:
        if self.compute.kind is ComputeKind.INSTANCES:
            return "split the work into tasks of at most that length, or run the agent on Amazon ECS or Amazon EKS"
        instances = session_lifetime_quota(self.catalog, ComputeKind.INSTANCES, self.region)
        lifetime = f" (Instances compute sessions live up to {instances.formatted()})" if instances else ""
        return "split the work into tasks of at most that length, or " + INSTANCES_WAY_OUT + lifetime

    def check_task_within_instance_lifetime(self, task: float, limit: float) -> None:
        if task > limit:
            self.findings.append(
                Finding(Severity.ERROR, "TaskTooLong",
                        f"longest_task {format_value(task, Unit.SECONDS)} exceeds the instance max_lifetime "
                        f"{format_value(limit, Unit.SECONDS)} of capacity provider "
                        f"{self.compute.capacity_provider or '(unknown)'}: its instances end before the task does; "
                        "raise the capacity provider's instance_lifecycle max_lifetime, or split the work",
                        None, task, limit)
            )

    def choose_lifecycle(self, mode: InvocationMode) -> tuple[int, int]:
        minimum = self.q(QuotaName.LIFECYCLE_TIMEOUT_MINIMUM)
        maximum = self.session_lifetime()
        instance_limit = self.instance_lifetime_limit()
        idle = float(SERVICE_DEFAULTS.idle_runtime_session_timeout_seconds)
        max_lifetime = float(SERVICE_DEFAULTS.max_lifetime_seconds)
        if instance_limit is not None:
            max_lifetime = min(max_lifetime, instance_limit)
        if mode is InvocationMode.ASYNCHRONOUS:
            # A background task keeps its session alive by reporting HealthyBusy; the session may live
            # no longer than max_lifetime, so give it the whole session lifetime of its compute.
            max_lifetime = maximum.value if instance_limit is None else instance_limit
        requested = self.existing_lifecycle() if self.lifecycle.existing else self.lifecycle
        for name, value in (
            ("idle_runtime_session_timeout", requested.idle_runtime_session_timeout_seconds),
            ("max_lifetime", requested.max_lifetime_seconds),
        ):
            if value is None:
                continue
            if value < minimum.value:
                self.findings.append(
                    Finding(Severity.ERROR, "LifecycleOutOfRange",
                            f"{name} {format_value(value, Unit.SECONDS)} is below {minimum.formatted()}, the "
                            f"{minimum.describe()}; use at least {minimum.formatted()}",
                            minimum.quota.name, value, minimum.value)
                )
            elif value > maximum.value:
                self.hard("LifecycleOutOfRange", name, value, maximum,
                          f"use at most {maximum.formatted()} on {self.compute.kind.label} compute"
                          + ("" if self.compute.kind is ComputeKind.INSTANCES else
                             f", or {INSTANCES_WAY_OUT}"))
            elif instance_limit is not None and value > instance_limit:
                self.findings.append(
                    Finding(Severity.ERROR, "LifecycleOutOfRange",
                            f"{name} {format_value(value, Unit.SECONDS)} exceeds the instance max_lifetime "
                            f"{format_value(instance_limit, Unit.SECONDS)} of capacity provider "
                            f"{self.compute.capacity_provider or '(unknown)'} (CreateAgentRuntime fails with a "
                            "ValidationException); lower it, or raise the capacity provider's instance_lifecycle "
                            "max_lifetime", None, value, instance_limit)
                )
        max_lifetime = requested.max_lifetime_seconds or max_lifetime
        if requested.idle_runtime_session_timeout_seconds is None:
            # Only max_lifetime was set: the default idle timeout must not outlive the session.
            idle = min(idle, max_lifetime)
        else:
            idle = requested.idle_runtime_session_timeout_seconds
        if idle > max_lifetime:
            self.findings.append(
                Finding(Severity.ERROR, "LifecycleOutOfRange",
                        f"idle_runtime_session_timeout {format_value(idle, Unit.SECONDS)} exceeds max_lifetime "
                        f"{format_value(max_lifetime, Unit.SECONDS)}; a session cannot idle longer than it lives",
                        None, idle, max_lifetime)
            )
        task = self.p.longest_task_seconds
        longest_allowed = maximum.value if instance_limit is None else instance_limit
        if task is not None and task > max_lifetime and task <= longest_allowed:
            setting = "the runtime's max_lifetime where it is defined" if requested.existing else "max_lifetime"
            self.findings.append(
                Finding(Severity.ERROR, "MaxLifetimeBelowLongestTask",
                        f"max_lifetime {format_value(max_lifetime, Unit.SECONDS)} is shorter than longest_task "
                        f"{format_value(task, Unit.SECONDS)}: sessions would be ended mid-task; raise {setting} "
                        f"to at least the longest task (at most {format_value(longest_allowed, Unit.SECONDS)})",
                        None, task, max_lifetime)
            )
        return int(math.ceil(idle)), int(math.ceil(max_lifetime))

    def existing_lifecycle(self) -> LifecycleRequest:
        """The lifecycle an existing runtime runs with: the values it sets, AgentCore's defaults for the others (an
        info note when the app cannot see them)."""
        given = self.lifecycle
        idle = given.idle_runtime_session_timeout_seconds
        max_lifetime = given.max_lifetime_seconds
        if not given.known:
            self.findings.append(
                Finding(Severity.INFO, RUNTIME_LIFECYCLE_ASSUMED,
                        "the runtime is imported, so its lifecycle is not visible to this app: the workload is "
                        "checked against AgentCore's defaults (idle_runtime_session_timeout "
                        f"{format_value(SERVICE_DEFAULTS.idle_runtime_session_timeout_seconds, Unit.SECONDS)}, "
                        f"max_lifetime {format_value(SERVICE_DEFAULTS.max_lifetime_seconds, Unit.SECONDS)}); give "
                        "lifecycle=LifecycleConfiguration(...) to from_runtime when the runtime sets others")
            )
        return LifecycleRequest(
            float(SERVICE_DEFAULTS.idle_runtime_session_timeout_seconds) if idle is None else idle,
            float(SERVICE_DEFAULTS.max_lifetime_seconds) if max_lifetime is None else max_lifetime,
            existing=True,
            known=given.known,
        )

    def check_payloads(self) -> None:
        if quota := self.exceeds(self.p.max_payload_bytes, QuotaName.REQUEST_PAYLOAD):
            self.hard("PayloadTooLarge", "max_payload", self.p.max_payload_bytes or 0, quota,
                      "stage larger inputs in S3 with PayloadStaging and pass the object key instead")
        if quota := self.exceeds(self.p.streaming_chunk_bytes, QuotaName.STREAMING_CHUNK):
            self.hard("StreamingChunkTooLarge", "streaming_chunk", self.p.streaming_chunk_bytes or 0, quota,
                      "split responses into smaller chunks, or write large results to S3 and stream a link")

    def check_websocket(self) -> None:
        if quota := self.exceeds(self.p.websocket_frame_bytes, QuotaName.WEBSOCKET_FRAME_SIZE):
            self.hard("WebSocketFrameTooLarge", "websocket_frame_size", self.p.websocket_frame_bytes or 0, quota,
                      "split messages across frames, or stage large content in S3 and send a link")
        if quota := self.exceeds(self.p.websocket_frames_per_second, QuotaName.WEBSOCKET_FRAMES_PER_SECOND):
            self.hard("WebSocketFrameRateTooHigh", "websocket_frames_per_second",
                      self.p.websocket_frames_per_second or 0, quota,
                      "batch messages into fewer frames, or spread clients over more connections")

    def plan_endpoints(self) -> tuple[RateModel, int, int, float]:
        invoke = self.q(QuotaName.INVOKE_RATE)
        endpoints_quota = self.q(QuotaName.ENDPOINTS_PER_AGENT)
        peak = self.p.peak_requests_per_second
        # DEFAULT is an endpoint too: it counts against the quota and carries traffic.
        wanted = int(self.p.endpoints) if self.p.endpoints is not None else 1 + self.named_endpoints
        if invoke.quota.scope is QuotaScope.ENDPOINT:
            model = RateModel.PER_ENDPOINT
            for_throughput = max(1, math.ceil(peak / invoke.value)) if peak else 1
            if for_throughput > endpoints_quota.value:
                capacity_now = endpoints_quota.value * invoke.value
                self.soft(
                    "InvokeRateExceedsEndpointCapacity", "peak_requests_per_second", peak or 0.0, invoke,
                    f"at {invoke.formatted()} per endpoint it needs {for_throughput} endpoints but "
                    f"{endpoints_quota.formatted()} are allowed ({format_value(capacity_now, Unit.PER_SECOND)} "
                    f"in all, the {endpoints_quota.describe()}); ",
                )
            count = max(for_throughput, wanted)
            capacity = min(count, endpoints_quota.value) * invoke.value
        else:
            model = RateModel.ACCOUNT_POOL
            for_throughput = 1
            count = wanted
            capacity = invoke.value
            if peak and peak > invoke.value:
                self.soft("InvokeRateExceedsAccountPool", "peak_requests_per_second", peak, invoke,
                          "the pool is shared by every agent in the account and region; ")
        if count > endpoints_quota.value:
            self.soft("TooManyEndpoints", "the planned endpoint count", count, endpoints_quota)
        if self.p.uses_websocket and self.catalog.has(QuotaName.WEBSOCKET_INVOCATION_RATE):
            ws = self.q(QuotaName.WEBSOCKET_INVOCATION_RATE)
            ws_capacity = ws.value * min(count, endpoints_quota.value)
            if peak and peak > ws_capacity:
                self.soft("WebSocketInvocationRateExceeded", "peak_requests_per_second", peak, ws,
                          f"{min(count, int(endpoints_quota.value))} endpoints carry "
                          f"{format_value(ws_capacity, Unit.PER_SECOND)}; ")
        return model, for_throughput, count, float(capacity)

    def plan_session_creation(self) -> float:
        quota = session_creation_quota(self.catalog, self.region, self.artifact.kind)
        self.note_unknown_artifact_kind(quota)
        name = quota.quota.name
        asked = self.p.new_sessions_per_second
        if asked is not None and asked > quota.per_second:
            self.findings.append(
                Finding(
                    Severity.WARNING,
                    "SessionCreationRateExceeded",
                    f"new_sessions_per_second {format_value(asked, Unit.PER_SECOND)} exceeds "
                    f"{quota.formatted()}, the {quota.describe()}; reuse sessions across turns, or "
                    f"{quota.increase_advice()}",
                    name,
                    asked,
                    quota.per_second,
                )
            )
        return quota.per_second

    def note_unknown_artifact_kind(self, planned: ResolvedQuota) -> None:
        """An info note when the kind is unknown and the known kinds' session-creation quotas differ (2026-03)."""
        if self.artifact.kind is not ArtifactKind.UNKNOWN:
            return
        per_kind = {kind: session_creation_quota(self.catalog, self.region, kind) for kind in KNOWN_ARTIFACT_KINDS}
        if len({quota.per_second for quota in per_kind.values()}) == 1:
            return  # one pool for every kind: the kind changes nothing
        others = ", ".join(f"{q.formatted()} ({q.quota.label})" for q in per_kind.values() if q is not planned)
        self.findings.append(
            Finding(
                Severity.INFO,
                ARTIFACT_KIND_UNKNOWN,
                f"the artifact kind is unknown, so new sessions are planned against the more restrictive "
                f"session-creation quota, {planned.formatted()}, the {planned.describe()} (the other: {others}); "
                "give artifact_kind=ArtifactKind.CONTAINER or ArtifactKind.DIRECT_CODE to plan against the agent's "
                "own",
                planned.quota.name,
                None,
                planned.value,
            )
        )

    def plan_sessions(self) -> tuple[float, float]:
        quota = self.q(QuotaName.ACTIVE_SESSION_WORKLOADS)
        peak = self.p.peak_concurrent_sessions
        if peak is not None and peak > quota.value:
            self.soft("ActiveSessionsExceeded", "peak_concurrent_sessions", peak, quota,
                      "lower idle_runtime_session_timeout so idle sessions end sooner, or ")
        return quota.value, (peak or 0) / quota.value

    def check_versions(self) -> None:
        """Project the versions an agent accumulates against the versions-per-agent quota.

        Where the edition states an automatic deletion of inactive versions (2026-03), only the versions made within
        that window count; otherwise every version stays until deleted, and the projection covers
        :data:`VERSION_PROJECTION_DAYS`.
        """
        rate = self.p.deployments_per_day
        if not rate:
            return
        versions = self.q(QuotaName.VERSIONS_PER_AGENT)
        if self.catalog.has(QuotaName.INACTIVE_VERSION_RETENTION):
            retention = self.q(QuotaName.INACTIVE_VERSION_RETENTION)
            window_days = retention.value / 86400
            if rate * window_days > versions.value:
                self.soft(
                    "VersionsQuotaAtRisk", "versions created within the auto-deletion window",
                    rate * window_days, versions,
                    f"at {rate:g} deployments a day the agent accumulates {rate * window_days:,.0f} versions "
                    f"before inactive ones are deleted ({retention.describe()}); deploy less often, archive "
                    "versions with AgentVersionArchive, or ",
                )
            return
        days_to_quota = versions.value / rate
        if days_to_quota <= VERSION_PROJECTION_DAYS:
            self.soft(
                "VersionsQuotaAtRisk", f"versions created in {VERSION_PROJECTION_DAYS} days",
                rate * VERSION_PROJECTION_DAYS, versions,
                f"at {rate:g} deployments a day the agent reaches the quota in {days_to_quota:,.0f} days, and "
                f"edition {versions.edition.value} deletes no inactive version on its own; archive versions "
                "with AgentVersionArchive and delete the old ones (DeleteAgentRuntimeVersion), or ",
            )

    def plan_staging(self) -> bool:
        payload = self.p.max_payload_bytes
        inline = rest_inline_limit(self.catalog, self.region)
        if payload is None or payload <= inline.bytes:
            return False
        self.findings.append(
            Finding(
                Severity.INFO,
                "PayloadStagingRequired",
                f"max_payload {format_value(payload, Unit.BYTES)} exceeds {inline.describe()}, the most a REST "
                "facade's proxy takes inline; payloads above it are passed through S3 (PayloadStaging)",
                inline.quota.quota.name,
                payload,
                inline.bytes,
            )
        )
        return True


__all__ = [
    "ARTIFACT_KIND_UNKNOWN",
    "KNOWN_ARTIFACT_KINDS",
    "REGION_UNKNOWN",
    "RUNTIME_LIFECYCLE_ASSUMED",
    "VERSION_PROJECTION_DAYS",
    "ArtifactFacts",
    "ArtifactKind",
    "CapacityPlan",
    "InvocationMode",
    "LifecycleRequest",
    "RateModel",
    "account_session_creation_quota",
    "endpoint_shortfall_findings",
    "session_creation_quota",
]
