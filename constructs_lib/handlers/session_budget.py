"""The session registry of an agent with a session budget: admission by the front doors, release, and claims.

boto3 only (packaged beside the proxies and the sweeper as ``session_budget.py``). One DynamoDB table per agent
(``SessionBudget``), keyed by ``sessionId``, holds two kinds of item:

- **a session**: ``sessionId`` (the caller-bound runtime session id), ``caller`` (SHA-256 of the caller's key: no
  identity in clear), ``qualifier`` (the endpoint), ``startedAt`` and ``lastActivity`` (epoch seconds), ``job`` (the
  session runs an asynchronous job: its agent keeps it busy between requests), ``expiresAt`` (TTL) and, while the
  session is live, ``live = "1"``: the partition key of the two sparse indexes the sweeper queries (``ByStart`` sorted
  by ``startedAt``, ``ByActivity`` sorted by ``lastActivity``); a released session has no ``live`` and leaves both;
- **a counter**: ``sessionId = "#caller#<hash>"`` (one per caller) or ``"#agent"``, with ``sessions``, the number of
  live sessions it counts. Runtime session ids never start with ``#``.

**Why two requests at the cap cannot both pass.** A request in a live session only moves its ``lastActivity``
(``UpdateItem`` on the condition ``live = "1"``). A request that starts a session writes, in one
``TransactWriteItems``: the session (condition: no live session of that id), ``ADD sessions 1`` on the caller's counter
(condition: ``sessions < max_sessions_per_caller``, or no counter yet) and on the agent's counter (condition:
``sessions < max_sessions``). DynamoDB runs transactions serializably and checks each condition against the committed
state: of two transactions that both see ``cap - 1``, one commits and the other is cancelled, with
``ConditionalCheckFailed`` on the counter (it now reads ``cap``: refused, 429) or ``TransactionConflict`` (then the
admission is evaluated again, and refused the same way). A release is one transaction too: the session loses
``live`` (condition: it is live) and both counters ``ADD sessions -1``, so a session is released, and counted down,
once, whoever releases it (a proxy stopping a session, or a sweep).

**Claims** (the sweeper): before it calls ``StopRuntimeSession`` a sweep claims the session (``claimedUntil``, on the
condition that it is live and not claimed by another sweep whose claim is still running), so two overlapping sweeps
stop a session once; a stop that fails gives the claim back, and a crashed sweep's claim runs out.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

try:  # inside the package (tests, other modules)
    from constructs_lib.handlers import contract
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import contract  # type: ignore[no-redef]

LOGGER = logging.getLogger(__name__)

#: The attribute (and the indexes' partition key) of a live session, and its value (the contract's names).
LIVE = contract.REGISTRY_LIVE
LIVE_VALUE = contract.REGISTRY_LIVE_VALUE
#: The indexes of live sessions by start time and by last activity.
BY_START_INDEX = contract.REGISTRY_BY_START_INDEX
BY_ACTIVITY_INDEX = contract.REGISTRY_BY_ACTIVITY_INDEX
#: The key of the agent's counter.
AGENT_COUNTER = "#agent"
#: The key prefix of a caller's counter.
CALLER_COUNTER_PREFIX = "#caller#"
#: Evaluations of one admission that lost a transaction conflict before it is refused as throttled (a choice of the
#: library: each conflict means another admission committed, so the next evaluation sees the new count).
ADMISSION_ATTEMPTS = 5


class BudgetExceeded(Exception):
    """A session the budget refuses; ``public`` is what the client sees (429)."""

    def __init__(self, public: contract.PublicError) -> None:
        super().__init__(public.code)
        self.public = public


@dataclass(frozen=True)
class BudgetSettings:
    """What the agent's budget configured for the front doors (from the environment).

    Attributes:
        table: the session registry.
        max_sessions_per_caller: sessions one caller may hold, ``None`` for no cap.
        max_sessions: sessions the agent may hold, ``None`` for no cap.
        record_ttl_seconds: how long a session record outlives its last activity.
    """

    table: str
    max_sessions_per_caller: int | None
    max_sessions: int | None
    record_ttl_seconds: int

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> BudgetSettings | None:
        """The budget's settings; ``None`` when the agent has no budget (no ``SESSION_REGISTRY_TABLE``)."""
        table = environ.get(contract.ENV_SESSION_REGISTRY_TABLE)
        if not table:
            return None
        per_caller = contract.optional_number(environ, contract.ENV_MAX_SESSIONS_PER_CALLER)
        total = contract.optional_number(environ, contract.ENV_MAX_SESSIONS)
        return cls(
            table=table,
            max_sessions_per_caller=None if per_caller is None else int(per_caller),
            max_sessions=None if total is None else int(total),
            record_ttl_seconds=int(contract.require_number(environ, contract.ENV_SESSION_RECORD_TTL_SECONDS)),
        )


