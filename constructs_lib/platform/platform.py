"""AgentPlatform: every agent of a team with everything it needs around it, in one construct.

By default the agents share what can be shared: one REST API with a route per agent and one proxy
(:class:`~constructs_lib.serving.shared_api.AgentPlatformApi`: per-agent throttles, exact grants, caller isolation per
agent), one session table and one job table partitioned by agent (key prefix ``<name>#``, enforced by IAM), one staging
bucket (per-agent prefixes), one WAF web ACL, one version archive and one monitoring. An agent can have its own API and
tables instead (``AgentSpec(isolation=AgentIsolation.DEDICATED)``). Across all agents the platform checks the
account-level quotas the agents share (data-plane pool, regional active sessions, agents per account, session
creation pool) and the limits of the stacks it fills: CloudFormation's resources per stack and template body size.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_sns as sns
from constructs import Construct, IValidation

from constructs_lib._cdk.props import PropChecks, check_construct_id
from constructs_lib._cdk.reporting import report, report_info
from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib._cdk.template_size import watch_template_size
from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent.interface import IAgentCoreAgent, require_agent
from constructs_lib.agent.session_budget import SessionBudget
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.handlers import contract
from constructs_lib.operations.monitoring import AgentMonitoring
from constructs_lib.operations.version_archive import AgentVersionArchive
from constructs_lib.orchestration.tools import AgentTool
from constructs_lib.planning.account import AccountCapacity, AgentDemand, plan_account
from constructs_lib.planning.findings import Severity
from constructs_lib.planning.platform import stack_resource_findings
from constructs_lib.planning.serving import rest_needs_streaming, rest_staging_required
from constructs_lib.platform.specs import (
    SHARED_FACADE_OPTIONS,
    AgentIsolation,
    AgentPlacement,
    AgentSpec,
    PlatformAgent,
)
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.payload_staging import PayloadStaging
from constructs_lib.serving.session_store import AgentSessionStore
from constructs_lib.serving.shared_api import AgentPlatformApi, SharedApiAgent

#: CDK's own context key for its resources-per-stack check.
STACK_RESOURCE_LIMIT_CONTEXT = "@aws-cdk/core:stackResourceLimit"
#: What the platform sets on its shared API itself.
_RESERVED_API_OPTIONS = frozenset({"agents", "staging", "waf_web_acl_arn", "enable_waf"})


class AgentPlatform(Construct):
    """Defines a platform of AgentCore agents, each with what it needs, sharing what can be shared.

    Shared resources: the API (``Api``, :class:`AgentPlatformApi`: one REST API, one proxy, the job table ``Api/Jobs``
    when an agent serves jobs), one session table (``Sessions``), one :class:`PayloadStaging` bucket (per-agent
    prefixes) when any agent needs staging, one WAF web ACL, one :class:`AgentMonitoring` (``Monitoring``: alarms to
    one topic, one dashboard), one :class:`AgentVersionArchive`. Per agent: the :class:`AgentCoreAgent` and its
    :class:`AgentTool` functions; a dedicated agent also its :class:`AgentApiFacade` and :class:`AgentSessionStore`.
    With ``placement=AgentPlacement.NESTED_STACK_PER_AGENT`` each agent's resources, and its alarms and dashboard
    (an :class:`AgentMonitoring` of its own, ``<name>/Monitoring``, to the platform's topic), are in its nested stack.

    Account-level findings (the sum of planned peaks against the account's shared pools) are errors or
    warnings on the platform, like an agent's own findings. Stack limits are synth errors with the way out:
    ``StackResourceLimit`` (CloudFormation's resources per stack) and ``TemplateBodyTooLarge`` (its template body
    size, checked on each written template, nested ones included).

    Args:
        scope: parent construct.
        construct_id: construct id.
        agents: the agents, as specs the platform builds or existing agents it equips with platform defaults
            (:class:`AgentCoreAgent` objects, or runtimes adopted with :meth:`AgentCoreAgent.from_runtime`;
            their route is their construct id).
        isolation: the agents' default isolation. Default: ``AgentIsolation.SHARED``.
        alarm_name_prefix: prefix of alarm names. Default: the stack name and the monitoring's construct path
            (``MyStack-dev-Platform-Monitoring``), unique per stack.
        alarm_topic: where alarms go. Default: a new encrypted topic.
        monitoring: create monitoring at all. Default: True.
        archive: create version archival at all. Default: True.
        placement: where each agent's resources go. Default: the platform's stack.
        waf: protect every API with one shared AWS WAF web ACL (AWS managed common and known-bad-input
            rules). Default: True.
        staging_options: keyword arguments of the shared :class:`PayloadStaging`.
        archive_options: keyword arguments of the :class:`AgentVersionArchive`.
        api_options: keyword arguments of the shared :class:`AgentPlatformApi` (``auth``, ``stage_name``,
            ``job_time_to_live``...).
        session_store_options: keyword arguments of the shared session table's :class:`AgentSessionStore`.

        session_budget: the runaway-session guard of every agent built from a spec without one of its own
            (:class:`SessionBudget`). Default: none.
    Raises:
        ConstructsLibValidationError: ``InvalidProps``, ``NoAgents``, ``DuplicateAgentName``, ``InvalidPlatformOptions``
            (unknown or reserved option keys, or options a shared agent cannot take), and the codes of the constructs
            it builds.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        agents: Sequence[AgentSpec | IAgentCoreAgent],
        isolation: AgentIsolation = AgentIsolation.SHARED,
        alarm_name_prefix: str | None = None,
        alarm_topic: sns.ITopic | None = None,
        monitoring: bool = True,
        archive: bool = True,
        placement: AgentPlacement = AgentPlacement.SAME_STACK,
        waf: bool = True,
        staging_options: Mapping[str, Any] | None = None,
        archive_options: Mapping[str, Any] | None = None,
        api_options: Mapping[str, Any] | None = None,
        session_store_options: Mapping[str, Any] | None = None,
        session_budget: SessionBudget | None = None,
    ) -> None:
        check_construct_id(construct_id)
        super().__init__(scope, construct_id)
        checks = PropChecks(path_of(self))
        checks.string("alarm_name_prefix", alarm_name_prefix)
        checks.resource("alarm_topic", alarm_topic, "topic_arn", "an sns.ITopic")
        for name, flag in (("monitoring", monitoring), ("archive", archive), ("waf", waf)):
            checks.boolean(name, flag)
        checks.instance("placement", placement, AgentPlacement, "an AgentPlacement", optional=False)
        checks.instance("session_budget", session_budget, SessionBudget, "a SessionBudget")
        checks.instance("isolation", isolation, AgentIsolation, "an AgentIsolation", optional=False)
        for name, options in (("staging_options", staging_options), ("archive_options", archive_options),
                              ("api_options", api_options), ("session_store_options", session_store_options)):
            checks.instance(name, options, Mapping, "a mapping of keyword arguments")
        checks.raise_if_any()
        if isinstance(agents, str) or not isinstance(agents, Sequence):
            raise ConstructsLibValidationError(
                "InvalidProps", f"agents must be a list of AgentSpec or agents, got {agents!r}", path_of(self)
            )
        for index, item in enumerate(agents):
            if not isinstance(item, AgentSpec):
                require_agent(item, f"agents[{index}]", path_of(self), alternative="an AgentSpec", code="InvalidProps")
        if not agents:
            raise ConstructsLibValidationError("NoAgents", "agents must list at least one agent", path_of(self))
        self._check_unique_names(agents)
        self._check_options(agents, {
            "staging_options": (staging_options or {}, PayloadStaging.__init__, set()),
            "archive_options": (archive_options or {}, AgentVersionArchive.__init__,
                                {"agents", "audit_required_agents", "alarm_topic"}),
            "api_options": (api_options or {}, AgentPlatformApi.__init__, set(_RESERVED_API_OPTIONS)),
            "session_store_options": (session_store_options or {}, AgentSessionStore.__init__, set()),
        })
        self.placement = placement
        self.isolation: AgentIsolation = isolation
        self.session_budget: SessionBudget | None = session_budget
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
        for name, member in self.agents.items():
            member.isolation = self._isolation_of(name, member)

        self.staging: PayloadStaging | None = None
        if any(self._wants_staging(name) for name in self.agents):
            self.staging = PayloadStaging(self, "Staging", **dict(staging_options or {}))
        self.api: AgentPlatformApi | None = None
        self.sessions: AgentSessionStore | None = None
        self._share(dict(api_options or {}), dict(session_store_options or {}))
        for name, member in self.agents.items():
            if member.isolation is AgentIsolation.DEDICATED:
                self._equip(name, member)
            elif self.staging is not None and self._wants_staging(name):
                self.staging.bind(member.agent)

        self.monitoring: AgentMonitoring | None = None
        self._monitor(monitoring, alarm_name_prefix, alarm_topic)

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
        stack = cdk.Stack.of(self)
        watch_template_size(self, stack, agents=len(self.agents))
        for member in self.agents.values():
            if isinstance(member.scope, cdk.NestedStack):
                watch_template_size(member.scope, member.scope, agents=1)

    # -- construction ---------------------------------------------------------------------------------

    def _check_unique_names(self, agents: Sequence[AgentSpec | IAgentCoreAgent]) -> None:
        names = [a.name if isinstance(a, AgentSpec) else a.node.id for a in agents]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConstructsLibValidationError(
                "DuplicateAgentName", f"agent names must be unique, got {', '.join(duplicates)} more than once",
                path_of(self),
            )

    def _check_options(
        self,
        agents: Sequence[AgentSpec | IAgentCoreAgent],
        platform_options: Mapping[str, tuple[Mapping[str, Any], Any, set[str]]],
    ) -> None:
        """Every ``*_options`` key names a keyword of its construct and none the platform sets itself."""
        checks = [(label, options, target, reserved) for label, (options, target, reserved) in platform_options.items()]
        for spec in agents:
            if not isinstance(spec, AgentSpec):
                continue
            checks += [
                (f"{spec.name}.agent_options", spec.agent_options, AgentCoreAgent.__init__,
                 {"artifact", "runtime_name", "workload", "endpoints", "models", "compute", "session_budget"}),
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
        raise_all("InvalidPlatformOptions", problems, path_of(self))

    def _build_agent(self, spec: AgentSpec) -> PlatformAgent:
        # Each agent's resources are grouped under its name (ids are API: never concatenated):
        # <name>/Agent, <name>/Api, <name>/Sessions, <name>/Tools/<tool>, <name>/Monitoring (nested placement).
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
            rollout=spec.rollout,
            session_budget=spec.session_budget or self.session_budget,
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

    def _isolation_of(self, name: str, member: PlatformAgent) -> AgentIsolation:
        """The agent's isolation: asked, or the platform's unless the shared API cannot serve it as asked."""
        spec = self._specs[name]
        asked = spec.isolation if spec is not None else None
        if not (self._spec_flag(name, "facade") or self._spec_flag(name, "session_store")):
            return asked or self.isolation
        reasons = []
        options = dict(spec.facade_options) if spec is not None else {}
        if self._spec_flag(name, "facade"):
            if not {"streaming", "jobs", "invoke_route"} & set(options) and rest_needs_streaming(
                member.agent.plan, catalog_for(self), region_of(self)
            ):
                reasons.append("its tasks outlast API Gateway's integration timeout, so POST /invoke streams, and "
                               "the shared proxy answers buffered")
            if options.get("streaming"):
                reasons.append("facade_options asks for streaming, and the shared proxy answers buffered")
            if member.agent.rollout_control is not None:
                reasons.append("it has a rollout, whose sessions its own proxy routes (the shared proxy invokes one "
                               "endpoint per agent)")
            if member.agent.session_guard is not None:
                reasons.append("it has a session budget, whose sessions its own proxy registers (the shared proxy "
                               "registers none)")
            other = sorted(set(options) - SHARED_FACADE_OPTIONS)
            if other:
                reasons.append(f"facade_options {other} apply to a facade of its own")
        if spec is not None and spec.session_store_options and self._spec_flag(name, "session_store"):
            reasons.append(f"session_store_options {sorted(spec.session_store_options)} apply to a table of its own")
        if not reasons:
            return asked or self.isolation
        if asked is AgentIsolation.SHARED:
            raise ConstructsLibValidationError(
                "InvalidPlatformOptions",
                f"agent {name} asks isolation=AgentIsolation.SHARED, but {'; '.join(reasons)}: use "
                "AgentIsolation.DEDICATED, or drop those options",
                path_of(self),
            )
        if asked is None and self.isolation is AgentIsolation.SHARED:
            report_info(member.scope, "DedicatedAgent",
                        f"agent {name} gets an API and tables of its own: {'; '.join(reasons)}")
        return AgentIsolation.DEDICATED

    def _share(self, api_options: dict[str, Any], session_store_options: dict[str, Any]) -> None:
        """The platform's API, proxy and session table, and each shared agent's route and key prefix in them."""
        shared = [(n, m) for n, m in self.agents.items() if m.isolation is AgentIsolation.SHARED]
        if any(self._spec_flag(n, "session_store") for n, _ in shared):
            self.sessions = AgentSessionStore(self, "Sessions", **session_store_options)
            for name, member in shared:
                if self._spec_flag(name, "session_store"):
                    self.sessions.bind(member.agent, key_prefix=contract.key_prefix(name))
        served = [(n, m) for n, m in shared if self._spec_flag(n, "facade")]
        if not served:
            return
        routes = []
        for name, member in served:
            spec = self._specs[name]
            options = dict(spec.facade_options) if spec is not None else {}
            routes.append(SharedApiAgent(route=name, agent=member.agent, staging=self._wants_staging(name), **options))
            member.route = name
        self.api = AgentPlatformApi(
            self, "Api", agents=routes, staging=self.staging, enable_waf=self._waf, **api_options,
        )
        if self.api.web_acl is not None:
            self._web_acl_arn = self.api.web_acl.attr_arn

    def _monitor(self, enabled: bool, alarm_name_prefix: str | None, alarm_topic: sns.ITopic | None) -> None:
        """One monitoring for the platform: the account's alarms and the shared front doors; each agent's alarms in
        it, or in the agent's nested stack (a monitoring of its own, to the same topic)."""
        monitored = [n for n in self.agents if enabled and self._spec_flag(n, "monitoring")]
        if not monitored:
            return
        monitoring = AgentMonitoring(self, "Monitoring", alarm_name_prefix=alarm_name_prefix, alarm_topic=alarm_topic)
        self.monitoring = monitoring
        if self.api is not None:
            self._monitor_api(monitoring, self.api)
        if self.sessions is not None:
            monitoring.monitor_table(self.sessions.table)
        for name in monitored:
            spec, member = self._specs[name], self.agents[name]
            # Compact alarms unless asked otherwise: one per level and evaluation window, saying what fired.
            options = {"compact": True, **dict(spec.monitoring_options if spec else {})}
            if isinstance(member.scope, cdk.NestedStack):
                own = AgentMonitoring(
                    member.scope, "Monitoring", alarm_name_prefix=monitoring.alarm_name_prefix,
                    alarm_topic=monitoring.alarm_topic, account_alarms=False,
                )
                member.monitoring = own
                own.monitor_agent(member.agent, **options)
                self._monitor_front_doors(own, member)
                monitoring.monitor_account_pools(member.agent)
            else:
                monitoring.monitor_agent(member.agent, **options)
                self._monitor_front_doors(monitoring, member)

    @staticmethod
    def _monitor_api(monitoring: AgentMonitoring, api: AgentPlatformApi) -> None:
        """The shared API and its proxy (latency and duration against the routes' fit), and the job table."""
        fits = [served.fit for served in api.agents.values()]
        monitoring.monitor_rest_api(
            api.api,
            integration_timeout=cdk.Duration.seconds(min(f.integration_timeout_seconds for f in fits)),
            proxy=api.proxy_function,
            proxy_timeout=api.proxy_function.timeout,
        )
        if api.jobs is not None:
            monitoring.monitor_table(api.jobs.table)

    @staticmethod
    def _monitor_front_doors(monitoring: AgentMonitoring, member: PlatformAgent) -> None:
        """A dedicated agent's REST API and proxy (latency and duration against the facade's fit), its job and session
        tables."""
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
        """A dedicated agent's own facade and session table."""
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
                # One web ACL for the whole platform: the first API creates it, the others share it.
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
                path_of(self),
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
        if platform.node.try_get_context(STACK_RESOURCE_LIMIT_CONTEXT) is not None:
            return []  # the app set CDK's own resource-limit check explicitly; it decides
        stack = cdk.Stack.of(platform)
        count = sum(
            1 for c in stack.node.find_all()
            if isinstance(c, cdk.CfnResource) and cdk.Stack.of(c) is stack
        )
        findings = stack_resource_findings(
            catalog_for(platform), region_of(platform), resources=count, agents=len(platform.agents)
        )
        return [f.render() for f in findings if f.severity is Severity.ERROR]
