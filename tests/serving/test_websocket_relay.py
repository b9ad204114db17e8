"""The WebSocket relay's framing, pacing and error frames, one call at a time: AgentCore and the management API are
botocore clients on their real service models behind Stubbers (the whole path runs over HTTP in
``test_websocket_over_http.py``)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from constructs_lib.handlers import contract
from constructs_lib.handlers.websocket_relay import MIN_FRAME_BYTES, FrameEncoder, WebSocketRelay
from tests.serving.test_proxy_configuration import RELAY

CONNECTION = "AbCdEfGhIjKlMnO="
SESSION = "r" * 64
TASK = {"connectionId": CONNECTION, "messageId": "m1", "runtimeSessionId": SESSION, "sessionId": "c" * 40,
        "userId": "iam:arn:aws:sts::123456789012:assumed-role/app/alice", "payload": '{"prompt": "hi"}'}


@pytest.fixture
def clients() -> Iterator[dict[str, Any]]:
    no_retry = Config(retries={"total_max_attempts": 1})
    agentcore = boto3.client("bedrock-agentcore", region_name="us-east-1", config=no_retry,
                             aws_access_key_id="testing", aws_secret_access_key="testing")
    management = boto3.client("apigatewaymanagementapi", region_name="us-east-1", config=no_retry,
                              endpoint_url="https://abc123.execute-api.us-east-1.amazonaws.com/prod",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
    posted: list[bytes] = []
    management.meta.events.register("provide-client-params.apigatewaymanagementapi.PostToConnection",
                                    lambda params, **_: posted.append(params["Data"]))
    with Stubber(agentcore) as agent_stub, Stubber(management) as post_stub:
        yield {"agentcore": agentcore, "management": management, "agent_stub": agent_stub, "post_stub": post_stub,
               "posted": posted}
        agent_stub.assert_no_pending_responses()
        post_stub.assert_no_pending_responses()


def relay(clients: dict[str, Any], *, fps: str = "250", frame_bytes: str = "32768",
          sleeps: list[float] | None = None) -> WebSocketRelay:
    record = sleeps if sleeps is not None else []
    return WebSocketRelay(agentcore=clients["agentcore"], management=clients["management"],
                          environ={**RELAY, contract.ENV_MAX_FRAMES_PER_SECOND: fps,
                                   contract.ENV_FRAME_BYTES: frame_bytes},
                          clock=lambda: 0.0, sleep=record.append)


def answer(clients: dict[str, Any], data: bytes, content_type: str = "application/json") -> None:
    clients["agent_stub"].add_response(
        "invoke_agent_runtime",
        {"response": StreamingBody(io.BytesIO(data), len(data)), "contentType": content_type, "statusCode": 200},
        {"agentRuntimeArn": RELAY[contract.ENV_AGENT_RUNTIME_ARN], "qualifier": "DEFAULT",
         "runtimeSessionId": SESSION, "runtimeUserId": TASK["userId"], "payload": b'{"prompt": "hi"}',
         "contentType": "application/json", "accept": "application/json, text/event-stream"},
    )


def posts(clients: dict[str, Any], count: int) -> None:
    for _ in range(count):
        clients["post_stub"].add_response("post_to_connection", {}, {"ConnectionId": CONNECTION, "Data": ANY})


def test_an_answer_is_relayed_as_the_caller_with_an_end_frame_naming_the_clients_session(
    clients: dict[str, Any],
) -> None:
    answer(clients, b'{"answer": 42}')
    posts(clients, 2)
    assert relay(clients).relay(TASK, None) == "end"
    frames = [json.loads(p) for p in clients["posted"]]
    assert frames == [{"type": "chunk", "seq": 0, "data": '{"answer": 42}'},
                      {"type": "end", "seq": 1, "sessionId": "c" * 40, "contentType": "application/json"}]


def test_frames_are_paced_to_the_frame_rate(clients: dict[str, Any]) -> None:
    answer(clients, b"{}")
    posts(clients, 2)
    sleeps: list[float] = []
    relay(clients, fps="2", sleeps=sleeps).relay(TASK, None)
    assert sleeps == [0.5]


def test_a_large_answer_is_split_into_frames_that_fit(clients: dict[str, Any]) -> None:
    text = "é" * 3000  # two bytes each in UTF-8
    answer(clients, text.encode(), content_type="text/plain")
    posts(clients, len(list(FrameEncoder(1024).frames(text))) + 1)  # the chunks, then the end frame
    relay(clients, frame_bytes="1024").relay(TASK, None)
    frames = [json.loads(p) for p in clients["posted"]]
    assert all(len(p) <= 1024 for p in clients["posted"])
    assert "".join(f.get("data", "") for f in frames) == text


@pytest.mark.parametrize(("error", "code", "retry_after"), [
    # the same codes and delays as the REST facade (the contract's one error map)
    ("ThrottlingException", "Throttled", 1),
    ("ServiceQuotaExceededException", "SessionLimitReached", 30),
    ("RetryableConflictException", "SessionBusy", 1),
    ("ValidationException", "InvalidRequest", None),
    ("AccessDeniedException", "AccessDenied", None),
    ("ResourceNotFoundException", "AgentUnavailable", None),
    ("InternalServerException", "AgentError", None),
])
def test_agentcore_errors_become_the_error_frames_of_the_one_error_map(
    clients: dict[str, Any], error: str, code: str, retry_after: int | None
) -> None:
    clients["agent_stub"].add_client_error("invoke_agent_runtime", service_error_code=error, service_message="detail")
    posts(clients, 1)
    assert relay(clients).relay(TASK, None) == f"error:{code}"
    (frame,) = [json.loads(p) for p in clients["posted"]]
    public = contract.AGENT_ERRORS[error]
    assert (frame["code"], frame.get("retryAfterSeconds"), frame["retryable"]) == (code, retry_after,
                                                                                  public.retryable)
    assert "detail" not in json.dumps(frame)


def test_frame_encoder_keeps_every_frame_within_the_limit() -> None:
    encoder = FrameEncoder(MIN_FRAME_BYTES)
    frames = list(encoder.frames('"quoted" \\ and ünïcödé ' * 40))
    assert all(len(f) <= MIN_FRAME_BYTES for f in frames)
    assert "".join(json.loads(f)["data"] for f in frames) == '"quoted" \\ and ünïcödé ' * 40
    with pytest.raises(ValueError, match="at least"):
        FrameEncoder(MIN_FRAME_BYTES - 1)
