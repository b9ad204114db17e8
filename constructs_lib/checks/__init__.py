"""AgentCore's limit rules as a cdk-nag 3 pack (``AgentCoreChecks``) for any app, raw L1 included."""

from constructs_lib.checks._spec import RuleSpec
from constructs_lib.checks.pack import PACK_NAME, PLUGIN_NAME, AgentCoreChecks
from constructs_lib.checks.rules import ALL_RULES

__all__ = ["ALL_RULES", "PACK_NAME", "PLUGIN_NAME", "AgentCoreChecks", "RuleSpec"]
