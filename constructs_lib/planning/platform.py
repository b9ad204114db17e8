"""Platform limits: what one shared API, one shared proxy and one CloudFormation template can hold.

Pure functions over counts and sizes the constructs measure; every limit is a catalog quota:

- :func:`shared_api_findings`: the REST API resources of a platform's shared API (one route per agent, and the
  ``invoke``, ``jobs``, ``jobs/{jobId}`` and ``uploads`` resources under it) against API Gateway's resources per API
  (adjustable: a warning), and the shared proxy's environment (the agents' routes) against Lambda's environment size
  (a hard limit: an error);
- :func:`template_size_findings`: a synthesized template against CloudFormation's template body size (read from S3,
  where the CDK CLI uploads every template above the request limit);
- :func:`stack_resource_findings`: the resources of a platform's stack against CloudFormation's resources per stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName, format_value
from constructs_lib.planning.findings import Finding, Severity

#: The way out of a shared API or proxy that is full, worded once.
SHARED_WAY_OUT = (
    "give some agents their own API and tables (AgentSpec(isolation=AgentIsolation.DEDICATED)), or split the agents "
    "over several AgentPlatforms"
)


@dataclass(frozen=True)
class SharedRoute:
    """What one agent adds to a shared API (counted by :func:`shared_api_resources`).

    Attributes:
        route: the agent's route (its path segment).
        invoke: ``POST /<route>/invoke`` is served.
        jobs: the job routes (``/<route>/jobs``, ``/<route>/jobs/{jobId}``) are served.
        uploads: ``POST /<route>/uploads`` is served.
    """

    route: str
    invoke: bool
    jobs: bool
    uploads: bool

    @property
    def resources(self) -> int:
        """The API Gateway resources of this route: itself and each path below it."""
        return 1 + int(self.invoke) + 2 * int(self.jobs) + int(self.uploads)


def shared_api_resources(routes: Sequence[SharedRoute]) -> int:
    """The API Gateway resources of a shared API: the root and every agent's."""
    return 1 + sum(route.resources for route in routes)


def shared_api_findings(
    catalog: QuotaCatalog,
    region: str | None,
    *,
    routes: Sequence[SharedRoute],
    environment_bytes: int,
) -> list[Finding]:
    """Findings of a platform's shared API and proxy.

    Args:
        catalog: the quotas.
        region: the stack's region, or ``None``.
        routes: the agents' routes.
        environment_bytes: the size of the shared proxy's environment (names and values; unresolved values counted
            at their longest).

    Findings: ``SharedApiResourcesExceeded`` (warning: API Gateway's resources per REST API, adjustable),
    ``SharedProxyEnvironmentFull`` (error: Lambda's environment size, a hard limit).
    """
    findings: list[Finding] = []
    resources = shared_api_resources(routes)
    per_api = catalog.resolve(QuotaName.API_GATEWAY_RESOURCES_PER_API, region)
    if resources > per_api.value:
        findings.append(Finding(
            Severity.WARNING, "SharedApiResourcesExceeded",
            f"the shared API of {len(routes)} agents has {resources:,} resources (the root, each agent's route and "
            f"the paths below it), more than {per_api.formatted()}, the {per_api.describe()}; {SHARED_WAY_OUT}, or "
            f"{per_api.increase_advice()}",
            per_api.quota.name, resources, per_api.value,
        ))
    findings += environment_findings(
        catalog, region, code="SharedProxyEnvironmentFull",
        what=f"the shared proxy's environment for {len(routes)} agents (each agent's route, runtime id and endpoint)",
        size_bytes=environment_bytes, way_out=SHARED_WAY_OUT,
    )
    return findings


def environment_findings(
    catalog: QuotaCatalog, region: str | None, *, code: str, what: str, size_bytes: int, way_out: str
) -> list[Finding]:
    """``code`` (error) when a function's environment, ``what``, takes more than Lambda's environment size."""
    environment = catalog.resolve(QuotaName.LAMBDA_ENVIRONMENT_SIZE, region)
    if size_bytes <= environment.value:
        return []
    return [Finding(
        Severity.ERROR, code,
        f"{what} takes {format_value(size_bytes, environment.quota.unit)}, more than {environment.formatted()}, the "
        f"{environment.describe()}; {way_out}",
        environment.quota.name, size_bytes, environment.value,
    )]


def template_size_findings(
    catalog: QuotaCatalog, region: str | None, *, template: str, size_bytes: int, agents: int
) -> list[Finding]:
    """``TemplateBodyTooLarge`` (error) when the synthesized ``template`` is larger than CloudFormation reads.

    Args:
        catalog: the quotas.
        region: the stack's region, or ``None``.
        template: the template's file name in the cloud assembly.
        size_bytes: its size.
        agents: how many platform agents it holds (for the per-agent figure in the message; 0 when unknown).
    """
    quota = catalog.resolve(QuotaName.CLOUDFORMATION_TEMPLATE_BODY_S3, region)
    if size_bytes <= quota.value:
        return []
    per_agent = f", about {format_value(size_bytes / agents, quota.quota.unit)} per agent" if agents else ""
    return [Finding(
        Severity.ERROR, "TemplateBodyTooLarge",
        f"template {template} is {format_value(size_bytes, quota.quota.unit)}{per_agent}, more than "
        f"{quota.formatted()}, the {quota.describe()}; use placement=AgentPlacement.NESTED_STACK_PER_AGENT (each "
        "agent's resources, alarms and dashboard in its own template), or fewer agents per stack",
        quota.quota.name, size_bytes, quota.value,
    )]


def stack_resource_findings(
    catalog: QuotaCatalog, region: str | None, *, resources: int, agents: int
) -> list[Finding]:
    """``StackResourceLimit`` (error) when a platform's stack holds more resources than CloudFormation allows."""
    limit = catalog.resolve(QuotaName.CLOUDFORMATION_RESOURCES_PER_STACK, region)
    if resources <= limit.value:
        return []
    per_agent = -(-resources // max(1, agents))
    return [Finding(
        Severity.ERROR, "StackResourceLimit",
        f"the stack holds {resources:,} resources, more than {limit.formatted()}, the {limit.describe()}; about "
        f"{per_agent} per agent: use placement=AgentPlacement.NESTED_STACK_PER_AGENT, or one stack per AgentPlatform",
        limit.quota.name, resources, limit.value,
    )]


__all__ = [
    "SHARED_WAY_OUT",
    "SharedRoute",
    "environment_findings",
    "shared_api_findings",
    "shared_api_resources",
    "stack_resource_findings",
    "template_size_findings",
]
