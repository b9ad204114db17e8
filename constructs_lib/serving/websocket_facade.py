"""AgentWebSocketFacade: an API Gateway WebSocket API in front of an AgentCore agent.

Clients connect (authorized on ``$connect``: IAM by default, or a Lambda REQUEST authorizer), send JSON
messages, and receive the agent's answer as it streams, in frames that fit API Gateway's limits. A
Lambda proxy (``constructs_lib/handlers/websocket_proxy.py``) tracks connections in DynamoDB and calls
``InvokeAgentRuntime``; the message protocol is documented in that module.

Synth-time checks against the agent's workload profile (all numbers from the quota catalog):

- ``websocket_frame_size`` above API Gateway's WebSocket frame size: error
  ``WebSocketFrameExceedsApiGateway`` (AgentCore's own frame quota is already a plan error);
- ``max_payload`` above API Gateway's WebSocket message size without ``payload_staging``: error
  ``WebSocketMessageExceedsApiGateway``;
- a task longer than a Lambda relay can wait: error ``WebSocketRelayTimeout``;
- ``websocket_frames_per_second`` above the stage's route throttle: warning
  ``constructs_lib:WebSocketFrameRateAboveStageThrottle``; throttles above the plan: warning
  ``constructs_lib:WebSocketThrottleAbovePlan``; no authorization: warning
  ``constructs_lib:UnauthenticatedWebSocketApi``.

See: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html#apigateway-execution-service-websocket-limits-table
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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

from constructs_lib._cdk import nag, perms
from constructs_lib._cdk.functions import HANDLERS_DIR
from constructs_lib._cdk.reporting import report_info, report_unresolved, report_warning
from constructs_lib._cdk.scope import catalog_for, region_of
from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.catalog import QuotaName, Unit, format_value
from constructs_lib.planning.agent_plan import InvocationMode
from constructs_lib.serving.payload_staging import PayloadStaging

#: Connection-table actions the proxy needs.
_CONNECTION_ACTIONS = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem")

# Environment variables the proxy reads (constructs_lib/handlers/websocket_proxy.py; kept in step by a test,
# not imported, because the handler imports boto3, which the library does not depend on).
ENV_CONNECTIONS_TABLE = "CONNECTIONS_TABLE"
ENV_AGENT_RUNTIME_ARN = "AGENT_RUNTIME_ARN"
ENV_AGENT_QUALIFIER = "AGENT_QUALIFIER"
ENV_CALLBACK_URL = "CALLBACK_URL"
ENV_FRAME_BYTES = "FRAME_BYTES"
ENV_MAX_FRAMES_PER_SECOND = "MAX_FRAMES_PER_SECOND"
ENV_CONNECTION_TTL_SECONDS = "CONNECTION_TTL_SECONDS"

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


class WebSocketAuthorization:
    """How clients are authorized on ``$connect`` (WebSocket APIs authorize only that route).

    Use :meth:`iam`, :meth:`lambda_request` or, explicitly, :meth:`none`.
    """

    def __init__(self, kind: str, handler: lambda_.IFunction | None = None,
                 identity_source: Sequence[str] = ()) -> None:
        self.kind = kind
        self.handler = handler
        self.identity_source = list(identity_source)

    @staticmethod
    def iam() -> WebSocketAuthorization:
        """SigV4-signed ``$connect`` requests; grant callers with ``facade.grant_connect(principal)``."""
        return WebSocketAuthorization("iam")

    @staticmethod
    def lambda_request(
        handler: lambda_.IFunction,
        *,
        identity_source: Sequence[str] = ("route.request.header.Authorization",),
    ) -> WebSocketAuthorization:
        """A Lambda REQUEST authorizer (for example a JWT check).

        Args:
            handler: the authorizer function.
            identity_source: request parts the authorizer needs; a request without them is rejected
                before the authorizer runs. Default: the ``Authorization`` header.
        """
        return WebSocketAuthorization("lambda", handler, identity_source)

    @staticmethod
    def none() -> WebSocketAuthorization:
        """No authorization: anyone who knows the URL can talk to the agent. Draws a warning."""
        return WebSocketAuthorization("none")


class AgentWebSocketFacade(Construct):
    """Defines an API Gateway WebSocket API that relays messages to an AgentCore agent.

    Resources: the WebSocket API (``api``) with ``$connect``, ``$disconnect`` and ``$default`` routes, a
    stage (``stage``) with access logging and route throttling derived from the agent's capacity plan,
    a Lambda proxy (``function``: ARM64, Python 3.14, X-Ray tracing, its own log group, a least-privilege
    role), and a DynamoDB table of connections (``connections_table``: TTL, point-in-time recovery,
    encryption, retained).

    Args:
        scope: parent construct.
        construct_id: construct id.
        agent: the :class:`~constructs_lib.agent.agent.AgentCoreAgent` to front.
        authorization: how ``$connect`` is authorized. Default: IAM.
        stage_name: name of the stage. Default: ``prod``.
        qualifier: the agent endpoint to invoke. Default: the agent's ``default_qualifier``.
        throttle_rate_limit: steady-state messages per second for the stage's routes. Default: the
            plan's ``api_throttle_rate``; a larger value draws a warning.
        throttle_burst_limit: burst for the stage's routes. Default: the plan's ``api_throttle_burst``.
        payload_staging: a :class:`~constructs_lib.serving.payload_staging.PayloadStaging` that carries inputs
            larger than a WebSocket message: the proxy answers ``{"upload": {...}}`` messages with
            pre-signed uploads under the agent's input prefix, and the agent is granted its prefixes.
            Default: none; then a ``max_payload`` above the message size is an error.
        connection_record_ttl: how long a connection record lives if ``$disconnect`` never arrives.
            Default: 3 hours (API Gateway closes a WebSocket connection after at most 2 hours).
        log_retention: retention of the access and function logs. Default: three months.
        removal_policy: removal policy of the connections table. Default: RETAIN.
        api_name: name of the API. Default: generated from the construct path.

    Raises:
        ConstructsLibValidationError: see the module docstring for the codes.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        agent: AgentCoreAgent,
        authorization: WebSocketAuthorization | None = None,
        stage_name: str = "prod",
        qualifier: str | None = None,
        throttle_rate_limit: float | None = None,
        throttle_burst_limit: int | None = None,
        payload_staging: PayloadStaging | None = None,
        connection_record_ttl: cdk.Duration | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        api_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.agent = agent
        self.catalog = catalog_for(self)
        self.region = region_of(self)
        self.authorization = authorization or WebSocketAuthorization.iam()
        self.qualifier: str = qualifier or agent.default_qualifier
        plan = agent.plan
        self.throttle_rate_limit: float = plan.api_throttle_rate if throttle_rate_limit is None else throttle_rate_limit
        self.throttle_burst_limit: int = (
            plan.api_throttle_burst if throttle_burst_limit is None else throttle_burst_limit
        )
        self.payload_staging = payload_staging
        self._check_qualifier()
        self._check_frames()
        self._check_payload()
        timeout_seconds = self._relay_timeout_seconds()
        self._check_throttle()

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
        self.function = self._proxy_function(timeout_seconds, log_retention, connection_record_ttl)
        integration = integrations.WebSocketLambdaIntegration("Proxy", self.function)
        self.api = apigwv2.WebSocketApi(
            self,
            "Resource",
            api_name=api_name,
            description=f"WebSocket facade of AgentCore agent {agent.runtime_name}",
            connect_route_options=apigwv2.WebSocketRouteOptions(
                integration=integration, authorizer=self._authorizer()
            ),
            disconnect_route_options=apigwv2.WebSocketRouteOptions(integration=integration),
            default_route_options=apigwv2.WebSocketRouteOptions(integration=integration),
        )
        self.node.default_child = self.api
        self.access_log_group = logs.LogGroup(self, "AccessLogs", retention=log_retention)
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
        self._wire_staging()
        self._acknowledge_routes()

    # -- checks --------------------------------------------------------------------------------------

    def _check_qualifier(self) -> None:
        known = ["DEFAULT", *self.agent.endpoints]
        if self.qualifier not in known:
            raise ConstructsLibValidationError(
                "UnknownQualifier",
                f"qualifier {self.qualifier!r} is not an endpoint of agent {self.agent.runtime_name} "
                f"(endpoints: {', '.join(known)})",
                self.node.path,
            )

    def _check_frames(self) -> None:
        frame = self.agent.plan.profile.websocket_frame_bytes
        quota = self.catalog.resolve(QuotaName.API_GATEWAY_WEBSOCKET_FRAME_SIZE, self.region)
        if frame is not None and frame > quota.value:
            message = self.catalog.resolve(QuotaName.API_GATEWAY_WEBSOCKET_MESSAGE_SIZE, self.region)
            raise ConstructsLibValidationError(
                "WebSocketFrameExceedsApiGateway",
                f"websocket_frame_size {format_value(frame, Unit.BYTES)} exceeds {quota.formatted()}, the "
                f"{quota.describe()}; {quota.increase_advice()}: send frames of at most {quota.formatted()} "
                f"(a message may span frames up to {message.formatted()}), stage large content in S3 with "
                "PayloadStaging and send its key, or connect clients to the agent's own WebSocket endpoint "
                "(InvokeAgentRuntimeWithWebSocketStream) without API Gateway",
                self.node.path,
            )

    def _check_payload(self) -> None:
        payload = self.agent.plan.profile.max_payload_bytes
        quota = self.catalog.resolve(QuotaName.API_GATEWAY_WEBSOCKET_MESSAGE_SIZE, self.region)
        if payload is None or payload <= quota.value:
            return
        if self.payload_staging is None:
            raise ConstructsLibValidationError(
                "WebSocketMessageExceedsApiGateway",
                f"max_payload {format_value(payload, Unit.BYTES)} exceeds {quota.formatted()}, the "
                f"{quota.describe()}; {quota.increase_advice()}: pass payload_staging=PayloadStaging(...) "
                "so clients upload larger inputs to S3 and send the object key in the message",
                self.node.path,
            )
        report_info(
            self,
            "PayloadStagingInUse",
            f"inputs above {quota.formatted()} ({quota.describe()}) travel through the payload staging bucket"
        )

    def _relay_timeout_seconds(self) -> int:
        plan = self.agent.plan
        lambda_quota = self.catalog.resolve(QuotaName.LAMBDA_TIMEOUT, self.region)
        longest = plan.profile.longest_task_seconds
        if plan.mode is not InvocationMode.ASYNCHRONOUS and longest is not None and longest > lambda_quota.value:
            raise ConstructsLibValidationError(
                "WebSocketRelayTimeout",
                f"longest_task {format_value(longest, Unit.SECONDS)} exceeds {lambda_quota.formatted()}, the "
                f"{lambda_quota.describe()}, so the WebSocket relay cannot wait for the answer; make the "
                "agent asynchronous (answer at once, report completion through the async job API), or "
                "connect clients to the agent's own WebSocket endpoint (InvokeAgentRuntimeWithWebSocketStream)",
                self.node.path,
            )
        return int(min(plan.mode_limit_seconds, lambda_quota.value))

    def _check_throttle(self) -> None:
        plan = self.agent.plan
        if cdk.Token.is_unresolved(self.throttle_rate_limit) or cdk.Token.is_unresolved(self.throttle_burst_limit):
            report_unresolved(
                self, "throttle_rate_limit or throttle_burst_limit", "the agent's capacity plan"
            )
            return
        if self.throttle_rate_limit <= 0 or self.throttle_burst_limit < 0:
            raise ConstructsLibValidationError(
                "InvalidThrottle",
                f"throttle_rate_limit must be positive and throttle_burst_limit not negative, got "
                f"{self.throttle_rate_limit!r} and {self.throttle_burst_limit!r}",
                self.node.path,
            )
        if self.throttle_rate_limit > plan.invoke_capacity_per_second:
            invoke = self.catalog.resolve(QuotaName.INVOKE_RATE, self.region)
            report_warning(
                self,
                "WebSocketThrottleAbovePlan",
                f"throttle_rate_limit {self.throttle_rate_limit:g} messages/s exceeds the "
                f"{format_value(plan.invoke_capacity_per_second, Unit.PER_SECOND)} the agent's plan can absorb "
                f"under the {invoke.describe()}; excess messages end as Throttled error frames; "
                f"{invoke.increase_advice()}",
            )
        frames = plan.profile.websocket_frames_per_second
        if frames is not None and frames > self.throttle_rate_limit:
            report_warning(
                self,
                "WebSocketFrameRateAboveStageThrottle",
                f"websocket_frames_per_second {frames:g} exceeds the stage's route throttle of "
                f"{self.throttle_rate_limit:g} messages/s, which applies to all connections together; "
                "API Gateway will throttle client messages: batch messages, or raise throttle_rate_limit",
            )

    # -- resources -----------------------------------------------------------------------------------

    def _proxy_function(
        self, timeout_seconds: int, log_retention: logs.RetentionDays, record_ttl: cdk.Duration | None
    ) -> lambda_.Function:
        role = iam.Role(
            self,
            "ProxyRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"WebSocket proxy of AgentCore agent {self.agent.runtime_name}",
        )
        log_group = logs.LogGroup(self, "ProxyLogs", retention=log_retention)
        log_group.grant_write(role)
        frame = self.catalog.resolve(QuotaName.API_GATEWAY_WEBSOCKET_FRAME_SIZE, self.region)
        fps = self.catalog.resolve(QuotaName.WEBSOCKET_FRAMES_PER_SECOND, self.region)
        ttl = record_ttl or cdk.Duration.hours(3)
        function = lambda_.Function(
            self,
            "Proxy",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="websocket_proxy.handler",
            code=lambda_.Code.from_asset(str(HANDLERS_DIR), exclude=["*", "!websocket_proxy.py", "!staging_urls.py"]),
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            memory_size=256,
            timeout=cdk.Duration.seconds(timeout_seconds),
            description=f"Relays WebSocket messages to AgentCore agent {self.agent.runtime_name}",
            environment={
                ENV_CONNECTIONS_TABLE: self.connections_table.table_name,
                ENV_AGENT_RUNTIME_ARN: self.agent.agent_runtime_arn,
                ENV_AGENT_QUALIFIER: self.qualifier,
                ENV_FRAME_BYTES: str(int(frame.value)),
                ENV_MAX_FRAMES_PER_SECOND: f"{fps.per_second:g}",
                ENV_CONNECTION_TTL_SECONDS: str(int(ttl.to_seconds())),
            },
        )
        nag.acknowledge(
            role, "AwsSolutions-IAM5", ["Resource::*"],
            "X-Ray PutTraceSegments and PutTelemetryRecords (active tracing of the WebSocket proxy) support "
            "no resource-level permissions",
        )
        return function

    def _authorizer(self) -> apigwv2.IWebSocketRouteAuthorizer | None:
        auth = self.authorization
        if auth.kind == "iam":
            return authorizers.WebSocketIamAuthorizer()
        if auth.kind == "lambda":
            return authorizers.WebSocketLambdaAuthorizer(
                "Authorizer", auth.handler, identity_source=auth.identity_source  # type: ignore[arg-type]
            )
        report_warning(
            self,
            "UnauthenticatedWebSocketApi",
            f"the WebSocket API of agent {self.agent.runtime_name} accepts unauthenticated connections "
            "(authorization=WebSocketAuthorization.none()); anyone with the URL can invoke the agent",
        )
        return None

    def _grant_proxy(self) -> None:
        stack = cdk.Stack.of(self)
        self.function.add_environment(ENV_CALLBACK_URL, self.stage.callback_url)
        self.connections_table.grant(self.function, *_CONNECTION_ACTIONS)
        arn = self.agent.agent_runtime_arn
        # The runtime and the one endpoint the proxy invokes (endpoint ARN: <runtime ARN>/runtime-endpoint/<name>).
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                sid="InvokeAgent",
                actions=[perms.INVOKE_AGENT_RUNTIME],
                resources=[arn, f"{arn}/runtime-endpoint/{self.qualifier}"],
            )
        )
        connections = stack.format_arn(
            service="execute-api",
            resource=self.api.api_id,
            resource_name=f"{self.stage.stage_name}/POST/@connections/*",
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(sid="PostToConnections", actions=["execute-api:ManageConnections"],
                                resources=[connections])
        )
        api_id = stack.get_logical_id(self.api.node.default_child)  # type: ignore[arg-type]
        nag.acknowledge(
            self.function.role, "AwsSolutions-IAM5",  # type: ignore[arg-type]
            [f"Resource::{nag.arn_text(stack, 'execute-api', f'<{api_id}>/{self.stage.stage_name}')}"
             "/POST/@connections/*"],
            "the proxy posts answers back to WebSocket connections whose ids API Gateway assigns at connect "
            "time; the grant is limited to POST on this API's stage",
        )

    def _wire_staging(self) -> None:
        staging = self.payload_staging
        if staging is None:
            return
        for key, value in staging.environment_for_proxy(self.agent).items():
            self.function.add_environment(key, value)
        staging.grant_presign_upload(self.function, agent=self.agent)
        staging.grant_agent_access(self.agent)

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


__all__ = ["ACCESS_LOG_FORMAT", "AgentWebSocketFacade", "WebSocketAuthorization"]
