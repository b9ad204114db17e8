"""AgentCoreAgent's execution role: trusted by its own runtime only, and allowed what that runtime does, no more.

The L2 would write its broad statements into any role it is given; these tests prove that none of them reach the role
(whether the agent's own or the user's), and that each statement the agent writes names this runtime's resources.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from constructs_lib import AgentArtifact, AgentCoreAgent
from constructs_lib.limits.service import ID_SUFFIX_LENGTH
from tests._validators import assert_clean
from tests.conftest import ENV, RESEARCH_CODE, SUPPORT_IMAGE

PARTITION_REGION_ACCOUNT = "arn:aws:{service}:us-east-1:123456789012:{resource}"
RUNTIME_ID = "support_agent-" + "?" * ID_SUFFIX_LENGTH
LOG_GROUP = "/aws/bedrock-agentcore/runtimes/" + RUNTIME_ID
#: Statement ids the stable L2 writes into a role it is given (aws-cdk-lib 2.275 Runtime.addExecutionRolePermissions).
L2_SIDS = {"LogGroupAccess", "DescribeLogGroups", "LogStreamAccess", "XRayAccess", "CloudWatchMetrics",
           "GetAgentAccessToken"}


def arn(service: str, resource: str) -> str:
    return PARTITION_REGION_ACCOUNT.format(service=service, resource=resource)


def agent(stack: cdk.Stack, artifact: AgentArtifact | None = None, **kwargs: Any) -> AgentCoreAgent:
    kwargs.setdefault("runtime_name", "support_agent")
    return AgentCoreAgent(stack, "Agent", artifact=artifact or AgentArtifact.from_managed_repository("v1"), **kwargs)


def role_statements(stack: cdk.Stack, role: iam.IRole) -> dict[str, dict[str, Any]]:
    """Every statement of every policy attached to ``role``, by Sid (the template's values; lists of actions and
    resources sorted, as CDK may order them)."""
    template = Template.from_stack(stack)
    role_id = stack.get_logical_id(role.node.default_child)  # type: ignore[arg-type]
    found: dict[str, dict[str, Any]] = {}
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                assert statement["Sid"] not in found, f"Sid {statement['Sid']} twice"
                found[statement["Sid"]] = {
                    k: sorted(v) if k in ("Action", "Resource") and isinstance(v, list) else v
                    for k, v in statement.items()
                }
    return found


def iam_matches(pattern: str, value: str) -> bool:
    """IAM's ``ArnLike``/resource matching: ``*`` any run of characters, ``?`` exactly one (case-sensitive)."""
    return re.fullmatch(fnmatch.translate(pattern).replace("(?s:", "(?:"), value) is not None


# -- trust -------------------------------------------------------------------------------------------------------------


def test_the_role_is_trusted_by_this_runtime_and_no_other(stack: cdk.Stack) -> None:
    # GIVEN an agent named support_agent
    created = agent(stack)
    # THEN AgentCore may assume its role only for this account's runtime of that name (the id suffix written with ?)
    role = Template.from_stack(stack).find_resources("AWS::IAM::Role")[
        stack.get_logical_id(created.role.node.default_child)]  # type: ignore[arg-type]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    source_arn = arn("bedrock-agentcore", f"runtime/{RUNTIME_ID}")
    assert statement == {
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"},
                      "ArnLike": {"aws:SourceArn": source_arn}},
    }
    # AND the pattern matches the ids the service gives this runtime, not those of runtimes whose names start the same
    assert iam_matches(source_arn, arn("bedrock-agentcore", "runtime/support_agent-Ab3De6Gh9J"))
    for other in ("support_agent_v2-Ab3De6Gh9J", "support_agentx-Ab3De6Gh9J", "support_agent-Ab3De6Gh9J/x",
                  "support_agent-Ab3De6Gh9"):
        assert not iam_matches(source_arn, arn("bedrock-agentcore", f"runtime/{other}")), other


# -- what the runtime may do -------------------------------------------------------------------------------------------


def test_the_runtime_may_write_its_own_log_groups_only_for_each_of_its_endpoints(stack: cdk.Stack) -> None:
    # GIVEN an agent with a named endpoint, and one added later
    created = agent(stack, endpoints=["prod"])
    created.add_endpoint("canary")
    statements = role_statements(stack, created.role)
    groups = [arn("logs", f"log-group:{LOG_GROUP}-{e}") for e in ("DEFAULT", "prod", "canary")]
    # THEN the log groups it may create are <runtime id>-<endpoint> of its own endpoints
    assert statements["RuntimeLogGroups"] == {
        "Sid": "RuntimeLogGroups", "Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
        "Resource": sorted(r for g in groups for r in (g, f"{g}:*")),
    }
    assert statements["RuntimeLogStreams"] == {
        "Sid": "RuntimeLogStreams", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": sorted(f"{g}:log-stream:*" for g in groups),
    }
    # AND no other runtime's group is matched
    assert not any(iam_matches(r, arn("logs", "log-group:/aws/bedrock-agentcore/runtimes/other-Ab3De6Gh9J-DEFAULT"))
                   for r in statements["RuntimeLogGroups"]["Resource"])


