"""Rollout routing in the front doors: the endpoint each runtime session runs on, for its whole life.

boto3 and botocore only (packaged beside the proxies as ``rollout.py``). A proxy of an agent with an ``AgentRollout``
asks :meth:`Routing.qualifier_for` for the endpoint of the caller-bound runtime session before each call; a proxy of
an agent without one (or a facade pinned to one endpoint) gets ``AGENT_QUALIFIER`` back, with no AWS call.

**Assignment.** A new session's endpoint is a pure function of its runtime session id and the weight in force when it
starts (:func:`assign`): the session id's keyed SHA-256 picks one of ``ROLLOUT_BUCKETS`` buckets, and buckets below the
weight go to the candidate. Runtime session ids are HMACs of the caller and the client's session id, so buckets are
uniform, and the same session always lands in the same bucket, on every front door and proxy instance.

**Stickiness.** The weight can change while a session lives (a deploy, the automatic rollback, an operator), and a
pure function of the *current* weight would then move sessions between endpoints mid-conversation. So the endpoint a
session starts on is recorded (:class:`Assignments`: one item per runtime session, written once with a condition,
the first writer wins) and read back for every later call; the record expires with the agent's session lifetime
(``maxLifetime``), after which AgentCore has ended the session and the same id starts a new one. Records never change,
so each proxy instance also keeps the ones it has read in memory.

**The switch** (an SSM parameter, read at most once per ``ROLLOUT_SWITCH_CACHE_SECONDS`` per proxy instance):
``auto`` follows the deployed weight, ``stable`` sends every new session to the stable endpoint (the rollback
function sets it), ``candidate`` every new session to the candidate, and a whole number from 0 to 100 is a weight
override. It decides new sessions only; recorded ones stay where they are. A switch that cannot be read (SSM refused
or was unreachable) keeps the last value read; with none read yet, or a value that is none of the above, new sessions
go to the stable endpoint (logged): the stable endpoint is the one known to work.
"""

from __future__ import annotations

import collections
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

#: The key of the bucket hash: it separates buckets from any other use of runtime session ids.
_BUCKET_KEY = b"constructs_lib/rollout-bucket/v1\x00"
#: Assignments a proxy instance keeps in memory (the oldest are forgotten first; the table still has them).
ASSIGNMENT_CACHE_ENTRIES = 4096
#: Attributes of an assignment record.
KEY_ATTRIBUTE, EXPIRES_AT_ATTRIBUTE = contract.ROLLOUT_SESSION_KEY, contract.ROLLOUT_EXPIRES_AT
ENDPOINT_ATTRIBUTE, WEIGHT_ATTRIBUTE, ASSIGNED_AT_ATTRIBUTE = "endpoint", "weight", "assignedAt"


