"""A plain CDK app directory, as a team writes one: ``app.py`` builds the app and calls ``app.synth()`` at import.

There is no ``build_app`` function: the report must run it through ``cdk.json``, as ``cdk synth`` does. Its context
comes from both files the CLI reads: ``cdk.json`` pins a quota edition, ``cdk.context.json`` overrides it and grants an
approved increase, so a report that ignored either would plan differently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PLAIN_APP = '''
import aws_cdk as cdk

from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
from team_settings import TEAM_ENV

app = cdk.App()
stack = cdk.Stack(app, "Team", env=TEAM_ENV)
AgentCoreAgent(
    stack, "Chat", runtime_name="chat", artifact=AgentArtifact.from_managed_repository("v1"), endpoints=["prod"],
    workload=WorkloadProfile(peak_concurrent_sessions=1200, peak_requests_per_second=10),
)
AgentCoreAgent(
    stack, "Batch", runtime_name="batch", artifact=AgentArtifact.from_managed_repository("v1"),
    workload=WorkloadProfile(longest_task=cdk.Duration.hours(2), peak_concurrent_sessions=100),
)
app.synth()
'''
#: What the plain app's report must show: chat's 1,200 sessions against the approved 800 of cdk.context.json.
PLAIN_SESSIONS_QUOTA = 800
PLAIN_EDITION = "2026-03"


def write_plain_app(directory: Path) -> Path:
    """Write the plain app into ``directory`` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(PLAIN_APP)
    # a local module: running the app must not leave its bytecode (__pycache__) in the directory
    (directory / "team_settings.py").write_text(
        'import aws_cdk as cdk\n\nTEAM_ENV = cdk.Environment(account="111111111111", region="eu-west-1")\n'
    )
    (directory / "cdk.json").write_text(json.dumps({
        "app": "python3 app.py",
        "context": {"agentcore:quotaEdition": "2026-09"},
    }))
    (directory / "cdk.context.json").write_text(json.dumps({
        "agentcore:quotaEdition": PLAIN_EDITION,
        "agentcore:quotaOverrides": {"active_session_workloads": {"eu-west-1": PLAIN_SESSIONS_QUOTA}},
    }))
    return directory


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain app directory, fresh for each test module."""
    return write_plain_app(tmp_path_factory.mktemp("plain") / "app")


def files_of(directory: Path) -> set[str]:
    """Every file under ``directory``, relative (to prove the report writes nothing there)."""
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}
