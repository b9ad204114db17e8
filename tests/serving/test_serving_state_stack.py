"""The ServingStateStack reference stack: clean under cdk-nag AwsSolutions and cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from stacks.serving_state import ServingStateStack
from tests._validators import assert_cfn_lint_clean, assert_clean, synth_checked


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[ServingStateStack, Path]:
    """Synthesize once with the cdk-nag plugins; app.synth() raises on any error-level finding."""
    outdir = tmp_path_factory.mktemp("serving-state")
    return synth_checked(outdir, ServingStateStack, "ServingState"), outdir


def test_no_unacknowledged_aws_solutions_findings(synthesized: tuple[ServingStateStack, Path]) -> None:
    _, outdir = synthesized
    report = json.loads((outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []
    acknowledged = {s["ruleName"] for s in nag["suppressedViolations"]}
    assert any("inputs/chat_agent/*" in rule for rule in acknowledged)
    assert any("@connections/*" in rule for rule in acknowledged)
    # every acknowledgment carries a specific reason
    for suppressed in nag["suppressedViolations"]:
        assert len(suppressed["reason"]) >= 40, suppressed["ruleName"]


def test_no_error_annotations(synthesized: tuple[ServingStateStack, Path]) -> None:
    stack, _ = synthesized
    Annotations.from_stack(stack).has_no_error("*", Match.any_value())


def test_agent_is_wired_to_staging_sessions_and_websocket(synthesized: tuple[ServingStateStack, Path]) -> None:
    stack, _ = synthesized
    template = Template.from_stack(stack)
    (runtime,) = template.find_resources("AWS::BedrockAgentCore::Runtime").values()
    env = runtime["Properties"]["EnvironmentVariables"]
    assert {"AGENT_SESSION_TABLE", "PAYLOAD_STAGING_BUCKET", "PAYLOAD_STAGING_INPUT_PREFIX",
            "PAYLOAD_STAGING_OUTPUT_PREFIX"} <= set(env)
    assert env["PAYLOAD_STAGING_INPUT_PREFIX"] == "inputs/chat_agent/"
    template.resource_count_is("AWS::ApiGatewayV2::Api", 1)
    template.resource_count_is("AWS::DynamoDB::Table", 2)  # sessions + connections
    template.resource_count_is("AWS::S3::Bucket", 2)  # staging + access logs


def test_every_finding_is_closed_with_a_specific_reason(synthesized: tuple[ServingStateStack, Path]) -> None:
    assert_clean(synthesized[1])


def test_cfn_lint_is_clean(synthesized: tuple[ServingStateStack, Path]) -> None:
    assert_cfn_lint_clean(synthesized[1] / "ServingState.template.json")
