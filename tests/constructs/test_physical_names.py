"""Stage-safe physical names: defaults derived from the stack and path, and the app-wide duplicate-name check."""

from __future__ import annotations

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from constructs import Construct
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib import (
    AgentArtifact,
    AgentCoreAgent,
    AgentMonitoring,
    AgentPlatform,
    AgentSpec,
)
from constructs_lib._cdk.names import derived_name, duplicate_names
from constructs_lib.limits.names import ALARM_NAME_CHARACTERS
from constructs_lib.limits.service import NAME_PATTERN
from constructs_lib.serving.api_facade import AgentApiFacade
from tests.conftest import ENV

OTHER_REGION = cdk.Environment(account=ENV.account, region="eu-west-1")


class MyStack(cdk.Stack):
    """What a user writes: an agent, a facade, monitoring and a platform, with no name set anywhere."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        agent = AgentCoreAgent(self, "Support", artifact=AgentArtifact.from_managed_repository("v1"))
        AgentApiFacade(self, "Api", agent=agent)
        AgentMonitoring(self, "Ops", agents=[agent])
        AgentPlatform(self, "Platform", agents=[
            AgentSpec(name="research", artifact=AgentArtifact.from_managed_repository("v1")),
        ])


def _names(template: Template, cfn_type: str, prop: str) -> set[str]:
    return {r["Properties"][prop] for r in template.find_resources(cfn_type).values() if prop in r["Properties"]}


def test_two_stages_of_one_stack_share_no_name_and_warn_nothing() -> None:
    # GIVEN the same stack class as MyStack-dev and MyStack-staging in one account and region
    app = cdk.App()
    dev, staging = (MyStack(app, f"MyStack-{stage}", env=ENV) for stage in ("dev", "staging"))
    # WHEN the app synthesizes (the app-wide name check runs) THEN no name is shared and nothing warns
    app.synth()
    templates = [Template.from_stack(dev), Template.from_stack(staging)]
    for cfn_type, prop in (
        ("AWS::BedrockAgentCore::Runtime", "AgentRuntimeName"),
        ("AWS::CloudWatch::Alarm", "AlarmName"),
        ("AWS::CloudWatch::Dashboard", "DashboardName"),
    ):
        first, second = (_names(t, cfn_type, prop) for t in templates)
        assert not first & second, f"{cfn_type} names shared by both stages: {sorted(first & second)}"
    runtimes = _names(templates[0], "AWS::BedrockAgentCore::Runtime", "AgentRuntimeName")
    assert len(runtimes) == 2 and all(NAME_PATTERN.match(n) for n in runtimes)
    assert all(n.startswith("MyStackdev_") for n in runtimes)
    assert all(n.startswith("MyStack-dev-") for n in _names(templates[0], "AWS::CloudWatch::Alarm", "AlarmName"))
    assert duplicate_names(app) == []
    for stack in (dev, staging):
        Annotations.from_stack(stack).has_no_warning("*", Match.any_value())
        Annotations.from_stack(stack).has_no_error("*", Match.any_value())


def _fixed(app: cdk.App, stack_id: str, env: cdk.Environment = ENV) -> AgentCoreAgent:
    stack = cdk.Stack(app, stack_id, env=env)
    return AgentCoreAgent(stack, "Support", runtime_name="support_agent",
                          artifact=AgentArtifact.from_managed_repository("v1"))


def test_fails_when_two_stacks_set_one_runtime_name_in_one_account_and_region() -> None:
    # GIVEN an explicit runtime name in two stacks deployed to one account and region
    app = cdk.App()
    first, second = _fixed(app, "MyStack-dev"), _fixed(app, "MyStack-staging")
    # THEN synthesis fails with one error naming both construct paths
    with pytest.raises(RuntimeError, match="DuplicatePhysicalName") as exc:
        app.synth()
    message = str(exc.value)
    assert first.runtime.node.default_child.node.path in message  # type: ignore[union-attr]
    assert second.runtime.node.default_child.node.path in message  # type: ignore[union-attr]
    assert "'support_agent'" in message and "account 123456789012, region us-east-1" in message
    (duplicate,) = duplicate_names(app)
    assert duplicate.first.node.path.startswith("MyStack-dev/")
    assert duplicate.second.node.path.startswith("MyStack-staging/")


def test_one_name_in_two_regions_is_fine() -> None:
    app = cdk.App()
    _fixed(app, "MyStack-use1")
    _fixed(app, "MyStack-euw1", OTHER_REGION)
    app.synth()
    assert duplicate_names(app) == []


def test_token_names_and_environment_agnostic_stacks_are_not_guessed() -> None:
    # GIVEN the same alarm name from a parameter twice, and a fixed name twice in stacks without an environment
    app = cdk.App()
    stack = cdk.Stack(app, "Params", env=ENV)
    name = cdk.CfnParameter(stack, "AlarmName").value_as_string
    metric = cloudwatch.Metric(namespace="Team", metric_name="Errors")
    for construct_id in ("A", "B"):
        metric.create_alarm(stack, construct_id, alarm_name=name, threshold=1, evaluation_periods=1)
    for stack_id in ("Agnostic1", "Agnostic2"):
        AgentCoreAgent(cdk.Stack(app, stack_id), "Support", runtime_name="support_agent",
                       artifact=AgentArtifact.from_managed_repository("v1"))
    # THEN nothing is reported: a token is not a name, and an unknown environment is not the same one
    assert duplicate_names(app) == []


def test_bucket_names_are_unique_across_regions() -> None:
    # GIVEN one bucket name in two regions: S3 names are unique in the whole partition
    app = cdk.App()
    for stack_id, env in (("East", ENV), ("West", OTHER_REGION)):
        s3.Bucket(cdk.Stack(app, stack_id, env=env), "Data", bucket_name="team-data-bucket")
    (duplicate,) = duplicate_names(app)
    assert duplicate.place == "partition aws"


def test_a_user_set_prefix_wins(stack: cdk.Stack) -> None:
    assert AgentMonitoring(stack, "Ops", alarm_name_prefix="team").alarm_name_prefix == "team"
    assert AgentMonitoring(stack, "Other").alarm_name_prefix == "TestStack-Other"


@given(st.lists(st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=40), min_size=1, max_size=6))
def test_derived_names_fit_and_stay_unique(path: list[str]) -> None:
    # GIVEN any construct path under a stack THEN the derived name fits, uses allowed characters, and is stable
    app = cdk.App()
    scope: Construct = cdk.Stack(app, "MyStack-dev")
    for index, part in enumerate(path):
        scope = Construct(scope, f"{part}{index}")
    name = derived_name(scope, max_length=40, allowed=ALARM_NAME_CHARACTERS, separator="-")
    assert 0 < len(name) <= 40 and set(name) <= ALARM_NAME_CHARACTERS
    assert name == derived_name(scope, max_length=40, allowed=ALARM_NAME_CHARACTERS, separator="-")
    full = derived_name(scope, max_length=10_000, allowed=ALARM_NAME_CHARACTERS, separator="-")
    if len(full) > 40:
        assert re.search(r"-[0-9A-F]{8}$", name)
