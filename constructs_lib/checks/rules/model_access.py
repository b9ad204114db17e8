"""AgentCore-ModelAccess: the runtime's execution role may invoke a Bedrock model."""

from __future__ import annotations

import fnmatch
from typing import Any

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib._cdk.perms import MODEL_INVOKE_ACTIONS
from constructs_lib.checks._cfn import (
    RUNTIME,
    is_intrinsic,
    logical_id,
    properties,
    references,
    resource_type,
    stack_resources,
)
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog

_ROLE = "AWS::IAM::Role"
_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy")


def _statements(document: Any) -> tuple[list[dict[str, Any]], bool]:
    """The statements of a policy document, and whether some part of it is an intrinsic (unseen)."""
    if not isinstance(document, dict) or is_intrinsic(document):
        return [], document is not None  # a missing document grants nothing; an intrinsic is unseen
    statements = document.get("Statement", [])
    if is_intrinsic(statements):
        return [], True
    statements = statements if isinstance(statements, list) else [statements]
    unseen = any(not isinstance(s, dict) or is_intrinsic(s) for s in statements)
    return [s for s in statements if isinstance(s, dict) and not is_intrinsic(s)], unseen


def _matches(patterns: Any) -> bool | None:
    """Whether an ``Action`` / ``NotAction`` list matches a model-invoke action; ``None`` when unseen."""
    patterns = patterns if isinstance(patterns, list) else [patterns]
    if any(not isinstance(pattern, str) for pattern in patterns):
        return None
    return any(
        fnmatch.fnmatchcase(wanted.lower(), pattern.lower()) for pattern in patterns for wanted in MODEL_INVOKE_ACTIONS
    )


def _allows_model_invoke(statement: dict[str, Any]) -> bool | None:
    """Whether an ``Allow`` statement grants a model-invoke action (``None`` when it cannot be seen).

    ``NotAction`` grants every action it does not list.
    """
    effect = statement.get("Effect")
    if not isinstance(effect, str):
        return None
    if effect != "Allow":
        return False
    if "NotAction" in statement:
        excluded = _matches(statement["NotAction"])
        return None if excluded is None else not excluded
    return _matches(statement.get("Action", []))


def _attached_to(policy: cdk.CfnResource, role_id: str) -> bool:
    props = properties(policy)
    if references(props.get("RoleName"), role_id):
        return True
    roles = props.get("Roles", [])
    return isinstance(roles, list) and any(references(r, role_id) for r in roles)


def model_access_granted(node: cdk.CfnResource) -> RuleResult:
    """Non-compliant when the runtime's role, defined in the same stack, grants no ``bedrock:InvokeModel*``.

    Looks at the role's inline policies and at ``AWS::IAM::Policy`` / ``ManagedPolicy`` / ``RolePolicy``
    resources attached to it. Not applicable when the role is not defined in the stack (an imported ARN)
    or when it has managed policies from outside the stack, whose content cannot be seen at synth, or
    when a policy document, statement, ``Effect`` or ``Action`` that could grant the access is an
    unresolved intrinsic (the rule does not guess). ``NotAction`` statements are understood.
    """
    if resource_type(node) != RUNTIME:
        return NagRuleCompliance.NOT_APPLICABLE
    role_arn = properties(node).get("RoleArn")
    roles = [r for r in stack_resources(node, _ROLE) if references(role_arn, logical_id(r))]
    if not roles:
        return NagRuleCompliance.NOT_APPLICABLE
    role = roles[0]
    role_id = logical_id(role)
    role_props = properties(role)
    inline = role_props.get("Policies", []) or []
    inline = [inline] if is_intrinsic(inline) else inline
    # an inline policy that is itself an intrinsic is kept as its own (unseen) document
    documents = [p if is_intrinsic(p) else p.get("PolicyDocument") for p in inline if isinstance(p, dict)]
    local_managed: list[str] = []
    for policy_type in _POLICY_TYPES:
        for policy in stack_resources(node, policy_type):
            policy_id = logical_id(policy)
            attached = _attached_to(policy, role_id) or references(role_props.get("ManagedPolicyArns"), policy_id)
            if attached:
                documents.append(properties(policy).get("PolicyDocument"))
            if policy_type == "AWS::IAM::ManagedPolicy":
                local_managed.append(policy_id)
    unseen = False
    for document in documents:
        statements, partly_unseen = _statements(document)
        unseen = unseen or partly_unseen
        for statement in statements:
            grants = _allows_model_invoke(statement)
            if grants:
                return NagRuleCompliance.COMPLIANT
            unseen = unseen or grants is None
    managed = role_props.get("ManagedPolicyArns", []) or []
    external = is_intrinsic(managed) or any(
        not any(references(arn, policy_id) for policy_id in local_managed) for arn in managed
    )
    return NagRuleCompliance.NOT_APPLICABLE if external or unseen else NagRuleCompliance.NON_COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    return (
        "The AgentCore execution role created by aws-cdk-lib grants logs, tracing, metrics, workload identity "
        f"and artifact access, but no {' / '.join(MODEL_INVOKE_ACTIONS)}: an agent that calls a Bedrock model "
        "fails with AccessDeniedException at the first request. Grant the actions scoped to the models the agent "
        "uses (AgentCoreAgent(models=[...]) or add_model), or acknowledge this finding for an agent that calls "
        "no Bedrock model."
    )


RULE = RuleSpec(
    rule_id="ModelAccess",
    level=NagMessageLevel.WARN,
    info="The AgentCore runtime's execution role grants no bedrock:InvokeModel* permission.",
    explanation=_explanation,
    check=model_access_granted,
    resource_types=frozenset({RUNTIME}),
)
