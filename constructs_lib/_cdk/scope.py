"""What a construct learns from where it sits: its stack, the stack's environment, the quota catalog, its path.

Each answer is one or more messages to the jsii kernel, and none can change once the construct exists (a construct
never moves; its stack's partition, account and region are fixed when the stack is made; the context a construct
sees is fixed once its ancestors have children, which they do). So each is asked once per construct and kept here,
keyed weakly by the construct: a library that asks again for every grant, name and finding pays for it per agent.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import aws_cdk as cdk
from constructs import IConstruct

from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.limits.catalog import QuotaCatalog


@dataclass(frozen=True)
class StackFacts:
    """A stack and its environment as read once from the kernel.

    Attributes:
        stack: the stack.
        partition: ``Stack.partition`` (a literal, or the ``AWS::Partition`` token).
        region: ``Stack.region`` (a literal, or the ``AWS::Region`` token).
        account: ``Stack.account`` (a literal, or the ``AWS::AccountId`` token).
        concrete_region: the region, ``None`` for an environment-agnostic stack.
        concrete_account: the account, ``None`` for an environment-agnostic stack.
    """

    stack: cdk.Stack
    partition: str
    region: str
    account: str
    concrete_region: str | None
    concrete_account: str | None


_STACKS: weakref.WeakKeyDictionary[IConstruct, cdk.Stack] = weakref.WeakKeyDictionary()
_FACTS: weakref.WeakKeyDictionary[cdk.Stack, StackFacts] = weakref.WeakKeyDictionary()
_CATALOGS: weakref.WeakKeyDictionary[IConstruct, QuotaCatalog] = weakref.WeakKeyDictionary()
_PATHS: weakref.WeakKeyDictionary[IConstruct, str] = weakref.WeakKeyDictionary()


def stack_of(scope: IConstruct) -> cdk.Stack:
    """``cdk.Stack.of(scope)``, asked once per construct."""
    stack = _STACKS.get(scope)
    if stack is None:
        stack = _STACKS[scope] = cdk.Stack.of(scope)
    return stack


def stack_facts(scope: IConstruct) -> StackFacts:
    """The stack of ``scope`` with its partition, region and account, read once per stack."""
    stack = stack_of(scope)
    facts = _FACTS.get(stack)
    if facts is None:
        partition, region, account = stack.partition, stack.region, stack.account
        facts = _FACTS[stack] = StackFacts(
            stack=stack,
            partition=partition,
            region=region,
            account=account,
            concrete_region=None if is_unresolved(region) else region,
            concrete_account=None if is_unresolved(account) else account,
        )
    return facts


def path_of(scope: IConstruct) -> str:
    """``scope.node.path``, asked once per construct (for error messages and records)."""
    path = _PATHS.get(scope)
    if path is None:
        path = _PATHS[scope] = scope.node.path
    return path


def catalog_for(scope: IConstruct) -> QuotaCatalog:
    """The quota catalog configured for ``scope`` by the CDK context keys ``agentcore:quotaEdition``
    and ``agentcore:quotaOverrides`` (a stack or app may set them; the nearest wins)."""
    catalog = _CATALOGS.get(scope)
    if catalog is None:
        catalog = _CATALOGS[scope] = QuotaCatalog.from_context(scope.node.try_get_context)
    return catalog


def region_of(scope: IConstruct) -> str | None:
    """The concrete region of ``scope``'s stack, or ``None`` for an environment-agnostic stack."""
    return stack_facts(scope).concrete_region


def account_of(scope: IConstruct) -> str | None:
    """The concrete account of ``scope``'s stack, or ``None`` for an environment-agnostic stack."""
    return stack_facts(scope).concrete_account


__all__ = ["StackFacts", "account_of", "catalog_for", "path_of", "region_of", "stack_facts", "stack_of"]
