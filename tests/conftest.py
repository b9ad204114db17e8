"""Shared fixtures: one fixed environment, CDK template validation off for unit synths.

Set before the jsii kernel starts (its Node process reads the environment once):
- jsii runs on the Node pinned in package.json, as under ``make``, also when pytest is started directly;
- every app a test builds (``cdk.App()`` here, in a test module or in a subprocess) gets the feature flags of
  cdk.json, the way ``cdk synth`` passes them to a user's app (``CDK_CONTEXT_JSON``), so tests see the templates users
  get. Like the CLI's, they win over ``cdk.App(context=...)``; a test that needs another value of a flag passes it
  as ``post_cli_context``. The library's own ``agentcore:`` keys stay out: tests choose their quota edition.
- CDK's CloudFormation template validation is most of synth time; unit tests turn it off here and the integration
  tests run the reference app in a subprocess with it on, strict.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The CDK feature flags of cdk.json (every context key but the library's own ``agentcore:`` keys).
FEATURE_FLAGS = {
    key: value
    for key, value in json.loads((ROOT / "cdk.json").read_text())["context"].items()
    if not key.startswith("agentcore:")
}
PINNED_NODE = ROOT / "node_modules" / ".bin" / "node"

os.environ.setdefault("CDK_VALIDATION", "false")
os.environ.setdefault("CDK_CONTEXT_JSON", json.dumps(FEATURE_FLAGS))
if PINNED_NODE.exists():
    os.environ.setdefault("JSII_NODE", str(PINNED_NODE))

from collections.abc import Callable, Mapping  # noqa: E402
from typing import Any  # noqa: E402

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402

#: The local run-time harness (stand-ins, sandboxes, front doors): see tests/harness/README.md.
pytest_plugins = ["tests.harness.fixtures"]

ACCOUNT = "123456789012"
REGION = "us-east-1"
ENV = cdk.Environment(account=ACCOUNT, region=REGION)
RESEARCH_CODE = ROOT / "stacks" / "agents" / "research"
SUPPORT_IMAGE = ROOT / "stacks" / "agents" / "support"


@pytest.fixture
def make_stack() -> Callable[..., cdk.Stack]:
    """A factory for a fresh app and stack: ``make_stack(context={...}, env=None | ENV)``."""

    def factory(context: Mapping[str, Any] | None = None, env: cdk.Environment | None = ENV) -> cdk.Stack:
        app = cdk.App(context=dict(context or {}))
        return cdk.Stack(app, "TestStack", env=env)

    return factory


@pytest.fixture
def stack(make_stack: Callable[..., cdk.Stack]) -> cdk.Stack:
    """A stack in us-east-1 with the default quota edition."""
    return make_stack()


# Property tests run on shared, noisy CI machines: a wall-clock deadline per example would fail them at random.
from hypothesis import settings  # noqa: E402

settings.register_profile("library", deadline=None)
settings.load_profile("library")
