"""The automatic rollback of an ``AgentRollout``: an alarm on the candidate endpoint sets the switch to ``stable``.

Invoked by an EventBridge rule on ``CloudWatch Alarm State Change`` events of the rollout's alarms (the candidate's
error rate and p99 latency) entering ``ALARM``. It writes ``stable`` to the switch parameter (``PutParameter`` with
``Overwrite``: the same value twice is the same switch, so a repeated event changes nothing), and the front doors send
every new session to the stable endpoint within their switch cache time. Sessions already on the candidate stay there
until they end (their endpoint is recorded). It never sets the switch back: an operator does, once the candidate is
fixed (``auto``), see ``docs/rollout.md``.

An event of another kind, or of an alarm leaving ``ALARM``, is ignored (logged). Powertools for AWS Lambda (Python)
logs; boto3 with botocore's standard retries.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

try:  # inside the package (tests)
    from constructs_lib.handlers import contract
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import contract  # type: ignore[no-redef]

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "agent-rollout-rollback"))

#: The detail type of CloudWatch's alarm state changes on EventBridge.
ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"
#: The alarm state that rolls back.
ALARM = "ALARM"

_ssm: Any = None


def set_client(client: Any) -> None:
    """Use ``client`` as the SSM client (tests); ``None``: create one on next use."""
    global _ssm
    _ssm = client


def _client() -> Any:
    global _ssm
    if _ssm is None:
        _ssm = boto3.client("ssm", config=Config(retries={"mode": "standard"}))
    return _ssm


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def roll_back(event: Mapping[str, Any], parameter: str) -> dict[str, Any]:
    """Set ``parameter`` to ``stable`` for an alarm entering ``ALARM``; what was done, for the log and the tests."""
    detail = _mapping(event.get("detail"))
    state = _mapping(detail.get("state"))
    alarm = str(detail.get("alarmName", "?"))
    if event.get("detail-type") != ALARM_STATE_CHANGE or state.get("value") != ALARM:
        logger.info("event ignored", extra={"detail_type": event.get("detail-type"), "alarm": alarm,
                                            "state": state.get("value")})
        return {"rolledBack": False, "alarm": alarm}
    _client().put_parameter(Name=parameter, Value=contract.ROLLOUT_SWITCH_STABLE, Type="String", Overwrite=True)
    logger.warning("rolled back: new sessions go to the stable endpoint",
                   extra={"alarm": alarm, "reason": state.get("reason"), "parameter": parameter})
    return {"rolledBack": True, "alarm": alarm}


@logger.inject_lambda_context(clear_state=True)
def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point.

    Raises:
        contract.ConfigurationError: ``ROLLOUT_SWITCH_PARAMETER`` is missing.
    """
    return roll_back(event, contract.require(os.environ, contract.ENV_ROLLOUT_SWITCH_PARAMETER))


__all__ = ["ALARM", "ALARM_STATE_CHANGE", "handler", "roll_back", "set_client"]
