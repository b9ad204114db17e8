"""The session budget over real HTTP: the REST proxy from its synthesized asset admits sessions through the agent's
session registry in moto's DynamoDB server (caps per caller and per agent, two concurrent requests at the cap), and the
sweeper, also from its asset, stops sessions over their duration or idle budget at the loopback AgentCore stand-in,
once each across overlapping sweeps, retrying throttled stops through botocore."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from moto.dynamodb.models import DynamoDBBackend

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent.session_budget import SessionBudget, SessionGuard
from constructs_lib.handlers.session_budget import AGENT_COUNTER, CALLER_COUNTER_PREFIX, caller_hash
from constructs_lib.serving.api_facade import AgentApiFacade
from tests.conftest import ENV
from tests.harness.agent_script import Script
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import Response, call
from tests.harness.rest_front_door import RestFrontDoor
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(90)
CALLERS = {
    "alice": IamCaller.assumed_role("web-app", "alice"),
    "bob": IamCaller.assumed_role("web-app", "bob"),
}
PER_CALLER = 2
HOUR = 3600


@pytest.fixture(scope="module", autouse=True)
def serializable_dynamodb() -> Iterator[None]:
    """moto checks a condition and writes without a lock, so two threads of its server can interleave between the
    check and the write; DynamoDB runs each conditional write and each transaction serializably. Serialize moto's
    writes the same way (its server runs in this process) so the test exercises the proxy's scheme, not moto's race."""
    lock = threading.RLock()
    originals = {name: getattr(DynamoDBBackend, name) for name in ("transact_write_items", "update_item", "put_item")}

    def serialized(original: Callable[..., Any]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return original(*args, **kwargs)
        return write

    for name, original in originals.items():
        setattr(DynamoDBBackend, name, serialized(original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(DynamoDBBackend, name, original)


@dataclass
class Served:
    harness: Harness
    door: RestFrontDoor
    twin: RestFrontDoor
    agent: AgentCoreAgent

    @property
    def guard(self) -> SessionGuard:
        assert self.agent.session_guard is not None
        return self.agent.session_guard

    @property
    def table(self) -> str:
        return self.harness.physical_name(self.guard.table)

    def dynamodb(self) -> Any:
        return self.harness.moto.client("dynamodb")

    def item(self, key: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.dynamodb().get_item(
            TableName=self.table, Key={"sessionId": {"S": key}}, ConsistentRead=True).get("Item")
        return found

    def live_sessions(self) -> dict[str, dict[str, Any]]:
        items = self.dynamodb().scan(TableName=self.table, ConsistentRead=True)["Items"]
        return {i["sessionId"]["S"]: i for i in items if "live" in i}

    def count(self, key: str) -> int:
        item = self.item(key)
        return 0 if item is None else int(item["sessions"]["N"])

    def age(self, session_id: str, *, started: int = 0, idle: int = 0) -> None:
        """Time passes for one session: its start and last activity move into the past."""
        item = self.item(session_id)
        assert item is not None
        self.dynamodb().update_item(
            TableName=self.table, Key={"sessionId": {"S": session_id}},
            UpdateExpression="SET startedAt = :s, lastActivity = :a",
            ExpressionAttributeValues={":s": {"N": str(int(item["startedAt"]["N"]) - started)},
                                       ":a": {"N": str(int(item["lastActivity"]["N"]) - idle)}})

    def sweeper(self, name: str = "a") -> Any:
        """The sweeper's execution environment ``name`` (two overlapping sweeps run in two)."""
        return self.harness.sandbox(self.guard.sweeper, overrides={"POWERTOOLS_SERVICE_NAME": f"sweep-{name}"})

    def sweep(self, name: str = "a") -> Any:
        return sweep_in(self.sweeper(name))


