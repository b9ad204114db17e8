#!/usr/bin/env python3
"""The reference app: every reference stack, checked by cdk-nag AwsSolutions and AgentCoreChecks at synth."""

from __future__ import annotations

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from constructs_lib import AgentCoreChecks
from stacks.instances import InstancesStack
from stacks.operations import OperationsStack
from stacks.orchestration import OrchestrationStack
from stacks.platform_template import PlatformTemplateStack
from stacks.reference import ReferenceStack
from stacks.serving_facade import ServingFacadeStack
from stacks.serving_state import ServingStateStack

#: The environment the reference stacks plan against (quotas differ by region).
REFERENCE_ENV = cdk.Environment(
    account=os.environ.get("CDK_DEFAULT_ACCOUNT", "123456789012"),
    region=os.environ.get("CDK_DEFAULT_REGION", "us-east-1"),
)


def build_app(app: cdk.App | None = None) -> cdk.App:
    """Build the reference app (used by ``cdk synth``, the report command and the tests)."""
    app = app or cdk.App()
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), AgentCoreChecks(app))
    ReferenceStack(app, "AgentCoreReference", env=REFERENCE_ENV)
    ServingFacadeStack(app, "AgentCoreServingFacade", env=REFERENCE_ENV)
    ServingStateStack(app, "AgentCoreServingState", env=REFERENCE_ENV)
    OrchestrationStack(app, "AgentCoreOrchestration", env=REFERENCE_ENV)
    OperationsStack(app, "AgentCoreOperations", env=REFERENCE_ENV)
    PlatformTemplateStack(app, "AgentCorePlatformTemplate", env=REFERENCE_ENV)
    InstancesStack(app, "AgentCoreInstances", env=REFERENCE_ENV)
    return app


if __name__ == "__main__":
    build_app().synth()
