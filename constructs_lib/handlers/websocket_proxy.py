"""WebSocket proxy: relays API Gateway WebSocket messages to an AgentCore agent and streams answers back.

Routes (``requestContext.routeKey``):

- ``$connect``: records the connection in DynamoDB with a runtime session id (the client may pass its
  own as the ``sessionId`` query parameter, under the session-id rule the facade sets), the caller
  (IAM user ARN or authorizer principal id) and a TTL.
- ``$disconnect``: deletes the record.
- ``$default``: a client message ``{"payload": <any JSON>, "sessionId": "<optional override>"}`` is sent
  to ``InvokeAgentRuntime``; the response body is relayed as it streams, in frames that fit API
  Gateway's WebSocket frame size, paced to at most ``MAX_FRAMES_PER_SECOND``.
- ``$default`` with ``{"upload": {"size": <bytes, optional>, "fileName": "...", "contentType": "..."}}``
  (only when the facade has payload staging): answers with a pre-signed upload under the agent's input
  prefix, a PUT for exactly ``size`` bytes or, without ``size``, a POST whose policy limits the size.
  The client uploads, then sends ``{"payload": {..., "payloadKey": "<key>"}}``.

Frames sent to the client (JSON text)::

    {"type": "chunk", "seq": 0, "data": "..."}                      part of the agent's answer
    {"type": "end", "seq": 3, "sessionId": "...", "contentType": "..."}  the answer is complete
    {"type": "upload", "key": "inputs/...", "url": "...", "fields": {...}, "expiresIn": 900, ...}
    {"type": "error", "code": "Throttled", "message": "...", "retryable": true, "retryAfterSeconds": 1}

Error codes: ``BadRequest`` (malformed message), and for AgentCore's errors the codes of the contract's one error
map (:data:`contract.AGENT_ERRORS`, the same as the REST facade's): ``Throttled``, ``SessionLimitReached``,
``SessionBusy``, ``InvalidRequest``, ``AccessDenied``, ``AgentUnavailable``, ``AgentError``, ``Timeout``,
``InternalError``. No AWS error text, ARN or stack trace reaches the client.

Every setting comes from the environment the facade sets (names in :mod:`contract`); a missing one is a
:class:`contract.ConfigurationError` when the proxy starts. boto3 only; clients are created lazily (standard retry
mode) or injected for tests. Packaged with ``contract.py`` and ``staging_urls.py``.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

try:  # inside the package (tests)
    from constructs_lib.handlers import contract, staging_urls
except ImportError:  # in the Lambda bundle, where the handlers sit at the top level
    import contract  # type: ignore[no-redef]
    import staging_urls  # type: ignore[no-redef]

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

_READ_BYTES = 1024
_RETRY = Config(retries={"mode": "standard", "max_attempts": 3})


class FrameEncoder:
    """Splits text into JSON ``chunk`` frames that each fit ``frame_bytes`` once encoded (UTF-8)."""

    def __init__(self, frame_bytes: int) -> None:
        if frame_bytes < 256:
            raise ValueError(f"frame_bytes must be at least 256, got {frame_bytes}")
        self.frame_bytes = frame_bytes
        self.seq = 0

    def _encode(self, text: str) -> bytes:
        frame = {"type": "chunk", "seq": self.seq, "data": text}
        return json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode()

    def frames(self, text: str) -> Iterator[bytes]:
        """Frames for ``text``, in order, each at most ``frame_bytes`` long."""
        while text:
            size = min(len(text), self.frame_bytes)
            data = self._encode(text[:size])
            while len(data) > self.frame_bytes:
                size = max(1, min(size - 1, size * self.frame_bytes // len(data) - 8))
                data = self._encode(text[:size])
            yield data
            self.seq += 1
            text = text[size:]


def _error_frame(error: contract.PublicError) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": error.code, "message": error.message,
                             "retryable": error.retryable}
    if error.retry_after is not None:
        frame["retryAfterSeconds"] = error.retry_after
    return frame


def _bad_request(problem: str) -> contract.PublicError:
    return contract.PublicError(400, "BadRequest", problem)


class ConnectionGone(Exception):
    """The client disconnected while the answer was being relayed."""


class WebSocketProxy:
    """The handler's logic, with its AWS clients and clock injected.

    Args:
        dynamodb: DynamoDB client. Default: created on first use.
        agentcore: ``bedrock-agentcore`` client. Default: created on first use.
        management: ``apigatewaymanagementapi`` client for the stage. Default: created on first use from
            ``CALLBACK_URL``.
        s3: S3 client for signing staging URLs. Default: created on first use.
        environ: configuration. Default: ``os.environ``.
        clock: monotonic clock (seconds). Default: ``time.monotonic``.
        sleep: sleep function. Default: ``time.sleep``.
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
        s3: Any = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        env = os.environ if environ is None else environ
        self.table = contract.require(env, contract.ENV_CONNECTIONS_TABLE)
        self.agent_runtime_arn = contract.require(env, contract.ENV_AGENT_RUNTIME_ARN)
        self.qualifier = contract.require(env, contract.ENV_AGENT_QUALIFIER)
        self.callback_url = contract.require(env, contract.ENV_CALLBACK_URL)
        self.frame_bytes = int(contract.require_number(env, contract.ENV_FRAME_BYTES))
        self.min_interval = 1.0 / contract.require_number(env, contract.ENV_MAX_FRAMES_PER_SECOND)
        self.connection_ttl = int(contract.require_number(env, contract.ENV_CONNECTION_TTL_SECONDS))
        self.session_rule = contract.SessionIdRule.from_environment(env)
        self._agentcore_settings = contract.agentcore_client_settings(env)
        self._dynamodb = dynamodb
        self._agentcore = agentcore
        self._management = management
        self._s3 = s3
        self._env = env
        self._staging: staging_urls.StagingConfig | None = None
        self._clock, self._sleep, self._now = clock, sleep, now
        self._last_post: float | None = None

    # -- clients -------------------------------------------------------------------------------------

    @property
    def dynamodb(self) -> Any:
        """The DynamoDB client."""
        if self._dynamodb is None:
            self._dynamodb = boto3.client("dynamodb", config=_RETRY)
        return self._dynamodb

    @property
    def agentcore(self) -> Any:
        """The ``bedrock-agentcore`` data-plane client."""
        if self._agentcore is None:
            # The facade sets one attempt (a retry would run the agent's task again) and a read timeout below the
            # relay's own timeout; throttling reaches the client as a retryable error frame.
            self._agentcore = boto3.client("bedrock-agentcore", config=Config(**self._agentcore_settings))
        return self._agentcore

    @property
    def s3(self) -> Any:
        """The S3 client that signs staging URLs (SigV4)."""
        if self._s3 is None:
            self._s3 = staging_urls.s3_client()
        return self._s3

    @property
    def staging(self) -> staging_urls.StagingConfig | None:
        """The payload staging configuration, or ``None`` when the facade has no staging bucket."""
        if self._staging is None and contract.ENV_STAGING_BUCKET in self._env:
            self._staging = staging_urls.StagingConfig.from_environment(self._env)
        return self._staging

    def management_for(self, event: Mapping[str, Any]) -> Any:
        """The management API client of the stage (``CALLBACK_URL``)."""
        if self._management is None:
            self._management = boto3.client("apigatewaymanagementapi", endpoint_url=self.callback_url, config=_RETRY)
        return self._management

    # -- routes --------------------------------------------------------------------------------------

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Dispatch one API Gateway WebSocket event."""
        context = event.get("requestContext") or {}
        route = context.get("routeKey")
        connection_id = context.get("connectionId")
        if not connection_id:
            return {"statusCode": 400}
        if route == "$connect":
            return self.connect(connection_id, event)
        if route == "$disconnect":
            return self.disconnect(connection_id)
        return self.message(connection_id, event)

    def connect(self, connection_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """Record a new connection with its runtime session id; reject an invalid client session id."""
        query = event.get("queryStringParameters") or {}
        session_id = query.get("sessionId") or self.session_rule.new_id()
        if not self.session_rule.accepts(session_id):
            return {"statusCode": 400, "body": f"sessionId must be {self.session_rule.describe()}"}
        now = int(self._now())
        item = {
            "connectionId": {"S": connection_id},
            "sessionId": {"S": session_id},
            "connectedAt": {"N": str(now)},
            "expiresAt": {"N": str(now + self.connection_ttl)},
        }
        context = event.get("requestContext") or {}
        principal = (context.get("authorizer") or {}).get("principalId") or (
            context.get("identity") or {}).get("userArn")
        if principal:
            item["principal"] = {"S": str(principal)}
        self.dynamodb.put_item(TableName=self.table, Item=item)
        return {"statusCode": 200}

    def disconnect(self, connection_id: str) -> dict[str, Any]:
        """Forget a connection."""
        self.dynamodb.delete_item(TableName=self.table, Key={"connectionId": {"S": connection_id}})
        return {"statusCode": 200}

    def _session_for(self, connection_id: str) -> str:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"connectionId": {"S": connection_id}}, ProjectionExpression="sessionId"
        ).get("Item")
        if item and "sessionId" in item:
            return str(item["sessionId"]["S"])
        return self.session_rule.new_id()

    def message(self, connection_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """Send a client message to the agent and relay the answer."""
        management = self.management_for(event)
        request, problem = _parse_message(event, self.session_rule)
        if request is None:
            return self._fail(management, connection_id, _bad_request(problem))
        if "upload" in request:
            return self.upload(management, connection_id, request["upload"])
        session_id = request.get("sessionId") or self._session_for(connection_id)
        try:
            response = self.agentcore.invoke_agent_runtime(
                agentRuntimeArn=self.agent_runtime_arn,
                qualifier=self.qualifier,
                runtimeSessionId=session_id,
                payload=json.dumps(request["payload"]).encode(),
                contentType="application/json",
                accept="application/json, text/event-stream",
            )
        except (ClientError, BotoCoreError) as error:  # AgentCore's errors and transport (never shown to the client)
            LOGGER.warning("InvokeAgentRuntime failed: %s", contract.error_code_of(error))
            return self._fail(management, connection_id, contract.map_agent_error(error))
        content_type = response.get("contentType", "application/json")
        try:
            seq = self._relay(management, connection_id, response["response"], content_type)
            self._post(management, connection_id, {
                "type": "end", "seq": seq, "sessionId": response.get("runtimeSessionId", session_id),
                "contentType": content_type,
            })
        except ConnectionGone:
            self.disconnect(connection_id)
            return {"statusCode": 410}
        except BotoCoreError as error:  # the agent's stream broke: say so instead of ending silently
            LOGGER.warning("agent stream ended early: %s", type(error).__name__)
            return self._fail(management, connection_id, contract.map_agent_error(error, answer_started=True))
        return {"statusCode": 200}

    def upload(self, management: Any, connection_id: str, spec: Any) -> dict[str, Any]:
        """Answer an upload request with a pre-signed PUT (known size) or POST (size-limited policy)."""
        config = self.staging
        if config is None:
            return self._fail(management, connection_id, _bad_request("this API has no payload staging"))
        if not isinstance(spec, dict):
            return self._fail(management, connection_id, _bad_request("upload must be a JSON object"))
        name = spec.get("fileName")
        key = staging_urls.new_input_key(config, name if isinstance(name, str) else None)
        try:
            if spec.get("size") is not None:
                upload = staging_urls.presigned_put(self.s3, config, content_length=spec["size"], key=key)
            else:
                content_type = spec.get("contentType")
                upload = staging_urls.presigned_post(
                    self.s3, config, key=key, content_type=content_type if isinstance(content_type, str) else None
                )
        except staging_urls.StagingError as error:
            return self._fail(management, connection_id, _bad_request(str(error)))
        try:
            self._post(management, connection_id, {"type": "upload", **upload})
        except ConnectionGone:
            self.disconnect(connection_id)
            return {"statusCode": 410}
        return {"statusCode": 200}

    # -- relaying ------------------------------------------------------------------------------------

    def _relay(self, management: Any, connection_id: str, body: Any, content_type: str) -> int:
        encoder = FrameEncoder(self.frame_bytes)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        event_stream = content_type.startswith("text/event-stream")
        buffer = ""
        for chunk in body.iter_chunks(_READ_BYTES):
            buffer += decoder.decode(chunk)
            # Flush whole frames, and complete server-sent events at once so the client sees progress.
            if len(buffer.encode()) >= self.frame_bytes or (event_stream and buffer.endswith("\n\n")):
                buffer = self._flush(management, connection_id, encoder, buffer, final=event_stream)
        buffer += decoder.decode(b"", final=True)
        self._flush(management, connection_id, encoder, buffer, final=True)
        return encoder.seq

    def _flush(self, management: Any, connection_id: str, encoder: FrameEncoder, text: str, *, final: bool) -> str:
        frames = list(encoder.frames(text))
        # Keep a partial last frame in the buffer unless this is the end (fewer, fuller frames).
        keep = ""
        if not final and frames and len(frames[-1]) < encoder.frame_bytes // 2:
            last = json.loads(frames.pop())
            keep = last["data"]
            encoder.seq -= 1
        for data in frames:
            self._post_bytes(management, connection_id, data)
        return keep

    def _post(self, management: Any, connection_id: str, frame: Mapping[str, Any]) -> None:
        self._post_bytes(management, connection_id, json.dumps(frame, separators=(",", ":")).encode())

    def _post_bytes(self, management: Any, connection_id: str, data: bytes) -> None:
        if self._last_post is not None:
            wait = self.min_interval - (self._clock() - self._last_post)
            if wait > 0:
                self._sleep(wait)
        try:
            management.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "GoneException":
                raise ConnectionGone(connection_id) from error
            raise
        finally:
            self._last_post = self._clock()

    def _fail(self, management: Any, connection_id: str, error: contract.PublicError) -> dict[str, Any]:
        try:
            self._post(management, connection_id, _error_frame(error))
        except ConnectionGone:
            self.disconnect(connection_id)
            return {"statusCode": 410}
        return {"statusCode": error.status}


def _parse_message(event: Mapping[str, Any], rule: contract.SessionIdRule) -> tuple[dict[str, Any] | None, str]:
    body = event.get("body")
    if event.get("isBase64Encoded") or not isinstance(body, str) or not body.strip():
        return None, "send a JSON text message: {\"payload\": ...}"
    try:
        request = json.loads(body)
    except ValueError:
        return None, "the message is not valid JSON"
    if not isinstance(request, dict) or ("payload" not in request and "upload" not in request):
        return None, "the message must be a JSON object with a \"payload\" (or \"upload\") member"
    session_id = request.get("sessionId")
    if session_id is not None and not rule.accepts(session_id):
        return None, f"sessionId must be {rule.describe()}"
    return request, ""


_PROXY: WebSocketProxy | None = None


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point."""
    global _PROXY
    if _PROXY is None:
        _PROXY = WebSocketProxy()
    return _PROXY.handle(event)
