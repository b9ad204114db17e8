"""The buffered REST facade over real HTTP: a caller's request through the front door to the proxy, run from
its synthesized asset on the Powertools layer, and on to the AgentCore stand-in, with every error AgentCore can answer,
caller-bound sessions, malformed and oversized bodies, and answers too large for Lambda."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import aws_cdk as cdk
import pytest

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.planning.agent_plan import WorkloadProfile
from constructs_lib.planning.serving import rest_inline_limit
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.payload_staging import PayloadStaging
from tests.conftest import ENV
from tests.harness.agent_script import Script
from tests.harness.callers import CognitoIdentityCaller, IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import Response, call
from tests.harness.proxy_events import rest_event
from tests.harness.rest_front_door import RestFrontDoor
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(90)
SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id"
CALLERS = {
    "alice": IamCaller.assumed_role("web-app", "alice"),
    "bob": IamCaller.assumed_role("web-app", "bob"),
    "carol": CognitoIdentityCaller("us-east-1:0f0e0d0c-0000-4000-8000-00000000000a"),
    "dave": CognitoIdentityCaller("us-east-1:0f0e0d0c-0000-4000-8000-00000000000b"),
}


@dataclass
class Served:
    harness: Harness
    door: RestFrontDoor
    agent: AgentCoreAgent
    facade: AgentApiFacade
    staged: AgentApiFacade
    staging: PayloadStaging


@pytest.fixture(scope="module")
def served(harness_for: Callable[..., Harness]) -> Served:
    stack = cdk.Stack(cdk.App(), "RestBuffered", env=ENV)
    agent = make_agent(stack, runtime_name="chat_agent", endpoints=["prod"],
                       workload=WorkloadProfile(longest_task=cdk.Duration.seconds(20)))
    facade = AgentApiFacade(stack, "Api", agent=agent, qualifier="prod")
    staging = PayloadStaging(stack, "Staging")
    big = make_agent(stack, "Big", runtime_name="big_agent", workload=WorkloadProfile(
        longest_task=cdk.Duration.seconds(20), max_response=cdk.Size.mebibytes(8)))
    staged = AgentApiFacade(stack, "BigApi", agent=big, staging=staging)
    harness = harness_for(stack)
    return Served(harness, harness.rest_api(facade.api, callers=CALLERS), agent, facade, staged, staging)


@pytest.fixture(autouse=True)
def fresh(served: Served) -> None:
    served.harness.reset()


def invoke(
    served: Served, body: dict[str, object], caller: str | None = "alice", door: RestFrontDoor | None = None
) -> Response:
    return call((door or served.door).stage_url + "/invoke", json=body, caller=caller)


def test_a_prompt_reaches_the_agent_endpoint_in_the_callers_session_and_its_answer_comes_back(served: Served) -> None:
    # GIVEN the default agent of the stand-in, which answers what it received
    # WHEN alice posts a prompt
    answer = invoke(served, {"prompt": "hello"})
    # THEN she gets the agent's answer, which ran for her (runtimeUserId: her role session)
    assert answer.status == 200, answer.body
    (agent_call,) = served.harness.agentcore.invocations()
    assert answer.json() == {"sessionId": agent_call.session_id, "turn": 1,
                             "userId": "iam:" + CALLERS["alice"].user_arn, "received": {"prompt": "hello"}}
    # AND the session header carries her own session id, never the runtime session AgentCore saw
    client_session = answer.headers[SESSION_HEADER]
    assert client_session != agent_call.session_id and 33 <= len(agent_call.session_id) <= 100
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


def test_a_client_session_id_continues_the_callers_agent_session(served: Served) -> None:
    # GIVEN a session id chosen by the client
    session = "c" * 40
    # WHEN the client sends two prompts with it
    first = invoke(served, {"prompt": "one", "sessionId": session})
    second = invoke(served, {"prompt": "two", "sessionId": session})
    # THEN both ran in one runtime session, the second as its second turn, and the client keeps its own id
    assert (first.json()["turn"], second.json()["turn"]) == (1, 2)
    assert len({c.session_id for c in served.harness.agentcore.invocations()}) == 1
    assert first.headers[SESSION_HEADER] == second.headers[SESSION_HEADER] == session
    # AND the agent's payload does not carry the session id
    assert served.harness.agentcore.invocations()[-1].json() == {"prompt": "two"}


def test_a_second_caller_cannot_continue_the_first_callers_session(served: Served) -> None:
    # GIVEN alice's session with one turn
    session = "a" * 40
    assert invoke(served, {"prompt": "my secret", "sessionId": session}).status == 200
    # WHEN bob, another session of the same role, sends alice's session id
    answer = invoke(served, {"prompt": "what did I say?", "sessionId": session}, caller="bob")
    # THEN bob lands in a runtime session of his own (not alice's second turn), as bob
    alice_call, bob_call = served.harness.agentcore.invocations()
    assert bob_call.session_id != alice_call.session_id
    assert answer.json()["turn"] == 1 and answer.json()["userId"] == "iam:" + CALLERS["bob"].user_arn


def test_identity_pool_callers_sharing_the_pools_role_get_sessions_of_their_own(served: Served) -> None:
    # GIVEN carol's session (a Cognito identity: the pool's role, the same role session name for everyone)
    session = "p" * 40
    assert invoke(served, {"prompt": "mine", "sessionId": session}, caller="carol").json()["turn"] == 1
    # WHEN dave, another identity of the same pool, sends carol's session id
    answer = invoke(served, {"prompt": "yours?", "sessionId": session}, caller="dave")
    # THEN his identity id, not the shared role session, binds his session
    assert answer.json()["turn"] == 1
    dave = CALLERS["dave"]
    assert isinstance(dave, CognitoIdentityCaller)
    assert answer.json()["userId"] == f"cognito-identity:{dave.pool_id}/{dave.identity_id}"


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


@pytest.mark.parametrize(("body", "code"), [
    (b"not json at all", "InvalidRequest"),
    (b'["a", "list"]', "InvalidRequest"),
    (b"[" * 100_000 + b"]" * 100_000, "InvalidRequest"),
    (json.dumps({"prompt": "deep", "x": json.loads("[" * 80 + "]" * 80)}).encode(), "InvalidRequest"),
    (b'{"prompt": "hi", "sessionId": "short"}', "InvalidSessionId"),
    (b"\xff\xfe not utf-8", "InvalidRequest"),
])
def test_a_malformed_body_that_reaches_the_proxy_is_a_400_json_error(served: Served, body: bytes, code: str) -> None:
    # GIVEN a front door that passes bodies on unvalidated (a custom request schema may allow anything)
    door = served.harness.rest_api(served.facade.api, callers=CALLERS, validate_bodies=False)
    # WHEN a malformed body arrives (text, a list, JSON nested deeper than anything parses, bytes that are not text)
    answer = call(door.stage_url + "/invoke", body=body, caller="alice")
    # THEN the proxy answers a 400 JSON error, never a 5xx or an escaped exception, and calls no agent
    assert (answer.status, answer.json()["error"]) == (400, code), answer.body
    assert door.exchanges[-1].invocation is not None and door.exchanges[-1].invocation.outcome == "response"
    assert served.harness.agentcore.invocations() == []


def test_an_event_with_invalid_base64_and_one_without_a_caller_are_4xx_json_errors(served: Served) -> None:
    # GIVEN the proxy's warm sandbox and API Gateway events it can receive
    sandbox = served.harness.sandbox(served.facade.proxy_function)
    door = served.door
    event = rest_event(door.api, method="POST", path="/invoke", resource_path="/invoke", path_parameters={},
                       query=[], headers=[("Content-Type", "application/json")], body=b'{"prompt": "hi"}',
                       caller=CALLERS["alice"])
    # WHEN one says its body is base64 and it is not, and one carries no caller identity at all
    garbled = sandbox.invoke({**event, "body": "%%% not base64 %%%", "isBase64Encoded": True}).json()
    anonymous = sandbox.invoke(rest_event(door.api, method="POST", path="/invoke", resource_path="/invoke",
                                          path_parameters={}, query=[], headers=[], body=b'{"prompt": "hi"}',
                                          caller=None)).json()
    # THEN they are a 400 and a 401 (no owner: sessions belong to callers), JSON, and no agent is called
    assert (garbled["statusCode"], json.loads(garbled["body"])["error"]) == (400, "InvalidRequest")
    assert (anonymous["statusCode"], json.loads(anonymous["body"])["error"]) == (401, "Unauthenticated")
    assert served.harness.agentcore.invocations() == []


def test_a_body_above_the_smallest_limit_on_the_path_is_a_413_before_lambda_would_fail(served: Served) -> None:
    # GIVEN a body under API Gateway's payload size but above what Lambda takes base64-encoded
    catalog = QuotaCatalog()
    limit = rest_inline_limit(catalog, "us-east-1")
    assert limit.quota.quota.name is QuotaName.LAMBDA_SYNC_REQUEST_PAYLOAD
    size = int(limit.bytes) + 1024
    assert size < catalog.value(QuotaName.API_GATEWAY_PAYLOAD)
    # WHEN it is posted
    answer = invoke(served, {"prompt": "x" * size})
    # THEN the proxy refuses it with a 413 JSON error naming the way out, and calls no agent
    assert (answer.status, answer.json()["error"]) == (413, "PayloadTooLarge")
    assert "payloadKey" in answer.json()["message"]
    assert served.harness.agentcore.invocations() == []


def _big_answer(size: int) -> Callable[..., Script]:
    return lambda call, session: Script.text(b"y" * size, content_type="text/plain")


def test_an_answer_above_lambdas_response_payload_is_staged_and_handed_out_as_a_url(served: Served) -> None:
    # GIVEN the facade with staging, whose proxy is told a small response limit, and an agent answering more
    door = served.harness.rest_api(served.staged.api, callers=CALLERS, overrides={"MAX_RESPONSE_BYTES": "4096"})
    served.harness.agentcore.responder = _big_answer(20_000)
    # WHEN alice posts a prompt
    answer = call(door.stage_url + "/invoke", json={"prompt": "everything"}, caller="alice")
    # THEN she gets a pre-signed URL to her own output prefix, which returns the whole answer
    assert answer.status == 200, answer.body
    staged = answer.json()["answer"]
    assert staged["bytes"] == 20_000 and staged["contentType"] == "text/plain"
    big = served.staged.agent
    assert staged["key"].startswith(served.staging.output_prefix(big)) and "/answers/" in staged["key"]
    fetched = call(staged["url"], method="GET")
    assert (fetched.status, fetched.body) == (200, b"y" * 20_000)


def test_without_staging_an_answer_above_lambdas_response_payload_is_a_clear_502(served: Served) -> None:
    # GIVEN the facade without staging, its proxy told a small response limit, and an agent answering more
    door = served.harness.rest_api(served.facade.api, callers=CALLERS, overrides={"MAX_RESPONSE_BYTES": "4096"})
    served.harness.agentcore.responder = _big_answer(20_000)
    # WHEN a prompt is sent
    answer = invoke(served, {"prompt": "everything"}, door=door)
    # THEN the client is told why, not handed Lambda's generic failure
    assert (answer.status, answer.json()["error"]) == (502, "AnswerTooLarge")


def test_lambda_itself_refuses_a_response_above_its_payload_quota(served: Served) -> None:
    # GIVEN a proxy told a response limit above Lambda's, and an agent answering more than Lambda returns
    limit = int(QuotaCatalog().value(QuotaName.LAMBDA_SYNC_RESPONSE_PAYLOAD))
    door = served.harness.rest_api(served.facade.api, callers=CALLERS,
                                   overrides={"MAX_RESPONSE_BYTES": str(limit * 2)})
    served.harness.agentcore.responder = _big_answer(limit + 1)
    # WHEN a prompt is sent
    answer = invoke(served, {"prompt": "everything"}, door=door)
    # THEN Lambda refused the response (the harness applies the catalog's quota) and API Gateway answered 502
    invocation = door.exchanges[-1].invocation
    assert invocation is not None and invocation.outcome == "too-large"
    assert (answer.status, answer.json()) == (502, {"message": "Internal server error"})


def test_the_proxy_logs_structured_json_and_traces_its_boto3_calls_with_powertools(served: Served) -> None:
    # WHEN alice's prompt is answered
    assert invoke(served, {"prompt": "trace me"}).status == 200
    # THEN the X-Ray SDK (Powertools' tracer) sent a subsegment for the AgentCore call, in the invocation's trace
    (agent_call,) = served.harness.agentcore.invocations()
    (traced, *_) = served.harness.xray.wait_for("bedrock-agentcore")
    assert traced["aws"]["operation"] == "InvokeAgentRuntime"
    assert traced["trace_id"] in agent_call.headers["x-amzn-trace-id"]
    # AND Powertools' logger wrote JSON lines with the Lambda context (never the prompt)
    sandbox = served.harness.sandbox(served.facade.proxy_function)
    lines = [json.loads(line) for line in sandbox.logs().splitlines() if line.startswith("{")]
    assert any(line.get("service") == "invoke-proxy" and "function_request_id" in line for line in lines)
    assert "trace me" not in sandbox.logs()
