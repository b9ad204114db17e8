"""The asynchronous job API and payload staging over real HTTP: ``POST /jobs``, ``GET /jobs/{jobId}`` and
``POST /uploads`` through the front door, the proxy from its synthesized asset, DynamoDB and S3 in moto's
server, the agent's side played by the job reporter the library ships."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aws_cdk as cdk
import pytest

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent_side import job_reporter
from constructs_lib.planning.agent_plan import WorkloadProfile
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.payload_staging import PayloadStaging
from tests.conftest import ENV
from tests.harness.agent_script import Script
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import Response, call
from tests.harness.known_issues import issue_10
from tests.harness.rest_front_door import RestFrontDoor
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(60)
CALLERS = {
    "alice": IamCaller.assumed_role("web-app", "alice"),
    "bob": IamCaller.assumed_role("web-app", "bob"),
    "mallory": IamCaller.assumed_role("other-app", "mallory"),
}


@dataclass
class Served:
    harness: Harness
    door: RestFrontDoor
    agent: AgentCoreAgent
    facade: AgentApiFacade
    staging: PayloadStaging

    @property
    def table(self) -> str:
        assert self.facade.jobs is not None
        return self.harness.physical_name(self.facade.jobs.table)

    @property
    def bucket(self) -> str:
        return self.harness.physical_name(self.staging.bucket)

    def job(self, job_id: str) -> Any:
        dynamodb = self.harness.moto.client("dynamodb")
        return dynamodb.get_item(TableName=self.table, Key={"jobId": {"S": job_id}})["Item"]


@pytest.fixture(scope="module")
def served(harness_for: Callable[..., Harness]) -> Served:
    stack = cdk.Stack(cdk.App(), "RestJobs", env=ENV)
    staging = PayloadStaging(stack, "Staging")
    agent = make_agent(stack, runtime_name="jobs_agent", workload=WorkloadProfile(longest_task=cdk.Duration.hours(2)))
    facade = AgentApiFacade(stack, "Api", agent=agent, staging=staging)
    assert facade.jobs_enabled
    harness = harness_for(stack)
    return Served(harness, harness.rest_api(facade.api, callers=CALLERS), agent, facade, staging)


@pytest.fixture(autouse=True)
def fresh(served: Served) -> None:
    served.harness.reset()


def start_job(served: Served, caller: str = "alice", **body: Any) -> Response:
    return call(served.door.stage_url + "/jobs", json={"prompt": "research this", **body}, caller=caller)


def test_a_job_is_recorded_in_dynamodb_and_started_in_its_own_agent_session(served: Served) -> None:
    # WHEN alice starts a job
    answer = start_job(served)
    # THEN she gets 202 at once, with the job's id and where to poll
    assert answer.status == 202, answer.body
    started = answer.json()
    job_id = started["jobId"]
    assert started["status"] == "RUNNING" and answer.headers["location"] == f"/jobs/{job_id}"
    # AND the job is in the table the template declares, running, with its session and an expiry
    item = served.job(job_id)
    assert item["status"] == {"S": "RUNNING"}
    assert item["sessionId"] == {"S": started["sessionId"]}
    assert int(item["expiresAt"]["N"]) > int(item["createdAt"]["N"])
    # AND the agent got the prompt and the job id in that session
    (agent_call,) = served.harness.agentcore.invocations()
    assert agent_call.session_id == started["sessionId"]
    assert agent_call.json() == {"prompt": "research this", "jobId": job_id}


def test_the_owner_polls_the_job_until_the_agent_reports_its_result(served: Served) -> None:
    # GIVEN a running job of alice
    job_id = start_job(served).json()["jobId"]
    running = call(served.door.stage_url + f"/jobs/{job_id}", method="GET", caller="alice")
    assert (running.status, running.json()["status"]) == (200, "RUNNING")
    # WHEN the agent reports its result the way the shipped job reporter does
    assert job_reporter.report_success(job_id, result="42", table=served.table,
                                       client=served.harness.moto.client("dynamodb"))
    # THEN alice's next poll returns it
    done = call(served.door.stage_url + f"/jobs/{job_id}", method="GET", caller="alice")
    assert done.status == 200
    assert {k: done.json()[k] for k in ("jobId", "status", "result")} == {"jobId": job_id, "status": "SUCCEEDED",
                                                                          "result": "42"}


def test_a_result_in_staging_is_handed_out_as_a_presigned_url_that_works(served: Served) -> None:
    # GIVEN a job whose agent wrote its result to its staging output prefix
    job_id = start_job(served).json()["jobId"]
    key = f"{served.staging.output_prefix(served.agent)}{job_id}.json"
    served.harness.moto.client("s3").put_object(Bucket=served.bucket, Key=key, Body=b'{"answer": 42}')
    job_reporter.report_success(job_id, result_key=key, table=served.table,
                                client=served.harness.moto.client("dynamodb"))
    # WHEN alice polls the job
    done = call(served.door.stage_url + f"/jobs/{job_id}", method="GET", caller="alice").json()
    # THEN she gets a pre-signed URL (to the local S3) that returns the result
    fetched = call(done["resultUrl"], method="GET")
    assert (fetched.status, fetched.json()) == (200, {"answer": 42})


def test_a_job_of_another_caller_is_not_found(served: Served) -> None:
    # GIVEN a job of alice
    job_id = start_job(served).json()["jobId"]
    # WHEN a caller of another role asks for it
    answer = call(served.door.stage_url + f"/jobs/{job_id}", method="GET", caller="mallory")
    # THEN its existence is not disclosed
    assert (answer.status, answer.json()["error"]) == (404, "JobNotFound")


def test_a_job_whose_agent_is_at_capacity_is_failed_and_the_client_told_to_retry(served: Served) -> None:
    # GIVEN AgentCore at its active-session quota
    served.harness.agentcore.enqueue(Script.error("ServiceQuotaExceededException"))
    # WHEN a job is started
    answer = start_job(served)
    # THEN the client gets 429 with Retry-After, and the recorded job is FAILED with a generic reason
    assert (answer.status, answer.json()["error"]) == (429, "SessionLimitReached")
    assert answer.headers["retry-after"] == "30"
    items = served.harness.moto.client("dynamodb").scan(TableName=served.table)["Items"]
    session = served.harness.agentcore.invocations()[0].session_id
    (item,) = [i for i in items if i["sessionId"]["S"] == session]
    assert item["status"] == {"S": "FAILED"}
    assert item["error"] == {"S": "the agent is at capacity; retry later"}


def test_an_upload_url_accepts_exactly_the_declared_bytes_and_the_key_reaches_the_agent(served: Served) -> None:
    # WHEN alice asks for an upload of 11 bytes
    answer = call(served.door.stage_url + "/uploads", json={"size": 11, "fileName": "notes.txt"}, caller="alice")
    # THEN she gets a PUT URL to the staging bucket, under the agent's input prefix
    assert answer.status == 201, answer.body
    upload = answer.json()
    assert upload["method"] == "PUT" and upload["contentLength"] == 11
    assert upload["key"].startswith(served.staging.input_prefix(served.agent)) and upload["key"].endswith("/notes.txt")
    url = urlsplit(upload["url"])
    assert url.hostname == "127.0.0.1" and url.path.startswith(f"/{served.bucket}/")
    # AND the upload over HTTP lands in S3
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("PUT", f"{url.path}?{url.query}", body=b"hello world", headers={"Content-Length": "11"})
    assert connection.getresponse().status == 200
    connection.close()
    stored = served.harness.moto.client("s3").get_object(Bucket=served.bucket, Key=upload["key"])["Body"].read()
    assert stored == b"hello world"
    # AND a job referring to it passes the key on to the agent
    start_job(served, payloadKey=upload["payloadKey"])
    assert served.harness.agentcore.invocations()[-1].json()["payloadKey"] == upload["key"]


def test_an_upload_above_the_staging_maximum_is_refused(served: Served) -> None:
    # WHEN an upload larger than the staging bucket's maximum object size is asked for
    answer = call(served.door.stage_url + "/uploads", json={"size": served.staging.max_object_bytes + 1},
                  caller="alice")
    # THEN it is a client error naming the reason
    assert (answer.status, answer.json()["error"]) == (400, "ObjectTooLarge")


@issue_10("job ownership drops the role session name, so every session of a role owns every job")
def test_a_job_is_not_readable_by_another_session_of_the_same_role(served: Served) -> None:
    # GIVEN a job of alice, a session of the web app's role
    job_id = start_job(served).json()["jobId"]
    # WHEN bob, another session of that role, asks for it
    answer = call(served.door.stage_url + f"/jobs/{job_id}", method="GET", caller="bob")
    # THEN it is not his
    assert answer.status == 404


@issue_10("nothing calls StopRuntimeSession when a job fails")
def test_the_session_of_a_job_that_failed_is_stopped(served: Served) -> None:
    # GIVEN an agent that fails while starting the job
    served.harness.agentcore.enqueue(Script.error("RuntimeClientError"))
    # WHEN the job is started
    assert start_job(served).status == 502
    # THEN its runtime session is stopped, not left to hold a session until the idle timeout
    session = served.harness.agentcore.invocations()[0].session_id
    assert session in served.harness.agentcore.stopped_sessions()
