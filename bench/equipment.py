"""What the benchmark puts in a stack: bare L2 runtimes, or fully equipped agents on an AgentPlatform.

"Fully equipped" is what one ``AgentPlatform`` call gives each agent: the agent with a managed image
repository and a named endpoint, a route on the platform's shared REST API (one proxy, one WAF web ACL), its items in
the shared session and job tables, payload staging (shared bucket), a Lambda tool, alarms and a dashboard row, and
version archival.
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
#: The library constructs AgentPlatform can give an agent; the benchmark checks that each one is built.
EQUIPMENT = (
    "AgentCoreAgent",
    "AgentImageRepository",
    "AgentPlatformApi",
    "AgentSessionStore",
    "PayloadStaging",
    "AgentTool",
    "AgentMonitoring",
    "AgentVersionArchive",
)


@dataclass
class Equipment:
    """What a benchmark stack holds.

    Attributes:
        used: names of the construct classes found in the stack (library constructs for equipped
            variants), as built, not as intended.
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
    used = library_constructs(platform)
    missing = [name for name in EQUIPMENT if name not in used]
    if missing:
        raise RuntimeError(f"the equipped benchmark agent lacks {', '.join(missing)}: it is not fully equipped")
    return Equipment(used=used, platform=platform)


def library_constructs(scope: Construct) -> list[str]:
    """Class names of the ``constructs_lib`` constructs under ``scope``, in construct-tree order."""
    names: list[str] = []
    for construct in scope.node.find_all():
        cls = type(construct)
        public = not cls.__name__.startswith("_")
        if public and cls.__module__.startswith("constructs_lib.") and cls.__name__ not in names:
            names.append(cls.__name__)
    return names


def bare_stack(scope: Construct, count: int) -> Equipment:
    """``count`` bare L2 runtimes."""
    for index in range(count):
        bare_runtime(scope, index)
    return Equipment(used=["aws_bedrockagentcore.Runtime"])
