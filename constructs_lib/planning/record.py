"""The plan record: what one agent's plan decided, as the template records it and the report reads it back.

An :class:`~constructs_lib.agent.agent.AgentCoreAgent` writes its :class:`PlanRecord` into its runtime's template
metadata (:data:`PLAN_METADATA_KEY`). The capacity report is built from plan records only, whether it reads them from
the agents of an app built in process or from a synthesized ``cdk.out``: both paths give the same report for any app.

Plain Python: nothing here imports the CDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.planning.account import AgentDemand
from constructs_lib.planning.agent_plan import CapacityPlan
from constructs_lib.planning.compute import ComputeKind
from constructs_lib.planning.findings import Finding
from constructs_lib.planning.rollout import RolloutPlan
from constructs_lib.planning.session_budget import SessionBudgetRequest

#: Template metadata key under which each runtime records its plan.
PLAN_METADATA_KEY = "constructs_lib:plan"
#: Version of the recorded shape; a report refuses records of another version instead of misreading them.
RECORD_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class PlanRecord:
    """One agent's plan as recorded in its template.

    Attributes:
        path: the agent's construct path.
        runtime_name: the AgentCore runtime name.
        account: the stack's account, or ``None`` when environment-agnostic.
        region: the region planned for, or ``None`` when unknown at synth.
        edition: the quota edition planned against.
        quota_overrides: the approved quota increases in force, ``{quota: {region or "*": value}}``.
        artifact: the artifact kind (``container`` or ``direct_code``).
        compute: the compute kind (``microvm`` or ``instances``); records written before compute kinds existed
            read as ``microvm``.
        instance_types: the capacity provider's allowed instance types (Instances compute, when known).
        mode: the invocation mode.
        endpoints: the endpoints the agent declares, ``DEFAULT`` first.
        planned_endpoints: endpoints the plan counts (more than declared when the peak rate needs them).
        idle_runtime_session_timeout_seconds: lifecycle setting of the plan.
        max_lifetime_seconds: lifecycle setting of the plan.
        invoke_share: peak rate over the invoke capacity available to the agent.
        session_share: peak concurrent sessions over the active-session quota.
        demand: the peaks the agent adds to its account's shared quotas.
        findings: the plan's findings (and its session budget's).
        rollout: the agent's rollout (stable and candidate endpoints, pins, weight, rollback thresholds), if any;
            records written before rollouts existed have none.
        session_budget: the agent's session budget, ``None`` without one.
    """

    path: str
    runtime_name: str
    account: str | None
    region: str | None
    edition: str
    quota_overrides: Mapping[str, Mapping[str, float]]
    artifact: str
    compute: str
    instance_types: tuple[str, ...]
    mode: str
    endpoints: tuple[str, ...]
    planned_endpoints: int
    idle_runtime_session_timeout_seconds: int
    max_lifetime_seconds: int
    invoke_share: float
    session_share: float
    demand: AgentDemand
    findings: tuple[Finding, ...]
    rollout: RolloutPlan | None = None
    session_budget: SessionBudgetRequest | None = None

    @classmethod
    def of(
        cls,
        plan: CapacityPlan,
        *,
        path: str,
        runtime_name: str,
        account: str | None,
        catalog: QuotaCatalog,
        artifact: str,
        endpoints: Sequence[str],
        rollout: RolloutPlan | None = None,
        session_budget: SessionBudgetRequest | None = None,
        budget_findings: Sequence[Finding] = (),
    ) -> PlanRecord:
        """The record of ``plan`` for the agent at ``path`` (with its session budget and that budget's findings)."""
        return cls(
            path=path,
            runtime_name=runtime_name,
            account=account,
            region=plan.region,
            edition=plan.edition,
            quota_overrides={name.value: dict(values) for name, values in catalog.overrides.items()},
            artifact=artifact,
            compute=plan.compute.kind.value,
            instance_types=plan.compute.instance_types,
            mode=plan.mode.value,
            endpoints=tuple(endpoints),
            planned_endpoints=plan.endpoint_count,
            idle_runtime_session_timeout_seconds=plan.idle_runtime_session_timeout_seconds,
            max_lifetime_seconds=plan.max_lifetime_seconds,
            invoke_share=plan.invoke_share,
            session_share=plan.session_share,
            demand=AgentDemand.of(plan),
            findings=(*plan.findings, *budget_findings),
            rollout=rollout,
            session_budget=session_budget,
        )

    def catalog(self) -> QuotaCatalog:
        """The quota catalog the plan was made with (edition and approved overrides)."""
        return QuotaCatalog(self.edition, self.quota_overrides or None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written to the template (``session_budget`` only when the agent has one)."""
        document: dict[str, Any] = {
            "version": RECORD_VERSION,
            "path": self.path,
            "runtime_name": self.runtime_name,
            "account": self.account,
            "region": self.region,
            "edition": self.edition,
            "quota_overrides": {name: dict(values) for name, values in self.quota_overrides.items()},
            "artifact": self.artifact,
            "compute": self.compute,
            "instance_types": list(self.instance_types),
            "mode": self.mode,
            "endpoints": list(self.endpoints),
            "planned_endpoints": self.planned_endpoints,
            "idle_runtime_session_timeout_seconds": self.idle_runtime_session_timeout_seconds,
            "max_lifetime_seconds": self.max_lifetime_seconds,
            "invoke_share": self.invoke_share,
            "session_share": self.session_share,
            "demand": {
                "peak_requests_per_second": self.demand.peak_requests_per_second,
                "peak_concurrent_sessions": self.demand.peak_concurrent_sessions,
                "new_sessions_per_second": self.demand.new_sessions_per_second,
            },
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.rollout is not None:
            document["rollout"] = self.rollout.to_dict()
        if self.session_budget is not None:
            document["session_budget"] = _budget_document(self.session_budget)
        return document

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> PlanRecord:
        """Read a record written by :meth:`to_dict`.

        Raises:
            ValueError: for a record of another version.
        """
        if document.get("version") != RECORD_VERSION:
            raise ValueError(
                f"plan record of {document.get('path', '?')} has version {document.get('version')!r}; this library "
                f"reads version {RECORD_VERSION}: synthesize the app again with this version of the library"
            )
        demand = document["demand"]
        return cls(
            path=document["path"],
            runtime_name=document["runtime_name"],
            # CDK drops null values from template metadata: an environment-agnostic stack records no account or region
            account=document.get("account"),
            region=document.get("region"),
            edition=document["edition"],
            quota_overrides={
                name: {region: float(value) for region, value in values.items()}
                for name, values in document.get("quota_overrides", {}).items()
            },
            artifact=document["artifact"],
            compute=document.get("compute", ComputeKind.MICROVM.value),
            instance_types=tuple(document.get("instance_types", ())),
            mode=document["mode"],
            endpoints=tuple(document["endpoints"]),
            planned_endpoints=int(document["planned_endpoints"]),
            idle_runtime_session_timeout_seconds=int(document["idle_runtime_session_timeout_seconds"]),
            max_lifetime_seconds=int(document["max_lifetime_seconds"]),
            invoke_share=float(document["invoke_share"]),
            session_share=float(document["session_share"]),
            demand=AgentDemand(
                float(demand["peak_requests_per_second"]),
                int(demand["peak_concurrent_sessions"]),
                float(demand["new_sessions_per_second"]),
            ),
            findings=tuple(Finding.from_dict(f) for f in document["findings"]),
            rollout=RolloutPlan.from_dict(document["rollout"]) if document.get("rollout") else None,
            session_budget=_budget_of(document.get("session_budget")),
        )


def _budget_document(budget: SessionBudgetRequest) -> dict[str, Any]:
    return {
        "max_session_duration_seconds": budget.max_session_duration_seconds,
        "max_idle_seconds": budget.max_idle_seconds,
        "max_sessions_per_caller": budget.max_sessions_per_caller,
        "max_sessions": budget.max_sessions,
    }


def _budget_of(document: Mapping[str, Any] | None) -> SessionBudgetRequest | None:
    """A budget read back; CDK drops null values from template metadata, so an absent limit reads as none."""
    if document is None:
        return None

    def number(name: str) -> float | None:
        value = document.get(name)
        return None if value is None else float(value)

    def count(name: str) -> int | None:
        value = document.get(name)
        return None if value is None else int(value)

    return SessionBudgetRequest(
        max_session_duration_seconds=number("max_session_duration_seconds"),
        max_idle_seconds=number("max_idle_seconds"),
        max_sessions_per_caller=count("max_sessions_per_caller"),
        max_sessions=count("max_sessions"),
    )


__all__ = ["PLAN_METADATA_KEY", "RECORD_VERSION", "PlanRecord"]