def test_tracing_metrics_and_log_listing_keep_the_documented_wildcards_and_conditions(stack: cdk.Stack) -> None:
    statements = role_statements(stack, agent(stack).role)
    assert statements["ListLogGroups"] == {"Sid": "ListLogGroups", "Effect": "Allow",
                                           "Action": "logs:DescribeLogGroups", "Resource": arn("logs", "log-group:*")}
    assert statements["XRayTracing"] == {
        "Sid": "XRayTracing", "Effect": "Allow", "Resource": "*",
        "Action": sorted(["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                          "xray:GetSamplingTargets"]),
    }
    assert statements["RuntimeMetrics"] == {
        "Sid": "RuntimeMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": "bedrock-agentcore"}},
    }


def test_workload_access_tokens_are_for_the_runtimes_own_identity_and_not_for_user_ids(stack: cdk.Stack) -> None:
    statements = role_statements(stack, agent(stack).role)
    identity = [arn("bedrock-agentcore", "workload-identity-directory/default"),
                arn("bedrock-agentcore", f"workload-identity-directory/default/workload-identity/{RUNTIME_ID}")]
    assert statements["WorkloadAccessTokens"] == {
        "Sid": "WorkloadAccessTokens", "Effect": "Allow", "Resource": sorted(identity),
        "Action": ["bedrock-agentcore:GetWorkloadAccessToken", "bedrock-agentcore:GetWorkloadAccessTokenForJWT"],
    }
    assert "GetWorkloadAccessTokenForUserId" not in json.dumps(statements)
    assert "workload-identity/*" not in json.dumps(Template.from_stack(stack).to_json())


@pytest.mark.parametrize("how", ["prop", "method"])
def test_workload_tokens_for_user_ids_only_when_asked(stack: cdk.Stack, how: str) -> None:
    created = agent(stack, workload_token_for_user_id=how == "prop")
    created.allow_workload_token_for_user_id()
    created.allow_workload_token_for_user_id()  # once
    statements = role_statements(stack, created.role)
    assert statements["WorkloadAccessTokensForUserId"] == {
        "Sid": "WorkloadAccessTokensForUserId", "Effect": "Allow",
        "Action": "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
        "Resource": statements["WorkloadAccessTokens"]["Resource"],
    }


# -- the artifact --------------------------------------------------------------------------------------------------


def test_an_image_is_pulled_from_its_own_repository_only(stack: cdk.Stack) -> None:
    repository = ecr.Repository.from_repository_name(stack, "Images", "agents/support")
    statements = role_statements(stack, agent(stack, AgentArtifact.from_repository(repository, "v7")).role)
    assert statements["PullAgentImage"] == {
        "Sid": "PullAgentImage", "Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Resource": arn("ecr", "repository/agents/support"),
    }
    assert statements["ImageRegistryToken"] == {"Sid": "ImageRegistryToken", "Effect": "Allow",
                                                "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    assert "ReadAgentCode" not in statements


def test_an_image_asset_is_pulled_from_the_asset_repository_only(stack: cdk.Stack) -> None:
    statements = role_statements(stack, agent(stack, AgentArtifact.from_directory(SUPPORT_IMAGE)).role)
    assert statements["PullAgentImage"]["Resource"] == arn(
        "ecr", "repository/cdk-hnb659fds-container-assets-123456789012-us-east-1")


def test_direct_code_reads_its_own_package_object_not_the_asset_bucket(stack: cdk.Stack) -> None:
    # GIVEN a direct-code agent
    created = agent(stack, AgentArtifact.from_code(RESEARCH_CODE), runtime_name="research_agent")
    template = Template.from_stack(stack)
    runtime = template.find_resources("AWS::BedrockAgentCore::Runtime")[
        stack.get_logical_id(created.runtime.node.default_child)]  # type: ignore[arg-type]
    code = runtime["Properties"]["AgentRuntimeArtifact"]["CodeConfiguration"]["Code"]["S3"]
    statements = role_statements(stack, created.role)
    # THEN its role may read exactly the object the runtime names, and nothing else of the bucket
    assert statements["ReadAgentCode"] == {
        "Sid": "ReadAgentCode", "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{code['Bucket']}/{code['Prefix']}",
    }
    text = json.dumps(statements)
    assert not [a for a in ("s3:GetBucket", "s3:List", "s3:GetObject*") if a in text]
    assert f"{code['Bucket']}/*" not in text and "PullAgentImage" not in statements


# -- the L2 adds nothing -------------------------------------------------------------------------------------------


def test_the_l2_writes_nothing_into_a_role_it_is_given(stack: cdk.Stack) -> None:
    # GIVEN the user's own role, and an agent pulling an image asset with a model
    mine = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("bedrock-agentcore.amazonaws.com"))
    created = agent(stack, AgentArtifact.from_directory(SUPPORT_IMAGE), execution_role=mine,
                    models=["anthropic.claude-sonnet-4-20250514-v1:0"])
    statements = role_statements(stack, mine)
    # THEN the role holds the agent's scoped statements only: none of the L2's, no bucket-wide or account-wide grant
    assert created.role is mine and created.grant_principal is mine
    assert not L2_SIDS & set(statements)
    assert set(statements) == {f"{sid}supportagent" for sid in (
        "RuntimeLogGroups", "RuntimeLogStreams", "ListLogGroups", "XRayTracing", "RuntimeMetrics",
        "WorkloadAccessTokens", "PullAgentImage", "ImageRegistryToken", "InvokeModel1")}
    # AND its trust policy is the user's
    trust = Template.from_stack(stack).find_resources("AWS::IAM::Role")[
        stack.get_logical_id(mine.node.default_child)]["Properties"]["AssumeRolePolicyDocument"]  # type: ignore[arg-type]
    assert "Condition" not in trust["Statement"][0]
    # AND the stack has no other role the L2 might have made
    Template.from_stack(stack).resource_count_is("AWS::IAM::Role", 1)


