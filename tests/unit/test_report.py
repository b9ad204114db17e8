"""The capacity report on the reference app: in process, and through ``python -m constructs_lib report``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from constructs_lib.report import build_report, load_app, main
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
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_VALIDATION": "false"}
    result = subprocess.run(
        [sys.executable, "-m", "constructs_lib", "report"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    # THEN it prints the agents' plans and the account summary
    assert result.returncode == 0, result.stderr
    assert "support_agent" in result.stdout and "streaming" in result.stdout
    assert "research_agent" in result.stdout and "asynchronous" in result.stdout
    assert "Account summary" in result.stdout
