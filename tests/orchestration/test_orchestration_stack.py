"""The orchestration reference stack: what it wires, 0 unacknowledged cdk-nag findings, cfn-lint clean."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk.assertions import Template

from constructs_lib.orchestration.tools import TOOLS_ENVIRONMENT_KEY
from stacks.orchestration import OrchestrationStack
from tests._validators import assert_cfn_lint_clean, assert_clean, synth_checked
from tests.conftest import ENV
from tests.orchestration._helpers import definition


def test_pipeline_runs_two_agents_and_a_map() -> None:
    stack = OrchestrationStack(cdk.App(), "Orchestration", env=ENV)
    asl = definition(stack)
    assert asl["StartAt"] == "Triage"
    assert asl["States"]["Triage"]["Next"] == "Draft"
    assert asl["States"]["Draft"]["Next"] == "SummarizeDocuments"
    assert asl["States"]["SummarizeDocuments"]["Type"] == "Map"
    assert stack.pipeline.agents == [stack.triage, stack.writer]


def test_tool_is_registered_with_the_triage_agent() -> None:
    stack = OrchestrationStack(cdk.App(), "Orchestration", env=ENV)
    assert TOOLS_ENVIRONMENT_KEY in stack.triage.environment
    assert TOOLS_ENVIRONMENT_KEY not in stack.writer.environment
    Template.from_stack(stack).resource_count_is("AWS::Lambda::Function", 1)


def test_no_open_findings_and_cfn_lint_clean(tmp_path: Path) -> None:
    # GIVEN the cdk-nag plugins WHEN synthesized THEN no finding is left open and cfn-lint is clean
    synth_checked(tmp_path, OrchestrationStack, "Orchestration")
    assert_clean(tmp_path)
    assert_cfn_lint_clean(tmp_path / "Orchestration.template.json")
