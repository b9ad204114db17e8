"""The streaming REST facade over real HTTP: the proxy started by its exec wrapper from the synthesized asset,
its runtime loop posting to the Lambda Runtime API peer, the front door forwarding each chunk to the client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aws_cdk as cdk
import pytest

from constructs_lib.planning.agent_plan import WorkloadProfile
from constructs_lib.serving.api_facade import AgentApiFacade
from tests.conftest import ENV
from tests.harness.agent_script import Chunk, Pause, Script
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import call
from tests.harness.known_issues import issue_10
from tests.harness.rest_front_door import RestFrontDoor
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(60)
INTERVAL = 0.2


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
    door = harness.rest_api(facade.api, default_caller=IamCaller.assumed_role("web-app", "alice"))
    return Served(harness, door, facade)


@pytest.fixture(autouse=True)
def fresh(served: Served) -> None:
    served.harness.reset()


def test_the_function_runs_under_its_exec_wrapper_from_the_asset(served: Served) -> None:
    # GIVEN the synthesized proxy function
    sandbox = served.door.functions[next(iter(served.door.functions))]
    # THEN its asset holds exactly the proxy's modules and the wrapper the template names
    assert sandbox.spec.files() == ["contract.py", "invoke_proxy.py", "invoke_proxy_stream.sh", "staging_urls.py"]
    assert sandbox.spec.exec_wrapper == "/var/task/invoke_proxy_stream.sh"
    # AND the sandbox starts that wrapper (an adapted copy) with the managed runtime's command
    assert sandbox.command[0] == "/bin/sh" and sandbox.command[1].endswith("/invoke_proxy_stream.sh")
    assert sandbox.command[-3:] == ["-m", "awslambdaric", "invoke_proxy.handler"]


def test_a_slow_stream_reaches_the_client_chunk_by_chunk(served: Served) -> None:
    # GIVEN an agent streaming three events, INTERVAL seconds apart
    served.harness.agentcore.enqueue(Script.sse(["one", "two", "three"], interval=INTERVAL))
    # WHEN a client posts a prompt
    answer = call(served.door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN it gets the whole event stream with the agent's content type
    assert answer.status == 200 and answer.complete
    assert answer.headers["content-type"] == "text/event-stream"
    assert answer.body == b"data: one\n\ndata: two\n\ndata: three\n\n"
    # AND it held the first event before the agent had written the last one
    (agent_call,) = served.harness.agentcore.invocations()
    first_at, first = answer.pieces[0]
    assert first.startswith(b"data: one") and b"three" not in first
    assert first_at < agent_call.chunk_times[-1]
    assert answer.pieces[-1][0] - first_at >= 2 * INTERVAL * 0.9


def test_a_stream_broken_mid_way_is_cut_for_the_client_and_reported_to_lambda(served: Served) -> None:
    # GIVEN an agent whose connection breaks after its first event
    served.harness.agentcore.enqueue(Script.sse(["one"]).then_cut())
    # WHEN a client posts a prompt
    answer = call(served.door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN the client got the first event and then a truncated body (no last chunk)
    assert answer.status == 200
    assert answer.body == b"data: one\n\n"
    assert not answer.complete
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


def test_the_front_door_cuts_a_stream_idle_longer_than_its_idle_timeout(served: Served) -> None:
    # GIVEN a front door whose stream idle timeout is 0.5 s, and an agent silent for 1.5 s after one event
    door = served.harness.rest_api(served.facade.api, default_caller=IamCaller.assumed_role("web-app", "alice"),
                                   stream_idle_timeout=0.5)
    served.harness.agentcore.enqueue(Script.stream([b"data: one\n\n", Pause(1.5), Chunk(b"data: two\n\n")]))
    # WHEN a client posts a prompt
    answer = call(door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN the client got the first event, then the connection was cut at the idle timeout
    assert answer.status == 200 and not answer.complete
    assert answer.body == b"data: one\n\n"
    assert door.exchanges[-1].cut


@issue_10("REST streaming ignores the Lambda deadline (the function is killed mid-stream instead of "
          "ending with an error trailer)")
def test_a_stream_still_running_at_the_lambda_deadline_ends_with_an_error_before_it(served: Served) -> None:
    # GIVEN a function with a 1 s deadline, and an agent that sends one event and then stays silent
    door = served.harness.rest_api(served.facade.api, default_caller=IamCaller.assumed_role("web-app", "alice"),
                                   timeout_seconds=1)
    served.harness.agentcore.enqueue(Script.stream([b"data: one\n\n", Pause(10)]))
    # WHEN a client posts a prompt
    call(door.stage_url + "/invoke", json={"prompt": "tell me"})
    # THEN the proxy ended the stream itself, with an error in its trailers, before Lambda had to kill it
    invocation = door.exchanges[-1].invocation
    assert invocation is not None
    assert invocation.outcome == "streamed", invocation.error
    assert invocation.stream_error is not None
