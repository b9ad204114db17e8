"""Shared helpers for the serving construct tests: a small direct-code agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent.artifact import AgentArtifact
from constructs_lib.planning.profile import WorkloadProfile

RESEARCH_CODE = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "research"


def make_agent(stack: cdk.Stack, construct_id: str = "Agent", *, runtime_name: str = "chat_agent",
               workload: WorkloadProfile | None = None, **kwargs: Any) -> AgentCoreAgent:
    """A direct-code agent (no Docker needed) with the given workload."""
    return AgentCoreAgent(
        stack, construct_id, runtime_name=runtime_name, artifact=AgentArtifact.from_code(RESEARCH_CODE),
        workload=workload, **kwargs,
    )


def runtime_environment(template: Any) -> dict[str, Any]:
    """The EnvironmentVariables of the only AgentCore runtime in ``template``."""
    runtimes = template.find_resources("AWS::BedrockAgentCore::Runtime")
    (runtime,) = runtimes.values()
    return dict(runtime["Properties"].get("EnvironmentVariables", {}))
