"""Reading an agent's answer as it arrives, and the keep-alives a silent stream may carry, per content type.

The bodies are botocore ``StreamingBody`` objects around in-memory streams (the REST and WebSocket proxies read real
HTTP answers of the AgentCore stand-in in the ``*_over_http`` tests)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError, ResponseStreamingError
from botocore.response import StreamingBody
from urllib3.exceptions import ProtocolError

from constructs_lib.handlers.agent_calls import ChunkPump, KeepAlive, answer_chunks


class _Chunks(io.RawIOBase):
    """An HTTP body that returns its parts one read at a time, then fails with ``error`` if given."""

    def __init__(self, parts: list[bytes], error: Exception | None = None) -> None:
        self._parts = list(parts)
        self._error = error

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        if self._parts:
            return self._parts.pop(0)
        if self._error is not None:
            raise self._error
        return b""


class _NoRead1:
    """A response without ``read1`` (another urllib3): the reader falls back to one byte at a time."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def close(self) -> None:
        self._data.close()


def body(raw: Any) -> StreamingBody:
    return StreamingBody(raw, None)


def test_chunks_are_read_as_they_arrive_not_in_fixed_blocks() -> None:
    assert list(answer_chunks(body(_Chunks([b"data: one\n\n", b"data: two\n\n"])))) == [b"data: one\n\n",
                                                                                     b"data: two\n\n"]


def test_without_read1_the_answer_is_read_byte_by_byte_and_said_so(caplog: pytest.LogCaptureFixture) -> None:
    assert b"".join(answer_chunks(body(_NoRead1(b"abc")))) == b"abc"
    assert "read one byte at a time" in caplog.text


@pytest.mark.parametrize(("error", "raised"), [
    (ProtocolError("connection broken"), ResponseStreamingError),
])
def test_urllib3_errors_are_raised_as_botocores(error: Exception, raised: type[Exception]) -> None:
    with pytest.raises(raised):
        list(answer_chunks(body(_Chunks([b"a"], error))))


def test_the_pump_keeps_chunks_errors_and_the_end_in_order() -> None:
    # GIVEN an answer of two chunks that then breaks
    pump = ChunkPump(body(_Chunks([b"a", b"b"], ProtocolError("broken"))))
    try:
        # WHEN it is read, joining what is ready
        first = pump.next(5)
        ready = pump.ready()
        # THEN the chunks come first, then the error (never the end before it), and the error again
        assert first + ready == b"ab" or (first, pump.next(5)) == (b"a", b"b")
        with pytest.raises(ResponseStreamingError):
            pump.next(5)
    finally:
        pump.close()


def test_the_pump_times_out_on_silence_and_reports_the_end() -> None:
    pump = ChunkPump(body(io.BytesIO(b"")))
    try:
        assert pump.next(5) is None
        assert pump.next(0) is None  # the end stays
    finally:
        pump.close()


def test_read_timeouts_stay_timeouts() -> None:
    pump = ChunkPump(body(_Chunks([], ReadTimeoutError(endpoint_url="https://agentcore"))))
    try:
        with pytest.raises(ReadTimeoutError):
            pump.next(5)
    finally:
        pump.close()


@pytest.mark.parametrize(("content_type", "sent", "expected"), [
    ("text/event-stream", b"", b": keep-alive\n"),
    ("text/event-stream; charset=utf-8", b"data: one\n\n", b": keep-alive\n"),
    ("text/event-stream", b"data: one\n", b": keep-alive\n"),  # a comment line inside an event is ignored
    ("text/event-stream", b"data: on", None),  # mid-line: a comment would corrupt the field
    ("application/json", b"", b" "),
    ("application/json", b'{"a": [1, ', b" "),
    ("application/json", b'{"a": "str', None),  # inside a string
    ("application/json", b'{"a": "q\\"', None),  # an escaped quote does not end the string
    ("application/json", b'{"a": 12', None),  # inside a number
    ("application/x-ndjson", b'{"a": 1}\n', b" "),
    ("text/plain", b"", None),
    ("application/octet-stream", b"\x00", None),
])
def test_a_keepalive_goes_only_where_it_changes_nothing(content_type: str, sent: bytes, expected: bytes | None) -> None:
    keepalive = KeepAlive(content_type)
    keepalive.saw(sent)
    assert keepalive.bytes_now() == expected


def test_an_event_stream_ends_with_an_error_event_a_client_can_read() -> None:
    keepalive = KeepAlive("text/event-stream")
    keepalive.saw(b"data: one\n\n")
    event = keepalive.error_event("Timeout", "the agent did not answer in time")
    assert event is not None and event.startswith(b"event: error\ndata: ") and event.endswith(b"\n\n")
    assert json.loads(event.split(b"data: ", 1)[1]) == {"error": "Timeout",
                                                         "message": "the agent did not answer in time"}
    open_event = KeepAlive("text/event-stream")
    open_event.saw(b"data: partial\n")
    assert (open_event.error_event("Timeout", "x") or b"").startswith(b"\nevent: error")
    assert KeepAlive("application/json").error_event("Timeout", "x") is None
