"""The routing module of the proxies against moto's server on loopback (DynamoDB, SSM): the switch cache and its
fail-safe, records that expire or name an endpoint the rollout no longer has, and two proxies starting one session."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from constructs_lib.handlers import contract
from constructs_lib.handlers.rollout import Assignments, RolloutSettings, Routing, SwitchReader, assign
from tests.harness.moto_backend import MotoBackend

LIFETIME = 3600


class Counting:
    """A real client, counting the calls made through it."""

    def __init__(self, client: Any) -> None:
        self.client, self.calls = client, 0

    def __getattr__(self, name: str) -> Any:
        self.calls += 1
        return getattr(self.client, name)


@pytest.fixture
def table(moto_server: MotoBackend) -> Iterator[str]:
    name = f"rollout-{secrets.token_hex(4)}"
    dynamodb = moto_server.client("dynamodb")
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": contract.ROLLOUT_SESSION_KEY, "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": contract.ROLLOUT_SESSION_KEY, "AttributeType": "S"}])
    yield name
    dynamodb.delete_table(TableName=name)


@pytest.fixture
def parameter(moto_server: MotoBackend) -> Iterator[str]:
    name = f"/test/{secrets.token_hex(4)}/rollout-switch"
    moto_server.client("ssm").put_parameter(Name=name, Value="auto", Type="String")
    yield name
    moto_server.client("ssm").delete_parameter(Name=name)


def routing(moto: MotoBackend, table: str, parameter: str, *, weight: int = 10, now: list[float] | None = None,
            stable: str = "prod") -> Routing:
    clock = now if now is not None else [1_000_000.0]
    settings = RolloutSettings(stable=stable, candidate="canary", weight=weight, switch_parameter=parameter,
                               switch_cache_seconds=10, table=table, lifetime_seconds=LIFETIME)
    return Routing("prod", settings, moto.client, clock=lambda: clock[0], wall_clock=lambda: clock[0])


def session_with(weight: int, on_candidate: bool) -> str:
    while True:
        session = secrets.token_hex(20)
        if assign(session, weight) is on_candidate:
            return session


def test_the_switch_is_read_once_per_cache_period(moto_server: MotoBackend, parameter: str) -> None:
    ssm = Counting(moto_server.client("ssm"))
    now = [0.0]
    reader = SwitchReader(lambda: ssm, parameter, 10, clock=lambda: now[0])
    assert reader.forced_weight() is None and ssm.calls == 1
    moto_server.client("ssm").put_parameter(Name=parameter, Value="stable", Type="String", Overwrite=True)
    now[0] = 9.9
    assert reader.forced_weight() is None and ssm.calls == 1  # cached
    now[0] = 10.0
    assert reader.forced_weight() == 0 and ssm.calls == 2


def test_an_unreadable_switch_sends_new_sessions_to_stable_until_one_is_read(moto_server: MotoBackend) -> None:
    now = [0.0]
    reader = SwitchReader(lambda: moto_server.client("ssm"), "/no/such/parameter", 10, clock=lambda: now[0])
    assert reader.forced_weight() == 0


def test_an_unreadable_switch_keeps_the_last_value_read(moto_server: MotoBackend, parameter: str) -> None:
    now = [0.0]
    name = [parameter]
    ssm = moto_server.client("ssm")
    moto_server.client("ssm").put_parameter(Name=parameter, Value="40", Type="String", Overwrite=True)

    class Renamed:
        def get_parameter(self, **kwargs: Any) -> Any:
            return ssm.get_parameter(**{**kwargs, "Name": name[0]})

    reader = SwitchReader(Renamed, parameter, 10, clock=lambda: now[0])
    assert reader.forced_weight() == 40
    name[0] = "/no/such/parameter"  # SSM answers ParameterNotFound from now on
    now[0] = 20.0
    assert reader.forced_weight() == 40


def test_a_malformed_switch_sends_new_sessions_to_stable(moto_server: MotoBackend, table: str,
                                                          parameter: str) -> None:
    moto_server.client("ssm").put_parameter(Name=parameter, Value="everything", Type="String", Overwrite=True)
    route = routing(moto_server, table, parameter, weight=100)
    assert route.qualifier_for(secrets.token_hex(20)) == "prod"


def test_an_expired_record_is_no_record(moto_server: MotoBackend, table: str, parameter: str) -> None:
    # GIVEN a session recorded on the candidate under weight 100
    now = [1_000_000.0]
    session = secrets.token_hex(20)
    assert routing(moto_server, table, parameter, weight=100, now=now).qualifier_for(session) == "canary"
    # WHEN the session lifetime has passed and a proxy (a fresh one) sees it under weight 0
    now[0] += LIFETIME + 1
    # THEN it starts again, on stable, and the record says so
    assert routing(moto_server, table, parameter, weight=0, now=now).qualifier_for(session) == "prod"
    item = moto_server.client("dynamodb").get_item(
        TableName=table, Key={contract.ROLLOUT_SESSION_KEY: {"S": session}})["Item"]
    assert item["endpoint"] == {"S": "prod"} and int(item["expiresAt"]["N"]) == int(now[0]) + LIFETIME


def test_a_record_of_an_endpoint_the_rollout_no_longer_has_is_assigned_again(
    moto_server: MotoBackend, table: str, parameter: str
) -> None:
    session = session_with(10, on_candidate=False)
    assert routing(moto_server, table, parameter, stable="blue").qualifier_for(session) == "blue"
    # WHEN the stable endpoint was renamed in a deploy
    assert routing(moto_server, table, parameter, stable="green").qualifier_for(session) == "green"


def test_the_first_proxy_to_record_a_session_wins(moto_server: MotoBackend, table: str, parameter: str) -> None:
    # GIVEN a session whose bucket puts it on the candidate under 50 and on stable under 0
    session = session_with(50, on_candidate=True)
    first = Assignments(lambda: moto_server.client("dynamodb"), table, LIFETIME)
    # WHEN one proxy records it on the candidate, and another (which read no record yet) claims stable
    assert first.claim(session, "canary", 50)[0] == "canary"
    second = Assignments(lambda: moto_server.client("dynamodb"), table, LIFETIME)
    # THEN the second gets the first's endpoint
    assert second.claim(session, "prod", 0)[0] == "canary"


def test_a_proxy_without_a_rollout_invokes_its_qualifier_without_calling_aws() -> None:
    def no_client(name: str) -> Any:
        raise AssertionError(f"no {name} call expected")

    route = Routing("prod", None, no_client)
    assert route.qualifier_for("s" * 40) == "prod" and route.recorded_qualifier("s" * 40) == "prod"


def test_settings_without_a_weight_are_a_configuration_error() -> None:
    env = {contract.ENV_ROLLOUT_STABLE: "prod", contract.ENV_ROLLOUT_CANDIDATE: "canary",
           contract.ENV_ROLLOUT_CANDIDATE_WEIGHT: "110"}
    with pytest.raises(contract.ConfigurationError, match=contract.ENV_ROLLOUT_CANDIDATE_WEIGHT):
        RolloutSettings.from_environment(env)
    assert RolloutSettings.from_environment({}) is None
