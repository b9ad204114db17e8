"""An AWS Lambda stand-in: ``Invoke`` with ``InvocationType=Event``, run in the invoked function's sandbox.

Speaks ``lambda``'s ``Invoke`` as botocore's model serializes it (:mod:`tests.harness.service_model`):
``POST /2015-03-31/functions/{FunctionName}/invocations`` with ``X-Amz-Invocation-Type`` and the event as the raw
body. An asynchronous invocation is answered ``202`` at once and its event queued to the function's sandbox, as Lambda
queues it; an unknown function answers ``ResourceNotFoundException``, an event above the catalog's asynchronous
invocation payload ``RequestTooLargeException``. Synchronous invocations are not served (no handler of the library
makes one): they answer ``InvalidRequestContentException`` and are recorded as a fault.

Each sandbox reaches the stand-in under a path of its own (``<url>/<route>``), so the function it invokes runs with
the same overrides and timeout as its invoker (a front door built with ``overrides`` reaches a relay with them too).
Lambda may deliver an asynchronous event more than once: :meth:`LambdaStandIn.deliver_next_twice` does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.harness._servers import LoopbackServer, QuietHandler
from tests.harness.lambda_sandbox import LambdaSandbox
from tests.harness.runtime_api import Invocation
from tests.harness.service_model import Answer, ModelValidationError, RestJsonService

#: ``(route, FunctionName)`` to the sandbox of the function (``None``: not a function of the template).
Resolver = Callable[[str, str], LambdaSandbox | None]


@dataclass(frozen=True)
class AsyncInvocation:
    """One asynchronous ``Invoke`` the stand-in accepted.

    Attributes:
        function_name: ``FunctionName`` as the caller sent it.
        payload: the event's bytes.
        received_at: ``time.monotonic()`` when it arrived.
        invocation: the event in the function's sandbox (its outcome, error and timings).
    """

    function_name: str
    payload: bytes
    received_at: float
    invocation: Invocation


class LambdaStandIn(LoopbackServer):
    """The Lambda data plane's ``Invoke`` for the template's functions.

    Args:
        resolve: the sandbox of an invoked function.
        max_async_payload_bytes: the largest asynchronous event (the catalog's quota). Default: no limit.
    """

    def __init__(self, resolve: Resolver, *, max_async_payload_bytes: int | None = None) -> None:
        super().__init__(_LambdaHandler, name="lambda")
        self.service = RestJsonService("lambda", ("Invoke",))
        self.resolve = resolve
        self.max_async_payload_bytes = max_async_payload_bytes
        self._lock = threading.Condition()
        self._invocations: list[AsyncInvocation] = []
        self._duplicates = 0

    def route_url(self, route: str) -> str:
        """The endpoint (``AWS_ENDPOINT_URL_LAMBDA``) of the sandboxes of one route."""
        return f"{self.url}/{route}"

    def deliver_next_twice(self) -> None:
        """Deliver the next asynchronous event twice (Lambda's at-least-once delivery)."""
        with self._lock:
            self._duplicates += 1

    def invocations(self) -> list[AsyncInvocation]:
        """The asynchronous invocations so far (a duplicated delivery appears twice)."""
        with self._lock:
            return list(self._invocations)

    def wait_for_invocations(self, count: int, timeout: float = 10.0) -> list[AsyncInvocation]:
        """Wait until ``count`` invocations were accepted and have ended; raises ``TimeoutError`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._invocations) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{count} asynchronous invocations expected, got {len(self._invocations)}")
                self._lock.wait(left)
            accepted = list(self._invocations)
        for item in accepted:
            item.invocation.wait(max(0.1, deadline - time.monotonic()))
        return accepted

    def reset(self) -> None:
        """Forget the invocations and scripted duplicates."""
        with self._lock:
            self._invocations.clear()
            self._duplicates = 0

    def _accept(self, function_name: str, payload: bytes, sandbox: LambdaSandbox) -> None:
        with self._lock:
            copies = 2 if self._duplicates else 1
            self._duplicates = max(0, self._duplicates - 1)
        for _ in range(copies):
            invocation = sandbox.submit(_event(payload))
            with self._lock:
                self._invocations.append(AsyncInvocation(function_name, payload, time.monotonic(), invocation))
                self._lock.notify_all()


def _event(payload: bytes) -> Any:
    return json.loads(payload or b"{}")


class _LambdaHandler(QuietHandler):
    server: LambdaStandIn

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.read_body()
        service = self.server.service
        try:
            request = service.parse("POST", self.path, self.header_map(), body)
        except ModelValidationError as invalid:
            self._answer(service.error(service.model.operation_model("Invoke"), "InvalidParameterValueException",
                                       str(invalid)))
            return
        if request is None:
            self._answer(Answer(404, {"Content-Type": "application/json"}, b'{"message":"unknown operation"}'))
            return
        name = request.params["FunctionName"]
        operation = request.operation
        if request.params.get("InvocationType") != "Event":
            self.server.faults.append(f"synchronous Invoke of {name}: the harness serves InvocationType=Event only")
            self._answer(service.error(operation, "InvalidRequestContentException", "only Event invocations"))
            return
        limit = self.server.max_async_payload_bytes
        if limit is not None and len(body) > limit:
            self._answer(service.error(operation, "RequestTooLargeException", f"payload above {limit} bytes"))
            return
        sandbox = self.server.resolve(request.base_path.strip("/"), name)
        if sandbox is None:
            self._answer(service.error(operation, "ResourceNotFoundException", f"function not found: {name}"))
            return
        self.server._accept(name, body, sandbox)
        self._answer(Answer(202, {"X-Amzn-RequestId": "harness", "Content-Type": "application/json"}, b""))

    def _answer(self, answer: Answer) -> None:
        self.send_bytes(answer.status, answer.body, answer.headers)


__all__ = ["AsyncInvocation", "LambdaStandIn"]
