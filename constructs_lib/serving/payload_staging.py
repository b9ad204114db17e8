"""PayloadStaging: an S3 bucket for agent inputs and outputs too large to pass inline.

Clients upload inputs with short-lived, size-limited pre-signed URLs that a proxy hands out (see
:mod:`constructs_lib.handlers.staging_urls`); the agent reads its inputs and writes its outputs under
its own prefixes; objects expire by lifecycle rule.

Key layout::

    inputs/<runtime_name>/<caller>/<random id>[/<file name>]    written by clients, read by the agent
    outputs/<runtime_name>/<caller>/<anything>                  written by the agent (job results under the
                                                                payload's resultPrefix), read by clients
    outputs/<runtime_name>/<caller>/answers/<random id>         buffered answers too large to return, written by
                                                                the REST proxy

``<caller>`` is a segment derived from the caller's full identity (:mod:`constructs_lib.handlers.caller`): a proxy signs
uploads and downloads and accepts ``payloadKey`` only under the caller's own segment, the same way on the REST and the
WebSocket facade, so a caller can reference and download only its own staged objects. IAM scopes each proxy and each
agent to the agent's prefixes; the caller segments are the proxies' check.

See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib._cdk import nag
from constructs_lib._cdk.buckets import access_logs_bucket, use_bucket_policy_for_access_logs
from constructs_lib._cdk.kernel import kernel_grantee
from constructs_lib._cdk.props import PropChecks
from constructs_lib._cdk.reporting import report, report_unresolved, warn_unless_retained
from constructs_lib._cdk.scope import catalog_for, path_of, region_of, stack_of
from constructs_lib.agent.interface import IAgentCoreAgent, require_agent
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.handlers import contract
from constructs_lib.limits.catalog import Unit, format_value
from constructs_lib.limits.service import S3_BUCKET_NAME_PATTERN
from constructs_lib.planning.serving import default_staged_object_bytes, staging_findings
from constructs_lib.serving._grants import acknowledgment_target
from constructs_lib.serving._values import whole_number_text

#: Key prefix under which clients upload inputs (one sub-prefix per agent).
INPUTS_PREFIX = contract.INPUTS_PREFIX
#: Key prefix under which agents write outputs (one sub-prefix per agent).
OUTPUTS_PREFIX = contract.OUTPUTS_PREFIX

#: Actions a signer needs for a pre-signed upload. ``s3:PutObject`` also authorizes the multipart
#: upload operations (create, upload part, complete).
PRESIGN_UPLOAD_ACTIONS: tuple[str, ...] = ("s3:PutObject",)
#: Actions a signer needs for a pre-signed download.
PRESIGN_DOWNLOAD_ACTIONS: tuple[str, ...] = ("s3:GetObject",)
#: Actions the agent needs on its input prefix.
AGENT_INPUT_ACTIONS: tuple[str, ...] = ("s3:GetObject",)
#: Actions the agent needs on its output prefix (multipart uploads of large results included).
AGENT_OUTPUT_ACTIONS: tuple[str, ...] = ("s3:PutObject", "s3:AbortMultipartUpload")
#: Actions a proxy needs to store answers too large to return.
PROXY_ANSWER_ACTIONS: tuple[str, ...] = ("s3:PutObject",)


def _acknowledge_on(grantee: Any, rule: str, findings: list[str], reason: str) -> None:
    """Acknowledge findings on the grantee's construct (or its role), if it is one."""
    target = acknowledgment_target(grantee)
    if target is not None:
        nag.acknowledge(target, rule, findings, reason)


