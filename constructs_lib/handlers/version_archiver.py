"""Archive every version of AgentCore runtimes to S3, one JSON document per version, once it is settled.

Invoked by EventBridge for the CloudTrail events of runtime and endpoint creation and update (the runtime
named in the event is archived), and by a schedule that sweeps every version of every archived runtime,
the backstop for missed events. boto3 only; no CDK imports.

Each version becomes ``<prefix><runtimeId>/versions/<version>.json``::

    {"schema_version": 2, "agent_runtime_id": "...", "agent_runtime_version": "37", "status": "READY",
     "captured_at": "2026-09-01T12:00:00+00:00", "configuration_sha256": "...",
     "environment_variables": {"API_TOKEN": "<HMAC-SHA-256 digest, hex>"},
     "environment_digest": {"algorithm": "HMAC_SHA_256", "key_arn": "arn:aws:kms:...", "message": "..."},
     "configuration": {... GetAgentRuntime(agentRuntimeId, agentRuntimeVersion), without environment values ...}}

**Settled states only.** A version is archived when its status is terminal (:data:`TERMINAL_STATUSES`: ``READY``,
``CREATE_FAILED``, ``UPDATE_FAILED``, ``DELETE_FAILED``, and ``DELETING``, the last state a version shows before it is
gone). A version
still ``CREATING`` or ``UPDATING`` is not written: it is reported ``pending`` and the invocation fails, so Lambda
retries it (and the daily sweep is the backstop). A status the archiver does not know is a failure naming it.

**Environment values are never stored.** Runtime environment variables may hold secrets. The document keeps each
variable's name and a keyed digest of its value: HMAC-SHA-256 computed by AWS KMS with the archive's own HMAC key
(``GenerateMac``), over the message ``["<name>", "<SHA-256 of the value, hex>"]`` (compact JSON). A bare SHA-256 of a
low-entropy secret (a short password, a PIN) can be reversed offline by anyone who reads the archive, by trying
candidates; the keyed digest cannot be computed without the key, which never leaves KMS, so every guess is a KMS call
that IAM authorizes and CloudTrail records. The digest still answers the audit questions: did the value change between
two versions (equal digests), and is it a given value (``kms:VerifyMac``, granted by
``AgentVersionArchive.grant_verify_environment_digests``). The name is part of the message, so two variables holding
the same value do not show equal digests. ``configuration_sha256`` is computed over the document's configuration
(values removed), for the same reason.

**Documents are rewritten when they are not final.** A document is final when its S3 metadata names this schema
version and a terminal status. Any other existing document (one written by an earlier release, which may hold a
transient status or environment values) is read again from the control plane and, once terminal, replaced with
``If-Match`` on the ETag seen, so two overlapping runs cannot both replace it. Earlier S3 object versions of a
replaced document stay in the versioned bucket: delete them if they hold values that must not be kept.

Idempotent: a final document is skipped without spending a control-plane Get call (``head_object``). A new document is
written with ``If-None-Match: *``: of two overlapping runs (an event and the sweep) the second gets HTTP 412 and counts
the version as already archived. Re-running changes nothing: no new object, no new S3 version.

Control-plane rate limits are respected by botocore's adaptive retry mode (client-side rate limiting plus exponential
backoff on ``ThrottlingException``); there is no home-made sleep loop. Versions that still fail, or are pending, are
reported together at the end and the invocation fails, so Lambda retries it and finally sends the event to the
dead-letter queue (which has an alarm).

Environment (``AgentVersionArchive`` sets every required variable, named in ``contract``; the handler has no fallback
of its own, so a missing one fails the function's start with a message naming it): the archive bucket, the key prefix,
the comma-separated runtime ids this function archives (may be empty: events for other runtimes are ignored, and a
sweep without ``agentRuntimeIds`` in its input covers all of them), botocore's ``total_max_attempts`` for the control
plane, the invocation time left below which no new version is started, the HMAC key's ARN, and optionally the page
size of ListAgentRuntimeVersions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

try:  # inside the package (tests, other modules)
    from constructs_lib.handlers import contract
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import contract  # type: ignore[no-redef]

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)

#: The variables the function cannot start without.
REQUIRED_ENVIRONMENT: tuple[str, ...] = (
    contract.ENV_ARCHIVE_BUCKET,
    contract.ENV_ARCHIVE_PREFIX,
    contract.ENV_ARCHIVED_RUNTIME_IDS,
    contract.ENV_CONTROL_PLANE_MAX_ATTEMPTS,
    contract.ENV_DEADLINE_MARGIN_SECONDS,
    contract.ENV_ENVIRONMENT_DIGEST_KEY_ARN,
)

#: Version of the document layout (2: settled states only, environment values replaced by keyed digests).
SCHEMA_VERSION = 2
#: S3 user metadata key holding the SHA-256 of the canonical configuration JSON.
SHA256_METADATA_KEY = "configuration-sha256"
#: S3 user metadata key holding the document's schema version (absent on documents of schema 1).
SCHEMA_METADATA_KEY = "schema-version"
#: S3 user metadata key holding the archived version's status.
STATUS_METADATA_KEY = "runtime-status"
#: EventBridge detail-type of CloudTrail management events.
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
#: CloudTrail event names that create a runtime version or move an endpoint.
RUNTIME_EVENT_NAMES = frozenset(contract.ARCHIVER_EVENT_NAMES)

#: Statuses of ``AgentRuntimeStatus`` (botocore's bedrock-agentcore-control model) a version does not leave by itself:
#: its configuration is settled. ``DELETING`` ends with the version gone, so it is the last state that can be archived;
#: after ``DELETE_FAILED`` the version stays as it was.
TERMINAL_STATUSES = frozenset({"READY", "CREATE_FAILED", "UPDATE_FAILED", "DELETING", "DELETE_FAILED"})
#: Statuses a version passes through on its way to a terminal one: not archived yet.
TRANSIENT_STATUSES = frozenset({"CREATING", "UPDATING"})
#: The KMS MAC algorithm of the environment digests.
MAC_ALGORITHM = "HMAC_SHA_256"
#: How the digested message is built, as written into every document.
DIGEST_MESSAGE = 'compact JSON ["<name>", "<SHA-256 of the UTF-8 value, hex>"]'
#: The GetAgentRuntime member holding the environment.
ENVIRONMENT_MEMBER = "environmentVariables"


class ArchiverConfigurationError(contract.ConfigurationError):
    """The function's environment lacks a variable it needs (the construct sets them all)."""


