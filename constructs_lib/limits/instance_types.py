"""EC2 instance sizes for Instances compute: vCPUs, memory, accelerators and architecture per instance type.

The planner compares what a workload needs per session with the instance types a capacity provider allows. The
table lists only types whose figures are published; a type that is not listed is reported as unknown, never
estimated from its name.

Sources:
    - vCPUs, memory and architecture: Amazon EC2 instance type specifications, general purpose, compute optimized,
      memory optimized and accelerated computing
      (https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html, ``co.html``, ``mo.html``, ``ac.html``).
    - GPU and accelerator count and memory: the accelerated computing specifications (``ac.html``), as listed there
      (nominal memory per device).
    - Accelerator families AgentCore Instances supports: AgentCore developer guide, "Use GPU instance types"
      (https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-instances-how-it-works.html, as
      published in September 2026).

This module imports nothing from the CDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

_GIB = 1024**3

#: When the figures below were taken from the sources named in the module docstring.
TABLE_EDITION = "2026-09"


class InstanceArchitecture(StrEnum):
    """The CPU architecture of an instance type, and of the images and operating system it runs."""

    ARM64 = "arm64"
    """AWS Graviton (``LINUX_ARM64`` capacity providers, ``linux/arm64`` images)."""
    X86_64 = "x86_64"
    """Intel and AMD (``LINUX_X86_64`` capacity providers, ``linux/amd64`` images)."""


@dataclass(frozen=True)
class InstanceSize:
    """What one EC2 instance type offers a session.

    Attributes:
        instance_type: the type name (``g6.xlarge``).
        vcpus: vCPUs of the instance.
        memory_bytes: memory of the instance.
        architecture: its CPU architecture.
        accelerators: GPUs or other accelerators (AWS Inferentia, Trainium) of the instance; 0 for none.
        accelerator_memory_bytes: memory of all its accelerators together.
        accelerator: the accelerator model (``NVIDIA L4``), or ``None``.
    """

    instance_type: str
    vcpus: int
    memory_bytes: float
    architecture: InstanceArchitecture
    accelerators: int = 0
    accelerator_memory_bytes: float = 0.0
    accelerator: str | None = None

    @property
    def family(self) -> str:
        """The instance family (``g6`` for ``g6.xlarge``)."""
        return family_of(self.instance_type)


def family_of(instance_type: str) -> str:
    """The family part of an instance type name (``g6e`` for ``g6e.2xlarge``)."""
    return instance_type.split(".", 1)[0]


#: Accelerator families AgentCore Instances accepts; a capacity provider with an accelerator type of another family
#: fails with a ValidationException (developer guide, "Use GPU instance types").
AGENTCORE_ACCELERATOR_FAMILIES: frozenset[str] = frozenset(
    {"g4dn", "g5", "g6", "g6e", "gr6", "g6f", "gr6f", "g7e", "inf2"}
)

_A, _X = InstanceArchitecture.ARM64, InstanceArchitecture.X86_64

# vCPUs per size name; a family lists the sizes it has (metal sizes are left out).
_VCPUS = {
    "medium": 1, "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "9xlarge": 36, "12xlarge": 48,
    "16xlarge": 64, "18xlarge": 72, "24xlarge": 96, "32xlarge": 128, "48xlarge": 192,
}
_GRAVITON_SIZES = ("medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_GEN6_INTEL_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
                     "32xlarge")
_GEN7_INTEL_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
                     "48xlarge")

# CPU families whose memory is a fixed number of GiB per vCPU: (family, architecture, GiB per vCPU, sizes).
_CPU_FAMILIES: tuple[tuple[str, InstanceArchitecture, int, tuple[str, ...]], ...] = (
    ("m6g", _A, 4, _GRAVITON_SIZES),
    ("c6g", _A, 2, _GRAVITON_SIZES),
    ("r6g", _A, 8, _GRAVITON_SIZES),
    ("m7g", _A, 4, _GRAVITON_SIZES),
    ("c7g", _A, 2, _GRAVITON_SIZES),
    ("r7g", _A, 8, _GRAVITON_SIZES),
    ("m5", _X, 4, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")),
    ("c5", _X, 2, ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge")),
    ("r5", _X, 8, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")),
    ("m6i", _X, 4, _GEN6_INTEL_SIZES),
    ("c6i", _X, 2, _GEN6_INTEL_SIZES),
    ("r6i", _X, 8, _GEN6_INTEL_SIZES),
    ("m7i", _X, 4, _GEN7_INTEL_SIZES),
    ("c7i", _X, 2, _GEN7_INTEL_SIZES),
    ("r7i", _X, 8, _GEN7_INTEL_SIZES),
)

# Accelerated types, one row each: (type, architecture, vCPUs, memory GiB, accelerators, GiB per accelerator, model).
_ACCELERATED: tuple[tuple[str, InstanceArchitecture, int, int, int, int, str], ...] = (
    ("g4dn.xlarge", _X, 4, 16, 1, 16, "NVIDIA T4"),
    ("g4dn.2xlarge", _X, 8, 32, 1, 16, "NVIDIA T4"),
    ("g4dn.4xlarge", _X, 16, 64, 1, 16, "NVIDIA T4"),
    ("g4dn.8xlarge", _X, 32, 128, 1, 16, "NVIDIA T4"),
    ("g4dn.12xlarge", _X, 48, 192, 4, 16, "NVIDIA T4"),
    ("g4dn.16xlarge", _X, 64, 256, 1, 16, "NVIDIA T4"),
    ("g5.xlarge", _X, 4, 16, 1, 24, "NVIDIA A10G"),
    ("g5.2xlarge", _X, 8, 32, 1, 24, "NVIDIA A10G"),
    ("g5.4xlarge", _X, 16, 64, 1, 24, "NVIDIA A10G"),
    ("g5.8xlarge", _X, 32, 128, 1, 24, "NVIDIA A10G"),
    ("g5.12xlarge", _X, 48, 192, 4, 24, "NVIDIA A10G"),
    ("g5.16xlarge", _X, 64, 256, 1, 24, "NVIDIA A10G"),
    ("g5.24xlarge", _X, 96, 384, 4, 24, "NVIDIA A10G"),
    ("g5.48xlarge", _X, 192, 768, 8, 24, "NVIDIA A10G"),
    ("g6.xlarge", _X, 4, 16, 1, 24, "NVIDIA L4"),
    ("g6.2xlarge", _X, 8, 32, 1, 24, "NVIDIA L4"),
    ("g6.4xlarge", _X, 16, 64, 1, 24, "NVIDIA L4"),
    ("g6.8xlarge", _X, 32, 128, 1, 24, "NVIDIA L4"),
    ("g6.12xlarge", _X, 48, 192, 4, 24, "NVIDIA L4"),
    ("g6.16xlarge", _X, 64, 256, 1, 24, "NVIDIA L4"),
    ("g6.24xlarge", _X, 96, 384, 4, 24, "NVIDIA L4"),
    ("g6.48xlarge", _X, 192, 768, 8, 24, "NVIDIA L4"),
    ("g6e.xlarge", _X, 4, 32, 1, 48, "NVIDIA L40S"),
    ("g6e.2xlarge", _X, 8, 64, 1, 48, "NVIDIA L40S"),
    ("g6e.4xlarge", _X, 16, 128, 1, 48, "NVIDIA L40S"),
    ("g6e.8xlarge", _X, 32, 256, 1, 48, "NVIDIA L40S"),
    ("g6e.12xlarge", _X, 48, 384, 4, 48, "NVIDIA L40S"),
    ("g6e.16xlarge", _X, 64, 512, 1, 48, "NVIDIA L40S"),
    ("g6e.24xlarge", _X, 96, 768, 4, 48, "NVIDIA L40S"),
    ("g6e.48xlarge", _X, 192, 1536, 8, 48, "NVIDIA L40S"),
    ("inf2.xlarge", _X, 4, 16, 1, 32, "AWS Inferentia2"),
    ("inf2.8xlarge", _X, 32, 128, 1, 32, "AWS Inferentia2"),
    ("inf2.24xlarge", _X, 96, 384, 6, 32, "AWS Inferentia2"),
    ("inf2.48xlarge", _X, 192, 768, 12, 32, "AWS Inferentia2"),
    # Accelerated families AgentCore Instances does not accept, listed so that the planner can say so.
    ("g5g.xlarge", _A, 4, 8, 1, 16, "NVIDIA T4G"),
    ("g5g.2xlarge", _A, 8, 16, 1, 16, "NVIDIA T4G"),
    ("p4d.24xlarge", _X, 96, 1152, 8, 40, "NVIDIA A100"),
    ("p5.48xlarge", _X, 192, 2048, 8, 80, "NVIDIA H100"),
    ("trn1.2xlarge", _X, 8, 32, 1, 32, "AWS Trainium"),
    ("trn1.32xlarge", _X, 128, 512, 16, 32, "AWS Trainium"),
)


def _table() -> dict[str, InstanceSize]:
    table: dict[str, InstanceSize] = {}
    for family, architecture, gib_per_vcpu, sizes in _CPU_FAMILIES:
        for size in sizes:
            name = f"{family}.{size}"
            vcpus = _VCPUS[size]
            table[name] = InstanceSize(name, vcpus, float(vcpus * gib_per_vcpu * _GIB), architecture)
    for name, architecture, vcpus, memory_gib, count, device_gib, model in _ACCELERATED:
        table[name] = InstanceSize(
            name, vcpus, float(memory_gib * _GIB), architecture, count, float(count * device_gib * _GIB), model
        )
    return table


#: Every instance type the library knows, by name.
INSTANCE_TYPES: Mapping[str, InstanceSize] = _table()


def instance_size(instance_type: str) -> InstanceSize | None:
    """The published size of ``instance_type``, or ``None`` when the table does not list it."""
    return INSTANCE_TYPES.get(instance_type)


__all__ = [
    "AGENTCORE_ACCELERATOR_FAMILIES",
    "INSTANCE_TYPES",
    "TABLE_EDITION",
    "InstanceArchitecture",
    "InstanceSize",
    "family_of",
    "instance_size",
]
