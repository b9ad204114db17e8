"""Synth benchmarks: the library's AgentCoreAgent, fully equipped, next to bare aws-cdk-lib Runtimes."""
