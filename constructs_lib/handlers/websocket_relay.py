"""WebSocket relay: sends one client message to the agent and streams the answer back as it arrives.

Invoked asynchronously by the ``$default`` route of :mod:`websocket_proxy` (``InvocationType=Event``), so the answer is
bound by this function's timeout, not by API Gateway's WebSocket integration timeout. The event (built by the proxy,
which checked the caller, the session and the message) carries the connection, the message id, the caller-bound
runtime session, the client's session id, the ``runtimeUserId`` and the payload.

- Each chunk of the agent's answer is framed and posted the moment it arrives (what arrived while a frame was being
  paced is joined to the next one), in frames that fit API Gateway's WebSocket frame size, at most
  ``MAX_FRAMES_PER_SECOND``.
- The answer ends with an ``end`` frame, or with an ``error`` frame: AgentCore's errors (the contract's one error map),
  a broken stream (``AgentError``), or the relay's own deadline (``Timeout``, sent before the function's deadline, less
  the answer margin; the AgentCore read timeout stays below the deadline too). An answer the relay gives up on stops
  its runtime session, and so does a client that went away (``GoneException``: its connection record is deleted).
- Lambda may deliver an asynchronous event more than once: the relay is idempotent per connection and message id
  (Powertools idempotency, records in the connection table, expiring through its TTL attribute), so the agent is
  invoked once per message. The facade sets the function's asynchronous retries to zero: a retried relay would run
  the agent's task again.

Frames (JSON text)::

    {"type": "chunk", "seq": 0, "data": "..."}                          part of the agent's answer
    {"type": "end", "seq": 3, "sessionId": "...", "contentType": "..."}  the answer is complete
    {"type": "error", "code": "Throttled", "message": "...", "retryable": true, "retryAfterSeconds": 1}

``sessionId`` is the client's own session id (the runtime session is never shown).
"""

from __future__ import annotations

import codecs
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from botocore.exceptions import BotoCoreError, ClientError

try:  # inside the package (tests)
    from constructs_lib.handlers import agent_calls, contract, rollout, session_budget
    from constructs_lib.handlers.clients import STANDARD_RETRIES, LazyClients
    from constructs_lib.handlers.websocket_proxy import ConnectionGone, error_frame, post_frame
except ImportError:  # in the Lambda bundle, where the handlers sit at the top level
    import agent_calls  # type: ignore[no-redef]
    import contract  # type: ignore[no-redef]
    import rollout  # type: ignore[no-redef]
    import session_budget  # type: ignore[no-redef]
    from clients import STANDARD_RETRIES, LazyClients  # type: ignore[no-redef]
    from websocket_proxy import ConnectionGone, error_frame, post_frame  # type: ignore[no-redef]

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "agent-websocket-relay"))
tracer = Tracer()

_ACCEPT = "application/json, text/event-stream"
#: The smallest frame size the encoder works with (a frame's JSON envelope must fit, with room for data).
MIN_FRAME_BYTES = 256


class FrameEncoder:
    """Splits text into JSON ``chunk`` frames that each fit ``frame_bytes`` once encoded (UTF-8)."""

    def __init__(self, frame_bytes: int) -> None:
        if frame_bytes < MIN_FRAME_BYTES:
            raise ValueError(f"frame_bytes must be at least {MIN_FRAME_BYTES}, got {frame_bytes}")
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


