"""Small apps built by a function, for ``--app MODULE:FUNCTION`` (built in the test's process, never synthesized)."""

from __future__ import annotations

import aws_cdk as cdk

from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
from tests.conftest import ENV


def overnight_app() -> cdk.App:
    """One agent whose longest task exceeds the maximum session lifetime: a hard-limit error (it cannot synthesize)."""
    app = cdk.App()
    stack = cdk.Stack(app, "Overnight", env=ENV)
    AgentCoreAgent(stack, "Batch", runtime_name="overnight_batch", artifact=AgentArtifact.from_managed_repository("v1"),
                   workload=WorkloadProfile(longest_task=cdk.Duration.hours(30)))
    return app


def regional_app() -> cdk.App:
    """Two agents in us-east-1 with stated peaks, to re-plan in other regions."""
    app = cdk.App()
    stack = cdk.Stack(app, "Team", env=ENV)
    for name, sessions in (("support", 300), ("research", 50)):
        AgentCoreAgent(stack, name.title(), runtime_name=name, artifact=AgentArtifact.from_managed_repository("v1"),
                       workload=WorkloadProfile(peak_concurrent_sessions=sessions, peak_requests_per_second=10))
    return app
