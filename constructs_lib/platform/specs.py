"""What a platform is asked to build for each agent, and what it built."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_lib._cdk.props import PropChecks
from constructs_lib.agent.artifact import AgentArtifact
from constructs_lib.agent.compute import AgentCompute
from constructs_lib.agent.interface import IAgentCoreAgent
from constructs_lib.agent.rollout import AgentRollout
from constructs_lib.agent.session_budget import SessionBudget
from constructs_lib.operations.monitoring import AgentMonitoring
from constructs_lib.orchestration.tools import AgentTool
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.session_store import AgentSessionStore


class AgentIsolation(StrEnum):
    """Whether an agent shares the platform's API, proxy and tables or has its own."""

    SHARED = "shared"
    """A route on the platform's one REST API (``/<name>/...``), served by its one proxy, with the agent's items under
    its key prefix in the platform's session and job tables (:class:`~constructs_lib.serving.shared_api
    .AgentPlatformApi`); throttles, grants and caller isolation stay per agent."""
    DEDICATED = "dedicated"
    """An API, proxy, session table and job table of its own (:class:`AgentApiFacade`, :class:`AgentSessionStore`):
    for an agent that streams, needs its own auth or request schema, or must not share a table."""


class AgentPlacement(StrEnum):
    """Where a platform puts each agent's resources."""

    SAME_STACK = "same-stack"
    """Everything in the platform's stack."""
    NESTED_STACK_PER_AGENT = "nested-stack-per-agent"
    """Each agent with its tools, its own front doors if dedicated, and its alarms and dashboard in a nested stack;
    the shared API, tables, staging, archive and account alarms stay in the parent."""


@dataclass(frozen=True, kw_only=True)
class ToolSpec:
    """A Lambda tool the platform creates for one agent (see :class:`AgentTool`).

    Attributes:
        tool_name: the name the agent calls the tool by.
        description: what the tool does, for the agent's tool list.
        code: the function code.
        handler: the function handler.
        options: further :class:`AgentTool` keyword arguments (timeout, memory_size, runtime, ...).
    """

    tool_name: str
    description: str
    code: lambda_.Code
    handler: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        checks = PropChecks(code="InvalidToolSpec")
        checks.string("tool_name", self.tool_name, optional=False)
        checks.string("description", self.description, optional=False)
        checks.instance("code", self.code, lambda_.Code, "a lambda_.Code (Code.from_asset(...), ...)", optional=False)
        checks.string("handler", self.handler, optional=False, allowed="module.function")
        checks.instance("options", self.options, Mapping, "a mapping of AgentTool keyword arguments", optional=False)
        checks.raise_if_any()


