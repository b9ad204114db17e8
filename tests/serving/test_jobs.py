"""The asynchronous job API: the job table construct, the facade's job routes, and the proxy's job flow."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk.assertions import Annotations, Match, Template
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from moto import mock_aws

from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
from constructs_lib.handlers import contract
from constructs_lib.handlers import invoke_proxy as proxy
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.jobs import AGENT_ENV_TABLE_NAME, AgentJobs
from tests.conftest import RESEARCH_CODE
from tests.serving._fixtures import PROXY_SETTINGS, runtime_environment, synth_errors

RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/research-AbCdEf1234"
ALICE = "arn:aws:iam::123456789012:user/alice"
BOB = "arn:aws:iam::123456789012:user/bob"


def async_agent(stack: cdk.Stack) -> AgentCoreAgent:
    return AgentCoreAgent(stack, "Research", runtime_name="research", artifact=AgentArtifact.from_code(RESEARCH_CODE),
                          workload=WorkloadProfile(longest_task=cdk.Duration.hours(3)))


# -- construct ----------------------------------------------------------------------------------------


def test_job_table_is_encrypted_recoverable_retained_with_ttl(stack: cdk.Stack) -> None:
    AgentJobs(stack, "Jobs")
    template = Template.from_stack(stack)
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": Match.object_like({
                "KeySchema": [{"AttributeName": "jobId", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
            }),
        },
    )


def test_fails_when_records_would_expire_before_the_job_can_end(stack: cdk.Stack) -> None:
    # GIVEN records shorter-lived than the longest asynchronous job
    jobs = AgentJobs(stack, "Jobs", time_to_live=cdk.Duration.hours(1))
    # THEN synthesis fails (a hard limit, reported with the others) and names the quota
    (error,) = synth_errors(jobs)
    assert error.startswith("[JobTimeToLiveTooShort] time_to_live 1 h is shorter than")
    assert "asynchronous job duration" in error


def test_records_that_outlive_the_longest_job_pass(stack: cdk.Stack) -> None:
    seconds = QuotaCatalog().value(QuotaName.ASYNCHRONOUS_JOB_DURATION)
    jobs = AgentJobs(stack, "Jobs", time_to_live=cdk.Duration.seconds(seconds))
    assert synth_errors(jobs) == []


def test_grant_report_only_grants_and_bind_tells_the_agent(stack: cdk.Stack) -> None:
    # GIVEN an agent granted directly, and another bound
    granted = AgentCoreAgent(stack, "Granted", runtime_name="granted", artifact=AgentArtifact.from_code(RESEARCH_CODE))
    jobs = AgentJobs(stack, "Jobs")
    jobs.grant_report(granted)
    # THEN the grant leaves the agent's environment alone
    assert AGENT_ENV_TABLE_NAME not in granted.environment
    assert AGENT_ENV_TABLE_NAME not in runtime_environment(Template.from_stack(stack))
    # AND bind grants and sets the table name
    jobs.bind(granted)
    assert AGENT_ENV_TABLE_NAME in granted.environment


def test_a_token_time_to_live_is_not_checked(stack: cdk.Stack) -> None:
    ttl = cdk.Duration.seconds(cdk.Token.as_number(cdk.Fn.ref("AWS::NoValue")))
    AgentJobs(stack, "Jobs", time_to_live=ttl)
    Annotations.from_stack(stack).has_info("/TestStack/Jobs", Match.string_like_regexp(
        r"\[TokenNotChecked\] time_to_live is an unresolved token"
    ))


def test_asynchronous_agents_get_the_job_routes_and_not_invoke(stack: cdk.Stack) -> None:
    # GIVEN an agent planned asynchronous (3 h tasks)
    research = async_agent(stack)
    api = AgentApiFacade(stack, "Api", agent=research)
    template = Template.from_stack(stack)
    # THEN the API has POST /jobs and GET /jobs/{jobId} only
    paths = {r["Properties"]["PathPart"] for r in template.find_resources("AWS::ApiGateway::Resource").values()}
    assert paths == {"jobs", "{jobId}"}
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {"HttpMethod": "GET", "RequestParameters": {"method.request.path.jobId": True}},
    )
    # AND POST /jobs is throttled within the session creation rate too
    template.has_resource_properties("AWS::ApiGateway::Stage", {"MethodSettings": Match.array_with([
        Match.object_like({"HttpMethod": "POST", "ResourcePath": "/~1jobs",
                           "ThrottlingRateLimit": min(research.plan.api_throttle_rate,
                                                      research.plan.session_creation_capacity_per_second)}),
    ])})
    # AND the agent can report completion: UpdateItem on the table, and its name in the environment
    assert api.jobs is not None
    assert AGENT_ENV_TABLE_NAME in research.environment
    policies = template.find_resources("AWS::IAM::Policy")
    agent_policy = [p for name, p in policies.items() if name.startswith("ResearchExecutionRole")]
    actions = json.dumps([s["Action"] for p in agent_policy for s in p["Properties"]["PolicyDocument"]["Statement"]])
    assert "dynamodb:UpdateItem" in actions and "dynamodb:DeleteItem" not in actions
    # AND the proxy can create, read and update job records
    template.has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]}),
    ])}})


def test_jobs_can_be_opted_in_for_a_synchronous_agent(stack: cdk.Stack) -> None:
    chat = AgentCoreAgent(stack, "Chat", runtime_name="chat", artifact=AgentArtifact.from_code(RESEARCH_CODE),
                          workload=WorkloadProfile(longest_task=cdk.Duration.minutes(5)))
    AgentApiFacade(stack, "Api", agent=chat, jobs=True, invoke_route=False)
    cdk.App.of(stack).synth()  # type: ignore[union-attr]  # no TaskExceedsIntegrationTimeout without /invoke
    template = Template.from_stack(stack)
    paths = {r["Properties"]["PathPart"] for r in template.find_resources("AWS::ApiGateway::Resource").values()}
    assert paths == {"jobs", "{jobId}"}


# -- proxy job flow (moto DynamoDB and S3, Stubber for AgentCore) --------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        contract.ENV_AGENT_RUNTIME_ARN: RUNTIME_ARN, contract.ENV_AGENT_QUALIFIER: "DEFAULT",
        contract.ENV_JOBS_TABLE_NAME: "jobs", contract.ENV_JOB_TIME_TO_LIVE_SECONDS: "604800",
        "PAYLOAD_STAGING_BUCKET": "staging", "PAYLOAD_STAGING_URL_EXPIRY_SECONDS": "300",
        "PAYLOAD_STAGING_MAX_OBJECT_BYTES": "1048576", "PAYLOAD_STAGING_INPUT_PREFIX": "inputs/research/",
        "PAYLOAD_STAGING_OUTPUT_PREFIX": "outputs/research/", **PROXY_SETTINGS,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="jobs", KeySchema=[{"AttributeName": "jobId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "jobId", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        )
        # SigV4, as the proxy's own client signs.
        s3 = boto3.client("s3", region_name="us-east-1", config=Config(signature_version="s3v4"))
        s3.create_bucket(Bucket="staging")
        agentcore = boto3.client("bedrock-agentcore", region_name="us-east-1")
        with Stubber(agentcore) as stubber:
            proxy.set_clients(agentcore=agentcore, dynamodb=dynamodb, s3=s3)
            yield {"dynamodb": dynamodb, "s3": s3, "agentcore": stubber}
            stubber.assert_no_pending_responses()
    proxy.set_clients(agentcore=None, dynamodb=None, s3=None)


def request(method: str, resource: str, body: Any = None, *, caller: str = ALICE, job_id: str | None = None) -> dict:
    return {
        "httpMethod": method, "resource": resource, "headers": {},
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
        "pathParameters": {"jobId": job_id} if job_id else None,
        "requestContext": {"requestId": "r1", "identity": {"userArn": caller}},
    }


def ack() -> dict[str, Any]:
    data = b'{"accepted": true}'
    body = StreamingBody(io.BytesIO(data), len(data))
    return {"response": body, "contentType": "application/json", "statusCode": 200}


def item(aws: dict[str, Any], job_id: str) -> dict[str, Any]:
    return aws["dynamodb"].get_item(TableName="jobs", Key={"jobId": {"S": job_id}})["Item"]


def test_start_job_answers_202_and_passes_the_job_id_to_the_agent(aws: dict[str, Any]) -> None:
    # GIVEN an agent that acknowledges at once
    aws["agentcore"].add_response("invoke_agent_runtime", ack(), {
        "agentRuntimeArn": RUNTIME_ARN, "qualifier": "DEFAULT", "runtimeSessionId": ANY, "payload": ANY,
        "contentType": "application/json", "accept": "application/json",
    })
    # WHEN a client starts a job
    answer = proxy.handler(request("POST", "/jobs", {"prompt": "research this"}))
    # THEN it gets 202 with a job id and a Location, and the job is RUNNING with a TTL
    assert answer["statusCode"] == 202
    body = json.loads(answer["body"])
    assert proxy.JOB_ID_PATTERN.match(body["jobId"]) and body["status"] == "RUNNING"
    assert answer["headers"]["Location"] == f"/jobs/{body['jobId']}"
    record = item(aws, body["jobId"])
    assert record["status"]["S"] == "RUNNING" and record["owner"]["S"] == ALICE
    assert int(record["expiresAt"]["N"]) - int(record["createdAt"]["N"]) == 604800


def test_start_job_payload_carries_the_job_id() -> None:
    payload = json.loads(proxy.agent_payload({"prompt": "p", "sessionId": "x" * 40}, jobId="abc"))
    assert payload == {"prompt": "p", "jobId": "abc"}


def test_a_failed_start_marks_the_job_failed_and_maps_the_error(aws: dict[str, Any]) -> None:
    aws["agentcore"].add_client_error("invoke_agent_runtime", service_error_code="ServiceQuotaExceededException",
                                      http_status_code=402)
    answer = proxy.handler(request("POST", "/jobs", {"prompt": "p"}))
    assert answer["statusCode"] == 429 and answer["headers"]["Retry-After"] == "30"
    jobs = aws["dynamodb"].scan(TableName="jobs")["Items"]
    assert [j["status"]["S"] for j in jobs] == ["FAILED"]


def test_get_job_returns_the_inline_result_when_the_agent_reported_it(aws: dict[str, Any]) -> None:
    aws["agentcore"].add_response("invoke_agent_runtime", ack(), None)
    job_id = json.loads(proxy.handler(request("POST", "/jobs", {"prompt": "p"}))["body"])["jobId"]
    # GIVEN the agent followed the completion contract
    aws["dynamodb"].update_item(
        TableName="jobs", Key={"jobId": {"S": job_id}},
        UpdateExpression="SET #s = :s, #r = :r, updatedAt = :now",
        ConditionExpression="attribute_exists(jobId)",
        ExpressionAttributeNames={"#s": "status", "#r": "result"},
        ExpressionAttributeValues={":s": {"S": "SUCCEEDED"}, ":r": {"S": "42"}, ":now": {"N": "1"}},
    )
    answer = proxy.handler(request("GET", "/jobs/{jobId}", job_id=job_id))
    body = json.loads(answer["body"])
    assert answer["statusCode"] == 200 and body["status"] == "SUCCEEDED" and body["result"] == "42"


def test_get_job_returns_a_presigned_url_for_a_staged_result(aws: dict[str, Any]) -> None:
    aws["agentcore"].add_response("invoke_agent_runtime", ack(), None)
    job_id = json.loads(proxy.handler(request("POST", "/jobs", {"prompt": "p"}))["body"])["jobId"]
    aws["dynamodb"].update_item(
        TableName="jobs", Key={"jobId": {"S": job_id}}, UpdateExpression="SET #s = :s, resultKey = :k",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "SUCCEEDED"}, ":k": {"S": f"outputs/research/{job_id}.json"}},
    )
    body = json.loads(proxy.handler(request("GET", "/jobs/{jobId}", job_id=job_id))["body"])
    assert "staging" in body["resultUrl"] and f"outputs/research/{job_id}.json" in body["resultUrl"]
    assert "X-Amz-Expires=300" in body["resultUrl"]


def test_a_result_key_outside_the_output_prefix_is_not_signed(aws: dict[str, Any]) -> None:
    aws["agentcore"].add_response("invoke_agent_runtime", ack(), None)
    job_id = json.loads(proxy.handler(request("POST", "/jobs", {"prompt": "p"}))["body"])["jobId"]
    aws["dynamodb"].update_item(
        TableName="jobs", Key={"jobId": {"S": job_id}}, UpdateExpression="SET resultKey = :k",
        ExpressionAttributeValues={":k": {"S": "outputs/other_agent/secret.json"}},
    )
    body = json.loads(proxy.handler(request("GET", "/jobs/{jobId}", job_id=job_id))["body"])
    assert body["resultUrl"] is None


def test_another_caller_cannot_see_a_job(aws: dict[str, Any]) -> None:
    aws["agentcore"].add_response("invoke_agent_runtime", ack(), None)
    job_id = json.loads(proxy.handler(request("POST", "/jobs", {"prompt": "p"}))["body"])["jobId"]
    assert proxy.handler(request("GET", "/jobs/{jobId}", job_id=job_id, caller=BOB))["statusCode"] == 404


def test_unknown_and_malformed_job_ids(aws: dict[str, Any]) -> None:
    assert proxy.handler(request("GET", "/jobs/{jobId}", job_id="0" * 32))["statusCode"] == 404
    assert proxy.handler(request("GET", "/jobs/{jobId}", job_id="../etc"))["statusCode"] == 400
    assert proxy.handler(request("GET", "/jobs/{jobId}", job_id="0" * 32 + "\n"))["statusCode"] == 400


def test_uploads_hand_out_size_limited_urls_under_the_input_prefix(aws: dict[str, Any]) -> None:
    put = json.loads(proxy.handler(request("POST", "/uploads", {"size": 1000}))["body"])
    assert put["method"] == "PUT" and put["payloadKey"].startswith("inputs/research/")
    assert put["expiresIn"] == 300 and "X-Amz-Expires=300" in put["url"]
    assert "content-length" in put["url"].lower()  # the size is part of the signature
    post = json.loads(proxy.handler(request("POST", "/uploads", {}))["body"])
    assert post["maxBytes"] == 1048576 and post["payloadKey"].startswith("inputs/research/")
    too_big = proxy.handler(request("POST", "/uploads", {"size": 1048577}))
    assert too_big["statusCode"] == 400 and json.loads(too_big["body"])["error"] == "ObjectTooLarge"


@pytest.mark.usefixtures("proxy_env")
def test_routes_without_configuration_are_404(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(contract.ENV_JOBS_TABLE_NAME, raising=False)
    monkeypatch.delenv("PAYLOAD_STAGING_BUCKET", raising=False)
    assert proxy.handler(request("POST", "/jobs", {"prompt": "p"}))["statusCode"] == 404
    assert proxy.handler(request("POST", "/uploads", {"size": 1}))["statusCode"] == 404


def test_any_session_of_the_same_role_owns_the_job(aws: dict[str, Any]) -> None:
    # GIVEN a job started by one session of a role
    role = "arn:aws:sts::123456789012:assumed-role/Client/"
    aws["agentcore"].add_response("invoke_agent_runtime", ack(), None)
    job_id = json.loads(proxy.handler(request("POST", "/jobs", {"prompt": "p"}, caller=role + "s1"))["body"])["jobId"]
    # THEN another session of that role sees it, another role does not
    assert proxy.handler(request("GET", "/jobs/{jobId}", job_id=job_id, caller=role + "s2"))["statusCode"] == 200
    other = "arn:aws:sts::123456789012:assumed-role/Other/s1"
    assert proxy.handler(request("GET", "/jobs/{jobId}", job_id=job_id, caller=other))["statusCode"] == 404


# -- the agent's side: the completion hook, end to end with the proxy ----------------------------------


def test_the_completion_hook_finishes_a_job_the_proxy_started(aws: dict[str, Any]) -> None:
    from constructs_lib.agent_side import job_reporter

    # GIVEN a job started through the API
    aws["agentcore"].add_response("invoke_agent_runtime", ack(), None)
    job_id = json.loads(proxy.handler(request("POST", "/jobs", {"prompt": "p"}))["body"])["jobId"]
    # WHEN the agent reports progress and then its result with the hook
    assert job_reporter.report_progress(job_id, "halfway", table="jobs", client=aws["dynamodb"])
    running = json.loads(proxy.handler(request("GET", "/jobs/{jobId}", job_id=job_id))["body"])
    assert running["status"] == "RUNNING" and running["progress"] == "halfway"
    assert job_reporter.report_success(job_id, result="42", table="jobs", client=aws["dynamodb"])
    # THEN the client reads the result, and the finished job cannot be changed any more
    done = json.loads(proxy.handler(request("GET", "/jobs/{jobId}", job_id=job_id))["body"])
    assert done["status"] == "SUCCEEDED" and done["result"] == "42"
    assert not job_reporter.report_failure(job_id, "late", table="jobs", client=aws["dynamodb"])
    assert item(aws, job_id)["status"]["S"] == "SUCCEEDED"


def test_the_completion_hook_reports_failures_and_staged_results(aws: dict[str, Any]) -> None:
    from constructs_lib.agent_side import job_reporter

    aws["agentcore"].add_response("invoke_agent_runtime", ack(), None)
    first = json.loads(proxy.handler(request("POST", "/jobs", {"prompt": "p"}))["body"])["jobId"]
    aws["agentcore"].add_response("invoke_agent_runtime", ack(), None)
    second = json.loads(proxy.handler(request("POST", "/jobs", {"prompt": "p"}))["body"])["jobId"]
    assert job_reporter.report_failure(first, "source unavailable", table="jobs", client=aws["dynamodb"])
    failed = json.loads(proxy.handler(request("GET", "/jobs/{jobId}", job_id=first))["body"])
    assert failed["status"] == "FAILED" and failed["error"] == "source unavailable"
    key = f"outputs/research/{second}.json"
    assert job_reporter.report_success(second, result_key=key, table="jobs", client=aws["dynamodb"])
    staged = json.loads(proxy.handler(request("GET", "/jobs/{jobId}", job_id=second))["body"])
    assert key in staged["resultUrl"]
    assert not job_reporter.report_success("0" * 32, result="x", table="jobs", client=aws["dynamodb"])
    with pytest.raises(ValueError, match="not both"):
        job_reporter.report_success(second, result="a", result_key=key, table="jobs", client=aws["dynamodb"])


def test_the_reference_agent_ships_the_same_hook() -> None:
    from tests.conftest import ROOT

    library = ROOT / "constructs_lib" / "agent_side" / "job_reporter.py"
    vendored = RESEARCH_CODE / "job_reporter.py"
    assert vendored.read_text() == library.read_text(), "copy constructs_lib/handlers/job_reporter.py to the agent"
