"""Front-door thresholds are fractions of the deadline the plan chose (pure planning, property-tested)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.planning.operations import api_latency_alarms, deadline_problems, function_duration_alarms

LEVELS = st.dictionaries(st.sampled_from(["Warning", "Critical", "P1"]), st.floats(0.01, 1.0), min_size=1)
SECONDS = st.floats(1, 3600)


@given(SECONDS, LEVELS)
def test_each_level_is_its_fraction_of_the_deadline(seconds: float, levels: dict[str, float]) -> None:
    for alarms in (api_latency_alarms(seconds, levels), function_duration_alarms(seconds, levels)):
        assert alarms.deadline_seconds == seconds
        assert [lvl.level for lvl in alarms.levels] == list(levels)
        for level in alarms.levels:
            assert level.threshold == pytest.approx(levels[level.level] * seconds)
            assert 0 < level.threshold <= seconds


def test_the_deadline_is_named_in_words() -> None:
    assert api_latency_alarms(29, {"Warning": 0.8}).deadline == "the integration timeout of 29 s"
    assert function_duration_alarms(900, {"Warning": 0.8}).deadline == "the function timeout of 15 min"


@pytest.mark.parametrize(("seconds", "problem"), [
    (None, "must be a concrete duration"), (0, "must be positive"), (-1, "must be positive"),
])
def test_fails_when_a_deadline_is_unknown_or_not_positive(seconds: float | None, problem: str) -> None:
    (message,) = deadline_problems("integration_timeout", seconds)
    assert message.startswith("integration_timeout") and problem in message
    assert deadline_problems("integration_timeout", 29) == []
