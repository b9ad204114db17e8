"""The agent itself: AgentCoreAgent, its artifacts, its image repository and direct-code packaging."""
