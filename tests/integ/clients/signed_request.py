"""A Lambda function that calls an IAM-authenticated REST API with SigV4 and returns what it answered.

The integ apps' assertions invoke it (integ-tests-alpha ``invoke_function``) because ``HttpApiCall`` cannot sign
requests: this way a request goes through the whole front door a client uses (API Gateway's IAM authorization,
request validation and throttling, the Lambda proxy, AgentCore, the agent), not around it.

Event: ``{"method": "POST", "path": "/invoke", "body": {...}}`` (``body`` optional, sent as JSON).
Answer: ``{"status": <HTTP status>, "json": <the body parsed as JSON, or null>, "text": <the body>}``; an HTTP error
status is an answer, not a failure of the function, so an assertion can see it.

Environment: ``API_URL``, the stage's base URL; ``AWS_REGION`` (set by Lambda). Only botocore, which the Lambda
Python runtime ships, is imported.
"""

from __future__ import annotations

import json
import os
from typing import Any

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.httpsession import URLLib3Session

#: The SigV4 service name of API Gateway's data plane.
SERVICE = "execute-api"
#: Seconds the client waits for the API (above API Gateway's integration timeout, below the function's).
READ_TIMEOUT_SECONDS = 40


def signed_request(method: str, url: str, body: Any | None, region: str) -> AWSRequest:
    """The request, signed with the function's credentials for ``execute-api`` in ``region``."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {} if data is None else {"Content-Type": "application/json"}
    request = AWSRequest(method=method, url=url, data=data, headers=headers)
    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials to sign the request with")
    SigV4Auth(credentials.get_frozen_credentials(), SERVICE, region).add_auth(request)
    return request


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Send the signed request described by ``event`` and return the status and body."""
    url = os.environ["API_URL"].rstrip("/") + "/" + str(event["path"]).lstrip("/")
    request = signed_request(str(event["method"]).upper(), url, event.get("body"), os.environ["AWS_REGION"])
    response = URLLib3Session(timeout=READ_TIMEOUT_SECONDS).send(request.prepare())
    text = response.content.decode("utf-8", "replace")
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = None
    return {"status": response.status_code, "json": parsed, "text": text}
