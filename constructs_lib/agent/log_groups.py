"""RuntimeLogGroups: the log groups AgentCore writes a runtime's logs to, owned by the template.

AgentCore writes each endpoint's application logs (standard output and error, OTEL structured logs, and for runtimes
created since 2026-07-20 the spans) to ``/aws/bedrock-agentcore/runtimes/<runtimeId>-<endpoint>``, and creates that
log group on the endpoint's first invocation unless it exists, with no retention ("never expire"), no customer managed
key and no tags. Declared in the template under the same name, the group exists before the service looks for it, so
it carries a retention, an optional KMS key and tags from the start, and is retained when the stack or runtime goes.

Ordering: a group's name holds the runtime id (``Fn::Join`` of ``GetAtt AgentRuntimeId``), so CloudFormation creates
it right after the runtime, before anyone can invoke the new runtime's ``DEFAULT`` endpoint in practice; a named
endpoint depends on its group, so its group exists before the endpoint does.

Not owned here: ``aws/spans``, the log group CloudWatch Transaction Search writes spans to. It is one group per account
and region, shared by every traced application there and created by enabling Transaction Search (an account setting,
``xray:UpdateTraceSegmentDestination``), so no agent's stack can own it; runtimes created since 2026-07-20 deliver
their spans to their own groups above instead.

See: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/observability-get-started.html
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib._cdk import perms
from constructs_lib._cdk.reporting import report_warning
from constructs_lib.limits.service import RUNTIME_LOG_GROUP_PREFIX

#: Retention of a runtime's log groups unless the user chooses another: one year, the minimum AWS Security Hub's
#: control CloudWatch.16 expects by default, long enough to investigate what an agent did.
DEFAULT_RUNTIME_LOG_RETENTION = logs.RetentionDays.ONE_YEAR


def runtime_log_group_name(runtime_id: str, endpoint: str) -> str:
    """The name of the log group AgentCore writes ``endpoint``'s logs to (a token while the runtime id is one)."""
    return f"{RUNTIME_LOG_GROUP_PREFIX}{runtime_id}-{endpoint}"


class RuntimeLogGroups(Construct):
    """Defines one log group per endpoint of a runtime, under the names AgentCore writes to.

    Each group (child id: the endpoint name) has the retention, the key and the tags given, and
    ``RemovalPolicy.RETAIN``: logs are the record of what an agent did and outlive its runtime.

    With ``encryption_key``, the key's policy allows CloudWatch Logs (``logs.<region>.amazonaws.com``) to use the key
    for this runtime's log groups only (``kms:EncryptionContext:aws:logs:arn`` of
    ``/aws/bedrock-agentcore/runtimes/<runtime name>-*``), as AWS documents for log group encryption; the condition
    names the runtime by name rather than by its id, so the key does not depend on the runtime. A key imported into
    the app cannot have its policy changed by the stack: an acknowledgeable warning
    ``constructs_lib:LogKeyPolicyNotUpdated`` then says what to add to it.

    Args:
        scope: the agent.
        construct_id: construct id.
        runtime_id: the runtime's id (``GetAtt AgentRuntimeId``).
        runtime_name: the runtime's name (its id starts with it).
        retention: how long log events are kept.
        encryption_key: customer managed key of the groups. Default: CloudWatch Logs' own encryption.
        tags: tags of every group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime_id: str,
        runtime_name: str,
        retention: logs.RetentionDays,
        encryption_key: kms.IKey | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._runtime_id = runtime_id
        self._retention = retention
        self._tags = dict(tags or {})
        self.encryption_key: kms.IKey | None = encryption_key
        #: The log groups by endpoint name (``DEFAULT`` and each named endpoint).
        self.log_groups: dict[str, logs.LogGroup] = {}
        if encryption_key is not None:
            self._allow_logs_to_use(encryption_key, runtime_name)

    def add(self, endpoint: str) -> logs.LogGroup:
        """Define the log group of ``endpoint``."""
        group = logs.LogGroup(
            self,
            endpoint,
            log_group_name=runtime_log_group_name(self._runtime_id, endpoint),
            retention=self._retention,
            encryption_key=self.encryption_key,
            # The logs of an agent are its audit record: kept when the runtime or the stack is deleted.
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for key, value in self._tags.items():
            cdk.Tags.of(group).add(key, value)
        self.log_groups[endpoint] = group
        return group

    def _allow_logs_to_use(self, key: kms.IKey, runtime_name: str) -> None:
        stack = cdk.Stack.of(self)
        groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{RUNTIME_LOG_GROUP_PREFIX}{runtime_name}-*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        statement = iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=list(perms.LOG_GROUP_KEY_ACTIONS),
            # In a key policy, "*" is the key itself.
            resources=["*"],
            conditions={"ArnLike": {perms.LOG_GROUP_ENCRYPTION_CONTEXT_KEY: groups}},
        )
        if not key.add_to_resource_policy(statement).statement_added:
            report_warning(
                self,
                "LogKeyPolicyNotUpdated",
                f"log_encryption_key is imported, so this stack cannot add to its key policy; CloudWatch Logs can "
                f"create the runtime's log groups only if the key policy allows logs.<region>.amazonaws.com "
                f"{', '.join(perms.LOG_GROUP_KEY_ACTIONS)} on condition ArnLike "
                f"{perms.LOG_GROUP_ENCRYPTION_CONTEXT_KEY} = arn:<partition>:logs:<region>:<account>:log-group:"
                f"{RUNTIME_LOG_GROUP_PREFIX}{runtime_name}-*; add that statement to the key, then acknowledge this "
                "warning",
            )


__all__ = ["DEFAULT_RUNTIME_LOG_RETENTION", "RuntimeLogGroups", "runtime_log_group_name"]