def retry_config(total_max_attempts: int) -> Config:
    """botocore configuration for the control plane: adaptive retry mode (rate limiting and backoff)."""
    return Config(retries={"mode": "adaptive", "total_max_attempts": total_max_attempts})


def object_key(prefix: str, agent_runtime_id: str, version: str) -> str:
    """The deterministic key of one version's document."""
    return f"{prefix}{agent_runtime_id}/versions/{version}.json"


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """Sorted, compact JSON (timestamps as ISO 8601), so equal content has equal bytes and hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default).encode()


def digest_message(name: str, value: str) -> bytes:
    """The message whose HMAC is stored for one environment variable (see the module docstring).

    The value enters as its SHA-256, so the message stays within KMS's MAC message size whatever the value's length;
    the digest is keyed all the same, because the SHA-256 never leaves the function.
    """
    return json.dumps([name, hashlib.sha256(value.encode()).hexdigest()], separators=(",", ":")).encode()


class VersionArchiveError(RuntimeError):
    """Some versions could not be archived; the message lists each with its reason."""


@dataclass
class ArchiveReport:
    """What one invocation did.

    Attributes:
        written: keys of the documents written for the first time.
        rewritten: keys of documents replaced because they were not final.
        existing: keys that were already archived (skipped).
        pending: ``runtimeId:version`` of versions not settled yet (not archived; retried).
        failed: ``runtimeId:version`` (or ``runtimeId``) to the reason it failed.
        incomplete: runtime ids not processed because the invocation ran out of time.
        ignored: why the event was ignored, if it was.
    """

    written: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    incomplete: list[str] = field(default_factory=list)
    ignored: str | None = None

    @property
    def unfinished(self) -> bool:
        """Whether anything is left to do (the invocation then fails, to be retried)."""
        return bool(self.failed or self.incomplete or self.pending)

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-friendly mapping (the function's return value)."""
        return {
            "written": len(self.written),
            "rewritten": len(self.rewritten),
            "existing": len(self.existing),
            "pending": list(self.pending),
            "failed": dict(self.failed),
            "incomplete": list(self.incomplete),
            "ignored": self.ignored,
        }


