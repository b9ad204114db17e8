"""Callers and what belongs to them: the full principal of a proxy event, the caller-bound runtime session, the
runtime user id and the staging segment (pure functions of the handlers' ``caller`` module)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.handlers import contract
from constructs_lib.handlers.caller import Caller, caller_of
from constructs_lib.limits.service import (
    SESSION_HEADER,
    SESSION_ID_MAX_LENGTH,
    SESSION_ID_MIN_LENGTH,
    SESSION_ID_PATTERN,
)
from tests.harness.callers import AuthorizerCaller, CognitoIdentityCaller, IamCaller, UserPoolCaller
from tests.harness.proxy_events import caller_context

RULE = contract.SessionIdRule(SESSION_HEADER, SESSION_ID_PATTERN, SESSION_ID_MIN_LENGTH, SESSION_ID_MAX_LENGTH)
CLIENT_IDS = st.from_regex(SESSION_ID_PATTERN, fullmatch=True)
PRINCIPALS = st.text(min_size=1, max_size=300)


def context_of(caller: Any) -> dict[str, Any]:
    """``requestContext`` as API Gateway fills it in for ``caller`` (the harness's caller shapes)."""
    return caller_context(caller, "127.0.0.1", "test")


@pytest.mark.parametrize(("caller", "expected"), [
    (IamCaller.assumed_role("web-app", "alice"),
     Caller("iam", "arn:aws:sts::123456789012:assumed-role/web-app/alice")),
    (IamCaller.user("bob"), Caller("iam", "arn:aws:iam::123456789012:user/bob")),
    (CognitoIdentityCaller("us-east-1:1111"),
     Caller("cognito-identity", "us-east-1:00000000-0000-4000-8000-000000000000/us-east-1:1111")),
    (AuthorizerCaller("user-42", {"tenant": "t1"}), Caller("authorizer", "user-42")),
    (UserPoolCaller({"sub": "abc", "iss": "https://cognito-idp.us-east-1.amazonaws.com/pool"}),
     Caller("user-pool", "https://cognito-idp.us-east-1.amazonaws.com/pool/abc")),
])
def test_the_caller_is_the_full_principal_api_gateway_authenticated(caller: Any, expected: Caller) -> None:
    # WHEN the caller of a proxy event's requestContext is read THEN it is the full principal of its kind (a role
    # session with its name, an identity of a pool rather than the pool's role, an authorizer's principal)
    assert caller_of(context_of(caller)) == expected


def test_a_request_api_gateway_authenticated_nobody_for_has_no_caller() -> None:
    assert caller_of(context_of(None)) is None
    assert caller_of(None) is None
    assert caller_of({"identity": {"userArn": ""}, "authorizer": {"principalId": None}}) is None


@given(PRINCIPALS, PRINCIPALS, CLIENT_IDS)
def test_two_callers_never_share_a_runtime_session_for_one_client_session_id(first: str, second: str,
                                                                           client_id: str) -> None:
    # GIVEN two different callers using the same client session id
    a, b = Caller("iam", first), Caller("iam", second)
    # THEN each gets a runtime session AgentCore accepts, its own, the same every time
    ids = a.runtime_session_id(client_id, RULE), b.runtime_session_id(client_id, RULE)
    assert all(RULE.accepts(i) for i in ids)
    assert (ids[0] == ids[1]) is (first == second)
    assert a.runtime_session_id(client_id, RULE) == ids[0]


@given(CLIENT_IDS, CLIENT_IDS)
def test_one_caller_gets_one_runtime_session_per_client_session_id(first: str, second: str) -> None:
    caller = Caller("authorizer", "user-42")
    assert (caller.runtime_session_id(first, RULE) == caller.runtime_session_id(second, RULE)) is (first == second)


def test_kinds_separate_callers_with_the_same_principal_text() -> None:
    assert Caller("authorizer", "x").runtime_session_id("c" * 40, RULE) != Caller("iam", "x").runtime_session_id(
        "c" * 40, RULE)


@pytest.mark.parametrize("minimum", [33, 64, 70, 100])
def test_the_derived_id_has_the_length_the_rule_allows(minimum: int) -> None:
    rule = contract.SessionIdRule(SESSION_HEADER, SESSION_ID_PATTERN, minimum, SESSION_ID_MAX_LENGTH)
    assert len(Caller("iam", "x").runtime_session_id("c" * 40, rule)) == max(minimum, 64)


def test_fails_when_the_rule_cannot_accept_derived_ids() -> None:
    import re

    rule = contract.SessionIdRule(SESSION_HEADER, re.compile(r"^[A-Z]{33,100}$"), 33, 100)
    with pytest.raises(contract.ConfigurationError, match="SESSION_ID_PATTERN"):
        Caller("iam", "x").runtime_session_id("c" * 40, rule)


def test_the_runtime_user_id_is_the_callers_key_or_its_digest_above_the_limit() -> None:
    caller = Caller("authorizer", "u" * 2000)
    assert Caller("iam", "arn:x").runtime_user_id(1024) == "iam:arn:x"
    long_id = caller.runtime_user_id(1024)
    assert long_id.startswith("sha256:") and len(long_id) == len("sha256:") + 64


def test_the_staging_segment_is_per_caller_and_reveals_no_identity() -> None:
    alice, bob = Caller("iam", "arn:alice"), Caller("iam", "arn:bob")
    assert alice.staging_segment != bob.staging_segment
    assert "alice" not in alice.staging_segment and len(alice.staging_segment) == 32
