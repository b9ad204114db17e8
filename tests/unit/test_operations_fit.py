"""Operations fit (planning, no CDK): alarm thresholds per edition and the version-archive projection.

Thresholds are fractions of resolved quotas: never above the quota for a fraction in (0, 1], following approved
overrides and the region, per endpoint where the edition counts per endpoint. Every finding code has a passing and a
failing case.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.planning.agent_plan import ArtifactKind, InvocationMode
from constructs_lib.planning.findings import Severity
from constructs_lib.planning.operations import (
    MOSTLY,
    SUSTAINED,
    account_session_creation_alarms,
    active_session_alarms,
    alarm_metric_findings,
    archive_projection,
    archive_transition_problems,
    count_levels,
    default_period_seconds,
    invoke_rate_alarms,
    latency_alarms,
    level_problems,
    new_session_alarms,
    period_problems,
    sweep_interval_seconds,
)

OLD, NEW = QuotaCatalog("2026-03"), QuotaCatalog("2026-09")
CATALOGS = st.sampled_from([OLD, NEW])
REGIONS = st.sampled_from([None, "us-east-1", "eu-west-1"])
FRACTIONS = st.floats(min_value=1e-6, max_value=1.0, allow_nan=False)
LEVELS = st.dictionaries(st.sampled_from(["Warning", "Critical", "Page"]), FRACTIONS, min_size=1)
PERIOD = NEW.value(QuotaName.CLOUDWATCH_METRIC_PERIOD)
PERIODS = st.integers(1, 60).map(lambda n: n * PERIOD)
ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


@given(catalog=CATALOGS, region=REGIONS, levels=LEVELS)
def test_active_session_thresholds_stay_below_the_regional_quota(
    catalog: QuotaCatalog, region: str | None, levels: dict[str, float]
) -> None:
    alarms = active_session_alarms(catalog, region, levels)
    quota = catalog.resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, region)
    assert alarms.limit == quota.value
    for level in alarms.levels:
        assert 0 < level.threshold <= quota.value
        assert level.threshold == pytest.approx(levels[level.level] * quota.value)


def test_active_sessions_follow_the_region_and_overrides() -> None:
    assert active_session_alarms(NEW, "us-east-1", {"W": 0.8}).levels[0].threshold == pytest.approx(0.8 * 5000)
    assert active_session_alarms(NEW, None, {"W": 0.8}).levels[0].threshold == pytest.approx(0.8 * 2500)
    raised = NEW.with_overrides({"active_session_workloads": {"us-east-1": 8000}})
    assert active_session_alarms(raised, "us-east-1", {"W": 0.5}).levels[0].threshold == pytest.approx(4000)


@given(catalog=CATALOGS, region=REGIONS, levels=LEVELS, period=PERIODS)
def test_rate_thresholds_are_fractions_of_the_quota_per_period(
    catalog: QuotaCatalog, region: str | None, levels: dict[str, float], period: float
) -> None:
    for alarms, name in (
        (invoke_rate_alarms(catalog, region, levels, period), QuotaName.INVOKE_RATE),
        (new_session_alarms(catalog, region, ArtifactKind.CONTAINER, levels, period),
         QuotaName.SESSION_CREATION_RATE_CONTAINER),
        (new_session_alarms(catalog, region, ArtifactKind.DIRECT_CODE, levels, period),
         QuotaName.SESSION_CREATION_RATE_DIRECT_CODE),
    ):
        quota = catalog.resolve(name, region)
        assert alarms.limit == pytest.approx(quota.per_second * period)
        for level in alarms.levels:
            assert 0 < level.threshold <= alarms.limit + 1e-9
        for rate in alarms.per_second_levels():
            assert rate.threshold <= quota.per_second + 1e-12


def test_rates_are_per_endpoint_in_2026_03_and_pooled_in_2026_09() -> None:
    assert invoke_rate_alarms(OLD, "us-east-1", {"W": 0.8}, PERIOD).per_endpoint
    assert not invoke_rate_alarms(NEW, "us-east-1", {"W": 0.8}, PERIOD).per_endpoint
    assert account_session_creation_alarms(OLD, "us-east-1", {"W": 0.8}, PERIOD).per_endpoint
    pool = account_session_creation_alarms(NEW, "us-east-1", {"W": 0.8}, PERIOD)
    assert not pool.per_endpoint and pool.levels[0].threshold == pytest.approx(0.8 * 25 * PERIOD)


def test_session_creation_differs_by_artifact_kind_in_2026_03() -> None:
    container = new_session_alarms(OLD, "us-east-1", ArtifactKind.CONTAINER, {"W": 1.0}, PERIOD)
    code = new_session_alarms(OLD, "us-east-1", ArtifactKind.DIRECT_CODE, {"W": 1.0}, PERIOD)
    assert container.limit == pytest.approx(100)  # 100 per minute
    assert code.limit == pytest.approx(25 * PERIOD)
    # and the account pool takes the smaller of the two
    assert account_session_creation_alarms(OLD, "us-east-1", {"W": 1.0}, PERIOD).limit == pytest.approx(100)


@pytest.mark.parametrize(
    ("mode", "mode_limit", "limit", "by_quota"),
    [
        (InvocationMode.SYNCHRONOUS, 900, 900, False),
        (InvocationMode.STREAMING, 3600, 3600, False),
        # an asynchronous invocation answers at once: the request is held to the synchronous request timeout
        (InvocationMode.ASYNCHRONOUS, 28800, 900, True),
    ],
)
def test_latency_is_relative_to_what_an_invocation_must_answer_within(
    mode: InvocationMode, mode_limit: float, limit: float, by_quota: bool
) -> None:
    alarms = latency_alarms(NEW, "us-east-1", mode=mode, mode_limit_seconds=mode_limit, levels={"W": 0.8})
    assert alarms.limit_ms == limit * 1000 and alarms.levels[0].threshold == pytest.approx(0.8 * limit * 1000)
    assert (alarms.quota is not None) == by_quota
    assert ("synchronous request timeout" in alarms.describe_limit()) == by_quota


@given(endpoints=st.integers(1, 12), ratio=st.booleans())
def test_an_error_exactly_when_an_alarm_reads_too_many_metrics(endpoints: int, ratio: bool) -> None:
    findings = alarm_metric_findings(NEW, "us-east-1", agent="a", endpoints=endpoints, ratio_alarm=ratio)
    widest = 2 * endpoints if ratio else endpoints
    assert bool(findings) == (widest > NEW.value(QuotaName.CLOUDWATCH_ALARM_METRICS))
    for finding in findings:
        assert finding.code == "TooManyMetricsInAlarm" and finding.severity is Severity.ERROR


def test_count_levels_are_the_counts() -> None:
    assert [(lvl.level, lvl.threshold) for lvl in count_levels({"Warning": 5, "Critical": 20})] == [
        ("Warning", 5), ("Critical", 20)]


def test_evaluation_windows_describe_themselves() -> None:
    assert MOSTLY.describe() == "in 3 of 5 periods" and SUSTAINED.describe() == "for 5 periods"


def test_periods_are_whole_multiples_of_the_metric_resolution() -> None:
    assert default_period_seconds(NEW) == PERIOD and not period_problems(NEW, PERIOD)
    assert not period_problems(NEW, 5 * PERIOD)
    assert period_problems(NEW, PERIOD + 30) and period_problems(NEW, PERIOD / 2)


def test_level_problems() -> None:
    assert not level_problems("x", {"Warning": 0.8}, fraction=True, allowed=ALLOWED)
    assert level_problems("x", {"Warning": 80}, fraction=True, allowed=ALLOWED)
    assert level_problems("x", {"Warning": 0}, fraction=True, allowed=ALLOWED)
    assert level_problems("x", {"bad key": 0.5}, fraction=True, allowed=ALLOWED)
    assert not level_problems("x", {"Warning": 0}, fraction=False, allowed=ALLOWED)
    assert level_problems("x", {"Warning": -1}, fraction=False, allowed=ALLOWED)
    assert level_problems("x", {"Warning": True}, fraction=False, allowed=ALLOWED)


# -- version archive -------------------------------------------------------------------------------------------


def test_sweep_intervals() -> None:
    assert sweep_interval_seconds("rate(1 day)") == 86400
    assert sweep_interval_seconds("rate(6 hours)") == 6 * 3600
    assert sweep_interval_seconds("rate(30 minutes)") == 1800
    assert sweep_interval_seconds("cron(0 3 * * ? *)") is None


def test_archive_transition_is_whole_days() -> None:
    assert not archive_transition_problems(30)
    assert archive_transition_problems(0.25) and archive_transition_problems(1.5) and archive_transition_problems(0)


def project(catalog: QuotaCatalog, rate: float, interval: float | None):  # type: ignore[no-untyped-def]
    return archive_projection(catalog, "us-east-1", agent="busy_agent", deployments_per_day=rate,
                              schedule="rate(...)", interval_seconds=interval)


@pytest.mark.parametrize("catalog", [OLD, NEW], ids=["2026-03", "2026-09"])
def test_archive_falls_behind_or_keeps_up_in_every_edition(catalog: QuotaCatalog) -> None:
    keeps_up = project(catalog, 30, 86400)
    assert [f.code for f in keeps_up.findings] == ["VersionArchiveKeepsUp"] and not keeps_up.falls_behind
    assert keeps_up.findings[0].severity is Severity.INFO
    behind = project(catalog, 200, 7 * 86400)
    assert [f.code for f in behind.findings] == ["VersionArchiveFallsBehind"] and behind.falls_behind
    assert behind.findings[0].severity is Severity.WARNING and "L-61A3A6D8" in behind.findings[0].message
    cron = project(catalog, 30, None)
    assert [f.code for f in cron.findings] == ["SweepScheduleNotChecked"]


@given(rate=st.floats(0.01, 10_000), days=st.integers(1, 60), catalog=CATALOGS)
def test_falls_behind_exactly_when_a_sweep_interval_creates_the_quota(rate: float, days: int,
                                                                      catalog: QuotaCatalog) -> None:
    projection = project(catalog, rate, days * 86400.0)
    versions = catalog.value(QuotaName.VERSIONS_PER_AGENT)
    assert projection.versions_between_sweeps == pytest.approx(rate * days)
    assert projection.falls_behind == (rate * days >= versions)
    assert projection.fill_days == pytest.approx(versions / rate)


def test_notes_on_keeping_up_only_beside_the_plans_versions_warning() -> None:
    quiet = archive_projection(NEW, "us-east-1", agent="a", deployments_per_day=1, schedule="rate(1 day)",
                               interval_seconds=86400, versions_at_risk=False)
    assert quiet.findings == ()
    behind = archive_projection(NEW, "us-east-1", agent="a", deployments_per_day=2000, schedule="rate(1 day)",
                                interval_seconds=86400, versions_at_risk=False)
    assert [f.code for f in behind.findings] == ["VersionArchiveFallsBehind"]


def test_a_year_of_deployments_fills_the_versions_quota() -> None:
    # 1,200 deployments a year (about 3.3 a day) fill the 1,000-version quota within the year
    projection = project(NEW, 1200 / 365, 86400)
    assert projection.fill_days < 365 and not projection.falls_behind
