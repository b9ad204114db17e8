"""AgentCore-UniqueName: the pack sees the whole app and reports the second claim of a name, naming both paths."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from cdk_nag import NagRuleCompliance

from constructs_lib.checks import AgentCoreChecks
from constructs_lib.checks.rules import physical_name_unique
from tests.checks._l1 import ENV, cfn_runtime


def _two_stacks() -> tuple[cdk.App, cdk.CfnResource, cdk.CfnResource]:
    app = cdk.App()
    first = cfn_runtime(cdk.Stack(app, "MyStack-dev", env=ENV), name="team_agent")
    second = cfn_runtime(cdk.Stack(app, "MyStack-staging", env=ENV), name="team_agent")
    return app, first, second


def test_the_first_claim_is_compliant_and_the_second_is_not() -> None:
    _, first, second = _two_stacks()
    assert physical_name_unique(first) == NagRuleCompliance.COMPLIANT
    assert physical_name_unique(second) == ["AgentRuntimeName:team_agent"]


def test_not_applicable_to_tokens_other_types_and_unknown_environments() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Team", env=ENV)
    token = cfn_runtime(stack, "Token", name=cdk.CfnParameter(stack, "Name").value_as_string)
    agnostic = cfn_runtime(cdk.Stack(app, "Agnostic"), name="team_agent")
    unrelated = s3.CfnBucket(stack, "Unnamed")
    for node in (token, agnostic, unrelated):
        assert physical_name_unique(node) == NagRuleCompliance.NOT_APPLICABLE


def test_pack_reports_an_error_naming_both_paths() -> None:
    # GIVEN two stacks of one app claiming one runtime name in one account and region
    app, first, second = _two_stacks()
    # WHEN the pack validates the app THEN one error sits on the second runtime and names the first
    report = AgentCoreChecks(app).validate_scope(app)
    (violation,) = [v for v in report.violations if v.rule_name == "AgentCore-UniqueName[AgentRuntimeName:team_agent]"]
    assert violation.severity == "error"
    assert [r.construct_path for r in violation.violating_resources] == [second.node.path]
    assert first.node.path in violation.description and second.node.path in violation.description
    assert not report.success
