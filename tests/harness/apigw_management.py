"""An API Gateway Management API stand-in: the WebSocket frames a handler posts, recorded with their times.

Speaks ``apigatewaymanagementapi`` as botocore's model serializes it (:mod:`tests.harness.service_model`):
``POST /@connections/{connectionId}`` (``PostToConnection``, the frame is the raw body), ``GET`` the same
path (``GetConnection``: ``connectedAt``, ``identity``, ``lastActiveAt``), ``DELETE`` (``DeleteConnection``,
204), under the stage path of the callback URL (``https://<api>.execute-api.<region>.amazonaws.com/<stage>``
becomes ``<stand-in url>/<stage>``). A connection that is not open answers ``GoneException`` (410), as
API Gateway does once a client has gone; a frame above the message payload size answers
``PayloadTooLargeException`` (413).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.harness._servers import LoopbackServer, QuietHandler
from tests.harness.service_model import Answer, ModelValidationError, RestJsonService


@dataclass(frozen=True)
class Frame:
    """One ``PostToConnection`` call that was accepted.

    Attributes:
        connection_id: the connection.
        data: the frame's bytes.
        at: ``time.monotonic()`` when the stand-in received it.
        stage: the stage path the handler posted under.
    """

    connection_id: str
    data: bytes
    at: float
    stage: str

    def json(self) -> Any:
        """The frame as JSON."""
        return json.loads(self.data)


@dataclass
class ConnectionState:
    """A client connection as API Gateway knows it."""

    connected_at: dt.datetime
    source_ip: str
    user_agent: str
    open: bool = True
    last_active_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class ManagementStandIn(LoopbackServer):
    """The management API of a WebSocket stage on 127.0.0.1.

    Args:
        max_payload_bytes: the largest frame accepted (pass the catalog's WebSocket message payload size).
            Default: no limit.
    """

    def __init__(self, *, max_payload_bytes: int | None = None) -> None:
        super().__init__(_ManagementHandler, name="apigw-management")
        self.service = RestJsonService("apigatewaymanagementapi")
        self.max_payload_bytes = max_payload_bytes
        self._lock = threading.Condition()
        self._frames: list[Frame] = []
        self._connections: dict[str, ConnectionState] = {}
        self._post_errors: list[str] = []
        #: ``DeleteConnection`` calls, by connection id.
        self.deleted: list[str] = []

    def stage_url(self, stage: str) -> str:
        """The callback URL of a stage (``CALLBACK_URL`` of a WebSocket proxy)."""
        return f"{self.url}/{stage}"

    def open_connection(self, connection_id: str, *, source_ip: str = "127.0.0.1", user_agent: str = "harness") -> None:
        """A client connected (frames to it are accepted)."""
        with self._lock:
            self._connections[connection_id] = ConnectionState(dt.datetime.now(dt.UTC), source_ip, user_agent)

    def close_connection(self, connection_id: str) -> None:
        """The client went away: frames to it answer ``GoneException``."""
        with self._lock:
            state = self._connections.get(connection_id)
            if state is not None:
                state.open = False

    def is_open(self, connection_id: str) -> bool:
        """Whether frames to the connection are accepted."""
        with self._lock:
            state = self._connections.get(connection_id)
            return state is not None and state.open

    def fail_next_posts(self, *codes: str) -> None:
        """Answer the next ``PostToConnection`` calls with these errors (``LimitExceededException``...)."""
        with self._lock:
            self._post_errors.extend(codes)

    def frames(self, connection_id: str | None = None) -> list[Frame]:
        """The accepted frames, in arrival order (of one connection, or all)."""
        with self._lock:
            return [f for f in self._frames if connection_id is None or f.connection_id == connection_id]

    def wait_for_frames(self, connection_id: str, count: int, timeout: float = 5.0) -> list[Frame]:
        """Wait until the connection has ``count`` frames; raises ``TimeoutError`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len([f for f in self._frames if f.connection_id == connection_id]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{count} frames expected on {connection_id}, got {self.frames(connection_id)}")
                self._lock.wait(left)
            return [f for f in self._frames if f.connection_id == connection_id]

    def reset(self) -> None:
        """Forget frames, connections, scripted errors and deletions."""
        with self._lock:
            self._frames.clear()
            self._connections.clear()
            self._post_errors.clear()
            self.deleted.clear()

    # -- used by the handler ---------------------------------------------------------------------------

    def _post(self, connection_id: str, data: bytes, stage: str) -> str | None:
        """Record a frame; the error code to answer instead, if any."""
        with self._lock:
            if self._post_errors:
                return self._post_errors.pop(0)
            state = self._connections.get(connection_id)
            if state is None or not state.open:
                return "GoneException"
            if self.max_payload_bytes is not None and len(data) > self.max_payload_bytes:
                return "PayloadTooLargeException"
            state.last_active_at = dt.datetime.now(dt.UTC)
            self._frames.append(Frame(connection_id, data, time.monotonic(), stage))
            self._lock.notify_all()
        return None

    def _state(self, connection_id: str) -> ConnectionState | None:
        with self._lock:
            state = self._connections.get(connection_id)
            return state if state is not None and state.open else None

    def _delete(self, connection_id: str) -> bool:
        with self._lock:
            self.deleted.append(connection_id)
            state = self._connections.get(connection_id)
            if state is None or not state.open:
                return False
            state.open = False
            return True


class _ManagementHandler(QuietHandler):
    server: ManagementStandIn

    def _handle(self, method: str) -> None:
        body = self.read_body()
        service = self.server.service
        try:
            request = service.parse(method, self.path, self.header_map(), body)
        except ModelValidationError as invalid:
            self._answer(Answer(400, {"Content-Type": "application/json", "X-Amzn-ErrorType": "BadRequestException"},
                                json.dumps({"message": str(invalid)}).encode()))
            return
        if request is None:
            self._answer(Answer(404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}'))
            return
        connection_id = request.params["ConnectionId"]
        operation = request.operation
        if request.name == "PostToConnection":
            problem = self.server._post(connection_id, request.params.get("Data", b""), request.base_path.strip("/"))
            answer = service.error(operation, problem, problem) if problem else service.success(operation)
        elif request.name == "GetConnection":
            state = self.server._state(connection_id)
            answer = service.error(operation, "GoneException", "gone") if state is None else service.success(
                operation, service.json_body(
                    operation, ConnectedAt=state.connected_at, LastActiveAt=state.last_active_at,
                    Identity={"SourceIp": state.source_ip, "UserAgent": state.user_agent},
                ),
            )
        else:
            deleted = self.server._delete(connection_id)
            answer = service.success(operation) if deleted else service.error(operation, "GoneException", "gone")
        self._answer(answer)

    def _answer(self, answer: Answer) -> None:
        self.send_bytes(answer.status, answer.body, answer.headers)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("POST")

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_DELETE(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("DELETE")
