"""Reading CloudFormation resources the way the rules need them: rendered, resolved, indexed per stack.

Rules see ``cdk.CfnResource`` nodes of any origin (our constructs, aws-cdk-lib L2s, raw L1s). They read
properties as CloudFormation renders them (``PascalCase``) after ``Stack.resolve``, so a rule works the
same on ``CfnRuntime``, on a generic ``CfnResource`` and on a resource made by an L2.

Rules that need a stack-level view (endpoints per runtime, alarms in the stack, the execution role's
policies) ask :func:`stack_resources`. While the pack validates an app it turns on a per-run cache
(:func:`indexing`), so a stack is indexed once per run instead of once per rule and resource.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import aws_cdk as cdk

from constructs_lib._cdk.tokens import is_unresolved

RUNTIME = "AWS::BedrockAgentCore::Runtime"
RUNTIME_ENDPOINT = "AWS::BedrockAgentCore::RuntimeEndpoint"
CAPACITY_PROVIDER = "AWS::BedrockAgentCore::CapacityProvider"
ALARM = "AWS::CloudWatch::Alarm"

T = TypeVar("T")

# (kind, id(object)) -> (object, value); the object is kept so that its id stays unique during the run.
_memo: dict[tuple[str, int], tuple[Any, Any]] | None = None


@contextlib.contextmanager
def indexing() -> Iterator[None]:
    """Cache stack indexes, logical ids and rendered properties for the duration of one validation run.

    Every read of a construct goes through the jsii kernel; without the cache, stack-level rules would
    read every resource of the stack again for each runtime.
    """
    global _memo
    previous = _memo
    _memo = {}
    try:
        yield
    finally:
        _memo = previous


def memo(kind: str, obj: Any, factory: Callable[[], T]) -> T:
    """``factory()``, remembered per ``(kind, obj)`` while :func:`indexing` is active."""
    if _memo is None:
        return factory()
    key = (kind, id(obj))
    if key not in _memo:
        _memo[key] = (obj, factory())
    value: T = _memo[key][1]
    return value


def resource_type(node: cdk.CfnResource) -> str:
    """The CloudFormation type of ``node``."""
    return memo("type", node, lambda: str(node.cfn_resource_type))


def properties(node: cdk.CfnResource) -> dict[str, Any]:
    """The resource's properties as CloudFormation renders them, resolved (intrinsics stay as dicts).

    Property overrides added with ``add_property_override`` are not visible here (like cdk-nag's own
    rules, which read the L1 attributes).
    """
    return memo("properties", node, lambda: _render(node))


def _render(node: cdk.CfnResource) -> dict[str, Any]:
    stack = cdk.Stack.of(node)
    # Resolve before rendering: L2s pass lazy values that the L1's render-time validation cannot read.
    raw = stack.resolve(node._cfn_properties)
    try:
        rendered = stack.resolve(node._render_properties(raw))
    except Exception:  # noqa: BLE001 - an L1 missing required properties; read what is there
        rendered = {_pascal(k): v for k, v in raw.items()} if isinstance(raw, dict) else {}
    return dict(rendered) if isinstance(rendered, dict) else {}


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def capacity_provider_ec2(node: cdk.CfnResource) -> dict[str, Any]:
    """A capacity provider's ``ComputeConfiguration.Ec2Configuration`` (empty when absent or an intrinsic)."""
    compute = properties(node).get("ComputeConfiguration")
    ec2 = compute.get("Ec2Configuration") if isinstance(compute, dict) else None
    return ec2 if isinstance(ec2, dict) else {}


def logical_id(node: cdk.CfnResource) -> str:
    """The resolved logical id of ``node`` in its stack."""
    return memo("logical_id", node, lambda: str(cdk.Stack.of(node).resolve(node.logical_id)))


def stack_resources(node: cdk.CfnResource, cfn_type: str) -> list[cdk.CfnResource]:
    """Every ``cfn_type`` resource in the stack of ``node`` (nested stacks included)."""
    stack = memo("stack", node, lambda: cdk.Stack.of(node))
    return memo("stack_index", stack, lambda: _index(stack)).get(cfn_type, [])


def _index(stack: cdk.Stack) -> dict[str, list[cdk.CfnResource]]:
    index: dict[str, list[cdk.CfnResource]] = {}
    for construct in stack.node.find_all():
        if isinstance(construct, cdk.CfnResource):
            index.setdefault(resource_type(construct), []).append(construct)
    return index


def referring(node: cdk.CfnResource, cfn_type: str, value_of: Callable[[dict[str, Any]], Any]) -> list[cdk.CfnResource]:
    """The ``cfn_type`` resources in the stack of ``node`` whose property ``value_of(properties)`` refers to it."""
    target = logical_id(node)
    return [r for r in stack_resources(node, cfn_type) if references(value_of(properties(r)), target)]


def references(value: Any, target_logical_id: str) -> bool:
    """Whether a resolved value refers to the resource ``target_logical_id`` (Ref, GetAtt or Sub)."""
    if isinstance(value, dict):
        if value.get("Ref") == target_logical_id:
            return True
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and get_att[0] == target_logical_id:
            return True
        if isinstance(get_att, str) and get_att.split(".", 1)[0] == target_logical_id:
            return True
        sub = value.get("Fn::Sub")
        template = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(template, str) and (
            f"${{{target_logical_id}}}" in template or f"${{{target_logical_id}." in template
        ):
            return True
        return any(references(v, target_logical_id) for v in value.values())
    if isinstance(value, list):
        return any(references(v, target_logical_id) for v in value)
    return False


def is_intrinsic(value: Any) -> bool:
    """Whether a resolved value is a CloudFormation intrinsic (``Ref``, ``Fn::*``, ``Condition``), whose
    value is only known at deploy time."""
    return isinstance(value, dict) and len(value) == 1 and any(
        key == "Ref" or key == "Condition" or key.startswith("Fn::") for key in value
    )


def concrete_str(value: Any) -> str | None:
    """``value`` when it is a concrete string, ``None`` when missing or an unresolved intrinsic."""
    return value if isinstance(value, str) and not is_unresolved(value) else None


def concrete_number(value: Any) -> float | None:
    """``value`` as a number when it is concrete, ``None`` when missing or an intrinsic."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
