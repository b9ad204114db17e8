"""Start an asynchronous AgentCore agent for a Step Functions step that waits for a task token.

An :class:`AgentPipeline` step whose agent is planned asynchronous is a Lambda task with the
``.waitForTaskToken`` pattern. This handler receives::

    {"agentRuntimeArn": "...", "qualifier": "DEFAULT", "runtimeSessionId": "<a runtime session id>",
     "payload": <any JSON>, "taskToken": "<Step Functions task token>"}

and invokes the agent with the payload plus the token: a JSON object payload gains a ``taskToken`` key,
any other payload is wrapped as ``{"input": <payload>, "taskToken": ...}``. The agent answers at once,
works in the background (its ``/ping`` reports ``HealthyBusy``), and ends the step itself by calling
``states:SendTaskSuccess`` (with its result as output) or ``states:SendTaskFailure`` with the token;
the pipeline grants those actions to the agent's role on the state machine.

boto3 only. The client is created lazily with botocore's standard retry mode so that tests can inject
a stubbed client. ``AgentPipeline`` sets one attempt: InvokeAgentRuntime starts the agent's task, and standard mode
would also resend after a read timeout or a dropped connection, when the agent may already be running; the step
retries only the errors AgentCore answers before it runs anything.

Environment (``AgentPipeline`` sets it; the handler has no fallback of its own): botocore's ``total_max_attempts`` of
the ``bedrock-agentcore`` client (``contract.ENV_AGENTCORE_MAX_ATTEMPTS``, the first call included).
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import boto3
from botocore.config import Config

try:  # inside the package (tests, other modules)
    from constructs_lib.handlers import contract
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import contract  # type: ignore[no-redef]

_client: Any = None


class StarterConfigurationError(contract.ConfigurationError):
    """The function's environment lacks a variable it needs (the construct sets them all)."""


def retry_config(environ: Any) -> Config:
    """botocore's standard retry mode with the attempts the construct chose (its environment)."""
    value = environ.get(contract.ENV_AGENTCORE_MAX_ATTEMPTS)
    if not value:
        raise StarterConfigurationError(
            f"task token starter: missing environment variable {contract.ENV_AGENTCORE_MAX_ATTEMPTS} "
            "(AgentPipeline sets it)"
        )
    return Config(retries={"mode": "standard", "total_max_attempts": int(value)})


def _agentcore() -> Any:
    global _client
    if _client is None:
        _client = boto3.client("bedrock-agentcore", config=retry_config(os.environ))
    return _client


def _payload_with_token(payload: Any, token: str) -> dict[str, Any]:
    if isinstance(payload, str):
        with contextlib.suppress(ValueError):
            payload = json.loads(payload)
    if isinstance(payload, dict):
        return {**payload, "taskToken": token}
    return {"input": payload, "taskToken": token}


def handler(event: dict[str, Any], context: Any = None, client: Any = None) -> dict[str, Any]:
    """Invoke the agent with the task token; the step completes when the agent calls back.

    Args:
        event: the step input described in the module docstring.
        context: the Lambda context (unused).
        client: a ``bedrock-agentcore`` client (for tests). Default: a lazily created client.

    Returns:
        The session id and the size of the agent's immediate acknowledgment. Step Functions ignores what a
        ``.waitForTaskToken`` task's function returns (the step's result is what the agent sends with the token),
        so the acknowledgment is read to its end but not passed on.
    """
    missing = [key for key in ("agentRuntimeArn", "runtimeSessionId", "taskToken") if not event.get(key)]
    if missing:
        raise ValueError(f"task token starter event lacks {', '.join(missing)}")
    agentcore = client or _agentcore()
    body = _payload_with_token(event.get("payload"), event["taskToken"])
    request: dict[str, Any] = {
        "agentRuntimeArn": event["agentRuntimeArn"],
        "runtimeSessionId": event["runtimeSessionId"],
        "payload": json.dumps(body).encode("utf-8"),
        "contentType": "application/json",
        "accept": "application/json",
    }
    if event.get("qualifier"):
        request["qualifier"] = event["qualifier"]
    response = agentcore.invoke_agent_runtime(**request)
    stream = response.get("response")
    acknowledgment = stream.read() if stream is not None else b""
    return {
        "runtimeSessionId": response.get("runtimeSessionId", event["runtimeSessionId"]),
        "acknowledgmentBytes": len(acknowledgment),
    }
