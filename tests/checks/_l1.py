"""Raw L1 builders for the nag-pack tests: resources as a team that never uses our constructs writes them."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam

from constructs_lib.checks import AgentCoreChecks

ENV = cdk.Environment(account="123456789012", region="us-east-1")


def new_stack(context: dict[str, Any] | None = None) -> tuple[cdk.App, cdk.Stack]:
    """A fresh app and stack in us-east-1."""
    app = cdk.App(context=context or {})
    return app, cdk.Stack(app, "L1Stack", env=ENV)


def cfn_runtime(
    scope: cdk.Stack,
    construct_id: str = "Runtime",
    *,
    name: str = "l1_agent",
    role_arn: str = "arn:aws:iam::123456789012:role/agent",
    **props: Any,
) -> agentcore.CfnRuntime:
    """A raw ``CfnRuntime`` with the required properties and anything else given (public network unless given;
    a runtime on a capacity provider gets none)."""
    if "capacity_provider_configuration" not in props:
        props.setdefault(
            "network_configuration", agentcore.CfnRuntime.NetworkConfigurationProperty(network_mode="PUBLIC")
        )
    return agentcore.CfnRuntime(
        scope,
        construct_id,
        agent_runtime_name=name,
        role_arn=role_arn,
        agent_runtime_artifact=agentcore.CfnRuntime.AgentRuntimeArtifactProperty(
            container_configuration=agentcore.CfnRuntime.ContainerConfigurationProperty(
                container_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:v1"
            )
        ),
        **props,
    )


def cfn_capacity_provider(
    scope: cdk.Stack,
    construct_id: str = "Provider",
    *,
    instance_types: Any = ("g6.xlarge",),
    operating_system: Any = "LINUX_X86_64",
    root_encrypted: Any = True,
    volumes: Any = None,
    lifecycle: Any = None,
) -> agentcore.CfnCapacityProvider:
    """A raw ``CfnCapacityProvider`` as a team writes it by hand."""
    cp = agentcore.CfnCapacityProvider
    return cp(
        scope,
        construct_id,
        name="team_gpu",
        permissions_configuration=cp.PermissionsConfigurationProperty(
            capacity_provider_operator_role_arn="arn:aws:iam::123456789012:role/operator"
        ),
        compute_configuration=cp.ComputeConfigurationProperty(
            ec2_configuration=cp.Ec2ConfigurationProperty(
                launch_template_source=cp.LaunchTemplateSourceProperty(
                    launch_parameters=cp.LaunchParametersProperty(
                        operating_system=operating_system,
                        instance_requirements=cp.InstanceRequirementsProperty(
                            allowed_instance_types=list(instance_types) if isinstance(instance_types, tuple)
                            else instance_types
                        ),
                    )
                ),
                vpc_configuration=cp.VpcConfigurationProperty(
                    subnets=["subnet-0123456789abcdef0"], security_groups=["sg-0123456789abcdef0"]
                ),
                root_volume=None if root_encrypted is None else cp.RootVolumeConfigurationProperty(
                    encrypted=root_encrypted
                ),
                volumes=volumes,
                lifecycle_configuration=lifecycle,
            )
        ),
    )


def cfn_endpoint(
    scope: cdk.Stack, runtime: agentcore.CfnRuntime, construct_id: str, *, name: str, version: str | None = None
) -> agentcore.CfnRuntimeEndpoint:
    """A raw ``CfnRuntimeEndpoint`` on ``runtime``."""
    return agentcore.CfnRuntimeEndpoint(
        scope,
        construct_id,
        agent_runtime_id=runtime.attr_agent_runtime_id,
        name=name,
        agent_runtime_version=version,
    )


def cfn_role(scope: cdk.Stack, construct_id: str = "Role") -> iam.CfnRole:
    """A raw execution role trusting AgentCore."""
    return iam.CfnRole(
        scope,
        construct_id,
        assume_role_policy_document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
    )


def violations(app: cdk.App) -> dict[str, list[str]]:
    """``{rule id: [construct paths]}`` from running the pack directly on ``app`` (no synth)."""
    report = AgentCoreChecks(app).validate_scope(app)
    return {v.rule_name: [r.construct_path for r in v.violating_resources] for v in report.violations}