def sweep_in(sandbox: Any) -> Any:
    """One scheduled invocation of the sweeper in ``sandbox``."""
    return sandbox.invoke({"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}})


@pytest.fixture(scope="module")
def served(harness_for: Callable[..., Harness]) -> Served:
    stack = cdk.Stack(cdk.App(), "Budget", env=ENV)
    agent = make_agent(stack, runtime_name="budget_agent", session_budget=SessionBudget(
        max_session_duration=cdk.Duration.hours(1), max_idle=cdk.Duration.minutes(10),
        max_sessions_per_caller=PER_CALLER, max_sessions=50))
    facade = AgentApiFacade(stack, "Api", agent=agent)
    harness = harness_for(stack)
    door = harness.rest_api(facade.api, callers=CALLERS)
    # A second execution environment of the same proxy (Lambda runs concurrent requests in separate ones).
    twin = harness.rest_api(facade.api, callers=CALLERS, overrides={"POWERTOOLS_SERVICE_NAME": "agent-api-twin"})
    return Served(harness, door, twin, agent)


@pytest.fixture(autouse=True)
def fresh(served: Served) -> None:
    served.harness.reset()
    dynamodb = served.dynamodb()
    for item in dynamodb.scan(TableName=served.table)["Items"]:
        dynamodb.delete_item(TableName=served.table, Key={"sessionId": item["sessionId"]})


def invoke(door: RestFrontDoor, caller: str, session: str) -> Response:
    return call(door.stage_url + "/invoke", json={"prompt": "hi", "sessionId": session}, caller=caller)


def session_id(n: int) -> str:
    return f"client-session-{n:020d}-abcdefghijk"


def alice_counter() -> str:
    return CALLER_COUNTER_PREFIX + caller_hash("iam:" + CALLERS["alice"].user_arn)  # type: ignore[attr-defined]


def test_a_caller_over_its_cap_is_refused_while_another_caller_passes(served: Served) -> None:
    # GIVEN alice holds as many sessions as the budget allows one caller
    for n in range(PER_CALLER):
        assert invoke(served.door, "alice", session_id(n)).status == 200
    # WHEN she starts one more
    refused = invoke(served.door, "alice", session_id(99))
    # THEN it is refused with 429 and the stable code, with a Retry-After, and never reaches the agent
    assert refused.status == 429, refused.body
    assert refused.json()["error"] == "CallerSessionLimitReached"
    assert int(refused.headers["retry-after"]) > 0
    assert len(served.harness.agentcore.invocations()) == PER_CALLER
    # AND her live sessions still answer (their activity moves on, nothing is counted twice)
    assert invoke(served.door, "alice", session_id(0)).status == 200
    assert served.count(alice_counter()) == PER_CALLER
    # AND bob, another caller, passes
    assert invoke(served.door, "bob", session_id(99)).status == 200
    assert served.count(AGENT_COUNTER) == PER_CALLER + 1


def test_two_concurrent_requests_at_one_below_the_cap_let_exactly_one_session_in(served: Served) -> None:
    # GIVEN alice at one session below her cap
    for n in range(PER_CALLER - 1):
        assert invoke(served.door, "alice", session_id(n)).status == 200
    # WHEN two requests for two new sessions arrive at the same moment, in two execution environments
    start = threading.Barrier(2)
    answers: dict[str, Response] = {}

    def send(name: str, door: RestFrontDoor, session: str) -> None:
        start.wait(timeout=10)
        answers[name] = invoke(door, "alice", session)

    threads = [threading.Thread(target=send, args=("a", served.door, session_id(50))),
               threading.Thread(target=send, args=("b", served.twin, session_id(51)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # THEN exactly one passes and the other is refused over the cap
    statuses = sorted(answer.status for answer in answers.values())
    assert statuses == [200, 429], {k: (v.status, v.body) for k, v in answers.items()}
    assert served.count(alice_counter()) == PER_CALLER
    assert len(served.live_sessions()) == PER_CALLER


def test_sessions_over_duration_or_idle_are_stopped_exactly_once_across_two_overlapping_sweeps(served: Served) -> None:
    # GIVEN four registered sessions: one over its duration, one idle too long, one fresh, one that is a job's
    for n, caller in ((1, "alice"), (2, "alice"), (3, "bob"), (4, "bob")):
        assert invoke(served.door, caller, session_id(n)).status == 200
    live = served.live_sessions()
    assert {c.session_id for c in served.harness.agentcore.invocations()} == set(live)
    over_duration, idle, fresh = (str(c.session_id) for c in served.harness.agentcore.invocations()[:3])
    served.age(over_duration, started=HOUR + 60)
    served.age(idle, idle=10 * 60 + 30)
    # WHEN two sweeps run at the same time, in two execution environments
    results: dict[str, Any] = {}
    sandboxes = {name: served.sweeper(name) for name in ("a", "b")}
    start = threading.Barrier(2)

    def sweep(name: str) -> None:
        start.wait(timeout=10)
        results[name] = sweep_in(sandboxes[name]).json()

    threads = [threading.Thread(target=sweep, args=(name,)) for name in sandboxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # THEN AgentCore saw one StopRuntimeSession for each session over budget, and none for the fresh ones
    stops = [str(c.session_id) for c in served.harness.agentcore.stops()]
    assert sorted(stops) == sorted([over_duration, idle]), stops
    assert sum(r["stopped"] for r in results.values()) == 2
    # AND both left the registry's live sessions and their callers' counts, once
    assert set(served.live_sessions()) == set(live) - {over_duration, idle}
    assert served.item(over_duration)["endReason"] == {"S": "stopped-duration"}  # type: ignore[index]
    assert served.item(idle)["endReason"] == {"S": "stopped-idle"}  # type: ignore[index]
    assert served.count(alice_counter()) == 0
    assert served.count(AGENT_COUNTER) == 2
    assert fresh in served.live_sessions()
    # AND a third sweep stops nothing more
    assert served.sweep("a").json()["stopped"] == 0
    assert len(served.harness.agentcore.stops()) == 2


def test_a_throttled_stop_is_retried_by_botocore_and_the_session_stopped_once(served: Served) -> None:
    # GIVEN a session over its duration, and AgentCore throttling the first stop
    assert invoke(served.door, "alice", session_id(7)).status == 200
    (session,) = served.live_sessions()
    served.age(session, started=HOUR + 60)
    served.harness.agentcore.enqueue_stop(Script.error("ThrottlingException"))
    # WHEN the sweeper runs
    result = served.sweep().json()
    # THEN botocore retried the stop, which succeeded: one session stopped, released once
    stops = served.harness.agentcore.stops()
    assert [c.outcome for c in stops] == ["error:ThrottlingException", "answered"]
    assert {c.session_id for c in stops} == {session}
    assert result["stopped"] == 1 and served.live_sessions() == {}
    assert served.count(alice_counter()) == 0


def test_a_session_stopped_by_its_budget_starts_again_within_the_caps(served: Served) -> None:
    # GIVEN alice's session stopped by the sweeper for idling
    assert invoke(served.door, "alice", session_id(8)).status == 200
    (session,) = served.live_sessions()
    served.age(session, idle=11 * 60)
    assert served.sweep().json()["stopped"] == 1
    # WHEN she sends to the same client session again
    again = invoke(served.door, "alice", session_id(8))
    # THEN it is a new session of hers, counted again
    assert again.status == 200
    assert set(served.live_sessions()) == {session}
    assert served.count(alice_counter()) == 1
