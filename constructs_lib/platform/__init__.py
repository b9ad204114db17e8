"""AgentPlatform: a team's agents with what each needs around it, sharing what can be shared."""

from constructs_lib.platform.platform import AgentPlatform
from constructs_lib.platform.specs import AgentIsolation, AgentPlacement, AgentSpec, PlatformAgent, ToolSpec

__all__ = ["AgentIsolation", "AgentPlacement", "AgentPlatform", "AgentSpec", "PlatformAgent", "ToolSpec"]
