"""Account-level and multi-region capacity planning: the sums across agents that no single plan sees.

A :class:`~constructs_lib.planning.agent_plan.CapacityPlan` checks one agent against the quotas. Several quotas are
shared by every agent in an account and region: the data-plane request pool (edition 2026-09), the
active-session quota, the session creation rate (2026-09) and the number of agents. This module adds
up the agents' plans and checks the sums, and plans one set of agents across several regions, whose
active-session quotas differ.

Plain Python: nothing here imports the CDK.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName, QuotaScope, ResolvedQuota, Unit, format_value
from constructs_lib.planning.agent_plan import ArtifactFacts, CapacityPlan, LifecycleRequest
from constructs_lib.planning.compute import ComputeFacts
from constructs_lib.planning.findings import Finding, Severity
from constructs_lib.planning.profile import WorkloadProfile

#: Scopes whose quota is one pool shared by every agent of the account (and region).
_ACCOUNT_SCOPES = (QuotaScope.ACCOUNT, QuotaScope.ACCOUNT_AND_REGION)
#: How the table shows a region unknown at synth.
UNKNOWN_REGION_LABEL = "(unknown)"


@dataclass(frozen=True)
class AgentDemand:
    """The peaks an agent adds to the quotas its account shares with other agents.

    Attributes:
        peak_requests_per_second: peak invocations per second (0 when not stated).
        peak_concurrent_sessions: peak live sessions (0 when not stated).
        new_sessions_per_second: peak new sessions per second (0 when not stated).
    """

    peak_requests_per_second: float = 0.0
    peak_concurrent_sessions: int = 0
    new_sessions_per_second: float = 0.0

    @classmethod
    def of(cls, plan: CapacityPlan) -> AgentDemand:
        """The demand a plan's workload states."""
        profile = plan.profile
        return cls(
            float(profile.peak_requests_per_second or 0.0),
            int(profile.peak_concurrent_sessions or 0),
            float(profile.new_sessions_per_second or 0.0),
        )