def bucket(runtime_session_id: str) -> int:
    """The session's bucket, ``0`` to ``ROLLOUT_BUCKETS - 1`` (the first 8 bytes of a keyed SHA-256)."""
    digest = hashlib.sha256(_BUCKET_KEY + runtime_session_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % contract.ROLLOUT_BUCKETS


def assign(runtime_session_id: str, weight: int) -> bool:
    """Whether a session starting under ``weight`` (percent) runs on the candidate."""
    return bucket(runtime_session_id) < weight


def parse_switch(value: str) -> int | None:
    """The weight a switch value forces (``None``: follow the deployed weight).

    Raises:
        ValueError: the value is none of ``auto``, ``stable``, ``candidate`` or a whole number from 0 to 100.
    """
    text = value.strip().lower()
    if text == contract.ROLLOUT_SWITCH_AUTO:
        return None
    if text == contract.ROLLOUT_SWITCH_STABLE:
        return 0
    if text == contract.ROLLOUT_SWITCH_CANDIDATE:
        return contract.ROLLOUT_BUCKETS
    if text.isdigit() and 0 <= int(text) <= contract.ROLLOUT_BUCKETS:
        return int(text)
    raise ValueError(f"rollout switch {value!r} is none of auto, stable, candidate or 0 to {contract.ROLLOUT_BUCKETS}")


class SwitchReader:
    """The switch parameter, read through a cache of ``ttl_seconds``.

    Args:
        ssm: a function returning the SSM client (created on first use).
        name: the parameter's name.
        ttl_seconds: how long a value read is trusted.
        clock: monotonic clock (seconds).
    """

    def __init__(self, ssm: Callable[[], Any], name: str, ttl_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ssm, self.name, self.ttl_seconds, self._clock = ssm, name, ttl_seconds, clock
        self._value: int | None = 0
        self._read = False
        self._due = float("-inf")

    def forced_weight(self) -> int | None:
        """The weight the switch forces now, ``None`` to follow the deployed weight (see the module docstring)."""
        now = self._clock()
        if now < self._due:
            return self._value
        self._due = now + self.ttl_seconds
        try:
            value = self._ssm().get_parameter(Name=self.name)["Parameter"]["Value"]
        except (ClientError, BotoCoreError) as error:
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else type(error)
            LOGGER.warning("rollout switch unreadable (%s): %s", code,
                           "keeping the last value" if self._read else "new sessions go to the stable endpoint")
            return self._value
        try:
            self._value = parse_switch(str(value))
        except ValueError as error:
            LOGGER.warning("%s: new sessions go to the stable endpoint", error)
            self._value = 0
        self._read = True
        return self._value


class Assignments:
    """The table of session endpoints (one item per runtime session, see the module docstring).

    Args:
        dynamodb: a function returning the DynamoDB client.
        table: the table name.
        lifetime_seconds: how long a record holds (the agent's session lifetime).
        wall_clock: epoch seconds.
    """

    def __init__(self, dynamodb: Callable[[], Any], table: str, lifetime_seconds: int,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self._dynamodb, self.table, self.lifetime_seconds, self._wall = dynamodb, table, lifetime_seconds, wall_clock

    def recorded(self, runtime_session_id: str) -> tuple[str, float] | None:
        """The session's endpoint and the record's expiry, ``None`` when it has none (or only an expired one)."""
        item = self._dynamodb().get_item(
            TableName=self.table, Key={KEY_ATTRIBUTE: {"S": runtime_session_id}}, ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        expires = float(item.get(EXPIRES_AT_ATTRIBUTE, {}).get("N", "0"))
        if expires <= self._wall():  # DynamoDB deletes expired items late: an expired record is no record
            return None
        return str(item[ENDPOINT_ATTRIBUTE]["S"]), expires

    def claim(self, runtime_session_id: str, endpoint: str, weight: int, *, replacing: str | None = None
              ) -> tuple[str, float]:
        """Record ``endpoint`` for a session that has no live record (or whose record names ``replacing``, an endpoint
        the rollout no longer has); the endpoint that holds (another writer's, when one came first) and its expiry."""
        now = int(self._wall())
        expires = now + self.lifetime_seconds
        condition = "attribute_not_exists(#k) OR #e <= :now"
        names = {"#k": KEY_ATTRIBUTE, "#e": EXPIRES_AT_ATTRIBUTE}
        values = {":now": {"N": str(now)}}
        if replacing is not None:
            condition += " OR #p = :replaced"
            names["#p"] = ENDPOINT_ATTRIBUTE
            values[":replaced"] = {"S": replacing}
        try:
            self._dynamodb().put_item(
                TableName=self.table,
                Item={KEY_ATTRIBUTE: {"S": runtime_session_id}, ENDPOINT_ATTRIBUTE: {"S": endpoint},
                      WEIGHT_ATTRIBUTE: {"N": str(weight)}, ASSIGNED_AT_ATTRIBUTE: {"N": str(now)},
                      EXPIRES_AT_ATTRIBUTE: {"N": str(expires)}},
                ConditionExpression=condition, ExpressionAttributeNames=names, ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            first = self.recorded(runtime_session_id)
            if first is not None:
                return first
        return endpoint, float(expires)


@dataclass(frozen=True)
class RolloutSettings:
    """The rollout a construct configured (read once from the environment).

    Attributes:
        stable: the stable endpoint.
        candidate: the candidate endpoint.
        weight: the candidate's deployed share of new sessions, in percent.
        switch_parameter: the switch's SSM parameter name.
        switch_cache_seconds: how long the switch read is trusted.
        table: the assignment table.
        lifetime_seconds: how long an assignment holds.
    """

    stable: str
    candidate: str
    weight: int
    switch_parameter: str
    switch_cache_seconds: float
    table: str
    lifetime_seconds: int

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> RolloutSettings | None:
        """``None`` without ``ROLLOUT_STABLE_ENDPOINT``; else every rollout variable, or a
        :class:`contract.ConfigurationError` naming the first missing or malformed one."""
        if not env.get(contract.ENV_ROLLOUT_STABLE):
            return None
        weight_text = contract.require(env, contract.ENV_ROLLOUT_CANDIDATE_WEIGHT)
        if not weight_text.isdigit() or int(weight_text) > contract.ROLLOUT_BUCKETS:
            raise contract.ConfigurationError(
                f"{contract.ENV_ROLLOUT_CANDIDATE_WEIGHT} must be a whole number from 0 to "
                f"{contract.ROLLOUT_BUCKETS}, got {weight_text!r}")
        return cls(
            stable=contract.require(env, contract.ENV_ROLLOUT_STABLE),
            candidate=contract.require(env, contract.ENV_ROLLOUT_CANDIDATE),
            weight=int(weight_text),
            switch_parameter=contract.require(env, contract.ENV_ROLLOUT_SWITCH_PARAMETER),
            switch_cache_seconds=contract.require_number(env, contract.ENV_ROLLOUT_SWITCH_CACHE_SECONDS),
            table=contract.require(env, contract.ENV_ROLLOUT_SESSIONS_TABLE),
            lifetime_seconds=int(contract.require_number(env, contract.ENV_ROLLOUT_SESSION_LIFETIME_SECONDS)),
        )


class Routing:
    """Which endpoint a proxy invokes for a runtime session.

    Args:
        qualifier: the facade's endpoint (``AGENT_QUALIFIER``): the only one without a rollout.
        rollout: the rollout, or ``None``.
        client: a function returning a boto3 client by service name (``ssm``, ``dynamodb``).
        clock: monotonic clock (the switch cache).
        wall_clock: epoch seconds (record expiry).
    """

    def __init__(self, qualifier: str, rollout: RolloutSettings | None, client: Callable[[str], Any], *,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time) -> None:
        self.qualifier = qualifier
        self.rollout = rollout
        self._wall = wall_clock
        self._known: collections.OrderedDict[str, tuple[str, float]] = collections.OrderedDict()
        self.switch = None if rollout is None else SwitchReader(
            lambda: client("ssm"), rollout.switch_parameter, rollout.switch_cache_seconds, clock)
        self.assignments = None if rollout is None else Assignments(
            lambda: client("dynamodb"), rollout.table, rollout.lifetime_seconds, wall_clock)

    @classmethod
    def from_environment(cls, env: Mapping[str, str], client: Callable[[str], Any]) -> Routing:
        """The routing the construct configured (``AGENT_QUALIFIER`` and the ``ROLLOUT_*`` variables)."""
        return cls(contract.require(env, contract.ENV_AGENT_QUALIFIER), RolloutSettings.from_environment(env), client)

    def weight_now(self) -> int:
        """The weight a session starting now is assigned under: the switch's, or the deployed one."""
        if self.rollout is None or self.switch is None:
            return 0
        forced = self.switch.forced_weight()
        return self.rollout.weight if forced is None else forced

    def qualifier_for(self, runtime_session_id: str) -> str:
        """The session's endpoint: recorded, or assigned now under :meth:`weight_now` and recorded."""
        if self.rollout is None or self.assignments is None:
            return self.qualifier
        known = self._remembered(runtime_session_id)
        if known is None:
            known = self.assignments.recorded(runtime_session_id)
        if known is None or known[0] not in (self.rollout.stable, self.rollout.candidate):
            replacing = None if known is None else known[0]  # the endpoints were renamed since: assign again
            weight = self.weight_now()
            endpoint = self.rollout.candidate if assign(runtime_session_id, weight) else self.rollout.stable
            known = self.assignments.claim(runtime_session_id, endpoint, weight, replacing=replacing)
            LOGGER.info("new session assigned to endpoint %s (weight %d)", known[0], weight)
        self._remember(runtime_session_id, known)
        return known[0]

    def recorded_qualifier(self, runtime_session_id: str) -> str | None:
        """The endpoint a session was assigned (for ``StopRuntimeSession``), without assigning one: ``None`` when the
        session has no live record (it never ran through a rollout proxy, or it has ended)."""
        if self.rollout is None or self.assignments is None:
            return self.qualifier
        known = self._remembered(runtime_session_id) or self.assignments.recorded(runtime_session_id)
        return None if known is None else known[0]

    def _remembered(self, runtime_session_id: str) -> tuple[str, float] | None:
        known = self._known.get(runtime_session_id)
        if known is not None and known[1] <= self._wall():
            del self._known[runtime_session_id]
            return None
        return known

    def _remember(self, runtime_session_id: str, known: tuple[str, float]) -> None:
        self._known[runtime_session_id] = known
        self._known.move_to_end(runtime_session_id)
        while len(self._known) > ASSIGNMENT_CACHE_ENTRIES:
            self._known.popitem(last=False)


__all__ = [
    "ASSIGNMENT_CACHE_ENTRIES",
    "Assignments",
    "RolloutSettings",
    "Routing",
    "SwitchReader",
    "assign",
    "bucket",
    "parse_switch",
]
