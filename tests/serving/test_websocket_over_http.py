"""The WebSocket facade over real HTTP: ``$connect``, ``$default`` and ``$disconnect`` events from the driver to the
route proxy run from its synthesized asset, each message handed to the relay through the Lambda stand-in (an
asynchronous invocation), the relay's frames collected by the management API stand-in, connection records in moto's
DynamoDB, upload URLs signed for moto's S3."""

from __future__ import annotations

import json
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
from tests.harness.agent_script import Chunk, Pause, Script
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.proxy_events import WebSocketConnection, websocket_event
from tests.harness.websocket_driver import ConnectionRefused, WebSocketClient, WebSocketDriver
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(90)
ALICE = IamCaller.assumed_role("chat-app", "alice")
BOB = IamCaller.assumed_role("chat-app", "bob")
INTERVAL = 0.2


@dataclass
class Served:
    harness: Harness
    driver: WebSocketDriver
    agent: AgentCoreAgent
    facade: AgentWebSocketFacade
    staging: PayloadStaging

    @property
    def table(self) -> str:
        return self.harness.physical_name(self.facade.connections_table)

    def record(self, connection_id: str) -> Any:
        found = self.harness.moto.client("dynamodb").get_item(
            TableName=self.table, Key={"connectionId": {"S": connection_id}})
        return found.get("Item")

    def relayed(self, count: int = 1) -> list[Any]:
        """The relay's invocations, once ``count`` of them have ended."""
        return self.harness.lambda_service.wait_for_invocations(count)


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


def frames_of(client: WebSocketClient) -> list[dict[str, Any]]:
    return [f.json() for f in client.wait_for_answer()]


def test_connect_records_the_connection_with_its_session_and_principal(served: Served) -> None:
    # WHEN alice connects with her own session id
    client = served.driver.connect(ALICE, query={"sessionId": "s" * 40})
    # THEN the connection is recorded with that session, the runtime session derived for her, her principal and an
    # expiry
    record = served.record(client.connection_id)
    assert record is not None
    assert record["sessionId"] == {"S": "s" * 40}
    assert record["runtimeSessionId"]["S"] != "s" * 40
    assert record["principal"] == {"S": "iam:" + ALICE.user_arn}
    assert int(record["expiresAt"]["N"]) > int(record["connectedAt"]["N"])


def test_a_connection_without_a_caller_is_refused(served: Served) -> None:
    # GIVEN a $connect event API Gateway authenticated nobody for (an unauthenticated API)
    connection = WebSocketConnection("AbCdEfGhIjKlMnO=", 0, None)
    event = websocket_event(served.driver.api, connection, "$connect")
    # WHEN the route proxy gets it
    answer = served.harness.sandbox(served.facade.proxy_function).invoke(event).json()
    # THEN the connection is refused: sessions belong to callers, and there is no owner
    assert answer["statusCode"] == 401
    assert served.record("AbCdEfGhIjKlMnO=") is None


def test_an_invalid_session_id_refuses_the_connection(served: Served) -> None:
    # WHEN a client connects with a session id AgentCore would not accept
    with pytest.raises(ConnectionRefused) as refused:
        served.driver.connect(ALICE, query={"sessionId": "short"})
    # THEN $connect answered 400 and nothing was recorded
    assert refused.value.result.status == 400


def test_a_message_is_handed_off_and_answered_in_chunk_frames_and_an_end_frame(served: Served) -> None:
    # GIVEN alice's connection
    client = served.driver.connect(ALICE)
    # WHEN she sends a message
    result = client.send({"payload": {"prompt": "hello"}})
    # THEN the route answered at once (handed off), and the relay invoked the agent with her payload, as her, in the
    # connection's runtime session
    assert result.status == 202
    frames = frames_of(client)
    (agent_call,) = served.harness.agentcore.invocations()
    record = served.record(client.connection_id)
    assert agent_call.json() == {"prompt": "hello"}
    assert agent_call.session_id == record["runtimeSessionId"]["S"]
    assert agent_call.user_id == "iam:" + ALICE.user_arn
    # AND the answer came back as chunk frames, then an end frame naming her own session id
    assert [f["type"] for f in frames] == ["chunk"] * (len(frames) - 1) + ["end"]
    text = "".join(f["data"] for f in frames[:-1])
    assert '"received": {"prompt": "hello"}' in text
    assert frames[-1] == {"type": "end", "seq": len(frames) - 1, "sessionId": record["sessionId"]["S"],
                          "contentType": "application/json"}


def test_a_slow_stream_is_relayed_frame_by_frame_as_it_arrives(served: Served) -> None:
    # GIVEN an agent streaming three short events, INTERVAL seconds apart
    served.harness.agentcore.enqueue(Script.sse(["one", "two", "three"], interval=INTERVAL))
    client = served.driver.connect(ALICE)
    # WHEN a message is sent
    client.send({"payload": {"prompt": "hello"}})
    frames = client.wait_for_answer()
    # THEN the first event reached the client before the agent wrote its last one, one frame per event
    (agent_call,) = served.harness.agentcore.invocations()
    first = frames[0]
    assert first.json() == {"type": "chunk", "seq": 0, "data": "data: one\n\n"}
    assert first.at < agent_call.chunk_times[-1]
    assert [f.json()["type"] for f in frames] == ["chunk", "chunk", "chunk", "end"]


