"""The task token starter run from its synthesized asset, with its template's environment, against the AgentCore
data-plane stand-in over HTTP on 127.0.0.1: one InvokeAgentRuntime attempt, whatever the answer, and an error type the
step's retrier names exactly when AgentCore refused before running anything."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.orchestration.pipeline import AgentPipeline
from constructs_lib.orchestration.steps import (
    RETRYABLE_LAMBDA_INVOKE_ERRORS,
    RETRYABLE_STARTER_ERRORS,
    AgentStep,
    StepIntegration,
)
from tests.conftest import ENV
from tests.harness.agent_script import Script
from tests.harness.harness import Harness
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(60)


@dataclass
class Started:
    harness: Harness
    pipeline: AgentPipeline
    agent: AgentCoreAgent

    def start(self) -> Any:
        event = {"agentRuntimeArn": self.harness.runtime_arn(self.agent), "qualifier": "DEFAULT",
                 "runtimeSessionId": "s" * 64, "payload": {"task": "triage"}, "taskToken": "token-1"}
        assert self.pipeline.task_token_starter is not None
        return self.harness.sandbox(self.pipeline.task_token_starter).invoke(event)


@pytest.fixture(scope="module")
def started(harness_for: Callable[..., Harness]) -> Started:
    stack = cdk.Stack(cdk.App(), "Starter", env=ENV)
    agent = make_agent(stack, runtime_name="callback_agent")
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent, integration=StepIntegration.CALLBACK)])
    return Started(harness_for(stack), pipeline, agent)


@pytest.fixture(autouse=True)
def fresh(started: Started) -> None:
    started.harness.reset()


def test_the_agent_gets_the_task_token_in_one_invocation(started: Started) -> None:
    answer = started.start()
    assert answer.outcome == "response"
    (call,) = started.harness.agentcore.invocations()
    assert json.loads(call.payload) == {"task": "triage", "taskToken": "token-1"}


@pytest.mark.parametrize("code", ["InternalServerException", "RuntimeClientError"])
def test_an_error_after_which_the_agent_may_have_run_is_not_sent_again(started: Started, code: str) -> None:
    # GIVEN AgentCore failing in a way botocore's standard mode would retry (a 500) or after the agent started (424)
    started.harness.agentcore.enqueue(Script.error(code))
    # WHEN the starter runs THEN it invoked the agent once and failed with that error
    answer = started.start()
    assert answer.outcome == "error" and answer.error is not None
    assert answer.error["errorType"] == code
    assert len(started.harness.agentcore.invocations()) == 1
    # AND the step does not retry it
    assert code not in (*RETRYABLE_STARTER_ERRORS, *RETRYABLE_LAMBDA_INVOKE_ERRORS)


@pytest.mark.parametrize("code", ["ThrottlingException", "ServiceQuotaExceededException", "RetryableConflictException"])
def test_a_refusal_before_the_agent_ran_fails_with_the_error_type_the_step_retries(started: Started, code: str) -> None:
    # GIVEN AgentCore refusing the request before running anything
    started.harness.agentcore.enqueue(Script.error(code))
    # WHEN the starter runs THEN one attempt (botocore does not retry it either), and the Lambda error type is the name
    # the step's retrier lists, so Step Functions retries it with backoff
    answer = started.start()
    assert answer.outcome == "error" and answer.error is not None
    assert answer.error["errorType"] == code and code in RETRYABLE_STARTER_ERRORS
    assert len(started.harness.agentcore.invocations()) == 1
