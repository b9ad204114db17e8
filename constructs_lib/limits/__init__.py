"""The quota catalog and AgentCore's service rules: plain data and pure functions, no CDK imports."""
