"""WorkloadProfile: what an agent needs, in the user's terms, converted once to plain numbers.

Durations may be given as ``aws_cdk.Duration`` or ``datetime.timedelta``, sizes as ``aws_cdk.Size`` (anything with
``to_bytes()``); nothing here imports the CDK.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from constructs_lib.errors import ConstructsLibValidationError


@runtime_checkable
class _DurationLike(Protocol):
    def to_milliseconds(self) -> float: ...


@runtime_checkable
class _SizeLike(Protocol):
    def to_bytes(self) -> float: ...


DurationLike = Any
"""``aws_cdk.Duration`` or ``datetime.timedelta``."""
SizeLike = Any
"""``aws_cdk.Size`` (or anything with ``to_bytes()``)."""


@dataclass(frozen=True, kw_only=True)
class WorkloadProfile:
    """What an agent needs, in the user's terms. Every field is optional.

    Args:
        vcpus_per_session: vCPUs one session needs. Default: not stated, no hardware check.
        memory_per_session: memory one session needs (``Size``). Default: not stated.
        gpus_per_session: GPUs (or AWS accelerators such as Inferentia) one session needs, a whole number. microVM
            compute has none (quota ``session_gpus``); on Instances compute each allowed instance type must have
            at least this many. Default: not stated, no GPU check.
        gpu_memory_per_session: GPU memory one session needs across its GPUs (``Size``), compared with the
            accelerator memory of each allowed instance type. Default: not stated.
        longest_task: the longest single task the agent runs (``Duration`` or ``timedelta``); it
            chooses the invocation mode. Default: short tasks, synchronous invocation.
        peak_requests_per_second: peak invocations per second across the agent's endpoints.
            Default: not stated; the plan offers the whole capacity the quota allows.
        peak_concurrent_sessions: peak number of sessions alive at once, a whole number. Default: not stated.
        new_sessions_per_second: peak rate of new sessions. Default: not stated.
        max_payload: largest request payload (``Size``). Default: not stated, no payload check.
        max_response: largest answer of one invocation (``Size``), for front doors that buffer answers.
            Default: not stated, no answer-size check.
        streaming_chunk: largest streamed response chunk (``Size``). Default: not stated.
        websocket_frame_size: largest WebSocket frame (``Size``). Default: no WebSocket use.
        websocket_frames_per_second: peak frames per second on one connection. Default: not stated.
        endpoints: how many endpoints the agent should have, ``DEFAULT`` included. Default:
            ``DEFAULT`` plus the ones named on the agent, or more if throughput needs them.
        deployments_per_day: how often the agent is updated (each update is a new version).
            Default: not stated, no version-quota projection.
    """

    vcpus_per_session: float | None = None
    memory_per_session: SizeLike | None = None
    gpus_per_session: int | None = None
    gpu_memory_per_session: SizeLike | None = None
    longest_task: DurationLike | None = None
    peak_requests_per_second: float | None = None
    peak_concurrent_sessions: int | None = None
    new_sessions_per_second: float | None = None
    max_payload: SizeLike | None = None
    max_response: SizeLike | None = None
    streaming_chunk: SizeLike | None = None
    websocket_frame_size: SizeLike | None = None
    websocket_frames_per_second: float | None = None
    endpoints: int | None = None
    deployments_per_day: float | None = None
    _normalized: dict[str, float | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems: list[str] = []
        normalized: dict[str, float | None] = {
            "longest_task_seconds": _seconds(self.longest_task, "longest_task", problems),
            "memory_bytes": _bytes(self.memory_per_session, "memory_per_session", problems),
            "gpu_memory_bytes": _bytes(self.gpu_memory_per_session, "gpu_memory_per_session", problems),
            "max_payload_bytes": _bytes(self.max_payload, "max_payload", problems),
            "max_response_bytes": _bytes(self.max_response, "max_response", problems),
            "streaming_chunk_bytes": _bytes(self.streaming_chunk, "streaming_chunk", problems),
            "websocket_frame_bytes": _bytes(self.websocket_frame_size, "websocket_frame_size", problems),
        }
        for name in (
            "vcpus_per_session",
            "gpus_per_session",
            "peak_requests_per_second",
            "peak_concurrent_sessions",
            "new_sessions_per_second",
            "websocket_frames_per_second",
            "endpoints",
            "deployments_per_day",
        ):
            _check_number(name, getattr(self, name), problems)
        if self.endpoints is not None and (not float(self.endpoints).is_integer() or self.endpoints < 1):
            problems.append(f"endpoints must be a whole number of at least 1, got {self.endpoints!r}")
        # Counts of things are whole numbers: a fractional one is an error, never rounded.
        for name in ("gpus_per_session", "peak_concurrent_sessions"):
            if _is_fractional(getattr(self, name)):
                problems.append(f"{name} must be a whole number, got {getattr(self, name)!r}")
        if problems:
            raise ConstructsLibValidationError("InvalidWorkloadProfile", "; ".join(problems))
        object.__setattr__(self, "_normalized", normalized)

    @property
    def longest_task_seconds(self) -> float | None:
        """``longest_task`` in seconds."""
        return self._normalized["longest_task_seconds"]

    @property
    def memory_bytes(self) -> float | None:
        """``memory_per_session`` in bytes."""
        return self._normalized["memory_bytes"]

    @property
    def gpu_memory_bytes(self) -> float | None:
        """``gpu_memory_per_session`` in bytes."""
        return self._normalized["gpu_memory_bytes"]

    @property
    def states_hardware(self) -> bool:
        """Whether the profile states any per-session hardware need (vCPU, memory, GPUs, GPU memory)."""
        return any(
            value is not None
            for value in (self.vcpus_per_session, self.memory_bytes, self.gpus_per_session, self.gpu_memory_bytes)
        )

    @property
    def max_payload_bytes(self) -> float | None:
        """``max_payload`` in bytes."""
        return self._normalized["max_payload_bytes"]

    @property
    def max_response_bytes(self) -> float | None:
        """``max_response`` in bytes."""
        return self._normalized["max_response_bytes"]

    @property
    def streaming_chunk_bytes(self) -> float | None:
        """``streaming_chunk`` in bytes."""
        return self._normalized["streaming_chunk_bytes"]

    @property
    def websocket_frame_bytes(self) -> float | None:
        """``websocket_frame_size`` in bytes."""
        return self._normalized["websocket_frame_bytes"]

    @property
    def uses_websocket(self) -> bool:
        """Whether the profile describes WebSocket traffic."""
        return self.websocket_frame_size is not None or self.websocket_frames_per_second is not None


def _check_number(name: str, value: Any, problems: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(f"{name} must be a finite number, got {value!r}")
    elif value < 0:
        problems.append(f"{name} must not be negative, got {value!r}")


def _is_fractional(value: Any) -> bool:
    """A finite number that is not whole (other problems with the value are reported by ``_check_number``)."""
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        and not float(value).is_integer()
    )


def _seconds(value: Any, name: str, problems: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, _DurationLike):
        if _is_unresolved(value):
            problems.append(f"{name} must be a concrete duration, got an unresolved token")
            return None
        seconds = float(value.to_milliseconds()) / 1000.0
    else:
        problems.append(f"{name} must be an aws_cdk.Duration or datetime.timedelta, got {type(value).__name__}")
        return None
    if seconds < 0:
        problems.append(f"{name} must not be negative, got {seconds} s")
        return None
    return seconds


def _bytes(value: Any, name: str, problems: list[str]) -> float | None:
    if value is None:
        return None
    # int has a to_bytes() of its own (serialization), so bare numbers are rejected explicitly.
    if isinstance(value, int | float) or not isinstance(value, _SizeLike):
        problems.append(
            f"{name} must be an aws_cdk.Size (for example Size.mebibytes(20)), got {type(value).__name__}"
        )
        return None
    if _is_unresolved(value):
        problems.append(f"{name} must be a concrete size, got an unresolved token")
        return None
    return float(value.to_bytes())


def _is_unresolved(value: Any) -> bool:
    check = getattr(value, "is_unresolved", None)
    return bool(check()) if callable(check) else False


__all__ = ["DurationLike", "SizeLike", "WorkloadProfile"]
