"""A Lambda Runtime API peer (version 2018-06-01) on 127.0.0.1: what a function's runtime talks to in Lambda.

It serves the endpoints a runtime uses: ``GET /runtime/invocation/next`` (hands out the next event with the
``Lambda-Runtime-Aws-Request-Id``, ``-Deadline-Ms``, ``-Invoked-Function-Arn`` and ``-Trace-Id`` headers),
``POST /runtime/invocation/{id}/response`` (a buffered answer, or a streamed one with
``Lambda-Runtime-Function-Response-Mode: streaming`` and a chunked body whose trailers may report an error),
``POST /runtime/invocation/{id}/error`` and ``POST /runtime/init/error``. A streamed body is parsed byte by
byte as it arrives, so a caller sees each chunk at the time the function wrote it
(:meth:`Invocation.stream`), and the protocol rules are checked: trailers must be declared in ``Trailer``,
a streamed response must be chunked. Violations are listed in :attr:`RuntimeApiPeer.problems`.

The peer knows nothing about processes: :class:`tests.harness.lambda_sandbox.LambdaSandbox` runs the
function against it and enforces the deadline.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import json
import queue
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.harness._servers import LoopbackServer, QuietHandler

API_VERSION = "2018-06-01"
_BASE = f"/{API_VERSION}/runtime/invocation/"
_ERROR_TYPE = "lambda-runtime-function-error-type"
_ERROR_BODY = "lambda-runtime-function-error-body"
_POLL = 0.05


@dataclass(frozen=True)
class StreamPiece:
    """Bytes of a streamed response and when the peer read them (``time.monotonic()``)."""

    at: float
    data: bytes


class Invocation:
    """One event given to the function and what came back.

    Attributes:
        request_id: the request id (``Lambda-Runtime-Aws-Request-Id``).
        event: the event.
        timeout_seconds: the function timeout the deadline is computed from.
        outcome: ``None`` while running, then ``response`` (buffered answer), ``streamed``, ``error`` (the
            function reported one), ``timeout`` (killed at the deadline), ``crashed`` (the runtime exited),
            ``truncated`` (a stream that ended without its last chunk), ``abandoned`` (a stream whose client went
            away: Lambda closed it, see :meth:`abandon`) or ``too-large``.
        response: the buffered answer's bytes.
        chunks: the streamed answer, piece by piece.
        headers: the headers of the runtime's answer (lower-case names).
        trailers: the trailers of a streamed answer.
        error: the error document (``errorType``, ``errorMessage``...).
    """

    def __init__(self, event: Any, timeout_seconds: float, *, trace_id: str | None = None) -> None:
        self.request_id = str(uuid.uuid4())
        self.event = event
        self.timeout_seconds = timeout_seconds
        self.trace_id = trace_id or (
            f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1")
        self.submitted_at = time.monotonic()
        self.started_at: float | None = None
        self.deadline: float | None = None
        self.finished_at: float | None = None
        self.outcome: str | None = None
        self.response: bytes | None = None
        self.chunks: list[StreamPiece] = []
        self.headers: dict[str, str] = {}
        self.trailers: dict[str, str] = {}
        self.error: dict[str, Any] | None = None
        self._live: queue.Queue[StreamPiece | None] = queue.Queue()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._stream_socket: socket.socket | None = None
        self._abandoned = threading.Event()

    # -- reading -----------------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Whether the invocation has an outcome."""
        return self._done.is_set()

    def wait(self, timeout: float) -> Invocation:
        """Wait for the outcome; raises ``TimeoutError`` after ``timeout`` seconds."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"invocation {self.request_id} did not end within {timeout:g} s")
        return self

    def json(self) -> Any:
        """The buffered answer as JSON (raises unless the outcome is ``response``)."""
        if self.outcome != "response" or self.response is None:
            raise AssertionError(f"invocation ended {self.outcome}: {self.error}")
        return json.loads(self.response)

    @property
    def body(self) -> bytes:
        """The answer's bytes: the buffered response, or every streamed chunk joined."""
        return self.response if self.response is not None else b"".join(p.data for p in self.chunks)

    @property
    def stream_error(self) -> dict[str, Any] | None:
        """The error a streamed answer reported in its trailers (decoded), if any."""
        if _ERROR_TYPE not in self.trailers:
            return None
        body = self.trailers.get(_ERROR_BODY)
        document = json.loads(base64.b64decode(body)) if body else {}
        return {"errorType": self.trailers[_ERROR_TYPE], **document}

    def next_piece(self, timeout: float) -> StreamPiece | None:
        """The next piece of the answer as the function writes it, ``None`` once the answer ended.

        A buffered answer arrives as one piece. Raises ``TimeoutError`` when nothing came within ``timeout``
        seconds (an idle stream).
        """
        try:
            return self._live.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no bytes from invocation {self.request_id} for {timeout:g} s") from None

    @property
    def abandoned(self) -> bool:
        """Whether the front door gave up on the answer (its client went away)."""
        return self._abandoned.is_set()

    def abandon(self) -> None:
        """The client of a streamed answer went away: close the response stream under the function.

        Lambda does not document what a streaming function sees then; the harness models the response stream being
        closed, so the function's next write fails (the connection is reset) and it can stop its work.
        """
        with self._lock:
            self._abandoned.set()
            connection = self._stream_socket
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                connection.shutdown(socket.SHUT_RDWR)

    # -- writing (the peer and the sandbox) -----------------------------------------------------------------

    def _start(self) -> None:
        self.started_at = time.monotonic()
        self.deadline = self.started_at + self.timeout_seconds

    def _piece(self, data: bytes) -> None:
        piece = StreamPiece(time.monotonic(), data)
        self.chunks.append(piece)
        self._live.put(piece)

    def finish(self, outcome: str, *, response: bytes | None = None, error: Mapping[str, Any] | None = None) -> bool:
        """Set the outcome once; later calls change nothing. Returns whether this call set it."""
        with self._lock:
            if self._done.is_set():
                return False
            self.outcome = outcome
            self.finished_at = time.monotonic()
            if response is not None:
                self.response = response
                self._live.put(StreamPiece(self.finished_at, response))
            if error is not None:
                self.error = dict(error)
            self._live.put(None)
            self._done.set()
            return True


