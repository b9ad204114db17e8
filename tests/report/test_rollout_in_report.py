"""The rollout in the capacity report: the plan record carries it through the template, and the text, Markdown and
JSON renderings show its stable and candidate endpoints, pins and weight."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk

from constructs_lib import AgentArtifact, AgentCoreAgent, AgentRollout
from constructs_lib.report.capacity import build_report_from_cdk_out
from constructs_lib.report.in_process import build_report
from constructs_lib.report.markdown import render_markdown
from constructs_lib.report.text import render_text
from tests.conftest import ENV

SHOWN = ("stable prod (version 3), candidate canary (follows the deployed version) at 10% of new sessions; "
         "automatic rollback")


def test_the_rollout_is_shown_in_every_rendering_from_the_app_and_from_cdk_out(tmp_path: Path) -> None:
    # GIVEN an app with an agent rolling out, and one without
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Team", env=ENV)
    artifact = AgentArtifact.from_managed_repository("v1")
    AgentCoreAgent(stack, "Chat", runtime_name="chat", artifact=artifact, rollout=AgentRollout(
        stable="prod", stable_version="3", candidate="canary", candidate_weight=10))
    AgentCoreAgent(stack, "Plain", runtime_name="plain", artifact=AgentArtifact.from_managed_repository("v1"))
    live = build_report(app)
    app.synth()
    # WHEN the report is read back from the synthesized templates
    recorded = build_report_from_cdk_out(tmp_path)
    # THEN it is the same report
    assert recorded == live
    # AND the text and Markdown show the rollout of the one agent, and none for the other
    text = render_text(recorded, width=400)
    assert f"  rollout        {SHOWN}" in text and "  rollout        none" in text
    markdown = render_markdown(recorded)
    assert "| rollout |" in markdown.splitlines()[6] and f"| {SHOWN} |" in markdown
    # AND the JSON has the rollout's values
    chat = next(a for a in json.loads(recorded.to_json())["agents"] if a["runtime_name"] == "chat")
    assert {k: chat["rollout"][k] for k in ("stable", "stable_version", "candidate", "candidate_weight")} == {
        "stable": "prod", "stable_version": "3", "candidate": "canary", "candidate_weight": 10}
    assert chat["endpoints"] == ["DEFAULT", "prod", "canary"]
