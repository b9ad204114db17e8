"""Compute kinds: what a session runs on (a microVM, or a whole EC2 instance of a capacity provider) and its limits.

The planner asks this module which hardware a session can have, how long a session may live, and which instance
types a capacity provider can hold. Every number comes from the quota catalog or the instance table
(:mod:`constructs_lib.limits.instance_types`); an instance type the table does not list is reported, never guessed.

Plain Python: nothing here imports the CDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName, ResolvedQuota, Unit, format_value
from constructs_lib.limits.instance_types import (
    AGENTCORE_ACCELERATOR_FAMILIES,
    TABLE_EDITION,
    InstanceArchitecture,
    InstanceSize,
    family_of,
    instance_size,
)
from constructs_lib.planning.findings import Finding, Severity
from constructs_lib.planning.profile import WorkloadProfile


class ComputeKind(StrEnum):
    """The compute type of a runtime, chosen when it is created and not changeable afterwards."""

    MICROVM = "microvm"
    """Serverless microVMs (the default): fixed hardware per session, arm64 images, sessions of up to 8 h."""
    INSTANCES = "instances"
    """A capacity provider runs each session on a whole EC2 instance in the user's VPC."""

    @property
    def label(self) -> str:
        """The name AgentCore's documentation uses (``microVM``, ``Instances``)."""
        return "microVM" if self is ComputeKind.MICROVM else "Instances"


#: The image platform each architecture runs (``docker --platform``).
IMAGE_PLATFORMS: dict[InstanceArchitecture, str] = {
    InstanceArchitecture.ARM64: "linux/arm64",
    InstanceArchitecture.X86_64: "linux/amd64",
}
#: The capacity provider ``OperatingSystem`` of each architecture (CloudFormation enum).
OPERATING_SYSTEMS: dict[InstanceArchitecture, str] = {
    InstanceArchitecture.ARM64: "LINUX_ARM64",
    InstanceArchitecture.X86_64: "LINUX_X86_64",
}
#: The architecture microVMs run.
MICROVM_ARCHITECTURE = InstanceArchitecture.ARM64

#: How to leave microVM compute when a session needs more than it offers (hardware, lifetime).
INSTANCES_WAY_OUT = (
    "use Instances compute, compute=AgentCompute.instances(instance_types=[...], vpc=...): a capacity provider runs "
    "each session on a whole EC2 instance in your VPC (the compute type is chosen when the runtime is created and "
    "cannot be changed later); or run the agent on Amazon ECS or Amazon EKS"
)


@dataclass(frozen=True)
class ComputeFacts:
    """What is known at synth about the compute an agent runs on.

    Attributes:
        kind: microVM or Instances.
        instance_types: the instance types the capacity provider allows (Instances only); empty when unknown (a
            capacity provider given by ARN without its types).
        architecture: the capacity provider's CPU architecture (Instances), or ``None`` when unknown.
        instance_max_lifetime_seconds: the capacity provider's instance ``MaxLifetime`` when known; a runtime's
            ``max_lifetime`` may not exceed it.
        capacity_provider: how messages name the capacity provider (its construct path or ARN).
    """

    kind: ComputeKind = ComputeKind.MICROVM
    instance_types: tuple[str, ...] = ()
    architecture: InstanceArchitecture | None = None
    instance_max_lifetime_seconds: float | None = None
    capacity_provider: str | None = None

    @property
    def image_architecture(self) -> InstanceArchitecture | None:
        """The architecture container images must be built for, or ``None`` when unknown."""
        return MICROVM_ARCHITECTURE if self.kind is ComputeKind.MICROVM else self.architecture


def session_lifetime_quota(catalog: QuotaCatalog, kind: ComputeKind, region: str | None) -> ResolvedQuota | None:
    """The longest a session may live on ``kind``: the asynchronous job duration on microVMs, the Instances session
    lifetime on Instances (``None`` when the edition predates Instances compute)."""
    if kind is ComputeKind.MICROVM:
        return catalog.resolve(QuotaName.ASYNCHRONOUS_JOB_DURATION, region)
    if not catalog.has(QuotaName.INSTANCES_SESSION_LIFETIME):
        return None
    return catalog.resolve(QuotaName.INSTANCES_SESSION_LIFETIME, region)


