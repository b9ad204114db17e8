"""The capacity report on the reference app: in process, and through ``python -m constructs_lib report``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from constructs_lib.report.capacity import build_report, load_app, main
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def reference_report():  # type: ignore[no-untyped-def]
    """The report of the reference app, built in process from ``app:build_app``."""
    return build_report(load_app("app:build_app", directory=ROOT))


def test_report_lists_every_agent_with_its_plan(reference_report) -> None:  # type: ignore[no-untyped-def]
    agents = {a.runtime_name: a for a in reference_report.agents}
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


def test_report_sums_the_account(reference_report) -> None:  # type: ignore[no-untyped-def]
    (summary,) = [s for s in reference_report.accounts if s.region == "us-east-1"]
    assert summary.agent_count >= 2
    assert summary.session_quota == 5000
    assert summary.invoke_pool_per_second == 1000


def test_table_and_json_formats(reference_report, capsys) -> None:  # type: ignore[no-untyped-def]
    table = reference_report.to_table()
    assert "support_agent" in table and "research_agent" in table
    assert "asynchronous" in table and "DEFAULT,prod,canary" in table
    assert "Account summary" in table and "5,000" in table
    document = json.loads(reference_report.to_json())
    assert {a["runtime_name"] for a in document["agents"]} >= {"support_agent", "research_agent"}
    assert document["accounts"][0]["account"] == "123456789012"


def test_main_prints_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["report", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    modes = {a["runtime_name"]: a["mode"] for a in document["agents"]}
    assert modes["research_agent"] == "asynchronous"


def test_main_plans_the_agents_in_several_regions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["report", "--regions", "us-east-1,eu-west-1,unknown"]) == 0
    out = capsys.readouterr().out
    regions = out.split("\nRegions\n", 1)[1].splitlines()
    assert regions[2].startswith("us-east-1") and "5,000" in regions[2]
    assert regions[3].startswith("eu-west-1") and "2,500" in regions[3]
    assert regions[4].startswith("(unknown)") and "2,500" in regions[4]


def test_fails_when_app_spec_is_not_module_function() -> None:
    with pytest.raises(ValueError, match="module:function"):
        load_app("app")


def test_command_line_report_on_the_reference_app() -> None:
    # WHEN the command runs in the project directory, as a user would
    env = {**os.environ, "CDK_VALIDATION": "false"}
    result = subprocess.run(
        [sys.executable, "-m", "constructs_lib", "report"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    # THEN it prints the agents' plans and the account summary
    assert result.returncode == 0, result.stderr
    assert "support_agent" in result.stdout and "streaming" in result.stdout
    assert "research_agent" in result.stdout and "asynchronous" in result.stdout
    assert "Account summary" in result.stdout


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
    assert "DEFAULT (plan: 3)" in report.to_table()
    assert json.loads(report.to_json())["agents"][0]["planned_endpoints"] == 3


def test_regional_plans_keep_what_each_agent_was_planned_with(make_stack) -> None:  # type: ignore[no-untyped-def]
    from constructs_lib.report.capacity import plan_agents_in_regions

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
    import aws_cdk as cdk

    from constructs_lib.report.capacity import plan_agents_in_regions

    # GIVEN the same agent deployed by two stacks (two accounts, one name)
    app = cdk.App()
    for account in ("111111111111", "222222222222"):
        stack = cdk.Stack(app, f"Team{account}", env=cdk.Environment(account=account, region="us-east-1"))
        _agent(stack, "shared_agent", peak_concurrent_sessions=100)
    # THEN both are planned (one is not hidden behind the other's name)
    regional = plan_agents_in_regions(app, ["us-east-1"])
    assert regional.region("us-east-1").account.agent_count == 2
    assert regional.region("us-east-1").account.session_demand == 200


def test_main_prints_json_with_regions(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # WHEN the report is asked as JSON with regions
    monkeypatch.chdir(ROOT)
    assert main(["report", "--format", "json", "--regions", "us-east-1, eu-west-1,unknown"]) == 0
    document = json.loads(capsys.readouterr().out)
    # THEN the agents, the account summary and one entry per region are in one document
    assert {a["runtime_name"] for a in document["agents"]} >= {"support_agent", "research_agent"}
    assert all("planned_endpoints" in a for a in document["agents"])
    regions = document["regions"]
    assert [r["region"] for r in regions] == ["us-east-1", "eu-west-1", None]
    assert [r["session_quota"] for r in regions] == [5000, 2500, 2500]
    assert all(r["agents"] == len(document["agents"]) for r in regions)
    assert all(r["session_demand"] == document["accounts"][0]["session_demand"] for r in regions)
    # AND each region lists every agent's findings, keyed by construct path
    paths = {a["path"] for a in document["agents"]}
    assert all(set(r["agents_findings"]) == paths for r in regions)


def test_agents_of_one_account_and_region_are_summed_together_across_editions() -> None:
    import aws_cdk as cdk

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


def test_report_from_a_synthesized_app_matches_the_in_process_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the reference app synthesized to a cloud assembly, and the same app built in process
    import aws_cdk as cdk

    from app import build_app
    from constructs_lib.report.capacity import build_report_from_cdk_out

    app = build_app(cdk.App(outdir=str(tmp_path)))
    app.synth()
    live = build_report(app)
    # WHEN the report reads only the synthesized templates
    recorded = build_report_from_cdk_out(tmp_path)
    # THEN it is the same report: the same agents with the same plans, and the same account sums
    assert recorded == live
    assert recorded.to_table() == live.to_table()


def test_report_from_cdk_out_matches_in_process_for_a_plain_app(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a plain app (no build_app): two accounts and regions, an environment-agnostic stack, an older edition
    # with an approved override, direct code and a container, and agents with warnings and infos
    import aws_cdk as cdk

    from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
    from constructs_lib.report.capacity import build_report_from_cdk_out
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
    assert recorded.to_json() == live.to_json() and recorded.to_table() == live.to_table()
    assert {a.region for a in recorded.agents} == {"us-east-1", "eu-west-1", None}
    assert len(recorded.accounts) == 3


def test_report_from_cdk_out_on_the_command_line(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import aws_cdk as cdk

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
