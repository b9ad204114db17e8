"""Every AgentCoreChecks rule, through synthesis, on an app of raw L1 resources: it triggers, and an
acknowledgment on the resource suppresses exactly that finding, with its reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagMessageLevel
from constructs import IConstruct

from constructs_lib.checks import ALL_RULES, AgentCoreChecks
from tests.checks._l1 import ENV, cfn_capacity_provider, cfn_endpoint, cfn_role, cfn_runtime

Builder = Callable[[cdk.Stack], IConstruct]


def _runtime_name(stack: cdk.Stack) -> IConstruct:
    return cfn_runtime(stack, name="team-agent")


def _endpoint_name(stack: cdk.Stack) -> IConstruct:
    runtime = cfn_runtime(stack)
    return cfn_endpoint(stack, runtime, "Bad", name="prod-v2", version=runtime.attr_agent_runtime_version)


def _lifecycle(stack: cdk.Stack) -> IConstruct:
    return cfn_runtime(
        stack,
        lifecycle_configuration=agentcore.CfnRuntime.LifecycleConfigurationProperty(
            idle_runtime_session_timeout=30, max_lifetime=3600
        ),
    )


def _environment(stack: cdk.Stack) -> IConstruct:
    return cfn_runtime(stack, environment_variables={"BAD-KEY": "x"})


def _endpoints_per_runtime(stack: cdk.Stack) -> IConstruct:
    runtime = cfn_runtime(stack)
    for i in range(10):  # 10 named + DEFAULT = 11 > 10
        cfn_endpoint(stack, runtime, f"E{i}", name=f"e{i}", version=runtime.attr_agent_runtime_version)
    return runtime


def _endpoint_version(stack: cdk.Stack) -> IConstruct:
    runtime = cfn_runtime(stack)
    return cfn_endpoint(stack, runtime, "Prod", name="prod", version="1")


def _model_access(stack: cdk.Stack) -> IConstruct:
    role = cfn_role(stack)
    iam.CfnPolicy(
        stack, "Logs", policy_name="logs", roles=[role.ref],
        policy_document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}],
        },
    )
    return cfn_runtime(stack, role_arn=role.attr_arn)


def _public_api(stack: cdk.Stack) -> IConstruct:
    api = apigw.CfnRestApi(stack, "Api", name="agents")
    return apigw.CfnMethod(
        stack, "Post", http_method="POST", resource_id=api.attr_root_resource_id, rest_api_id=api.ref,
        authorization_type="NONE",
    )


def _express_workflow(stack: cdk.Stack) -> IConstruct:
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task", "End": True,
                "Resource": "arn:aws:states:::aws-sdk:bedrockagentcore:invokeAgentRuntime",
                "Parameters": {"AgentRuntimeArn": "arn", "RuntimeSessionId.$": "$.id", "Payload.$": "$.payload"},
            }
        },
    }
    return sfn.CfnStateMachine(
        stack, "Workflow", role_arn="arn:aws:iam::123456789012:role/sfn",
        definition_string=json.dumps(definition), state_machine_type="EXPRESS",
    )


def _on(provider: agentcore.CfnCapacityProvider) -> agentcore.CfnRuntime.CapacityProviderConfigurationProperty:
    return agentcore.CfnRuntime.CapacityProviderConfigurationProperty(capacity_provider_arn=provider.attr_arn)


def _runtime_compute(stack: cdk.Stack) -> IConstruct:
    provider = cfn_capacity_provider(stack)
    return cfn_runtime(
        stack, capacity_provider_configuration=_on(provider),
        network_configuration=agentcore.CfnRuntime.NetworkConfigurationProperty(network_mode="PUBLIC"),
    )


def _capacity_provider(stack: cdk.Stack) -> IConstruct:
    return cfn_capacity_provider(stack, instance_types=("p5.48xlarge",))


def _capacity_provider_encryption(stack: cdk.Stack) -> IConstruct:
    return cfn_capacity_provider(stack, root_encrypted=False)


def _agents_per_provider(stack: cdk.Stack) -> IConstruct:
    provider = cfn_capacity_provider(stack)
    for i in range(21):
        cfn_runtime(stack, f"R{i}", name=f"agent_{i}", capacity_provider_configuration=_on(provider))
    return provider


def _unique_name(stack: cdk.Stack) -> IConstruct:
    # Two runtimes claiming one name in one account and region: the second is the finding.
    cfn_runtime(stack, "First", name="team_agent")
    return cfn_runtime(stack, "Second", name="team_agent")


@dataclass(frozen=True)
class Case:
    """One rule's finding, and an L1 app that triggers it on the construct returned by ``build``."""

    finding: str
    build: Builder

    @property
    def rule_id(self) -> str:
        return self.finding.split("[", 1)[0].removeprefix("AgentCore-")