def edition_findings(facts: ComputeFacts, catalog: QuotaCatalog) -> list[Finding]:
    """An error when Instances compute is planned against an edition that does not publish it."""
    if facts.kind is ComputeKind.INSTANCES and not catalog.has(QuotaName.INSTANCES_SESSION_LIFETIME):
        return [
            Finding(
                Severity.ERROR,
                "InstancesNotInEdition",
                f"compute is Instances, but quota edition {catalog.edition.value} predates Instances compute and "
                "publishes none of its limits; plan against edition 2026-09 or later (context key "
                "agentcore:quotaEdition)",
            )
        ]
    return []


def hardware_findings(profile: WorkloadProfile, facts: ComputeFacts, catalog: QuotaCatalog) -> list[Finding]:
    """Compare what one session needs with what the compute gives it.

    On microVMs the session hardware quotas apply (no GPU at all). On Instances every allowed instance type must
    have at least the stated vCPUs, memory, GPUs and GPU memory (a session may land on any of them); the figures
    are the whole instance's, shared by every agent placed on the same session. Types the instance table does not
    list are named in a warning.
    """
    if facts.kind is ComputeKind.MICROVM:
        return _microvm_hardware(profile, catalog)
    if not profile.states_hardware:
        return []
    if not facts.instance_types:
        return [
            Finding(
                Severity.WARNING,
                "InstanceTypesNotDeclared",
                f"the workload states per-session hardware, but the instance types of capacity provider "
                f"{facts.capacity_provider or '(unknown)'} are not known at synth, so they are not compared; pass "
                "instance_types=[...] to AgentCompute.instances(capacity_provider=...) to check them",
            )
        ]
    findings: list[Finding] = []
    unknown: list[str] = []
    for name in facts.instance_types:
        size = instance_size(name)
        if size is None:
            unknown.append(name)
            continue
        findings += _instance_fit(profile, size)
    if unknown:
        findings.append(unknown_types_finding(unknown, "so the workload's hardware is not compared with them"))
    return findings


def unknown_types_finding(unknown: Sequence[str], consequence: str) -> Finding:
    """The warning for instance types the table does not list (never estimated from their names)."""
    names = ", ".join(unknown)
    return Finding(
        Severity.WARNING,
        "InstanceTypeUnknown",
        f"instance type{'s' if len(unknown) > 1 else ''} {names} {'are' if len(unknown) > 1 else 'is'} not in the "
        f"library's instance table (edition {TABLE_EDITION}, from the Amazon EC2 instance type specifications), "
        f"{consequence}; check the type's vCPUs, memory and GPUs yourself, and acknowledge this warning",
    )


def _microvm_hardware(profile: WorkloadProfile, catalog: QuotaCatalog) -> list[Finding]:
    findings: list[Finding] = []
    for what, asked, name in (
        ("vcpus_per_session", profile.vcpus_per_session, QuotaName.SESSION_VCPU),
        ("memory_per_session", profile.memory_bytes, QuotaName.SESSION_MEMORY),
        ("gpus_per_session", profile.gpus_per_session, QuotaName.SESSION_GPUS),
    ):
        if asked is None or not catalog.has(name):
            continue
        quota = catalog.resolve(name)
        if asked > quota.value:
            findings.append(
                Finding(
                    Severity.ERROR,
                    "SessionHardwareExceeded",
                    f"{what} {format_value(asked, quota.quota.unit)} exceeds {quota.formatted()}, the "
                    f"{quota.describe()}; {INSTANCES_WAY_OUT}",
                    quota.quota.name,
                    asked,
                    quota.value,
                )
            )
    if profile.gpu_memory_bytes and catalog.has(QuotaName.SESSION_GPUS) and not profile.gpus_per_session:
        quota = catalog.resolve(QuotaName.SESSION_GPUS)
        findings.append(
            Finding(
                Severity.ERROR,
                "SessionHardwareExceeded",
                f"gpu_memory_per_session {format_value(profile.gpu_memory_bytes, Unit.BYTES)} needs a GPU, and "
                f"microVM sessions have {quota.formatted()}, the {quota.describe()}; {INSTANCES_WAY_OUT}",
                quota.quota.name,
                profile.gpu_memory_bytes,
                quota.value,
            )
        )
    return findings


