"""The proxies' calls to their agent: invoke on behalf of a caller, stop a session, read an answer as it arrives.

boto3 and botocore only (packaged beside the proxies as ``agent_calls.py``).

- :class:`AgentEndpoint`: ``InvokeAgentRuntime`` on the facade's runtime and endpoint, in the caller-bound runtime
  session, with the caller as ``runtimeUserId`` when the facade says so; ``StopRuntimeSession`` with the same
  qualifier, best effort (a failure is logged, never raised: the session then ends at its idle timeout).
- :func:`answer_chunks`: the bytes of the agent's answer as they arrive. botocore's ``StreamingBody.read(n)`` waits
  for ``n`` bytes; the body's context manager (public API) hands out the urllib3 response, whose ``read1`` returns
  what has arrived. A response without ``read1`` (another urllib3) is read one byte at a time: slower, still as the
  bytes arrive, and said so once in the log. urllib3's errors are raised as botocore's (``ReadTimeoutError``,
  ``ResponseStreamingError``), which the contract's error map knows.
- :class:`ChunkPump`: reads the chunks in a thread so that the relaying side can wait with a timeout (for a
  keep-alive or its deadline) and abort the read (``shutdown`` of the urllib3 response).
- :class:`KeepAlive`: the bytes a silent stream may carry without changing its content, per content type.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError, ResponseStreamingError
from urllib3.exceptions import ProtocolError
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeoutError

LOGGER = logging.getLogger(__name__)

#: The most bytes one read returns.
_READ_SIZE = 65536
_END = object()


class AgentEndpoint:
    """One runtime and endpoint, called by a proxy on behalf of its callers.

    Args:
        client: a ``bedrock-agentcore`` client (one attempt, the facade's read timeout).
        runtime_arn: the runtime.
        qualifier: the endpoint.
        send_user_id: send the caller as ``runtimeUserId``.
        registry: the agent's session registry, when it has a session budget. Default: none.
    """

    def __init__(self, client: Any, runtime_arn: str, qualifier: str, *, send_user_id: bool,
                 registry: Any = None) -> None:
        self.client = client
        self.runtime_arn = runtime_arn
        self.qualifier = qualifier
        self.send_user_id = send_user_id
        #: The agent's session registry (``session_budget.SessionRegistry``), when it has a session budget: a session
        #: this endpoint stops is released there.
        self.registry = registry

    def invoke(
        self, session_id: str, payload: bytes, *, user_id: str | None, accept: str = "application/json"
    ) -> dict[str, Any]:
        """``InvokeAgentRuntime``; errors are raised as they come."""
        members: dict[str, Any] = {
            "agentRuntimeArn": self.runtime_arn, "qualifier": self.qualifier, "runtimeSessionId": session_id,
            "payload": payload, "contentType": "application/json", "accept": accept,
        }
        if self.send_user_id and user_id:
            members["runtimeUserId"] = user_id
        return self.client.invoke_agent_runtime(**members)  # type: ignore[no-any-return]

    def stop(self, session_id: str, why: str) -> bool:
        """``StopRuntimeSession`` on the endpoint; ``False`` (logged) when AgentCore refused or was unreachable."""
        try:
            self.client.stop_runtime_session(
                agentRuntimeArn=self.runtime_arn, qualifier=self.qualifier, runtimeSessionId=session_id
            )
        except (ClientError, BotoCoreError) as error:
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else type(error)
            LOGGER.warning("StopRuntimeSession after %s failed: %s", why, code)
            return False
        LOGGER.info("runtime session stopped after %s", why)
        if self.registry is not None:
            self.registry.release_quietly(session_id, "stopped-by-proxy")
        return True


def answer_chunks(body: Any, size: int = _READ_SIZE) -> Iterator[bytes]:
    """The bytes of a botocore streaming body as they arrive (see the module docstring)."""
    with body as raw:
        read1: Callable[[int], bytes] | None = getattr(raw, "read1", None)
        if not callable(read1):
            LOGGER.warning("the HTTP response has no read1: the answer is read one byte at a time")
            read1 = None
        while True:
            try:
                chunk = read1(size) if read1 is not None else raw.read(1)
            except Urllib3ReadTimeoutError as error:
                raise ReadTimeoutError(endpoint_url=getattr(error, "url", None) or "", error=error) from error
            except ProtocolError as error:
                raise ResponseStreamingError(error=error) from error
            if not chunk:
                return
            yield chunk


def abort(body: Any) -> None:
    """Abort a read of ``body`` in progress in another thread (its urllib3 response's ``shutdown``, else close)."""
    with body as raw:
        shutdown = getattr(raw, "shutdown", None)
        try:
            if callable(shutdown):
                shutdown()
            else:
                raw.close()
        except (OSError, ValueError, RuntimeError):
            raw.close()


class ChunkPump:
    """Reads an answer in a daemon thread; :meth:`next` waits for the next chunk with a timeout.

    Args:
        body: the botocore streaming body.
    """

    def __init__(self, body: Any) -> None:
        self._body = body
        self._items: collections.deque[Any] = collections.deque()
        self._arrived = threading.Condition()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="agent-answer", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> None:
        with self._arrived:
            self._items.append(item)
            self._arrived.notify_all()

    def _run(self) -> None:
        try:
            for chunk in answer_chunks(self._body):
                self._put(chunk)
        except Exception as error:  # noqa: BLE001 - handed to the reader, which maps it
            if not self._closed.is_set():
                self._put(error)
        self._put(_END)

    def next(self, timeout: float | None) -> bytes | None:
        """The next chunk, ``None`` at the end of the answer.

        Raises:
            TimeoutError: nothing arrived within ``timeout`` seconds.
            Exception: the read failed (botocore's transport errors).
        """
        with self._arrived:
            if not self._arrived.wait_for(lambda: bool(self._items),
                                          None if timeout is None else max(0.0, timeout)):
                raise TimeoutError("no bytes from the agent")
            item = self._items[0]
            if item is not _END:  # the end stays: later calls see it too
                self._items.popleft()
        if item is _END:
            return None
        if isinstance(item, Exception):
            raise item
        return item  # type: ignore[no-any-return]

    def ready(self) -> bytes:
        """The chunks that have arrived already, joined, without waiting (an error or the end stays for
        :meth:`next`)."""
        parts = []
        with self._arrived:
            while self._items and isinstance(self._items[0], bytes):
                parts.append(self._items.popleft())
        return b"".join(parts)

    def close(self) -> None:
        """Stop reading (the answer is abandoned); the thread ends with the aborted read."""
        if not self._closed.is_set():
            self._closed.set()
            if self._thread.is_alive():
                abort(self._body)


class KeepAlive:
    """Bytes a silent stream may carry without changing its content, for one content type.

    - ``text/event-stream``: an SSE comment line (``: keep-alive``), only at a line boundary (a comment line
      inside or between events is ignored by every SSE client; no blank line, so an event is never cut short);
    - ``application/json``, ``application/x-ndjson``, ``application/jsonl``: a space, only where JSON allows
      whitespace (outside strings, after a structural character or whitespace);
    - anything else (plain text, binary): none, since any byte would change the content; such a stream must not stay
      silent longer than API Gateway's idle timeout.
    """

    _SSE = b": keep-alive\n"
    _JSON_TYPES = ("application/json", "application/x-ndjson", "application/jsonl", "application/x-jsonlines")
    _JSON_SAFE_AFTER = frozenset(b'{}[],:" \t\r\n')

    def __init__(self, content_type: str) -> None:
        kind = content_type.split(";", 1)[0].strip().lower()
        self.mode = "sse" if kind == "text/event-stream" else "json" if kind in self._JSON_TYPES else None
        self._last: int | None = None
        self._ends_event = False
        self._in_string = False
        self._escaped = False

    def saw(self, data: bytes) -> None:
        """Track the relayed bytes (where a keep-alive may go)."""
        if not data:
            return
        self._ends_event = data.endswith(b"\n\n") or (self._last == 0x0A and data == b"\n")
        self._last = data[-1]
        if self.mode != "json":
            return
        for byte in data:
            if self._escaped:
                self._escaped = False
            elif self._in_string and byte == 0x5C:  # backslash
                self._escaped = True
            elif byte == 0x22:  # quote
                self._in_string = not self._in_string

    def bytes_now(self) -> bytes | None:
        """The keep-alive to send now, or ``None`` when none fits here."""
        if self.mode == "sse" and (self._last is None or self._last == 0x0A):
            return self._SSE
        if self.mode == "json" and not self._in_string and (self._last is None or self._last in self._JSON_SAFE_AFTER):
            return b" "
        return None

    def error_event(self, code: str, message: str) -> bytes | None:
        """For an event stream at a line boundary, an SSE ``error`` event naming a public error, else ``None``."""
        if self.mode != "sse" or self._last not in (None, 0x0A):
            return None
        data = json.dumps({"error": code, "message": message})
        prefix = b"" if self._last is None or self._ends_event else b"\n"  # end an event the agent left open
        return prefix + b"event: error\ndata: " + data.encode("utf-8") + b"\n\n"


__all__ = ["AgentEndpoint", "ChunkPump", "KeepAlive", "abort", "answer_chunks"]
