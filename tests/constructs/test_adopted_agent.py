"""AgentCoreAgent.from_runtime: an existing runtime, planned on its workload and accepted by every construct.

Each consumer is built twice, on a new L2 ``Runtime`` of the same stack and on a runtime imported with
``Runtime.from_agent_runtime_attributes``, and its template is checked where the adopted runtime shows: grants name the
runtime's ARN (and the endpoint invoked) and go to the runtime's own execution role, metrics carry the runtime's
dimensions, planning findings land on the adopted agent's path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_monitoring_constructs as cmc
import pytest
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib import (
    AgentApiFacade,
    AgentCoreAgent,
    AgentCoreMonitoring,
    AgentIsolation,
    AgentJobs,
    AgentMonitoring,
    AgentPipeline,
    AgentPlatform,
    AgentSessionStore,
    AgentStep,
    AgentTool,
    AgentVersionArchive,
    AgentWebSocketFacade,
    ArtifactKind,
    ConstructsLibValidationError,
    IAgentCoreAgent,
    PayloadStaging,
    QuotaCatalog,
    WorkloadProfile,
)
from constructs_lib.agent.adopted import AdoptedAgent
from constructs_lib.agent.interface import AGENT_MEMBERS, is_agent
from constructs_lib.report.capacity import build_report_from_cdk_out, build_report_from_records
from constructs_lib.report.in_process import build_report
from tests.conftest import ACCOUNT, ENV, REGION

IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/existing:1"
IMPORTED_ID = "imported_agent-AbCdE12345"
IMPORTED_ARN = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:runtime/{IMPORTED_ID}"
IMPORTED_ROLE = "imported-agent-role"
TOOL_CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")


@dataclass
class Adopted:
    """One adopted runtime and how its template shows it."""

    kind: str
    stack: cdk.Stack
    runtime: agentcore.IBedrockAgentRuntime
    agent: IAgentCoreAgent
    arn: Any
    """The runtime's ARN as the template renders it."""
    role: Any
    """The execution role as an ``AWS::IAM::Policy``'s ``Roles`` entry renders it."""

    def template(self) -> Template:
        return Template.from_stack(self.stack)


def l2_runtime(stack: cdk.Stack, **kwargs: Any) -> agentcore.Runtime:
    return agentcore.Runtime(
        stack, "Existing", runtime_name="existing_agent",
        agent_runtime_artifact=agentcore.AgentRuntimeArtifact.from_image_uri(IMAGE), **kwargs,
    )


def imported_runtime(stack: cdk.Stack, arn: str = IMPORTED_ARN) -> agentcore.IBedrockAgentRuntime:
    return agentcore.Runtime.from_agent_runtime_attributes(
        stack, "Imported", agent_runtime_arn=arn, agent_runtime_id=arn.rsplit("/", 1)[-1],
        agent_runtime_name="imported_agent", role_arn=f"arn:aws:iam::{ACCOUNT}:role/{IMPORTED_ROLE}",
    )


def adopt(kind: str, workload: WorkloadProfile | None = None, **kwargs: Any) -> Adopted:
    stack = cdk.Stack(cdk.App(), "AdoptStack", env=ENV)
    if kind == "l2":
        runtime: agentcore.IBedrockAgentRuntime = l2_runtime(stack)
        cfn = stack.get_logical_id(runtime.node.default_child)  # type: ignore[arg-type]
        role = stack.get_logical_id(runtime.role.node.default_child)  # type: ignore[arg-type]
        arn: Any = {"Fn::GetAtt": [cfn, "AgentRuntimeArn"]}
        role_ref: Any = {"Ref": role}
    else:
        runtime = imported_runtime(stack)
        arn, role_ref = IMPORTED_ARN, IMPORTED_ROLE
    agent = AgentCoreAgent.from_runtime(
        stack, "Adopted", runtime=runtime, workload=workload or WorkloadProfile(), **kwargs
    )
    return Adopted(kind, stack, runtime, agent, arn, role_ref)


