"""Rollout planning: a stable and a candidate endpoint, the share of new sessions the candidate gets, and when to roll
back automatically.

:func:`rollout_problems` checks what a user asks for (endpoint names, pins, weight, rollback thresholds) and
:meth:`RolloutPlan.derive` turns it, with the agent's :class:`CapacityPlan`, into the values the constructs and the
report use: the rollback alarms' thresholds are a fraction of the candidate's invocations (errors) and a fraction of
the invocation mode's limit (p99 latency), from :func:`constructs_lib.planning.operations.latency_alarms`.

Plain Python: nothing here imports the CDK. Token values are checked by the constructs, which pass ``None`` here for
a value that cannot be seen at synth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.limits.service import DEFAULT_ENDPOINT, RUNTIME_VERSION_PATTERN
from constructs_lib.limits.validation import name_problems
from constructs_lib.planning.agent_plan import CapacityPlan
from constructs_lib.planning.operations import MOSTLY, Evaluation, latency_alarms

#: The candidate's weight is a percentage of new sessions: 0 sends every new session to the stable endpoint, this
#: value sends every one to the candidate (a definition of the weight, not a quota).
WEIGHT_MAX = 100
#: Default: roll back when more than this fraction of the candidate's invocations end in a system error.
DEFAULT_ROLLBACK_ERROR_RATE = 0.05
#: Default: roll back when the candidate's p99 latency reaches this fraction of the invocation mode's limit.
DEFAULT_ROLLBACK_LATENCY_FRACTION = 0.8
#: How many periods the rollback alarms look at, and how many must breach (errors and latency are noisy).
ROLLBACK_EVALUATION: Evaluation = MOSTLY

#: Codes of the rollout's problems.
INVALID_ROLLOUT_ENDPOINT = "InvalidRolloutEndpoint"
INVALID_ROLLOUT_VERSION = "InvalidRolloutVersion"
INVALID_ROLLOUT_WEIGHT = "InvalidRolloutWeight"
INVALID_ROLLOUT_THRESHOLD = "InvalidRolloutThreshold"


def version_problems(prop: str, version: str | None) -> list[str]:
    """Problems with a version pin (``None``: nothing to check, a token or no pin)."""
    if version is None or RUNTIME_VERSION_PATTERN.fullmatch(version):
        return []
    return [f"{prop} must be a runtime version, a whole number from 1 written in at most five digits as AgentCore "
            f"numbers versions ('1', '2', ...), got {version!r}"]


def weight_problems(weight: Any) -> list[str]:
    """Problems with the candidate's weight: a whole number of percent within 0 and :data:`WEIGHT_MAX`."""
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= WEIGHT_MAX:
        return [f"candidate_weight must be a whole number of percent from 0 (every new session on the stable "
                f"endpoint) to {WEIGHT_MAX} (every new session on the candidate), got {weight!r}"]
    return []


