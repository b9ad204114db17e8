"""AgentCore service facts that are not quotas: names, the session id rule, metric and endpoint names.

The CloudFormation schema and botocore's model state these rules loosely (unanchored patterns, a session id of up to
256 characters that AgentCore echoes only up to 100); the library states them once, here, as the service enforces them.
"""

from __future__ import annotations

import re

#: CloudWatch namespace of AgentCore Runtime metrics.
METRIC_NAMESPACE = "AWS/Bedrock-AgentCore"
#: The endpoint every runtime has; it follows the latest version.
DEFAULT_ENDPOINT = "DEFAULT"

#: The longest runtime or endpoint name the service accepts.
NAME_MAX_LENGTH = 48
#: Runtime and endpoint names as the service accepts them. The CloudFormation schema carries the same pattern without
#: anchors, so neither cfn-lint nor CDK's template validation rejects ``my-agent``.
NAME_PATTERN = re.compile(rf"^[a-zA-Z][a-zA-Z0-9_]{{0,{NAME_MAX_LENGTH - 1}}}$")
#: Capacity provider ARNs as the service issues them: the name, a hyphen and a 10-character id.
CAPACITY_PROVIDER_ARN_PATTERN = re.compile(
    r"^arn:aws(-[^:]+)?:bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:capacity-provider/"
    rf"[a-zA-Z][a-zA-Z0-9_]{{0,{NAME_MAX_LENGTH - 1}}}-[a-zA-Z0-9]{{10}}$"
)
#: Names of capacity provider volumes (persistent EBS volumes a runtime mounts); hyphens are allowed here.
VOLUME_NAME_PATTERN = re.compile(rf"^[a-zA-Z][a-zA-Z0-9_-]{{0,{NAME_MAX_LENGTH - 1}}}$")
#: The longest filesystem mount path of a runtime.
MOUNT_PATH_MAX_LENGTH = 200
#: Filesystem mount paths of a runtime: one directory under ``/mnt``.
MOUNT_PATH_PATTERN = re.compile(r"^/mnt/[a-zA-Z0-9._-]+/?$")
#: Keys of runtime environment variables.
ENVIRONMENT_KEY_PATTERN = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

#: Header carrying the runtime session id (requests and responses of InvokeAgentRuntime).
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
#: The shortest runtime session id InvokeAgentRuntime accepts.
SESSION_ID_MIN_LENGTH = 33
#: The longest runtime session id the library uses: AgentCore accepts 256 characters but echoes at most 100.
SESSION_ID_MAX_LENGTH = 100
#: Runtime session ids the library accepts and generates (whole string): the first character alphanumeric.
SESSION_ID_PATTERN = re.compile(
    rf"^[A-Za-z0-9][A-Za-z0-9_-]{{{SESSION_ID_MIN_LENGTH - 1},{SESSION_ID_MAX_LENGTH - 1}}}$"
)

__all__ = [
    "CAPACITY_PROVIDER_ARN_PATTERN",
    "DEFAULT_ENDPOINT",
    "ENVIRONMENT_KEY_PATTERN",
    "METRIC_NAMESPACE",
    "MOUNT_PATH_MAX_LENGTH",
    "MOUNT_PATH_PATTERN",
    "NAME_MAX_LENGTH",
    "NAME_PATTERN",
    "SESSION_HEADER",
    "SESSION_ID_MAX_LENGTH",
    "SESSION_ID_MIN_LENGTH",
    "SESSION_ID_PATTERN",
    "VOLUME_NAME_PATTERN",
]
