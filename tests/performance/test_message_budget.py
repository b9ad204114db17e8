"""The jsii message budget: what building a platform of a few fully equipped agents costs in kernel round trips.

Every property read, method call and object creation from Python is a message to the jsii kernel, and their number
is where the build time of a large platform goes (issue "Platform at scale"). The counts are deterministic for one set
of pinned versions (the same tree, the same calls), so a budget a little above the measured value catches a change
that reads back, mutates after construction or acknowledges per finding again.

Measured 2026-12-01 (aws-cdk-lib 2.275.0, jsii 1.142.0, the suite's feature flags), three equipped agents of the
benchmark (``bench.equipment``: managed image repository, named endpoint, model, one Lambda tool, staged payloads):
930 messages while building (310 per agent; 1 agent alone: 518, so 206 per added agent) and 468 while
synthesizing, on the shared platform infrastructure (one REST API and proxy for the platform's agents). Before the
economy work the same platform cost 914 build messages per agent at 20 agents (``make bench``). When a change lowers the
count, lower the budget with it; when one must raise it, say why in the commit.
"""

from __future__ import annotations

import aws_cdk as cdk

from bench.equipment import equip_stack
from bench.jsii_messages import Messages, count_messages
from tests.conftest import ENV

#: Agents on the measured platform.
AGENTS = 3
#: Build messages per agent allowed (measured: 310).
BUILD_BUDGET_PER_AGENT = 325
#: Synth messages allowed for the whole platform (measured: 468; the name check and lazy values call back).
SYNTH_BUDGET = 500


def _measure() -> tuple[Messages, Messages]:
    app = cdk.App()
    stack = cdk.Stack(app, "Budget", env=ENV)
    with count_messages() as built:
        equip_stack(stack, AGENTS)
    with count_messages() as synthesized:
        app.synth()
    return built, synthesized


def _where(counted: Messages) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in counted.by_kind.most_common())


def test_a_platform_of_a_few_equipped_agents_stays_within_its_jsii_message_budget() -> None:
    # WHEN the same platform is built and synthesized twice
    built, synthesized = _measure()
    again, _ = _measure()
    # THEN the count is deterministic (else no budget could hold), and within the budget
    assert again.by_kind == built.by_kind
    per_agent = built.total / AGENTS
    assert per_agent <= BUILD_BUDGET_PER_AGENT, (
        f"building {AGENTS} equipped agents sent {built.total} jsii messages ({per_agent:.0f} per agent, budget "
        f"{BUILD_BUDGET_PER_AGENT}): {_where(built)}; find the call sites with "
        "bench.jsii_messages.count_messages(sites=True)"
    )
    assert synthesized.total <= SYNTH_BUDGET, (
        f"synthesizing {AGENTS} equipped agents sent {synthesized.total} jsii messages (budget {SYNTH_BUDGET}): "
        f"{_where(synthesized)}"
    )
