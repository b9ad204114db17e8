"""AgentTool: a Lambda function an agent calls as a tool.

The agent learns its tools through one environment variable, :data:`TOOLS_ENVIRONMENT_KEY`, holding a
JSON list ``[{"name": ..., "arn": ..., "description": ...}, ...]`` that is kept up to date as tools are
added. Its role may invoke exactly the registered functions (``lambda:InvokeFunction`` on each
function ARN, nothing else).

Two steps, each doing one thing: :meth:`AgentTool.grant_invoke` only grants (to any grantee), :meth:`AgentTool.bind`
only lists the tool in an agent's environment. :meth:`AgentTool.add_to_agent` (and ``agents=[...]``) does both, which
is what an agent calling the tool needs.

Every limit (the Converse tool-name length, Lambda's function timeout and description length, the environment value
length of the tool list, the agent's invocation mode) is decided by :mod:`constructs_lib.planning.orchestration` and
reported at synth.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_lib._cdk.functions import DEFAULT_LOG_RETENTION, DEFAULT_PYTHON_RUNTIME, secure_function
from constructs_lib._cdk.kernel import kernel_grantee
from constructs_lib._cdk.props import PropChecks, check_construct_id
from constructs_lib._cdk.reporting import report, report_unresolved
from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.agent.interface import IAgentCoreAgent, check_agents, require_agent
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.planning.findings import Finding
from constructs_lib.planning.orchestration import (
    ToolEntry,
    Unchecked,
    tool_agent_findings,
    tool_definition_fit,
    tool_list_fit,
    tool_timeout_findings,
)

#: The agent environment variable that lists the agent's tools as JSON.
TOOLS_ENVIRONMENT_KEY = "AGENT_TOOLS"
#: The characters of a tool name as the Bedrock Converse API accepts them (``toolSpec.name``); its length is
#: checked against the catalog's ``bedrock_tool_name_length``.
TOOL_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")
#: Lambda's invoke action, the only one an agent gets on its tools.
INVOKE_FUNCTION = "lambda:InvokeFunction"
#: The tool function's timeout unless another is given (a default of the library, not a limit).
DEFAULT_TOOL_TIMEOUT = cdk.Duration.seconds(30)
_REGISTRY_ID = "AgentToolRegistry"


class _ToolRegistry(Construct):
    """The tools of one agent, kept under the agent so that each app and agent has its own list."""

    def __init__(self, agent: IAgentCoreAgent) -> None:
        super().__init__(cast(Construct, agent), _REGISTRY_ID)  # every agent is a construct (require_agent)
        self.entries: list[ToolEntry] = []

    @staticmethod
    def of(agent: IAgentCoreAgent) -> _ToolRegistry:
        existing = agent.node.try_find_child(_REGISTRY_ID)
        return existing if isinstance(existing, _ToolRegistry) else _ToolRegistry(agent)


def tools_of(agent: IAgentCoreAgent) -> list[dict[str, str]]:
    """The tools bound to ``agent`` (name, ARN and description), in registration order."""
    existing = agent.node.try_find_child(_REGISTRY_ID)
    return [e.as_json() for e in existing.entries] if isinstance(existing, _ToolRegistry) else []


class AgentTool(Construct):
    """Defines a Lambda function registered as a tool of one or more AgentCore agents.

    Resources (when no ``existing_function`` is given): the function (``Resource``, ``function`` and
    ``node.default_child``; ARM64, X-Ray tracing active) with its own role (``ServiceRole``, no managed policies),
    a log group with a retention (``LogGroup``) and an encrypted, TLS-only SQS dead-letter queue for asynchronous
    invocations (``DeadLetterQueue``, retained when the stack deletes it).

    Each agent the tool is added to may invoke exactly this function and finds it in its
    ``AGENT_TOOLS`` environment variable (a JSON list of ``{"name", "arn", "description"}``).

    Synth-time findings: ``ToolNameTooLong``, ``ToolDescriptionTooLong``, ``ToolTimeoutTooLong`` and
    ``ToolListTooLong`` fail synthesis; ``ToolTimeoutExceedsInvocationMode`` is an acknowledgeable warning. A name,
    description or timeout that is a token is not checked (an info note says so).

    Args:
        scope: parent construct.
        construct_id: construct id.
        tool_name: the name the model sees, letters, digits, ``_`` and ``-`` (:data:`TOOL_NAME_PATTERN`), at most
            the Converse tool-name length, unique per agent.
        description: what the tool does, for the model. Must not be empty; when the construct creates the
            function it is also the function's description, so at most Lambda's description length.
        code: the function code. Required unless ``existing_function`` is given.
        handler: the handler (``module.function``). Required unless ``existing_function`` is given.
        runtime: the Lambda runtime. Default: the newest Python runtime; any runtime is allowed.
        agents: agents to add the tool to now, as :meth:`add_to_agent` does. Default: none.
        timeout: the function timeout, at most Lambda's function timeout. Default: :data:`DEFAULT_TOOL_TIMEOUT`.
        memory_size: memory in MiB. Default: Lambda's default.
        reserved_concurrent_executions: reserved concurrency. Default: none (the unreserved pool).
        environment: the function's environment variables. Default: none.
        log_retention: retention of the function's log group. Default: one month.
        dead_letter_queue: create a dead-letter queue for asynchronous invocations. Default: True.
        existing_function: bring your own function instead; the construct then creates nothing and
            only registers it. Default: a new function as described above.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tool_name: str,
        description: str,
        code: lambda_.Code | None = None,
        handler: str | None = None,
        runtime: lambda_.Runtime | None = None,
        agents: Sequence[IAgentCoreAgent] = (),
        timeout: cdk.Duration | None = None,
        memory_size: int | None = None,
        reserved_concurrent_executions: int | None = None,
        environment: Mapping[str, str] | None = None,
        log_retention: logs.RetentionDays | None = None,
        dead_letter_queue: bool = True,
        existing_function: lambda_.IFunction | None = None,
    ) -> None:
        check_construct_id(construct_id)
        super().__init__(scope, construct_id)
        checks = PropChecks(path_of(self))
        checks.instance("code", code, lambda_.Code, "a lambda_.Code (Code.from_asset(...), ...)")
        checks.string("handler", handler, allowed="module.function")
        checks.instance("runtime", runtime, lambda_.Runtime, "a lambda_.Runtime")
        check_agents(checks, "agents", agents)
        checks.duration("timeout", timeout)
        checks.whole_number("memory_size", memory_size, minimum=1)
        checks.whole_number("reserved_concurrent_executions", reserved_concurrent_executions, minimum=0)
        checks.string_map("environment", environment)
        checks.choice("log_retention", log_retention, logs.RetentionDays)
        checks.boolean("dead_letter_queue", dead_letter_queue)
        checks.resource("existing_function", existing_function, "function_arn", "a lambda_.IFunction")
        checks.raise_if_any()
        self.catalog = catalog_for(self)
        self.region = region_of(self)
        name_known = not (isinstance(tool_name, str) and is_unresolved(tool_name))
        problems: list[str] = []
        if not isinstance(tool_name, str) or (name_known and not TOOL_NAME_PATTERN.match(tool_name)):
            problems.append(f"tool_name must match {TOOL_NAME_PATTERN.pattern}, got {tool_name!r}")
        if not isinstance(description, str) or not description.strip():
            problems.append(f"description must be a non-empty sentence the model can read, got {description!r}")
        raise_all("InvalidToolName", problems, path_of(self))
        self.tool_name: str = tool_name
        self.description: str = description

        if existing_function is not None and (code is not None or handler is not None):
            raise ConstructsLibValidationError(
                "ConflictingToolFunction", "provide existing_function or code and handler, not both", path_of(self)
            )
        if existing_function is None and (code is None or handler is None):
            raise ConstructsLibValidationError(
                "MissingToolCode", "provide code and handler (or existing_function)", path_of(self)
            )
        definition = tool_definition_fit(
            self.catalog,
            tool_name=tool_name,
            description=description,
            name_known=name_known,
            description_known=not is_unresolved(description),
            describes_function=existing_function is None,
        )
        self._report(definition.findings, definition.unchecked)

        self.timeout_seconds: float | None = None
        self.role: iam.IRole | None
        self.log_group: logs.ILogGroup | None = None
        self.dead_letter_queue: sqs.IQueue | None = None
        if existing_function is not None:
            self.function: lambda_.IFunction = existing_function
            self.role = existing_function.role
        else:
            chosen_timeout = timeout or DEFAULT_TOOL_TIMEOUT
            self.timeout_seconds = self._check_timeout(chosen_timeout)
            created = secure_function(
                self,
                purpose=f"agent tool {tool_name}",
                code=code,  # type: ignore[arg-type]
                handler=handler,  # type: ignore[arg-type]
                runtime=runtime or DEFAULT_PYTHON_RUNTIME,
                timeout=chosen_timeout,
                memory_size=memory_size,
                environment=environment,
                reserved_concurrent_executions=reserved_concurrent_executions,
                log_retention=log_retention or DEFAULT_LOG_RETENTION,
                dead_letter_queue=dead_letter_queue,
                # None when the description does not fit: ToolDescriptionTooLong fails synthesis, and Lambda's L2
                # would otherwise throw first and hide the app's other findings.
                description=definition.function_description,
                function_id="Resource",
            )
            self.function = created.function
            self.role = created.role
            self.log_group = created.log_group
            self.dead_letter_queue = created.dead_letter_queue
            self.node.default_child = created.function
        self.agents: list[IAgentCoreAgent] = []
        for agent in agents:
            self.add_to_agent(agent)

    # -- validation --------------------------------------------------------------------------------

    def _report(self, findings: Sequence[Finding], unchecked: Sequence[Unchecked]) -> None:
        report(self, findings)
        for note in unchecked:
            report_unresolved(self, note.prop, note.against)

    def _check_timeout(self, timeout: cdk.Duration) -> float | None:
        if timeout.is_unresolved():
            quota = self.catalog.resolve(QuotaName.LAMBDA_TIMEOUT, self.region)
            report_unresolved(self, "timeout", f"{quota.formatted()}, the {quota.describe()}")
            return None
        seconds = float(timeout.to_seconds())
        report(self, tool_timeout_findings(self.catalog, self.region, timeout_seconds=seconds))
        return seconds

    # -- public API --------------------------------------------------------------------------------

    def add_to_agent(self, agent: IAgentCoreAgent) -> iam.Grant:
        """Give ``agent`` this tool: :meth:`bind` it (list it in ``AGENT_TOOLS``) and :meth:`grant_invoke` it.

        Args:
            agent: the agent that calls the tool.

        Returns:
            The grant of ``lambda:InvokeFunction`` on this function's ARN to the agent's role.
        """
        require_agent(agent, "agent", path_of(self), grants=True)
        self.bind(agent)
        return self.grant_invoke(agent)

    def bind(self, agent: IAgentCoreAgent) -> None:
        """List the tool in ``agent``'s ``AGENT_TOOLS`` environment variable; grants nothing.

        The agent also needs :meth:`grant_invoke` to call the tool (:meth:`add_to_agent` does both).
        A list longer than the environment value limit fails synthesis (``ToolListTooLong``); a tool that may
        run longer than the agent waits draws ``constructs_lib:ToolTimeoutExceedsInvocationMode``.

        Args:
            agent: the agent that calls the tool.

        Raises:
            ConstructsLibValidationError: ``DuplicateToolName`` when the agent already has a tool of this name.
        """
        require_agent(agent, "agent", path_of(self))
        registry = _ToolRegistry.of(agent)
        if any(entry.name == self.tool_name for entry in registry.entries):
            raise ConstructsLibValidationError(
                "DuplicateToolName",
                f"agent {path_of(agent)} already has a tool named {self.tool_name!r}; tool names must be "
                "unique per agent",
                path_of(self),
            )
        arn = self.function.function_arn
        registry.entries.append(
            ToolEntry(self.tool_name, arn, self.description, arn_known=not is_unresolved(arn))
        )
        fit = tool_list_fit(
            agent.catalog, variable=TOOLS_ENVIRONMENT_KEY, agent=path_of(agent), tool_name=self.tool_name,
            entries=registry.entries,
        )
        self._report(fit.findings, fit.unchecked)
        if fit.fits:
            agent.add_environment(TOOLS_ENVIRONMENT_KEY, fit.value)
        self.agents.append(agent)
        if self.timeout_seconds is not None:
            plan = agent.plan
            report(self, tool_agent_findings(
                tool_name=self.tool_name, timeout_seconds=self.timeout_seconds, agent=path_of(agent),
                mode=plan.mode, mode_limit_seconds=plan.mode_limit_seconds,
                longest_task_seconds=plan.profile.longest_task_seconds,
            ))

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the function (``lambda:InvokeFunction`` on its ARN only); binds nothing.

        Exactly this function: the unqualified ARN an agent finds in ``AGENT_TOOLS`` (no versions, aliases or
        other functions), so the grant is written by hand rather than with ``Function.grant_invoke``, which
        would add the ``ARN:*`` wildcard.
        """
        return iam.Grant.add_to_principal(
            grantee=kernel_grantee(grantee), actions=[INVOKE_FUNCTION], resource_arns=[self.function.function_arn]
        )

    def metric_errors(self, **options: Any) -> cloudwatch.Metric:
        """Invocations that ended in a function error (Sum)."""
        return self.function.metric_errors(**options)

    def metric_throttles(self, **options: Any) -> cloudwatch.Metric:
        """Throttled invocations (Sum)."""
        return self.function.metric_throttles(**options)

    def metric_duration(self, **options: Any) -> cloudwatch.Metric:
        """Duration in milliseconds (Average unless ``statistic`` is given)."""
        return self.function.metric_duration(**options)

    def metric_invocations(self, **options: Any) -> cloudwatch.Metric:
        """Invocations (Sum)."""
        return self.function.metric_invocations(**options)
