"""``--regions`` on a plain app directory: the Python app command runs in the report's process to re-plan its agents.

The CDK must start with the CLI's environment, so the command runs in a fresh interpreter (one synthesis).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from tests.conftest import ROOT
from tests.report.conftest import PLAIN_EDITION, PLAIN_SESSIONS_QUOTA, files_of


@pytest.fixture(scope="module")
def regional_report(plain_app: Path) -> tuple[dict[str, Any], set[str], set[str]]:
    before = files_of(plain_app)
    result = subprocess.run(
        [sys.executable, "-m", "constructs_lib", "report", str(plain_app), "--regions", "eu-west-1,us-east-1,unknown",
         "--format", "json", "--fail-on", "never"],
        cwd=ROOT, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, capture_output=True, text=True, timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), before, files_of(plain_app)


def test_regions_re_plan_the_agents_of_a_plain_app(regional_report) -> None:  # type: ignore[no-untyped-def]
    document, _, _ = regional_report
    # THEN the app's own report is there, planned with the project's context (the approved increase)
    assert {a["runtime_name"] for a in document["agents"]} == {"chat", "batch"}
    assert document["accounts"][0]["session_quota"] == PLAIN_SESSIONS_QUOTA
    # AND each region re-plans both agents, with the approved increase only where it was granted
    regions = {r["region"]: r for r in document["regions"]}
    assert list(regions) == ["eu-west-1", "us-east-1", None]
    assert regions["eu-west-1"]["session_quota"] == PLAIN_SESSIONS_QUOTA
    us_east = QuotaCatalog(PLAIN_EDITION).resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, "us-east-1")
    assert regions["us-east-1"]["session_quota"] == us_east.value
    assert all(r["agents"] == 2 and r["session_demand"] == 1300 for r in regions.values())
    assert set(regions["us-east-1"]["agents_findings"]) == {"Team/Chat", "Team/Batch"}


def test_running_in_process_writes_nothing_in_the_app_directory(regional_report) -> None:  # type: ignore[no-untyped-def]
    _, before, after = regional_report
    assert after == before
