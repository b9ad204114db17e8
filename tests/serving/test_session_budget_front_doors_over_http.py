"""The session budget on the other front doors, over real HTTP: the WebSocket proxy's ``$connect`` admits a
connection's session within the caps and ``$disconnect`` releases it; the REST facade's job API admits job sessions
(which idle between requests without being stopped) and a cancelled job frees its caller's slot; the streamed
``POST /invoke`` refuses a caller over its cap before the stream starts. Proxies from their synthesized assets, the
registry in moto's DynamoDB server, the loopback AgentCore stand-in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent.session_budget import SessionBudget
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.websocket_facade import AgentWebSocketFacade
from tests.conftest import ENV
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import call
from tests.harness.rest_front_door import RestFrontDoor
from tests.harness.websocket_driver import ConnectionRefused, WebSocketDriver
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(90)
ALICE = IamCaller.assumed_role("chat-app", "alice")
BOB = IamCaller.assumed_role("chat-app", "bob")
CALLERS = {"alice": ALICE, "bob": BOB}


@dataclass
class Served:
    harness: Harness
    driver: WebSocketDriver
    jobs_door: RestFrontDoor
    stream_door: RestFrontDoor
    chat: AgentCoreAgent
    research: AgentCoreAgent
    streamer: AgentCoreAgent

    def live(self, agent: AgentCoreAgent) -> dict[str, dict[str, Any]]:
        assert agent.session_guard is not None
        table = self.harness.physical_name(agent.session_guard.table)
        items = self.harness.moto.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]
        return {i["sessionId"]["S"]: i for i in items if "live" in i}

    def clear(self, agent: AgentCoreAgent) -> None:
        assert agent.session_guard is not None
        table = self.harness.physical_name(agent.session_guard.table)
        dynamodb = self.harness.moto.client("dynamodb")
        for item in dynamodb.scan(TableName=table)["Items"]:
            dynamodb.delete_item(TableName=table, Key={"sessionId": item["sessionId"]})


@pytest.fixture(scope="module")
def served(harness_for: Callable[..., Harness]) -> Served:
    stack = cdk.Stack(cdk.App(), "BudgetDoors", env=ENV)
    budget = SessionBudget(max_session_duration=cdk.Duration.hours(3), max_idle=cdk.Duration.minutes(5),
                           max_sessions_per_caller=1)
    chat = make_agent(stack, "Chat", runtime_name="chat_agent", session_budget=budget,
                      workload=WorkloadProfile(longest_task=cdk.Duration.minutes(1)))
    chat_facade = AgentWebSocketFacade(stack, "ChatApi", agent=chat)
    research = make_agent(stack, "Research", runtime_name="research_agent", session_budget=budget,
                          workload=WorkloadProfile(longest_task=cdk.Duration.hours(2)))
    jobs_facade = AgentApiFacade(stack, "ResearchApi", agent=research)
    assert jobs_facade.jobs_enabled
    streamer = make_agent(stack, "Streamer", runtime_name="stream_agent", session_budget=budget)
    stream_facade = AgentApiFacade(stack, "StreamApi", agent=streamer, streaming=True)
    harness = harness_for(stack)
    return Served(harness, harness.websocket_api(chat_facade.api), harness.rest_api(jobs_facade.api, callers=CALLERS),
                  harness.rest_api(stream_facade.api, callers=CALLERS), chat, research, streamer)


@pytest.fixture(autouse=True)
def fresh(served: Served) -> None:
    served.harness.reset()
    served.clear(served.chat)
    served.clear(served.research)
    served.clear(served.streamer)


def test_a_websocket_caller_over_its_cap_is_refused_at_connect_while_another_connects(served: Served) -> None:
    # GIVEN alice connected once (her cap)
    first = served.driver.connect(ALICE)
    assert len(served.live(served.chat)) == 1
    # WHEN she opens a second connection, for another session
    with pytest.raises(ConnectionRefused) as refused:
        served.driver.connect(ALICE, query={"sessionId": "another-client-session-0123456789abc"})
    # THEN $connect answered 429 and bob, another caller, still connects
    assert refused.value.result.status == 429
    bob = served.driver.connect(BOB)
    assert len(served.live(served.chat)) == 2
    # AND when alice disconnects, her session is stopped and released: she may connect again
    first.close()
    assert len(served.harness.agentcore.stops()) == 1
    assert len(served.live(served.chat)) == 1
    served.driver.connect(ALICE, query={"sessionId": "another-client-session-0123456789abc"}).close()
    bob.close()


def test_a_job_session_is_registered_as_a_job_and_counts_against_its_callers_cap(served: Served) -> None:
    # WHEN alice starts a job
    started = call(served.jobs_door.stage_url + "/jobs", json={"prompt": "research"}, caller="alice")
    assert started.status == 202, started.body
    # THEN its session is registered as a job's (the sweeper does not stop it for idling between polls)
    (session,) = served.live(served.research).values()
    assert session["job"] == {"BOOL": True}
    # AND a second job of hers, in another session, is over her cap
    second = call(served.jobs_door.stage_url + "/jobs", json={"prompt": "more", "sessionId": "x" * 40},
                  caller="alice")
    assert (second.status, second.json()["error"]) == (429, "CallerSessionLimitReached")
    # AND cancelling the first stops its session and frees her slot
    job_id = started.json()["jobId"]
    assert call(served.jobs_door.stage_url + f"/jobs/{job_id}", method="DELETE", caller="alice").status == 200
    assert served.live(served.research) == {}
    assert call(served.jobs_door.stage_url + "/jobs", json={"prompt": "more", "sessionId": "x" * 40},
                caller="alice").status == 202


def test_a_streamed_invoke_over_the_callers_cap_is_refused_before_the_stream_starts(served: Served) -> None:
    # GIVEN alice streaming in one session (her cap)
    first = call(served.stream_door.stage_url + "/invoke", json={"prompt": "tell me"}, caller="alice")
    assert first.status == 200, first.body
    # WHEN she streams in another session
    second = call(served.stream_door.stage_url + "/invoke", json={"prompt": "more", "sessionId": "y" * 40},
                  caller="alice")
    # THEN the stream's status is 429 with the stable code, and the agent saw one invocation only
    assert (second.status, second.json()["error"]) == (429, "CallerSessionLimitReached")
    assert len(served.harness.agentcore.invocations()) == 1
    # AND bob streams
    assert call(served.stream_door.stage_url + "/invoke", json={"prompt": "hi"}, caller="bob").status == 200