def test_a_long_answer_is_not_bound_by_the_routes_integration_timeout(served: Served) -> None:
    # GIVEN an agent that answers over 1.5 s
    served.harness.agentcore.enqueue(Script.stream([b"a", Pause(1.5), Chunk(b"b")], content_type="text/plain"))
    client = served.driver.connect(ALICE)
    # WHEN a message is sent
    result = client.send({"payload": {"prompt": "take your time"}})
    frames = client.wait_for_answer()
    # THEN the route's function had answered API Gateway before the answer was half done: the relay, invoked
    # asynchronously, kept streaming for as long as its own timeout allows
    assert result.invocation.finished_at is not None
    assert result.invocation.finished_at < frames[0].at + 0.5 < frames[-1].at
    assert "".join(f.json().get("data", "") for f in frames) == "ab"


def test_throttling_is_a_retryable_error_frame(served: Served) -> None:
    # GIVEN AgentCore throttling the call
    served.harness.agentcore.enqueue(Script.error("ThrottlingException"))
    client = served.driver.connect(ALICE)
    # WHEN a message is sent
    client.send({"payload": {"prompt": "hello"}})
    # THEN the client gets one error frame telling it when to retry (the REST facade's code and delay)
    assert frames_of(client) == [
        {"type": "error", "code": "Throttled", "message": "too many requests; retry after the indicated delay",
         "retryable": True, "retryAfterSeconds": 1}]


def test_an_answer_broken_mid_way_ends_with_an_error_frame(served: Served) -> None:
    # GIVEN an agent whose stream breaks after its first event
    served.harness.agentcore.enqueue(Script.sse(["one"]).then_cut())
    client = served.driver.connect(ALICE)
    # WHEN a message is sent
    client.send({"payload": {"prompt": "hello"}})
    # THEN the last frame says the answer was cut off (no silent end)
    frames = frames_of(client)
    last = frames[-1]
    assert (last["type"], last.get("code"), last.get("retryable")) == ("error", "AgentError", True), frames


def test_an_answer_still_running_at_the_relays_deadline_ends_with_a_timeout_frame_and_stops_the_session(
    served: Served,
) -> None:
    # GIVEN functions with a 2 s deadline, and an agent that sends one chunk and then stays silent
    driver = served.harness.websocket_api(served.facade.api, timeout_seconds=2)
    served.harness.agentcore.enqueue(Script.stream([b"first", Pause(10)], content_type="text/plain"))
    client = driver.connect(ALICE)
    # WHEN a message is sent
    client.send({"payload": {"prompt": "hello"}})
    frames = [f.json() for f in client.wait_for_answer()]
    # THEN the relay sent what it had, then a Timeout error frame, itself, before Lambda had to kill it
    assert frames[0] == {"type": "chunk", "seq": 0, "data": "first"}
    assert (frames[-1]["type"], frames[-1]["code"]) == ("error", "Timeout")
    (relayed,) = served.relayed()
    assert relayed.invocation.outcome == "response"
    # AND the abandoned runtime session was stopped
    (agent_call,) = served.harness.agentcore.invocations()
    assert agent_call.session_id in served.harness.agentcore.stopped_sessions()


def test_a_second_caller_cannot_continue_the_first_callers_session(served: Served) -> None:
    # GIVEN alice's connection in her session, with one turn
    alice = served.driver.connect(ALICE, query={"sessionId": "a" * 40})
    alice.send({"payload": {"prompt": "my secret"}})
    alice.wait_for_answer()
    # WHEN bob connects with the same session id and sends a message
    bob = served.driver.connect(BOB, query={"sessionId": "a" * 40})
    bob.send({"payload": {"prompt": "what did alice say?"}})
    text = "".join(f.get("data", "") for f in frames_of(bob))
    # THEN his message ran in a runtime session of his own, as its first turn
    alice_call, bob_call = served.harness.agentcore.invocations()
    assert bob_call.session_id != alice_call.session_id
    assert json.loads(text)["turn"] == 1


def test_a_message_naming_another_session_is_refused(served: Served) -> None:
    # GIVEN alice's connection in her session
    client = served.driver.connect(ALICE, query={"sessionId": "a" * 40})
    # WHEN a message names another session id
    result = client.send({"payload": {"prompt": "hi"}, "sessionId": "b" * 40})
    # THEN it is refused with an error frame, and no agent is called
    assert result.status == 403
    assert [f["code"] for f in frames_of(client)] == ["SessionMismatch"]
    assert served.harness.agentcore.invocations() == []


