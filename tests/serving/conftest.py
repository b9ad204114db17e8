"""Fixtures of the proxy handler tests: a fake-credential environment and a stubbed AgentCore client.

Modules opt in with ``pytestmark = pytest.mark.usefixtures("proxy_env")``."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from constructs_lib.handlers import contract
from constructs_lib.handlers import invoke_proxy as proxy
from tests.serving._fixtures import PROXY_SETTINGS

RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/support_agent-AbCdEf1234"


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and the environment the facade sets (agent, qualifier, session-id rule, client settings);
    the proxy's cached clients reset afterwards."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv(contract.ENV_AGENT_RUNTIME_ARN, RUNTIME_ARN)
    monkeypatch.setenv(contract.ENV_AGENT_QUALIFIER, "prod")
    for name, value in PROXY_SETTINGS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    yield
    proxy.set_clients(agentcore=None, dynamodb=None, s3=None)


@pytest.fixture
def agentcore() -> Iterator[Stubber]:
    """A bedrock-agentcore client on botocore's real service model, stubbed, injected into the proxy."""
    config = Config(retries={"total_max_attempts": 1})
    client = boto3.client("bedrock-agentcore", region_name="us-east-1", config=config)
    with Stubber(client) as stubber:
        proxy.set_clients(agentcore=client)
        yield stubber
        stubber.assert_no_pending_responses()
