"""The quota catalog: every AgentCore limit the library relies on, as data, in two editions.

This module is the only place where limit numbers live. Constructs, the planner and the cdk-nag pack
ask the catalog; a changed quota is a one-line change here.

Two editions ship: ``2026-03`` (what most architecture material still teaches) and ``2026-09`` (the
currently documented set, the default). Approved quota increases are a fact about an account, so they
come from configuration (the CDK context key ``agentcore:quotaOverrides``), and only adjustable quotas
may be raised that way.

This module imports nothing from the CDK, so the planner that uses it stays plain Python.

See: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/bedrock-agentcore-limits.html
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from constructs_lib.errors import ConstructsLibValidationError

#: CDK context key that pins a quota edition (``"2026-03"`` or ``"2026-09"``).
EDITION_CONTEXT_KEY = "agentcore:quotaEdition"
#: CDK context key holding approved quota increases: ``{quota: value}`` or ``{quota: {region: value}}``.
OVERRIDES_CONTEXT_KEY = "agentcore:quotaOverrides"
#: Key of a per-region override mapping that applies to every region not named explicitly.
ANY_REGION = "*"

#: The service name used in messages for AgentCore's own quotas.
AGENTCORE = "Amazon Bedrock AgentCore"

_MIB = 1024 * 1024
_GIB = 1024 * _MIB
_KIB = 1024


class QuotaEdition(StrEnum):
    """A dated set of published AgentCore quotas."""

    E2026_03 = "2026-03"
    """The set most architecture material still teaches (per-endpoint invoke rates, 32 KB frames)."""
    E2026_09 = "2026-09"
    """The currently documented set (account-wide data-plane pool, 64 KB frames). The default."""

    @classmethod
    def latest(cls) -> QuotaEdition:
        """The newest edition, used when an app does not pin one."""
        return cls.E2026_09

    @classmethod
    def parse(cls, value: str | QuotaEdition) -> QuotaEdition:
        """Parse an edition from its ``YYYY-MM`` name, with an error that lists the known ones."""
        if isinstance(value, QuotaEdition):
            return value
        for edition in cls:
            if edition.value == str(value):
                return edition
        known = ", ".join(e.value for e in cls)
        raise ConstructsLibValidationError(
            "UnknownQuotaEdition",
            f"{EDITION_CONTEXT_KEY} must be one of {known}, got {value!r}",
        )


class QuotaScope(StrEnum):
    """What a quota is counted against."""

    SESSION = "session"
    INVOCATION = "invocation"
    CONNECTION = "connection"
    AGENT = "agent"
    ENDPOINT = "endpoint"
    ACCOUNT = "account"
    ACCOUNT_AND_REGION = "account-and-region"
    RESOURCE = "resource"
    """A property limit of one resource (CloudFormation schema or service validation)."""


class Unit(StrEnum):
    """Unit of a quota value."""

    COUNT = "count"
    BYTES = "bytes"
    SECONDS = "seconds"
    PER_SECOND = "per second"
    PER_MINUTE = "per minute"
    VCPU = "vCPU"
    CHARACTERS = "characters"


class QuotaName(StrEnum):
    """Stable names of the quotas in the catalog; the strings are the keys of the overrides context."""

    SESSION_VCPU = "session_vcpu"
    SESSION_MEMORY = "session_memory"
    SESSION_GPUS = "session_gpus"
    SESSION_STORAGE = "session_storage"
    CONTAINER_IMAGE_SIZE = "container_image_size"
    CODE_PACKAGE_ZIPPED = "code_package_zipped"
    CODE_PACKAGE_UNZIPPED = "code_package_unzipped"
    VERSIONS_PER_AGENT = "versions_per_agent"
    INACTIVE_VERSION_RETENTION = "inactive_version_retention"
    ENDPOINTS_PER_AGENT = "endpoints_per_agent"
    AGENTS_PER_ACCOUNT = "agents_per_account"
    SYNCHRONOUS_REQUEST_TIMEOUT = "synchronous_request_timeout"
    REQUEST_PAYLOAD = "request_payload"
    STREAMING_DURATION = "streaming_duration"
    STREAMING_CHUNK = "streaming_chunk"
    ASYNCHRONOUS_JOB_DURATION = "asynchronous_job_duration"
    WEBSOCKET_FRAME_SIZE = "websocket_frame_size"
    WEBSOCKET_FRAMES_PER_SECOND = "websocket_frames_per_second"
    WEBSOCKET_INVOCATION_RATE = "websocket_invocation_rate"
    INVOKE_RATE = "invoke_rate"
    SESSION_CREATION_RATE_CONTAINER = "session_creation_rate_container"
    SESSION_CREATION_RATE_DIRECT_CODE = "session_creation_rate_direct_code"
    CONTROL_PLANE_MUTATION_RATE = "control_plane_mutation_rate"
    CONTROL_PLANE_GET_RATE = "control_plane_get_rate"
    CONTROL_PLANE_LIST_RATE = "control_plane_list_rate"
    ACTIVE_SESSION_WORKLOADS = "active_session_workloads"
    CAPACITY_PROVIDERS_PER_ACCOUNT = "capacity_providers_per_account"
    INSTANCES_SESSION_LIFETIME = "instances_session_lifetime"
    AGENTS_PER_CAPACITY_PROVIDER_SESSION = "agents_per_capacity_provider_session"
    # Capacity provider property limits (CloudFormation schema of AWS::BedrockAgentCore::CapacityProvider).
    CAPACITY_PROVIDER_INSTANCE_TYPES = "capacity_provider_instance_types"
    CAPACITY_PROVIDER_VOLUMES = "capacity_provider_volumes"
    CAPACITY_PROVIDER_SUBNETS = "capacity_provider_subnets"
    CAPACITY_PROVIDER_SECURITY_GROUPS = "capacity_provider_security_groups"
    CAPACITY_PROVIDER_VOLUME_SIZE_MINIMUM = "capacity_provider_volume_size_minimum"
    CAPACITY_PROVIDER_VOLUME_SIZE_MAXIMUM = "capacity_provider_volume_size_maximum"
    ROOT_VOLUME_FREE_SPACE_MINIMUM = "root_volume_free_space_minimum"
    ROOT_VOLUME_FREE_SPACE_MAXIMUM = "root_volume_free_space_maximum"
    # Resource property limits (CloudFormation schema and service validation), same in every edition.
    LIFECYCLE_TIMEOUT_MINIMUM = "lifecycle_timeout_minimum"
    ENVIRONMENT_VARIABLES = "environment_variables"
    ENVIRONMENT_VARIABLE_VALUE_LENGTH = "environment_variable_value_length"
    ENVIRONMENT_VARIABLE_KEY_LENGTH = "environment_variable_key_length"
    CODE_ENTRY_POINTS = "code_entry_points"
    REQUEST_HEADERS_PER_RUNTIME = "request_headers_per_runtime"
    REQUEST_HEADER_NAME_LENGTH = "request_header_name_length"
    # Names and keys the front doors set or accept (service API models), same in every edition.
    API_GATEWAY_API_NAME_LENGTH = "api_gateway_api_name_length"
    S3_OBJECT_KEY_LENGTH = "s3_object_key_length"
    WAF_METRIC_NAME_LENGTH = "waf_metric_name_length"
    RUNTIME_SUBNETS = "runtime_subnets"
    RUNTIME_SECURITY_GROUPS = "runtime_security_groups"
    RUNTIME_DESCRIPTION_LENGTH = "runtime_description_length"
    CAPACITY_PROVIDER_DESCRIPTION_LENGTH = "capacity_provider_description_length"
    TAGS_PER_RESOURCE = "tags_per_resource"
    TAG_KEY_LENGTH = "tag_key_length"
    TAG_VALUE_LENGTH = "tag_value_length"
    # Limits of the services the library puts around an agent.
    API_GATEWAY_PAYLOAD = "api_gateway_payload"
    API_GATEWAY_INTEGRATION_TIMEOUT = "api_gateway_integration_timeout"
    API_GATEWAY_STREAMING_DURATION = "api_gateway_streaming_duration"
    API_GATEWAY_WEBSOCKET_FRAME_SIZE = "api_gateway_websocket_frame_size"
    API_GATEWAY_WEBSOCKET_MESSAGE_SIZE = "api_gateway_websocket_message_size"
    API_GATEWAY_WEBSOCKET_CONNECTION_DURATION = "api_gateway_websocket_connection_duration"
    API_GATEWAY_WEBSOCKET_IDLE_TIMEOUT = "api_gateway_websocket_idle_timeout"
    S3_PRESIGNED_URL_EXPIRY = "s3_presigned_url_expiry"
    CLOUDWATCH_ALARM_METRICS = "cloudwatch_alarm_metrics"
    SQS_MESSAGE_RETENTION_MAXIMUM = "sqs_message_retention_maximum"
    API_GATEWAY_STREAM_IDLE_TIMEOUT_REGIONAL = "api_gateway_stream_idle_timeout_regional"
    API_GATEWAY_STREAM_IDLE_TIMEOUT_EDGE = "api_gateway_stream_idle_timeout_edge"
    API_GATEWAY_WEBSOCKET_INTEGRATION_TIMEOUT = "api_gateway_websocket_integration_timeout"
    LAMBDA_TIMEOUT = "lambda_timeout"
    LAMBDA_SYNC_REQUEST_PAYLOAD = "lambda_sync_request_payload"
    LAMBDA_SYNC_RESPONSE_PAYLOAD = "lambda_sync_response_payload"
    LAMBDA_ASYNC_PAYLOAD = "lambda_async_payload"
    LAMBDA_DESCRIPTION_LENGTH = "lambda_description_length"
    LAMBDA_FUNCTION_ARN_LENGTH = "lambda_function_arn_length"
    LAMBDA_ASYNC_RETRY_ATTEMPTS = "lambda_async_retry_attempts"
    BEDROCK_TOOL_NAME_LENGTH = "bedrock_tool_name_length"
    STEP_FUNCTIONS_EXPRESS_DURATION = "step_functions_express_duration"
    STEP_FUNCTIONS_STATE_NAME_LENGTH = "step_functions_state_name_length"
    STEP_FUNCTIONS_STATE_MACHINE_NAME_LENGTH = "step_functions_state_machine_name_length"
    STEP_FUNCTIONS_INLINE_MAP_CONCURRENCY = "step_functions_inline_map_concurrency"
    CLOUDWATCH_METRIC_PERIOD = "cloudwatch_metric_period"
    CLOUDWATCH_DASHBOARD_WIDTH = "cloudwatch_dashboard_width"
    CLOUDWATCH_ALARM_NAME_LENGTH = "cloudwatch_alarm_name_length"
    CLOUDWATCH_ALARM_DESCRIPTION_LENGTH = "cloudwatch_alarm_description_length"
    CLOUDFORMATION_RESOURCES_PER_STACK = "cloudformation_resources_per_stack"
    CLOUDFORMATION_TEMPLATE_BODY_S3 = "cloudformation_template_body_s3"
    CLOUDFORMATION_OUTPUTS_PER_STACK = "cloudformation_outputs_per_stack"
    CLOUDFORMATION_PARAMETERS_PER_STACK = "cloudformation_parameters_per_stack"
    CLOUDFORMATION_NESTED_STACK_RESOURCES_PER_OPERATION = "cloudformation_nested_stack_resources_per_operation"
    API_GATEWAY_RESOURCES_PER_API = "api_gateway_resources_per_api"
    LAMBDA_ENVIRONMENT_SIZE = "lambda_environment_size"
    SSM_PARAMETER_VALUE_SIZE = "ssm_parameter_value_size"
    CLOUDWATCH_DASHBOARD_WIDGETS = "cloudwatch_dashboard_widgets"


@dataclass(frozen=True, kw_only=True)
class Quota:
    """One published limit in one edition.

    Attributes:
        name: stable key of the quota.
        label: the quota's name as the quotas page words it, used in messages.
        value: the limit outside the regions listed in ``regional_values``.
        unit: unit of ``value``.
        scope: what the quota is counted against.
        adjustable: whether Service Quotas can raise it; a non-adjustable quota is a hard limit.
        code: the Service Quotas code, when AWS publishes one.
        regional_values: values that differ by region (for example active sessions in us-east-1).
        service: the AWS service that enforces the limit.
        note: caveat about the source, shown in messages (for example "unverified").
    """

    name: QuotaName
    label: str
    value: float
    unit: Unit
    scope: QuotaScope
    adjustable: bool
    code: str | None = None
    regional_values: Mapping[str, float] = field(default_factory=dict)
    service: str = AGENTCORE
    note: str | None = None

    def value_in(self, region: str | None) -> float:
        """The catalog value in ``region``; for an unknown region, the smallest regional value."""
        if region is None:
            return min([self.value, *self.regional_values.values()])
        return self.regional_values.get(region, self.value)

    @property
    def is_regional(self) -> bool:
        """Whether the value depends on the region."""
        return bool(self.regional_values)


class QuotaSource(StrEnum):
    """Where a resolved quota value came from."""

    CATALOG = "catalog"
    OVERRIDE = "approved override"
    REGIONAL_MINIMUM = "smallest regional value"


@dataclass(frozen=True)
class ResolvedQuota:
    """A quota's effective value for one region, with provenance for messages.

    Attributes:
        quota: the catalog entry.
        value: the effective value (catalog, regional minimum, or an approved override).
        source: where ``value`` came from.
        edition: the edition the catalog entry belongs to.
        region: the region resolved for, or ``None`` for an environment-agnostic stack.
    """

    quota: Quota
    value: float
    source: QuotaSource
    edition: QuotaEdition
    region: str | None

    @property
    def adjustable(self) -> bool:
        """Whether the quota can be raised through Service Quotas."""
        return self.quota.adjustable

    @property
    def per_second(self) -> float:
        """The value as a rate per second (rates published per minute are converted)."""
        if self.quota.unit is Unit.PER_MINUTE:
            return self.value / 60.0
        return self.value

    def formatted(self) -> str:
        """The value with its unit, for messages (``100 MiB``, ``15 min``, ``25 TPS``)."""
        return format_value(self.value, self.quota.unit)

    def describe(self) -> str:
        """Name, edition, kind and provenance of the quota, for messages."""
        if self.quota.service == AGENTCORE:
            parts = [f"{AGENTCORE} quota '{self.quota.label}' (edition {self.edition.value}"]
        else:
            parts = [f"{self.quota.service} quota '{self.quota.label}' ("]
        if self.quota.adjustable:
            code = f", Service Quotas code {self.quota.code}" if self.quota.code else ""
            parts.append(f"{self._separator()}adjustable{code}")
        else:
            parts.append(f"{self._separator()}hard limit")
        if self.source is QuotaSource.OVERRIDE:
            parts.append(f", approved override {self.formatted()} in use")
        elif self.source is QuotaSource.REGIONAL_MINIMUM:
            parts.append(", region unknown at synth: planned against the smallest regional value")
        elif self.region and self.quota.is_regional:
            parts.append(f", region {self.region}")
        if self.quota.note:
            parts.append(f"; {self.quota.note}")
        parts.append(")")
        return "".join(parts)

    def _separator(self) -> str:
        return ", " if self.quota.service == AGENTCORE else ""

    def increase_advice(self) -> str:
        """The way out through Service Quotas, or why there is none."""
        if not self.quota.adjustable:
            return "this is a hard limit that cannot be raised"
        code = f" (Service Quotas code {self.quota.code})" if self.quota.code else ""
        return (
            f"request a quota increase{code} and record the approved value in the CDK context key "
            f"{OVERRIDES_CONTEXT_KEY}"
        )


def format_value(value: float, unit: Unit) -> str:
    """Render a quota value with a readable unit."""
    if unit is Unit.BYTES:
        for size, suffix in ((_GIB, "GiB"), (_MIB, "MiB"), (_KIB, "KiB")):
            if value >= size:
                return f"{_number(value / size)} {suffix}"
        return f"{_number(value)} bytes"
    if unit is Unit.SECONDS:
        for size, suffix in ((86400, "days"), (3600, "h"), (60, "min")):
            if value >= size and value % size == 0:
                return f"{_number(value / size)} {suffix}"
        return f"{_number(value)} s"
    if unit is Unit.PER_SECOND:
        return f"{_number(value)} TPS"
    if unit is Unit.PER_MINUTE:
        return f"{_number(value)} per minute"
    if unit is Unit.COUNT:
        return _number(value)
    return f"{_number(value)} {unit.value}"


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------------------------------
# The data. Each edition is a tuple of Quota; 2026-09 is derived from 2026-03 by listing what changed.
# --------------------------------------------------------------------------------------------------

_BIG_REGIONS = ("us-east-1", "us-west-2")
_A, _N = True, False  # adjustable / not adjustable, for readability of the table below


def _q(
    name: QuotaName,
    label: str,
    value: float,
    unit: Unit,
    scope: QuotaScope,
    adjustable: bool,
    code: str | None = None,
    **extra: Any,
) -> Quota:
    return Quota(
        name=name, label=label, value=value, unit=unit, scope=scope, adjustable=adjustable, code=code, **extra
    )


_QN, _U, _S = QuotaName, Unit, QuotaScope

_EDITION_2026_03: tuple[Quota, ...] = (
    _q(_QN.SESSION_VCPU, "hardware per session on microVM compute (vCPU)", 2, _U.VCPU, _S.SESSION, _N),
    _q(_QN.SESSION_MEMORY, "hardware per session on microVM compute (memory)", 8 * _GIB, _U.BYTES, _S.SESSION, _N),
    # microVMs have no GPU (developer guide, "Compare compute types": GPU access not supported).
    _q(_QN.SESSION_GPUS, "GPUs per session on microVM compute", 0, _U.COUNT, _S.SESSION, _N),
    _q(_QN.CONTAINER_IMAGE_SIZE, "container image size", 2 * _GIB, _U.BYTES, _S.AGENT, _N, "L-0A9E32B3"),
    _q(_QN.CODE_PACKAGE_ZIPPED, "direct code package (zipped)", 250 * _MIB, _U.BYTES, _S.AGENT, _N),
    _q(_QN.CODE_PACKAGE_UNZIPPED, "direct code package (unzipped)", 750 * _MIB, _U.BYTES, _S.AGENT, _N),
    _q(_QN.VERSIONS_PER_AGENT, "versions per agent", 1000, _U.COUNT, _S.AGENT, _A, "L-61A3A6D8"),
    _q(_QN.INACTIVE_VERSION_RETENTION, "inactive version auto-deletion", 45 * 86400, _U.SECONDS, _S.AGENT, _N),
    _q(_QN.ENDPOINTS_PER_AGENT, "endpoints per agent", 10, _U.COUNT, _S.AGENT, _A, "L-9B442722"),
    _q(_QN.SYNCHRONOUS_REQUEST_TIMEOUT, "synchronous request timeout", 15 * 60, _U.SECONDS, _S.INVOCATION, _N),
    _q(_QN.REQUEST_PAYLOAD, "request payload", 100 * _MIB, _U.BYTES, _S.INVOCATION, _N),
    _q(_QN.STREAMING_DURATION, "streaming duration", 60 * 60, _U.SECONDS, _S.CONNECTION, _N),
    _q(_QN.STREAMING_CHUNK, "streaming chunk", 10 * _MIB, _U.BYTES, _S.INVOCATION, _N),
    _q(_QN.ASYNCHRONOUS_JOB_DURATION, "asynchronous job duration", 8 * 3600, _U.SECONDS, _S.SESSION, _N),
    _q(_QN.WEBSOCKET_FRAME_SIZE, "WebSocket frame size", 32 * _KIB, _U.BYTES, _S.CONNECTION, _N),
    _q(_QN.WEBSOCKET_FRAMES_PER_SECOND, "WebSocket frames per second", 250, _U.PER_SECOND, _S.CONNECTION, _N),
    _q(_QN.WEBSOCKET_INVOCATION_RATE, "WebSocket invocation rate", 25, _U.PER_SECOND, _S.ENDPOINT, _A),
    _q(_QN.INVOKE_RATE, "InvokeAgentRuntime rate", 25, _U.PER_SECOND, _S.ENDPOINT, _A, "L-46ED137C"),
    _q(
        _QN.SESSION_CREATION_RATE_CONTAINER, "new session creation rate (container)",
        100, _U.PER_MINUTE, _S.ENDPOINT, _A, "L-8EE2AEA2",
    ),
    _q(
        _QN.SESSION_CREATION_RATE_DIRECT_CODE, "new session creation rate (direct code)",
        25, _U.PER_SECOND, _S.ENDPOINT, _A, "L-8EE2AEA2",
    ),
    _q(_QN.CONTROL_PLANE_MUTATION_RATE, "control plane Create/Update/Delete rate", 5, _U.PER_SECOND, _S.ACCOUNT, _A),
    _q(_QN.CONTROL_PLANE_GET_RATE, "control plane Get rate", 50, _U.PER_SECOND, _S.ACCOUNT, _A),
    _q(
        _QN.ACTIVE_SESSION_WORKLOADS, "active session workloads", 500, _U.COUNT, _S.ACCOUNT_AND_REGION, _A,
        "L-3E5722B2", regional_values=dict.fromkeys(_BIG_REGIONS, 1000),
    ),
)

_CHANGED_IN_2026_09: tuple[Quota, ...] = (
    _q(_QN.WEBSOCKET_FRAME_SIZE, "WebSocket frame size", 64 * _KIB, _U.BYTES, _S.CONNECTION, _N),
    _q(
        _QN.INVOKE_RATE, "data plane request rate (shared by all data-plane APIs)",
        1000, _U.PER_SECOND, _S.ACCOUNT_AND_REGION, _A, "L-46ED137C",
    ),
    _q(
        _QN.SESSION_CREATION_RATE_CONTAINER, "new session creation rate (all artifact types)",
        25, _U.PER_SECOND, _S.ACCOUNT_AND_REGION, _A, "L-8EE2AEA2",
    ),
    _q(
        _QN.SESSION_CREATION_RATE_DIRECT_CODE, "new session creation rate (all artifact types)",
        25, _U.PER_SECOND, _S.ACCOUNT_AND_REGION, _A, "L-8EE2AEA2",
    ),
    _q(_QN.CONTROL_PLANE_MUTATION_RATE, "control plane Create/Update/Delete rate", 50, _U.PER_SECOND, _S.ACCOUNT, _N),
    _q(_QN.CONTROL_PLANE_GET_RATE, "control plane Get rate", 150, _U.PER_SECOND, _S.ACCOUNT, _N),
    _q(_QN.CONTROL_PLANE_LIST_RATE, "control plane List rate", 25, _U.PER_SECOND, _S.ACCOUNT, _N),
    _q(
        _QN.ACTIVE_SESSION_WORKLOADS, "active session workloads", 2500, _U.COUNT, _S.ACCOUNT_AND_REGION, _A,
        "L-3E5722B2", regional_values=dict.fromkeys(_BIG_REGIONS, 5000),
    ),
    _q(_QN.AGENTS_PER_ACCOUNT, "agents per account", 1000, _U.COUNT, _S.ACCOUNT_AND_REGION, _A, "L-F4575653"),
    _q(_QN.SESSION_STORAGE, "session storage", 1 * _GIB, _U.BYTES, _S.SESSION, _N),
    _q(_QN.CAPACITY_PROVIDERS_PER_ACCOUNT, "capacity providers per account", 1000, _U.COUNT, _S.ACCOUNT, _N),
    _q(
        _QN.INSTANCES_SESSION_LIFETIME, "session lifetime on Instances compute", 14 * 86400, _U.SECONDS, _S.SESSION,
        _N,
    ),
    _q(
        _QN.AGENTS_PER_CAPACITY_PROVIDER_SESSION, "agents per capacity provider session", 20, _U.COUNT, _S.SESSION,
        _N,
    ),
    # Property limits of AWS::BedrockAgentCore::CapacityProvider (CloudFormation schema, as bundled in cfn-lint 1.58).
    _q(
        _QN.CAPACITY_PROVIDER_INSTANCE_TYPES, "allowed instance types per capacity provider", 30, _U.COUNT,
        _S.RESOURCE, _N,
    ),
    _q(_QN.CAPACITY_PROVIDER_VOLUMES, "persistent volumes per capacity provider", 5, _U.COUNT, _S.RESOURCE, _N),
    _q(_QN.CAPACITY_PROVIDER_SUBNETS, "subnets per capacity provider", 16, _U.COUNT, _S.RESOURCE, _N),
    _q(
        _QN.CAPACITY_PROVIDER_SECURITY_GROUPS, "security groups per capacity provider", 16, _U.COUNT, _S.RESOURCE,
        _N,
    ),
    _q(
        _QN.CAPACITY_PROVIDER_VOLUME_SIZE_MINIMUM, "persistent volume size minimum", 1 * _GIB, _U.BYTES,
        _S.RESOURCE, _N,
    ),
    _q(
        _QN.CAPACITY_PROVIDER_VOLUME_SIZE_MAXIMUM, "persistent volume size maximum", 65536 * _GIB, _U.BYTES,
        _S.RESOURCE, _N,
    ),
    _q(
        _QN.ROOT_VOLUME_FREE_SPACE_MINIMUM, "root volume free space minimum", 2 * _GIB, _U.BYTES, _S.RESOURCE, _N,
    ),
    _q(
        _QN.ROOT_VOLUME_FREE_SPACE_MAXIMUM, "root volume free space maximum", 65000 * _GIB, _U.BYTES, _S.RESOURCE,
        _N,
    ),
)
# The 2026-09 quotas page no longer states the 45-day deletion of inactive versions: nothing may plan on it.
_REMOVED_IN_2026_09 = frozenset({QuotaName.WEBSOCKET_INVOCATION_RATE, QuotaName.INACTIVE_VERSION_RETENTION})

# Resource property limits and the limits of the services around an agent: the same in both editions.
_COMMON: tuple[Quota, ...] = (
    _q(_QN.LIFECYCLE_TIMEOUT_MINIMUM, "lifecycle timeout minimum", 60, _U.SECONDS, _S.RESOURCE, _N),
    _q(_QN.ENVIRONMENT_VARIABLES, "environment variables per runtime", 50, _U.COUNT, _S.RESOURCE, _N),
    _q(
        _QN.ENVIRONMENT_VARIABLE_VALUE_LENGTH, "environment variable value length",
        2048, _U.CHARACTERS, _S.RESOURCE, _N,
    ),
    _q(_QN.CODE_ENTRY_POINTS, "direct code entry points", 2, _U.COUNT, _S.RESOURCE, _N),
    # Request headers a runtime forwards: the developer guide ("Pass custom headers to Amazon Bedrock AgentCore
    # Runtime", fetched 2026-09-26) and the CloudFormation schema (RequestHeaderAllowlist maxItems, HeaderName
    # maxLength, as bundled in cfn-lint 1.58).
    _q(_QN.REQUEST_HEADERS_PER_RUNTIME, "request headers forwarded per runtime", 20, _U.COUNT, _S.RESOURCE, _N),
    _q(_QN.REQUEST_HEADER_NAME_LENGTH, "request header name", 256, _U.CHARACTERS, _S.RESOURCE, _N),
    _q(
        _QN.API_GATEWAY_API_NAME_LENGTH, "API name", 128, _U.CHARACTERS, _S.RESOURCE, _N,
        service="Amazon API Gateway",
        note="source: botocore's apigatewayv2 model (CreateApi Name, 1 to 128); the REST API model sets no bound, "
        "so the library keeps REST API names within the same length",
    ),
    _q(
        _QN.S3_OBJECT_KEY_LENGTH, "object key name", 1024, _U.BYTES, _S.RESOURCE, _N, service="Amazon S3",
        note="source: Amazon S3 user guide, 'Naming Amazon S3 objects': up to 1,024 bytes of UTF-8",
    ),
    _q(
        _QN.WAF_METRIC_NAME_LENGTH, "web ACL metric name (VisibilityConfig MetricName)", 128, _U.CHARACTERS,
        _S.RESOURCE, _N, service="AWS WAF",
        note="source: AWS WAF API reference, VisibilityConfig: 'The name can be up to 128 characters long' (the API "
        "model accepts 255)",
    ),
    # A VPC runtime's network configuration (CloudFormation schema of AWS::BedrockAgentCore::Runtime, VpcConfig
    # Subnets and SecurityGroups maxItems, as bundled in cfn-lint 1.58; botocore's model says the same).
    _q(_QN.RUNTIME_SUBNETS, "subnets per VPC runtime", 16, _U.COUNT, _S.RESOURCE, _N),
    _q(_QN.RUNTIME_SECURITY_GROUPS, "security groups per VPC runtime", 16, _U.COUNT, _S.RESOURCE, _N),
    _q(_QN.ENVIRONMENT_VARIABLE_KEY_LENGTH, "environment variable name length", 100, _U.CHARACTERS, _S.RESOURCE, _N),
    # The API takes 4,096 characters; the stable L2 (aws-cdk-lib 2.275 Runtime) refuses more than 1,200.
    _q(
        _QN.RUNTIME_DESCRIPTION_LENGTH, "runtime description length", 1200, _U.CHARACTERS, _S.RESOURCE, _N,
        note="the aws-cdk-lib Runtime's limit; the API takes 4,096",
    ),
    _q(
        _QN.CAPACITY_PROVIDER_DESCRIPTION_LENGTH, "capacity provider description length", 4096, _U.CHARACTERS,
        _S.RESOURCE, _N,
    ),
    _q(_QN.TAGS_PER_RESOURCE, "tags per resource", 50, _U.COUNT, _S.RESOURCE, _N),
    _q(_QN.TAG_KEY_LENGTH, "tag key length", 128, _U.CHARACTERS, _S.RESOURCE, _N),
    _q(_QN.TAG_VALUE_LENGTH, "tag value length", 256, _U.CHARACTERS, _S.RESOURCE, _N),
    _q(
        _QN.API_GATEWAY_PAYLOAD, "payload size", 10 * _MIB, _U.BYTES, _S.INVOCATION, _N,
        service="Amazon API Gateway",
    ),
    _q(
        _QN.API_GATEWAY_INTEGRATION_TIMEOUT, "REST API integration timeout", 29, _U.SECONDS, _S.INVOCATION, _A,
        "L-E5AE38E3", service="Amazon API Gateway",
    ),
    _q(
        _QN.API_GATEWAY_STREAMING_DURATION, "REST response streaming duration", 15 * 60, _U.SECONDS,
        _S.INVOCATION, _N, service="Amazon API Gateway",
    ),
    _q(
        _QN.API_GATEWAY_WEBSOCKET_FRAME_SIZE, "WebSocket frame size", 32 * _KIB, _U.BYTES, _S.CONNECTION, _N,
        service="Amazon API Gateway",
    ),
    _q(
        _QN.API_GATEWAY_WEBSOCKET_MESSAGE_SIZE, "WebSocket message payload size", 128 * _KIB, _U.BYTES,
        _S.CONNECTION, _N, service="Amazon API Gateway",
    ),
    _q(
        _QN.API_GATEWAY_WEBSOCKET_CONNECTION_DURATION, "WebSocket connection duration", 2 * 3600, _U.SECONDS,
        _S.CONNECTION, _N, service="Amazon API Gateway",
    ),
    _q(
        _QN.API_GATEWAY_WEBSOCKET_IDLE_TIMEOUT, "WebSocket idle connection timeout", 10 * 60, _U.SECONDS,
        _S.CONNECTION, _N, service="Amazon API Gateway",
    ),
    _q(
        _QN.API_GATEWAY_STREAM_IDLE_TIMEOUT_REGIONAL,
        "REST response streaming idle timeout (Regional and private endpoints)", 5 * 60, _U.SECONDS, _S.CONNECTION,
        _N, service="Amazon API Gateway",
        note="source: API Gateway developer guide, 'Stream the integration response for your proxy integrations'",
    ),
    _q(
        _QN.API_GATEWAY_STREAM_IDLE_TIMEOUT_EDGE, "REST response streaming idle timeout (edge-optimized endpoints)",
        30, _U.SECONDS, _S.CONNECTION, _N, service="Amazon API Gateway",
        note="source: API Gateway developer guide, 'Stream the integration response for your proxy integrations'",
    ),
    _q(
        _QN.API_GATEWAY_WEBSOCKET_INTEGRATION_TIMEOUT, "WebSocket integration timeout", 29, _U.SECONDS,
        _S.INVOCATION, _N, service="Amazon API Gateway",
        note="source: API Gateway quotas, 'Integration timeout' of WebSocket APIs",
    ),
    _q(
        _QN.S3_PRESIGNED_URL_EXPIRY, "pre-signed URL validity (SigV4)", 7 * 86400, _U.SECONDS, _S.INVOCATION, _N,
        service="Amazon S3",
    ),
    _q(
        _QN.CLOUDWATCH_ALARM_METRICS, "metrics in one metric-math alarm", 10, _U.COUNT, _S.RESOURCE, _N,
        service="Amazon CloudWatch",
    ),
    _q(
        _QN.SQS_MESSAGE_RETENTION_MAXIMUM, "message retention period", 14 * 86400, _U.SECONDS, _S.RESOURCE, _N,
        service="Amazon SQS",
    ),
    _q(
        _QN.CLOUDWATCH_METRIC_PERIOD, "standard-resolution metric period", 60, _U.SECONDS, _S.RESOURCE, _N,
        service="Amazon CloudWatch",
    ),
    _q(
        _QN.CLOUDWATCH_DASHBOARD_WIDTH, "dashboard grid width", 24, _U.COUNT, _S.RESOURCE, _N,
        service="Amazon CloudWatch",
    ),
    _q(
        _QN.CLOUDWATCH_ALARM_NAME_LENGTH, "alarm name (AlarmName)", 255, _U.CHARACTERS, _S.RESOURCE, _N,
        service="Amazon CloudWatch",
    ),
    _q(_QN.LAMBDA_TIMEOUT, "function timeout", 15 * 60, _U.SECONDS, _S.INVOCATION, _N, service="AWS Lambda"),
    _q(
        _QN.LAMBDA_SYNC_REQUEST_PAYLOAD, "invocation payload, synchronous (request)", 6 * _MIB, _U.BYTES,
        _S.INVOCATION, _N, service="AWS Lambda",
        note="source: Lambda quotas, 'Invocation payload (request and response)': 6 MB each for synchronous "
        "invocations; a body API Gateway passes base64-encoded is a third larger than its bytes",
    ),
    _q(
        _QN.LAMBDA_SYNC_RESPONSE_PAYLOAD, "invocation payload, synchronous (response)", 6 * _MIB, _U.BYTES,
        _S.INVOCATION, _N, service="AWS Lambda",
        note="source: Lambda quotas, 'Invocation payload (request and response)': 6 MB each for synchronous "
        "invocations; a binary answer is base64-encoded in an API Gateway proxy response",
    ),
    _q(
        _QN.LAMBDA_ASYNC_PAYLOAD, "invocation payload, asynchronous", 1 * _MIB, _U.BYTES, _S.INVOCATION, _N,
        service="AWS Lambda", note="source: Lambda API reference, Invoke: 1 MB for asynchronous invocations",
    ),
    _q(
        _QN.LAMBDA_DESCRIPTION_LENGTH, "function description", 256, _U.CHARACTERS, _S.RESOURCE, _N,
        service="AWS Lambda",
    ),
    _q(
        _QN.LAMBDA_FUNCTION_ARN_LENGTH, "function name or ARN (FunctionName)", 140, _U.CHARACTERS, _S.RESOURCE, _N,
        service="AWS Lambda",
    ),
    _q(
        _QN.LAMBDA_ASYNC_RETRY_ATTEMPTS, "asynchronous invocation retry attempts", 2, _U.COUNT, _S.RESOURCE, _N,
        service="AWS Lambda",
    ),
    _q(
        _QN.BEDROCK_TOOL_NAME_LENGTH, "Converse tool name (toolSpec.name)", 64, _U.CHARACTERS, _S.RESOURCE, _N,
        service="Amazon Bedrock",
    ),
    _q(
        _QN.STEP_FUNCTIONS_EXPRESS_DURATION, "Express workflow duration", 5 * 60, _U.SECONDS, _S.SESSION, _N,
        service="AWS Step Functions",
    ),
    _q(
        _QN.STEP_FUNCTIONS_STATE_NAME_LENGTH, "state name", 80, _U.CHARACTERS, _S.RESOURCE, _N,
        service="AWS Step Functions",
    ),
    _q(
        _QN.STEP_FUNCTIONS_STATE_MACHINE_NAME_LENGTH, "state machine name", 80, _U.CHARACTERS, _S.RESOURCE, _N,
        service="AWS Step Functions",
    ),
    _q(
        _QN.STEP_FUNCTIONS_INLINE_MAP_CONCURRENCY, "Inline Map concurrent iterations", 40, _U.COUNT, _S.RESOURCE,
        _N, service="AWS Step Functions",
    ),
    _q(
        _QN.CLOUDFORMATION_RESOURCES_PER_STACK, "resources per stack", 500, _U.COUNT, _S.RESOURCE, _N,
        service="AWS CloudFormation",
    ),
    _q(
        _QN.CLOUDFORMATION_TEMPLATE_BODY_S3, "template body size in an Amazon S3 object", 1_000_000, _U.BYTES,
        _S.RESOURCE, _N, service="AWS CloudFormation",
        note="source: CloudFormation quotas, 'Template body size in an Amazon S3 object': 1 MB, read as 1,000,000 "
        "bytes (the CDK CLI uploads every template above the 51,200-byte request limit to S3)",
    ),
    _q(
        _QN.CLOUDFORMATION_OUTPUTS_PER_STACK, "outputs per template", 200, _U.COUNT, _S.RESOURCE, _N,
        service="AWS CloudFormation", note="source: CloudFormation quotas, 'Outputs'",
    ),
    _q(
        _QN.CLOUDFORMATION_PARAMETERS_PER_STACK, "parameters per template", 200, _U.COUNT, _S.RESOURCE, _N,
        service="AWS CloudFormation", note="source: CloudFormation quotas, 'Parameters'",
    ),
    _q(
        _QN.CLOUDFORMATION_NESTED_STACK_RESOURCES_PER_OPERATION,
        "resources a nested stack can create, update, or delete per operation", 2500, _U.COUNT, _S.RESOURCE, _N,
        service="AWS CloudFormation", note="source: CloudFormation quotas, 'Nested stacks'",
    ),
    _q(
        _QN.API_GATEWAY_RESOURCES_PER_API, "resources per REST API", 300, _U.COUNT, _S.RESOURCE, _A,
        service="Amazon API Gateway", note="source: API Gateway quotas, 'Resources per API' (REST APIs)",
    ),
    _q(
        _QN.LAMBDA_ENVIRONMENT_SIZE, "environment variables (total size)", 4 * _KIB, _U.BYTES, _S.RESOURCE, _N,
        service="AWS Lambda", note="source: Lambda quotas, 'Environment variables': 4 KB, all variables together",
    ),
    _q(
        _QN.SSM_PARAMETER_VALUE_SIZE, "parameter value size (Standard tier)", 4 * _KIB, _U.BYTES, _S.RESOURCE, _N,
        service="AWS Systems Manager", note="source: Systems Manager quotas, 'Parameter value size': 4 KB (standard)",
    ),
    _q(
        _QN.CLOUDWATCH_ALARM_DESCRIPTION_LENGTH, "alarm description length", 1024, _U.COUNT, _S.RESOURCE, _N,
        service="Amazon CloudWatch", note="source: CloudWatch API reference, PutMetricAlarm 'AlarmDescription'",
    ),
    _q(
        _QN.CLOUDWATCH_DASHBOARD_WIDGETS, "widgets per dashboard", 500, _U.COUNT, _S.RESOURCE, _N,
        service="Amazon CloudWatch", note="source: CloudWatch API reference, 'Dashboard Body Structure and Syntax'",
    ),
)


def _edition_data(edition: QuotaEdition) -> dict[QuotaName, Quota]:
    data = {q.name: q for q in (*_EDITION_2026_03, *_COMMON)}
    if edition is QuotaEdition.E2026_09:
        for name in _REMOVED_IN_2026_09:
            data.pop(name)
        data.update({q.name: q for q in _CHANGED_IN_2026_09})
    return data


@dataclass(frozen=True)
class ServiceDefaults:
    """Values AgentCore uses when a runtime or capacity provider does not set them (seconds)."""

    idle_runtime_session_timeout_seconds: int = 900
    max_lifetime_seconds: int = 8 * 3600
    #: A capacity provider's instance ``MaxLifetime`` when unset (CloudFormation schema of the capacity provider).
    instance_max_lifetime_seconds: int = 8 * 3600


#: The service's defaults for runtime lifecycle, the same in both editions.
SERVICE_DEFAULTS = ServiceDefaults()


# --------------------------------------------------------------------------------------------------
# The catalog
# --------------------------------------------------------------------------------------------------

OverrideValue = float | Mapping[str, float]


class QuotaCatalog:
    """The quotas of one edition, with the approved increases of one account applied.

    Args:
        edition: which published set to use. Default: the newest edition.
        overrides: approved quota increases, ``{quota name: value}`` or
            ``{quota name: {region or "*": value}}``. Only adjustable quotas may be overridden.

    Raises:
        ConstructsLibValidationError: for an unknown quota name, a non-adjustable quota, or a value
            that is not a positive number (all problems are listed at once).
    """

    def __init__(
        self,
        edition: QuotaEdition | str | None = None,
        overrides: Mapping[str, OverrideValue] | None = None,
    ) -> None:
        self.edition = QuotaEdition.parse(edition) if edition is not None else QuotaEdition.latest()
        self._quotas = _edition_data(self.edition)
        self._overrides = self._validated_overrides(overrides or {})

    @classmethod
    def from_context(cls, get_context: Any) -> QuotaCatalog:
        """Build a catalog from a context lookup function (``node.try_get_context``)."""
        return cls(get_context(EDITION_CONTEXT_KEY), get_context(OVERRIDES_CONTEXT_KEY))

    def quotas(self) -> list[Quota]:
        """Every quota of this edition, in catalog order."""
        return list(self._quotas.values())

    def has(self, name: QuotaName) -> bool:
        """Whether this edition publishes ``name``."""
        return name in self._quotas

    def get(self, name: QuotaName) -> Quota:
        """The catalog entry for ``name`` (without overrides or region)."""
        try:
            return self._quotas[name]
        except KeyError:
            raise ConstructsLibValidationError(
                "QuotaNotInEdition", f"quota {name.value!r} is not published in edition {self.edition.value}"
            ) from None

    @property
    def overrides(self) -> Mapping[QuotaName, Mapping[str, float]]:
        """The approved increases, normalized to ``{quota: {region or "*": value}}``."""
        return self._overrides

    def resolve(self, name: QuotaName, region: str | None = None) -> ResolvedQuota:
        """The effective value of ``name`` in ``region``.

        Args:
            name: the quota.
            region: the stack's region, or ``None`` when it is unknown at synth (environment-agnostic
                stack). An unknown region resolves to the smallest value any region could have.
        """
        quota = self.get(name)
        per_region = self._overrides.get(name, {})
        if region is not None:
            override = per_region.get(region, per_region.get(ANY_REGION))
            if override is not None:
                return ResolvedQuota(quota, override, QuotaSource.OVERRIDE, self.edition, region)
            return ResolvedQuota(quota, quota.value_in(region), QuotaSource.CATALOG, self.edition, region)
        candidates = self._unknown_region_candidates(quota, per_region)
        value, source = min(candidates, key=lambda c: c[0])
        if source is QuotaSource.CATALOG and quota.is_regional:
            source = QuotaSource.REGIONAL_MINIMUM
        return ResolvedQuota(quota, value, source, self.edition, None)

    def value(self, name: QuotaName, region: str | None = None) -> float:
        """Shorthand for ``resolve(name, region).value``."""
        return self.resolve(name, region).value

    @staticmethod
    def _unknown_region_candidates(
        quota: Quota, per_region: Mapping[str, float]
    ) -> list[tuple[float, QuotaSource]]:
        wildcard = per_region.get(ANY_REGION)
        if wildcard is not None:
            # An override for every region replaces the catalog values everywhere, except where a
            # region-specific override says otherwise.
            return [(wildcard, QuotaSource.OVERRIDE), *((v, QuotaSource.OVERRIDE) for v in per_region.values())]
        regions = set(quota.regional_values) | set(per_region)
        candidates = [(quota.value, QuotaSource.CATALOG)] if not per_region else []
        for region in regions:
            if region in per_region:
                candidates.append((per_region[region], QuotaSource.OVERRIDE))
            else:
                candidates.append((quota.value_in(region), QuotaSource.CATALOG))
        if per_region:
            # Regions not named in the overrides keep the catalog default.
            candidates.append((quota.value, QuotaSource.CATALOG))
        return candidates

    def _validated_overrides(self, raw: Mapping[str, OverrideValue]) -> dict[QuotaName, dict[str, float]]:
        if not isinstance(raw, Mapping):
            raise ConstructsLibValidationError(
                "InvalidQuotaOverride",
                f"{OVERRIDES_CONTEXT_KEY} must be a mapping of quota name to value, got {type(raw).__name__}",
            )
        problems: list[str] = []
        result: dict[QuotaName, dict[str, float]] = {}
        known = {q.value: q for q in QuotaName}
        for key, value in raw.items():
            name = known.get(str(key))
            if name is None or name not in self._quotas:
                problems.append(
                    f"{key!r} is not a quota of edition {self.edition.value} "
                    f"(known: {', '.join(sorted(q.value for q in self._quotas))})"
                )
                continue
            quota = self._quotas[name]
            if not quota.adjustable:
                problems.append(
                    f"{key!r} ('{quota.label}') is a hard limit of {quota.service} and cannot be raised; "
                    "remove it from the overrides"
                )
                continue
            per_region = value if isinstance(value, Mapping) else {ANY_REGION: value}
            normalized: dict[str, float] = {}
            for region, number in per_region.items():
                if isinstance(number, bool) or not isinstance(number, int | float) or not number > 0:
                    problems.append(f"{key!r} for region {region!r} must be a positive number, got {number!r}")
                elif not math.isfinite(number):
                    problems.append(f"{key!r} for region {region!r} must be finite, got {number!r}")
                else:
                    normalized[str(region)] = float(number)
            result[name] = normalized
        if problems:
            code = "NonAdjustableQuota" if all("cannot be raised" in p for p in problems) else "InvalidQuotaOverride"
            raise ConstructsLibValidationError(code, f"{OVERRIDES_CONTEXT_KEY}: " + "; ".join(problems))
        return result

    def with_overrides(self, overrides: Mapping[str, OverrideValue]) -> QuotaCatalog:
        """A copy of this catalog with ``overrides`` merged over the current ones."""
        merged: dict[str, OverrideValue] = {k.value: dict(v) for k, v in self._overrides.items()}
        merged.update(overrides)
        return QuotaCatalog(self.edition, merged)


def quota_table(catalog: QuotaCatalog, region: str | None = None) -> list[dict[str, str]]:
    """Rows describing every quota of ``catalog`` (for the README's limits table and the report)."""
    rows = []
    for quota in catalog.quotas():
        resolved = catalog.resolve(quota.name, region)
        rows.append(
            {
                "quota": quota.name.value,
                "label": quota.label,
                "service": quota.service,
                "value": resolved.formatted(),
                "scope": quota.scope.value,
                "adjustable": "yes" if quota.adjustable else "no",
                "code": quota.code or "-",
            }
        )
    return rows


__all__ = [
    "ANY_REGION",
    "EDITION_CONTEXT_KEY",
    "OVERRIDES_CONTEXT_KEY",
    "SERVICE_DEFAULTS",
    "Quota",
    "QuotaCatalog",
    "QuotaEdition",
    "QuotaName",
    "QuotaScope",
    "QuotaSource",
    "ResolvedQuota",
    "ServiceDefaults",
    "Unit",
    "format_value",
    "quota_table",
]
