"""Stateful data is retained by default; any other removal policy draws an acknowledgeable warning."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match

from constructs_lib import AgentImageRepository, AgentJobs, AgentSessionStore, AgentVersionArchive, PayloadStaging

STATEFUL = [
    (AgentImageRepository, "image repository"),
    (AgentSessionStore, "session table"),
    (PayloadStaging, "staging bucket"),
    (AgentJobs, "job table"),
    (AgentVersionArchive, "version archive"),
]


@pytest.mark.parametrize(("construct", "what"), STATEFUL, ids=[w for _, w in STATEFUL])
def test_stateful_resources_warn_when_not_retained(
    make_stack: Callable[..., cdk.Stack], construct: Any, what: str
) -> None:
    # GIVEN each construct holding data WHEN its removal policy is not RETAIN THEN an acknowledgeable warning
    retained, destroyed = make_stack(), make_stack()
    construct(retained, "X")
    construct(destroyed, "X", removal_policy=cdk.RemovalPolicy.DESTROY)
    Annotations.from_stack(retained).has_no_warning("*", Match.string_like_regexp("StatefulResourceNotRetained"))
    Annotations.from_stack(destroyed).has_warning(
        "/TestStack/X", Match.string_like_regexp(rf"\[StatefulResourceNotRetained\] the {what} is not retained"))
