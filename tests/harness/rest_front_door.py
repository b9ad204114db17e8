"""A REST API front door on 127.0.0.1: a plain HTTP request in, an API Gateway Lambda proxy event out.

It does what API Gateway does for a Lambda proxy method, and no more:

1. the URL is ``<url>/<stage>/<resource path>``; a path or method the template does not declare answers
   ``403 {"message": "Missing Authentication Token"}``, a body above the catalog's API Gateway payload size
   ``413``;
2. the caller is the one named by the ``X-Harness-Caller`` header (registered with :meth:`RestFrontDoor.add_caller`;
   the header is not passed on), or the default caller; a method with authorization ``AWS_IAM`` refuses a
   caller that is not an IAM caller (``403``), ``CUSTOM`` and ``COGNITO_USER_POOLS`` one without their
   authorizer (``401``). The signature is not checked: who the caller is, is the test's choice;
3. a method with a request validator and a body model validates the JSON body (draft 4) and answers
   ``400 {"message": "Invalid request body"}``;
4. the event (:func:`tests.harness.proxy_events.rest_event`) goes to the function's sandbox. Buffered: the
   function's proxy response (``statusCode``, ``headers``, ``multiValueHeaders``, ``body``,
   ``isBase64Encoded``) becomes the HTTP answer; no answer within the integration timeout is
   ``504 {"message": "Endpoint request timed out"}``, a function error or malformed response
   ``502 {"message": "Internal server error"}``. Streaming (``ResponseTransferMode: STREAM``): the
   function's prelude (JSON metadata, 8 null bytes) sets status and headers, and every later chunk is
   forwarded with chunked transfer coding the moment it arrives. A stream that fails after it started
   (error trailers, a killed function, an idle gap longer than ``stream_idle_timeout``) is cut: the HTTP
   connection closes without the last chunk, so the client reads a truncated body. A client that goes away
   mid-stream abandons the invocation (:meth:`tests.harness.runtime_api.Invocation.abandon`).

Every exchange is recorded (:class:`Exchange`) with its event and timings.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jsonschema import Draft4Validator

from tests.harness._servers import LoopbackServer, QuietHandler
from tests.harness.callers import Caller
from tests.harness.lambda_sandbox import LambdaSandbox
from tests.harness.proxy_events import ApiContext, rest_event
from tests.harness.routes import RestRoute
from tests.harness.runtime_api import Invocation

#: The request header naming the registered caller a request comes from (not passed to the function).
CALLER_HEADER = "X-Harness-Caller"
_DELIMITER = b"\x00" * 8
_MISSING_TOKEN = {"message": "Missing Authentication Token"}
_INTERNAL = {"message": "Internal server error"}


@dataclass
class Exchange:
    """One request through the front door.

    Attributes:
        method: the HTTP method.
        path: the path after the stage.
        caller: the caller name (``None``: the default or anonymous caller).
        status: the status sent to the client.
        event: the event given to the function (``None`` if the request did not get that far).
        invocation: the function invocation.
        started_at: ``time.monotonic()`` when the request was read.
        first_byte_at: when the first body byte went to the client.
        finished_at: when the answer ended.
        cut: the answer was cut (a truncated stream).
        client_gone: the client went away before the answer ended.
    """

    method: str
    path: str
    caller: str | None
    status: int | None = None
    event: dict[str, Any] | None = None
    invocation: Invocation | None = None
    started_at: float = field(default_factory=time.monotonic)
    first_byte_at: float | None = None
    finished_at: float | None = None
    cut: bool = False
    client_gone: bool = False


class RestFrontDoor(LoopbackServer):
    """One stage of a REST API in front of the sandboxes of its functions.

    Args:
        routes: the API's methods (:func:`tests.harness.routes.rest_routes`).
        functions: a sandbox per function logical id.
        api: the API's id, stage, account and region.
        default_caller: who a request without ``X-Harness-Caller`` comes from. Default: nobody (anonymous).
        max_body_bytes: the largest request body (the catalog's API Gateway payload size). Default: no limit.
        validate_bodies: validate bodies against the method's model. Default: True.
        stream_idle_timeout: seconds a stream may be silent before it is cut. Default: never cut.
    """

    def __init__(
        self,
        routes: list[RestRoute],
        functions: Mapping[str, LambdaSandbox],
        *,
        api: ApiContext,
        default_caller: Caller | None = None,
        max_body_bytes: int | None = None,
        validate_bodies: bool = True,
        stream_idle_timeout: float | None = None,
    ) -> None:
        super().__init__(_FrontDoorHandler, name="rest-front-door")
        self.routes = routes
        self.functions = dict(functions)
        self.api = api
        self.default_caller = default_caller
        self.max_body_bytes = max_body_bytes
        self.validate_bodies = validate_bodies
        self.stream_idle_timeout = stream_idle_timeout
        self._callers: dict[str, Caller] = {}
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []

    @property
    def stage_url(self) -> str:
        """The stage's base URL (``http://127.0.0.1:<port>/<stage>``)."""
        return f"{self.url}/{self.api.stage}"

    def add_caller(self, name: str, caller: Caller) -> None:
        """Register a caller that requests name in ``X-Harness-Caller``."""
        with self._lock:
            self._callers[name] = caller

    def caller(self, name: str) -> Caller | None:
        """A registered caller."""
        with self._lock:
            return self._callers.get(name)

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange so far."""
        with self._lock:
            return list(self._exchanges)

    def reset(self) -> None:
        """Forget the exchanges."""
        with self._lock:
            self._exchanges.clear()

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    def _route(self, method: str, path: str) -> tuple[RestRoute, dict[str, str]] | None:
        for route in self.routes:
            parameters = route.match(method, path)
            if parameters is not None:
                return route, parameters
        return None


class _FrontDoorHandler(QuietHandler):
    server: RestFrontDoor

    def _handle(self) -> None:
        url = urlsplit(self.path)
        prefix = f"/{self.server.api.stage}"
        caller_name = self.headers.get(CALLER_HEADER)
        exchange = Exchange(self.command, url.path[len(prefix):] or "/", caller_name)
        self.server._record(exchange)
        body = self.read_body()
        admitted = self._admit(exchange, url.path, body)
        if admitted is None:
            return
        route, parameters, caller = admitted
        headers = [(k, v) for k, v in self.headers.items() if k.lower() != CALLER_HEADER.lower()]
        exchange.event = rest_event(
            self.server.api, method=self.command, path=exchange.path, resource_path=route.resource_path,
            path_parameters=parameters, query=parse_qsl(url.query, keep_blank_values=True), headers=headers,
            body=body, caller=caller if route.authorization != "NONE" else None, source_ip=self.client_address[0],
        )
        exchange.invocation = self.server.functions[route.function_id].submit(exchange.event)
        try:
            if route.streaming:
                self._stream(exchange, route)
            else:
                self._buffered(exchange, route)
        except (BrokenPipeError, ConnectionResetError):
            exchange.client_gone = True
            self.close_connection = True
            if route.streaming:
                exchange.invocation.abandon()  # the function's response stream is closed under it
        exchange.finished_at = time.monotonic()

    def _admit(
        self, exchange: Exchange, full_path: str, body: bytes
    ) -> tuple[RestRoute, dict[str, str], Caller | None] | None:
        """What API Gateway checks before the function: stage, route, size, caller, body model.

        Answers the refusal itself and returns ``None``, or returns the route, path parameters and caller.
        """
        prefix = f"/{self.server.api.stage}"
        if full_path != prefix and not full_path.startswith(prefix + "/"):
            self._send(exchange, 403, {"message": "Forbidden"})
            return None
        found = self.server._route(self.command, exchange.path)
        if found is None:
            self._send(exchange, 403, _MISSING_TOKEN)
            return None
        route, parameters = found
        limit = self.server.max_body_bytes
        if limit is not None and len(body) > limit:
            self._send(exchange, 413, {"message": "Request Too Long"})
            return None
        name = exchange.caller
        caller = self.server.caller(name) if name else self.server.default_caller
        if name and caller is None:
            self._send(exchange, 500, {"message": f"harness: no caller named {name!r}"})
            return None
        if route.authorization != "NONE" and (caller is None or caller.authorization_type != route.authorization):
            if route.authorization == "AWS_IAM":
                self._send(exchange, 403, _MISSING_TOKEN)
            else:
                self._send(exchange, 401, {"message": "Unauthorized"})
            return None
        if self.server.validate_bodies and route.body_schema is not None and not _valid(body, route.body_schema):
            self._send(exchange, 400, {"message": "Invalid request body"})
            return None
        return route, parameters, caller

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle  # noqa: N815

    # -- answers ---------------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"x-amzn-RequestId": str(uuid.uuid4())}

    def _send(self, exchange: Exchange, status: int, document: Any) -> None:
        exchange.status = status
        self.send_json(status, document, self._headers())
        exchange.first_byte_at = exchange.finished_at = time.monotonic()

    def _buffered(self, exchange: Exchange, route: RestRoute) -> None:
        invocation = exchange.invocation
        assert invocation is not None
        try:
            invocation.wait(route.timeout_ms / 1000)
        except TimeoutError:
            self._send(exchange, 504, {"message": "Endpoint request timed out"})
            return
        response = _proxy_response(invocation.response) if invocation.outcome == "response" else None
        if response is None:
            self._send(exchange, 502, _INTERNAL)
            return
        status, headers, body = response
        exchange.status = status
        self.send_bytes(status, body, {**self._headers(), **headers})
        exchange.first_byte_at = time.monotonic()

    def _stream(self, exchange: Exchange, route: RestRoute) -> None:
        """Wait for the prelude within the integration timeout, then forward each piece within the idle timeout."""
        invocation = exchange.invocation
        assert invocation is not None
        deadline = time.monotonic() + route.timeout_ms / 1000
        idle = self.server.stream_idle_timeout
        buffer = b""
        started = False
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("integration timeout")
                piece = invocation.next_piece(min(idle, left) if started and idle is not None else left)
                if piece is None:
                    break
                data = piece.data
                if not started:
                    buffer += data
                    if _DELIMITER not in buffer:
                        continue
                    prelude, _, data = buffer.partition(_DELIMITER)
                    metadata = _prelude(prelude)
                    if metadata is None:
                        self._send(exchange, 502, _INTERNAL)
                        return
                    exchange.status = metadata[0]
                    self.start_chunked(metadata[0], {**self._headers(), **metadata[1]})
                    started = True
                if data:
                    self.send_chunk(data)
                    exchange.first_byte_at = exchange.first_byte_at or time.monotonic()
        except TimeoutError:
            if not started:
                self._send(exchange, 504, {"message": "Endpoint request timed out"})
                return
            exchange.cut = True
            self.cut_connection()
            return
        if not started:
            self._send(exchange, 502, _INTERNAL)
        elif invocation.outcome != "streamed" or invocation.stream_error is not None:
            exchange.cut = True
            self.cut_connection()
        else:
            self.end_chunked()


def _valid(body: bytes, schema: Mapping[str, Any]) -> bool:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return bool(Draft4Validator(dict(schema)).is_valid(document))


def _proxy_response(data: bytes | None) -> tuple[int, dict[str, str], bytes] | None:
    """Status, headers and body of a Lambda proxy response, or ``None`` when it is malformed."""
    try:
        response = json.loads(data or b"")
    except ValueError:
        return None
    if not isinstance(response, dict) or not isinstance(response.get("statusCode"), int):
        return None
    headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(str(v) for v in values)
    body = response.get("body") or ""
    data = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode()
    return response["statusCode"], headers, data


def _prelude(data: bytes) -> tuple[int, dict[str, str]] | None:
    """Status and headers of a streamed response's metadata (``{"statusCode", "headers", "cookies"}``)."""
    try:
        metadata = json.loads(data)
    except ValueError:
        return None
    if not isinstance(metadata, dict):
        return None
    headers = {k: str(v) for k, v in (metadata.get("headers") or {}).items()
               if k.lower() not in ("content-length", "transfer-encoding")}  # the stream is chunked
    if metadata.get("cookies"):
        headers["Set-Cookie"] = ", ".join(metadata["cookies"])
    return int(metadata.get("statusCode", 200)), headers
