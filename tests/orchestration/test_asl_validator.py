"""Every synthesized state machine definition is valid Amazon States Language (npm ``asl-validator``).

The validator is installed by the project's set-up into ``./node_modules``; the definition is written
with its CloudFormation tokens replaced by concrete ARNs and checked with
``node_modules/.bin/asl-validator --json-path <file>`` (exit code 0 when valid).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import aws_cdk as cdk
import pytest

from constructs_lib.orchestration.pipeline import AgentMap, AgentParallel, AgentPipeline, AgentStep, StepPayload
from stacks.orchestration import OrchestrationStack
from tests.conftest import ENV, ROOT
from tests.orchestration._helpers import code_agent, definitions

VALIDATOR = ROOT / "node_modules" / ".bin" / "asl-validator"



def validate(definition: dict[str, object], path: Path) -> subprocess.CompletedProcess[str]:
    # The project's set-up (make test) installs it; a missing validator is a failure, never a skip.
    assert VALIDATOR.exists(), "asl-validator is not installed: run `npm ci` (make setup)"
    path.write_text(json.dumps(definition, indent=2))
    return subprocess.run([str(VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, timeout=120)


def composite_stack() -> cdk.Stack:
    """A stack with every kind of step: sequence, parallel, map, nested map, template payload and callback."""
    stack = cdk.Stack(cdk.App(), "Composite", env=ENV)
    triage, writer = code_agent(stack, "Triage", minutes=1), code_agent(stack, "Writer", minutes=2)
    research = code_agent(stack, "Research", minutes=180)
    AgentPipeline(stack, "Pipeline", steps=[
        AgentStep(triage, payload=StepPayload.from_template({"prompt": "hi"}), parse_json_response=True),
        AgentParallel(AgentStep(writer), [AgentStep(research, name="Deep")], name="Fork"),
        AgentMap(AgentStep(writer, name="Each", payload=StepPayload.from_state("$.item")), max_concurrency=2),
        AgentMap(AgentMap(AgentStep(triage, name="Inner"), items_path="$.item", name="Docs"), name="Groups"),
    ])
    return stack


@pytest.mark.parametrize("build", [
    lambda: OrchestrationStack(cdk.App(), "Orchestration", env=ENV),
    composite_stack,
], ids=["reference", "composite"])
def test_every_state_machine_definition_is_valid(build: object, tmp_path: Path) -> None:
    stack = build()  # type: ignore[operator]
    found = definitions(stack)
    assert found, "the stack defines no state machine"
    for logical_id, definition in found.items():
        result = validate(definition, tmp_path / f"{logical_id}.asl.json")
        assert result.returncode == 0, f"{logical_id}: {result.stdout}{result.stderr}"


def test_validator_rejects_an_invalid_definition(tmp_path: Path) -> None:
    # GIVEN a definition whose StartAt names no state WHEN validated THEN the validator fails
    result = validate({"StartAt": "Missing", "States": {"Done": {"Type": "Succeed"}}}, tmp_path / "bad.json")
    assert result.returncode != 0