class WebSocketRelay:
    """The relay's logic, with its AWS clients and clock injected.

    Args:
        agentcore: ``bedrock-agentcore`` client. Default: created on first use.
        management: ``apigatewaymanagementapi`` client for the stage. Default: created on first use.
        dynamodb: DynamoDB client (connection records). Default: created on first use.
        environ: configuration. Default: ``os.environ``.
        clock: monotonic clock (seconds). Default: ``time.monotonic``.
        sleep: sleep function. Default: ``time.sleep``.

    Raises:
        contract.ConfigurationError: the environment lacks a setting the facade sets (there is no fallback).
    """

    def __init__(
        self,
        *,
        agentcore: Any = None,
        management: Any = None,
        dynamodb: Any = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        env = os.environ if environ is None else environ
        self.table = contract.require(env, contract.ENV_CONNECTIONS_TABLE)
        self.callback_url = contract.require(env, contract.ENV_CALLBACK_URL)
        self.frame_bytes = int(contract.require_number(env, contract.ENV_FRAME_BYTES))
        self.min_interval = 1.0 / contract.require_number(env, contract.ENV_MAX_FRAMES_PER_SECOND)
        self.answer_margin = contract.require_number(env, contract.ENV_ANSWER_MARGIN_SECONDS)
        self.send_user_id = contract.require_flag(env, contract.ENV_SEND_RUNTIME_USER_ID)
        self._runtime_arn = contract.require(env, contract.ENV_AGENT_RUNTIME_ARN)
        self._qualifier = contract.require(env, contract.ENV_AGENT_QUALIFIER)
        contract.agentcore_client_settings(env)
        #: The relay's boto3 clients.
        self.clients = LazyClients(env, callback_url=self.callback_url, injected={
            "bedrock-agentcore": agentcore, "apigatewaymanagementapi": management, "dynamodb": dynamodb})
        #: The endpoint each runtime session runs on (the agent's rollout, or the facade's qualifier).
        self.routing = rollout.Routing(self._qualifier, rollout.RolloutSettings.from_environment(env),
                                       lambda name: self.clients[name])
        self._budget = session_budget.BudgetSettings.from_environment(env)
        self._clock, self._sleep = clock, sleep
        self._last_post: float | None = None
        self._seq = 0

    def endpoint(self, session: str) -> agent_calls.AgentEndpoint:
        """The endpoint of a runtime session (one attempt, the facade's read timeout): the rollout's assignment, or
        the facade's qualifier; a session it stops is released in the session budget's registry, if any."""
        registry = None if self._budget is None else session_budget.SessionRegistry(self.clients["dynamodb"],
                                                                                   self._budget)
        return agent_calls.AgentEndpoint(self.clients["bedrock-agentcore"], self._runtime_arn,
                                         self.routing.qualifier_for(session), send_user_id=self.send_user_id,
                                         registry=registry)

    @property
    def management(self) -> Any:
        """The management API client of the stage (``CALLBACK_URL``)."""
        return self.clients["apigatewaymanagementapi"]

    # -- one message ---------------------------------------------------------------------------------

    def relay(self, task: Mapping[str, Any], remaining_seconds: float | None) -> str:
        """Send the message to the agent and relay its answer; returns how it ended (``end``, ``error:<Code>``,
        ``gone``), for the log and the idempotency record."""
        connection_id = task["connectionId"]
        session = task["runtimeSessionId"]
        started = self._clock()
        stop_at = None if remaining_seconds is None else (
            started + remaining_seconds - min(self.answer_margin, remaining_seconds / 2))
        try:
            try:
                response = self.endpoint(session).invoke(session, str(task["payload"]).encode("utf-8"),
                                                user_id=task.get("userId"), accept=_ACCEPT)
            except (ClientError, BotoCoreError) as error:  # AgentCore's errors and transport, never shown as such
                logger.warning("InvokeAgentRuntime failed", extra={"error_code": contract.error_code_of(error)})
                return self._fail(connection_id, contract.map_agent_error(error))
            content_type = response.get("contentType") or "application/json"
            outcome = self._relay_answer(connection_id, response["response"], content_type, session, stop_at)
            if outcome == "end":
                self._post(connection_id, {"type": "end", "seq": self._seq, "sessionId": task["sessionId"],
                                           "contentType": content_type})
            return outcome
        except ConnectionGone:
            self.endpoint(session).stop(session, "its WebSocket client went away")
            self.clients["dynamodb"].delete_item(TableName=self.table, Key={"connectionId": {"S": connection_id}})
            return "gone"

    def _relay_answer(
        self, connection_id: str, body: Any, content_type: str, session: str, stop_at: float | None
    ) -> str:
        encoder = FrameEncoder(self.frame_bytes)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pump = agent_calls.ChunkPump(body)
        self._seq = 0
        try:
            while True:
                try:
                    chunk = pump.next(None if stop_at is None else stop_at - self._clock())
                except TimeoutError:
                    logger.warning("answer ended before the relay's deadline")
                    self.endpoint(session).stop(session, "its answer reached the relay's deadline")
                    return self._fail(connection_id, contract.TIMEOUT)
                except BotoCoreError as error:  # the agent's stream broke: say so instead of ending silently
                    logger.warning("agent stream ended early", extra={"error_code": type(error).__name__})
                    return self._fail(connection_id, contract.map_agent_error(error, answer_started=True))
                if chunk is None:
                    break
                text = decoder.decode(chunk + pump.ready())
                for frame in encoder.frames(text):
                    self._post_bytes(connection_id, frame)
                self._seq = encoder.seq
            for frame in encoder.frames(decoder.decode(b"", final=True)):
                self._post_bytes(connection_id, frame)
            self._seq = encoder.seq
            return "end"
        finally:
            pump.close()

    # -- frames --------------------------------------------------------------------------------------

    def _post(self, connection_id: str, frame: Mapping[str, Any]) -> None:
        self._post_bytes(connection_id, json.dumps(frame, separators=(",", ":")).encode())

    def _post_bytes(self, connection_id: str, data: bytes) -> None:
        if self._last_post is not None:
            wait = self.min_interval - (self._clock() - self._last_post)
            if wait > 0:
                self._sleep(wait)
        try:
            post_frame(self.management, connection_id, data)
        finally:
            self._last_post = self._clock()

    def _fail(self, connection_id: str, error: contract.PublicError) -> str:
        self._post(connection_id, error_frame(error))
        return f"error:{error.code}"


@cache
def _relay() -> WebSocketRelay:
    return WebSocketRelay()


@cache
def _idempotent_relay() -> tuple[IdempotencyConfig, Callable[..., str]]:
    """The relay of one message, once per connection and message id (records in the connection table)."""
    config = IdempotencyConfig(event_key_jmespath="[connectionId, messageId]")
    persistence = DynamoDBPersistenceLayer(
        table_name=contract.require(os.environ, contract.ENV_CONNECTIONS_TABLE), key_attr="connectionId",
        expiry_attr="expiresAt", boto_config=STANDARD_RETRIES,
    )

    def relay_message(task: Mapping[str, Any], remaining_seconds: float | None) -> str:
        return _relay().relay(task, remaining_seconds)

    once = idempotent_function(data_keyword_argument="task", config=config, persistence_store=persistence)
    return config, once(relay_message)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, str]:
    """Lambda entry point: one message handed over by the ``$default`` route."""
    config, relay_message = _idempotent_relay()
    remaining = None
    if context is not None:
        config.register_lambda_context(context)
        remaining = context.get_remaining_time_in_millis() / 1000
    outcome = relay_message(task=dict(event), remaining_seconds=remaining)
    logger.info("message relayed", extra={"outcome": outcome})
    return {"outcome": outcome}


__all__ = ["MIN_FRAME_BYTES", "FrameEncoder", "WebSocketRelay", "handler"]
