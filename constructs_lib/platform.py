"""AgentPlatform: every agent of a team with everything it needs around it, in one construct.

For each agent the platform wires an image repository (managed artifacts), a REST facade, a session
store, payload staging when the plan needs it, Lambda tools, monitoring and version archival, with
per-agent switches and overrides. Across all agents it checks the account-level quotas the agents share
(data-plane pool, regional active sessions, agents per account, session creation pool) and the
CloudFormation resource limit of the stack it lives in.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct, IValidation

from constructs_lib._cdk.props import PropChecks, check_construct_id
from constructs_lib._cdk.reporting import report
from constructs_lib._cdk.scope import catalog_for, region_of
from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent.artifact import AgentArtifact
from constructs_lib.agent.compute import AgentCompute
from constructs_lib.agent.interface import IAgentCoreAgent, require_agent
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.operations.monitoring import AgentMonitoring
from constructs_lib.operations.version_archive import AgentVersionArchive
from constructs_lib.orchestration.tools import AgentTool
from constructs_lib.planning.account import AccountCapacity, AgentDemand, plan_account
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.planning.serving import rest_needs_streaming, rest_staging_required
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.payload_staging import PayloadStaging
from constructs_lib.serving.session_store import AgentSessionStore

#: CDK's own context key for its resources-per-stack check.
STACK_RESOURCE_LIMIT_CONTEXT = "@aws-cdk/core:stackResourceLimit"


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
        name: construct id of the agent's group.
        artifact: where the agent's code comes from.
        workload: what the agent needs. Default: an empty profile.
        runtime_name: the AgentCore runtime name. Default: derived from the stack name and the agent's construct
            path (``MyStackdev_Platform_support_Agent_1A2B3C4D``), so stages of one stack never share a runtime name.
        endpoints: named endpoints besides ``DEFAULT``.
        models: Bedrock model ids the agent may invoke.
        compute: what the agent's sessions run on (:class:`AgentCompute`). Default: microVMs.
        tools: Lambda tools created for this agent.
        facade: put a REST facade in front of the agent. Default: True (streaming for synchronous
            agents whose tasks outlast API Gateway's integration timeout, unless ``facade_options`` says).
        session_store: give the agent a session table. Default: True.
        staging: give the agent payload staging. Default: when the plan says payloads exceed what the
            facade carries inline.
        monitoring: alarms and a dashboard row for the agent and its front doors (REST API, proxy function, job
            and session tables). Default: True.
        archive: archive the agent's versions. Default: True.
        audit_required: the agent's versions must be archived (a warning if ``archive`` is False).
        agent_options: further :class:`AgentCoreAgent` keyword arguments.
        facade_options: further :class:`AgentApiFacade` keyword arguments.
        session_store_options: further :class:`AgentSessionStore` keyword arguments.
        monitoring_options: keyword arguments of :meth:`AgentMonitoring.monitor_agent` (thresholds).
    """

    name: str
    artifact: AgentArtifact
    workload: WorkloadProfile | None = None
    runtime_name: str | None = None
    endpoints: Sequence[str] = ()
    models: Sequence[str] = ()
    compute: AgentCompute | None = None
    tools: Sequence[ToolSpec] = ()
    facade: bool = True
    session_store: bool = True
    staging: bool | None = None
    monitoring: bool = True
    archive: bool = True
    audit_required: bool = False
    agent_options: Mapping[str, Any] = field(default_factory=dict)
    facade_options: Mapping[str, Any] = field(default_factory=dict)
    session_store_options: Mapping[str, Any] = field(default_factory=dict)
    monitoring_options: Mapping[str, Any] = field(default_factory=dict)

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
        for name in ("facade", "session_store", "monitoring", "archive", "audit_required"):
            checks.boolean(name, getattr(self, name))
        checks.boolean("staging", self.staging, optional=True)
        for name in ("agent_options", "facade_options", "session_store_options", "monitoring_options"):
            checks.instance(name, getattr(self, name), Mapping, "a mapping of keyword arguments", optional=False)
        checks.raise_if_any()


class AgentPlacement(StrEnum):
    """Where a platform puts each agent's resources."""

    SAME_STACK = "same-stack"
    """Everything in the platform's stack (simplest; about a dozen fully equipped agents fit)."""
    NESTED_STACK_PER_AGENT = "nested-stack-per-agent"
    """Each agent and its facade, store and tools in a nested stack; shared resources stay in the parent."""


