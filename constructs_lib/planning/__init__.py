"""Capacity planning: pure functions from a workload and the quota catalog to decisions and findings.

Nothing here imports aws_cdk, constructs or jsii.
"""
