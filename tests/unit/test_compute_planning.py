"""The compute-aware planner: hardware per instance type, lifecycle by compute kind, the instance table, the record."""

from __future__ import annotations

from datetime import timedelta

import aws_cdk as cdk
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.instance_types import (
    AGENTCORE_ACCELERATOR_FAMILIES,
    INSTANCE_TYPES,
    InstanceArchitecture,
    instance_size,
)
from constructs_lib.planning.account import PlanInputs, plan_regions
from constructs_lib.planning.agent_plan import CapacityPlan, InvocationMode, LifecycleRequest
from constructs_lib.planning.compute import (
    ComputeFacts,
    ComputeKind,
    agents_per_session_finding,
    capacity_providers_finding,
    image_platform_finding,
    instance_lifecycle_problems,
    resolve_architecture,
)
from constructs_lib.planning.findings import Severity
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.planning.record import PlanRecord

GIB = 1024**3
DAY = 86400
NEW, OLD = QuotaCatalog("2026-09"), QuotaCatalog("2026-03")
INSTANCES_LIFETIME = NEW.value(QuotaName.INSTANCES_SESSION_LIFETIME)
MICROVM_LIFETIME = NEW.value(QuotaName.ASYNCHRONOUS_JOB_DURATION)
STREAMING = NEW.value(QuotaName.STREAMING_DURATION)
SUPPORTED = sorted(
    n for n, s in INSTANCE_TYPES.items() if not s.accelerators or s.family in AGENTCORE_ACCELERATOR_FAMILIES
)


def instances(*types: str, lifetime: float | None = None) -> ComputeFacts:
    architecture, _ = resolve_architecture(types, None)
    return ComputeFacts(ComputeKind.INSTANCES, types, architecture, lifetime, "Stack/Provider")


def plan(profile: WorkloadProfile | None = None, **kwargs: object) -> CapacityPlan:
    kwargs.setdefault("region", "us-east-1")
    return CapacityPlan.derive(profile, **kwargs)  # type: ignore[arg-type]


def codes(result: CapacityPlan, severity: Severity | None = None) -> list[str]:
    return [f.code for f in result.findings if severity is None or f.severity is severity]


# -- hardware ----------------------------------------------------------------------------------------


needs = st.fixed_dictionaries({
    "vcpus": st.none() | st.integers(1, 256),
    "memory_gib": st.none() | st.integers(1, 2048),
    "gpus": st.none() | st.integers(0, 16),
    "gpu_memory_gib": st.none() | st.integers(1, 512),
})


def profile_of(need: dict[str, int | None]) -> WorkloadProfile:
    return WorkloadProfile(
        vcpus_per_session=need["vcpus"],
        memory_per_session=None if need["memory_gib"] is None else cdk.Size.gibibytes(need["memory_gib"]),
        gpus_per_session=need["gpus"],
        gpu_memory_per_session=None if need["gpu_memory_gib"] is None else cdk.Size.gibibytes(need["gpu_memory_gib"]),
    )


@settings(max_examples=300, deadline=None)
@given(instance_type=st.sampled_from(SUPPORTED), need=needs)
def test_hardware_fit_is_decided_per_instance_type_from_the_table(
    instance_type: str, need: dict[str, int | None]
) -> None:
    # GIVEN any known instance type and any per-session need WHEN planned on Instances compute
    size = instance_size(instance_type)
    assert size is not None
    result = plan(profile_of(need), compute=instances(instance_type))
    # THEN exactly the needs the type cannot meet are errors, each naming the type
    offered = {
        "vcpus": size.vcpus, "memory_gib": size.memory_bytes / GIB,
        "gpus": size.accelerators, "gpu_memory_gib": size.accelerator_memory_bytes / GIB,
    }
    short = {key for key, value in need.items() if value is not None and value > offered[key]}
    errors = [f for f in result.errors if f.code == "InstanceTypeTooSmall"]
    assert len(errors) == len(short)
    assert all(instance_type in f.message for f in errors)
    # AND microVM hardware quotas do not apply on Instances
    assert "SessionHardwareExceeded" not in codes(result)


