"""Reference stack "operations": two agents, monitored and archived.

The on-call story: every agent is on one dashboard with alarms that fire before a quota bites, and every
version of every agent is archived to S3 so "what exactly was version 37" can always be answered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
from constructs_lib.operations.monitoring import AgentMonitoring
from constructs_lib.operations.version_archive import AgentVersionArchive, mark_audit_required

AGENTS_DIR = Path(__file__).parent / "agents"


class OperationsStack(cdk.Stack):
    """Two agents with AgentMonitoring (alarms, dashboard, encrypted topic) and AgentVersionArchive.

    Attributes:
        support: a container agent with prod and canary endpoints (streaming).
        research: a direct-code agent (asynchronous), marked as needing an audit trail.
        monitoring: alarms and the dashboard over both agents.
        archive: the version archive over both agents; its dead-letter alarm notifies the same topic.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.support = AgentCoreAgent(
            self,
            "Support",
            runtime_name="ops_support_agent",
            artifact=AgentArtifact.from_managed_repository("v1"),
            workload=WorkloadProfile(
                longest_task=cdk.Duration.minutes(40), peak_requests_per_second=60, peak_concurrent_sessions=300
            ),
            endpoints=["prod", "canary"],
            models=["anthropic.claude-sonnet-4-20250514-v1:0"],
            description="Customer support agent (container, streaming), monitored and archived",
        )
        self.research = AgentCoreAgent(
            self,
            "Research",
            runtime_name="ops_research_agent",
            artifact=AgentArtifact.from_code(AGENTS_DIR / "research"),
            workload=WorkloadProfile(longest_task=cdk.Duration.hours(3), peak_concurrent_sessions=50),
            endpoints=["prod"],
            models=["us.anthropic.claude-sonnet-4-20250514-v1:0"],
            description="Long-running research agent (direct code, asynchronous), monitored and archived",
        )
        mark_audit_required(self.research)
        agents = [self.support, self.research]
        self.monitoring = AgentMonitoring(
            self, "Monitoring", alarm_name_prefix=construct_id, agents=agents, dashboard_name=f"{construct_id}-agents"
        )
        self.archive = AgentVersionArchive(
            self, "VersionArchive", agents=agents, alarm_topic=self.monitoring.alarm_topic
        )
