"""AgentWebSocketFacade: an API Gateway WebSocket API in front of an AgentCore agent.

Clients connect (authenticated on ``$connect``: IAM by default, or a Lambda REQUEST authorizer), send JSON
messages, and receive the agent's answer as it streams, in frames that fit API Gateway's limits. Two Lambda
functions on Powertools for AWS Lambda (Python):

- the route proxy (``constructs_lib/handlers/websocket_proxy.py``) answers ``$connect``, ``$disconnect`` and
  ``$default`` within API Gateway's WebSocket integration timeout. It binds each connection to its caller and to one
  caller-bound runtime session at ``$connect``, refuses a message whose caller or session is not its connection's,
  stops the session when the connection ends, and hands each message to the relay as an asynchronous invocation;
- the relay (``constructs_lib/handlers/websocket_relay.py``) calls ``InvokeAgentRuntime`` and forwards each chunk of
  the answer as it arrives, for as long as a Lambda function may run (the hand-off is why API Gateway's 29-second
  integration timeout does not bound an answer), and ends with an error frame before its own deadline. Its
  asynchronous retries are off (a retry would run the agent's task again) and it is idempotent per message.

The message protocol is documented in those modules; the error frames carry the same codes as the REST facade's
errors (the handler contract's error map).

Synth-time checks against the agent's workload profile (every limit decision is
:func:`constructs_lib.planning.serving.websocket_fit`, all numbers from the quota catalog):

- ``websocket_frame_size`` above API Gateway's WebSocket frame size: error
  ``WebSocketFrameExceedsApiGateway`` (AgentCore's own frame quota is already a plan error);
- ``max_payload`` above API Gateway's WebSocket message size without ``staging``: error
  ``PayloadStagingRequired``;
- a task longer than the relay function can wait: error ``WebSocketRelayTimeout`` (the relay runs asynchronously, so
  API Gateway's WebSocket integration timeout bounds only the route proxy, which hands the message off);
- a ``connection_record_ttl`` shorter than API Gateway keeps a connection: error ``ConnectionRecordTtlTooShort``;
- ``websocket_frames_per_second`` above the stage's route throttle: warning
  ``constructs_lib:WebSocketFrameRateAboveStageThrottle``; throttles above the plan: warning
  ``constructs_lib:ThrottleAboveInvokeQuota``; no authentication: warning ``constructs_lib:UnauthenticatedApi``.

See: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html#apigateway-execution-service-websocket-limits-table
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib._cdk import nag
from constructs_lib._cdk.functions import DEFAULT_LOG_RETENTION
from constructs_lib._cdk.names import api_name as default_api_name
from constructs_lib._cdk.props import PropChecks
from constructs_lib._cdk.reporting import report_unresolved
from constructs_lib._cdk.scope import path_of
from constructs_lib.agent.interface import IAgentCoreAgent
from constructs_lib.errors import raise_all
from constructs_lib.handlers import contract
from constructs_lib.limits.service import API_STAGE_NAME_PATTERN
from constructs_lib.planning.findings import Finding
from constructs_lib.planning.serving import WebSocketFit, connection_record_findings, websocket_fit
from constructs_lib.serving._facade_base import FacadeCore, SharedFacadeProps
from constructs_lib.serving._perms import INVOKE_FUNCTION
from constructs_lib.serving._values import whole_number_text
from constructs_lib.serving.auth import AuthKind, FacadeAuth
from constructs_lib.serving.payload_staging import PayloadStaging

#: Connection-table actions the route proxy needs: record, read and forget connections.
_CONNECTION_ACTIONS = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem")
#: Connection-table actions the relay needs: its idempotency records (Powertools: put, read, update, delete) and
#: forgetting a connection whose client went away.
_RELAY_CONNECTION_ACTIONS = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
#: What the functions' asset holds besides the contract (one asset, two handlers).
_PROXY_FILES = ("websocket_proxy.py", "websocket_relay.py", "agent_calls.py", "caller.py", "clients.py", "inputs.py",
                "session_budget.py", "staging_urls.py")

#: Access log fields (WebSocket ``$context`` variables), one JSON object per line.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "connectionId": "$context.connectionId",
        "eventType": "$context.eventType",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "requestTime": "$context.requestTime",
        "sourceIp": "$context.identity.sourceIp",
        "userArn": "$context.identity.userArn",
        "principalId": "$context.authorizer.principalId",
        "integrationLatency": "$context.integrationLatency",
        "error": "$context.error.message",
    },
    separators=(",", ":"),
)


class AgentWebSocketFacade(SharedFacadeProps, Construct):
    """Defines an API Gateway WebSocket API that relays messages to an AgentCore agent.

    Resources: the WebSocket API (``api``, the construct's ``Resource`` and ``node.default_child``) with
    ``$connect``, ``$disconnect`` and ``$default`` routes, a stage (``stage``) with access logging and route
    throttling derived from the agent's capacity plan, the route proxy (``proxy_function``, under ``Proxy``) and the
    relay (``relay_function``, under ``Relay``: asynchronous retries off), both ARM64, X-Ray tracing, their own log
    groups and least-privilege roles, and a DynamoDB table of connections (``connections_table``: TTL, point-in-time
    recovery, encryption, retained).

    The props it shares with :class:`~constructs_lib.serving.api_facade.AgentApiFacade` (``agent``, ``auth``,
    ``qualifier``, ``throttle_rate_limit``, ``throttle_burst_limit``, ``staging``, ``stage_name``, ``log_retention``,
    ``api_name``) have the same names, defaults and error codes there.

    Args:
        scope: parent construct.
        construct_id: construct id.
        agent: the agent to front (an :class:`~constructs_lib.agent.agent.AgentCoreAgent`, or an adopted runtime).
        auth: how ``$connect`` is authenticated: ``FacadeAuth.iam()``, ``FacadeAuth.lambda_authorizer(...)`` (a
            REQUEST authorizer) or ``FacadeAuth.none()`` (warning ``constructs_lib:UnauthenticatedApi``).
            Default: IAM.
        stage_name: name of the stage. Default: ``prod``.
        qualifier: the agent endpoint to invoke. Default: the agent's ``default_qualifier``.
        throttle_rate_limit: steady-state messages per second for the stage's routes. Default: the
            plan's ``api_throttle_rate``; above the plan's invoke capacity: a warning.
        throttle_burst_limit: burst for the stage's routes, at least 1. Default: the plan's ``api_throttle_burst``.
        staging: a :class:`~constructs_lib.serving.payload_staging.PayloadStaging` that carries inputs
            larger than a WebSocket message: the proxy answers ``{"upload": {...}}`` messages with
            pre-signed uploads under the agent's input prefix, and the agent is bound to its prefixes.
            Default: none; then a ``max_payload`` above the message size is the synth error ``PayloadStagingRequired``.
        connection_record_ttl: how long a connection record lives if ``$disconnect`` never arrives; at least API
            Gateway's WebSocket connection duration. Default: that duration, from the quota catalog.
        log_retention: retention of the access and function logs. Default: one month.
        removal_policy: removal policy of the connections table. Default: RETAIN.
        api_name: name of the API. Default: generated from the construct path.
        send_runtime_user_id: send the caller (its full identity) to the agent as ``runtimeUserId``; the relay is then
            allowed ``bedrock-agentcore:InvokeAgentRuntimeForUser``. Default: True.

    Raises:
        ConstructsLibValidationError: misuse only: ``InvalidProps``, ``UnsupportedAuth``, ``UnknownQualifier``,
            ``InvalidThrottle``. Limits are synth errors and warnings (see the module docstring).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        agent: IAgentCoreAgent,
        auth: FacadeAuth | None = None,
        stage_name: str = "prod",
        qualifier: str | None = None,
        throttle_rate_limit: float | None = None,
        throttle_burst_limit: int | None = None,
        staging: PayloadStaging | None = None,
        connection_record_ttl: cdk.Duration | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        api_name: str | None = None,
        send_runtime_user_id: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        # Types and names first, before anything reaches jsii (constructs_lib._cdk.props).
        checks = PropChecks(path_of(self))
        checks.instance("auth", auth, FacadeAuth, "a FacadeAuth (FacadeAuth.iam(), .lambda_authorizer(...), ...)")
        checks.string("stage_name", stage_name, optional=False, pattern=API_STAGE_NAME_PATTERN,
                      allowed="letters, digits and underscores, 1 to 128", code="InvalidStageName")
        checks.duration("connection_record_ttl", connection_record_ttl)
        checks.choice("log_retention", log_retention, logs.RetentionDays, optional=False)
        checks.choice("removal_policy", removal_policy, cdk.RemovalPolicy, optional=False)
        checks.string("api_name", api_name)
        checks.raise_if_any()
        core = FacadeCore(
            self, agent=agent, auth=auth, supported_auth=(AuthKind.IAM, AuthKind.LAMBDA, AuthKind.NONE),
            qualifier=qualifier, throttle_rate_limit=throttle_rate_limit, throttle_burst_limit=throttle_burst_limit,
            staging=staging, send_runtime_user_id=send_runtime_user_id,
        )
        self._core = core
        self.fit: WebSocketFit = websocket_fit(
            agent.plan, agent.catalog, agent.region, throttle=core.throttle, staging=staging is not None
        )
        self.connection_record_ttl: cdk.Duration = connection_record_ttl or cdk.Duration.seconds(
            self.fit.default_connection_record_ttl_seconds
        )
        core.report([*self.fit.findings, *self._connection_record_findings()])

        self.connections_table = dynamodb.Table(
            self,
            "Connections",
            partition_key=dynamodb.Attribute(name="connectionId", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute="expiresAt",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=removal_policy,
        )
        self.relay_function: lambda_.Function = self._relay_function(log_retention)
        self.proxy_function: lambda_.Function = self._proxy_function(log_retention)
        integration = integrations.WebSocketLambdaIntegration("Proxy", self.proxy_function)
        self.api = apigwv2.WebSocketApi(
            self,
            "Resource",
            api_name=api_name or default_api_name(self, agent.catalog),
            description=f"WebSocket facade of AgentCore agent {agent.runtime_name}",
            connect_route_options=apigwv2.WebSocketRouteOptions(
                integration=integration, authorizer=self._authorizer()
            ),
            disconnect_route_options=apigwv2.WebSocketRouteOptions(integration=integration),
            default_route_options=apigwv2.WebSocketRouteOptions(integration=integration),
        )
        self.node.default_child = self.api
        self.access_log_group: logs.LogGroup = core.access_log_group(log_retention)
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=stage_name,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=self.throttle_rate_limit, burst_limit=self.throttle_burst_limit
            ),
        )
        cfn_stage: apigwv2.CfnStage = self.stage.node.default_child  # type: ignore[assignment]
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_log_group.log_group_arn, format=ACCESS_LOG_FORMAT
        )
        self._grant_proxy()
        core.wire_staging(self.proxy_function, downloads=False)
        self._acknowledge_routes()

    # -- checks --------------------------------------------------------------------------------------

    def _connection_record_findings(self) -> list[Finding]:
        if self.connection_record_ttl.is_unresolved():
            report_unresolved(self, "connection_record_ttl", "API Gateway's WebSocket connection duration")
            return []
        return connection_record_findings(
            self.agent.catalog, self.agent.region, self.connection_record_ttl.to_seconds()
        )

    # -- resources -----------------------------------------------------------------------------------

    def _relay_function(self, log_retention: logs.RetentionDays) -> lambda_.Function:
        fit = self.fit
        relay = self._core.proxy_function(
            construct_id="Relay",
            purpose=f"WebSocket relay of agent {self.agent.runtime_name}",
            files=_PROXY_FILES,
            handler="websocket_relay.handler",
            timeout_seconds=fit.relay_timeout_seconds,
            read_timeout_seconds=fit.read_timeout_seconds,
            memory_size=256,
            environment={
                contract.ENV_CONNECTIONS_TABLE: self.connections_table.table_name,
                contract.ENV_FRAME_BYTES: str(fit.frame_bytes),
                contract.ENV_MAX_FRAMES_PER_SECOND: f"{fit.frames_per_second:g}",
            },
            log_retention=log_retention,
            description=f"Relays WebSocket answers of AgentCore agent {self.agent.runtime_name}",
            binds_sessions=False,  # the route proxy bound the session; the relay gets it with the message
        )
        # One attempt: a retried relay would run the agent's task again (the relay reports its own errors in frames).
        relay.configure_async_invoke(retry_attempts=0)
        self.connections_table.grant(relay, *_RELAY_CONNECTION_ACTIONS)
        return relay

    def _proxy_function(self, log_retention: logs.RetentionDays) -> lambda_.Function:
        fit = self.fit
        proxy = self._core.proxy_function(
            purpose=f"WebSocket proxy of agent {self.agent.runtime_name}",
            files=_PROXY_FILES,
            handler="websocket_proxy.handler",
            timeout_seconds=fit.proxy_timeout_seconds,
            read_timeout_seconds=fit.read_timeout_seconds,
            memory_size=256,
            environment={
                contract.ENV_CONNECTIONS_TABLE: self.connections_table.table_name,
                contract.ENV_CONNECTION_TTL_SECONDS: whole_number_text(self.connection_record_ttl.to_seconds()),
                contract.ENV_MAX_REQUEST_BYTES: str(fit.max_message_bytes),
                contract.ENV_RELAY_FUNCTION_ARN: self.relay_function.function_arn,
            },
            log_retention=log_retention,
            description=f"Routes WebSocket messages to AgentCore agent {self.agent.runtime_name}",
            invokes=False,  # the relay invokes; the proxy stops the sessions of connections that end
        )
        # The unqualified function only (the proxy invokes no version or alias).
        iam.Grant.add_to_principal(grantee=proxy, actions=[INVOKE_FUNCTION],
                                   resource_arns=[self.relay_function.function_arn])
        return proxy

    def _authorizer(self) -> apigwv2.IWebSocketRouteAuthorizer | None:
        auth = self.auth
        if auth.kind is AuthKind.IAM:
            return authorizers.WebSocketIamAuthorizer()
        if auth.kind is AuthKind.LAMBDA:
            assert auth.function is not None
            return authorizers.WebSocketLambdaAuthorizer(
                "Authorizer", auth.function, identity_source=self._identity_source()
            )
        self._core.warn_unauthenticated("WebSocket API")
        return None

    def _identity_source(self) -> list[str]:
        """A REQUEST authorizer on ``$connect`` reads ``route.request...`` sources: the ``Authorization`` header by
        default; it is not cached."""
        auth = self.auth
        problems = []
        if auth.results_cache_ttl is not None:
            problems.append("results_cache_ttl: a WebSocket $connect authorizer is not cached")
        source = auth.identity_source
        sources = ["route.request.header.Authorization"] if source is None else (
            [source] if isinstance(source, str) else list(source)
        )
        if not sources or not all(isinstance(s, str) and s.startswith("route.request.") for s in sources):
            problems.append(f"identity_source must be 'route.request...' sources, got {source!r}")
        raise_all("UnsupportedAuth", [f"a WebSocket facade's Lambda authorizer: {p}" for p in problems], path_of(self))
        return sources

    def _grant_proxy(self) -> None:
        """Both functions post frames to this stage's connections (the proxy errors and upload URLs, the relay
        answers)."""
        stack = cdk.Stack.of(self)
        self.connections_table.grant(self.proxy_function, *_CONNECTION_ACTIONS)
        connections = stack.format_arn(
            service="execute-api",
            resource=self.api.api_id,
            resource_name=f"{self.stage.stage_name}/POST/@connections/*",
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
        api_id = stack.get_logical_id(self.api.node.default_child)  # type: ignore[arg-type]
        for function in (self.proxy_function, self.relay_function):
            function.add_environment(contract.ENV_CALLBACK_URL, self.stage.callback_url)
            function.add_to_role_policy(
                iam.PolicyStatement(sid="PostToConnections", actions=["execute-api:ManageConnections"],
                                    resources=[connections])
            )
            nag.acknowledge(
                function.role, "AwsSolutions-IAM5",  # type: ignore[arg-type]
                [f"Resource::{nag.arn_text(stack, 'execute-api', f'<{api_id}>/{self.stage.stage_name}')}"
                 "/POST/@connections/*"],
                "the function posts frames back to WebSocket connections whose ids API Gateway assigns at connect "
                "time; the grant is limited to POST on this API's stage",
            )

    def _acknowledge_routes(self) -> None:
        for route_id in ("$disconnect-Route", "$default-Route"):
            route = self.api.node.try_find_child(route_id)
            if route is not None:
                nag.acknowledge(
                    route, "AwsSolutions-APIG4", [None],
                    "API Gateway WebSocket APIs authorize only the $connect route; $disconnect and $default "
                    "messages arrive on a connection that was authorized when it was opened",
                )

    # -- public API ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The ``wss://`` URL of the stage."""
        return self.stage.url

    @property
    def callback_url(self) -> str:
        """The ``https://`` management (``@connections``) URL of the stage."""
        return self.stage.callback_url

    def grant_connect(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to open connections (``execute-api:Invoke`` on this stage's ``$connect``)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["execute-api:Invoke"],
            resource_arns=[self.api.arn_for_execute_api_v2("$connect", self.stage.stage_name)],
        )

    def metric(self, metric_name: str, **options: Any) -> cloudwatch.Metric:
        """A stage metric in ``AWS/ApiGateway`` (``ConnectCount``, ``MessageCount``, ``ClientError`` ...)."""
        return self.stage.metric(metric_name, **options)

    def metric_connect_count(self, **options: Any) -> cloudwatch.Metric:
        """``$connect`` requests (Sum)."""
        return self.metric("ConnectCount", statistic="Sum", **options)

    def metric_message_count(self, **options: Any) -> cloudwatch.Metric:
        """Messages sent to and from clients (Sum)."""
        return self.metric("MessageCount", statistic="Sum", **options)

    def metric_client_errors(self, **options: Any) -> cloudwatch.Metric:
        """Requests answered with a 4XX error, throttling included (Sum)."""
        return self.metric("ClientError", statistic="Sum", **options)

    def metric_integration_errors(self, **options: Any) -> cloudwatch.Metric:
        """Errors returned by the proxy integration (Sum)."""
        return self.metric("IntegrationError", statistic="Sum", **options)


__all__ = ["ACCESS_LOG_FORMAT", "AgentWebSocketFacade"]