KINDS = pytest.mark.parametrize("kind", ["l2", "imported"])


def statements(adopted: Adopted, *, on_role: bool = False) -> list[dict[str, Any]]:
    """Every policy statement of the template (only those on the runtime's execution role with ``on_role``)."""
    found: list[dict[str, Any]] = []
    for policy in adopted.template().find_resources("AWS::IAM::Policy").values():
        if on_role and adopted.role not in policy["Properties"].get("Roles", []):
            continue
        found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted(adopted: Adopted, action: str, *, on_role: bool = False) -> list[Any]:
    """The resources of every statement allowing ``action``."""
    return [
        resource
        for statement in statements(adopted, on_role=on_role)
        if statement["Effect"] == "Allow" and action in _listed(statement["Action"])
        for resource in _listed(statement["Resource"])
    ]


def runtime_environment(adopted: Adopted) -> dict[str, Any]:
    runtime = adopted.template().find_resources("AWS::BedrockAgentCore::Runtime")
    (properties,) = (r["Properties"] for r in runtime.values())
    return dict(properties.get("EnvironmentVariables") or {})


def environment_of(adopted: Adopted) -> dict[str, Any]:
    """What the adopted runtime is given: its L1's variables (a runtime of this app) or the outputs (imported)."""
    if adopted.kind == "l2":
        return runtime_environment(adopted)
    outputs = adopted.template().find_outputs("*")
    required = adopted.agent.required_environment  # type: ignore[attr-defined]
    by_key = {key: adopted.stack.resolve(value) for key, value in required.items()}
    values = [output["Value"] for output in outputs.values()]
    assert all(value in values for value in by_key.values()), "a required variable without its stack output"
    return by_key


# -- the agent ---------------------------------------------------------------------------------------------------------


@KINDS
def test_the_adopted_agent_has_every_member_of_the_interface_and_creates_nothing(kind: str) -> None:
    # GIVEN an adopted runtime
    adopted = adopt(kind)
    # THEN it is an IAgentCoreAgent the library recognizes, naming the runtime
    assert isinstance(adopted.agent, AdoptedAgent) and is_agent(adopted.agent)
    assert all(hasattr(adopted.agent, name) for name in AGENT_MEMBERS)
    assert adopted.agent.agent_runtime_arn == adopted.runtime.agent_runtime_arn
    assert adopted.agent.runtime is adopted.runtime
    assert adopted.agent.default_qualifier == "DEFAULT"
    # AND adopting adds no resource: only the runtime (and its role) are in the template
    template = adopted.template()
    template.resource_count_is("AWS::BedrockAgentCore::Runtime", 1 if kind == "l2" else 0)
    template.resource_count_is("AWS::IAM::Policy", 1 if kind == "l2" else 0)  # the L2's own default policy


def test_an_aws_cdk_lib_runtime_given_as_an_agent_says_how_to_adopt_it(stack: cdk.Stack) -> None:
    runtime = l2_runtime(stack)
    with pytest.raises(ConstructsLibValidationError, match="AgentCoreAgent.from_runtime") as error:
        AgentApiFacade(stack, "Api", agent=runtime)  # type: ignore[arg-type]
    assert error.value.code == "InvalidProps"
    assert "(Runtime)" in str(error.value)


# -- planning ----------------------------------------------------------------------------------------------------------


@KINDS
def test_planning_findings_on_the_workload_are_reported_on_the_adopted_agent(kind: str) -> None:
    # GIVEN a workload whose payloads exceed AgentCore's request payload quota (a hard limit)
    adopted = adopt(kind, WorkloadProfile(max_payload=cdk.Size.mebibytes(500)))
    # THEN the plan has the error AND it fails synthesis on the adopted agent's path (node validation)
    assert adopted.agent.plan.finding("PayloadTooLarge") is not None
    (errors,) = [e for e in adopted.agent.node.validate() if "PayloadTooLarge" in e]
    assert "max_payload 500 MiB exceeds" in errors and "PayloadStaging" in errors
    assert [c.node.path for c in adopted.stack.node.find_all() if c.node.validate()] == ["AdoptStack/Adopted"]


