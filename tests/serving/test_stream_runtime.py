"""The library's response-streaming runtime loop, in process, against the harness's Lambda Runtime API peer on
127.0.0.1 (the same loop, started by the REST proxy's exec wrapper from its synthesized asset, is tested over HTTP in
``test_rest_streaming_over_http.py``).

The peer (:mod:`tests.harness.runtime_api`) implements ``/next``, ``/response``, ``/error`` and ``/init/error`` as the
custom-runtime documentation describes them for response streaming, parses the chunked body and its trailers as they
arrive and records what the protocol forbids. The handlers here are small generators of this module."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from constructs_lib.handlers import stream_runtime
from constructs_lib.handlers.contract import ConfigurationError
from tests.harness.runtime_api import RuntimeApiPeer

pytestmark = pytest.mark.timeout(30)
DELIMITER = b"\x00" * 8
CLOSED = threading.Event()


class Deadline(Exception):
    """A handler's own early end, with its trailer error type."""

    error_type = "Function.StreamTimedOut"


def respond_ok(event: Mapping[str, Any], context: Any) -> Iterator[bytes]:
    yield b'{"statusCode": 200}' + DELIMITER
    yield f"remaining={context.get_remaining_time_in_millis() > 0};id={context.aws_request_id}".encode()


def respond_then_fail(event: Mapping[str, Any], context: Any) -> Iterator[bytes]:
    yield b'{"statusCode": 200}' + DELIMITER
    yield b"partial"
    raise RuntimeError("a secret detail")


def respond_then_end_early(event: Mapping[str, Any], context: Any) -> Iterator[bytes]:
    yield b'{"statusCode": 200}' + DELIMITER
    raise Deadline


def respond_fail_before(event: Mapping[str, Any], context: Any) -> Iterator[bytes]:
    raise RuntimeError("before any byte")
    yield b""  # pragma: no cover - makes this a generator


def respond_forever(event: Mapping[str, Any], context: Any) -> Iterator[bytes]:
    try:
        yield b'{"statusCode": 200}' + DELIMITER
        while True:
            yield b"tick"
            CLOSED.wait(0.05)
    except GeneratorExit:
        CLOSED.set()
        raise


def check_configuration() -> None:
    """What the runtime calls when it loads this module: a handler whose environment lacks a setting."""
    raise ConfigurationError("the handler's environment lacks MAX_REQUEST_BYTES")


@pytest.fixture
def peer() -> Iterator[RuntimeApiPeer]:
    server = RuntimeApiPeer(function_arn="arn:aws:lambda:us-east-1:123456789012:function:proxy").start()
    try:
        yield server
    finally:
        server.stop()
        assert server.faults == [] and server.problems == []


def serve(peer: RuntimeApiPeer, respond: Any) -> Any:
    invocation = peer.submit({"path": "/invoke"}, 30)
    api = stream_runtime.RuntimeApi(peer.address)
    stream_runtime.serve_invocation(api, respond)
    return invocation.wait(5)


def test_a_response_is_posted_in_the_documented_streaming_mode(peer: RuntimeApiPeer) -> None:
    invocation = serve(peer, respond_ok)
    assert invocation.outcome == "streamed" and invocation.stream_error is None
    assert invocation.headers["lambda-runtime-function-response-mode"] == "streaming"
    assert invocation.headers["transfer-encoding"] == "chunked"
    assert invocation.headers["content-type"] == "application/vnd.awslambda.http-integration-response"
    assert invocation.body == b'{"statusCode": 200}' + DELIMITER + f"remaining=True;id={invocation.request_id}".encode()


def test_a_failure_mid_stream_is_reported_in_the_declared_trailers_without_details(peer: RuntimeApiPeer) -> None:
    invocation = serve(peer, respond_then_fail)
    assert invocation.outcome == "streamed"
    assert invocation.stream_error == {"errorType": "Function.StreamInterrupted", "errorMessage": "internal error"}
    assert b"secret" not in invocation.body


def test_a_handler_that_ends_early_names_its_error_type(peer: RuntimeApiPeer) -> None:
    invocation = serve(peer, respond_then_end_early)
    assert invocation.stream_error == {"errorType": "Function.StreamTimedOut", "errorMessage": "internal error"}


def test_a_failure_before_the_first_byte_is_an_invocation_error(peer: RuntimeApiPeer) -> None:
    invocation = serve(peer, respond_fail_before)
    assert invocation.outcome == "error"
    assert invocation.error == {"errorType": "Function.ProxyError", "errorMessage": "internal error"}


def test_a_closed_response_stream_closes_the_handler_so_it_can_clean_up(peer: RuntimeApiPeer) -> None:
    # GIVEN a handler that streams until it is closed, and a client that goes away after its first bytes
    CLOSED.clear()
    invocation = peer.submit({}, 30)
    thread = threading.Thread(target=stream_runtime.serve_invocation,
                              args=(stream_runtime.RuntimeApi(peer.address), respond_forever), daemon=True)
    thread.start()
    invocation.next_piece(5)
    invocation.abandon()
    # WHEN Lambda closes the response stream THEN the handler's generator is closed, and the loop is free again
    assert CLOSED.wait(5)
    thread.join(5)
    assert not thread.is_alive() and invocation.outcome == "abandoned"


@pytest.mark.parametrize(("target", "error_type", "fragment"), [
    ("no_such_module.stream", "Runtime.ImportModuleError", "no_such_module"),
    ("tests.serving.test_stream_runtime.no_such_function", "Runtime.ImportModuleError", "no_such_function"),
    ("tests.serving.test_stream_runtime.respond_ok", "Runtime.ConfigurationError", "MAX_REQUEST_BYTES"),
])
def test_an_init_failure_is_reported_to_the_init_error_endpoint(
    peer: RuntimeApiPeer, target: str, error_type: str, fragment: str
) -> None:
    with pytest.raises(SystemExit):
        stream_runtime.load(target, stream_runtime.RuntimeApi(peer.address))
    assert peer.init_error is not None
    assert peer.init_error["errorType"] == error_type and fragment in peer.init_error["errorMessage"]