@dataclass(frozen=True)
class _Stored:
    """What S3 says about a version's existing document."""

    etag: str
    final: bool


class EnvironmentDigester:
    """Keyed digests of environment values, computed by KMS (``GenerateMac``) with one HMAC key.

    Args:
        kms_client: a KMS client.
        key_arn: the HMAC key (``HMAC_256``, usage ``GENERATE_VERIFY_MAC``).
    """

    def __init__(self, *, kms_client: Any, key_arn: str) -> None:
        self.kms = kms_client
        self.key_arn = key_arn
        # Digests already computed in this execution environment, by message (which holds no value, only its SHA-256):
        # the same variable keeps its value across many versions, so a sweep asks KMS once per distinct pair.
        self._cache: dict[bytes, str] = {}

    def digest(self, name: str, value: str) -> str:
        """The hexadecimal HMAC-SHA-256 of ``name`` and ``value``."""
        message = digest_message(name, value)
        if message not in self._cache:
            answer = self.kms.generate_mac(KeyId=self.key_arn, Message=message, MacAlgorithm=MAC_ALGORITHM)
            self._cache[message] = bytes(answer["Mac"]).hex()
        return self._cache[message]

    def describe(self) -> dict[str, str]:
        """How the digests were made, as written into every document."""
        return {"algorithm": MAC_ALGORITHM, "key_arn": self.key_arn, "message": DIGEST_MESSAGE}


