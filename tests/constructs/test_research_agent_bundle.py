"""The reference research agent ships its dependencies: its pinned requirements.txt is installed into the package."""

from __future__ import annotations

import struct
from pathlib import Path

import aws_cdk as cdk

from constructs_lib import AgentArtifact, AgentCoreAgent
from tests.conftest import RESEARCH_CODE


def test_the_research_agent_package_holds_bedrock_agentcore_built_for_linux_aarch64(stack: cdk.Stack) -> None:
    # GIVEN the reference agent (main.py imports bedrock_agentcore, its requirements.txt pins the closure)
    agent = AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_code(RESEARCH_CODE))
    staging = agent.node.find_child("CodeAsset").node.find_child("Stage")
    assert isinstance(staging, cdk.AssetStaging)
    bundle = Path(staging.absolute_staged_path)
    # THEN what main.py imports is in the package, with pydantic's extension built for CPython 3.12 on aarch64
    assert (bundle / "main.py").is_file() and (bundle / "job_reporter.py").is_file()
    assert (bundle / "bedrock_agentcore" / "runtime" / "__init__.py").is_file()
    assert (bundle / "boto3" / "__init__.py").is_file()
    extension = next((bundle / "pydantic_core").glob("_pydantic_core*.so"))
    assert extension.name == "_pydantic_core.cpython-312-aarch64-linux-gnu.so"
    header = extension.read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and struct.unpack("<H", header[18:20])[0] == 183  # EM_AARCH64
    # AND the measured package is the bundle, well within the direct-code package quotas
    assert agent.package_measurement is not None and agent.package_measurement.files > 1000
    assert agent.node.validate() == []
