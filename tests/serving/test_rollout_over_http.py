"""Rollout routing over real HTTP: callers through the REST and WebSocket front doors to the proxies, run from their
synthesized assets, which assign each new runtime session to the stable or the candidate endpoint by weight (the
switch in moto's SSM, the session records in moto's DynamoDB) and keep it there; the AgentCore stand-in records the
qualifier of every call. The rollback function runs from its asset against the same SSM parameter."""

from __future__ import annotations

import math
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import aws_cdk as cdk
import pytest

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent.rollout import AgentRollout
from constructs_lib.handlers import contract
from constructs_lib.planning.agent_plan import WorkloadProfile
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.websocket_facade import AgentWebSocketFacade
from tests.conftest import ENV
from tests.harness.agent_script import Script
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import Response, call
from tests.harness.rest_front_door import RestFrontDoor
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(240)
ALICE = IamCaller.assumed_role("web-app", "alice")
CALLERS = {"alice": ALICE}
WEIGHT = 10
#: A switch cache short enough for tests of the switch (the template's value is the contract's).
SHORT_CACHE_SECONDS = 1.0
SHORT_CACHE = {contract.ENV_ROLLOUT_SWITCH_CACHE_SECONDS: f"{SHORT_CACHE_SECONDS:g}"}
#: How many new sessions the split is measured over, and the tolerance of the candidate's share in points: the share
#: of n sessions at 10% has a standard deviation of sqrt(0.1 * 0.9 / n), 0.67 points at 2,000; 3 points is 4.5 of it.
#: The client session ids are drawn from a seeded generator, so the measured share is the same on every run.
SESSIONS = 2000
TOLERANCE_POINTS = 3.0
SEED = 14


@dataclass
class Served:
    harness: Harness
    door: RestFrontDoor
    stream: RestFrontDoor
    agent: AgentCoreAgent
    facade: AgentApiFacade
    websocket: AgentWebSocketFacade

    @property
    def parameter(self) -> str:
        assert self.agent.rollout_control is not None
        return self.harness.physical_name(self.agent.rollout_control.switch)

    def set_switch(self, value: str) -> None:
        self.harness.moto.client("ssm").put_parameter(Name=self.parameter, Value=value, Type="String", Overwrite=True)

    def switch(self) -> str:
        return str(self.harness.moto.client("ssm").get_parameter(Name=self.parameter)["Parameter"]["Value"])


@pytest.fixture(scope="module")
def served(harness_for: Callable[..., Harness]) -> Served:
    stack = cdk.Stack(cdk.App(), "RolloutSplit", env=ENV)
    agent = make_agent(stack, runtime_name="split_agent",
                       workload=WorkloadProfile(longest_task=cdk.Duration.seconds(20)),
                       rollout=AgentRollout(stable="prod", stable_version="3", candidate="canary",
                                            candidate_weight=WEIGHT))
    facade = AgentApiFacade(stack, "Api", agent=agent, jobs=True)
    streamed = AgentApiFacade(stack, "Stream", agent=agent, streaming=True)
    websocket = AgentWebSocketFacade(stack, "Chat", agent=agent)
    harness = harness_for(stack)
    door = harness.rest_api(facade.api, callers=CALLERS, overrides=SHORT_CACHE)
    stream = harness.rest_api(streamed.api, callers=CALLERS, overrides=SHORT_CACHE)
    return Served(harness, door, stream, agent, facade, websocket)


@pytest.fixture(autouse=True)
def fresh(served: Served) -> None:
    served.harness.reset()
    if served.switch() != contract.ROLLOUT_SWITCH_AUTO:  # a test forced it: back to auto, seen by every proxy
        served.set_switch(contract.ROLLOUT_SWITCH_AUTO)
        time.sleep(SHORT_CACHE_SECONDS + 0.2)


def new_session() -> str:
    return secrets.token_hex(20)


def invoke(door: RestFrontDoor, session: str) -> Response:
    answer = call(door.stage_url + "/invoke", json={"prompt": "hi", "sessionId": session}, caller="alice")
    assert answer.status == 200, answer.body
    return answer


def qualifiers(served: Served) -> list[str | None]:
    return [c.qualifier for c in served.harness.agentcore.invocations()]


