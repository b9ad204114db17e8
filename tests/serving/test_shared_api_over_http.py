"""The platform's shared REST API over real HTTP: one proxy, run from its synthesized asset, serving two agents under
their own routes, with DynamoDB and S3 in moto's server; caller isolation as on a facade of one agent, and isolation
between the agents: two callers on one agent, one caller on two agents, and nothing of one agent reachable through
another's route (session, job, staged object)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent_side import job_reporter
from constructs_lib.planning.agent_plan import WorkloadProfile
from constructs_lib.serving.payload_staging import PayloadStaging
from constructs_lib.serving.shared_api import AgentPlatformApi, SharedApiAgent
from tests.conftest import ENV
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import Response, call
from tests.harness.rest_front_door import RestFrontDoor
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(90)
SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id"
CALLERS = {
    "alice": IamCaller.assumed_role("web-app", "alice"),
    "bob": IamCaller.assumed_role("web-app", "bob"),
}


@dataclass
class Served:
    harness: Harness
    door: RestFrontDoor
    chat: AgentCoreAgent
    research: AgentCoreAgent
    api: AgentPlatformApi
    staging: PayloadStaging

    def url(self, route: str, path: str) -> str:
        return f"{self.door.stage_url}/{route}/{path}"

    @property
    def table(self) -> str:
        assert self.api.jobs is not None
        return self.harness.physical_name(self.api.jobs.table)

    @property
    def bucket(self) -> str:
        return self.harness.physical_name(self.staging.bucket)


@pytest.fixture(scope="module")
def served(harness_for: Callable[..., Harness]) -> Served:
    stack = cdk.Stack(cdk.App(), "SharedApi", env=ENV)
    staging = PayloadStaging(stack, "Staging")
    chat = make_agent(stack, "Chat", runtime_name="chat_agent", endpoints=["prod"],
                      workload=WorkloadProfile(longest_task=cdk.Duration.seconds(20)))
    research = make_agent(stack, "Research", runtime_name="research_agent",
                          workload=WorkloadProfile(longest_task=cdk.Duration.hours(2)))
    api = AgentPlatformApi(stack, "Api", staging=staging, agents=[
        SharedApiAgent(route="chat", agent=chat, staging=True, jobs=True),
        SharedApiAgent(route="research", agent=research, staging=True),
    ])
    harness = harness_for(stack)
    return Served(harness, harness.rest_api(api.api, callers=CALLERS), chat, research, api, staging)


@pytest.fixture(autouse=True)
def fresh(served: Served) -> None:
    served.harness.reset()


def invoke(served: Served, route: str, caller: str = "alice", **body: Any) -> Response:
    return call(served.url(route, "invoke"), json={"prompt": "hello", **body}, caller=caller)


def start_job(served: Served, route: str, caller: str = "alice", **body: Any) -> Response:
    return call(served.url(route, "jobs"), json={"prompt": "research this", **body}, caller=caller)


def test_each_route_reaches_its_own_agent_in_the_callers_session(served: Served) -> None:
    # WHEN alice posts a prompt on the chat route
    answer = invoke(served, "chat")
    # THEN the chat agent answered her, in her caller-bound session, and she only sees her own session id
    assert answer.status == 200, answer.body
    (agent_call,) = served.harness.agentcore.invocations()
    assert agent_call.runtime_arn == served.harness.runtime_arn(served.chat)
    assert agent_call.qualifier == served.chat.default_qualifier == "prod"
    assert answer.json()["userId"] == "iam:" + CALLERS["alice"].user_arn
    assert answer.headers[SESSION_HEADER] != agent_call.session_id
    # AND the proxy saw the agent's own event (its route's segment removed)
    event = served.door.exchanges[-1].event
    assert event is not None and event["resource"] == "/chat/invoke"


def test_two_callers_on_one_agent_get_sessions_of_their_own(served: Served) -> None:
    # GIVEN alice's session on the chat agent
    session = "a" * 40
    assert invoke(served, "chat", sessionId=session).json()["turn"] == 1
    assert invoke(served, "chat", sessionId=session).json()["turn"] == 2
    # WHEN bob sends alice's session id to the same agent
    answer = invoke(served, "chat", caller="bob", sessionId=session)
    # THEN he lands in a runtime session of his own
    alice_first, alice_second, bob_call = served.harness.agentcore.invocations()
    assert alice_first.session_id == alice_second.session_id != bob_call.session_id
    assert answer.json()["turn"] == 1


def test_one_caller_on_two_agents_has_two_unrelated_sessions(served: Served) -> None:
    # GIVEN alice's session on the chat agent
    session = "s" * 40
    assert invoke(served, "chat", sessionId=session).status == 200
    # WHEN she uses the same client session id on the research agent's route
    answer = start_job(served, "research", sessionId=session)
    # THEN the research agent is invoked in another runtime session (the agent is part of the derivation)
    assert answer.status == 202, answer.body
    chat_call, research_call = served.harness.agentcore.invocations()
    assert research_call.runtime_arn == served.harness.runtime_arn(served.research)
    assert research_call.session_id != chat_call.session_id
    assert answer.json()["sessionId"] == session


def test_a_job_of_one_agent_is_not_found_through_another_agents_route(served: Served) -> None:
    # GIVEN alice's running job on the research agent, recorded under that agent's key prefix
    started = start_job(served, "research")
    job_id = started.json()["jobId"]
    (agent_call,) = served.harness.agentcore.invocations()
    record = agent_call.json()["jobId"]
    assert record == f"research#{job_id}"
    dynamodb = served.harness.moto.client("dynamodb")
    assert dynamodb.get_item(TableName=served.table, Key={"jobId": {"S": record}})["Item"]["status"] == {
        "S": "RUNNING"}
    # WHEN she (its owner) asks for it, or cancels it, through the chat agent's route
    through_chat = call(served.url("chat", f"jobs/{job_id}"), method="GET", caller="alice")
    cancelled = call(served.url("chat", f"jobs/{job_id}"), method="DELETE", caller="alice")
    # THEN no such job exists there
    assert (through_chat.status, through_chat.json()["error"]) == (404, "JobNotFound")
    assert cancelled.status == 404
    # AND through its own route she reads it, and bob does not
    assert call(served.url("research", f"jobs/{job_id}"), method="GET", caller="alice").json()["status"] == "RUNNING"
    assert call(served.url("research", f"jobs/{job_id}"), method="GET", caller="bob").status == 404
    # AND the agent reports under the key it was given, which its owner then reads
    assert job_reporter.report_success(record, result="42", table=served.table, client=dynamodb)
    done = call(served.url("research", f"jobs/{job_id}"), method="GET", caller="alice").json()
    assert (done["status"], done["result"]) == ("SUCCEEDED", "42")


def test_a_staged_object_of_one_agent_cannot_be_passed_to_another(served: Served) -> None:
    # GIVEN alice's upload through the chat route: under the chat agent's prefix and her own segment
    upload = call(served.url("chat", "uploads"), json={"size": 3}, caller="alice").json()
    assert upload["key"].startswith(served.staging.input_prefix(served.chat))
    # WHEN she passes it to the research agent
    answer = start_job(served, "research", payloadKey=upload["payloadKey"])
    # THEN it is refused before any agent is invoked
    assert (answer.status, answer.json()["error"]) == (403, "PayloadKeyNotAllowed")
    assert served.harness.agentcore.invocations() == []
    # AND bob cannot pass it to the chat agent either, while alice can
    assert invoke(served, "chat", caller="bob", payloadKey=upload["payloadKey"]).status == 403
    assert invoke(served, "chat", payloadKey=upload["payloadKey"]).status == 200


def test_an_idempotency_key_names_one_request_per_agent(served: Served) -> None:
    # GIVEN alice's job on the chat agent with an Idempotency-Key
    headers = {"Idempotency-Key": "order-1"}
    first = call(served.url("chat", "jobs"), json={"prompt": "go"}, caller="alice", headers=headers)
    assert first.status == 202, first.body
    # WHEN she sends the same key and body to the research agent
    second = call(served.url("research", "jobs"), json={"prompt": "go"}, caller="alice", headers=headers)
    # THEN it starts the research agent's own job, not the chat agent's answer
    assert second.status == 202 and second.json()["jobId"] != first.json()["jobId"]
    assert [c.runtime_arn for c in served.harness.agentcore.invocations()] == [
        served.harness.runtime_arn(served.chat), served.harness.runtime_arn(served.research)]
