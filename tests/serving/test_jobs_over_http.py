"""The asynchronous job API and payload staging over real HTTP: ``POST /jobs`` (with ``Idempotency-Key``),
``GET`` and ``DELETE /jobs/{jobId}`` and ``POST /uploads`` through the front door, the proxy from its synthesized asset
on the Powertools layer, DynamoDB and S3 in moto's server, the agent's side played by the job reporter the library
ships; jobs and staged objects owned by role-session and identity-pool callers."""

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
from tests.harness.callers import CognitoIdentityCaller, IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import Response, call
from tests.harness.rest_front_door import RestFrontDoor
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(60)
CALLERS = {
    "alice": IamCaller.assumed_role("web-app", "alice"),
    "bob": IamCaller.assumed_role("web-app", "bob"),
    "mallory": IamCaller.assumed_role("other-app", "mallory"),
    "carol": CognitoIdentityCaller("us-east-1:0f0e0d0c-0000-4000-8000-00000000000a"),
    "dave": CognitoIdentityCaller("us-east-1:0f0e0d0c-0000-4000-8000-00000000000b"),
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


def start_job(served: Served, caller: str = "alice", headers: dict[str, str] | None = None, **body: Any) -> Response:
    return call(served.door.stage_url + "/jobs", json={"prompt": "research this", **body}, caller=caller,
                headers=headers)


def job(served: Served, job_id: str, caller: str = "alice", method: str = "GET") -> Response:
    return call(served.door.stage_url + f"/jobs/{job_id}", method=method, caller=caller)


def test_a_job_is_recorded_in_dynamodb_and_started_in_its_owners_agent_session(served: Served) -> None:
    # WHEN alice starts a job
    answer = start_job(served)
    # THEN she gets 202 at once, with the job's id and where to poll
    assert answer.status == 202, answer.body
    started = answer.json()
    job_id = started["jobId"]
    assert started["status"] == "RUNNING" and answer.headers["location"] == f"/jobs/{job_id}"
    # AND the job is in the table the template declares, running, owned by her role session, with an expiry
    item = served.job(job_id)
    assert item["status"] == {"S": "RUNNING"}
    assert item["owner"] == {"S": "iam:" + CALLERS["alice"].user_arn}  # type: ignore[attr-defined]
    assert item["sessionId"] == {"S": started["sessionId"]}
    assert int(item["expiresAt"]["N"]) > int(item["createdAt"]["N"])
    # AND the agent got the prompt, the job id and her own output prefix, in her caller-bound runtime session
    (agent_call,) = served.harness.agentcore.invocations()
    assert agent_call.session_id == item["runtimeSessionId"]["S"] != started["sessionId"]
    payload = agent_call.json()
    assert {k: payload[k] for k in ("prompt", "jobId")} == {"prompt": "research this", "jobId": job_id}
    assert payload["resultPrefix"].startswith(served.staging.output_prefix(served.agent))
    assert agent_call.user_id == "iam:" + CALLERS["alice"].user_arn  # type: ignore[attr-defined]


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


def test_the_completion_hook_reports_progress_and_failures_and_a_finished_job_is_final(served: Served) -> None:
    # GIVEN two running jobs of alice
    dynamodb = served.harness.moto.client("dynamodb")
    first, second = (start_job(served).json()["jobId"] for _ in range(2))
    # WHEN the agent reports progress on one and fails the other with the hook
    assert job_reporter.report_progress(first, "halfway", table=served.table, client=dynamodb)
    assert job_reporter.report_failure(second, "source unavailable", table=served.table, client=dynamodb)
    # THEN alice reads both, and a finished job cannot be changed any more
    running = job(served, first).json()
    assert (running["status"], running["progress"]) == ("RUNNING", "halfway")
    failed = job(served, second).json()
    assert (failed["status"], failed["error"]) == ("FAILED", "source unavailable")
    assert not job_reporter.report_success(second, result="late", table=served.table, client=dynamodb)
    assert not job_reporter.report_success("0" * 32, result="x", table=served.table, client=dynamodb)


def test_a_result_in_staging_is_handed_out_as_a_presigned_url_that_works(served: Served) -> None:
    # GIVEN a job whose agent wrote its result under the caller's output prefix it was given
    job_id = start_job(served).json()["jobId"]
    key = f"{served.harness.agentcore.invocations()[-1].json()['resultPrefix']}{job_id}.json"
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
    (item,) = [i for i in items if i.get("runtimeSessionId", {}).get("S") == session]
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


def test_a_job_is_not_readable_by_another_session_of_the_same_role(served: Served) -> None:
    # GIVEN a job of alice, a session of the web app's role
    job_id = start_job(served).json()["jobId"]
    # WHEN bob, another session of that role, asks for it or tries to cancel it
    # THEN it is not his
    assert job(served, job_id, caller="bob").status == 404
    assert job(served, job_id, caller="bob", method="DELETE").status == 404
    assert job(served, job_id).json()["status"] == "RUNNING"


def test_a_job_of_one_identity_pool_caller_is_not_readable_by_another(served: Served) -> None:
    # GIVEN a job of carol, a Cognito identity (the pool's role and role session name are shared by all identities)
    job_id = start_job(served, caller="carol").json()["jobId"]
    # WHEN dave, another identity of the same pool, asks for it
    # THEN her identity id, not the shared role session, owns it
    assert job(served, job_id, caller="dave").status == 404
    assert job(served, job_id, caller="carol").status == 200


def test_the_session_of_a_job_that_failed_is_stopped(served: Served) -> None:
    # GIVEN an agent that fails while starting the job
    served.harness.agentcore.enqueue(Script.error("RuntimeClientError"))
    # WHEN the job is started
    assert start_job(served).status == 502
    # THEN its runtime session is stopped on the facade's endpoint, not left to hold a session until the idle timeout
    (agent_call,) = served.harness.agentcore.invocations()
    assert agent_call.session_id in served.harness.agentcore.stopped_sessions()
    assert served.harness.agentcore.stops()[0].qualifier == agent_call.qualifier


def test_cancelling_a_running_job_stops_its_session_and_is_final(served: Served) -> None:
    # GIVEN a running job of alice
    job_id = start_job(served).json()["jobId"]
    # WHEN she cancels it
    cancelled = job(served, job_id, method="DELETE")
    # THEN it is CANCELLED, its runtime session is stopped, and it cannot be cancelled again or overwritten by the proxy
    assert (cancelled.status, cancelled.json()) == (200, {"jobId": job_id, "status": "CANCELLED"})
    assert served.job(job_id)["status"] == {"S": "CANCELLED"}
    assert served.job(job_id)["runtimeSessionId"]["S"] in served.harness.agentcore.stopped_sessions()
    again = job(served, job_id, method="DELETE")
    assert (again.status, again.json()["error"]) == (409, "JobFinished")
    # AND the agent still working on it cannot overwrite the cancellation with its completion hook
    dynamodb = served.harness.moto.client("dynamodb")
    assert not job_reporter.report_success(job_id, result="too late", table=served.table, client=dynamodb)
    assert served.job(job_id)["status"] == {"S": "CANCELLED"}


def test_a_retry_with_the_same_idempotency_key_answers_the_first_job(served: Served) -> None:
    # GIVEN a job started with an Idempotency-Key
    key = {"Idempotency-Key": "order-7-attempt"}
    first = start_job(served, headers=key)
    assert first.status == 202, first.body
    # WHEN the same caller retries the same request with the same key
    retry = start_job(served, headers=key)
    # THEN the retry answers the first job, and the agent was invoked once
    assert retry.status == 202 and retry.json() == first.json()
    assert len(served.harness.agentcore.invocations()) == 1
    # AND the same key with another body is refused, and another caller's key is another job
    reused = start_job(served, headers=key, note="different")
    assert (reused.status, reused.json()["error"]) == (422, "IdempotencyKeyReused")
    bobs = start_job(served, caller="bob", headers=key)
    assert bobs.status == 202 and bobs.json()["jobId"] != first.json()["jobId"]
    assert len(served.harness.agentcore.invocations()) == 2


def test_a_malformed_idempotency_key_is_a_400(served: Served) -> None:
    # WHEN a key with characters outside visible ASCII is sent
    answer = start_job(served, headers={"Idempotency-Key": "no spaces allowed"})
    # THEN it is refused before any job exists
    assert (answer.status, answer.json()["error"]) == (400, "InvalidIdempotencyKey")
    assert served.harness.agentcore.invocations() == []


def test_a_caller_can_reference_and_download_only_its_own_staged_objects(served: Served) -> None:
    # GIVEN an upload of alice, under her own segment of the agent's input prefix
    upload = call(served.door.stage_url + "/uploads", json={"size": 3}, caller="alice").json()
    assert upload["key"].startswith(served.staging.input_prefix(served.agent))
    # WHEN bob starts a job with alice's payloadKey
    answer = start_job(served, caller="bob", payloadKey=upload["payloadKey"])
    # THEN he is refused, and no agent is invoked
    assert (answer.status, answer.json()["error"]) == (403, "PayloadKeyNotAllowed")
    assert served.harness.agentcore.invocations() == []
    # AND alice may use it
    assert start_job(served, caller="alice", payloadKey=upload["payloadKey"]).status == 202
    # AND a job result staged under another caller's prefix is not handed out to the job's owner
    job_id = start_job(served, caller="bob").json()["jobId"]
    alice_prefix = served.harness.agentcore.invocations()[0].json()["resultPrefix"]
    key = f"{alice_prefix}{job_id}.json"
    served.harness.moto.client("s3").put_object(Bucket=served.bucket, Key=key, Body=b"{}")
    job_reporter.report_success(job_id, result_key=key, table=served.table,
                                client=served.harness.moto.client("dynamodb"))
    done = job(served, job_id, caller="bob").json()
    assert done["status"] == "SUCCEEDED" and "resultUrl" not in done