def test_a_runtime_of_this_app_is_planned_with_its_own_lifecycle(stack: cdk.Stack) -> None:
    # GIVEN an L2 runtime that ends sessions after 2 hours, and a 3-hour task
    runtime = l2_runtime(stack, lifecycle_configuration=agentcore.LifecycleConfiguration(
        idle_runtime_session_timeout=cdk.Duration.minutes(10), max_lifetime=cdk.Duration.hours(2)))
    agent = AgentCoreAgent.from_runtime(
        stack, "Adopted", runtime=runtime, workload=WorkloadProfile(longest_task=cdk.Duration.hours(3))
    )
    # THEN the plan keeps the runtime's lifecycle (it cannot change it) and fails on it, on the agent's path
    assert (agent.plan.idle_runtime_session_timeout_seconds, agent.plan.max_lifetime_seconds) == (600, 7200)
    (error,) = agent.node.validate()
    assert "[MaxLifetimeBelowLongestTask]" in error and "the runtime's max_lifetime where it is defined" in error


def test_a_runtime_of_this_app_takes_the_service_default_for_what_it_does_not_set(stack: cdk.Stack) -> None:
    # GIVEN an L2 runtime that sets only max_lifetime (1 hour), and a 2-hour task
    runtime = l2_runtime(stack, lifecycle_configuration=agentcore.LifecycleConfiguration(
        max_lifetime=cdk.Duration.hours(1)))
    agent = AgentCoreAgent.from_runtime(
        stack, "Adopted", runtime=runtime, workload=WorkloadProfile(longest_task=cdk.Duration.hours(2))
    )
    # THEN the idle timeout is AgentCore's default, the max lifetime the runtime's, and the task does not fit
    assert (agent.plan.idle_runtime_session_timeout_seconds, agent.plan.max_lifetime_seconds) == (900, 3600)
    assert agent.plan.finding("MaxLifetimeBelowLongestTask") is not None
    # AND a runtime without a lifecycle runs on both defaults
    other = cdk.Stack(cdk.App(), "Other", env=ENV)
    plain = AgentCoreAgent.from_runtime(other, "Adopted", runtime=l2_runtime(other), workload=WorkloadProfile())
    assert (plain.plan.idle_runtime_session_timeout_seconds, plain.plan.max_lifetime_seconds) == (900, 8 * 3600)


def test_an_imported_runtime_is_planned_on_the_lifecycle_it_is_given() -> None:
    # GIVEN a 3-hour task on an imported runtime, first without its lifecycle, then told it ends sessions at 2 hours
    task = WorkloadProfile(longest_task=cdk.Duration.hours(3))
    assumed = adopt("imported", task)
    told = adopt("imported", task, lifecycle=agentcore.LifecycleConfiguration(max_lifetime=cdk.Duration.hours(2)))
    # THEN without it the plan says it assumed AgentCore's defaults (8 hours: the task fits)
    note = assumed.agent.plan.finding("RuntimeLifecycleAssumed")
    assert note is not None and "lifecycle=LifecycleConfiguration" in note.message
    assert assumed.agent.plan.max_lifetime_seconds == 8 * 3600
    assert assumed.agent.node.validate() == []
    # AND with it the plan checks the task against the runtime's 2 hours and fails, on the agent's path
    assert told.agent.plan.finding("RuntimeLifecycleAssumed") is None
    assert told.agent.plan.max_lifetime_seconds == 2 * 3600
    (error,) = told.agent.node.validate()
    assert "[MaxLifetimeBelowLongestTask]" in error


