"""Archive every version of AgentCore runtimes to S3, one JSON document per version.

Invoked by EventBridge for the CloudTrail events of runtime and endpoint creation and update (the runtime
named in the event is archived), and by a schedule that sweeps every version of every archived runtime,
the backstop for missed events. boto3 only; no CDK imports.

Each version becomes ``<prefix><runtimeId>/versions/<version>.json``::

    {"schema_version": 1, "agent_runtime_id": "...", "agent_runtime_version": "37",
     "captured_at": "2026-09-01T12:00:00+00:00", "configuration_sha256": "...",
     "configuration": {... the full GetAgentRuntime(agentRuntimeId, agentRuntimeVersion) response ...}}

Idempotent: a runtime version is immutable, so a version whose document exists (``head_object``) is
skipped without spending a control-plane Get call. A new document is written with ``If-None-Match: *``,
so two overlapping runs (an event and the sweep) cannot both write it: the second gets HTTP 412 and
counts the version as already archived. Re-running changes nothing: no new object, no new S3 version.

Control-plane rate limits are respected by botocore's adaptive retry mode (client-side rate limiting
plus exponential backoff on ``ThrottlingException``); there is no home-made sleep loop. Versions that
still fail are reported together at the end and the invocation fails, so Lambda retries it and finally
sends the event to the dead-letter queue (which has an alarm).

Environment (``AgentVersionArchive`` sets every required variable; the handler has no fallback of its own, so a
missing one fails the function's start with a message naming it):
    ARCHIVE_BUCKET: the archive bucket.
    ARCHIVE_PREFIX: key prefix of the documents.
    ARCHIVED_RUNTIME_IDS: comma-separated runtime ids this function archives (may be empty); events for other
        runtimes are ignored, and a sweep without ``agentRuntimeIds`` in its input covers all of them.
    CONTROL_PLANE_MAX_ATTEMPTS: botocore ``total_max_attempts`` for the control plane (the first call included).
    DEADLINE_MARGIN_SECONDS: invocation time left below which no new version is started.
    LIST_PAGE_SIZE: optional ``maxResults`` per ListAgentRuntimeVersions page; unset, the service chooses.
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

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)

ENV_BUCKET = "ARCHIVE_BUCKET"
ENV_PREFIX = "ARCHIVE_PREFIX"
ENV_RUNTIME_IDS = "ARCHIVED_RUNTIME_IDS"
ENV_MAX_ATTEMPTS = "CONTROL_PLANE_MAX_ATTEMPTS"
ENV_DEADLINE_MARGIN = "DEADLINE_MARGIN_SECONDS"
ENV_PAGE_SIZE = "LIST_PAGE_SIZE"
#: The variables the function cannot start without.
REQUIRED_ENVIRONMENT: tuple[str, ...] = (ENV_BUCKET, ENV_PREFIX, ENV_RUNTIME_IDS, ENV_MAX_ATTEMPTS, ENV_DEADLINE_MARGIN)

#: Version of the document layout.
SCHEMA_VERSION = 1
#: S3 user metadata key holding the SHA-256 of the canonical configuration JSON.
SHA256_METADATA_KEY = "configuration-sha256"
#: EventBridge detail-type of CloudTrail management events.
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
#: CloudTrail event names that create a runtime version or move an endpoint.
RUNTIME_EVENT_NAMES = frozenset(
    {
        "CreateAgentRuntime",
        "UpdateAgentRuntime",
        "CreateAgentRuntimeEndpoint",
        "UpdateAgentRuntimeEndpoint",
    }
)


class ArchiverConfigurationError(RuntimeError):
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


class VersionArchiveError(RuntimeError):
    """Some versions could not be archived; the message lists each with its reason."""


@dataclass
class ArchiveReport:
    """What one invocation did.

    Attributes:
        written: keys of the documents written.
        existing: keys that were already archived (skipped).
        failed: ``runtimeId:version`` (or ``runtimeId``) to the reason it failed.
        incomplete: runtime ids not processed because the invocation ran out of time.
        ignored: why the event was ignored, if it was.
    """

    written: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    incomplete: list[str] = field(default_factory=list)
    ignored: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-friendly mapping (the function's return value)."""
        return {
            "written": len(self.written),
            "existing": len(self.existing),
            "failed": dict(self.failed),
            "incomplete": list(self.incomplete),
            "ignored": self.ignored,
        }


