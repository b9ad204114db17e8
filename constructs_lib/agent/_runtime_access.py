"""What an agent reads and grants through its L2 runtime: its ARN and id, the endpoint invoked by default, the invoke
grant and the runtime metrics per endpoint (through the L2's own ``metric``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam

from constructs_lib.limits.service import DEFAULT_ENDPOINT

#: The operation AgentCore publishes runtime metrics under (the L2's ``Operation`` dimension).
INVOKE_OPERATION = "InvokeAgentRuntime"


class _MetricSource(Protocol):
    """What the metrics are read from: the L2 runtime, its name and ARN."""

    @property
    def runtime(self) -> agentcore.IBedrockAgentRuntime: ...

    @property
    def runtime_name(self) -> str: ...

    @property
    def agent_runtime_arn(self) -> str: ...


class _RuntimeHolder(Protocol):
    """An agent holding its L2 runtime and its named endpoints."""

    @property
    def runtime(self) -> agentcore.IBedrockAgentRuntime: ...

    @property
    def endpoints(self) -> Mapping[str, Any]: ...


def runtime_metric(
    source: _MetricSource, metric_name: str, endpoint: str | None, **options: Any
) -> cloudwatch.Metric:
    """``metric_name`` of ``source``'s runtime for one endpoint (default: ``DEFAULT``), through the L2's ``metric``."""
    dimensions = {
        "Operation": INVOKE_OPERATION,
        "Name": f"{source.runtime_name}::{endpoint or DEFAULT_ENDPOINT}",
        "Resource": source.agent_runtime_arn,
    }
    return source.runtime.metric(metric_name, dimensions_map=dimensions, **options)


def _remembered(holder: object, key: str, read: Callable[[], str]) -> str:
    """A token attribute of the runtime, read from the kernel once per holder (it never changes)."""
    value: str | None = holder.__dict__.get(key)
    if value is None:
        value = holder.__dict__[key] = read()
    return value


class RuntimeAccess:
    """The members of an agent that go through its L2 runtime (``runtime``), shared by the agent the library defines
    and the one it adopts.

    ``metric`` and ``metric_*`` read ``AWS/Bedrock-AgentCore`` for any endpoint: the L2's own ``metric_*`` read the
    ``DEFAULT`` endpoint only; these take ``endpoint`` and pass the dimensions AgentCore publishes (``Operation``,
    ``Name=<runtime name>::<endpoint>``, ``Resource=<runtime ARN>``) to the runtime's ``metric``. A class using them
    has ``runtime``, ``runtime_name`` and ``endpoints``.
    """

    @property
    def agent_runtime_arn(self: _RuntimeHolder) -> str:
        """ARN of the runtime."""
        return _remembered(self, "_remembered_runtime_arn", lambda: self.runtime.agent_runtime_arn)

    @property
    def agent_runtime_id(self: _RuntimeHolder) -> str:
        """Id of the runtime."""
        return _remembered(self, "_remembered_runtime_id", lambda: self.runtime.agent_runtime_id)

    @property
    def default_qualifier(self: _RuntimeHolder) -> str:
        """The endpoint clients should invoke: the first named endpoint, or ``DEFAULT``."""
        return next(iter(self.endpoints), DEFAULT_ENDPOINT)

    def grant_invoke(self: _RuntimeHolder, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the agent on any endpoint (the runtime's own ``grant_invoke``: its ARN and
        ``ARN/*``)."""
        return self.runtime.grant_invoke(grantee)

    def metric(
        self: _MetricSource, metric_name: str, *, endpoint: str | None = None, **options: Any
    ) -> cloudwatch.Metric:
        """A runtime metric in ``AWS/Bedrock-AgentCore`` for one endpoint (default: ``DEFAULT``)."""
        return runtime_metric(self, metric_name, endpoint, **options)

    def metric_invocations(self: _MetricSource, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Invocations (Sum)."""
        return runtime_metric(self, "Invocations", endpoint, statistic="Sum", **options)

    def metric_throttles(self: _MetricSource, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Throttled invocations (Sum)."""
        return runtime_metric(self, "Throttles", endpoint, statistic="Sum", **options)

    def metric_system_errors(self: _MetricSource, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Server-side errors (Sum)."""
        return runtime_metric(self, "SystemErrors", endpoint, statistic="Sum", **options)

    def metric_user_errors(self: _MetricSource, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Client-side errors (Sum)."""
        return runtime_metric(self, "UserErrors", endpoint, statistic="Sum", **options)

    def metric_total_errors(self: _MetricSource, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """All errors (Sum)."""
        return runtime_metric(self, "TotalErrors", endpoint, statistic="Sum", **options)

    def metric_latency(self: _MetricSource, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Invocation latency in milliseconds (Average unless ``statistic`` is given)."""
        options.setdefault("statistic", "Average")
        return runtime_metric(self, "Latency", endpoint, **options)

    def metric_session_count(self: _MetricSource, *, endpoint: str | None = None, **options: Any) -> cloudwatch.Metric:
        """New sessions in the period (Sum); not a gauge of live sessions."""
        return runtime_metric(self, "SessionCount", endpoint, statistic="Sum", **options)


__all__ = ["INVOKE_OPERATION", "RuntimeAccess", "runtime_metric"]
