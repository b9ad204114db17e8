"""AgentCapacityProvider: the EC2 capacity behind Instances compute, in private subnets, with least-privilege roles."""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from constructs_lib._cdk import perms
from constructs_lib._cdk.props import PropChecks, check_construct_id
from constructs_lib._cdk.reporting import report, report_after_build, warn_unless_retained
from constructs_lib._cdk.scope import account_of, catalog_for, path_of, region_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.agent._operator_policy import (
    AGENTCORE_SERVICE,
    OperatorScope,
    acknowledge_instance_wildcard,
    acknowledge_operator_wildcards,
    instance_policy,
    operator_policy,
    provider_arn_pattern,
)
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName, ResolvedQuota, Unit, format_value
from constructs_lib.limits.instance_types import InstanceArchitecture
from constructs_lib.limits.service import (
    MOUNT_PATH_MAX_LENGTH,
    MOUNT_PATH_PATTERN,
    NAME_MAX_LENGTH,
    VOLUME_NAME_PATTERN,
)
from constructs_lib.limits.validation import name_problems, tag_problems
from constructs_lib.planning.compute import (
    OPERATING_SYSTEMS,
    ComputeFacts,
    ComputeKind,
    agents_per_session_finding,
    capacity_providers_finding,
    edition_findings,
    instance_lifecycle_problems,
    resolve_architecture,
    session_lifetime_quota,
)
from constructs_lib.planning.findings import Finding

if TYPE_CHECKING:
    from constructs_lib.agent.agent import AgentCoreAgent

_GIB = 1024**3


@dataclass(frozen=True, kw_only=True)
class InstanceVolume:
    """A persistent EBS volume of a capacity provider, mounted by every agent on it.

    The volume is created on a session's first launch, survives the session's stops, and is deleted with the session
    or the capacity provider. Agents that share a session (same capacity provider, same session id) share it.
    Volumes are always encrypted (with the capacity provider's ``encryption_key`` when one is given).

    Args:
        name: the volume name: a letter, then letters, digits, ``_`` or ``-`` (``limits.service.VOLUME_NAME_PATTERN``).
        size: a whole number of GiB, within the quotas ``capacity_provider_volume_size_minimum`` and
            ``capacity_provider_volume_size_maximum``.
        mount_path: where agents see it, one directory under ``/mnt``. Default: ``/mnt/<name>``.
        volume_type: the EBS volume type. Default: gp3.
        iops: provisioned IOPS (gp3, io1, io2). Default: the volume type's baseline.
        throughput_mibps: provisioned throughput in MiB/s (gp3). Default: the gp3 baseline.
        snapshot_id: an EBS snapshot the volume starts from on its first launch. Default: an empty volume.
    """

    name: str
    size: cdk.Size
    mount_path: str | None = None
    volume_type: ec2.EbsDeviceVolumeType | None = None
    iops: int | None = None
    throughput_mibps: int | None = None
    snapshot_id: str | None = None

    def __post_init__(self) -> None:
        checks = PropChecks(code="InvalidVolumes")
        checks.string("name", self.name, optional=False, pattern=VOLUME_NAME_PATTERN,
                      allowed="a letter, then letters, digits, '_' or '-'")
        checks.size("size", self.size, optional=False)
        checks.string("mount_path", self.mount_path)
        checks.choice("volume_type", self.volume_type, ec2.EbsDeviceVolumeType)
        checks.whole_number("iops", self.iops, minimum=1)
        checks.whole_number("throughput_mibps", self.throughput_mibps, minimum=1)
        checks.string("snapshot_id", self.snapshot_id)
        checks.raise_if_any()

    @property
    def effective_mount_path(self) -> str:
        """The mount path agents use."""
        return self.mount_path or f"/mnt/{self.name}"


@dataclass(frozen=True, kw_only=True)
class InstanceLifecycle:
    """How long a capacity provider's instances live (the session of a runtime cannot outlive its instance).

    Args:
        idle_instance_timeout: how long an instance may stay idle before AgentCore stops it. Default: the service
            default.
        max_lifetime: how long an instance may live, at most the quota ``instances_session_lifetime``; every runtime
            on the capacity provider must have a ``max_lifetime`` no longer than this. Default: the quota
            ``instances_session_lifetime``, so that any runtime lifecycle fits.
    """

    idle_instance_timeout: cdk.Duration | None = None
    max_lifetime: cdk.Duration | None = None

    def __post_init__(self) -> None:
        checks = PropChecks(code="InvalidInstanceLifecycle")
        checks.duration("idle_instance_timeout", self.idle_instance_timeout)
        checks.duration("max_lifetime", self.max_lifetime)
        checks.raise_if_any()


