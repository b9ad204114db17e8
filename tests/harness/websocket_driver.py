"""A WebSocket API driver: what API Gateway does for a client, minus the WebSocket framing itself.

:meth:`WebSocketDriver.connect` sends ``$connect`` (the caller's identity, query string, headers) to the
route's function; a 2xx answer opens the connection in the management stand-in, anything else refuses it.
:meth:`WebSocketClient.send` delivers a message to ``$default`` and waits for the function, as API Gateway's
synchronous integration does, within the WebSocket integration timeout; the frames the functions post to the
connection (the route's, and any function it invokes asynchronously) are read from the :class:`ManagementStandIn`
with their arrival times (:meth:`WebSocketClient.wait_for_answer` waits for an ``end`` or ``error`` frame).
:meth:`WebSocketClient.close` is a client closing (``$disconnect`` with status 1000); :meth:`WebSocketClient.vanish`
a client that disappears (frames to it answer ``GoneException``; API Gateway sends ``$disconnect`` later, here when
``close`` is called).

The connection's caller context is included in every event of the connection.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.harness._servers import HarnessError
from tests.harness.apigw_management import Frame, ManagementStandIn
from tests.harness.callers import Caller
from tests.harness.lambda_sandbox import LambdaSandbox
from tests.harness.proxy_events import ApiContext, WebSocketConnection, websocket_event
from tests.harness.routes import WebSocketRoute
from tests.harness.runtime_api import Invocation


@dataclass(frozen=True)
class RouteResult:
    """What API Gateway got back from a route's function."""

    invocation: Invocation
    status: int | None

    @property
    def ok(self) -> bool:
        """A 2xx status."""
        return self.status is not None and 200 <= self.status < 300


class ConnectionRefused(Exception):
    """``$connect`` did not answer 2xx: API Gateway refuses the WebSocket upgrade."""

    def __init__(self, result: RouteResult) -> None:
        super().__init__(f"$connect answered {result.status} ({result.invocation.outcome})")
        self.result = result


class WebSocketDriver:
    """The routes of one WebSocket API stage, driven by events.

    Args:
        routes: the API's routes (:func:`tests.harness.routes.websocket_routes`).
        functions: a sandbox per function logical id.
        management: the stage's management API stand-in (where functions post frames).
        api: the API's id, stage, account and region.
        integration_timeout: seconds the driver waits for a route's function (API Gateway's integration
            timeout).
    """

    def __init__(
        self, routes: Mapping[str, WebSocketRoute], functions: Mapping[str, LambdaSandbox], *,
        management: ManagementStandIn, api: ApiContext, integration_timeout: float,
    ) -> None:
        self.routes = dict(routes)
        self.functions = dict(functions)
        self.management = management
        self.api = api
        self.integration_timeout = integration_timeout

    def connect(
        self, caller: Caller | None = None, *, query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> WebSocketClient:
        """Open a connection as ``caller``; raises :class:`ConnectionRefused` unless ``$connect`` allows it."""
        route = self.routes.get("$connect")
        if route is not None and route.authorization != "NONE" and (
            caller is None or caller.authorization_type != route.authorization
        ):
            raise HarnessError(f"$connect needs a {route.authorization} caller, got {caller!r}")
        connection_id = base64.b64encode(os.urandom(10)).decode()
        connection = WebSocketConnection(connection_id, int(time.time() * 1000), caller)
        client = WebSocketClient(self, connection)
        if route is not None:
            result = client._route("$connect", query=tuple((query or {}).items()),
                                   headers=tuple((headers or {}).items()))
            if not result.ok:
                raise ConnectionRefused(result)
        self.management.open_connection(connection_id, source_ip=connection.source_ip,
                                        user_agent=connection.user_agent)
        return client


def _frame_type(frame: Frame) -> str | None:
    try:
        document = frame.json()
    except ValueError:
        return None
    return document.get("type") if isinstance(document, dict) else None


class WebSocketClient:
    """One open connection."""

    def __init__(self, driver: WebSocketDriver, connection: WebSocketConnection) -> None:
        self.driver = driver
        self.connection = connection

    @property
    def connection_id(self) -> str:
        """The connection id."""
        return self.connection.connection_id

    def send(self, message: str | Mapping[str, Any]) -> RouteResult:
        """Deliver a message (a dict is sent as JSON) to ``$default`` and wait for the function."""
        body = message if isinstance(message, str) else json.dumps(message)
        return self._route("$default", body=body)

    def frames(self) -> list[Frame]:
        """The frames the functions posted to this connection so far."""
        return self.driver.management.frames(self.connection_id)

    def wait_for_frames(self, count: int, timeout: float = 5.0) -> list[Frame]:
        """Wait for ``count`` frames on this connection."""
        return self.driver.management.wait_for_frames(self.connection_id, count, timeout)

    def wait_for_answer(self, timeout: float = 10.0) -> list[Frame]:
        """Wait for a frame that ends an answer (``type`` ``end`` or ``error``); the connection's frames until then.

        Raises:
            TimeoutError: no such frame within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            frames = self.frames()
            for index in range(seen, len(frames)):
                if _frame_type(frames[index]) in ("end", "error"):
                    return frames[: index + 1]
            seen = len(frames)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no end or error frame on {self.connection_id}: {frames}")
            try:
                self.wait_for_frames(seen + 1, min(left, 1.0))
            except TimeoutError:
                continue

    def vanish(self) -> None:
        """The client disappears without closing: frames to it answer ``GoneException``."""
        self.driver.management.close_connection(self.connection_id)

    def close(self, status: int = 1000) -> RouteResult | None:
        """The connection ends: ``$disconnect`` with ``status`` (``None`` if the API has no such route)."""
        self.driver.management.close_connection(self.connection_id)
        if "$disconnect" not in self.driver.routes:
            return None
        return self._route("$disconnect", disconnect_status=status)

    def _function(self, route_key: str) -> LambdaSandbox:
        route = self.driver.routes.get(route_key)
        if route is None:
            raise HarnessError(f"the API has no {route_key} route")
        return self.driver.functions[route.function_id]

    def _route(self, route_key: str, **event: Any) -> RouteResult:
        invocation = self._function(route_key).submit(websocket_event(self.driver.api, self.connection, route_key,
                                                                      **event))
        try:
            invocation.wait(self.driver.integration_timeout)
        except TimeoutError:
            return RouteResult(invocation, None)
        status = None
        if invocation.outcome == "response":
            answer = invocation.json()
            status = answer.get("statusCode") if isinstance(answer, dict) else None
        return RouteResult(invocation, status)
