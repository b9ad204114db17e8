"""Reference stack "two agents": a container agent with a managed image repository and a direct-code agent."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from constructs_lib import AgentArtifact, AgentCoreAgent, AgentMonitoring, WorkloadProfile

AGENTS_DIR = Path(__file__).parent / "agents"


class ReferenceStack(cdk.Stack):
    """Two agents that show the foundation: planning from a workload, endpoints, models, artifacts."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.support = AgentCoreAgent(
            self,
            "Support",
            runtime_name="support_agent",
            artifact=AgentArtifact.from_managed_repository("v1"),
            workload=WorkloadProfile(
                longest_task=cdk.Duration.minutes(40),
                peak_requests_per_second=60,
                peak_concurrent_sessions=300,
                max_payload=cdk.Size.mebibytes(20),
            ),
            endpoints=["prod", "canary"],
            models=["anthropic.claude-sonnet-4-20250514-v1:0"],
            description="Customer support agent (container, streaming)",
        )
        self.research = AgentCoreAgent(
            self,
            "Research",
            runtime_name="research_agent",
            artifact=AgentArtifact.from_code(AGENTS_DIR / "research"),
            workload=WorkloadProfile(longest_task=cdk.Duration.hours(3), peak_concurrent_sessions=50),
            endpoints=["prod"],
            models=["us.anthropic.claude-sonnet-4-20250514-v1:0"],
            description="Long-running research agent (direct code, asynchronous)",
        )
        # Throttle, error, latency and session alarms for both agents, and the account's session quota.
        self.monitoring = AgentMonitoring(
            self, "Monitoring", alarm_name_prefix="reference", agents=[self.support, self.research]
        )
