"""The WebSocket facade over real HTTP: ``$connect``, ``$default`` and ``$disconnect`` events from the driver to
the proxy run from its synthesized asset, its frames collected by the management API stand-in, its
connection records in moto's DynamoDB, upload URLs signed for moto's S3."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.planning.agent_plan import WorkloadProfile
from constructs_lib.serving.payload_staging import PayloadStaging
from constructs_lib.serving.websocket_facade import AgentWebSocketFacade
from tests.conftest import ENV
from tests.harness.agent_script import Script
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.known_issues import issue_10
from tests.harness.websocket_driver import ConnectionRefused, WebSocketDriver
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(60)
ALICE = IamCaller.assumed_role("chat-app", "alice")
INTERVAL = 0.2


@dataclass
class Served:
    harness: Harness
    driver: WebSocketDriver
    agent: AgentCoreAgent
    facade: AgentWebSocketFacade
    staging: PayloadStaging

    def record(self, connection_id: str) -> Any:
        table = self.harness.physical_name(self.facade.connections_table)
        found = self.harness.moto.client("dynamodb").get_item(
            TableName=table, Key={"connectionId": {"S": connection_id}})
        return found.get("Item")


@pytest.fixture(scope="module")
def served(harness_for: Callable[..., Harness]) -> Served:
    stack = cdk.Stack(cdk.App(), "WebSocketChat", env=ENV)
    staging = PayloadStaging(stack, "Staging")
    agent = make_agent(stack, runtime_name="chat_agent", workload=WorkloadProfile(longest_task=cdk.Duration.minutes(1)))
    facade = AgentWebSocketFacade(stack, "Chat", agent=agent, staging=staging)
    harness = harness_for(stack)
    return Served(harness, harness.websocket_api(facade.api), agent, facade, staging)


@pytest.fixture(autouse=True)
def fresh(served: Served) -> None:
    served.harness.reset()


def test_connect_records_the_connection_with_its_session_and_principal(served: Served) -> None:
    # WHEN alice connects with her own session id
    client = served.driver.connect(ALICE, query={"sessionId": "s" * 40})
    # THEN the connection is recorded with that session, her principal and an expiry
    record = served.record(client.connection_id)
    assert record is not None
    assert record["sessionId"] == {"S": "s" * 40}
    assert record["principal"] == {"S": ALICE.user_arn}
    assert int(record["expiresAt"]["N"]) > int(record["connectedAt"]["N"])


def test_an_invalid_session_id_refuses_the_connection(served: Served) -> None:
    # WHEN a client connects with a session id AgentCore would not accept
    with pytest.raises(ConnectionRefused) as refused:
        served.driver.connect(ALICE, query={"sessionId": "short"})
    # THEN $connect answered 400 and nothing was recorded
    assert refused.value.result.status == 400


def test_a_message_is_answered_in_chunk_frames_and_an_end_frame(served: Served) -> None:
    # GIVEN alice's connection
    client = served.driver.connect(ALICE)
    # WHEN she sends a message
    result = client.send({"payload": {"prompt": "hello"}})
    # THEN the agent got her payload in the connection's session
    assert result.status == 200
    (agent_call,) = served.harness.agentcore.invocations()
    assert agent_call.json() == {"prompt": "hello"}
    assert agent_call.session_id == served.record(client.connection_id)["sessionId"]["S"]
    # AND the answer came back as chunk frames, then an end frame naming the session
    frames = [f.json() for f in client.frames()]
    assert [f["type"] for f in frames] == ["chunk"] * (len(frames) - 1) + ["end"]
    text = "".join(f["data"] for f in frames[:-1])
    assert '"received": {"prompt": "hello"}' in text
    assert frames[-1] == {"type": "end", "seq": len(frames) - 1, "sessionId": agent_call.session_id,
                          "contentType": "application/json"}


def test_throttling_is_a_retryable_error_frame(served: Served) -> None:
    # GIVEN AgentCore throttling the call
    served.harness.agentcore.enqueue(Script.error("ThrottlingException"))
    client = served.driver.connect(ALICE)
    # WHEN a message is sent
    result = client.send({"payload": {"prompt": "hello"}})
    # THEN the client gets one error frame telling it when to retry
    assert result.status == 429
    assert [f.json() for f in client.frames()] == [
        {"type": "error", "code": "Throttled", "message": "too many requests; retry after the indicated delay",
         "retryable": True, "retryAfterSeconds": 1}]


def test_an_answer_broken_mid_way_ends_with_an_error_frame(served: Served) -> None:
    # GIVEN an agent whose stream breaks after its first event
    served.harness.agentcore.enqueue(Script.sse(["one"]).then_cut())
    client = served.driver.connect(ALICE)
    # WHEN a message is sent
    client.send({"payload": {"prompt": "hello"}})
    # THEN the last frame says the answer was cut off (no silent end)
    last = client.frames()[-1].json()
    assert (last["type"], last["code"], last["retryable"]) == ("error", "AgentError", True)


def test_an_upload_request_is_answered_with_a_presigned_put_under_the_agent_prefix(served: Served) -> None:
    # GIVEN a connection to a facade with payload staging
    client = served.driver.connect(ALICE)
    # WHEN the client asks to upload 5 bytes
    client.send({"upload": {"size": 5, "fileName": "a.txt"}})
    # THEN it gets a PUT URL to the staging bucket in the local S3, for that size, under the agent's prefix
    (frame,) = [f.json() for f in client.wait_for_frames(1)]
    assert frame["type"] == "upload" and frame["contentLength"] == 5
    assert frame["key"].startswith(served.staging.input_prefix(served.agent))
    assert frame["url"].startswith(f"{served.harness.moto.url}/{served.harness.physical_name(served.staging.bucket)}/")


def test_a_client_that_vanished_is_forgotten_when_its_answer_cannot_be_delivered(served: Served) -> None:
    # GIVEN a client that disappears right after sending a message
    client = served.driver.connect(ALICE)
    client.vanish()
    # WHEN the proxy relays the answer
    result = client.send({"payload": {"prompt": "hello"}})
    # THEN API Gateway answered GoneException, and the proxy dropped the connection record
    assert result.status == 410
    assert served.record(client.connection_id) is None


def test_disconnect_deletes_the_connection_record(served: Served) -> None:
    # GIVEN a connected client
    client = served.driver.connect(ALICE)
    assert served.record(client.connection_id) is not None
    # WHEN it closes the connection
    result = client.close()
    # THEN $disconnect removed its record
    assert result is not None and result.status == 200
    assert served.record(client.connection_id) is None


@issue_10("the WebSocket relay reads the agent's stream in 1 KiB blocks, so a slow stream arrives as one "
          "frame at the end")
def test_a_slow_stream_is_relayed_frame_by_frame_as_it_arrives(served: Served) -> None:
    # GIVEN an agent streaming three short events, INTERVAL seconds apart
    served.harness.agentcore.enqueue(Script.sse(["one", "two", "three"], interval=INTERVAL))
    client = served.driver.connect(ALICE)
    # WHEN a message is sent
    client.send({"payload": {"prompt": "hello"}})
    # THEN the first event reached the client before the agent wrote its last one
    (agent_call,) = served.harness.agentcore.invocations()
    first = client.frames()[0]
    assert first.json()["type"] == "chunk" and "one" in first.json()["data"]
    assert first.at < agent_call.chunk_times[-1]
