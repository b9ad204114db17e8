"""Findings: what planning reports at synth (errors for hard limits, warnings for adjustable quotas, infos)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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

    def render(self) -> str:
        """The message as shown at synth (CDK shows the construct path beside it)."""
        return f"[{self.code}] {self.message}"


__all__ = ["Finding", "Severity"]
