"""What the AgentCore stand-in answers to one ``InvokeAgentRuntime`` call: a script of steps.

A :class:`Script` is either an error before any byte (``Script.error("ThrottlingException")``), a request
that is never answered (``Script.hang(10)``), or a 200 answer whose body is written step by step:
:class:`Chunk` (bytes, optionally after a delay), :class:`Pause` (an idle gap), :class:`Cut` (the connection
is closed mid-stream, without the last chunk). A single-chunk body without delays goes out with
``Content-Length``; anything else is streamed with ``Transfer-Encoding: chunked``, each chunk flushed
as it is written.

Examples::

    Script.json({"answer": 42})
    Script.sse(["one", "two", "three"], interval=0.3)           # text/event-stream, a chunk every 0.3 s
    Script.stream([b"a", Pause(2.0), b"b"], content_type="text/plain")
    Script.sse(["one"]).then_cut()                               # broken mid-way
    Script.error("ServiceQuotaExceededException")
    Script.hang(5.0)                                             # read timeouts
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Chunk:
    """Bytes of the answer, written ``delay`` seconds after the previous step."""

    data: bytes
    delay: float = 0.0


@dataclass(frozen=True)
class Pause:
    """An idle gap: nothing is written for ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class Cut:
    """Close the connection here, mid-stream: the client's read fails (botocore ``ResponseStreamingError``)."""


Step = Chunk | Pause | Cut


@dataclass(frozen=True)
class Script:
    """One scripted answer of the stand-in.

    Attributes:
        content_type: the answer's ``Content-Type``.
        steps: the body, in order.
        error_code: an error code of the operation (per the botocore model) answered before any byte.
        message: the error message.
        error_fields: other members of the error shape (``reason`` of a ``ValidationException``...).
        hang_seconds: hold the request this long without answering, then close the connection.
        headers: extra response headers.
    """

    content_type: str = "application/json"
    steps: tuple[Step, ...] = ()
    error_code: str | None = None
    message: str = ""
    error_fields: Mapping[str, Any] = field(default_factory=dict)
    hang_seconds: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def streamed(self) -> bool:
        """Whether the body goes out chunked (several chunks, a delay, a pause or a cut)."""
        chunks = [s for s in self.steps if isinstance(s, Chunk)]
        return len(chunks) != len(self.steps) or len(chunks) > 1 or any(c.delay for c in chunks)

    @property
    def body(self) -> bytes:
        """Every byte the script writes, in order."""
        return b"".join(s.data for s in self.steps if isinstance(s, Chunk))

    # -- factories -------------------------------------------------------------------------------------

    @classmethod
    def json(cls, value: Any) -> Script:
        """A complete ``application/json`` answer."""
        return cls(steps=(Chunk(json.dumps(value).encode()),))

    @classmethod
    def text(cls, text: str | bytes, content_type: str = "text/plain; charset=utf-8") -> Script:
        """A complete answer of another type."""
        return cls(content_type=content_type, steps=(Chunk(_bytes(text)),))

    @classmethod
    def stream(
        cls, parts: Iterable[bytes | str | Step], *, interval: float = 0.0, content_type: str = "text/event-stream",
    ) -> Script:
        """A streamed answer: each byte string is a chunk written ``interval`` seconds after the previous one.

        :class:`Pause` and :class:`Cut` steps may be mixed in; explicit :class:`Chunk` steps keep their delay.
        """
        steps: list[Step] = []
        for part in parts:
            if isinstance(part, Chunk | Pause | Cut):
                steps.append(part)
            else:
                steps.append(Chunk(_bytes(part), interval if steps else 0.0))
        return cls(content_type=content_type, steps=tuple(steps))

    @classmethod
    def sse(cls, events: Iterable[str], *, interval: float = 0.0) -> Script:
        """Server-sent events, one ``data: <event>`` per chunk, ``interval`` seconds apart."""
        return cls.stream([f"data: {event}\n\n" for event in events], interval=interval)

    @classmethod
    def error(cls, code: str, message: str | None = None, **fields: Any) -> Script:
        """An error before any byte, e.g. ``ThrottlingException`` (429), ``ServiceQuotaExceededException``."""
        return cls(error_code=code, message=message or f"scripted {code}", error_fields=fields)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Script:
        """Accept the request and never answer it (for ``seconds``, then the connection is closed)."""
        return cls(hang_seconds=seconds)

    def then_cut(self) -> Script:
        """This script with the connection closed after its last step (a stream broken mid-way)."""
        return replace(self, steps=(*self.steps, Cut()))


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value