@dataclass(frozen=True)
class AccountCapacity:
    """The agents of one account and region, summed and checked against the account-wide quotas.

    Attributes:
        region: the region planned for; ``None`` plans against the smallest regional values.
        edition: the quota edition.
        agent_count: number of agents planned.
        agents_quota: the agents-per-account quota, or ``None`` when the edition does not publish one.
        invoke_demand_per_second: sum of the agents' peak request rates (agents without one count 0).
        invoke_pool_per_second: the account data-plane pool, or ``None`` when the edition counts the
            invoke rate per endpoint (2026-03) and there is no pool to share.
        session_demand: sum of the agents' peak concurrent sessions.
        session_quota: the active-session quota of the region.
        session_creation_demand_per_second: sum of the agents' new-session rates.
        session_creation_pool_per_second: the account session-creation pool, or ``None`` when the
            edition counts it per endpoint (2026-03).
        findings: warnings (adjustable quotas) or errors (hard limits) for sums that exceed a quota,
            and infos for quotas that have no account pool in this edition.
    """

    region: str | None
    edition: str
    agent_count: int
    agents_quota: float | None
    invoke_demand_per_second: float
    invoke_pool_per_second: float | None
    session_demand: int
    session_quota: float
    session_creation_demand_per_second: float
    session_creation_pool_per_second: float | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def invoke_share(self) -> float | None:
        """Share of the account data-plane pool the agents plan to use (``None`` without a pool)."""
        if self.invoke_pool_per_second is None:
            return None
        return self.invoke_demand_per_second / self.invoke_pool_per_second

    @property
    def session_share(self) -> float:
        """Share of the active-session quota the agents' peaks would use together."""
        return self.session_demand / self.session_quota

    def finding(self, code: str) -> Finding | None:
        """The first finding with ``code``, if any."""
        return next((f for f in self.findings if f.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "region": self.region,
            "edition": self.edition,
            "agents": self.agent_count,
            "agents_quota": self.agents_quota,
            "invoke_demand_per_second": self.invoke_demand_per_second,
            "invoke_pool_per_second": self.invoke_pool_per_second,
            "invoke_share": self.invoke_share,
            "session_demand": self.session_demand,
            "session_quota": self.session_quota,
            "session_share": self.session_share,
            "session_creation_demand_per_second": self.session_creation_demand_per_second,
            "session_creation_pool_per_second": self.session_creation_pool_per_second,
            "findings": [f.to_dict() for f in self.findings],
        }


def _sum_finding(code: str, what: str, asked: float, quota: ResolvedQuota, way_out: str) -> Finding:
    severity = Severity.WARNING if quota.adjustable else Severity.ERROR
    advice = quota.increase_advice()
    return Finding(
        severity,
        code,
        f"{what} {format_value(asked, quota.quota.unit)} exceeds {quota.formatted()}, the {quota.describe()}; "
        f"{way_out}{advice}",
        quota.quota.name,
        asked,
        quota.value,
    )


def _no_pool(code: str, quota: ResolvedQuota, what: str) -> Finding:
    return Finding(
        Severity.INFO,
        code,
        f"edition {quota.edition.value} counts the {quota.quota.label} ({quota.formatted()}) per "
        f"{quota.quota.scope.value}: there is no account pool to sum {what} against; each agent's plan checks "
        "its own endpoints",
        quota.quota.name,
    )


def plan_account(
    demands: Sequence[AgentDemand],
    *,
    catalog: QuotaCatalog | None = None,
    region: str | None,
) -> AccountCapacity:
    """Sum the agents' demands and check the sums against the account-wide quotas.

    Args:
        demands: what each agent of the account and region adds to the shared quotas
            (``AgentDemand.of(plan)``, or the ``demand`` of a plan record).
        catalog: the quotas to check against. Default: the newest edition without overrides.
        region: the region; ``None`` plans against the smallest regional values.
    """
    catalog = catalog or QuotaCatalog()
    findings: list[Finding] = []

    invoke = catalog.resolve(QuotaName.INVOKE_RATE, region)
    invoke_demand = sum(d.peak_requests_per_second for d in demands)
    invoke_pool: float | None = None
    if invoke.quota.scope in _ACCOUNT_SCOPES:
        invoke_pool = invoke.per_second
        if invoke_demand > invoke_pool:
            findings.append(_sum_finding(
                "AccountInvokePoolExceeded", "the agents' peak_requests_per_second together", invoke_demand,
                invoke, "every agent and data-plane API of the account shares the pool; spread agents over "
                "accounts or regions, or ",
            ))
    else:
        findings.append(_no_pool("NoAccountInvokePool", invoke, "the agents' request rates"))

    sessions = catalog.resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, region)
    session_demand = sum(d.peak_concurrent_sessions for d in demands)
    if session_demand > sessions.value:
        findings.append(_sum_finding(
            "AccountActiveSessionsExceeded", "the agents' peak_concurrent_sessions together", session_demand,
            sessions, "lower idle_runtime_session_timeout so idle sessions end sooner, spread agents over "
            "regions, or ",
        ))

    agents_quota: float | None = None
    if catalog.has(QuotaName.AGENTS_PER_ACCOUNT):
        agents = catalog.resolve(QuotaName.AGENTS_PER_ACCOUNT, region)
        agents_quota = agents.value
        if len(demands) > agents.value:
            findings.append(_sum_finding(
                "TooManyAgents", "the number of agents", len(demands), agents,
                "delete unused runtimes, spread agents over accounts, or ",
            ))

    creation = catalog.resolve(QuotaName.SESSION_CREATION_RATE_CONTAINER, region)
    creation_demand = sum(d.new_sessions_per_second for d in demands)
    creation_pool: float | None = None
    if creation.quota.scope in _ACCOUNT_SCOPES:
        creation_pool = creation.per_second
        if creation_demand > creation_pool:
            findings.append(_sum_finding(
                "AccountSessionCreationRateExceeded", "the agents' new_sessions_per_second together",
                creation_demand, creation, "reuse sessions across turns, or ",
            ))
    else:
        findings.append(_no_pool("NoAccountSessionCreationPool", creation, "the agents' new-session rates"))

    return AccountCapacity(
        region=region,
        edition=catalog.edition.value,
        agent_count=len(demands),
        agents_quota=agents_quota,
        invoke_demand_per_second=invoke_demand,
        invoke_pool_per_second=invoke_pool,
        session_demand=int(session_demand),
        session_quota=sessions.value,
        session_creation_demand_per_second=creation_demand,
        session_creation_pool_per_second=creation_pool,
        findings=tuple(findings),
    )


@dataclass(frozen=True)
class RegionalCapacity:
    """One region of a multi-region plan.

    Attributes:
        region: the region, or ``None`` for a region unknown at synth.
        plans: each agent's plan in this region, by agent name.
        account: the account-level sums and findings in this region.
    """

    region: str | None
    plans: Mapping[str, CapacityPlan]
    account: AccountCapacity

    @property
    def findings(self) -> list[Finding]:
        """The account-level findings, then each agent's, in order."""
        return [*self.account.findings, *(f for plan in self.plans.values() for f in plan.findings)]

    def count(self, severity: Severity) -> int:
        """Number of findings of ``severity`` in this region."""
        return sum(1 for f in self.findings if f.severity is severity)


