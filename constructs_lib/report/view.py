"""What the capacity report shows, as words and numbers, before any layout: the text and Markdown renderings share it.

Every share is shown with the numbers it comes from ("300 of 5,000 (6.0%)"), every count of findings in words
("2 errors, 1 warning").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from constructs_lib.limits.catalog import QuotaName, Unit, format_value
from constructs_lib.planning.account import AccountCapacity, RegionalCapacityReport
from constructs_lib.planning.findings import Finding, Severity
from constructs_lib.planning.record import PlanRecord
from constructs_lib.report.capacity import CapacityReport

#: Severities from the worst down, the order findings are counted and listed in.
SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)
_ARTIFACTS = {"container": "container image", "direct_code": "direct code", "unknown": "artifact kind unknown"}


@dataclass(frozen=True)
class Noted:
    """A finding of an entry, with the agent it concerns when the entry is not that agent's.

    Attributes:
        finding: the finding.
        agent: the construct path of the agent concerned (a regional plan's agent findings), else ``None``.
    """

    finding: Finding
    agent: str | None = None


@dataclass(frozen=True)
class Entry:
    """One agent, account summary or regional plan: a heading and labelled values, with its findings.

    Attributes:
        heading: what the entry is about (an agent's construct path, an account and region).
        fields: the labelled values, in display order.
        findings: the entry's findings, the worst first.
    """

    heading: str
    fields: tuple[tuple[str, str], ...]
    findings: tuple[Noted, ...]


@dataclass(frozen=True)
class Section:
    """A titled list of entries of one kind.

    Attributes:
        title: the section title.
        subject: what each entry's heading names (the first column of a table).
        entries: the entries.
    """

    title: str
    subject: str
    entries: tuple[Entry, ...]


def count_findings(findings: Iterable[Finding]) -> str:
    """The findings counted in words, the worst first: ``"2 errors, 1 warning"``, or ``"none"``."""
    findings = list(findings)
    parts = []
    for severity in SEVERITY_ORDER:
        count = sum(1 for f in findings if f.severity is severity)
        if count:
            parts.append(f"{count} {severity.value}{'' if count == 1 else 's'}")
    return ", ".join(parts) or "none"


def share(asked: float, capacity: float | None, unit: Unit) -> str:
    """``asked`` beside the capacity it uses and the share: ``"300 of 5,000 (6.0%)"``."""
    if capacity is None or capacity <= 0:
        return format_value(asked, unit)
    return f"{format_value(asked, unit)} of {format_value(capacity, unit)} ({asked / capacity:.1%})"


def environment(account: str | None, region: str | None) -> str:
    """Where an agent or summary is planned: ``"account 123456789012, us-east-1"``."""
    return (
        f"account {account or 'unknown'}, "
        + (region or "region unknown at synth (smallest regional quotas)")
    )


def sections(report: CapacityReport, regional: RegionalCapacityReport | None = None) -> list[Section]:
    """The report's sections: agents, accounts, and the regional plans when asked for."""
    result = [
        Section("Agents", "agent", tuple(agent_entry(a) for a in report.agents)),
        Section(
            "Accounts", "account and region",
            tuple(account_entry(label, s) for label, s in zip(report.account_labels, report.accounts, strict=True)),
        ),
    ]
    if regional is not None:
        result.append(Section("Regions", "region", tuple(region_entries(regional))))
    return result


def summary(report: CapacityReport, regional: RegionalCapacityReport | None = None) -> str:
    """One sentence: how many agents, accounts and regions, and the findings counted."""
    if not report.agents:
        return "no AgentCoreAgent found in the app"
    agents = len(report.agents)
    places = len(report.accounts)
    findings = list(report.findings())
    if regional is not None:
        findings += [f for entry in regional.regions for f in entry.findings]
    return (
        f"{agents} agent{'' if agents == 1 else 's'} in {places} account and region"
        f"{'' if places == 1 else ' pairs'}; findings: {count_findings(findings)}"
    )


def agent_entry(record: PlanRecord) -> Entry:
    """One agent: its runtime, where it is planned, its mode, endpoints, rollout, lifecycle and shares."""
    endpoints = ", ".join(record.endpoints)
    if record.planned_endpoints > len(record.endpoints):
        endpoints += f" (the plan needs {record.planned_endpoints})"
    fields = (
        ("runtime", f"{record.runtime_name} ({_ARTIFACTS.get(record.artifact, record.artifact)}, {record.mode})"),
        ("planned for", f"{environment(record.account, record.region)}; {_edition(record)}"),
        ("compute", _compute(record)),
        ("endpoints", endpoints),
        ("rollout", _rollout(record)),
        ("lifecycle", (
            f"idle timeout {format_value(record.idle_runtime_session_timeout_seconds, Unit.SECONDS)}, "
            f"max lifetime {format_value(record.max_lifetime_seconds, Unit.SECONDS)}"
        )),
        ("budget", session_budget(record)),
        ("peak invokes", _agent_invokes(record)),
        ("peak sessions", _agent_sessions(record)),
        ("findings", count_findings(record.findings)),
    )
    return Entry(record.path, fields, _worst_first(Noted(f) for f in record.findings))


def _rollout(record: PlanRecord) -> str:
    """The rollout in words: ``"stable prod (version 3), candidate canary (follows the deployed version) at 10%"``."""
    rollout = record.rollout
    if rollout is None:
        return "none"
    stable = f"version {rollout.stable_version}" if rollout.stable_version else "a version set at deploy"
    rollback = "automatic rollback" if rollout.automatic_rollback else "no automatic rollback"
    return (f"stable {rollout.stable} ({stable}), candidate {rollout.candidate} ({rollout.describe_candidate()}) "
            f"at {rollout.candidate_weight}% of new sessions; {rollback}")

def session_budget(record: PlanRecord) -> str:
    """An agent's session budget in words: ``"max duration 2 h, max idle 10 min, 3 per caller, 200 in all"``."""
    budget = record.session_budget
    if budget is None:
        return "none"
    parts = [f"{label} {format_value(value, Unit.SECONDS)}" for label, value in (
        ("max duration", budget.max_session_duration_seconds), ("max idle", budget.max_idle_seconds))
        if value is not None]
    parts += [f"{format_value(value, Unit.COUNT)} {label}" for label, value in (
        ("per caller", budget.max_sessions_per_caller), ("in all", budget.max_sessions)) if value is not None]
    return ", ".join(parts) or "set at deployment"


def _compute(record: PlanRecord) -> str:
    if record.compute == "instances":
        types = ", ".join(record.instance_types) or "instance types not declared"
        return f"Instances ({types})"
    return "microVM"


def _edition(record: PlanRecord) -> str:
    overrides = " with approved quota increases" if record.quota_overrides else ""
    return f"quota edition {record.edition}{overrides}"


def _agent_invokes(record: PlanRecord) -> str:
    peak = record.demand.peak_requests_per_second
    if not peak:
        return "not stated"
    # the record keeps the share of the capacity available to the agent; the capacity is the peak over it
    capacity = peak / record.invoke_share if record.invoke_share else None
    return share(peak, capacity, Unit.PER_SECOND)


def _agent_sessions(record: PlanRecord) -> str:
    quota = record.catalog().resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, record.region).value
    peak = record.demand.peak_concurrent_sessions
    if not peak:
        return f"not stated (quota {format_value(quota, Unit.COUNT)})"
    return share(peak, quota, Unit.COUNT)


def account_entry(account: str | None, summary: AccountCapacity) -> Entry:
    """One account and region: the agents' sums against the quotas they share."""
    return Entry(
        environment(account, summary.region),
        (("quotas", f"edition {summary.edition}"), *_account_fields(summary),
         ("findings", count_findings(summary.findings))),
        _worst_first(Noted(f) for f in summary.findings),
    )


def region_entries(regional: RegionalCapacityReport) -> list[Entry]:
    """One entry per region the agents were re-planned in: the sums there, and every finding the plans get there."""
    return [
        Entry(
            entry.region or "region unknown (smallest regional quotas)",
            (*_account_fields(entry.account), ("findings", count_findings(entry.findings))),
            _worst_first([
                *(Noted(f) for f in entry.account.findings),
                *(Noted(f, path) for path, plan in entry.plans.items() for f in plan.findings),
            ]),
        )
        for entry in regional.regions
    ]


def _account_fields(summary: AccountCapacity) -> tuple[tuple[str, str], ...]:
    no_pool = f"per endpoint (edition {summary.edition} has no account pool)"
    invokes = share(summary.invoke_demand_per_second, summary.invoke_pool_per_second, Unit.PER_SECOND)
    creation = share(
        summary.session_creation_demand_per_second, summary.session_creation_pool_per_second, Unit.PER_SECOND
    )
    return (
        ("agents", share(summary.agent_count, summary.agents_quota, Unit.COUNT)),
        ("peak sessions", share(summary.session_demand, summary.session_quota, Unit.COUNT)),
        ("peak invokes", invokes if summary.invoke_pool_per_second is not None else f"{invokes}, {no_pool}"),
        ("new sessions", creation if summary.session_creation_pool_per_second is not None
            else f"{creation}, {no_pool}"),
    )


def _worst_first(findings: Iterable[Noted]) -> tuple[Noted, ...]:
    return tuple(sorted(findings, key=lambda n: SEVERITY_ORDER.index(n.finding.severity)))


__all__ = [
    "SEVERITY_ORDER",
    "Entry",
    "Noted",
    "Section",
    "account_entry",
    "agent_entry",
    "count_findings",
    "environment",
    "region_entries",
    "sections",
    "session_budget",
    "share",
    "summary",
]
