"""The AgentCore stand-in, called by boto3 as any client would: its answers are what botocore's model expects."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError, ResponseStreamingError

from tests.harness.agent_script import Pause, Script
from tests.harness.agentcore import AgentCoreStandIn
from tests.harness.service_model import load_service_model

pytestmark = pytest.mark.timeout(30)
ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/probe_agent-AbCdEf1234"
SESSION = "p" * 40
INVOKE_ERRORS = [
    e.name for e in load_service_model("bedrock-agentcore").operation_model("InvokeAgentRuntime").error_shapes]


@pytest.fixture
def standin() -> Iterator[AgentCoreStandIn]:
    with AgentCoreStandIn() as server:
        yield server
    assert server.faults == [] and server.leaked_threads == []


_SESSION = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name="us-east-1")


def client(standin: AgentCoreStandIn, **config: Any) -> Any:
    return _SESSION.client("bedrock-agentcore", endpoint_url=standin.url,
                           config=Config(retries={"total_max_attempts": 1}, **config))


def test_invoke_is_read_through_the_model_and_recorded(standin: AgentCoreStandIn) -> None:
    # WHEN boto3 invokes a runtime with every header member the proxies may send
    answer = client(standin).invoke_agent_runtime(
        agentRuntimeArn=ARN, qualifier="prod", runtimeSessionId=SESSION, runtimeUserId="alice",
        payload=b'{"prompt": "hi"}', contentType="application/json", accept="application/json", traceId="Root=1-x",
    )
    # THEN botocore parses the default agent's answer and the echoed session id
    assert answer["statusCode"] == 200 and answer["runtimeSessionId"] == SESSION
    assert answer["contentType"] == "application/json"
    assert answer["response"].read() == (b'{"sessionId": "' + SESSION.encode() + b'", "turn": 1, "userId": "alice", '
                                         b'"received": {"prompt": "hi"}}')
    # AND the stand-in recorded each member where the model puts it
    (call,) = standin.calls
    assert (call.operation, call.runtime_arn, call.qualifier, call.session_id, call.user_id) == (
        "InvokeAgentRuntime", ARN, "prod", SESSION, "alice")
    assert call.params["traceId"] == "Root=1-x" and call.json() == {"prompt": "hi"}
    assert call.outcome == "answered"
    # AND it remembers the session: one turn, for alice
    session = standin.session(ARN, SESSION)
    assert session is not None and (session.turns, session.user_ids) == (1, ["alice"])


@pytest.mark.parametrize("code", INVOKE_ERRORS)
def test_every_error_of_the_model_reaches_botocore_with_its_code_and_status(
    standin: AgentCoreStandIn, code: str
) -> None:
    # GIVEN the stand-in scripted to answer one of InvokeAgentRuntime's modeled errors
    standin.enqueue(Script.error(code, "scripted"))
    shape = load_service_model("bedrock-agentcore").shape_for(code)
    # WHEN boto3 invokes
    with pytest.raises(ClientError) as raised:
        client(standin).invoke_agent_runtime(agentRuntimeArn=ARN, runtimeSessionId=SESSION, payload=b"{}")
    # THEN botocore reads the code from the restJson1 answer, with the status the model gives the shape
    error = raised.value.response
    assert error["Error"]["Code"] == code and error["Error"]["Message"] == "scripted"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == shape.metadata["error"]["httpStatusCode"]
    assert standin.calls[0].outcome == f"error:{code}"


def test_a_scripted_stream_arrives_chunk_by_chunk_with_its_delays(standin: AgentCoreStandIn) -> None:
    # GIVEN a stream of two events 0.2 s apart
    standin.enqueue(Script.sse(["a", "b"], interval=0.2))
    # WHEN boto3 reads it as it arrives
    answer = client(standin).invoke_agent_runtime(agentRuntimeArn=ARN, runtimeSessionId=SESSION, payload=b"{}")
    body = answer["response"]
    started = time.monotonic()
    arrivals = [(time.monotonic() - started, part) for part in iter(lambda: body._raw_stream.read1(1024), b"")]
    # THEN each event came on its own, about 0.2 s after the previous one
    assert [part for _, part in arrivals] == [b"data: a\n\n", b"data: b\n\n"]
    assert arrivals[1][0] - arrivals[0][0] >= 0.15


def test_an_idle_gap_holds_the_stream_open_without_bytes(standin: AgentCoreStandIn) -> None:
    # GIVEN a stream with a 0.5 s pause between two chunks
    standin.enqueue(Script.stream([b"one", Pause(0.5), b"two"], content_type="text/plain"))
    # WHEN boto3 reads it with a read timeout shorter than the pause
    answer = client(standin, read_timeout=0.2).invoke_agent_runtime(
        agentRuntimeArn=ARN, runtimeSessionId=SESSION, payload=b"{}")
    # THEN the read times out in the gap, after the first chunk
    assert answer["response"]._raw_stream.read1(1024) == b"one"
    with pytest.raises(ReadTimeoutError):
        answer["response"].read()


def test_a_request_that_is_never_answered_times_the_client_out_and_is_seen_abandoned(standin: AgentCoreStandIn) -> None:
    # GIVEN the stand-in holding the next request without answering
    standin.enqueue(Script.hang(10))
    # WHEN boto3 invokes with a 0.5 s read timeout
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        client(standin, read_timeout=0.5).invoke_agent_runtime(agentRuntimeArn=ARN, runtimeSessionId=SESSION,
                                                               payload=b"{}")
    # THEN the client gave up at its timeout and the stand-in saw it go
    assert time.monotonic() - started < 3
    (call,) = standin.wait_for_calls(1)
    assert call.outcome == "client-gone"


def test_a_stream_cut_mid_way_is_a_streaming_error_for_botocore(standin: AgentCoreStandIn) -> None:
    # GIVEN a stream that breaks after its first event
    standin.enqueue(Script.sse(["a"]).then_cut())
    answer = client(standin).invoke_agent_runtime(agentRuntimeArn=ARN, runtimeSessionId=SESSION, payload=b"{}")
    # WHEN the body is read, THEN botocore reports the broken stream
    with pytest.raises(ResponseStreamingError):
        answer["response"].read()
    assert standin.calls[0].outcome == "cut"


def test_stop_runtime_session_is_recorded_and_the_session_starts_again(standin: AgentCoreStandIn) -> None:
    # GIVEN a session with one turn
    agentcore = client(standin)
    agentcore.invoke_agent_runtime(agentRuntimeArn=ARN, runtimeSessionId=SESSION, payload=b"{}")["response"].read()
    # WHEN boto3 stops it
    stopped = agentcore.stop_runtime_session(agentRuntimeArn=ARN, runtimeSessionId=SESSION, qualifier="prod")
    # THEN the stop is recorded (with its idempotency token) and the next invocation is a new session
    assert stopped["runtimeSessionId"] == SESSION and stopped["statusCode"] == 200
    assert standin.stopped_sessions() == {SESSION}
    assert len(standin.stops()[0].params["clientToken"]) >= 33
    again = agentcore.invoke_agent_runtime(agentRuntimeArn=ARN, runtimeSessionId=SESSION, payload=b"{}")
    assert b'"turn": 1' in again["response"].read()


def test_a_scripted_stop_error_is_answered_per_the_model(standin: AgentCoreStandIn) -> None:
    # GIVEN a stop that AgentCore refuses
    standin.enqueue_stop(Script.error("ResourceNotFoundException", "no such session"))
    # WHEN boto3 stops a session, THEN it gets the modeled error and nothing is counted as stopped
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        client(standin).stop_runtime_session(agentRuntimeArn=ARN, runtimeSessionId=SESSION)
    assert standin.stopped_sessions() == set()


def test_registered_runtimes_make_other_arns_and_qualifiers_not_found(standin: AgentCoreStandIn) -> None:
    # GIVEN one runtime declared with the DEFAULT and prod endpoints
    standin.register_runtime(ARN, ("DEFAULT", "prod"))
    agentcore = client(standin)
    # WHEN other runtimes or endpoints are invoked, THEN AgentCore answers 404
    for arn, qualifier in ((ARN.replace("probe", "other"), "prod"), (ARN, "canary")):
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            agentcore.invoke_agent_runtime(agentRuntimeArn=arn, qualifier=qualifier, runtimeSessionId=SESSION,
                                           payload=b"{}")
    assert agentcore.invoke_agent_runtime(agentRuntimeArn=ARN, qualifier="prod", runtimeSessionId=SESSION,
                                          payload=b"{}")["statusCode"] == 200


def test_unsigned_and_invalid_requests_are_refused_like_the_service(standin: AgentCoreStandIn) -> None:
    # WHEN a request arrives without SigV4, THEN it is refused before any agent runs
    with pytest.raises(ClientError, match="MissingAuthenticationTokenException"):
        client(standin, signature_version=UNSIGNED).invoke_agent_runtime(
            agentRuntimeArn=ARN, runtimeSessionId=SESSION, payload=b"{}")
    # WHEN a request breaks the model (a session id shorter than 33 characters, client validation off)
    with pytest.raises(ClientError, match="ValidationException") as raised:
        client(standin, parameter_validation=False).invoke_agent_runtime(
            agentRuntimeArn=ARN, runtimeSessionId="short", payload=b"{}")
    # THEN it is a ValidationException with the reason the model requires
    assert raised.value.response["reason"] == "FieldValidationFailed"
    assert standin.calls == []


def test_stopping_the_server_ends_a_held_request_at_once() -> None:
    # GIVEN a request the stand-in holds for 30 s
    standin = AgentCoreStandIn().start()
    standin.enqueue(Script.hang(30))
    agentcore = client(standin, read_timeout=20)
    failure: list[BaseException] = []

    def invoke() -> None:
        try:
            agentcore.invoke_agent_runtime(agentRuntimeArn=ARN, runtimeSessionId=SESSION, payload=b"{}")
        except Exception as exc:  # noqa: BLE001 - the test reads it
            failure.append(exc)

    caller = threading.Thread(target=invoke, daemon=True)
    caller.start()
    deadline = time.monotonic() + 5
    while not standin.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    # WHEN the server stops
    started = time.monotonic()
    standin.stop()
    caller.join(5)
    # THEN the held request ended with it, and no thread was left behind
    assert time.monotonic() - started < 4
    assert standin.leaked_threads == [] and failure
