"""The asynchronous job API: the job table construct and the facade's job routes (the proxy's job flow runs over
HTTP in ``test_jobs_over_http.py``)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.jobs import AGENT_ENV_TABLE_NAME, AgentJobs
from tests.conftest import RESEARCH_CODE
from tests.serving._fixtures import runtime_environment, synth_errors

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
    # THEN the API has POST /jobs, GET and DELETE /jobs/{jobId} only
    paths = {r["Properties"]["PathPart"] for r in template.find_resources("AWS::ApiGateway::Resource").values()}
    assert paths == {"jobs", "{jobId}"}
    for method in ("GET", "DELETE"):
        template.has_resource_properties(
            "AWS::ApiGateway::Method",
            {"HttpMethod": method, "RequestParameters": {"method.request.path.jobId": True}},
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
    # AND the proxy can create, read, update and delete job and idempotency records, and knows for how long a key
    # is remembered
    template.has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Action": ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
                                      "dynamodb:UpdateItem"]}),
    ])}})
    template.has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables": Match.object_like({
        "IDEMPOTENCY_TTL_SECONDS": "86400", "JOBS_TABLE_NAME": Match.any_value()})}})


def test_jobs_can_be_opted_in_for_a_synchronous_agent(stack: cdk.Stack) -> None:
    chat = AgentCoreAgent(stack, "Chat", runtime_name="chat", artifact=AgentArtifact.from_code(RESEARCH_CODE),
                          workload=WorkloadProfile(longest_task=cdk.Duration.minutes(5)))
    AgentApiFacade(stack, "Api", agent=chat, jobs=True, invoke_route=False)
    cdk.App.of(stack).synth()  # type: ignore[union-attr]  # no TaskExceedsIntegrationTimeout without /invoke
    template = Template.from_stack(stack)
    paths = {r["Properties"]["PathPart"] for r in template.find_resources("AWS::ApiGateway::Resource").values()}
    assert paths == {"jobs", "{jobId}"}


def test_the_facade_passes_the_idempotency_key_lifetime_to_its_jobs(stack: cdk.Stack) -> None:
    # GIVEN a facade with jobs that remembers idempotency keys for two hours
    chat = AgentCoreAgent(stack, "Chat", runtime_name="chat", artifact=AgentArtifact.from_code(RESEARCH_CODE),
                          workload=WorkloadProfile(longest_task=cdk.Duration.minutes(5)))
    api = AgentApiFacade(stack, "Api", agent=chat, jobs=True, invoke_route=False,
                         idempotency_key_lifetime=cdk.Duration.hours(2))
    # THEN its jobs and its proxy use that lifetime
    assert api.jobs is not None and api.jobs.idempotency_key_lifetime.to_seconds() == 7200
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {"Environment": {
        "Variables": Match.object_like({"IDEMPOTENCY_TTL_SECONDS": "7200"})}})


def test_fails_when_the_idempotency_key_lifetime_is_not_positive(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="idempotency_key_lifetime") as exc:
        AgentJobs(stack, "Jobs", idempotency_key_lifetime=cdk.Duration.seconds(0))
    assert exc.value.code == "InvalidIdempotencyKeyLifetime"


# -- the agent's side --------------------------------------------------------------------------------


def test_the_reference_agent_ships_the_same_hook() -> None:
    from tests.conftest import ROOT

    library = ROOT / "constructs_lib" / "agent_side" / "job_reporter.py"
    vendored = RESEARCH_CODE / "job_reporter.py"
    assert vendored.read_text() == library.read_text(), "copy constructs_lib/handlers/job_reporter.py to the agent"
