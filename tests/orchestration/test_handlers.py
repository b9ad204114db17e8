"""The task token starter against botocore's real ``bedrock-agentcore`` model (Stubber), no AWS calls."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from constructs_lib.handlers import contract
from constructs_lib.handlers import task_token_starter as starter

RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/research_agent-AbCdEf1234"
SESSION = "a" * 64
TOKEN = "AAAAKgAAAAIAAAAAAAAAAQ-task-token"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def client() -> Iterator[tuple[Any, Stubber]]:
    agentcore = boto3.client("bedrock-agentcore", region_name="us-east-1",
                             config=Config(retries={"total_max_attempts": 1}))
    with Stubber(agentcore) as stubber:
        yield agentcore, stubber
        stubber.assert_no_pending_responses()


def event(payload: Any, qualifier: str | None = "DEFAULT") -> dict[str, Any]:
    found = {"agentRuntimeArn": RUNTIME_ARN, "runtimeSessionId": SESSION, "payload": payload, "taskToken": TOKEN}
    if qualifier:
        found["qualifier"] = qualifier
    return found


def answer(data: bytes = b'{"status": "accepted"}') -> dict[str, Any]:
    return {"response": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json",
            "runtimeSessionId": SESSION, "statusCode": 200}


def request(body: dict[str, Any], qualifier: str | None = "DEFAULT") -> dict[str, Any]:
    expected = {"agentRuntimeArn": RUNTIME_ARN, "runtimeSessionId": SESSION,
                "payload": json.dumps(body).encode("utf-8"), "contentType": "application/json",
                "accept": "application/json"}
    if qualifier:
        expected["qualifier"] = qualifier
    return expected


def test_object_payload_gains_the_task_token(client: tuple[Any, Stubber]) -> None:
    # GIVEN a step payload object WHEN started THEN the agent gets it with taskToken added
    agentcore, stubber = client
    stubber.add_response("invoke_agent_runtime", answer(), request({"topic": "tides", "taskToken": TOKEN}))
    result = starter.handler(event({"topic": "tides"}), client=agentcore)
    # Step Functions ignores what a .waitForTaskToken function returns: only the size is passed on
    assert result == {"runtimeSessionId": SESSION, "acknowledgmentBytes": len(b'{"status": "accepted"}')}


def test_json_string_payload_is_parsed(client: tuple[Any, Stubber]) -> None:
    agentcore, stubber = client
    stubber.add_response("invoke_agent_runtime", answer(), request({"topic": "tides", "taskToken": TOKEN}, None))
    starter.handler(event('{"topic": "tides"}', qualifier=None), client=agentcore)


def test_other_payloads_are_wrapped(client: tuple[Any, Stubber]) -> None:
    agentcore, stubber = client
    stubber.add_response("invoke_agent_runtime", answer(b""), request({"input": [1, 2], "taskToken": TOKEN}))
    result = starter.handler(event([1, 2]), client=agentcore)
    assert result["acknowledgmentBytes"] == 0


def test_throttling_is_raised_for_the_state_machine_to_retry(client: tuple[Any, Stubber]) -> None:
    # The step retries "ThrottlingException" (the Lambda error type) with backoff and jitter
    agentcore, stubber = client
    stubber.add_client_error("invoke_agent_runtime", service_error_code="ThrottlingException", http_status_code=429)
    with pytest.raises(ClientError) as exc:
        starter.handler(event({"topic": "tides"}), client=agentcore)
    assert type(exc.value).__name__ == "ThrottlingException"


def test_fails_when_the_event_lacks_the_token() -> None:
    with pytest.raises(ValueError, match="taskToken"):
        starter.handler({"agentRuntimeArn": RUNTIME_ARN, "runtimeSessionId": SESSION}, client=object())


def test_default_client_uses_botocore_standard_retries_with_the_attempts_the_construct_sets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(starter, "_client", None)
    monkeypatch.setenv(contract.ENV_AGENTCORE_MAX_ATTEMPTS, "4")
    created = starter._agentcore()
    assert created.meta.config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert created.meta.service_model.service_name == "bedrock-agentcore"


def test_fails_to_start_without_the_attempts_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    # The handler has no numeric fallback: a missing variable is a clear start-up error naming it
    monkeypatch.setattr(starter, "_client", None)
    monkeypatch.delenv(contract.ENV_AGENTCORE_MAX_ATTEMPTS, raising=False)
    with pytest.raises(starter.StarterConfigurationError, match=contract.ENV_AGENTCORE_MAX_ATTEMPTS):
        starter._agentcore()
