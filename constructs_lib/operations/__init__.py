"""Running agents: monitoring (alarms and dashboard) and version archival."""
