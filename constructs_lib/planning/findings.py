"""Findings: what planning reports at synth (errors for hard limits, warnings for adjustable quotas, infos)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from constructs_lib.limits.catalog import QuotaName


class Severity(StrEnum):
    """How a finding is reported at synth."""

    ERROR = "error"
    """A hard limit is crossed: synthesis fails."""
    WARNING = "warning"
    """An adjustable quota is crossed, or the plan rests on an assumption: an acknowledgeable warning."""
    INFO = "info"
    """A decision the plan made that the user may want to know about."""


@dataclass(frozen=True)
class Finding:
    """One result of planning: a limit crossed, an assumption made, or a decision taken.

    Attributes:
        severity: error (hard limit), warning (adjustable quota or assumption) or info.
        code: stable CamelCase identifier (``"SessionHardwareExceeded"``), used as the warning id.
        message: the full sentence: what was asked, the quota, its edition and kind, and the way out.
        quota: the quota concerned, if any.
        asked: the value the workload asks for, in the quota's unit.
        limit: the effective limit, in the quota's unit.
    """

    severity: Severity
    code: str
    message: str
    quota: QuotaName | None = None
    asked: float | None = None
    limit: float | None = None

    def __post_init__(self) -> None:
        # Numbers compare and serialize one way whether a finding was planned or read back from a template.
        for name in ("asked", "limit"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, float(value))

    def render(self) -> str:
        """The message as shown at synth (CDK shows the construct path beside it)."""
        return f"[{self.code}] {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON: severity, code, message, and the quota with the values compared when there is one."""
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "quota": None if self.quota is None else self.quota.value,
            "asked": self.asked,
            "limit": self.limit,
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Finding:
        """A finding read back from :meth:`to_dict`."""
        quota, asked, limit = document.get("quota"), document.get("asked"), document.get("limit")
        return cls(
            Severity(document["severity"]),
            document["code"],
            document["message"],
            None if quota is None else QuotaName(quota),
            None if asked is None else float(asked),
            None if limit is None else float(limit),
        )


__all__ = ["Finding", "Severity"]
