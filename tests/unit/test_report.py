"""The capacity report as a library: the reference app built in process and synthesized once, and small apps.

The command line on app directories, assemblies and the diagram are tested under ``tests/report``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from constructs_lib.report.capacity import build_report_from_cdk_out
from constructs_lib.report.cli import main
from constructs_lib.report.in_process import build_report, load_app, plan_agents_in_regions
from constructs_lib.report.text import render_text


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.App, Any, Any]:
    """The reference app built in process, its report, and the report read back from its synthesized assembly."""
    from app import build_app

    outdir: Path = tmp_path_factory.mktemp("reference")
    app = build_app(cdk.App(outdir=str(outdir)))
    live = build_report(app)
    app.synth()
    return app, live, build_report_from_cdk_out(outdir)


def test_report_lists_every_agent_with_its_plan(reference) -> None:  # type: ignore[no-untyped-def]
    _, live, _ = reference
    agents = {a.runtime_name: a for a in live.agents}
    # the reference stack's two agents, with the modes their longest tasks call for
    assert {"support_agent", "research_agent"} <= set(agents)
    support, research = agents["support_agent"], agents["research_agent"]
    assert support.mode == "streaming"  # 40 min task
    assert research.mode == "asynchronous"  # 3 h task
    assert support.endpoints == ("DEFAULT", "prod", "canary")
    assert support.region == "us-east-1"
    # 60 TPS of the 1,000 TPS pool, 300 of 5,000 sessions in us-east-1
    assert support.invoke_share == pytest.approx(0.06)
    assert support.session_share == pytest.approx(0.06)
    assert support.path.endswith("/Support")


def test_report_sums_the_account(reference) -> None:  # type: ignore[no-untyped-def]
    _, live, _ = reference
    (summary,) = [s for s in live.accounts if s.region == "us-east-1"]
    assert summary.agent_count >= 2
    assert summary.session_quota == 5000
    assert summary.invoke_pool_per_second == 1000


def test_table_and_json_formats(reference) -> None:  # type: ignore[no-untyped-def]
    _, live, _ = reference
    table = render_text(live)
    assert "support_agent (container image, streaming)" in table and "research_agent" in table
    assert "DEFAULT, prod, canary" in table and "300 of 5,000 (6.0%)" in table
    assert "Accounts" in table and "60 TPS of 1,000 TPS (6.0%)" in table
    document = json.loads(live.to_json())
    assert {a["runtime_name"] for a in document["agents"]} >= {"support_agent", "research_agent"}
    assert document["accounts"][0]["account"] == "123456789012"


def test_report_from_a_synthesized_app_matches_the_in_process_report(reference) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the reference app synthesized to a cloud assembly, and the same app built in process
    _, live, recorded = reference
    # THEN reading only the templates gives the same report: the same agents, plans and account sums
    assert recorded == live
    assert render_text(recorded) == render_text(live)


def test_reference_agents_planned_in_several_regions(reference) -> None:  # type: ignore[no-untyped-def]
    app, live, _ = reference
    regional = plan_agents_in_regions(app, ["us-east-1", "eu-west-1", None])
    assert [r.account.session_quota for r in regional.regions] == [5000, 2500, 2500]
    text = render_text(live, regional)
    regions = text.split("\nRegions\n=======\n", 1)[1]
    assert regions.index("\nus-east-1\n") < regions.index("\neu-west-1\n") < regions.index("\nregion unknown")
    assert "of 2,500 (" in regions.split("\neu-west-1\n", 1)[1]


def test_main_prints_json_with_regions(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import ROOT

    # WHEN the report of an app built by a function is asked as JSON with regions
    status = main(["report", str(ROOT), "--app", "tests.report._apps:regional_app", "--format", "json",
                   "--regions", "us-east-1, eu-west-1,unknown"])
    assert status == 0
    document = json.loads(capsys.readouterr().out)
    # THEN the agents, the account summary and one entry per region are in one document
    assert {a["runtime_name"] for a in document["agents"]} == {"support", "research"}
    assert all("planned_endpoints" in a for a in document["agents"])
    regions = document["regions"]
    assert [r["region"] for r in regions] == ["us-east-1", "eu-west-1", None]
    assert [r["session_quota"] for r in regions] == [5000, 2500, 2500]
    assert all(r["agents"] == 2 and r["session_demand"] == 350 for r in regions)
    # AND each region lists every agent's findings, keyed by construct path
    assert all(set(r["agents_findings"]) == {"Team/Support", "Team/Research"} for r in regions)


def test_fails_when_app_spec_is_not_module_function() -> None:
    with pytest.raises(ValueError, match="module:function"):
        load_app("app")


def _agent(stack, name: str, *, endpoints=(), **workload):  # type: ignore[no-untyped-def]
    from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile

    return AgentCoreAgent(
        stack, name, runtime_name=name, artifact=AgentArtifact.from_managed_repository("v1"),
        endpoints=list(endpoints), workload=WorkloadProfile(**workload),
    )


def test_report_shows_the_planned_endpoint_count(make_stack) -> None:  # type: ignore[no-untyped-def]
    # GIVEN an agent under the per-endpoint edition whose 60 TPS peak needs 3 endpoints of 25 TPS
    stack = make_stack(context={"agentcore:quotaEdition": "2026-03"})
    _agent(stack, "busy_agent", peak_requests_per_second=60)
    # WHEN reported
    report = build_report(stack.node.root)
    (entry,) = report.agents
    # THEN the plan's count is shown next to the declared endpoints, in the table and in JSON
    assert entry.endpoints == ("DEFAULT",) and entry.planned_endpoints == 3
    assert "DEFAULT (the plan needs 3)" in render_text(report)
    assert json.loads(report.to_json())["agents"][0]["planned_endpoints"] == 3


def test_regional_plans_keep_what_each_agent_was_planned_with(make_stack) -> None:  # type: ignore[no-untyped-def]
    # GIVEN an agent with 10 named endpoints: 11 with DEFAULT, one more than the quota (a warning)
    stack = make_stack()
    agent = _agent(stack, "wide_agent", endpoints=[f"e{i}" for i in range(10)])
    assert agent.plan.finding("TooManyEndpoints") is not None
    # WHEN it is planned in its own region and another
    regional = plan_agents_in_regions(stack.node.root, ["us-east-1", "eu-west-1"])
    # THEN each regional plan still sees its endpoints, as the agent's own plan does
    for region in ("us-east-1", "eu-west-1"):
        (plan,) = regional.region(region).plans.values()
        assert plan.endpoint_count == 11
        assert plan.finding("TooManyEndpoints") is not None
        assert plan.idle_runtime_session_timeout_seconds == agent.plan.idle_runtime_session_timeout_seconds


def test_regional_plans_count_agents_with_the_same_runtime_name_in_two_stacks() -> None:
    # GIVEN the same agent deployed by two stacks (two accounts, one name)
    app = cdk.App()
    for account in ("111111111111", "222222222222"):
        stack = cdk.Stack(app, f"Team{account}", env=cdk.Environment(account=account, region="us-east-1"))
        _agent(stack, "shared_agent", peak_concurrent_sessions=100)
    # THEN both are planned (one is not hidden behind the other's name)
    regional = plan_agents_in_regions(app, ["us-east-1"])
    assert regional.region("us-east-1").account.agent_count == 2
    assert regional.region("us-east-1").account.session_demand == 200


def test_agents_of_one_account_and_region_are_summed_together_across_editions() -> None:
    # GIVEN two stacks of one account and region, one of them pinned to the older quota edition
    app = cdk.App()
    env = cdk.Environment(account="123456789012", region="us-east-1")
    old = cdk.Stack(app, "Old", env=env)
    old.node.set_context("agentcore:quotaEdition", "2026-03")
    _agent(old, "old_agent", peak_concurrent_sessions=300)
    _agent(cdk.Stack(app, "New", env=env), "new_agent", peak_concurrent_sessions=400)
    # WHEN reported
    report = build_report(app)
    # THEN the account's shared quotas see both agents in one summary, with a warning about the editions
    (summary,) = report.accounts
    assert summary.agent_count == 2 and summary.session_demand == 700
    mixed = summary.finding("MixedQuotaEditions")
    assert mixed is not None and "2026-03" in mixed.message and "2026-09" in mixed.message


def test_fails_when_the_app_cannot_be_built(capsys: pytest.CaptureFixture[str]) -> None:
    # WHEN --app names a module that does not exist THEN the command exits 2 with a one-line message
    with pytest.raises(SystemExit) as exc:
        main(["report", "--app", "no_such_module_here:build_app"])
    assert exc.value.code == 2
    assert "cannot build the app 'no_such_module_here:build_app'" in capsys.readouterr().err


def test_report_from_cdk_out_matches_in_process_for_a_plain_app(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a plain app (no build_app): two accounts and regions, an environment-agnostic stack, an older edition
    # with an approved override, direct code and a container, and agents with warnings and infos
    from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
    from tests.conftest import RESEARCH_CODE

    app = cdk.App(outdir=str(tmp_path))
    east = cdk.Stack(app, "East", env=cdk.Environment(account="111111111111", region="us-east-1"))
    _agent(east, "east_agent", endpoints=["prod"], peak_requests_per_second=700, peak_concurrent_sessions=6000)
    AgentCoreAgent(east, "Coder", runtime_name="coder", artifact=AgentArtifact.from_code(RESEARCH_CODE),
                   workload=WorkloadProfile(longest_task=cdk.Duration.hours(2), new_sessions_per_second=30))
    west = cdk.Stack(app, "West", env=cdk.Environment(account="222222222222", region="eu-west-1"))
    west.node.set_context("agentcore:quotaEdition", "2026-03")
    west.node.set_context("agentcore:quotaOverrides", {"active_session_workloads": {"eu-west-1": 900}})
    _agent(west, "west_agent", peak_requests_per_second=60, peak_concurrent_sessions=800)
    _agent(cdk.Stack(app, "Anywhere"), "anywhere_agent", peak_concurrent_sessions=10)
    live = build_report(app)
    app.synth()
    # WHEN the report reads only the synthesized templates
    recorded = build_report_from_cdk_out(tmp_path)
    # THEN both paths give the same report, to the last finding
    assert recorded == live
    assert recorded.to_json() == live.to_json() and render_text(recorded) == render_text(live)
    assert {a.region for a in recorded.agents} == {"us-east-1", "eu-west-1", None}
    assert len(recorded.accounts) == 3


def test_report_from_cdk_out_on_the_command_line(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
    from tests.conftest import ENV

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Team", env=ENV)
    agent = AgentCoreAgent(stack, "Chat", runtime_name="chat", artifact=AgentArtifact.from_managed_repository("v1"),
                           workload=WorkloadProfile(peak_concurrent_sessions=6000))
    agent.add_endpoint("late")  # added after construction: recorded too
    app.synth()
    assert main(["report", "--cdk-out", str(tmp_path), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    (entry,) = document["agents"]
    assert entry["path"] == "Team/Chat" and entry["endpoints"] == ["DEFAULT", "late"]
    assert [f["code"] for f in entry["findings"]] == ["ActiveSessionsExceeded"]
    assert document["accounts"][0]["session_demand"] == 6000


def test_fails_when_cdk_out_is_combined_with_regions(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exc:
        main(["report", "--cdk-out", str(tmp_path), "--regions", "us-east-1"])
    assert exc.value.code == 2
    assert "--regions" in capsys.readouterr().err
