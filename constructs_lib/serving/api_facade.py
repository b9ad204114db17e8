"""AgentApiFacade: a public, authenticated, throttled REST API in front of a private AgentCore agent.

API Gateway (REST) validates each request against a JSON schema model, authenticates it (IAM by
default) and throttles it within what the agent's invoke quota can absorb; a Lambda proxy
(:mod:`constructs_lib.handlers.invoke_proxy`, on Powertools for AWS Lambda) calls ``InvokeAgentRuntime`` on the
chosen endpoint and maps AgentCore's errors for clients with the handler contract's error map.

Sessions and jobs belong to callers: the proxy refuses a request API Gateway authenticated nobody for (401), and the
runtime session AgentCore sees is derived from the caller's full identity and the client's own session id (see
:mod:`constructs_lib.handlers.caller`), so a caller can never reach another caller's session, job or staged object,
whatever ids it sends. The caller is sent to the agent as ``runtimeUserId`` unless ``send_runtime_user_id=False``.

Invocation modes, from the agent's capacity plan (every limit decision is
:func:`constructs_lib.planning.serving.rest_fit`):

- synchronous: ``POST /invoke`` answers within the API Gateway integration timeout (catalog quota
  ``api_gateway_integration_timeout``); a longer ``longest_task`` is the synth error ``TaskExceedsIntegrationTimeout``
  that names the way out;
- streaming: ``POST /invoke`` uses API Gateway REST response streaming (``ResponseTransferMode.STREAM``,
  Lambda ``InvokeWithResponseStream``). The Python managed runtime cannot stream, so the proxy runs the library's
  runtime-API loop (:mod:`constructs_lib.handlers.stream_runtime`, started by ``AWS_LAMBDA_EXEC_WRAPPER``). A stream
  lasts at most the Lambda function timeout and API Gateway's streaming duration (the integration timeout is raised
  to that, since its default would cut the stream), which is shorter than AgentCore's streaming duration: longer
  tasks get the warning ``StreamExceedsProxyTimeout`` pointing at the job API or the WebSocket facade. A silent agent
  gets keep-alives below API Gateway's idle timeout for streamed responses (SSE comments, JSON whitespace), and a
  stream still running near the function's deadline ends with an error event and an error trailer;
- asynchronous: ``POST /jobs`` answers 202 with a job id (an ``Idempotency-Key`` header makes retries safe),
  ``GET /jobs/{jobId}`` reports status and result, ``DELETE /jobs/{jobId}`` cancels a running job (see
  :mod:`constructs_lib.serving.jobs` for the contract the agent follows).

Limits of the path (:func:`constructs_lib.planning.serving.rest_fit`): a request body above the smallest limit on the
path (API Gateway's payload size, Lambda's synchronous request payload less base64's third) is refused with 413, so
payloads planned above it need ``staging`` (``PayloadStagingRequired``); a buffered answer above Lambda's response
payload is stored in the staging bucket and handed out as a pre-signed URL, or is the 502 ``AnswerTooLarge`` without
staging (warning ``AnswerExceedsLambdaResponse`` when the workload's ``max_response`` says answers may exceed it).

With :class:`~constructs_lib.serving.payload_staging.PayloadStaging`, ``POST /uploads`` hands out pre-signed,
size-limited upload URLs under the caller's own prefix and clients pass the object key as ``payloadKey``.

See: https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from constructs_lib._cdk import nag
from constructs_lib._cdk.functions import DEFAULT_LOG_RETENTION
from constructs_lib._cdk.names import api_name as default_api_name
from constructs_lib._cdk.props import PropChecks
from constructs_lib._cdk.scope import path_of
from constructs_lib.agent.interface import IAgentCoreAgent
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.handlers import contract
from constructs_lib.limits.service import API_STAGE_NAME_PATTERN, WAF_REGIONAL_WEB_ACL_ARN_PATTERN
from constructs_lib.planning.serving import RestFit, rest_fit
from constructs_lib.serving._facade_base import FacadeCore, SharedFacadeProps
from constructs_lib.serving._grants import acknowledgment_target
from constructs_lib.serving._rest import (
    UPLOAD_SCHEMA,
    acknowledge_auth,
    default_request_schema,
    json_model,
    managed_rules_web_acl,
    rest_authorization,
    rest_stage_options,
    schema_problems,
)
from constructs_lib.serving.auth import AuthKind, FacadeAuth
from constructs_lib.serving.jobs import AgentJobs, time_to_live_for
from constructs_lib.serving.payload_staging import PayloadStaging

#: What the proxy's asset holds: the handler, what it imports and its streaming wrapper (the contract is added).
_PROXY_FILES = ("invoke_proxy.py", "agent_calls.py", "caller.py", "clients.py", "inputs.py", "session_budget.py",
                "staging_urls.py", "stream_runtime.py", "invoke_proxy_stream.sh")
#: The streaming wrapper, as the Lambda runtime sees it.
_STREAM_WRAPPER = "/var/task/invoke_proxy_stream.sh"



class AgentApiFacade(SharedFacadeProps, Construct):
    """Defines a REST API that authenticates, validates and throttles requests to an AgentCore agent.

    Resources: a regional ``RestApi`` (``api``, the construct's ``Resource`` and ``node.default_child``) with a
    request validator and body models, a stage with JSON access logs, X-Ray tracing, execution logging and
    throttling (``stage``), a usage plan with the same limits (``usage_plan``, for API-key clients), the Lambda
    proxy with its own role and log group (``proxy_function``), optionally the job table (``jobs``) and a WAF web
    ACL (``web_acl``).

    The props it shares with :class:`~constructs_lib.serving.websocket_facade.AgentWebSocketFacade` (``agent``,
    ``auth``, ``qualifier``, ``throttle_rate_limit``, ``throttle_burst_limit``, ``staging``, ``stage_name``,
    ``log_retention``, ``api_name``) have the same names, defaults and error codes there.

    Args:
        scope: parent construct.
        construct_id: construct id.
        agent: the agent to serve.
        auth: how clients authenticate. Default: IAM (SigV4). ``FacadeAuth.none()`` opens the API and
            emits the warning ``constructs_lib:UnauthenticatedApi``.
        throttle_rate_limit: steady-state requests per second for the stage and usage plan.
            Default: the agent plan's ``api_throttle_rate``. Above the plan's invoke capacity: warning
            ``constructs_lib:ThrottleAboveInvokeQuota``.
        throttle_burst_limit: burst for the stage and usage plan, at least 1. Default: the plan's
            ``api_throttle_burst``.
        request_schema: JSON Schema (draft 4) of the ``POST /invoke`` and ``POST /jobs`` body.
            Default: an object with a required non-empty string ``prompt``, and optional ``sessionId``
            (the session-id rule of ``constructs_lib.limits.service``) and ``payloadKey``.
        staging: payload staging for inputs too large to pass inline (adds ``POST /uploads`` and binds
            the agent to its prefixes). Required when the plan routes payloads through staging (otherwise the
            synth error ``PayloadStagingRequired``). Default: no staging.
        jobs: expose the asynchronous job API. Default: True when the agent is planned asynchronous.
        job_time_to_live: how long job records are kept. Default: the :class:`AgentJobs` default, or the longest job
            the agent may run when that is longer (Instances compute).
        idempotency_key_lifetime: how long ``POST /jobs`` remembers an ``Idempotency-Key``. Default: the
            :class:`AgentJobs` default.
        invoke_route: expose ``POST /invoke``. Default: True unless the agent is planned asynchronous.
        streaming: stream ``POST /invoke`` responses. Default: True when the agent is planned streaming.
        qualifier: the agent endpoint to invoke. Default: ``agent.default_qualifier``.
        waf_web_acl_arn: an existing regional web ACL to associate with the stage. Default: none.
        enable_waf: create a web ACL with AWS managed rules (the common rule set with its body size rule
            only counting, known bad inputs) and associate it. Default: False.
        stage_name: the stage name. Default: ``prod``.
        log_retention: retention of the access log and proxy log groups. Default: one month.
        logging_level: execution logging level of the stage. Default: ERROR. Execution and access
            logging need the account's API Gateway CloudWatch role (an account-wide setting).
        cloud_watch_role: let this API set the account's API Gateway CloudWatch role. Default: False
            (the account already has one; only one stack per account and region should set it).
        api_name: the API's name. Default: generated from the construct path.
        send_runtime_user_id: send the caller (its full identity) to the agent as ``runtimeUserId``; the proxy is then
            allowed ``bedrock-agentcore:InvokeAgentRuntimeForUser``. Default: True.

    Raises:
        ConstructsLibValidationError: misuse only: ``InvalidProps``, ``UnsupportedAuth``, ``UnknownQualifier``,
            ``InvalidThrottle``, ``ConflictingWafOptions``, ``InvalidRequestSchema``, ``NoRoutes``. Limits are synth
            errors and warnings (see :func:`constructs_lib.planning.serving.rest_fit`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        agent: IAgentCoreAgent,
        auth: FacadeAuth | None = None,
        throttle_rate_limit: float | None = None,
        throttle_burst_limit: int | None = None,
        request_schema: Mapping[str, Any] | None = None,
        staging: PayloadStaging | None = None,
        jobs: bool | None = None,
        job_time_to_live: cdk.Duration | None = None,
        idempotency_key_lifetime: cdk.Duration | None = None,
        invoke_route: bool | None = None,
        streaming: bool | None = None,
        qualifier: str | None = None,
        waf_web_acl_arn: str | None = None,
        enable_waf: bool = False,
        stage_name: str = "prod",
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        logging_level: apigw.MethodLoggingLevel = apigw.MethodLoggingLevel.ERROR,
        cloud_watch_role: bool = False,
        api_name: str | None = None,
        send_runtime_user_id: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        # Types and names first, before anything reaches jsii (constructs_lib._cdk.props).
        checks = PropChecks(path_of(self))
        checks.instance("auth", auth, FacadeAuth, "a FacadeAuth (FacadeAuth.iam(), .cognito(...), ...)")
        for name, flag in (("jobs", jobs), ("invoke_route", invoke_route), ("streaming", streaming)):
            checks.boolean(name, flag, optional=True)
        checks.boolean("enable_waf", enable_waf)
        checks.boolean("cloud_watch_role", cloud_watch_role)
        checks.duration("job_time_to_live", job_time_to_live)
        checks.duration("idempotency_key_lifetime", idempotency_key_lifetime)
        if not enable_waf:  # with both, ConflictingWafOptions (below) says what to do
            checks.string(
                "waf_web_acl_arn", waf_web_acl_arn, pattern=WAF_REGIONAL_WEB_ACL_ARN_PATTERN,
                code="InvalidWafWebAclArn",
                allowed="a regional web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)",
            )
        checks.string("stage_name", stage_name, optional=False, pattern=API_STAGE_NAME_PATTERN,
                      allowed="letters, digits and underscores, 1 to 128", code="InvalidStageName")
        checks.choice("log_retention", log_retention, logs.RetentionDays, optional=False)
        checks.choice("logging_level", logging_level, apigw.MethodLoggingLevel, optional=False)
        checks.string("api_name", api_name)
        checks.raise_if_any()
        core = FacadeCore(
            self, agent=agent, auth=auth, supported_auth=tuple(AuthKind), qualifier=qualifier,
            throttle_rate_limit=throttle_rate_limit, throttle_burst_limit=throttle_burst_limit, staging=staging,
            send_runtime_user_id=send_runtime_user_id,
        )
        self._core = core
        self.request_schema: Mapping[str, Any] = request_schema or default_request_schema(agent.catalog)
        if waf_web_acl_arn is not None and enable_waf:
            raise ConstructsLibValidationError(
                "ConflictingWafOptions", "provide waf_web_acl_arn or enable_waf, not both", path_of(self)
            )
        raise_all("InvalidRequestSchema", schema_problems(self.request_schema), path_of(self))

        self.fit: RestFit = rest_fit(
            agent.plan, agent.catalog, agent.region, throttle=core.throttle, streaming=streaming, jobs=jobs,
            invoke_route=invoke_route, staging=staging is not None,
        )
        if not (self.fit.invoke_route or self.fit.jobs):
            raise ConstructsLibValidationError(
                "NoRoutes", "invoke_route and jobs are both off: the API would have nothing to serve", path_of(self)
            )
        self.streaming: bool = self.fit.streaming
        self.jobs_enabled: bool = self.fit.jobs
        self.invoke_route: bool = self.fit.invoke_route
        core.report(self.fit.findings)

        self.jobs: AgentJobs | None = None
        if self.jobs_enabled:
            self.jobs = AgentJobs(
                self, "Jobs", time_to_live=job_time_to_live or time_to_live_for([agent]),
                idempotency_key_lifetime=idempotency_key_lifetime,
            )
            self.jobs.bind(agent)
        self.proxy_function: lambda_.Function = self._proxy(log_retention)

        self.access_log_group: logs.LogGroup = core.access_log_group(log_retention)
        self.api: apigw.RestApi = self._rest_api(stage_name, logging_level, cloud_watch_role, api_name)
        self.node.default_child = self.api
        self.stage: apigw.Stage = self.api.deployment_stage
        self.stage_name: str = stage_name
        self.request_validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        self.request_model = json_model(self.api, "RequestModel", self.request_schema)
        self._routes()
        self.usage_plan = self.api.add_usage_plan(
            "UsagePlan",
            throttle=apigw.ThrottleSettings(rate_limit=self.throttle_rate_limit, burst_limit=self.throttle_burst_limit),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.stage)],
        )
        self.web_acl: wafv2.CfnWebACL | None = None
        self._waf(waf_web_acl_arn, enable_waf)
        self._acknowledge_auth()

    # -- resources -----------------------------------------------------------------------------------

    def _proxy(self, log_retention: logs.RetentionDays) -> lambda_.Function:
        agent, fit = self.agent, self.fit
        environment: dict[str, str] = {
            contract.ENV_MAX_REQUEST_BYTES: str(fit.max_request_bytes),
            contract.ENV_MAX_RESPONSE_BYTES: str(fit.max_response_bytes),
        }
        if self.streaming:
            environment["AWS_LAMBDA_EXEC_WRAPPER"] = _STREAM_WRAPPER
            assert fit.stream_keepalive_seconds is not None
            environment[contract.ENV_STREAM_KEEPALIVE_SECONDS] = f"{fit.stream_keepalive_seconds:g}"
        if self.jobs is not None:
            environment.update(self.jobs.environment_for_proxy())
        function = self._core.proxy_function(
            purpose=f"API proxy of agent {agent.runtime_name}",
            files=_PROXY_FILES,
            handler="invoke_proxy.handler",
            timeout_seconds=fit.proxy_timeout_seconds,
            read_timeout_seconds=fit.read_timeout_seconds,
            memory_size=512,
            environment=environment,
            log_retention=log_retention,
            description=f"Proxies API Gateway requests to AgentCore runtime {agent.runtime_name}",
            # Streams stop abandoned sessions, jobs the sessions of failed and cancelled jobs.
            stops_sessions=self.streaming or self.jobs is not None,
        )
        if self.jobs is not None:
            self.jobs.grant_start(function)
        # The proxy serves one agent: it signs URLs under that agent's prefixes only, and stores buffered answers
        # too large to return.
        self._core.wire_staging(function, downloads=True, answers=self.invoke_route and not self.streaming)
        return function

    def _rest_api(
        self, stage_name: str, logging_level: apigw.MethodLoggingLevel, cloud_watch_role: bool, name: str | None
    ) -> apigw.RestApi:
        method_options: dict[str, apigw.MethodDeploymentOptions] = {}
        if self.jobs_enabled:
            # Every job starts a session: POST /jobs is throttled within the session creation rate as well.
            jobs = self.fit.jobs_throttle
            method_options["/jobs/POST"] = apigw.MethodDeploymentOptions(
                throttling_rate_limit=self.throttle_rate_limit if jobs.rate_limit is None else jobs.rate_limit,
                throttling_burst_limit=(
                    self.throttle_burst_limit if jobs.burst_limit is None else int(jobs.burst_limit)
                ),
                logging_level=logging_level,
                metrics_enabled=True,
                data_trace_enabled=False,
            )
        authorization_type, authorizer, scopes = rest_authorization(self, self._core)
        return apigw.RestApi(
            self,
            "Resource",
            rest_api_name=name or default_api_name(self, self.agent.catalog),
            description=f"API facade of AgentCore agent {self.agent.runtime_name}",
            # Regional: a stream may idle longer than at the edge, and the integration timeout can be raised.
            endpoint_configuration=apigw.EndpointConfiguration(types=[apigw.EndpointType.REGIONAL]),
            cloud_watch_role=cloud_watch_role,
            deploy_options=rest_stage_options(
                stage_name=stage_name, access_log_group=self.access_log_group, logging_level=logging_level,
                throttle_rate_limit=self.throttle_rate_limit, throttle_burst_limit=self.throttle_burst_limit,
                method_options=method_options,
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=authorization_type, authorizer=authorizer, authorization_scopes=scopes
            ),
        )

    def _routes(self) -> None:
        integration = apigw.LambdaIntegration(
            self.proxy_function,
            proxy=True,
            # The console's test-invoke would need a second permission per method (resources per stack).
            allow_test_invoke=False,
            response_transfer_mode=apigw.ResponseTransferMode.STREAM if self.streaming else None,
            # As long as the proxy may run: an approved integration timeout increase is used in full, and a
            # stream is bounded by the integration timeout too.
            timeout=cdk.Duration.seconds(self.fit.integration_timeout_seconds),
        )
        models: dict[str, apigw.IModel] = {"application/json": self.request_model}
        if self.invoke_route:
            self.api.root.add_resource("invoke").add_method(
                "POST", integration, request_validator=self.request_validator, request_models=models
            )
        if self.jobs_enabled:
            jobs = self.api.root.add_resource("jobs")
            jobs.add_method("POST", integration, request_validator=self.request_validator, request_models=models)
            job = jobs.add_resource("{jobId}")
            for method in ("GET", "DELETE"):  # status and result; cancellation
                job.add_method(method, integration, request_validator=self.request_validator,
                               request_parameters={"method.request.path.jobId": True})
        if self.staging is not None:
            upload_model = json_model(self.api, "UploadModel", UPLOAD_SCHEMA)
            self.api.root.add_resource("uploads").add_method(
                "POST", integration, request_validator=self.request_validator,
                request_models={"application/json": upload_model},
            )

    def _waf(self, web_acl_arn: str | None, enable: bool) -> None:
        if enable:
            self.web_acl = managed_rules_web_acl(self, self.agent.catalog)
            web_acl_arn = self.web_acl.attr_arn
        if web_acl_arn is not None:
            wafv2.CfnWebACLAssociation(self, "WebAclAssociation", resource_arn=self.stage.stage_arn,
                                       web_acl_arn=web_acl_arn)

    def _acknowledge_auth(self) -> None:
        acknowledge_auth(self.api, self.auth, f"the API of agent {self.agent.runtime_name}")

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
        target = acknowledgment_target(grantee)
        if target is not None:
            nag.acknowledge(
                target, "AwsSolutions-IAM5", [f"Resource::{nag.arn_text(stack, 'execute-api', resource)}"],
                f"callers of the API of agent {self.agent.runtime_name} may use every route of its "
                f"{self.stage_name} stage (execute-api:Invoke on that one stage)",
            )
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


__all__ = ["AgentApiFacade", "default_request_schema"]