class PayloadStaging(Construct):
    """Defines an S3 bucket that stages agent inputs and outputs too large to pass inline.

    Secure defaults: all public access blocked, TLS-only bucket policy, encryption at rest (S3-managed,
    or SSE-KMS with a bucket key when ``encryption_key`` is given), objects owned by the bucket owner
    (ACLs disabled), server access logs to a separate bucket, and the bucket retained when the stack is
    deleted. Lifecycle rules expire ``inputs/`` and ``outputs/`` after ``object_expiry`` and abort
    incomplete multipart uploads after one day.

    Versioning is off on purpose: staged objects are transient, written once under random keys (an
    overwrite never replaces anything worth keeping), and versioning would keep every expired payload as
    a noncurrent version that needs a second lifecycle rule and costs storage for nothing.

    Wiring: :meth:`bind` gives an agent its prefixes (grants and environment); the facades call it, and the
    ``grant_*`` methods only grant.

    Args:
        scope: parent construct.
        construct_id: construct id.
        url_expiry: the longest a pre-signed URL stays valid. Must not exceed ``object_expiry``, nor S3's
            pre-signed URL validity (a synth error ``StagingUrlExpiryTooLong``). Default: 15 minutes. Note that a URL
            signed with temporary credentials (a Lambda role) also stops working when those credentials expire.
        max_object_size: the largest object a client may upload, enforced by the pre-signed POST
            policy. Must not exceed the AgentCore request payload quota (a hard limit the library
            applies to staged payloads too: a synth error ``StagedObjectTooLarge``). Default: that quota.
        object_expiry: how long staged inputs and outputs are kept (whole days, at least 1).
            Default: 7 days.
        encryption_key: customer managed KMS key for SSE-KMS. Default: S3-managed keys (SSE-S3).
        removal_policy: what happens to the bucket when it leaves the stack. Default: RETAIN.
        server_access_logs_bucket: where server access logs go. Default: a new logs bucket
            (``AccessLogs``), S3-managed encryption, TLS-only, retained.
        bucket_name: physical bucket name. Default: generated by CloudFormation.

    Raises:
        ConstructsLibValidationError: ``InvalidStagingExpiry`` for an expiry that is not positive, not whole days
            (``object_expiry``) or a URL that outlives its object, ``InvalidStagedObjectSize`` for a
            ``max_object_size`` below one byte.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        url_expiry: cdk.Duration | None = None,
        max_object_size: cdk.Size | None = None,
        object_expiry: cdk.Duration | None = None,
        encryption_key: kms.IKey | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        server_access_logs_bucket: s3.IBucket | None = None,
        bucket_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._bucket_arn: str | None = None
        self._bucket_logical_id: str | None = None
        checks = PropChecks(path_of(self))  # types first, before anything reaches jsii (constructs_lib._cdk.props)
        checks.duration("url_expiry", url_expiry)
        checks.size("max_object_size", max_object_size)
        checks.duration("object_expiry", object_expiry)
        checks.resource("encryption_key", encryption_key, "key_arn", "a kms.IKey")
        checks.choice("removal_policy", removal_policy, cdk.RemovalPolicy, optional=False)
        checks.resource("server_access_logs_bucket", server_access_logs_bucket, "bucket_arn", "an s3.IBucket")
        checks.string("bucket_name", bucket_name, pattern=S3_BUCKET_NAME_PATTERN,
                      allowed="an S3 bucket name: 3 to 63 lowercase letters, digits, '.' and '-'")
        checks.raise_if_any()
        warn_unless_retained(self, removal_policy, "the staging bucket")
        # Grant S3 log delivery through a bucket policy scoped to the source bucket and account, not the
        # legacy LogDeliveryWrite ACL (which would need ACLs enabled on the logs bucket). Set here, before
        # any child exists, it applies to this construct's buckets only.
        use_bucket_policy_for_access_logs(self)
        catalog, region = catalog_for(self), region_of(self)
        self.url_expiry: cdk.Duration = url_expiry or cdk.Duration.minutes(15)
        self.object_expiry: cdk.Duration = object_expiry or cdk.Duration.days(7)
        self.max_object_size: cdk.Size = max_object_size or cdk.Size.bytes(default_staged_object_bytes(catalog, region))
        self.encryption_key: kms.IKey | None = encryption_key
        self._validate()

        if server_access_logs_bucket is None:
            server_access_logs_bucket = access_logs_bucket(self, "AccessLogs", removal_policy)
            self.access_logs_bucket: s3.IBucket = server_access_logs_bucket
        else:
            self.access_logs_bucket = server_access_logs_bucket

        self.bucket: s3.Bucket = s3.Bucket(
            self,
            "Resource",
            bucket_name=bucket_name,
            # Staged payloads are customer data: never public, never over plain HTTP.
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=True if encryption_key else None,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=False,
            server_access_logs_bucket=server_access_logs_bucket,
            server_access_logs_prefix=f"{cdk.Names.unique_id(self)}/",
            # Staged payloads are transient: expire them, and abort uploads that never completed.
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireInputs", prefix=INPUTS_PREFIX, expiration=self.object_expiry),
                s3.LifecycleRule(id="ExpireOutputs", prefix=OUTPUTS_PREFIX, expiration=self.object_expiry),
                s3.LifecycleRule(
                    id="AbortIncompleteUploads",
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                ),
            ],
            removal_policy=removal_policy,
        )
        self.node.default_child = self.bucket

    # -- construction helpers ------------------------------------------------------------------------

    def _validate(self) -> None:
        """Misuse raises; the hard limits (S3's URL validity, AgentCore's request payload) are synth errors."""
        url_seconds: float | None = None
        object_size: float | None = None
        if self.url_expiry.is_unresolved() or self.object_expiry.is_unresolved():
            report_unresolved(self, "url_expiry or object_expiry", "their allowed ranges")
        else:
            url_seconds = self.url_expiry.to_seconds()
            raise_all("InvalidStagingExpiry", self._expiry_problems(url_seconds), path_of(self))
        if self.max_object_size.is_unresolved():
            report_unresolved(self, "max_object_size", "the request payload quota")
        else:
            object_size = float(self.max_object_size.to_bytes())
            if object_size < 1:
                raise ConstructsLibValidationError(
                    "InvalidStagedObjectSize", f"max_object_size must be at least 1 byte, got {object_size:g}",
                    path_of(self),
                )
        report(self, staging_findings(
            catalog_for(self), region_of(self), url_expiry_seconds=url_seconds, max_object_bytes=object_size
        ))

    def _expiry_problems(self, url_seconds: float) -> list[str]:
        problems: list[str] = []
        object_seconds = self.object_expiry.to_seconds()
        if url_seconds < 1:
            problems.append(f"url_expiry must be at least 1 second, got {url_seconds} s")
        if object_seconds < 86400 or object_seconds % 86400:
            problems.append(
                f"object_expiry must be a whole number of days, at least 1 (S3 lifecycle expiration "
                f"counts days), got {format_value(object_seconds, Unit.SECONDS)}"
            )
        if url_seconds > object_seconds:
            problems.append(
                f"url_expiry {format_value(url_seconds, Unit.SECONDS)} must not exceed object_expiry "
                f"{format_value(object_seconds, Unit.SECONDS)}: a URL would outlive the object it names"
            )
        return problems

    # -- key layout ----------------------------------------------------------------------------------

    def input_prefix(self, agent: IAgentCoreAgent) -> str:
        """The key prefix of ``agent``'s inputs: ``inputs/<runtime_name>/``."""
        return f"{INPUTS_PREFIX}{agent.runtime_name}/"

    def output_prefix(self, agent: IAgentCoreAgent) -> str:
        """The key prefix of ``agent``'s outputs: ``outputs/<runtime_name>/``."""
        return f"{OUTPUTS_PREFIX}{agent.runtime_name}/"

    @property
    def bucket_name(self) -> str:
        """Name of the staging bucket."""
        return self.bucket.bucket_name

    @property
    def url_expiry_seconds(self) -> int:
        """``url_expiry`` in whole seconds."""
        return int(self.url_expiry.to_seconds())

    @property
    def max_object_bytes(self) -> int:
        """``max_object_size`` in bytes."""
        return int(self.max_object_size.to_bytes())

    def environment_for_proxy(self, agent: IAgentCoreAgent) -> dict[str, str]:
        """Environment variables a proxy Lambda that serves ``agent`` needs to hand out pre-signed URLs.

        Read them in the handler with :meth:`constructs_lib.handlers.staging_urls.StagingConfig.from_environment`
        (names in :mod:`constructs_lib.handlers.contract`).

        Returns:
            ``{name: value}`` with the bucket name, the URL expiry in seconds, the maximum object size in
            bytes, and the agent's input and output prefixes.
        """
        return {
            contract.ENV_STAGING_BUCKET: self.bucket.bucket_name,
            contract.ENV_STAGING_URL_EXPIRY_SECONDS: whole_number_text(self.url_expiry.to_seconds()),
            contract.ENV_STAGING_MAX_OBJECT_BYTES: whole_number_text(self.max_object_size.to_bytes()),
            contract.ENV_STAGING_INPUT_PREFIX: self.input_prefix(agent),
            contract.ENV_STAGING_OUTPUT_PREFIX: self.output_prefix(agent),
        }

    # -- grants --------------------------------------------------------------------------------------

    def _objects(self, prefix: str) -> str:
        # Bucket.arnForObjects is the bucket ARN, '/' and the key pattern; the ARN is read once.
        if self._bucket_arn is None:
            self._bucket_arn = self.bucket.bucket_arn
        return f"{self._bucket_arn}/{prefix}*"

    def _nag_resource(self, prefix: str) -> str:
        if self._bucket_logical_id is None:
            # The logical id token of the bucket's L1, asked once (it resolves to whatever id the bucket ends up with).
            self._bucket_logical_id = stack_of(self).get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
        return f"Resource::<{self._bucket_logical_id}.Arn>/{prefix}*"

    def grant_presign_upload(self, grantee: iam.IGrantable, *, agent: IAgentCoreAgent | None = None) -> iam.Grant:
        """Allow ``grantee`` (a proxy) to sign upload URLs: ``s3:PutObject`` on the inputs prefix.

        A pre-signed URL carries the signer's permissions, so the signer needs the permission the URL
        exercises. With a KMS key, the grantee may also generate data keys with it.

        Args:
            grantee: the signer.
            agent: the one agent the signer serves: the grant covers ``inputs/<runtime_name>/*`` only.
                Default: every agent's inputs (``inputs/*``).
        """
        prefix = self.input_prefix(agent) if agent is not None else INPUTS_PREFIX
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(PRESIGN_UPLOAD_ACTIONS),
            resource_arns=[self._objects(prefix)],
        )
        if self.encryption_key is not None:
            self.encryption_key.grant_encrypt_decrypt(grantee)
        _acknowledge_on(
            grantee, "AwsSolutions-IAM5", [self._nag_resource(prefix)],
            "pre-signed upload URLs name random object keys generated per request under the staging "
            f"bucket's {prefix} prefix, so the signer's s3:PutObject grant covers that prefix",
        )
        self._acknowledge_key_grant(grantee)
        return grant

    def grant_presign_download(self, grantee: iam.IGrantable, *, agent: IAgentCoreAgent | None = None) -> iam.Grant:
        """Allow ``grantee`` (a proxy) to sign download URLs: ``s3:GetObject`` on the outputs and inputs prefixes.

        Args:
            grantee: the signer.
            agent: the one agent the signer serves: the grant covers ``outputs/<runtime_name>/*`` and
                ``inputs/<runtime_name>/*`` only. Default: every agent's (``outputs/*`` and ``inputs/*``).
        """
        if agent is not None:
            prefixes = [self.output_prefix(agent), self.input_prefix(agent)]
        else:
            prefixes = [OUTPUTS_PREFIX, INPUTS_PREFIX]
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(PRESIGN_DOWNLOAD_ACTIONS),
            resource_arns=[self._objects(prefix) for prefix in prefixes],
        )
        if self.encryption_key is not None:
            self.encryption_key.grant_decrypt(grantee)
        _acknowledge_on(
            grantee, "AwsSolutions-IAM5", [self._nag_resource(prefix) for prefix in prefixes],
            "pre-signed download URLs name result and input objects whose keys are chosen per request "
            f"under the staging bucket's {' and '.join(prefixes)} prefixes",
        )
        self._acknowledge_key_grant(grantee)
        return grant

    def grant_stage_answers(self, grantee: iam.IGrantable, *, agent: IAgentCoreAgent) -> iam.Grant:
        """Allow ``grantee`` (a REST proxy) to store buffered answers too large to return, under
        ``outputs/<runtime_name>/*`` of the one agent it serves (it hands them out with pre-signed downloads)."""
        prefix = self.output_prefix(agent)
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(PROXY_ANSWER_ACTIONS), resource_arns=[self._objects(prefix)]
        )
        if self.encryption_key is not None:
            self.encryption_key.grant_encrypt_decrypt(grantee)
        _acknowledge_on(
            grantee, "AwsSolutions-IAM5", [self._nag_resource(prefix)],
            f"answers too large to return are stored under random keys below each caller's segment of {prefix} in "
            "the staging bucket, so the proxy's s3:PutObject grant covers that prefix",
        )
        self._acknowledge_key_grant(grantee)
        return grant

    def grant_agent_access(self, agent: IAgentCoreAgent) -> iam.Grant:
        """Let ``agent`` read ``inputs/<runtime_name>/*`` and write ``outputs/<runtime_name>/*`` only (grants only:
        :meth:`bind` also tells the agent where they are).

        Args:
            agent: the agent (an :class:`~constructs_lib.agent.agent.AgentCoreAgent`, or an adopted runtime).

        Returns:
            the grant of the output statement (the input statement is added the same way).
        """
        require_agent(agent, "agent", path_of(self), grants=True)
        inputs, outputs = self.input_prefix(agent), self.output_prefix(agent)
        grantee = kernel_grantee(agent)
        iam.Grant.add_to_principal(
            grantee=grantee, actions=list(AGENT_INPUT_ACTIONS), resource_arns=[self._objects(inputs)]
        )
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(AGENT_OUTPUT_ACTIONS), resource_arns=[self._objects(outputs)]
        )
        if self.encryption_key is not None:
            self.encryption_key.grant_encrypt_decrypt(grantee)
        _acknowledge_on(
            agent, "AwsSolutions-IAM5", [self._nag_resource(inputs), self._nag_resource(outputs)],
            f"agent {agent.runtime_name} reads staged inputs and writes results under its own prefixes "
            f"{inputs} and {outputs} of the staging bucket; object keys are chosen per request",
        )
        self._acknowledge_key_grant(agent)
        return grant

    def bind(self, agent: IAgentCoreAgent) -> iam.Grant:
        """Give ``agent`` its staging prefixes: :meth:`grant_agent_access`, and the bucket name
        (``PAYLOAD_STAGING_BUCKET``) and its prefixes (``PAYLOAD_STAGING_INPUT_PREFIX``,
        ``PAYLOAD_STAGING_OUTPUT_PREFIX``) in its environment. A facade with ``staging`` calls it; binding twice is
        harmless.

        Returns:
            the grant of :meth:`grant_agent_access`.
        """
        grant = self.grant_agent_access(agent)
        agent.add_environment(contract.ENV_STAGING_BUCKET, self.bucket.bucket_name)
        agent.add_environment(contract.ENV_STAGING_INPUT_PREFIX, self.input_prefix(agent))
        agent.add_environment(contract.ENV_STAGING_OUTPUT_PREFIX, self.output_prefix(agent))
        return grant

    def _acknowledge_key_grant(self, grantee: Any) -> None:
        if self.encryption_key is None:
            return
        _acknowledge_on(
            grantee, "AwsSolutions-IAM5", ["Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"],
            "SSE-KMS on the staging bucket: S3 calls GenerateDataKey and ReEncrypt variants on the one key "
            "that encrypts the bucket (granted on that key only)",
        )

    def metric_bucket_size_bytes(self, **options: Any) -> cdk.aws_cloudwatch.Metric:
        """Daily storage metric ``BucketSizeBytes`` (Average, StandardStorage) of the staging bucket."""
        options.setdefault("statistic", "Average")
        options.setdefault("period", cdk.Duration.days(1))
        return cdk.aws_cloudwatch.Metric(
            namespace="AWS/S3",
            metric_name="BucketSizeBytes",
            dimensions_map={"BucketName": self.bucket.bucket_name, "StorageType": "StandardStorage"},
            **options,
        )


__all__ = ["INPUTS_PREFIX", "OUTPUTS_PREFIX", "PayloadStaging"]
