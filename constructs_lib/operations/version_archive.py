"""AgentVersionArchive: every version of an agent, copied to S3 before AgentCore forgets it.

Each runtime update creates an immutable version; an agent keeps at most the versions-per-agent quota of
them, so old versions must be deleted to deploy again (and older material says inactive versions are deleted
automatically). The archive answers "what exactly was version 37 of this agent" long after that: one JSON
document per version, at ``agents/<runtimeId>/versions/<version>.json``, holding the full ``GetAgentRuntime``
response of that version and the capture time.

An archiver Lambda function (``constructs_lib/handlers/version_archiver.py``) writes the documents, once each
version is settled (``READY``, ``CREATE_FAILED``, ``UPDATE_FAILED``, ``DELETE_FAILED`` or ``DELETING``; a document
written earlier in another state is rewritten). It never stores environment variable values: each is replaced by its
HMAC-SHA-256 digest, computed by AWS KMS with the archive's own HMAC key (``environment_digest_key``), which never
leaves KMS. It is invoked by an EventBridge rule on the CloudTrail events of runtime and endpoint creation and update
(CloudTrail management events must be recorded by a trail for EventBridge to see them), and by a
schedule (daily by default) that sweeps every version of every archived agent: the backstop for missed
events. Failed invocations are retried and then dead-lettered to an encrypted SQS queue with an alarm.

Log groups: the archiver's log group is created here with a retention (one year by default).
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IValidation

from constructs_lib._cdk import nag
from constructs_lib._cdk.buckets import access_logs_bucket as _logs_bucket
from constructs_lib._cdk.buckets import use_bucket_policy_for_access_logs
from constructs_lib._cdk.functions import DEFAULT_PYTHON_RUNTIME, handler_code
from constructs_lib._cdk.props import PropChecks, check_construct_id
from constructs_lib._cdk.reporting import (
    report,
    report_after_build,
    report_unresolved,
    report_warning,
    warn_unless_retained,
)
from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib.agent.interface import INVALID_AGENT, IAgentCoreAgent, check_agents, require_agent
from constructs_lib.errors import raise_all
from constructs_lib.handlers import contract
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.limits.service import ID_SUFFIX_LENGTH, UNRESOLVED_NAME_MAX_LENGTH
from constructs_lib.planning.findings import Finding
from constructs_lib.planning.operations import archive_projection, archive_transition_problems, sweep_interval_seconds
from constructs_lib.planning.platform import environment_findings

#: Key prefix of the archived documents.
ARCHIVE_PREFIX = "agents/"
#: EventBridge source of AgentCore's CloudTrail events.
EVENT_SOURCE = "aws.bedrock-agentcore"
#: EventBridge detail-type of CloudTrail management events.
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
#: CloudTrail ``eventSource`` of the AgentCore control plane.
CLOUDTRAIL_EVENT_SOURCE = "bedrock-agentcore.amazonaws.com"
#: CloudTrail event names that create a version or move an endpoint (the handler accepts the same).
RUNTIME_EVENT_NAMES: tuple[str, ...] = contract.ARCHIVER_EVENT_NAMES
#: IAM action reading one runtime version (resource type ``runtime``: it can be scoped to the ARN).
GET_AGENT_RUNTIME = "bedrock-agentcore:GetAgentRuntime"
#: IAM action listing a runtime's versions (no resource type in the Service Authorization Reference).
LIST_AGENT_RUNTIME_VERSIONS = "bedrock-agentcore:ListAgentRuntimeVersions"
#: KMS action computing an environment digest (the archiver).
GENERATE_MAC = "kms:GenerateMac"
#: KMS action checking a candidate value against a digest (auditors).
VERIFY_MAC = "kms:VerifyMac"

#: botocore ``total_max_attempts`` of the archiver's control-plane client, the first call included (adaptive retry mode
#: spaces them out under throttling).
CONTROL_PLANE_MAX_ATTEMPTS = 10
#: The archiver starts no new version when less invocation time than this is left, so it reports and fails
#: (to be retried) instead of being stopped mid-write.
DEADLINE_MARGIN = cdk.Duration.seconds(20)

#: The plan's warning that an agent's versions reach the versions-per-agent quota; the archive's notes on keeping
#: up are given only beside it.
VERSIONS_AT_RISK = "VersionsQuotaAtRisk"

_HANDLER_MODULE = "version_archiver"
_ARCHIVED_BY = "_constructs_lib_archived_by"
_AUDIT_REQUIRED = "_constructs_lib_audit_required"


def mark_audit_required(agent: IAgentCoreAgent) -> None:
    """Mark an agent as needing an audit trail of its versions.

    At synth, an agent so marked that no :class:`AgentVersionArchive` archives gets the acknowledgeable
    warning ``constructs_lib:AuditedAgentNotArchived``.
    """
    require_agent(agent, "agent", None)
    if getattr(agent, _AUDIT_REQUIRED, False):
        return
    setattr(agent, _AUDIT_REQUIRED, True)
    agent.node.add_validation(_AuditCoverage(agent))


def is_audit_required(agent: IAgentCoreAgent) -> bool:
    """Whether :func:`mark_audit_required` was called for ``agent``."""
    return bool(getattr(agent, _AUDIT_REQUIRED, False))


@jsii.implements(IValidation)
class _AuditCoverage:
    """Reports, once the app is built, an audited agent that no archive covers (a warning, not an error)."""

    def __init__(self, agent: IAgentCoreAgent) -> None:
        self._agent = agent
        self._reported = False

    def validate(self) -> list[str]:
        agent = self._agent
        if getattr(agent, _ARCHIVED_BY, None) is None and not self._reported:
            self._reported = True
            report_warning(
                agent,
                "AuditedAgentNotArchived",
                f"agent {agent.runtime_name} is marked as needing an audit trail of its "
                "versions, but no AgentVersionArchive archives it; AgentCore keeps a limited number of versions "
                "and deletes inactive ones, so add it with AgentVersionArchive(..., agents=[...]) or add_agent()",
            )
        return []


class AgentVersionArchive(Construct):
    """Defines an S3 archive of every AgentCore runtime version, kept current by events and a daily sweep.

    Resources: the archive bucket (``Resource``, ``bucket`` and ``node.default_child``: versioned, encrypted,
    TLS-only, public access blocked, object ownership enforced, server access logs, lifecycle to S3 Glacier Instant
    Retrieval, retained on deletion, optional object lock), an access-log bucket (``access_logs_bucket``) unless
    one is given, the archiver function (``function``: Python, ARM64, X-Ray, its own log group ``log_group`` with
    retention, a least-privilege role ``role``), an EventBridge rule on CloudTrail runtime events
    (``event_rule``), a schedule rule (``schedule_rule``), an encrypted TLS-only dead-letter queue
    (``dead_letter_queue``, retained like the buckets) and an alarm on it (``dead_letter_alarm``), and the KMS HMAC key
    (``environment_digest_key``, ``EnvironmentDigestKey``, retained like the buckets) that digests environment
    variable values: the documents name each variable with the HMAC of its value, never the value.

    Validation: an agent marked with :func:`mark_audit_required` that no archive covers, and an agent
    whose deployments fill its versions quota between two sweeps, are reported as acknowledgeable
    warnings (``constructs_lib:AuditedAgentNotArchived``, ``constructs_lib:VersionArchiveFallsBehind``).

    Args:
        scope: parent construct.
        construct_id: construct id.
        agents: agents to archive. Default: none; add them with :meth:`add_agent`.
        object_lock: enable S3 Object Lock (write-once documents). Can only be chosen when the bucket is
            created. Default: off.
        object_lock_default_retention: default retention of locked documents; giving it turns object lock
            on. Default with ``object_lock``: GOVERNANCE mode for 365 days.
        archive_transition_after: age at which documents move to S3 Glacier Instant Retrieval. That class
            keeps millisecond reads, so an audit question is answered at once (Deep Archive would need a
            restore of hours first). By default S3 does not transition objects below its minimum transition
            size, and such small documents are cheaper left in Standard, so that default is kept. Default: 30 days.
        removal_policy: what happens to the buckets, the dead-letter queue and the digest key when the stack deletes
            them. Default: RETAIN (the archive outlives the stack; that is its purpose, and its digests can be checked
            only while the key exists).
        schedule: when the full sweep runs. Default: once a day.
        audit_required_agents: agents that need an audit trail; each is marked with
            :func:`mark_audit_required`, so a warning reports any that ends up archived by no archive.
            Default: none.
        alarm_topic: topic the dead-letter alarm notifies on ALARM and OK. Default: no action (wire
            ``dead_letter_alarm`` yourself, for example to ``AgentMonitoring.alarm_topic``).
        encryption_key: KMS key for the archive bucket. Default: S3-managed encryption (SSE-S3).
        access_logs_bucket: bucket receiving the archive bucket's server access logs. Default: a new
            encrypted, TLS-only, retained bucket.
        log_retention: retention of the archiver's log group. Default: one year.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        agents: Sequence[IAgentCoreAgent] = (),
        object_lock: bool = False,
        object_lock_default_retention: s3.ObjectLockRetention | None = None,
        archive_transition_after: cdk.Duration | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        schedule: events.Schedule | None = None,
        audit_required_agents: Sequence[IAgentCoreAgent] = (),
        alarm_topic: sns.ITopic | None = None,
        encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        check_construct_id(construct_id)
        super().__init__(scope, construct_id)
        checks = PropChecks(path_of(self))
        for name, listed in (("agents", agents), ("audit_required_agents", audit_required_agents)):
            check_agents(checks, name, listed, code=INVALID_AGENT)
        checks.boolean("object_lock", object_lock)
        checks.instance("object_lock_default_retention", object_lock_default_retention, s3.ObjectLockRetention,
                        "an s3.ObjectLockRetention")
        checks.duration("archive_transition_after", archive_transition_after)
        checks.choice("removal_policy", removal_policy, cdk.RemovalPolicy, optional=False)
        checks.instance("schedule", schedule, events.Schedule, "an events.Schedule (Schedule.rate(...), ...)")
        checks.resource("alarm_topic", alarm_topic, "topic_arn", "an sns.ITopic")
        checks.resource("encryption_key", encryption_key, "key_arn", "a kms.IKey")
        checks.resource("access_logs_bucket", access_logs_bucket, "bucket_arn", "an s3.IBucket")
        checks.choice("log_retention", log_retention, logs.RetentionDays, optional=False)
        checks.raise_if_any()
        warn_unless_retained(self, removal_policy, "the version archive")
        # Server access logs are delivered under a bucket policy for logging.s3.amazonaws.com, not the
        # legacy LogDeliveryWrite ACL, whatever the app's feature flags say (this construct's scope only).
        use_bucket_policy_for_access_logs(self)
        self.catalog = catalog_for(self)
        self.region: str | None = region_of(self)
        self.schedule: events.Schedule = schedule or events.Schedule.rate(cdk.Duration.days(1))
        self._agents: dict[str, IAgentCoreAgent] = {}
        transition_after = archive_transition_after or cdk.Duration.days(30)
        if transition_after.is_unresolved():
            report_unresolved(self, "archive_transition_after", "S3 lifecycle rules' whole days")
        else:
            raise_all(
                "InvalidArchiveTransition",
                archive_transition_problems(transition_after.to_days(integral=False)),
                path_of(self),
            )
        lock = object_lock or object_lock_default_retention is not None
        if lock and object_lock_default_retention is None:
            object_lock_default_retention = s3.ObjectLockRetention.governance(cdk.Duration.days(365))

        self.access_logs_bucket: s3.IBucket = access_logs_bucket or _logs_bucket(
            self, "AccessLogsBucket", removal_policy
        )
        self.bucket = s3.Bucket(
            self,
            "Resource",
            # Versioning keeps every write recoverable; object lock (optional) makes documents immutable.
            versioned=True,
            object_lock_enabled=lock or None,
            object_lock_default_retention=object_lock_default_retention,
            encryption=s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=True if encryption_key else None,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="version-archive/",
            transition_default_minimum_object_size=s3.TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ArchiveAgentVersions",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=transition_after,
                        )
                    ],
                    noncurrent_version_transitions=[
                        s3.NoncurrentVersionTransition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=transition_after,
                        )
                    ],
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            removal_policy=removal_policy,
        )
        self.node.default_child = self.bucket
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            # SSE-SQS, not a KMS key: EventBridge can deliver to it without a key policy, and the AWS
            # managed key alias/aws/sqs cannot be granted to EventBridge at all.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.seconds(
                self.catalog.value(QuotaName.SQS_MESSAGE_RETENTION_MAXIMUM)
            ),
            # Dead letters are the only record of versions that could not be archived.
            removal_policy=removal_policy,
        )
        self.environment_digest_key = kms.Key(
            self,
            "EnvironmentDigestKey",
            description="HMAC key of the AgentCore version archive: digests of runtime environment variable values",
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            # KMS rotates only symmetric encryption keys; an HMAC key keeps its material, so digests stay comparable
            # across every version of every agent in this archive.
            removal_policy=removal_policy,
        )
        self.dead_letter_alarm = self._dead_letter_alarm(alarm_topic)
        self.log_group = logs.LogGroup(self, "LogGroup", retention=log_retention, removal_policy=removal_policy)
        self.function = self._function(encryption_key)
        report_after_build(self, self._environment_findings)
        self.event_rule, self.schedule_rule = self._rules()

        for agent in audit_required_agents:
            mark_audit_required(agent)
        for agent in agents:
            self.add_agent(agent)

    # -- resources ---------------------------------------------------------------------------------

    def _dead_letter_alarm(self, topic: sns.ITopic | None) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            "DeadLetterAlarm",
            alarm_description=(
                "Agent versions could not be archived: inspect the messages in the version archiver's "
                "dead-letter queue and the function's logs, then re-run the sweep"
            ),
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.seconds(self.catalog.value(QuotaName.CLOUDWATCH_METRIC_PERIOD)),
                statistic="Maximum",
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            # SQS stops publishing for an idle queue: no data means no dead letters.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if topic is not None:
            action = cloudwatch_actions.SnsAction(topic)
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        return alarm

    def _function(self, encryption_key: kms.IKey | None) -> lambda_.Function:
        stack = cdk.Stack.of(self)
        role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Version archiver: reads AgentCore runtime versions and writes them to the archive",
        )
        self.log_group.grant_write(role)
        # Versions are read only for the runtimes added with add_agent (resource type `runtime`).
        self._get_statement = iam.PolicyStatement(sid="ReadArchivedRuntimeVersions", actions=[GET_AGENT_RUNTIME])
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="ListRuntimeVersions", actions=[LIST_AGENT_RUNTIME_VERSIONS], resources=["*"])
        )
        objects = self.bucket.arn_for_objects(f"{ARCHIVE_PREFIX}*")
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="ReadWriteArchive", actions=["s3:GetObject", "s3:PutObject"], resources=[objects])
        )
        # The handler asks HeadObject whether a version is archived. Without s3:ListBucket, S3 answers
        # 403 instead of 404 for a missing key, so no new version could ever be archived. HeadObject
        # carries no s3:prefix, so the grant cannot be narrowed by prefix; it names this bucket only.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TellMissingDocuments", actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]
            )
        )
        if encryption_key is not None:
            encryption_key.grant_encrypt_decrypt(role)
        self.environment_digest_key.grant(role, GENERATE_MAC)
        self.role = role
        timeout = self.catalog.resolve(QuotaName.LAMBDA_TIMEOUT, self.region)
        function = lambda_.Function(
            self,
            "Archiver",
            runtime=DEFAULT_PYTHON_RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=f"{_HANDLER_MODULE}.handler",
            code=handler_code(f"{_HANDLER_MODULE}.py"),
            role=role,
            # The sweep of every version of every agent is the longest job: give it the whole Lambda
            # timeout; the handler stops early and fails (to be retried) when time runs out.
            timeout=cdk.Duration.seconds(timeout.value),
            memory_size=256,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            dead_letter_queue=self.dead_letter_queue,
            # As many retries of a failed event as Lambda allows; a retry skips what is archived already.
            retry_attempts=int(self.catalog.value(QuotaName.LAMBDA_ASYNC_RETRY_ATTEMPTS)),
            description="Archives every AgentCore runtime version to S3 (constructs_lib AgentVersionArchive)",
            # Every value the handler needs is set here; it has no fallback of its own.
            environment={
                contract.ENV_ARCHIVE_BUCKET: self.bucket.bucket_name,
                contract.ENV_ARCHIVE_PREFIX: ARCHIVE_PREFIX,
                contract.ENV_ARCHIVED_RUNTIME_IDS: "",
                contract.ENV_CONTROL_PLANE_MAX_ATTEMPTS: str(CONTROL_PLANE_MAX_ATTEMPTS),
                contract.ENV_DEADLINE_MARGIN_SECONDS: str(int(DEADLINE_MARGIN.to_seconds())),
                contract.ENV_ENVIRONMENT_DIGEST_KEY_ARN: self.environment_digest_key.key_arn,
            },
        )
        nag.acknowledge(
            role, "AwsSolutions-IAM5", ["Resource::*"],
            "version archiver: bedrock-agentcore:ListAgentRuntimeVersions has no resource type in the Service "
            "Authorization Reference (it authorizes only on \"*\"), and X-Ray PutTraceSegments/"
            "PutTelemetryRecords support no resource-level permissions; GetAgentRuntime is scoped to the "
            "archived runtimes",
        )
        bucket_arn = stack.resolve(self.bucket.bucket_arn)["Fn::GetAtt"][0]
        nag.acknowledge(
            role, "AwsSolutions-IAM5", [f"Resource::<{bucket_arn}.Arn>/{ARCHIVE_PREFIX}*"],
            f"version archiver: reads and writes only the archive documents under {ARCHIVE_PREFIX} in its "
            "own bucket; one object per runtime version, whose ids are assigned by AgentCore",
        )
        return function

    def _rules(self) -> tuple[events.Rule, events.Rule]:
        event_rule = events.Rule(
            self,
            "RuntimeChangeRule",
            description="Archives AgentCore runtime versions when a runtime or endpoint is created or updated",
            event_pattern=events.EventPattern(
                source=[EVENT_SOURCE],
                detail_type=[CLOUDTRAIL_DETAIL_TYPE],
                detail={"eventSource": [CLOUDTRAIL_EVENT_SOURCE], "eventName": list(RUNTIME_EVENT_NAMES)},
            ),
        )
        # Delivery failures (EventBridge) and function failures (Lambda, after its retries) both end in
        # the dead-letter queue.
        event_rule.add_target(
            targets.LambdaFunction(self.function, dead_letter_queue=self.dead_letter_queue, retry_attempts=3)
        )
        schedule_rule = events.Rule(
            self,
            "SweepSchedule",
            description="Sweeps every version of every archived AgentCore runtime (backstop for missed events)",
            schedule=self.schedule,
        )
        schedule_rule.add_target(
            targets.LambdaFunction(
                self.function,
                event=events.RuleTargetInput.from_object({"action": "sweep"}),
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=3,
            )
        )
        return event_rule, schedule_rule

    # -- agents ------------------------------------------------------------------------------------

    @property
    def archived_agents(self) -> list[IAgentCoreAgent]:
        """The agents this archive covers."""
        return list(self._agents.values())

    @staticmethod
    def object_key(agent_runtime_id: str, version: str) -> str:
        """The key of one version's document (``agents/<runtimeId>/versions/<version>.json``)."""
        return f"{ARCHIVE_PREFIX}{agent_runtime_id}/versions/{version}.json"

    def add_agent(self, agent: IAgentCoreAgent) -> None:
        """Archive every version of ``agent``: read access to its runtime, and its id in the sweep list.

        Warns (``constructs_lib:VersionArchiveFallsBehind``) when the agent's deployments would fill the
        versions-per-agent quota between two sweeps, so a missed event could lose versions.
        """
        require_agent(agent, "agents", path_of(self))
        if agent.runtime_name in self._agents:
            return
        self._agents[agent.runtime_name] = agent
        setattr(agent, _ARCHIVED_BY, path_of(self))
        if not self._get_statement.resources:
            self.role.add_to_principal_policy(self._get_statement)
        self._get_statement.add_resources(agent.agent_runtime_arn)
        self.function.add_environment(
            contract.ENV_ARCHIVED_RUNTIME_IDS, cdk.Fn.join(",", [a.agent_runtime_id for a in self._agents.values()])
        )
        self._check_keeps_up(agent)

    @property
    def environment_bytes(self) -> int:
        """The size of the archiver's environment (Lambda counts names and values): each archived runtime's id at its
        name's length plus AgentCore's suffix, and every other unresolved value at the longest name it could be."""
        size = 0
        for name, value in self._environment().items():
            size += len(name) + len(value)
        return size

    def _environment(self) -> dict[str, str]:
        ids = ",".join(a.runtime_name + "-" + "x" * ID_SUFFIX_LENGTH for a in self._agents.values())
        unresolved = "x" * UNRESOLVED_NAME_MAX_LENGTH
        return {
            contract.ENV_ARCHIVE_BUCKET: unresolved,
            contract.ENV_ARCHIVE_PREFIX: ARCHIVE_PREFIX,
            contract.ENV_ARCHIVED_RUNTIME_IDS: ids,
            contract.ENV_CONTROL_PLANE_MAX_ATTEMPTS: str(CONTROL_PLANE_MAX_ATTEMPTS),
            contract.ENV_DEADLINE_MARGIN_SECONDS: str(int(DEADLINE_MARGIN.to_seconds())),
            contract.ENV_ENVIRONMENT_DIGEST_KEY_ARN: unresolved,
        }

    def _environment_findings(self) -> list[Finding]:
        return environment_findings(
            self.catalog, self.region, code="ArchiveEnvironmentFull",
            what=f"the version archiver's environment for {len(self._agents)} agents (each runtime's id)",
            size_bytes=self.environment_bytes,
            way_out="archive the agents with several AgentVersionArchives (a platform: archive=False on some "
            "AgentSpecs, or several AgentPlatforms)",
        )

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to read the archived documents (auditors, tooling)."""
        return self.bucket.grant_read(grantee, f"{ARCHIVE_PREFIX}*")

    def grant_verify_environment_digests(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to check whether a variable held a given value (``kms:VerifyMac`` on the digest key).

        The auditor calls ``VerifyMac`` with the digest from a document as ``Mac``, algorithm ``HMAC_SHA_256``, and the
        message the archiver digests (``version_archiver.digest_message(name, candidate)``). Whoever may verify can
        also test guesses, one KMS call each, so grant it only to those who may learn the values.
        """
        return self.environment_digest_key.grant(grantee, VERIFY_MAC)

    def _check_keeps_up(self, agent: IAgentCoreAgent) -> None:
        rate = agent.plan.profile.deployments_per_day
        if not rate:
            return
        expression = self.schedule.expression_string
        projection = archive_projection(
            agent.catalog, agent.region, agent=agent.runtime_name, deployments_per_day=rate, schedule=expression,
            interval_seconds=sweep_interval_seconds(expression),
            versions_at_risk=agent.plan.finding(VERSIONS_AT_RISK) is not None,
        )
        report(self, projection.findings)


__all__ = [
    "ARCHIVE_PREFIX",
    "CLOUDTRAIL_DETAIL_TYPE",
    "EVENT_SOURCE",
    "RUNTIME_EVENT_NAMES",
    "AgentVersionArchive",
    "is_audit_required",
    "mark_audit_required",
]
