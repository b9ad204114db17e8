"""AgentPipeline: the state machine definition, its IAM, its type and the synth-time checks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Annotations, Match, Template
from constructs import Construct

from constructs_lib import AgentArtifact, AgentCoreAgent, ConstructsLibValidationError
from constructs_lib.handlers import contract
from constructs_lib.limits.catalog import EDITION_CONTEXT_KEY
from constructs_lib.orchestration.pipeline import (
    RETRYABLE_AGENT_ERRORS,
    STARTER_MAX_ATTEMPTS,
    AgentMap,
    AgentParallel,
    AgentPipeline,
    AgentSequence,
    AgentStep,
    StepIntegration,
    StepPayload,
)
from tests.conftest import RESEARCH_CODE
from tests.orchestration._helpers import STATE_MACHINE, code_agent, definition

SDK_RESOURCE = "arn:aws:states:::aws-sdk:bedrockagentcore:invokeAgentRuntime"


def two_agent_pipeline(stack: cdk.Stack, **kwargs: Any) -> AgentPipeline:
    triage, writer = code_agent(stack, "Triage"), code_agent(stack, "Writer")
    return AgentPipeline(stack, "Pipeline", steps=[
        AgentStep(triage, name="Triage", parse_json_response=True),
        AgentStep(writer, name="Draft", payload=StepPayload.from_state("$.Triage.response")),
    ], **kwargs)


def role_statements(stack: cdk.Stack, role: iam.IRole) -> list[dict[str, Any]]:
    role_id = stack.resolve(stack.get_logical_id(role.node.default_child))  # type: ignore[arg-type]
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() if {"Ref": role_id} in p["Properties"]["Roles"]
            for s in p["Properties"]["PolicyDocument"]["Statement"]]


# -- the definition -------------------------------------------------------------------------------------


def test_steps_run_in_sequence_through_the_sdk_integration(stack: cdk.Stack) -> None:
    # GIVEN two agents WHEN piped THEN two SDK tasks in order, the second reading the first's response
    two_agent_pipeline(stack)
    asl = definition(stack)
    assert asl["StartAt"] == "Triage"
    triage, draft = asl["States"]["Triage"], asl["States"]["Draft"]
    assert triage["Resource"] == SDK_RESOURCE and triage["Next"] == "Draft"
    assert draft["End"] is True
    params = triage["Parameters"]
    assert params["AgentRuntimeArn"].startswith("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/Triage")
    assert params["Qualifier"] == "DEFAULT"
    assert params["Payload.$"] == "States.JsonToString($)"
    assert draft["Parameters"]["Payload.$"] == "States.JsonToString($.Triage.response)"
    assert triage["ResultSelector"] == {"response.$": "States.StringToJson($.Response)"}
    assert draft["ResultSelector"] == {"response.$": "$.Response"}
    assert (triage["ResultPath"], draft["ResultPath"]) == ("$.Triage", "$.Draft")


def test_session_id_is_a_hash_of_the_execution(stack: cdk.Stack) -> None:
    # SHA-256 hex is 64 characters: inside AgentCore's 33..256 and the 100-character echo limit
    two_agent_pipeline(stack)
    params = definition(stack)["States"]["Triage"]["Parameters"]
    assert params["RuntimeSessionId.$"] == "States.Hash($$.Execution.Id, 'SHA-256')"


def test_retries_transient_agent_errors_with_backoff_and_jitter(stack: cdk.Stack) -> None:
    two_agent_pipeline(stack)
    retry = definition(stack)["States"]["Triage"]["Retry"]
    assert retry == [{
        "ErrorEquals": list(RETRYABLE_AGENT_ERRORS), "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2,
        "MaxDelaySeconds": 60, "JitterStrategy": "FULL",
    }]
    assert all(e.startswith("BedrockAgentCore.") for e in RETRYABLE_AGENT_ERRORS)


def test_catch_records_the_error_then_fails(stack: cdk.Stack) -> None:
    two_agent_pipeline(stack)
    states = definition(stack)["States"]
    assert states["Triage"]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                         "Next": "RecordTriageFailure"}]
    record = states["RecordTriageFailure"]
    assert record == {"Type": "Pass", "Result": "Triage", "ResultPath": "$.failedStep", "Next": "PipelineFailed"}
    assert states["PipelineFailed"] == {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}
    assert states["RecordDraftFailure"]["Next"] == "PipelineFailed"


def test_step_timeout_defaults_to_the_synchronous_limit(stack: cdk.Stack) -> None:
    two_agent_pipeline(stack)
    assert definition(stack)["States"]["Triage"]["TimeoutSeconds"] == 900


def test_step_options(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Triage", endpoints=["prod"])
    AgentPipeline(stack, "Pipeline", steps=[
        AgentStep(agent, timeout=cdk.Duration.minutes(3), max_attempts=3, output_key="triage"),
    ])
    state = definition(stack)["States"]["InvokeTriage"]
    assert state["Parameters"]["Qualifier"] == "prod"  # the agent's default qualifier
    assert state["TimeoutSeconds"] == 180 and state["Retry"][0]["MaxAttempts"] == 3
    assert state["ResultPath"] == "$.triage"


def test_template_payload_is_built_then_serialized(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Triage")
    AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent, name="Triage", payload=StepPayload.from_template({
        "prompt": sfn.JsonPath.string_at("$.question"), "mode": "brief",
    }))])
    states = definition(stack)["States"]
    assert states["PrepareTriage"] == {"Type": "Pass", "Parameters": {"prompt.$": "$.question", "mode": "brief"},
                                       "ResultPath": "$.stepPayloads.Triage", "Next": "Triage"}
    assert states["Triage"]["Parameters"]["Payload.$"] == "States.JsonToString($.stepPayloads.Triage)"


def test_parallel_branches_and_their_failure_path(stack: cdk.Stack) -> None:
    a, b = code_agent(stack, "Triage"), code_agent(stack, "Writer")
    AgentPipeline(stack, "Pipeline", steps=[AgentParallel(AgentStep(a), [AgentStep(b)], name="Both")])
    both = definition(stack)["States"]["Both"]
    assert both["Type"] == "Parallel" and both["ResultPath"] == "$.Both"
    assert [br["StartAt"] for br in both["Branches"]] == ["InvokeTriage", "InvokeWriter"]
    assert both["Branches"][0]["States"]["InvokeTriage"]["Catch"][0]["Next"] == "RecordInvokeTriageFailure"
    assert both["Branches"][0]["States"]["BothBranch1Failed"]["Type"] == "Fail"
    assert both["Catch"][0]["Next"] == "RecordBothFailure"


def test_map_gives_each_item_its_own_session(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer")
    AgentPipeline(stack, "Pipeline", steps=[
        AgentMap(AgentStep(agent, name="Summarize", payload=StepPayload.from_state("$.item")), name="Docs"),
    ])
    docs = definition(stack)["States"]["Docs"]
    assert docs["ItemsPath"] == "$.items"
    assert docs["ItemSelector"] == {"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}
    inner = docs["ItemProcessor"]["States"]["Summarize"]["Parameters"]
    assert inner["RuntimeSessionId.$"] == (
        "States.Hash(States.Format('{}/DocsItem/{}', $$.Execution.Id, $.index), 'SHA-256')"
    )
    assert inner["Payload.$"] == "States.JsonToString($.item)"


def test_map_concurrency_follows_the_session_creation_quota(make_stack: Callable[..., cdk.Stack]) -> None:
    # 2026-09: 25 new sessions per second per account; 2026-03 container: 100 per minute per endpoint
    for edition, expected in (("2026-09", 25), ("2026-03", 25)):
        stack = make_stack(context={EDITION_CONTEXT_KEY: edition})
        agent = code_agent(stack, "Writer")
        step = AgentMap(AgentStep(agent))
        AgentPipeline(stack, "Pipeline", steps=[step])
        assert step.effective_max_concurrency == expected
        assert definition(stack)["States"]["Map"]["MaxConcurrency"] == expected
        Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("FanOutExceedsSessionCreationRate"))


def test_map_concurrency_for_container_agents_in_2026_03(make_stack: Callable[..., cdk.Stack]) -> None:
    from constructs_lib import AgentArtifact, AgentCoreAgent

    stack = make_stack(context={EDITION_CONTEXT_KEY: "2026-03"})
    agent = AgentCoreAgent(stack, "Support", runtime_name="support_agent",
                           artifact=AgentArtifact.from_managed_repository("v1"))
    step = AgentMap(AgentStep(agent))
    AgentPipeline(stack, "Pipeline", steps=[step])
    assert step.effective_max_concurrency == 1  # 100 per minute is 1.67 per second


def test_warns_when_fan_out_exceeds_the_session_creation_rate(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer")
    AgentPipeline(stack, "Pipeline", steps=[AgentMap(AgentStep(agent), max_concurrency=100)])
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Pipeline", Match.string_like_regexp("max_concurrency=25.*FanOutExceedsSessionCreationRate"))


def test_warns_when_fan_out_is_unlimited(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer")
    AgentPipeline(stack, "Pipeline", steps=[AgentMap(AgentStep(agent), max_concurrency=0)])
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Pipeline", Match.string_like_regexp("unlimited.*FanOutExceedsSessionCreationRate"))


def test_nested_sequence_and_duplicate_names_are_unique(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer")
    AgentPipeline(stack, "Pipeline", steps=[AgentSequence(AgentStep(agent), AgentStep(agent))])
    states = definition(stack)["States"]
    assert states["InvokeWriter"]["Next"] == "InvokeWriter2"


# -- IAM ------------------------------------------------------------------------------------------------


def test_state_machine_may_invoke_the_runtimes_and_their_endpoints(stack: cdk.Stack) -> None:
    pipeline = two_agent_pipeline(stack)
    runtimes = [stack.resolve(stack.get_logical_id(  # type: ignore[arg-type]
        stack.node.find_child(agent).node.find_child("Resource").node.default_child)) for agent in ("Triage", "Writer")]
    invoke = [s for s in role_statements(stack, pipeline.state_machine.role)
              if s["Action"] == "bedrock-agentcore:InvokeAgentRuntime"]
    # one statement (CDK merges same-action statements, @aws-cdk/aws-iam:minimizePolicies): each runtime and its
    # endpoints (<runtime ARN>/*), nothing else
    (statement,) = invoke
    assert sorted(map(json.dumps, statement["Resource"])) == sorted(json.dumps(r) for runtime in runtimes for r in (
        {"Fn::GetAtt": [runtime, "AgentRuntimeArn"]},
        {"Fn::Join": ["", [{"Fn::GetAtt": [runtime, "AgentRuntimeArn"]}, "/*"]]},
    ))


def test_grant_start_execution(stack: cdk.Stack) -> None:
    pipeline = two_agent_pipeline(stack)
    role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    pipeline.grant_start_execution(role)
    assert any(s["Action"] == "states:StartExecution" for s in role_statements(stack, role))


def test_metrics(stack: cdk.Stack) -> None:
    pipeline = two_agent_pipeline(stack)
    assert pipeline.metric_failed().metric_name == "ExecutionsFailed"
    assert pipeline.metric_throttled().metric_name == "ExecutionThrottled"
    assert pipeline.metric_timed_out().metric_name == "ExecutionsTimedOut"


# -- logging, tracing, type -----------------------------------------------------------------------------


def test_logs_all_events_without_data_and_traces(stack: cdk.Stack) -> None:
    two_agent_pipeline(stack)
    template = Template.from_stack(stack)
    template.has_resource_properties(STATE_MACHINE, {
        "LoggingConfiguration": {"Level": "ALL", "IncludeExecutionData": False,
                                 "Destinations": [Match.any_value()]},
        "TracingConfiguration": {"Enabled": True},
    })
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})


def test_log_level_is_configurable(stack: cdk.Stack) -> None:
    two_agent_pipeline(stack, log_level=sfn.LogLevel.ERROR, include_execution_data=True)
    Template.from_stack(stack).has_resource_properties(STATE_MACHINE, {
        "LoggingConfiguration": {"Level": "ERROR", "IncludeExecutionData": True},
    })


def test_short_pipeline_is_express(stack: cdk.Stack) -> None:
    a, b = code_agent(stack, "Triage", minutes=1), code_agent(stack, "Writer", minutes=1.5)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(a), AgentStep(b)])
    # each step: its longest task plus the longest its retries can wait (2+4+8+16+32 s for 6 attempts)
    assert pipeline.longest_run_seconds == 60 + 62 + 90 + 62
    assert pipeline.state_machine_type == sfn.StateMachineType.EXPRESS
    Template.from_stack(stack).has_resource_properties(STATE_MACHINE, {"StateMachineType": "EXPRESS"})


def test_long_pipeline_is_standard(stack: cdk.Stack) -> None:
    a, b = code_agent(stack, "Triage", minutes=3), code_agent(stack, "Writer", minutes=3)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(a), AgentStep(b)])
    assert pipeline.state_machine_type == sfn.StateMachineType.STANDARD


def test_retry_waits_count_towards_the_express_limit(stack: cdk.Stack) -> None:
    # GIVEN one step whose task fits 5 minutes alone, but not with its retries' backoff waits
    agent = code_agent(stack, "Writer", minutes=4.5)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent)])
    # THEN the pipeline is standard: an express run would be cut off when throttling is retried
    assert pipeline.longest_run_seconds == 270 + 62
    assert pipeline.state_machine_type == sfn.StateMachineType.STANDARD


def test_fewer_attempts_wait_less(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer", minutes=4.5)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent, max_attempts=3)])
    assert pipeline.longest_run_seconds == 270 + 2 + 4
    assert pipeline.state_machine_type == sfn.StateMachineType.EXPRESS


def test_map_without_expected_items_is_standard(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer", minutes=1)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentMap(AgentStep(agent))])
    assert pipeline.state_machine_type == sfn.StateMachineType.STANDARD


def test_parallel_counts_its_longest_branch(stack: cdk.Stack) -> None:
    a, b = code_agent(stack, "Triage", minutes=1), code_agent(stack, "Writer", minutes=3.5)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentParallel(AgentStep(a), AgentStep(b))])
    assert pipeline.longest_run_seconds == 210 + 62
    assert pipeline.state_machine_type == sfn.StateMachineType.EXPRESS


def test_warns_when_express_is_forced_with_an_unknown_map_size(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer", minutes=1)
    AgentPipeline(stack, "Pipeline", steps=[AgentMap(AgentStep(agent))],
                  state_machine_type=sfn.StateMachineType.EXPRESS)
    Annotations.from_stack(stack).has_warning("/TestStack/Pipeline", Match.string_like_regexp("ExpressDurationUnknown"))


# -- asynchronous agents: task token callback -----------------------------------------------------------


def async_pipeline(stack: cdk.Stack, **kwargs: Any) -> AgentPipeline:
    research = code_agent(stack, "Research", minutes=180)
    return AgentPipeline(stack, "Pipeline", steps=[AgentStep(research, name="Research")], **kwargs)


def test_asynchronous_agent_waits_for_a_task_token(stack: cdk.Stack) -> None:
    pipeline = async_pipeline(stack)
    state = definition(stack)["States"]["Research"]
    assert state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    payload = state["Parameters"]["Payload"]
    assert payload["taskToken.$"] == "$$.Task.Token"
    assert payload["payload.$"] == "$"
    assert payload["runtimeSessionId.$"] == "States.Hash($$.Execution.Id, 'SHA-256')"
    assert state["TimeoutSeconds"] == 8 * 3600  # the asynchronous job duration
    assert state["Catch"][0]["Next"] == "RecordResearchFailure"
    assert pipeline.state_machine_type == sfn.StateMachineType.STANDARD
    assert pipeline.task_token_starter is not None


def test_agent_may_answer_the_token_of_this_state_machine_only(stack: cdk.Stack) -> None:
    pipeline = async_pipeline(stack)
    research = stack.node.find_child("Research")
    statements = role_statements(stack, research.role)  # type: ignore[attr-defined]
    callback = [s for s in statements if "states:SendTaskSuccess" in s["Action"]]
    machine = stack.resolve(stack.get_logical_id(pipeline.state_machine.node.default_child))  # type: ignore[arg-type]
    assert callback == [{
        "Action": ["states:SendTaskFailure", "states:SendTaskHeartbeat", "states:SendTaskSuccess"],
        "Effect": "Allow", "Resource": {"Ref": machine},
    }]


def test_starter_function_may_invoke_the_asynchronous_agent(stack: cdk.Stack) -> None:
    pipeline = async_pipeline(stack)
    assert pipeline.task_token_starter is not None
    statements = role_statements(stack, pipeline.task_token_starter.role)  # type: ignore[arg-type]
    assert any(s["Action"] == "bedrock-agentcore:InvokeAgentRuntime" and len(s["Resource"]) == 2 for s in statements)
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {
        "Handler": "task_token_starter.handler", "Architectures": ["arm64"], "TracingConfig": {"Mode": "Active"},
        # every value the handler needs, which has no fallback of its own
        "Environment": {"Variables": {contract.ENV_AGENTCORE_MAX_ATTEMPTS: str(STARTER_MAX_ATTEMPTS)}},
    })


def test_state_machine_is_the_primary_child(stack: cdk.Stack) -> None:
    pipeline = two_agent_pipeline(stack)
    assert pipeline.node.default_child is pipeline.state_machine
    assert pipeline.state_machine.node.id == "Resource"


def test_callback_can_be_chosen_for_any_agent(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer", minutes=40)
    AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent, integration=StepIntegration.CALLBACK,
                                                      heartbeat=cdk.Duration.minutes(5))])
    state = definition(stack)["States"]["InvokeWriter"]
    assert state["HeartbeatSeconds"] == 300 and state["TimeoutSeconds"] == 3600


# -- failures -------------------------------------------------------------------------------------------


def errors(construct: Construct) -> list[str]:
    """The synth errors a construct reports (each starts with its ``[Code]``)."""
    return list(construct.node.validate())


def codes(construct: Construct) -> list[str]:
    return [e[1:e.index("]")] for e in errors(construct)]


def test_fails_when_a_synchronous_step_timeout_exceeds_15_minutes(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Triage")
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent, timeout=cdk.Duration.minutes(20))])
    (message,) = errors(pipeline)
    assert message.startswith("[StepTimeoutExceedsInvocationLimit] step InvokeTriage: timeout 20 min exceeds 15 min")
    assert "hard limit" in message and "CALLBACK" in message
    # AND synthesis fails with it
    with pytest.raises(Exception, match="StepTimeoutExceedsInvocationLimit"):
        Template.from_stack(stack)


def test_fails_when_a_streaming_agent_is_called_synchronously(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer", minutes=40)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent)])
    (message,) = errors(pipeline)
    assert message.startswith("[SynchronousStepTooLong]") and "longest_task of 40 min (streaming)" in message


def test_fails_when_express_is_forced_beyond_5_minutes(stack: cdk.Stack) -> None:
    pipeline = two_agent_pipeline(stack, state_machine_type=sfn.StateMachineType.EXPRESS)
    (message,) = errors(pipeline)
    assert message.startswith("[ExpressDurationExceeded]") and "more than 5 min" in message


def test_fails_when_express_is_forced_with_a_callback_step(stack: cdk.Stack) -> None:
    pipeline = async_pipeline(stack, state_machine_type=sfn.StateMachineType.EXPRESS)
    assert "ExpressCannotWaitForCallback" in codes(pipeline)
    assert "TestStack/Research" in next(e for e in errors(pipeline) if "Callback" in e)


def test_fails_when_a_callback_timeout_exceeds_the_job_duration(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Research", minutes=180)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent, timeout=cdk.Duration.hours(9))])
    (message,) = errors(pipeline)
    assert message.startswith("[StepTimeoutExceedsInvocationLimit]") and "exceeds 8 h" in message


def test_every_hard_limit_of_a_pipeline_is_reported_at_once(stack: cdk.Stack) -> None:
    # GIVEN a pipeline crossing three hard limits in different steps
    triage, writer = code_agent(stack, "Triage"), code_agent(stack, "Writer", minutes=40)
    research = code_agent(stack, "Research", minutes=180)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[
        AgentStep(triage, timeout=cdk.Duration.minutes(20)),
        AgentStep(writer, integration=StepIntegration.REQUEST_RESPONSE),
        AgentStep(research),
    ], state_machine_type=sfn.StateMachineType.EXPRESS)
    # THEN construction does not stop at the first: synthesis fails listing every one
    assert sorted(codes(pipeline)) == [
        "ExpressCannotWaitForCallback", "ExpressDurationExceeded", "StepTimeoutExceedsInvocationLimit",
        "SynchronousStepTooLong",
    ]
    with pytest.raises(Exception) as exc:
        Template.from_stack(stack)
    assert all(code in str(exc.value) for code in codes(pipeline))


def test_token_timeouts_are_not_guessed(stack: cdk.Stack) -> None:
    # GIVEN a step timeout and heartbeat only known at deploy
    seconds = cdk.CfnParameter(stack, "Seconds", type="Number").value_as_number
    research = code_agent(stack, "Research", minutes=180)
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(
        research, timeout=cdk.Duration.seconds(seconds), heartbeat=cdk.Duration.seconds(seconds),
    )], state_machine_type=sfn.StateMachineType.STANDARD)
    # THEN nothing is raised or reported as an error, an info note names each unchecked value
    assert errors(pipeline) == []
    annotations = Annotations.from_stack(stack)
    annotations.has_info(
        "/TestStack/Pipeline", Match.string_like_regexp(r"step InvokeResearch: timeout is an unresolved token"))
    annotations.has_info(
        "/TestStack/Pipeline", Match.string_like_regexp(r"step InvokeResearch: heartbeat is an unresolved token"))
    # AND the task carries the token itself
    (machine,) = Template.from_stack(stack).find_resources(STATE_MACHINE).values()
    assert {"Ref": "Seconds"} in machine["Properties"]["DefinitionString"]["Fn::Join"][1]


def test_a_token_timeout_leaves_the_run_unknown(stack: cdk.Stack) -> None:
    # GIVEN a short agent whose step timeout is a token WHEN no longest_task bounds it
    seconds = cdk.CfnParameter(stack, "Seconds", type="Number").value_as_number
    agent = code_agent(stack, "Triage")
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent, timeout=cdk.Duration.seconds(seconds))])
    # THEN the run is unknown and the pipeline is standard, not a guessed express
    assert pipeline.longest_run_seconds == float("inf")
    assert pipeline.state_machine_type == sfn.StateMachineType.STANDARD


def test_fails_when_pipeline_is_empty(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentPipeline(stack, "Pipeline", steps=[])
    assert exc.value.code == "EmptyPipeline"


def test_fails_when_max_concurrency_is_negative() -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentMap([], max_concurrency=-1)
    assert exc.value.code == "InvalidMaxConcurrency"


def test_fails_when_payload_path_is_not_a_json_path() -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        StepPayload.from_state("Triage.response")
    assert exc.value.code == "InvalidStepPayload"


def test_definition_is_valid_json(stack: cdk.Stack) -> None:
    two_agent_pipeline(stack)
    assert json.dumps(definition(stack))


def test_parallel_branches_get_their_own_sessions(stack: cdk.Stack) -> None:
    # GIVEN the same agent in two branches WHEN run concurrently THEN they never share a session
    agent = code_agent(stack, "Writer")
    AgentPipeline(stack, "Pipeline", steps=[AgentParallel(AgentStep(agent), AgentStep(agent), name="Fork")])
    branches = definition(stack)["States"]["Fork"]["Branches"]
    sessions = [next(iter(b["States"].values()))["Parameters"]["RuntimeSessionId.$"] for b in branches]
    assert sessions == [
        "States.Hash(States.Format('{}/ForkBranch1', $$.Execution.Id), 'SHA-256')",
        "States.Hash(States.Format('{}/ForkBranch2', $$.Execution.Id), 'SHA-256')",
    ]


def test_map_items_can_carry_fields_from_the_state(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer")
    AgentPipeline(stack, "Pipeline", steps=[
        AgentMap(AgentStep(agent), item_fields={"brief": sfn.JsonPath.string_at("$.Triage.response")}),
    ])
    selector = definition(stack)["States"]["Map"]["ItemSelector"]
    assert selector == {"brief.$": "$.Triage.response", "item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}


def test_fails_when_map_item_fields_use_reserved_keys() -> None:
    with pytest.raises(ConstructsLibValidationError, match="item") as exc:
        AgentMap([], item_fields={"item": "x"})
    assert exc.value.code == "InvalidStep"


@pytest.mark.parametrize("bad", ["Fan out", "a.b", "x{}", "it's", ""])
def test_fails_when_a_step_name_is_not_a_plain_identifier(stack: cdk.Stack, bad: str) -> None:
    # names become state names, JsonPath keys ($.<output_key>) and literals in the States.Format session seed
    agent = code_agent(stack, "Writer")
    for make in (
        lambda: AgentStep(agent, name=bad),
        lambda: AgentStep(agent, output_key=bad),
        lambda: AgentParallel(AgentStep(agent), name=bad),
        lambda: AgentMap(AgentStep(agent), output_key=bad),
    ):
        with pytest.raises(ConstructsLibValidationError) as exc:
            make()
        assert exc.value.code == "InvalidStepName"


def test_default_step_name_drops_punctuation_of_the_agent_id(stack: cdk.Stack) -> None:
    agent = AgentCoreAgent(stack, "support-agent.v2", runtime_name="support_agent",
                           artifact=AgentArtifact.from_code(RESEARCH_CODE))
    step = AgentStep(agent)
    assert step.name == "Invokesupportagentv2"
    AgentPipeline(stack, "Pipeline", steps=[step])
    assert "Invokesupportagentv2" in definition(stack)["States"]


def test_nested_map_items_never_share_a_session(stack: cdk.Stack) -> None:
    # GIVEN a map over groups whose step is a map over each group's documents
    agent = code_agent(stack, "Writer")
    AgentPipeline(stack, "Pipeline", steps=[AgentMap(
        AgentMap(AgentStep(agent, name="Summarize"), items_path="$.item", name="Docs"), name="Groups",
    )])
    groups = definition(stack)["States"]["Groups"]
    docs = groups["ItemProcessor"]["States"]["Docs"]
    # THEN the inner items carry the outer index with their own, and the session seed uses both: item 0 of
    # group 0 and item 0 of group 1 run concurrently in different sessions
    assert docs["ItemSelector"]["sessionScope.$"] == "States.Format('{}/{}', $.index, $$.Map.Item.Index)"
    inner = docs["ItemProcessor"]["States"]["Summarize"]["Parameters"]
    assert inner["RuntimeSessionId.$"] == (
        "States.Hash(States.Format('{}/GroupsItem/DocsItem/{}', $$.Execution.Id, $.sessionScope), 'SHA-256')"
    )


def test_fails_when_a_heartbeat_is_not_shorter_than_the_step_timeout(stack: cdk.Stack) -> None:
    research = code_agent(stack, "Research", minutes=180)
    step = AgentStep(research, timeout=cdk.Duration.hours(1), heartbeat=cdk.Duration.hours(1))
    pipeline = AgentPipeline(stack, "Pipeline", steps=[step])
    (message,) = errors(pipeline)
    assert message.startswith("[HeartbeatNotShorterThanTimeout] step InvokeResearch: heartbeat 1 h must be shorter")


def test_fails_when_a_state_name_is_too_long(stack: cdk.Stack) -> None:
    # GIVEN a step name that fits alone but not in its derived failure state
    agent = code_agent(stack, "Writer")
    name = "N" * 70
    pipeline = AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent, name=name)])
    # THEN the rendered state that is too long is named, with the prop it comes from
    (message,) = errors(pipeline)
    assert message.startswith(f"[StateNameTooLong] state 'Record{name}Failure' (83 characters, from the step name")
    assert "80 characters" in message


def test_a_long_step_name_whose_states_fit_is_fine(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer")
    AgentPipeline(stack, "Pipeline", steps=[AgentStep(agent, name="N" * 67)])
    assert "N" * 67 in definition(stack)["States"]


def test_fails_when_a_request_response_step_has_a_heartbeat(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer", minutes=1)
    with pytest.raises(ConstructsLibValidationError, match="callback") as exc:
        AgentStep(agent, heartbeat=cdk.Duration.minutes(1))
    assert exc.value.code == "InvalidStepTimeout"


def test_nested_map_divides_the_session_creation_rate(stack: cdk.Stack) -> None:
    # GIVEN a map of maps with default concurrency: the inner map alone may start the whole rate at once
    agent = code_agent(stack, "Writer")
    inner = AgentMap(AgentStep(agent, name="Summarize"), items_path="$.item", name="Docs")
    outer = AgentMap(inner, name="Groups")
    AgentPipeline(stack, "Pipeline", steps=[outer])
    rate = agent.plan.session_creation_capacity_per_second
    # THEN the outer map runs one group at a time, so at most `rate` sessions start together, and no warning
    assert inner.effective_max_concurrency == int(rate)
    assert outer.effective_max_concurrency == 1
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("FanOutExceedsSessionCreationRate"))


def test_warns_when_a_nested_fan_out_multiplies_past_the_rate(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Writer")
    inner = AgentMap(AgentStep(agent, name="Summarize"), items_path="$.item", name="Docs")
    AgentPipeline(stack, "Pipeline", steps=[AgentMap(inner, name="Groups", max_concurrency=4)])
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Pipeline", Match.string_like_regexp("map Groups starts up to 4 items at once, each opening up to")
    )


def test_map_over_parallel_branches_shares_the_rate_among_them(stack: cdk.Stack) -> None:
    a, b = code_agent(stack, "Triage"), code_agent(stack, "Writer")
    step = AgentMap(AgentParallel(AgentStep(a), AgentStep(b)))
    AgentPipeline(stack, "Pipeline", steps=[step])
    assert step.effective_max_concurrency == int(a.plan.session_creation_capacity_per_second // 2)


# -- least privilege and one attempt -------------------------------------------------------------------------------


def test_the_state_machine_role_is_trusted_by_this_state_machine_only(stack: cdk.Stack) -> None:
    # GIVEN a pipeline without a name
    pipeline = two_agent_pipeline(stack)
    template = Template.from_stack(stack)
    (machine,) = template.find_resources(STATE_MACHINE).values()
    name = machine["Properties"]["StateMachineName"]
    # THEN it has a generated name of the allowed length that carries its type (a type change replaces it under a new
    # name), known before deployment
    assert name == pipeline.state_machine_name and name.endswith("-standard") and len(name) <= 80
    assert re.fullmatch(r"[A-Za-z0-9_-]+", name)
    # AND its role may be assumed by Step Functions for exactly that state machine of this account
    role = template.find_resources("AWS::IAM::Role")[
        stack.get_logical_id(pipeline.role.node.default_child)]  # type: ignore[arg-type]
    assert machine["Properties"]["RoleArn"] == {"Fn::GetAtt": [stack.get_logical_id(
        pipeline.role.node.default_child), "Arn"]}  # type: ignore[arg-type]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"}},
    }
    assert "stateMachine:*" not in json.dumps(template.to_json())


def test_a_given_state_machine_name_is_the_one_trusted(stack: cdk.Stack) -> None:
    pipeline = two_agent_pipeline(stack, state_machine_name="triage-pipeline")
    role = Template.from_stack(stack).find_resources("AWS::IAM::Role")[
        stack.get_logical_id(pipeline.role.node.default_child)]  # type: ignore[arg-type]
    condition = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    expected = "arn:aws:states:us-east-1:123456789012:stateMachine:triage-pipeline"
    assert condition["ArnLike"]["aws:SourceArn"] == expected


def test_an_express_pipeline_is_named_after_its_type(stack: cdk.Stack) -> None:
    pipeline = two_agent_pipeline(stack, state_machine_type=sfn.StateMachineType.EXPRESS)
    assert pipeline.state_machine_name.endswith("-express")


def test_sdk_steps_retry_only_refusals_that_ran_nothing(stack: cdk.Stack) -> None:
    # GIVEN a request-response step THEN its one retrier names exactly the three errors AgentCore answers before it runs
    # anything (never InternalServerException, RuntimeClientError, a timeout or States.ALL)
    two_agent_pipeline(stack)
    (retry,) = definition(stack)["States"]["Triage"]["Retry"]
    assert retry["ErrorEquals"] == ["BedrockAgentCore.ThrottlingException",
                                    "BedrockAgentCore.ServiceQuotaExceededException",
                                    "BedrockAgentCore.RetryableConflictException"]
    assert list(RETRYABLE_AGENT_ERRORS) == retry["ErrorEquals"]


def test_callback_steps_do_not_retry_lambda_errors_that_may_follow_a_started_agent(stack: cdk.Stack) -> None:
    # GIVEN a callback step (the starter Lambda invokes the agent with the task token)
    async_pipeline(stack)
    (state,) = [s for s in definition(stack)["States"].values() if s.get("Resource", "").endswith("waitForTaskToken")]
    # THEN one retrier: Lambda's throttling (the starter did not run) and AgentCore's refusals; none of the Lambda
    # service errors CDK would retry by default, which can come after the agent was started
    (retry,) = state["Retry"]
    assert retry["ErrorEquals"] == ["Lambda.TooManyRequestsException", "ThrottlingException",
                                    "ServiceQuotaExceededException", "RetryableConflictException"]
    text = json.dumps(state)
    for error in ("Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                  "Lambda.ClientExecutionTimeoutException", "States.ALL\", \"Retry"):
        assert error not in text


def test_the_starter_makes_one_attempt(stack: cdk.Stack) -> None:
    async_pipeline(stack)
    assert STARTER_MAX_ATTEMPTS == 1
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {
        "Handler": "task_token_starter.handler",
        "Environment": {"Variables": {contract.ENV_AGENTCORE_MAX_ATTEMPTS: "1"}},
    })
