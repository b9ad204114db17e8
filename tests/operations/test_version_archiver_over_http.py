"""The version archiver run from its synthesized asset, with its template's environment, against moto's server
(the AgentCore control plane and the archive bucket) over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest

from constructs_lib.agent.agent import AgentCoreAgent
from constructs_lib.handlers.version_archiver import digest_message
from constructs_lib.operations.version_archive import AgentVersionArchive
from tests.conftest import ENV
from tests.harness.harness import Harness
from tests.harness.moto_backend import MotoBackend
from tests.serving._fixtures import make_agent

pytestmark = pytest.mark.timeout(60)
RUNTIME_MODEL = "bedrock-agentcore-control::agent_runtime"
SECRET = "s3cr3t-token-value"


@dataclass
class Archived:
    harness: Harness
    archive: AgentVersionArchive
    agent: AgentCoreAgent
    runtime_id: str

    def sweep(self, **sandbox: Any) -> Any:
        function = self.harness.sandbox(self.archive.function, **sandbox)
        return function.invoke({"version": "0", "detail-type": "Scheduled Event", "source": "aws.events",
                                "detail": {}, "action": "sweep"})

    def document(self, version: str) -> Any:
        return self.document_of(self.runtime_id, version)

    def document_of(self, runtime_id: str, version: str) -> Any:
        s3 = self.harness.moto.client("s3")
        key = AgentVersionArchive.object_key(runtime_id, version)
        bucket = self.harness.physical_name(self.archive.bucket)
        try:
            return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except s3.exceptions.NoSuchKey:
            return None


def create_runtime(moto: MotoBackend, name: str, **extra: Any) -> Any:
    """A runtime in moto's control plane (what CloudFormation would have created)."""
    return moto.client("bedrock-agentcore-control").create_agent_runtime(
        agentRuntimeName=name,
        agentRuntimeArtifact={"containerConfiguration": {
            "containerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:1"}},
        roleArn="arn:aws:iam::123456789012:role/agent", networkConfiguration={"networkMode": "PUBLIC"}, **extra,
    )


@pytest.fixture(scope="module")
def archived(harness_for: Callable[..., Harness], moto_server: MotoBackend) -> Archived:
    stack = cdk.Stack(cdk.App(), "Archive", env=ENV)
    agent = make_agent(stack, runtime_name="archived_agent")
    archive = AgentVersionArchive(stack, "Archive", agents=[agent])
    harness = harness_for(stack)
    runtime = create_runtime(moto_server, "archived_agent", environmentVariables={"API_TOKEN": SECRET})
    # The template's runtime is the one moto's control plane created.
    harness.bindings.bind(harness.stack.logical_id(agent.runtime), runtime["agentRuntimeId"],
                          AgentRuntimeId=runtime["agentRuntimeId"], AgentRuntimeArn=runtime["agentRuntimeArn"])
    return Archived(harness, archive, agent, runtime["agentRuntimeId"])


def test_a_sweep_archives_each_version_once(archived: Archived) -> None:
    # WHEN the scheduled sweep runs twice
    first = archived.sweep()
    second = archived.sweep()
    # THEN the first wrote the runtime's version and the second found it archived
    assert first.json() == {"written": 1, "rewritten": 0, "existing": 0, "pending": [], "failed": {},
                            "incomplete": [], "ignored": None}
    assert second.json()["written"] == 0 and second.json()["existing"] == 1
    # AND the document holds that version's configuration and its digest
    document = archived.document("1")
    assert document is not None
    assert document["agent_runtime_id"] == archived.runtime_id
    assert document["configuration"]["agentRuntimeVersion"] == "1"
    assert len(document["configuration_sha256"]) == 64


def test_an_event_for_a_runtime_it_does_not_archive_is_ignored(archived: Archived) -> None:
    # WHEN CloudTrail reports an update of another runtime
    event = {"detail-type": "AWS API Call via CloudTrail", "source": "aws.bedrock-agentcore",
             "detail": {"eventName": "UpdateAgentRuntime", "requestParameters": {"agentRuntimeId": "other-1"}}}
    answer = archived.harness.sandbox(archived.archive.function).invoke(event).json()
    # THEN nothing is archived
    assert answer["ignored"] == "runtime 'other-1' is not archived by this function"


