"""CloudFormation's template body size, checked on the templates synthesis writes.

A template's size is known only once it is written, so this check is a CDK validation plugin (it runs after the
templates are in the cloud assembly, before synthesis returns): :func:`watch_template_size` registers it once per
stage and tells it which stacks to read, the stack of a platform and its nested stacks. A template above the quota
fails synthesis with the template, its size and the way out (:func:`constructs_lib.planning.platform
.template_size_findings`).
"""

from __future__ import annotations

import os
import weakref

import aws_cdk as cdk
import jsii
from constructs import Construct, IConstruct

from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib.planning.findings import Severity
from constructs_lib.planning.platform import template_size_findings

#: The plugin's name in the validation report.
PLUGIN_NAME = "ConstructsLibTemplateSize"
#: The rule id of its one finding.
RULE_ID = "TemplateBodyTooLarge"


@jsii.implements(cdk.IPolicyValidationPlugin)
class TemplateSizeCheck:
    """A validation plugin that reads the size of every watched stack's template (nested ones too)."""

    def __init__(self) -> None:
        # stack -> (the construct that asked, how many agents the stack holds)
        self._watched: dict[cdk.Stack, tuple[Construct, int]] = {}

    @property
    def name(self) -> str:
        """The plugin name in the validation report."""
        return PLUGIN_NAME

    @property
    def rule_ids(self) -> list[str]:
        """The rule this plugin applies."""
        return [RULE_ID]

    @property
    def version(self) -> str | None:
        """No version of its own (the library's)."""
        return None

    def watch(self, stack: cdk.Stack, owner: Construct, agents: int) -> None:
        """Check ``stack``'s template, reported on ``owner`` with ``agents`` for the per-agent figure."""
        self._watched[stack] = (owner, agents)

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        """One violation per watched template larger than CloudFormation's template body size."""
        top = {entry.stack_construct_path: entry.template_path for entry in context.stack_templates}
        violations: list[cdk.PolicyViolation] = []
        for stack, (owner, agents) in self._watched.items():
            path = _template_path(stack, top)
            if path is None or not os.path.exists(path):
                continue
            findings = template_size_findings(
                catalog_for(owner), region_of(owner), template=os.path.basename(path),
                size_bytes=os.path.getsize(path), agents=agents,
            )
            violations += [
                cdk.PolicyViolation(
                    rule_name=RULE_ID,
                    description=finding.message,
                    fix=finding.message.split("; ", 1)[-1],
                    severity="error" if finding.severity is Severity.ERROR else "warning",
                    violating_resources=[cdk.PolicyViolatingResource(
                        locations=[path_of(stack)], construct_path=path_of(owner), template_path=path,
                    )],
                )
                for finding in findings
            ]
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)


def _template_path(stack: cdk.Stack, top: dict[str, str]) -> str | None:
    """Where ``stack``'s template is in the assembly: listed for a top-level stack, beside its root's for a nested
    one."""
    if path_of(stack) in top:
        return top[path_of(stack)]
    parent = stack.nested_stack_parent
    if parent is None:
        return None
    beside = _template_path(parent, top)
    return None if beside is None else os.path.join(os.path.dirname(beside), stack.template_file)


_PLUGINS: weakref.WeakKeyDictionary[IConstruct, TemplateSizeCheck] = weakref.WeakKeyDictionary()


def watch_template_size(owner: Construct, stack: cdk.Stack, *, agents: int = 0) -> None:
    """Check ``stack``'s template size when the app is synthesized (the plugin is added to the stage once)."""
    stage = cdk.Stage.of(owner)
    if stage is None:
        return
    plugin = _PLUGINS.get(stage)
    if plugin is None:
        plugin = TemplateSizeCheck()
        _PLUGINS[stage] = plugin
        cdk.Validations.of(stage).add_plugins(plugin)
    plugin.watch(stack, owner, agents)


__all__ = ["PLUGIN_NAME", "RULE_ID", "TemplateSizeCheck", "watch_template_size"]