class RuntimeApiPeer(LoopbackServer):
    """The Runtime API of one execution environment: a queue of events, one invocation at a time.

    Args:
        function_arn: the ``Lambda-Runtime-Invoked-Function-Arn`` handed out.
        max_response_bytes: the largest buffered response accepted (Lambda's synchronous response payload
            quota; answered ``413`` and ending the invocation ``too-large`` above it). Default: no limit.
    """

    def __init__(self, *, function_arn: str, max_response_bytes: int | None = None) -> None:
        super().__init__(_RuntimeApiHandler, name="lambda-runtime-api")
        self.function_arn = function_arn
        self.max_response_bytes = max_response_bytes
        self._queue: collections.deque[Invocation] = collections.deque()
        self._lock = threading.Condition()
        self._invocations: dict[str, Invocation] = {}
        self.current: Invocation | None = None
        #: Set once the runtime asked for its first event (its initialization is done).
        self.initialized = threading.Event()
        #: The error document of ``/runtime/init/error``, if the runtime reported one.
        self.init_error: dict[str, Any] | None = None
        #: Protocol violations seen (should stay empty).
        self.problems: list[str] = []

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``: the value of ``AWS_LAMBDA_RUNTIME_API``."""
        return f"127.0.0.1:{self.port}"

    def submit(self, event: Any, timeout_seconds: float, *, trace_id: str | None = None) -> Invocation:
        """Queue an event; the runtime takes it on its next ``/next``."""
        invocation = Invocation(event, timeout_seconds, trace_id=trace_id)
        with self._lock:
            self._invocations[invocation.request_id] = invocation
            self._queue.append(invocation)
            self._lock.notify_all()
        return invocation

    def pending(self) -> list[Invocation]:
        """Invocations submitted and not yet ended, oldest first."""
        with self._lock:
            return sorted((i for i in self._invocations.values() if not i.done), key=lambda i: i.submitted_at)

    def _take(self, gone: Callable[[], bool]) -> Invocation | None:
        """The next event for a runtime waiting on ``/next``; ``None`` if it went away or the peer stops."""
        with self._lock:
            while not self.stopping.is_set() and not gone():
                while self._queue and self._queue[0].done:  # ended before it started (its environment died)
                    self._queue.popleft()
                if self._queue:
                    invocation = self._queue.popleft()
                    invocation._start()
                    self.current = invocation
                    return invocation
                self._lock.wait(_POLL)
        return None

    def _give_back(self, invocation: Invocation) -> None:
        """An event that could not be delivered goes back to the head of the queue."""
        with self._lock:
            invocation.started_at = invocation.deadline = None
            if self.current is invocation:
                self.current = None
            self._queue.appendleft(invocation)
            self._lock.notify_all()

    def _running(self, request_id: str) -> Invocation | None:
        invocation = self.current
        if invocation is None or invocation.request_id != request_id or invocation.done:
            return None
        return invocation


class _RuntimeApiHandler(QuietHandler):
    server: RuntimeApiPeer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path != _BASE + "next":
            self.send_json(404, {"errorType": "NotFound", "errorMessage": self.path})
            return
        current = self.server.current
        if current is not None and not current.done:
            self.server.problems.append(f"/next called while {current.request_id} had no answer")
        self.server.initialized.set()
        invocation = self.server._take(self.client_gone)
        if invocation is None:  # the runtime went away, or the peer is stopping
            self.close_connection = True
            return
        assert invocation.deadline is not None
        deadline_ms = int((time.time() + (invocation.deadline - time.monotonic())) * 1000)
        try:
            self.send_json(200, invocation.event, {
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": self.server.function_arn,
                "Lambda-Runtime-Trace-Id": invocation.trace_id,
            })
        except OSError:
            self.server._give_back(invocation)
            raise

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        headers = self.header_map()
        if self.path == f"/{API_VERSION}/runtime/init/error":
            self.server.init_error = {"errorType": headers.get(_ERROR_TYPE), **_json(self.read_body())}
            self.send_json(202, {"status": "OK"})
            return
        request_id, _, kind = self.path.removeprefix(_BASE).partition("/")
        invocation = self.server._running(request_id) if self.path.startswith(_BASE) else None
        if invocation is None:
            self.read_body()
            self.send_json(400, {"errorType": "InvalidRequestID", "errorMessage": "unknown or ended request id"})
            return
        invocation.headers = headers
        if kind == "error":
            document = _json(self.read_body())
            invocation.finish("error", error={"errorType": headers.get(_ERROR_TYPE, document.get("errorType")),
                                              **document})
        elif kind == "response" and headers.get("lambda-runtime-function-response-mode") == "streaming":
            if not self._streamed(invocation, headers):
                return
        elif kind == "response":
            if not self._buffered(invocation, headers):
                return
        else:
            self.send_json(404, {"errorType": "NotFound", "errorMessage": self.path})
            return
        self.send_json(202, {"status": "OK"})

    def _buffered(self, invocation: Invocation, headers: Mapping[str, str]) -> bool:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            self.server.problems.append("a buffered response was sent chunked without the streaming mode header")
        body = self.read_body()
        limit = self.server.max_response_bytes
        if limit is not None and len(body) > limit:
            invocation.finish("too-large", error={"errorType": "Function.ResponseSizeTooLarge",
                                                  "errorMessage": f"response of {len(body)} bytes exceeds {limit}"})
            self.send_json(413, {"errorType": "RequestEntityTooLarge", "errorMessage": "response too large"})
            return False
        invocation.finish("response", response=body)
        return True

    def _streamed(self, invocation: Invocation, headers: Mapping[str, str]) -> bool:
        if headers.get("transfer-encoding", "").lower() != "chunked":
            self.server.problems.append("a streamed response must use Transfer-Encoding: chunked")
            invocation.finish("error", error={"errorType": "Runtime.InvalidStreamingResponse"})
            self.send_json(400, {"errorType": "InvalidRequest"})
            return False
        declared = {n.strip().lower() for n in headers.get("trailer", "").split(",") if n.strip()}
        with invocation._lock:
            invocation._stream_socket = self.connection
            abandoned = invocation.abandoned
        try:
            complete = not abandoned and self._read_chunks(invocation)
        except (OSError, ValueError):
            complete = False
        if invocation.abandoned:
            invocation.finish("abandoned")
            self.close_connection = True
            return False
        undeclared = set(invocation.trailers) - declared
        if undeclared:
            self.server.problems.append(f"trailers not declared in Trailer: {sorted(undeclared)}")
        invocation.finish("streamed" if complete else "truncated")
        return complete

    def _read_chunks(self, invocation: Invocation) -> bool:
        """RFC 9112 chunked body, piece by piece: ``size CRLF data CRLF`` ..., ``0 CRLF``, trailers, ``CRLF``."""
        while True:
            line = self.rfile.readline()
            if not line:
                return False
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            data = self.rfile.read(size)
            if len(data) < size:
                if data:
                    invocation._piece(data)
                return False
            invocation._piece(data)
            if self.rfile.read(2) != b"\r\n":
                self.server.problems.append("a chunk is not followed by CRLF")
        while (line := self.rfile.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            invocation.trailers[name.strip().lower()] = value.strip()
        return True


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data or b"{}")
    except ValueError:
        return {"errorMessage": data.decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"errorMessage": value}
