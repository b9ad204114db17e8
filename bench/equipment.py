"""What the benchmark puts in a stack: bare L2 runtimes, or fully equipped agents on an AgentPlatform.

"Fully equipped" is what one ``AgentPlatform`` call gives each agent: the agent with a managed image
repository and a named endpoint, a REST facade behind a shared WAF web ACL, a session store, payload
staging (shared bucket), a Lambda tool, alarms and a dashboard row, and version archival.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_lib import AgentArtifact, AgentPlacement, AgentPlatform, AgentSpec, ToolSpec, WorkloadProfile

#: Image URI of the bare runtimes (the benchmark never deploys).
BARE_IMAGE_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bench-agent:v1"
#: Model the equipped agents may invoke.
MODEL = "anthropic.claude-sonnet-4-20250514-v1:0"
#: What each equipped agent gets, for the report.
EQUIPMENT = (
    "AgentCoreAgent",
    "AgentImageRepository",
    "AgentApiFacade (+ shared WAF)",
    "AgentSessionStore",
    "PayloadStaging (shared)",
    "AgentTool",
    "AgentMonitoring (shared)",
    "AgentVersionArchive (shared)",
)


@dataclass
class Equipment:
    """What a benchmark stack holds.

    Attributes:
        used: names of the constructs each agent is equipped with.
        platform: the platform, for equipped variants.
    """

    used: list[str] = field(default_factory=list)
    platform: AgentPlatform | None = None


def bare_runtime(scope: Construct, index: int) -> agentcore.Runtime:
    """One bare aws-cdk-lib L2 ``Runtime`` with an image URI and the L2's defaults."""
    return agentcore.Runtime(
        scope,
        f"Runtime{index}",
        runtime_name=f"bench_bare_{index}",
        agent_runtime_artifact=agentcore.AgentRuntimeArtifact.from_image_uri(BARE_IMAGE_URI),
    )


def agent_spec(index: int) -> AgentSpec:
    """The spec of one fully equipped benchmark agent."""
    return AgentSpec(
        name=f"bench_agent_{index}",
        artifact=AgentArtifact.from_managed_repository("v1"),
        workload=WorkloadProfile(
            longest_task=cdk.Duration.seconds(20),
            peak_requests_per_second=5,
            peak_concurrent_sessions=20,
            max_payload=cdk.Size.mebibytes(20),
        ),
        endpoints=["prod"],
        models=[MODEL],
        tools=[
            ToolSpec(
                tool_name=f"lookup_{index}",
                description="Looks up an order by id",
                code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"),
                handler="index.handler",
            )
        ],
    )


def equip_stack(
    scope: Construct, count: int, placement: AgentPlacement = AgentPlacement.SAME_STACK
) -> Equipment:
    """``count`` fully equipped agents on one ``AgentPlatform``."""
    platform = AgentPlatform(
        scope, "Platform", alarm_name_prefix="bench", placement=placement,
        agents=[agent_spec(index) for index in range(count)],
    )
    return Equipment(used=list(EQUIPMENT), platform=platform)


def bare_stack(scope: Construct, count: int) -> Equipment:
    """``count`` bare L2 runtimes."""
    for index in range(count):
        bare_runtime(scope, index)
    return Equipment(used=["aws_bedrockagentcore.Runtime"])
