"""AgentCore-ExpressWorkflow: an Express state machine that invokes an AgentCore runtime."""

from __future__ import annotations

import json

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import concrete_str, properties, resource_type
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName

_STATE_MACHINE = "AWS::StepFunctions::StateMachine"
_EXPRESS = "EXPRESS"
#: The SDK integration action that calls an agent (``arn:aws:states:::aws-sdk:bedrockagentcore:invokeAgentRuntime``).
_INVOKE_ACTION = "bedrockagentcore:invokeagentruntime"


def express_workflow_invokes_agent(node: cdk.CfnResource) -> RuleResult:
    """Non-compliant for an ``EXPRESS`` state machine whose definition invokes an AgentCore runtime.

    Standard state machines and Express ones that do not call AgentCore are not applicable. The
    definition is searched as rendered, with its ``DefinitionSubstitutions``, so definitions joined from
    intrinsics or with the task's resource substituted in are seen too. A definition kept in S3
    (``DefinitionS3Location``) cannot be seen and is not applicable.
    """
    if resource_type(node) != _STATE_MACHINE:
        return NagRuleCompliance.NOT_APPLICABLE
    props = properties(node)
    if concrete_str(props.get("StateMachineType")) != _EXPRESS:
        return NagRuleCompliance.NOT_APPLICABLE
    definition = json.dumps(
        [props.get("DefinitionString"), props.get("Definition"), props.get("DefinitionSubstitutions")]
    ).lower()
    return NagRuleCompliance.NON_COMPLIANT if _INVOKE_ACTION in definition else NagRuleCompliance.NOT_APPLICABLE


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    express = catalog.resolve(QuotaName.STEP_FUNCTIONS_EXPRESS_DURATION, region)
    synchronous = catalog.resolve(QuotaName.SYNCHRONOUS_REQUEST_TIMEOUT, region)
    return (
        f"An Express workflow ends after {express.formatted()} (the {express.describe()}), but a synchronous "
        f"agent invocation may run up to {synchronous.formatted()} (the {synchronous.describe()}): long agent "
        "calls are cut off mid-task. Use a Standard workflow (AgentPipeline does), with .waitForTaskToken for "
        "asynchronous agents, or acknowledge where every agent call is known to finish in time."
    )


RULE = RuleSpec(
    rule_id="ExpressWorkflow",
    level=NagMessageLevel.WARN,
    info="The Express state machine invokes an AgentCore runtime, whose calls can outlast an Express workflow.",
    explanation=_explanation,
    check=express_workflow_invokes_agent,
    resource_types=frozenset({_STATE_MACHINE}),
)
