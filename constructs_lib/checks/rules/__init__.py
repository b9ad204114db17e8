"""The rules of the AgentCoreChecks pack: one pure function per module, and their specs in pack order."""

from __future__ import annotations

from constructs_lib.checks._spec import RuleSpec
from constructs_lib.checks.rules import (
    agents_per_provider,
    alarms,
    capacity_provider,
    capacity_provider_encryption,
    endpoint_name,
    endpoint_version,
    endpoints_per_runtime,
    environment,
    express_workflow,
    lifecycle,
    model_access,
    public_api,
    runtime_compute,
    runtime_name,
    unique_names,
)
from constructs_lib.checks.rules.agents_per_provider import agents_within_session_quota
from constructs_lib.checks.rules.alarms import alarms_present
from constructs_lib.checks.rules.capacity_provider import capacity_provider_instances
from constructs_lib.checks.rules.capacity_provider_encryption import capacity_provider_volumes_encrypted
from constructs_lib.checks.rules.endpoint_name import endpoint_name_anchored
from constructs_lib.checks.rules.endpoint_version import endpoint_follows_deployments
from constructs_lib.checks.rules.endpoints_per_runtime import endpoints_within_quota
from constructs_lib.checks.rules.environment import environment_within_limits
from constructs_lib.checks.rules.express_workflow import express_workflow_invokes_agent
from constructs_lib.checks.rules.lifecycle import lifecycle_within_limits
from constructs_lib.checks.rules.model_access import model_access_granted
from constructs_lib.checks.rules.public_api import api_requires_authorization
from constructs_lib.checks.rules.runtime_compute import runtime_fits_capacity_provider
from constructs_lib.checks.rules.runtime_name import runtime_name_anchored
from constructs_lib.checks.rules.unique_names import physical_name_unique

#: Every rule of the pack, in the order it is applied.
ALL_RULES: tuple[RuleSpec, ...] = (
    runtime_name.RULE,
    endpoint_name.RULE,
    lifecycle.RULE,
    environment.RULE,
    endpoints_per_runtime.RULE,
    endpoint_version.RULE,
    model_access.RULE,
    public_api.RULE,
    express_workflow.RULE,
    alarms.RULE,
    runtime_compute.RULE,
    capacity_provider.RULE,
    capacity_provider_encryption.RULE,
    agents_per_provider.RULE,
    unique_names.RULE,
)

__all__ = [
    "ALL_RULES",
    "agents_within_session_quota",
    "alarms_present",
    "api_requires_authorization",
    "capacity_provider_instances",
    "capacity_provider_volumes_encrypted",
    "endpoint_follows_deployments",
    "endpoint_name_anchored",
    "endpoints_within_quota",
    "environment_within_limits",
    "express_workflow_invokes_agent",
    "lifecycle_within_limits",
    "model_access_granted",
    "physical_name_unique",
    "runtime_fits_capacity_provider",
    "runtime_name_anchored",
]
