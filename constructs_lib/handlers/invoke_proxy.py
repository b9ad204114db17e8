"""Lambda proxy between an API Gateway REST API and an AgentCore Runtime (``AgentApiFacade``).

Routes (API Gateway Lambda proxy events):

- ``POST /invoke``: calls ``InvokeAgentRuntime`` and returns the agent's answer (buffered), or streams it
  when the function runs under the streaming runtime loop (:func:`run_streaming_runtime`).
- ``POST /jobs``: records a job in DynamoDB, starts the agent session with the job id in the payload and
  returns ``202`` at once (see :mod:`constructs_lib.jobs` for the completion contract).
- ``GET /jobs/{jobId}``: the job's status, and when done its result or a pre-signed URL to it.
- ``POST /uploads``: a pre-signed, size-limited upload for a payload too large to pass inline.

Session ids: a client may send ``sessionId`` in the body or the session header; otherwise one is generated. The
id in use is returned in that header. The header and the rule come from the environment
(:class:`contract.SessionIdRule`).

Errors are mapped for clients with the contract's one error map (:func:`contract.map_agent_error`, the same on the
WebSocket facade) and never carry stack traces, ARNs or service messages: throttling and the active-session quota
become ``429`` with ``Retry-After``, validation ``400``, access ``403``, timeouts ``504``, a busy session ``409``,
anything else ``502``/``500`` with a generic message.

Every setting comes from the environment :class:`AgentApiFacade` sets (names in :mod:`contract`); a missing one
fails the invocation with a :class:`contract.ConfigurationError` in the log. The module imports boto3 only; clients
are created lazily (tests inject stubbed ones with :func:`set_clients`). It is packaged with ``contract.py`` and
``staging_urls.py`` and nothing else.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

try:  # inside the package (tests, other modules)
    from constructs_lib.handlers import contract, staging_urls
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import contract  # type: ignore[no-redef]
    import staging_urls  # type: ignore[no-redef]

LOG = logging.getLogger()
LOG.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

#: Job ids the proxy generates (and accepts in ``GET /jobs/{jobId}``; whole string, ``fullmatch``).
JOB_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")

#: Job states, as stored in the job table.
JOB_PENDING, JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED = "PENDING", "RUNNING", "SUCCEEDED", "FAILED"

_TEXT_TYPES = ("text/", "application/json", "application/x-ndjson", "application/xml")
_STREAM_DELIMITER = b"\x00" * 8

_clients: dict[str, Any] = {}


# -- clients -------------------------------------------------------------------------------------------


def set_clients(**clients: Any) -> None:
    """Inject boto3 clients (``agentcore``, ``dynamodb``, ``s3``), for tests; ``None`` resets one."""
    for name, client in clients.items():
        if client is None:
            _clients.pop(name, None)
        else:
            _clients[name] = client


def _client(name: str) -> Any:
    if name not in _clients:
        if name == "agentcore":
            # The facade sets one attempt and a read timeout below the integration timeout (see the contract); a
            # throttled call becomes a 429 with Retry-After for the client to retry.
            config = Config(**contract.agentcore_client_settings(os.environ))
            _clients[name] = boto3.client("bedrock-agentcore", config=config)
        elif name == "s3":
            _clients[name] = staging_urls.s3_client()  # SigV4, regional endpoint: URLs that work everywhere
        else:
            _clients[name] = boto3.client(name, config=Config(retries={"mode": "standard"}))
    return _clients[name]


# -- responses -----------------------------------------------------------------------------------------


class ClientFacingError(Exception):
    """An error with the status, code and message a client may see (nothing internal)."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @classmethod
    def of(cls, public: contract.PublicError) -> ClientFacingError:
        """The error of the contract's error map, as raised by the routes."""
        return cls(public.status, public.code, public.message, public.retry_after)


def _response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _error_response(error: ClientFacingError, request_id: str | None) -> dict[str, Any]:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}
    return _response(error.status, {"error": error.code, "message": error.message, "requestId": request_id}, headers)


def map_agent_error(exc: Exception) -> ClientFacingError:
    """Translate an exception from ``InvokeAgentRuntime`` into what the client may see (the contract's error map)."""
    return ClientFacingError.of(contract.map_agent_error(exc))


# -- request parsing -----------------------------------------------------------------------------------


