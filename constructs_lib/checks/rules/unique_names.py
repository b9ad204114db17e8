"""AgentCore-UniqueName: no two resources of the app claim one physical name where AWS requires it to be unique.

cdk-nag applies a rule to one resource at a time; this rule looks at the whole app through the resource's
construct tree: it indexes every explicit name of the app once per run (the pack's indexing cache) and reports
each resource that claims a name a resource earlier in the tree claimed in the same place. The finding names both
construct paths. Names that are tokens, and stacks whose account or region is a token, are not applicable.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib._cdk.names import NameKey, first_claims, name_key
from constructs_lib._cdk.scope import path_of
from constructs_lib.checks._cfn import memo
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.limits.names import UNIQUE_NAME_RULES


def _claims(node: cdk.CfnResource) -> dict[NameKey, cdk.CfnResource]:
    root = node.node.root
    return memo("unique_names", root, lambda: first_claims(root))


def physical_name_unique(node: cdk.CfnResource) -> RuleResult:
    """Finding ``[<NameProperty>:<name>]`` for a resource whose explicit name an earlier resource of the app claims.

    The first resource to claim a name is compliant; every later one in the same place (account and region,
    account, or partition, per :data:`constructs_lib.limits.names.UNIQUE_NAME_RULES`) is not.
    """
    key = name_key(node)
    if key is None:
        return NagRuleCompliance.NOT_APPLICABLE
    identity, rule, name, _ = key
    first = _claims(node).get(identity)
    if first is None or first is node or first.node.path == path_of(node):
        return NagRuleCompliance.COMPLIANT
    return [f"{rule.name_property}:{name}"]


def describe_duplicate(node: cdk.CfnResource) -> str:
    """The finding for ``node``: its name, where it must be unique, and the path of the resource that claimed it."""
    key = name_key(node)
    if key is None:
        return _INFO
    identity, rule, name, place = key
    first = _claims(node).get(identity)
    other = path_of(first) if first is not None else "another resource"
    return (
        f"The {rule.label} name '{name}' ({rule.name_property}) of {path_of(node)} is already set by {other} in "
        f"{place}; AWS requires it to be unique there."
    )


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    return (
        "AWS requires the physical names of these resources to be unique where they are deployed; CloudFormation "
        "checks one template only, so two stacks of one app (a dev and a staging stage of the same stack class in one "
        "account and region) deploy the first and fail on the second. Leave the name unset (the library derives "
        "names from the stack name and construct path, and CloudFormation generates the others), or make the names "
        "differ per stack."
    )


_INFO = "The resource's physical name is already set by another resource of the app in the same place."

RULE = RuleSpec(
    rule_id="UniqueName",
    level=NagMessageLevel.ERROR,
    info=_INFO,
    explanation=_explanation,
    check=physical_name_unique,
    resource_types=frozenset(rule.cfn_type for rule in UNIQUE_NAME_RULES),
    describe=describe_duplicate,
)