@settings(max_examples=150, deadline=None)
@given(types=st.lists(st.sampled_from(SUPPORTED), min_size=1, max_size=4, unique=True), need=needs)
def test_every_allowed_type_must_fit_because_a_session_may_land_on_any(
    types: list[str], need: dict[str, int | None]
) -> None:
    architectures = {INSTANCE_TYPES[t].architecture for t in types}
    assume(len(architectures) == 1)
    result = plan(profile_of(need), compute=instances(*types))
    too_small = {t for t in types if plan(profile_of(need), compute=instances(t)).errors}
    named = {t for t in types for f in result.errors if f.code == "InstanceTypeTooSmall" and t in f.message}
    assert named == too_small


@settings(max_examples=100, deadline=None)
@given(
    name=st.from_regex(r"zz[0-9]\.[0-9]{1,2}xlarge", fullmatch=True),
    need=needs.filter(lambda n: any(v is not None for v in n.values())),
)
def test_an_unknown_type_is_a_warning_naming_it_never_a_guess(name: str, need: dict[str, int | None]) -> None:
    result = plan(profile_of(need), compute=instances(name, "g6.xlarge"))
    warning = result.finding("InstanceTypeUnknown")
    assert warning is not None and warning.severity is Severity.WARNING
    assert name in warning.message
    assert not any(name in f.message for f in result.errors)


def test_no_hardware_stated_means_no_hardware_check_even_for_unknown_types() -> None:
    assert plan(WorkloadProfile(), compute=instances("zz1.large")).findings == ()


def test_arn_provider_without_types_warns_that_hardware_is_not_compared() -> None:
    facts = ComputeFacts(ComputeKind.INSTANCES, capacity_provider="arn:aws:...:capacity-provider/x-0123456789")
    result = plan(WorkloadProfile(gpus_per_session=1), compute=facts)
    assert codes(result) == ["InstanceTypesNotDeclared"]


def test_fails_when_a_gpu_is_asked_of_microvm_compute_naming_instances_first() -> None:
    result = plan(WorkloadProfile(gpus_per_session=1))
    error = result.finding("SessionHardwareExceeded")
    assert error is not None and error.severity is Severity.ERROR
    assert error.quota is QuotaName.SESSION_GPUS
    message = error.message
    assert "AgentCompute.instances(" in message
    assert message.index("AgentCompute.instances(") < message.index("Amazon ECS")


def test_fails_when_gpu_memory_without_a_gpu_count_is_asked_of_microvm_compute() -> None:
    result = plan(WorkloadProfile(gpu_memory_per_session=cdk.Size.gibibytes(8)))
    assert codes(result, Severity.ERROR) == ["SessionHardwareExceeded"]


def test_microvm_hardware_error_names_the_way_out_in_order() -> None:
    message = plan(WorkloadProfile(vcpus_per_session=8)).errors[0].message
    assert message.index("AgentCompute.instances(") < message.index("Amazon ECS or Amazon EKS")
    assert "capacity provider" in message


def test_workload_refuses_a_fractional_gpu_count() -> None:
    with pytest.raises(ConstructsLibValidationError, match="gpus_per_session") as exc:
        WorkloadProfile(gpus_per_session=1.5)  # type: ignore[arg-type]
    assert exc.value.code == "InvalidWorkloadProfile"


# -- lifecycle and modes ----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(task=st.floats(min_value=STREAMING + 1, max_value=INSTANCES_LIFETIME))
def test_instances_run_asynchronous_tasks_up_to_the_instances_session_lifetime(task: float) -> None:
    result = plan(WorkloadProfile(longest_task=timedelta(seconds=task)), compute=instances("g6.xlarge"))
    assert result.mode is InvocationMode.ASYNCHRONOUS
    assert result.mode_limit_seconds == INSTANCES_LIFETIME
    assert result.max_lifetime_seconds == INSTANCES_LIFETIME
    assert not result.errors


@settings(max_examples=200, deadline=None)
@given(task=st.floats(min_value=STREAMING + 1, max_value=INSTANCES_LIFETIME))
def test_microvm_stays_at_the_asynchronous_job_duration(task: float) -> None:
    result = plan(WorkloadProfile(longest_task=timedelta(seconds=task)))
    assert result.mode_limit_seconds == MICROVM_LIFETIME
    assert result.max_lifetime_seconds == MICROVM_LIFETIME
    assert (result.finding("TaskTooLong") is not None) is (task > MICROVM_LIFETIME)