CASES = [
    Case("AgentCore-RuntimeName", _runtime_name),
    Case("AgentCore-EndpointName", _endpoint_name),
    Case("AgentCore-Lifecycle[IdleRuntimeSessionTimeout]", _lifecycle),
    Case("AgentCore-Env[Key]", _environment),
    Case("AgentCore-EndpointsPerRuntime", _endpoints_per_runtime),
    Case("AgentCore-EndpointVersion", _endpoint_version),
    Case("AgentCore-ModelAccess", _model_access),
    Case("AgentCore-PublicApi", _public_api),
    Case("AgentCore-ExpressWorkflow", _express_workflow),
    Case("AgentCore-Alarms[Throttles]", cfn_runtime),
    Case("AgentCore-Alarms[ActiveSessionCount]", cfn_runtime),
    Case("AgentCore-RuntimeCompute[NetworkConfiguration]", _runtime_compute),
    Case("AgentCore-CapacityProvider[AcceleratorFamily]", _capacity_provider),
    Case("AgentCore-CapacityProviderEncryption[RootVolume]", _capacity_provider_encryption),
    Case("AgentCore-AgentsPerCapacityProvider", _agents_per_provider),
    Case("AgentCore-UniqueName[AgentRuntimeName:team_agent]", _unique_name),
]


def test_every_rule_has_a_case() -> None:
    assert {case.rule_id for case in CASES} == {spec.rule_id for spec in ALL_RULES}


def _synth(outdir: Path, case: Case, reason: str | None) -> tuple[bool, dict[str, Any]]:
    """Synthesize the case's L1 app with the pack; (synthesis succeeded, the pack's report entry)."""
    app = cdk.App(outdir=str(outdir))
    cdk.Validations.of(app).add_plugins(AgentCoreChecks(app))
    stack = cdk.Stack(app, "Team", env=ENV)
    target = case.build(stack)
    if reason is not None:
        cdk.Validations.of(target).acknowledge(cdk.Acknowledgment(id=f"AgentCoreChecks::{case.finding}", reason=reason))
    try:
        app.synth()
        succeeded = True
    except RuntimeError as error:
        assert "ValidationFailed" in str(error)
        succeeded = False
    path = outdir / "validation-report.json"
    reports = json.loads(path.read_text())["pluginReports"] if path.exists() else []
    report = next((r for r in reports if r["pluginName"] == "AgentCoreChecks"), {"violations": []})
    return succeeded, report


def _paths(entries: list[dict[str, Any]] | None, finding: str) -> list[str]:
    return [
        c["constructPath"] for v in entries or [] if v["ruleName"] == finding for c in v["violatingConstructs"]
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.finding)
def test_rule_triggers_on_an_l1_app_and_an_acknowledgment_suppresses_it(tmp_path: Path, case: Case) -> None:
    spec = next(s for s in ALL_RULES if s.rule_id == case.rule_id)
    # GIVEN an app of raw L1 resources breaking the rule
    # WHEN synthesized with the pack THEN the finding is reported on the resource, at the rule's level
    succeeded, report = _synth(tmp_path / "plain", case, None)
    assert _paths(report["violations"], case.finding) == ["Team/" + _target_id(case)]
    violation = next(v for v in report["violations"] if v["ruleName"] == case.finding)
    assert violation["severity"] == ("error" if spec.level is NagMessageLevel.ERROR else "warning")
    # AND hard limits fail synthesis while advice and adjustable quotas do not
    assert succeeded is (spec.level is not NagMessageLevel.ERROR)
    # GIVEN the same app with that finding acknowledged on the resource
    reason = f"{case.finding} is accepted for this resource because a test says so"
    succeeded, report = _synth(tmp_path / "acknowledged", case, reason)
    # THEN synthesis succeeds and the finding moved to the suppressed list, with the reason
    assert succeeded
    assert _paths(report["violations"], case.finding) == []
    assert _paths(report.get("suppressedViolations"), case.finding) == ["Team/" + _target_id(case)]
    assert reason in json.dumps(report["suppressedViolations"])


def _target_id(case: Case) -> str:
    """The construct id of the resource ``case.build`` returns (built in a throw-away stack)."""
    stack = cdk.Stack(cdk.App(), "Probe", env=ENV)
    return case.build(stack).node.id