def test_the_deadline_of_the_invocation_stops_the_sweep_and_fails_it(archived: Archived) -> None:
    # GIVEN the archiver with a 15 s timeout, less than the margin it keeps before its deadline
    # WHEN the sweep runs
    invocation = archived.sweep(timeout_seconds=15)
    # THEN it stopped at once and failed the invocation (to be retried), reporting the runtime incomplete
    assert invocation.outcome == "error"
    assert invocation.error is not None and invocation.error["errorType"] == "VersionArchiveError"
    assert json.loads(invocation.error["errorMessage"])["incomplete"] == [archived.runtime_id]


@pytest.fixture
def creating_runtime(archived: Archived) -> Iterator[str]:
    """A runtime that moto reports CREATING on its first read, READY on the second."""
    moto = archived.harness.moto
    moto.set_transition(RUNTIME_MODEL, {"progression": "manual", "times": 2})
    try:
        runtime = create_runtime(moto, "slow_agent")
        archived.harness.sandbox(archived.archive.function)  # warm, with the archived runtime's id
        yield runtime["agentRuntimeId"]
    finally:
        moto.unset_transition(RUNTIME_MODEL)


def test_a_version_archived_before_it_was_ready_is_rewritten_when_it_is(
    archived: Archived, creating_runtime: str
) -> None:
    # GIVEN a sweep of a runtime whose version is still CREATING
    sandbox = archived.harness.sandbox(archived.archive.function)
    early = sandbox.invoke({"action": "sweep", "agentRuntimeIds": [creating_runtime]})
    # THEN nothing is archived yet, and the invocation fails naming the version pending (to be retried)
    assert early.outcome == "error" and early.error is not None
    assert json.loads(early.error["errorMessage"])["pending"] == [f"{creating_runtime}:1"]
    assert archived.document_of(creating_runtime, "1") is None
    # WHEN the version became READY and the next sweep runs
    control = archived.harness.moto.client("bedrock-agentcore-control")
    assert control.get_agent_runtime(agentRuntimeId=creating_runtime)["status"] == "READY"
    sandbox.invoke({"action": "sweep", "agentRuntimeIds": [creating_runtime]})
    # THEN the archive holds the READY version, not the transient state
    s3 = archived.harness.moto.client("s3")
    body = s3.get_object(Bucket=archived.harness.physical_name(archived.archive.bucket),
                         Key=AgentVersionArchive.object_key(creating_runtime, "1"))["Body"].read()
    assert json.loads(body)["configuration"]["status"] == "READY"


def test_the_archive_keeps_environment_variable_names_but_never_their_values(archived: Archived) -> None:
    # GIVEN a runtime with a secret in its environment, archived
    archived.sweep()
    document = archived.document("1")
    assert document is not None
    # THEN its variable is named in the document, but the value is nowhere in it
    assert "API_TOKEN" in json.dumps(document)
    assert SECRET not in json.dumps(document)
    # AND the digest stored is the HMAC of the archive's own key (the template's key, created in moto's KMS), which an
    # auditor allowed kms:VerifyMac can check a candidate value against
    harness = archived.harness
    key_arn = harness.bindings.attribute(harness.stack.logical_id(archived.archive.environment_digest_key), "Arn")
    assert document["environment_digest"]["key_arn"] == key_arn
    kms = archived.harness.moto.client("kms")
    mac = bytes.fromhex(document["environment_variables"]["API_TOKEN"])
    assert kms.verify_mac(KeyId=key_arn, Message=digest_message("API_TOKEN", SECRET), MacAlgorithm="HMAC_SHA_256",
                          Mac=mac)["MacValid"]


def test_a_document_left_updating_by_an_earlier_release_is_rewritten_once_the_version_is_settled(
    archived: Archived,
) -> None:
    # GIVEN the archive holds, from the earlier archiver, version 1 as UPDATING with the secret in it
    archived.sweep()
    s3 = archived.harness.moto.client("s3")
    bucket = archived.harness.physical_name(archived.archive.bucket)
    key = AgentVersionArchive.object_key(archived.runtime_id, "1")
    legacy = {"schema_version": 1, "agent_runtime_id": archived.runtime_id, "agent_runtime_version": "1",
              "configuration": {"status": "UPDATING", "environmentVariables": {"API_TOKEN": SECRET}}}
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(legacy).encode(), Metadata={"configuration-sha256": "x"})
    # WHEN the sweep runs from the asset
    answer = archived.sweep().json()
    # THEN the document is replaced by the settled version, without the value
    assert answer["rewritten"] == 1 and answer["pending"] == []
    document = archived.document("1")
    assert document is not None and document["status"] == "READY" and SECRET not in json.dumps(document)