def test_an_unknown_artifact_kind_is_planned_on_the_more_restrictive_session_quota() -> None:
    # GIVEN edition 2026-03, where container and direct-code runtimes have their own session-creation quotas
    stack = cdk.Stack(cdk.App(context={"agentcore:quotaEdition": "2026-03"}), "Edition", env=ENV)
    runtime = imported_runtime(stack)
    unknown = AgentCoreAgent.from_runtime(stack, "Unknown", runtime=runtime, workload=WorkloadProfile())
    catalog = QuotaCatalog("2026-03")
    # THEN the unknown kind plans on the smaller of the two, with a note saying so
    per_kind = [catalog.resolve(name, REGION).per_second for name in (
        "session_creation_rate_container", "session_creation_rate_direct_code")]
    assert unknown.plan.session_creation_capacity_per_second == min(per_kind)
    assert unknown.plan.finding("ArtifactKindUnknown") is not None
    stack2 = cdk.Stack(cdk.App(context={"agentcore:quotaEdition": "2026-03"}), "Known", env=ENV)
    known = AgentCoreAgent.from_runtime(
        stack2, "Known", runtime=imported_runtime(stack2), workload=WorkloadProfile(),
        artifact_kind=ArtifactKind.CONTAINER,
    )
    assert known.plan.finding("ArtifactKindUnknown") is None


def test_named_endpoints_count_in_the_plan_and_default_the_qualifier(stack: cdk.Stack) -> None:
    runtime = l2_runtime(stack)
    prod = runtime.add_endpoint("prod")
    agent = AgentCoreAgent.from_runtime(stack, "Adopted", runtime=runtime, workload=WorkloadProfile(),
                                        endpoints=[prod, "canary"])
    assert list(agent.endpoints) == ["prod", "canary"]
    assert agent.endpoints["prod"] is prod and agent.endpoints["canary"] is None
    assert agent.default_qualifier == "prod"
    assert agent.plan_record.endpoints == ("DEFAULT", "prod", "canary")


# -- the capacity report -----------------------------------------------------------------------------------------------


def test_the_capacity_report_lists_adopted_agents_in_process_and_from_the_assembly(tmp_path: Path) -> None:
    # GIVEN an app with an adopted L2 runtime and an adopted imported one
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "AdoptStack", env=ENV)
    AgentCoreAgent.from_runtime(stack, "Mine", runtime=l2_runtime(stack), artifact_kind=ArtifactKind.CONTAINER,
                                workload=WorkloadProfile(peak_requests_per_second=5))
    AgentCoreAgent.from_runtime(stack, "Theirs", runtime=imported_runtime(stack),
                                workload=WorkloadProfile(peak_concurrent_sessions=40))
    # THEN the in-process report has both, planned on their workloads, in the account's sums
    report = build_report(app)
    records = {record.path: record for record in report.agents}
    assert set(records) == {"AdoptStack/Mine", "AdoptStack/Theirs"}
    assert (records["AdoptStack/Mine"].runtime_name, records["AdoptStack/Mine"].artifact) == (
        "existing_agent", "container")
    assert (records["AdoptStack/Theirs"].runtime_name, records["AdoptStack/Theirs"].artifact) == (
        "imported_agent", "unknown")
    (account,) = report.accounts
    assert account.to_dict() == build_report_from_records(list(records.values())).accounts[0].to_dict()
    # AND the runtime of this app carries its plan in its template, so the report from cdk.out has it too (an
    # imported runtime has no resource in the template to carry one)
    app.synth()
    from_assembly = build_report_from_cdk_out(tmp_path)
    assert [record.path for record in from_assembly.agents] == ["AdoptStack/Mine"]
    assert from_assembly.agents[0] == records["AdoptStack/Mine"]


# -- grants and metrics through the runtime ----------------------------------------------------------------------------


@KINDS
def test_grant_invoke_names_the_runtime_and_its_endpoints(kind: str) -> None:
    adopted = adopt(kind)
    user = iam.User(adopted.stack, "Caller")
    adopted.agent.grant_invoke(user)
    adopted.template().has_resource_properties("AWS::IAM::Policy", {
        "Users": [{"Ref": Match.string_like_regexp("Caller")}],
        "PolicyDocument": {"Statement": [Match.object_like({
            "Action": Match.array_with(["bedrock-agentcore:InvokeAgentRuntime"]),
            "Resource": Match.array_with([adopted.arn]),
        })]},
    })


