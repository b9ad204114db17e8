"""WebSocket proxy: the ``$connect``, ``$disconnect`` and ``$default`` routes of ``AgentWebSocketFacade``.

Every route answers within API Gateway's WebSocket integration timeout; the agent's answer to a message is relayed by
another function (:mod:`websocket_relay`), which the ``$default`` route invokes asynchronously, so a long answer is
bound by Lambda's function timeout, not by API Gateway's.

Routes (``requestContext.routeKey``):

- ``$connect``: the caller (the full principal, see :mod:`caller`; a connection without one is refused with 401), the
  client's session id (the ``sessionId`` query parameter under the session-id rule, or a new one) and the
  caller-bound runtime session derived from both are recorded in the connection table, with a TTL.
- ``$disconnect``: stops the connection's runtime session (``StopRuntimeSession``) and deletes the record.
- With a session budget (``SessionBudget``), ``$connect`` registers the connection's session in the agent's session
  registry (refused with 429 ``CallerSessionLimitReached`` or ``AgentSessionLimitReached`` over a cap), each message
  moves its last activity (or registers it again, within the caps, after the sweeper stopped it), and a stopped
  session is released.
- ``$default``, ``{"payload": <any JSON>, "sessionId": "<optional>"}``: checked, then handed to the relay. A message is
  refused with an error frame when it is not a JSON object within the nesting and size the facade takes, when its
  connection has no record, when its caller is not the connection's recorded principal (``AccessDenied``), when it
  names a session other than its connection's (``SessionMismatch``: a connection has one session, bound at
  ``$connect``), or when its ``payloadKey`` is not one of the caller's staged objects (``PayloadKeyNotAllowed``).
- ``$default``, ``{"upload": {"size": <bytes, optional>, "fileName": "...", "contentType": "..."}}`` (only with
  payload staging): a pre-signed upload under the caller's own input prefix, a PUT for exactly ``size`` bytes or,
  without ``size``, a POST whose policy limits the size; then ``{"payload": {..., "payloadKey": "<key>"}}``.

Frames this function sends (JSON text; the relay's are documented in :mod:`websocket_relay`)::

    {"type": "upload", "key": "inputs/...", "url": "...", "fields": {...}, "expiresIn": 900, ...}
    {"type": "error", "code": "SessionMismatch", "message": "...", "retryable": false}

Error codes are the contract's one error map (the REST facade's codes) plus ``BadRequest`` for a malformed message.
No AWS error text, ARN or stack trace reaches the client. Every setting comes from the environment the facade sets
(names in :mod:`contract`); a missing one is a :class:`contract.ConfigurationError` when the proxy starts. Logging and
tracing are Powertools for AWS Lambda (Python); clients are created lazily (standard retry mode) or injected for tests.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes import APIGatewayWebSocketEvent
from botocore.exceptions import BotoCoreError, ClientError

try:  # inside the package (tests)
    from constructs_lib.handlers import agent_calls, contract, inputs, rollout, session_budget, staging_urls
    from constructs_lib.handlers.caller import Caller, caller_of
    from constructs_lib.handlers.clients import LazyClients
except ImportError:  # in the Lambda bundle, where the handlers sit at the top level
    import agent_calls  # type: ignore[no-redef]
    import contract  # type: ignore[no-redef]
    import inputs  # type: ignore[no-redef]
    import rollout  # type: ignore[no-redef]
    import session_budget  # type: ignore[no-redef]
    import staging_urls  # type: ignore[no-redef]
    from caller import Caller, caller_of  # type: ignore[no-redef]
    from clients import LazyClients  # type: ignore[no-redef]

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "agent-websocket-proxy"))
tracer = Tracer()

#: The relay event's version: what :mod:`websocket_relay` reads.
RELAY_EVENT_VERSION = 1


def error_frame(error: contract.PublicError) -> dict[str, Any]:
    """The frame that tells a client about an error (the contract's public error)."""
    frame: dict[str, Any] = {"type": "error", "code": error.code, "message": error.message,
                             "retryable": error.retryable}
    if error.retry_after is not None:
        frame["retryAfterSeconds"] = error.retry_after
    return frame


def bad_request(problem: str) -> contract.PublicError:
    """A malformed message (``BadRequest``, 400)."""
    return contract.PublicError(400, "BadRequest", problem)


class ConnectionGone(Exception):
    """The client disconnected before a frame could be delivered."""


def post_frame(management: Any, connection_id: str, data: bytes) -> None:
    """``PostToConnection``; :class:`ConnectionGone` when API Gateway answers ``GoneException``."""
    try:
        management.post_to_connection(ConnectionId=connection_id, Data=data)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "GoneException":
            raise ConnectionGone(connection_id) from error
        raise


class WebSocketProxy:
    """The routes' logic, with its AWS clients and clock injected.

    Args:
        dynamodb: DynamoDB client. Default: created on first use.
        agentcore: ``bedrock-agentcore`` client (``StopRuntimeSession``). Default: created on first use.
        management: ``apigatewaymanagementapi`` client for the stage. Default: created on first use.
        lambda_client: Lambda client that hands messages to the relay. Default: created on first use.
        s3: S3 client for signing staging URLs. Default: created on first use.
        environ: configuration. Default: ``os.environ``.
        now: wall clock (epoch seconds) for TTLs. Default: ``time.time``.

    Raises:
        contract.ConfigurationError: the environment lacks a setting the facade sets (there is no fallback).
    """

    def __init__(
        self,
        *,
        dynamodb: Any = None,
        agentcore: Any = None,
        management: Any = None,
        lambda_client: Any = None,
        s3: Any = None,
        environ: Mapping[str, str] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        env = os.environ if environ is None else environ
        self.table = contract.require(env, contract.ENV_CONNECTIONS_TABLE)
        self.callback_url = contract.require(env, contract.ENV_CALLBACK_URL)
        self.relay_function = contract.require(env, contract.ENV_RELAY_FUNCTION_ARN)
        self.connection_ttl = int(contract.require_number(env, contract.ENV_CONNECTION_TTL_SECONDS))
        self.max_message_bytes = int(contract.require_number(env, contract.ENV_MAX_REQUEST_BYTES))
        self.user_id_max_length = int(contract.require_number(env, contract.ENV_RUNTIME_USER_ID_MAX_LENGTH))
        self.session_rule = contract.SessionIdRule.from_environment(env)
        self.staging = (
            staging_urls.StagingConfig.from_environment(env) if env.get(contract.ENV_STAGING_BUCKET) else None
        )
        self._runtime_arn = contract.require(env, contract.ENV_AGENT_RUNTIME_ARN)
        self._qualifier = contract.require(env, contract.ENV_AGENT_QUALIFIER)
        contract.agentcore_client_settings(env)
        #: The proxy's boto3 clients.
        self.clients = LazyClients(env, callback_url=self.callback_url, injected={
            "dynamodb": dynamodb, "bedrock-agentcore": agentcore, "apigatewaymanagementapi": management,
            "lambda": lambda_client, "s3": s3})
        #: The endpoint each runtime session runs on (the agent's rollout, or the facade's qualifier).
        self.routing = rollout.Routing(self._qualifier, rollout.RolloutSettings.from_environment(env),
                                       lambda name: self.clients[name])
        self._now = now
        self._budget = session_budget.BudgetSettings.from_environment(env)

    # -- clients -------------------------------------------------------------------------------------

    @property
    def dynamodb(self) -> Any:
        """The DynamoDB client."""
        return self.clients["dynamodb"]

    @property
    def registry(self) -> session_budget.SessionRegistry | None:
        """The agent's session registry when it has a session budget, else ``None``."""
        return None if self._budget is None else session_budget.SessionRegistry(self.dynamodb, self._budget, self._now)

    def endpoint(self, qualifier: str) -> agent_calls.AgentEndpoint:
        """An endpoint of the agent (this proxy only stops sessions)."""
        return agent_calls.AgentEndpoint(self.clients["bedrock-agentcore"], self._runtime_arn, qualifier,
                                         send_user_id=False, registry=self.registry)

    def _admit(self, runtime_session: str, caller: Caller) -> contract.PublicError | None:
        """Register the session in the agent's session budget, on the endpoint it runs on (assigned now by the
        agent's rollout, so that the sweeper stops it there); the public error when its caller or the agent is at
        its cap."""
        registry = self.registry
        if registry is None:
            return None
        try:
            registry.admit(runtime_session, caller.key, self.routing.qualifier_for(runtime_session))
        except session_budget.BudgetExceeded as refused:
            logger.info("session refused by the session budget", extra={"error_code": refused.public.code})
            return refused.public
        return None

    @property
    def management(self) -> Any:
        """The management API client of the stage (``CALLBACK_URL``)."""
        return self.clients["apigatewaymanagementapi"]

    # -- routes --------------------------------------------------------------------------------------

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Dispatch one API Gateway WebSocket event."""
        ws_event = APIGatewayWebSocketEvent(dict(event))
        context = event.get("requestContext") or {}
        connection_id = context.get("connectionId")
        if not connection_id:
            return {"statusCode": 400}
        route = context.get("routeKey")
        if route == "$connect":
            return self.connect(connection_id, ws_event)
        if route == "$disconnect":
            return self.disconnect(connection_id)
        return self.message(connection_id, ws_event)

    def connect(self, connection_id: str, event: APIGatewayWebSocketEvent) -> dict[str, Any]:
        """Record a new connection with its caller and caller-bound session; refuse one without a caller (401) or
        with an invalid client session id (400)."""
        caller = caller_of(event.raw_event.get("requestContext"))
        if caller is None:
            return {"statusCode": contract.UNAUTHENTICATED.status, "body": contract.UNAUTHENTICATED.message}
        client_session = (event.query_string_parameters or {}).get("sessionId") or self.session_rule.new_id()
        if not self.session_rule.accepts(client_session):
            return {"statusCode": 400, "body": f"sessionId must be {self.session_rule.describe()}"}
        runtime_session = caller.runtime_session_id(client_session, self.session_rule)
        refused = self._admit(runtime_session, caller)
        if refused is not None:
            return {"statusCode": refused.status, "body": f"{refused.code}: {refused.message}"}
        now = int(self._now())
        self.dynamodb.put_item(TableName=self.table, Item={
            "connectionId": {"S": connection_id},
            "sessionId": {"S": client_session},
            "runtimeSessionId": {"S": runtime_session},
            "principal": {"S": caller.key},
            "connectedAt": {"N": str(now)},
            "expiresAt": {"N": str(now + self.connection_ttl)},
        })
        return {"statusCode": 200}

    def disconnect(self, connection_id: str) -> dict[str, Any]:
        """Stop the connection's runtime session and forget the connection."""
        record = self._record(connection_id)
        if record is not None and "runtimeSessionId" in record:
            session = record["runtimeSessionId"]["S"]
            # The endpoint the session was assigned; none when no message ever started it (nothing to stop).
            qualifier = self.routing.recorded_qualifier(session)
            if qualifier is not None:
                self.endpoint(qualifier).stop(session, "its WebSocket disconnected")
        self.dynamodb.delete_item(TableName=self.table, Key={"connectionId": {"S": connection_id}})
        return {"statusCode": 200}

    def _record(self, connection_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.dynamodb.get_item(
            TableName=self.table, Key={"connectionId": {"S": connection_id}}, ConsistentRead=True
        ).get("Item")
        return found

    def message(self, connection_id: str, event: APIGatewayWebSocketEvent) -> dict[str, Any]:
        """Check a client message and hand it to the relay (or answer an upload request)."""
        try:
            request = self._parsed(event)
        except inputs.InvalidInput as invalid:
            problem = invalid.error
            return self._fail(connection_id, bad_request(problem.message) if problem.status == 400 else problem)
        record = self._record(connection_id)
        caller = caller_of(event.raw_event.get("requestContext"))
        if record is None:
            return self._fail(connection_id, contract.UNAUTHENTICATED)
        if caller is None or record.get("principal", {}).get("S") != caller.key:
            logger.warning("a message's caller is not its connection's principal")
            return self._fail(connection_id, contract.ACCESS_DENIED)
        session = request.get("sessionId")
        if session is not None and session != record.get("sessionId", {}).get("S"):
            return self._fail(connection_id, contract.SESSION_MISMATCH)
        if "upload" in request:
            return self.upload(connection_id, caller, request["upload"])
        refused = self._admit(record["runtimeSessionId"]["S"], caller)  # its activity, or a session again
        if refused is not None:
            return self._fail(connection_id, refused)
        payload = request["payload"]
        if isinstance(payload, dict) and "payloadKey" in payload:
            refused = self._payload_key_problem(caller, payload["payloadKey"])
            if refused is not None:
                return self._fail(connection_id, refused)
        return self._hand_off(connection_id, event, record, caller, payload)

    def _parsed(self, event: APIGatewayWebSocketEvent) -> dict[str, Any]:
        if event.is_base64_encoded:
            raise inputs.InvalidInput(bad_request('send a JSON text message: {"payload": ...}'))
        request = inputs.json_object(event.body, max_bytes=self.max_message_bytes, what="the message")
        if "payload" not in request and "upload" not in request:
            raise inputs.InvalidInput(bad_request('the message must be a JSON object with a "payload" (or "upload")'))
        session = request.get("sessionId")
        if session is not None and not self.session_rule.accepts(session):
            raise inputs.InvalidInput(bad_request(f"sessionId must be {self.session_rule.describe()}"))
        return request

    def _payload_key_problem(self, caller: Caller, key: Any) -> contract.PublicError | None:
        if self.staging is None:
            return bad_request("payloadKey is not supported by this API")
        try:
            staging_urls.require_own_input(self.staging.for_caller(caller.staging_segment), key)
        except staging_urls.StagingError:
            return contract.PAYLOAD_KEY_NOT_ALLOWED
        return None

    def _hand_off(
        self, connection_id: str, event: APIGatewayWebSocketEvent, record: Mapping[str, Any], caller: Caller,
        payload: Any,
    ) -> dict[str, Any]:
        """Invoke the relay asynchronously with what it needs; the route answers at once."""
        context = event.request_context
        task = {
            "version": RELAY_EVENT_VERSION,
            "connectionId": connection_id,
            "messageId": context.message_id or context.request_id,
            "runtimeSessionId": record["runtimeSessionId"]["S"],
            "sessionId": record["sessionId"]["S"],
            "userId": caller.runtime_user_id(self.user_id_max_length),
            "payload": json.dumps(payload),
        }
        try:
            self.clients["lambda"].invoke(FunctionName=self.relay_function, InvocationType="Event",
                                      Payload=json.dumps(task).encode("utf-8"))
        except (ClientError, BotoCoreError) as error:
            logger.warning("handing a message to the relay failed", extra={"error_code": contract.error_code_of(error)})
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
            return self._fail(connection_id, contract.THROTTLED if code == "TooManyRequestsException"
                              else contract.AGENT_ERROR)
        return {"statusCode": 202}

    def upload(self, connection_id: str, caller: Caller, spec: Any) -> dict[str, Any]:
        """Answer an upload request with a pre-signed PUT (known size) or POST (size-limited policy) under the
        caller's input prefix."""
        if self.staging is None:
            return self._fail(connection_id, bad_request("this API has no payload staging"))
        if not isinstance(spec, dict):
            return self._fail(connection_id, bad_request("upload must be a JSON object"))
        config = self.staging.for_caller(caller.staging_segment)
        name = spec.get("fileName")
        key = staging_urls.new_input_key(config, name if isinstance(name, str) else None)
        try:
            if spec.get("size") is not None:
                upload = staging_urls.presigned_put(self.clients["s3"], config, content_length=spec["size"], key=key)
            else:
                content_type = spec.get("contentType")
                upload = staging_urls.presigned_post(
                    self.clients["s3"], config, key=key,
                    content_type=content_type if isinstance(content_type, str) else None,
                )
        except staging_urls.StagingError as error:
            return self._fail(connection_id, bad_request(str(error)))
        return self._send(connection_id, {"type": "upload", **upload}, 200)

    # -- frames --------------------------------------------------------------------------------------

    def _send(self, connection_id: str, frame: Mapping[str, Any], status: int) -> dict[str, Any]:
        try:
            post_frame(self.management, connection_id, json.dumps(frame, separators=(",", ":")).encode())
        except ConnectionGone:
            self.disconnect(connection_id)
            return {"statusCode": 410}
        return {"statusCode": status}

    def _fail(self, connection_id: str, error: contract.PublicError) -> dict[str, Any]:
        return self._send(connection_id, error_frame(error), error.status)


_PROXY: WebSocketProxy | None = None


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point of the three routes."""
    global _PROXY
    if _PROXY is None:
        _PROXY = WebSocketProxy()
    return _PROXY.handle(event)


__all__ = [
    "RELAY_EVENT_VERSION",
    "ConnectionGone",
    "WebSocketProxy",
    "bad_request",
    "error_frame",
    "handler",
    "post_frame",
]
