"""AWS CDK L3 constructs for Amazon Bedrock AgentCore Runtime, with synth-time quota enforcement."""

from constructs_lib.agent.agent import DEFAULT_ENDPOINT, METRIC_NAMESPACE, AgentArtifact, AgentCoreAgent
from constructs_lib.agent.image_repository import AgentImageRepository
from constructs_lib.checks import AgentCoreChecks
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.catalog import (
    EDITION_CONTEXT_KEY,
    OVERRIDES_CONTEXT_KEY,
    Quota,
    QuotaCatalog,
    QuotaEdition,
    QuotaName,
    QuotaScope,
    QuotaSource,
    ResolvedQuota,
)
from constructs_lib.operations.monitoring import AgentMonitoring, metric_active_session_count
from constructs_lib.operations.version_archive import AgentVersionArchive, is_audit_required, mark_audit_required
from constructs_lib.orchestration.pipeline import (
    ERROR_PATH,
    FAILED_STEP_PATH,
    RETRYABLE_AGENT_ERRORS,
    AgentMap,
    AgentParallel,
    AgentPipeline,
    AgentSequence,
    AgentStep,
    PipelineStep,
    StepIntegration,
    StepPayload,
)
from constructs_lib.orchestration.tools import TOOLS_ENVIRONMENT_KEY, AgentTool
from constructs_lib.planning.account import AccountCapacity, RegionalCapacityReport, plan_account, plan_regions
from constructs_lib.planning.agent_plan import (
    ArtifactFacts,
    ArtifactKind,
    CapacityPlan,
    Finding,
    InvocationMode,
    LifecycleRequest,
    RateModel,
    Severity,
    WorkloadProfile,
)
from constructs_lib.platform import AgentPlacement, AgentPlatform, AgentSpec, PlatformAgent, ToolSpec
from constructs_lib.serving.api_facade import DEFAULT_REQUEST_SCHEMA, AgentApiFacade, FacadeAuth
from constructs_lib.serving.jobs import AGENT_ENV_TABLE_NAME, AgentJobs
from constructs_lib.serving.payload_staging import PayloadStaging
from constructs_lib.serving.session_store import SESSION_TABLE_ENV, AgentSessionStore
from constructs_lib.serving.websocket_facade import AgentWebSocketFacade, WebSocketAuthorization

__all__ = [
    "AGENT_ENV_TABLE_NAME",
    "DEFAULT_ENDPOINT",
    "DEFAULT_REQUEST_SCHEMA",
    "ERROR_PATH",
    "FAILED_STEP_PATH",
    "RETRYABLE_AGENT_ERRORS",
    "SESSION_TABLE_ENV",
    "TOOLS_ENVIRONMENT_KEY",
    "AccountCapacity",
    "AgentApiFacade",
    "AgentCoreChecks",
    "AgentJobs",
    "AgentMap",
    "AgentMonitoring",
    "AgentPlacement",
    "AgentPlatform",
    "AgentSpec",
    "AgentVersionArchive",
    "PlatformAgent",
    "ToolSpec",
    "AgentParallel",
    "AgentPipeline",
    "AgentSequence",
    "AgentSessionStore",
    "AgentStep",
    "AgentTool",
    "AgentWebSocketFacade",
    "FacadeAuth",
    "PayloadStaging",
    "PipelineStep",
    "StepIntegration",
    "StepPayload",
    "WebSocketAuthorization",
    "EDITION_CONTEXT_KEY",
    "METRIC_NAMESPACE",
    "OVERRIDES_CONTEXT_KEY",
    "AgentArtifact",
    "AgentCoreAgent",
    "AgentImageRepository",
    "ArtifactFacts",
    "ArtifactKind",
    "CapacityPlan",
    "ConstructsLibValidationError",
    "Finding",
    "InvocationMode",
    "LifecycleRequest",
    "Quota",
    "QuotaCatalog",
    "QuotaEdition",
    "QuotaName",
    "QuotaScope",
    "QuotaSource",
    "RegionalCapacityReport",
    "RateModel",
    "ResolvedQuota",
    "Severity",
    "WorkloadProfile",
    "is_audit_required",
    "mark_audit_required",
    "metric_active_session_count",
    "plan_account",
    "plan_regions",
]
