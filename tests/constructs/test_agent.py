"""AgentCoreAgent: the runtime it defines, its validation and the plan's findings as annotations."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Capture, Match, Template
from cdk_nag import AwsSolutionsChecks

from constructs_lib import (
    AgentArtifact,
    AgentCoreAgent,
    ConstructsLibValidationError,
    InvocationMode,
    QuotaCatalog,
    QuotaName,
    WorkloadProfile,
)
from constructs_lib.agent.dependencies import CodeDependencies
from tests._validators import assert_clean
from tests.conftest import ENV, RESEARCH_CODE, SUPPORT_IMAGE

RUNTIME = "AWS::BedrockAgentCore::Runtime"
ENDPOINT = "AWS::BedrockAgentCore::RuntimeEndpoint"


def container_agent(stack: cdk.Stack, construct_id: str = "Agent", **kwargs: object) -> AgentCoreAgent:
    kwargs.setdefault("runtime_name", "support_agent")
    return AgentCoreAgent(stack, construct_id, artifact=AgentArtifact.from_managed_repository("v1"), **kwargs)  # type: ignore[arg-type]


# -- the runtime ---------------------------------------------------------------------------------------


def test_runtime_is_configured_from_the_plan(stack: cdk.Stack) -> None:
    # GIVEN a 40-minute task WHEN the agent is defined THEN it is planned as streaming, lifecycle set
    agent = container_agent(stack, workload=WorkloadProfile(longest_task=cdk.Duration.minutes(40)))
    assert agent.plan.mode is InvocationMode.STREAMING
    template = Template.from_stack(stack)
    template.resource_count_is(RUNTIME, 1)
    template.has_resource_properties(RUNTIME, {
        "AgentRuntimeName": "support_agent",
        "LifecycleConfiguration": {"IdleRuntimeSessionTimeout": 900, "MaxLifetime": 28800},
        "NetworkConfiguration": {"NetworkMode": "PUBLIC"},
        "ProtocolConfiguration": "HTTP",
        "AgentRuntimeArtifact": {"ContainerConfiguration": {"ContainerUri": Match.any_value()}},
    })


def test_asynchronous_agent_lives_as_long_as_the_job_quota(stack: cdk.Stack) -> None:
    agent = container_agent(stack, workload=WorkloadProfile(longest_task=timedelta(hours=3)))
    assert agent.plan.mode is InvocationMode.ASYNCHRONOUS
    max_lifetime = QuotaCatalog().value(QuotaName.ASYNCHRONOUS_JOB_DURATION)
    Template.from_stack(stack).has_resource_properties(
        RUNTIME, {"LifecycleConfiguration": {"MaxLifetime": max_lifetime}})


def test_user_lifecycle_overrides_the_plan_within_limits(stack: cdk.Stack) -> None:
    container_agent(stack, idle_runtime_session_timeout=cdk.Duration.minutes(5), max_lifetime=cdk.Duration.hours(2))
    Template.from_stack(stack).has_resource_properties(
        RUNTIME, {"LifecycleConfiguration": {"IdleRuntimeSessionTimeout": 300, "MaxLifetime": 7200}})


def test_fails_when_lifecycle_override_is_below_the_longest_task(stack: cdk.Stack) -> None:
    container_agent(stack, workload=WorkloadProfile(longest_task=timedelta(hours=3)),
                    max_lifetime=cdk.Duration.hours(1))
    expected = r"MaxLifetimeBelowLongestTask.*max_lifetime 1 h is shorter than longest_task 3 h"
    with pytest.raises(Exception, match=expected):
        Template.from_stack(stack)


def test_lifecycle_token_is_not_guessed(stack: cdk.Stack) -> None:
    # GIVEN a lifecycle duration only known at deploy WHEN defined THEN no check, an info says so
    token = cdk.Duration.seconds(cdk.Token.as_number(cdk.CfnParameter(stack, "Idle", type="Number").value_as_number))
    agent = container_agent(stack, idle_runtime_session_timeout=token)
    assert not agent.plan.errors
    Annotations.from_stack(stack).has_info("/TestStack/Agent", Match.string_like_regexp(
        r"\[TokenNotChecked\] \w+ is an unresolved token"
    ))


def test_generated_runtime_name_is_valid(stack: cdk.Stack) -> None:
    agent = AgentCoreAgent(stack, "My-Agent", artifact=AgentArtifact.from_managed_repository("v1"))
    assert agent.runtime_name.replace("_", "").isalnum() and len(agent.runtime_name) <= 48
    assert "-" not in agent.runtime_name


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("my-agent", ["letters, digits and underscores", "use underscores instead of hyphens"]),
        ("1agent", ["must start with a letter"]),
        ("a" * 49, ["at most 48 characters, got 49"]),
        ("9-" + "x" * 60, ["at most 48", "start with a letter", "hyphens"]),
    ],
)
def test_fails_when_runtime_name_is_not_anchored_pattern(stack: cdk.Stack, name: str, fragments: list[str]) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        container_agent(stack, runtime_name=name)
    assert exc.value.code == "InvalidRuntimeName"
    assert exc.value.path == "TestStack/Agent"
    for fragment in fragments:
        assert fragment in str(exc.value)


def test_fails_when_artifact_is_not_an_agent_artifact(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentCoreAgent(stack, "Agent", artifact="./agent")  # type: ignore[arg-type]
    assert exc.value.code == "InvalidArtifact"


# -- endpoints -----------------------------------------------------------------------------------------


def test_named_endpoints_follow_the_deployed_version(stack: cdk.Stack) -> None:
    agent = container_agent(stack, endpoints=["prod", "canary"])
    runtime_id = stack.get_logical_id(agent.runtime.node.default_child)  # type: ignore[arg-type]
    template = Template.from_stack(stack)
    template.resource_count_is(ENDPOINT, 2)
    for name in ("prod", "canary"):
        template.has_resource_properties(ENDPOINT, {
            "Name": name,
            "AgentRuntimeId": {"Fn::GetAtt": [runtime_id, "AgentRuntimeId"]},
            "AgentRuntimeVersion": {"Fn::GetAtt": [runtime_id, "AgentRuntimeVersion"]},
        })
    assert agent.default_qualifier == "prod"


def test_endpoint_can_be_pinned(stack: cdk.Stack) -> None:
    agent = container_agent(stack)
    agent.add_endpoint("stable", version="3")
    Template.from_stack(stack).has_resource_properties(ENDPOINT, {"Name": "stable", "AgentRuntimeVersion": "3"})


@pytest.mark.parametrize(
    ("endpoints", "fragment"),
    [(["prod-1"], "hyphens"), (["DEFAULT"], "reserved"), (["prod", "prod"], "listed twice")],
)
def test_fails_when_endpoint_names_are_invalid(stack: cdk.Stack, endpoints: list[str], fragment: str) -> None:
    with pytest.raises(ConstructsLibValidationError, match=fragment) as exc:
        container_agent(stack, endpoints=endpoints)
    assert exc.value.code == "InvalidEndpointName"


def test_endpoints_within_quota_draw_no_warning(stack: cdk.Stack) -> None:
    container_agent(stack, endpoints=[f"e{i}" for i in range(9)])  # 9 + DEFAULT = 10
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("TooManyEndpoints"))


def test_endpoints_beyond_quota_warn_with_the_quota_code(stack: cdk.Stack) -> None:
    container_agent(stack, endpoints=[f"e{i}" for i in range(10)])  # 10 + DEFAULT = 11
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Agent", Match.string_like_regexp(r"\[TooManyEndpoints\].*11 exceeds 10.*L-9B442722"))


def test_endpoint_added_later_beyond_quota_warns(stack: cdk.Stack) -> None:
    agent = container_agent(stack, endpoints=[f"e{i}" for i in range(9)])
    agent.add_endpoint("late")
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Agent", Match.string_like_regexp(r"\[TooManyEndpoints\] the agent has 11 endpoints"))


def test_approved_endpoint_quota_override_silences_the_warning(make_stack: Callable[..., cdk.Stack]) -> None:
    stack = make_stack(context={"agentcore:quotaOverrides": {"endpoints_per_agent": 12}})
    container_agent(stack, endpoints=[f"e{i}" for i in range(10)])
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("TooManyEndpoints"))


def test_2026_03_throughput_needs_endpoints(make_stack: Callable[..., cdk.Stack]) -> None:
    # GIVEN edition 2026-03 (25 TPS per endpoint) and 60 TPS WHEN only DEFAULT exists THEN a warning
    stack = make_stack(context={"agentcore:quotaEdition": "2026-03"})
    agent = container_agent(stack, workload=WorkloadProfile(peak_requests_per_second=60))
    assert agent.plan.endpoints_for_throughput == 3
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Agent", Match.string_like_regexp("EndpointsBelowThroughputPlan.*needs 3 endpoints"))


def test_2026_03_with_enough_endpoints_is_quiet(make_stack: Callable[..., cdk.Stack]) -> None:
    stack = make_stack(context={"agentcore:quotaEdition": "2026-03"})
    container_agent(stack, workload=WorkloadProfile(peak_requests_per_second=60), endpoints=["a", "b"])
    Annotations.from_stack(stack).has_no_warning("*", Match.any_value())


# -- role, models, grants, metrics -------------------------------------------------------------------


def test_model_access_is_scoped_to_listed_models(stack: cdk.Stack) -> None:
    container_agent(stack, models=["anthropic.claude-sonnet-4-20250514-v1:0"])
    statement = Capture()
    Template.from_stack(stack).has_resource_properties("AWS::IAM::Policy", {
        "PolicyDocument": {"Statement": Match.array_with([statement])}
    })
    found = [s for s in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
             for s in s["Properties"]["PolicyDocument"]["Statement"] if "bedrock:InvokeModel" in json.dumps(s)]
    assert len(found) == 1
    assert found[0]["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    resource = json.dumps(found[0]["Resource"])
    assert ":bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0" in resource
    assert "*" not in resource


def test_inference_profile_grants_profile_and_model_only_through_the_profile(stack: cdk.Stack) -> None:
    # GIVEN an agent allowed a cross-region inference profile (added twice: idempotent)
    agent = container_agent(stack, models=["us.anthropic.claude-sonnet-4-20250514-v1:0"])
    agent.add_model("us.anthropic.claude-sonnet-4-20250514-v1:0")
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    statements = {s["Sid"]: s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
                  if s.get("Sid", "").startswith("InvokeModel")}
    profile = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0"
    actions = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    # THEN the profile is granted in this account and region
    assert statements["InvokeModel1"] == {"Sid": "InvokeModel1", "Effect": "Allow", "Action": actions,
                                          "Resource": profile}
    # AND its foundation model in any region only for requests that come through this profile (the condition AWS
    # documents for cross-region inference), never as a direct grant of the model everywhere
    assert statements["InvokeModel1ThroughProfile"] == {
        "Sid": "InvokeModel1ThroughProfile", "Effect": "Allow", "Action": actions,
        "Resource": "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0",
        "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile}},
    }
    assert len(statements) == 2


def test_no_model_access_without_models(stack: cdk.Stack) -> None:
    container_agent(stack)
    assert "bedrock:InvokeModel" not in json.dumps(Template.from_stack(stack).to_json())


def test_fails_when_model_id_is_empty(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        container_agent(stack, models=[" "])
    assert exc.value.code == "InvalidModelId"


def test_grant_invoke_covers_runtime_and_endpoints(stack: cdk.Stack) -> None:
    agent = container_agent(stack)
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    agent.grant_invoke(caller)
    runtime_id = stack.get_logical_id(agent.runtime.node.default_child)  # type: ignore[arg-type]
    Template.from_stack(stack).has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": Match.string_like_regexp("Caller")}],
        "PolicyDocument": {"Statement": [Match.object_like({
            "Action": Match.array_with(["bedrock-agentcore:InvokeAgentRuntime"]),
            "Resource": [
                {"Fn::GetAtt": [runtime_id, "AgentRuntimeArn"]},
                {"Fn::Join": ["", [{"Fn::GetAtt": [runtime_id, "AgentRuntimeArn"]}, "/*"]]},
            ],
        })]},
    })


def test_metrics_use_the_agentcore_namespace_and_endpoint(stack: cdk.Stack) -> None:
    agent = container_agent(stack, endpoints=["prod"])
    metric = agent.metric_throttles(endpoint="prod")
    assert metric.namespace == "AWS/Bedrock-AgentCore"
    assert metric.statistic == "Sum"
    assert metric.dimensions["Name"] == "support_agent::prod"  # type: ignore[index]
    assert metric.dimensions["Operation"] == "InvokeAgentRuntime"  # type: ignore[index]
    assert agent.metric_latency().statistic == "Average"
    assert agent.metric_invocations().dimensions["Name"] == "support_agent::DEFAULT"  # type: ignore[index]


def test_bring_your_own_role(stack: cdk.Stack) -> None:
    role = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("bedrock-agentcore.amazonaws.com"))
    agent = container_agent(stack, execution_role=role)
    assert agent.role is role
    Template.from_stack(stack).has_resource_properties(
        RUNTIME, {"RoleArn": {"Fn::GetAtt": [Match.string_like_regexp("Mine"), "Arn"]}})


# -- environment ---------------------------------------------------------------------------------------


def test_environment_variables_pass_through_and_can_be_added(stack: cdk.Stack) -> None:
    agent = container_agent(stack, environment_variables={"LOG_LEVEL": "INFO"})
    agent.add_environment("TABLE", "sessions")
    agent.add_environment("TABLE", "sessions_v2")  # replacing a key is allowed
    Template.from_stack(stack).has_resource_properties(
        RUNTIME, {"EnvironmentVariables": {"LOG_LEVEL": "INFO", "TABLE": "sessions_v2"}})


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({f"K{i}": "v" for i in range(51)}, "51 entries, more than 50"),
        ({"BAD-KEY": "v"}, "must match"),
        ({"BIG": "x" * 2049}, "2,049 characters, more than 2,048 characters"),
    ],
)
def test_fails_when_environment_breaks_limits(stack: cdk.Stack, env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConstructsLibValidationError, match=fragment) as exc:
        container_agent(stack, environment_variables=env)
    assert exc.value.code == "InvalidEnvironment"


def test_fails_when_added_environment_exceeds_the_count(stack: cdk.Stack) -> None:
    agent = container_agent(stack, environment_variables={f"K{i}": "v" for i in range(50)})
    with pytest.raises(ConstructsLibValidationError) as exc:
        agent.add_environment("ONE_MORE", "v")
    assert exc.value.code == "InvalidEnvironment"


# -- artifacts -----------------------------------------------------------------------------------------


def test_directory_image_builds_for_arm64(stack: cdk.Stack) -> None:
    AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_directory(SUPPORT_IMAGE))
    assembly = stack.node.root.synth()  # type: ignore[attr-defined]
    manifest = json.loads(Path(assembly.directory, "TestStack.assets.json").read_text())
    images = list(manifest["dockerImages"].values())
    assert len(images) == 1 and images[0]["source"]["platform"] == "linux/arm64"
    Annotations.from_stack(stack).has_no_warning("*", Match.any_value())


def test_x86_image_draws_a_warning(stack: cdk.Stack) -> None:
    AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_directory(
        SUPPORT_IMAGE, platform=ecr_assets.Platform.LINUX_AMD64))
    Annotations.from_stack(stack).has_warning("/TestStack/Agent", Match.string_like_regexp("linux/arm64"))


def test_fails_when_image_directory_has_no_dockerfile(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_directory(RESEARCH_CODE))
    assert exc.value.code == "DockerfileNotFound"


def test_fails_when_declared_image_is_too_large(stack: cdk.Stack) -> None:
    AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_directory(
        SUPPORT_IMAGE, expected_image_size=cdk.Size.gibibytes(3)))
    with pytest.raises(Exception, match="ContainerImageTooLarge.*3 GiB exceeds 2 GiB"):
        Template.from_stack(stack)


def test_existing_repository_and_tag(stack: cdk.Stack) -> None:
    repo = ecr.Repository.from_repository_name(stack, "Repo", "agents")
    AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_repository(repo, "2026.11.24"))
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::ECR::Repository", 0)
    assert "agents:2026.11.24" in json.dumps(template.find_resources(RUNTIME))


def test_fails_when_tag_is_empty(stack: cdk.Stack) -> None:
    repo = ecr.Repository.from_repository_name(stack, "Repo", "agents")
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_repository(repo, ""))
    assert exc.value.code == "InvalidImageTag"


def test_direct_code_is_measured_and_excludes_junk(stack: cdk.Stack) -> None:
    # The folder as it is (its dependencies are tested in test_code_bundling.py)
    agent = AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_code(
        RESEARCH_CODE, dependencies=CodeDependencies.none()))
    assert agent.package_measurement is not None and agent.package_measurement.files == 3  # main, hook, requirements
    Template.from_stack(stack).has_resource_properties(RUNTIME, {
        "AgentRuntimeArtifact": {"CodeConfiguration": {"EntryPoint": ["main.py"], "Runtime": "PYTHON_3_12",
                                                       "Code": {"S3": Match.any_value()}}},
    })


def test_fails_when_entrypoint_is_missing(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="'app.py' is not a file") as exc:
        AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_code(RESEARCH_CODE, entrypoint=["app.py"]))
    assert exc.value.code == "InvalidEntrypoint"


def test_fails_when_code_package_exceeds_the_unzipped_limit(stack: cdk.Stack, tmp_path: Path) -> None:
    # GIVEN a package over 750 MiB unzipped (a sparse file: no disk used) WHEN defined THEN an error that
    # fails synthesis; node.validate() shows it without staging the asset.
    (tmp_path / "main.py").write_text("print(1)\n")
    with (tmp_path / "weights.bin").open("wb") as handle:
        handle.truncate(751 * 1024 * 1024)
    agent = AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_code(tmp_path))
    errors = agent.node.validate()
    assert len(errors) == 1
    assert errors[0].startswith("[CodePackageTooLarge] the unzipped code package of 751 MiB exceeds 750 MiB")
    assert "exclude=" in errors[0]


def test_excluding_the_weights_makes_it_fit(stack: cdk.Stack, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("print(1)\n")
    with (tmp_path / "weights.bin").open("wb") as handle:
        handle.truncate(751 * 1024 * 1024)
    agent = AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_code(tmp_path, exclude=["*.bin"]))
    assert agent.node.validate() == []


# -- findings as annotations ----------------------------------------------------------------------------


def test_hard_limit_fails_synthesis_with_path_quota_and_way_out(stack: cdk.Stack) -> None:
    container_agent(stack, workload=WorkloadProfile(vcpus_per_session=4, max_payload=cdk.Size.mebibytes(150)))
    with pytest.raises(Exception) as exc:
        Template.from_stack(stack)
    message = str(exc.value)
    assert "[TestStack/Agent] [SessionHardwareExceeded] vcpus_per_session 4 vCPU exceeds 2 vCPU" in message
    assert "Instances compute" in message and "Amazon ECS" in message
    assert "[PayloadTooLarge] max_payload 150 MiB exceeds 100 MiB" in message and "PayloadStaging" in message


@pytest.mark.parametrize("literal_partition", [True, False])
def test_role_acknowledgments_match_the_partition_cdk_nag_sees(tmp_path: Path, literal_partition: bool) -> None:
    # GIVEN a direct-code agent with a cross-region inference profile, with the recommended
    # @aws-cdk/core:enablePartitionLiterals flag (ARNs say "aws") and without it (ARNs say AWS::Partition)
    app = cdk.App(outdir=str(tmp_path), post_cli_context={"@aws-cdk/core:enablePartitionLiterals": literal_partition})
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = cdk.Stack(app, "TestStack", env=ENV)
    AgentCoreAgent(stack, "Agent", runtime_name="research_agent", artifact=AgentArtifact.from_code(RESEARCH_CODE),
                   models=["us.anthropic.claude-sonnet-4-20250514-v1:0"])
    # WHEN synthesized with cdk-nag AwsSolutions THEN every wildcard of the execution role is acknowledged
    app.synth()
    assert_clean(tmp_path)
    # AND the role's ARNs are written the way the flag asks
    policies = json.dumps(Template.from_stack(stack).find_resources("AWS::IAM::Policy"))
    assert ('"Ref": "AWS::Partition"' in policies) is not literal_partition


def test_within_limits_synthesizes_without_findings(stack: cdk.Stack) -> None:
    container_agent(stack, workload=WorkloadProfile(vcpus_per_session=2, max_payload=cdk.Size.mebibytes(5),
                                                    peak_concurrent_sessions=4000))
    Template.from_stack(stack)
    annotations = Annotations.from_stack(stack)
    annotations.has_no_error("*", Match.any_value())
    annotations.has_no_warning("*", Match.any_value())


def test_adjustable_quota_is_a_warning_with_code_and_advice(make_stack: Callable[..., cdk.Stack]) -> None:
    stack = make_stack(env=cdk.Environment(account="123456789012", region="eu-west-1"))
    container_agent(stack, workload=WorkloadProfile(peak_concurrent_sessions=4000))
    Annotations.from_stack(stack).has_warning("/TestStack/Agent", Match.string_like_regexp(
        r"ActiveSessionsExceeded.*4,000 exceeds 2,500.*L-3E5722B2.*request a quota increase"))


def test_region_agnostic_app_gets_one_info_and_plans_against_the_minimum() -> None:
    # GIVEN what `cdk init` creates: environment-agnostic stacks, here two with three agents
    app = cdk.App()
    stacks = [cdk.Stack(app, "Dev"), cdk.Stack(app, "Staging")]
    agents = [container_agent(stacks[0], "A"), container_agent(stacks[0], "B", runtime_name="b_agent"),
              container_agent(stacks[1], "C", workload=WorkloadProfile(peak_concurrent_sessions=100))]
    # THEN each plans against the smallest regional values, and the app gets one info note, no warning
    assert all(a.region is None for a in agents) and agents[2].plan.active_session_capacity == 2500
    notes = [Annotations.from_stack(s).find_info("*", Match.string_like_regexp(r"\[RegionUnknown\]")) for s in stacks]
    assert [len(n) for n in notes] == [1, 0]
    assert notes[0][0].id == "/Dev"
    for stack in stacks:
        Annotations.from_stack(stack).has_no_warning("*", Match.any_value())


def test_warning_can_be_acknowledged(stack: cdk.Stack) -> None:
    agent = container_agent(stack, workload=WorkloadProfile(peak_concurrent_sessions=6000))
    Annotations.from_stack(stack).has_warning("/TestStack/Agent", Match.string_like_regexp("ActiveSessionsExceeded"))
    cdk.Annotations.of(agent).acknowledge_warning("constructs_lib:ActiveSessionsExceeded", "increase approved")
    Annotations.from_stack(stack).has_no_warning("*", Match.any_value())


def test_edition_is_read_from_context(make_stack: Callable[..., cdk.Stack]) -> None:
    stack = make_stack(context={"agentcore:quotaEdition": "2026-03"})
    agent = container_agent(stack, workload=WorkloadProfile(websocket_frame_size=cdk.Size.kibibytes(48)))
    assert agent.plan.edition == "2026-03"
    with pytest.raises(Exception, match="WebSocketFrameTooLarge.*48 KiB exceeds 32 KiB.*edition 2026-03"):
        Template.from_stack(stack)


def test_fails_when_context_overrides_a_hard_limit(make_stack: Callable[..., cdk.Stack]) -> None:
    stack = make_stack(context={"agentcore:quotaOverrides": {"session_vcpu": 4}})
    with pytest.raises(ConstructsLibValidationError, match="cannot be raised") as exc:
        container_agent(stack)
    assert exc.value.code == "NonAdjustableQuota"


def test_escape_hatches_reach_l2_and_l1(stack: cdk.Stack) -> None:
    agent = container_agent(stack)
    assert isinstance(agent.runtime, agentcore.Runtime)
    cfn = agent.runtime.node.default_child
    assert isinstance(cfn, agentcore.CfnRuntime)
    cfn.add_property_override("Description", "patched")
    Template.from_stack(stack).has_resource_properties(RUNTIME, {"Description": "patched"})


# -- pass-through ----------------------------------------------------------------------------------------


def test_network_protocol_authorizer_description_and_tags_pass_through(stack: cdk.Stack) -> None:
    # GIVEN a VPC, the MCP protocol, a JWT authorizer, a description and tags WHEN defined THEN the runtime
    # carries each of them as the L2 renders it
    from aws_cdk import aws_ec2 as ec2

    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    agent = container_agent(
        stack,
        network_configuration=agentcore.RuntimeNetworkConfiguration.using_vpc(stack, vpc=vpc),
        protocol_configuration=agentcore.ProtocolType.MCP,
        authorizer_configuration=agentcore.RuntimeAuthorizerConfiguration.using_jwt(
            "https://issuer.example.com/.well-known/openid-configuration", allowed_clients=["client-1"]),
        description="support agent",
        tags={"team": "support"},
        tracing_enabled=True,
    )
    assert agent.runtime.connections is not None
    Template.from_stack(stack).has_resource_properties(RUNTIME, {
        "NetworkConfiguration": {"NetworkMode": "VPC", "NetworkModeConfig": Match.object_like({
            "Subnets": Match.any_value(), "SecurityGroups": Match.any_value()})},
        "ProtocolConfiguration": "MCP",
        "AuthorizerConfiguration": {"CustomJWTAuthorizer": Match.object_like({
            "DiscoveryUrl": "https://issuer.example.com/.well-known/openid-configuration",
            "AllowedClients": ["client-1"]})},
        "Description": "support agent",
        "Tags": {"team": "support"},
    })


# -- every limit, one passing and one failing case -----------------------------------------------------

HARD_LIMITS = [
    ("session vCPU", WorkloadProfile(vcpus_per_session=2), WorkloadProfile(vcpus_per_session=2.5),
     "SessionHardwareExceeded"),
    ("session memory", WorkloadProfile(memory_per_session=cdk.Size.gibibytes(8)),
     WorkloadProfile(memory_per_session=cdk.Size.gibibytes(9)), "SessionHardwareExceeded"),
    ("longest task", WorkloadProfile(longest_task=cdk.Duration.hours(8)),
     WorkloadProfile(longest_task=cdk.Duration.minutes(481)), "TaskTooLong"),
    ("request payload", WorkloadProfile(max_payload=cdk.Size.mebibytes(100)),
     WorkloadProfile(max_payload=cdk.Size.mebibytes(101)), "PayloadTooLarge"),
    ("streaming chunk", WorkloadProfile(streaming_chunk=cdk.Size.mebibytes(10)),
     WorkloadProfile(streaming_chunk=cdk.Size.mebibytes(11)), "StreamingChunkTooLarge"),
    ("WebSocket frame", WorkloadProfile(websocket_frame_size=cdk.Size.kibibytes(64)),
     WorkloadProfile(websocket_frame_size=cdk.Size.kibibytes(65)), "WebSocketFrameTooLarge"),
    ("WebSocket frame rate", WorkloadProfile(websocket_frames_per_second=250),
     WorkloadProfile(websocket_frames_per_second=251), "WebSocketFrameRateTooHigh"),
]

ADJUSTABLE_QUOTAS = [
    ("active sessions", WorkloadProfile(peak_concurrent_sessions=5000),
     WorkloadProfile(peak_concurrent_sessions=5001), "ActiveSessionsExceeded"),
    ("invoke pool", WorkloadProfile(peak_requests_per_second=1000),
     WorkloadProfile(peak_requests_per_second=1001), "InvokeRateExceedsAccountPool"),
    ("session creation", WorkloadProfile(new_sessions_per_second=25),
     WorkloadProfile(new_sessions_per_second=26), "SessionCreationRateExceeded"),
    ("endpoints", WorkloadProfile(endpoints=10), WorkloadProfile(endpoints=11), "TooManyEndpoints"),
    ("versions", WorkloadProfile(deployments_per_day=2.7), WorkloadProfile(deployments_per_day=2.8),
     "VersionsQuotaAtRisk"),
]


@pytest.mark.parametrize(("limit", "fits", "crosses", "code"), HARD_LIMITS, ids=[c[0] for c in HARD_LIMITS])
def test_hard_limit_passes_at_the_limit_and_fails_beyond(
    make_stack: Callable[..., cdk.Stack], limit: str, fits: WorkloadProfile, crosses: WorkloadProfile, code: str
) -> None:
    ok = container_agent(make_stack(), workload=fits)
    assert ok.node.validate() == []
    bad = container_agent(make_stack(), workload=crosses)
    errors = bad.node.validate()
    assert len(errors) == 1 and errors[0].startswith(f"[{code}]") and "hard limit" in errors[0]


@pytest.mark.parametrize(("quota", "fits", "crosses", "code"), ADJUSTABLE_QUOTAS,
                         ids=[c[0] for c in ADJUSTABLE_QUOTAS])
def test_adjustable_quota_warns_only_beyond_it(
    make_stack: Callable[..., cdk.Stack], quota: str, fits: WorkloadProfile, crosses: WorkloadProfile, code: str
) -> None:
    ok_stack, bad_stack = make_stack(), make_stack()
    container_agent(ok_stack, workload=fits)
    container_agent(bad_stack, workload=crosses)
    Annotations.from_stack(ok_stack).has_no_warning("*", Match.string_like_regexp(code))
    Annotations.from_stack(bad_stack).has_warning(
        "/TestStack/Agent", Match.string_like_regexp(rf"\[{code}\].*(Service Quotas code|request a quota increase)"))
    Annotations.from_stack(bad_stack).has_no_error("*", Match.any_value())


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"endpoints": "prod"}, "endpoints must be a list of strings, got 'prod'"),
        ({"models": "anthropic.claude-sonnet-4"}, "models must be a list of strings"),
        ({"endpoints": ["prod", 3]}, "endpoints\\[1\\] must be one of a list of strings, got 3"),
        ({"workload": {"longest_task": 40}}, "workload must be a WorkloadProfile, got {'longest_task': 40} \\(dict\\)"),
    ],
)
def test_fails_when_props_have_the_wrong_type(stack: cdk.Stack, kwargs: dict[str, object], fragment: str) -> None:
    # A clear error instead of four endpoints named p, r, o, d or a trace from inside the planner
    with pytest.raises(ConstructsLibValidationError, match=fragment) as exc:
        container_agent(stack, **kwargs)
    assert exc.value.code == "InvalidProps"


def test_the_agent_is_grantable(stack: cdk.Stack) -> None:
    # GIVEN an agent and a table WHEN the table grants the agent THEN its execution role gets the statement
    from aws_cdk import aws_dynamodb as dynamodb
    from aws_cdk import aws_iam as iam

    agent = container_agent(stack)
    assert iam.IGrantable in type(agent).__jsii_ifaces__  # type: ignore[attr-defined]
    key = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    table = dynamodb.Table(stack, "Notes", partition_key=key)
    table.grant_read_data(agent)
    Template.from_stack(stack).has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": Match.string_like_regexp("ExecutionRole")}],
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Action": Match.array_with(["dynamodb:GetItem"]),
            "Resource": {"Fn::GetAtt": [Match.string_like_regexp("^Notes"), "Arn"]},
        })])},
    })


def test_a_token_runtime_name_is_not_guessed(stack: cdk.Stack) -> None:
    # GIVEN a runtime name known only at deploy WHEN the agent is defined THEN no name rule is applied, and it says so
    name = cdk.Fn.import_value("AgentName")
    container_agent(stack, runtime_name=name)
    Annotations.from_stack(stack).has_info("/TestStack/Agent", Match.string_like_regexp(
        r"\[TokenNotChecked\] runtime_name is an unresolved token"
    ))


def test_fails_when_runtime_name_is_not_a_string(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="runtime_name must be a string, got int") as exc:
        container_agent(stack, runtime_name=123)
    assert exc.value.code == "InvalidRuntimeName"
