"""AgentCoreAgent: one AgentCore Runtime, planned against the quota catalog, with secure defaults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib._cdk import nag, perms
from constructs_lib._cdk.kernel import add_to_principal_policy
from constructs_lib._cdk.names import runtime_name as physical_runtime_name
from constructs_lib._cdk.props import PropChecks, check_construct_id
from constructs_lib._cdk.reporting import report_unresolved, report_warning
from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.agent._execution_role import RuntimePermissions, new_execution_role, policy_free_view
from constructs_lib.agent._network import check_network_configuration
from constructs_lib.agent._plan_report import plan_record, report_plan
from constructs_lib.agent._runtime_access import RuntimeAccess
from constructs_lib.agent._runtime_options import (
    check_authorization_header,
    check_option_types,
    check_platform_version,
    checked_request_headers,
)
from constructs_lib.agent.adopted import AdoptedAgent
from constructs_lib.agent.artifact import AgentArtifact
from constructs_lib.agent.capacity_provider import AgentCapacityProvider, InstanceVolume
from constructs_lib.agent.code_package import PackageMeasurement
from constructs_lib.agent.compute import AgentCompute
from constructs_lib.agent.image_repository import AgentImageRepository
from constructs_lib.agent.interface import IAgentCoreAgent
from constructs_lib.agent.log_groups import DEFAULT_RUNTIME_LOG_RETENTION, RuntimeLogGroups
from constructs_lib.agent.rollout import AgentRollout, RolloutControl
from constructs_lib.agent.session_budget import SessionBudget, SessionGuard
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.service import DEFAULT_ENDPOINT
from constructs_lib.limits.validation import (
    endpoint_name_problems,
    environment_problems,
    model_problems,
    name_problems,
    tag_problems,
)
from constructs_lib.planning.agent_plan import ArtifactKind, CapacityPlan, LifecycleRequest
from constructs_lib.planning.compute import ComputeFacts, ComputeKind
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.planning.record import PLAN_METADATA_KEY, PlanRecord
from constructs_lib.planning.rollout import RolloutPlan


@jsii.implements(iam.IGrantable)
class AgentCoreAgent(RuntimeAccess, Construct):
    """Defines an AgentCore Runtime planned against the quota catalog, with endpoints and model access.

    The agent derives a :class:`CapacityPlan` from its workload profile, the quota edition and the
    stack's region, configures the runtime from it (lifecycle, endpoints) and reports every finding at
    synth: hard-limit errors fail synthesis, adjustable-quota findings are acknowledgeable warnings
    (``constructs_lib:<Code>``).

    The agent is an ``iam.IGrantable``: ``table.grant_read_data(agent)`` grants its execution role.

    Resources: the stable L2 ``Runtime`` (``runtime``, child ``Resource`` and ``node.default_child``), its execution
    role (``role``, child ``ExecutionRole``, unless one is given), one ``RuntimeEndpoint`` per named endpoint
    following the deployed version (``endpoints``, under ``Endpoints/<name>``), one log group per endpoint,
    ``DEFAULT`` included, under the name AgentCore writes the endpoint's logs to (``log_groups``, under
    ``LogGroups/<endpoint>``: see :class:`RuntimeLogGroups`), for :meth:`AgentArtifact.from_managed_repository` an
    :class:`AgentImageRepository`, and for ``AgentCompute.instances(...)`` without ``capacity_provider`` an
    :class:`AgentCapacityProvider` (``CapacityProvider``). With ``tracing_enabled`` or ``logging_configs`` the L2 adds
    CloudWatch Logs delivery resources (a delivery source, destination and delivery per log type and destination,
    under ``Resource``).

    On Instances compute the runtime's capacity provider, volume mounts and lifecycle are written to the L1
    ``CfnRuntime`` (the L2 has no capacity-provider props and caps lifecycle values at the microVM limit), and the
    runtime has no network configuration of its own: it uses the capacity provider's VPC.

    The execution role (``agent.role``) is trusted by AgentCore for this account's runtime of this name only, and
    allowed what the runtime does, each scoped to this runtime: its own log groups, X-Ray and metrics (the
    documented wildcards, metrics limited to the ``bedrock-agentcore`` namespace), workload access tokens for its own
    workload identity (``GetWorkloadAccessTokenForUserId`` only with ``workload_token_for_user_id``), and the pull of
    its own artifact (the image repository, or the one code object). The L2 is given a view of the role that ignores
    policy updates, so none of its broader statements reach the role: grant to the agent (``agent.role``,
    ``agent.add_to_role_policy``, ``grant_*(agent)``), not to ``agent.runtime.role``.

    Args:
        scope: parent construct.
        construct_id: construct id.
        artifact: where the agent's code comes from.
        runtime_name: AgentCore runtime name: a letter, then letters, digits and underscores (no hyphens), at most
            the service's name length (``limits.service.NAME_MAX_LENGTH``). Default: a unique name derived from the
            construct path, ending in ``_instances`` on Instances compute (a change of compute type then deploys a
            new runtime under a new name; with an explicit name, change it together with the compute type).
        workload: what the agent needs. Default: an empty profile (short synchronous requests).
        endpoints: names of endpoints to create besides ``DEFAULT``; each follows the deployed
            version. Default: none.
        models: Bedrock model ids, inference profile ids or ARNs the agent may invoke (InvokeModel,
            InvokeModelWithResponseStream, Converse, ConverseStream). Default: none.
        description: runtime description. Default: none.
        environment_variables: runtime environment, checked against the quotas ``environment_variables`` and
            ``environment_variable_value_length``. Default: none.
        network_configuration: public or VPC networking, ``RuntimeNetworkConfiguration.using_public_network()`` or
            ``using_vpc(scope, vpc=..., vpc_subnets=..., security_groups=...)`` (microVM compute only: Instances
            runtimes use their capacity provider's VPC). In a VPC the runtime's subnets must be private (a public one
            is an error naming it: AgentCore's network interfaces get private IP addresses only) and number at most
            the quota ``runtime_subnets``, its security groups at most ``runtime_security_groups``. The security
            group ``using_vpc`` creates when given none (``SecurityGroup`` under the scope given to ``using_vpc``:
            give each agent its own scope) is retained on delete, because AgentCore's network interfaces keep using
            it for up to 8 hours after the runtime is deleted; retain groups of your own the same way, and keep the
            VPC in a longer-lived stack than the agent, since those interfaces hold its subnets too.
            Default: public networking.
        protocol_configuration: the protocol the runtime serves, ``ProtocolType.HTTP``, ``MCP``, ``A2_A`` or ``AGUI``
            (AgentCore's ``ProtocolConfiguration``). Default: HTTP.
        authorizer_configuration: inbound auth, ``RuntimeAuthorizerConfiguration.using_iam()``, ``using_jwt(...)``,
            ``using_cognito(...)`` or ``using_o_auth(...)``. Default: IAM (SigV4).
        platform_version: how AgentCore starts the agent, ``PlatformVersion.V1`` or ``V2`` (from a snapshot of the
            initialized agent; only in the regions of ``limits.service.PLATFORM_VERSION_V2_REGIONS``, an error
            elsewhere). Default: not set, so a new runtime starts on V1 and an existing one keeps its platform
            version (set ``PlatformVersion.V1`` to move a V2 runtime back).
        request_header_configuration: request headers forwarded to the agent's code,
            ``RequestHeaderConfiguration(allowlisted_headers=[...])``: at most the quota
            ``request_headers_per_runtime``, each a letter then letters, digits, hyphens and underscores within the
            quota ``request_header_name_length``, listed once (case-insensitively), none of AgentCore's restricted
            headers (``limits.service.RESTRICTED_REQUEST_HEADERS``) and none starting with ``x-amz-`` or ``x-amzn-``
            except ``X-Amzn-Bedrock-AgentCore-Runtime-Custom-...``; ``Authorization`` only with a JWT
            ``authorizer_configuration``. Default: no headers are forwarded.
        logging_configs: CloudWatch Logs vended delivery of the runtime's ``APPLICATION_LOGS`` and ``USAGE_LOGS``
            to a log group, bucket or Firehose stream (``LoggingConfig(log_type=LogType..., destination=
            LoggingDestination...)``), besides the runtime's own log groups. Default: no delivery.
        manage_delivery_resource_policy: let the L2 create the per-stack delivery resource policies
            (``AWS::Logs::ResourcePolicy`` for log group destinations, ``AWS::XRay::ResourcePolicy`` for tracing),
            which count against the account's resource policy quotas of CloudWatch Logs and X-Ray. Default: True.
        execution_role: bring your own execution role; the agent adds the scoped statements above to it, and leaves
            its trust policy as it is. Default: a new role (``ExecutionRole``) trusted by this runtime only.
        idle_runtime_session_timeout: overrides the plan's idle timeout, within the lifecycle quotas
            (``lifecycle_timeout_minimum`` to ``asynchronous_job_duration`` on microVMs, to
            ``instances_session_lifetime`` and the capacity provider's instance ``max_lifetime`` on Instances).
            Default: the plan's.
        max_lifetime: overrides the plan's maximum session lifetime, within the same quotas and at least the
            longest task. Default: the plan's.
        tracing_enabled: deliver the runtime's traces to X-Ray (a CloudWatch Logs delivery with an X-Ray
            destination). Default: False (no trace delivery resources).
        tags: tags for the runtime and its log groups. Default: none.
        log_retention: how long the runtime's log groups keep log events. Default: one year
            (``DEFAULT_RUNTIME_LOG_RETENTION``).
        log_encryption_key: customer managed key of the runtime's log groups; its key policy gets the statement
            CloudWatch Logs needs for this runtime's groups. Default: CloudWatch Logs' own encryption.
        create_log_groups: create the runtime's log groups in the template. Turn it off for a runtime deployed
            before the library created them, once invoked: AgentCore has created its groups, and CloudFormation
            cannot create a group that exists (import those with ``cdk import`` instead to keep them managed).
            Default: True.
        compute: what the sessions run on, :meth:`AgentCompute.microvm` or :meth:`AgentCompute.instances`; fixed
            when the runtime is created. Default: microVMs.
        workload_token_for_user_id: also allow ``GetWorkloadAccessTokenForUserId`` on the runtime's own workload
            identity: a workload access token for any user id the caller names, with no proof of that user's identity
            (AgentCore recommends ``GetWorkloadAccessTokenForJWT`` where a JWT exists). Default: False (the runtime may
            get tokens for itself and for JWT-proven users only); :meth:`allow_workload_token_for_user_id` turns it on
            later.
        rollout: a blue/green rollout, :class:`AgentRollout`: the agent creates its stable endpoint (pinned) and its
            candidate endpoint (pinned, or following the deployed version), both counted against the quota
            ``endpoints_per_agent`` with the other endpoints (listing them in ``endpoints`` too is allowed), and a
            :class:`RolloutControl` (``rollout_control``, child ``Rollout``) through which the agent's facades assign
            each new session to an endpoint by weight. Default: no rollout.
        session_budget: a runaway-session guard (:class:`SessionBudget`): caps on the sessions a caller and the agent
            hold, enforced by the front doors, and duration and idle limits, enforced by a scheduled sweeper that calls
            ``StopRuntimeSession`` (``session_guard``, under ``SessionBudget``). Checked against the plan at synth.
            Default: no budget (no registry, no sweeper).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        artifact: AgentArtifact,
        runtime_name: str | None = None,
        workload: WorkloadProfile | None = None,
        endpoints: Sequence[str] = (),
        models: Sequence[str] = (),
        description: str | None = None,
        environment_variables: Mapping[str, str] | None = None,
        network_configuration: agentcore.RuntimeNetworkConfiguration | None = None,
        protocol_configuration: agentcore.ProtocolType | None = None,
        authorizer_configuration: agentcore.RuntimeAuthorizerConfiguration | None = None,
        platform_version: agentcore.PlatformVersion | None = None,
        request_header_configuration: agentcore.RequestHeaderConfiguration | None = None,
        logging_configs: Sequence[agentcore.LoggingConfig] | None = None,
        manage_delivery_resource_policy: bool | None = None,
        execution_role: iam.IRole | None = None,
        idle_runtime_session_timeout: cdk.Duration | None = None,
        max_lifetime: cdk.Duration | None = None,
        tracing_enabled: bool | None = None,
        tags: Mapping[str, str] | None = None,
        compute: AgentCompute | None = None,
        log_retention: logs.RetentionDays | None = None,
        log_encryption_key: kms.IKey | None = None,
        create_log_groups: bool = True,
        workload_token_for_user_id: bool = False,
        rollout: AgentRollout | None = None,
        session_budget: SessionBudget | None = None,
    ) -> None:
        check_construct_id(construct_id)
        super().__init__(scope, construct_id)
        if not isinstance(artifact, AgentArtifact):
            raise ConstructsLibValidationError(
                "InvalidArtifact",
                f"artifact must be an AgentArtifact (AgentArtifact.from_directory/from_code/...), "
                f"got {type(artifact).__name__}",
                path_of(self),
            )
        self.catalog: QuotaCatalog = catalog_for(self)
        self._check_props(
            workload=workload, endpoints=endpoints, models=models, description=description,
            environment_variables=environment_variables, execution_role=execution_role,
            idle_runtime_session_timeout=idle_runtime_session_timeout, max_lifetime=max_lifetime,
            tags=tags, workload_token_for_user_id=workload_token_for_user_id, session_budget=session_budget,
        )
        check_option_types(path_of(self), {
            "platform_version": platform_version, "protocol_configuration": protocol_configuration,
            "authorizer_configuration": authorizer_configuration,
            "request_header_configuration": request_header_configuration, "tracing_enabled": tracing_enabled,
            "manage_delivery_resource_policy": manage_delivery_resource_policy, "log_retention": log_retention,
            "log_encryption_key": log_encryption_key, "create_log_groups": create_log_groups,
        }, logging_configs)
        self._check_log_group_props(create_log_groups, log_retention, log_encryption_key)
        if rollout is not None and not isinstance(rollout, AgentRollout):
            raise ConstructsLibValidationError(
                "InvalidRollout", f"rollout must be an AgentRollout, got {type(rollout).__name__}", path_of(self)
            )
        #: The rollout asked for, if any.
        self.rollout: AgentRollout | None = rollout
        self.compute: AgentCompute = self._checked_compute(compute, network_configuration)
        self.region: str | None = region_of(self)
        check_network_configuration(self, network_configuration, self.catalog)
        check_platform_version(self, platform_version, self.region)
        headers = checked_request_headers(self, request_header_configuration, self.catalog)
        # An empty name is an error (below), never replaced by a generated one.
        self.runtime_name: str = physical_runtime_name(self, runtime_name, suffix=self._runtime_name_suffix())
        self._validate_names(runtime_name, endpoints)
        self._environment: dict[str, str] = dict(environment_variables or {})
        raise_all("InvalidEnvironment", environment_problems(self._environment, self.catalog), path_of(self))

        # Bound before the artifact: the image platform the artifact is built for follows the compute.
        bound_compute = self.compute._bind(self)
        self.compute_facts: ComputeFacts = bound_compute.facts
        self.capacity_provider: AgentCapacityProvider | None = bound_compute.capacity_provider
        self.capacity_provider_arn: str | None = bound_compute.capacity_provider_arn
        bound = artifact._bind(self)
        self.artifact_kind: ArtifactKind = artifact.kind
        self.image_repository: AgentImageRepository | None = bound.image_repository
        self.package_measurement: PackageMeasurement | None = bound.measurement

        lifecycle = LifecycleRequest(
            _concrete_seconds(self, "idle_runtime_session_timeout", idle_runtime_session_timeout),
            _concrete_seconds(self, "max_lifetime", max_lifetime),
        )
        self.plan: CapacityPlan = CapacityPlan.derive(
            workload,
            catalog=self.catalog,
            region=self.region,
            artifact=bound.facts,
            named_endpoints=len(self._all_endpoints(endpoints)),
            lifecycle=lifecycle,
            compute=self.compute_facts,
        )
        instances = self.compute_facts.kind is ComputeKind.INSTANCES

        self._execution_role: iam.IRole = execution_role or new_execution_role(self, self.runtime_name)
        self.runtime = agentcore.Runtime(
            self,
            "Resource",
            runtime_name=self.runtime_name,
            agent_runtime_artifact=bound.artifact,
            description=description,
            # The L2 writes broad statements into any role it is given: it gets a view that ignores them.
            execution_role=policy_free_view(self, self._execution_role),
            network_configuration=network_configuration,
            protocol_configuration=protocol_configuration,
            authorizer_configuration=authorizer_configuration,
            platform_version=platform_version,
            request_header_configuration=None if headers.token_list is not None else request_header_configuration,
            logging_configs=list(logging_configs) if logging_configs else None,
            manage_delivery_resource_policy=manage_delivery_resource_policy,
            # On Instances the lifecycle goes to the L1 below: the L2 refuses values beyond the microVM limit.
            lifecycle_configuration=None if instances else agentcore.LifecycleConfiguration(
                idle_runtime_session_timeout=idle_runtime_session_timeout
                or cdk.Duration.seconds(self.plan.idle_runtime_session_timeout_seconds),
                max_lifetime=max_lifetime or cdk.Duration.seconds(self.plan.max_lifetime_seconds),
            ),
            tracing_enabled=tracing_enabled,
            tags=dict(tags) if tags else None,
        )
        self.node.default_child = self.runtime
        # The version token the L2 made: read once, not per endpoint.
        self._runtime_version: str = str(self.runtime.agent_runtime_version)
        self._cfn_runtime: agentcore.CfnRuntime = self.runtime.node.default_child  # type: ignore[assignment]
        check_authorization_header(self, headers.names, self._cfn_runtime)
        if headers.token_list is not None:
            self._cfn_runtime.request_header_configuration = agentcore.CfnRuntime.RequestHeaderConfigurationProperty(
                request_header_allowlist=headers.token_list
            )
        # The runtime is created once its role can pull its artifact (the role and its policies, not the view).
        self._cfn_runtime.node.add_dependency(self._execution_role)
        self._permissions = RuntimePermissions(
            self,
            self._execution_role,
            runtime_name=self.runtime_name,
            endpoints=[DEFAULT_ENDPOINT],
            artifact=bound.pull(self.runtime),
            workload_token_for_user_id=workload_token_for_user_id,
            # A role of the user's may be shared by several agents: their statement ids must differ.
            sid_suffix="" if execution_role is None else _sid_part(self.runtime_name, self.node.addr),
        )
        self._render_environment()
        if bound_compute.capacity_provider_arn is not None:
            self._render_instances_compute(
                bound_compute.capacity_provider_arn, bound_compute.volumes, idle_runtime_session_timeout, max_lifetime
            )

        self._log_groups: RuntimeLogGroups | None = None
        if create_log_groups:
            self._log_groups = RuntimeLogGroups(
                self,
                "LogGroups",
                runtime_id=self.agent_runtime_id,
                runtime_name=self.runtime_name,
                retention=log_retention or DEFAULT_RUNTIME_LOG_RETENTION,
                encryption_key=log_encryption_key,
                tags=tags,
            )
            self._log_groups.add(DEFAULT_ENDPOINT)
        self.session_guard: SessionGuard | None = (
            None if session_budget is None else SessionGuard(self, "SessionBudget", budget=session_budget)
        )
        self.endpoints: dict[str, agentcore.RuntimeEndpoint] = {}
        # Endpoints are grouped under one child so their ids are their names (ids are API: no concatenation).
        self._endpoint_group = Construct(self, "Endpoints")
        self._planned = False
        pins = rollout.pins if rollout is not None else {}
        for name in self._all_endpoints(endpoints):
            self.add_endpoint(name, version=pins.get(name))
        self.rollout_control: RolloutControl | None = (
            None if rollout is None else RolloutControl(self, "Rollout", rollout=rollout)
        )
        self._models: list[str] = []
        self._model_policy: iam.Policy | None = None
        for model in models:
            self.add_model(model)

        report_plan(self, self.plan, self.catalog, len(self.endpoints))
        self._record_plan()
        self._planned = True

    @staticmethod
    def from_runtime(
        scope: Construct,
        construct_id: str,
        *,
        runtime: agentcore.IBedrockAgentRuntime,
        workload: WorkloadProfile | None = None,
        endpoints: Sequence[str | agentcore.IRuntimeEndpoint] = (),
        artifact_kind: ArtifactKind | None = None,
        lifecycle: agentcore.LifecycleConfiguration | None = None,
        role: iam.IRole | None = None,
    ) -> IAgentCoreAgent:
        """Adopt an existing runtime: an agent every construct of the library accepts, planned on ``workload``.

        ``runtime`` is an aws-cdk-lib ``aws_bedrockagentcore.Runtime`` of this app or an imported one
        (``Runtime.from_agent_runtime_attributes``). The agent (an :class:`~constructs_lib.agent.adopted.AdoptedAgent`
        under ``scope/construct_id``) creates no resource of its own; its plan's findings are reported on it, grants to
        it go to the runtime's execution role, invoke grants and metrics through the runtime. An imported runtime's
        environment cannot be changed from this app, and its plan record reaches the in-process report only (see
        :class:`~constructs_lib.agent.adopted.AdoptedAgent` for the details).

        Args:
            scope: parent construct.
            construct_id: construct id.
            runtime: the runtime to adopt, in the region of the scope's stack.
            workload: what the agent needs (required: the plan checks it against the quotas and the runtime's
                lifecycle).
            endpoints: the runtime's named endpoints besides ``DEFAULT``, as names or endpoint constructs. Default:
                none.
            artifact_kind: ``ArtifactKind.CONTAINER`` or ``ArtifactKind.DIRECT_CODE``. Default: unknown, planned
                against the more restrictive session-creation quota (info note ``ArtifactKindUnknown`` where the
                kinds' quotas differ).
            lifecycle: an imported runtime's lifecycle. Default: AgentCore's defaults (info note
                ``RuntimeLifecycleAssumed``); a runtime of this app is read.
            role: the execution role of an imported runtime, instead of its ``role``. Default: the runtime's role.

        Raises:
            ConstructsLibValidationError: ``InvalidProps``, ``MissingWorkload``, ``InvalidEndpointName``,
                ``ForeignEndpoint``, ``RuntimeInOtherRegion``, ``RuntimeAlreadyPlanned``.
        """
        return AdoptedAgent(
            scope, construct_id, runtime=runtime, workload=workload, endpoints=endpoints,
            artifact_kind=artifact_kind, lifecycle=lifecycle, role=role,
        )

    # -- construction helpers ------------------------------------------------------------------------

    def _all_endpoints(self, endpoints: Sequence[str]) -> list[str]:
        """The named endpoints: those asked for, then the rollout's that are not among them."""
        extra = [] if self.rollout is None else [n for n in self.rollout.endpoints if n not in endpoints]
        return [*endpoints, *extra]

    def _check_props(self, **props: Any) -> None:
        """Every prop's type, and the rules the L2 would enforce from inside jsii, before anything reaches it."""
        checks = PropChecks(path_of(self))
        checks.instance("workload", props["workload"], WorkloadProfile, "a WorkloadProfile")
        for name in ("endpoints", "models"):
            # A bare string is a sequence too: "prod" would become four endpoints p, r, o, d.
            checks.sequence_of(name, props[name], str, "strings", optional=False)
        if checks.string("description", props["description"]):
            limit = self.catalog.resolve(QuotaName.RUNTIME_DESCRIPTION_LENGTH)
            description = props["description"]
            if description is not None and not is_unresolved(description):
                if not description:
                    checks.fail("description", description, "a non-empty string (or None)", code="InvalidDescription")
                elif len(description) > limit.value:
                    checks.add("InvalidDescription", [
                        f"description is {len(description):,} characters, more than {limit.formatted()}, the "
                        f"{limit.describe()}; shorten it (it is never truncated)"
                    ])
        checks.string_map("environment_variables", props["environment_variables"])
        if checks.string_map("tags", props["tags"]) and props["tags"]:
            checks.add("InvalidTags", tag_problems(props["tags"], self.catalog))
        checks.resource("execution_role", props["execution_role"], "role_arn", "an iam.IRole (not its ARN)")
        checks.duration("idle_runtime_session_timeout", props["idle_runtime_session_timeout"])
        checks.duration("max_lifetime", props["max_lifetime"])
        checks.boolean("workload_token_for_user_id", props["workload_token_for_user_id"])
        checks.instance("session_budget", props["session_budget"], SessionBudget, "a SessionBudget")
        checks.raise_if_any()

    def _check_log_group_props(
        self, create_log_groups: bool, retention: logs.RetentionDays | None, key: kms.IKey | None
    ) -> None:
        options = (("log_retention", retention), ("log_encryption_key", key))
        given = [name for name, value in options if value is not None]
        if not create_log_groups and given:
            raise ConstructsLibValidationError(
                "ConflictingLogProps",
                f"provide create_log_groups=False or {' and '.join(given)}, not both: without its log groups the "
                "agent has nothing to apply them to",
                path_of(self),
            )

    def _checked_compute(
        self, compute: Any, network_configuration: agentcore.RuntimeNetworkConfiguration | None
    ) -> AgentCompute:
        if compute is None:
            return AgentCompute.microvm()
        if not isinstance(compute, AgentCompute):
            raise ConstructsLibValidationError(
                "InvalidCompute",
                f"compute must be an AgentCompute (AgentCompute.microvm() or AgentCompute.instances(...)), "
                f"got {type(compute).__name__}",
                path_of(self),
            )
        if compute.kind is ComputeKind.INSTANCES and network_configuration is not None:
            raise ConstructsLibValidationError(
                "ConflictingComputeProps",
                "provide network_configuration or compute=AgentCompute.instances(...), not both: an Instances runtime "
                "uses its capacity provider's VPC, subnets and security groups (CreateAgentRuntime refuses both)",
                path_of(self),
            )
        return compute

    def _runtime_name_suffix(self) -> str:
        # The compute type cannot change in place: an Instances agent gets a name of its own, so that switching an
        # agent between compute types replaces its runtime instead of failing the update. microVM names keep the
        # form they always had.
        return "" if self.compute.kind is ComputeKind.MICROVM else f"_{ComputeKind.INSTANCES.value}"

    def _render_instances_compute(
        self,
        capacity_provider_arn: str,
        volumes: Sequence[InstanceVolume],
        idle: cdk.Duration | None,
        max_lifetime: cdk.Duration | None,
    ) -> None:
        """Write the capacity provider, its volume mounts and the lifecycle to the L1 runtime.

        L1 attributes rather than ``add_property_override``: the AgentCoreChecks rules read a runtime's attributes,
        and overrides are invisible to them.
        """
        cfn = self._cfn_runtime
        cfn.capacity_provider_configuration = agentcore.CfnRuntime.CapacityProviderConfigurationProperty(
            capacity_provider_arn=capacity_provider_arn
        )
        cfn.network_configuration = None
        cfn.lifecycle_configuration = agentcore.CfnRuntime.LifecycleConfigurationProperty(
            idle_runtime_session_timeout=_seconds(idle, self.plan.idle_runtime_session_timeout_seconds),
            max_lifetime=_seconds(max_lifetime, self.plan.max_lifetime_seconds),
        )
        if volumes:
            cfn.filesystem_configurations = [
                agentcore.CfnRuntime.FilesystemConfigurationProperty(
                    capacity_provider_volume=agentcore.CfnRuntime.CapacityProviderVolumeConfigurationProperty(
                        volume_name=volume.name, mount_path=volume.effective_mount_path
                    )
                )
                for volume in volumes
            ]

    def _validate_names(self, runtime_name: str | None, endpoints: Sequence[str]) -> None:
        if runtime_name is not None and not isinstance(runtime_name, str):
            raise ConstructsLibValidationError(
                "InvalidRuntimeName", f"runtime_name must be a string, got {type(runtime_name).__name__}",
                path_of(self),
            )
        if runtime_name is not None and is_unresolved(runtime_name):
            report_unresolved(self, "runtime_name", "the runtime name rule")
        elif runtime_name is not None:
            raise_all("InvalidRuntimeName", name_problems(runtime_name, "runtime_name"), path_of(self))
        raise_all("InvalidEndpointName", endpoint_name_problems(endpoints), path_of(self))

    @property
    def plan_record(self) -> PlanRecord:
        """The plan as recorded in the template (``Metadata.constructs_lib:plan`` of the runtime) and reported."""
        return plan_record(self, rollout=self.rollout_plan)

    @property
    def rollout_plan(self) -> RolloutPlan | None:
        """What the rollout decided (endpoints, pins, weight, rollback thresholds), if the agent has one."""
        control = getattr(self, "rollout_control", None)
        return None if control is None else control.plan

    def _record_plan(self) -> None:
        # The plan travels with the template, so a synthesized app can be reported on without its code.
        self._cfn_runtime.add_metadata(PLAN_METADATA_KEY, self.plan_record.to_dict())

    def _render_environment(self) -> None:
        # Rendered when the template is: variables added later (by facades, stores, tools) need no second write.
        self._cfn_runtime.environment_variables = cdk.Lazy.uncached_any(_EnvironmentProducer(self))

    # -- public API ----------------------------------------------------------------------------------

    @property
    def role(self) -> iam.IRole:
        """The runtime's execution role (``agent.runtime.role`` is the view the L2 holds, which ignores grants)."""
        return self._execution_role

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The execution role, for grants to the agent (``table.grant_read_data(agent)``)."""
        return self._execution_role

    @property
    def agent_runtime_version(self) -> str:
        """The version the deployment created (``GetAtt AgentRuntimeVersion``)."""
        # Always set on a runtime this construct creates (only imported runtimes lack it).
        return self._runtime_version

    @property
    def environment(self) -> Mapping[str, str]:
        """The runtime environment variables as currently configured."""
        return dict(self._environment)

    @property
    def log_groups(self) -> Mapping[str, logs.ILogGroup]:
        """The runtime's log groups by endpoint (``DEFAULT``, each named one); none with ``create_log_groups=False``."""
        return dict(self._log_groups.log_groups) if self._log_groups is not None else {}

    @property
    def models(self) -> list[str]:
        """Model ids and ARNs the agent may invoke."""
        return list(self._models)

    @property
    def default_qualifier(self) -> str:
        """The endpoint clients should invoke: the rollout's stable endpoint, else the first named endpoint, or
        ``DEFAULT``."""
        if self.rollout is not None:
            return self.rollout.stable
        return next(iter(self.endpoints), DEFAULT_ENDPOINT)

    def add_endpoint(
        self, name: str, *, version: str | None = None, description: str | None = None
    ) -> agentcore.RuntimeEndpoint:
        """Add a named endpoint, and its log group unless the agent was made with ``create_log_groups=False``.

        Args:
            name: endpoint name, by the same rule as runtime names (``limits.service.NAME_PATTERN``).
            version: pin the endpoint to a runtime version. Default: follow the deployed version (a
                standalone L2 endpoint would stay on version "1" and serve a stale container).
            description: endpoint description.
        """
        problems = name_problems(name, "endpoint name")
        if name == DEFAULT_ENDPOINT or name in self.endpoints:
            problems.append(f"endpoint {name!r} already exists on this agent")
        raise_all("InvalidEndpointName", problems, path_of(self))
        endpoint = agentcore.RuntimeEndpoint(
            self._endpoint_group,
            name,
            agent_runtime_id=self.agent_runtime_id,
            endpoint_name=name,
            agent_runtime_version=version or self._runtime_version,
            description=description,
        )
        endpoint.node.add_dependency(self.runtime)
        if self._log_groups is not None:
            # The endpoint's log group exists before the endpoint does, so the service never creates it first.
            endpoint.node.add_dependency(self._log_groups.add(name))
        self.endpoints[name] = endpoint
        self._permissions.add_endpoint(name)
        if self.session_guard is not None:
            self.session_guard.add_endpoint(name)
        if self._planned:
            self._record_plan()
        quota = self.catalog.resolve(QuotaName.ENDPOINTS_PER_AGENT, self.region)
        count = len(self.endpoints) + 1  # DEFAULT counts against the quota too
        # Endpoints named at construction are counted by the plan; later additions are checked here.
        if self._planned and count == int(quota.value) + 1:
            self._warn(
                "TooManyEndpoints",
                f"the agent has {count} endpoints including DEFAULT, more than {quota.formatted()}, the "
                f"{quota.describe()}; {quota.increase_advice()}",
            )
        return endpoint

    def _warn(self, code: str, message: str) -> None:
        report_warning(self, code, message)

    def add_model(self, model: str) -> None:
        """Allow the agent to invoke a Bedrock model (id, inference profile id or ARN)."""
        if not isinstance(model, str) or not model.strip():
            raise ConstructsLibValidationError(
                "InvalidModelId", f"models must be non-empty model ids or ARNs, got {model!r}", path_of(self)
            )
        raise_all("InvalidModelId", model_problems(model), path_of(self))
        if model in self._models:
            return
        self._models.append(model)
        stack = cdk.Stack.of(self)
        for index, grant in enumerate(perms.model_grants(stack, model)):
            statement = iam.PolicyStatement(
                sid=self._permissions.sid(f"InvokeModel{len(self._models)}" + ("ThroughProfile" if index else "")),
                actions=list(perms.MODEL_INVOKE_ACTIONS),
                resources=list(grant.resources),
                conditions=dict(grant.conditions) if grant.conditions else None,
            )
            add_to_principal_policy(self._execution_role, statement)
            nag.acknowledge(
                self._execution_role, "AwsSolutions-IAM5", nag.wildcard_resources(stack, grant.resources),
                f"cross-region inference profile {model} routes requests to its foundation model in any region of "
                "the profile's geography; the grant names the one model, only for requests made through that profile "
                "(bedrock:InferenceProfileArn)",
            )

    def add_environment(self, key: str, value: str) -> None:
        """Add a runtime environment variable (checked against the environment quotas)."""
        checks = PropChecks(path_of(self))
        checks.string_map("environment_variables", {key: value})
        checks.raise_if_any()
        candidate = {**self._environment, key: value}
        raise_all("InvalidEnvironment", environment_problems(candidate, self.catalog), path_of(self))
        self._environment = candidate

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        """Add a statement to the execution role's policy."""
        self._execution_role.add_to_principal_policy(statement)

    def allow_workload_token_for_user_id(self) -> None:
        """Allow ``GetWorkloadAccessTokenForUserId`` on the runtime's own workload identity (see the class docs)."""
        self._permissions.allow_workload_token_for_user_id()


@jsii.implements(cdk.IAnyProducer)
class _EnvironmentProducer:
    """The runtime's environment variables as they are when the template is rendered (omitted when there are none)."""

    def __init__(self, agent: AgentCoreAgent) -> None:
        self._agent = agent

    def produce(self, context: cdk.IResolveContext) -> Mapping[str, str] | None:
        """The variables, or ``None`` for none."""
        return dict(self._agent._environment) or None  # noqa: SLF001 - the agent's own state


def _sid_part(runtime_name: str, address: str) -> str:
    """A statement id suffix for one agent: its runtime name without underscores, or its construct address."""
    return address if is_unresolved(runtime_name) else runtime_name.replace("_", "")


def _seconds(value: cdk.Duration | None, planned: int) -> float:
    """A lifecycle value for the L1: the user's duration (a token stays a token), else the plan's."""
    return planned if value is None else value.to_seconds()


def _concrete_seconds(scope: Construct, name: str, value: cdk.Duration | None) -> float | None:
    """Seconds of a user duration, or ``None`` when absent or a token (then the check is skipped)."""
    if value is None:
        return None
    if value.is_unresolved():
        report_unresolved(scope, name, "the lifecycle limits")
        return None
    return float(value.to_milliseconds()) / 1000.0