@dataclass(frozen=True)
class RegionalCapacityReport:
    """The same agents planned in several regions (see :func:`plan_regions`).

    Attributes:
        regions: one entry per region, in the order asked.
    """

    regions: tuple[RegionalCapacity, ...]

    def region(self, name: str | None) -> RegionalCapacity:
        """The entry for ``name`` (``None`` for the unknown region)."""
        return next(r for r in self.regions if r.region == name)

    def rows(self) -> list[dict[str, str]]:
        """The table's rows as strings, one per region."""
        rows = []
        for entry in self.regions:
            account = entry.account
            invoke_pool = (
                "per endpoint"
                if account.invoke_pool_per_second is None
                else format_value(account.invoke_pool_per_second, Unit.PER_SECOND)
            )
            rows.append({
                "region": entry.region or UNKNOWN_REGION_LABEL,
                "agents": str(account.agent_count),
                "peak sessions": f"{account.session_demand:,}",
                "active sessions": format_value(account.session_quota, Unit.COUNT),
                "session share": _percent(account.session_share),
                "peak invokes": format_value(account.invoke_demand_per_second, Unit.PER_SECOND),
                "invoke pool": invoke_pool,
                "invoke share": "-" if account.invoke_share is None else _percent(account.invoke_share),
                "errors": str(entry.count(Severity.ERROR)),
                "warnings": str(entry.count(Severity.WARNING)),
            })
        return rows

    def to_table(self) -> str:
        """A printable table, one row per region."""
        return format_table(self.rows())

    def to_json(self) -> str:
        """The report as JSON (account summaries and each agent's findings per region)."""
        return json.dumps(
            [
                {
                    **entry.account.to_dict(),
                    "agents_findings": {
                        name: [f.to_dict() for f in plan.findings] for name, plan in entry.plans.items()
                    },
                }
                for entry in self.regions
            ],
            indent=2,
        )


def _percent(share: float) -> str:
    return f"{share:.1%}"


def format_table(rows: Sequence[Mapping[str, str]]) -> str:
    """Render rows of strings as an aligned plain-text table (columns from the first row)."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    line = "  ".join(c.ljust(widths[c]) for c in columns)
    rule = "  ".join("-" * widths[c] for c in columns)
    body = ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join([line.rstrip(), rule, *(b.rstrip() for b in body)])


@dataclass(frozen=True, kw_only=True)
class PlanInputs:
    """What an agent's plan was derived from besides its workload, so a re-plan in another region matches.

    Attributes:
        artifact: what is known about the artifact (its kind decides the session-creation quota).
        named_endpoints: endpoints the agent declares besides ``DEFAULT``.
        lifecycle: lifecycle values set instead of the plan's.
        compute: the compute the agent runs on (microVM unless stated).
    """

    artifact: ArtifactFacts | None = None
    named_endpoints: int = 0
    lifecycle: LifecycleRequest | None = None
    compute: ComputeFacts | None = None


def plan_regions(
    profiles: Mapping[str, WorkloadProfile],
    regions: Sequence[str | None],
    catalog: QuotaCatalog | None = None,
    *,
    inputs: Mapping[str, PlanInputs] | None = None,
) -> RegionalCapacityReport:
    """Plan the same agents in each region and check the account-level sums there.

    Active-session quotas differ by region (larger in us-east-1 and us-west-2), so the same platform
    can fit in one region and not in another.

    Args:
        profiles: each agent's workload, by agent name.
        regions: the regions to plan for; ``None`` plans an environment-agnostic deployment against
            the smallest regional values.
        catalog: the quotas. Default: the newest edition without overrides.
        inputs: per agent name, the artifact, named endpoints and lifecycle its plan was derived with.
            Default: a container of unknown size, ``DEFAULT`` only, the planned lifecycle.
    """
    catalog = catalog or QuotaCatalog()
    inputs = inputs or {}
    entries = []
    for region in regions:
        plans = {
            name: _derive(profile, inputs.get(name, PlanInputs()), catalog, region)
            for name, profile in profiles.items()
        }
        entries.append(
            RegionalCapacity(
                region, plans,
                plan_account([AgentDemand.of(p) for p in plans.values()], catalog=catalog, region=region),
            )
        )
    return RegionalCapacityReport(tuple(entries))


def _derive(profile: WorkloadProfile, inputs: PlanInputs, catalog: QuotaCatalog, region: str | None) -> CapacityPlan:
    return CapacityPlan.derive(
        profile, catalog=catalog, region=region, artifact=inputs.artifact,
        named_endpoints=inputs.named_endpoints, lifecycle=inputs.lifecycle, compute=inputs.compute,
    )


__all__ = [
    "AccountCapacity",
    "AgentDemand",
    "PlanInputs",
    "RegionalCapacity",
    "RegionalCapacityReport",
    "format_table",
    "plan_account",
    "plan_regions",
]