@settings(max_examples=100, deadline=None)
@given(task=st.floats(min_value=INSTANCES_LIFETIME + 1, max_value=INSTANCES_LIFETIME * 4))
def test_fails_when_a_task_outlives_the_instances_session_lifetime(task: float) -> None:
    result = plan(WorkloadProfile(longest_task=timedelta(seconds=task)), compute=instances("g6.xlarge"))
    error = result.finding("TaskTooLong")
    assert error is not None and error.severity is Severity.ERROR
    assert error.quota is QuotaName.INSTANCES_SESSION_LIFETIME
    assert "Amazon ECS or Amazon EKS" in error.message and "AgentCompute.instances" not in error.message


@settings(max_examples=200, deadline=None)
@given(seconds=st.integers(min_value=60, max_value=int(INSTANCES_LIFETIME) * 2), instances_compute=st.booleans())
def test_requested_lifecycle_is_bounded_by_the_compute_kind(seconds: int, instances_compute: bool) -> None:
    compute = instances("g6.xlarge") if instances_compute else None
    result = plan(compute=compute, lifecycle=LifecycleRequest(max_lifetime_seconds=seconds))
    limit = INSTANCES_LIFETIME if instances_compute else MICROVM_LIFETIME
    assert (result.finding("LifecycleOutOfRange") is not None) is (seconds > limit)


def test_three_day_task_on_instances_is_asynchronous_with_the_longer_lifetime() -> None:
    # GIVEN a three-day task on Instances compute WHEN planned
    result = plan(WorkloadProfile(longest_task=timedelta(days=3)), compute=instances("g6.xlarge"))
    # THEN it is asynchronous, and every consumer of mode_limit_seconds sees the Instances lifetime
    assert result.mode is InvocationMode.ASYNCHRONOUS
    assert result.mode_limit_seconds == INSTANCES_LIFETIME > 3 * DAY
    assert result.max_lifetime_seconds == INSTANCES_LIFETIME
    # AND on microVMs the same task is a hard error naming Instances first
    assert plan(WorkloadProfile(longest_task=timedelta(days=3))).finding("TaskTooLong") is not None


@settings(max_examples=150, deadline=None)
@given(
    instance_limit=st.integers(min_value=2 * 3600, max_value=int(INSTANCES_LIFETIME) - 1),
    task=st.integers(min_value=int(STREAMING) + 1, max_value=int(INSTANCES_LIFETIME)),
)
def test_the_capacity_providers_instance_lifetime_bounds_the_sessions(instance_limit: int, task: int) -> None:
    result = plan(WorkloadProfile(longest_task=timedelta(seconds=task)),
                  compute=instances("g6.xlarge", lifetime=instance_limit))
    assert result.max_lifetime_seconds <= instance_limit
    error = result.finding("TaskTooLong")
    assert (error is not None) is (task > instance_limit)
    if error is not None:
        assert "instance_lifecycle max_lifetime" in error.message


def test_fails_when_a_requested_lifetime_exceeds_the_instance_lifetime() -> None:
    result = plan(compute=instances("g6.xlarge", lifetime=3600), lifecycle=LifecycleRequest(max_lifetime_seconds=7200))
    error = result.finding("LifecycleOutOfRange")
    assert error is not None and "ValidationException" in error.message


def test_a_short_instance_lifetime_shortens_the_default_session_lifetime() -> None:
    result = plan(compute=instances("g6.xlarge", lifetime=3600))
    assert result.max_lifetime_seconds == 3600 and not result.errors


def test_fails_when_instances_are_planned_against_an_edition_without_them() -> None:
    result = plan(catalog=OLD, compute=instances("g6.xlarge"))
    assert "InstancesNotInEdition" in codes(result, Severity.ERROR)


# -- instance types, architectures, images, quotas ------------------------------------------------


def test_the_table_is_consistent() -> None:
    for name, size in INSTANCE_TYPES.items():
        assert size.instance_type == name and size.vcpus > 0 and size.memory_bytes > 0
        assert (size.accelerators == 0) == (size.accelerator is None) == (size.accelerator_memory_bytes == 0)
    assert {"g4dn", "g5", "g6", "g6e", "inf2"} <= {s.family for s in INSTANCE_TYPES.values()}


