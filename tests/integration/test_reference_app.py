"""The reference app, synthesized the way users do, checked by external validators.

Each test runs the app in a subprocess with CDK's template validation ON (strict), cdk-nag AwsSolutions
as a validation plugin, then runs cfn-lint on the templates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

SYNTH = """
import sys, aws_cdk as cdk, app
context = {"@aws-cdk/core:validateAgainstDefaultRules": True}
app.build_app(cdk.App(outdir=sys.argv[1], context=context)).synth()
"""


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cdk.out")
    env = {k: v for k, v in os.environ.items() if k != "CDK_VALIDATION"}
    result = subprocess.run([sys.executable, "-c", SYNTH, str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out


def test_reference_app_synthesizes_with_strict_validation(synthesized: Path) -> None:
    templates = sorted(synthesized.glob("*.template.json"))
    assert templates, "no templates synthesized"
    report = json.loads((synthesized / "validation-report.json").read_text())
    conclusions = {p["pluginName"]: p["conclusion"] for p in report["pluginReports"]}
    assert conclusions.get("AwsSolutions") == "success"
    for plugin in report["pluginReports"]:
        assert plugin["violations"] == [], plugin["pluginName"]


def test_every_acknowledgment_has_a_resource_specific_reason(synthesized: Path) -> None:
    report = json.loads((synthesized / "validation-report.json").read_text())
    suppressed = [v for p in report["pluginReports"] for v in p.get("suppressedViolations", [])]
    assert suppressed
    for violation in suppressed:
        reasons = json.dumps(violation)
        assert "reason" in reasons.lower() or "justification" in reasons.lower()


def test_cfn_lint_finds_no_errors(synthesized: Path) -> None:
    templates = [str(p) for p in sorted(synthesized.glob("*.template.json"))]
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "-i", "W3005", "--", *templates],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_reference_stack_has_both_agents(synthesized: Path) -> None:
    template = json.loads((synthesized / "AgentCoreReference.template.json").read_text())
    runtimes = {r["Properties"]["AgentRuntimeName"]: r["Properties"]
                for r in template["Resources"].values() if r["Type"] == "AWS::BedrockAgentCore::Runtime"}
    assert set(runtimes) >= {"support_agent", "research_agent"}
    assert "ContainerConfiguration" in runtimes["support_agent"]["AgentRuntimeArtifact"]
    assert "CodeConfiguration" in runtimes["research_agent"]["AgentRuntimeArtifact"]
    assert any(r["Type"] == "AWS::ECR::Repository" for r in template["Resources"].values())


def test_instances_stack_runs_a_gpu_agent_on_a_shared_capacity_provider(synthesized: Path) -> None:
    template = json.loads((synthesized / "AgentCoreInstances.template.json").read_text())
    resources = template["Resources"]
    providers = {k: r["Properties"] for k, r in resources.items()
                 if r["Type"] == "AWS::BedrockAgentCore::CapacityProvider"}
    assert len(providers) == 1
    (logical_id, provider), = providers.items()
    launch = provider["ComputeConfiguration"]["Ec2Configuration"]["LaunchTemplateSource"]["LaunchParameters"]
    assert launch["OperatingSystem"] == "LINUX_X86_64" and "g6.xlarge" in launch["InstanceRequirements"][
        "AllowedInstanceTypes"]
    runtimes = {r["Properties"]["AgentRuntimeName"]: r["Properties"]
                for r in resources.values() if r["Type"] == "AWS::BedrockAgentCore::Runtime"}
    assert set(runtimes) == {"gpu_renderer", "gpu_reviewer"}
    for runtime in runtimes.values():
        assert runtime["CapacityProviderConfiguration"]["CapacityProviderArn"] == {"Fn::GetAtt": [logical_id, "Arn"]}
        assert "NetworkConfiguration" not in runtime
    assert runtimes["gpu_renderer"]["LifecycleConfiguration"]["MaxLifetime"] > 3 * 86400


def test_hard_limit_fails_the_cli_style_synth(tmp_path: Path) -> None:
    # GIVEN an app with a hard-limit violation WHEN synthesized as `cdk synth` would (python app)
    # THEN the process fails and prints the path, the quota and the way out
    script = f"""
import aws_cdk as cdk
from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
app = cdk.App(outdir={str(tmp_path)!r})
stack = cdk.Stack(app, "Broken", env=cdk.Environment(account="123456789012", region="us-east-1"))
AgentCoreAgent(stack, "Big", runtime_name="big", artifact=AgentArtifact.from_managed_repository("v1"),
               workload=WorkloadProfile(memory_per_session=cdk.Size.gibibytes(32)))
app.synth()
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "CDK_VALIDATION": "false"}, timeout=300)
    assert result.returncode != 0
    assert "[Broken/Big] [SessionHardwareExceeded] memory_per_session 32 GiB exceeds 8 GiB" in result.stderr
    assert "Instances compute" in result.stderr
