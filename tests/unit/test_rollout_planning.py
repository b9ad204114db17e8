"""Rollout planning and assignment, as properties: the checks of the props, the plan's thresholds, the record, and the
assignment of sessions to endpoints by weight."""

from __future__ import annotations

import string
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.handlers import contract
from constructs_lib.handlers.rollout import assign, bucket, parse_switch
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.service import NAME_MAX_LENGTH
from constructs_lib.planning.agent_plan import CapacityPlan, InvocationMode
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.planning.rollout import (
    INVALID_ROLLOUT_ENDPOINT,
    INVALID_ROLLOUT_THRESHOLD,
    INVALID_ROLLOUT_VERSION,
    INVALID_ROLLOUT_WEIGHT,
    WEIGHT_MAX,
    RolloutPlan,
    rollout_problems,
)

NAMES = st.from_regex(rf"\A[a-zA-Z][a-zA-Z0-9_]{{0,{NAME_MAX_LENGTH - 1}}}\Z").filter(lambda n: n != "DEFAULT")
VERSIONS = st.integers(min_value=1, max_value=99999).map(str)
SESSION_IDS = st.text(string.ascii_letters + string.digits + "-_", min_size=33, max_size=100)


def codes(**props: object) -> set[str]:
    base: dict[str, object] = {"stable": "prod", "candidate": "canary", "stable_version": "3",
                               "candidate_version": None, "candidate_weight": 10}
    return {code for code, _ in rollout_problems(**{**base, **props})}  # type: ignore[arg-type]


@given(stable=NAMES, candidate=NAMES, stable_version=VERSIONS, candidate_version=st.none() | VERSIONS,
       weight=st.integers(min_value=0, max_value=WEIGHT_MAX),
       error_rate=st.floats(min_value=1e-6, max_value=1.0), latency=st.floats(min_value=1e-6, max_value=1.0))
def test_every_well_formed_rollout_has_no_problem_unless_its_endpoints_are_the_same(
    stable: str, candidate: str, stable_version: str, candidate_version: str | None, weight: int,
    error_rate: float, latency: float,
) -> None:
    found = rollout_problems(stable=stable, candidate=candidate, stable_version=stable_version,
                             candidate_version=candidate_version, candidate_weight=weight,
                             rollback_error_rate=error_rate, rollback_latency_fraction=latency)
    assert found == ([] if stable != candidate else [(INVALID_ROLLOUT_ENDPOINT, found[0][1])])


@given(weight=st.integers().filter(lambda w: not 0 <= w <= WEIGHT_MAX) | st.floats() | st.booleans() | st.text())
def test_a_weight_outside_0_to_100_whole_percent_is_a_problem(weight: object) -> None:
    assert codes(candidate_weight=weight) == {INVALID_ROLLOUT_WEIGHT}


@given(version=st.text(max_size=8).filter(lambda v: not (v.isascii() and v.isdigit() and v[0] != "0" and len(v) <= 5)))
def test_a_pin_that_is_not_a_runtime_version_is_a_problem(version: str) -> None:
    assert codes(stable_version=version) == {INVALID_ROLLOUT_VERSION}
    assert codes(candidate_version=version) == {INVALID_ROLLOUT_VERSION}


@given(value=st.floats(allow_nan=True).filter(lambda v: not 0 < v <= 1) | st.integers().filter(lambda v: v != 1))
def test_a_threshold_outside_the_unit_interval_is_a_problem(value: float) -> None:
    assert codes(rollback_error_rate=value) == {INVALID_ROLLOUT_THRESHOLD}
    assert codes(rollback_latency_fraction=value) == {INVALID_ROLLOUT_THRESHOLD}


def test_default_or_an_invalid_name_is_refused_for_either_endpoint() -> None:
    assert codes(stable="DEFAULT") == {INVALID_ROLLOUT_ENDPOINT}
    assert codes(candidate="canary-v2") == {INVALID_ROLLOUT_ENDPOINT}


@given(seconds=st.integers(min_value=1, max_value=8 * 3600), fraction=st.floats(min_value=0.01, max_value=1.0),
       weight=st.integers(min_value=0, max_value=WEIGHT_MAX))
def test_the_latency_threshold_is_the_fraction_of_the_modes_limit_and_the_record_reads_back(
    seconds: int, fraction: float, weight: int
) -> None:
    plan = CapacityPlan.derive(WorkloadProfile(longest_task=timedelta(seconds=seconds)))
    rollout = RolloutPlan.derive(plan, QuotaCatalog(), stable="prod", stable_version="3", candidate="canary",
                                 candidate_version=None, candidate_follows_latest=True, candidate_weight=weight,
                                 rollback_latency_fraction=fraction)
    # an asynchronous invocation answers at once: its latency is bound by the synchronous request timeout
    limit_seconds = (QuotaCatalog().value(QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT)
                     if plan.mode is InvocationMode.ASYNCHRONOUS else plan.mode_limit_seconds)
    assert rollout.latency_limit_ms == pytest.approx(limit_seconds * 1000)
    assert rollout.latency_threshold_ms == pytest.approx(fraction * limit_seconds * 1000)
    assert RolloutPlan.from_dict(rollout.to_dict()) == rollout


@given(session=SESSION_IDS, low=st.integers(min_value=0, max_value=WEIGHT_MAX),
       high=st.integers(min_value=0, max_value=WEIGHT_MAX))
def test_assignment_is_a_pure_function_of_the_session_and_monotonic_in_the_weight(
    session: str, low: int, high: int
) -> None:
    low, high = min(low, high), max(low, high)
    assert 0 <= bucket(session) < contract.ROLLOUT_BUCKETS and bucket(session) == bucket(session)
    assert not assign(session, 0) and assign(session, WEIGHT_MAX)
    # a session on the candidate under a weight is on it under every larger weight
    assert not assign(session, low) or assign(session, high)


def test_the_handlers_buckets_are_the_planners_percent() -> None:
    assert contract.ROLLOUT_BUCKETS == WEIGHT_MAX


@pytest.mark.parametrize(("value", "weight"), [
    ("auto", None), (" Auto\n", None), ("stable", 0), ("candidate", WEIGHT_MAX), ("0", 0), ("25", 25), ("100", 100)])
def test_switch_values(value: str, weight: int | None) -> None:
    assert parse_switch(value) == weight


@pytest.mark.parametrize("value", ["", "101", "-5", "12.5", "prod", "on"])
def test_malformed_switch_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="rollout switch"):
        parse_switch(value)