@KINDS
def test_metrics_carry_the_runtime_dimensions_per_endpoint(kind: str) -> None:
    adopted = adopt(kind, endpoints=["prod"])
    name = adopted.agent.runtime_name
    metric = adopted.agent.metric_throttles(endpoint="prod")
    assert metric.namespace == "AWS/Bedrock-AgentCore" and metric.statistic == "Sum"
    resolved = adopted.stack.resolve(metric.dimensions)
    assert resolved == {"Operation": "InvokeAgentRuntime", "Name": f"{adopted.stack.resolve(name)}::prod",
                        "Resource": adopted.arn}
    assert adopted.agent.metric_latency().statistic == "Average"


@KINDS
def test_allow_workload_token_for_user_id_is_scoped_to_the_runtime_workload_identity(kind: str) -> None:
    # GIVEN an adopted agent asked (twice) for workload tokens for user ids
    adopted = adopt(kind)
    adopted.agent.allow_workload_token_for_user_id()
    adopted.agent.allow_workload_token_for_user_id()
    # THEN one statement of a policy on the runtime's role allows it, on the directory and the runtime's identity only
    mine = [s for s in statements(adopted, on_role=True) if s.get("Sid") == "WorkloadAccessTokensForUserId"]
    assert len(mine) == 1
    assert mine[0]["Action"] == "bedrock-agentcore:GetWorkloadAccessTokenForUserId"
    directory = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:workload-identity-directory/default"
    identity_id = IMPORTED_ID if kind == "imported" else {"Fn::GetAtt": [adopted.arn["Fn::GetAtt"][0],
                                                                           "AgentRuntimeId"]}
    expected_identity: Any = (
        f"{directory}/workload-identity/{IMPORTED_ID}" if kind == "imported"
        else {"Fn::Join": ["", [f"{directory}/workload-identity/", identity_id]]}
    )
    assert mine[0]["Resource"] == [directory, expected_identity]


def test_workload_tokens_for_a_runtime_without_a_role_are_a_clear_error(stack: cdk.Stack) -> None:
    # GIVEN an IBedrockAgentRuntime whose role is not known (an implementation of the interface without one)
    imported = imported_runtime(stack)

    class NoRole:
        agent_runtime_arn = imported.agent_runtime_arn
        agent_runtime_id = imported.agent_runtime_id
        agent_runtime_name = imported.agent_runtime_name
        agent_runtime_version = None
        node = imported.node
        metric = imported.metric
        grant_invoke = imported.grant_invoke

        @property
        def role(self) -> None:
            return None

    agent = AgentCoreAgent.from_runtime(stack, "Adopted", runtime=NoRole(), workload=WorkloadProfile())  # type: ignore[arg-type]
    # WHEN a facade that invokes for users asks for the permission THEN the error says how to give the role
    with pytest.raises(ConstructsLibValidationError, match="role=") as error:
        agent.allow_workload_token_for_user_id()
    assert error.value.code == "ImportedRuntimeRole"
    # AND a construct that grants the agent something fails the same way, before writing a grant
    with pytest.raises(ConstructsLibValidationError) as grant_error:
        AgentSessionStore(stack, "Sessions").bind(agent)
    assert grant_error.value.code == "ImportedRuntimeRole"


# -- every consumer ----------------------------------------------------------------------------------------------------


def endpoint_arn(adopted: Adopted, endpoint: str) -> Any:
    if adopted.kind == "imported":
        return f"{IMPORTED_ARN}/runtime-endpoint/{endpoint}"
    return {"Fn::Join": ["", [adopted.arn, f"/runtime-endpoint/{endpoint}"]]}


