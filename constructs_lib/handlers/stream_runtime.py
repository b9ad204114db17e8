"""A Lambda runtime loop that streams responses: the custom Runtime API integration Lambda documents for response
streaming outside its Node.js runtimes.

Why the library runs its own loop: Lambda's managed Python runtime, the runtime interface client ``awslambdaric`` (4.x,
what Lambda runs and what the test harness runs), posts a handler's return value in one piece and cannot stream
(aws/aws-lambda-python-runtime-interface-client#100; streaming for Python runtimes is on Lambda's roadmap,
aws/aws-lambda-roadmap#39); Powertools for AWS Lambda (Python) declined response streaming for its event handler
(aws-powertools/powertools-lambda-python#7716); the Lambda Web Adapter streams, but needs a web framework in the
function and its extension binary as a layer. What remains is the mechanism Lambda documents for any other runtime: the
Runtime API's streaming response mode, which this module speaks with the standard library only.

Started by the function's ``AWS_LAMBDA_EXEC_WRAPPER`` as ``python stream_runtime.py <module>.<function>``. The function
takes ``(event, context)`` and returns an iterator of bytes: API Gateway's prelude (JSON metadata and 8 NUL bytes),
then the body.

- **Init**: the module is imported and its ``check_configuration()`` (if it has one) called; a failure is posted to
  ``/runtime/init/error`` (``Runtime.ImportModuleError`` or ``Runtime.ConfigurationError``, with the message) and the
  process exits, as a managed runtime reports init errors.
- **Each invocation**: ``/next`` gives the event, the request id, the deadline (``Lambda-Runtime-Deadline-Ms``: the
  context's ``get_remaining_time_in_millis()`` counts down to it) and the X-Ray trace id (``_X_AMZN_TRACE_ID``). The
  first chunk is produced before the response is opened, so a failure up to then is an invocation error
  (``/error``). Then the response is posted with ``Lambda-Runtime-Function-Response-Mode: streaming`` and
  ``Transfer-Encoding: chunked``, declaring the error trailers up front; an exception while iterating ends the body
  with those trailers (its ``error_type`` attribute, else ``Function.StreamInterrupted``, and a generic body: no
  detail leaves the function).
- **A client that goes away**: when a write to the Runtime API fails (Lambda closed the response stream), the iterator
  is closed (``GeneratorExit`` at its ``yield``), so the handler can clean up, and the loop takes the next event.
"""

from __future__ import annotations

import base64
import http.client
import importlib
import itertools
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

LOG = logging.getLogger(__name__)

#: Version of the Lambda runtime API the loop speaks.
RUNTIME_API_VERSION = "2018-06-01"
#: Error type reported when a stream fails after the response started (``<category.reason>``).
STREAM_INTERRUPTED = "Function.StreamInterrupted"
#: Error type reported when the function fails before the response started.
FUNCTION_FAILED = "Function.ProxyError"
_ERROR_TRAILERS = ("Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body")
_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)

Respond = Callable[[Mapping[str, Any], Any], Iterator[bytes]]


def http_chunk(data: bytes) -> bytes:
    """``data`` as one HTTP/1.1 chunk (size in hex, CRLF, data, CRLF); never call it with no data."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def _error_document(error_type: str, message: str = "internal error") -> bytes:
    """The error Lambda records: the type and a message, never a trace."""
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode("utf-8")


def error_trailers(error_type: str = STREAM_INTERRUPTED) -> bytes:
    """The runtime API trailers that report a failed stream, with a generic, base64-encoded error body."""
    return (
        f"{_ERROR_TRAILERS[0]}: {error_type}\r\n".encode("ascii")
        + f"{_ERROR_TRAILERS[1]}: ".encode("ascii") + base64.b64encode(_error_document(error_type)) + b"\r\n"
    )


class InvocationContext:
    """The context object of one invocation (the attributes of Lambda's Python context that handlers use).

    Args:
        request_id: ``Lambda-Runtime-Aws-Request-Id``.
        deadline_ms: ``Lambda-Runtime-Deadline-Ms`` (epoch milliseconds).
        invoked_function_arn: ``Lambda-Runtime-Invoked-Function-Arn``.
    """

    def __init__(self, request_id: str, deadline_ms: int, invoked_function_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the invocation's deadline (never negative)."""
        return max(0, int(self._deadline_ms - time.time() * 1000))


class RuntimeApi:
    """A client of the Lambda runtime API (``AWS_LAMBDA_RUNTIME_API``) for one streaming function.

    Args:
        address: ``host:port`` of the runtime API. Default: ``AWS_LAMBDA_RUNTIME_API``.
    """

    def __init__(self, address: str | None = None) -> None:
        host, _, port = (address or os.environ["AWS_LAMBDA_RUNTIME_API"]).partition(":")
        self.host = host
        self.port = int(port or 80)
        self.base = f"/{RUNTIME_API_VERSION}/runtime"

    def _connection(self) -> http.client.HTTPConnection:
        # No timeout: /next blocks while the environment is frozen between invocations.
        return http.client.HTTPConnection(self.host, self.port, timeout=None)

    def _post(self, path: str, body: bytes, headers: Mapping[str, str]) -> int:
        connection = self._connection()
        try:
            connection.request("POST", f"{self.base}{path}", body=body, headers=dict(headers))
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def next_invocation(self) -> tuple[str, dict[str, Any], dict[str, str]]:
        """Wait for the next event: ``(request id, event, response headers)``."""
        connection = self._connection()
        try:
            connection.request("GET", f"{self.base}/invocation/next")
            response = connection.getresponse()
            data = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"runtime API /next answered {response.status}")
        return headers["lambda-runtime-aws-request-id"], json.loads(data or b"{}"), headers

    def post_init_error(self, error_type: str, message: str) -> int:
        """Report a failed initialization (``/runtime/init/error``); returns the API's status."""
        return self._post("/init/error", _error_document(error_type, message),
                          {"Content-Type": "application/json", _ERROR_TRAILERS[0]: error_type})

    def post_error(self, request_id: str, error_type: str = FUNCTION_FAILED) -> int:
        """Report an invocation that failed before its response started; returns the API's status."""
        return self._post(f"/invocation/{request_id}/error", _error_document(error_type),
                          {"Content-Type": "application/json", _ERROR_TRAILERS[0]: error_type})

    def post_stream(self, request_id: str, chunks: Iterator[bytes]) -> int | None:
        """Stream ``chunks`` as the invocation's response; a failure while iterating goes in the trailers.

        Returns:
            the runtime API's status (202 when accepted), or ``None`` when the response stream was closed under it
            (the client went away): ``chunks`` is then closed.
        """
        connection = self._connection()
        try:
            connection.putrequest("POST", f"{self.base}/invocation/{request_id}/response", skip_accept_encoding=True)
            connection.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
            connection.putheader("Transfer-Encoding", "chunked")
            # API Gateway (and function URLs) read a prelude, 8 null bytes, then the payload.
            connection.putheader("Content-Type", "application/vnd.awslambda.http-integration-response")
            connection.putheader("Trailer", ", ".join(_ERROR_TRAILERS))
            connection.endheaders()
            trailer = b""
            guarded = _guarded(chunks)
            for chunk in guarded:
                if isinstance(chunk, str):  # the error type of a failed stream
                    trailer = error_trailers(chunk)
                    break
                if chunk:  # an empty chunk would end the body early
                    try:
                        connection.send(http_chunk(chunk))
                    except _GONE:
                        LOG.info("the response stream was closed: the client went away")
                        _close(guarded)  # closes ``chunks`` too (GeneratorExit at the handler's yield)
                        return None
            connection.send(b"0\r\n" + trailer + b"\r\n")
            response = connection.getresponse()
            response.read()
            return response.status
        except _GONE:
            LOG.info("the response stream was closed before it ended")
            _close(chunks)
            return None
        finally:
            connection.close()