@dataclass(frozen=True, kw_only=True)
class AgentSpec:
    """One agent of a platform and what it needs around it.

    Attributes:
        name: construct id of the agent's group, and its route on the shared API (``/<name>/invoke``...).
        artifact: where the agent's code comes from.
        workload: what the agent needs. Default: an empty profile.
        runtime_name: the AgentCore runtime name. Default: derived from the stack name and the agent's construct
            path (``MyStackdev_Platform_support_Agent_1A2B3C4D``), so stages of one stack never share a runtime name.
        endpoints: named endpoints besides ``DEFAULT``.
        models: Bedrock model ids the agent may invoke.
        compute: what the agent's sessions run on (:class:`AgentCompute`). Default: microVMs.
        tools: Lambda tools created for this agent.
        isolation: share the platform's API, proxy and tables, or have its own. Default: the platform's
            ``isolation``, except that an agent the shared API cannot serve as asked (a streamed ``POST /invoke``,
            ``facade_options`` other than throttles and routes, ``session_store_options``) gets its own, with the
            info ``constructs_lib:DedicatedAgent`` saying why; asking ``SHARED`` for such an agent is an error.
        facade: serve the agent over REST (a route on the shared API, or its own facade). Default: True (streaming
            for synchronous agents whose tasks outlast API Gateway's integration timeout, on a facade of its own).
        session_store: give the agent a session table (its key prefix in the shared one, or its own). Default: True.
        staging: give the agent payload staging. Default: when the plan says payloads exceed what the
            facade carries inline.
        monitoring: alarms and a dashboard row for the agent and its own front doors. Default: True.
        archive: archive the agent's versions. Default: True.
        audit_required: the agent's versions must be archived (a warning if ``archive`` is False).
        session_budget: the agent's runaway-session guard (:class:`SessionBudget`). Default: the platform's
            ``session_budget``.
        agent_options: further :class:`AgentCoreAgent` keyword arguments.
        facade_options: further :class:`AgentApiFacade` keyword arguments (on the shared API only
            ``throttle_rate_limit``, ``throttle_burst_limit``, ``jobs`` and ``invoke_route``).
        session_store_options: further :class:`AgentSessionStore` keyword arguments (a table of its own).
        monitoring_options: keyword arguments of :meth:`AgentMonitoring.monitor_agent` (thresholds). Default:
            the default thresholds, as compact alarms (``compact=True``: one metric-math alarm per level and
            evaluation window, whose name and description say which condition fired).
        rollout: a blue/green rollout of the agent (:class:`AgentRollout`): the agent gets a facade of its own, whose
            proxy routes new sessions by the rollout's weight (info ``constructs_lib:DedicatedAgent``). Default: no
            rollout.
    """

    name: str
    artifact: AgentArtifact
    workload: WorkloadProfile | None = None
    runtime_name: str | None = None
    endpoints: Sequence[str] = ()
    models: Sequence[str] = ()
    compute: AgentCompute | None = None
    tools: Sequence[ToolSpec] = ()
    isolation: AgentIsolation | None = None
    facade: bool = True
    session_store: bool = True
    staging: bool | None = None
    monitoring: bool = True
    archive: bool = True
    audit_required: bool = False
    session_budget: SessionBudget | None = None
    agent_options: Mapping[str, Any] = field(default_factory=dict)
    facade_options: Mapping[str, Any] = field(default_factory=dict)
    session_store_options: Mapping[str, Any] = field(default_factory=dict)
    monitoring_options: Mapping[str, Any] = field(default_factory=dict)
    rollout: AgentRollout | None = None

    def __post_init__(self) -> None:
        checks = PropChecks(code="InvalidAgentSpec")
        # The name becomes a construct id: jsii refuses an empty one, and '/' separates the ids of a path.
        if checks.string("name", self.name, optional=False) and "/" in self.name:
            checks.fail("name", self.name, "a construct id without '/'")
        checks.instance("artifact", self.artifact, AgentArtifact, "an AgentArtifact", optional=False)
        checks.instance("workload", self.workload, WorkloadProfile, "a WorkloadProfile")
        checks.string("runtime_name", self.runtime_name)
        for name in ("endpoints", "models"):
            checks.sequence_of(name, getattr(self, name), str, "strings", optional=False)
        checks.instance("compute", self.compute, AgentCompute, "an AgentCompute")
        checks.sequence_of("tools", self.tools, ToolSpec, "ToolSpec", optional=False)
        checks.instance("rollout", self.rollout, AgentRollout, "an AgentRollout")
        checks.instance("isolation", self.isolation, AgentIsolation, "an AgentIsolation")
        for name in ("facade", "session_store", "monitoring", "archive", "audit_required"):
            checks.boolean(name, getattr(self, name))
        checks.boolean("staging", self.staging, optional=True)
        checks.instance("session_budget", self.session_budget, SessionBudget, "a SessionBudget")
        for name in ("agent_options", "facade_options", "session_store_options", "monitoring_options"):
            checks.instance(name, getattr(self, name), Mapping, "a mapping of keyword arguments", optional=False)
        checks.raise_if_any()


#: The ``facade_options`` a route on the shared API takes (the rest need a facade of the agent's own).
SHARED_FACADE_OPTIONS = frozenset({"throttle_rate_limit", "throttle_burst_limit", "jobs", "invoke_route"})


@dataclass
class PlatformAgent:
    """What the platform built for one agent.

    Attributes:
        agent: the agent.
        scope: the group (a construct, or a nested stack) holding what the platform built for the agent.
        isolation: whether the agent shares the platform's API and tables.
        route: its route on the shared API (``/<route>/...``), if it is served there.
        facade: its own REST facade, if any (dedicated agents).
        session_store: its own session table, if any (dedicated agents; shared ones use the platform's).
        tools: its Lambda tools by name.
        monitoring: its own monitoring (alarms and dashboard in its nested stack), if it is placed in one.
    """

    agent: IAgentCoreAgent
    scope: Construct
    isolation: AgentIsolation = AgentIsolation.SHARED
    route: str | None = None
    facade: AgentApiFacade | None = None
    session_store: AgentSessionStore | None = None
    tools: dict[str, AgentTool] = field(default_factory=dict)
    monitoring: AgentMonitoring | None = None


__all__ = ["SHARED_FACADE_OPTIONS", "AgentIsolation", "AgentPlacement", "AgentSpec", "PlatformAgent", "ToolSpec"]
