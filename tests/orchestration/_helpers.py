"""Helpers for the orchestration tests: small agents and the parsed state machine definition."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from constructs_lib import AgentArtifact, AgentCoreAgent, CodeDependencies, WorkloadProfile
from tests.conftest import RESEARCH_CODE

STATE_MACHINE = "AWS::StepFunctions::StateMachine"


def code_agent(stack: cdk.Stack, construct_id: str, *, minutes: float | None = None, **kwargs: Any) -> AgentCoreAgent:
    """A direct-code agent (no Docker), planned for a longest task of ``minutes`` when given."""
    workload = WorkloadProfile(longest_task=cdk.Duration.seconds(minutes * 60)) if minutes is not None else None
    return AgentCoreAgent(
        stack, construct_id, runtime_name=f"{construct_id.lower()}_agent",
        artifact=AgentArtifact.from_code(RESEARCH_CODE, dependencies=CodeDependencies.none()), workload=workload,
        **kwargs,
    )


def render(value: Any, placeholders: dict[str, str] | None = None) -> str:
    """Join a resolved ``Fn::Join`` definition into one string, tokens replaced by concrete strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(render(p, placeholders) for p in parts)
        if "Ref" in value:
            return {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}.get(
                value["Ref"], f"ref-{value['Ref']}"
            )
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            if attribute == "AgentRuntimeArn":
                return f"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/{logical_id}-abcdef1234"
            if attribute == "Arn":
                return f"arn:aws:lambda:us-east-1:123456789012:function:{logical_id}"
            return f"{logical_id}-{attribute}"
    raise AssertionError(f"unexpected intrinsic in a definition: {value!r}")


def definitions(stack: cdk.Stack) -> dict[str, dict[str, Any]]:
    """Every state machine definition of ``stack``, parsed, by logical id."""
    resources = Template.from_stack(stack).find_resources(STATE_MACHINE)
    return {key: json.loads(render(r["Properties"]["DefinitionString"])) for key, r in resources.items()}


def definition(stack: cdk.Stack) -> dict[str, Any]:
    """The only state machine definition of ``stack``, parsed."""
    found = definitions(stack)
    assert len(found) == 1, f"expected one state machine, found {len(found)}"
    return next(iter(found.values()))


def all_states(states: dict[str, Any]) -> dict[str, Any]:
    """States of a definition including those inside Parallel branches and Map processors."""
    found: dict[str, Any] = {}
    for name, state in states.items():
        found[name] = state
        for branch in state.get("Branches", []):
            found.update(all_states(branch["States"]))
        if "ItemProcessor" in state:
            found.update(all_states(state["ItemProcessor"]["States"]))
    return found
