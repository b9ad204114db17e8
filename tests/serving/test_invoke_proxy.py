"""The invoke proxy handler against botocore's real ``bedrock-agentcore`` model (Stubber), no AWS calls."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from constructs_lib.handlers import contract
from constructs_lib.handlers import invoke_proxy as proxy
from constructs_lib.limits.service import (
    SESSION_HEADER,
    SESSION_ID_MAX_LENGTH,
    SESSION_ID_MIN_LENGTH,
    SESSION_ID_PATTERN,
)
from tests.serving._fixtures import PROXY_SETTINGS
from tests.serving.conftest import RUNTIME_ARN

SESSION = "s" * 40
pytestmark = pytest.mark.usefixtures("proxy_env")


def event(body: Any = None, *, method: str = "POST", resource: str = "/invoke", headers: dict[str, str] | None = None,
          raw: str | None = None) -> dict[str, Any]:
    return {
        "httpMethod": method,
        "resource": resource,
        "path": resource,
        "headers": headers or {},
        "body": raw if raw is not None else (json.dumps(body) if body is not None else None),
        "isBase64Encoded": False,
        "requestContext": {"requestId": "req-1", "identity": {"userArn": "arn:aws:iam::123456789012:user/alice"}},
    }


def agent_answer(data: bytes, content_type: str = "application/json") -> dict[str, Any]:
    return {
        "response": StreamingBody(io.BytesIO(data), len(data)),
        "contentType": content_type,
        "runtimeSessionId": SESSION,
        "statusCode": 200,
    }


def expected(session: Any = ANY, payload: Any = ANY, accept: Any = ANY) -> dict[str, Any]:
    return {
        "agentRuntimeArn": RUNTIME_ARN,
        "qualifier": "prod",
        "runtimeSessionId": session,
        "payload": payload,
        "contentType": "application/json",
        "accept": accept,
    }


def test_invoke_returns_the_agent_answer_and_the_session_header(agentcore: Stubber) -> None:
    # GIVEN an agent that answers, and a client that brings its own session id
    payload = json.dumps({"prompt": "hello"}).encode()
    agentcore.add_response("invoke_agent_runtime", agent_answer(b'{"answer": "hi"}'), expected(SESSION, payload))
    # WHEN the client invokes
    answer = proxy.handler(event({"prompt": "hello", "sessionId": SESSION}))
    # THEN the answer is relayed with the session id, and sessionId is not forwarded to the agent
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"answer": "hi"}
    assert answer["headers"][SESSION_HEADER] == SESSION


def test_invoke_generates_a_valid_session_id_when_the_client_has_none(agentcore: Stubber) -> None:
    agentcore.add_response("invoke_agent_runtime", agent_answer(b"{}"), expected())
    answer = proxy.handler(event({"prompt": "hello"}))
    session = answer["headers"][SESSION_HEADER]
    assert SESSION_ID_PATTERN.fullmatch(session)
    assert SESSION_ID_MIN_LENGTH <= len(session) <= SESSION_ID_MAX_LENGTH


def test_invoke_accepts_the_session_id_header(agentcore: Stubber) -> None:
    agentcore.add_response("invoke_agent_runtime", agent_answer(b"{}"), expected(SESSION))
    answer = proxy.handler(event({"prompt": "x"}, headers={"x-amzn-bedrock-agentcore-runtime-session-id": SESSION}))
    assert answer["headers"][SESSION_HEADER] == SESSION


BAD_SESSION_IDS = ["short", "x" * 101, "-" + "a" * 40, "a" * 39 + "!", 1234567890123456789012345678901234,
                   # "$" alone would let a trailing newline through (header injection in the echoed id)
                   "a" * 40 + "\n"]


@pytest.mark.parametrize("bad", BAD_SESSION_IDS)
def test_fails_when_the_client_session_id_is_malformed(agentcore: Stubber, bad: Any) -> None:
    # GIVEN a malformed session id: no call reaches the agent (the stubber has no response queued)
    answer = proxy.handler(event({"prompt": "x", "sessionId": bad}))
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["error"] == "InvalidSessionId"


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", ""])
def test_fails_when_the_client_request_is_malformed(agentcore: Stubber, raw: str) -> None:
    answer = proxy.handler(event(raw=raw))
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["error"] == "InvalidRequest"


def test_binary_answers_are_base64_encoded(agentcore: Stubber) -> None:
    agentcore.add_response("invoke_agent_runtime", agent_answer(b"\x00\x01", "application/octet-stream"), expected())
    answer = proxy.handler(event({"prompt": "x"}))
    assert answer["isBase64Encoded"] is True
    assert base64.b64decode(answer["body"]) == b"\x00\x01"


@pytest.mark.parametrize(
    ("code", "http", "status", "public", "retry_after"),
    [
        ("ThrottlingException", 429, 429, "Throttled", "1"),
        ("ServiceQuotaExceededException", 402, 429, "SessionLimitReached", "30"),
        ("ValidationException", 400, 400, "InvalidRequest", None),
        ("AccessDeniedException", 403, 403, "AccessDenied", None),
        ("RetryableConflictException", 409, 409, "SessionBusy", "1"),
        ("ResourceNotFoundException", 404, 502, "AgentUnavailable", None),
        ("InternalServerException", 500, 502, "AgentError", None),
    ],
)
def test_agentcore_errors_are_mapped_for_clients(
    agentcore: Stubber, code: str, http: int, status: int, public: str, retry_after: str | None
) -> None:
    # GIVEN AgentCore answers with an error whose message names an internal ARN
    agentcore.add_client_error(
        "invoke_agent_runtime", service_error_code=code, service_message=f"denied for {RUNTIME_ARN}",
        http_status_code=http,
    )
    answer = proxy.handler(event({"prompt": "x"}))
    # THEN the client gets the mapped status and a generic message, with no ARN or service text
    assert answer["statusCode"] == status
    body = json.loads(answer["body"])
    assert body["error"] == public
    assert answer["headers"].get("Retry-After") == retry_after
    assert "arn:" not in answer["body"] and "Traceback" not in answer["body"]


def test_runtime_timeouts_become_504(agentcore: Stubber) -> None:
    agentcore.add_client_error(
        "invoke_agent_runtime", service_error_code="RuntimeClientError",
        service_message="Request timed out waiting for the runtime", http_status_code=424,
    )
    answer = proxy.handler(event({"prompt": "x"}))
    assert answer["statusCode"] == 504


def test_other_runtime_client_errors_become_502(agentcore: Stubber) -> None:
    agentcore.add_client_error("invoke_agent_runtime", service_error_code="RuntimeClientError",
                               service_message="agent crashed", http_status_code=424)
    assert proxy.handler(event({"prompt": "x"}))["statusCode"] == 502


def test_read_timeouts_become_504() -> None:
    assert proxy.map_agent_error(ReadTimeoutError(endpoint_url="https://example")).status == 504


def test_unexpected_errors_are_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: Any, **__: Any) -> Any:
        raise RuntimeError(f"boom {RUNTIME_ARN}")

    monkeypatch.setattr(proxy, "handle_invoke", explode)
    monkeypatch.setitem(proxy._ROUTES, ("POST", "/invoke"), explode)
    answer = proxy.handler(event({"prompt": "x"}))
    assert answer["statusCode"] == 500
    assert "boom" not in answer["body"] and "arn:" not in answer["body"]


def test_unknown_routes_are_404() -> None:
    assert proxy.handler(event({}, method="DELETE", resource="/invoke"))["statusCode"] == 404


def test_fails_when_payload_key_is_outside_the_input_prefix(
    agentcore: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(contract.ENV_STAGING_INPUT_PREFIX, "inputs/support_agent/")
    answer = proxy.handler(event({"prompt": "x", "payloadKey": "inputs/other_agent/abc"}))
    assert answer["statusCode"] == 400


def test_streaming_relays_the_agent_stream_after_the_prelude(agentcore: Stubber) -> None:
    # GIVEN an agent that streams server-sent events
    sse = b"data: one\n\ndata: two\n\n"
    agentcore.add_response("invoke_agent_runtime", agent_answer(sse, "text/event-stream"), expected(SESSION))
    # WHEN the streaming entry point runs
    chunks = list(proxy.stream(event({"prompt": "x", "sessionId": SESSION})))
    raw = b"".join(chunks)
    # THEN the first bytes are the API Gateway metadata, then 8 null bytes, then the agent's bytes as is
    metadata, _, payload = raw.partition(b"\x00" * 8)
    prelude = json.loads(metadata)
    assert prelude["statusCode"] == 200
    assert prelude["headers"]["Content-Type"] == "text/event-stream"
    assert prelude["headers"][SESSION_HEADER] == SESSION
    assert payload == sse
    assert len(chunks) >= 2  # the prelude is sent before the agent's bytes


def test_streaming_maps_errors_before_the_first_byte(agentcore: Stubber) -> None:
    agentcore.add_client_error("invoke_agent_runtime", service_error_code="ThrottlingException", http_status_code=429)
    raw = b"".join(proxy.stream(event({"prompt": "x"})))
    metadata, _, payload = raw.partition(b"\x00" * 8)
    assert json.loads(metadata)["statusCode"] == 429
    assert json.loads(metadata)["headers"]["Retry-After"] == "1"
    assert json.loads(payload)["error"] == "Throttled"


def test_streaming_frames_other_routes(agentcore: Stubber) -> None:
    raw = b"".join(proxy.stream(event({}, method="GET", resource="/nowhere")))
    metadata, _, _ = raw.partition(b"\x00" * 8)
    assert json.loads(metadata)["statusCode"] == 404


def test_stream_chunks_are_http_chunks() -> None:
    assert proxy.http_chunk(b"hello") == b"5\r\nhello\r\n"
    assert proxy.http_chunk(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"


def test_a_failed_stream_is_reported_in_trailers_without_details() -> None:
    trailers = proxy.error_trailers().decode()
    # Lambda accepts any type and recommends <category.reason>
    assert trailers.startswith("Lambda-Runtime-Function-Error-Type: Function.StreamInterrupted\r\n")
    body = trailers.split("Lambda-Runtime-Function-Error-Body: ")[1].strip()
    assert json.loads(base64.b64decode(body)) == {
        "errorType": "Function.StreamInterrupted", "errorMessage": "internal error"}


def test_fails_when_the_session_id_header_ends_with_a_newline(agentcore: Stubber) -> None:
    answer = proxy.handler(event({"prompt": "x"}, headers={SESSION_HEADER: SESSION + "\n"}))
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["error"] == "InvalidSessionId"


class _CutOff(io.RawIOBase):
    """An answer whose connection breaks while it is read (urllib3 raises ProtocolError)."""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        from urllib3.exceptions import ProtocolError

        raise ProtocolError(f"Connection broken: IncompleteRead from {RUNTIME_ARN}")


def test_an_answer_cut_off_while_read_is_a_bad_gateway_without_details(agentcore: Stubber) -> None:
    answer_ = {"response": StreamingBody(_CutOff(), None), "contentType": "application/json",
               "runtimeSessionId": SESSION, "statusCode": 200}
    agentcore.add_response("invoke_agent_runtime", answer_, expected(SESSION))
    answer = proxy.handler(event({"prompt": "x", "sessionId": SESSION}))
    assert answer["statusCode"] == 502
    assert json.loads(answer["body"])["error"] == "AgentError"
    assert RUNTIME_ARN not in answer["body"] and "IncompleteRead" not in answer["body"]


def test_a_timed_out_invocation_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the proxy's own bedrock-agentcore client (as in Lambda), whose HTTP send times out
    proxy.set_clients(agentcore=None)
    sends: list[str] = []

    def time_out(**_: Any) -> None:
        sends.append("send")
        raise ReadTimeoutError(endpoint_url="https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/x")

    proxy._client("agentcore").meta.events.register("before-send.bedrock-agentcore.InvokeAgentRuntime", time_out)
    # WHEN a client invokes
    answer = proxy.handler(event({"prompt": "x", "sessionId": SESSION}))
    # THEN the agent was called once (a retry would run the task twice and overrun the integration timeout)
    assert sends == ["send"]
    assert answer["statusCode"] == 504


@pytest.mark.parametrize("missing", sorted([contract.ENV_AGENT_RUNTIME_ARN, contract.ENV_AGENT_QUALIFIER,
                                            *PROXY_SETTINGS]))
def test_fails_at_start_when_a_setting_is_missing(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    # GIVEN an environment without one of the variables the facade sets (there is no fallback for any)
    monkeypatch.delenv(missing)
    # WHEN an invocation arrives THEN it fails, naming the variable, before anything reaches the agent
    with pytest.raises(contract.ConfigurationError, match=missing):
        proxy.handler(event({"prompt": "x"}))


def test_a_job_table_without_its_time_to_live_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a job table but no record lifetime (the proxy no longer assumes one)
    monkeypatch.setenv(contract.ENV_JOBS_TABLE_NAME, "jobs")
    monkeypatch.delenv(contract.ENV_JOB_TIME_TO_LIVE_SECONDS, raising=False)
    with pytest.raises(contract.ConfigurationError, match="JOB_TIME_TO_LIVE_SECONDS"):
        proxy.handler(event({"prompt": "x"}, resource="/jobs"))


def test_the_agentcore_client_uses_the_facades_settings() -> None:
    # GIVEN the proxy's own client (as in Lambda) WHEN it is created from the environment the facade sets
    proxy.set_clients(agentcore=None)
    config = proxy._client("agentcore").meta.config
    # THEN it makes one attempt and waits as long as the facade said
    assert config.retries["total_max_attempts"] == 1
    assert config.read_timeout == float(PROXY_SETTINGS[contract.ENV_AGENT_READ_TIMEOUT_SECONDS])
