"""API Gateway's Lambda proxy events: REST (payload format 1.0) and WebSocket (``$connect``, messages, ``$disconnect``).

Shapes follow the API Gateway developer guide ("Input format of a Lambda function for proxy integration",
"WebSocket API Lambda proxy integration"): headers and query strings in single- and multi-value forms, path
parameters, ``requestContext`` with the stage, request and API ids, the caller's ``identity`` and, for an
authorizer, ``authorizer``. A body that is not UTF-8 text is passed base64-encoded (``isBase64Encoded``),
as for an API with binary media types.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tests.harness.callers import Caller, base_identity


@dataclass(frozen=True)
class ApiContext:
    """What every event of one API shares.

    Attributes:
        api_id: the API id.
        stage: the stage name.
        account: the API's account.
        region: the API's region.
    """

    api_id: str
    stage: str
    account: str
    region: str

    @property
    def domain_name(self) -> str:
        """``<api id>.execute-api.<region>.amazonaws.com``."""
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"


def _body(data: bytes) -> tuple[str | None, bool]:
    if not data:
        return None, False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), True


def _single_and_multi(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _now() -> tuple[str, int]:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%d/%b/%Y:%H:%M:%S +0000"), int(time.time() * 1000)


def caller_context(caller: Caller | None, source_ip: str, user_agent: str) -> dict[str, Any]:
    """``identity`` and, when there is one, ``authorizer`` for ``requestContext``."""
    if caller is None:
        return {"identity": base_identity(source_ip, user_agent)}
    context: dict[str, Any] = {"identity": caller.identity(source_ip, user_agent)}
    authorizer = caller.authorizer()
    if authorizer is not None:
        context["authorizer"] = authorizer
    return context


def rest_event(
    api: ApiContext, *, method: str, path: str, resource_path: str, path_parameters: Mapping[str, str],
    query: Sequence[tuple[str, str]], headers: Sequence[tuple[str, str]], body: bytes, caller: Caller | None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """A REST proxy event for one request (``caller`` ``None``: an unauthenticated request)."""
    request_id = str(uuid.uuid4())
    request_time, epoch = _now()
    user_agent = next((v for k, v in headers if k.lower() == "user-agent"), "")
    trace = f"Root=1-{epoch // 1000:08x}-{uuid.uuid4().hex[:24]}"
    forwarded = [("Host", api.domain_name), ("X-Forwarded-For", source_ip), ("X-Forwarded-Port", "443"),
                 ("X-Forwarded-Proto", "https"), ("X-Amzn-Trace-Id", trace)]
    kept = [(k, v) for k, v in headers if k.lower() not in {n.lower() for n, _ in forwarded}]
    single_headers, multi_headers = _single_and_multi([*kept, *forwarded])
    single_query, multi_query = _single_and_multi(query)
    text, encoded = _body(body)
    return {
        "resource": resource_path,
        "path": path,
        "httpMethod": method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": api.account, "apiId": api.api_id, "domainName": api.domain_name,
            "domainPrefix": api.api_id, "extendedRequestId": uuid.uuid4().hex[:16], "httpMethod": method,
            "path": f"/{api.stage}{path}", "protocol": "HTTP/1.1", "requestId": request_id,
            "requestTime": request_time, "requestTimeEpoch": epoch, "resourceId": uuid.uuid4().hex[:6],
            "resourcePath": resource_path, "stage": api.stage,
            **caller_context(caller, source_ip, user_agent),
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


@dataclass(frozen=True)
class WebSocketConnection:
    """What API Gateway knows of one WebSocket connection."""

    connection_id: str
    connected_at_ms: int
    caller: Caller | None
    source_ip: str = "127.0.0.1"
    user_agent: str = "harness"


def websocket_event(
    api: ApiContext, connection: WebSocketConnection, route_key: str, *,
    body: str | None = None, query: Sequence[tuple[str, str]] = (), headers: Sequence[tuple[str, str]] = (),
    disconnect_status: int | None = None,
) -> dict[str, Any]:
    """A WebSocket proxy event: ``$connect`` (headers, query), ``$disconnect`` (status) or a message (body)."""
    request_time, epoch = _now()
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
    context: dict[str, Any] = {
        "routeKey": route_key, "eventType": event_type, "extendedRequestId": uuid.uuid4().hex[:16],
        "requestTime": request_time, "messageDirection": "IN", "stage": api.stage,
        "connectedAt": connection.connected_at_ms, "requestTimeEpoch": epoch, "requestId": uuid.uuid4().hex[:16],
        "domainName": api.domain_name, "connectionId": connection.connection_id, "apiId": api.api_id,
        **caller_context(connection.caller, connection.source_ip, connection.user_agent),
    }
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if event_type == "CONNECT":
        single_headers, multi_headers = _single_and_multi(
            [("Host", api.domain_name), ("Sec-WebSocket-Version", "13"), *headers])
        single_query, multi_query = _single_and_multi(query)
        event.update(headers=single_headers, multiValueHeaders=multi_headers,
                     queryStringParameters=single_query, multiValueQueryStringParameters=multi_query)
    elif event_type == "MESSAGE":
        context["messageId"] = uuid.uuid4().hex[:16]
        event["body"] = body
    else:
        context["disconnectStatusCode"] = disconnect_status if disconnect_status is not None else 1000
        context["disconnectReason"] = ""
        event["headers"] = {"Host": api.domain_name, "X-Forwarded-For": connection.source_ip}
    return event
