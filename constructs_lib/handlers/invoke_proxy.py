"""Lambda proxy between an API Gateway REST API and an AgentCore Runtime (``AgentApiFacade``).

Routes (API Gateway Lambda proxy events, routed by Powertools' ``APIGatewayRestResolver``):

- ``POST /invoke``: ``InvokeAgentRuntime`` and the agent's whole answer (buffered); an answer above Lambda's response
  payload is stored in the staging bucket and answered with a pre-signed URL (502 ``AnswerTooLarge`` without
  staging). Under the streaming runtime loop (:mod:`stream_runtime`, :func:`stream`) the answer is relayed as it
  arrives, with keep-alives while the agent is silent and an error trailer before the function's deadline.
- ``POST /jobs``: records a job, starts it in the caller's runtime session and answers ``202`` at once; an
  ``Idempotency-Key`` header makes a retry answer the first request's job instead of starting another (Powertools
  idempotency, records in the job table). See :mod:`constructs_lib.serving.jobs` for the completion contract.
- ``GET /jobs/{jobId}``: the caller's job: status, and when done its result or a pre-signed URL to it.
- ``DELETE /jobs/{jobId}``: cancels the caller's running job and stops its runtime session.
- ``POST /uploads``: a pre-signed, size-limited upload under the caller's own staging prefix.

Sessions belong to callers (:mod:`caller`): the caller is the full principal API Gateway authenticated, a request
without one is refused (401), and the runtime session AgentCore sees is derived from the caller and the client's own
session id (``sessionId`` in the body, or the session header; a new one when absent). The client only ever sees its own
session id (in the session header of every answer). The caller is sent as ``runtimeUserId`` when the facade says so.
A session is stopped (``StopRuntimeSession``) when a job fails or is cancelled and when a stream is abandoned (its
client went away, or the proxy's deadline came first).

Malformed input (no body, invalid base64, not JSON, nested too deeply, larger than the API takes inline) is a 4xx JSON
error (:mod:`inputs`); AgentCore's errors go through the contract's one error map (the WebSocket facade's too); no
answer carries a stack trace, an ARN or a service message.

Every setting comes from the environment :class:`AgentApiFacade` sets (names in :mod:`contract`); a missing one is a
:class:`contract.ConfigurationError`, reported as the init error of the streaming runtime and in the log of a buffered
invocation. Logging (structured), tracing of boto3 calls and idempotency are Powertools for AWS Lambda (Python), from
the Powertools layer the facade attaches. Clients are created lazily (tests inject others with :func:`set_clients`).
"""

from __future__ import annotations

import base64
import contextvars
import dataclasses
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from botocore.exceptions import ClientError

try:  # inside the package (tests, other modules)
    from constructs_lib.handlers import agent_calls, contract, inputs, rollout, session_budget, staging_urls
    from constructs_lib.handlers.caller import Caller, caller_of
    from constructs_lib.handlers.clients import STANDARD_RETRIES, LazyClients
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import agent_calls  # type: ignore[no-redef]
    import contract  # type: ignore[no-redef]
    import inputs  # type: ignore[no-redef]
    import rollout  # type: ignore[no-redef]
    import session_budget  # type: ignore[no-redef]
    import staging_urls  # type: ignore[no-redef]
    from caller import Caller, caller_of  # type: ignore[no-redef]
    from clients import STANDARD_RETRIES, LazyClients  # type: ignore[no-redef]

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "agent-api-proxy"))
tracer = Tracer()
app = APIGatewayRestResolver()

#: Job ids the proxy generates (and accepts in ``/jobs/{jobId}``; whole string, ``fullmatch``).
JOB_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
#: ``Idempotency-Key`` values accepted: visible ASCII, as other APIs take them.
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
#: The request header of an idempotent ``POST /jobs``.
IDEMPOTENCY_HEADER = "Idempotency-Key"

#: Job states, as stored in the job table.
JOB_PENDING, JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED = (
    "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED")

_TEXT_TYPES = ("text/", "application/json", "application/x-ndjson", "application/xml")
_STREAM_DELIMITER = b"\x00" * 8
_STREAM_ACCEPT = "text/event-stream, application/json"
#: Error type in the trailers of a stream the proxy ended before its deadline.
STREAM_TIMED_OUT = "Function.StreamTimedOut"
#: Error type in the trailers of a stream the agent broke off.
STREAM_INTERRUPTED = "Function.StreamInterrupted"

#: The proxy's boto3 clients (AgentCore's with the facade's settings: one attempt, a read timeout below the deadline).
_clients = LazyClients(os.environ)
#: What a route returns (Powertools' response, its body a string or bytes).
Answer = Response[Any]


