"""The quota catalog: editions, regions, approved overrides and their validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.catalog import (
    ANY_REGION,
    QuotaCatalog,
    QuotaEdition,
    QuotaName,
    QuotaScope,
    QuotaSource,
    Unit,
    format_value,
    quota_table,
)

MIB = 1024 * 1024

# The reference's quota table, row by row: (quota, 2026-03 value, 2026-09 value, adjustable in 2026-09).
REFERENCE_ROWS = [
    (QuotaName.SESSION_VCPU, 2, 2, False),
    (QuotaName.SESSION_MEMORY, 8 * 1024 * MIB, 8 * 1024 * MIB, False),
    (QuotaName.CONTAINER_IMAGE_SIZE, 2 * 1024 * MIB, 2 * 1024 * MIB, False),
    (QuotaName.CODE_PACKAGE_ZIPPED, 250 * MIB, 250 * MIB, False),
    (QuotaName.CODE_PACKAGE_UNZIPPED, 750 * MIB, 750 * MIB, False),
    (QuotaName.VERSIONS_PER_AGENT, 1000, 1000, True),
    (QuotaName.ENDPOINTS_PER_AGENT, 10, 10, True),
    (QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT, 900, 900, False),
    (QuotaName.REQUEST_PAYLOAD, 100 * MIB, 100 * MIB, False),
    (QuotaName.STREAMING_DURATION, 3600, 3600, False),
    (QuotaName.STREAMING_CHUNK, 10 * MIB, 10 * MIB, False),
    (QuotaName.ASYNCHRONOUS_JOB_DURATION, 8 * 3600, 8 * 3600, False),
    (QuotaName.WEBSOCKET_FRAME_SIZE, 32 * 1024, 64 * 1024, False),
    (QuotaName.WEBSOCKET_FRAMES_PER_SECOND, 250, 250, False),
    (QuotaName.INVOKE_RATE, 25, 1000, True),
    (QuotaName.CONTROL_PLANE_MUTATION_RATE, 5, 50, False),
    (QuotaName.CONTROL_PLANE_GET_RATE, 50, 150, False),
]


@pytest.mark.parametrize(("name", "old", "new", "adjustable"), REFERENCE_ROWS)
def test_catalog_matches_the_reference_in_both_editions(
    name: QuotaName, old: float, new: float, adjustable: bool
) -> None:
    # GIVEN both editions WHEN a quota is read THEN it has the published value and kind
    assert QuotaCatalog("2026-03").get(name).value == old
    assert QuotaCatalog("2026-09").get(name).value == new
    assert QuotaCatalog("2026-09").get(name).adjustable is adjustable


def test_default_edition_is_the_newest() -> None:
    assert QuotaCatalog().edition is QuotaEdition.E2026_09 is QuotaEdition.latest()


def test_invoke_rate_scope_changes_between_editions() -> None:
    # The rate model (per endpoint vs account pool) is derived from the scope, not a flag.
    assert QuotaCatalog("2026-03").get(QuotaName.INVOKE_RATE).scope is QuotaScope.ENDPOINT
    assert QuotaCatalog("2026-09").get(QuotaName.INVOKE_RATE).scope is QuotaScope.ACCOUNT_AND_REGION


def test_session_creation_rate_differs_by_artifact_only_in_2026_03() -> None:
    old = QuotaCatalog("2026-03")
    assert old.resolve(QuotaName.SESSION_CREATION_RATE_CONTAINER).per_second == pytest.approx(100 / 60)
    assert old.resolve(QuotaName.SESSION_CREATION_RATE_DIRECT_CODE).per_second == 25
    new = QuotaCatalog("2026-09")
    assert new.resolve(QuotaName.SESSION_CREATION_RATE_CONTAINER).per_second == 25
    assert new.resolve(QuotaName.SESSION_CREATION_RATE_DIRECT_CODE).per_second == 25


def test_edition_specific_quotas() -> None:
    assert QuotaCatalog("2026-03").has(QuotaName.WEBSOCKET_INVOCATION_RATE)
    assert not QuotaCatalog("2026-09").has(QuotaName.WEBSOCKET_INVOCATION_RATE)
    assert not QuotaCatalog("2026-03").has(QuotaName.AGENTS_PER_ACCOUNT)
    assert QuotaCatalog("2026-09").get(QuotaName.AGENTS_PER_ACCOUNT).code == "L-F4575653"


def test_fails_when_quota_is_not_in_edition() -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        QuotaCatalog("2026-03").get(QuotaName.AGENTS_PER_ACCOUNT)
    assert exc.value.code == "QuotaNotInEdition"


def test_fails_when_edition_is_unknown() -> None:
    with pytest.raises(ConstructsLibValidationError, match="2026-03, 2026-09") as exc:
        QuotaCatalog("2025-01")
    assert exc.value.code == "UnknownQuotaEdition"


@pytest.mark.parametrize(
    ("edition", "region", "expected"),
    [
        ("2026-09", "us-east-1", 5000),
        ("2026-09", "us-west-2", 5000),
        ("2026-09", "eu-west-1", 2500),
        ("2026-03", "us-east-1", 1000),
        ("2026-03", "ap-southeast-2", 500),
    ],
)
def test_active_sessions_resolve_by_region(edition: str, region: str, expected: int) -> None:
    resolved = QuotaCatalog(edition).resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, region)
    assert resolved.value == expected
    assert resolved.source is QuotaSource.CATALOG


def test_unknown_region_plans_against_the_smallest_value_and_says_so() -> None:
    resolved = QuotaCatalog().resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, None)
    assert resolved.value == 2500
    assert resolved.source is QuotaSource.REGIONAL_MINIMUM
    assert "smallest regional value" in resolved.describe()


def test_override_raises_an_adjustable_quota_everywhere() -> None:
    catalog = QuotaCatalog(overrides={"invoke_rate": 3000})
    resolved = catalog.resolve(QuotaName.INVOKE_RATE, "eu-west-1")
    assert resolved.value == 3000
    assert resolved.source is QuotaSource.OVERRIDE
    assert "approved override 3,000 TPS in use" in resolved.describe()


def test_override_per_region_applies_only_there() -> None:
    catalog = QuotaCatalog(overrides={"active_session_workloads": {"eu-west-1": 4000}})
    assert catalog.value(QuotaName.ACTIVE_SESSION_WORKLOADS, "eu-west-1") == 4000
    assert catalog.value(QuotaName.ACTIVE_SESSION_WORKLOADS, "eu-central-1") == 2500
    assert catalog.value(QuotaName.ACTIVE_SESSION_WORKLOADS, "us-east-1") == 5000
    # Region unknown: still the smallest any region could have.
    assert catalog.value(QuotaName.ACTIVE_SESSION_WORKLOADS, None) == 2500


def test_wildcard_override_with_region_exception() -> None:
    catalog = QuotaCatalog(overrides={"active_session_workloads": {ANY_REGION: 8000, "ap-south-1": 3000}})
    assert catalog.value(QuotaName.ACTIVE_SESSION_WORKLOADS, "us-east-1") == 8000
    assert catalog.value(QuotaName.ACTIVE_SESSION_WORKLOADS, "ap-south-1") == 3000
    assert catalog.value(QuotaName.ACTIVE_SESSION_WORKLOADS, None) == 3000


def test_fails_when_overriding_a_hard_limit() -> None:
    with pytest.raises(ConstructsLibValidationError, match="request_payload.*cannot be raised") as exc:
        QuotaCatalog(overrides={"request_payload": 200 * MIB})
    assert exc.value.code == "NonAdjustableQuota"


def test_fails_when_overriding_a_quota_that_became_hard_in_2026_09() -> None:
    QuotaCatalog("2026-03", overrides={"control_plane_mutation_rate": 10})
    with pytest.raises(ConstructsLibValidationError) as exc:
        QuotaCatalog("2026-09", overrides={"control_plane_mutation_rate": 10})
    assert exc.value.code == "NonAdjustableQuota"


@pytest.mark.parametrize("bad", [0, -5, "many", True, float("inf"), {"us-east-1": -1}])
def test_fails_when_override_value_is_not_a_positive_number(bad: object) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        QuotaCatalog(overrides={"invoke_rate": bad})  # type: ignore[dict-item]
    assert exc.value.code == "InvalidQuotaOverride"


def test_fails_when_override_names_an_unknown_quota_and_lists_all_problems() -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        QuotaCatalog(overrides={"invoke_rates": 10, "session_vcpu": 4})
    message = str(exc.value)
    assert "'invoke_rates' is not a quota" in message
    assert "'session_vcpu'" in message and "cannot be raised" in message
    assert exc.value.code == "InvalidQuotaOverride"


def test_describe_names_code_and_edition() -> None:
    text = QuotaCatalog("2026-03").resolve(QuotaName.ENDPOINTS_PER_AGENT, "us-east-1").describe()
    assert text == (
        "Amazon Bedrock AgentCore quota 'endpoints per agent' (edition 2026-03, adjustable, "
        "Service Quotas code L-9B442722)"
    )
    hard = QuotaCatalog().resolve(QuotaName.REQUEST_PAYLOAD, "us-east-1")
    assert "hard limit" in hard.describe()
    assert hard.increase_advice() == "this is a hard limit that cannot be raised"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (100 * MIB, Unit.BYTES, "100 MiB"),
        (64 * 1024, Unit.BYTES, "64 KiB"),
        (2 * 1024 * MIB, Unit.BYTES, "2 GiB"),
        (900, Unit.SECONDS, "15 min"),
        (8 * 3600, Unit.SECONDS, "8 h"),
        (45 * 86400, Unit.SECONDS, "45 days"),
        (25, Unit.PER_SECOND, "25 TPS"),
        (100, Unit.PER_MINUTE, "100 per minute"),
        (5000, Unit.COUNT, "5,000"),
    ],
)
def test_format_value(value: float, unit: Unit, text: str) -> None:
    assert format_value(value, unit) == text


def test_quota_table_lists_every_quota() -> None:
    catalog = QuotaCatalog()
    rows = quota_table(catalog, "us-east-1")
    assert {r["quota"] for r in rows} == {q.name.value for q in catalog.quotas()}


@given(
    default=st.integers(min_value=1, max_value=10**6),
    regional=st.dictionaries(st.sampled_from(["us-east-1", "eu-west-1", "ap-south-1"]),
                             st.integers(min_value=1, max_value=10**6), max_size=3),
    region=st.sampled_from(["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1", None]),
)
def test_override_resolution_never_exceeds_what_the_region_could_have(
    default: int, regional: dict[str, int], region: str | None
) -> None:
    # GIVEN any approved overrides WHEN resolving for a region (or none) THEN the value is the override
    # for that region when one applies, and for an unknown region never more than any region gets.
    overrides = {"active_session_workloads": {ANY_REGION: default, **regional}}
    catalog = QuotaCatalog(overrides=overrides)
    value = catalog.value(QuotaName.ACTIVE_SESSION_WORKLOADS, region)
    if region is None:
        assert value == min([default, *regional.values()])
    else:
        assert value == regional.get(region, default)
