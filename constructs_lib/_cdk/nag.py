"""Acknowledging cdk-nag AwsSolutions findings on resources the library creates.

cdk-nag 3 matches acknowledgments by exact finding id (``AwsSolutions::AwsSolutions-IAM5[Resource::…]``),
so the ids are rendered here the way cdk-nag renders the resources: intrinsic references become
``<AWS::Partition>``, ``<AWS::Region>``, ``<AWS::AccountId>``, and values the stack knows are literal (the partition
of a stack with a concrete region under the recommended ``@aws-cdk/core:enablePartitionLiterals`` flag).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

from constructs_lib._cdk.scope import stack_facts
from constructs_lib._cdk.tokens import TOKEN_MARKER, is_unresolved

_PACK = "AwsSolutions"


_VALIDATIONS: weakref.WeakKeyDictionary[IConstruct, cdk.Validations] = weakref.WeakKeyDictionary()


def acknowledgments(rule: str, findings: Iterable[str | None], reason: str) -> list[cdk.Acknowledgment]:
    """The acknowledgments of ``rule`` findings (``Resource::…`` / ``Action::…``, or ``None`` for the bare rule)."""
    return [
        cdk.Acknowledgment(id=f"{_PACK}::{rule}{f'[{finding}]' if finding else ''}", reason=reason)
        for finding in findings
    ]


def send(scope: IConstruct, acknowledged: Sequence[cdk.Acknowledgment]) -> None:
    """Acknowledge all of ``acknowledged`` on ``scope`` in one call (none when the list is empty)."""
    if acknowledged:
        validations = _VALIDATIONS.get(scope)
        if validations is None:
            validations = _VALIDATIONS[scope] = cdk.Validations.of(scope)
        validations.acknowledge(*acknowledged)


def acknowledge(scope: IConstruct, rule: str, findings: Iterable[str | None], reason: str) -> None:
    """Acknowledge ``rule`` findings on ``scope`` (see :func:`acknowledgments`), all in one call."""
    send(scope, acknowledgments(rule, findings, reason))


def partition_text(stack: cdk.Stack) -> str:
    """The stack's partition as cdk-nag prints it (``Stack.partition``: literal or ``AWS::Partition``)."""
    partition = stack_facts(stack).partition
    return "<AWS::Partition>" if is_unresolved(partition) else partition


def region_text(stack: cdk.Stack) -> str:
    """The stack's region as cdk-nag prints it."""
    return stack_facts(stack).concrete_region or "<AWS::Region>"


def account_text(stack: cdk.Stack) -> str:
    """The stack's account as cdk-nag prints it."""
    return stack_facts(stack).concrete_account or "<AWS::AccountId>"


def arn_text(stack: cdk.Stack, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    """An ARN in this stack's partition, region and account as cdk-nag prints it."""
    region_part = region_text(stack) if region else ""
    account_part = account_text(stack) if account else ""
    return f"arn:{partition_text(stack)}:{service}:{region_part}:{account_part}:{resource}"


def flatten(stack: cdk.Stack, value: Any) -> str:
    """``value`` (a string with tokens, or a resolved CloudFormation value) as cdk-nag flattens it in finding ids.

    The same rendering as cdk-nag's ``flattenCfnReference``: ``Fn::Join`` joined, ``Ref`` as ``<LogicalId>``,
    ``Fn::GetAtt`` as ``<LogicalId.Attribute>``, ``Fn::Sub`` placeholders in angle brackets, an import by its name.
    A string without tokens is flattened as it is (it resolves to itself).
    """
    return _flat(value if _is_plain(value) else stack.resolve(value))


def _flat(node: Any) -> str:
    """A resolved CloudFormation value as cdk-nag flattens it (see :func:`flatten`)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(_flat(item) for item in items)
        if "Fn::Sub" in node:
            return _flat(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{_flat(resource)}.{_flat(attribute)}>"
        if "Fn::ImportValue" in node:
            return _flat(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{_flat(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def _is_plain(value: Any) -> bool:
    # A string without the token marker resolves to itself; one with it goes to the kernel (a look-alike of a token
    # resolves to itself there too).
    return isinstance(value, str) and TOKEN_MARKER not in value


def wildcard_resources(stack: cdk.Stack, resources: Sequence[str]) -> list[str]:
    """The ``Resource::…`` findings AwsSolutions-IAM5 reports for ``resources``: those holding a ``*``."""
    plain = {index: resource for index, resource in enumerate(resources) if _is_plain(resource)}
    holding_tokens = [resource for index, resource in enumerate(resources) if index not in plain]
    # One resolve for every resource that holds a token (rather than one call each).
    resolved = iter(stack.resolve(holding_tokens) if holding_tokens else [])
    texts = [_flat(plain[index]) if index in plain else _flat(next(resolved)) for index in range(len(resources))]
    return list(dict.fromkeys(f"Resource::{text}" for text in texts if "*" in text))


def asset_bucket_text(stack: cdk.Stack) -> str | None:
    """The CDK bootstrap file-asset bucket name, for the default synthesizer (``None`` otherwise)."""
    synthesizer = stack.synthesizer
    if not isinstance(synthesizer, cdk.DefaultStackSynthesizer):
        return None
    qualifier = synthesizer.bootstrap_qualifier or cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
    return f"cdk-{qualifier}-assets-{account_text(stack)}-{region_text(stack)}"