# -- configuration and clients ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What the facade configured (read once from the environment).

    A shared proxy (the platform's API: :data:`contract.ENV_AGENT_ROUTES` set) reads the settings its agents share
    once, then serves each request with :meth:`for_agent` of the request's route: that agent's runtime, endpoint,
    table key prefix, staging prefixes and session scope.
    """

    runtime_arn: str
    qualifier: str
    rule: contract.SessionIdRule
    send_user_id: bool
    user_id_max_length: int
    max_request_bytes: int
    max_response_bytes: int
    answer_margin_seconds: float
    keepalive_seconds: float | None
    jobs_table: str | None
    job_ttl_seconds: int
    idempotency_ttl_seconds: int
    staging: staging_urls.StagingConfig | None
    #: The agents of a shared proxy by route (empty for a proxy of one agent).
    agents: Mapping[str, contract.AgentRoute] = dataclasses.field(default_factory=dict)
    #: The agent a shared proxy serves this request for (its route; the scope of its callers' sessions).
    scope: str | None = None
    #: The prefix of this agent's keys in a shared job table (empty with a table of its own).
    key_prefix: str = ""

    @property
    def shared(self) -> bool:
        """Whether the proxy serves several agents (each under its own route)."""
        return bool(self.agents)

    def for_agent(self, route: str) -> Settings | None:
        """The settings of the agent under ``route`` of a shared proxy; ``None`` for a route it does not serve."""
        agent = self.agents.get(route)
        if agent is None:
            return None
        staging = None
        if self.staging is not None and agent.staging:
            staging = dataclasses.replace(
                self.staging, input_prefix=f"{contract.INPUTS_PREFIX}{agent.runtime_name}/",
                output_prefix=f"{contract.OUTPUTS_PREFIX}{agent.runtime_name}/",
            )
        return dataclasses.replace(self, runtime_arn=agent.runtime_arn, qualifier=agent.qualifier, staging=staging,
                                   scope=route, key_prefix=agent.key_prefix)

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        """Raises :class:`contract.ConfigurationError` naming the first missing or malformed variable."""
        contract.agentcore_client_settings(env)
        jobs = env.get(contract.ENV_JOBS_TABLE_NAME) or None
        keepalive = env.get(contract.ENV_STREAM_KEEPALIVE_SECONDS)
        agents = contract.agent_routes(env)
        return cls(
            # A shared proxy has no runtime of its own: each request's route names one (for_agent).
            runtime_arn="" if agents else contract.require(env, contract.ENV_AGENT_RUNTIME_ARN),
            qualifier="" if agents else contract.require(env, contract.ENV_AGENT_QUALIFIER),
            rule=contract.SessionIdRule.from_environment(env),
            send_user_id=contract.require_flag(env, contract.ENV_SEND_RUNTIME_USER_ID),
            user_id_max_length=int(contract.require_number(env, contract.ENV_RUNTIME_USER_ID_MAX_LENGTH)),
            max_request_bytes=int(contract.require_number(env, contract.ENV_MAX_REQUEST_BYTES)),
            max_response_bytes=int(contract.require_number(env, contract.ENV_MAX_RESPONSE_BYTES)),
            answer_margin_seconds=contract.require_number(env, contract.ENV_ANSWER_MARGIN_SECONDS),
            keepalive_seconds=(
                contract.require_number(env, contract.ENV_STREAM_KEEPALIVE_SECONDS) if keepalive is not None else None
            ),
            jobs_table=jobs,
            job_ttl_seconds=int(contract.require_number(env, contract.ENV_JOB_TIME_TO_LIVE_SECONDS)) if jobs else 0,
            idempotency_ttl_seconds=(
                int(contract.require_number(env, contract.ENV_IDEMPOTENCY_TTL_SECONDS)) if jobs else 0
            ),
            staging=_staging(env, shared=bool(agents)),
            agents=agents,
        )


def _staging(env: Mapping[str, str], *, shared: bool) -> staging_urls.StagingConfig | None:
    """The staging bucket's settings; a shared proxy's prefixes are each agent's (:meth:`Settings.for_agent`)."""
    if not env.get(contract.ENV_STAGING_BUCKET):
        return None
    if not shared:
        return staging_urls.StagingConfig.from_environment(env)
    return staging_urls.StagingConfig(
        bucket=contract.require(env, contract.ENV_STAGING_BUCKET),
        url_expiry_seconds=int(contract.require_number(env, contract.ENV_STAGING_URL_EXPIRY_SECONDS)),
        max_object_bytes=int(contract.require_number(env, contract.ENV_STAGING_MAX_OBJECT_BYTES)),
    )


#: The settings of the agent a shared proxy serves the current request for (unset: the proxy's own settings).
_current_agent: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("current_agent", default=None)


@cache
def configured() -> Settings:
    """The facade's settings as configured (cached for the life of the execution environment)."""
    return Settings.from_environment(os.environ)


def settings() -> Settings:
    """The settings of the current request: its agent's on a shared proxy, else the facade's."""
    return _current_agent.get() or configured()


def check_configuration() -> None:
    """Fail with a :class:`contract.ConfigurationError` when the facade's settings are missing (no fallbacks)."""
    configured()
    rollout.RolloutSettings.from_environment(os.environ)


def set_clients(**clients: Any) -> None:
    """Inject boto3 clients by service name (``dynamodb``, ``s3``...), for tests; ``None`` resets one."""
    for name, client in clients.items():
        _clients.set(name, client)
    _endpoint_for.cache_clear()
    _routing.cache_clear()
    _registry.cache_clear()


def _client(name: str) -> Any:
    return _clients[name]


@cache
def _routing() -> rollout.Routing:
    """Which endpoint each runtime session of the facade's own agent runs on (its rollout, or its qualifier)."""
    return rollout.Routing(configured().qualifier, rollout.RolloutSettings.from_environment(os.environ), _client)


def _endpoint(runtime_session_id: str) -> agent_calls.AgentEndpoint:
    """The runtime endpoint of a caller-bound runtime session of the current request's agent: for a facade's own
    agent, assigned when the session starts (its rollout) and the same for the session's life; on a shared proxy, the
    agent's qualifier (the platform API routes no rollout)."""
    config = settings()
    return _endpoint_for(config.runtime_arn, _qualifier(runtime_session_id), config.send_user_id)


def _qualifier(runtime_session_id: str) -> str:
    """The endpoint a runtime session runs on (see :func:`_endpoint`)."""
    if _current_agent.get() is not None:
        return settings().qualifier
    return _routing().qualifier_for(runtime_session_id)


@cache
def _endpoint_for(runtime_arn: str, qualifier: str, send_user_id: bool) -> agent_calls.AgentEndpoint:
    return agent_calls.AgentEndpoint(_client("bedrock-agentcore"), runtime_arn, qualifier, send_user_id=send_user_id,
                                     registry=_registry())


@cache
def _registry() -> session_budget.SessionRegistry | None:
    """The agent's session registry when it has a session budget (``SessionBudget``), else ``None``."""
    return session_budget.registry_from_environment(os.environ, lambda: _client("dynamodb"))


def _admit(request: ClientRequest, *, job: bool = False) -> bool:
    """Register the request's session in the agent's session budget (``True`` when it starts one); 429 when its caller
    or the agent is at its cap."""
    registry = _registry()
    if registry is None:
        return False
    try:
        # On the endpoint the session runs on, so that the sweeper stops it there.
        session = request.runtime_session_id
        return registry.admit(session, request.caller.key, _qualifier(session), job=job)
    except session_budget.BudgetExceeded as refused:
        logger.info("session refused by the session budget", extra={"error_code": refused.public.code})
        raise ClientFacingError(refused.public) from None


# -- errors ----------------------------------------------------------------------------------------------------------


class ClientFacingError(Exception):
    """An error with the status, code and message a client may see (nothing internal)."""

    def __init__(self, public: contract.PublicError) -> None:
        super().__init__(public.message)
        self.public = public


def _error_body(public: contract.PublicError, request_id: str | None) -> dict[str, Any]:
    return {"error": public.code, "message": public.message, "requestId": request_id}


def _error_headers(public: contract.PublicError) -> dict[str, str]:
    return {"Retry-After": str(public.retry_after)} if public.retry_after is not None else {}


def _json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Answer:
    return Response(status, "application/json", json.dumps(body), headers=dict(headers or {}))


def _logged(exc: Exception) -> ClientFacingError:
    mapped = contract.map_agent_error(exc)
    logger.warning("agent invocation failed", extra={"error_code": contract.error_code_of(exc),
                                                     "status": mapped.status})
    return ClientFacingError(mapped)


def _request_id() -> str | None:
    return app.current_event.request_context.request_id


def _client_facing(error: ClientFacingError) -> Answer:
    return _json_response(error.public.status, _error_body(error.public, _request_id()), _error_headers(error.public))


def _invalid_input(error: inputs.InvalidInput) -> Answer:
    return _client_facing(ClientFacingError(error.error))


def _not_found(_: Exception) -> Answer:
    return _client_facing(ClientFacingError(contract.NOT_FOUND))


def _unexpected(error: Exception) -> Answer:
    logger.exception("unhandled error")
    return _client_facing(ClientFacingError(contract.INTERNAL))


# Every error the routes raise answers JSON with the contract's public error; anything unexpected is logged and a 500.
app.exception_handler(ClientFacingError)(_client_facing)
app.exception_handler(inputs.InvalidInput)(_invalid_input)
app.not_found(_not_found)
app.exception_handler(Exception)(_unexpected)


# -- requests ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientRequest:
    """One request of an authenticated caller, with the caller's session.

    Attributes:
        caller: who calls.
        body: the JSON body.
        client_session_id: the session id the client uses (its own, or a new one).
        runtime_session_id: the caller-bound runtime session AgentCore sees.
    """

    caller: Caller
    body: dict[str, Any]
    client_session_id: str
    runtime_session_id: str

    @property
    def user_id(self) -> str:
        """The ``runtimeUserId`` of the caller."""
        return self.caller.runtime_user_id(settings().user_id_max_length)

    def payload(self, **extra: Any) -> bytes:
        """The payload sent to the agent: the client's body without ``sessionId``, plus ``extra``."""
        payload = {k: v for k, v in self.body.items() if k != "sessionId"}
        payload.update(extra)
        return json.dumps(payload).encode("utf-8")

    @property
    def session_header(self) -> dict[str, str]:
        """The session header of every answer: the client's own session id."""
        return {settings().rule.header: self.client_session_id}


def require_caller(event: APIGatewayProxyEvent) -> Caller:
    """The caller of the request; 401 when API Gateway authenticated nobody (no owner, nothing to serve)."""
    caller = caller_of(event.raw_event.get("requestContext"))
    if caller is None:
        raise ClientFacingError(contract.UNAUTHENTICATED)
    return caller


def client_request(event: APIGatewayProxyEvent) -> ClientRequest:
    """Caller, body and session of a ``POST /invoke`` or ``POST /jobs``.

    Raises:
        ClientFacingError: no caller (401), a malformed session id (400) or ``payloadKey`` (400, 403).
        inputs.InvalidInput: a malformed or oversized body.
    """
    config = settings()
    caller = require_caller(event)
    body = inputs.json_object(event.body, base64_encoded=bool(event.is_base64_encoded),
                              max_bytes=config.max_request_bytes)
    given = body.get("sessionId", event.get_header_value(config.rule.header, case_sensitive=False))
    if given is None or given == "":
        client_session = config.rule.new_id()
    elif config.rule.accepts(given):
        client_session = str(given)
    else:
        raise ClientFacingError(contract.invalid_request(f"sessionId must be {config.rule.describe()}",
                                                         "InvalidSessionId"))
    _check_payload_key(body, caller)
    return ClientRequest(caller, body, client_session,
                         caller.runtime_session_id(client_session, config.rule, scope=config.scope))


def _caller_staging(caller: Caller) -> staging_urls.StagingConfig:
    config = settings().staging
    if config is None:
        raise ClientFacingError(contract.NOT_FOUND)
    return config.for_caller(caller.staging_segment)


def _check_payload_key(body: Mapping[str, Any], caller: Caller) -> None:
    key = body.get("payloadKey")
    if key is None:
        return
    if settings().staging is None:
        raise ClientFacingError(contract.invalid_request("payloadKey is not supported by this API"))
    try:
        staging_urls.require_own_input(_caller_staging(caller), key)
    except staging_urls.StagingError:
        raise ClientFacingError(contract.PAYLOAD_KEY_NOT_ALLOWED) from None


def _invoke(request: ClientRequest, payload: bytes, accept: str = "application/json") -> dict[str, Any]:
    """Invoke within the session budget: a session the request started and AgentCore refused is released again."""
    started = _admit(request)
    try:
        session = request.runtime_session_id
        return _endpoint(session).invoke(session, payload, user_id=request.user_id, accept=accept)
    except Exception as exc:  # noqa: BLE001 - mapped, logged without leaking
        registry = _registry()
        if started and registry is not None:
            registry.release_quietly(request.runtime_session_id, "invocation-failed")
        raise _logged(exc) from None


# -- POST /invoke, buffered --------------------------------------------------------------------------------------------


def _is_text(content_type: str) -> bool:
    return content_type.startswith(_TEXT_TYPES) or "event-stream" in content_type


def _encoded_size(status: int, headers: Mapping[str, str], body: str, base64_encoded: bool) -> int:
    """The size of the proxy response Lambda returns (the shape Powertools writes for a REST API)."""
    return len(json.dumps({"statusCode": status, "body": body, "isBase64Encoded": base64_encoded,
                           "multiValueHeaders": {k: [v] for k, v in headers.items()}}).encode("utf-8"))


@app.post("/invoke")
def _post_invoke() -> Answer:
    request = client_request(app.current_event)
    result = _invoke(request, request.payload())
    try:
        data: bytes = result["response"].read()
    except Exception as exc:  # noqa: BLE001 - mapped, logged without leaking
        raise _logged(exc) from None
    content_type = result.get("contentType") or "application/json"
    logger.info("agent answered", extra={"bytes": len(data), "content_type": content_type})
    headers = {"Content-Type": content_type, **request.session_header}
    text = _is_text(content_type)
    body = data.decode("utf-8", "replace") if text else base64.b64encode(data).decode("ascii")
    if _encoded_size(200, headers, body, not text) <= settings().max_response_bytes:
        return Response(200, content_type, body if text else data, headers=request.session_header)
    return _staged_answer(request, data, content_type)


def _staged_answer(request: ClientRequest, data: bytes, content_type: str) -> Answer:
    """An answer above Lambda's response payload: stored under the caller's output prefix, handed out pre-signed."""
    if settings().staging is None:
        logger.warning("answer above the response payload and no staging bucket", extra={"bytes": len(data)})
        raise ClientFacingError(contract.ANSWER_TOO_LARGE)
    config = _caller_staging(request.caller)
    key = staging_urls.new_answer_key(config)
    _client("s3").put_object(Bucket=config.bucket, Key=key, Body=data, ContentType=content_type)
    download = staging_urls.presigned_get(_client("s3"), config, key=key)
    answer = {"sessionId": request.client_session_id, "answer": {
        "url": download["url"], "key": key, "contentType": content_type, "bytes": len(data),
        "expiresIn": download["expiresIn"]}}
    return _json_response(200, answer, request.session_header)


# -- POST /invoke, streamed --------------------------------------------------------------------------------------------


class StreamEnded(Exception):
    """A stream the proxy ended early; ``error_type`` goes in the runtime API trailers (the cause is logged)."""

    def __init__(self, error_type: str) -> None:
        super().__init__(error_type)
        self.error_type = error_type


def stream_prelude(status: int, headers: Mapping[str, str]) -> bytes:
    """The metadata API Gateway expects before a streamed Lambda payload: JSON, then 8 null bytes."""
    return json.dumps({"statusCode": status, "headers": dict(headers)}).encode("utf-8") + _STREAM_DELIMITER


def _framed(answer: Mapping[str, Any]) -> Iterator[bytes]:
    """A buffered proxy response as a streamed one (prelude, then the body)."""
    headers = {k: ", ".join(v) for k, v in (answer.get("multiValueHeaders") or {}).items()}
    headers.update(answer.get("headers") or {})
    data = answer.get("body") or ""
    yield stream_prelude(answer["statusCode"], headers)
    yield base64.b64decode(data) if answer.get("isBase64Encoded") else data.encode("utf-8")


def stream(event: Mapping[str, Any], context: Any = None) -> Iterator[bytes]:
    """The whole response as API Gateway response-streaming bytes (prelude, delimiter, payload).

    ``POST /invoke`` relays the agent's answer as it arrives (:func:`relay_answer`); other routes are answered
    buffered and framed the same way. An error before the first byte of the answer is a mapped status.
    """
    check_configuration()
    route = (str(event.get("httpMethod", "")).upper(), str(event.get("resource", "")))
    if route != ("POST", "/invoke"):
        yield from _framed(handler(event, context))
        return
    logger.append_keys(function_request_id=getattr(context, "aws_request_id", None))
    proxy_event = APIGatewayProxyEvent(dict(event))
    request_id = proxy_event.request_context.request_id
    try:
        request = client_request(proxy_event)
        result = _invoke(request, request.payload(), accept=_STREAM_ACCEPT)
    except (ClientFacingError, inputs.InvalidInput) as error:
        public = error.public if isinstance(error, ClientFacingError) else error.error
        yield stream_prelude(public.status, {"Content-Type": "application/json", **_error_headers(public)})
        yield json.dumps(_error_body(public, request_id)).encode("utf-8")
        return
    content_type = result.get("contentType") or "application/json"
    yield stream_prelude(200, {"Content-Type": content_type, **request.session_header})
    yield from relay_answer(result["response"], content_type, request.runtime_session_id, context)


def relay_answer(body: Any, content_type: str, session_id: str, context: Any) -> Iterator[bytes]:
    """The agent's answer as it arrives, with keep-alives on silence and an error before the deadline.

    While the agent is silent for the keep-alive interval, a keep-alive that fits the content type goes out
    (:class:`agent_calls.KeepAlive`). Before the function's deadline (less the answer margin) the stream ends with an
    SSE ``error`` event (for event streams) and the :data:`STREAM_TIMED_OUT` trailer; a broken agent stream ends the
    same way with ``Function.StreamInterrupted``. An abandoned stream (the deadline, or the client gone: the runtime
    closes this generator) stops its runtime session.
    """
    config = settings()
    keepalive = agent_calls.KeepAlive(content_type)
    interval = config.keepalive_seconds
    budget = context.get_remaining_time_in_millis() / 1000 if context is not None else None
    started = time.monotonic()
    stop_at = None if budget is None else started + budget - min(config.answer_margin_seconds, budget / 2)
    pump = agent_calls.ChunkPump(body)
    finished = False
    last_sent = started
    try:
        while True:
            now = time.monotonic()
            if stop_at is not None and now >= stop_at:
                logger.warning("stream ended before the function's deadline")
                yield from _error_tail(keepalive, contract.TIMEOUT)
                _endpoint(session_id).stop(session_id, "a stream reached the proxy's deadline")
                finished = True
                raise StreamEnded(STREAM_TIMED_OUT)
            due = [t for t in (stop_at, None if interval is None else last_sent + interval) if t is not None]
            try:
                chunk = pump.next(min(due) - now if due else None)
            except TimeoutError:
                if interval is not None and time.monotonic() >= last_sent + interval:
                    alive = keepalive.bytes_now()
                    last_sent = time.monotonic()  # also when none fits: the next try is an interval later
                    if alive:
                        yield alive
                continue
            except Exception as exc:  # noqa: BLE001 - the status is already sent: logged, reported in the trailers
                logger.warning("agent stream ended early", extra={"error_code": contract.error_code_of(exc)})
                yield from _error_tail(keepalive, contract.map_agent_error(exc, answer_started=True))
                finished = True
                raise StreamEnded(STREAM_INTERRUPTED) from None
            if chunk is None:
                finished = True
                return
            keepalive.saw(chunk)
            yield chunk
            last_sent = time.monotonic()
    except GeneratorExit:
        if not finished:
            _endpoint(session_id).stop(session_id, "the stream's client went away")
        raise
    finally:
        pump.close()


def _error_tail(keepalive: agent_calls.KeepAlive, public: contract.PublicError) -> Iterator[bytes]:
    event = keepalive.error_event(public.code, public.message)
    if event:
        yield event


# -- jobs --------------------------------------------------------------------------------------------------------------


def _now() -> int:
    return int(time.time())


def _jobs_table() -> str:
    table = settings().jobs_table
    if not table:
        raise ClientFacingError(contract.NOT_FOUND)
    return table


@app.post("/jobs")
def _post_job() -> Answer:
    table = _jobs_table()
    event = app.current_event
    request = client_request(event)
    _admit(request, job=True)
    key = event.get_header_value(IDEMPOTENCY_HEADER, case_sensitive=False)
    if key is None:
        started = start_job(request=_job_request(request, None))
    elif not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise ClientFacingError(contract.invalid_request(
            f"{IDEMPOTENCY_HEADER} must be 1 to 255 visible ASCII characters", "InvalidIdempotencyKey"))
    else:
        try:
            started = _idempotent_start(table)[1](request=_job_request(request, key))
        except IdempotencyAlreadyInProgressError:
            raise ClientFacingError(contract.REQUEST_IN_PROGRESS) from None
        except IdempotencyValidationError:
            raise ClientFacingError(contract.IDEMPOTENCY_KEY_REUSED) from None
    return _json_response(202, started, {"Location": f"/jobs/{started['jobId']}", **request.session_header})


def _job_request(request: ClientRequest, key: str | None) -> dict[str, Any]:
    """What starts a job, as plain data (the idempotency record hashes ``owner`` and ``key``, and on a shared proxy
    ``agent``; it checks ``body``)."""
    return {"owner": request.caller.key, "key": key, "agent": settings().scope, "body": request.body,
            "clientSessionId": request.client_session_id, "runtimeSessionId": request.runtime_session_id,
            "userId": request.user_id, "stagingSegment": request.caller.staging_segment}


@cache
def _idempotent_start(table: str) -> tuple[IdempotencyConfig, Callable[..., dict[str, Any]]]:
    """:func:`start_job` made idempotent per caller and ``Idempotency-Key`` (records in the job table, under
    ``jobId``, expiring through its TTL attribute ``expiresAt``), and its configuration. On a shared proxy the key
    includes the agent: one caller's key on two agents names two requests."""
    config = IdempotencyConfig(
        event_key_jmespath="[owner, key, agent]" if configured().shared else "[owner, key]",
        payload_validation_jmespath="body",
        expires_after_seconds=settings().idempotency_ttl_seconds,
    )
    persistence = DynamoDBPersistenceLayer(
        table_name=table, key_attr="jobId", expiry_attr="expiresAt",
        boto_config=STANDARD_RETRIES,
    )
    once = idempotent_function(data_keyword_argument="request", config=config, persistence_store=persistence)
    return config, once(start_job)


def start_job(request: dict[str, Any]) -> dict[str, Any]:
    """Record the job, start it in the caller's session, move it to ``RUNNING``; a failed start is ``FAILED`` and its
    session is stopped. Returns the client's answer (``jobId``, ``status``, ``sessionId``)."""
    config = settings()
    table = _jobs_table()
    job_id = uuid.uuid4().hex
    # The record's key: the agent's key prefix in a shared table (the agent reports under it), then the job id.
    record = config.key_prefix + job_id
    now = _now()
    dynamodb = _client("dynamodb")
    dynamodb.put_item(TableName=table, ConditionExpression="attribute_not_exists(jobId)", Item={
        "jobId": {"S": record}, "status": {"S": JOB_PENDING}, "owner": {"S": request["owner"]},
        "sessionId": {"S": request["clientSessionId"]}, "runtimeSessionId": {"S": request["runtimeSessionId"]},
        "createdAt": {"N": str(now)}, "updatedAt": {"N": str(now)},
        "expiresAt": {"N": str(now + config.job_ttl_seconds)},
    })
    extra: dict[str, Any] = {"jobId": record}
    if config.staging is not None:
        # Results the agent stages go under the caller's own output prefix (the only ones GET /jobs signs).
        extra["resultPrefix"] = config.staging.for_caller(request["stagingSegment"]).output_prefix
    payload = {k: v for k, v in request["body"].items() if k != "sessionId"}
    payload.update(extra)
    session = request["runtimeSessionId"]
    try:
        result = _endpoint(session).invoke(session, json.dumps(payload).encode("utf-8"), user_id=request["userId"])
        result["response"].read()  # the agent's acknowledgment; the work continues in the session
    except Exception as exc:  # noqa: BLE001 - mapped, logged without leaking
        error = _logged(exc)
        _set_status(table, record, JOB_FAILED, expected=(JOB_PENDING,), error=error.public.message)
        _endpoint(session).stop(session, "a job failed to start")
        raise error from None
    _set_status(table, record, JOB_RUNNING, expected=(JOB_PENDING,))
    return {"jobId": job_id, "status": JOB_RUNNING, "sessionId": request["clientSessionId"]}


def _set_status(table: str, record: str, status: str, *, expected: tuple[str, ...], error: str | None = None) -> bool:
    """Move the job recorded under ``record`` from one of ``expected`` to ``status``; ``False`` when it was in another
    state (left alone)."""
    names = {"#s": "status"}
    values: dict[str, Any] = {":s": {"S": status}, ":now": {"N": str(_now())}}
    values.update({f":e{i}": {"S": state} for i, state in enumerate(expected)})
    expression = "SET #s = :s, updatedAt = :now"
    if error is not None:
        names["#err"] = "error"
        values[":err"] = {"S": error}
        expression += ", #err = :err"
    try:
        _client("dynamodb").update_item(
            TableName=table, Key={"jobId": {"S": record}}, UpdateExpression=expression,
            ConditionExpression=f"#s IN ({', '.join(f':e{i}' for i in range(len(expected)))})",
            ExpressionAttributeNames=names, ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _own_job(job_id: str) -> tuple[str, dict[str, Any]]:
    """The caller's job record; 404 for a malformed id, an unknown job or another caller's (never disclosed)."""
    table = _jobs_table()
    caller = require_caller(app.current_event)
    if not JOB_ID_PATTERN.fullmatch(job_id):
        raise ClientFacingError(contract.invalid_request("jobId must be 32 lowercase hexadecimal characters",
                                                         "InvalidJobId"))
    # Read under the agent's key prefix: another agent's job of the same id is another record, never this one.
    key = {"jobId": {"S": settings().key_prefix + job_id}}
    item = _client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    if item is None or item.get("owner", {}).get("S") != caller.key:
        raise ClientFacingError(contract.JOB_NOT_FOUND)
    return table, item


@app.get("/jobs/<job_id>")
def _get_job(job_id: str) -> Answer:
    _, item = _own_job(job_id)
    _release_ended_job(item)
    answer: dict[str, Any] = {"jobId": job_id}
    for name in ("status", "sessionId", "error", "result", "progress"):
        if name in item:
            answer[name] = item[name].get("S")
    for name in ("createdAt", "updatedAt"):
        if name in item:
            answer[name] = int(item[name]["N"])
    key = item.get("resultKey", {}).get("S")
    if key:
        url = _presigned_result(require_caller(app.current_event), key)
        if url:
            answer["resultUrl"] = url
    return _json_response(200, answer)


def _release_ended_job(item: Mapping[str, Any]) -> None:
    """A job that has ended no longer keeps its session busy: the session budget counts it no more."""
    registry = _registry()
    session = item.get("runtimeSessionId", {}).get("S")
    if registry is not None and session and item.get("status", {}).get("S") in (JOB_SUCCEEDED, JOB_FAILED,
                                                                                 JOB_CANCELLED):
        registry.release_quietly(session, "job-ended")


@app.delete("/jobs/<job_id>")
def _cancel_job(job_id: str) -> Answer:
    table, item = _own_job(job_id)
    if not _set_status(table, settings().key_prefix + job_id, JOB_CANCELLED, expected=(JOB_PENDING, JOB_RUNNING)):
        raise ClientFacingError(contract.JOB_FINISHED)
    session = item.get("runtimeSessionId", {}).get("S")
    if session:
        _endpoint(session).stop(session, "its job was cancelled")
    return _json_response(200, {"jobId": job_id, "status": JOB_CANCELLED})


def _presigned_result(caller: Caller, key: str) -> str | None:
    """A pre-signed GET for a job result under the caller's own output prefix (``None`` if not allowed)."""
    if settings().staging is None:
        return None
    try:
        config = _caller_staging(caller)
        staging_urls.require_own_output(config, key)
        return staging_urls.presigned_get(_client("s3"), config, key=key)["url"]  # type: ignore[no-any-return]
    except staging_urls.StagingError:
        logger.warning("job result key outside the caller's output prefix")
        return None


# -- uploads -----------------------------------------------------------------------------------------------------------


@app.post("/uploads")
def _post_upload() -> Answer:
    """A pre-signed, size-limited upload of one new object under the caller's input prefix.

    With ``{"size": bytes}`` the answer is a PUT URL signed for exactly that ``Content-Length``; without it, a POST
    form whose policy limits the size to the staging maximum. Either way the key is new and random, the URL expires
    after the staging expiry, and the client passes ``payloadKey`` to the agent.
    """
    event = app.current_event
    caller = require_caller(event)
    config = _caller_staging(caller)
    body = inputs.json_object(event.body, base64_encoded=bool(event.is_base64_encoded),
                              max_bytes=settings().max_request_bytes)
    content_type = body.get("contentType")
    if content_type is not None and (not isinstance(content_type, str) or len(content_type) > 256):
        raise ClientFacingError(contract.invalid_request("contentType must be a string of at most 256 characters"))
    file_name = body.get("fileName") if isinstance(body.get("fileName"), str) else None
    key = staging_urls.new_input_key(config, file_name)
    try:
        if "size" in body:
            upload = staging_urls.presigned_put(_client("s3"), config, content_length=body["size"], key=key)
        else:
            upload = staging_urls.presigned_post(_client("s3"), config, key=key, content_type=content_type)
    except staging_urls.StagingError as exc:
        raise ClientFacingError(contract.invalid_request(str(exc), exc.code)) from None
    return _json_response(201, {**upload, "payloadKey": upload["key"]})


# -- entry point -------------------------------------------------------------------------------------------------------


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point (buffered responses).

    Raises:
        contract.ConfigurationError: the environment lacks a setting (the invocation fails, and says why in the log).
    """
    config = configured()
    if config.jobs_table and context is not None:
        # An in-progress idempotency record expires with this invocation (a crashed start can be retried).
        _idempotent_start(config.jobs_table)[0].register_lambda_context(context)
    if not config.shared:
        return app.resolve(dict(event), context)
    served = _agent_event(config, event)
    if served is None:
        return {"statusCode": 404, "headers": {"Content-Type": "application/json"},
                "body": json.dumps(_error_body(contract.NOT_FOUND, event.get("requestContext", {}).get("requestId")))}
    agent, routed = served
    token = _current_agent.set(agent)
    try:
        return app.resolve(routed, context)
    finally:
        _current_agent.reset(token)


def _agent_event(config: Settings, event: Mapping[str, Any]) -> tuple[Settings, dict[str, Any]] | None:
    """On a shared proxy: the settings of the request's agent, and the event as that agent's own proxy would see it
    (its route's first segment removed from ``resource`` and ``path``); ``None`` for a route of no agent.

    The agent is the first segment of ``resource``, the API's resource template the request matched, which API
    Gateway sets and a client cannot choose.
    """
    resource = str(event.get("resource") or "")
    route, _, rest = resource.lstrip("/").partition("/")
    agent = config.for_agent(route)
    path = str(event.get("path") or "")
    prefix = f"/{route}"
    if agent is None or not path.startswith(prefix + "/"):
        return None
    routed = dict(event)
    routed["resource"] = f"/{rest}"
    routed["path"] = path[len(prefix):]
    return agent, routed


__all__ = [
    "IDEMPOTENCY_HEADER",
    "JOB_ID_PATTERN",
    "STREAM_TIMED_OUT",
    "ClientFacingError",
    "ClientRequest",
    "Settings",
    "StreamEnded",
    "check_configuration",
    "client_request",
    "configured",
    "handler",
    "relay_answer",
    "require_caller",
    "set_clients",
    "settings",
    "start_job",
    "stream",
    "stream_prelude",
]
