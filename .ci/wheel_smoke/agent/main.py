"""The smallest direct-code agent: an HTTP server on port 8080 answering /ping and /invocations."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    """Echoes the prompt of POST /invocations; GET /ping reports healthy."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
        self._reply({"status": "Healthy"})

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        self._reply({"result": body.get("prompt", "")})

    def _reply(self, payload: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
