"""A user's app that knows only the installed wheel: one stack class deployed twice, as stages of one account.

Each stage has a direct-code agent, its REST facade and its alarms, and sets no physical name, so every name the
library gives (runtime, alarms, tables, functions, log groups, API, dashboard) must differ between the two stages.
Run by .ci/wheel_smoke.sh from a temporary directory with a clean virtualenv, through the pinned CDK CLI and a
cdk.json carrying the repository's feature flags, the way a user's `cdk init` app runs. It must synthesize with
no warning or error from CDK, cdk-nag AwsSolutions or AgentCoreChecks.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from constructs_lib import AgentApiFacade, AgentArtifact, AgentCoreAgent, AgentCoreChecks, AgentMonitoring

HERE = Path(__file__).resolve().parent
ACCOUNT = cdk.Environment(account="123456789012", region="us-east-1")


class MyStack(cdk.Stack):
    """An agent behind a REST facade, with alarms: the library's defaults only."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        agent = AgentCoreAgent(self, "Agent", artifact=AgentArtifact.from_code(HERE / "agent"),
                               models=["anthropic.claude-sonnet-4-20250514-v1:0"])
        AgentApiFacade(self, "Api", agent=agent, enable_waf=True)
        AgentMonitoring(self, "Monitoring", agents=[agent])


app = cdk.App()
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), AgentCoreChecks(app))
for stage in ("dev", "staging"):
    MyStack(app, f"MyStack-{stage}", env=ACCOUNT)
app.synth()
