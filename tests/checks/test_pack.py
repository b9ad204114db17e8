"""AgentCoreChecks as a CDK validation plugin: synthesis fails on errors, reports, acknowledgments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from constructs_lib import AgentArtifact, AgentCoreAgent
from constructs_lib.checks import ALL_RULES, AgentCoreChecks
from stacks.reference import ReferenceStack
from tests.checks._l1 import ENV, cfn_endpoint, cfn_runtime


def _app(outdir: Path) -> cdk.App:
    app = cdk.App(outdir=str(outdir))
    cdk.Validations.of(app).add_plugins(AgentCoreChecks(app))
    return app


def _report(outdir: Path) -> dict[str, Any]:
    """The pack's entry in the validation report (CDK writes none for a plugin with nothing to say)."""
    path = outdir / "validation-report.json"
    reports = json.loads(path.read_text())["pluginReports"] if path.exists() else []
    empty = {"pluginName": "AgentCoreChecks", "conclusion": "success", "violations": []}
    return next((r for r in reports if r["pluginName"] == "AgentCoreChecks"), empty)


def _rule_names(entries: list[dict[str, Any]] | None) -> set[str]:
    return {entry["ruleName"] for entry in entries or []}


def test_pack_lists_its_rules() -> None:
    pack = AgentCoreChecks()
    assert pack.name == "AgentCoreChecks"
    assert pack.rule_ids == [f"AgentCore-{spec.rule_id}" for spec in ALL_RULES]
    assert all(spec.info and spec.explanation for spec in ALL_RULES)


def test_fails_when_an_l1_runtime_breaks_a_hard_limit(tmp_path: Path) -> None:
    # GIVEN a raw L1 runtime with a hyphenated name, which cfn-lint and CDK template validation accept
    app = _app(tmp_path)
    stack = cdk.Stack(app, "Team", env=ENV)
    cfn_runtime(stack, name="team-agent")
    # WHEN the app is synthesized THEN validation fails
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    # AND the finding is in the report, as an error, on the runtime
    report = _report(tmp_path)
    assert report["conclusion"] == "failure"
    violation = next(v for v in report["violations"] if v["ruleName"] == "AgentCore-RuntimeName")
    assert violation["severity"] == "error"
    assert "Team/Runtime" in json.dumps(violation["violatingConstructs"])


def test_warnings_are_reported_without_failing_synth(tmp_path: Path) -> None:
    # GIVEN a runtime with a valid name whose endpoint is stranded on version "1" and no alarms
    app = _app(tmp_path)
    stack = cdk.Stack(app, "Team", env=ENV)
    runtime = cfn_runtime(stack)
    cfn_endpoint(stack, runtime, "Prod", name="prod", version="1")
    # WHEN synthesized THEN it succeeds and the warnings are in the report
    app.synth()
    report = _report(tmp_path)
    assert report["conclusion"] == "success"
    assert {"AgentCore-EndpointVersion", "AgentCore-Alarms[Throttles]"} <= _rule_names(report["violations"])


def test_an_acknowledgment_suppresses_a_finding_with_its_reason(tmp_path: Path) -> None:
    # GIVEN the failing runtime, acknowledged on the resource with the id the report prints
    app = _app(tmp_path)
    stack = cdk.Stack(app, "Team", env=ENV)
    runtime = cfn_runtime(stack, name="team-agent", environment_variables={"BAD-KEY": "x"})
    reason = "team-agent is created by a legacy pipeline that maps hyphens to underscores before deploying"
    cdk.Validations.of(runtime).acknowledge(
        cdk.Acknowledgment(id="AgentCoreChecks::AgentCore-RuntimeName", reason=reason),
        cdk.Acknowledgment(id="AgentCoreChecks::AgentCore-Env[Key]", reason="renamed by the same pipeline"),
    )
    # WHEN synthesized THEN it succeeds
    app.synth()
    report = _report(tmp_path)
    # AND the findings moved to the suppressed list, with the reason
    assert "AgentCore-RuntimeName" not in _rule_names(report["violations"])
    assert {"AgentCore-RuntimeName", "AgentCore-Env[Key]"} <= _rule_names(report.get("suppressedViolations"))
    assert reason in json.dumps(report["suppressedViolations"])


def test_an_acknowledgment_on_the_l2_parent_suppresses_the_finding(tmp_path: Path) -> None:
    # GIVEN two agents without monitoring, with the alarm finding acknowledged on one agent's L2 parent
    app = _app(tmp_path)
    stack = cdk.Stack(app, "Reference", env=ENV)
    support = AgentCoreAgent(stack, "Support", runtime_name="support_agent",
                             artifact=AgentArtifact.from_managed_repository("v1"), models=["m.model-v1"])
    AgentCoreAgent(stack, "Research", runtime_name="research_agent",
                   artifact=AgentArtifact.from_managed_repository("v1"), models=["m.model-v1"])
    cdk.Validations.of(support).acknowledge(
        cdk.Acknowledgment(
            id="AgentCoreChecks::AgentCore-Alarms[Throttles]",
            reason="support_agent throttles are alarmed by the operations account's central dashboard",
        )
    )
    app.synth()
    report = _report(tmp_path)
    suppressed = json.dumps(report.get("suppressedViolations"))
    remaining = json.dumps([v for v in report["violations"] if v["ruleName"] == "AgentCore-Alarms[Throttles]"])
    assert "Reference/Support/Resource/Resource" in suppressed
    assert "Reference/Support/Resource/Resource" not in remaining
    assert "Reference/Research/Resource/Resource" in remaining


def test_reference_stack_has_no_agentcore_errors(tmp_path: Path) -> None:
    # GIVEN the reference stack built from AgentCoreAgent
    app = _app(tmp_path)
    ReferenceStack(app, "Reference", env=ENV)
    # WHEN validated directly THEN no finding is an error
    report = AgentCoreChecks(app).validate_scope(app)
    errors = [v.rule_name for v in report.violations if v.severity == "error"]
    assert errors == []
    # AND the constructs' own choices pass the rules (names, lifecycle, endpoints follow versions, models)
    names = {v.rule_name for v in report.violations}
    assert not names & {"AgentCore-EndpointVersion", "AgentCore-ModelAccess", "AgentCore-EndpointsPerRuntime"}
    # AND synthesis succeeds with the pack registered
    app.synth()
    assert _report(tmp_path)["conclusion"] == "success"


def test_fully_equipped_agent_passes_every_rule() -> None:
    # GIVEN an agent with every library construct around it (as the benchmark builds it)
    from bench.equipment import equip_stack

    app = cdk.App()
    stack = cdk.Stack(app, "Equipped", env=ENV)
    equip_stack(stack, 1)
    # WHEN the pack validates it
    report = AgentCoreChecks(app).validate_scope(app)
    names = {v.rule_name for v in report.violations}
    # THEN the constructs satisfy the rules they were built for: no errors, and the monitoring alarms
    # and facade authorization that the library adds are recognised
    assert not [v for v in report.violations if v.severity == "error"]
    assert not any(name.startswith("AgentCore-Alarms") for name in names)
    assert "AgentCore-PublicApi" not in names
    assert "AgentCore-ModelAccess" not in names