@dataclass
class PlatformAgent:
    """What the platform built for one agent.

    Attributes:
        agent: the agent.
        facade: its REST facade, if any.
        session_store: its session table, if any.
        tools: its Lambda tools by name.
        scope: the group (a construct, or a nested stack) holding what the platform built for the agent.
    """

    agent: IAgentCoreAgent
    scope: Construct
    facade: AgentApiFacade | None = None
    session_store: AgentSessionStore | None = None
    tools: dict[str, AgentTool] = field(default_factory=dict)


class AgentPlatform(Construct):
    """Defines a platform of AgentCore agents, each with what it needs, and checks shared quotas.

    Shared resources: one :class:`PayloadStaging` bucket (per-agent prefixes) when any agent needs
    staging, one :class:`AgentMonitoring` (alarms to one topic, one dashboard), one
    :class:`AgentVersionArchive`. Per agent: the :class:`AgentCoreAgent`, an :class:`AgentApiFacade`,
    an :class:`AgentSessionStore` and its :class:`AgentTool` functions.

    Account-level findings (the sum of planned peaks against the account's shared pools) are errors or
    warnings on the platform, like an agent's own findings.

    Args:
        scope: parent construct.
        construct_id: construct id.
        agents: the agents, as specs the platform builds or existing agents it equips with platform defaults
            (:class:`AgentCoreAgent` objects, or runtimes adopted with :meth:`AgentCoreAgent.from_runtime`).
        alarm_name_prefix: prefix of alarm names. Default: the stack name and the monitoring's construct path
            (``MyStack-dev-Platform-Monitoring``), unique per stack.
        alarm_topic: where alarms go. Default: a new encrypted topic.
        monitoring: create monitoring at all. Default: True.
        archive: create version archival at all. Default: True.
        placement: where each agent's resources go. Default: the platform's stack.
        waf: protect every facade with one shared AWS WAF web ACL (AWS managed common and known-bad-input
            rules). Default: True.
        staging_options: keyword arguments of the shared :class:`PayloadStaging`.
        archive_options: keyword arguments of the :class:`AgentVersionArchive`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        agents: Sequence[AgentSpec | IAgentCoreAgent],
        alarm_name_prefix: str | None = None,
        alarm_topic: sns.ITopic | None = None,
        monitoring: bool = True,
        archive: bool = True,
        placement: AgentPlacement = AgentPlacement.SAME_STACK,
        waf: bool = True,
        staging_options: Mapping[str, Any] | None = None,
        archive_options: Mapping[str, Any] | None = None,
    ) -> None:
        check_construct_id(construct_id)
        super().__init__(scope, construct_id)
        checks = PropChecks(self.node.path)
        checks.string("alarm_name_prefix", alarm_name_prefix)
        checks.resource("alarm_topic", alarm_topic, "topic_arn", "an sns.ITopic")
        for name, flag in (("monitoring", monitoring), ("archive", archive), ("waf", waf)):
            checks.boolean(name, flag)
        checks.instance("placement", placement, AgentPlacement, "an AgentPlacement", optional=False)
        for name, options in (("staging_options", staging_options), ("archive_options", archive_options)):
            checks.instance(name, options, Mapping, "a mapping of keyword arguments")
        checks.raise_if_any()
        if isinstance(agents, str) or not isinstance(agents, Sequence):
            raise ConstructsLibValidationError(
                "InvalidProps", f"agents must be a list of AgentSpec or agents, got {agents!r}", self.node.path
            )
        for index, item in enumerate(agents):
            if not isinstance(item, AgentSpec):
                require_agent(item, f"agents[{index}]", self.node.path, alternative="an AgentSpec", code="InvalidProps")
        if not agents:
            raise ConstructsLibValidationError("NoAgents", "agents must list at least one agent", self.node.path)
        self._check_unique_names(agents)
        self._check_options(agents, staging_options or {}, archive_options or {})
        self.placement = placement
        self._waf = waf
        self._web_acl_arn: str | None = None
        self.agents: dict[str, PlatformAgent] = {}
        self._specs: dict[str, AgentSpec | None] = {}
        for item in agents:
            if isinstance(item, AgentSpec):
                self.agents[item.name] = self._build_agent(item)
                self._specs[item.name] = item
            else:
                # An agent made elsewhere: what the platform adds goes in a group named after it.
                self.agents[item.node.id] = PlatformAgent(item, Construct(self, item.node.id))
                self._specs[item.node.id] = None

        self.staging: PayloadStaging | None = None
        if any(self._wants_staging(name) for name in self.agents):
            self.staging = PayloadStaging(self, "Staging", **dict(staging_options or {}))
        for name, member in self.agents.items():
            self._equip(name, member)

        monitored = [n for n in self.agents if monitoring and self._spec_flag(n, "monitoring")]
        self.monitoring: AgentMonitoring | None = None
        if monitored:
            self.monitoring = AgentMonitoring(
                self, "Monitoring", alarm_name_prefix=alarm_name_prefix, alarm_topic=alarm_topic
            )
            for name in monitored:
                spec = self._specs[name]
                self.monitoring.monitor_agent(self.agents[name].agent, **dict(spec.monitoring_options if spec else {}))
                self._monitor_front_doors(self.monitoring, self.agents[name])

        archived = [m.agent for n, m in self.agents.items() if archive and self._spec_flag(n, "archive")]
        audited = [m.agent for n, m in self.agents.items() if (s := self._specs[n]) is not None and s.audit_required]
        self.archive: AgentVersionArchive | None = None
        if archived or audited:
            self.archive = AgentVersionArchive(
                self, "Archive", agents=archived, audit_required_agents=audited,
                alarm_topic=self.monitoring.alarm_topic if self.monitoring else alarm_topic,
                **dict(archive_options or {}),
            )

        demands = [AgentDemand.of(m.agent.plan) for m in self.agents.values()]
        self.account_capacity: AccountCapacity = plan_account(
            demands, catalog=catalog_for(self), region=region_of(self)
        )
        report(self, self.account_capacity.findings)
        self.node.add_validation(_StackResourceLimit(self))

    # -- construction ---------------------------------------------------------------------------------

    def _check_unique_names(self, agents: Sequence[AgentSpec | IAgentCoreAgent]) -> None:
        names = [a.name if isinstance(a, AgentSpec) else a.node.id for a in agents]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConstructsLibValidationError(
                "DuplicateAgentName", f"agent names must be unique, got {', '.join(duplicates)} more than once",
                self.node.path,
            )

    def _check_options(
        self,
        agents: Sequence[AgentSpec | IAgentCoreAgent],
        staging_options: Mapping[str, Any],
        archive_options: Mapping[str, Any],
    ) -> None:
        """Every ``*_options`` key names a keyword of its construct and none the platform sets itself."""
        checks: list[tuple[str, Mapping[str, Any], Any, set[str]]] = [
            ("staging_options", staging_options, PayloadStaging.__init__, set()),
            ("archive_options", archive_options, AgentVersionArchive.__init__,
             {"agents", "audit_required_agents", "alarm_topic"}),
        ]
        for spec in agents:
            if not isinstance(spec, AgentSpec):
                continue
            checks += [
                (f"{spec.name}.agent_options", spec.agent_options, AgentCoreAgent.__init__,
                 {"artifact", "runtime_name", "workload", "endpoints", "models", "compute"}),
                (f"{spec.name}.facade_options", spec.facade_options, AgentApiFacade.__init__, {"agent", "staging"}),
                (f"{spec.name}.session_store_options", spec.session_store_options, AgentSessionStore.__init__, set()),
                (f"{spec.name}.monitoring_options", spec.monitoring_options, AgentMonitoring.monitor_agent, {"agent"}),
                *((f"{spec.name}.tools[{tool.tool_name}].options", tool.options, AgentTool.__init__,
                   {"tool_name", "description", "code", "handler", "agents"}) for tool in spec.tools),
            ]
        problems: list[str] = []
        for label, options, target, reserved in checks:
            accepted = set(inspect.signature(target).parameters) - {"self", "scope", "construct_id"}
            unknown = sorted(set(options) - accepted)
            if unknown:
                problems.append(f"{label} has unknown keys {unknown} (accepted: {sorted(accepted - reserved)})")
            taken = sorted(set(options) & reserved)
            if taken:
                problems.append(f"{label} sets {taken}, which the platform sets itself (use the AgentSpec fields)")
        raise_all("InvalidPlatformOptions", problems, self.node.path)

    def _build_agent(self, spec: AgentSpec) -> PlatformAgent:
        # Each agent's resources are grouped under its name (ids are API: never concatenated):
        # <name>/Agent, <name>/Api, <name>/Sessions, <name>/Tools/<tool>.
        holder: Construct = (
            cdk.NestedStack(self, spec.name)
            if self.placement is AgentPlacement.NESTED_STACK_PER_AGENT
            else Construct(self, spec.name)
        )
        agent = AgentCoreAgent(
            holder,
            "Agent",
            artifact=spec.artifact,
            runtime_name=spec.runtime_name,
            workload=spec.workload,
            endpoints=spec.endpoints,
            models=spec.models,
            compute=spec.compute,
            **dict(spec.agent_options),
        )
        member = PlatformAgent(agent, holder)
        if spec.tools:
            tools = Construct(holder, "Tools")
            for tool in spec.tools:
                member.tools[tool.tool_name] = AgentTool(
                    tools, tool.tool_name, tool_name=tool.tool_name, description=tool.description,
                    code=tool.code, handler=tool.handler, agents=[agent], **dict(tool.options),
                )
        return member

    @staticmethod
    def _monitor_front_doors(monitoring: AgentMonitoring, member: PlatformAgent) -> None:
        """The REST API and its proxy (latency and duration against the facade's fit), the job and session tables."""
        facade = member.facade
        if facade is not None:
            monitoring.monitor_rest_api(
                facade.api,
                integration_timeout=cdk.Duration.seconds(facade.fit.integration_timeout_seconds),
                proxy=facade.proxy_function,
                proxy_timeout=cdk.Duration.seconds(facade.fit.proxy_timeout_seconds),
            )
            if facade.jobs is not None:
                monitoring.monitor_table(facade.jobs.table)
        if member.session_store is not None:
            monitoring.monitor_table(member.session_store.table)

    def _spec_flag(self, name: str, flag: str) -> bool:
        spec = self._specs[name]
        return True if spec is None else bool(getattr(spec, flag))

    def _wants_staging(self, name: str) -> bool:
        spec = self._specs[name]
        if spec is not None and spec.staging is not None:
            return spec.staging
        # Above the smallest limit on the REST path (API Gateway's payload, Lambda's request payload), not only
        # above API Gateway's.
        agent = self.agents[name].agent
        return rest_staging_required(agent.plan, catalog_for(self), region_of(self))

    def _equip(self, name: str, member: PlatformAgent) -> None:
        spec = self._specs[name]
        agent = member.agent
        staging = self.staging if self._wants_staging(name) else None
        if staging is not None:
            staging.bind(agent)
        if self._spec_flag(name, "session_store"):
            member.session_store = AgentSessionStore(
                member.scope, "Sessions", **dict(spec.session_store_options if spec else {})
            )
            member.session_store.bind(agent)
        if self._spec_flag(name, "facade"):
            options = dict(spec.facade_options if spec else {})
            if not {"streaming", "jobs", "invoke_route"} & set(options) and rest_needs_streaming(
                agent.plan, catalog_for(self), region_of(self)
            ):
                # A synchronous agent whose tasks outlast API Gateway's integration timeout is served
                # through REST response streaming, which is not bound by that timeout.
                options["streaming"] = True
            if self._waf and not {"enable_waf", "waf_web_acl_arn"} & set(options):
                # One web ACL for the whole platform: the first facade creates it, the others share it.
                options["waf_web_acl_arn" if self._web_acl_arn else "enable_waf"] = self._web_acl_arn or True
            member.facade = AgentApiFacade(member.scope, "Api", agent=agent, staging=staging, **options)
            if member.facade.web_acl is not None and self._web_acl_arn is None:
                self._web_acl_arn = member.facade.web_acl.attr_arn

    # -- public API -----------------------------------------------------------------------------------

    def agent(self, name: str) -> IAgentCoreAgent:
        """The agent called ``name``."""
        try:
            return self.agents[name].agent
        except KeyError:
            raise ConstructsLibValidationError(
                "UnknownAgent", f"no agent {name!r} on this platform (agents: {', '.join(self.agents)})",
                self.node.path,
            ) from None


@jsii.implements(IValidation)
class _StackResourceLimit:
    """Fails with the way out when the platform's own stack passes CloudFormation's resource limit.

    CDK fails such a stack too, but only with the count; this names the placement that fits. An app that
    sets CDK's context key ``@aws-cdk/core:stackResourceLimit`` has chosen its own limit, and is left to it.
    """

    def __init__(self, platform: AgentPlatform) -> None:
        self._platform = platform

    def validate(self) -> list[str]:
        platform = self._platform
        stack = cdk.Stack.of(platform)
        limit = catalog_for(platform).resolve(QuotaName.CLOUDFORMATION_RESOURCES_PER_STACK)
        if platform.node.try_get_context(STACK_RESOURCE_LIMIT_CONTEXT) is not None:
            return []  # the app set CDK's own resource-limit check explicitly; it decides
        count = sum(
            1 for c in stack.node.find_all()
            if isinstance(c, cdk.CfnResource) and cdk.Stack.of(c) is stack
        )
        if count <= limit.value:
            return []
        per_agent = math.ceil(count / max(1, len(platform.agents)))
        return [
            f"[StackResourceLimit] the stack holds {count:,} resources, more than "
            f"{limit.formatted()}, the {limit.describe()}; about {per_agent} per agent: use "
            "placement=AgentPlacement.NESTED_STACK_PER_AGENT, or one stack per AgentPlatform"
        ]
