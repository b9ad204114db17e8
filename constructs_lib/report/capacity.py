"""The capacity report: every AgentCoreAgent of an app with its plan, and the account-level sums.

Built from plan records only (:class:`~constructs_lib.planning.record.PlanRecord`), whether they come from the agents
of an app built in process (:mod:`constructs_lib.report.in_process`) or from a synthesized cloud assembly
(:func:`build_report_from_cdk_out`): both paths give the same report. Plain Python: nothing here starts the CDK.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_lib.planning.account import AccountCapacity, plan_account
from constructs_lib.planning.findings import Finding, Severity
from constructs_lib.planning.record import PLAN_METADATA_KEY, PlanRecord
from constructs_lib.report.assembly import CloudAssembly, read_assembly

#: The resource type whose metadata holds an agent's plan record.
RUNTIME_TYPE = "AWS::BedrockAgentCore::Runtime"


@dataclass(frozen=True)
class CapacityReport:
    """Every agent of an app and the account-level sums per account and region.

    Attributes:
        agents: the plan record of each AgentCoreAgent, by construct path.
        accounts: one account-level summary per (account, region).
        account_labels: the account of each summary (``None`` when environment-agnostic).
    """

    agents: tuple[PlanRecord, ...]
    accounts: tuple[AccountCapacity, ...]
    account_labels: tuple[str | None, ...]

    def findings(self) -> Iterator[Finding]:
        """Every finding of the report: each agent's, then each account summary's."""
        for agent in self.agents:
            yield from agent.findings
        for summary in self.accounts:
            yield from summary.findings

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "agents": [a.to_dict() for a in self.agents],
            "accounts": [
                {"account": label, **summary.to_dict()}
                for label, summary in zip(self.account_labels, self.accounts, strict=True)
            ],
        }

    def to_json(self) -> str:
        """The report as JSON."""
        return json.dumps(self.to_dict(), indent=2)


def build_report_from_records(records: Sequence[PlanRecord]) -> CapacityReport:
    """The capacity report of agents given by their plan records: the one path every report takes.

    Agents are listed by construct path, so the order does not depend on where the records were read.
    """
    records = sorted(records, key=lambda r: r.path)
    groups: dict[tuple[str | None, str | None], list[PlanRecord]] = {}
    for record in records:
        groups.setdefault((record.account, record.region), []).append(record)
    summaries = [_summarize(members, region) for (_, region), members in groups.items()]
    return CapacityReport(tuple(records), tuple(summaries), tuple(account for account, _ in groups))


def _summarize(members: Sequence[PlanRecord], region: str | None) -> AccountCapacity:
    """The account-level sums of agents sharing an account and region (their quotas are one pool).

    Agents planned against different quota editions still share the account's real quotas: they are
    summed together, against the first agent's catalog, with a warning naming the editions.
    """
    summary = plan_account([m.demand for m in members], catalog=members[0].catalog(), region=region)
    editions = sorted({m.edition for m in members})
    if len(editions) == 1:
        return summary
    mixed = Finding(
        Severity.WARNING,
        "MixedQuotaEditions",
        f"agents of this account and region are planned against quota editions {', '.join(editions)}; they "
        f"share one set of account quotas, summed here against edition {summary.edition}: pin one edition "
        "(context key agentcore:quotaEdition) for the whole app",
    )
    return dataclasses.replace(summary, findings=(*summary.findings, mixed))


def plan_records(assembly: CloudAssembly) -> list[PlanRecord]:
    """The plan record of every AgentCoreAgent of a synthesized app, nested stacks and stages included.

    Runtimes without a recorded plan (raw ``CfnRuntime`` or the bare L2) are not listed: the AgentCoreChecks pack
    covers those.
    """
    records = []
    for stack in assembly.stacks:
        for resource in stack.resources.values():
            recorded = (resource.get("Metadata") or {}).get(PLAN_METADATA_KEY)
            if resource.get("Type") == RUNTIME_TYPE and recorded:
                records.append(PlanRecord.from_dict(recorded))
    return records


def build_report_from_cdk_out(directory: str | Path) -> CapacityReport:
    """The capacity report of a synthesized app, from the plan records its agents wrote into the templates."""
    return build_report_from_records(plan_records(read_assembly(directory)))


__all__ = [
    "RUNTIME_TYPE",
    "CapacityReport",
    "build_report_from_cdk_out",
    "build_report_from_records",
    "plan_records",
]