def test_a_message_whose_caller_is_not_the_connections_principal_is_refused(served: Served) -> None:
    # GIVEN a connection whose recorded principal is someone else's (a record not written for this caller)
    client = served.driver.connect(ALICE)
    served.harness.moto.client("dynamodb").update_item(
        TableName=served.table, Key={"connectionId": {"S": client.connection_id}},
        UpdateExpression="SET principal = :p", ExpressionAttributeValues={":p": {"S": "iam:" + BOB.user_arn}})
    # WHEN alice sends a message on it
    result = client.send({"payload": {"prompt": "hi"}})
    # THEN it is refused
    assert result.status == 403
    assert [f["code"] for f in frames_of(client)] == ["AccessDenied"]
    assert served.harness.agentcore.invocations() == []


@pytest.mark.parametrize(("message", "status", "code"), [
    ("not json", 400, "BadRequest"),
    ('["a list"]', 400, "BadRequest"),
    ('{"no": "payload"}', 400, "BadRequest"),
    ("[" * 5_000 + "]" * 5_000, 400, "BadRequest"),
    (json.dumps({"payload": json.loads("[" * 80 + "]" * 80)}), 400, "BadRequest"),
    (json.dumps({"payload": "x" * 140_000}), 413, "PayloadTooLarge"),
])
def test_a_malformed_message_is_a_4xx_error_frame_never_an_escaped_exception(
    served: Served, message: str, status: int, code: str
) -> None:
    # GIVEN a connection
    client = served.driver.connect(ALICE)
    # WHEN a malformed or oversized message arrives
    result = client.send(message)
    # THEN the route answers the error in a frame, and no agent is called
    assert (result.invocation.outcome, result.status) == ("response", status)
    assert [f["code"] for f in frames_of(client)] == [code]
    assert served.harness.agentcore.invocations() == []


def test_an_upload_request_is_answered_with_a_presigned_put_under_the_callers_prefix(served: Served) -> None:
    # GIVEN a connection to a facade with payload staging
    client = served.driver.connect(ALICE)
    # WHEN the client asks to upload 5 bytes
    client.send({"upload": {"size": 5, "fileName": "a.txt"}})
    # THEN it gets a PUT URL to the staging bucket in the local S3, for that size, under the agent's prefix
    (frame,) = [f.json() for f in client.wait_for_frames(1)]
    assert frame["type"] == "upload" and frame["contentLength"] == 5
    assert frame["key"].startswith(served.staging.input_prefix(served.agent))
    assert frame["url"].startswith(f"{served.harness.moto.url}/{served.harness.physical_name(served.staging.bucket)}/")


def test_a_payload_key_of_another_caller_is_refused(served: Served) -> None:
    # GIVEN an upload of alice
    alice = served.driver.connect(ALICE)
    alice.send({"upload": {"size": 5}})
    key = alice.wait_for_frames(1)[0].json()["key"]
    # WHEN bob sends a message with her key
    bob = served.driver.connect(BOB)
    result = bob.send({"payload": {"prompt": "read this", "payloadKey": key}})
    # THEN it is refused the same way as on the REST facade, and no agent is called
    assert result.status == 403
    assert [f["code"] for f in frames_of(bob)] == ["PayloadKeyNotAllowed"]
    assert served.harness.agentcore.invocations() == []


def test_a_message_delivered_twice_reaches_the_agent_once(served: Served) -> None:
    # GIVEN Lambda delivering the next asynchronous event twice (its at-least-once delivery)
    served.harness.lambda_service.deliver_next_twice()
    client = served.driver.connect(ALICE)
    # WHEN a message is sent
    client.send({"payload": {"prompt": "once"}})
    # THEN the relay ran twice, but the agent was invoked once and the answer ended once
    served.relayed(2)
    assert len(served.harness.agentcore.invocations()) == 1
    assert [f.json()["type"] for f in client.frames()].count("end") == 1


def test_a_client_that_vanished_is_forgotten_and_its_session_stopped(served: Served) -> None:
    # GIVEN a client that disappears right after sending a message
    client = served.driver.connect(ALICE)
    client.vanish()
    # WHEN the relay relays the answer
    client.send({"payload": {"prompt": "hello"}})
    served.relayed()
    # THEN API Gateway answered GoneException, and the relay stopped the session and dropped the connection record
    (agent_call,) = served.harness.agentcore.invocations()
    assert agent_call.session_id in served.harness.agentcore.stopped_sessions()
    assert served.record(client.connection_id) is None


def test_disconnect_stops_the_connections_session_and_deletes_its_record(served: Served) -> None:
    # GIVEN a connected client
    client = served.driver.connect(ALICE)
    session = served.record(client.connection_id)["runtimeSessionId"]["S"]
    # WHEN it closes the connection
    result = client.close()
    # THEN $disconnect stopped its runtime session and removed its record
    assert result is not None and result.status == 200
    assert served.record(client.connection_id) is None
    assert session in served.harness.agentcore.stopped_sessions()
