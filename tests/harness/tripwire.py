"""The endpoint of every AWS service that has no stand-in (``AWS_ENDPOINT_URL``): it records and refuses.

A function that calls a service the test did not provide reaches this server instead of AWS; the call
fails with ``HarnessUnexpectedCall`` and is listed in :attr:`Tripwire.calls` (the SigV4 credential scope
names the service), which the harness fixtures check when a module ends.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from tests.harness._servers import LoopbackServer, QuietHandler

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/")


@dataclass(frozen=True)
class UnexpectedCall:
    """A request for a service without a stand-in."""

    method: str
    path: str
    service: str


class Tripwire(LoopbackServer):
    """Records and refuses every request."""

    def __init__(self) -> None:
        super().__init__(_TripwireHandler, name="tripwire")
        self._lock = threading.Lock()
        self._calls: list[UnexpectedCall] = []

    @property
    def calls(self) -> list[UnexpectedCall]:
        """Every request received."""
        with self._lock:
            return list(self._calls)

    def _record(self, call: UnexpectedCall) -> None:
        with self._lock:
            self._calls.append(call)


class _TripwireHandler(QuietHandler):
    server: Tripwire

    def _refuse(self) -> None:
        self.read_body()
        scope = _SCOPE.search(self.headers.get("Authorization", ""))
        service = scope["service"] if scope else "unknown"
        self.server._record(UnexpectedCall(self.command, self.path, service))
        self.send_json(400, {"__type": "HarnessUnexpectedCall", "message": f"no stand-in for {service}"},
                       {"X-Amzn-ErrorType": "HarnessUnexpectedCall"})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _refuse  # noqa: N815 - http.server's naming
