"""AgentCore-ModelAccess: the runtime's execution role may invoke a Bedrock model."""

from __future__ import annotations

import fnmatch
from typing import Any

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib._perms import MODEL_INVOKE_ACTIONS
from constructs_lib.checks._cfn import RUNTIME, logical_id, properties, references, resource_type, stack_resources
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.quotas import QuotaCatalog

_ROLE = "AWS::IAM::Role"
_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy")


def _statements(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    return [s for s in statements if isinstance(s, dict)]


def _allows_model_invoke(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    actions = statement.get("Action", [])
    actions = actions if isinstance(actions, list) else [actions]
    return any(
        isinstance(pattern, str) and fnmatch.fnmatchcase(wanted.lower(), pattern.lower())
        for pattern in actions
        for wanted in MODEL_INVOKE_ACTIONS
    )


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
    or when it has managed policies from outside the stack, whose content cannot be seen at synth.
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
    documents = [p.get("PolicyDocument") for p in role_props.get("Policies", []) or [] if isinstance(p, dict)]
    local_managed: list[str] = []
    for policy_type in _POLICY_TYPES:
        for policy in stack_resources(node, policy_type):
            policy_id = logical_id(policy)
            attached = _attached_to(policy, role_id) or references(role_props.get("ManagedPolicyArns"), policy_id)
            if attached:
                documents.append(properties(policy).get("PolicyDocument"))
            if policy_type == "AWS::IAM::ManagedPolicy":
                local_managed.append(policy_id)
    if any(_allows_model_invoke(s) for d in documents for s in _statements(d)):
        return NagRuleCompliance.COMPLIANT
    external = [
        arn for arn in role_props.get("ManagedPolicyArns", []) or []
        if not any(references(arn, policy_id) for policy_id in local_managed)
    ]
    return NagRuleCompliance.NOT_APPLICABLE if external else NagRuleCompliance.NON_COMPLIANT


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
