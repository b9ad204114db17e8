"""A runtime's network configuration: the checks the L2 leaves to deployment, and its security group's retention.

- VPC mode needs private subnets: AgentCore gives a runtime's network interfaces private IP addresses only, so a
  public subnet gives it no internet access (no route to a NAT gateway).
- Subnets and security groups are counted against the schema's limits (quotas ``runtime_subnets``,
  ``runtime_security_groups``).
- The security group ``RuntimeNetworkConfiguration.using_vpc`` creates when it is given none (child
  ``SecurityGroup`` of the scope passed to ``using_vpc``) is retained on delete: AgentCore's network interfaces in
  the VPC are shared by runtimes with the same subnets and security groups and stay for up to 8 hours after a runtime
  is deleted, so deleting the group with the stack would fail (``DependencyViolation``) and leave the stack in
  ``DELETE_FAILED``.

See: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/agentcore-vpc.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from constructs_lib._cdk.reporting import report_info
from constructs_lib._cdk.scope import path_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName

#: The network mode of a runtime in a VPC.
VPC_MODE = "VPC"
#: The id of the security group ``RuntimeNetworkConfiguration.using_vpc`` creates in its scope when given none.
_L2_SECURITY_GROUP_ID = "SecurityGroup"
#: The CDK error raised when a subnet imported without its Availability Zone is asked for it.
_SUBNET_WITHOUT_ZONE = "CannotReferenceSubnetSAvailability"


def check_network_configuration(scope: Construct, network_configuration: Any, catalog: QuotaCatalog) -> None:
    """Check ``network_configuration`` (public or VPC) and retain the security group created for it.

    Raises:
        ConstructsLibValidationError: ``InvalidNetworkConfiguration`` for another type or too many subnets or security
            groups, ``PublicSubnetsNotAllowed`` when a VPC configuration selects public subnets (naming them).
    """
    if network_configuration is None:
        return
    path = path_of(scope)
    if not isinstance(network_configuration, agentcore.RuntimeNetworkConfiguration):
        raise ConstructsLibValidationError(
            "InvalidNetworkConfiguration",
            "network_configuration must be a RuntimeNetworkConfiguration (RuntimeNetworkConfiguration."
            f"using_public_network() or using_vpc(scope, vpc=...)), got {type(network_configuration).__name__}",
            path,
        )
    if network_configuration.network_mode != VPC_MODE:
        return
    problems: list[str] = []
    public: list[str] = []
    subnets = _selected_subnets(scope, network_configuration)
    if subnets is not None:
        public = [_subnet_name(subnet) for subnet in subnets if _is_public(subnet)]
        if public:
            problems.append(
                f"network_configuration selects public subnets ({', '.join(public)}); AgentCore gives a VPC runtime's "
                "network interfaces private IP addresses only, so a public subnet gives it no internet access: select "
                "private subnets with a route to a NAT gateway (vpc_subnets=SubnetSelection(subnet_type="
                "SubnetType.PRIVATE_WITH_EGRESS)), or isolated subnets with VPC endpoints"
            )
        problems += _count_problems(catalog, QuotaName.RUNTIME_SUBNETS, "subnets", len(subnets))
    groups = list(network_configuration.connections.security_groups) if network_configuration.connections else []
    problems += _count_problems(catalog, QuotaName.RUNTIME_SECURITY_GROUPS, "security groups", len(groups))
    raise_all("PublicSubnetsNotAllowed" if public else "InvalidNetworkConfiguration", problems, path)
    _retain_created_security_group(network_configuration, groups)


def _selected_subnets(
    scope: Construct, configuration: agentcore.RuntimeNetworkConfiguration
) -> list[ec2.ISubnet] | None:
    """The subnets a VPC configuration selected, or ``None`` when they cannot be read at synth (then said so)."""
    try:
        selection = configuration.vpc_subnets
    except RuntimeError as error:
        # Reading the selection from Python reads every subnet's Availability Zone, which a subnet imported by id alone
        # does not have (the L2 itself only needs the ids); anything else is not ours to handle.
        if _SUBNET_WITHOUT_ZONE not in str(error):
            raise
        report_info(
            scope,
            "VpcSubnetsNotChecked",
            "network_configuration selects a subnet imported without its Availability Zone, so its subnets are not "
            "checked at synth against the private-subnet rule and the runtime_subnets quota; import subnets with "
            "Subnet.from_subnet_attributes(..., availability_zone=...) to have them checked",
        )
        return None
    return list(selection.subnets or []) if selection is not None else []


def _is_public(subnet: ec2.ISubnet) -> bool:
    """Whether ``subnet`` is one of its VPC's public subnets (a subnet whose VPC is unknown is not called public)."""
    if isinstance(subnet, ec2.PublicSubnet):
        return True
    vpc = subnet.node.scope
    public_subnets: Sequence[ec2.ISubnet] | None = getattr(vpc, "public_subnets", None)
    return any(candidate.node.path == path_of(subnet) for candidate in public_subnets or ())


def _subnet_name(subnet: ec2.ISubnet) -> str:
    """The subnet id when it is known at synth, else the subnet's construct path."""
    return path_of(subnet) if is_unresolved(subnet.subnet_id) else subnet.subnet_id


def _count_problems(catalog: QuotaCatalog, name: QuotaName, what: str, count: int) -> list[str]:
    quota = catalog.resolve(name)
    if count == 0:
        return [f"network_configuration selects no {what}; a VPC runtime needs at least one"]
    if count > quota.value:
        return [
            f"network_configuration selects {count} {what}, more than {quota.formatted()}, the {quota.describe()}; "
            f"select fewer {what}"
        ]
    return []


def _retain_created_security_group(
    configuration: agentcore.RuntimeNetworkConfiguration, groups: Sequence[ec2.ISecurityGroup]
) -> None:
    owner = configuration.scope
    if owner is None:
        return
    for group in groups:
        created = group.node.scope is not None and group.node.scope.node.path == path_of(owner)
        if isinstance(group, ec2.SecurityGroup) and created and group.node.id == _L2_SECURITY_GROUP_ID:
            # AgentCore's network interfaces keep the group in use for up to 8 hours after the runtime is deleted.
            group.apply_removal_policy(cdk.RemovalPolicy.RETAIN)


__all__ = ["VPC_MODE", "check_network_configuration"]
