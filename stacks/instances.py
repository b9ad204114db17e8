"""Reference stack "GPU agents on Instances compute": two agents sharing one capacity provider in a private VPC.

The story: a rendering agent needs a GPU and runs jobs of up to three days, which no microVM session can hold. It
runs on Instances compute: a capacity provider of g6 instances (NVIDIA L4) in private subnets, with an encrypted
workspace volume. A review agent shares the capacity provider, so that invoked with the same session id it lands on
the same instance and reads the renderer's files from the shared volume.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from constructs_lib import (
    AgentArtifact,
    AgentCompute,
    AgentCoreAgent,
    AgentMonitoring,
    InstanceVolume,
    WorkloadProfile,
)

AGENTS_DIR = Path(__file__).parent / "agents"


class InstancesStack(cdk.Stack):
    """A GPU agent and a second agent on one capacity provider, in a two-AZ VPC with flow logs.

    Attributes:
        vpc: the VPC (public subnets for the NAT gateway, private subnets for the instances).
        renderer: the GPU agent (container built for linux/amd64, three-day asynchronous jobs); it creates the
            capacity provider (``renderer.capacity_provider``).
        reviewer: a direct-code agent on the same capacity provider.
        monitoring: alarms for both agents.
    """

    @property
    def availability_zones(self) -> list[str]:
        """Two zones chosen at deploy time (``Fn::GetAZs``): synthesis needs no AWS lookup and the template names no
        zone."""
        return [cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(2)]

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.vpc = ec2.Vpc(
            self, "Vpc", max_azs=2, nat_gateways=1, restrict_default_security_group=True,
            flow_logs={"All": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL)},
        )
        self.renderer = AgentCoreAgent(
            self,
            "Renderer",
            runtime_name="gpu_renderer",
            artifact=AgentArtifact.from_directory(AGENTS_DIR / "support", file="Dockerfile.amd64"),
            workload=WorkloadProfile(
                longest_task=cdk.Duration.days(3),
                vcpus_per_session=4,
                memory_per_session=cdk.Size.gibibytes(16),
                gpus_per_session=1,
                gpu_memory_per_session=cdk.Size.gibibytes(20),
                peak_concurrent_sessions=20,
            ),
            compute=AgentCompute.instances(
                instance_types=["g6.xlarge", "g6.2xlarge"],
                vpc=self.vpc,
                volumes=[InstanceVolume(name="workspace", size=cdk.Size.gibibytes(100))],
            ),
            models=["anthropic.claude-sonnet-4-20250514-v1:0"],
            description="GPU rendering agent (Instances compute, three-day jobs)",
        )
        self.reviewer = AgentCoreAgent(
            self,
            "Reviewer",
            runtime_name="gpu_reviewer",
            artifact=AgentArtifact.from_code(AGENTS_DIR / "research"),
            workload=WorkloadProfile(longest_task=cdk.Duration.hours(2), peak_concurrent_sessions=20),
            compute=AgentCompute.instances(capacity_provider=self.renderer.capacity_provider),
            models=["anthropic.claude-sonnet-4-20250514-v1:0"],
            description="Reviews the renderer's output on the same instance (Instances compute, shared volume)",
        )
        self.monitoring = AgentMonitoring(
            self, "Monitoring", alarm_name_prefix=construct_id, agents=[self.renderer, self.reviewer]
        )