@jsii.implements(ec2.IConnectable)
class AgentCapacityProvider(Construct):
    """Defines an AgentCore capacity provider: EC2 instances in private subnets that host Instances-compute sessions.

    Several agents can share one capacity provider (``AgentCompute.instances(capacity_provider=provider)``); agents
    invoked with the same session id then run on the same instance and share its volumes. At most the quota
    ``agents_per_capacity_provider_session`` agents fit on one session (checked once the app is built, a warning),
    and an account holds at most ``capacity_providers_per_account`` capacity providers (checked per account and
    region of the app, an error).

    Resources: the ``AWS::BedrockAgentCore::CapacityProvider`` (``resource``, ``node.default_child``, retained by
    default: deleting it deletes every session and its persistent volumes); the operator role AgentCore assumes to
    launch and tag instances (``operator_role``: trust limited to this account and this provider's ARN, permissions
    narrowed from the AWS managed operator policy to this provider's subnets, security groups, instance types and
    instance role); the instance role and instance profile (``instance_role``: system logs of this provider only);
    a security group without inbound rules unless ``security_groups`` are given (``security_groups``,
    ``connections``).

    Deploying: the compute configuration, name and operator role cannot change after creation. The generated name
    carries a digest of the compute configuration, so a change creates a new capacity provider under a new name and
    moves the runtimes to it (the old one is retained with its volumes until you delete it). The caller that creates
    it (the CloudFormation execution role) needs ``iam:PassRole`` on the operator role and, with an
    ``encryption_key``, ``kms:DescribeKey``; creating a runtime on it needs ``bedrock-agentcore:PassCapacityProvider``
    (:meth:`grant_pass`). CDK's default bootstrap execution role has both.

    Args:
        scope: parent construct.
        construct_id: construct id.
        instance_types: EC2 instance types a session may run on (GPU families included), at most the quota
            ``capacity_provider_instance_types``, all of one architecture.
        vpc: the VPC of the instances.
        vpc_subnets: private subnets for the instances (public subnets are refused), at most the quota
            ``capacity_provider_subnets``. Default: the VPC's private subnets with egress, else its isolated ones.
        security_groups: security groups of the instances, at most ``capacity_provider_security_groups``. Default:
            a new group without inbound rules that allows all outbound traffic.
        architecture: the instances' CPU architecture. Default: the architecture of the instance types; required
            when none of them is in the instance table.
        volumes: persistent EBS volumes mounted by every agent on the provider, at most the quota
            ``capacity_provider_volumes``. Default: none.
        root_volume_free_space: free space on each instance's root volume, within the quotas
            ``root_volume_free_space_minimum`` and ``root_volume_free_space_maximum``. Default: the service default.
        encryption_key: customer managed KMS key for the root and persistent volumes. Default: volumes are
            encrypted with the account's default EBS key.
        instance_lifecycle: idle timeout and maximum lifetime of the instances. Default: the service's idle timeout
            and the Instances session lifetime.
        capacity_provider_name: the name (a letter, then letters, digits and underscores; unique in the account).
            Default: a name from the construct path and a digest of the compute configuration.
        description: description of the capacity provider. Default: none.
        removal_policy: what happens to the capacity provider when it leaves the stack. Default: RETAIN (a warning
            otherwise).
        tags: tags for the capacity provider, also propagated to the instances, volumes and network interfaces it
            launches. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_types: Sequence[str],
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        architecture: InstanceArchitecture | None = None,
        volumes: Sequence[InstanceVolume] = (),
        root_volume_free_space: cdk.Size | None = None,
        encryption_key: kms.IKey | None = None,
        instance_lifecycle: InstanceLifecycle | None = None,
        capacity_provider_name: str | None = None,
        description: str | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        check_construct_id(construct_id)
        super().__init__(scope, construct_id)
        self.catalog: QuotaCatalog = catalog_for(self)
        self.region: str | None = region_of(self)
        self._check_props(
            vpc=vpc, vpc_subnets=vpc_subnets, security_groups=security_groups, volumes=volumes,
            root_volume_free_space=root_volume_free_space, encryption_key=encryption_key,
            capacity_provider_name=capacity_provider_name, description=description, removal_policy=removal_policy,
            tags=tags,
        )
        stack = cdk.Stack.of(self)
        self.instance_types: tuple[str, ...] = self._checked_instance_types(instance_types)
        self.architecture: InstanceArchitecture = self._resolved_architecture(architecture)
        self.volumes: tuple[InstanceVolume, ...] = tuple(volumes)
        raise_all("InvalidVolumes", self._volume_problems(), path_of(self))
        root_free_gib = self._root_free_space_gib(root_volume_free_space)
        idle_seconds, max_seconds = self._instance_lifecycle(instance_lifecycle)
        self.instance_max_lifetime_seconds: float | None = max_seconds
        subnets = self._private_subnets(vpc, vpc_subnets)
        self.security_groups: list[ec2.ISecurityGroup] = self._security_groups(vpc, security_groups)
        self.connections = ec2.Connections(security_groups=self.security_groups)
        self.encryption_key = encryption_key

        vpc_configuration = agentcore.CfnCapacityProvider.VpcConfigurationProperty(
            subnets=subnets.subnet_ids, security_groups=[g.security_group_id for g in self.security_groups]
        )
        lifecycle = agentcore.CfnCapacityProvider.InstanceLifecycleConfigurationProperty(
            idle_instance_timeout=None if idle_seconds is None else int(idle_seconds),
            max_lifetime=None if max_seconds is None else int(max_seconds),
        )
        root_volume = agentcore.CfnCapacityProvider.RootVolumeConfigurationProperty(
            # Encrypted explicitly: the developer guide says an unset flag follows the account's EBS default.
            encrypted=True, kms_key_id=self._key_arn(), volume_type="gp3", free_space_gib=root_free_gib
        )
        persistent = [self._volume_property(v) for v in self.volumes]
        self.capacity_provider_name: str = self._name(
            capacity_provider_name, [vpc_configuration, lifecycle, root_volume, persistent]
        )

        self.instance_role = iam.Role(
            self, "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"Instances of AgentCore capacity provider {self.capacity_provider_name}: system logs only",
            inline_policies={"SystemLogs": instance_policy(stack, self.capacity_provider_name)},
        )
        acknowledge_instance_wildcard(self.instance_role, stack, self.capacity_provider_name)
        self.instance_profile = iam.InstanceProfile(self, "InstanceProfile", role=self.instance_role)
        self.operator_role = iam.Role(
            self, "OperatorRole",
            # Only AgentCore, acting for this account and this capacity provider, may assume the role.
            assumed_by=iam.ServicePrincipal(AGENTCORE_SERVICE).with_conditions({
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": provider_arn_pattern(stack, self.capacity_provider_name)},
            }),
            description=f"AgentCore operates the EC2 capacity of capacity provider {self.capacity_provider_name}",
            inline_policies={"Operator": operator_policy(stack, OperatorScope(
                subnet_ids=subnets.subnet_ids,
                security_group_ids=[g.security_group_id for g in self.security_groups],
                instance_types=self.instance_types,
                instance_role_arn=self.instance_role.role_arn,
                encryption_key_arn=self._key_arn(),
            ))},
        )
        acknowledge_operator_wildcards(self.operator_role, stack, self.capacity_provider_name)

        self.resource = agentcore.CfnCapacityProvider(
            self, "Resource",
            name=self.capacity_provider_name,
            description=description,
            permissions_configuration=agentcore.CfnCapacityProvider.PermissionsConfigurationProperty(
                capacity_provider_operator_role_arn=self.operator_role.role_arn
            ),
            compute_configuration=agentcore.CfnCapacityProvider.ComputeConfigurationProperty(
                ec2_configuration=agentcore.CfnCapacityProvider.Ec2ConfigurationProperty(
                    launch_template_source=agentcore.CfnCapacityProvider.LaunchTemplateSourceProperty(
                        launch_parameters=agentcore.CfnCapacityProvider.LaunchParametersProperty(
                            operating_system=OPERATING_SYSTEMS[self.architecture],
                            instance_requirements=agentcore.CfnCapacityProvider.InstanceRequirementsProperty(
                                allowed_instance_types=list(self.instance_types)
                            ),
                            instance_profile_arn=self.instance_profile.instance_profile_arn,
                            propagated_tags=dict(tags) if tags else None,
                        )
                    ),
                    vpc_configuration=vpc_configuration,
                    lifecycle_configuration=lifecycle,
                    root_volume=root_volume,
                    volumes=persistent or None,
                )
            ),
            tags=[cdk.CfnTag(key=k, value=v) for k, v in (tags or {}).items()] or None,
        )
        self.node.default_child = self.resource
        # Sessions and their persistent volumes live and die with the capacity provider.
        self.resource.apply_removal_policy(removal_policy)
        warn_unless_retained(self, removal_policy, f"capacity provider {self.capacity_provider_name}")

        self.agents: list[AgentCoreAgent] = []
        report_after_build(self, self._agents_per_session)
        _register_in_app(self)

    # -- construction helpers ------------------------------------------------------------------------

    def _check_props(self, **props: Any) -> None:
        """The types of the props the other checks do not cover, before anything reaches jsii."""
        checks = PropChecks(path_of(self))
        checks.resource("vpc", props["vpc"], "vpc_id", "an ec2.IVpc", optional=False)
        checks.instance("vpc_subnets", props["vpc_subnets"], ec2.SubnetSelection, "an ec2.SubnetSelection")
        checks.sequence_of("security_groups", props["security_groups"], object, "ec2.ISecurityGroup")
        for index, group in enumerate(props["security_groups"] or ()):
            checks.resource(f"security_groups[{index}]", group, "security_group_id", "an ec2.ISecurityGroup")
        checks.sequence_of("volumes", props["volumes"], InstanceVolume, "InstanceVolume", optional=False,
                           code="InvalidVolumes")
        checks.size("root_volume_free_space", props["root_volume_free_space"])
        checks.resource("encryption_key", props["encryption_key"], "key_arn", "a kms.IKey")
        checks.string("capacity_provider_name", props["capacity_provider_name"])
        limit = self.catalog.resolve(QuotaName.CAPACITY_PROVIDER_DESCRIPTION_LENGTH)
        checks.string("description", props["description"], max_length=int(limit.value))
        checks.choice("removal_policy", props["removal_policy"], cdk.RemovalPolicy, optional=False)
        if checks.string_map("tags", props["tags"]) and props["tags"]:
            checks.add("InvalidTags", tag_problems(props["tags"], self.catalog))
        checks.raise_if_any()

    def _checked_instance_types(self, instance_types: Sequence[str]) -> tuple[str, ...]:
        if isinstance(instance_types, str) or not isinstance(instance_types, Sequence):
            raise ConstructsLibValidationError(
                "InvalidInstanceTypes", f"instance_types must be a list of instance type names, got {instance_types!r}",
                path_of(self),
            )
        problems: list[str] = []
        quota = self._quota(QuotaName.CAPACITY_PROVIDER_INSTANCE_TYPES)
        if not instance_types:
            problems.append("instance_types must name at least one instance type")
        if quota is not None and len(instance_types) > quota.value:
            problems.append(
                f"instance_types lists {len(instance_types)} types, more than {quota.formatted()}, the "
                f"{quota.describe()}"
            )
        for name in instance_types:
            if not isinstance(name, str) or "." not in name or is_unresolved(name):
                problems.append(f"instance type {name!r} must be a concrete EC2 instance type name such as g6.xlarge")
        if len(set(instance_types)) != len(instance_types):
            problems.append(f"instance_types lists a type more than once: {list(instance_types)!r}")
        raise_all("InvalidInstanceTypes", problems, path_of(self))
        return tuple(instance_types)

    def _resolved_architecture(self, requested: InstanceArchitecture | None) -> InstanceArchitecture:
        if requested is not None and not isinstance(requested, InstanceArchitecture):
            raise ConstructsLibValidationError(
                "InvalidArchitecture", f"architecture must be an InstanceArchitecture, got {requested!r}",
                path_of(self),
            )
        architecture, findings = resolve_architecture(self.instance_types, requested)
        report(self, [*edition_findings(ComputeFacts(ComputeKind.INSTANCES), self.catalog), *findings])
        if architecture is None:
            raise ConstructsLibValidationError(
                "ArchitectureRequired",
                f"none of instance_types {list(self.instance_types)!r} is in the library's instance table, so their "
                "architecture is unknown; pass architecture=InstanceArchitecture.X86_64 or ARM64",
                path_of(self),
            )
        return architecture

    def _volume_problems(self) -> list[str]:
        problems: list[str] = []
        if any(not isinstance(v, InstanceVolume) for v in self.volumes):
            return [f"volumes must be InstanceVolume values, got {list(self.volumes)!r}"]
        count = self._quota(QuotaName.CAPACITY_PROVIDER_VOLUMES)
        if count is not None and len(self.volumes) > count.value:
            problems.append(f"volumes lists {len(self.volumes)}, more than {count.formatted()}, the {count.describe()}")
        names = [v.name for v in self.volumes]
        paths = [v.effective_mount_path for v in self.volumes]
        for what, values in (("name", names), ("mount path", paths)):
            if len(set(values)) != len(values):
                problems.append(f"volume {what}s must be unique, got {values!r}")
        minimum = self._quota(QuotaName.CAPACITY_PROVIDER_VOLUME_SIZE_MINIMUM)
        maximum = self._quota(QuotaName.CAPACITY_PROVIDER_VOLUME_SIZE_MAXIMUM)
        for volume in self.volumes:
            if not isinstance(volume.name, str) or not VOLUME_NAME_PATTERN.match(volume.name):
                problems.append(f"volume name {volume.name!r} must match {VOLUME_NAME_PATTERN.pattern}")
            path = volume.effective_mount_path
            if not MOUNT_PATH_PATTERN.match(path) or len(path) > MOUNT_PATH_MAX_LENGTH:
                problems.append(
                    f"volume {volume.name!r} mount_path {path!r} must be one directory under /mnt "
                    f"({MOUNT_PATH_PATTERN.pattern}, at most {MOUNT_PATH_MAX_LENGTH} characters)"
                )
            problems += _size_problems(f"volume {volume.name!r} size", volume.size, minimum, maximum)
        return problems

    def _root_free_space_gib(self, size: cdk.Size | None) -> int | None:
        if size is None:
            return None
        minimum = self._quota(QuotaName.ROOT_VOLUME_FREE_SPACE_MINIMUM)
        maximum = self._quota(QuotaName.ROOT_VOLUME_FREE_SPACE_MAXIMUM)
        raise_all("InvalidRootVolume", _size_problems("root_volume_free_space", size, minimum, maximum), path_of(self))
        return int(size.to_bytes() // _GIB)

    def _instance_lifecycle(self, lifecycle: InstanceLifecycle | None) -> tuple[float | None, float | None]:
        lifecycle = lifecycle or InstanceLifecycle()
        if not isinstance(lifecycle, InstanceLifecycle):
            raise ConstructsLibValidationError(
                "InvalidInstanceLifecycle", f"instance_lifecycle must be an InstanceLifecycle, got {lifecycle!r}",
                path_of(self),
            )
        seconds: list[float | None] = []
        for name, duration in (("idle_instance_timeout", lifecycle.idle_instance_timeout),
                               ("max_lifetime", lifecycle.max_lifetime)):
            if duration is not None and duration.is_unresolved():
                raise ConstructsLibValidationError(
                    "InvalidInstanceLifecycle", f"instance_lifecycle {name} must be a concrete duration, got a token",
                    path_of(self),
                )
            seconds.append(None if duration is None else float(duration.to_milliseconds()) / 1000.0)
        idle, maximum = seconds
        raise_all("InvalidInstanceLifecycle", instance_lifecycle_problems(idle, maximum, self.catalog, self.region),
                  path_of(self))
        if maximum is None:
            default = session_lifetime_quota(self.catalog, ComputeKind.INSTANCES, self.region)
            maximum = None if default is None else default.value
        return idle, maximum

    def _private_subnets(self, vpc: ec2.IVpc, selection: ec2.SubnetSelection | None) -> ec2.SelectedSubnets:
        if selection is None:
            if vpc.private_subnets:
                selection = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
            elif vpc.isolated_subnets:
                selection = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            else:
                raise ConstructsLibValidationError(
                    "NoPrivateSubnets",
                    "vpc has no private subnets; capacity providers run in private subnets only: add private subnets "
                    "or pass vpc_subnets=SubnetSelection(subnets=[...]) naming private ones",
                    path_of(self),
                )
        selected = vpc.select_subnets(
            subnet_type=selection.subnet_type, subnet_group_name=selection.subnet_group_name,
            subnets=selection.subnets, availability_zones=selection.availability_zones,
            one_per_az=selection.one_per_az, subnet_filters=selection.subnet_filters,
        )
        problems: list[str] = []
        if selected.has_public:
            public_ids = {subnet.subnet_id for subnet in vpc.public_subnets}
            public = [subnet_id for subnet_id in selected.subnet_ids if subnet_id in public_ids]
            problems.append(
                f"vpc_subnets selects public subnets ({', '.join(public) or 'public subnet type'}); capacity "
                "provider instances run in private subnets only: select PRIVATE_WITH_EGRESS or PRIVATE_ISOLATED "
                "subnets"
            )
        quota = self._quota(QuotaName.CAPACITY_PROVIDER_SUBNETS)
        if not selected.subnet_ids:
            problems.append("vpc_subnets selects no subnet")
        elif quota is not None and len(selected.subnet_ids) > quota.value:
            problems.append(
                f"vpc_subnets selects {len(selected.subnet_ids)} subnets, more than {quota.formatted()}, the "
                f"{quota.describe()}; select fewer subnets (one or two per Availability Zone)"
            )
        raise_all("PublicSubnetsNotAllowed" if selected.has_public else "InvalidSubnets", problems, path_of(self))
        return selected

    def _security_groups(
        self, vpc: ec2.IVpc, given: Sequence[ec2.ISecurityGroup] | None
    ) -> list[ec2.ISecurityGroup]:
        if given is None:
            return [ec2.SecurityGroup(
                self, "SecurityGroup", vpc=vpc, allow_all_outbound=True,
                description="AgentCore capacity provider instances: no inbound, all outbound",
            )]
        groups = list(given)
        quota = self._quota(QuotaName.CAPACITY_PROVIDER_SECURITY_GROUPS)
        problems: list[str] = []
        if not groups:
            problems.append("security_groups must name at least one security group (or be omitted for a new one)")
        elif quota is not None and len(groups) > quota.value:
            problems.append(
                f"security_groups lists {len(groups)} groups, more than {quota.formatted()}, the {quota.describe()}"
            )
        raise_all("InvalidSecurityGroups", problems, path_of(self))
        return groups

    def _quota(self, name: QuotaName) -> ResolvedQuota | None:
        return self.catalog.resolve(name, self.region) if self.catalog.has(name) else None

    def _key_arn(self) -> str | None:
        return None if self.encryption_key is None else self.encryption_key.key_arn

    def _volume_property(self, volume: InstanceVolume) -> agentcore.CfnCapacityProvider.VolumeConfigurationProperty:
        return agentcore.CfnCapacityProvider.VolumeConfigurationProperty(
            ebs_configuration=agentcore.CfnCapacityProvider.EbsVolumeConfigurationProperty(
                name=volume.name,
                size_gib=int(volume.size.to_bytes() // _GIB),
                encrypted=True,
                kms_key_id=self._key_arn(),
                volume_type=(volume.volume_type.name.lower() if volume.volume_type else "gp3"),
                iops=volume.iops,
                throughput=volume.throughput_mibps,
                snapshot_id=volume.snapshot_id,
            )
        )

    def _name(self, given: str | None, configuration: list[Any]) -> str:
        if given is not None:
            if is_unresolved(given):
                raise ConstructsLibValidationError(
                    "InvalidCapacityProviderName", "capacity_provider_name must be a concrete string, got a token",
                    path_of(self),
                )
            raise_all("InvalidCapacityProviderName", name_problems(given, "capacity_provider_name"), path_of(self))
            return given
        # The compute configuration cannot change in place: a new digest gives a new name, so CloudFormation
        # creates the replacement next to the old capacity provider instead of failing on a name conflict.
        resolved = cdk.Stack.of(self).resolve(
            {"types": list(self.instance_types), "architecture": self.architecture.value, "rest": configuration}
        )
        digest = hashlib.sha256(json.dumps(resolved, sort_keys=True, default=str).encode()).hexdigest()[:8]
        prefix = cdk.Names.unique_resource_name(self, max_length=NAME_MAX_LENGTH - len(digest) - 1, separator="_")
        return f"{prefix}_{digest}"

    def _agents_per_session(self) -> list[Finding]:
        finding = agents_per_session_finding(len(self.agents), path_of(self), self.catalog)
        return [] if finding is None else [finding]

    # -- public API ----------------------------------------------------------------------------------

    @property
    def capacity_provider_arn(self) -> str:
        """ARN of the capacity provider (``GetAtt Arn``)."""
        return self.resource.attr_arn

    @property
    def capacity_provider_id(self) -> str:
        """Id of the capacity provider (``GetAtt CapacityProviderId``)."""
        return self.resource.attr_capacity_provider_id

    def compute_facts(self) -> ComputeFacts:
        """What the planner knows about this capacity provider."""
        return ComputeFacts(
            kind=ComputeKind.INSTANCES,
            instance_types=self.instance_types,
            architecture=self.architecture,
            instance_max_lifetime_seconds=self.instance_max_lifetime_seconds,
            capacity_provider=path_of(self),
        )

    def grant_pass(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to create or update runtimes on this capacity provider (``PassCapacityProvider``).

        The caller of CreateAgentRuntime needs it: under CloudFormation the stack's execution role (CDK's default
        bootstrap role already has it), or a pipeline or custom deployment role that creates runtimes itself.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=[perms.PASS_CAPACITY_PROVIDER], resource_arns=[self.capacity_provider_arn]
        )

    def _attach(self, agent: AgentCoreAgent) -> None:
        """Record an agent that runs on this capacity provider (counted against the agents-per-session quota)."""
        self.agents.append(agent)


def _size_problems(
    what: str, size: Any, minimum: ResolvedQuota | None, maximum: ResolvedQuota | None
) -> list[str]:
    if not hasattr(size, "to_bytes") or isinstance(size, int | float):
        return [f"{what} must be an aws_cdk.Size (for example Size.gibibytes(50)), got {size!r}"]
    if size.is_unresolved():
        return [f"{what} must be a concrete size, got a token"]
    value = float(size.to_bytes())
    problems = []
    if value % _GIB:
        problems.append(f"{what} must be a whole number of GiB, got {format_value(value, Unit.BYTES)}")
    for bound, below in ((minimum, True), (maximum, False)):
        if bound is not None and (value < bound.value if below else value > bound.value):
            problems.append(
                f"{what} {format_value(value, Unit.BYTES)} is {'below' if below else 'above'} {bound.formatted()}, "
                f"the {bound.describe()}"
            )
    return problems


#: Per app, the capacity providers it defines (checked together against the per-account quota).
_PROVIDERS_PER_APP: weakref.WeakKeyDictionary[IConstruct, list[AgentCapacityProvider]] = weakref.WeakKeyDictionary()


def _register_in_app(provider: AgentCapacityProvider) -> None:
    """Count ``provider`` for its app; the first provider of an app checks the per-account quota for all."""
    root = provider.node.root
    providers = _PROVIDERS_PER_APP.get(root)
    if providers is None:
        providers = _PROVIDERS_PER_APP[root] = []
        report_after_build(provider, lambda: _account_findings(providers))
    providers.append(provider)


def _account_findings(providers: Sequence[AgentCapacityProvider]) -> list[Finding]:
    groups: dict[tuple[str | None, str | None], list[AgentCapacityProvider]] = {}
    for provider in providers:
        groups.setdefault((account_of(provider), provider.region), []).append(provider)
    findings = []
    for (_, region), members in groups.items():
        finding = capacity_providers_finding(len(members), members[0].catalog, region)
        if finding is not None:
            findings.append(finding)
    return findings


__all__ = ["AgentCapacityProvider", "InstanceLifecycle", "InstanceVolume"]
