"""Acknowledging cdk-nag AwsSolutions findings on resources the library creates.

cdk-nag 3 matches acknowledgments by exact finding id (``AwsSolutions::AwsSolutions-IAM5[Resource::…]``),
so the ids are rendered here the way cdk-nag renders the resources: intrinsic references become
``<AWS::Partition>``, ``<AWS::Region>``, ``<AWS::AccountId>``, and values the stack knows are literal (the partition
of a stack with a concrete region under the recommended ``@aws-cdk/core:enablePartitionLiterals`` flag).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

from constructs_lib._cdk.tokens import is_unresolved

_PACK = "AwsSolutions"


def acknowledge(scope: IConstruct, rule: str, findings: Iterable[str | None], reason: str) -> None:
    """Acknowledge ``rule`` findings (``Resource::…`` / ``Action::…``, or ``None`` for the bare rule)."""
    validations = cdk.Validations.of(scope)
    for finding in findings:
        suffix = f"[{finding}]" if finding else ""
        validations.acknowledge(cdk.Acknowledgment(id=f"{_PACK}::{rule}{suffix}", reason=reason))


def partition_text(stack: cdk.Stack) -> str:
    """The stack's partition as cdk-nag prints it (``Stack.partition``: literal or ``AWS::Partition``)."""
    return "<AWS::Partition>" if is_unresolved(stack.partition) else stack.partition


def region_text(stack: cdk.Stack) -> str:
    """The stack's region as cdk-nag prints it."""
    return "<AWS::Region>" if is_unresolved(stack.region) else stack.region


def account_text(stack: cdk.Stack) -> str:
    """The stack's account as cdk-nag prints it."""
    return "<AWS::AccountId>" if is_unresolved(stack.account) else stack.account


def arn_text(stack: cdk.Stack, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    """An ARN in this stack's partition, region and account as cdk-nag prints it."""
    region_part = region_text(stack) if region else ""
    account_part = account_text(stack) if account else ""
    return f"arn:{partition_text(stack)}:{service}:{region_part}:{account_part}:{resource}"


def flatten(stack: cdk.Stack, value: Any) -> str:
    """``value`` (a string with tokens, or a resolved CloudFormation value) as cdk-nag flattens it in finding ids.

    The same rendering as cdk-nag's ``flattenCfnReference``: ``Fn::Join`` joined, ``Ref`` as ``<LogicalId>``,
    ``Fn::GetAtt`` as ``<LogicalId.Attribute>``, ``Fn::Sub`` placeholders in angle brackets, an import by its name.
    """

    def visit(node: Any) -> str:
        if node is None:
            return ""
        if isinstance(node, str):
            return node.replace("${", "<").replace("}", ">")
        if isinstance(node, dict):
            if "Fn::Join" in node:
                delimiter, items = node["Fn::Join"]
                return str(delimiter).join(visit(item) for item in items)
            if "Fn::Sub" in node:
                return visit(node["Fn::Sub"])
            if "Fn::GetAtt" in node:
                resource, attribute = node["Fn::GetAtt"]
                return f"<{visit(resource)}.{visit(attribute)}>"
            if "Fn::ImportValue" in node:
                return visit(node["Fn::ImportValue"])
            if "Ref" in node:
                return f"<{visit(node['Ref'])}>"
        return json.dumps(node, separators=(",", ":"))

    return visit(stack.resolve(value))


def wildcard_resources(stack: cdk.Stack, resources: Iterable[str]) -> list[str]:
    """The ``Resource::…`` findings AwsSolutions-IAM5 reports for ``resources``: those holding a ``*``."""
    texts = (flatten(stack, resource) for resource in resources)
    return list(dict.fromkeys(f"Resource::{text}" for text in texts if "*" in text))


def asset_bucket_text(stack: cdk.Stack) -> str | None:
    """The CDK bootstrap file-asset bucket name, for the default synthesizer (``None`` otherwise)."""
    synthesizer = stack.synthesizer
    if not isinstance(synthesizer, cdk.DefaultStackSynthesizer):
        return None
    qualifier = synthesizer.bootstrap_qualifier or cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
    return f"cdk-{qualifier}-assets-{account_text(stack)}-{region_text(stack)}"
