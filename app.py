#!/usr/bin/env python3
"""The reference app: every reference stack, checked by cdk-nag AwsSolutions at synth."""

from __future__ import annotations

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.reference import ReferenceStack

#: The environment the reference stacks plan against (quotas differ by region).
REFERENCE_ENV = cdk.Environment(
    account=os.environ.get("CDK_DEFAULT_ACCOUNT", "123456789012"),
    region=os.environ.get("CDK_DEFAULT_REGION", "us-east-1"),
)


def build_app(app: cdk.App | None = None) -> cdk.App:
    """Build the reference app (used by ``cdk synth`` and by the tests)."""
    app = app or cdk.App()
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    ReferenceStack(app, "AgentCoreReference", env=REFERENCE_ENV)
    return app


if __name__ == "__main__":
    build_app().synth()