class VersionArchiver:
    """Copies settled runtime versions from the AgentCore control plane to S3.

    Args:
        control_client: a ``bedrock-agentcore-control`` client (use :func:`retry_config`).
        s3_client: an S3 client.
        digester: computes the keyed digests of environment values.
        bucket: the archive bucket.
        prefix: key prefix of the documents.
        page_size: ``maxResults`` per ListAgentRuntimeVersions page. Default: the service default.
        clock: returns the capture time. Default: the current UTC time.
        remaining_ms: returns the invocation's remaining time; when it falls below ``deadline_margin_ms`` the
            sweep stops and reports the rest as incomplete. Default: no deadline.
        deadline_margin_ms: the remaining time below which no new version is started. Required with
            ``remaining_ms``.
    """

    def __init__(
        self,
        *,
        control_client: Any,
        s3_client: Any,
        digester: EnvironmentDigester,
        bucket: str,
        prefix: str,
        page_size: int | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        remaining_ms: Callable[[], int] | None = None,
        deadline_margin_ms: int | None = None,
    ) -> None:
        if remaining_ms is not None and deadline_margin_ms is None:
            raise ArchiverConfigurationError("a deadline (remaining_ms) needs deadline_margin_ms")
        self.control = control_client
        self.s3 = s3_client
        self.digester = digester
        self.bucket = bucket
        self.prefix = prefix
        self.page_size = page_size
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.remaining_ms = remaining_ms
        self.deadline_margin_ms = deadline_margin_ms

    def list_versions(self, agent_runtime_id: str) -> list[str]:
        """Every version of a runtime, following ``nextToken`` through all pages."""
        paginator = self.control.get_paginator("list_agent_runtime_versions")
        config = {"PageSize": self.page_size} if self.page_size else {}
        versions: list[str] = []
        for page in paginator.paginate(agentRuntimeId=agent_runtime_id, PaginationConfig=config):
            versions.extend(item["agentRuntimeVersion"] for item in page.get("agentRuntimes", []))
        return versions

    def stored(self, key: str) -> _Stored | None:
        """The existing document's ETag and whether it is final, or ``None`` (a 404; other errors propagate).

        S3 answers 404 for a missing key only to a caller allowed ``s3:ListBucket`` on the bucket (else
        403, which propagates): the construct grants it.
        """
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        metadata = head.get("Metadata") or {}
        final = metadata.get(SCHEMA_METADATA_KEY) == str(SCHEMA_VERSION) and (
            metadata.get(STATUS_METADATA_KEY) in TERMINAL_STATUSES
        )
        return _Stored(str(head["ETag"]), final)

    def document(self, agent_runtime_id: str, version: str, response: Mapping[str, Any]) -> dict[str, Any]:
        """The document of one version: the configuration without environment values, and their digests."""
        configuration = {k: v for k, v in response.items() if k not in ("ResponseMetadata", ENVIRONMENT_MEMBER)}
        environment = response.get(ENVIRONMENT_MEMBER) or {}
        return {
            "schema_version": SCHEMA_VERSION,
            "agent_runtime_id": agent_runtime_id,
            "agent_runtime_version": version,
            "status": configuration.get("status"),
            "captured_at": self.clock().isoformat(),
            "configuration_sha256": hashlib.sha256(canonical_json(configuration)).hexdigest(),
            "environment_variables": {
                name: self.digester.digest(name, str(value)) for name, value in sorted(environment.items())
            },
            "environment_digest": self.digester.describe(),
            "configuration": configuration,
        }

    def archive_version(self, agent_runtime_id: str, version: str) -> str:
        """Archive one version; returns ``"written"``, ``"rewritten"``, ``"existing"`` or ``"pending"``.

        Raises:
            VersionArchiveError: the control plane answered for another version, or with a status the archiver does
                not know (nothing is written).
        """
        key = object_key(self.prefix, agent_runtime_id, version)
        stored = self.stored(key)
        if stored is not None and stored.final:
            return "existing"
        response = self.control.get_agent_runtime(agentRuntimeId=agent_runtime_id, agentRuntimeVersion=version)
        returned = str(response.get("agentRuntimeVersion", ""))
        if returned != version:
            raise VersionArchiveError(
                f"GetAgentRuntime returned version {returned!r} when asked for {version!r}; not archived"
            )
        status = str(response.get("status", ""))
        if status in TRANSIENT_STATUSES:
            return "pending"
        if status not in TERMINAL_STATUSES:
            raise VersionArchiveError(
                f"version {version} has status {status!r}, which the archiver does not know (terminal: "
                f"{', '.join(sorted(TERMINAL_STATUSES))}; transient: {', '.join(sorted(TRANSIENT_STATUSES))}); "
                "not archived"
            )
        document = self.document(agent_runtime_id, version, response)
        condition = {"IfNoneMatch": "*"} if stored is None else {"IfMatch": stored.etag}
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=canonical_json(document),
                ContentType="application/json",
                Metadata={
                    SHA256_METADATA_KEY: document["configuration_sha256"],
                    SCHEMA_METADATA_KEY: str(SCHEMA_VERSION),
                    STATUS_METADATA_KEY: status,
                },
                **condition,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                return "existing"  # an overlapping run wrote (or replaced) it first
            raise
        return "written" if stored is None else "rewritten"

    def _out_of_time(self) -> bool:
        if self.remaining_ms is None or self.deadline_margin_ms is None:
            return False
        return self.remaining_ms() < self.deadline_margin_ms

    def archive_runtime(self, agent_runtime_id: str, report: ArchiveReport) -> bool:
        """Archive every version of one runtime into ``report``; failures are recorded, not raised.

        Returns:
            False when time ran out before every version was looked at (the runtime is then reported
            incomplete; a retry skips the versions already archived).
        """
        try:
            versions = self.list_versions(agent_runtime_id)
        except ClientError as error:
            report.failed[agent_runtime_id] = _reason(error)
            return True
        for version in versions:
            # A runtime may hold up to the versions-per-agent quota of versions: check the deadline per version,
            # not only per runtime, so the invocation reports and fails instead of being killed mid-write.
            if self._out_of_time():
                return False
            try:
                outcome = self.archive_version(agent_runtime_id, version)
            except (ClientError, VersionArchiveError) as error:
                report.failed[f"{agent_runtime_id}:{version}"] = _reason(error)
                continue
            if outcome == "pending":
                report.pending.append(f"{agent_runtime_id}:{version}")
            else:
                getattr(report, outcome).append(object_key(self.prefix, agent_runtime_id, version))
        return True

    def sweep(self, agent_runtime_ids: Iterable[str]) -> ArchiveReport:
        """Archive every version of each runtime; stops early (reporting the rest) when time runs out."""
        report = ArchiveReport()
        ids = list(dict.fromkeys(agent_runtime_ids))
        for index, agent_runtime_id in enumerate(ids):
            if self._out_of_time() or not self.archive_runtime(agent_runtime_id, report):
                report.incomplete = ids[index:]
                break
        return report


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        err = error.response.get("Error", {})
        return f"{err.get('Code', 'Error')}: {err.get('Message', str(error))}"
    return str(error)


