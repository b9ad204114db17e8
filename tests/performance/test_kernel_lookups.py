"""The shortcuts that answer CDK questions without the jsii kernel give the kernel's answers."""

from __future__ import annotations

import aws_cdk as cdk
import jsii
import pytest

from constructs_lib._cdk.scope import account_of, catalog_for, path_of, region_of, stack_facts, stack_of
from constructs_lib._cdk.tokens import is_unresolved
from tests.conftest import ENV


def _values(stack: cdk.Stack) -> list[object]:
    return [
        "", "plain", "Token", "${Token", "Token[]", "-1.8881545897087626e+289", None, True, False, 0, 7, -3, 2**60,
        1.5, cdk.Token.as_number(cdk.Aws.ACCOUNT_ID), stack.account, cdk.Aws.REGION,
        f"arn:{cdk.Aws.PARTITION}:s3:::bucket", cdk.Fn.join(",", cdk.Fn.split(",", cdk.Aws.URL_SUFFIX)),
        cdk.Lazy.string(producer=_Producer()), cdk.Token.as_string(cdk.Lazy.any(producer=_AnyProducer())),
    ]


@jsii.implements(cdk.IStableStringProducer)
class _Producer:
    def produce(self) -> str:
        return "x"


@jsii.implements(cdk.IStableAnyProducer)
class _AnyProducer:
    def produce(self) -> object:
        return "x"


@pytest.mark.parametrize("index", range(21))
def test_is_unresolved_answers_as_the_kernel_does(index: int) -> None:
    # GIVEN plain values, look-alikes of tokens and real tokens (string, number, list, lazy)
    stack = cdk.Stack(cdk.App(), "Env", env=ENV)
    agnostic = cdk.Stack(cdk.App(), "Agnostic")
    for value in (_values(stack)[index], _values(agnostic)[index]):
        # THEN the shortcut agrees with cdk.Token.is_unresolved
        assert is_unresolved(value) is bool(cdk.Token.is_unresolved(value)), repr(value)


def test_scope_lookups_match_the_kernel() -> None:
    # GIVEN a construct in a stack with a concrete environment and one in an environment-agnostic stack
    app = cdk.App(context={"agentcore:quotaEdition": "2026-03"})
    concrete = cdk.Stack(app, "Concrete", env=ENV)
    agnostic = cdk.Stack(app, "Agnostic")
    deep = cdk.Stack(app, "Deep", env=ENV)
    inner = cdk.NestedStack(deep, "Inner")
    for scope, region, account in (
        (concrete, ENV.region, ENV.account), (agnostic, None, None), (inner, ENV.region, ENV.account),
    ):
        child = cdk.CfnResource(scope, "Thing", type="Custom::Thing")
        # THEN each answer is the kernel's, asked once (the second call returns the same objects)
        assert stack_of(child) is stack_of(child)
        assert stack_of(child).node.path == cdk.Stack.of(child).node.path
        assert stack_facts(child).partition == cdk.Stack.of(child).partition
        assert (region_of(child), account_of(child)) == (region, account)
        assert path_of(child) == child.node.path
        assert catalog_for(child).edition.value == "2026-03"
        assert catalog_for(child) is catalog_for(child)
