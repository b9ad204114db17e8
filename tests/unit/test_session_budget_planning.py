"""The session budget checked against the plan (pure planning, property tests): the mode's session lifetime from the
catalog (microVM and Instances), the longest task, the lifecycle minimum, the idle limit within the duration, the
agent-wide cap against the active-session quota; and the budget carried through the plan record."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.planning.agent_plan import CapacityPlan
from constructs_lib.planning.compute import ComputeFacts, ComputeKind, resolve_architecture
from constructs_lib.planning.findings import Severity
from constructs_lib.planning.profile import WorkloadProfile
from constructs_lib.planning.record import PlanRecord
from constructs_lib.planning.session_budget import SessionBudgetRequest, session_budget_findings

CATALOG = QuotaCatalog("2026-09")
REGION = "us-east-1"
MICROVM_LIFETIME = CATALOG.value(QuotaName.ASYNCHRONOUS_JOB_DURATION)
INSTANCES_LIFETIME = CATALOG.value(QuotaName.INSTANCES_SESSION_LIFETIME)
MINIMUM = CATALOG.value(QuotaName.LIFECYCLE_TIMEOUT_MINIMUM)
ACTIVE = CATALOG.resolve(QuotaName.ACTIVE_SESSION_WORKLOADS, REGION).value
INSTANCES = ComputeFacts(ComputeKind.INSTANCES, ("m7g.large",), resolve_architecture(("m7g.large",), None)[0], None,
                         "Stack/Provider")

seconds = st.integers(min_value=1, max_value=int(INSTANCES_LIFETIME * 2))
counts = st.integers(min_value=1, max_value=int(ACTIVE * 3))


def plan(task: float | None = None, compute: ComputeFacts | None = None) -> CapacityPlan:
    profile = WorkloadProfile(longest_task=None if task is None else timedelta(seconds=task))
    return CapacityPlan.derive(profile, catalog=CATALOG, region=REGION, compute=compute)


def codes(budget: SessionBudgetRequest, *, task: float | None = None, compute: ComputeFacts | None = None,
          severity: Severity | None = None) -> list[str]:
    return [f.code for f in session_budget_findings(plan(task, compute), budget, CATALOG)
            if severity is None or f.severity is severity]


@given(duration=seconds, instances=st.booleans())
def test_a_duration_beyond_the_modes_session_lifetime_is_an_error_naming_the_quota(duration: int,
                                                                                  instances: bool) -> None:
    compute = INSTANCES if instances else None
    limit = INSTANCES_LIFETIME if instances else MICROVM_LIFETIME
    budget = SessionBudgetRequest(max_session_duration_seconds=duration)
    findings = session_budget_findings(plan(compute=compute), budget, CATALOG)
    beyond = [f for f in findings if f.code == "SessionBudgetBeyondLifetime"]
    assert bool(beyond) == (duration > limit)
    for finding in beyond:
        assert finding.severity is Severity.ERROR
        assert finding.quota in (QuotaName.ASYNCHRONOUS_JOB_DURATION, QuotaName.INSTANCES_SESSION_LIFETIME)
        assert (finding.asked, finding.limit) == (duration, limit)
        assert "max_session_duration" in finding.message and "use at most" in finding.message
        # microVM agents are shown the way out: Instances compute
        assert ("AgentCompute.instances" in finding.message) == (not instances)


@given(idle=seconds)
def test_an_idle_limit_beyond_the_idle_timeout_quota_is_an_error(idle: int) -> None:
    assert ("SessionBudgetBeyondLifetime" in codes(SessionBudgetRequest(max_idle_seconds=idle))) == (
        idle > MICROVM_LIFETIME)


@given(value=st.integers(min_value=1, max_value=int(MINIMUM) * 3), which=st.sampled_from(["duration", "idle"]))
def test_a_limit_below_the_lifecycle_minimum_is_an_error(value: int, which: str) -> None:
    budget = SessionBudgetRequest(max_session_duration_seconds=value) if which == "duration" else \
        SessionBudgetRequest(max_idle_seconds=value)
    assert ("SessionBudgetBelowMinimum" in codes(budget)) == (value < MINIMUM)


@given(task=st.integers(min_value=1, max_value=int(MICROVM_LIFETIME)),
       duration=st.integers(min_value=int(MINIMUM), max_value=int(MICROVM_LIFETIME)))
def test_a_duration_below_the_longest_task_is_an_error(task: int, duration: int) -> None:
    found = session_budget_findings(plan(task), SessionBudgetRequest(max_session_duration_seconds=duration), CATALOG)
    below = [f for f in found if f.code == "SessionBudgetBelowLongestTask"]
    assert bool(below) == (duration < task)
    assert all(f.severity is Severity.ERROR and "longest_task" in f.message for f in below)


@given(duration=st.integers(min_value=int(MINIMUM), max_value=int(MICROVM_LIFETIME)),
       idle=st.integers(min_value=int(MINIMUM), max_value=int(MICROVM_LIFETIME)))
def test_an_idle_limit_beyond_the_duration_is_an_error(duration: int, idle: int) -> None:
    found = codes(SessionBudgetRequest(max_session_duration_seconds=duration, max_idle_seconds=idle))
    assert ("SessionBudgetIdleBeyondDuration" in found) == (idle > duration)


@given(cap=counts)
def test_an_agent_wide_cap_above_the_active_session_quota_is_an_acknowledgeable_warning(cap: int) -> None:
    found = session_budget_findings(plan(), SessionBudgetRequest(max_sessions=cap), CATALOG)
    above = [f for f in found if f.code == "SessionBudgetAboveActiveSessions"]
    assert bool(above) == (cap > ACTIVE)
    assert all(f.severity is Severity.WARNING and "L-3E5722B2" in f.message for f in above)


@given(duration=st.integers(min_value=int(MINIMUM), max_value=int(MICROVM_LIFETIME)),
       idle=st.integers(min_value=int(MINIMUM), max_value=int(MICROVM_LIFETIME)))
def test_limits_at_or_beyond_the_runtimes_own_lifecycle_are_noted_as_not_binding(duration: int, idle: int) -> None:
    assume(idle <= duration)
    planned = plan()
    found = codes(SessionBudgetRequest(max_session_duration_seconds=duration, max_idle_seconds=idle),
                  severity=Severity.INFO)
    assert ("SessionBudgetDurationNotBinding" in found) == (duration >= planned.max_lifetime_seconds)
    assert ("SessionBudgetIdleNotBinding" in found) == (idle >= planned.idle_runtime_session_timeout_seconds)


@given(duration=st.none() | st.integers(min_value=60, max_value=3600), idle=st.none() | st.integers(60, 600),
       per_caller=st.none() | st.integers(1, 10), total=st.none() | st.integers(10, 100))
def test_a_budget_within_every_bound_has_no_error_and_round_trips_through_the_record(
        duration: int | None, idle: int | None, per_caller: int | None, total: int | None) -> None:
    assume(duration is None or idle is None or idle <= duration)
    budget = SessionBudgetRequest(duration, idle, per_caller, total)
    planned = plan()
    findings = session_budget_findings(planned, budget, CATALOG)
    assert not [f for f in findings if f.severity is Severity.ERROR]
    record = PlanRecord.of(planned, path="S/Agent", runtime_name="agent", account=None, catalog=CATALOG,
                           artifact="container", endpoints=["DEFAULT"], session_budget=budget,
                           budget_findings=findings)
    again = PlanRecord.from_dict(record.to_dict())
    assert again.session_budget == budget
    assert again.findings == record.findings
