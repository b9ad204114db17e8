"""Account-level sums and multi-region plans: findings appear exactly when a shared quota is exceeded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.planning.account import AgentDemand, plan_account, plan_regions
from constructs_lib.planning.agent_plan import CapacityPlan
from constructs_lib.planning.findings import Severity
from constructs_lib.planning.profile import WorkloadProfile

LATEST = QuotaCatalog()
OLD = QuotaCatalog("2026-03")

profiles = st.builds(
    WorkloadProfile,
    peak_requests_per_second=st.one_of(st.none(), st.floats(min_value=0, max_value=800, allow_nan=False)),
    peak_concurrent_sessions=st.one_of(st.none(), st.integers(min_value=0, max_value=3000)),
    new_sessions_per_second=st.one_of(st.none(), st.floats(min_value=0, max_value=20, allow_nan=False)),
)
regions = st.sampled_from(["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"])


def _demands(workloads: list[WorkloadProfile], region: str | None, catalog: QuotaCatalog = LATEST) -> list[AgentDemand]:
    return [AgentDemand.of(CapacityPlan.derive(w, catalog=catalog, region=region)) for w in workloads]


@settings(max_examples=60, deadline=None)
@given(st.lists(profiles, min_size=1, max_size=6), regions)
def test_findings_appear_iff_sums_exceed_the_account_quotas(workloads: list[WorkloadProfile], region: str) -> None:
    # GIVEN any set of agents in one region
    account = plan_account(_demands(workloads, region), catalog=LATEST, region=region)
    invoke = sum(w.peak_requests_per_second or 0 for w in workloads)
    sessions = sum(w.peak_concurrent_sessions or 0 for w in workloads)
    creation = sum(w.new_sessions_per_second or 0 for w in workloads)
    # THEN each account finding is present exactly when its sum exceeds the quota of that region
    assert (account.finding("AccountInvokePoolExceeded") is not None) == (
        invoke > LATEST.value(QuotaName.INVOKE_RATE, region)
    )
    assert (account.finding("AccountActiveSessionsExceeded") is not None) == (
        sessions > LATEST.value(QuotaName.ACTIVE_SESSION_WORKLOADS, region)
    )
    assert (account.finding("AccountSessionCreationRateExceeded") is not None) == (
        creation > LATEST.resolve(QuotaName.SESSION_CREATION_RATE_CONTAINER, region).per_second
    )
    # AND the quotas are adjustable, so the findings are warnings, never errors
    assert all(f.severity is Severity.WARNING for f in account.findings)
    assert account.region == region
    assert account.session_share == sessions / LATEST.value(QuotaName.ACTIVE_SESSION_WORKLOADS, region)


def test_account_checks_pass_within_quota() -> None:
    account = plan_account(
        _demands([WorkloadProfile(peak_requests_per_second=400, peak_concurrent_sessions=2000)] * 2, "us-east-1"),
        region="us-east-1",
    )
    assert account.findings == ()
    assert account.invoke_share == 0.8
    assert account.session_share == 0.8


def test_fails_when_the_account_pool_is_exceeded() -> None:
    # GIVEN three agents that each fit the 1,000 TPS pool, but not together
    demands = _demands([WorkloadProfile(peak_requests_per_second=400)] * 3, "us-east-1")
    account = plan_account(demands, region="us-east-1")
    finding = account.finding("AccountInvokePoolExceeded")
    assert finding is not None and finding.severity is Severity.WARNING
    assert "1,200 TPS exceeds 1,000 TPS" in finding.message and "L-46ED137C" in finding.message


def test_fails_when_the_regional_active_session_quota_is_exceeded() -> None:
    demands = _demands([WorkloadProfile(peak_concurrent_sessions=1500)] * 2, "eu-west-1")
    account = plan_account(demands, region="eu-west-1")
    finding = account.finding("AccountActiveSessionsExceeded")
    assert finding is not None and "3,000 exceeds 2,500" in finding.message


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=40))
def test_agent_count_checked_against_agents_per_account(count: int, quota: int) -> None:
    catalog = QuotaCatalog(overrides={"agents_per_account": quota})
    demands = _demands([WorkloadProfile()] * count, "us-east-1", catalog)
    account = plan_account(demands, catalog=catalog, region="us-east-1")
    assert (account.finding("TooManyAgents") is not None) == (count > quota)
    assert account.agents_quota == quota


def test_edition_2026_03_has_no_account_invoke_pool() -> None:
    # GIVEN agents planned under the per-endpoint edition, far above 1,000 TPS together
    demands = _demands([WorkloadProfile(peak_requests_per_second=200)] * 10, "us-east-1", OLD)
    account = plan_account(demands, catalog=OLD, region="us-east-1")
    # THEN there is no pool to exceed: the report says so instead of inventing one
    assert account.invoke_pool_per_second is None and account.invoke_share is None
    info = account.finding("NoAccountInvokePool")
    assert info is not None and info.severity is Severity.INFO and "per endpoint" in info.message
    assert account.finding("AccountInvokePoolExceeded") is None
    assert account.agents_quota is None  # not published in 2026-03


@settings(max_examples=30, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), profiles, min_size=1),
    st.lists(regions, min_size=1, max_size=4, unique=True),
)
def test_each_region_uses_its_own_active_session_quota(named: dict[str, WorkloadProfile], asked: list[str]) -> None:
    report = plan_regions(named, asked)
    for region in asked:
        entry = report.region(region)
        assert entry.account.session_quota == LATEST.value(QuotaName.ACTIVE_SESSION_WORKLOADS, region)
        assert set(entry.plans) == set(named)
        assert all(plan.region == region for plan in entry.plans.values())


def test_unknown_region_plans_against_the_minimum_and_the_table_shows_it() -> None:
    named = {"support": WorkloadProfile(peak_concurrent_sessions=3000, peak_requests_per_second=100)}
    report = plan_regions(named, ["us-east-1", "eu-west-1", None])
    smallest = min(LATEST.get(QuotaName.ACTIVE_SESSION_WORKLOADS).regional_values.values())
    smallest = min(smallest, LATEST.get(QuotaName.ACTIVE_SESSION_WORKLOADS).value)
    assert report.region(None).account.session_quota == smallest
    # us-east-1 fits 3,000 sessions, eu-west-1 and the unknown region do not
    assert report.region("us-east-1").account.finding("AccountActiveSessionsExceeded") is None
    assert report.region("eu-west-1").account.finding("AccountActiveSessionsExceeded") is not None
    table = report.to_table()
    lines = table.splitlines()
    assert "active sessions" in lines[0] and "session share" in lines[0] and "invoke share" in lines[0]
    assert lines[2].startswith("us-east-1") and "5,000" in lines[2] and "60.0%" in lines[2]
    assert lines[3].startswith("eu-west-1") and "2,500" in lines[3] and "120.0%" in lines[3]
    assert lines[4].startswith("(unknown)")
    assert '"region": "eu-west-1"' in report.to_json()


def test_regional_plans_use_each_agents_plan_inputs() -> None:
    from constructs_lib.planning.account import PlanInputs
    from constructs_lib.planning.agent_plan import ArtifactFacts, ArtifactKind

    # GIVEN a direct-code agent with 10 named endpoints, planned under the per-endpoint edition
    named = {"coder": WorkloadProfile(new_sessions_per_second=1.0)}
    inputs = {"coder": PlanInputs(artifact=ArtifactFacts(ArtifactKind.DIRECT_CODE), named_endpoints=10)}
    with_inputs = plan_regions(named, ["us-east-1"], OLD, inputs=inputs).region("us-east-1").plans["coder"]
    bare = plan_regions(named, ["us-east-1"], OLD).region("us-east-1").plans["coder"]
    # THEN the regional plan sees its endpoints and its artifact's session-creation quota
    assert with_inputs.endpoint_count == 11 and with_inputs.finding("TooManyEndpoints") is not None
    assert bare.endpoint_count == 1 and bare.finding("TooManyEndpoints") is None
    assert with_inputs.session_creation_capacity_per_second == OLD.resolve(
        QuotaName.SESSION_CREATION_RATE_DIRECT_CODE, "us-east-1"
    ).per_second
    assert bare.session_creation_capacity_per_second == OLD.resolve(
        QuotaName.SESSION_CREATION_RATE_CONTAINER, "us-east-1"
    ).per_second
