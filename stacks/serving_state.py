"""Reference stack "serving state": one agent behind a WebSocket API, with payload staging and a session store."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.agent.artifact import AgentArtifact
from constructs_lib.operations.monitoring import AgentMonitoring
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.serving.payload_staging import PayloadStaging
from constructs_lib.serving.session_store import AgentSessionStore
from constructs_lib.serving.websocket_facade import AgentWebSocketFacade

AGENTS_DIR = Path(__file__).parent / "agents"


class ServingStateStack(cdk.Stack):
    """One chat agent that keeps conversation state, accepts large inputs through S3, and talks over WebSocket.

    - ``agent``: a direct-code agent planned for 10-minute tasks, 16 KiB frames and 50 MiB inputs;
    - ``staging``: :class:`PayloadStaging`; the WebSocket proxy hands out upload URLs, the agent reads
      ``inputs/chat_agent/`` and writes ``outputs/chat_agent/`` (granted by the facade);
    - ``sessions``: :class:`AgentSessionStore`, its table name in the agent's ``AGENT_SESSION_TABLE``;
    - ``websocket``: :class:`AgentWebSocketFacade` with IAM authorization on ``$connect``.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.agent = AgentCoreAgent(
            self,
            "Chat",
            runtime_name="chat_agent",
            artifact=AgentArtifact.from_code(AGENTS_DIR / "research"),
            workload=WorkloadProfile(
                longest_task=cdk.Duration.minutes(10),
                peak_requests_per_second=20,
                peak_concurrent_sessions=200,
                max_payload=cdk.Size.mebibytes(50),
                websocket_frame_size=cdk.Size.kibibytes(16),
                websocket_frames_per_second=10,
            ),
            endpoints=["prod"],
            models=["anthropic.claude-sonnet-4-20250514-v1:0"],
            description="Chat agent with conversation state (direct code, WebSocket)",
        )
        self.staging = PayloadStaging(self, "Staging")
        self.sessions = AgentSessionStore(self, "Sessions")
        self.sessions.bind(self.agent)
        self.websocket = AgentWebSocketFacade(self, "WebSocket", agent=self.agent, staging=self.staging)
        cdk.CfnOutput(self, "WebSocketUrl", value=self.websocket.url)
        cdk.CfnOutput(self, "StagingBucket", value=self.staging.bucket.bucket_name)
        self.monitoring = AgentMonitoring(self, "Monitoring", alarm_name_prefix="serving-state", agents=[self.agent])