@KINDS
def test_rest_facade_invokes_the_runtime_for_users(kind: str) -> None:
    # GIVEN a REST facade on an adopted runtime with a named endpoint (invoked by default)
    adopted = adopt(kind, endpoints=["prod"])
    AgentApiFacade(adopted.stack, "Api", agent=adopted.agent)
    # THEN the proxy may invoke, also for a user, the runtime and the endpoint it calls, and nothing else
    expected = [adopted.arn, endpoint_arn(adopted, "prod")]
    assert granted(adopted, "bedrock-agentcore:InvokeAgentRuntime") == expected
    assert granted(adopted, "bedrock-agentcore:InvokeAgentRuntimeForUser") == expected
    # AND the runtime's role may get workload tokens for those users
    assert len(granted(adopted, "bedrock-agentcore:GetWorkloadAccessTokenForUserId", on_role=True)) == (
        4 if kind == "l2" else 2)  # the L2 writes its own broad statement into the role of a runtime it defines


@KINDS
def test_websocket_facade_invokes_the_runtime(kind: str) -> None:
    adopted = adopt(kind)
    AgentWebSocketFacade(adopted.stack, "Ws", agent=adopted.agent)
    assert granted(adopted, "bedrock-agentcore:InvokeAgentRuntime") == [
        adopted.arn, endpoint_arn(adopted, "DEFAULT")]


@KINDS
def test_session_store_grants_the_runtime_role_and_binds_the_table(kind: str) -> None:
    adopted = adopt(kind)
    store = AgentSessionStore(adopted.stack, "Sessions")
    store.bind(adopted.agent)
    assert adopted.stack.resolve(store.table.table_arn) in granted(adopted, "dynamodb:PutItem", on_role=True)
    assert adopted.stack.resolve(store.table.table_name) in environment_of(adopted).values()
    if kind == "imported":
        # the imported runtime cannot be changed here: each variable is an output and an acknowledgeable warning
        (key,) = adopted.agent.required_environment  # type: ignore[attr-defined]
        Annotations.from_stack(adopted.stack).has_warning(
            "/AdoptStack/Adopted", Match.string_like_regexp(f"ImportedRuntimeEnvironment.*{key}")
        )


@KINDS
def test_payload_staging_grants_the_agent_its_prefixes(kind: str) -> None:
    adopted = adopt(kind)
    staging = PayloadStaging(adopted.stack, "Staging")
    staging.bind(adopted.agent)
    bucket = adopted.stack.resolve(staging.bucket.bucket_arn)
    objects = json.dumps(granted(adopted, "s3:GetObject", on_role=True))
    assert bucket["Fn::GetAtt"][0] in objects
    assert adopted.stack.resolve(staging.input_prefix(adopted.agent)) in objects
    assert adopted.stack.resolve(staging.bucket.bucket_name) in environment_of(adopted).values()


@KINDS
def test_jobs_grant_the_runtime_role_the_job_table(kind: str) -> None:
    adopted = adopt(kind)
    jobs = AgentJobs(adopted.stack, "Jobs")
    jobs.bind(adopted.agent)
    assert adopted.stack.resolve(jobs.table.table_arn) in granted(adopted, "dynamodb:UpdateItem", on_role=True)
    assert adopted.stack.resolve(jobs.table.table_name) in environment_of(adopted).values()


@KINDS
def test_tool_is_invocable_by_the_runtime_role(kind: str) -> None:
    adopted = adopt(kind)
    tool = AgentTool(adopted.stack, "Tool", tool_name="order_status", description="looks up an order",
                     code=TOOL_CODE, handler="index.handler", agents=[adopted.agent])
    assert granted(adopted, "lambda:InvokeFunction", on_role=True) == [
        adopted.stack.resolve(tool.function.function_arn)]
    assert "AGENT_TOOLS" in environment_of(adopted)


@KINDS
def test_pipeline_step_invokes_the_runtime(kind: str) -> None:
    adopted = adopt(kind)
    AgentPipeline(adopted.stack, "Pipeline", steps=[AgentStep(adopted.agent)])
    assert adopted.arn in granted(adopted, "bedrock-agentcore:InvokeAgentRuntime")


