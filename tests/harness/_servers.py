"""The one HTTP server shape every stand-in uses: 127.0.0.1, an ephemeral port, bounded threads.

A :class:`LoopbackServer` serves in a background thread, one thread per connection, and tracks every
connection it accepted so :meth:`LoopbackServer.stop` can close them all (a handler blocked writing a slow
stream or holding a request open wakes up on the closed socket) and join every thread within a bound.
Handlers wait with ``server.stopping.wait(seconds)`` instead of ``time.sleep`` so that they end at once
when the server stops.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

#: The only address a stand-in binds.
LOOPBACK = "127.0.0.1"
#: Seconds :meth:`LoopbackServer.stop` waits for the handler threads before it reports them as leaked.
STOP_TIMEOUT = 5.0
#: Seconds a connection may sit idle between requests before its handler thread gives up.
IDLE_CONNECTION_TIMEOUT = 30.0

_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class HarnessError(RuntimeError):
    """The harness was used in a way it cannot honour (a missing binding, a non-loopback endpoint...)."""


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server on 127.0.0.1 (port 0) that stops with all of its connections.

    Args:
        handler_class: the request handler.
        name: a name for threads and messages.
    """

    daemon_threads = True
    block_on_close = False  # stop() joins the threads itself, with a bound

    def __init__(self, handler_class: type[BaseHTTPRequestHandler], *, name: str) -> None:
        super().__init__((LOOPBACK, 0), handler_class)
        self.name = name
        #: Set when the server stops: handlers waiting on it return at once.
        self.stopping = threading.Event()
        self._server_lock = threading.Lock()
        self._client_sockets: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        self._thread: threading.Thread | None = None
        #: Handler threads that did not end within :data:`STOP_TIMEOUT` of :meth:`stop` (should stay empty).
        self.leaked_threads: list[str] = []
        #: Tracebacks of handler failures (a bug of the stand-in or of a test's script; should stay empty).
        self.faults: list[str] = []

    # -- life cycle ------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        """Serve in a background thread; returns the server."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-serve", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop accepting, close every open connection and join every thread (at most ``timeout`` seconds)."""
        self.stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout)
        with self._server_lock:
            connections, workers = list(self._client_sockets), list(self._workers)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        self.leaked_threads = [w.name for w in workers if w.is_alive()]
        self.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- connections -----------------------------------------------------------------------------------

    def process_request(self, request: Any, client_address: Any) -> None:
        """One thread per connection, tracked so that :meth:`stop` can end it.

        Small writes go out at once (``TCP_NODELAY``): a status line and a body written separately would
        otherwise wait for the client's delayed acknowledgement, 40 ms per answer on loopback.
        """
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        worker = threading.Thread(
            target=self._serve_connection, args=(request, client_address), name=f"{self.name}-conn", daemon=True
        )
        with self._server_lock:
            self._client_sockets.add(request)
            self._workers.add(worker)
        worker.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - reported like socketserver does, unless the peer just went away
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._server_lock:
                self._client_sockets.discard(request)
                self._workers.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (or a server that stopped under it) is not an error of the stand-in."""
        error = sys.exc_info()[1]
        if isinstance(error, _GONE) or (self.stopping.is_set() and isinstance(error, OSError)):
            return
        self.faults.append(traceback.format_exc())
        super().handle_error(request, client_address)


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 request handler with helpers for bodies and JSON answers, and no access log on stderr."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_TIMEOUT
    server: LoopbackServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: tests read what the stand-ins recorded instead."""

    def header_map(self) -> dict[str, str]:
        """The request headers with lower-case names."""
        return {name.lower(): value for name, value in self.headers.items()}

    def read_body(self) -> bytes:
        """The request body, from ``Content-Length`` or a chunked transfer coding (trailers ignored)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.read(2)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_bytes(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        """A complete answer with ``Content-Length``."""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def send_json(self, status: int, value: Any, headers: Mapping[str, str] | None = None) -> None:
        """A JSON answer."""
        self.send_bytes(status, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})})

    def start_chunked(self, status: int, headers: Mapping[str, str]) -> None:
        """Send the status line and headers of a response whose body follows in chunks."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def send_chunk(self, data: bytes) -> None:
        """One HTTP/1.1 chunk, flushed (an empty ``data`` would end the body, so it is skipped)."""
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_chunked(self) -> None:
        """The last chunk: the body is complete."""
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def cut_connection(self) -> None:
        """Close the connection now, mid-response: the client sees a body that ends early."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def client_gone(self) -> bool:
        """Whether the client closed its side of the connection (checked without consuming input)."""
        timeout = self.connection.gettimeout()
        try:
            self.connection.setblocking(False)
            try:
                return bool(self.connection.recv(1, socket.MSG_PEEK) == b"")
            finally:
                self.connection.settimeout(timeout)
        except BlockingIOError:
            return False
        except OSError:
            return True