def fraction_problems(prop: str, value: Any) -> list[str]:
    """Problems with a rollback threshold: a fraction above 0 and at most 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        return [f"{prop} must be a fraction above 0 and at most 1, got {value!r}"]
    return []


def rollout_problems(
    *,
    stable: str,
    candidate: str,
    stable_version: str | None,
    candidate_version: str | None,
    candidate_weight: Any,
    rollback_error_rate: Any = DEFAULT_ROLLBACK_ERROR_RATE,
    rollback_latency_fraction: Any = DEFAULT_ROLLBACK_LATENCY_FRACTION,
) -> list[tuple[str, str]]:
    """Every problem of a rollout, as ``(code, message)``, in the order of the props.

    Args:
        stable: the stable endpoint's name.
        candidate: the candidate endpoint's name.
        stable_version: the stable endpoint's pin (``None`` when it is a token).
        candidate_version: the candidate's pin (``None``: it follows the deployed version, or a token).
        candidate_weight: the candidate's share of new sessions, in percent.
        rollback_error_rate: the error-rate threshold of the automatic rollback.
        rollback_latency_fraction: the latency threshold of the automatic rollback.
    """
    problems: list[tuple[str, str]] = []
    for prop, name in (("stable", stable), ("candidate", candidate)):
        found = name_problems(name, prop)
        if name == DEFAULT_ENDPOINT:
            found.append(f"{prop} must name an endpoint of its own, not {DEFAULT_ENDPOINT!r}: DEFAULT follows the "
                         "deployed version and cannot be pinned or weighted")
        problems += [(INVALID_ROLLOUT_ENDPOINT, p) for p in found]
    if stable and stable == candidate:
        problems.append((INVALID_ROLLOUT_ENDPOINT, f"candidate must differ from stable, both are {stable!r}: a "
                         "rollout splits new sessions between two endpoints"))
    problems += [(INVALID_ROLLOUT_VERSION, p) for p in version_problems("stable_version", stable_version)]
    problems += [(INVALID_ROLLOUT_VERSION, p) for p in version_problems("candidate_version", candidate_version)]
    problems += [(INVALID_ROLLOUT_WEIGHT, p) for p in weight_problems(candidate_weight)]
    problems += [(INVALID_ROLLOUT_THRESHOLD, p) for p in fraction_problems("rollback_error_rate", rollback_error_rate)]
    problems += [(INVALID_ROLLOUT_THRESHOLD, p)
                 for p in fraction_problems("rollback_latency_fraction", rollback_latency_fraction)]
    return problems


@dataclass(frozen=True, kw_only=True)
class RolloutPlan:
    """What a rollout decided: the two endpoints, their pins, the split and the automatic rollback's thresholds.

    Attributes:
        stable: the stable endpoint (pinned).
        stable_version: its version, or ``None`` when the pin is a token.
        candidate: the candidate endpoint.
        candidate_version: its pin; ``None`` when it follows the deployed version (or the pin is a token).
        candidate_follows_latest: the candidate follows the deployed version.
        candidate_weight: the candidate's share of new sessions, in percent.
        automatic_rollback: alarms on the candidate move new sessions to the stable endpoint.
        error_rate_threshold: the system-error rate of the candidate's invocations that rolls back.
        latency_threshold_ms: the candidate's p99 latency, in milliseconds, that rolls back.
        latency_limit_ms: the limit the latency threshold is a fraction of (the invocation mode's).
        evaluation_periods: periods the rollback alarms look at.
        datapoints_to_alarm: periods of them that must breach.
    """

    stable: str
    stable_version: str | None
    candidate: str
    candidate_version: str | None
    candidate_follows_latest: bool
    candidate_weight: int
    automatic_rollback: bool
    error_rate_threshold: float
    latency_threshold_ms: float
    latency_limit_ms: float
    evaluation_periods: int
    datapoints_to_alarm: int

    @classmethod
    def derive(
        cls,
        plan: CapacityPlan,
        catalog: QuotaCatalog,
        *,
        stable: str,
        stable_version: str | None,
        candidate: str,
        candidate_version: str | None,
        candidate_follows_latest: bool,
        candidate_weight: int,
        automatic_rollback: bool = True,
        rollback_error_rate: float = DEFAULT_ROLLBACK_ERROR_RATE,
        rollback_latency_fraction: float = DEFAULT_ROLLBACK_LATENCY_FRACTION,
    ) -> RolloutPlan:
        """The rollout of an agent with ``plan``; the props are checked already (:func:`rollout_problems`)."""
        latency = latency_alarms(
            catalog, plan.region, mode=plan.mode, mode_limit_seconds=plan.mode_limit_seconds,
            levels={"Rollback": rollback_latency_fraction},
        )
        return cls(
            stable=stable,
            stable_version=stable_version,
            candidate=candidate,
            candidate_version=candidate_version,
            candidate_follows_latest=candidate_follows_latest,
            candidate_weight=candidate_weight,
            automatic_rollback=automatic_rollback,
            error_rate_threshold=float(rollback_error_rate),
            latency_threshold_ms=latency.levels[0].threshold,
            latency_limit_ms=latency.limit_ms,
            evaluation_periods=ROLLBACK_EVALUATION.evaluation_periods,
            datapoints_to_alarm=ROLLBACK_EVALUATION.datapoints_to_alarm,
        )

    @property
    def endpoints(self) -> tuple[str, str]:
        """``(stable, candidate)``."""
        return self.stable, self.candidate

    def describe_candidate(self) -> str:
        """The candidate's version in words (``"follows the deployed version"`` or ``"version 4"``)."""
        if self.candidate_follows_latest:
            return "follows the deployed version"
        return f"version {self.candidate_version}" if self.candidate_version else "a version set at deploy"

    def to_dict(self) -> dict[str, Any]:
        """The rollout as JSON (in the plan record)."""
        return {
            "stable": self.stable, "stable_version": self.stable_version, "candidate": self.candidate,
            "candidate_version": self.candidate_version, "candidate_follows_latest": self.candidate_follows_latest,
            "candidate_weight": self.candidate_weight, "automatic_rollback": self.automatic_rollback,
            "error_rate_threshold": self.error_rate_threshold, "latency_threshold_ms": self.latency_threshold_ms,
            "latency_limit_ms": self.latency_limit_ms, "evaluation_periods": self.evaluation_periods,
            "datapoints_to_alarm": self.datapoints_to_alarm,
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> RolloutPlan:
        """Read a rollout written by :meth:`to_dict` (CDK drops null values from metadata: absent pins are ``None``)."""
        return cls(
            stable=str(document["stable"]),
            stable_version=document.get("stable_version"),
            candidate=str(document["candidate"]),
            candidate_version=document.get("candidate_version"),
            candidate_follows_latest=bool(document["candidate_follows_latest"]),
            candidate_weight=int(document["candidate_weight"]),
            automatic_rollback=bool(document["automatic_rollback"]),
            error_rate_threshold=float(document["error_rate_threshold"]),
            latency_threshold_ms=float(document["latency_threshold_ms"]),
            latency_limit_ms=float(document["latency_limit_ms"]),
            evaluation_periods=int(document["evaluation_periods"]),
            datapoints_to_alarm=int(document["datapoints_to_alarm"]),
        )


__all__ = [
    "DEFAULT_ROLLBACK_ERROR_RATE",
    "DEFAULT_ROLLBACK_LATENCY_FRACTION",
    "INVALID_ROLLOUT_ENDPOINT",
    "INVALID_ROLLOUT_THRESHOLD",
    "INVALID_ROLLOUT_VERSION",
    "INVALID_ROLLOUT_WEIGHT",
    "ROLLBACK_EVALUATION",
    "WEIGHT_MAX",
    "RolloutPlan",
    "fraction_problems",
    "rollout_problems",
    "version_problems",
    "weight_problems",
]