@pytest.mark.timeout(600)  # 2,200 requests through the front door: about a minute alone, more on a loaded machine
def test_new_sessions_are_split_by_weight_and_each_stays_on_its_endpoint(served: Served) -> None:
    # GIVEN a rollout sending 10% of new sessions to the candidate
    draw = random.Random(SEED)
    sessions = [f"{draw.getrandbits(160):040x}" for _ in range(SESSIONS)]
    # WHEN 2,000 new sessions each send a prompt through the REST front door
    for session in sessions:
        invoke(served.door, session)
    first = qualifiers(served)
    # THEN every call went to one of the rollout's endpoints, and the candidate's share is 10% within 3 points
    counts = Counter(first)
    assert set(counts) == {"prod", "canary"}
    share = 100.0 * counts["canary"] / SESSIONS
    assert math.isclose(share, WEIGHT, abs_tol=TOLERANCE_POINTS), counts
    # AND a second turn of 200 of them lands on the endpoint the session started on
    served.harness.agentcore.reset()
    for session in sessions[:200]:
        invoke(served.door, session)
    assert qualifiers(served) == first[:200]


def sessions_on(served: Served, door: RestFrontDoor, endpoint: str, count: int) -> list[str]:
    """``count`` sessions started through ``door`` that landed on ``endpoint`` (new sessions until enough did)."""
    found: list[str] = []
    for _ in range(40 * count):
        session = new_session()
        invoke(door, session)
        if served.harness.agentcore.invocations()[-1].qualifier == endpoint:
            found.append(session)
            if len(found) == count:
                return found
    raise AssertionError(f"no {count} sessions landed on {endpoint}")


def new_sessions_until(served: Served, door: RestFrontDoor, endpoint: str, deadline: float) -> float:
    """Start new sessions until 20 in a row land on ``endpoint``; the time the first of them started."""
    streak_started, streak = 0.0, 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        invoke(door, new_session())
        if served.harness.agentcore.invocations()[-1].qualifier == endpoint:
            streak_started, streak = (started, streak + 1) if streak == 0 else (streak_started, streak + 1)
            if streak == 20:
                return streak_started
        else:
            streak = 0
    raise AssertionError(f"new sessions never all went to {endpoint}")


@pytest.mark.parametrize(("switch", "endpoint", "other"), [
    (contract.ROLLOUT_SWITCH_STABLE, "prod", "canary"),
    (contract.ROLLOUT_SWITCH_CANDIDATE, "canary", "prod"),
])
def test_an_operator_forces_new_sessions_either_way_within_the_cache_time_and_live_sessions_stay(
    served: Served, switch: str, endpoint: str, other: str
) -> None:
    # GIVEN sessions that started on the endpoint the operator forces away from
    live = sessions_on(served, served.door, other, 3)
    # WHEN the operator sets the switch
    changed = time.monotonic()
    served.set_switch(switch)
    # THEN within the cache time every new session lands on the forced endpoint
    first_compliant = new_sessions_until(served, served.door, endpoint, changed + 10 * SHORT_CACHE_SECONDS)
    assert first_compliant - changed <= SHORT_CACHE_SECONDS + 0.5
    # AND the sessions that were live stay where they started
    served.harness.agentcore.reset()
    for session in live:
        invoke(served.door, session)
    assert qualifiers(served) == [other] * len(live)
    # AND back on auto, new sessions follow the deployed weight again (both endpoints)
    served.set_switch(contract.ROLLOUT_SWITCH_AUTO)
    time.sleep(SHORT_CACHE_SECONDS + 0.2)
    served.harness.agentcore.reset()
    for _ in range(60):
        invoke(served.door, new_session())
    assert set(qualifiers(served)) == {"prod", "canary"}


def test_a_weight_override_in_the_switch_replaces_the_deployed_weight(served: Served) -> None:
    # WHEN the operator sets the switch to a weight of 50
    served.set_switch("50")
    time.sleep(SHORT_CACHE_SECONDS + 0.2)
    for _ in range(200):
        invoke(served.door, new_session())
    # THEN about half of the new sessions land on the candidate (200 sessions: 3.5 points of deviation; 15 is 4.2 of it)
    share = 100.0 * qualifiers(served).count("canary") / 200
    assert math.isclose(share, 50, abs_tol=15), share


