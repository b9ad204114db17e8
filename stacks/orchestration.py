"""Reference stack "orchestration": a Lambda tool for an agent and a two-agent Step Functions pipeline."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent.artifact import AgentArtifact
from constructs_lib.operations.monitoring import AgentMonitoring
from constructs_lib.orchestration.pipeline import AgentMap, AgentPipeline, AgentStep, StepPayload
from constructs_lib.orchestration.tools import AgentTool
from constructs_lib.planning.profile import WorkloadProfile

AGENTS_DIR = Path(__file__).parent / "agents"
TOOLS_DIR = Path(__file__).parent / "tools"


class OrchestrationStack(cdk.Stack):
    """A triage agent with an order-status tool, then a writer agent, run as one pipeline.

    The pipeline triages the request, drafts a reply from the triage result, and summarizes each attached
    document in a map whose concurrency follows the new-session creation quota.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.triage = AgentCoreAgent(
            self,
            "Triage",
            runtime_name="triage_agent",
            artifact=AgentArtifact.from_code(AGENTS_DIR / "research"),
            workload=WorkloadProfile(longest_task=cdk.Duration.minutes(2)),
            models=["anthropic.claude-sonnet-4-20250514-v1:0"],
            description="Classifies a customer request (direct code, synchronous)",
        )
        self.writer = AgentCoreAgent(
            self,
            "Writer",
            runtime_name="writer_agent",
            artifact=AgentArtifact.from_code(AGENTS_DIR / "research"),
            workload=WorkloadProfile(longest_task=cdk.Duration.minutes(5)),
            models=["anthropic.claude-sonnet-4-20250514-v1:0"],
            description="Drafts replies and summaries (direct code, synchronous)",
        )
        self.order_status = AgentTool(
            self,
            "OrderStatus",
            tool_name="order_status",
            description="Look up the shipping status of an order by its order_id",
            code=lambda_.Code.from_asset(str(TOOLS_DIR / "order_status")),
            handler="index.handler",
            timeout=cdk.Duration.seconds(10),
            agents=[self.triage],
        )
        self.pipeline = AgentPipeline(
            self,
            "SupportPipeline",
            steps=[
                AgentStep(self.triage, name="Triage", parse_json_response=True),
                AgentStep(self.writer, name="Draft", payload=StepPayload.from_state("$.Triage.response")),
                AgentMap(
                    AgentStep(self.writer, name="Summarize", payload=StepPayload.from_state("$.item")),
                    items_path="$.documents",
                    expected_items=20,
                    name="SummarizeDocuments",
                ),
            ],
        )
        self.monitoring = AgentMonitoring(
            self, "Monitoring", alarm_name_prefix="orchestration", agents=[self.triage, self.writer]
        )