def runtime_id_from_event(event: Mapping[str, Any]) -> str | None:
    """The runtime id a CloudTrail event is about (response first, then request, then an ARN)."""
    detail = event.get("detail") or {}
    for section in ("responseElements", "requestParameters"):
        values = detail.get(section) or {}
        if values.get("agentRuntimeId"):
            return str(values["agentRuntimeId"])
        arn = values.get("agentRuntimeArn")
        if isinstance(arn, str) and ":runtime/" in arn:
            return arn.split(":runtime/", 1)[1].split("/", 1)[0]
    return None


def allowed_runtime_ids(environ: Mapping[str, str]) -> list[str]:
    """The runtime ids this function archives, from its environment."""
    return [part.strip() for part in environ[contract.ENV_ARCHIVED_RUNTIME_IDS].split(",") if part.strip()]


def process(event: Mapping[str, Any], archiver: VersionArchiver, allowed: list[str]) -> ArchiveReport:
    """Decide what an event asks for and do it (the handler without AWS client construction)."""
    if event.get("detail-type") == CLOUDTRAIL_DETAIL_TYPE:
        detail = event.get("detail") or {}
        name = detail.get("eventName")
        if name not in RUNTIME_EVENT_NAMES:
            return ArchiveReport(ignored=f"event {name!r} does not create a version")
        if detail.get("errorCode"):
            return ArchiveReport(ignored=f"{name} failed with {detail.get('errorCode')}; nothing to archive")
        runtime_id = runtime_id_from_event(event)
        if runtime_id is None or runtime_id not in allowed:
            return ArchiveReport(ignored=f"runtime {runtime_id!r} is not archived by this function")
        return archiver.sweep([runtime_id])
    requested = event.get("agentRuntimeIds")
    ids = [str(i) for i in requested] if requested else allowed
    return archiver.sweep(ids)


_ARCHIVER: VersionArchiver | None = None


def build_archiver(environ: Mapping[str, str], remaining_ms: Callable[[], int] | None = None) -> VersionArchiver:
    """An archiver with real clients, configured from the environment.

    Raises:
        ArchiverConfigurationError: when a required variable is missing (:data:`REQUIRED_ENVIRONMENT`).
    """
    missing = [name for name in REQUIRED_ENVIRONMENT if name not in environ]
    if missing:
        raise ArchiverConfigurationError(
            f"version archiver: missing environment variables {', '.join(missing)} (AgentVersionArchive sets them)"
        )
    page_size = environ.get(contract.ENV_LIST_PAGE_SIZE)
    standard = Config(retries={"mode": "standard"})
    max_attempts = int(contract.require_number(environ, contract.ENV_CONTROL_PLANE_MAX_ATTEMPTS))
    return VersionArchiver(
        control_client=boto3.client("bedrock-agentcore-control", config=retry_config(max_attempts)),
        s3_client=boto3.client("s3", config=standard),
        digester=EnvironmentDigester(
            kms_client=boto3.client("kms", config=standard),
            key_arn=contract.require(environ, contract.ENV_ENVIRONMENT_DIGEST_KEY_ARN),
        ),
        bucket=contract.require(environ, contract.ENV_ARCHIVE_BUCKET),
        prefix=contract.require(environ, contract.ENV_ARCHIVE_PREFIX),
        page_size=int(page_size) if page_size else None,
        remaining_ms=remaining_ms,
        deadline_margin_ms=int(contract.require_number(environ, contract.ENV_DEADLINE_MARGIN_SECONDS) * 1000),
    )


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point: archive, log a summary, and fail the invocation if anything is left to do."""
    global _ARCHIVER
    if _ARCHIVER is None:
        _ARCHIVER = build_archiver(os.environ)
    _ARCHIVER.remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    report = process(event, _ARCHIVER, allowed_runtime_ids(os.environ))
    summary = report.as_dict()
    LOGGER.info(json.dumps({"message": "version archive run", **summary}))
    if report.unfinished:
        # Failing the invocation makes Lambda retry it (idempotently) and then dead-letter the event.
        raise VersionArchiveError(
            json.dumps({"failed": report.failed, "incomplete": report.incomplete, "pending": report.pending})
        )
    return summary
