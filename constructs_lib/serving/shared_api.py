"""AgentPlatformApi: one REST API and one proxy for several agents, each under a route of its own.

A platform with tens of agents gets one regional REST API (``/<route>/invoke``, ``/<route>/jobs``,
``/<route>/jobs/{jobId}``, ``/<route>/uploads`` per agent, as :class:`~constructs_lib.serving.api_facade.AgentApiFacade`
serves them for one), one Lambda proxy (:mod:`constructs_lib.handlers.invoke_proxy` with the agents' routes in its
environment) and one job table, instead of one of each per agent.

What stays per agent:

- **throttles**: each agent's methods carry its plan's throttle as method-level stage settings and as per-method
  throttles of the API's usage plan (``POST /<route>/jobs`` within the session-creation rate as well);
- **permissions**: the proxy may invoke exactly the agents' runtimes and endpoints (each ARN named), sign staging URLs
  under each staged agent's prefixes only, and each agent may report only its own job records (IAM condition
  ``dynamodb:LeadingKeys`` on its key prefix ``<route>#``);
- **caller isolation**: the route of a request (API Gateway's resource, which a client cannot choose) names its agent;
  a caller's runtime session is derived from the caller, the client's session id and the agent, its jobs are keyed
  under the agent's prefix, its staged objects under the agent's prefixes and its own segment, so a caller can reach
  neither another caller's session, job or object, nor its own on another agent through this one's route.

Limits (:func:`constructs_lib.planning.platform.shared_api_findings`): API Gateway's resources per REST API (warning
``SharedApiResourcesExceeded``) and Lambda's environment size for the agents' routes (error
``SharedProxyEnvironmentFull``), both with the way out: agents of their own (``AgentIsolation.DEDICATED``) or another
platform. Each agent's own fit (:func:`constructs_lib.planning.serving.rest_fit`) is reported as for a facade; the
shared proxy answers buffered: an agent that needs REST response streaming is refused (``SharedApiCannotStream``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from constructs_lib._cdk.functions import (
    DEFAULT_LOG_RETENTION,
    DEFAULT_PYTHON_RUNTIME,
    handler_code,
    powertools_layer,
    secure_function,
)
from constructs_lib._cdk.reporting import report
from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.agent.interface import IAgentCoreAgent
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.handlers import contract
from constructs_lib.limits.service import ID_SUFFIX_LENGTH, UNRESOLVED_NAME_MAX_LENGTH
from constructs_lib.planning.agent_plan import InvocationMode
from constructs_lib.planning.findings import Finding
from constructs_lib.planning.platform import SharedRoute, shared_api_findings
from constructs_lib.planning.serving import RestFit, rest_fit, rest_needs_streaming
from constructs_lib.serving._facade_base import FacadeCore, endpoint_arns, invoke_actions, proxy_environment
from constructs_lib.serving._rest import (
    UPLOAD_SCHEMA,
    acknowledge_auth,
    default_request_schema,
    json_model,
    managed_rules_web_acl,
    rest_authorization,
    rest_stage_options,
)
from constructs_lib.serving.auth import AuthKind, FacadeAuth
from constructs_lib.serving.jobs import AgentJobs, time_to_live_for
from constructs_lib.serving.payload_staging import PayloadStaging

#: What the shared proxy's asset holds (the buffered proxy and what it imports; the contract is added).
_PROXY_FILES = ("invoke_proxy.py", "agent_calls.py", "caller.py", "clients.py", "inputs.py", "rollout.py",
                "session_budget.py", "staging_urls.py")
#: Routes: a URL path segment, also the agent's key prefix in the shared tables (no ``#``, no ``/``).
ROUTE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: The staging variables a shared proxy reads once (each agent's prefixes follow from its runtime id).
_SHARED_STAGING_VARIABLES = (
    contract.ENV_STAGING_BUCKET, contract.ENV_STAGING_URL_EXPIRY_SECONDS, contract.ENV_STAGING_MAX_OBJECT_BYTES,
)


@dataclass(frozen=True, kw_only=True)
class SharedApiAgent:
    """One agent of an :class:`AgentPlatformApi`.

    Attributes:
        route: the agent's path segment (letters, digits, ``_`` and ``-``; at most 64 characters), also the prefix of
            its keys in the shared tables (``<route>#``).
        agent: the agent.
        staging: the agent's callers may stage payloads (``POST /<route>/uploads``, ``payloadKey``) in the API's
            staging bucket. Default: False.
        jobs: serve the job API. Default: when the agent is planned asynchronous.
        invoke_route: serve ``POST /<route>/invoke``. Default: unless the agent is planned asynchronous.
        throttle_rate_limit: the agent's steady-state rate. Default: its plan's ``api_throttle_rate``.
        throttle_burst_limit: the agent's burst. Default: its plan's ``api_throttle_burst``.
    """

    route: str
    agent: IAgentCoreAgent
    staging: bool = False
    jobs: bool | None = None
    invoke_route: bool | None = None
    throttle_rate_limit: float | None = None
    throttle_burst_limit: int | None = None


@dataclass(frozen=True)
class ServedAgent:
    """What the shared API serves for one agent.

    Attributes:
        route: the agent's path segment.
        agent: the agent.
        fit: how its routes fit the limits of API Gateway and Lambda.
        throttle_rate_limit: its methods' steady-state rate.
        throttle_burst_limit: its methods' burst.
        staging: its callers may stage payloads.
        resource: the API resource ``/<route>``.
        methods: its methods by ``<path below the route>/<HTTP method>`` (``invoke/POST``...).
    """

    route: str
    agent: IAgentCoreAgent
    fit: RestFit
    throttle_rate_limit: float
    throttle_burst_limit: int
    staging: bool
    resource: apigw.Resource
    methods: dict[str, apigw.Method]

    @property
    def key_prefix(self) -> str:
        """The prefix of the agent's keys in the shared tables (``<route>#``)."""
        return contract.key_prefix(self.route)

    def throttle(self, method: str) -> tuple[float, int]:
        """The (rate, burst) of one of its methods (``invoke/POST``...)."""
        return _throttle(self.throttle_rate_limit, self.throttle_burst_limit, self.fit, method)


class AgentPlatformApi(Construct):
    """Defines one REST API and one Lambda proxy serving several AgentCore agents, each under its own route.

    Resources: a regional ``RestApi`` (``api``, ``Resource`` and ``node.default_child``) with a request validator and
    body models, a stage (``stage``) with JSON access logs, X-Ray tracing, execution logging, a stage throttle no
    higher than the lowest agent's and each agent's throttle on its own methods, a usage plan with the same per-method
    throttles (``usage_plan``), one proxy function with its role and log group (``proxy_function``) invoked through one
    Lambda permission for the whole API, the job table when an agent serves jobs (``jobs``), and a WAF web ACL or an
    association with a given one.

    Args:
        scope: parent construct.
        construct_id: construct id.
        agents: the agents and their routes.
        auth: how clients authenticate, on every route. Default: IAM (SigV4).
        staging: the staging bucket of the agents with ``staging=True``. Default: none (no agent may stage).
        job_time_to_live: how long job records are kept. Default: the :class:`AgentJobs` default, or the longest job
            an agent may run when that is longer (Instances compute).
        waf_web_acl_arn: an existing regional web ACL to associate with the stage. Default: none.
        enable_waf: create a web ACL with AWS managed rules and associate it. Default: False.
        stage_name: the stage name. Default: ``prod``.
        log_retention: retention of the access log and proxy log groups. Default: one month.
        logging_level: execution logging level of the stage. Default: ERROR.
        api_name: the API's name. Default: generated from the construct path.
        send_runtime_user_id: send the caller to the agents as ``runtimeUserId``. Default: True.

    Raises:
        ConstructsLibValidationError: ``InvalidProps`` (an agent that is not a :class:`SharedApiAgent`, ``staging``
            asked without a bucket), ``NoAgents``, ``InvalidRoute``, ``DuplicateRoute``, ``DuplicateAgent``,
            ``SharedApiCannotStream``, ``NoRoutes``, ``ConflictingWafOptions``, and the facade codes of
            :class:`~constructs_lib.serving.api_facade.AgentApiFacade` (``UnsupportedAuth``, ``InvalidThrottle``...).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        agents: Sequence[SharedApiAgent],
        auth: FacadeAuth | None = None,
        staging: PayloadStaging | None = None,
        job_time_to_live: cdk.Duration | None = None,
        waf_web_acl_arn: str | None = None,
        enable_waf: bool = False,
        stage_name: str = "prod",
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        logging_level: apigw.MethodLoggingLevel = apigw.MethodLoggingLevel.ERROR,
        api_name: str | None = None,
        send_runtime_user_id: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self._check_agents(agents, staging)
        if waf_web_acl_arn is not None and enable_waf:
            raise ConstructsLibValidationError(
                "ConflictingWafOptions", "provide waf_web_acl_arn or enable_waf, not both", path_of(self)
            )
        self.staging: PayloadStaging | None = staging
        self.stage_name: str = stage_name
        catalog, region = catalog_for(self), region_of(self)
        cores = [
            FacadeCore(
                self, agent=member.agent, auth=auth, supported_auth=tuple(AuthKind), qualifier=None,
                throttle_rate_limit=member.throttle_rate_limit, throttle_burst_limit=member.throttle_burst_limit,
                staging=staging if member.staging else None, send_runtime_user_id=send_runtime_user_id,
            )
            for member in agents
        ]
        self._core = cores[0]
        self.auth: FacadeAuth = self._core.auth
        fits = [self._fit(member, core, catalog, region) for member, core in zip(agents, cores, strict=True)]

        self.jobs: AgentJobs | None = None
        if any(fit.jobs for fit in fits):
            self.jobs = AgentJobs(
                self, "Jobs", time_to_live=job_time_to_live or time_to_live_for([member.agent for member in agents])
            )
        self.proxy_function: lambda_.Function = self._proxy(agents, cores, fits, log_retention, send_runtime_user_id)
        self.access_log_group: logs.LogGroup = self._core.access_log_group(log_retention)
        self.api: apigw.RestApi = self._rest_api(agents, cores, fits, stage_name, logging_level, api_name)
        self.node.default_child = self.api
        self.stage: apigw.Stage = self.api.deployment_stage
        self.request_validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        self.request_model = json_model(self.api, "RequestModel", default_request_schema(catalog))
        self._upload_model: apigw.Model | None = None
        self._integration = self._shared_integration(fits)
        self.agents: dict[str, ServedAgent] = {
            member.route: self._serve(member, core, fit) for member, core, fit in zip(agents, cores, fits, strict=True)
        }
        self.usage_plan: apigw.UsagePlan = self._usage_plan()
        self.web_acl: wafv2.CfnWebACL | None = None
        if enable_waf:
            self.web_acl = managed_rules_web_acl(self, catalog)
            waf_web_acl_arn = self.web_acl.attr_arn
        if waf_web_acl_arn is not None:
            wafv2.CfnWebACLAssociation(self, "WebAclAssociation", resource_arn=self.stage.stage_arn,
                                       web_acl_arn=waf_web_acl_arn)
        acknowledge_auth(self.api, self.auth, f"the shared API of {len(agents)} agents")
        report(self, self.findings)

    # -- props ---------------------------------------------------------------------------------------

    def _check_agents(self, agents: Sequence[SharedApiAgent], staging: PayloadStaging | None) -> None:
        path = path_of(self)
        if not isinstance(agents, Sequence) or not all(isinstance(a, SharedApiAgent) for a in agents):
            raise ConstructsLibValidationError(
                "InvalidProps", f"agents must be a list of SharedApiAgent, got {agents!r}", path
            )
        if not agents:
            raise ConstructsLibValidationError("NoAgents", "agents must list at least one agent", path)
        problems = [
            f"route {a.route!r} of agent {a.agent.runtime_name} must be 1 to 64 letters, digits, '_' and '-', "
            "starting with a letter or digit"
            for a in agents if not isinstance(a.route, str) or not ROUTE_PATTERN.fullmatch(a.route)
        ]
        raise_all("InvalidRoute", problems, path)
        for code, values in (("DuplicateRoute", [a.route for a in agents]),
                             ("DuplicateAgent", [a.agent.runtime_name for a in agents])):
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ConstructsLibValidationError(
                    code, f"each agent and route may appear once, got {', '.join(twice)} more than once", path
                )
        staged = [a.route for a in agents if a.staging]
        if staged and staging is None:
            raise ConstructsLibValidationError(
                "InvalidProps", f"agents {', '.join(staged)} ask for staging, but no staging bucket is given", path
            )

    def _fit(self, member: SharedApiAgent, core: FacadeCore, catalog: Any, region: str | None) -> RestFit:
        agent = member.agent
        fit = rest_fit(
            agent.plan, catalog, region, throttle=core.throttle, streaming=False, jobs=member.jobs,
            invoke_route=member.invoke_route, staging=member.staging,
        )
        path = path_of(self)
        streams = agent.plan.mode is InvocationMode.STREAMING or rest_needs_streaming(agent.plan, catalog, region)
        if streams and fit.invoke_route:
            raise ConstructsLibValidationError(
                "SharedApiCannotStream",
                f"agent {agent.runtime_name} is planned {agent.plan.mode.value} with tasks its POST /invoke can only "
                "answer through REST response streaming, which the shared proxy does not serve; give it its own facade "
                "(AgentSpec(isolation=AgentIsolation.DEDICATED)), or serve it through jobs (jobs=True, "
                "invoke_route=False)",
                path,
            )
        if not (fit.invoke_route or fit.jobs):
            raise ConstructsLibValidationError(
                "NoRoutes", f"invoke_route and jobs are both off for agent {agent.runtime_name}: nothing to serve", path
            )
        # The facade's findings, said of the agent they concern.
        report(self, [replace(f, message=f"agent {agent.runtime_name}: {f.message}") for f in fit.findings])
        return fit

    # -- the proxy -----------------------------------------------------------------------------------

    def _routes_variable(self, agents: Sequence[SharedApiAgent], cores: Sequence[FacadeCore]) -> dict[str, Any]:
        return {
            member.route: [member.agent.runtime.agent_runtime_id, core.qualifier, 1 if member.staging else 0]
            for member, core in zip(agents, cores, strict=True)
        }

    def _proxy(
        self,
        agents: Sequence[SharedApiAgent],
        cores: Sequence[FacadeCore],
        fits: Sequence[RestFit],
        log_retention: logs.RetentionDays,
        send_runtime_user_id: bool,
    ) -> lambda_.Function:
        stack = cdk.Stack.of(self)
        # Every agent's routes answer within the same limits (buffered): the shortest deadline serves them all.
        timeout = min(fit.proxy_timeout_seconds for fit in fits)
        read_timeout = min(fit.read_timeout_seconds for fit in fits)
        routes = self._routes_variable(agents, cores)
        environment: dict[str, str] = {
            **proxy_environment(handler="invoke_proxy.handler", read_timeout_seconds=read_timeout, invokes=True,
                                binds_sessions=True, send_runtime_user_id=send_runtime_user_id),
            contract.ENV_MAX_REQUEST_BYTES: str(min(fit.max_request_bytes for fit in fits)),
            contract.ENV_MAX_RESPONSE_BYTES: str(min(fit.max_response_bytes for fit in fits)),
            contract.ENV_AGENT_ROUTES: stack.to_json_string(routes),
            contract.ENV_AGENT_RUNTIME_ARN_PREFIX: (
                f"arn:{stack.partition}:bedrock-agentcore:{stack.region}:{stack.account}:runtime/"
            ),
        }
        if self.jobs is not None:
            environment.update(self.jobs.environment_for_proxy())
        if self.staging is not None and any(member.staging for member in agents):
            first = next(member.agent for member in agents if member.staging)
            variables = self.staging.environment_for_proxy(first)
            environment.update({name: variables[name] for name in _SHARED_STAGING_VARIABLES})
        self._environment = environment
        self._routes = routes
        self._runtime_names = {member.route: member.agent.runtime_name for member in agents}
        created = secure_function(
            Construct(self, "Proxy"),
            purpose=f"shared API proxy of {len(agents)} agents",
            code=handler_code(*_PROXY_FILES),
            handler="invoke_proxy.handler",
            runtime=DEFAULT_PYTHON_RUNTIME,
            timeout=cdk.Duration.seconds(timeout),
            memory_size=512,
            environment=environment,
            log_retention=log_retention,
            dead_letter_queue=False,
            description=f"Proxies API Gateway requests to {len(agents)} AgentCore runtimes, one route each",
            layers=[powertools_layer(self, DEFAULT_PYTHON_RUNTIME)],
        )
        function = created.function
        # Exactly the agents' runtimes and the endpoints their routes invoke, each named.
        for member, core, fit in zip(agents, cores, fits, strict=True):
            actions = invoke_actions(invokes=True, stops_sessions=fit.jobs, send_runtime_user_id=send_runtime_user_id)
            iam.Grant.add_to_principal(grantee=function, actions=actions,
                                       resource_arns=endpoint_arns(member.agent, core.qualifier))
            if send_runtime_user_id:
                # An invocation for a user makes AgentCore fetch the user's workload access token with the agent's
                # execution role: allow it, on the agent's own workload identity only.
                member.agent.allow_workload_token_for_user_id()
            if fit.jobs:
                assert self.jobs is not None
                self.jobs.bind(member.agent, key_prefix=contract.key_prefix(member.route))
            if member.staging:
                assert self.staging is not None
                self.staging.grant_presign_upload(function, agent=member.agent)
                self.staging.grant_presign_download(function, agent=member.agent)
                if fit.invoke_route:
                    self.staging.grant_stage_answers(function, agent=member.agent)
                self.staging.bind(member.agent)
        if self.jobs is not None:
            self.jobs.grant_start(function)
        return function

    @property
    def environment_bytes(self) -> int:
        """The size of the shared proxy's environment (Lambda counts names and values), with each runtime id at its
        name's length plus AgentCore's suffix and every other unresolved value at the longest name it could be."""
        size = 0
        for name, value in self._environment.items():
            if name == contract.ENV_AGENT_ROUTES:
                ids = {
                    route: [runtime_name + "-" + "x" * ID_SUFFIX_LENGTH, *self._routes[route][1:]]
                    for route, runtime_name in self._runtime_names.items()
                }
                value = json.dumps(ids, separators=(",", ":"))
            elif is_unresolved(value):
                value = "x" * UNRESOLVED_NAME_MAX_LENGTH
            size += len(name.encode("utf-8")) + len(value.encode("utf-8"))
        return size

    # -- the API -------------------------------------------------------------------------------------

    def _rest_api(
        self,
        agents: Sequence[SharedApiAgent],
        cores: Sequence[FacadeCore],
        fits: Sequence[RestFit],
        stage_name: str,
        logging_level: apigw.MethodLoggingLevel,
        name: str | None,
    ) -> apigw.RestApi:
        authorization_type, authorizer, scopes = rest_authorization(self, self._core)
        return apigw.RestApi(
            self,
            "Resource",
            rest_api_name=name,
            description=f"Shared API of {len(agents)} AgentCore agents, one route each",
            endpoint_configuration=apigw.EndpointConfiguration(types=[apigw.EndpointType.REGIONAL]),
            cloud_watch_role=False,
            deploy_options=rest_stage_options(
                stage_name=stage_name, access_log_group=self.access_log_group, logging_level=logging_level,
                # Nothing unlisted gets more than the most restricted agent; each agent's methods carry its own.
                throttle_rate_limit=min(core.throttle_rate_limit for core in cores),
                throttle_burst_limit=min(core.throttle_burst_limit for core in cores),
                method_options={
                    f"/{member.route}/{method}": apigw.MethodDeploymentOptions(
                        throttling_rate_limit=rate, throttling_burst_limit=burst, logging_level=logging_level,
                        metrics_enabled=True, data_trace_enabled=False,
                    )
                    for member, core, fit in zip(agents, cores, fits, strict=True)
                    for method in _methods(fit, member.staging)
                    for rate, burst in [_throttle(core.throttle_rate_limit, core.throttle_burst_limit, fit, method)]
                },
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=authorization_type, authorizer=authorizer, authorization_scopes=scopes
            ),
        )

    def _shared_integration(self, fits: Sequence[RestFit]) -> apigw.Integration:
        """One Lambda proxy integration for every method, and one permission for API Gateway to invoke the proxy
        from this API's stage (instead of one per method: resources per stack)."""
        function = self.proxy_function
        lambda_.CfnPermission(
            self, "InvokePermission", action="lambda:InvokeFunction", function_name=function.function_arn,
            principal="apigateway.amazonaws.com",
            source_arn=self.api.arn_for_execute_api("*", "/*", self.stage_name),
        )
        stack = cdk.Stack.of(self)
        return apigw.Integration(
            type=apigw.IntegrationType.AWS_PROXY,
            integration_http_method="POST",
            uri=f"arn:{stack.partition}:apigateway:{stack.region}:lambda:path/2015-03-31/functions/"
            f"{function.function_arn}/invocations",
            options=apigw.IntegrationOptions(
                timeout=cdk.Duration.seconds(min(fit.integration_timeout_seconds for fit in fits)),
            ),
        )

    def _serve(self, member: SharedApiAgent, core: FacadeCore, fit: RestFit) -> ServedAgent:
        route = self.api.root.add_resource(member.route)
        models: dict[str, apigw.IModel] = {"application/json": self.request_model}
        methods: dict[str, apigw.Method] = {}
        integration = self._integration
        for method in _methods(fit, member.staging):
            path, verb = method.rsplit("/", 1)
            resource: apigw.IResource = route
            for part in path.split("/"):
                resource = resource.get_resource(part) or resource.add_resource(part)
            if path == "uploads":
                if self._upload_model is None:
                    self._upload_model = json_model(self.api, "UploadModel", UPLOAD_SCHEMA)
                options: dict[str, Any] = {"request_models": {"application/json": self._upload_model}}
            elif verb == "POST":
                options = {"request_models": models}
            else:  # status and result; cancellation
                options = {"request_parameters": {"method.request.path.jobId": True}}
            methods[method] = resource.add_method(verb, integration, request_validator=self.request_validator,
                                                  **options)
        return ServedAgent(member.route, member.agent, fit, core.throttle_rate_limit, core.throttle_burst_limit,
                           member.staging, route, methods)

    def _usage_plan(self) -> apigw.UsagePlan:
        """A usage plan with each agent's throttle on each of its methods (for API-key clients)."""
        return self.api.add_usage_plan(
            "UsagePlan",
            api_stages=[apigw.UsagePlanPerApiStage(
                api=self.api, stage=self.stage,
                throttle=[
                    apigw.ThrottlingPerMethod(
                        method=method,
                        throttle=apigw.ThrottleSettings(rate_limit=rate, burst_limit=burst),
                    )
                    for served in self.agents.values()
                    for key, method in served.methods.items()
                    for rate, burst in [served.throttle(key)]
                ],
            )],
        )

    # -- public API ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The stage's base URL; an agent's routes are under ``<url><route>/``."""
        return self.api.url

    def route_url(self, route: str) -> str:
        """The base URL of one agent's routes (``<url><route>/``)."""
        self._require(route)
        return f"{self.api.url}{route}/"

    def _require(self, route: str) -> ServedAgent:
        served = self.agents.get(route)
        if served is None:
            raise ConstructsLibValidationError(
                "UnknownRoute", f"no agent under route {route!r} (routes: {', '.join(self.agents)})", path_of(self)
            )
        return served

    def grant_invoke_route(self, grantee: iam.IGrantable, route: str) -> iam.Grant:
        """Allow ``grantee`` to call one agent's routes (``execute-api:Invoke`` on ``<api>/<stage>/*/<route>/*``)."""
        self._require(route)
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["execute-api:Invoke"],
            resource_arns=[self.api.arn_for_execute_api("*", f"/{route}/*", self.stage_name)],
        )

    @property
    def findings(self) -> Sequence[Finding]:
        """The shared API's own limit findings (resources per API, the proxy's environment)."""
        return shared_api_findings(
            catalog_for(self), region_of(self),
            routes=[SharedRoute(s.route, s.fit.invoke_route, s.fit.jobs, s.staging) for s in self.agents.values()],
            environment_bytes=self.environment_bytes,
        )

    @property
    def throttles(self) -> Mapping[str, tuple[float, int]]:
        """Each method's throttle by ``/<route>/<path>/<HTTP method>`` (rate, burst)."""
        return {
            f"/{served.route}/{method}": served.throttle(method)
            for served in self.agents.values() for method in served.methods
        }


def _methods(fit: RestFit, staging: bool) -> list[str]:
    """An agent's methods on the shared API, as ``<path below its route>/<HTTP method>``."""
    methods = ["invoke/POST"] if fit.invoke_route else []
    if fit.jobs:
        methods += ["jobs/POST", "jobs/{jobId}/GET", "jobs/{jobId}/DELETE"]
    if staging:
        methods.append("uploads/POST")
    return methods


def _throttle(rate: float, burst: int, fit: RestFit, method: str) -> tuple[float, int]:
    """The throttle of one of an agent's methods: the agent's; ``POST jobs`` also within the session creation rate
    (every job starts a session)."""
    if method != "jobs/POST":
        return rate, burst
    jobs = fit.jobs_throttle
    return (rate if jobs.rate_limit is None else jobs.rate_limit,
            burst if jobs.burst_limit is None else int(jobs.burst_limit))


__all__ = ["ROUTE_PATTERN", "AgentPlatformApi", "ServedAgent", "SharedApiAgent"]
