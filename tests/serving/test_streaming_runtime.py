"""The proxy's streaming runtime loop, in process, against the harness's Lambda Runtime API peer on 127.0.0.1.

The peer (:mod:`tests.harness.runtime_api`) implements the endpoints the loop uses (``/next``, ``/response``,
``/error``, version 2018-06-01) as the custom-runtime documentation describes them for response streaming:
it parses the HTTP/1.1 chunked body and its trailers byte by byte and records what the protocol forbids
(trailers not declared in ``Trailer``, a streamed response without the streaming mode header). AgentCore is
botocore's real ``bedrock-agentcore`` model behind a Stubber; nothing leaves the machine. The same loop,
started by its exec wrapper from the synthesized asset, is tested over HTTP in
``test_rest_streaming_over_http.py``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from constructs_lib.handlers import invoke_proxy as proxy
from constructs_lib.limits.service import SESSION_HEADER
from tests.harness.runtime_api import Invocation, RuntimeApiPeer
from tests.serving.conftest import RUNTIME_ARN

SESSION = "s" * 40
pytestmark = [pytest.mark.usefixtures("proxy_env"), pytest.mark.timeout(30)]
TRACE = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
DELIMITER = b"\x00" * 8


@pytest.fixture
def peer() -> Iterator[RuntimeApiPeer]:
    server = RuntimeApiPeer(function_arn="arn:aws:lambda:us-east-1:123456789012:function:proxy").start()
    try:
        yield server
    finally:
        server.stop()
        assert server.faults == []


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


def submit(peer: RuntimeApiPeer, event: dict[str, Any]) -> Invocation:
    return peer.submit(event, 30, trace_id=TRACE)


def test_streaming_runtime_posts_the_agent_stream_in_the_documented_streaming_mode(
    peer: RuntimeApiPeer, agentcore: Stubber
) -> None:
    # GIVEN an agent that streams server-sent events, and one API Gateway event waiting in the runtime API
    sse = b"data: one\n\ndata: two\n\n"
    agentcore.add_response("invoke_agent_runtime", agent_answer(io.BytesIO(sse)), expected())
    invocation = submit(peer, invoke_event({"prompt": "hi", "sessionId": SESSION}))
    # WHEN the runtime loop serves one invocation
    proxy.run_streaming_runtime(proxy.RuntimeApi(peer.address), max_invocations=1)
    # THEN the response went out in streaming mode, chunked, with the error trailers declared up front
    assert peer.problems == []
    assert invocation.outcome == "streamed"
    assert invocation.headers["lambda-runtime-function-response-mode"] == "streaming"
    assert invocation.headers["transfer-encoding"] == "chunked"
    assert invocation.headers["content-type"] == "application/vnd.awslambda.http-integration-response"
    assert {n.strip() for n in invocation.headers["trailer"].split(",")} == {
        "Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body"}
    # AND the body is API Gateway's format: metadata JSON, 8 null bytes, then the agent's bytes as they came
    first, rest = invocation.chunks[0].data, b"".join(p.data for p in invocation.chunks[1:])
    metadata, delimiter, after = first.partition(DELIMITER)
    assert delimiter == DELIMITER and after == b""  # the prelude is a chunk of its own, sent first
    assert len(first) <= 16 * 1024  # API Gateway reads the metadata from the first 16 KB
    assert json.loads(metadata) == {"statusCode": 200, "headers": {
        "Content-Type": "text/event-stream", SESSION_HEADER: SESSION}}
    assert rest == sse
    assert invocation.trailers == {} and invocation.stream_error is None
    # AND the invocation's X-Ray trace header reaches the AgentCore call
    assert proxy.os.environ["_X_AMZN_TRACE_ID"] == TRACE


def test_a_mid_stream_failure_is_reported_in_the_declared_error_trailers_without_details(
    peer: RuntimeApiPeer, agentcore: Stubber
) -> None:
    # GIVEN an agent whose stream breaks after its first chunk
    agentcore.add_response("invoke_agent_runtime", agent_answer(_BrokenAfterFirstChunk(b"data: one\n\n")), expected())
    invocation = submit(peer, invoke_event({"prompt": "hi", "sessionId": SESSION}))
    # WHEN the runtime loop serves it
    proxy.run_streaming_runtime(proxy.RuntimeApi(peer.address), max_invocations=1)
    # THEN the client got the prelude and the first chunk, and Lambda got the failure in the trailers
    assert peer.problems == []
    assert invocation.body.endswith(DELIMITER + b"data: one\n\n")
    assert invocation.stream_error == {"errorType": proxy.STREAM_INTERRUPTED, "errorMessage": "internal error"}
    # AND nothing internal (endpoint, ARN, exception text) travels with it
    assert "arn:" not in json.dumps(invocation.trailers) and "amazonaws" not in json.dumps(invocation.trailers)


def test_a_failure_before_the_first_byte_is_reported_on_the_error_endpoint(peer: RuntimeApiPeer) -> None:
    # GIVEN a response that fails before producing the API Gateway prelude
    def broken(event: Any) -> Iterator[bytes]:
        raise KeyError(RUNTIME_ARN)
        yield b""  # pragma: no cover - makes this a generator

    invocation = submit(peer, invoke_event({"prompt": "hi"}))
    # WHEN the runtime serves the invocation
    proxy.serve_invocation(proxy.RuntimeApi(peer.address), broken)
    # THEN it is an invocation error (no partial response), with a generic body and the error type header
    assert invocation.outcome == "error" and invocation.chunks == []
    assert invocation.headers["lambda-runtime-function-error-type"] == proxy.PROXY_FAILED
    assert invocation.error == {"errorType": proxy.PROXY_FAILED, "errorMessage": "internal error"}


def test_mapped_agent_errors_are_streamed_as_a_status_not_as_an_invocation_error(
    peer: RuntimeApiPeer, agentcore: Stubber
) -> None:
    # GIVEN AgentCore throttling the call
    agentcore.add_client_error("invoke_agent_runtime", service_error_code="ThrottlingException",
                               service_message=f"rate exceeded for {RUNTIME_ARN}", http_status_code=429)
    invocation = submit(peer, invoke_event({"prompt": "hi"}))
    # WHEN the runtime serves the invocation
    proxy.run_streaming_runtime(proxy.RuntimeApi(peer.address), max_invocations=1)
    # THEN the client gets a 429 with Retry-After in the prelude, and no trailers: the proxy did its job
    metadata, _, payload = invocation.body.partition(DELIMITER)
    assert json.loads(metadata)["statusCode"] == 429
    assert json.loads(metadata)["headers"]["Retry-After"] == "1"
    assert json.loads(payload)["error"] == "Throttled"
    assert RUNTIME_ARN.encode() not in payload
    assert invocation.trailers == {}


def test_several_invocations_are_served_one_after_the_other(peer: RuntimeApiPeer) -> None:
    # GIVEN two events for a route answered without the agent
    invocations = [submit(peer, {"httpMethod": "GET", "resource": "/nowhere", "headers": {}}) for _ in range(2)]
    # WHEN the loop serves two invocations
    proxy.run_streaming_runtime(proxy.RuntimeApi(peer.address), max_invocations=2)
    # THEN each got its own complete response
    for invocation in invocations:
        metadata, _, _ = invocation.body.partition(DELIMITER)
        assert invocation.outcome == "streamed"
        assert json.loads(metadata)["statusCode"] == 404
    assert peer.problems == []