def alarm_event(state: str, alarm: str = "candidate-errors") -> dict[str, object]:
    return {
        "version": "0", "id": secrets.token_hex(8), "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch", "account": ENV.account, "region": ENV.region,
        "resources": [f"arn:aws:cloudwatch:{ENV.region}:{ENV.account}:alarm:{alarm}"],
        "detail": {"alarmName": alarm, "state": {"value": state, "reason": "Threshold Crossed"},
                   "previousState": {"value": "OK"}},
    }


def test_the_rollback_function_moves_new_sessions_to_stable_within_the_cache_time(served: Served) -> None:
    control = served.agent.rollout_control
    assert control is not None and control.rollback_function is not None
    rollback = served.harness.sandbox(control.rollback_function)
    # GIVEN a session live on the candidate
    (live,) = sessions_on(served, served.door, "canary", 1)
    # WHEN an alarm returns to OK, nothing changes
    assert rollback.invoke(alarm_event("OK")).json() == {"rolledBack": False, "alarm": "candidate-errors"}
    assert served.switch() == contract.ROLLOUT_SWITCH_AUTO
    # WHEN a candidate alarm enters ALARM (twice: EventBridge delivers at least once)
    changed = time.monotonic()
    for _ in range(2):
        assert rollback.invoke(alarm_event("ALARM")).json() == {"rolledBack": True, "alarm": "candidate-errors"}
    # THEN the switch says stable, and within the cache time every new session lands on the stable endpoint
    assert served.switch() == contract.ROLLOUT_SWITCH_STABLE
    first_compliant = new_sessions_until(served, served.door, "prod", changed + 10 * SHORT_CACHE_SECONDS)
    assert first_compliant - changed <= SHORT_CACHE_SECONDS + 0.5
    # AND the session live on the candidate finishes there
    served.harness.agentcore.reset()
    invoke(served.door, live)
    assert qualifiers(served) == ["canary"]


def test_jobs_and_the_websocket_front_door_use_the_endpoint_the_session_started_on(served: Served) -> None:
    # GIVEN alice's session, started on the candidate through POST /invoke
    (session,) = sessions_on(served, served.door, "canary", 1)
    served.harness.agentcore.reset()
    # WHEN she starts a job in it, and cancels it
    started = call(served.door.stage_url + "/jobs", json={"prompt": "work", "sessionId": session}, caller="alice")
    assert started.status == 202, started.body
    cancelled = call(served.door.stage_url + f"/jobs/{started.json()['jobId']}", method="DELETE", caller="alice")
    assert cancelled.status == 200, cancelled.body
    # AND she continues it over the WebSocket API, then disconnects
    driver = served.harness.websocket_api(served.websocket.api, overrides=SHORT_CACHE)
    client = driver.connect(ALICE, query={"sessionId": session})
    assert client.send({"payload": {"prompt": "more"}}).status == 202
    assert client.wait_for_answer()[-1].json()["type"] == "end"
    client.close()
    # THEN the job's invocation, its stop, the WebSocket message and the stop at disconnect all used the candidate
    calls = served.harness.agentcore.wait_for_calls(4)
    assert [(c.operation, c.qualifier) for c in calls] == [
        ("InvokeAgentRuntime", "canary"), ("StopRuntimeSession", "canary"),
        ("InvokeAgentRuntime", "canary"), ("StopRuntimeSession", "canary")]
    assert len({c.session_id for c in calls}) == 1


def test_a_streamed_turn_and_its_abandoned_stream_use_the_endpoint_the_session_started_on(served: Served) -> None:
    # GIVEN alice's session, started on the candidate through the buffered API
    (session,) = sessions_on(served, served.door, "canary", 1)
    served.harness.agentcore.reset()
    # WHEN she streams a turn of it through the streaming API, and hangs up after the first event
    served.harness.agentcore.enqueue(Script.sse([f"event {i}" for i in range(10)], interval=0.2))
    answer = call(served.stream.stage_url + "/invoke", json={"prompt": "tell me", "sessionId": session},
                  caller="alice", hang_up_after=1)
    assert not answer.complete
    # THEN the stream ran on the candidate, and the proxy stopped the session there
    deadline = time.monotonic() + 5
    while not served.harness.agentcore.stops() and time.monotonic() < deadline:
        time.sleep(0.05)
    calls = served.harness.agentcore.calls
    assert [(c.operation, c.qualifier) for c in calls] == [
        ("InvokeAgentRuntime", "canary"), ("StopRuntimeSession", "canary")]
