"""How findings reach the user at synth: errors as node validations, warnings and infos as annotations."""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
import jsii
from constructs import Construct, IValidation

from constructs_lib.planning.agent_plan import Finding, Severity

#: Prefix of every acknowledgeable warning id the library emits (``constructs_lib:<Code>``).
WARNING_PREFIX = "constructs_lib:"


@jsii.implements(IValidation)
class FixedErrors:
    """A node validation that reports errors found while the construct was built.

    A node validation fails ``cdk synth`` and ``app.synth()`` alike and lists every error at once.
    """

    def __init__(self, errors: list[str]) -> None:
        self._errors = errors

    def validate(self) -> list[str]:
        """The errors, each already prefixed with its construct path."""
        return list(self._errors)


def report_findings(scope: Construct, findings: Iterable[Finding]) -> None:
    """Errors become one node validation on ``scope``; warnings acknowledgeable warnings; infos infos."""
    path = scope.node.path
    findings = list(findings)
    errors = [f.render(path) for f in findings if f.severity is Severity.ERROR]
    if errors:
        scope.node.add_validation(FixedErrors(errors))
    for finding in findings:
        if finding.severity is Severity.WARNING:
            cdk.Annotations.of(scope).add_warning_v2(f"{WARNING_PREFIX}{finding.code}", finding.render(path))
        elif finding.severity is Severity.INFO:
            cdk.Annotations.of(scope).add_info(finding.render(path))


def warn_unless_retained(scope: Construct, removal_policy: cdk.RemovalPolicy, what: str) -> None:
    """Stateful data is retained by default; choosing otherwise is allowed, and said (acknowledgeable)."""
    if removal_policy != cdk.RemovalPolicy.RETAIN:
        warn(
            scope,
            "StatefulResourceNotRetained",
            f"{what} is not retained (removal_policy={removal_policy.name}): deleting or replacing the stack "
            "deletes its data; acknowledge this warning if that is intended (for example in a test stage)",
        )


def warn(scope: Construct, code: str, message: str) -> None:
    """An acknowledgeable warning ``constructs_lib:<code>`` worded like a finding."""
    cdk.Annotations.of(scope).add_warning_v2(f"{WARNING_PREFIX}{code}", f"{scope.node.path}: [{code}] {message}")
