"""The description of one AgentCoreChecks rule: its id, level, messages and check function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.limits.catalog import QuotaCatalog

RuleResult = NagRuleCompliance | list[str]
"""What a rule returns: a compliance value, or the list of granular findings (``Rule[Finding]``)."""


@dataclass(frozen=True, kw_only=True)
class RuleSpec:
    """One rule of the pack.

    Attributes:
        rule_id: the suffix of the cdk-nag rule id (``RuntimeName`` -> ``AgentCore-RuntimeName``).
        level: ``ERROR`` for hard limits (synthesis fails), ``WARN`` for adjustable quotas and advice.
        info: one sentence saying what was found (cdk-nag's ``info``).
        explanation: why the rule exists and the way out, given the catalog and region of the resource
            (the same numbers the constructs use).
        check: the pure rule function.
        resource_types: the CloudFormation types the rule can apply to; the pack skips the rule for
            other resources (the function itself also answers ``NOT_APPLICABLE`` for them).
        describe: the finding for one resource, for rules whose finding names other resources too (the
            resource that claimed a name first). Default: ``info`` for every resource.
    """

    rule_id: str
    level: NagMessageLevel
    info: str
    explanation: Callable[[QuotaCatalog, str | None], str]
    check: Callable[[cdk.CfnResource], RuleResult]
    resource_types: frozenset[str]
    describe: Callable[[cdk.CfnResource], str] | None = None
