"""Acknowledging cdk-nag AwsSolutions findings on resources the library creates.

cdk-nag 3 matches acknowledgments by exact finding id (``AwsSolutions::AwsSolutions-IAM5[Resource::…]``),
so the ids are rendered here the way cdk-nag renders the resources: intrinsic references become
``<AWS::Partition>``, ``<AWS::Region>``, ``<AWS::AccountId>``, and values the stack knows are literal (the partition
of a stack with a concrete region under the recommended ``@aws-cdk/core:enablePartitionLiterals`` flag).
"""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from constructs import IConstruct

_PACK = "AwsSolutions"


def acknowledge(scope: IConstruct, rule: str, findings: Iterable[str | None], reason: str) -> None:
    """Acknowledge ``rule`` findings (``Resource::…`` / ``Action::…``, or ``None`` for the bare rule)."""
    validations = cdk.Validations.of(scope)
    for finding in findings:
        suffix = f"[{finding}]" if finding else ""
        validations.acknowledge(cdk.Acknowledgment(id=f"{_PACK}::{rule}{suffix}", reason=reason))


def partition_text(stack: cdk.Stack) -> str:
    """The stack's partition as cdk-nag prints it (``Stack.partition``: literal or ``AWS::Partition``)."""
    return "<AWS::Partition>" if cdk.Token.is_unresolved(stack.partition) else stack.partition


def region_text(stack: cdk.Stack) -> str:
    """The stack's region as cdk-nag prints it."""
    return "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region


def account_text(stack: cdk.Stack) -> str:
    """The stack's account as cdk-nag prints it."""
    return "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account


def arn_text(stack: cdk.Stack, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    """An ARN in this stack's partition, region and account as cdk-nag prints it."""
    region_part = region_text(stack) if region else ""
    account_part = account_text(stack) if account else ""
    return f"arn:{partition_text(stack)}:{service}:{region_part}:{account_part}:{resource}"


def asset_bucket_text(stack: cdk.Stack) -> str | None:
    """The CDK bootstrap file-asset bucket name, for the default synthesizer (``None`` otherwise)."""
    synthesizer = stack.synthesizer
    if not isinstance(synthesizer, cdk.DefaultStackSynthesizer):
        return None
    qualifier = synthesizer.bootstrap_qualifier or cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
    return f"cdk-{qualifier}-assets-{account_text(stack)}-{region_text(stack)}"
