"""A user's app that knows only the installed wheel: a direct-code agent, its REST facade and its alarms.

Run by .ci/wheel_smoke.sh from a temporary directory with a clean virtualenv, through the pinned CDK CLI and a
cdk.json carrying the repository's feature flags, the way a user's `cdk init` app runs. It must synthesize with
no warning or error from CDK, cdk-nag AwsSolutions or AgentCoreChecks.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from constructs_lib import AgentApiFacade, AgentArtifact, AgentCoreAgent, AgentCoreChecks, AgentMonitoring

HERE = Path(__file__).resolve().parent

app = cdk.App()
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), AgentCoreChecks(app))
stack = cdk.Stack(app, "WheelSmoke", env=cdk.Environment(account="123456789012", region="us-east-1"))
agent = AgentCoreAgent(stack, "Agent", runtime_name="smoke_agent", artifact=AgentArtifact.from_code(HERE / "agent"),
                       models=["anthropic.claude-sonnet-4-20250514-v1:0"])
AgentApiFacade(stack, "Api", agent=agent, enable_waf=True)
AgentMonitoring(stack, "Monitoring", alarm_name_prefix="smoke", agents=[agent])
app.synth()
