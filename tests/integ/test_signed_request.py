"""The integ apps' SigV4 client, over real HTTP on loopback: it signs for execute-api and returns any status."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.integ.clients import signed_request


class _Recorder(BaseHTTPRequestHandler):
    """Answers with the status and body the test sets, and records each request."""

    requests: list[dict[str, Any]] = []
    status = 200
    body = b"{}"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        type(self).requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                    "body": self.rfile.read(length)})
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(type(self).body)))
        self.end_headers()
        self.wfile.write(type(self).body)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Recorder]]:
    """A loopback API answering what the test sets; the client's environment points at its ``prod`` stage."""
    recorder = type("Recorder", (_Recorder,), {"requests": [], "status": 200, "body": b"{}"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("API_URL", f"http://127.0.0.1:{server.server_address[1]}/prod/")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_posts_the_json_body_signed_for_execute_api(api: type[_Recorder]) -> None:
    # GIVEN an API that answers 200 with a JSON body
    api.body = json.dumps({"result": "hello"}).encode()
    # WHEN the client posts a body to /invoke
    answer = signed_request.handler({"method": "post", "path": "/invoke", "body": {"prompt": "hi"}})
    # THEN the request went to the stage's route, SigV4-signed for execute-api in the function's region
    (request,) = api.requests
    assert (request["method"], request["path"]) == ("POST", "/prod/invoke")
    assert json.loads(request["body"]) == {"prompt": "hi"}
    authorization = request["headers"]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert "SignedHeaders=content-type;host;x-amz-date" in authorization
    assert request["headers"]["Content-Type"] == "application/json"
    # AND the answer carries the status and the parsed body
    assert answer == {"status": 200, "json": {"result": "hello"}, "text": '{"result": "hello"}'}


def test_an_error_status_is_an_answer_not_a_failure(api: type[_Recorder]) -> None:
    # GIVEN an API that refuses the caller
    api.status, api.body = 403, b'{"message": "Forbidden"}'
    # WHEN the client gets a job without a body
    answer = signed_request.handler({"method": "GET", "path": "jobs/0123"})
    # THEN the status is returned for the assertion to see, and nothing was sent as a body
    assert answer["status"] == 403 and answer["json"] == {"message": "Forbidden"}
    assert api.requests[0]["path"] == "/prod/jobs/0123" and api.requests[0]["body"] == b""
    assert "Content-Type" not in api.requests[0]["headers"]


def test_a_body_that_is_not_json_is_returned_as_text(api: type[_Recorder]) -> None:
    api.status, api.body = 502, b"Bad Gateway"
    answer = signed_request.handler({"method": "POST", "path": "/invoke", "body": {"prompt": "hi"}})
    assert answer == {"status": 502, "json": None, "text": "Bad Gateway"}
