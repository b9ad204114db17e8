"""The session sweeper of ``SessionBudget``: stops an agent's sessions that are over their budget, on a schedule.

AgentCore has no API that lists sessions, so the sweeper reads the agent's session registry (:mod:`session_budget`),
which the front doors keep. Each run (an EventBridge schedule):

1. queries the live sessions over budget, paginated, from the registry's sparse indexes: started before
   ``now - max_session_duration`` (``ByStart``) and, except job sessions (their agent keeps them busy between
   requests), last active before ``now - max_idle`` (``ByActivity``);
2. for each, claims it (a conditional update: another sweep running at the same time skips it), calls
   ``StopRuntimeSession`` on its endpoint (botocore's adaptive retry mode: throttling is retried with backoff, up to
   the attempts the construct set), then releases it in the registry (counted down once) or, when the stop failed,
   gives the claim back for the next run; a session AgentCore no longer knows (``ResourceNotFoundException``) has
   ended and is released;
3. releases, without a stop, the sessions AgentCore has ended itself: older than the runtime's max lifetime, or (not
   jobs) idle for longer than the runtime's idle timeout;
4. publishes ``SessionsStopped`` (CloudWatch embedded metric format, Powertools metrics; namespace and dimension in
   :mod:`contract`) and answers the counts.

Every setting comes from the environment the construct sets (names in :mod:`contract`); a missing one is a
:class:`contract.ConfigurationError` when the sweeper starts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

try:  # inside the package (tests, other modules)
    from constructs_lib.handlers import contract
    from constructs_lib.handlers.session_budget import (
        BY_ACTIVITY_INDEX,
        BY_START_INDEX,
        LIVE,
        LIVE_VALUE,
        BudgetSettings,
        SessionRegistry,
    )
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import contract  # type: ignore[no-redef]
    from session_budget import (  # type: ignore[no-redef]
        BY_ACTIVITY_INDEX,
        BY_START_INDEX,
        LIVE,
        LIVE_VALUE,
        BudgetSettings,
        SessionRegistry,
    )

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "agent-session-sweeper"))
tracer = Tracer()
metrics = Metrics(namespace=contract.SESSION_BUDGET_NAMESPACE)
#: Retries of the sweeper's DynamoDB client.
STANDARD_RETRIES = Config(retries={"mode": "standard"})


@dataclass(frozen=True)
class SweepSettings:
    """What the budget configured for the sweeper.

    Attributes:
        runtime_arn: the agent's runtime.
        runtime_name: its name (the metric's dimension).
        max_session_duration: seconds, or ``None``.
        max_idle: seconds, or ``None``.
        runtime_max_lifetime: the runtime's max lifetime, seconds.
        runtime_idle_timeout: the runtime's idle timeout, seconds.
        stop_attempts: attempts of one StopRuntimeSession call.
        claim_seconds: how long a sweep's claim on a session lasts.
    """

    runtime_arn: str
    runtime_name: str
    max_session_duration: float | None
    max_idle: float | None
    runtime_max_lifetime: float
    runtime_idle_timeout: float
    stop_attempts: int
    claim_seconds: int

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> SweepSettings:
        """Raises :class:`contract.ConfigurationError` naming the first missing or malformed variable."""
        return cls(
            runtime_arn=contract.require(env, contract.ENV_AGENT_RUNTIME_ARN),
            runtime_name=contract.require(env, contract.ENV_AGENT_RUNTIME_NAME),
            max_session_duration=contract.optional_number(env, contract.ENV_MAX_SESSION_DURATION_SECONDS),
            max_idle=contract.optional_number(env, contract.ENV_MAX_IDLE_SECONDS),
            runtime_max_lifetime=contract.require_number(env, contract.ENV_RUNTIME_MAX_LIFETIME_SECONDS),
            runtime_idle_timeout=contract.require_number(env, contract.ENV_RUNTIME_IDLE_TIMEOUT_SECONDS),
            stop_attempts=int(contract.require_number(env, contract.ENV_STOP_MAX_ATTEMPTS)),
            claim_seconds=int(contract.require_number(env, contract.ENV_STOP_CLAIM_SECONDS)),
        )


class SessionSweeper:
    """One agent's sweep, with its clients and clock injected.

    Args:
        dynamodb: DynamoDB client. Default: one in standard retry mode.
        agentcore: ``bedrock-agentcore`` client. Default: one in adaptive retry mode with the configured attempts.
        environ: configuration. Default: ``os.environ``.
        now: wall clock, epoch seconds. Default: ``time.time``.
    """

    def __init__(self, *, dynamodb: Any = None, agentcore: Any = None, environ: Mapping[str, str] | None = None,
                 now: Callable[[], float] = time.time) -> None:
        env = os.environ if environ is None else environ
        self.settings = SweepSettings.from_environment(env)
        budget = BudgetSettings.from_environment(env)
        if budget is None:
            raise contract.ConfigurationError(
                f"the handler's environment lacks {contract.ENV_SESSION_REGISTRY_TABLE}; it is set by the construct "
                "that creates the function")
        self.dynamodb = dynamodb or boto3.client("dynamodb", config=STANDARD_RETRIES)
        self.agentcore = agentcore or boto3.client("bedrock-agentcore", config=Config(
            retries={"mode": "adaptive", "total_max_attempts": self.settings.stop_attempts},
            connect_timeout=contract.CONNECT_TIMEOUT_SECONDS))
        self.registry = SessionRegistry(self.dynamodb, budget, now)
        self._now = now

    def _live(self, index: str, sort_key: str, before: float, *, skip_jobs: bool) -> Iterator[dict[str, Any]]:
        """Live sessions whose ``sort_key`` is at most ``before``, every page."""
        query: dict[str, Any] = {
            "TableName": self.registry.table, "IndexName": index,
            "KeyConditionExpression": "#live = :live AND #at <= :before",
            "ExpressionAttributeNames": {"#live": LIVE, "#at": sort_key},
            "ExpressionAttributeValues": {":live": {"S": LIVE_VALUE}, ":before": {"N": str(int(before))}},
        }
        if skip_jobs:
            query["FilterExpression"] = "attribute_not_exists(job)"
        for page in self.dynamodb.get_paginator("query").paginate(**query):
            yield from page.get("Items", [])

    def candidates(self) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
        """Sessions to stop (``{id: (qualifier, reason)}``) and sessions AgentCore has ended (``{id: reason}``)."""
        now, s = self._now(), self.settings
        stop: dict[str, tuple[str, str]] = {}
        ended: dict[str, str] = {}

        def qualifier(item: Mapping[str, Any]) -> str:
            return str(item.get("qualifier", {}).get("S", "DEFAULT"))

        if s.max_session_duration is not None:
            for item in self._live(BY_START_INDEX, "startedAt", now - s.max_session_duration, skip_jobs=False):
                stop[item["sessionId"]["S"]] = (qualifier(item), "stopped-duration")
        if s.max_idle is not None:
            for item in self._live(BY_ACTIVITY_INDEX, "lastActivity", now - s.max_idle, skip_jobs=True):
                stop.setdefault(item["sessionId"]["S"], (qualifier(item), "stopped-idle"))
        for index, key, limit, skip in ((BY_START_INDEX, "startedAt", s.runtime_max_lifetime, False),
                                        (BY_ACTIVITY_INDEX, "lastActivity", s.runtime_idle_timeout, True)):
            for item in self._live(index, key, now - limit, skip_jobs=skip):
                if item["sessionId"]["S"] not in stop:
                    ended[item["sessionId"]["S"]] = "ended"
        return stop, ended

    def _stop(self, session_id: str, qualifier: str) -> str:
        """``stopped``, ``gone`` (AgentCore no longer knows the session) or ``failed``."""
        try:
            self.agentcore.stop_runtime_session(agentRuntimeArn=self.settings.runtime_arn, qualifier=qualifier,
                                                runtimeSessionId=session_id)
        except ClientError as error:
            code = contract.error_code_of(error)
            if code == "ResourceNotFoundException":
                return "gone"
            logger.warning("StopRuntimeSession failed", extra={"error_code": code})
            return "failed"
        except BotoCoreError as error:
            logger.warning("StopRuntimeSession failed", extra={"error_code": type(error).__name__})
            return "failed"
        return "stopped"

    def sweep(self) -> dict[str, int]:
        """One sweep (see the module docstring); the counts of what it did."""
        counts = {"stopped": 0, "released": 0, "failed": 0, "skipped": 0}
        stop, ended = self.candidates()
        for session_id, (qualifier, reason) in stop.items():
            if not self.registry.claim(session_id, self.settings.claim_seconds):
                counts["skipped"] += 1  # released already, or another sweep is stopping it
                continue
            outcome = self._stop(session_id, qualifier)
            if outcome == "failed":
                self.registry.unclaim(session_id)
                counts["failed"] += 1
                continue
            self.registry.release(session_id, reason if outcome == "stopped" else "ended", claimed=True)
            counts["stopped" if outcome == "stopped" else "released"] += 1
        for session_id, reason in ended.items():
            if self.registry.release(session_id, reason):
                counts["released"] += 1
        return counts


@cache
def _sweeper() -> SessionSweeper:
    return SessionSweeper()


def check_configuration() -> None:
    """Fail with a :class:`contract.ConfigurationError` when the sweeper's settings are missing (no fallbacks)."""
    SweepSettings.from_environment(os.environ)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, int]:
    """Lambda entry point: one scheduled sweep."""
    sweeper = _sweeper()
    counts = sweeper.sweep()
    metrics.add_dimension(name=contract.SESSION_BUDGET_DIMENSION, value=sweeper.settings.runtime_name)
    metrics.add_metric(name=contract.SESSIONS_STOPPED_METRIC, unit=MetricUnit.Count, value=counts["stopped"])
    logger.info("sessions swept", extra=counts)
    return counts


__all__ = ["SessionSweeper", "SweepSettings", "check_configuration", "handler"]