def _instance_fit(profile: WorkloadProfile, size: InstanceSize) -> list[Finding]:
    """Errors for each need ``size`` does not meet."""
    short: list[tuple[str, float, float, Unit]] = []
    for what, asked, offered, unit in (
        ("vcpus_per_session", profile.vcpus_per_session, size.vcpus, Unit.VCPU),
        ("memory_per_session", profile.memory_bytes, size.memory_bytes, Unit.BYTES),
        ("gpus_per_session", profile.gpus_per_session, size.accelerators, Unit.COUNT),
        ("gpu_memory_per_session", profile.gpu_memory_bytes, size.accelerator_memory_bytes, Unit.BYTES),
    ):
        if asked is not None and asked > offered:
            short.append((what, float(asked), float(offered), unit))
    return [
        Finding(
            Severity.ERROR,
            "InstanceTypeTooSmall",
            f"{what} {format_value(asked, unit)} exceeds the {format_value(offered, unit)} of instance type "
            f"{size.instance_type} ({describe(size)}), one of the capacity provider's allowed types: a session "
            "placed on it would not get what it needs; remove it from instance_types or allow only larger types",
            None,
            asked,
            offered,
        )
        for what, asked, offered, unit in short
    ]


def describe(size: InstanceSize) -> str:
    """``4 vCPU, 16 GiB, 1 x NVIDIA L4 (24 GiB), x86_64`` for messages."""
    parts = [format_value(size.vcpus, Unit.VCPU), format_value(size.memory_bytes, Unit.BYTES)]
    if size.accelerators:
        parts.append(
            f"{size.accelerators} x {size.accelerator} ({format_value(size.accelerator_memory_bytes, Unit.BYTES)})"
        )
    parts.append(size.architecture.value)
    return ", ".join(parts)


def resolve_architecture(
    instance_types: Sequence[str], requested: InstanceArchitecture | None
) -> tuple[InstanceArchitecture | None, list[Finding]]:
    """The architecture of a capacity provider and the problems with its instance types.

    The architecture is the one requested, else the one every known type shares. Errors: known types of two
    architectures, known types of another architecture than the one requested, and accelerator types of families
    AgentCore Instances does not accept (``CreateCapacityProvider`` rejects them). Returns ``None`` as the
    architecture when nothing states it (no request and no known type): the caller must ask for it.
    """
    findings: list[Finding] = []
    known = [size for size in (instance_size(name) for name in instance_types) if size is not None]
    by_architecture: dict[InstanceArchitecture, list[str]] = {}
    for size in known:
        by_architecture.setdefault(size.architecture, []).append(size.instance_type)
    architecture = requested
    if requested is not None:
        others = {a: names for a, names in by_architecture.items() if a is not requested}
        for other, names in others.items():
            findings.append(
                Finding(
                    Severity.ERROR,
                    "InstanceArchitectureMismatch",
                    f"instance_types {', '.join(names)}: {other.value}, but the capacity provider's architecture is "
                    f"{requested.value}: one capacity provider launches one operating system; choose types of one "
                    "architecture, or another capacity provider",
                )
            )
    elif len(by_architecture) > 1:
        listing = "; ".join(f"{a.value}: {', '.join(names)}" for a, names in sorted(by_architecture.items()))
        findings.append(
            Finding(
                Severity.ERROR,
                "InstanceArchitectureMismatch",
                f"instance_types mix architectures ({listing}): one capacity provider launches one operating system; "
                "choose types of one architecture, or one capacity provider per architecture",
            )
        )
    elif by_architecture:
        architecture = next(iter(by_architecture))
    for size in known:
        if has_unsupported_accelerator(size.instance_type):
            findings.append(
                Finding(
                    Severity.ERROR,
                    "AcceleratorFamilyNotSupported",
                    f"instance type {size.instance_type} has {size.accelerator} accelerators, but AgentCore Instances "
                    "accepts accelerator types only from the families "
                    f"{', '.join(sorted(AGENTCORE_ACCELERATOR_FAMILIES))} (CreateCapacityProvider fails with a "
                    "ValidationException); choose a type of one of them",
                )
            )
    return architecture, findings


def has_unsupported_accelerator(instance_type: str) -> bool:
    """Whether ``instance_type`` is a known accelerator type of a family AgentCore Instances rejects."""
    size = instance_size(instance_type)
    return size is not None and size.accelerators > 0 and family_of(instance_type) not in AGENTCORE_ACCELERATOR_FAMILIES


