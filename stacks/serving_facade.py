"""Reference stack "serving an agent": a REST facade with response streaming, and an asynchronous job API.

- ``Assistant``: a direct-code agent whose tasks take minutes, behind an IAM-authenticated REST API that
  streams responses (``POST /invoke``);
- ``Research``: an agent planned asynchronous (tasks of hours), behind a REST API with the job API
  (``POST /jobs``, ``GET /jobs/{jobId}``), payload staging (``POST /uploads``, results as pre-signed URLs)
  and a WAF web ACL with AWS managed rules.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_lib import AgentArtifact, AgentCoreAgent, AgentMonitoring, WorkloadProfile
from constructs_lib.serving.api_facade import AgentApiFacade
from constructs_lib.serving.payload_staging import PayloadStaging

AGENTS_DIR = Path(__file__).parent / "agents"


class ServingFacadeStack(cdk.Stack):
    """Two agents served over REST: one streaming, one through asynchronous jobs with payload staging."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.assistant = AgentCoreAgent(
            self,
            "Assistant",
            runtime_name="assistant_agent",
            artifact=AgentArtifact.from_code(AGENTS_DIR / "research"),
            workload=WorkloadProfile(longest_task=cdk.Duration.minutes(5), peak_requests_per_second=20),
            endpoints=["prod"],
            models=["anthropic.claude-sonnet-4-20250514-v1:0"],
            description="Interactive assistant (direct code, answers streamed)",
        )
        # Tasks of minutes exceed the REST integration timeout: stream the answer instead of buffering it.
        self.assistant_api = AgentApiFacade(self, "AssistantApi", agent=self.assistant, streaming=True)
        cdk.Validations.of(self.assistant_api.stage).acknowledge(cdk.Acknowledgment(
            id="AwsSolutions::AwsSolutions-APIG3",
            reason="the assistant API is IAM-authenticated (SigV4) and throttled to the agent's invoke capacity; "
            "a WAF web ACL is optional for it (the research API shows enable_waf=True)",
        ))
        clients = iam.Role(self, "ClientRole", assumed_by=iam.AccountRootPrincipal(),
                           description="callers of the assistant API (execute-api:Invoke)")
        self.assistant_api.grant_invoke_api(clients)

        self.staging = PayloadStaging(self, "Staging")
        self.research = AgentCoreAgent(
            self,
            "Research",
            runtime_name="research_jobs_agent",
            artifact=AgentArtifact.from_code(AGENTS_DIR / "research"),
            workload=WorkloadProfile(longest_task=cdk.Duration.hours(3), peak_concurrent_sessions=50,
                                     max_payload=cdk.Size.mebibytes(50)),
            models=["us.anthropic.claude-sonnet-4-20250514-v1:0"],
            description="Long-running research agent (asynchronous jobs)",
        )
        self.research_api = AgentApiFacade(
            self, "ResearchApi", agent=self.research, staging=self.staging, enable_waf=True
        )
        self.monitoring = AgentMonitoring(
            self, "Monitoring", alarm_name_prefix="serving", agents=[self.assistant, self.research]
        )
