"""External validators shared by the reference-stack tests: cdk-nag plugins in-process, cfn-lint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, TypeVar

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from constructs_lib import AgentCoreChecks
from tests.conftest import ENV

StackT = TypeVar("StackT", bound=cdk.Stack)
#: Shortest acknowledgment reason accepted: long enough to name the resource and the service fact.
MIN_REASON_LENGTH = 40


def synth_checked(outdir: Path, stack_type: type[StackT], stack_id: str) -> StackT:
    """Synthesize one reference stack with AwsSolutions and AgentCoreChecks as validation plugins.

    ``app.synth()`` raises on any error-level finding; warnings are checked by :func:`assert_clean`.
    """
    app = cdk.App(outdir=str(outdir))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), AgentCoreChecks(app))
    stack = stack_type(app, stack_id, env=ENV)
    app.synth()
    return stack


def plugin_reports(outdir: Path) -> list[dict[str, Any]]:
    """The plugin reports of ``validation-report.json`` (CDK writes none when no plugin has findings)."""
    path = outdir / "validation-report.json"
    return list(json.loads(path.read_text())["pluginReports"]) if path.exists() else []


def assert_clean(outdir: Path) -> None:
    """No finding of any severity is left open, and every acknowledgment carries a specific reason."""
    reports = plugin_reports(outdir)
    open_findings = [
        (report["pluginName"], violation["ruleName"], construct["constructPath"])
        for report in reports
        for violation in report["violations"]
        for construct in violation["violatingConstructs"]
    ]
    assert open_findings == []
    for report in reports:
        for suppressed in report.get("suppressedViolations", []):
            reasons = [suppressed.get("reason", "")] if "reason" in suppressed else [
                a.get("reason", "") for a in suppressed.get("acknowledgements", [])]
            assert reasons and all(len(r) >= MIN_REASON_LENGTH for r in reasons), suppressed["ruleName"]


def assert_cfn_lint_clean(*templates: Path) -> None:
    """cfn-lint (installed with the dev extras) reports nothing but W3005 on the templates."""
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    assert cfn_lint.exists(), "cfn-lint is a dev dependency: pip install -e '.[dev]'"
    result = subprocess.run([str(cfn_lint), "-i", "W3005", "--", *map(str, templates)],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