def registry_from_environment(environ: Mapping[str, str], client: Callable[[], Any]) -> SessionRegistry | None:
    """A front door's registry (``client`` creates its DynamoDB client), ``None`` when the agent has no budget."""
    settings = BudgetSettings.from_environment(environ)
    return None if settings is None else SessionRegistry(client(), settings)


def caller_hash(caller_key: str) -> str:
    """The caller as the registry stores it (SHA-256 of its key, hexadecimal)."""
    return hashlib.sha256(caller_key.encode("utf-8")).hexdigest()


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class SessionRegistry:
    """The registry's operations, on an injected DynamoDB client (standard retry mode) and clock.

    Args:
        client: a DynamoDB client.
        settings: the budget's settings.
        now: wall clock, epoch seconds. Default: ``time.time``.
    """

    def __init__(self, client: Any, settings: BudgetSettings, now: Callable[[], float] = time.time) -> None:
        self.client = client
        self.settings = settings
        self._now = now

    @property
    def table(self) -> str:
        """The registry's table name."""
        return self.settings.table

    def admit(self, session_id: str, caller_key: str, qualifier: str, *, job: bool = False) -> bool:
        """Record a request in ``session_id``: its activity when the session is live, else a new session within the
        caps. Returns ``True`` when a session was started.

        Raises:
            BudgetExceeded: the caller (``CallerSessionLimitReached``) or the agent (``AgentSessionLimitReached``) is
                at its cap, or admissions kept conflicting (``Throttled``).
        """
        for _ in range(ADMISSION_ATTEMPTS):
            if self.touch(session_id):
                return False
            try:
                self._start(session_id, caller_key, qualifier, job)
                return True
            except ClientError as error:
                if _code(error) != "TransactionCanceledException":
                    raise
                reasons = [str(r.get("Code", "None")) for r in error.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    continue  # the session went live concurrently: the next evaluation touches it
                refused = self._refusal(reasons)
                if refused is not None:
                    raise BudgetExceeded(refused) from None
                # A conflict with another admission: evaluate again against what it committed.
        raise BudgetExceeded(contract.THROTTLED)

    def _refusal(self, reasons: list[str]) -> contract.PublicError | None:
        caps = [cap for cap, limit in ((contract.CALLER_SESSION_LIMIT, self.settings.max_sessions_per_caller),
                                       (contract.AGENT_SESSION_LIMIT, self.settings.max_sessions))
                if limit is not None]
        for public, reason in zip(caps, reasons[1:], strict=False):
            if reason == "ConditionalCheckFailed":
                return public
        return None

    def touch(self, session_id: str) -> bool:
        """Move a live session's ``lastActivity`` to now; ``False`` when no live session has that id."""
        now = int(self._now())
        try:
            self.client.update_item(
                TableName=self.table, Key={"sessionId": {"S": session_id}},
                UpdateExpression="SET lastActivity = :now, expiresAt = :expires",
                ConditionExpression="#live = :live",
                ExpressionAttributeNames={"#live": LIVE},
                ExpressionAttributeValues={":now": {"N": str(now)}, ":live": {"S": LIVE_VALUE},
                                           ":expires": {"N": str(now + self.settings.record_ttl_seconds)}},
            )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def _start(self, session_id: str, caller_key: str, qualifier: str, job: bool) -> None:
        now = int(self._now())
        caller = caller_hash(caller_key)
        item: dict[str, Any] = {
            "sessionId": {"S": session_id}, "caller": {"S": caller}, "qualifier": {"S": qualifier},
            "startedAt": {"N": str(now)}, "lastActivity": {"N": str(now)}, LIVE: {"S": LIVE_VALUE},
            "expiresAt": {"N": str(now + self.settings.record_ttl_seconds)},
        }
        if job:
            item["job"] = {"BOOL": True}
        items: list[dict[str, Any]] = [{"Put": {
            "TableName": self.table, "Item": item,
            # A released session of the same id (the client reused its id) starts again and is counted again.
            "ConditionExpression": "attribute_not_exists(#live)", "ExpressionAttributeNames": {"#live": LIVE},
        }}]
        for key, cap in ((CALLER_COUNTER_PREFIX + caller, self.settings.max_sessions_per_caller),
                         (AGENT_COUNTER, self.settings.max_sessions)):
            if cap is not None:
                items.append({"Update": {
                    "TableName": self.table, "Key": {"sessionId": {"S": key}},
                    "UpdateExpression": "ADD sessions :one",
                    "ConditionExpression": "attribute_not_exists(sessions) OR sessions < :cap",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":cap": {"N": str(cap)}},
                }})
        self.client.transact_write_items(TransactItems=items)

    def release(self, session_id: str, reason: str, *, claimed: bool = False) -> bool:
        """End a live session in the registry and count it down; ``False`` when it was not live (released already).

        Args:
            session_id: the runtime session.
            reason: why it ended (``stopped-duration``, ``stopped-idle``, ``ended``, ``stopped-by-proxy``...).
            claimed: the caller holds this session's sweep claim (otherwise a running claim of a sweep wins).
        """
        record = self.client.get_item(TableName=self.table, Key={"sessionId": {"S": session_id}},
                                      ConsistentRead=True).get("Item")
        if record is None or LIVE not in record:
            return False
        now = int(self._now())
        condition = "#live = :live"
        values: dict[str, Any] = {":live": {"S": LIVE_VALUE}, ":now": {"N": str(now)}, ":reason": {"S": reason}}
        if not claimed:
            condition += " AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now)"
        items: list[dict[str, Any]] = [{"Update": {
            "TableName": self.table, "Key": {"sessionId": {"S": session_id}},
            "UpdateExpression": "REMOVE #live, claimedUntil SET endedAt = :now, endReason = :reason",
            "ConditionExpression": condition, "ExpressionAttributeNames": {"#live": LIVE},
            "ExpressionAttributeValues": values,
        }}]
        caller = record.get("caller", {}).get("S")
        for key, cap in ((CALLER_COUNTER_PREFIX + str(caller), self.settings.max_sessions_per_caller),
                         (AGENT_COUNTER, self.settings.max_sessions)):
            if cap is not None and caller:
                # Unconditional: the session's own condition makes the release, so the count-down, happen once.
                items.append({"Update": {
                    "TableName": self.table, "Key": {"sessionId": {"S": key}},
                    "UpdateExpression": "ADD sessions :minus", "ExpressionAttributeValues": {":minus": {"N": "-1"}},
                }})
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            return False
        return True

    def release_quietly(self, session_id: str, reason: str) -> None:
        """:meth:`release`, best effort (a proxy that stopped a session): a failure is logged, and the sweeper
        releases the session once AgentCore has ended it."""
        try:
            self.release(session_id, reason)
        except (ClientError, BotoCoreError) as error:
            code = _code(error) if isinstance(error, ClientError) else type(error).__name__
            LOGGER.warning("releasing a stopped session in the registry failed: %s", code)

    def claim(self, session_id: str, claim_seconds: int) -> bool:
        """Claim a live session for one sweep's stop; ``False`` when it is not live or another claim is running."""
        now = int(self._now())
        try:
            self.client.update_item(
                TableName=self.table, Key={"sessionId": {"S": session_id}},
                UpdateExpression="SET claimedUntil = :until",
                ConditionExpression="#live = :live AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now)",
                ExpressionAttributeNames={"#live": LIVE},
                ExpressionAttributeValues={":live": {"S": LIVE_VALUE}, ":now": {"N": str(now)},
                                           ":until": {"N": str(now + claim_seconds)}},
            )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def unclaim(self, session_id: str) -> None:
        """Give a claim back (its stop failed: the next sweep tries again)."""
        self.client.update_item(TableName=self.table, Key={"sessionId": {"S": session_id}},
                                UpdateExpression="REMOVE claimedUntil")


__all__ = [
    "AGENT_COUNTER",
    "BY_ACTIVITY_INDEX",
    "BY_START_INDEX",
    "CALLER_COUNTER_PREFIX",
    "LIVE",
    "BudgetExceeded",
    "BudgetSettings",
    "SessionRegistry",
    "caller_hash",
    "registry_from_environment",
]