def image_platform_finding(platform: str, facts: ComputeFacts) -> Finding | None:
    """A warning when a container image is built for another platform than the compute runs.

    microVMs run only ``linux/arm64`` (``ImagePlatformNotArm64``); Instances run the architecture of the capacity
    provider (``ImagePlatformMismatch``); with an unknown provider architecture nothing is compared.
    """
    expected = facts.image_architecture
    if expected is None or platform == IMAGE_PLATFORMS[expected]:
        return None
    if facts.kind is ComputeKind.MICROVM:
        return Finding(
            Severity.WARNING,
            "ImagePlatformNotArm64",
            f"the agent image is built for {platform}, but AgentCore microVM compute runs only linux/arm64 images; "
            "deployment will fail unless the image is multi-architecture; build for linux/arm64, or use Instances "
            "compute (AgentCompute.instances(...)), which runs x86_64 and arm64",
        )
    return Finding(
        Severity.WARNING,
        "ImagePlatformMismatch",
        f"the agent image is built for {platform}, but capacity provider {facts.capacity_provider or ''} runs "
        f"{expected.value} instances ({IMAGE_PLATFORMS[expected]}); build for {IMAGE_PLATFORMS[expected]} or use a "
        "multi-architecture image",
    )


def instance_lifecycle_problems(
    idle_seconds: float | None, max_seconds: float | None, catalog: QuotaCatalog, region: str | None
) -> list[str]:
    """Problems with a capacity provider's instance lifecycle (``idle_instance_timeout``, ``max_lifetime``)."""
    problems: list[str] = []
    minimum = catalog.resolve(QuotaName.LIFECYCLE_TIMEOUT_MINIMUM, region)
    maximum = session_lifetime_quota(catalog, ComputeKind.INSTANCES, region)
    for name, value in (("idle_instance_timeout", idle_seconds), ("max_lifetime", max_seconds)):
        if value is None:
            continue
        if value < minimum.value:
            problems.append(
                f"instance_lifecycle {name} {format_value(value, Unit.SECONDS)} is below {minimum.formatted()}, "
                f"the {minimum.describe()}"
            )
        elif maximum is not None and value > maximum.value:
            problems.append(
                f"instance_lifecycle {name} {format_value(value, Unit.SECONDS)} exceeds {maximum.formatted()}, "
                f"the {maximum.describe()}"
            )
    if idle_seconds is not None and max_seconds is not None and idle_seconds > max_seconds:
        problems.append(
            f"instance_lifecycle idle_instance_timeout {format_value(idle_seconds, Unit.SECONDS)} exceeds max_lifetime "
            f"{format_value(max_seconds, Unit.SECONDS)}; an instance cannot idle longer than it lives"
        )
    return problems


def agents_per_session_finding(agents: int, provider: str, catalog: QuotaCatalog) -> Finding | None:
    """A warning when more agents share a capacity provider than one of its sessions can hold.

    Agents share a session (one EC2 instance) when invoked with the same session id; beyond the quota some of them
    cannot join. The quota is a hard limit, but sharing a provider does not by itself cross it, hence a warning.
    """
    if not catalog.has(QuotaName.AGENTS_PER_CAPACITY_PROVIDER_SESSION):
        return None
    quota = catalog.resolve(QuotaName.AGENTS_PER_CAPACITY_PROVIDER_SESSION)
    if agents <= quota.value:
        return None
    return Finding(
        Severity.WARNING,
        "AgentsPerSessionExceeded",
        f"{agents} agents run on capacity provider {provider}, more than {quota.formatted()}, the {quota.describe()}: "
        "agents invoked with one session id share one instance, and no more than that many fit on it; co-locate at "
        "most that many agents per session id, or split the agents across capacity providers",
        quota.quota.name,
        agents,
        quota.value,
    )


def capacity_providers_finding(count: int, catalog: QuotaCatalog, region: str | None) -> Finding | None:
    """An error when an app defines more capacity providers for one account and region than the account may have."""
    if not catalog.has(QuotaName.CAPACITY_PROVIDERS_PER_ACCOUNT):
        return None
    quota = catalog.resolve(QuotaName.CAPACITY_PROVIDERS_PER_ACCOUNT, region)
    if count <= quota.value:
        return None
    return Finding(
        Severity.ERROR,
        "TooManyCapacityProviders",
        f"the app defines {count} capacity providers for one account and region, more than {quota.formatted()}, the "
        f"{quota.describe()}; share capacity providers between agents (AgentCompute.instances(capacity_provider=...))",
        quota.quota.name,
        count,
        quota.value,
    )


__all__ = [
    "IMAGE_PLATFORMS",
    "INSTANCES_WAY_OUT",
    "MICROVM_ARCHITECTURE",
    "OPERATING_SYSTEMS",
    "ComputeFacts",
    "ComputeKind",
    "agents_per_session_finding",
    "capacity_providers_finding",
    "describe",
    "edition_findings",
    "hardware_findings",
    "has_unsupported_accelerator",
    "image_platform_finding",
    "instance_lifecycle_problems",
    "resolve_architecture",
    "session_lifetime_quota",
    "unknown_types_finding",
]
