"""A Lambda handler that reports what it sees, for the harness's own tests (packaged from this folder)."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from typing import Any

import boto3


def _report(context: Any) -> dict[str, Any]:
    return {
        "remaining_ms": context.get_remaining_time_in_millis(),
        "function_name": context.function_name,
        "request_id": context.aws_request_id,
        "module": __file__,
        "repo_importable": importlib.util.find_spec("constructs_lib") is not None,
        "table": os.environ.get("TABLE"),
        "greeting": os.environ.get("GREETING"),
        "region": os.environ.get("AWS_REGION"),
        "dynamodb_endpoint": os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
    }


def handler(event: dict[str, Any], context: Any) -> Any:
    """Do what ``event["action"]`` (or the query string of an API Gateway event) says, then report."""
    query = event.get("queryStringParameters") or {}
    action = event.get("action") or query.get("action")
    if action == "sleep":
        time.sleep(float(event.get("seconds") or query.get("seconds") or 0))
    elif action == "raise":
        raise ValueError("the probe was asked to fail")
    elif action == "exit":
        os._exit(3)
    elif action == "put":
        boto3.client("dynamodb").put_item(TableName=os.environ["TABLE"], Item={"pk": {"S": event["pk"]}})
    elif action == "unstood":
        boto3.client("sqs").list_queues()
    report = _report(context)
    if "httpMethod" in event and action != "malformed":
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                "body": json.dumps({**report, "event": event})}
    return report