def _guarded(chunks: Iterator[bytes]) -> Iterator[bytes | str]:
    """``chunks``, then the error type (a string) if iterating them failed; the details only in the log."""
    try:
        yield from chunks
    except Exception as exc:  # noqa: BLE001 - reported in the trailers, details only in the log
        error_type = getattr(exc, "error_type", None)
        if not isinstance(error_type, str):
            LOG.exception("streaming response failed")
            error_type = STREAM_INTERRUPTED
        yield error_type


def _close(chunks: Iterator[Any]) -> None:
    close = getattr(chunks, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # noqa: BLE001 - the client is gone either way; the handler's cleanup logged its own
            LOG.exception("closing an abandoned response failed")


def serve_invocation(api: RuntimeApi, respond: Respond) -> None:
    """Take one event from the runtime API and stream the answer ``respond`` makes."""
    request_id, event, headers = api.next_invocation()
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id  # botocore and X-Ray propagate it
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    context = InvocationContext(
        request_id, int(headers.get("lambda-runtime-deadline-ms") or 0),
        headers.get("lambda-runtime-invoked-function-arn", ""),
    )
    try:
        chunks = iter(respond(event, context))
        first = next(chunks, b"")
    except Exception:  # noqa: BLE001 - reported as an invocation error, details only in the log
        LOG.exception("streaming response failed before its first byte")
        api.post_error(request_id, FUNCTION_FAILED)
        return
    api.post_stream(request_id, _chained(first, chunks))


def _chained(first: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``first`` then ``chunks``; closing it closes ``chunks``."""
    try:
        yield from itertools.chain((first,), chunks)
    finally:
        _close(chunks)


def load(target: str, api: RuntimeApi) -> Respond:
    """Import ``<module>.<function>`` and check the module's configuration; an init error is reported and exits.

    Raises:
        SystemExit: initialization failed (reported to ``/runtime/init/error`` first).
    """
    try:
        module_name, function_name = target.rsplit(".", 1)
        module = importlib.import_module(module_name)
        respond: Respond = getattr(module, function_name)
    except (ImportError, AttributeError, ValueError) as exc:
        LOG.exception("cannot load %s", target)
        api.post_init_error("Runtime.ImportModuleError", f"cannot load {target}: {exc}")
        raise SystemExit(1) from None
    check = getattr(module, "check_configuration", None)
    if callable(check):
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - reported as the init error (the message names the variable)
            LOG.error("configuration error: %s", exc)
            api.post_init_error("Runtime.ConfigurationError", str(exc))
            raise SystemExit(1) from None
    return respond


def run(target: str, api: RuntimeApi | None = None, *, max_invocations: int | None = None) -> None:
    """Load ``target`` and serve invocations until the environment ends (or ``max_invocations``, for tests)."""
    if not logging.getLogger().handlers:  # no runtime interface client here to configure logging
        logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    api = api or RuntimeApi()
    respond = load(target, api)
    served = 0
    while max_invocations is None or served < max_invocations:
        serve_invocation(api, respond)
        served += 1


if __name__ == "__main__":  # pragma: no cover - started by the exec wrapper
    if len(sys.argv) != 2:
        raise SystemExit("usage: stream_runtime.py <module>.<function>")
    run(sys.argv[1])
