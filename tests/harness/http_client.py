"""A caller's HTTP client (``http.client``, nothing else): one request, its answer, and when each byte came.

:func:`call` sends a request and reads the answer as it arrives, recording the time of every piece, so a
test can tell a streamed answer from a buffered one, and a complete body from one cut mid-way
(``Response.complete``). The caller is chosen with the front door's ``X-Harness-Caller`` header.
"""

from __future__ import annotations

import http.client
import json as json_module
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.harness.rest_front_door import CALLER_HEADER

#: Seconds a test client waits for any byte before it gives up.
DEFAULT_TIMEOUT = 30.0


@dataclass
class Response:
    """An HTTP answer as a client read it.

    Attributes:
        status: the status code.
        headers: the headers (lower-case names).
        pieces: ``(time.monotonic(), bytes)`` for each read that returned data.
        sent_at: when the request was sent.
        complete: the body ended as the protocol says (False: the connection closed mid-body).
    """

    status: int
    headers: dict[str, str]
    pieces: list[tuple[float, bytes]] = field(default_factory=list)
    sent_at: float = 0.0
    complete: bool = True

    @property
    def body(self) -> bytes:
        """The body bytes received."""
        return b"".join(data for _, data in self.pieces)

    def json(self) -> Any:
        """The body as JSON."""
        return json_module.loads(self.body)

    @property
    def first_byte_after(self) -> float | None:
        """Seconds from the request to the first body byte."""
        return self.pieces[0][0] - self.sent_at if self.pieces else None


def call(
    url: str, *, method: str = "POST", json: Any = None, body: bytes | None = None, caller: str | None = None,
    headers: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT, hang_up_after: int | None = None,
) -> Response:
    """Send one request to a loopback URL and read the whole answer, piece by piece.

    ``hang_up_after``: the client goes away (closes the connection) after reading that many pieces of the body.
    """
    parts = urlsplit(url)
    if parts.hostname != "127.0.0.1":
        raise ValueError(f"the test client only calls 127.0.0.1, not {url}")
    data = json_module.dumps(json).encode() if json is not None else body
    request_headers = {"Content-Type": "application/json", "User-Agent": "harness-client", **(headers or {})}
    if caller is not None:
        request_headers[CALLER_HEADER] = caller
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        sent_at = time.monotonic()
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=data, headers=request_headers)
        answer = connection.getresponse()
        response = Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, sent_at=sent_at)
        while True:
            try:
                piece = answer.read1(65536)
            except http.client.IncompleteRead as partial:
                if partial.partial:
                    response.pieces.append((time.monotonic(), partial.partial))
                response.complete = False
                break
            if not piece:
                response.complete = response.complete and not answer.length  # bytes still owed: cut
                break
            response.pieces.append((time.monotonic(), piece))
            if hang_up_after is not None and len(response.pieces) >= hang_up_after:
                response.complete = False
                break
        return response
    finally:
        connection.close()
