"""AgentTool: the function it defines, the agent's grant and tool list, and its checks."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib import ConstructsLibValidationError
from constructs_lib._cdk.scope import catalog_for
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.orchestration.tools import TOOLS_ENVIRONMENT_KEY, AgentTool, tools_of
from tests.orchestration._helpers import code_agent, render

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
FUNCTION = "AWS::Lambda::Function"


def tool(stack: cdk.Stack, construct_id: str = "Tool", **kwargs: object) -> AgentTool:
    kwargs.setdefault("tool_name", "order_status")
    kwargs.setdefault("description", "Look up an order")
    kwargs.setdefault("code", CODE)
    kwargs.setdefault("handler", "index.handler")
    return AgentTool(stack, construct_id, **kwargs)  # type: ignore[arg-type]


def tools_variable(stack: cdk.Stack, agent_id: str = "Triage") -> list[dict[str, str]]:
    runtime = stack.node.find_child(agent_id).node.find_child("Resource").node.default_child
    value = stack.resolve(runtime.environment_variables)[TOOLS_ENVIRONMENT_KEY]  # type: ignore[union-attr]
    return json.loads(render(value))


def test_function_is_secure_by_default(stack: cdk.Stack) -> None:
    # GIVEN a tool WHEN synthesized THEN ARM64, tracing, log retention, DLQ, 30 s timeout, no managed policy
    tool(stack)
    template = Template.from_stack(stack)
    template.has_resource_properties(FUNCTION, {
        "Architectures": ["arm64"],
        "TracingConfig": {"Mode": "Active"},
        "Timeout": 30,
        "Runtime": Match.string_like_regexp("^python3\\.1[2-9]$"),
        "DeadLetterConfig": {"TargetArn": Match.any_value()},
        "LoggingConfig": {"LogGroup": Match.any_value()},
    })
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})
    template.has_resource_properties("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})
    template.has_resource_properties("AWS::SQS::QueuePolicy", {
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        })])},
    })
    roles = template.find_resources("AWS::IAM::Role")
    assert all("ManagedPolicyArns" not in r["Properties"] for r in roles.values())


def test_the_function_is_the_primary_resource_and_its_dead_letters_are_kept(stack: cdk.Stack) -> None:
    # GIVEN a tool THEN its function is its Resource (the logical id carries no "Function" segment)
    created = tool(stack)
    assert created.function.node.id == "Resource" and created.node.default_child is created.function
    function_id = stack.get_logical_id(created.function.node.default_child)  # type: ignore[arg-type]
    assert function_id.startswith("Tool") and not function_id.startswith("ToolFunction")
    # AND its dead-letter queue, the only record of failed asynchronous events, survives the stack
    Template.from_stack(stack).has_resource("AWS::SQS::Queue", {"DeletionPolicy": "Retain",
                                                                "UpdateReplacePolicy": "Retain"})


def test_options_reach_the_function(stack: cdk.Stack) -> None:
    tool(stack, runtime=lambda_.Runtime.NODEJS_22_X, memory_size=512, reserved_concurrent_executions=5,
         environment={"TABLE": "orders"}, timeout=cdk.Duration.minutes(2), dead_letter_queue=False)
    template = Template.from_stack(stack)
    template.has_resource_properties(FUNCTION, {
        "Runtime": "nodejs22.x", "MemorySize": 512, "ReservedConcurrentExecutions": 5, "Timeout": 120,
        "Environment": {"Variables": {"TABLE": "orders"}},
    })
    template.resource_count_is("AWS::SQS::Queue", 0)


def test_agent_may_invoke_exactly_the_function(stack: cdk.Stack) -> None:
    # GIVEN an agent WHEN the tool is added THEN its role may invoke the function ARN and nothing else
    agent = code_agent(stack, "Triage")
    created = tool(stack, agents=[agent])
    function_id = stack.resolve(stack.get_logical_id(created.function.node.default_child))
    role_id = stack.resolve(stack.get_logical_id(agent.role.node.default_child))
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy", {
        "Properties": {"Roles": [{"Ref": role_id}]},
    })
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
                  if "lambda:InvokeFunction" in json.dumps(s["Action"])]
    assert statements == [{"Action": "lambda:InvokeFunction", "Effect": "Allow",
                           "Resource": {"Fn::GetAtt": [function_id, "Arn"]}}]


def test_agent_learns_every_tool_through_one_variable(stack: cdk.Stack) -> None:
    # GIVEN two tools added one after the other WHEN synthesized THEN AGENT_TOOLS lists both, in order
    agent = code_agent(stack, "Triage")
    first = tool(stack, "First", tool_name="order_status", description="Look up an order")
    second = tool(stack, "Second", tool_name="refund", description="Refund an order")
    first.add_to_agent(agent)
    second.add_to_agent(agent)
    listed = tools_variable(stack)
    assert [t["name"] for t in listed] == ["order_status", "refund"]
    assert listed[1]["description"] == "Refund an order"
    assert all(t["arn"].startswith("arn:aws:lambda:us-east-1:123456789012:function:") for t in listed)
    assert [t["name"] for t in tools_of(agent)] == ["order_status", "refund"]


def test_one_tool_serves_several_agents(stack: cdk.Stack) -> None:
    a, b = code_agent(stack, "Triage"), code_agent(stack, "Writer")
    created = tool(stack, agents=[a, b])
    assert created.agents == [a, b]
    assert [t["name"] for t in tools_variable(stack, "Writer")] == ["order_status"]


def test_existing_function_is_only_registered(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Triage")
    existing = lambda_.Function.from_function_arn(
        stack, "Existing", "arn:aws:lambda:us-east-1:123456789012:function:orders")
    created = tool(stack, code=None, handler=None, existing_function=existing, agents=[agent])
    Template.from_stack(stack).resource_count_is(FUNCTION, 0)
    assert created.dead_letter_queue is None and created.log_group is None
    assert tools_variable(stack)[0]["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:orders"


def test_metrics_use_the_lambda_namespace(stack: cdk.Stack) -> None:
    created = tool(stack)
    assert created.metric_errors().metric_name == "Errors"
    assert created.metric_throttles().metric_name == "Throttles"
    assert created.metric_duration().metric_name == "Duration"
    assert created.metric_errors().namespace == "AWS/Lambda"


def test_warns_when_tool_timeout_exceeds_what_the_agent_waits(stack: cdk.Stack) -> None:
    # GIVEN an agent planned for 2-minute tasks WHEN a 5-minute tool is added THEN a warning
    agent = code_agent(stack, "Triage", minutes=2)
    tool(stack, timeout=cdk.Duration.minutes(5), agents=[agent])
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Tool", Match.string_like_regexp("ToolTimeoutExceedsInvocationMode"))


def test_no_warning_when_tool_fits(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Triage", minutes=2)
    tool(stack, timeout=cdk.Duration.seconds(30), agents=[agent])
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("ToolTimeoutExceedsInvocationMode"))


def test_token_timeout_is_skipped_with_info(stack: cdk.Stack) -> None:
    seconds = cdk.CfnParameter(stack, "Seconds", type="Number").value_as_number
    tool(stack, timeout=cdk.Duration.seconds(seconds))
    Annotations.from_stack(stack).has_info("/TestStack/Tool", Match.string_like_regexp("token"))


def test_fails_when_timeout_exceeds_lambda_limit(stack: cdk.Stack) -> None:
    created = tool(stack, timeout=cdk.Duration.minutes(16))
    (message,) = created.node.validate()
    assert message.startswith("[ToolTimeoutTooLong] timeout 16 min exceeds 15 min, the AWS Lambda quota")
    assert "hard limit" in message
    with pytest.raises(Exception, match="ToolTimeoutTooLong"):
        Template.from_stack(stack)


def test_fails_when_tool_name_is_longer_than_converse_allows(stack: cdk.Stack) -> None:
    created = tool(stack, tool_name="t" * 65)
    (message,) = created.node.validate()
    assert message.startswith("[ToolNameTooLong] tool_name 'tttt") and "65 characters, more than 64" in message
    assert "Amazon Bedrock" in message
    assert tool(stack, "Fits", tool_name="t" * 64).node.validate() == []


def test_fails_when_description_is_longer_than_the_function_description_and_is_never_truncated(
    stack: cdk.Stack,
) -> None:
    # GIVEN a description longer than Lambda allows for the function the tool creates
    agent = code_agent(stack, "Triage")
    long = "Look up an order. " * 20
    created = tool(stack, description=long, agents=[agent])
    # THEN synthesis fails naming the prop, and the agent still sees the whole description
    (message,) = created.node.validate()
    assert message.startswith(f"[ToolDescriptionTooLong] description is {len(long)} characters, more than 256")
    assert tools_of(agent)[0]["description"] == long
    assert created.function.node.default_child.description is None  # type: ignore[union-attr]


def test_long_description_of_an_existing_function_is_fine(stack: cdk.Stack) -> None:
    # The function is not the construct's: its description is not written, only the tool list carries it
    existing = lambda_.Function.from_function_arn(
        stack, "Existing", "arn:aws:lambda:us-east-1:123456789012:function:orders")
    created = tool(stack, code=None, handler=None, existing_function=existing, description="d" * 300)
    assert created.node.validate() == []


def test_token_name_and_description_are_not_guessed(stack: cdk.Stack) -> None:
    name = cdk.CfnParameter(stack, "Name").value_as_string
    text = cdk.CfnParameter(stack, "Text").value_as_string
    created = tool(stack, tool_name=name, description=text)
    assert created.node.validate() == []
    annotations = Annotations.from_stack(stack)
    annotations.has_info("/TestStack/Tool", Match.string_like_regexp("tool_name is an unresolved token"))
    annotations.has_info("/TestStack/Tool", Match.string_like_regexp("description is an unresolved token"))


def test_fails_when_tool_name_is_invalid(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="tool_name") as exc:
        tool(stack, tool_name="order status!", description="")
    assert exc.value.code == "InvalidToolName"
    assert "description" in exc.value.message  # all problems at once


def test_fails_when_tool_name_repeats_on_an_agent(stack: cdk.Stack) -> None:
    agent = code_agent(stack, "Triage")
    tool(stack, "First", agents=[agent])
    with pytest.raises(ConstructsLibValidationError) as exc:
        tool(stack, "Second", agents=[agent])
    assert exc.value.code == "DuplicateToolName"


def test_fails_when_code_and_existing_function_are_both_given(stack: cdk.Stack) -> None:
    existing = lambda_.Function.from_function_arn(
        stack, "Existing", "arn:aws:lambda:us-east-1:123456789012:function:orders")
    with pytest.raises(ConstructsLibValidationError, match="not both") as exc:
        tool(stack, existing_function=existing)
    assert exc.value.code == "ConflictingToolFunction"


def test_fails_when_code_is_missing(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        tool(stack, code=None)
    assert exc.value.code == "MissingToolCode"


def test_fails_when_tool_list_outgrows_the_environment_value_quota(stack: cdk.Stack) -> None:
    # GIVEN long descriptions WHEN enough tools are added THEN the environment value quota stops the list
    agent = code_agent(stack, "Triage")
    tools = [tool(stack, f"Tool{index}", tool_name=f"tool_{index}", description="d" * 250, agents=[agent])
             for index in range(10)]
    quota = catalog_for(stack).resolve(QuotaName.ENVIRONMENT_VARIABLE_VALUE_LENGTH)
    # THEN every tool whose list certainly no longer fits is an error, the earlier ones are not
    failing = [t for t in tools if t.node.validate()]
    assert failing and failing[0] is not tools[0]
    message = failing[0].node.validate()[0]
    assert message.startswith("[ToolListTooLong] the AGENT_TOOLS list of agent TestStack/Triage would be at least")
    assert f"more than {quota.formatted()}" in message
    # AND the agent keeps the last list that fitted
    assert len(tools_variable(stack)) == tools.index(failing[0])


def test_tool_list_with_token_arns_is_checked_only_when_it_is_certain(stack: cdk.Stack) -> None:
    # GIVEN token ARNs whose longest possible form would pass the quota, while their known part fits
    agent = code_agent(stack, "Triage")
    tools = [tool(stack, f"Tool{index}", tool_name=f"tool_{index}", description="d" * 150, agents=[agent])
             for index in range(8)]
    # THEN no error is guessed: an info note says the length waits for deployment
    assert all(t.node.validate() == [] for t in tools)
    Annotations.from_stack(stack).has_info(
        "/TestStack/Tool7", Match.string_like_regexp("the AGENT_TOOLS list of agent TestStack/Triage .* function ARNs"))


def test_grant_invoke_only_grants_and_bind_only_lists(stack: cdk.Stack) -> None:
    # GIVEN two agents: one only granted, one only bound
    granted, bound = code_agent(stack, "Triage"), code_agent(stack, "Writer")
    created = tool(stack)
    created.grant_invoke(granted)
    created.bind(bound)
    # THEN the granted agent may invoke but has no tool list; the bound agent has the list but no grant
    assert TOOLS_ENVIRONMENT_KEY not in granted.environment and tools_of(granted) == []
    assert [t["name"] for t in tools_of(bound)] == ["order_status"]
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")

    def may_invoke(agent: object) -> bool:
        role_id = stack.resolve(stack.get_logical_id(agent.role.node.default_child))  # type: ignore[attr-defined]
        return any({"Ref": role_id} in p["Properties"]["Roles"] and "lambda:InvokeFunction" in json.dumps(p)
                   for p in policies.values())

    assert may_invoke(granted) and not may_invoke(bound)
