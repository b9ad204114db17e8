"""The completion hook of the asynchronous job API: an agent reports progress and its result.

This module is the agent's side of the contract documented in :mod:`constructs_lib.jobs`. It uses boto3
only and imports nothing else from the library, so an agent can copy it next to its entry point (the
reference research agent does) or import it where the library is installed.

The agent's role gets ``dynamodb:UpdateItem`` on the job table and the table's name in
``AGENT_JOBS_TABLE_NAME`` from ``AgentJobs.bind`` (the facade calls it). Usage::

    report_progress(job_id, "read 3 of 10 sources")
    report_success(job_id, result="...")                 # or result_key="outputs/<runtime>/<job>.json"
    report_failure(job_id, "the source could not be read")

A finished job is final: reporting again after ``SUCCEEDED``, ``FAILED`` or ``CANCELLED`` (a client's
``DELETE /jobs/{jobId}``) changes nothing and returns False, like the proxy, which never overwrites a finished job.
"""

from __future__ import annotations

import os
import time
from typing import Any

#: Environment variable holding the job table's name.
ENV_TABLE = "AGENT_JOBS_TABLE_NAME"
RUNNING, SUCCEEDED, FAILED, CANCELLED = "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"

_NOT_FINISHED = "attribute_exists(jobId) AND NOT (#status IN (:succeeded, :failed, :cancelled))"


def _client() -> Any:
    import boto3  # noqa: PLC0415 - imported on first use so the module loads without boto3 for docs

    return boto3.client("dynamodb")


def _update(job_id: str, fields: dict[str, Any], *, table: str | None, client: Any | None) -> bool:
    names = {"#status": "status", **{f"#{name}": name for name in fields}}
    values = {
        ":succeeded": {"S": SUCCEEDED},
        ":failed": {"S": FAILED},
        ":cancelled": {"S": CANCELLED},
        ":now": {"N": str(int(time.time()))},
        **{f":{name}": value for name, value in fields.items()},
    }
    assignments = ", ".join(f"#{name} = :{name}" for name in fields)
    dynamodb = client or _client()
    try:
        dynamodb.update_item(
            TableName=table or os.environ[ENV_TABLE],
            Key={"jobId": {"S": job_id}},
            UpdateExpression=f"SET {assignments}, updatedAt = :now",
            ConditionExpression=_NOT_FINISHED,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def report_progress(job_id: str, progress: str, *, table: str | None = None, client: Any | None = None) -> bool:
    """Mark the job running with a progress note for the client. False if it is unknown or finished."""
    return _update(job_id, {"status": {"S": RUNNING}, "progress": {"S": progress}}, table=table, client=client)


def report_success(
    job_id: str,
    *,
    result: str | None = None,
    result_key: str | None = None,
    table: str | None = None,
    client: Any | None = None,
) -> bool:
    """Finish the job with an inline ``result`` or a ``result_key`` in the agent's staging output prefix.

    Returns False when the job is unknown or already finished.
    """
    if (result is None) == (result_key is None):
        raise ValueError("give result or result_key, not both")
    fields: dict[str, Any] = {"status": {"S": SUCCEEDED}}
    fields["result" if result is not None else "resultKey"] = {"S": result if result is not None else result_key}
    return _update(job_id, fields, table=table, client=client)


def report_failure(job_id: str, error: str, *, table: str | None = None, client: Any | None = None) -> bool:
    """Finish the job as failed with a message meant for the client (no internals). False if finished."""
    return _update(job_id, {"status": {"S": FAILED}, "error": {"S": error}}, table=table, client=client)