def parse_body(event: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object in the request body (API Gateway validates it first; this is the backstop)."""
    raw = event.get("body")
    if raw is None or raw == "":
        raise ClientFacingError(400, "InvalidRequest", "the request body must be a JSON object")
    try:
        text = base64.b64decode(raw).decode("utf-8") if event.get("isBase64Encoded") else raw
        body = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise ClientFacingError(400, "InvalidRequest", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ClientFacingError(400, "InvalidRequest", "the request body must be a JSON object")
    return body


def _header(event: Mapping[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name.lower():
            return value  # type: ignore[no-any-return]
    return None


def session_rule() -> contract.SessionIdRule:
    """The session-id rule the facade set in the environment."""
    return contract.SessionIdRule.from_environment(os.environ)


def session_id_for(event: Mapping[str, Any], body: Mapping[str, Any]) -> str:
    """The client's session id (body, then header) if valid, a new one if none; 400 for a malformed one."""
    rule = session_rule()
    given = body.get("sessionId", _header(event, rule.header))
    if given is None or given == "":
        return rule.new_id()
    if not rule.accepts(given):
        raise ClientFacingError(400, "InvalidSessionId", f"sessionId must be {rule.describe()}")
    return str(given)


def _caller(event: Mapping[str, Any]) -> str | None:
    """Who called: the IAM principal, the authorizer's principal or the token subject."""
    context = event.get("requestContext") or {}
    identity = context.get("identity") or {}
    authorizer = context.get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    arn = identity.get("userArn")
    if isinstance(arn, str) and ":assumed-role/" in arn:
        # arn:aws:sts::<account>:assumed-role/<role>/<session>: any session of the role is the same caller.
        arn = arn.rsplit("/", 1)[0]
    return arn or authorizer.get("principalId") or claims.get("sub") or None


def _check_payload_key(body: Mapping[str, Any]) -> None:
    key = body.get("payloadKey")
    if key is None:
        return
    prefix = os.environ.get(contract.ENV_STAGING_INPUT_PREFIX)
    if not prefix:
        raise ClientFacingError(400, "InvalidRequest", "payloadKey is not supported by this API")
    if not isinstance(key, str) or not key.startswith(prefix) or ".." in key:
        raise ClientFacingError(400, "InvalidRequest", "payloadKey must name an object returned by POST /uploads")


def agent_payload(body: Mapping[str, Any], **extra: Any) -> bytes:
    """The payload sent to the agent: the client's body without ``sessionId``, plus ``extra``."""
    payload = {k: v for k, v in body.items() if k != "sessionId"}
    payload.update(extra)
    return json.dumps(payload).encode("utf-8")


# -- agent invocation ----------------------------------------------------------------------------------


def invoke_agent(session_id: str, payload: bytes, *, accept: str = "application/json") -> dict[str, Any]:
    """Call ``InvokeAgentRuntime`` on the configured runtime and endpoint; errors are raised as they come."""
    return _client("agentcore").invoke_agent_runtime(  # type: ignore[no-any-return]
        agentRuntimeArn=contract.require(os.environ, contract.ENV_AGENT_RUNTIME_ARN),
        qualifier=contract.require(os.environ, contract.ENV_AGENT_QUALIFIER),
        runtimeSessionId=session_id,
        payload=payload,
        contentType="application/json",
        accept=accept,
    )


def _is_text(content_type: str) -> bool:
    return content_type.startswith(_TEXT_TYPES) or "event-stream" in content_type


def handle_invoke(event: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /invoke``, buffered: the agent's whole answer in one response."""
    body = parse_body(event)
    session_id = session_id_for(event, body)
    _check_payload_key(body)
    try:
        result = invoke_agent(session_id, agent_payload(body))
        data = result["response"].read()
    except Exception as exc:  # noqa: BLE001 - mapped, logged without leaking
        raise _logged(exc) from None
    content_type = result.get("contentType") or "application/json"
    headers = {"Content-Type": content_type, session_rule().header: session_id}
    if _is_text(content_type):
        return {"statusCode": 200, "headers": headers, "body": data.decode("utf-8", "replace"),
                "isBase64Encoded": False}
    return {"statusCode": 200, "headers": headers, "body": base64.b64encode(data).decode("ascii"),
            "isBase64Encoded": True}


def _logged(exc: Exception) -> ClientFacingError:
    mapped = map_agent_error(exc)
    LOG.warning("agent invocation failed: %s -> %s", contract.error_code_of(exc), mapped.status)
    return mapped


def _stream_chunks(body: Any, size: int = 65536) -> Iterator[bytes]:
    """Bytes of a botocore streaming body as they arrive (``read1`` does not wait for a full buffer)."""
    raw = getattr(body, "_raw_stream", None)
    reader = getattr(raw, "read1", None)
    if reader is None:
        yield from body.iter_chunks(size)
        return
    while True:
        chunk = reader(size)
        if not chunk:
            return
        yield chunk


class StreamInterrupted(Exception):
    """The agent's stream failed after the response started (the cause is logged, never passed on)."""


def stream_prelude(status: int, headers: Mapping[str, str]) -> bytes:
    """The metadata API Gateway expects before a streamed Lambda payload: JSON, then 8 null bytes."""
    return json.dumps({"statusCode": status, "headers": dict(headers)}).encode("utf-8") + _STREAM_DELIMITER


def stream(event: Mapping[str, Any], context: Any = None) -> Iterator[bytes]:
    """The whole response as API Gateway response-streaming bytes (prelude, delimiter, payload).

    ``POST /invoke`` relays the agent's stream as it arrives; other routes are answered buffered and
    framed the same way. Errors raised before the first payload byte become a mapped status; an error
    mid-stream is logged and raised as :class:`StreamInterrupted` (without the cause), which the runtime
    loop reports in the error trailers (the client sees a truncated body).
    """
    check_configuration()
    route = _route_of(event)
    if route != ("POST", "/invoke"):
        answer = handler(event, context)
        data = answer.get("body") or ""
        payload = base64.b64decode(data) if answer.get("isBase64Encoded") else data.encode("utf-8")
        yield stream_prelude(answer["statusCode"], answer.get("headers") or {})
        yield payload
        return
    request_id = _request_id(event)
    try:
        body = parse_body(event)
        session_id = session_id_for(event, body)
        _check_payload_key(body)
        try:
            result = invoke_agent(session_id, agent_payload(body), accept="text/event-stream, application/json")
        except Exception as exc:  # noqa: BLE001 - mapped, logged without leaking
            raise _logged(exc) from None
    except ClientFacingError as error:
        answer = _error_response(error, request_id)
        yield stream_prelude(answer["statusCode"], answer["headers"])
        yield answer["body"].encode("utf-8")
        return
    headers = {"Content-Type": result.get("contentType") or "application/json", session_rule().header: session_id}
    yield stream_prelude(200, headers)
    try:
        yield from _stream_chunks(result["response"])
    except Exception as exc:  # noqa: BLE001 - the status is already sent: logged, reported in the trailers
        LOG.warning("agent stream ended early: %s", type(exc).__name__)
        raise StreamInterrupted from None


# -- jobs ----------------------------------------------------------------------------------------------


def _now() -> int:
    return int(time.time())


def handle_start_job(event: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /jobs``: record the job, start the agent session, answer 202 without waiting for the work."""
    table = os.environ.get(contract.ENV_JOBS_TABLE_NAME)
    if not table:
        raise ClientFacingError(404, "NotFound", "no such route")
    ttl = int(contract.require_number(os.environ, contract.ENV_JOB_TIME_TO_LIVE_SECONDS))
    body = parse_body(event)
    session_id = session_id_for(event, body)
    _check_payload_key(body)
    job_id = uuid.uuid4().hex
    now = _now()
    item: dict[str, Any] = {
        "jobId": {"S": job_id},
        "status": {"S": JOB_PENDING},
        "sessionId": {"S": session_id},
        "createdAt": {"N": str(now)},
        "updatedAt": {"N": str(now)},
        "expiresAt": {"N": str(now + ttl)},
    }
    caller = _caller(event)
    if caller:
        item["owner"] = {"S": caller}
    dynamodb = _client("dynamodb")
    dynamodb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(jobId)")
    try:
        result = invoke_agent(session_id, agent_payload(body, jobId=job_id))
        result["response"].read()  # the agent's acknowledgment; the work continues in the session
    except Exception as exc:  # noqa: BLE001 - mapped, logged without leaking
        error = _logged(exc)
        _set_status(table, job_id, JOB_FAILED, expected=JOB_PENDING, error=error.message)
        raise error from None
    _set_status(table, job_id, JOB_RUNNING, expected=JOB_PENDING)
    return _response(
        202,
        {"jobId": job_id, "status": JOB_RUNNING, "sessionId": session_id},
        {"Location": f"/jobs/{job_id}", session_rule().header: session_id},
    )


def _set_status(table: str, job_id: str, status: str, *, expected: str, error: str | None = None) -> None:
    """Move a job from ``expected`` to ``status``; a job the agent already finished is left alone."""
    names = {"#s": "status"}
    values = {":s": {"S": status}, ":e": {"S": expected}, ":now": {"N": str(_now())}}
    expression = "SET #s = :s, updatedAt = :now"
    if error is not None:
        names["#err"] = "error"
        values[":err"] = {"S": error}
        expression += ", #err = :err"
    try:
        _client("dynamodb").update_item(
            TableName=table,
            Key={"jobId": {"S": job_id}},
            UpdateExpression=expression,
            ConditionExpression="#s = :e",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


def handle_get_job(event: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /jobs/{jobId}``: status, and when done the result inline or as a pre-signed URL."""
    table = os.environ.get(contract.ENV_JOBS_TABLE_NAME)
    job_id = (event.get("pathParameters") or {}).get("jobId") or ""
    if not table:
        raise ClientFacingError(404, "NotFound", "no such route")
    if not JOB_ID_PATTERN.fullmatch(job_id):
        raise ClientFacingError(400, "InvalidJobId", "jobId must be 32 lowercase hexadecimal characters")
    item = _client("dynamodb").get_item(TableName=table, Key={"jobId": {"S": job_id}}, ConsistentRead=True).get("Item")
    owner = (item or {}).get("owner", {}).get("S")
    if item is None or (owner is not None and owner != _caller(event)):
        # A job of another caller is reported as missing: its existence is not disclosed.
        raise ClientFacingError(404, "JobNotFound", "no such job")
    answer: dict[str, Any] = {"jobId": job_id}
    for name in ("status", "sessionId", "error", "result", "progress"):
        if name in item:
            answer[name] = item[name].get("S")
    for name in ("createdAt", "updatedAt"):
        if name in item:
            answer[name] = int(item[name]["N"])
    key = item.get("resultKey", {}).get("S")
    if key:
        answer["resultUrl"] = _presigned_result(key)
    return _response(200, answer)


# -- uploads -------------------------------------------------------------------------------------------


def _staging() -> Any:
    """The staging configuration, or a 404 when the facade has no staging bucket."""
    if not os.environ.get(contract.ENV_STAGING_BUCKET):
        raise ClientFacingError(404, "NotFound", "no such route")
    return staging_urls.StagingConfig.from_environment()


def handle_upload(event: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /uploads``: a pre-signed, size-limited upload of one new object under the agent's input prefix.

    With ``{"size": bytes}`` the answer is a PUT URL signed for exactly that ``Content-Length``; without
    it, a POST form whose policy limits the size to the staging maximum. Either way the key is new and
    random, the URL expires after the staging expiry, and the client passes ``payloadKey`` to the agent.
    """
    config = _staging()
    body = parse_body(event)
    content_type = body.get("contentType")
    if content_type is not None and (not isinstance(content_type, str) or len(content_type) > 256):
        raise ClientFacingError(400, "InvalidRequest", "contentType must be a string of at most 256 characters")
    file_name = body.get("fileName") if isinstance(body.get("fileName"), str) else None
    key = staging_urls.new_input_key(config, file_name)
    try:
        if "size" in body:
            upload = staging_urls.presigned_put(_client("s3"), config, content_length=body["size"], key=key)
        else:
            upload = staging_urls.presigned_post(_client("s3"), config, key=key, content_type=content_type)
    except staging_urls.StagingError as exc:
        raise ClientFacingError(400, exc.code, str(exc)) from None
    return _response(201, {**upload, "payloadKey": upload["key"]})


def _presigned_result(key: str) -> str | None:
    """A pre-signed GET for a job result under the agent's output prefix (``None`` if not allowed)."""
    try:
        config = _staging()
        return staging_urls.presigned_get(_client("s3"), config, key=key)["url"]  # type: ignore[no-any-return]
    except (ClientFacingError, staging_urls.StagingError):
        LOG.warning("job result key outside the agent's prefixes, or no staging bucket configured")
        return None


# -- entry points --------------------------------------------------------------------------------------


_ROUTES: dict[tuple[str, str], Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    ("POST", "/invoke"): handle_invoke,
    ("POST", "/jobs"): handle_start_job,
    ("GET", "/jobs/{jobId}"): handle_get_job,
    ("POST", "/uploads"): handle_upload,
}


def _route_of(event: Mapping[str, Any]) -> tuple[str, str]:
    return (str(event.get("httpMethod", "")).upper(), str(event.get("resource", "")))


def _request_id(event: Mapping[str, Any]) -> str | None:
    return (event.get("requestContext") or {}).get("requestId")


def check_configuration() -> None:
    """Fail with a :class:`contract.ConfigurationError` when the facade's settings are missing (no fallbacks)."""
    contract.require(os.environ, contract.ENV_AGENT_RUNTIME_ARN)
    contract.require(os.environ, contract.ENV_AGENT_QUALIFIER)
    contract.agentcore_client_settings(os.environ)
    session_rule()
    if os.environ.get(contract.ENV_JOBS_TABLE_NAME):
        contract.require_number(os.environ, contract.ENV_JOB_TIME_TO_LIVE_SECONDS)


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point (buffered responses).

    Raises:
        contract.ConfigurationError: the environment lacks a setting (the invocation fails, and says why in the log).
    """
    check_configuration()
    request_id = _request_id(event)
    route = _ROUTES.get(_route_of(event))
    try:
        if route is None:
            raise ClientFacingError(404, "NotFound", "no such route")
        return route(event)
    except ClientFacingError as error:
        return _error_response(error, request_id)
    except Exception:  # noqa: BLE001 - anything unexpected is logged here and hidden from the client
        LOG.exception("unhandled error")
        return _error_response(ClientFacingError(500, "InternalError", "internal error"), request_id)


# -- streaming runtime ---------------------------------------------------------------------------------

#: Version of the Lambda runtime API the streaming loop speaks.
RUNTIME_API_VERSION = "2018-06-01"
#: Error type reported when the agent's stream fails after the response started (``<category.reason>``).
STREAM_INTERRUPTED = "Function.StreamInterrupted"
#: Error type reported when the proxy fails before the response started.
PROXY_FAILED = "Function.ProxyError"
_ERROR_TRAILERS = ("Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body")


def http_chunk(data: bytes) -> bytes:
    """``data`` as one HTTP/1.1 chunk (size in hex, CRLF, data, CRLF); never call it with no data."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def _error_document(error_type: str) -> bytes:
    """The generic error a client or Lambda may see: the type, never a message from inside."""
    return json.dumps({"errorType": error_type, "errorMessage": "internal error"}).encode("utf-8")


def error_trailers(error_type: str = STREAM_INTERRUPTED) -> bytes:
    """The runtime API trailers that report a failed stream, with a generic, base64-encoded error body."""
    return (
        f"{_ERROR_TRAILERS[0]}: {error_type}\r\n".encode("ascii")
        + f"{_ERROR_TRAILERS[1]}: ".encode("ascii") + base64.b64encode(_error_document(error_type)) + b"\r\n"
    )


class RuntimeApi:
    """A client of the Lambda runtime API (``AWS_LAMBDA_RUNTIME_API``) for one streaming function.

    Follows the custom runtime contract for response streaming: the response is posted with
    ``Lambda-Runtime-Function-Response-Mode: streaming`` and ``Transfer-Encoding: chunked``, declares the
    error trailers in ``Trailer`` up front, reports a failure after the first byte in those trailers, a
    failure before it on the ``/error`` endpoint, and closes the connection once the response is written.

    Args:
        address: ``host:port`` of the runtime API. Default: ``AWS_LAMBDA_RUNTIME_API``.
    """

    def __init__(self, address: str | None = None) -> None:
        host, _, port = (address or os.environ["AWS_LAMBDA_RUNTIME_API"]).partition(":")
        self.host = host
        self.port = int(port or 80)
        self.base = f"/{RUNTIME_API_VERSION}/runtime/invocation"

    def _connection(self) -> Any:
        import http.client

        # No timeout: /next blocks while the environment is frozen between invocations.
        return http.client.HTTPConnection(self.host, self.port, timeout=None)

    def next_invocation(self) -> tuple[str, dict[str, Any], dict[str, str]]:
        """Wait for the next event: ``(request id, event, response headers)``."""
        connection = self._connection()
        try:
            connection.request("GET", f"{self.base}/next")
            response = connection.getresponse()
            data = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"runtime API /next answered {response.status}")
        return headers["lambda-runtime-aws-request-id"], json.loads(data or b"{}"), headers

    def post_error(self, request_id: str, error_type: str = PROXY_FAILED) -> int:
        """Report an invocation that failed before its response started; returns the API's status."""
        connection = self._connection()
        try:
            connection.request(
                "POST", f"{self.base}/{request_id}/error", body=_error_document(error_type),
                headers={"Content-Type": "application/json", _ERROR_TRAILERS[0]: error_type},
            )
            response = connection.getresponse()
            response.read()
            return response.status  # type: ignore[no-any-return]
        finally:
            connection.close()

    def post_stream(self, request_id: str, chunks: Iterator[bytes]) -> int:
        """Stream ``chunks`` as the invocation's response; a failure while iterating goes in the trailers.

        Returns:
            the runtime API's status for the response (202 when accepted).
        """
        connection = self._connection()
        try:
            connection.putrequest("POST", f"{self.base}/{request_id}/response", skip_accept_encoding=True)
            connection.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
            connection.putheader("Transfer-Encoding", "chunked")
            # API Gateway (and function URLs) read a prelude, 8 null bytes, then the payload.
            connection.putheader("Content-Type", "application/vnd.awslambda.http-integration-response")
            connection.putheader("Trailer", ", ".join(_ERROR_TRAILERS))
            connection.endheaders()
            trailer = b""
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - reported in the trailers, details only in the log
                    if not isinstance(exc, StreamInterrupted):
                        LOG.exception("streaming response failed")
                    trailer = error_trailers(STREAM_INTERRUPTED)
                    break
                if chunk:  # an empty chunk would end the body early
                    connection.send(http_chunk(chunk))
            connection.send(b"0\r\n" + trailer + b"\r\n")
            response = connection.getresponse()
            response.read()
            return response.status  # type: ignore[no-any-return]
        finally:
            connection.close()


def serve_invocation(api: RuntimeApi, respond: Callable[[Mapping[str, Any]], Iterator[bytes]] | None = None) -> None:
    """Take one event from the runtime API and stream the answer ``respond`` (default :func:`stream`) makes.

    The first chunk (API Gateway's prelude) is produced before the response is opened, so a failure up to
    that point is reported on the ``/error`` endpoint (an invocation error, no partial response).
    """
    request_id, event, headers = api.next_invocation()
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id  # botocore propagates it to the AgentCore call
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    chunks = iter((respond or stream)(event))
    try:
        first = next(chunks, b"")
    except Exception:  # noqa: BLE001 - reported as an invocation error, details only in the log
        LOG.exception("streaming response failed before its first byte")
        api.post_error(request_id, PROXY_FAILED)
        return
    api.post_stream(request_id, itertools.chain((first,), chunks))


def run_streaming_runtime(api: RuntimeApi | None = None, *, max_invocations: int | None = None) -> None:
    """A minimal Lambda runtime loop that streams :func:`stream`'s bytes (custom runtime API).

    The Python managed runtime cannot stream responses, so the function starts this loop instead of the
    runtime interface client (``AWS_LAMBDA_EXEC_WRAPPER`` points at ``invoke_proxy_stream.sh``).

    Args:
        api: the runtime API client. Default: one for ``AWS_LAMBDA_RUNTIME_API``.
        max_invocations: stop after this many invocations (tests). Default: run until the environment ends.
    """
    if not logging.getLogger().handlers:  # the runtime interface client, which would add one, is not running
        logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    api = api or RuntimeApi()
    served = 0
    while max_invocations is None or served < max_invocations:
        serve_invocation(api)
        served += 1


if __name__ == "__main__":  # pragma: no cover
    run_streaming_runtime()
