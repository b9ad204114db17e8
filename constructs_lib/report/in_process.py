"""The report on an app built in this process (``--app module:function``, or an app script run in process).

This module imports the CDK (and so starts its Node.js process); the report on a cloud assembly never imports it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import aws_cdk as cdk
from constructs import IConstruct

from constructs_lib._cdk.scope import path_of
from constructs_lib.agent.interface import IAgentCoreAgent, is_agent
from constructs_lib.planning.account import PlanInputs, RegionalCapacityReport, plan_regions
from constructs_lib.planning.agent_plan import ArtifactFacts, LifecycleRequest
from constructs_lib.report.capacity import CapacityReport, build_report_from_records


def find_agents(scope: IConstruct) -> list[IAgentCoreAgent]:
    """Every agent under ``scope`` (each :class:`~constructs_lib.agent.agent.AgentCoreAgent` and adopted runtime), in
    construct-tree order."""
    return [cast(IAgentCoreAgent, c) for c in scope.node.find_all() if is_agent(c)]


def build_report(scope: IConstruct) -> CapacityReport:
    """The capacity report of every agent under ``scope`` (an app, a stage or a stack), from their plan records."""
    return build_report_from_records([agent.plan_record for agent in find_agents(scope)])


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
        {path_of(a): a.plan.profile for a in agents}, regions, catalog,
        inputs={path_of(a): _plan_inputs(a) for a in agents},
    )


def _plan_inputs(agent: IAgentCoreAgent) -> PlanInputs:
    measured = agent.package_measurement
    return PlanInputs(
        artifact=ArtifactFacts(
            agent.artifact_kind,
            code_zipped_bytes=None if measured is None else float(measured.zipped_bytes),
            code_unzipped_bytes=None if measured is None else float(measured.unzipped_bytes),
        ),
        named_endpoints=len(agent.endpoints),
        lifecycle=LifecycleRequest(agent.plan.idle_runtime_session_timeout_seconds, agent.plan.max_lifetime_seconds),
        compute=agent.compute_facts,
    )


def load_app(spec: str, *, directory: str | Path | None = None) -> cdk.Stage:
    """Build the app (or stage) named by ``module:function`` (or ``module:attribute`` holding one).

    Args:
        spec: ``module:function``; the function is called without arguments and returns the app.
        directory: where the module is imported from. Default: the current directory.

    Raises:
        ValueError: for a spec that is not ``module:function`` or names something that is not an app.
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


def synthesize(app: cdk.Stage) -> Path:
    """Synthesize an app built in process; its cloud assembly goes where the app was told (a temporary directory
    unless the app names one)."""
    return Path(app.synth().directory)


__all__ = [
    "build_report",
    "find_agents",
    "load_app",
    "plan_agents_in_regions",
    "synthesize",
]