def alarm_dimensions(template: Template, metric: str) -> list[list[dict[str, Any]]]:
    """The dimensions of each alarm metric named ``metric`` (plain or inside metric math)."""
    found: list[list[dict[str, Any]]] = []
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if properties.get("MetricName") == metric:
            found.append(properties["Dimensions"])
        for query in properties.get("Metrics", []):
            stat = query.get("MetricStat", {}).get("Metric", {})
            if stat.get("MetricName") == metric:
                found.append(stat["Dimensions"])
    return found


@KINDS
def test_monitoring_alarms_on_the_runtime_metrics(kind: str) -> None:
    adopted = adopt(kind)
    AgentMonitoring(adopted.stack, "Ops", agents=[adopted.agent])
    name = adopted.stack.resolve(adopted.agent.runtime_name)
    (dimensions,) = alarm_dimensions(adopted.template(), "Throttles")
    assert sorted(dimensions, key=lambda d: d["Name"]) == [
        {"Name": "Name", "Value": f"{name}::DEFAULT"},
        {"Name": "Operation", "Value": "InvokeAgentRuntime"},
        {"Name": "Resource", "Value": adopted.arn},
    ]


@KINDS
def test_monitoring_facade_segment_accepts_the_adopted_agent(kind: str) -> None:
    adopted = adopt(kind)
    facade = cmc.MonitoringFacade(adopted.stack, "Team")
    facade.add_segment(AgentCoreMonitoring(facade, agents=[adopted.agent]))
    dimensions = alarm_dimensions(adopted.template(), "SystemErrors")
    assert dimensions and all({"Name": "Resource", "Value": adopted.arn} in d for d in dimensions)


@KINDS
def test_version_archive_reads_the_runtime(kind: str) -> None:
    adopted = adopt(kind)
    archive = AgentVersionArchive(adopted.stack, "Archive", agents=[adopted.agent])
    assert archive.archived_agents == [adopted.agent]
    assert granted(adopted, "bedrock-agentcore:GetAgentRuntime") == [adopted.arn]


@KINDS
def test_platform_serves_the_adopted_agent_on_its_shared_api(kind: str) -> None:
    adopted = adopt(kind)
    platform = AgentPlatform(adopted.stack, "Platform", agents=[adopted.agent])
    (member,) = platform.agents.values()
    # THEN the platform's one API and session table serve it (shared by default)
    assert member.agent is adopted.agent and member.isolation is AgentIsolation.SHARED
    assert platform.api is not None and platform.sessions is not None and member.facade is None
    template = adopted.template()
    template.resource_count_is("AWS::ApiGateway::RestApi", 1)
    template.resource_count_is("AWS::BedrockAgentCore::Runtime", 1 if kind == "l2" else 0)
    assert adopted.stack.resolve(platform.sessions.table.table_name) in environment_of(adopted).values()


@KINDS
def test_platform_equips_a_dedicated_adopted_agent_with_its_own_api(kind: str) -> None:
    adopted = adopt(kind)
    platform = AgentPlatform(adopted.stack, "Platform", agents=[adopted.agent], isolation=AgentIsolation.DEDICATED)
    (member,) = platform.agents.values()
    assert member.agent is adopted.agent and member.facade is not None and member.session_store is not None
    adopted.template().resource_count_is("AWS::ApiGateway::RestApi", 1)
    assert adopted.stack.resolve(member.session_store.table.table_name) in environment_of(adopted).values()


def test_every_kind_builds_in_one_stack(make_stack: Callable[..., cdk.Stack]) -> None:
    # GIVEN an agent the library defines next to two adopted ones THEN one platform serves all three
    stack = make_stack()
    mine = AgentCoreAgent.from_runtime(stack, "Mine", runtime=l2_runtime(stack), workload=WorkloadProfile())
    theirs = AgentCoreAgent.from_runtime(stack, "Theirs", runtime=imported_runtime(stack), workload=WorkloadProfile())
    platform = AgentPlatform(stack, "Platform", agents=[mine, theirs])
    assert [member.agent for member in platform.agents.values()] == [mine, theirs]