def test_architecture_comes_from_the_types_or_is_checked_against_them() -> None:
    assert resolve_architecture(["m7g.large", "c7g.xlarge"], None) == (InstanceArchitecture.ARM64, [])
    assert resolve_architecture(["zz1.large"], None) == (None, [])
    architecture, findings = resolve_architecture(["m7g.large", "g6.xlarge"], None)
    assert architecture is None and [f.code for f in findings] == ["InstanceArchitectureMismatch"]
    architecture, findings = resolve_architecture(["g6.xlarge"], InstanceArchitecture.ARM64)
    assert architecture is InstanceArchitecture.ARM64
    assert [f.code for f in findings] == ["InstanceArchitectureMismatch"] and "g6.xlarge" in findings[0].message


@pytest.mark.parametrize("instance_type", ["p5.48xlarge", "g5g.xlarge", "trn1.2xlarge"])
def test_fails_on_accelerator_families_agentcore_does_not_accept(instance_type: str) -> None:
    _, findings = resolve_architecture([instance_type], None)
    assert [f.code for f in findings] == ["AcceleratorFamilyNotSupported"]
    assert findings[0].severity is Severity.ERROR and instance_type in findings[0].message


def test_image_platform_follows_the_compute() -> None:
    microvm = ComputeFacts()
    assert image_platform_finding("linux/arm64", microvm) is None
    assert image_platform_finding("linux/amd64", microvm).code == "ImagePlatformNotArm64"  # type: ignore[union-attr]
    x86 = instances("g6.xlarge")
    assert image_platform_finding("linux/amd64", x86) is None
    assert image_platform_finding("linux/arm64", x86).code == "ImagePlatformMismatch"  # type: ignore[union-attr]
    unknown = ComputeFacts(ComputeKind.INSTANCES)
    assert image_platform_finding("linux/arm64", unknown) is None


def test_instance_lifecycle_bounds() -> None:
    assert instance_lifecycle_problems(60, INSTANCES_LIFETIME, NEW, None) == []
    problems = instance_lifecycle_problems(59, INSTANCES_LIFETIME + 1, NEW, None)
    assert len(problems) == 2 and "below" in problems[0] and "exceeds" in problems[1]
    assert "cannot idle longer" in instance_lifecycle_problems(7200, 3600, NEW, None)[0]


def test_agents_per_session_and_providers_per_account_come_from_the_catalog() -> None:
    per_session = int(NEW.value(QuotaName.AGENTS_PER_CAPACITY_PROVIDER_SESSION))
    assert agents_per_session_finding(per_session, "P", NEW) is None
    warning = agents_per_session_finding(per_session + 1, "P", NEW)
    assert warning is not None and warning.severity is Severity.WARNING and "hard limit" in warning.message
    per_account = int(NEW.value(QuotaName.CAPACITY_PROVIDERS_PER_ACCOUNT))
    assert capacity_providers_finding(per_account, NEW, "us-east-1") is None
    error = capacity_providers_finding(per_account + 1, NEW, "us-east-1")
    assert error is not None and error.severity is Severity.ERROR
    assert agents_per_session_finding(99, "P", OLD) is None and capacity_providers_finding(9999, OLD, None) is None


# -- the plan record and regional re-planning -------------------------------------------------------


def test_record_keeps_the_compute_kind_and_reads_old_records_as_microvm() -> None:
    result = plan(WorkloadProfile(longest_task=timedelta(days=3)), compute=instances("g6.xlarge"))
    record = PlanRecord.of(result, path="S/A", runtime_name="a", account=None, catalog=NEW, artifact="container",
                           endpoints=["DEFAULT"])
    document = record.to_dict()
    assert document["compute"] == "instances" and document["instance_types"] == ["g6.xlarge"]
    assert PlanRecord.from_dict(document) == record
    legacy = {k: v for k, v in document.items() if k not in ("compute", "instance_types")}
    assert PlanRecord.from_dict(legacy).compute == "microvm"


def test_regional_replanning_keeps_the_compute() -> None:
    profile = WorkloadProfile(vcpus_per_session=4, gpus_per_session=1)
    report = plan_regions({"gpu": profile}, ["us-east-1", None],
                          inputs={"gpu": PlanInputs(compute=instances("g6.xlarge"))})
    for entry in report.regions:
        assert not entry.plans["gpu"].errors
    microvm = plan_regions({"gpu": profile}, ["us-east-1"])
    assert microvm.region("us-east-1").plans["gpu"].finding("SessionHardwareExceeded") is not None
