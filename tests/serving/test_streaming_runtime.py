"""The proxy's streaming runtime loop against a local Lambda runtime API peer on 127.0.0.1.

The peer implements the runtime API endpoints the loop uses (``/next``, ``/response``, ``/error``, version
2018-06-01) as the custom-runtime documentation describes them for response streaming: it parses the
HTTP/1.1 chunked body and its trailers byte by byte and refuses what the protocol forbids (trailers not
declared in ``Trailer``, a streamed response without the streaming mode header). AgentCore is botocore's
real ``bedrock-agentcore`` model behind a Stubber; nothing leaves the machine.
"""

from __future__ import annotations

import base64
import io
import json
import queue
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from constructs_lib.handlers import invoke_proxy as proxy
from constructs_lib.limits.service import SESSION_HEADER
from tests.serving.conftest import RUNTIME_ARN

SESSION = "s" * 40
pytestmark = pytest.mark.usefixtures("proxy_env")
TRACE = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
DELIMITER = b"\x00" * 8


class RuntimeApiPeer(ThreadingHTTPServer):
    """A Lambda runtime API (2018-06-01) on 127.0.0.1: hands out queued events and records the answers."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RuntimeApiHandler)
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.pending: set[str] = set()
        self.responses: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, dict[str, Any]] = {}
        self.problems: list[str] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A runtime that went away mid-answer (a test ended it) is not an error of the peer."""
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return
        super().handle_error(request, client_address)

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RuntimeApiPeer
    _BASE = "/2018-06-01/runtime/invocation/"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the test reads what was recorded instead."""

    def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path != self._BASE + "next":
            self._answer(404, {"errorType": "NotFound"})
            return
        try:
            request_id, event = self.server.events.get(timeout=2)
        except queue.Empty:  # the test is over: tell the runtime to exit, as the API does on a fatal state
            self._answer(500, {"errorType": "Runtime.Exit", "errorMessage": "no more events"})
            return
        self.server.pending.add(request_id)
        self._answer(200, event, {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": "1999999999999",
            "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:proxy",
            "Lambda-Runtime-Trace-Id": TRACE,
        })

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        request_id, _, kind = self.path[len(self._BASE):].partition("/")
        if not self.path.startswith(self._BASE) or request_id not in self.server.pending:
            self._answer(400, {"errorType": "InvalidRequestID", "errorMessage": "unknown request id"})
            return
        self.server.pending.discard(request_id)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if kind == "error":
            body = self.rfile.read(int(headers.get("content-length", "0")))
            self.server.errors[request_id] = {"headers": headers, "body": body}
        elif kind == "response":
            if headers.get("transfer-encoding") != "chunked":
                self.server.problems.append("a streamed response must use Transfer-Encoding: chunked")
                self._answer(400, {"errorType": "InvalidRequest"})
                return
            chunks, trailers = self._read_chunked()
            declared = {n.strip().lower() for n in headers.get("trailer", "").split(",") if n.strip()}
            undeclared = set(trailers) - declared
            if undeclared:
                self.server.problems.append(f"trailers not declared in Trailer: {sorted(undeclared)}")
            if headers.get("lambda-runtime-function-response-mode") != "streaming":
                self.server.problems.append("Lambda-Runtime-Function-Response-Mode: streaming is missing")
            self.server.responses[request_id] = {"headers": headers, "chunks": chunks, "trailers": trailers}
        else:
            self._answer(404, {"errorType": "NotFound"})
            return
        self._answer(202, {"status": "OK"})

    def _read_chunked(self) -> tuple[list[bytes], dict[str, str]]:
        """RFC 9112 chunked body: ``size CRLF data CRLF`` ..., ``0 CRLF``, trailer fields, ``CRLF``."""
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                break
            chunks.append(self.rfile.read(size))
            if self.rfile.read(2) != b"\r\n":
                self.server.problems.append("a chunk is not followed by CRLF")
        trailers: dict[str, str] = {}
        while (line := self.rfile.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            trailers[name.strip().lower()] = value.strip()
        return chunks, trailers


@pytest.fixture
def peer() -> Iterator[RuntimeApiPeer]:
    server = RuntimeApiPeer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _BrokenAfterFirstChunk(io.RawIOBase):
    """An agent response that delivers one chunk, then fails (the connection to AgentCore broke)."""

    def __init__(self, first: bytes) -> None:
        self._parts = [first]

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        if self._parts:
            return self._parts.pop(0)
        raise ReadTimeoutError(endpoint_url=f"https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/{RUNTIME_ARN}")

    def readinto(self, buffer: Any) -> int:
        data = self.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def invoke_event(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "httpMethod": "POST", "resource": "/invoke", "path": "/invoke", "headers": {},
        "body": json.dumps(body), "isBase64Encoded": False,
        "requestContext": {"requestId": "req-1", "identity": {"userArn": "arn:aws:iam::123456789012:user/alice"}},
    }


def agent_answer(raw: Any, content_type: str = "text/event-stream") -> dict[str, Any]:
    return {"response": StreamingBody(raw, None), "contentType": content_type, "runtimeSessionId": SESSION,
            "statusCode": 200}


def expected() -> dict[str, Any]:
    return {"agentRuntimeArn": RUNTIME_ARN, "qualifier": "prod", "runtimeSessionId": SESSION, "payload": ANY,
            "contentType": "application/json", "accept": ANY}


def test_streaming_runtime_posts_the_agent_stream_in_the_documented_streaming_mode(
    peer: RuntimeApiPeer, agentcore: Stubber
) -> None:
    # GIVEN an agent that streams server-sent events, and one API Gateway event waiting in the runtime API
    sse = b"data: one\n\ndata: two\n\n"
    agentcore.add_response("invoke_agent_runtime", agent_answer(io.BytesIO(sse)), expected())
    peer.events.put(("req-1", invoke_event({"prompt": "hi", "sessionId": SESSION})))
    # WHEN the runtime loop serves one invocation
    proxy.run_streaming_runtime(proxy.RuntimeApi(peer.address), max_invocations=1)
    # THEN the response went out in streaming mode, chunked, with the error trailers declared up front
    assert peer.problems == []
    answer = peer.responses["req-1"]
    assert answer["headers"]["lambda-runtime-function-response-mode"] == "streaming"
    assert answer["headers"]["transfer-encoding"] == "chunked"
    assert answer["headers"]["content-type"] == "application/vnd.awslambda.http-integration-response"
    assert {n.strip() for n in answer["headers"]["trailer"].split(",")} == {
        "Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body"}
    # AND the body is API Gateway's format: metadata JSON, 8 null bytes, then the agent's bytes as they came
    first, rest = answer["chunks"][0], b"".join(answer["chunks"][1:])
    metadata, delimiter, after = first.partition(DELIMITER)
    assert delimiter == DELIMITER and after == b""  # the prelude is a chunk of its own, sent first
    assert len(first) <= 16 * 1024  # API Gateway reads the metadata from the first 16 KB
    assert json.loads(metadata) == {"statusCode": 200, "headers": {
        "Content-Type": "text/event-stream", SESSION_HEADER: SESSION}}
    assert rest == sse
    assert answer["trailers"] == {}
    # AND the invocation's X-Ray trace header reaches the AgentCore call
    assert proxy.os.environ["_X_AMZN_TRACE_ID"] == TRACE


def test_a_mid_stream_failure_is_reported_in_the_declared_error_trailers_without_details(
    peer: RuntimeApiPeer, agentcore: Stubber
) -> None:
    # GIVEN an agent whose stream breaks after its first chunk
    agentcore.add_response("invoke_agent_runtime", agent_answer(_BrokenAfterFirstChunk(b"data: one\n\n")), expected())
    peer.events.put(("req-2", invoke_event({"prompt": "hi", "sessionId": SESSION})))
    # WHEN the runtime loop serves it
    proxy.run_streaming_runtime(proxy.RuntimeApi(peer.address), max_invocations=1)
    # THEN the client got the prelude and the first chunk, and Lambda got the failure in the trailers
    assert peer.problems == []
    answer = peer.responses["req-2"]
    body = b"".join(answer["chunks"])
    assert body.endswith(DELIMITER + b"data: one\n\n")
    trailers = answer["trailers"]
    assert trailers["lambda-runtime-function-error-type"] == proxy.STREAM_INTERRUPTED
    error = json.loads(base64.b64decode(trailers["lambda-runtime-function-error-body"]))
    assert error == {"errorType": proxy.STREAM_INTERRUPTED, "errorMessage": "internal error"}
    # AND nothing internal (endpoint, ARN, exception text) travels with it
    assert "arn:" not in json.dumps(trailers) and "amazonaws" not in json.dumps(trailers)


def test_a_failure_before_the_first_byte_is_reported_on_the_error_endpoint(peer: RuntimeApiPeer) -> None:
    # GIVEN a response that fails before producing the API Gateway prelude
    def broken(event: Any) -> Iterator[bytes]:
        raise KeyError(RUNTIME_ARN)
        yield b""  # pragma: no cover - makes this a generator

    peer.events.put(("req-3", invoke_event({"prompt": "hi"})))
    # WHEN the runtime serves the invocation
    proxy.serve_invocation(proxy.RuntimeApi(peer.address), broken)
    # THEN it is an invocation error (no partial response), with a generic body and the error type header
    assert "req-3" not in peer.responses
    error = peer.errors["req-3"]
    assert error["headers"]["lambda-runtime-function-error-type"] == proxy.PROXY_FAILED
    assert json.loads(error["body"]) == {"errorType": proxy.PROXY_FAILED, "errorMessage": "internal error"}


def test_mapped_agent_errors_are_streamed_as_a_status_not_as_an_invocation_error(
    peer: RuntimeApiPeer, agentcore: Stubber
) -> None:
    # GIVEN AgentCore throttling the call
    agentcore.add_client_error("invoke_agent_runtime", service_error_code="ThrottlingException",
                               service_message=f"rate exceeded for {RUNTIME_ARN}", http_status_code=429)
    peer.events.put(("req-4", invoke_event({"prompt": "hi"})))
    # WHEN the runtime serves the invocation
    proxy.run_streaming_runtime(proxy.RuntimeApi(peer.address), max_invocations=1)
    # THEN the client gets a 429 with Retry-After in the prelude, and no trailers: the proxy did its job
    answer = peer.responses["req-4"]
    metadata, _, payload = b"".join(answer["chunks"]).partition(DELIMITER)
    assert json.loads(metadata)["statusCode"] == 429
    assert json.loads(metadata)["headers"]["Retry-After"] == "1"
    assert json.loads(payload)["error"] == "Throttled"
    assert RUNTIME_ARN.encode() not in payload
    assert answer["trailers"] == {}


def test_several_invocations_are_served_one_after_the_other(peer: RuntimeApiPeer) -> None:
    # GIVEN two events for a route answered without the agent
    for request_id in ("req-5", "req-6"):
        peer.events.put((request_id, {"httpMethod": "GET", "resource": "/nowhere", "headers": {}}))
    # WHEN the loop serves two invocations
    proxy.run_streaming_runtime(proxy.RuntimeApi(peer.address), max_invocations=2)
    # THEN each got its own complete response
    for request_id in ("req-5", "req-6"):
        metadata, _, _ = b"".join(peer.responses[request_id]["chunks"]).partition(DELIMITER)
        assert json.loads(metadata)["statusCode"] == 404
    assert peer.problems == []


def test_the_packaged_proxy_runs_the_loop_as_a_script(peer: RuntimeApiPeer, tmp_path: Any) -> None:
    # GIVEN the proxy's Lambda package as a streaming facade synthesizes it, started the way the exec wrapper does,
    # with exactly the environment the template sets (the proxy has no fallback for any of it)
    import subprocess
    import time

    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from constructs_lib.planning.profile import WorkloadProfile
    from constructs_lib.serving.api_facade import AgentApiFacade
    from tests.conftest import ENV
    from tests.serving._fixtures import make_agent, packaged_proxy

    outdir = tmp_path / "cdk.out"
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Streaming", env=ENV)
    AgentApiFacade(stack, "Api", agent=make_agent(stack, workload=WorkloadProfile(
        longest_task=cdk.Duration.minutes(5))), streaming=True)
    app.synth()
    package, variables = packaged_proxy(Template.from_stack(stack), outdir, "invoke_proxy.handler",
                                        AGENT_RUNTIME_ARN=RUNTIME_ARN)
    assert sorted(p.name for p in package.iterdir()) == [
        "contract.py", "invoke_proxy.py", "invoke_proxy_stream.sh", "staging_urls.py"]
    wrapper = (package / "invoke_proxy_stream.sh").read_text()
    assert 'exec /var/lang/bin/python3 "${LAMBDA_TASK_ROOT:-/var/task}/invoke_proxy.py"' in wrapper
    peer.events.put(("req-7", {"httpMethod": "GET", "resource": "/nowhere", "headers": {}}))
    env = {**variables, "PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": peer.address,
           "LAMBDA_TASK_ROOT": str(package), "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_LAMBDA_EXEC_WRAPPER")
    process = subprocess.Popen([sys.executable, str(package / "invoke_proxy.py")], cwd=package, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # WHEN it has had time to take the event
        deadline = time.monotonic() + 30
        while "req-7" not in peer.responses and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
    finally:
        process.kill()
        output = process.communicate(timeout=10)[0].decode(errors="replace")
    # THEN the script posted a streamed response for it
    assert "req-7" in peer.responses, output
    metadata, _, _ = b"".join(peer.responses["req-7"]["chunks"]).partition(DELIMITER)
    assert json.loads(metadata)["statusCode"] == 404
    assert peer.problems == []
