"""The proxies read every setting from the environment their facade sets, with no fallback: a missing one names
itself (the streaming runtime reports it as its init error, over HTTP in ``test_rest_streaming_over_http.py``)."""

from __future__ import annotations

import pytest

from constructs_lib.handlers import contract
from constructs_lib.handlers.invoke_proxy import Settings
from constructs_lib.handlers.websocket_proxy import WebSocketProxy
from constructs_lib.handlers.websocket_relay import WebSocketRelay
from tests.serving._fixtures import PROXY_SETTINGS

# What every proxy reads: its agent, endpoint and AgentCore client settings.
AGENT = {
    contract.ENV_AGENT_RUNTIME_ARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/chat-AbCdEf1234",
    contract.ENV_AGENT_QUALIFIER: "DEFAULT",
    contract.ENV_AGENT_MAX_ATTEMPTS: PROXY_SETTINGS[contract.ENV_AGENT_MAX_ATTEMPTS],
    contract.ENV_AGENT_READ_TIMEOUT_SECONDS: PROXY_SETTINGS[contract.ENV_AGENT_READ_TIMEOUT_SECONDS],
}
#: The session-id rule and the caller's user id (the proxies that bind sessions and name callers).
CALLERS = {**PROXY_SETTINGS, contract.ENV_RUNTIME_USER_ID_MAX_LENGTH: "1024"}
REST = {**AGENT, **CALLERS, contract.ENV_SEND_RUNTIME_USER_ID: "true", contract.ENV_ANSWER_MARGIN_SECONDS: "3",
        contract.ENV_MAX_REQUEST_BYTES: "4718592", contract.ENV_MAX_RESPONSE_BYTES: "6291456",
        contract.ENV_JOBS_TABLE_NAME: "jobs", contract.ENV_JOB_TIME_TO_LIVE_SECONDS: "604800",
        contract.ENV_IDEMPOTENCY_TTL_SECONDS: "86400"}
WEBSOCKET = {**AGENT, **CALLERS, contract.ENV_CONNECTIONS_TABLE: "connections",
             contract.ENV_CALLBACK_URL: "https://x/prod",
             contract.ENV_RELAY_FUNCTION_ARN: "arn:aws:lambda:us-east-1:123456789012:function:relay",
             contract.ENV_CONNECTION_TTL_SECONDS: "7200", contract.ENV_MAX_REQUEST_BYTES: "131072"}
RELAY = {**AGENT, contract.ENV_SEND_RUNTIME_USER_ID: "true", contract.ENV_ANSWER_MARGIN_SECONDS: "3",
         contract.ENV_CONNECTIONS_TABLE: "connections", contract.ENV_CALLBACK_URL: "https://x/prod",
         contract.ENV_FRAME_BYTES: "32768", contract.ENV_MAX_FRAMES_PER_SECOND: "250"}


def test_the_rest_proxy_reads_its_settings() -> None:
    settings = Settings.from_environment(REST)
    assert (settings.send_user_id, settings.max_request_bytes, settings.jobs_table) == (True, 4718592, "jobs")
    assert settings.keepalive_seconds is None and settings.staging is None


@pytest.mark.parametrize("missing", sorted(REST))
def test_fails_when_a_rest_proxy_setting_is_missing(missing: str) -> None:
    environment = {k: v for k, v in REST.items() if k != missing}
    if missing == contract.ENV_JOBS_TABLE_NAME:
        assert Settings.from_environment(environment).jobs_table is None  # no job table: the job routes are 404
        return
    with pytest.raises(contract.ConfigurationError, match=missing):
        Settings.from_environment(environment)


@pytest.mark.parametrize("missing", sorted(WEBSOCKET))
def test_fails_when_a_websocket_proxy_setting_is_missing(missing: str) -> None:
    with pytest.raises(contract.ConfigurationError, match=missing):
        WebSocketProxy(environ={k: v for k, v in WEBSOCKET.items() if k != missing})


@pytest.mark.parametrize("missing", sorted(RELAY))
def test_fails_when_a_relay_setting_is_missing(missing: str) -> None:
    with pytest.raises(contract.ConfigurationError, match=missing):
        WebSocketRelay(environ={k: v for k, v in RELAY.items() if k != missing})


def test_fails_when_a_flag_is_not_true_or_false() -> None:
    with pytest.raises(contract.ConfigurationError, match="SEND_RUNTIME_USER_ID must be 'true' or 'false'"):
        Settings.from_environment({**REST, contract.ENV_SEND_RUNTIME_USER_ID: "yes"})
