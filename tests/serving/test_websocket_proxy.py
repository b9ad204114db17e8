"""The WebSocket proxy handler: DynamoDB in moto, AgentCore and the management API through botocore Stubbers
on the real service models. No AWS endpoint is called."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from moto import mock_aws

from constructs_lib.handlers import contract, staging_urls
from constructs_lib.handlers import websocket_proxy as wp
from constructs_lib.limits.service import SESSION_ID_MAX_LENGTH, SESSION_ID_MIN_LENGTH, SESSION_ID_PATTERN
from tests.serving._fixtures import PROXY_SETTINGS

RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/chat_agent-AbCdEf1234"
TABLE = "connections"
CONNECTION = "AbCdEfGhIjKlMnO="
SESSION = "session-" + "a" * 40
NOW = 1_800_000_000
STAGING_ENV = {
    contract.ENV_STAGING_BUCKET: "staging-bucket", contract.ENV_STAGING_URL_EXPIRY_SECONDS: "900",
    contract.ENV_STAGING_MAX_OBJECT_BYTES: "1048576", contract.ENV_STAGING_INPUT_PREFIX: "inputs/chat_agent/",
    contract.ENV_STAGING_OUTPUT_PREFIX: "outputs/chat_agent/",
}


class Posts:
    """Records what the proxy posts to connections (params as the client received them)."""

    def __init__(self, client: Any) -> None:
        self.frames: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        client.meta.events.register("provide-client-params.apigatewaymanagementapi.PostToConnection", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.raw.append(params["Data"])
        self.frames.append(json.loads(params["Data"]))

    def text(self) -> str:
        return "".join(f["data"] for f in self.frames if f["type"] == "chunk")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    no_retry = Config(retries={"total_max_attempts": 1})
    agentcore = boto3.client("bedrock-agentcore", region_name="us-east-1", config=no_retry)
    management = boto3.client(
        "apigatewaymanagementapi", region_name="us-east-1", config=no_retry,
        endpoint_url="https://abc123.execute-api.us-east-1.amazonaws.com/prod",
    )
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3 = staging_urls.s3_client("us-east-1")
        s3.create_bucket(Bucket="staging-bucket")
        dynamodb.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        )
        with Stubber(agentcore) as agent_stub, Stubber(management) as post_stub:
            yield {"dynamodb": dynamodb, "s3": s3, "agentcore": agentcore, "agent_stub": agent_stub,
                   "management": management, "post_stub": post_stub, "posts": Posts(management)}
            agent_stub.assert_no_pending_responses()
            post_stub.assert_no_pending_responses()


def proxy(aws: dict[str, Any], *, frame_bytes: int = 32768, fps: float = 250, sleeps: list[float] | None = None,
          staging: bool = False) -> wp.WebSocketProxy:
    environ = {
        **(STAGING_ENV if staging else {}), **PROXY_SETTINGS,
        contract.ENV_CONNECTIONS_TABLE: TABLE, contract.ENV_AGENT_RUNTIME_ARN: RUNTIME_ARN,
        contract.ENV_AGENT_QUALIFIER: "prod", contract.ENV_CALLBACK_URL: "https://abc123.example/prod",
        contract.ENV_FRAME_BYTES: str(frame_bytes), contract.ENV_MAX_FRAMES_PER_SECOND: str(fps),
        contract.ENV_CONNECTION_TTL_SECONDS: "10800",
    }
    record = sleeps if sleeps is not None else []
    return wp.WebSocketProxy(
        dynamodb=aws["dynamodb"], agentcore=aws["agentcore"], management=aws["management"], environ=environ,
        s3=aws["s3"],
        clock=lambda: 0.0, sleep=record.append, now=lambda: NOW,
    )


def event(route: str, body: str | None = None, query: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "requestContext": {"routeKey": route, "connectionId": CONNECTION, "domainName": "abc123.example",
                           "stage": "prod", "eventType": "MESSAGE"},
        "body": body, "isBase64Encoded": False, "queryStringParameters": query,
    }


def connected(aws: dict[str, Any], session: str = SESSION) -> None:
    proxy(aws).handle(event("$connect", query={"sessionId": session}))


def expect_invoke(aws: dict[str, Any], body: bytes, *, content_type: str = "application/json",
                  payload: Any = None, session: str = SESSION) -> None:
    aws["agent_stub"].add_response(
        "invoke_agent_runtime",
        {"response": StreamingBody(io.BytesIO(body), len(body)), "contentType": content_type,
         "runtimeSessionId": session, "statusCode": 200},
        {"agentRuntimeArn": RUNTIME_ARN, "qualifier": "prod", "runtimeSessionId": session,
         "payload": json.dumps(payload).encode() if payload is not None else ANY,
         "contentType": "application/json", "accept": "application/json, text/event-stream"},
    )


def expect_posts(aws: dict[str, Any], count: int) -> None:
    for _ in range(count):
        aws["post_stub"].add_response("post_to_connection", {}, {"ConnectionId": CONNECTION, "Data": ANY})


def item(aws: dict[str, Any]) -> dict[str, Any] | None:
    return aws["dynamodb"].get_item(TableName=TABLE, Key={"connectionId": {"S": CONNECTION}}).get("Item")


# -- connect / disconnect ------------------------------------------------------------------------------


def test_connect_stores_the_connection_with_a_new_session_and_ttl(aws: dict[str, Any]) -> None:
    assert proxy(aws).handle(event("$connect")) == {"statusCode": 200}
    stored = item(aws)
    assert stored is not None
    assert SESSION_ID_PATTERN.fullmatch(stored["sessionId"]["S"])
    assert SESSION_ID_MIN_LENGTH <= len(stored["sessionId"]["S"]) <= SESSION_ID_MAX_LENGTH
    assert stored["expiresAt"]["N"] == str(NOW + 10800)


def test_connect_keeps_a_valid_client_session_id(aws: dict[str, Any]) -> None:
    connected(aws)
    assert item(aws)["sessionId"]["S"] == SESSION  # type: ignore[index]


def test_connect_records_the_iam_caller(aws: dict[str, Any]) -> None:
    connect = event("$connect")
    connect["requestContext"]["identity"] = {"userArn": "arn:aws:iam::123456789012:user/alice"}
    proxy(aws).handle(connect)
    assert item(aws)["principal"]["S"] == "arn:aws:iam::123456789012:user/alice"  # type: ignore[index]


def test_connect_rejects_an_invalid_client_session_id(aws: dict[str, Any]) -> None:
    response = proxy(aws).handle(event("$connect", query={"sessionId": "too-short"}))
    assert response["statusCode"] == 400


def test_connect_rejects_a_session_id_with_a_trailing_newline(aws: dict[str, Any]) -> None:
    response = proxy(aws).handle(event("$connect", query={"sessionId": SESSION + "\n"}))
    assert response["statusCode"] == 400
    assert item(aws) is None


def test_disconnect_deletes_the_connection(aws: dict[str, Any]) -> None:
    connected(aws)
    assert proxy(aws).handle(event("$disconnect")) == {"statusCode": 200}
    assert item(aws) is None


# -- messages ------------------------------------------------------------------------------------------


def test_message_invokes_the_agent_and_posts_the_answer_back(aws: dict[str, Any]) -> None:
    # GIVEN a connected client
    connected(aws)
    answer = json.dumps({"result": "hello"}).encode()
    expect_invoke(aws, answer, payload={"prompt": "hi"})
    expect_posts(aws, 2)
    # WHEN it sends a message
    response = proxy(aws).handle(event("$default", json.dumps({"payload": {"prompt": "hi"}})))
    # THEN the agent is invoked on the connection's session and the answer is relayed, then an end frame
    assert response == {"statusCode": 200}
    posts = aws["posts"]
    assert posts.text() == answer.decode()
    assert posts.frames[-1] == {"type": "end", "seq": 1, "sessionId": SESSION, "contentType": "application/json"}


def test_message_session_id_override(aws: dict[str, Any]) -> None:
    connected(aws)
    other = "other-" + "b" * 40
    expect_invoke(aws, b"{}", session=other)
    expect_posts(aws, 2)
    proxy(aws).handle(event("$default", json.dumps({"payload": "x", "sessionId": other})))


def test_large_answer_is_split_into_frames_that_fit(aws: dict[str, Any]) -> None:
    # GIVEN a management API in moto (the number of frames is not known in advance)
    connected(aws)
    aws["management"] = boto3.client("apigatewaymanagementapi", region_name="us-east-1",
                                     endpoint_url="https://abc123.execute-api.us-east-1.amazonaws.com/prod")
    posts = Posts(aws["management"])
    answer = ("héllo wörld \"quoted\" ✓ " * 500).encode()  # multi-byte characters and escapes
    expect_invoke(aws, answer)
    # WHEN the answer is relayed with 1 KiB frames
    proxy(aws, frame_bytes=1024).handle(event("$default", json.dumps({"payload": {}})))
    # THEN every frame fits, in order, and the text survives intact
    assert posts.text() == answer.decode()
    assert all(len(raw) <= 1024 for raw in posts.raw)
    chunks = [f for f in posts.frames if f["type"] == "chunk"]
    assert [f["seq"] for f in chunks] == list(range(len(chunks)))
    assert len(chunks) > 10


def test_streaming_answer_is_relayed_event_by_event(aws: dict[str, Any]) -> None:
    connected(aws)
    events = b"".join(f"data: {{\"token\": \"t{i}\"}}\n\n".encode() for i in range(3))
    expect_invoke(aws, events, content_type="text/event-stream")
    expect_posts(aws, 2)
    proxy(aws).handle(event("$default", json.dumps({"payload": {"prompt": "stream"}})))
    posts = aws["posts"]
    assert posts.text() == events.decode()
    assert posts.frames[-1]["contentType"] == "text/event-stream"


def test_frames_are_paced_to_the_frame_rate(aws: dict[str, Any]) -> None:
    connected(aws)
    expect_invoke(aws, b"{}")
    expect_posts(aws, 2)
    sleeps: list[float] = []
    proxy(aws, fps=2, sleeps=sleeps).handle(event("$default", json.dumps({"payload": 1})))
    assert sleeps == [0.5]


@pytest.mark.parametrize(("error", "code", "status", "retry_after", "retryable"), [
    # the same status, code and Retry-After as the REST facade (the contract's one error map)
    ("ThrottlingException", "Throttled", 429, 1, True),
    ("ServiceQuotaExceededException", "SessionLimitReached", 429, 30, True),
    ("RetryableConflictException", "SessionBusy", 409, 1, True),
    ("ValidationException", "InvalidRequest", 400, None, False),
    ("AccessDeniedException", "AccessDenied", 403, None, False),
    ("ResourceNotFoundException", "AgentUnavailable", 502, None, False),
    ("InternalServerException", "AgentError", 502, None, True),
])
def test_agent_errors_become_error_frames(aws: dict[str, Any], error: str, code: str, status: int,
                                          retry_after: int | None, retryable: bool) -> None:
    # GIVEN AgentCore answers with an error
    connected(aws)
    aws["agent_stub"].add_client_error(
        "invoke_agent_runtime", service_error_code=error,
        service_message=f"internal detail {RUNTIME_ARN}", http_status_code=status,
    )
    expect_posts(aws, 1)
    # WHEN a message arrives
    response = proxy(aws).handle(event("$default", json.dumps({"payload": {"prompt": "hi"}})))
    # THEN the client gets an error frame with a stable code and no internal detail
    assert response["statusCode"] == status
    (frame,) = aws["posts"].frames
    assert frame["type"] == "error" and frame["code"] == code
    assert frame.get("retryAfterSeconds") == retry_after
    assert frame["retryable"] is retryable
    assert "arn:" not in aws["posts"].raw[0].decode() and "internal detail" not in aws["posts"].raw[0].decode()


@pytest.mark.parametrize("body", ["not json", "[1, 2]", json.dumps({"prompt": "no payload"}),
                                  json.dumps({"payload": 1, "sessionId": "short"}), ""])
def test_malformed_message_gets_a_bad_request_frame_without_calling_the_agent(aws: dict[str, Any], body: str) -> None:
    connected(aws)
    expect_posts(aws, 1)
    response = proxy(aws).handle(event("$default", body))
    assert response["statusCode"] == 400
    (frame,) = aws["posts"].frames
    assert frame["type"] == "error" and frame["code"] == "BadRequest" and frame["retryable"] is False


def test_gone_client_is_forgotten(aws: dict[str, Any]) -> None:
    connected(aws)
    expect_invoke(aws, b"{}")
    aws["post_stub"].add_client_error("post_to_connection", service_error_code="GoneException",
                                      http_status_code=410)
    response = proxy(aws).handle(event("$default", json.dumps({"payload": {}})))
    assert response["statusCode"] == 410
    assert item(aws) is None


def test_event_without_connection_id_is_rejected(aws: dict[str, Any]) -> None:
    assert proxy(aws).handle({"requestContext": {"routeKey": "$default"}}) == {"statusCode": 400}


def test_upload_request_gets_a_size_limited_post_under_the_agent_prefix(aws: dict[str, Any]) -> None:
    # GIVEN a facade with payload staging
    connected(aws)
    expect_posts(aws, 1)
    # WHEN the client asks for an upload without a size
    response = proxy(aws, staging=True).handle(event("$default", json.dumps({"upload": {"fileName": "big.pdf"}})))
    # THEN it gets a POST whose policy caps the size, for a new key under the agent's input prefix
    assert response == {"statusCode": 200}
    (frame,) = aws["posts"].frames
    assert frame["type"] == "upload" and frame["key"].startswith("inputs/chat_agent/")
    assert frame["key"].endswith("/big.pdf") and frame["maxBytes"] == 1048576 and frame["expiresIn"] == 900
    policy = json.loads(base64.b64decode(frame["fields"]["policy"]))
    assert ["content-length-range", 1, 1048576] in policy["conditions"]


def test_upload_request_with_size_gets_a_put(aws: dict[str, Any]) -> None:
    connected(aws)
    expect_posts(aws, 1)
    proxy(aws, staging=True).handle(event("$default", json.dumps({"upload": {"size": 2048}})))
    (frame,) = aws["posts"].frames
    assert frame["method"] == "PUT" and frame["contentLength"] == 2048
    assert "content-length" in frame["url"].split("X-Amz-SignedHeaders=")[1].split("&")[0]


@pytest.mark.parametrize(("upload", "staging"), [
    ({"size": 10 * 1048576}, True),  # above the staging maximum
    ({"size": "big"}, True),  # not a number
    ("file", True),  # not an object
    ({}, False),  # no staging bucket configured
])
def test_fails_when_upload_request_is_invalid(aws: dict[str, Any], upload: Any, staging: bool) -> None:
    connected(aws)
    expect_posts(aws, 1)
    response = proxy(aws, staging=staging).handle(event("$default", json.dumps({"upload": upload})))
    assert response["statusCode"] == 400
    (frame,) = aws["posts"].frames
    assert frame["code"] == "BadRequest"


# -- pure parts ----------------------------------------------------------------------------------------


def test_frame_encoder_keeps_every_frame_within_the_limit() -> None:
    encoder = wp.FrameEncoder(300)
    text = "\u2603" * 1000 + '"' * 500 + "x" * 700
    frames = list(encoder.frames(text))
    assert all(len(f) <= 300 for f in frames)
    assert "".join(json.loads(f)["data"] for f in frames) == text


def test_new_session_ids_fit_agentcore(aws: dict[str, Any]) -> None:
    rule = proxy(aws).session_rule
    ids = {rule.new_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(SESSION_ID_PATTERN.fullmatch(i) and SESSION_ID_MIN_LENGTH <= len(i) <= SESSION_ID_MAX_LENGTH
               for i in ids)


def test_the_agent_client_uses_the_facades_settings(aws: dict[str, Any]) -> None:
    handler = proxy(aws)
    handler._agentcore = None
    config = handler.agentcore.meta.config
    assert config.retries["total_max_attempts"] == 1
    assert config.read_timeout == float(PROXY_SETTINGS[contract.ENV_AGENT_READ_TIMEOUT_SECONDS])


class _CutOff(io.RawIOBase):
    """An agent answer whose connection breaks after the first bytes (urllib3 raises ProtocolError)."""

    def __init__(self) -> None:
        self._sent = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        from urllib3.exceptions import ProtocolError

        if not self._sent:
            self._sent = True
            return b'{"partial": '
        raise ProtocolError(f"Connection broken: IncompleteRead from {RUNTIME_ARN}")


def test_a_stream_cut_off_mid_answer_ends_with_an_error_frame(aws: dict[str, Any]) -> None:
    # GIVEN an agent whose answer breaks off after its first bytes
    connected(aws)
    aws["agent_stub"].add_response(
        "invoke_agent_runtime",
        {"response": StreamingBody(_CutOff(), None), "contentType": "application/json",
         "runtimeSessionId": SESSION, "statusCode": 200},
        None,
    )
    expect_posts(aws, 1)
    # WHEN a message arrives
    response = proxy(aws).handle(event("$default", json.dumps({"payload": 1})))
    # THEN the client is told (no silent end), without internal detail
    assert response["statusCode"] == 502
    (frame,) = aws["posts"].frames
    assert frame["type"] == "error" and frame["code"] == "AgentError" and frame["retryable"] is True
    assert "arn:" not in aws["posts"].raw[0].decode() and "IncompleteRead" not in aws["posts"].raw[0].decode()


def test_an_agent_timeout_becomes_a_timeout_frame(aws: dict[str, Any]) -> None:
    from botocore.exceptions import ReadTimeoutError

    # GIVEN a real bedrock-agentcore client whose HTTP send times out (raised at botocore's send hook)
    connected(aws)
    client = boto3.client("bedrock-agentcore", region_name="us-east-1",
                          config=Config(retries={"total_max_attempts": 1}))

    def time_out(**_: Any) -> None:
        raise ReadTimeoutError(endpoint_url=f"https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/{RUNTIME_ARN}")

    client.meta.events.register("before-send.bedrock-agentcore.InvokeAgentRuntime", time_out)
    expect_posts(aws, 1)
    handler = proxy(aws)
    handler._agentcore = client
    # WHEN a message arrives
    response = handler.handle(event("$default", json.dumps({"payload": 1})))
    # THEN the client gets a retryable timeout frame, without the endpoint
    assert response["statusCode"] == 504
    (frame,) = aws["posts"].frames
    assert frame["code"] == "Timeout" and frame["retryable"] is True
    assert "amazonaws" not in aws["posts"].raw[0].decode()


def test_the_default_agent_client_does_not_retry_an_invocation(aws: dict[str, Any]) -> None:
    from botocore.exceptions import ReadTimeoutError

    # GIVEN the proxy's own bedrock-agentcore client, whose HTTP send times out
    connected(aws)
    handler = proxy(aws)
    handler._agentcore = None
    sends: list[str] = []

    def time_out(**_: Any) -> None:
        sends.append("send")
        raise ReadTimeoutError(endpoint_url="https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/x")

    handler.agentcore.meta.events.register("before-send.bedrock-agentcore.InvokeAgentRuntime", time_out)
    expect_posts(aws, 1)
    # WHEN a message arrives
    response = handler.handle(event("$default", json.dumps({"payload": 1})))
    # THEN the agent was called once: a retry would run its task twice
    assert sends == ["send"] and response["statusCode"] == 504
