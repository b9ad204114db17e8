"""AWS CDK L3 constructs for Amazon Bedrock AgentCore Runtime, with synth-time quota enforcement.

The public API: the constructs, their props and factories, the workload and plan types and the checks pack.
Names load on first use, so ``constructs_lib.limits`` and ``constructs_lib.planning`` stay free of the CDK (and of
its Node.js process) when used on their own. Wire constants and planner internals are importable from their modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: The package version, the one source of the distribution's version (pyproject.toml reads it).
__version__ = "0.1.0"

if TYPE_CHECKING:
    from constructs_lib.agent.agent import AgentCoreAgent
    from constructs_lib.agent.artifact import AgentArtifact
    from constructs_lib.agent.capacity_provider import AgentCapacityProvider, InstanceLifecycle, InstanceVolume
    from constructs_lib.agent.compute import AgentCompute
    from constructs_lib.agent.dependencies import CodeDependencies
    from constructs_lib.agent.image_repository import AgentImageRepository
    from constructs_lib.agent.interface import IAgentCoreAgent
    from constructs_lib.agent.rollout import AgentRollout
    from constructs_lib.agent.session_budget import SessionBudget
    from constructs_lib.checks import AgentCoreChecks
    from constructs_lib.errors import ConstructsLibValidationError
    from constructs_lib.limits.catalog import QuotaCatalog, QuotaEdition, QuotaName
    from constructs_lib.limits.instance_types import InstanceArchitecture
    from constructs_lib.operations.agentcore_segment import AgentCoreMonitoring
    from constructs_lib.operations.monitoring import AgentMonitoring
    from constructs_lib.operations.version_archive import AgentVersionArchive, mark_audit_required
    from constructs_lib.orchestration.pipeline import AgentPipeline
    from constructs_lib.orchestration.steps import (
        AgentMap,
        AgentParallel,
        AgentSequence,
        AgentStep,
        PipelineStep,
        StepIntegration,
        StepPayload,
    )
    from constructs_lib.orchestration.tools import AgentTool
    from constructs_lib.planning.account import AccountCapacity
    from constructs_lib.planning.agent_plan import ArtifactKind, CapacityPlan, InvocationMode, RateModel
    from constructs_lib.planning.compute import ComputeKind
    from constructs_lib.planning.findings import Finding, Severity
    from constructs_lib.planning.profile import WorkloadProfile
    from constructs_lib.platform import (
        AgentIsolation,
        AgentPlacement,
        AgentPlatform,
        AgentSpec,
        PlatformAgent,
        ToolSpec,
    )
    from constructs_lib.serving.api_facade import AgentApiFacade
    from constructs_lib.serving.auth import FacadeAuth
    from constructs_lib.serving.jobs import AgentJobs
    from constructs_lib.serving.payload_staging import PayloadStaging
    from constructs_lib.serving.session_store import AgentSessionStore
    from constructs_lib.serving.shared_api import AgentPlatformApi, SharedApiAgent
    from constructs_lib.serving.websocket_facade import AgentWebSocketFacade

#: Where each public name is defined.
_EXPORTS: dict[str, str] = {
    "AccountCapacity": "constructs_lib.planning.account",
    "AgentApiFacade": "constructs_lib.serving.api_facade",
    "AgentArtifact": "constructs_lib.agent.artifact",
    "AgentCapacityProvider": "constructs_lib.agent.capacity_provider",
    "AgentCompute": "constructs_lib.agent.compute",
    "AgentCoreAgent": "constructs_lib.agent.agent",
    "AgentCoreChecks": "constructs_lib.checks",
    "AgentCoreMonitoring": "constructs_lib.operations.agentcore_segment",
    "AgentImageRepository": "constructs_lib.agent.image_repository",
    "AgentJobs": "constructs_lib.serving.jobs",
    "AgentMap": "constructs_lib.orchestration.steps",
    "AgentMonitoring": "constructs_lib.operations.monitoring",
    "AgentParallel": "constructs_lib.orchestration.steps",
    "AgentIsolation": "constructs_lib.platform",
    "AgentPipeline": "constructs_lib.orchestration.pipeline",
    "AgentPlacement": "constructs_lib.platform",
    "AgentPlatform": "constructs_lib.platform",
    "AgentPlatformApi": "constructs_lib.serving.shared_api",
    "AgentRollout": "constructs_lib.agent.rollout",
    "AgentSequence": "constructs_lib.orchestration.steps",
    "AgentSessionStore": "constructs_lib.serving.session_store",
    "AgentSpec": "constructs_lib.platform",
    "AgentStep": "constructs_lib.orchestration.steps",
    "AgentTool": "constructs_lib.orchestration.tools",
    "AgentVersionArchive": "constructs_lib.operations.version_archive",
    "AgentWebSocketFacade": "constructs_lib.serving.websocket_facade",
    "ArtifactKind": "constructs_lib.planning.agent_plan",
    "CapacityPlan": "constructs_lib.planning.agent_plan",
    "CodeDependencies": "constructs_lib.agent.dependencies",
    "ComputeKind": "constructs_lib.planning.compute",
    "ConstructsLibValidationError": "constructs_lib.errors",
    "FacadeAuth": "constructs_lib.serving.auth",
    "Finding": "constructs_lib.planning.findings",
    "IAgentCoreAgent": "constructs_lib.agent.interface",
    "InstanceArchitecture": "constructs_lib.limits.instance_types",
    "InstanceLifecycle": "constructs_lib.agent.capacity_provider",
    "InstanceVolume": "constructs_lib.agent.capacity_provider",
    "InvocationMode": "constructs_lib.planning.agent_plan",
    "PayloadStaging": "constructs_lib.serving.payload_staging",
    "PipelineStep": "constructs_lib.orchestration.steps",
    "PlatformAgent": "constructs_lib.platform",
    "QuotaCatalog": "constructs_lib.limits.catalog",
    "QuotaEdition": "constructs_lib.limits.catalog",
    "QuotaName": "constructs_lib.limits.catalog",
    "RateModel": "constructs_lib.planning.agent_plan",
    "SessionBudget": "constructs_lib.agent.session_budget",
    "SharedApiAgent": "constructs_lib.serving.shared_api",
    "Severity": "constructs_lib.planning.findings",
    "StepIntegration": "constructs_lib.orchestration.steps",
    "StepPayload": "constructs_lib.orchestration.steps",
    "ToolSpec": "constructs_lib.platform",
    "WorkloadProfile": "constructs_lib.planning.profile",
    "mark_audit_required": "constructs_lib.operations.version_archive",
}

__all__ = [
    "AccountCapacity",
    "AgentApiFacade",
    "AgentArtifact",
    "AgentCapacityProvider",
    "AgentCompute",
    "AgentCoreAgent",
    "AgentCoreChecks",
    "AgentCoreMonitoring",
    "AgentImageRepository",
    "AgentJobs",
    "AgentMap",
    "AgentMonitoring",
    "AgentIsolation",
    "AgentParallel",
    "AgentPipeline",
    "AgentPlacement",
    "AgentPlatform",
    "AgentPlatformApi",
    "AgentRollout",
    "AgentSequence",
    "AgentSessionStore",
    "AgentSpec",
    "AgentStep",
    "AgentTool",
    "AgentVersionArchive",
    "AgentWebSocketFacade",
    "ArtifactKind",
    "CapacityPlan",
    "CodeDependencies",
    "ComputeKind",
    "ConstructsLibValidationError",
    "FacadeAuth",
    "Finding",
    "IAgentCoreAgent",
    "InstanceArchitecture",
    "InstanceLifecycle",
    "InstanceVolume",
    "InvocationMode",
    "PayloadStaging",
    "PipelineStep",
    "PlatformAgent",
    "QuotaCatalog",
    "QuotaEdition",
    "QuotaName",
    "RateModel",
    "SessionBudget",
    "Severity",
    "SharedApiAgent",
    "StepIntegration",
    "StepPayload",
    "ToolSpec",
    "WorkloadProfile",
    "mark_audit_required",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names beside the module attributes."""
    return sorted({*globals(), *__all__})
