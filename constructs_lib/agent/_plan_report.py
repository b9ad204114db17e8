"""How an agent reports its plan at synth and records it for the capacity report, the same for an agent the library
defines and one it adopts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from constructs import Construct, Node

from constructs_lib._cdk.reporting import report, report_once_per_app
from constructs_lib._cdk.scope import account_of
from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.limits.service import DEFAULT_ENDPOINT
from constructs_lib.planning.agent_plan import REGION_UNKNOWN, ArtifactKind, CapacityPlan, endpoint_shortfall_findings
from constructs_lib.planning.record import PlanRecord
from constructs_lib.planning.rollout import RolloutPlan

if TYPE_CHECKING:
    from constructs_lib.agent.session_budget import SessionGuard


class _Planned(Protocol):
    """An agent with a plan, as its record reads it."""

    @property
    def node(self) -> Node: ...

    @property
    def plan(self) -> CapacityPlan: ...

    @property
    def catalog(self) -> QuotaCatalog: ...

    @property
    def runtime_name(self) -> str: ...

    @property
    def artifact_kind(self) -> ArtifactKind: ...

    @property
    def endpoints(self) -> Mapping[str, Any]: ...

    @property
    def session_guard(self) -> SessionGuard | None: ...


def report_plan(agent: Construct, plan: CapacityPlan, catalog: QuotaCatalog, named_endpoints: int) -> None:
    """Report ``plan`` on ``agent``: its findings (errors fail synthesis; the note about a stack without a region once
    per app, since it is a fact about the stack), and a warning when the agent declares fewer endpoints
    (``DEFAULT`` and ``named_endpoints``) than its peak rate needs."""
    report(agent, [f for f in plan.findings if f.code != REGION_UNKNOWN])
    for finding in plan.findings:
        if finding.code == REGION_UNKNOWN:
            report_once_per_app(agent, finding)
    report(agent, endpoint_shortfall_findings(plan, catalog, named_endpoints))


def plan_record(agent: _Planned, *, rollout: RolloutPlan | None = None) -> PlanRecord:
    """The plan of ``agent`` as the capacity report reads it (and the template records it), ``DEFAULT`` first, with
    the agent's ``rollout`` if it has one, its session budget and that budget's findings."""
    guard = agent.session_guard
    return PlanRecord.of(
        agent.plan,
        path=agent.node.path,
        runtime_name=agent.runtime_name,
        account=account_of(agent),  # type: ignore[arg-type]  # every agent is a construct
        catalog=agent.catalog,
        artifact=agent.artifact_kind.value,
        endpoints=[DEFAULT_ENDPOINT, *agent.endpoints],
        rollout=rollout,
        session_budget=None if guard is None else guard.budget.request(),
        budget_findings=() if guard is None else guard.findings,
    )


__all__ = ["plan_record", "report_plan"]
