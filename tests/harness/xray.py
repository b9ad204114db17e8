"""An X-Ray daemon stand-in: the UDP endpoint (``AWS_XRAY_DAEMON_ADDRESS``) the X-Ray SDK sends segments to.

A function with active tracing sends each (sub)segment as one datagram: a header (``{"format":"json","version":1}``),
a newline, then the segment document. The stand-in binds 127.0.0.1 on port 0, records every document it receives,
and stops with its thread. Nothing is forwarded anywhere.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any, Self


class XRayDaemon:
    """Records the segments functions send."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self._lock = threading.Lock()
        self._segments: list[dict[str, Any]] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="xray-daemon", daemon=True)

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``: the value of ``AWS_XRAY_DAEMON_ADDRESS``."""
        return f"127.0.0.1:{self._socket.getsockname()[1]}"

    def start(self) -> Self:
        """Receive in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop receiving and close the socket."""
        self._stopping.set()
        self._thread.join(5)
        self._socket.close()

    def segments(self) -> list[dict[str, Any]]:
        """Every segment and subsegment document received so far, with their subsegments flattened in."""
        with self._lock:
            found = list(self._segments)
        flat: list[dict[str, Any]] = []
        while found:
            document = found.pop(0)
            flat.append(document)
            found.extend(document.get("subsegments", []))
        return flat

    def wait_for(self, name: str, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The (sub)segments called ``name``, once there is one; raises ``TimeoutError`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = [s for s in self.segments() if s.get("name") == name]
            if found or time.monotonic() > deadline:
                if not found:
                    raise TimeoutError(f"no segment named {name}: {[s.get('name') for s in self.segments()]}")
                return found
            time.sleep(0.05)

    def reset(self) -> None:
        """Forget what was received."""
        with self._lock:
            self._segments.clear()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                datagram = self._socket.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            header, _, body = datagram.partition(b"\n")
            try:
                if json.loads(header).get("format") != "json":
                    continue
                document = json.loads(body)
            except (ValueError, AttributeError):
                continue
            with self._lock:
                self._segments.append(document)


__all__ = ["XRayDaemon"]
