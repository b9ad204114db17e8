"""AdoptedAgent: an AgentCore runtime that exists already, planned and usable by every construct of the library.

Made by :meth:`AgentCoreAgent.from_runtime <constructs_lib.agent.agent.AgentCoreAgent.from_runtime>` from an
aws-cdk-lib ``aws_bedrockagentcore.Runtime`` of this app or an imported one (``Runtime.from_agent_runtime_attributes``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_lib._cdk import perms
from constructs_lib._cdk.props import PropChecks, check_construct_id
from constructs_lib._cdk.reporting import report_unresolved, report_warning
from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.agent._adopted_environment import AdoptedEnvironment
from constructs_lib.agent._execution_role import WORKLOAD_IDENTITY_DIRECTORY
from constructs_lib.agent._plan_report import plan_record, report_plan
from constructs_lib.agent._runtime_access import RuntimeAccess
from constructs_lib.agent.code_package import PackageMeasurement
from constructs_lib.agent.rollout import RolloutControl
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.limits.validation import endpoint_name_problems, environment_problems
from constructs_lib.planning.agent_plan import ArtifactFacts, ArtifactKind, CapacityPlan, LifecycleRequest
from constructs_lib.planning.compute import ComputeFacts
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.planning.record import PLAN_METADATA_KEY, PlanRecord

if TYPE_CHECKING:
    from constructs_lib.agent.session_budget import SessionGuard

#: What an ``aws_bedrockagentcore.IBedrockAgentRuntime`` has that the adopted agent reads.
_RUNTIME_MEMBERS = ("agent_runtime_arn", "agent_runtime_id", "agent_runtime_name", "metric", "grant_invoke")
#: The lifecycle settings, as findings name them.
_LIFECYCLE_PROPS = ("idle_runtime_session_timeout", "max_lifetime")


@jsii.implements(iam.IGrantable)
class AdoptedAgent(RuntimeAccess, Construct):
    """Defines an agent around an existing AgentCore runtime: planned against the quota catalog, accepted by every
    construct of the library (facades, jobs, staging, session store, tools, pipeline steps, monitoring, archive,
    platform).

    Make it with :meth:`AgentCoreAgent.from_runtime <constructs_lib.agent.agent.AgentCoreAgent.from_runtime>`. It
    creates no resource of its own (only the policy of :meth:`allow_workload_token_for_user_id`, when a facade asks
    for it): the runtime stays as it was defined. The plan is derived from ``workload``, the quota catalog, the region
    of the scope's stack and the lifecycle the runtime runs with (its own where it sets one, AgentCore's defaults
    otherwise); its findings are reported on this construct like an ``AgentCoreAgent``'s (hard limits fail
    synthesis). Invoke grants and metrics go through the runtime (``runtime.grant_invoke``, ``runtime.metric``),
    other grants to the agent go to the runtime's execution role (``runtime.role``).

    Where the runtime is defined matters:

    - an L2 ``Runtime`` of this app: :meth:`add_environment` writes to its L1's ``EnvironmentVariables`` (so
      ``session_store.bind(agent)``, ``staging.bind(agent)``, ``jobs.bind(agent)`` and tools work), the plan checks
      the runtime's own lifecycle, and the plan record is written to the L1's template metadata
      (``constructs_lib:plan``), so the capacity report lists the agent from ``cdk.out`` too;
    - an imported runtime (``Runtime.from_agent_runtime_attributes``): grants go to the imported role (this app adds
      policies to it), its environment cannot be changed from this app (a variable a construct adds becomes a stack
      output and the warning ``ImportedRuntimeEnvironment``: set it where the runtime is defined), its lifecycle is
      what ``lifecycle`` says (default: AgentCore's defaults, with the info note ``RuntimeLifecycleAssumed``), and
      its plan record is kept in this process only: the report of an app built in process (``--app
      module:function``) lists it, the report read from ``cdk.out`` cannot (the template holds no resource of the
      runtime to carry the record).

    Args:
        scope: parent construct.
        construct_id: construct id.
        runtime: the runtime, ``aws_bedrockagentcore.Runtime`` or an ``IBedrockAgentRuntime`` from
            ``Runtime.from_agent_runtime_attributes``; in the region of the scope's stack.
        workload: what the agent needs; required: an adopted runtime was not planned by the library, and the
            workload is what its plan checks.
        endpoints: the runtime's named endpoints besides ``DEFAULT``, as names or as endpoint constructs
            (``runtime.add_endpoint(...)``, ``RuntimeEndpoint``, ``RuntimeEndpoint.from_runtime_endpoint_attributes``).
            Default: none (only ``DEFAULT``).
        artifact_kind: how the runtime's code reaches AgentCore, ``ArtifactKind.CONTAINER`` or
            ``ArtifactKind.DIRECT_CODE``. Default: ``ArtifactKind.UNKNOWN``: new sessions are planned against the more
            restrictive of the two kinds' session-creation quotas, with the info note ``ArtifactKindUnknown`` where
            they differ.
        lifecycle: the lifecycle an imported runtime is deployed with (``LifecycleConfiguration``). Default:
            AgentCore's defaults, with the info note ``RuntimeLifecycleAssumed``; a ``Runtime`` of this app is read.
        role: the execution role of an imported runtime whose ``role`` this app should not use, for example
            ``iam.Role.from_role_arn(..., mutable=False)`` when the role already allows what the library's constructs
            grant. Default: the runtime's ``role`` (a ``Runtime`` of this app always uses its own).

    Raises:
        ConstructsLibValidationError: ``InvalidProps`` (a prop of the wrong type, a role or a lifecycle for a runtime
            of this app), ``MissingWorkload``, ``InvalidEndpointName``, ``ForeignEndpoint`` (an endpoint of another
            runtime), ``RuntimeInOtherRegion``, ``RuntimeAlreadyPlanned`` (a runtime an ``AgentCoreAgent`` defines,
            or one adopted already).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: agentcore.IBedrockAgentRuntime,
        workload: WorkloadProfile | None = None,
        endpoints: Sequence[str | agentcore.IRuntimeEndpoint] = (),
        artifact_kind: ArtifactKind | None = None,
        lifecycle: agentcore.LifecycleConfiguration | None = None,
        role: iam.IRole | None = None,
    ) -> None:
        check_construct_id(construct_id)
        super().__init__(scope, construct_id)
        _check_props(path_of(self), runtime, workload, endpoints, artifact_kind, lifecycle, role)
        self.runtime: agentcore.IBedrockAgentRuntime = runtime
        self._cfn_runtime: agentcore.CfnRuntime | None = (
            runtime.node.default_child if isinstance(runtime, agentcore.Runtime) else None  # type: ignore[assignment]
        )
        self._check_imported_only(role, lifecycle)
        self._role: iam.IRole | None = role or _runtime_role(runtime)
        self.catalog: QuotaCatalog = catalog_for(self)
        self.region: str | None = region_of(self)
        self._check_region()
        self._check_not_planned()
        self.runtime_name: str = runtime.agent_runtime_name
        self.endpoints: dict[str, agentcore.IRuntimeEndpoint | None] = self._checked_endpoints(endpoints)
        self.artifact_kind: ArtifactKind = artifact_kind or ArtifactKind.UNKNOWN
        self.compute_facts: ComputeFacts = ComputeFacts()
        self.package_measurement: PackageMeasurement | None = None
        #: An adopted runtime has no session budget (its front doors register no sessions).
        self.session_guard: SessionGuard | None = None
        self.plan: CapacityPlan = CapacityPlan.derive(
            workload,
            catalog=self.catalog,
            region=self.region,
            artifact=ArtifactFacts(self.artifact_kind),
            named_endpoints=len(self.endpoints),
            lifecycle=self._runtime_lifecycle(lifecycle),
            compute=self.compute_facts,
        )
        self._environment = (
            AdoptedEnvironment(self._cfn_runtime, self.catalog, path_of(self)) if self._cfn_runtime else None
        )
        self._workload_token_policy: iam.Policy | None = None
        self._required_environment: dict[str, str] = {}
        self._outputs: dict[str, cdk.CfnOutput] = {}
        self._outputs_holder: Construct | None = None
        report_plan(self, self.plan, self.catalog, len(self.endpoints))
        if self._cfn_runtime is not None:
            # The plan travels with the runtime's template, so the report from cdk.out lists the adopted agent too.
            self._cfn_runtime.add_metadata(PLAN_METADATA_KEY, self.plan_record.to_dict())

    # -- construction helpers ------------------------------------------------------------------------

    def _check_region(self) -> None:
        arn = self.runtime.agent_runtime_arn
        parts = arn.split(":") if not is_unresolved(arn) else []
        arn_region = parts[3] if len(parts) > 3 else None
        if arn_region and self.region is not None and arn_region != self.region:
            raise ConstructsLibValidationError(
                "RuntimeInOtherRegion",
                f"runtime {arn} is in {arn_region}, but the stack is in {self.region}: the proxies, alarms and "
                "pipelines that use the agent call AgentCore and read its metrics in their own region; adopt the "
                f"runtime in a stack in {arn_region}",
                path_of(self),
            )

    def _check_not_planned(self) -> None:
        if self._cfn_runtime is not None and self._cfn_runtime.get_metadata(PLAN_METADATA_KEY) is not None:
            raise ConstructsLibValidationError(
                "RuntimeAlreadyPlanned",
                f"runtime {path_of(self.runtime)} already has a plan: it belongs to an AgentCoreAgent (use that agent "
                "itself) or was adopted already (use the agent from_runtime returned then)",
                path_of(self),
            )

    def _checked_endpoints(
        self, endpoints: Sequence[str | agentcore.IRuntimeEndpoint]
    ) -> dict[str, agentcore.IRuntimeEndpoint | None]:
        named: dict[str, agentcore.IRuntimeEndpoint | None] = {}
        names: list[str] = []
        foreign: list[str] = []
        for item in endpoints:
            endpoint = None if isinstance(item, str) else item
            name = item if isinstance(item, str) else item.endpoint_name
            if is_unresolved(name):
                report_unresolved(self, "endpoints", "the endpoint name rule")
            else:
                names.append(name)
            if endpoint is not None and self._belongs(endpoint) is False:
                foreign.append(name)
            named[name] = endpoint
        raise_all("InvalidEndpointName", endpoint_name_problems(names), path_of(self))
        if foreign:
            raise ConstructsLibValidationError(
                "ForeignEndpoint",
                f"endpoints {foreign!r} belong to another runtime than {self.runtime.agent_runtime_arn}; give the "
                "endpoints of the adopted runtime",
                path_of(self),
            )
        return named

    def _belongs(self, endpoint: agentcore.IRuntimeEndpoint) -> bool | None:
        """Whether ``endpoint`` is an endpoint of the runtime: ``None`` when tokens hide it."""
        # A RuntimeEndpoint of this app names its runtime by id; an imported one by ARN.
        theirs: str | None = getattr(endpoint, "agent_runtime_id", None)
        mine = self.runtime.agent_runtime_id
        if theirs is None:
            theirs, mine = endpoint.agent_runtime_arn, self.runtime.agent_runtime_arn
        if theirs == mine:
            return True
        if is_unresolved(theirs) or is_unresolved(mine):
            report_unresolved(self, "endpoints", "the runtime they belong to")
            return None
        return False

    def _check_imported_only(self, role: iam.IRole | None, lifecycle: agentcore.LifecycleConfiguration | None) -> None:
        """``role`` and ``lifecycle`` describe an imported runtime; a runtime of this app has its own."""
        if self._cfn_runtime is None:
            return
        given = [name for name, value in (("role", role), ("lifecycle", lifecycle)) if value is not None]
        if role is not None and role is self.runtime.role:
            given.remove("role")
        if given:
            raise ConstructsLibValidationError(
                "InvalidProps",
                f"{' and '.join(given)} describe an imported runtime: runtime {path_of(self.runtime)} is defined in "
                "this app, so the agent uses its own execution role and reads its lifecycle; omit "
                f"{' and '.join(given)}",
                path_of(self),
            )

    def _runtime_lifecycle(self, lifecycle: agentcore.LifecycleConfiguration | None) -> LifecycleRequest:
        """The lifecycle the runtime runs with, which the plan checks the workload against (AgentCore's defaults for
        what it does not set; unknown for an imported runtime adopted without ``lifecycle``)."""
        if self._cfn_runtime is not None:
            rendered = cdk.Stack.of(self._cfn_runtime).resolve(self._cfn_runtime.lifecycle_configuration) or {}
            values = [rendered.get(key) for key in ("idleRuntimeSessionTimeout", "maxLifetime")]
            idle, max_lifetime = (self._concrete(v, name) for v, name in zip(values, _LIFECYCLE_PROPS, strict=True))
            return LifecycleRequest(idle, max_lifetime, existing=True)
        if lifecycle is None:
            return LifecycleRequest(existing=True, known=False)
        durations = (lifecycle.idle_runtime_session_timeout, lifecycle.max_lifetime)
        idle, max_lifetime = (
            None if d is None else self._concrete(None if d.is_unresolved() else d.to_seconds(), name)
            for d, name in zip(durations, _LIFECYCLE_PROPS, strict=True)
        )
        return LifecycleRequest(idle, max_lifetime, existing=True)

    def _concrete(self, value: Any, name: str) -> float | None:
        """A lifecycle value in seconds, or ``None`` (AgentCore's default) when unset; a token is not checked."""
        if value is None:
            return None
        if isinstance(value, int | float) and not is_unresolved(value):
            return float(value)
        report_unresolved(self, f"the runtime's {name}", "the lifecycle limits and the longest task")
        return None

    # -- the agent -----------------------------------------------------------------------------------

    @property
    def rollout_control(self) -> RolloutControl | None:
        """``None``: an adopted runtime has no rollout of the library's (its facades invoke one endpoint)."""
        return None

    @property
    def plan_record(self) -> PlanRecord:
        """The plan as the capacity report reads it (in the runtime's template metadata for a runtime of this app)."""
        return plan_record(self)

    @property
    def defined_in_app(self) -> bool:
        """Whether the runtime is an L2 ``Runtime`` of this app (else it is imported)."""
        return self._cfn_runtime is not None

    @property
    def role(self) -> iam.IRole:
        """The execution role grants to the agent go to.

        Raises:
            ConstructsLibValidationError: ``ImportedRuntimeRole`` for an imported runtime that has no role.
        """
        if self._role is None:
            raise ConstructsLibValidationError(
                "ImportedRuntimeRole",
                f"runtime {self.runtime_name} was adopted without an execution role (its role is not known to this "
                "app), so nothing can be granted to the agent; pass role= to AgentCoreAgent.from_runtime "
                "(iam.Role.from_role_arn(...) of the runtime's role; mutable=False when the role already allows what "
                "is granted), or import the runtime with Runtime.from_agent_runtime_attributes(..., role_arn=...)",
                path_of(self),
            )
        return self._role

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The execution role, for grants to the agent (see :attr:`role`)."""
        return self.role

    @property
    def agent_runtime_version(self) -> str | None:
        """The runtime's version: the deployed one for a runtime of this app, as imported otherwise (may be None)."""
        return self.runtime.agent_runtime_version

    def add_environment(self, key: str, value: str) -> None:
        """Add an environment variable to the runtime: to its L1 for a runtime of this app (checked against the
        environment quotas with the runtime's own variables); for an imported runtime, whose definition is not in this
        app, a stack output ``RequiredEnvironment/<key>`` with the value and the acknowledgeable warning
        ``constructs_lib:ImportedRuntimeEnvironment`` (set the variable where the runtime is defined).

        A warning, not an error: the constructs that bind an agent (session store, staging, jobs, tools, the platform)
        then work with an imported runtime, and the output says exactly what its own definition must set.

        Raises:
            ConstructsLibValidationError: ``InvalidEnvironment`` (key pattern, value length, count).
        """
        if self._environment is not None:
            self._environment.add(key, value)
            return
        candidate = {**self._required_environment, key: value}
        raise_all("InvalidEnvironment", environment_problems(candidate, self.catalog), path_of(self))
        if key in self._required_environment:
            self._required_environment[key] = value
            self._outputs[key].value = value
            return
        self._required_environment[key] = value
        if self._outputs_holder is None:
            self._outputs_holder = Construct(self, "RequiredEnvironment")
        self._outputs[key] = cdk.CfnOutput(
            self._outputs_holder, key, value=value,
            description=f"environment variable {key} that runtime {self.runtime_name} needs (set where it is defined)",
        )
        report_warning(
            self, "ImportedRuntimeEnvironment",
            f"runtime {self.runtime_name} is imported, so this app cannot set its environment variable {key!r}: set "
            f"it where the runtime is defined, to the value of the stack output {path_of(self)}/RequiredEnvironment/"
            f"{key}, or acknowledge this warning when it is set there already",
        )

    @property
    def required_environment(self) -> Mapping[str, str]:
        """The variables constructs of this app asked an imported runtime to have (empty for a runtime of this app,
        which gets them itself)."""
        return dict(self._required_environment)

    def allow_workload_token_for_user_id(self) -> None:
        """Allow the runtime's execution role ``GetWorkloadAccessTokenForUserId`` on the runtime's own workload
        identity (a facade that invokes for users asks for it: AgentCore then fetches the user's workload access token
        with that role).

        The statement is its own policy (``WorkloadTokenForUserIdPolicy``) attached to the role: it names the runtime's
        id, and a runtime of this app depends on its role's default policy, so the statement cannot go there. Added
        once, however often it is asked for.

        Raises:
            ConstructsLibValidationError: ``ImportedRuntimeRole`` when the runtime's role is not known (see
                :attr:`role`): without the permission every invocation for a user would fail at run time, so this is
                an error rather than a warning.
        """
        if self._workload_token_policy is not None:
            return
        role = self.role
        stack = cdk.Stack.of(self)
        arn = self.agent_runtime_arn
        # The identity lives in the runtime's account and region: an imported ARN says which; a runtime of this app
        # (a token) is in this stack's.
        parts = None if is_unresolved(arn) else cdk.Arn.split(arn, cdk.ArnFormat.SLASH_RESOURCE_NAME)
        directory = stack.format_arn(
            service="bedrock-agentcore", resource=WORKLOAD_IDENTITY_DIRECTORY,
            region=parts.region if parts else None, account=parts.account if parts else None,
            arn_format=cdk.ArnFormat.NO_RESOURCE_NAME,
        )
        self._workload_token_policy = iam.Policy(
            self,
            "WorkloadTokenForUserIdPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="WorkloadAccessTokensForUserId",
                    actions=[perms.WORKLOAD_ACCESS_TOKEN_FOR_USER_ID],
                    # Authorized on the directory and on the workload identity, which carries the runtime's id.
                    resources=[directory, f"{directory}/workload-identity/{self.agent_runtime_id}"],
                )
            ],
        )


