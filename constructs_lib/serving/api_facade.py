"""AgentApiFacade: a public, authenticated, throttled REST API in front of a private AgentCore agent.

API Gateway (REST) validates each request against a JSON schema model, authenticates it (IAM by
default) and throttles it within what the agent's invoke quota can absorb; a Lambda proxy
(:mod:`constructs_lib.handlers.invoke_proxy`) calls ``InvokeAgentRuntime`` on the chosen endpoint and maps
AgentCore's errors for clients.

Invocation modes, from the agent's capacity plan:

- synchronous: ``POST /invoke`` answers within the API Gateway integration timeout (catalog quota
  ``api_gateway_integration_timeout``); a longer ``longest_task`` is a synth error that names the way out;
- streaming: ``POST /invoke`` uses API Gateway REST response streaming (``ResponseTransferMode.STREAM``,
  Lambda ``InvokeWithResponseStream``). The Python managed runtime cannot stream, so the proxy runs its
  own runtime-API loop (``AWS_LAMBDA_EXEC_WRAPPER``). A stream lasts at most the Lambda function timeout
  (15 min, also API Gateway's streaming maximum; the integration timeout is raised to it, since its 29 s
  default would cut the stream), which is shorter than AgentCore's streaming duration: longer tasks get a
  warning pointing at the job API or the WebSocket facade;
- asynchronous: ``POST /jobs`` answers 202 with a job id, ``GET /jobs/{jobId}`` reports status and
  result (see :mod:`constructs_lib.serving.jobs` for the contract the agent follows).

With :class:`~constructs_lib.serving.payload_staging.PayloadStaging`, ``POST /uploads`` hands out pre-signed,
size-limited upload URLs and clients pass the object key as ``payloadKey``.

See: https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from constructs_lib._cdk import nag, perms
from constructs_lib._cdk.functions import DEFAULT_LOG_RETENTION, DEFAULT_PYTHON_RUNTIME, HANDLERS_DIR, secure_function
from constructs_lib._cdk.reporting import report_error, report_unresolved, report_warning
from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaName, ResolvedQuota, Unit, format_value
from constructs_lib.limits.service import DEFAULT_ENDPOINT
from constructs_lib.planning.agent_plan import InvocationMode
from constructs_lib.serving.jobs import AgentJobs

if TYPE_CHECKING:
    from constructs_lib.serving.payload_staging import PayloadStaging

#: Where the proxy's code lives; the package holds only the modules the proxy needs.
_PROXY_FILES = ("invoke_proxy.py", "staging_urls.py", "invoke_proxy_stream.sh")
#: Header carrying the runtime session id (requests and responses).
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
#: Session ids the API accepts (AgentCore echoes at most 100 characters of this alphabet).
SESSION_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{32,99}$"

#: The request body model used unless ``request_schema`` is given (JSON Schema draft 4).
DEFAULT_REQUEST_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string", "minLength": 1},
        "sessionId": {"type": "string", "pattern": SESSION_ID_PATTERN},
        "payloadKey": {"type": "string", "minLength": 1, "maxLength": 1024},
    },
}
_UPLOAD_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "size": {"type": "integer", "minimum": 1},
        "contentType": {"type": "string", "maxLength": 256},
        "fileName": {"type": "string", "maxLength": 255},
    },
    "additionalProperties": False,
}
_DRAFT4 = "http://json-schema.org/draft-04/schema#"

# Environment of the proxy (names read by handlers/invoke_proxy.py; a test keeps them in step).
_ENV_RUNTIME_ARN = "AGENT_RUNTIME_ARN"
_ENV_QUALIFIER = "AGENT_QUALIFIER"
_ENV_READ_TIMEOUT = "AGENT_READ_TIMEOUT_SECONDS"
_ENV_MAX_ATTEMPTS = "AGENT_MAX_ATTEMPTS"


class FacadeAuth:
    """How clients authenticate to an :class:`AgentApiFacade`. Use a static factory.

    REST APIs have no native JWT authorizer: use :meth:`cognito` for Cognito user pool tokens, or
    :meth:`lambda_authorizer` with a function that validates tokens of any other issuer.
    """

    def __init__(
        self,
        kind: str,
        *,
        user_pools: list[cognito.IUserPool] | None = None,
        function: lambda_.IFunction | None = None,
        identity_source: str | None = None,
        results_cache_ttl: cdk.Duration | None = None,
        scopes: list[str] | None = None,
    ) -> None:
        self.kind = kind
        self.user_pools = user_pools or []
        self.function = function
        self.identity_source = identity_source
        self.results_cache_ttl = results_cache_ttl
        self.scopes = scopes

    @staticmethod
    def iam() -> FacadeAuth:
        """SigV4-signed requests authorized by IAM (``execute-api:Invoke``; see ``grant_invoke_api``). The default."""
        return FacadeAuth("iam")

    @staticmethod
    def cognito(user_pool: cognito.IUserPool, *, scopes: list[str] | None = None) -> FacadeAuth:
        """Tokens of a Cognito user pool (ID tokens, or access tokens when ``scopes`` are given)."""
        return FacadeAuth("cognito", user_pools=[user_pool], scopes=scopes)

    @staticmethod
    def lambda_authorizer(
        function: lambda_.IFunction,
        *,
        identity_source: str = "method.request.header.Authorization",
        results_cache_ttl: cdk.Duration | None = None,
    ) -> FacadeAuth:
        """A Lambda token authorizer (for example a JWT validator for any OIDC issuer).

        Args:
            function: the authorizer function.
            identity_source: where the token is. Default: the ``Authorization`` header.
            results_cache_ttl: how long API Gateway caches a decision. Default: API Gateway's (5 min).
        """
        return FacadeAuth("lambda", function=function, identity_source=identity_source,
                          results_cache_ttl=results_cache_ttl)

    @staticmethod
    def none() -> FacadeAuth:
        """No authentication: anyone on the internet may invoke the agent. Reported as a synth warning."""
        return FacadeAuth("none")


class AgentApiFacade(Construct):
    """Defines a REST API that authenticates, validates and throttles requests to an AgentCore agent.

    Resources: a regional ``RestApi`` (``api``) with a request validator and body models, a stage with
    JSON access logs, X-Ray tracing, execution logging and throttling (``stage``), a usage plan with the
    same limits (``usage_plan``, for API-key clients), the Lambda proxy with its own role and log group
    (``proxy_function``), optionally the job table (``jobs``) and a WAF web ACL (``web_acl``).

    Args:
        scope: parent construct.
        construct_id: construct id.
        agent: the agent to serve.
        auth: how clients authenticate. Default: IAM (SigV4). ``FacadeAuth.none()`` opens the API and
            emits the warning ``constructs_lib:UnauthenticatedApi``.
        throttle_rate_limit: steady-state requests per second for the stage and usage plan.
            Default: the agent plan's ``api_throttle_rate``. Above the plan's invoke capacity: warning.
        throttle_burst_limit: burst for the stage and usage plan. Default: the plan's ``api_throttle_burst``.
        request_schema: JSON Schema (draft 4) of the ``POST /invoke`` and ``POST /jobs`` body.
            Default: an object with a required non-empty string ``prompt``, and optional ``sessionId``
            (33 to 100 characters) and ``payloadKey``.
        staging: payload staging for inputs too large to pass inline (adds ``POST /uploads`` and grants
            the agent its prefixes). Required when the plan routes payloads through staging.
            Default: no staging.
        jobs: expose the asynchronous job API. Default: True when the agent is planned asynchronous.
        job_time_to_live: how long job records are kept. Default: the :class:`AgentJobs` default (7 days).
        invoke_route: expose ``POST /invoke``. Default: True unless the agent is planned asynchronous.
        streaming: stream ``POST /invoke`` responses. Default: True when the agent is planned streaming.
        qualifier: the agent endpoint to invoke. Default: ``agent.default_qualifier``.
        waf_web_acl_arn: an existing regional web ACL to associate with the stage. Default: none.
        enable_waf: create a web ACL with AWS managed rules (common rule set without the 8 KB body size
            rule, known bad inputs) and associate it. Default: False.
        stage_name: the stage name. Default: ``prod``.
        log_retention: retention of the access log and proxy log groups. Default: one month.
        logging_level: execution logging level of the stage. Default: ERROR. Execution and access
            logging need the account's API Gateway CloudWatch role (an account-wide setting).
        cloud_watch_role: let this API set the account's API Gateway CloudWatch role. Default: False
            (the account already has one; only one stack per account and region should set it).
        rest_api_name: the API's name. Default: generated from the construct path.

    Raises:
        ConstructsLibValidationError: ``PayloadStagingRequired``, ``ConflictingWafOptions``,
            ``InvalidQualifier``, ``InvalidThrottle``, ``InvalidRequestSchema``, ``NoRoutes``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        agent: AgentCoreAgent,
        auth: FacadeAuth | None = None,
        throttle_rate_limit: float | None = None,
        throttle_burst_limit: int | None = None,
        request_schema: Mapping[str, Any] | None = None,
        staging: PayloadStaging | None = None,
        jobs: bool | None = None,
        job_time_to_live: cdk.Duration | None = None,
        invoke_route: bool | None = None,
        streaming: bool | None = None,
        qualifier: str | None = None,
        waf_web_acl_arn: str | None = None,
        enable_waf: bool = False,
        stage_name: str = "prod",
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        logging_level: apigw.MethodLoggingLevel = apigw.MethodLoggingLevel.ERROR,
        cloud_watch_role: bool = False,
        rest_api_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.agent = agent
        self.auth: FacadeAuth = auth or FacadeAuth.iam()
        plan = agent.plan
        self.qualifier: str = qualifier or agent.default_qualifier
        self.jobs_enabled: bool = plan.mode is InvocationMode.ASYNCHRONOUS if jobs is None else jobs
        self.invoke_route: bool = plan.mode is not InvocationMode.ASYNCHRONOUS if invoke_route is None else invoke_route
        self.streaming: bool = plan.mode is InvocationMode.STREAMING if streaming is None else streaming
        self.throttle_rate_limit: float = plan.api_throttle_rate if throttle_rate_limit is None else throttle_rate_limit
        self.throttle_burst_limit: int = (
            plan.api_throttle_burst if throttle_burst_limit is None else throttle_burst_limit
        )
        self.request_schema: Mapping[str, Any] = request_schema or DEFAULT_REQUEST_SCHEMA
        self._validate_props(staging, waf_web_acl_arn, enable_waf)

        catalog, region = agent.catalog, agent.region
        self.integration_timeout: ResolvedQuota = catalog.resolve(QuotaName.API_GATEWAY_INTEGRATION_TIMEOUT, region)
        # A response stream is bounded by both the proxy function and API Gateway's streaming duration.
        self._stream_limit: ResolvedQuota = min(
            catalog.resolve(QuotaName.LAMBDA_TIMEOUT, region),
            catalog.resolve(QuotaName.API_GATEWAY_STREAMING_DURATION, region),
            key=lambda quota: quota.value,
        )
        self._check_timeouts()
        self._check_throttle()

        self.jobs: AgentJobs | None = None
        if self.jobs_enabled:
            self.jobs = AgentJobs(self, "Jobs", time_to_live=job_time_to_live)
            self.jobs.grant_report(agent)
        self.staging = staging
        self.proxy_function: lambda_.Function = self._proxy(log_retention)

        self.access_log_group = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        self.api: apigw.RestApi = self._rest_api(stage_name, logging_level, cloud_watch_role, rest_api_name)
        self.node.default_child = self.api
        self.stage: apigw.Stage = self.api.deployment_stage
        self.stage_name: str = stage_name
        self.request_validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        self.request_model = self._model("RequestModel", self.request_schema)
        self._routes()
        self.usage_plan = self.api.add_usage_plan(
            "UsagePlan",
            throttle=apigw.ThrottleSettings(rate_limit=self.throttle_rate_limit, burst_limit=self.throttle_burst_limit),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.stage)],
        )
        self.web_acl: wafv2.CfnWebACL | None = None
        self._waf(waf_web_acl_arn, enable_waf)
        self._acknowledge_auth()

    # -- validation ----------------------------------------------------------------------------------

    def _validate_props(self, staging: Any, waf_web_acl_arn: str | None, enable_waf: bool) -> None:
        path, agent, plan = self.node.path, self.agent, self.agent.plan
        if plan.payload_staging_required and staging is None:
            raise ConstructsLibValidationError(
                "PayloadStagingRequired",
                f"agent {agent.runtime_name} plans payloads above what API Gateway carries inline "
                "(finding PayloadStagingRequired); pass staging=PayloadStaging(...) so clients upload them "
                "through POST /uploads",
                path,
            )
        if waf_web_acl_arn is not None and enable_waf:
            raise ConstructsLibValidationError(
                "ConflictingWafOptions", "provide waf_web_acl_arn or enable_waf, not both", path
            )
        if self.qualifier != DEFAULT_ENDPOINT and self.qualifier not in agent.endpoints:
            known = ", ".join([DEFAULT_ENDPOINT, *agent.endpoints])
            raise ConstructsLibValidationError(
                "InvalidQualifier", f"qualifier {self.qualifier!r} is not an endpoint of the agent ({known})", path
            )
        if not (self.invoke_route or self.jobs_enabled):
            raise ConstructsLibValidationError(
                "NoRoutes", "invoke_route and jobs are both off: the API would have nothing to serve", path
            )
        throttle: list[str] = []
        rate, burst = self.throttle_rate_limit, self.throttle_burst_limit
        if _is_token(rate) or _is_token(burst):
            report_unresolved(
                self, "throttle_rate_limit or throttle_burst_limit", "the agent's invoke capacity"
            )
        if not _is_token(rate) and (isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0):
            throttle.append(f"throttle_rate_limit must be a positive number, got {rate!r}")
        if not _is_token(burst) and (isinstance(burst, bool) or not isinstance(burst, int) or burst < 1):
            throttle.append(f"throttle_burst_limit must be a whole number of at least 1, got {burst!r}")
        raise_all("InvalidThrottle", throttle, path)
        raise_all("InvalidRequestSchema", _schema_problems(self.request_schema), path)

    def _check_timeouts(self) -> None:
        """Synchronous tasks must fit the integration timeout; streams are capped by the proxy's timeout."""
        task = self.agent.plan.profile.longest_task_seconds
        if task is None or not self.invoke_route:
            return
        limit = self.integration_timeout
        if not self.streaming and task > limit.value:
            message = (
                f"longest_task {format_value(task, Unit.SECONDS)} of agent "
                f"{self.agent.runtime_name} exceeds {limit.formatted()}, the {limit.describe()}, so POST /invoke "
                "would time out; serve it through the asynchronous job API (jobs=True, invoke_route=False: "
                "POST /jobs answers at once), or stream the response (streaming=True), or "
                f"{limit.increase_advice()}"
            )
            report_error(self, "TaskExceedsIntegrationTimeout", message)
        lambda_limit = self._stream_limit
        if self.streaming and task > lambda_limit.value:
            report_warning(
                self,
                "StreamExceedsProxyTimeout",
                f"longest_task {format_value(task, Unit.SECONDS)} exceeds "
                f"{lambda_limit.formatted()}, "
                f"the {lambda_limit.describe()}, which also bounds an API Gateway response stream: longer "
                "streams are cut; serve long tasks through the asynchronous job API (jobs=True) or the "
                "AgentWebSocketFacade",
            )

    def _check_throttle(self) -> None:
        plan = self.agent.plan
        capacity = plan.invoke_capacity_per_second
        invoke = self.agent.catalog.resolve(QuotaName.INVOKE_RATE, self.agent.region)
        for name, asked in (("throttle_rate_limit", self.throttle_rate_limit),
                            ("throttle_burst_limit", self.throttle_burst_limit)):
            if not _is_token(asked) and asked > capacity:
                report_warning(
                    self,
                    "ThrottleAboveInvokeQuota",
                    f"{name} {asked:g} exceeds the "
                    f"{format_value(capacity, Unit.PER_SECOND)} the "
                    f"agent can be invoked at ({plan.endpoint_count} endpoint(s) under the {invoke.describe()}); "
                    f"requests above it are throttled by AgentCore (429); lower {name} or "
                    f"{invoke.increase_advice()}",
                )

    # -- resources -----------------------------------------------------------------------------------

    def _proxy_timeout_seconds(self) -> float:
        """How long the proxy and its integration may take.

        A stream may last as long as both Lambda and API Gateway's response streaming allow; a buffered
        answer no longer than the integration waits.
        """
        return self._stream_limit.value if self.streaming else self.integration_timeout.value

    def _proxy(self, log_retention: logs.RetentionDays) -> lambda_.Function:
        agent = self.agent
        timeout_seconds = self._proxy_timeout_seconds()
        environment = {
            _ENV_RUNTIME_ARN: agent.agent_runtime_arn,
            _ENV_QUALIFIER: self.qualifier,
            # The read timeout leaves the proxy time to answer 504 before the integration gives up.
            _ENV_READ_TIMEOUT: str(max(1, int(timeout_seconds) - 3)),
            # No retries of InvokeAgentRuntime: a retry after a read timeout would run the task twice.
            _ENV_MAX_ATTEMPTS: "1",
        }
        if self.streaming:
            environment["AWS_LAMBDA_EXEC_WRAPPER"] = "/var/task/invoke_proxy_stream.sh"
        if self.jobs is not None:
            environment.update(self.jobs.environment_for_proxy())
        if self.staging is not None:
            environment.update(self.staging.environment_for_proxy(agent))
        proxy = Construct(self, "Proxy")
        created = secure_function(
            proxy,
            purpose=f"API proxy of agent {agent.runtime_name}",
            code=lambda_.Code.from_asset(str(HANDLERS_DIR), exclude=["*", *(f"!{f}" for f in _PROXY_FILES)]),
            handler="invoke_proxy.handler",
            runtime=DEFAULT_PYTHON_RUNTIME,
            timeout=cdk.Duration.seconds(timeout_seconds),
            memory_size=512,
            environment=environment,
            log_retention=log_retention,
            dead_letter_queue=False,
            description=f"Proxies API Gateway requests to AgentCore runtime {agent.runtime_name}",
        )
        function = created.function
        # InvokeAgentRuntime authorizes on the runtime and on the endpoint the qualifier names.
        iam.Grant.add_to_principal(
            grantee=function,
            actions=[perms.INVOKE_AGENT_RUNTIME],
            resource_arns=[agent.agent_runtime_arn, f"{agent.agent_runtime_arn}/runtime-endpoint/{self.qualifier}"],
        )
        if self.jobs is not None:
            self.jobs.grant_start(function)
        if self.staging is not None:
            # The proxy serves one agent: it signs URLs under that agent's prefixes only.
            self.staging.grant_presign_upload(function, agent=agent)
            self.staging.grant_presign_download(function, agent=agent)
            self.staging.grant_agent_access(agent)
        return function

    def _rest_api(
        self, stage_name: str, logging_level: apigw.MethodLoggingLevel, cloud_watch_role: bool, name: str | None
    ) -> apigw.RestApi:
        method_options: dict[str, apigw.MethodDeploymentOptions] = {}
        if self.jobs_enabled:
            # Every job starts a session: keep POST /jobs within the session creation rate as well.
            sessions = self.agent.plan.session_creation_capacity_per_second
            rate, burst = self.throttle_rate_limit, self.throttle_burst_limit
            method_options["/jobs/POST"] = apigw.MethodDeploymentOptions(
                throttling_rate_limit=rate if _is_token(rate) else min(rate, sessions),
                throttling_burst_limit=burst if _is_token(burst) else max(1, min(burst, int(sessions) or 1)),
                logging_level=logging_level,
                metrics_enabled=True,
                data_trace_enabled=False,
            )
        authorization_type, authorizer, scopes = self._authorization()
        return apigw.RestApi(
            self,
            "Api",
            rest_api_name=name,
            description=f"API facade of AgentCore agent {self.agent.runtime_name}",
            # Regional: streams idle up to 5 min (30 s at the edge), and the integration timeout can be raised.
            endpoint_configuration=apigw.EndpointConfiguration(types=[apigw.EndpointType.REGIONAL]),
            cloud_watch_role=cloud_watch_role,
            deploy_options=apigw.StageOptions(
                stage_name=stage_name,
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True, http_method=True, ip=True, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=True,
                ),
                tracing_enabled=True,
                logging_level=logging_level,
                metrics_enabled=True,
                # Request and response bodies carry prompts and answers: never log them.
                data_trace_enabled=False,
                throttling_rate_limit=self.throttle_rate_limit,
                throttling_burst_limit=self.throttle_burst_limit,
                method_options=method_options or None,
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=authorization_type, authorizer=authorizer, authorization_scopes=scopes
            ),
        )

    def _authorization(self) -> tuple[apigw.AuthorizationType, apigw.IAuthorizer | None, list[str] | None]:
        auth = self.auth
        if auth.kind == "iam":
            return apigw.AuthorizationType.IAM, None, None
        if auth.kind == "cognito":
            authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=auth.user_pools)
            return apigw.AuthorizationType.COGNITO, authorizer, auth.scopes
        if auth.kind == "lambda":
            assert auth.function is not None
            token = apigw.TokenAuthorizer(
                self, "Authorizer", handler=auth.function, identity_source=auth.identity_source,
                results_cache_ttl=auth.results_cache_ttl,
            )
            return apigw.AuthorizationType.CUSTOM, token, None
        report_warning(
            self,
            "UnauthenticatedApi",
            f"the API of agent {self.agent.runtime_name} accepts "
            "unauthenticated requests "
            "(FacadeAuth.none()): anyone who finds the URL can invoke the agent and spend its quota; use "
            "FacadeAuth.iam(), .cognito(...) or .lambda_authorizer(...)",
        )
        return apigw.AuthorizationType.NONE, None, None

    def _model(self, construct_id: str, schema: Mapping[str, Any]) -> apigw.Model:
        model = self.api.add_model(
            construct_id,
            content_type="application/json",
            schema=apigw.JsonSchema(schema=apigw.JsonSchemaVersion.DRAFT4, type=apigw.JsonSchemaType.OBJECT),
        )
        # The user's schema is passed as given (a dict), not re-expressed through JsonSchema's typed props.
        cfn: apigw.CfnModel = model.node.default_child  # type: ignore[assignment]
        cfn.add_property_override("Schema", {"$schema": _DRAFT4, **schema})
        return model

    def _routes(self) -> None:
        integration = apigw.LambdaIntegration(
            self.proxy_function,
            proxy=True,
            # The console's test-invoke would need a second permission per method (resources per stack).
            allow_test_invoke=False,
            response_transfer_mode=apigw.ResponseTransferMode.STREAM if self.streaming else None,
            # A raised integration timeout (approved override of the catalog quota) is used in full. A stream
            # is bounded by the integration timeout too (default 29 s, up to 15 min in STREAM mode): give it
            # as long as the proxy may run.
            timeout=cdk.Duration.seconds(self._proxy_timeout_seconds()),
        )
        models: dict[str, apigw.IModel] = {"application/json": self.request_model}
        if self.invoke_route:
            self.api.root.add_resource("invoke").add_method(
                "POST", integration, request_validator=self.request_validator, request_models=models
            )
        if self.jobs_enabled:
            jobs = self.api.root.add_resource("jobs")
            jobs.add_method("POST", integration, request_validator=self.request_validator, request_models=models)
            jobs.add_resource("{jobId}").add_method(
                "GET", integration, request_validator=self.request_validator,
                request_parameters={"method.request.path.jobId": True},
            )
        if self.staging is not None:
            upload_model = self._model("UploadModel", _UPLOAD_SCHEMA)
            self.api.root.add_resource("uploads").add_method(
                "POST", integration, request_validator=self.request_validator,
                request_models={"application/json": upload_model},
            )

    def _waf(self, web_acl_arn: str | None, enable: bool) -> None:
        if enable:
            self.web_acl = _managed_rules_web_acl(self)
            web_acl_arn = self.web_acl.attr_arn
        if web_acl_arn is not None:
            wafv2.CfnWebACLAssociation(self, "WebAclAssociation", resource_arn=self.stage.stage_arn,
                                       web_acl_arn=web_acl_arn)

    def _acknowledge_auth(self) -> None:
        if self.auth.kind == "iam":
            nag.acknowledge(
                self.api, "AwsSolutions-COG4", [None],
                f"the API of agent {self.agent.runtime_name} uses IAM (SigV4) authorization on every method, "
                "which authenticates callers without a Cognito user pool",
            )
        elif self.auth.kind == "lambda":
            nag.acknowledge(
                self.api, "AwsSolutions-COG4", [None],
                f"the API of agent {self.agent.runtime_name} authenticates every method with a Lambda token "
                "authorizer chosen by the user (FacadeAuth.lambda_authorizer)",
            )

    # -- public API ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The stage's base URL (``https://<id>.execute-api.<region>.amazonaws.com/<stage>/``)."""
        return self.api.url

    def grant_invoke_api(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call every route of the stage (``execute-api:Invoke``; for IAM auth).

        The grant covers ``<api>/<stage>/*/*``: every method and route of this stage, nothing else.
        """
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["execute-api:Invoke"],
            resource_arns=[self.api.arn_for_execute_api("*", "/*", self.stage_name)],
        )
        stack = cdk.Stack.of(self)
        api_id = stack.get_logical_id(self.api.node.default_child)  # type: ignore[arg-type]
        resource = f"<{api_id}>/{self.stage_name}/*/*"
        for candidate in (getattr(grantee, "role", None), grantee):
            if isinstance(candidate, Construct):
                nag.acknowledge(
                    candidate, "AwsSolutions-IAM5", [f"Resource::{nag.arn_text(stack, 'execute-api', resource)}"],
                    f"callers of the API of agent {self.agent.runtime_name} may use every route of its "
                    f"{self.stage_name} stage (execute-api:Invoke on that one stage)",
                )
                break
        return grant

    def metric_client_error(self, **options: Any) -> cloudwatch.Metric:
        """4XX errors of the API (Sum)."""
        return self.api.metric_client_error(**options)

    def metric_server_error(self, **options: Any) -> cloudwatch.Metric:
        """5XX errors of the API (Sum)."""
        return self.api.metric_server_error(**options)

    def metric_latency(self, **options: Any) -> cloudwatch.Metric:
        """End-to-end latency in milliseconds (Average unless ``statistic`` is given)."""
        options.setdefault("statistic", "Average")
        return self.api.metric_latency(**options)

    def metric_integration_latency(self, **options: Any) -> cloudwatch.Metric:
        """Latency of the proxy integration in milliseconds (Average unless ``statistic`` is given)."""
        options.setdefault("statistic", "Average")
        return self.api.metric_integration_latency(**options)

    def metric_count(self, **options: Any) -> cloudwatch.Metric:
        """Requests (Sum unless ``statistic`` is given)."""
        options.setdefault("statistic", "Sum")
        return self.api.metric_count(**options)


def _is_token(value: Any) -> bool:
    """Whether a number is an unresolved CDK token (its value is known only at deploy)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and cdk.Token.is_unresolved(value)


def _schema_problems(schema: Any) -> list[str]:
    """Problems with a user's request schema: a JSON object schema, valid as JSON Schema draft 4."""
    if not isinstance(schema, Mapping):
        return [f"request_schema must be a JSON Schema object (dict), got {type(schema).__name__}"]
    problems: list[str] = []
    if schema.get("type") != "object":
        problems.append(
            f"request_schema must describe a JSON object (\"type\": \"object\"), got {schema.get('type')!r}"
        )
    try:
        from jsonschema import Draft4Validator
        from jsonschema.exceptions import SchemaError
    except ImportError:  # pragma: no cover - jsonschema is optional; API Gateway validates at deploy
        return problems
    try:
        Draft4Validator.check_schema(dict(schema))
    except SchemaError as exc:
        problems.append(f"request_schema is not valid JSON Schema draft 4: {exc.message}")
    return problems


def _managed_rules_web_acl(scope: Construct) -> wafv2.CfnWebACL:
    def managed(name: str, priority: int, overrides: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS",
                    name=name,
                    rule_action_overrides=[
                        wafv2.CfnWebACL.RuleActionOverrideProperty(
                            name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                        )
                        for rule in overrides
                    ] or None,
                )
            ),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            ),
        )

    return wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        rules=[
            # Prompts routinely exceed the common rule set's 8 KB body limit: that rule only counts.
            managed("AWSManagedRulesCommonRuleSet", 0, ("SizeRestrictions_BODY",)),
            managed("AWSManagedRulesKnownBadInputsRuleSet", 1),
        ],
        visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=cdk.Names.unique_id(scope)[-128:],
            sampled_requests_enabled=True,
        ),
    )


__all__ = ["DEFAULT_REQUEST_SCHEMA", "AgentApiFacade", "FacadeAuth"]
