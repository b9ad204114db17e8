"""Platform team template: copy this file to start a team's agent stack.

One ``AgentPlatform`` call gives each agent its image repository, a route on the platform's one REST API (IAM auth,
its own throttle) served by one proxy, its items in the platform's session and job tables, payload staging when
payloads need it, Lambda tools, compact alarms, a dashboard row and version archival; the platform checks the agents'
combined demand against the account's shared quotas and the stack's limits. Here the research agent is a route of the
shared API; the support agent, whose five-minute tasks are streamed, gets an API and a session table of its own
(``AgentIsolation.DEDICATED``, chosen by the platform and said in an info).

To adapt it: rename the stack, list your agents as ``AgentSpec``s with their workload, and record any
approved quota increases under ``agentcore:quotaOverrides`` in ``cdk.json``.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_lib import AgentArtifact, AgentPlatform, AgentSpec, ToolSpec, WorkloadProfile

HERE = Path(__file__).parent
MODEL = "anthropic.claude-sonnet-4-20250514-v1:0"


class PlatformTemplateStack(cdk.Stack):
    """A team's agents on the platform: a support agent with a tool and a long-running research agent."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.platform = AgentPlatform(
            self,
            "Platform",
            alarm_name_prefix="team-agents",
            agents=[
                AgentSpec(
                    name="team_support",
                    artifact=AgentArtifact.from_managed_repository("v1"),
                    workload=WorkloadProfile(
                        longest_task=cdk.Duration.minutes(5),
                        peak_requests_per_second=40,
                        peak_concurrent_sessions=400,
                        max_payload=cdk.Size.mebibytes(25),
                    ),
                    endpoints=["prod"],
                    models=[MODEL],
                    tools=[
                        ToolSpec(
                            tool_name="order_status",
                            description="Look up the status of a customer order by its id",
                            code=lambda_.Code.from_asset(str(HERE / "tools" / "order_status")),
                            handler="index.handler",
                        )
                    ],
                ),
                AgentSpec(
                    name="team_research",
                    artifact=AgentArtifact.from_code(HERE / "agents" / "research"),
                    workload=WorkloadProfile(longest_task=cdk.Duration.hours(2), peak_concurrent_sessions=50),
                    models=[MODEL],
                    audit_required=True,
                ),
            ],
        )
