"""AWS CDK L3 constructs for Amazon Bedrock AgentCore Runtime, with synth-time quota enforcement."""

from constructs_lib.agent import DEFAULT_ENDPOINT, METRIC_NAMESPACE, AgentArtifact, AgentCoreAgent
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.image_repository import AgentImageRepository
from constructs_lib.planning import (
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
from constructs_lib.quotas import (
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

__all__ = [
    "DEFAULT_ENDPOINT",
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
    "RateModel",
    "ResolvedQuota",
    "Severity",
    "WorkloadProfile",
]
