"""AgentCoreChecks: AgentCore's limits as a cdk-nag 3 rule pack for any app, raw L1 included."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
import jsii
from cdk_nag import IApplyRule, NagMessageLevel, NagPack
from constructs import IConstruct

from constructs_lib._cdk.scope import catalog_for, region_of
from constructs_lib.checks import _cfn
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.checks.rules import ALL_RULES

#: Prefix of every rule id (``AgentCore-RuntimeName``).
PACK_NAME = "AgentCore"
#: The plugin name shown in the validation report; acknowledgment ids are ``AgentCoreChecks::<rule id>``.
PLUGIN_NAME = "AgentCoreChecks"


@jsii.implements(IApplyRule)
class _AppliedRule:
    """One rule applied to one resource, in the shape cdk-nag's ``applyRule`` reads (jsii properties).

    The explanation is computed only when cdk-nag reads it (for a violation), from the resource's own
    quota catalog and region.
    """

    def __init__(self, spec: RuleSpec, node: cdk.CfnResource) -> None:
        self._spec = spec
        self._node = node

    @property
    def rule_suffix_override(self) -> str:
        """The rule id after the pack prefix."""
        return self._spec.rule_id

    @property
    def info(self) -> str:
        """What the rule found (for this resource, when the rule describes each finding)."""
        describe = self._spec.describe
        return self._spec.info if describe is None else describe(self._node)

    @property
    def explanation(self) -> str:
        """Why the rule exists and the way out, with the catalog numbers for this resource."""
        return self._spec.explanation(catalog_for(self._node), region_of(self._node))

    @property
    def level(self) -> NagMessageLevel:
        """ERROR for hard limits, WARN for adjustable quotas and advice."""
        return self._spec.level

    @property
    def node(self) -> cdk.CfnResource:
        """The resource being checked."""
        return self._node

    def rule(self, node: cdk.CfnResource) -> RuleResult:
        """Run the rule function."""
        return self._spec.check(node)


class AgentCoreChecks(NagPack):
    """Defines a cdk-nag 3 pack with AgentCore's limit rules, for any app (raw L1 resources included).

    Register it next to other packs; hard-limit rules (``ERROR``) fail synthesis, advice and adjustable
    quotas (``WARN``) are reported without failing it::

        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), AgentCoreChecks(app))

    Acknowledge a finding on the narrowest construct with the id the report prints::

        cdk.Validations.of(runtime).acknowledge(
            cdk.Acknowledgment(id="AgentCoreChecks::AgentCore-EndpointVersion", reason="pinned on purpose: ..."))

    Granular findings carry a suffix: ``AgentCoreChecks::AgentCore-Env[Count]``.

    The rules read the quota catalog of each resource's scope (context keys ``agentcore:quotaEdition``
    and ``agentcore:quotaOverrides``) and its stack's region, the same numbers the constructs use.

    Args:
        scope: the app (or stage) the pack will validate. Default: none.
        verbose: append each rule's explanation (why and remedy) to the finding. Default: False.
        rules: the rules to apply. Default: every rule in ``ALL_RULES``.
    """

    def __init__(
        self,
        scope: IConstruct | None = None,
        *,
        verbose: bool | None = None,
        rules: Sequence[RuleSpec] | None = None,
    ) -> None:
        super().__init__(scope, verbose=verbose)
        self._pack_name = PACK_NAME
        self._rules: tuple[RuleSpec, ...] = tuple(rules) if rules is not None else ALL_RULES

    @property
    def name(self) -> str:
        """The plugin name in the validation report and in acknowledgment ids."""
        return PLUGIN_NAME

    @property
    def rule_ids(self) -> list[str]:
        """The ids of the rules this pack applies (``AgentCore-RuntimeName``, ...)."""
        return [f"{PACK_NAME}-{spec.rule_id}" for spec in self._rules]

    def _check_resource(self, node: cdk.CfnResource) -> None:
        """Apply the rules for this resource's type (called by cdk-nag for each ``CfnResource``).

        Rules are filtered by type before cdk-nag is involved: each rule applied costs several calls
        between Node.js and Python, and most resources of an app are of no AgentCore rule's concern.
        """
        cfn_type = _cfn.resource_type(node)
        for spec in self._rules:
            if cfn_type not in spec.resource_types:
                continue
            # IApplyRule declares settable fields; cdk-nag only reads them, so read-only properties suffice.
            self._apply_rule(_AppliedRule(spec, node))  # type: ignore[arg-type]

    def validate_scope(self, scope: IConstruct) -> cdk.PolicyValidationPluginReport:
        """Validate a construct tree directly (no synthesis); stacks are indexed once for the run.

        Acknowledgments are applied by CDK at synthesis, so findings acknowledged with
        ``Validations.of(x).acknowledge(...)`` still appear in this report; see :meth:`validate`.
        """
        with _cfn.indexing():
            return super().validate_scope(scope)

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        """The validation-plugin entry point: the report succeeds unless an ERROR-level finding remains.

        cdk-nag's base class fails the report on any finding; this pack keeps warnings (adjustable quotas
        and advice) from failing synthesis, as the constructs' own warnings do not.
        """
        report = super().validate(context)
        violations = list(report.violations)
        return cdk.PolicyValidationPluginReport(
            success=all(v.severity != "error" for v in violations),
            violations=violations,
        )
