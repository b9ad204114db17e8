"""AgentCompute: what an agent's sessions run on, microVMs (the default) or Instances (a capacity provider)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms

from constructs_lib._cdk.props import PropChecks, describe
from constructs_lib._cdk.reporting import report, report_unresolved
from constructs_lib._cdk.scope import path_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.agent.capacity_provider import AgentCapacityProvider, InstanceLifecycle, InstanceVolume
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.instance_types import InstanceArchitecture
from constructs_lib.limits.service import CAPACITY_PROVIDER_ARN_PATTERN
from constructs_lib.planning.compute import ComputeFacts, ComputeKind, resolve_architecture

if TYPE_CHECKING:
    from constructs_lib.agent.agent import AgentCoreAgent

@dataclass(frozen=True)
class BoundCompute:
    """The compute of one agent once bound.

    Attributes:
        facts: what the planner knows about it.
        capacity_provider_arn: the capacity provider's ARN (Instances), else ``None``.
        capacity_provider: the :class:`AgentCapacityProvider` construct, when the app defines it.
        volumes: the capacity provider volumes the runtime mounts.
    """

    facts: ComputeFacts
    capacity_provider_arn: str | None = None
    capacity_provider: AgentCapacityProvider | None = None
    volumes: tuple[InstanceVolume, ...] = ()


class AgentCompute:
    """What an agent's sessions run on; the compute type is chosen when the runtime is created and is permanent.

    - :meth:`microvm`: serverless microVMs (the default): fixed hardware per session (quotas ``session_vcpu``,
      ``session_memory``, no GPU), linux/arm64 images, sessions up to the asynchronous job duration.
    - :meth:`instances`: a capacity provider runs each session on a whole EC2 instance in your VPC (GPU families
      included), x86_64 or arm64 images, sessions up to the Instances session lifetime.

    Changing an agent's compute type needs a new runtime: an agent with a generated runtime name gets a new name
    per compute type, so CloudFormation creates the new runtime and deletes the old one (its sessions end); with an
    explicit ``runtime_name``, change the name in the same deployment.
    """

    def __init__(self, kind: ComputeKind, binder: Callable[[AgentCoreAgent], BoundCompute], description: str) -> None:
        self.kind = kind
        self._binder = binder
        self.description = description

    @staticmethod
    def microvm() -> AgentCompute:
        """Serverless microVMs, AgentCore's default compute type."""
        return AgentCompute(ComputeKind.MICROVM, lambda agent: BoundCompute(ComputeFacts()), "microVM compute")

    @staticmethod
    def instances(
        *,
        instance_types: Sequence[str] | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        volumes: Sequence[InstanceVolume] = (),
        instance_lifecycle: InstanceLifecycle | None = None,
        architecture: InstanceArchitecture | None = None,
        encryption_key: kms.IKey | None = None,
        root_volume_free_space: cdk.Size | None = None,
        capacity_provider: AgentCapacityProvider | str | None = None,
    ) -> AgentCompute:
        """Instances compute: a new capacity provider for this agent, or an existing one shared with other agents.

        Either describe a new capacity provider (``instance_types`` and ``vpc`` required, the other props optional,
        see :class:`AgentCapacityProvider`; it is created under the agent as ``CapacityProvider``), or pass
        ``capacity_provider``: an :class:`AgentCapacityProvider` of the app (its props come with it; the agent
        mounts its volumes), or the ARN of one made elsewhere (then ``instance_types`` and ``architecture`` may
        describe it, so that the hardware and image checks can run; nothing else may be given). A runtime's
        ``max_lifetime`` may not exceed its capacity provider's instance ``max_lifetime``: checked for providers of
        the app, not for one given by ARN (mount its volumes through ``runtime.node.default_child`` too).

        Args:
            instance_types: EC2 instance types a session may run on.
            vpc: the VPC of the instances.
            vpc_subnets: private subnets. Default: the VPC's private subnets.
            security_groups: security groups of the instances. Default: a new one, no inbound rules.
            volumes: persistent EBS volumes, mounted by the agent. Default: none.
            instance_lifecycle: idle timeout and maximum lifetime of the instances. Default: see
                :class:`InstanceLifecycle`.
            architecture: the instances' architecture. Default: that of the instance types.
            encryption_key: customer managed key of the volumes. Default: the account's EBS default key.
            root_volume_free_space: free space on the root volume. Default: the service default.
            capacity_provider: an existing capacity provider (construct or ARN). Default: a new one.
        """
        checks = PropChecks(code="InvalidCompute")
        checks.sequence_of("instance_types", instance_types, str, "EC2 instance type names")
        checks.resource("vpc", vpc, "vpc_id", "an ec2.IVpc")
        checks.instance("vpc_subnets", vpc_subnets, ec2.SubnetSelection, "an ec2.SubnetSelection")
        checks.sequence_of("security_groups", security_groups, object, "ec2.ISecurityGroup")
        checks.sequence_of("volumes", volumes, InstanceVolume, "InstanceVolume", optional=False)
        checks.instance("instance_lifecycle", instance_lifecycle, InstanceLifecycle, "an InstanceLifecycle")
        checks.instance("architecture", architecture, InstanceArchitecture, "an InstanceArchitecture")
        checks.resource("encryption_key", encryption_key, "key_arn", "a kms.IKey")
        checks.size("root_volume_free_space", root_volume_free_space)
        checks.raise_if_any()
        own = {
            "vpc": vpc, "vpc_subnets": vpc_subnets, "security_groups": security_groups, "volumes": volumes or None,
            "instance_lifecycle": instance_lifecycle, "encryption_key": encryption_key,
            "root_volume_free_space": root_volume_free_space,
        }

        def bind(agent: AgentCoreAgent) -> BoundCompute:
            path = path_of(agent)
            if isinstance(capacity_provider, AgentCapacityProvider):
                given = [name for name, value in {**own, "instance_types": instance_types,
                                                  "architecture": architecture}.items() if value is not None]
                _refuse(given, "an AgentCapacityProvider brings its own", path)
                capacity_provider._attach(agent)
                return BoundCompute(
                    capacity_provider.compute_facts(), capacity_provider.capacity_provider_arn, capacity_provider,
                    capacity_provider.volumes,
                )
            if capacity_provider is not None:
                _refuse([name for name, value in own.items() if value is not None],
                        "a capacity provider given by ARN was configured where it was made", path)
                return _bound_arn(agent, capacity_provider, instance_types, architecture)
            if not instance_types or vpc is None:
                missing = [name for name, value in (("instance_types", instance_types), ("vpc", vpc)) if not value]
                raise ConstructsLibValidationError(
                    "MissingComputeProps",
                    f"AgentCompute.instances needs {' and '.join(missing)} to create a capacity provider, or "
                    "capacity_provider=... to use an existing one",
                    path,
                )
            provider = AgentCapacityProvider(
                agent, "CapacityProvider", instance_types=instance_types, vpc=vpc, vpc_subnets=vpc_subnets,
                security_groups=security_groups, architecture=architecture, volumes=volumes,
                root_volume_free_space=root_volume_free_space, encryption_key=encryption_key,
                instance_lifecycle=instance_lifecycle,
            )
            provider._attach(agent)
            return BoundCompute(provider.compute_facts(), provider.capacity_provider_arn, provider, provider.volumes)

        return AgentCompute(ComputeKind.INSTANCES, bind, "Instances compute")

    def _bind(self, agent: AgentCoreAgent) -> BoundCompute:
        return self._binder(agent)


