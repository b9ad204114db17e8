"""The one way the library reports at synth: findings become CDK validations and annotations.

- a hard limit crossed (:attr:`Severity.ERROR`) becomes a node validation on the construct: ``cdk synth`` and
  ``app.synth()`` fail and list every error of the app at once;
- a warning becomes an acknowledgeable warning ``constructs_lib:<Code>``
  (``Annotations.of(x).acknowledge_warning("constructs_lib:<Code>", reason)``);
- an info note carries an id too, ``constructs_lib:<Code>``.

Messages start with ``[Code]``; CDK prints the construct path beside each one, so messages never repeat it.
Raised exceptions (:class:`~constructs_lib.errors.ConstructsLibValidationError`) stay for misuse of the API.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable

import aws_cdk as cdk
import jsii
from constructs import IConstruct, IValidation

from constructs_lib.planning.findings import Finding, Severity

#: Prefix of every warning and info id the library emits (``constructs_lib:<Code>``).
ANNOTATION_PREFIX = "constructs_lib:"
#: Code of the info note added when a check is skipped because a value is an unresolved token.
UNRESOLVED_TOKEN = "TokenNotChecked"


@jsii.implements(IValidation)
class _HardLimitErrors:
    """A node validation holding errors found while the construct was built."""

    def __init__(self, errors: list[str]) -> None:
        self._errors = errors

    def validate(self) -> list[str]:
        """The errors, each starting with its ``[Code]``."""
        return list(self._errors)


#: ``Annotations.of`` per construct, asked once.
_ANNOTATIONS: weakref.WeakKeyDictionary[IConstruct, cdk.Annotations] = weakref.WeakKeyDictionary()


def report(scope: IConstruct, findings: Iterable[Finding]) -> None:
    """Report ``findings`` on ``scope``: errors fail synthesis, warnings and infos are annotations with ids."""
    findings = list(findings)
    errors = [f.render() for f in findings if f.severity is Severity.ERROR]
    if errors:
        scope.node.add_validation(_HardLimitErrors(errors))
    notes = [f for f in findings if f.severity in (Severity.WARNING, Severity.INFO)]
    if not notes:
        return
    annotations = _ANNOTATIONS.get(scope)
    if annotations is None:
        annotations = _ANNOTATIONS[scope] = cdk.Annotations.of(scope)
    for finding in notes:
        if finding.severity is Severity.WARNING:
            annotations.add_warning_v2(f"{ANNOTATION_PREFIX}{finding.code}", finding.render())
        else:
            annotations.add_info_v2(f"{ANNOTATION_PREFIX}{finding.code}", finding.render())


@jsii.implements(IValidation)
class _FindingsAfterBuild:
    """A node validation that derives findings once the app is built: errors fail synthesis, the rest are
    annotations."""

    def __init__(self, scope: IConstruct, produce: Callable[[], Iterable[Finding]]) -> None:
        self._scope = scope
        self._produce = produce

    def validate(self) -> list[str]:
        """The errors, each starting with its ``[Code]``; warnings and infos are reported on the scope."""
        findings = list(self._produce())
        report(self._scope, [f for f in findings if f.severity is not Severity.ERROR])
        return [f.render() for f in findings if f.severity is Severity.ERROR]


def report_after_build(scope: IConstruct, produce: Callable[[], Iterable[Finding]]) -> None:
    """Report on ``scope`` the findings ``produce`` returns when the app is validated (after it is fully built).

    For invariants that depend on what is added later, such as how many agents share one construct.
    """
    scope.node.add_validation(_FindingsAfterBuild(scope, produce))


#: Per app (the construct tree's root), the codes already reported once for the whole app.
_REPORTED_PER_APP: weakref.WeakKeyDictionary[IConstruct, set[str]] = weakref.WeakKeyDictionary()


def report_once_per_app(scope: IConstruct, finding: Finding) -> None:
    """Report ``finding`` on the stack of ``scope`` unless the app already has it (one note for many agents).

    For facts about the app rather than one construct, such as a stack without a concrete region.
    """
    reported = _REPORTED_PER_APP.setdefault(scope.node.root, set())
    if finding.code in reported:
        return
    reported.add(finding.code)
    report(cdk.Stack.of(scope), [finding])


def report_error(scope: IConstruct, code: str, message: str) -> None:
    """A hard limit crossed: synthesis fails with ``[code] message`` at ``scope``."""
    report(scope, [Finding(Severity.ERROR, code, message)])


def report_warning(scope: IConstruct, code: str, message: str) -> None:
    """An acknowledgeable warning ``constructs_lib:<code>``."""
    report(scope, [Finding(Severity.WARNING, code, message)])


def report_info(scope: IConstruct, code: str, message: str) -> None:
    """An info note ``constructs_lib:<code>``."""
    report(scope, [Finding(Severity.INFO, code, message)])


def report_unresolved(scope: IConstruct, prop: str, against: str) -> None:
    """Say that ``prop`` is a token, so it is not checked at synth against ``against`` (a limit, in words).

    A token is never guessed and never raises: the check waits for deployment.
    """
    report_info(
        scope, UNRESOLVED_TOKEN, f"{prop} is an unresolved token, so it is not checked at synth against {against}"
    )


def warn_unless_retained(scope: IConstruct, removal_policy: cdk.RemovalPolicy, what: str) -> None:
    """Stateful data is retained by default; choosing otherwise is allowed, and said (acknowledgeable)."""
    if removal_policy != cdk.RemovalPolicy.RETAIN:
        report_warning(
            scope,
            "StatefulResourceNotRetained",
            f"{what} is not retained (removal_policy={removal_policy.name}): deleting or replacing the stack "
            "deletes its data; acknowledge this warning if that is intended (for example in a test stage)",
        )