def test_the_runtime_waits_for_its_role_and_policy(stack: cdk.Stack) -> None:
    created = agent(stack)
    resources = Template.from_stack(stack).to_json()["Resources"]
    runtime = resources[stack.get_logical_id(created.runtime.node.default_child)]  # type: ignore[arg-type]
    role_id = stack.get_logical_id(created.role.node.default_child)  # type: ignore[arg-type]
    policy_ids = [k for k, v in resources.items() if v["Type"] == "AWS::IAM::Policy"
                  and {"Ref": role_id} in v["Properties"]["Roles"]]
    assert set(runtime["DependsOn"]) >= {role_id, *policy_ids}
    assert runtime["Properties"]["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_grants_to_the_agent_reach_the_role_but_grants_to_the_l2s_view_do_not(stack: cdk.Stack) -> None:
    # GIVEN a grant through the agent, and one through the L2's role view (which ignores policy updates)
    created = agent(stack)
    created.add_to_role_policy(iam.PolicyStatement(sid="Mine", actions=["sqs:SendMessage"], resources=["arn:x"]))
    created.runtime.role.add_to_principal_policy(
        iam.PolicyStatement(sid="Lost", actions=["sqs:DeleteQueue"], resources=["arn:y"]))
    statements = role_statements(stack, created.role)
    assert statements["Mine"]["Action"] == "sqs:SendMessage"
    assert "Lost" not in statements and "sqs:DeleteQueue" not in json.dumps(Template.from_stack(stack).to_json())


# -- cdk-nag -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["repository", "directory", "code"])
@pytest.mark.parametrize("literal_partition", [True, False])
def test_each_wildcard_left_is_acknowledged_for_this_runtime(
    tmp_path: Path, kind: str, literal_partition: bool
) -> None:
    # GIVEN agents of each artifact kind, with endpoints declared and added later, under both partition renderings,
    # one with a runtime name known only at deploy
    app = cdk.App(outdir=str(tmp_path), post_cli_context={"@aws-cdk/core:enablePartitionLiterals": literal_partition})
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = cdk.Stack(app, "TestStack", env=ENV)
    artifacts: dict[str, Callable[[], AgentArtifact]] = {
        "repository": lambda: AgentArtifact.from_managed_repository("v1"),
        "directory": lambda: AgentArtifact.from_directory(SUPPORT_IMAGE),
        "code": lambda: AgentArtifact.from_code(RESEARCH_CODE),
    }
    first = AgentCoreAgent(stack, "Agent", runtime_name="support_agent", artifact=artifacts[kind](),
                           endpoints=["prod"], models=["us.anthropic.claude-sonnet-4-20250514-v1:0"],
                           workload_token_for_user_id=True)
    first.add_endpoint("canary")
    AgentCoreAgent(stack, "Imported", runtime_name=cdk.Fn.import_value("AgentName"), artifact=artifacts[kind]())
    # WHEN synthesized with AwsSolutions THEN no finding is open and every acknowledgment has a specific reason
    app.synth()
    assert_clean(tmp_path)


def test_agents_sharing_a_role_write_distinct_statements(stack: cdk.Stack) -> None:
    # GIVEN one role of the user's shared by two agents (IAM refuses a policy whose statement ids repeat)
    shared = iam.Role(stack, "Shared", assumed_by=iam.ServicePrincipal("bedrock-agentcore.amazonaws.com"))
    for name in ("a_agent", "b_agent"):
        AgentCoreAgent(stack, name.title(), runtime_name=name, artifact=AgentArtifact.from_managed_repository("v1"),
                       execution_role=shared, models=["anthropic.claude-sonnet-4-20250514-v1:0"])
    # THEN each agent's statements carry its own ids, each naming its own runtime's resources
    statements = role_statements(stack, shared)  # fails on a repeated Sid
    assert {"RuntimeLogGroupsaagent", "RuntimeLogGroupsbagent", "InvokeModel1aagent", "InvokeModel1bagent"} <= set(
        statements)
    assert "runtimes/b_agent-" in json.dumps(statements["RuntimeLogGroupsbagent"])
