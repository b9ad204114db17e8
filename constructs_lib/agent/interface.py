"""IAgentCoreAgent: what the library's constructs use of an agent, and the one check every construct makes of it.

Two classes implement it: :class:`~constructs_lib.agent.agent.AgentCoreAgent` (a runtime the library defines) and
:class:`~constructs_lib.agent.adopted.AdoptedAgent` (an existing runtime, from ``AgentCoreAgent.from_runtime``). Every
construct that takes an agent (the facades, jobs, payload staging, the session store, tools, pipeline steps,
monitoring, the version archive, the platform) is annotated with the protocol and checks its value with
:func:`require_agent`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct, Node

from constructs_lib._cdk.props import PropChecks, describe
from constructs_lib.agent.code_package import PackageMeasurement
from constructs_lib.agent.rollout import RolloutControl
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.planning.agent_plan import ArtifactKind, CapacityPlan
from constructs_lib.planning.compute import ComputeFacts
from constructs_lib.planning.record import PlanRecord

if TYPE_CHECKING:
    from constructs_lib.agent.session_budget import SessionGuard

#: The code of a value given where an agent belongs.
INVALID_AGENT = "InvalidAgent"


class IAgentCoreAgent(IConstruct, Protocol):
    """An AgentCore agent as the library's constructs use it: a construct with a plan, a runtime, grants and metrics.

    The members are exactly what the library's constructs, the platform and the capacity report read of an agent.

    Implemented by :class:`~constructs_lib.agent.agent.AgentCoreAgent` and by what
    :meth:`AgentCoreAgent.from_runtime <constructs_lib.agent.agent.AgentCoreAgent.from_runtime>` returns. Check a
    value with :func:`require_agent` (the protocol is not ``runtime_checkable``: on Python 3.11 ``isinstance`` would
    evaluate every property, and an imported runtime's ``role`` raises by design).
    """

    @property
    def node(self) -> Node:
        """The agent's construct node: tools keep their registry under it, findings are reported on it."""
        ...

    @property
    def plan(self) -> CapacityPlan:
        """The capacity plan of the agent's workload (throttles, invocation mode, lifecycle, findings)."""
        ...

    @property
    def catalog(self) -> QuotaCatalog:
        """The quota catalog the agent was planned against."""
        ...

    @property
    def region(self) -> str | None:
        """The region planned for, or ``None`` for an environment-agnostic stack."""
        ...

    @property
    def runtime_name(self) -> str:
        """The AgentCore runtime name."""
        ...

    @property
    def endpoints(self) -> Mapping[str, agentcore.IRuntimeEndpoint | None]:
        """The named endpoints besides ``DEFAULT``, by name (the endpoint construct where one is known)."""
        ...

    @property
    def default_qualifier(self) -> str:
        """The endpoint clients invoke by default: the first named endpoint, or ``DEFAULT``."""
        ...

    @property
    def artifact_kind(self) -> ArtifactKind:
        """How the agent's code reaches AgentCore (``UNKNOWN`` when an adopted runtime did not say)."""
        ...

    @property
    def compute_facts(self) -> ComputeFacts:
        """What the plan knows of the compute the sessions run on."""
        ...

    @property
    def package_measurement(self) -> PackageMeasurement | None:
        """The measured direct-code package, when the library built it."""
        ...

    @property
    def rollout_control(self) -> RolloutControl | None:
        """The agent's rollout, which its facades route new sessions through (``None``: no rollout)."""
        ...

    @property
    def plan_record(self) -> PlanRecord:
        """The plan as the capacity report reads it."""
        ...

    @property
    def session_guard(self) -> SessionGuard | None:
        """The registry and sweeper of the agent's ``SessionBudget``, ``None`` without one (an adopted runtime)."""
        ...

    @property
    def runtime(self) -> agentcore.IBedrockAgentRuntime:
        """The L2 runtime (defined in this app, or imported)."""
        ...

    @property
    def agent_runtime_arn(self) -> str:
        """ARN of the runtime."""
        ...

    @property
    def agent_runtime_id(self) -> str:
        """Id of the runtime."""
        ...

    @property
    def role(self) -> iam.IRole:
        """The runtime's execution role, which grants to the agent go to.

        Raises:
            ConstructsLibValidationError: ``ImportedRuntimeRole`` for an adopted runtime whose role is not known.
        """
        ...

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The principal of grants to the agent (``table.grant_read_data(agent)``): its execution role.

        Raises:
            ConstructsLibValidationError: ``ImportedRuntimeRole`` for an adopted runtime whose role is not known.
        """
        ...

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the agent on any endpoint."""
        ...

    def allow_workload_token_for_user_id(self) -> None:
        """Allow the execution role ``GetWorkloadAccessTokenForUserId`` on the runtime's own workload identity (what
        AgentCore needs to invoke the agent for a user id): facades that send ``runtimeUserId`` call it.

        Raises:
            ConstructsLibValidationError: ``ImportedRuntimeRole`` for an adopted runtime whose role is not known.
        """
        ...

    def add_environment(self, key: str, value: str) -> None:
        """Add a runtime environment variable (checked against the environment quotas); for an imported runtime, a
        stack output and the warning ``ImportedRuntimeEnvironment`` (its definition is not in this app)."""
        ...

    def metric(self, metric_name: str, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """A runtime metric in ``AWS/Bedrock-AgentCore`` for one endpoint (default: ``DEFAULT``)."""
        ...

    def metric_invocations(self, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Invocations (Sum)."""
        ...

    def metric_throttles(self, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Throttled invocations (Sum)."""
        ...

    def metric_system_errors(self, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Server-side errors (Sum)."""
        ...

    def metric_user_errors(self, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Client-side errors (Sum)."""
        ...

    def metric_latency(self, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Invocation latency in milliseconds (Average unless ``statistic`` is given)."""
        ...

    def metric_session_count(self, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """New sessions in the period (Sum)."""
        ...


#: The members of :class:`IAgentCoreAgent`, in declaration order.
AGENT_MEMBERS: tuple[str, ...] = tuple(name for name in vars(IAgentCoreAgent) if not name.startswith("_"))
_ABSENT = object()


def is_agent(value: object) -> bool:
    """Whether ``value`` is a construct with every member of :class:`IAgentCoreAgent` (looked up without evaluating
    properties)."""
    return isinstance(value, Construct) and all(
        inspect.getattr_static(value, name, _ABSENT) is not _ABSENT for name in AGENT_MEMBERS
    )


def require_agent(
    value: object, prop: str, path: str | None, *, grants: bool = False, alternative: str | None = None,
    code: str = INVALID_AGENT,
) -> IAgentCoreAgent:
    """``value`` as an agent, or an ``InvalidAgent`` error naming ``prop`` and the type received.

    Args:
        value: what the construct was given.
        prop: the prop (or argument) it was given as.
        path: the construct path of the construct checking it (``None`` for a step or a function).
        grants: the construct grants the agent something: the agent must have an execution role (an adopted runtime
            whose role is not known fails here with ``ImportedRuntimeRole``, before any grant is written).
        alternative: what else ``prop`` accepts, for the message (``"an AgentSpec"``). Default: nothing else.
        code: the code of a value that is not an agent (a construct keeps the code it always had). Default:
            ``InvalidAgent``.

    Raises:
        ConstructsLibValidationError: ``code`` or ``ImportedRuntimeRole``.
    """
    if not is_agent(value):
        raise ConstructsLibValidationError(
            code,
            f"{prop} must be {alternative + ' or ' if alternative else ''}an agent (an AgentCoreAgent, or what "
            f"AgentCoreAgent.from_runtime returns), got {describe(value)}{_adopt_hint(value)}",
            path,
        )
    agent = cast(IAgentCoreAgent, value)
    if grants:
        agent.grant_principal  # noqa: B018 - raises ImportedRuntimeRole in Python, not inside jsii
    return agent


def check_agents(checks: PropChecks, prop: str, value: Any, *, code: str | None = None) -> bool:
    """Record in ``checks`` a problem unless ``value`` is a list of agents (``AgentCoreAgent`` or adopted)."""
    allowed = "agents (AgentCoreAgent, or what AgentCoreAgent.from_runtime returns)"
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return checks.fail(prop, value, f"a list of {allowed}", code=code)
    for index, item in enumerate(value):
        if not is_agent(item):
            return checks.fail(f"{prop}[{index}]", item, f"one of a list of {allowed}{_adopt_hint(item)}", code=code)
    return True


def _adopt_hint(value: object) -> str:
    """The way in for an aws-cdk-lib runtime given where an agent belongs."""
    if inspect.getattr_static(value, "agent_runtime_arn", _ABSENT) is _ABSENT:
        return ""
    return "; adopt an existing runtime with AgentCoreAgent.from_runtime(scope, id, runtime=..., workload=...)"


__all__ = ["AGENT_MEMBERS", "INVALID_AGENT", "IAgentCoreAgent", "check_agents", "is_agent", "require_agent"]
