"""The streaming REST facade over real HTTP: the proxy started by its exec wrapper from the synthesized asset (the
library's runtime loop, the Powertools layer), posting to the Lambda Runtime API peer, the front door forwarding each
chunk to the client; keep-alives, the Lambda deadline, clients that go away, init errors and caller-bound sessions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import aws_cdk as cdk
import pytest

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.planning.agent_plan import WorkloadProfile
from constructs_lib.serving.api_facade import AgentApiFacade
from tests.conftest import ENV
from tests.harness.agent_script import Chunk, Pause, Script
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import call
from tests.harness.rest_front_door import RestFrontDoor
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(90)
INTERVAL = 0.2
ALICE = IamCaller.assumed_role("web-app", "alice")
BOB = IamCaller.assumed_role("web-app", "bob")


@dataclass
class Served:
    harness: Harness
    door: RestFrontDoor
    facade: AgentApiFacade


@pytest.fixture(scope="module")
def served(harness_for: Callable[..., Harness]) -> Served:
    stack = cdk.Stack(cdk.App(), "RestStreaming", env=ENV)
    agent = make_agent(stack, runtime_name="stream_agent",
                       workload=WorkloadProfile(longest_task=cdk.Duration.minutes(5)))
    facade = AgentApiFacade(stack, "Api", agent=agent, streaming=True)
    harness = harness_for(stack)
    door = harness.rest_api(facade.api, default_caller=ALICE, callers={"bob": BOB})
    return Served(harness, door, facade)


@pytest.fixture(autouse=True)
def fresh(served: Served) -> None:
    served.harness.reset()


def test_the_function_runs_under_its_exec_wrapper_from_the_asset_with_the_powertools_layer(served: Served) -> None:
    # GIVEN the synthesized proxy function
    sandbox = served.door.functions[next(iter(served.door.functions))]
    # THEN its asset holds exactly the proxy's modules and the wrapper the template names
    assert sandbox.spec.files() == ["agent_calls.py", "caller.py", "clients.py", "contract.py", "inputs.py",
                                    "invoke_proxy.py", "invoke_proxy_stream.sh", "rollout.py", "session_budget.py",
                                    "staging_urls.py",
                                    "stream_runtime.py"]
    assert sandbox.spec.exec_wrapper == "/var/task/invoke_proxy_stream.sh"
    # AND the sandbox starts that wrapper (an adapted copy) with the managed runtime's command
    assert sandbox.command[0] == "/bin/sh" and sandbox.command[1].endswith("/invoke_proxy_stream.sh")
    assert sandbox.command[-3:] == ["-m", "awslambdaric", "invoke_proxy.handler"]
    # AND its one layer is the Powertools layer the template resolves from SSM, loaded from the layer directory
    assert sandbox.spec.layers == ("/aws/service/powertools/python/arm64/python3.14/3.37.0",)
    assert [p.name for p in sandbox.import_path[1:-1]] == ["python"]
    assert (sandbox.import_path[1] / "aws_lambda_powertools").is_symlink()


def test_a_slow_stream_reaches_the_client_chunk_by_chunk(served: Served) -> None:
    # GIVEN an agent streaming three events a second apart (a gap a loaded machine cannot close by accident)
    served.harness.agentcore.enqueue(Script.sse(["one", "two", "three"], interval=1.0))
    # WHEN a client posts a prompt
    answer = call(served.door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN it gets the whole event stream with the agent's content type
    assert answer.status == 200 and answer.complete
    assert answer.headers["content-type"] == "text/event-stream"
    assert answer.body == b"data: one\n\ndata: two\n\ndata: three\n\n"
    # AND it held the first event before the agent had written the second one
    (agent_call,) = served.harness.agentcore.invocations()
    first_at, first = answer.pieces[0]
    assert first == b"data: one\n\n"
    assert first_at < agent_call.chunk_times[1]


def test_a_stream_broken_mid_way_ends_with_an_error_event_and_is_reported_to_lambda(served: Served) -> None:
    # GIVEN an agent whose connection breaks after its first event
    served.harness.agentcore.enqueue(Script.sse(["one"]).then_cut())
    # WHEN a client posts a prompt
    answer = call(served.door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN the client got the first event, an SSE error event saying why, and then a truncated body
    assert answer.status == 200 and not answer.complete
    first, error = answer.body.split(b"\n\n")[:2]
    assert first == b"data: one"
    assert error.startswith(b"event: error\ndata: ")
    assert json.loads(error.split(b"data: ", 1)[1])["error"] == "AgentError"
    # AND Lambda was told in the stream's trailers, with no detail
    invocation = served.door.exchanges[-1].invocation
    assert invocation is not None and invocation.outcome == "streamed"
    assert invocation.stream_error == {"errorType": "Function.StreamInterrupted", "errorMessage": "internal error"}


def test_throttling_before_the_stream_is_a_429_with_retry_after(served: Served) -> None:
    # GIVEN AgentCore throttling the call
    served.harness.agentcore.enqueue(Script.error("ThrottlingException"))
    # WHEN a client posts a prompt
    answer = call(served.door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN the streamed response's prelude carries the mapped status
    assert (answer.status, answer.json()["error"], answer.headers["retry-after"]) == (429, "Throttled", "1")
    assert answer.complete


def test_the_keepalive_interval_comes_from_api_gateways_idle_timeout_in_the_catalog(served: Served) -> None:
    # GIVEN the proxy's environment as the template sets it
    variables = served.harness.variables(served.facade.proxy_function)
    idle = QuotaCatalog().value(QuotaName.API_GATEWAY_STREAM_IDLE_TIMEOUT_REGIONAL)
    # THEN a silent stream gets a keep-alive well within the idle timeout, and the front door applies that timeout
    assert 0 < float(variables["STREAM_KEEPALIVE_SECONDS"]) < idle
    assert served.door.stream_idle_timeout == idle


def test_a_silent_agent_gets_keepalives_under_the_idle_timeout_and_the_stream_survives(served: Served) -> None:
    # GIVEN a front door that cuts streams silent for 0.5 s, a proxy sending keep-alives after 0.2 s of silence,
    # and an agent silent for 1.5 s between two events
    door = served.harness.rest_api(served.facade.api, default_caller=ALICE, stream_idle_timeout=0.5,
                                   overrides={"STREAM_KEEPALIVE_SECONDS": "0.2"})
    served.harness.agentcore.enqueue(Script.stream([b"data: one\n\n", Pause(1.5), Chunk(b"data: two\n\n")],
                                                   content_type="text/event-stream"))
    # WHEN a client posts a prompt
    answer = call(door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN the stream was never idle long enough to be cut: SSE comments kept it alive, both events arrived intact
    assert answer.status == 200 and answer.complete and not door.exchanges[-1].cut
    lines = answer.body.split(b"\n")
    assert lines.count(b": keep-alive") >= 3
    assert [line for line in lines if line.startswith(b"data:")] == [b"data: one", b"data: two"]
    gaps = [later[0] - earlier[0] for earlier, later in zip(answer.pieces, answer.pieces[1:], strict=False)]
    assert max(gaps) < 0.5


def test_the_front_door_cuts_a_stream_idle_longer_than_its_idle_timeout(served: Served) -> None:
    # GIVEN a front door whose stream idle timeout is 0.5 s, and an agent silent for 1.5 s after a plain-text chunk
    # (no byte can be added to plain text without changing it: no keep-alive)
    door = served.harness.rest_api(served.facade.api, default_caller=ALICE, stream_idle_timeout=0.5,
                                   overrides={"STREAM_KEEPALIVE_SECONDS": "0.2"})
    served.harness.agentcore.enqueue(Script.stream([b"one", Pause(1.5), Chunk(b"two")], content_type="text/plain"))
    # WHEN a client posts a prompt
    answer = call(door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN the client got the first chunk, then the connection was cut at the idle timeout
    assert answer.status == 200 and not answer.complete
    assert answer.body == b"one"
    assert door.exchanges[-1].cut


def test_a_stream_still_running_at_the_lambda_deadline_ends_with_an_error_before_it(served: Served) -> None:
    # GIVEN a function with a 3 s deadline (the proxy keeps up to half of it to answer, time enough on a loaded
    # machine), and an agent that sends one event and then stays silent
    door = served.harness.rest_api(served.facade.api, default_caller=ALICE, timeout_seconds=3)
    served.harness.agentcore.enqueue(Script.stream([b"data: one\n\n", Pause(10)], content_type="text/event-stream"))
    # WHEN a client posts a prompt
    answer = call(door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN the proxy ended the stream itself, with a Timeout error event and an error in its trailers, before Lambda
    # had to kill it
    invocation = door.exchanges[-1].invocation
    assert invocation is not None
    assert invocation.outcome == "streamed", invocation.error
    assert invocation.stream_error == {"errorType": "Function.StreamTimedOut", "errorMessage": "internal error"}
    assert b"event: error" in answer.body and b'"Timeout"' in answer.body
    # AND the abandoned runtime session was stopped, on the facade's endpoint
    (agent_call,) = served.harness.agentcore.invocations()
    (stop,) = served.harness.agentcore.stops()
    assert stop.session_id == agent_call.session_id and stop.qualifier == agent_call.qualifier


def test_a_client_that_goes_away_mid_stream_stops_the_agent_session(served: Served) -> None:
    # GIVEN an agent streaming ten events, INTERVAL seconds apart
    served.harness.agentcore.enqueue(Script.sse([f"event {i}" for i in range(10)], interval=INTERVAL))
    # WHEN the client hangs up after the first event
    answer = call(served.door.stage_url + "/invoke", json={"prompt": "tell me"}, hang_up_after=1)
    assert not answer.complete
    # THEN Lambda's response stream closed under the proxy, which stopped the runtime session
    deadline = time.monotonic() + 5
    while not served.harness.agentcore.stops() and time.monotonic() < deadline:
        time.sleep(0.05)
    (agent_call,) = served.harness.agentcore.invocations()
    assert agent_call.session_id in served.harness.agentcore.stopped_sessions()
    invocation = served.door.exchanges[-1].invocation
    assert invocation is not None and invocation.outcome == "abandoned"


def test_a_second_caller_cannot_continue_the_first_callers_streamed_session(served: Served) -> None:
    # GIVEN alice's streamed session
    session = "s" * 40
    assert call(served.door.stage_url + "/invoke", json={"prompt": "secret", "sessionId": session}).status == 200
    # WHEN bob sends her session id
    answer = call(served.door.stage_url + "/invoke", json={"prompt": "echo", "sessionId": session}, caller="bob")
    # THEN his stream ran in a runtime session of his own, as his first turn
    alice_call, bob_call = served.harness.agentcore.invocations()
    assert bob_call.session_id != alice_call.session_id
    assert answer.json()["turn"] == 1 and bob_call.user_id == "iam:" + BOB.user_arn


def test_a_missing_setting_is_reported_as_the_init_error_of_the_streaming_runtime(served: Served) -> None:
    # GIVEN the streaming proxy started without one of the settings its facade sets
    door = served.harness.rest_api(served.facade.api, default_caller=ALICE, overrides={"MAX_REQUEST_BYTES": ""})
    # WHEN a client posts a prompt
    answer = call(door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN the runtime reported an init error naming the variable, and API Gateway answered 502
    invocation = door.exchanges[-1].invocation
    assert invocation is not None and invocation.outcome == "error" and invocation.error is not None
    assert invocation.error["errorType"] == "Runtime.ConfigurationError"
    assert "MAX_REQUEST_BYTES" in invocation.error["errorMessage"]
    assert answer.status == 502
