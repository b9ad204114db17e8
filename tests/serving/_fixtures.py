"""Shared helpers for the serving construct tests: a small direct-code agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent.artifact import AgentArtifact
from constructs_lib.agent.dependencies import CodeDependencies
from constructs_lib.handlers import contract
from constructs_lib.limits.service import (
    SESSION_HEADER,
    SESSION_ID_MAX_LENGTH,
    SESSION_ID_MIN_LENGTH,
    SESSION_ID_PATTERN,
)
from constructs_lib.planning.profile import WorkloadProfile

RESEARCH_CODE = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "research"

#: What every facade sets in its proxy's environment besides the runtime ARN and the qualifier: the session-id rule
#: (from limits/service.py) and the AgentCore client settings (one attempt, a read timeout).
PROXY_SETTINGS: dict[str, str] = {
    contract.ENV_SESSION_HEADER: SESSION_HEADER,
    contract.ENV_SESSION_ID_PATTERN: SESSION_ID_PATTERN.pattern,
    contract.ENV_SESSION_ID_MIN_LENGTH: str(SESSION_ID_MIN_LENGTH),
    contract.ENV_SESSION_ID_MAX_LENGTH: str(SESSION_ID_MAX_LENGTH),
    contract.ENV_AGENT_MAX_ATTEMPTS: "1",
    contract.ENV_AGENT_READ_TIMEOUT_SECONDS: "26",
}


def make_agent(stack: cdk.Stack, construct_id: str = "Agent", *, runtime_name: str = "chat_agent",
               workload: WorkloadProfile | None = None, **kwargs: Any) -> AgentCoreAgent:
    """A direct-code agent (no Docker needed) with the given workload; its dependencies are not installed here."""
    artifact = AgentArtifact.from_code(RESEARCH_CODE, dependencies=CodeDependencies.none())
    return AgentCoreAgent(
        stack, construct_id, runtime_name=runtime_name, artifact=artifact, workload=workload, **kwargs,
    )


def runtime_environment(template: Any) -> dict[str, Any]:
    """The EnvironmentVariables of the only AgentCore runtime in ``template``."""
    runtimes = template.find_resources("AWS::BedrockAgentCore::Runtime")
    (runtime,) = runtimes.values()
    return dict(runtime["Properties"].get("EnvironmentVariables", {}))


def packaged_proxy(template: Any, outdir: Path, handler: str, **placeholders: str) -> tuple[Path, dict[str, str]]:
    """The synthesized asset folder of the function whose handler is ``handler``, and its environment as the
    template sets it (values known only at deploy replaced by ``placeholders[name]``, or by a placeholder)."""
    functions = template.find_resources("AWS::Lambda::Function", {"Properties": {"Handler": handler}})
    (function,) = functions.values()
    key = function["Properties"]["Code"]["S3Key"]
    asset = outdir / f"asset.{key.removesuffix('.zip')}"
    variables = function["Properties"]["Environment"]["Variables"]
    environment = {
        name: value if isinstance(value, str) else placeholders.get(name, f"deploy-time-{name.lower()}")
        for name, value in variables.items()
    }
    return asset, environment


def synth_errors(scope: Any) -> list[str]:
    """The validation errors of ``scope`` and everything under it: what ``synth`` would fail with, all at once."""
    return [error for construct in scope.node.find_all() for error in construct.node.validate()]


def synth_error_codes(scope: Any) -> list[str]:
    """The ``[Code]`` of each of :func:`synth_errors`."""
    return [error.split("]", 1)[0].lstrip("[") for error in synth_errors(scope)]