def _runtime_role(runtime: Any) -> iam.IRole | None:
    """The runtime's execution role, or ``None`` for an implementation of ``IBedrockAgentRuntime`` that has none."""
    try:
        role = runtime.role
    except (AttributeError, jsii.errors.JSIIError):
        return None
    return role if hasattr(role, "role_arn") else None


def _check_props(
    path: str, runtime: Any, workload: Any, endpoints: Any, artifact_kind: Any, lifecycle: Any, role: Any
) -> None:
    """Every prop's type, all problems at once."""
    checks = PropChecks(path)
    if isinstance(runtime, str) or not all(hasattr(runtime, member) for member in _RUNTIME_MEMBERS):
        checks.fail(
            "runtime", runtime,
            "an aws_bedrockagentcore.Runtime or an IBedrockAgentRuntime (Runtime.from_agent_runtime_attributes)",
        )
    if workload is None:
        checks.fail(
            "workload", workload,
            "a WorkloadProfile: an adopted runtime is planned on the workload it is given (an empty "
            "WorkloadProfile() says short synchronous requests)",
            code="MissingWorkload",
        )
    else:
        checks.instance("workload", workload, WorkloadProfile, "a WorkloadProfile")
    if checks.sequence_of("endpoints", endpoints, object, "endpoint names or endpoints", optional=False):
        for index, item in enumerate(endpoints):
            if not isinstance(item, str) and not hasattr(item, "endpoint_name"):
                checks.fail(f"endpoints[{index}]", item, "an endpoint name or an IRuntimeEndpoint")
    checks.instance("artifact_kind", artifact_kind, ArtifactKind, "an ArtifactKind (CONTAINER or DIRECT_CODE)")
    checks.instance("lifecycle", lifecycle, agentcore.LifecycleConfiguration,
                    "an aws_bedrockagentcore.LifecycleConfiguration")
    checks.resource("role", role, "role_arn", "an iam.IRole (not its ARN)")
    checks.raise_if_any()


__all__ = ["AdoptedAgent"]
