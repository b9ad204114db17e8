"""The capacity report: every AgentCoreAgent of an app with its plan, and the account-level sums.

``python -m constructs_lib report [--app module:function] [--format table|json]`` builds the app in
process (no synthesis, no CLI) and prints, per agent, its path, runtime name, invocation mode,
endpoints, lifecycle, quota shares and findings, then the account-level checks of
:mod:`constructs_lib.planning.account` for each account and region.

``python -m constructs_lib report --cdk-out DIR`` reports on an app that was already synthesized: every
AgentCoreAgent records its plan in its runtime's template metadata (``constructs_lib:plan``).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.limits.catalog import Unit, format_value
from constructs_lib.planning.account import (
    AccountCapacity,
    PlanInputs,
    RegionalCapacityReport,
    format_table,
    plan_account,
    plan_regions,
)
from constructs_lib.planning.agent_plan import ArtifactFacts, LifecycleRequest
from constructs_lib.planning.findings import Finding, Severity
from constructs_lib.planning.record import PLAN_METADATA_KEY, PlanRecord

#: The app the report builds when ``--app`` is not given (``app.py``'s ``build_app`` in the current directory).
DEFAULT_APP = "app:build_app"


@dataclass(frozen=True)
class CapacityReport:
    """Every agent of an app and the account-level sums per account and region.

    Attributes:
        agents: the plan record of each AgentCoreAgent, in construct-tree (or template) order.
        accounts: one account-level summary per (account, region).
        account_labels: the account of each summary (``None`` when environment-agnostic).
    """

    agents: tuple[PlanRecord, ...]
    accounts: tuple[AccountCapacity, ...]
    account_labels: tuple[str | None, ...]

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

    def to_table(self) -> str:
        """The report as printable tables: agents, their findings, then the account summary."""
        if not self.agents:
            return "no AgentCoreAgent found in the app"
        rows = [
            {
                "agent": a.path,
                "runtime": a.runtime_name,
                "region": a.region or "(unknown)",
                "mode": a.mode,
                "endpoints": ",".join(a.endpoints)
                + ("" if a.planned_endpoints <= len(a.endpoints) else f" (plan: {a.planned_endpoints})"),
                "idle/max lifetime": (
                    f"{format_value(a.idle_runtime_session_timeout_seconds, Unit.SECONDS)}/"
                    f"{format_value(a.max_lifetime_seconds, Unit.SECONDS)}"
                ),
                "invoke share": f"{a.invoke_share:.1%}",
                "session share": f"{a.session_share:.1%}",
                "findings": _counts(a.findings),
            }
            for a in self.agents
        ]
        parts = ["Agents", format_table(rows)]
        details = [f"  {a.path}: {f.severity.value} {f.render()}" for a in self.agents for f in a.findings]
        if details:
            parts += ["", "Findings", *details]
        account_rows = [
            {
                "account": label or "(unknown)",
                "region": s.region or "(unknown)",
                "edition": s.edition,
                "agents": f"{s.agent_count}"
                + (f"/{format_value(s.agents_quota, Unit.COUNT)}" if s.agents_quota else ""),
                "peak sessions": f"{s.session_demand:,}/{format_value(s.session_quota, Unit.COUNT)}",
                "session share": f"{s.session_share:.1%}",
                "peak invokes": (
                    f"{format_value(s.invoke_demand_per_second, Unit.PER_SECOND)}/"
                    + (
                        "per endpoint"
                        if s.invoke_pool_per_second is None
                        else format_value(s.invoke_pool_per_second, Unit.PER_SECOND)
                    )
                ),
                "invoke share": "-" if s.invoke_share is None else f"{s.invoke_share:.1%}",
                "findings": _counts(s.findings),
            }
            for label, s in zip(self.account_labels, self.accounts, strict=True)
        ]
        parts += ["", "Account summary", format_table(account_rows)]
        account_details = [f"  {f.severity.value} {f.render()}" for s in self.accounts for f in s.findings]
        parts += account_details
        return "\n".join(parts)


def _counts(findings: Sequence[Finding]) -> str:
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    return f"{counts[Severity.ERROR]}E {counts[Severity.WARNING]}W {counts[Severity.INFO]}I"


def find_agents(scope: IConstruct) -> list[AgentCoreAgent]:
    """Every :class:`AgentCoreAgent` under ``scope``, in construct-tree order."""
    return [c for c in scope.node.find_all() if isinstance(c, AgentCoreAgent)]


def build_report(scope: IConstruct) -> CapacityReport:
    """The capacity report of every agent under ``scope`` (an app, a stage or a stack), from their plan records."""
    return build_report_from_records([agent.plan_record for agent in find_agents(scope)])


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


def plan_agents_in_regions(scope: IConstruct, regions: Sequence[str | None]) -> RegionalCapacityReport:
    """Plan every agent under ``scope`` in each of ``regions`` (see ``plan_regions``).

    Each agent is re-planned with what its own plan was derived from (workload, artifact kind and
    measured code size, named endpoints, lifecycle), so a region's findings are the ones the agent would
    get there. Agents are keyed by construct path (runtime names may repeat across stages) and planned
    with the quota catalog of the first agent.
    """
    agents = find_agents(scope)
    catalog = agents[0].catalog if agents else None
    return plan_regions(
        {a.node.path: a.plan.profile for a in agents}, regions, catalog,
        inputs={a.node.path: _plan_inputs(a) for a in agents},
    )


def _plan_inputs(agent: AgentCoreAgent) -> PlanInputs:
    measured = agent.package_measurement
    return PlanInputs(
        artifact=ArtifactFacts(
            agent.artifact_kind,
            code_zipped_bytes=None if measured is None else float(measured.zipped_bytes),
            code_unzipped_bytes=None if measured is None else float(measured.unzipped_bytes),
        ),
        named_endpoints=len(agent.endpoints),
        lifecycle=LifecycleRequest(agent.plan.idle_runtime_session_timeout_seconds, agent.plan.max_lifetime_seconds),
    )


def build_report_from_cdk_out(directory: str | Path) -> CapacityReport:
    """The capacity report of a synthesized app, from the plan records its agents wrote into the templates.

    Runtimes without a recorded plan (raw ``CfnRuntime`` or the bare L2) are not listed: the AgentCoreChecks pack
    covers those.
    """
    records = []
    for template_path in sorted(Path(directory).rglob("*.template.json")):
        resources = json.loads(template_path.read_text()).get("Resources", {})
        for resource in resources.values():
            recorded = (resource.get("Metadata") or {}).get(PLAN_METADATA_KEY)
            if resource.get("Type") == "AWS::BedrockAgentCore::Runtime" and recorded:
                records.append(PlanRecord.from_dict(recorded))
    return build_report_from_records(records)


def load_app(spec: str = DEFAULT_APP, *, directory: str | Path | None = None) -> cdk.Stage:
    """Build the app (or stage) named by ``module:function`` (or ``module:attribute`` holding one).

    Args:
        spec: ``module:function``; the function is called without arguments and returns the app.
        directory: where the module is imported from. Default: the current directory.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--app must be module:function, got {spec!r}")
    root = str(Path(directory or Path.cwd()).resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    target = getattr(importlib.import_module(module_name), attribute)
    app = target() if callable(target) and not isinstance(target, cdk.App) else target
    if not isinstance(app, cdk.App | cdk.Stage):
        raise ValueError(f"{spec} must return a cdk.App, got {type(app).__name__}")
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m constructs_lib report``; returns the exit code (1 on plan errors).

    An ``--app`` that cannot be imported or does not build an app exits with status 2 and a one-line
    message, like any other wrong argument.
    """
    parser = argparse.ArgumentParser(prog="python -m constructs_lib", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="print every agent's capacity plan and the account-level sums")
    report.add_argument("--app", default=DEFAULT_APP, help=f"module:function building the app (default {DEFAULT_APP})")
    report.add_argument("--cdk-out", default=None, help="report on an already synthesized app (a cdk.out directory)")
    report.add_argument("--format", choices=("table", "json"), default="table", help="output format (default table)")
    report.add_argument(
        "--regions",
        default=None,
        help="comma-separated regions: also plan the same agents in each of them ('unknown' for the smallest values)",
    )
    args = parser.parse_args(argv)
    regional = None
    if args.cdk_out is not None:
        if args.regions:
            parser.error("--regions re-plans the agents from their code: use it with --app, not --cdk-out")
        if not Path(args.cdk_out).is_dir():
            parser.error(f"--cdk-out {args.cdk_out!r} is not a directory")
        result = build_report_from_cdk_out(args.cdk_out)
    else:
        try:
            app = load_app(args.app)
        except (ValueError, ImportError, AttributeError) as error:
            parser.error(f"cannot build the app {args.app!r}: {error}")
        result = build_report(app)
    if args.regions and args.cdk_out is None:
        names = [r.strip() for r in args.regions.split(",") if r.strip()]
        regional = plan_agents_in_regions(app, [None if r == "unknown" else r for r in names])
    if args.format == "json":
        document = result.to_dict()
        if regional is not None:
            document["regions"] = json.loads(regional.to_json())
        print(json.dumps(document, indent=2))
    else:
        print(result.to_table())
        if regional is not None:
            print("\nRegions")
            print(regional.to_table())
    has_errors = any(f.severity is Severity.ERROR for a in result.agents for f in a.findings) or any(
        f.severity is Severity.ERROR for s in result.accounts for f in s.findings
    )
    return 1 if has_errors else 0


__all__ = [
    "DEFAULT_APP",
    "CapacityReport",
    "build_report",
    "build_report_from_cdk_out",
    "build_report_from_records",
    "find_agents",
    "load_app",
    "main",
    "plan_agents_in_regions",
]
