"""The operations reference stack: clean under cdk-nag AwsSolutions (in-process synth) and cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from stacks.operations import OperationsStack
from tests._validators import assert_cfn_lint_clean, assert_clean, synth_checked


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[OperationsStack, Path]:
    """The stack synthesized once, with the cdk-nag plugins."""
    outdir = tmp_path_factory.mktemp("ops-out")
    return synth_checked(outdir, OperationsStack, "AgentCoreOperations"), outdir


def test_every_agent_is_monitored_and_archived(synthesized: tuple[OperationsStack, Path]) -> None:
    stack, _ = synthesized
    assert {a.runtime_name for a in stack.monitoring.monitored_agents} == {"ops_support_agent", "ops_research_agent"}
    assert {a.runtime_name for a in stack.archive.archived_agents} == {"ops_support_agent", "ops_research_agent"}
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    # the dead-letter alarm pages the same topic as the agent alarms
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    topics = {json.dumps(a["Properties"]["AlarmActions"]) for a in alarms.values()}
    assert len(topics) == 1
    assert len(alarms) == len(stack.monitoring.created_alarms()) + 1
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("AuditedAgentNotArchived"))


def test_no_open_findings_and_specific_reasons(synthesized: tuple[OperationsStack, Path]) -> None:
    assert_clean(synthesized[1])


def test_cfn_lint_is_clean(synthesized: tuple[OperationsStack, Path]) -> None:
    assert_cfn_lint_clean(synthesized[1] / "AgentCoreOperations.template.json")
