"""Stack limits as checks: CloudFormation's template body size on every written template, the archiver's environment,
and a platform of 200 agents in nested stacks within every limit."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from constructs_lib import (
    AgentArtifact,
    AgentIsolation,
    AgentPlacement,
    AgentPlatform,
    AgentSpec,
    AgentVersionArchive,
)
from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from tests.conftest import ENV


def light(name: str, **kwargs: object) -> AgentSpec:
    return AgentSpec(name=name, artifact=AgentArtifact.from_managed_repository("v1"), **kwargs)  # type: ignore[arg-type]


def test_fails_when_a_written_template_is_larger_than_cloudformation_reads(tmp_path: Path) -> None:
    # GIVEN a platform whose stack also holds a resource of more than a megabyte
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Large", env=ENV)
    AgentPlatform(stack, "Platform", agents=[light("chat", facade=False, session_store=False)], monitoring=False)
    cdk.CfnResource(stack, "Big", type="AWS::SSM::Parameter",
                    properties={"Type": "String", "Value": "x" * 1_100_000})
    # WHEN the app is synthesized THEN synthesis fails on the written template, with its size and the way out
    with pytest.raises(Exception, match="TemplateBodyTooLarge") as exc:
        app.synth()
    message = str(exc.value)
    assert "template Large.template.json is 1.07 MiB" in message and "more than 976.56 KiB" in message
    assert "template body size in an Amazon S3 object" in message and "NESTED_STACK_PER_AGENT" in message
    assert QuotaCatalog().value(QuotaName.CLOUDFORMATION_TEMPLATE_BODY_S3) == 1_000_000


def test_a_template_within_the_body_size_synthesizes(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Small", env=ENV)
    AgentPlatform(stack, "Platform", agents=[light("chat", facade=False, session_store=False)], monitoring=False)
    app.synth()
    assert (tmp_path / "Small.template.json").stat().st_size < 1_000_000


def test_fails_when_the_archiver_environment_cannot_hold_every_runtime_id(stack: cdk.Stack) -> None:
    # GIVEN more agents (with names of the longest kind) than the archiver's environment can list
    agents = [AgentCoreAgent(stack, f"A{i}", runtime_name=f"a{i:02d}" + "x" * 45,
                             artifact=AgentArtifact.from_managed_repository("v1")) for i in range(70)]
    archive = AgentVersionArchive(stack, "Archive", agents=agents)
    # THEN the archive says so with the way out, at synth
    errors = archive.node.validate()
    assert archive.environment_bytes > QuotaCatalog().value(QuotaName.LAMBDA_ENVIRONMENT_SIZE)
    assert len(errors) == 1 and "[ArchiveEnvironmentFull]" in errors[0] and "several AgentVersionArchives" in errors[0]
    # AND the first agents fit
    small = AgentVersionArchive(stack, "Small", agents=agents[:10])
    assert small.node.validate() == []


@pytest.mark.slow
def test_one_platform_holds_200_agents_in_nested_stacks(tmp_path: Path) -> None:
    # GIVEN 200 agents, each in a nested stack with its alarms and dashboard (archive off: the archiver's environment
    # lists every runtime id, see the test above)
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Fleet", env=ENV)
    platform = AgentPlatform(
        stack, "Platform", placement=AgentPlacement.NESTED_STACK_PER_AGENT, isolation=AgentIsolation.DEDICATED,
        archive=False, agents=[light(f"agent{i}", facade=False, session_store=False) for i in range(200)],
    )
    # WHEN synthesized (the resource and template-size checks run)
    app.synth()
    catalog = QuotaCatalog()
    resources_limit = catalog.value(QuotaName.CLOUDFORMATION_RESOURCES_PER_STACK)
    body_limit = catalog.value(QuotaName.CLOUDFORMATION_TEMPLATE_BODY_S3)
    # THEN the parent holds the nested stacks and the account's alarms, well within the limits
    parent = json.loads((tmp_path / "Fleet.template.json").read_text())
    types = [r["Type"] for r in parent["Resources"].values()]
    assert types.count("AWS::CloudFormation::Stack") == 200
    assert len(types) < resources_limit
    assert (tmp_path / "Fleet.template.json").stat().st_size < body_limit
    assert not [r for r in parent["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"
                and "Agent" in json.dumps(r["Properties"].get("AlarmName"))]
    # AND each nested template holds its agent, its alarms and its dashboard within the limits
    nested = sorted(tmp_path.glob("*.nested.template.json"))
    assert len(nested) == 200
    for path in nested:
        template = json.loads(path.read_text())
        assert len(template["Resources"]) < resources_limit and path.stat().st_size < body_limit
    first = Template.from_stack(platform.agents["agent0"].scope)  # type: ignore[arg-type]
    first.resource_count_is("AWS::BedrockAgentCore::Runtime", 1)
    first.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    assert first.find_resources("AWS::CloudWatch::Alarm")
