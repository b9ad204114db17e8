"""Limit stories end to end: what a platform team sees at synth for workloads near AgentCore's limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib import AgentArtifact, AgentCoreAgent, InvocationMode, WorkloadProfile
from tests.conftest import RESEARCH_CODE


def test_story_nine_hour_batch_job_is_refused_at_synth(stack: cdk.Stack) -> None:
    # GIVEN a nightly job of 9 hours WHEN the app synthesizes THEN it fails naming the way out
    AgentCoreAgent(stack, "Nightly", runtime_name="nightly", artifact=AgentArtifact.from_code(RESEARCH_CODE),
                   workload=WorkloadProfile(longest_task=timedelta(hours=9)))
    with pytest.raises(Exception) as exc:
        stack.node.root.synth()  # type: ignore[attr-defined]
    message = str(exc.value)
    assert "Validation failed" in message
    assert "[TestStack/Nightly] [TaskTooLong] longest_task 9 h exceeds 8 h" in message
    assert "'asynchronous job duration' (edition 2026-09, hard limit)" in message
    assert "Instances compute" in message and "Amazon ECS or Amazon EKS" in message


def test_story_several_errors_are_reported_together(stack: cdk.Stack) -> None:
    AgentCoreAgent(stack, "A", runtime_name="a", artifact=AgentArtifact.from_managed_repository("v1"),
                   workload=WorkloadProfile(vcpus_per_session=8))
    AgentCoreAgent(stack, "B", runtime_name="b", artifact=AgentArtifact.from_managed_repository("v1"),
                   workload=WorkloadProfile(streaming_chunk=cdk.Size.mebibytes(16)))
    with pytest.raises(Exception) as exc:
        stack.node.root.synth()  # type: ignore[attr-defined]
    assert "[TestStack/A] [SessionHardwareExceeded]" in str(exc.value)
    assert "[TestStack/B] [StreamingChunkTooLarge]" in str(exc.value)


def test_story_team_on_2026_03_scales_with_endpoints(make_stack: Callable[..., cdk.Stack]) -> None:
    # GIVEN an app pinned to 2026-03 and 70 TPS WHEN it declares enough endpoints THEN no finding
    stack = make_stack(context={"agentcore:quotaEdition": "2026-03"})
    agent = AgentCoreAgent(stack, "Api", runtime_name="api", artifact=AgentArtifact.from_managed_repository("v1"),
                           workload=WorkloadProfile(peak_requests_per_second=70), endpoints=["a", "b"])
    assert agent.plan.endpoints_for_throughput == 3
    assert agent.plan.invoke_capacity_per_second == 75
    Template.from_stack(stack).resource_count_is("AWS::BedrockAgentCore::RuntimeEndpoint", 2)
    Annotations.from_stack(stack).has_no_warning("*", Match.any_value())


def test_story_same_app_on_2026_09_needs_no_extra_endpoints(stack: cdk.Stack) -> None:
    agent = AgentCoreAgent(stack, "Api", runtime_name="api", artifact=AgentArtifact.from_managed_repository("v1"),
                           workload=WorkloadProfile(peak_requests_per_second=70))
    assert agent.plan.endpoints_for_throughput == 1
    assert agent.plan.invoke_share == pytest.approx(0.07)


def test_story_approved_increase_recorded_in_context(make_stack: Callable[..., cdk.Stack]) -> None:
    # GIVEN 6,000 concurrent sessions in us-east-1 WHEN no increase is recorded THEN a warning;
    # WHEN the approved 8,000 is recorded in context THEN no warning and the share uses it
    before = make_stack()
    AgentCoreAgent(before, "Chat", runtime_name="chat", artifact=AgentArtifact.from_managed_repository("v1"),
                   workload=WorkloadProfile(peak_concurrent_sessions=6000))
    Annotations.from_stack(before).has_warning("*", Match.string_like_regexp("ActiveSessionsExceeded"))

    after = make_stack(context={"agentcore:quotaOverrides": {"active_session_workloads": {"us-east-1": 8000}}})
    agent = AgentCoreAgent(after, "Chat", runtime_name="chat", artifact=AgentArtifact.from_managed_repository("v1"),
                           workload=WorkloadProfile(peak_concurrent_sessions=6000))
    assert agent.plan.session_share == pytest.approx(0.75)
    Annotations.from_stack(after).has_no_warning("*", Match.any_value())


def test_story_long_research_agent_becomes_asynchronous(stack: cdk.Stack) -> None:
    agent = AgentCoreAgent(stack, "Research", runtime_name="research",
                           artifact=AgentArtifact.from_code(RESEARCH_CODE),
                           workload=WorkloadProfile(longest_task=cdk.Duration.hours(3)))
    assert agent.plan.mode is InvocationMode.ASYNCHRONOUS
    Template.from_stack(stack).has_resource_properties(
        "AWS::BedrockAgentCore::Runtime", {"LifecycleConfiguration": {"MaxLifetime": 28800}})
