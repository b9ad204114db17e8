"""The "serving an agent" reference stack: clean under cdk-nag AwsSolutions and cfn-lint."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from stacks.serving_facade import ServingFacadeStack
from tests._validators import assert_cfn_lint_clean, assert_clean, synth_checked


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[ServingFacadeStack, Path]:
    """The stack synthesized once with the cdk-nag plugins, and its output directory."""
    out = tmp_path_factory.mktemp("serving")
    return synth_checked(out, ServingFacadeStack, "ServingFacade"), out


def test_the_stack_holds_both_facades(synthesized: tuple[ServingFacadeStack, Path]) -> None:
    stack, _ = synthesized
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::ApiGateway::RestApi", 2)
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
    template.resource_count_is("AWS::DynamoDB::Table", 1)
    assert stack.assistant_api.streaming and stack.research_api.jobs is not None


def test_no_open_findings_and_specific_reasons(synthesized: tuple[ServingFacadeStack, Path]) -> None:
    assert_clean(synthesized[1])


def test_template_passes_cfn_lint(synthesized: tuple[ServingFacadeStack, Path]) -> None:
    assert_cfn_lint_clean(synthesized[1] / "ServingFacade.template.json")
