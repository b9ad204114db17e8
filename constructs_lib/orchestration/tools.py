"""AgentTool: a Lambda function an agent calls as a tool.

The agent learns its tools through one environment variable, :data:`TOOLS_ENVIRONMENT_KEY`, holding a
JSON list ``[{"name": ..., "arn": ..., "description": ...}, ...]`` that is kept up to date as tools are
added. Its role may invoke exactly the registered functions (``lambda:InvokeFunction`` on each
function ARN, nothing else).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_lib._cdk.functions import DEFAULT_LOG_RETENTION, DEFAULT_PYTHON_RUNTIME, secure_function
from constructs_lib._cdk.reporting import report_unresolved, report_warning
from constructs_lib._cdk.scope import catalog_for, region_of
from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaName, Unit, format_value

#: The agent environment variable that lists the agent's tools as JSON.
TOOLS_ENVIRONMENT_KEY = "AGENT_TOOLS"
#: Tool names as the Bedrock Converse API accepts them (``toolSpec.name``).
TOOL_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
#: Lambda's invoke action, the only one an agent gets on its tools.
INVOKE_FUNCTION = "lambda:InvokeFunction"
#: The longest a Lambda function ARN can be (64-character name, longest partition and region), used to
#: estimate the length of :data:`TOOLS_ENVIRONMENT_KEY` while the ARNs are still tokens.
_FUNCTION_ARN_MAX_LENGTH = 140
_REGISTRY_ID = "AgentToolRegistry"


class _ToolRegistry(Construct):
    """The tools of one agent, kept under the agent so that each app and agent has its own list."""

    def __init__(self, agent: AgentCoreAgent) -> None:
        super().__init__(agent, _REGISTRY_ID)
        self.entries: list[dict[str, str]] = []

    @staticmethod
    def of(agent: AgentCoreAgent) -> _ToolRegistry:
        existing = agent.node.try_find_child(_REGISTRY_ID)
        return existing if isinstance(existing, _ToolRegistry) else _ToolRegistry(agent)


def tools_of(agent: AgentCoreAgent) -> list[dict[str, str]]:
    """The tools registered on ``agent`` (name, ARN and description), in registration order."""
    existing = agent.node.try_find_child(_REGISTRY_ID)
    return [dict(e) for e in existing.entries] if isinstance(existing, _ToolRegistry) else []


class AgentTool(Construct):
    """Defines a Lambda function registered as a tool of one or more AgentCore agents.

    Resources (when no ``existing_function`` is given): the function (``Function``, ARM64, X-Ray
    tracing active) with its own role (``ServiceRole``, no managed policies), a log group with a
    retention (``LogGroup``) and an encrypted, TLS-only SQS dead-letter queue for asynchronous
    invocations (``DeadLetterQueue``).

    Each agent the tool is added to may invoke exactly this function and finds it in its
    ``AGENT_TOOLS`` environment variable (a JSON list of ``{"name", "arn", "description"}``).

    Args:
        scope: parent construct.
        construct_id: construct id.
        tool_name: the name the model sees, ``^[a-zA-Z0-9_-]{1,64}$``, unique per agent.
        description: what the tool does, for the model. Must not be empty.
        code: the function code. Required unless ``existing_function`` is given.
        handler: the handler (``module.function``). Required unless ``existing_function`` is given.
        runtime: the Lambda runtime. Default: the newest Python runtime; any runtime is allowed.
        agents: agents to register the tool with now (more with :meth:`add_to_agent`). Default: none.
        timeout: the function timeout, at most Lambda's function timeout (15 min). Default: 30 seconds.
        memory_size: memory in MiB. Default: Lambda's default (128 MiB).
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
        agents: Sequence[AgentCoreAgent] = (),
        timeout: cdk.Duration | None = None,
        memory_size: int | None = None,
        reserved_concurrent_executions: int | None = None,
        environment: Mapping[str, str] | None = None,
        log_retention: logs.RetentionDays | None = None,
        dead_letter_queue: bool = True,
        existing_function: lambda_.IFunction | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.catalog = catalog_for(self)
        self.region = region_of(self)
        problems: list[str] = []
        if not isinstance(tool_name, str) or not TOOL_NAME_PATTERN.match(tool_name):
            problems.append(f"tool_name must match {TOOL_NAME_PATTERN.pattern}, got {tool_name!r}")
        if not isinstance(description, str) or not description.strip():
            problems.append(f"description must be a non-empty sentence the model can read, got {description!r}")
        raise_all("InvalidToolName", problems, self.node.path)
        self.tool_name: str = tool_name
        self.description: str = description

        if existing_function is not None and (code is not None or handler is not None):
            raise ConstructsLibValidationError(
                "ConflictingToolFunction", "provide existing_function or code and handler, not both", self.node.path
            )
        if existing_function is None and (code is None or handler is None):
            raise ConstructsLibValidationError(
                "MissingToolCode", "provide code and handler (or existing_function)", self.node.path
            )

        self.timeout_seconds: float | None = None
        self.role: iam.IRole | None
        self.log_group: logs.ILogGroup | None = None
        self.dead_letter_queue: sqs.IQueue | None = None
        if existing_function is not None:
            self.function: lambda_.IFunction = existing_function
            self.role = existing_function.role
        else:
            chosen_timeout = timeout or cdk.Duration.seconds(30)
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
                description=description[:256],
            )
            self.function = created.function
            self.role = created.role
            self.log_group = created.log_group
            self.dead_letter_queue = created.dead_letter_queue
            self.node.default_child = created.function
        self.agents: list[AgentCoreAgent] = []
        for agent in agents:
            self.add_to_agent(agent)

    # -- validation --------------------------------------------------------------------------------

    def _check_timeout(self, timeout: cdk.Duration) -> float | None:
        if timeout.is_unresolved():
            report_unresolved(self, "timeout", "Lambda's function timeout")
            return None
        seconds = float(timeout.to_seconds())
        quota = self.catalog.resolve(QuotaName.LAMBDA_TIMEOUT, self.region)
        if seconds > quota.value:
            raise ConstructsLibValidationError(
                "ToolTimeoutTooLong",
                f"timeout {format_value(seconds, Unit.SECONDS)} exceeds {quota.formatted()}, the "
                f"{quota.describe()}; {quota.increase_advice()}: split the work, or let the tool start an "
                "AgentPipeline (Step Functions) and return at once",
                self.node.path,
            )
        return seconds

    def _check_against_agent(self, agent: AgentCoreAgent) -> None:
        if self.timeout_seconds is None:
            return
        plan = agent.plan
        limit = plan.mode_limit_seconds
        reason = f"the {plan.mode.value} invocation mode allows {format_value(limit, Unit.SECONDS)}"
        longest = plan.profile.longest_task_seconds
        if longest is not None and longest < limit:
            limit = longest
            reason = f"the agent's longest_task is {format_value(longest, Unit.SECONDS)}"
        if self.timeout_seconds > limit:
            report_warning(
                self,
                "ToolTimeoutExceedsInvocationMode",
                f"tool {self.tool_name!r} may run "
                f"{format_value(self.timeout_seconds, Unit.SECONDS)}, longer than agent {agent.node.path} can "
                f"wait for it ({reason}); lower the tool timeout, make the tool asynchronous (return a job id "
                "and let the agent poll), or plan the agent for a longer task (workload=WorkloadProfile("
                "longest_task=...))",
            )

    # -- public API --------------------------------------------------------------------------------

    def add_to_agent(self, agent: AgentCoreAgent) -> iam.Grant:
        """Register the tool with ``agent``: allow the agent to invoke the function and list it in the
        agent's ``AGENT_TOOLS`` environment variable.

        Args:
            agent: the agent that calls the tool.

        Returns:
            The grant of ``lambda:InvokeFunction`` on this function's ARN to the agent's role.

        Raises:
            ConstructsLibValidationError: ``DuplicateToolName`` when the agent already has a tool of
                this name; ``InvalidEnvironment`` when the tool list would no longer fit the agent's
                environment variable value quota.
        """
        registry = _ToolRegistry.of(agent)
        if any(entry["name"] == self.tool_name for entry in registry.entries):
            raise ConstructsLibValidationError(
                "DuplicateToolName",
                f"agent {agent.node.path} already has a tool named {self.tool_name!r}; tool names must be "
                "unique per agent",
                self.node.path,
            )
        entries = [
            *registry.entries,
            {"name": self.tool_name, "arn": self.function.function_arn, "description": self.description},
        ]
        self._check_environment_length(agent, entries)
        registry.entries = entries
        agent.add_environment(TOOLS_ENVIRONMENT_KEY, json.dumps(entries, separators=(",", ":")))
        # Exactly this function: the unqualified ARN the agent finds in AGENT_TOOLS (no versions, aliases
        # or other functions), so the grant is written by hand rather than with Function.grant_invoke,
        # which would add the ``ARN:*`` wildcard.
        grant = iam.Grant.add_to_principal(
            grantee=agent.runtime, actions=[INVOKE_FUNCTION], resource_arns=[self.function.function_arn]
        )
        self.agents.append(agent)
        self._check_against_agent(agent)
        return grant

    def _check_environment_length(self, agent: AgentCoreAgent, entries: list[dict[str, str]]) -> None:
        estimate = [
            {**entry, "arn": "x" * _FUNCTION_ARN_MAX_LENGTH if cdk.Token.is_unresolved(entry["arn"]) else entry["arn"]}
            for entry in entries
        ]
        length = len(json.dumps(estimate, separators=(",", ":")))
        quota = agent.catalog.resolve(QuotaName.ENVIRONMENT_VARIABLE_VALUE_LENGTH)
        if length > quota.value:
            raise ConstructsLibValidationError(
                "InvalidEnvironment",
                f"the {TOOLS_ENVIRONMENT_KEY} list of agent {agent.node.path} would be up to {length} characters "
                f"with tool {self.tool_name!r}, more than {quota.formatted()}, the {quota.describe()}; shorten "
                "tool descriptions, or give the agent fewer tools (an AgentCore Gateway can front many)",
                self.node.path,
            )

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the function (``lambda:InvokeFunction`` on its ARN only)."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=[INVOKE_FUNCTION], resource_arns=[self.function.function_arn]
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
