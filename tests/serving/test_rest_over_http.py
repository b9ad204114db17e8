"""The buffered REST facade over real HTTP: a caller's request through the front door to the proxy, run from
its synthesized asset, and on to the AgentCore stand-in, with every error AgentCore can answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aws_cdk as cdk
import pytest

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.planning.agent_plan import WorkloadProfile
from constructs_lib.serving.api_facade import AgentApiFacade
from tests.conftest import ENV
from tests.harness.agent_script import Script
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import Response, call
from tests.harness.known_issues import issue_10
from tests.harness.rest_front_door import RestFrontDoor
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(60)
SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id"
CALLERS = {
    "alice": IamCaller.assumed_role("web-app", "alice"),
    "bob": IamCaller.assumed_role("web-app", "bob"),
}


@dataclass
class Served:
    harness: Harness
    door: RestFrontDoor
    agent: AgentCoreAgent
    facade: AgentApiFacade


@pytest.fixture(scope="module")
def served(harness_for: Callable[..., Harness]) -> Served:
    stack = cdk.Stack(cdk.App(), "RestBuffered", env=ENV)
    agent = make_agent(stack, runtime_name="chat_agent", endpoints=["prod"],
                       workload=WorkloadProfile(longest_task=cdk.Duration.seconds(20)))
    facade = AgentApiFacade(stack, "Api", agent=agent, qualifier="prod")
    harness = harness_for(stack)
    return Served(harness, harness.rest_api(facade.api, callers=CALLERS), agent, facade)


@pytest.fixture(autouse=True)
def fresh(served: Served) -> None:
    served.harness.reset()


def invoke(
    served: Served, body: dict[str, object], caller: str | None = "alice", door: RestFrontDoor | None = None
) -> Response:
    return call((door or served.door).stage_url + "/invoke", json=body, caller=caller)


def test_a_prompt_reaches_the_agent_endpoint_and_its_answer_comes_back(served: Served) -> None:
    # GIVEN the default agent of the stand-in, which answers what it received
    # WHEN alice posts a prompt
    answer = invoke(served, {"prompt": "hello"})
    # THEN she gets the agent's answer and the session id it ran in
    assert answer.status == 200, answer.body
    (agent_call,) = served.harness.agentcore.invocations()
    assert answer.json() == {"sessionId": agent_call.session_id, "turn": 1, "userId": None,
                             "received": {"prompt": "hello"}}
    assert answer.headers[SESSION_HEADER] == agent_call.session_id
    # AND the proxy called the runtime the template names, on the facade's endpoint, signed with SigV4
    assert agent_call.runtime_arn == served.harness.runtime_arn(served.agent)
    assert agent_call.qualifier == "prod"
    assert agent_call.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert agent_call.headers["content-type"] == "application/json"
    # AND the function got the API Gateway event of an IAM role session
    event = served.door.exchanges[-1].event
    assert event is not None
    assert event["requestContext"]["identity"]["userArn"] == CALLERS["alice"].user_arn
    assert event["resource"] == "/invoke" and event["httpMethod"] == "POST"


def test_a_client_session_id_continues_the_same_agent_session(served: Served) -> None:
    # GIVEN a session id chosen by the client
    session = "c" * 40
    # WHEN the client sends two prompts with it
    first = invoke(served, {"prompt": "one", "sessionId": session})
    second = invoke(served, {"prompt": "two", "sessionId": session})
    # THEN both ran in that session, the second as its second turn
    assert (first.json()["turn"], second.json()["turn"]) == (1, 2)
    assert {c.session_id for c in served.harness.agentcore.invocations()} == {session}
    # AND the agent's payload does not carry the session id
    assert served.harness.agentcore.invocations()[-1].json() == {"prompt": "two"}


def test_a_binary_answer_reaches_the_client_byte_for_byte(served: Served) -> None:
    # GIVEN an agent answering bytes that are not text
    data = bytes(range(256))
    served.harness.agentcore.enqueue(Script.text(data, content_type="application/octet-stream"))
    # WHEN a prompt is sent
    answer = invoke(served, {"prompt": "file"})
    # THEN the proxy base64-encoded it for API Gateway, which decoded it for the client
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.body == data


@pytest.mark.parametrize(("code", "status", "public", "retry_after"), [
    ("ThrottlingException", 429, "Throttled", "1"),
    ("ServiceQuotaExceededException", 429, "SessionLimitReached", "30"),
    ("ValidationException", 400, "InvalidRequest", None),
    ("AccessDeniedException", 403, "AccessDenied", None),
    ("ResourceNotFoundException", 502, "AgentUnavailable", None),
    ("RetryableConflictException", 409, "SessionBusy", "1"),
    ("RuntimeClientError", 502, "AgentError", None),
    ("InternalServerException", 502, "AgentError", None),
])
def test_each_agentcore_error_is_mapped_for_the_client_without_details(
    served: Served, code: str, status: int, public: str, retry_after: str | None
) -> None:
    # GIVEN AgentCore answering this error before any byte (status and shape from botocore's model)
    arn = served.harness.runtime_arn(served.agent)
    served.harness.agentcore.enqueue(Script.error(code, message=f"details about {arn}"))
    # WHEN a prompt is sent
    answer = invoke(served, {"prompt": "hi"})
    # THEN the client gets the mapped status and code, once (no retry), and nothing of AgentCore's message
    assert (answer.status, answer.json()["error"]) == (status, public)
    assert answer.headers.get("retry-after") == retry_after
    assert "arn:" not in answer.body.decode()
    assert len(served.harness.agentcore.invocations()) == 1


def test_an_agent_that_never_answers_is_a_504_at_the_proxy_read_timeout(served: Served) -> None:
    # GIVEN the proxy with a 1 s read timeout (the template's is the integration timeout minus 3 s)
    door = served.harness.rest_api(served.facade.api, callers=CALLERS, overrides={"AGENT_READ_TIMEOUT_SECONDS": "1"})
    served.harness.agentcore.enqueue(Script.hang(10))
    # WHEN a prompt is sent
    answer = invoke(served, {"prompt": "hi"}, door=door)
    # THEN the client gets the proxy's 504 after about the read timeout, and the proxy hung up on AgentCore
    assert (answer.status, answer.json()["error"]) == (504, "Timeout")
    assert answer.first_byte_after is not None and 1.0 <= answer.first_byte_after < 5
    (agent_call,) = served.harness.agentcore.wait_for_calls(1)
    assert agent_call.outcome == "client-gone"


def test_an_answer_broken_mid_way_is_a_502_not_a_partial_answer(served: Served) -> None:
    # GIVEN an agent whose connection breaks after the first bytes
    served.harness.agentcore.enqueue(Script.stream([b'{"partial": '], content_type="application/json").then_cut())
    # WHEN a prompt is sent
    answer = invoke(served, {"prompt": "hi"})
    # THEN the client is told the answer was cut off
    assert (answer.status, answer.json()["error"]) == (502, "AgentError")
    assert b"partial" not in answer.body


def test_the_front_door_refuses_what_api_gateway_refuses_before_the_function(served: Served) -> None:
    # GIVEN an IAM-authorized API whose request model requires a prompt
    # WHEN an unsigned request, a body without prompt, and an unknown path arrive
    unsigned = invoke(served, {"prompt": "hi"}, caller=None)
    invalid = invoke(served, {"question": "hi"})
    unknown = call(served.door.stage_url + "/nowhere", json={}, caller="alice")
    # THEN API Gateway answers each itself and the function never runs
    assert (unsigned.status, unsigned.json()) == (403, {"message": "Missing Authentication Token"})
    assert (invalid.status, invalid.json()) == (400, {"message": "Invalid request body"})
    assert unknown.status == 403
    assert all(e.invocation is None for e in served.door.exchanges)
    assert served.harness.agentcore.invocations() == []


@issue_10("REST sessions are not bound to callers (a second caller who sends the first caller's session "
          "id continues that session)")
def test_a_second_caller_cannot_continue_the_first_callers_session(served: Served) -> None:
    # GIVEN alice's session with one turn
    session = "a" * 40
    assert invoke(served, {"prompt": "my secret", "sessionId": session}).status == 200
    # WHEN bob, another session of the same role, sends alice's session id
    answer = invoke(served, {"prompt": "what did I say?", "sessionId": session}, caller="bob")
    # THEN bob is refused, or lands in a runtime session of his own (not alice's second turn)
    alice_call, *bob_calls = served.harness.agentcore.invocations()
    if answer.status not in (403, 404):
        assert [c.session_id for c in bob_calls] != [alice_call.session_id]
        assert answer.json()["turn"] == 1