class VersionArchiver:
    """Copies runtime versions from the AgentCore control plane to S3.

    Args:
        control_client: a ``bedrock-agentcore-control`` client (use :func:`retry_config`).
        s3_client: an S3 client.
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

    def is_archived(self, key: str) -> bool:
        """Whether the document exists (a 404 means it does not; other errors propagate).

        S3 answers 404 for a missing key only to a caller allowed ``s3:ListBucket`` on the bucket (else
        403, which propagates): the construct grants it.
        """
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def archive_version(self, agent_runtime_id: str, version: str) -> tuple[str, bool]:
        """Archive one version; returns ``(key, written)`` where ``written`` is False if it existed."""
        key = object_key(self.prefix, agent_runtime_id, version)
        if self.is_archived(key):
            return key, False
        response = self.control.get_agent_runtime(agentRuntimeId=agent_runtime_id, agentRuntimeVersion=version)
        configuration = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        returned = str(configuration.get("agentRuntimeVersion", ""))
        if returned != version:
            raise VersionArchiveError(
                f"GetAgentRuntime returned version {returned!r} when asked for {version!r}; not archived"
            )
        digest = hashlib.sha256(canonical_json(configuration)).hexdigest()
        document = {
            "schema_version": SCHEMA_VERSION,
            "agent_runtime_id": agent_runtime_id,
            "agent_runtime_version": version,
            "captured_at": self.clock().isoformat(),
            "configuration_sha256": digest,
            "configuration": configuration,
        }
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=canonical_json(document),
                ContentType="application/json",
                Metadata={SHA256_METADATA_KEY: digest},
                IfNoneMatch="*",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                return key, False  # an overlapping run archived it first
            raise
        return key, True

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
                key, written = self.archive_version(agent_runtime_id, version)
            except (ClientError, VersionArchiveError) as error:
                report.failed[f"{agent_runtime_id}:{version}"] = _reason(error)
                continue
            (report.written if written else report.existing).append(key)
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
    """The runtime ids this function archives, from ``ARCHIVED_RUNTIME_IDS``."""
    return [part.strip() for part in environ[ENV_RUNTIME_IDS].split(",") if part.strip()]


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
    page_size = environ.get(ENV_PAGE_SIZE)
    return VersionArchiver(
        control_client=boto3.client("bedrock-agentcore-control", config=retry_config(int(environ[ENV_MAX_ATTEMPTS]))),
        s3_client=boto3.client("s3", config=Config(retries={"mode": "standard"})),
        bucket=environ[ENV_BUCKET],
        prefix=environ[ENV_PREFIX],
        page_size=int(page_size) if page_size else None,
        remaining_ms=remaining_ms,
        deadline_margin_ms=int(float(environ[ENV_DEADLINE_MARGIN]) * 1000),
    )


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point: archive, log a summary, and fail the invocation if any version failed."""
    global _ARCHIVER
    if _ARCHIVER is None:
        _ARCHIVER = build_archiver(os.environ)
    _ARCHIVER.remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    report = process(event, _ARCHIVER, allowed_runtime_ids(os.environ))
    summary = report.as_dict()
    LOGGER.info(json.dumps({"message": "version archive run", **summary}))
    if report.failed or report.incomplete:
        # Failing the invocation makes Lambda retry it (idempotently) and then dead-letter the event.
        raise VersionArchiveError(json.dumps({"failed": report.failed, "incomplete": report.incomplete}))
    return summary