def _refuse(given: Sequence[str], why: str, path: str) -> None:
    if given:
        raise ConstructsLibValidationError(
            "ConflictingComputeProps",
            f"provide capacity_provider or {', '.join(given)}, not both ({why})",
            path,
        )


def _bound_arn(
    agent: AgentCoreAgent, arn: str, instance_types: Sequence[str] | None, architecture: InstanceArchitecture | None
) -> BoundCompute:
    if not isinstance(arn, str):
        raise ConstructsLibValidationError(
            "InvalidCapacityProvider",
            f"capacity_provider must be an AgentCapacityProvider or a capacity provider ARN, got {describe(arn)}",
            path_of(agent),
        )
    if is_unresolved(arn):
        report_unresolved(agent, "capacity_provider", "the capacity provider ARN format")
    elif not CAPACITY_PROVIDER_ARN_PATTERN.match(arn):
        raise ConstructsLibValidationError(
            "InvalidCapacityProvider",
            f"capacity_provider {arn!r} is not a capacity provider ARN "
            "(arn:aws:bedrock-agentcore:<region>:<account>:capacity-provider/<name>-<id>)",
            path_of(agent),
        )
    types = tuple(instance_types or ())
    resolved, findings = resolve_architecture(types, architecture)
    report(agent, findings)
    return BoundCompute(ComputeFacts(ComputeKind.INSTANCES, types, resolved, None, arn), arn)


__all__ = ["AgentCompute", "BoundCompute"]
