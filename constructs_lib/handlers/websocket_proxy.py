"""WebSocket proxy: relays API Gateway WebSocket messages to an AgentCore agent and streams answers back.

Routes (``requestContext.routeKey``):

- ``$connect``: records the connection in DynamoDB with a runtime session id (the client may pass its
  own as the ``sessionId`` query parameter, 33 to 100 characters from ``[A-Za-z0-9-_]``), the caller
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

Error codes: ``BadRequest`` (malformed message), ``Throttled`` (AgentCore throttling),
``SessionLimitReached`` (active session quota), ``InvalidRequest`` (the agent rejected the payload),
``Forbidden``, ``AgentUnavailable``, ``AgentError``, ``InternalError``. No AWS error text, ARN or stack
trace reaches the client.

boto3 only; clients are created lazily (standard retry mode) or injected for tests.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

try:  # inside the package (tests)
    from constructs_lib.handlers import staging_urls
except ImportError:  # in the Lambda bundle, where the handlers sit at the top level
    import staging_urls  # type: ignore[no-redef]

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

ENV_CONNECTIONS_TABLE = "CONNECTIONS_TABLE"
ENV_AGENT_RUNTIME_ARN = "AGENT_RUNTIME_ARN"
ENV_AGENT_QUALIFIER = "AGENT_QUALIFIER"
ENV_CALLBACK_URL = "CALLBACK_URL"
ENV_FRAME_BYTES = "FRAME_BYTES"
ENV_MAX_FRAMES_PER_SECOND = "MAX_FRAMES_PER_SECOND"
ENV_CONNECTION_TTL_SECONDS = "CONNECTION_TTL_SECONDS"

#: Runtime session ids as AgentCore echoes them: 33 to 100 characters.
SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{32,99}$")  # whole string: fullmatch
_READ_BYTES = 1024
_RETRY = Config(retries={"mode": "standard", "max_attempts": 3})

_Mapped = tuple[str, int, bool, int | None, str]
#: AgentCore error code -> (client code, HTTP-like status, retryable, retry after seconds, message).
ERROR_MAP: dict[str, _Mapped] = {
    "ThrottlingException": ("Throttled", 429, True, 1, "the agent is busy; retry shortly"),
    "ServiceQuotaExceededException": (
        "SessionLimitReached", 429, True, 5, "too many active sessions; retry later",
    ),
    "RetryableConflictException": ("Conflict", 409, True, 1, "the session is busy; retry shortly"),
    "ValidationException": ("InvalidRequest", 400, False, None, "the agent rejected the request"),
    "AccessDeniedException": ("Forbidden", 403, False, None, "access to the agent was denied"),
    "ResourceNotFoundException": ("AgentUnavailable", 503, False, None, "the agent is not available"),
    "RuntimeClientError": ("AgentError", 502, False, None, "the agent failed to answer"),
}
_INTERNAL: _Mapped = ("InternalError", 500, False, None, "internal error")
#: The agent did not answer within the client's read timeout.
_TIMEOUT: _Mapped = ("Timeout", 504, True, None, "the agent did not answer in time")
#: AgentCore could not be reached, or the agent's answer broke off after frames were sent.
_UNREACHABLE: _Mapped = ("AgentUnavailable", 502, True, None, "the agent is not reachable; retry")
_CUT_OFF: _Mapped = ("AgentError", 502, True, None, "the agent's answer was cut off; retry")


def new_session_id() -> str:
    """A runtime session id of 43 characters from ``[A-Za-z0-9-_]`` starting with an alphanumeric."""
    return "s" + secrets.token_urlsafe(32)[:42].replace("-", "a").replace("_", "b")


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


def _error_frame(code: str, message: str, retryable: bool, retry_after: int | None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message, "retryable": retryable}
    if retry_after is not None:
        frame["retryAfterSeconds"] = retry_after
    return frame


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
        self.table = env[ENV_CONNECTIONS_TABLE]
        self.agent_runtime_arn = env[ENV_AGENT_RUNTIME_ARN]
        self.qualifier = env.get(ENV_AGENT_QUALIFIER, "DEFAULT")
        self.callback_url = env.get(ENV_CALLBACK_URL)
        self.frame_bytes = int(env.get(ENV_FRAME_BYTES, "32768"))
        self.min_interval = 1.0 / float(env.get(ENV_MAX_FRAMES_PER_SECOND, "250"))
        self.connection_ttl = int(env.get(ENV_CONNECTION_TTL_SECONDS, "10800"))
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
            # One attempt: standard mode also retries timeouts and broken connections, which would run the
            # agent's (non-idempotent) task again; throttling reaches the client as a retryable error frame.
            self._agentcore = boto3.client(
                "bedrock-agentcore",
                config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=900,
                              connect_timeout=10),
            )
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
        if self._staging is None and staging_urls.ENV_BUCKET in self._env:
            self._staging = staging_urls.StagingConfig.from_environment(self._env)
        return self._staging

    def management_for(self, event: Mapping[str, Any]) -> Any:
        """The management API client of the stage the event came through."""
        if self._management is None:
            context = event.get("requestContext", {})
            url = self.callback_url or f"https://{context.get('domainName')}/{context.get('stage')}"
            self._management = boto3.client("apigatewaymanagementapi", endpoint_url=url, config=_RETRY)
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
        session_id = query.get("sessionId") or new_session_id()
        if not SESSION_ID_PATTERN.fullmatch(session_id):
            return {"statusCode": 400, "body": "sessionId must be 33 to 100 characters from [A-Za-z0-9-_]"}
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
        return new_session_id()

    def message(self, connection_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """Send a client message to the agent and relay the answer."""
        management = self.management_for(event)
        request, problem = _parse_message(event)
        if request is None:
            return self._fail(management, connection_id, ("BadRequest", 400, False, None, problem))
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
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            LOGGER.warning("InvokeAgentRuntime failed: %s", code)
            return self._fail(management, connection_id, ERROR_MAP.get(code, _INTERNAL))
        except BotoCoreError as error:  # transport: timeouts, no connection (never shown to the client)
            LOGGER.warning("InvokeAgentRuntime failed: %s", type(error).__name__)
            timeout = isinstance(error, ReadTimeoutError | ConnectTimeoutError)
            return self._fail(management, connection_id, _TIMEOUT if timeout else _UNREACHABLE)
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
            return self._fail(management, connection_id, _CUT_OFF)
        return {"statusCode": 200}

    def upload(self, management: Any, connection_id: str, spec: Any) -> dict[str, Any]:
        """Answer an upload request with a pre-signed PUT (known size) or POST (size-limited policy)."""
        config = self.staging
        if config is None:
            return self._fail(management, connection_id,
                              ("BadRequest", 400, False, None, "this API has no payload staging"))
        if not isinstance(spec, dict):
            return self._fail(management, connection_id,
                              ("BadRequest", 400, False, None, "upload must be a JSON object"))
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
            return self._fail(management, connection_id, ("BadRequest", 400, False, None, str(error)))
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

    def _fail(self, management: Any, connection_id: str, mapped: _Mapped) -> dict[str, Any]:
        code, status, retryable, retry_after, message = mapped
        try:
            self._post(management, connection_id, _error_frame(code, message, retryable, retry_after))
        except ConnectionGone:
            self.disconnect(connection_id)
            return {"statusCode": 410}
        return {"statusCode": status}


def _parse_message(event: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str]:
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
    if session_id is not None and (not isinstance(session_id, str) or not SESSION_ID_PATTERN.fullmatch(session_id)):
        return None, "sessionId must be 33 to 100 characters from [A-Za-z0-9-_]"
    return request, ""


_PROXY: WebSocketProxy | None = None


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point."""
    global _PROXY
    if _PROXY is None:
        _PROXY = WebSocketProxy()
    return _PROXY.handle(event)
