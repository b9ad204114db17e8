"""The execution role of an AgentCoreAgent: trusted by its own runtime only, allowed what that runtime does.

The stable L2 ``Runtime`` writes broad statements into whatever role it is given (log groups of every runtime,
workload access tokens for every workload identity, ``GetWorkloadAccessTokenForUserId``, read access to the whole CDK
asset bucket) and trusts ``runtime/<name>*``, which also matches other runtimes whose names start the same. The agent
therefore hands the L2 a view of its role that ignores policy updates (:func:`policy_free_view`) and writes, here, the
statements a runtime needs, each scoped as far as the names are knowable before the runtime exists.

A runtime's id is its name, a hyphen and the service's id suffix (``limits.service.ID_SUFFIX_LENGTH`` letters and
digits), assigned at creation. Its ARN cannot be referenced from its own role (the runtime depends on the role), so the
id is written as the name followed by that many ``?`` (IAM's single-character wildcard): it matches this runtime's id
and no other runtime's, since runtime names are unique in an account and region and hold no hyphen. Its workload
identity carries the same id, and its log groups are ``/aws/bedrock-agentcore/runtimes/<id>-<endpoint>``.

See: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-permissions.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_lib._cdk import nag, perms
from constructs_lib._cdk.kernel import add_to_principal_policy
from constructs_lib._cdk.roles import service_role
from constructs_lib._cdk.scope import stack_facts, stack_of
from constructs_lib.limits.service import ID_SUFFIX_LENGTH, RUNTIME_LOG_GROUP_PREFIX

#: The service principal of AgentCore.
SERVICE_PRINCIPAL = "bedrock-agentcore.amazonaws.com"
#: The workload identity directory every runtime's identity lives in.
WORKLOAD_IDENTITY_DIRECTORY = "workload-identity-directory/default"
#: How long one assumption of the role may last (the L2's choice, kept: a session may run for hours).
MAX_SESSION_DURATION = cdk.Duration.hours(8)

_LOG_GROUP_REASON = (
    "AgentCore creates the log group of each endpoint (<runtime id>-<endpoint>) on first invocation and names the "
    "group's sub-resources ('<group>:*'); the runtime id's suffix is written with '?' wildcards"
)
_LOG_STREAM_REASON = "AgentCore names the log streams of the runtime's own log groups at run time"


def runtime_id_pattern(runtime_name: str) -> str:
    """An IAM pattern matching exactly the ids the service can give a runtime named ``runtime_name``."""
    return f"{runtime_name}-{'?' * ID_SUFFIX_LENGTH}"


def new_execution_role(scope: Construct, runtime_name: str) -> iam.Role:
    """The role ``ExecutionRole`` under ``scope``, assumable by AgentCore for this runtime name in this account only."""
    runtime_arn = stack_of(scope).format_arn(
        service="bedrock-agentcore",
        resource="runtime",
        resource_name=runtime_id_pattern(runtime_name),
        arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
    )
    return service_role(
        scope,
        "ExecutionRole",
        service=SERVICE_PRINCIPAL,
        source_arn=runtime_arn,
        description=f"Execution role of the AgentCore runtime {runtime_name}",
        max_session_duration=MAX_SESSION_DURATION,
    )


def policy_free_view(scope: Construct, role: iam.IRole) -> iam.IRole:
    """``role`` as the L2 must see it: statements and grants added to it are dropped (``ExecutionRoleView``)."""
    return iam.Role.from_role_arn(scope, "ExecutionRoleView", role.role_arn, mutable=False)


@dataclass(frozen=True)
class ArtifactPull:
    """What the runtime reads to start its sessions: one image repository, or one code object."""

    repository_arn: str | None = None
    code_object_arn: str | None = None


class RuntimePermissions:
    """Writes the statements of one runtime's execution role, and acknowledges the wildcards the service forces.

    Args:
        scope: the agent (acknowledgments that cannot sit on the role's policy are placed on the role).
        role: the execution role (the agent's own, or the user's).
        runtime_name: the runtime name.
        endpoints: the endpoints whose log groups the runtime writes (``DEFAULT`` first).
        artifact: what the runtime pulls.
        workload_token_for_user_id: also allow ``GetWorkloadAccessTokenForUserId``.
        sid_suffix: appended to every statement id, so that agents sharing a role write distinct ids.
    """

    def __init__(
        self,
        scope: Construct,
        role: iam.IRole,
        *,
        runtime_name: str,
        endpoints: Sequence[str],
        artifact: ArtifactPull,
        workload_token_for_user_id: bool,
        sid_suffix: str = "",
    ) -> None:
        self._scope = scope
        self._sid_suffix = sid_suffix
        self._role = role
        self._stack = stack_of(scope)
        # ARNs in the stack's partition, region and account, read once (tokens in an environment-agnostic stack).
        self._facts = stack_facts(scope)
        # The resources of the log statements, kept here rather than read back from the statements.
        self._group_resources: list[str] = []
        self._stream_resources: list[str] = []
        # Acknowledgments made while the role is written, sent to the role in one call at the end.
        self._pending: list[cdk.Acknowledgment] | None = []
        self._runtime_id = runtime_id_pattern(runtime_name)
        self._runtime_name = runtime_name
        self._groups = iam.PolicyStatement(
            sid=self.sid("RuntimeLogGroups"), actions=list(perms.RUNTIME_LOG_GROUP_ACTIONS)
        )
        self._streams = iam.PolicyStatement(
            sid=self.sid("RuntimeLogStreams"), actions=list(perms.RUNTIME_LOG_STREAM_ACTIONS)
        )
        self._endpoints: list[str] = []
        self._logs_acknowledged = False
        for endpoint in endpoints:
            self.add_endpoint(endpoint)
        self._add(self._groups, self._group_resources, _LOG_GROUP_REASON)
        self._add(self._streams, self._stream_resources, _LOG_STREAM_REASON)
        self._logs_acknowledged = True
        self._add(
            iam.PolicyStatement(
                sid=self.sid("ListLogGroups"),
                actions=[perms.DESCRIBE_LOG_GROUPS],
                # DescribeLogGroups lists groups; it is authorized only on the account-wide log-group:* resource.
                resources=[self._arn("logs", "log-group:*")],
            ),
            [self._arn("logs", "log-group:*")],
            "logs:DescribeLogGroups lists log groups and is authorized only on the account-wide log-group:* resource",
        )
        self._add(
            # X-Ray has no resource-level permissions for these actions.
            iam.PolicyStatement(sid=self.sid("XRayTracing"), actions=list(perms.XRAY_TRACE_ACTIONS), resources=["*"]),
            ["*"],
            "X-Ray PutTraceSegments, PutTelemetryRecords, GetSamplingRules and GetSamplingTargets support no "
            "resource-level permissions",
        )
        self._add(
            # PutMetricData has no resource-level permissions; the namespace condition limits it to AgentCore's.
            iam.PolicyStatement(
                sid=self.sid("RuntimeMetrics"),
                actions=[perms.PUT_METRIC_DATA],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": perms.RUNTIME_METRIC_NAMESPACE}},
            ),
            ["*"],
            f"CloudWatch PutMetricData supports no resource-level permissions; the statement is limited to the "
            f"{perms.RUNTIME_METRIC_NAMESPACE} namespace by the cloudwatch:namespace condition",
        )
        self._add(self._workload_tokens(self.sid("WorkloadAccessTokens"), perms.WORKLOAD_ACCESS_TOKEN_ACTIONS))
        self._workload_token_for_user_id: iam.PolicyStatement | None = None
        if workload_token_for_user_id:
            self.allow_workload_token_for_user_id()
        self._artifact(artifact)
        self._flush()

    # -- statements ----------------------------------------------------------------------------------------------------

    def sid(self, base: str) -> str:
        """The statement id ``base`` for this runtime (with the suffix of a shared role)."""
        return f"{base}{self._sid_suffix}"

    def _arn(self, service: str, resource: str) -> str:
        facts = self._facts
        return f"arn:{facts.partition}:{service}:{facts.region}:{facts.account}:{resource}"

    def _add(self, statement: iam.PolicyStatement, resources: Sequence[str] = (), reason: str = "") -> None:
        """Add ``statement`` (whose ``resources`` are given, not read back) and acknowledge its wildcards."""
        add_to_principal_policy(self._role, statement)
        if reason:
            self._acknowledge(resources, reason)

    def _acknowledge(self, resources: Sequence[str], reason: str) -> None:
        findings = nag.wildcard_resources(self._stack, resources)
        acknowledged = nag.acknowledgments("AwsSolutions-IAM5", findings, f"runtime {self._runtime_name}: {reason}")
        if self._pending is not None:
            self._pending += acknowledged
        else:
            nag.send(self._role, acknowledged)

    def _flush(self) -> None:
        """Send the acknowledgments made while the role was written, in one call; later ones go at once."""
        pending, self._pending = self._pending or [], None
        nag.send(self._role, pending)

    def add_endpoint(self, endpoint: str) -> None:
        """Let the runtime write the log group of one more endpoint (``<runtime id>-<endpoint>``)."""
        if endpoint in self._endpoints:
            return
        self._endpoints.append(endpoint)
        group = self._arn("logs", f"log-group:{RUNTIME_LOG_GROUP_PREFIX}{self._runtime_id}-{endpoint}")
        self._groups.add_resources(group, f"{group}:*")
        self._streams.add_resources(f"{group}:log-stream:*")
        self._group_resources += [group, f"{group}:*"]
        self._stream_resources.append(f"{group}:log-stream:*")
        if self._logs_acknowledged:
            # An endpoint added later: its log group's wildcards, for the same reasons.
            self._acknowledge(self._group_resources, _LOG_GROUP_REASON)
            self._acknowledge(self._stream_resources, _LOG_STREAM_REASON)

    def _workload_tokens(self, sid: str, actions: Sequence[str]) -> iam.PolicyStatement:
        # GetWorkloadAccessToken* authorize on the directory and on the workload identity: this runtime's only.
        return iam.PolicyStatement(
            sid=sid,
            actions=list(actions),
            resources=[
                self._arn("bedrock-agentcore", WORKLOAD_IDENTITY_DIRECTORY),
                self._arn("bedrock-agentcore", f"{WORKLOAD_IDENTITY_DIRECTORY}/workload-identity/{self._runtime_id}"),
            ],
        )

    def allow_workload_token_for_user_id(self) -> None:
        """Also allow ``GetWorkloadAccessTokenForUserId`` on the runtime's own workload identity (once)."""
        if self._workload_token_for_user_id is None:
            self._workload_token_for_user_id = self._workload_tokens(
                self.sid("WorkloadAccessTokensForUserId"), (perms.WORKLOAD_ACCESS_TOKEN_FOR_USER_ID,)
            )
            self._add(self._workload_token_for_user_id)

    def _artifact(self, artifact: ArtifactPull) -> None:
        if artifact.repository_arn is not None:
            self._add(
                iam.PolicyStatement(
                    sid=self.sid("PullAgentImage"),
                    actions=list(perms.ECR_PULL_ACTIONS),
                    resources=[artifact.repository_arn],
                ),
            )
            self._add(
                # GetAuthorizationToken is a registry login; it supports no resource-level permissions.
                iam.PolicyStatement(
                    sid=self.sid("ImageRegistryToken"), actions=[perms.ECR_AUTHORIZATION_TOKEN], resources=["*"]
                ),
                ["*"],
                "ecr:GetAuthorizationToken (the registry login) supports no resource-level permissions; the image "
                "pull itself is granted on the agent's repository only",
            )
        if artifact.code_object_arn is not None:
            self._add(
                iam.PolicyStatement(
                    sid=self.sid("ReadAgentCode"), actions=[perms.S3_GET_OBJECT], resources=[artifact.code_object_arn]
                ),
            )


__all__ = [
    "ArtifactPull",
    "RuntimePermissions",
    "new_execution_role",
    "policy_free_view",
    "runtime_id_pattern",
]
