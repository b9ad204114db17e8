"""The version archiver against moto's bedrock-agentcore-control and S3 (and botocore Stubber where moto
falls short: moto 5.2 ignores ``maxResults``/``nextToken`` on ListAgentRuntimeVersions and ignores
``agentRuntimeVersion`` on GetAgentRuntime, always answering with the latest version)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from moto import mock_aws
from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

from constructs_lib.handlers import contract
from constructs_lib.handlers import version_archiver as va

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "archive-bucket"
ROLE = "arn:aws:iam::123456789012:role/agent"
NETWORK = {"networkMode": "PUBLIC"}
FIXED_TIME = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)


def _artifact(tag: str) -> dict[str, Any]:
    return {"containerConfiguration": {"containerUri": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:{tag}"}}


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region: nothing here may reach a real AWS endpoint."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    """moto-backed control-plane and S3 clients, with the archive bucket (versioned) and the HMAC key created."""
    with mock_aws():
        control = boto3.client("bedrock-agentcore-control", region_name=REGION, config=va.retry_config(5))
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        boto3.client("kms", region_name=REGION).create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
        yield control, s3


def _digest_key() -> str:
    """The ARN of the HMAC key the ``aws`` fixture created (the only key in moto)."""
    keys = boto3.client("kms", region_name=REGION).list_keys()["Keys"]
    assert len(keys) == 1
    return str(keys[0]["KeyArn"])


class PutCounter:
    """Counts PutObject calls through botocore's event system (the real call still goes to moto)."""

    def __init__(self, s3: Any) -> None:
        self.count = 0
        s3.meta.events.register("before-call.s3.PutObject", self._count)

    def _count(self, **_: Any) -> None:
        self.count += 1


PREFIX = "agents/"
MARGIN_MS = 20_000


def _archiver(control: Any, s3: Any, **kwargs: Any) -> va.VersionArchiver:
    if "remaining_ms" in kwargs:
        kwargs.setdefault("deadline_margin_ms", MARGIN_MS)
    digester = va.EnvironmentDigester(kms_client=boto3.client("kms", region_name=REGION), key_arn=_digest_key())
    return va.VersionArchiver(
        control_client=control, s3_client=s3, digester=digester, bucket=BUCKET, prefix=PREFIX,
        clock=lambda: FIXED_TIME, **kwargs,
    )


def _event(name: str, runtime_id: str) -> dict[str, Any]:
    return {
        "source": "aws.bedrock-agentcore",
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {
            "eventSource": "bedrock-agentcore.amazonaws.com",
            "eventName": name,
            "requestParameters": {"agentRuntimeId": runtime_id} if name.startswith("Update") else {},
            "responseElements": {"agentRuntimeId": runtime_id},
        },
    }


def _create(control: Any, name: str) -> str:
    return control.create_agent_runtime(
        agentRuntimeName=name, agentRuntimeArtifact=_artifact("v1"), roleArn=ROLE, networkConfiguration=NETWORK
    )["agentRuntimeId"]


def _update(control: Any, runtime_id: str, tag: str, *, settle: bool = True, **extra: Any) -> None:
    """Deploy a new version; with ``settle`` AgentCore has finished it (``READY``) before anyone looks."""
    control.update_agent_runtime(
        agentRuntimeId=runtime_id, agentRuntimeArtifact=_artifact(tag), roleArn=ROLE, networkConfiguration=NETWORK,
        **extra,
    )
    if settle:
        _set_status(runtime_id, "READY")


def _set_status(runtime_id: str, status: str) -> None:
    """Move a runtime in moto's control plane to ``status``.

    moto leaves an updated runtime ``UPDATING`` for ever (its state manager knows only ``CREATING`` to ``READY``);
    AgentCore settles it. This sets what moto answers, as the service would after the update finished.
    """
    runtime = bedrockagentcorecontrol_backends[ACCOUNT][REGION].agent_runtimes[runtime_id]
    runtime.status = status


def _objects(s3: Any) -> dict[str, dict[str, Any]]:
    listing = s3.list_object_versions(Bucket=BUCKET)
    return {v["Key"]: v for v in listing.get("Versions", [])}


def _deploy_with_events(control: Any, s3: Any, archiver: va.VersionArchiver) -> dict[str, str]:
    """Two agents, three versions each, archived as CloudTrail events arrive (as in production)."""
    ids: dict[str, str] = {}
    allowed: list[str] = []
    for name in ("support_agent", "research_agent"):
        runtime_id = _create(control, name)
        ids[name] = runtime_id
        allowed.append(runtime_id)
        va.process(_event("CreateAgentRuntime", runtime_id), archiver, allowed)
    for tag in ("v2", "v3"):
        for runtime_id in ids.values():
            _update(control, runtime_id, tag)
            va.process(_event("UpdateAgentRuntime", runtime_id), archiver, allowed)
    return ids


def test_archives_every_version_of_several_agents(aws: tuple[Any, Any]) -> None:
    # GIVEN two agents deployed three times each, with an event per deployment
    control, s3 = aws
    archiver = _archiver(control, s3)
    ids = _deploy_with_events(control, s3, archiver)
    # THEN one document per version exists at the deterministic key
    objects = _objects(s3)
    expected = {va.object_key("agents/", rid, v) for rid in ids.values() for v in ("1", "2", "3")}
    assert set(objects) == expected
    # AND each holds the full GetAgentRuntime response of that version, its hash and the capture time
    key = va.object_key("agents/", ids["support_agent"], "2")
    body = s3.get_object(Bucket=BUCKET, Key=key)
    document = json.loads(body["Body"].read())
    assert document["agent_runtime_version"] == "2"
    assert document["captured_at"] == FIXED_TIME.isoformat()
    assert document["configuration"]["agentRuntimeVersion"] == "2"
    assert document["configuration"]["agentRuntimeArtifact"] == _artifact("v2")
    assert document["configuration"]["roleArn"] == ROLE
    assert body["Metadata"][va.SHA256_METADATA_KEY] == document["configuration_sha256"]
    assert document["configuration_sha256"] == va.hashlib.sha256(
        va.canonical_json(document["configuration"])
    ).hexdigest()


def test_rerunning_the_sweep_changes_nothing(aws: tuple[Any, Any]) -> None:
    # GIVEN every version archived
    control, s3 = aws
    archiver = _archiver(control, s3)
    ids = _deploy_with_events(control, s3, archiver)
    before = {k: (v["ETag"], v["VersionId"]) for k, v in _objects(s3).items()}
    puts = PutCounter(s3)
    # WHEN the scheduled sweep runs twice
    for _ in range(2):
        report = va.process({"action": "sweep"}, archiver, list(ids.values()))
        # THEN it finds every version archived and writes nothing
        assert report.written == [] and report.failed == {}
        assert len(report.existing) == 6
    assert puts.count == 0
    after = {k: (v["ETag"], v["VersionId"]) for k, v in _objects(s3).items()}
    assert after == before
    assert len(s3.list_object_versions(Bucket=BUCKET)["Versions"]) == 6


def test_replayed_event_writes_nothing(aws: tuple[Any, Any]) -> None:
    # GIVEN an archived version
    control, s3 = aws
    archiver = _archiver(control, s3)
    runtime_id = _create(control, "support_agent")
    va.process(_event("CreateAgentRuntime", runtime_id), archiver, [runtime_id])
    puts = PutCounter(s3)
    # WHEN EventBridge delivers the same event again
    report = va.process(_event("CreateAgentRuntime", runtime_id), archiver, [runtime_id])
    # THEN nothing is written
    assert report.written == [] and puts.count == 0


def test_concurrent_writer_loses_the_conditional_put(aws: tuple[Any, Any]) -> None:
    # GIVEN a document written by an overlapping run after this run checked for it
    control, s3 = aws
    archiver = _archiver(control, s3)
    runtime_id = _create(control, "support_agent")
    key = va.object_key("agents/", runtime_id, "1")
    archiver.stored = lambda _key: None  # type: ignore[method-assign]
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}")
    # WHEN this run writes with If-None-Match: *
    outcome = archiver.archive_version(runtime_id, "1")
    # THEN S3 refuses (412), the version counts as archived, and the first document stays
    assert outcome == "existing"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"{}"


def test_events_for_other_runtimes_and_calls_are_ignored(aws: tuple[Any, Any]) -> None:
    control, s3 = aws
    archiver = _archiver(control, s3)
    runtime_id = _create(control, "support_agent")
    foreign = _create(control, "someone_else")
    assert va.process(_event("UpdateAgentRuntime", foreign), archiver, [runtime_id]).ignored
    assert va.process(_event("DeleteAgentRuntime", runtime_id), archiver, [runtime_id]).ignored
    failed = _event("UpdateAgentRuntime", runtime_id)
    failed["detail"]["errorCode"] = "ValidationException"
    assert va.process(failed, archiver, [runtime_id]).ignored
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_endpoint_event_archives_the_runtime(aws: tuple[Any, Any]) -> None:
    control, s3 = aws
    archiver = _archiver(control, s3)
    runtime_id = _create(control, "support_agent")
    event = _event("CreateAgentRuntimeEndpoint", runtime_id)
    event["detail"]["responseElements"] = {
        "agentRuntimeArn": f"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/{runtime_id}"
    }
    report = va.process(event, archiver, [runtime_id])
    assert report.written == [va.object_key("agents/", runtime_id, "1")]


class ThrottleOnce:
    """Answers the first ListAgentRuntimeVersions HTTP request with a 429 ThrottlingException.

    Registered on ``before-send``, which botocore emits inside its retry loop (a ``before-call``
    handler or Stubber would bypass retries), so the retry is botocore's own, not ours.
    """

    def __init__(self, client: Any) -> None:
        self.calls = 0
        client.meta.events.register_first(
            "before-send.bedrock-agentcore-control.ListAgentRuntimeVersions", self._send
        )

    def _send(self, request: Any, **_: Any) -> AWSResponse | None:
        self.calls += 1
        if self.calls > 1:
            return None  # let moto answer
        body = json.dumps({"message": "Rate exceeded"}).encode()

        class Raw:
            def stream(self, **_: Any) -> Iterator[bytes]:
                yield body

        headers = {"x-amzn-ErrorType": "ThrottlingException", "Content-Type": "application/json"}
        return AWSResponse(request.url, 429, headers, Raw())


def test_throttled_call_is_retried_by_botocore(aws: tuple[Any, Any]) -> None:
    # GIVEN a control plane that throttles the first List call
    control, s3 = aws
    runtime_id = _create(control, "support_agent")
    throttle = ThrottleOnce(control)
    archiver = _archiver(control, s3)
    # WHEN the sweep runs
    report = archiver.sweep([runtime_id])
    # THEN botocore retried the throttled call and the version was archived
    assert throttle.calls == 2
    assert report.failed == {}
    assert report.written == [va.object_key("agents/", runtime_id, "1")]


def test_retry_configuration_is_adaptive() -> None:
    config = va.retry_config(7)
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 7}


def _stubbed_control(pages: list[list[str]], runtime_id: str, page_size: int) -> tuple[Any, Stubber]:
    control = boto3.client("bedrock-agentcore-control", region_name=REGION)
    stubber = Stubber(control)
    for index, versions in enumerate(pages):
        expected: dict[str, Any] = {"agentRuntimeId": runtime_id, "maxResults": page_size}
        if index:
            expected["nextToken"] = f"token{index}"
        response: dict[str, Any] = {
            "agentRuntimes": [
                {
                    "agentRuntimeArn": f"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/{runtime_id}",
                    "agentRuntimeId": runtime_id,
                    "agentRuntimeVersion": v,
                    "agentRuntimeName": "support_agent",
                    "description": "support",
                    "lastUpdatedAt": FIXED_TIME,
                    "status": "READY",
                }
                for v in versions
            ]
        }
        if index < len(pages) - 1:
            response["nextToken"] = f"token{index + 1}"
        stubber.add_response("list_agent_runtime_versions", response, expected)
    return control, stubber


def _get_response(runtime_id: str, version: str) -> dict[str, Any]:
    return {
        "agentRuntimeArn": f"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/{runtime_id}",
        "agentRuntimeName": "support_agent",
        "agentRuntimeId": runtime_id,
        "agentRuntimeVersion": version,
        "createdAt": FIXED_TIME,
        "lastUpdatedAt": FIXED_TIME,
        "roleArn": ROLE,
        "networkConfiguration": NETWORK,
        "status": "READY",
        "lifecycleConfiguration": {"idleRuntimeSessionTimeout": 900, "maxLifetime": 28800},
        "agentRuntimeArtifact": _artifact(f"v{version}"),
    }


def test_sweep_follows_every_page_of_versions(aws: tuple[Any, Any]) -> None:
    # GIVEN five existing versions listed two per page (Stubber: moto does not paginate this call),
    # none archived yet (the sweep as a backstop for missed events)
    _, s3 = aws
    runtime_id = "support_agent-abcdefghij"
    pages = [["5", "4"], ["3", "2"], ["1"]]
    control, stubber = _stubbed_control(pages, runtime_id, page_size=2)
    for version in ("5", "4", "3", "2", "1"):
        stubber.add_response(
            "get_agent_runtime",
            _get_response(runtime_id, version),
            {"agentRuntimeId": runtime_id, "agentRuntimeVersion": version},
        )
    archiver = _archiver(control, s3, page_size=2)
    # WHEN the sweep runs
    with stubber:
        report = archiver.sweep([runtime_id])
    # THEN every page was read and every version archived with its own configuration
    stubber.assert_no_pending_responses()
    assert sorted(report.written) == sorted(va.object_key("agents/", runtime_id, v) for v in "12345")
    doc = json.loads(s3.get_object(Bucket=BUCKET, Key=va.object_key("agents/", runtime_id, "3"))["Body"].read())
    assert doc["configuration"]["agentRuntimeArtifact"] == _artifact("v3")


def test_failures_are_collected_and_fail_the_invocation(aws: tuple[Any, Any], monkeypatch: Any) -> None:
    # GIVEN a control plane that answers with the wrong version for version 1 (never archive a lie)
    _, s3 = aws
    runtime_id = "support_agent-abcdefghij"
    control, stubber = _stubbed_control([["2", "1"]], runtime_id, page_size=2)
    stubber.add_response("get_agent_runtime", _get_response(runtime_id, "2"),
                         {"agentRuntimeId": runtime_id, "agentRuntimeVersion": "2"})
    stubber.add_response("get_agent_runtime", _get_response(runtime_id, "2"),
                         {"agentRuntimeId": runtime_id, "agentRuntimeVersion": "1"})
    archiver = _archiver(control, s3, page_size=2)
    monkeypatch.setattr(va, "_ARCHIVER", archiver)
    monkeypatch.setenv(contract.ENV_ARCHIVED_RUNTIME_IDS, runtime_id)
    # WHEN the handler runs the sweep
    with stubber, pytest.raises(va.VersionArchiveError, match=f"{runtime_id}:1"):
        va.handler({"action": "sweep"}, None)
    # THEN the good version was still archived, and the bad one was not
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [va.object_key("agents/", runtime_id, "2")]


def test_unknown_runtime_is_a_failure(aws: tuple[Any, Any]) -> None:
    control, s3 = aws
    report = _archiver(control, s3).sweep(["gone_agent-abcdefghij"])
    assert "ResourceNotFoundException" in report.failed["gone_agent-abcdefghij"]


def test_sweep_stops_when_time_runs_out(aws: tuple[Any, Any]) -> None:
    control, s3 = aws
    archiver = _archiver(control, s3, remaining_ms=lambda: 1000)
    report = archiver.sweep(["a_agent-abcdefghij", "b_agent-abcdefghij"])
    assert report.incomplete == ["a_agent-abcdefghij", "b_agent-abcdefghij"]


def test_sweep_stops_between_versions_of_one_runtime_when_time_runs_out(aws: tuple[Any, Any]) -> None:
    # GIVEN one runtime with three versions, and time for only the first of them
    control, s3 = aws
    runtime_id = _create(control, "support_agent")
    _update(control, runtime_id, "v2")
    _update(control, runtime_id, "v3")
    budget = iter([60_000, 60_000, 1000, 1000])
    archiver = _archiver(control, s3, remaining_ms=lambda: next(budget))
    # WHEN the sweep runs
    report = archiver.sweep([runtime_id])
    # THEN it stops inside the runtime after one version and reports the runtime incomplete (so the
    # invocation fails and is retried, skipping what is archived) instead of being killed mid-write
    assert len(report.written) == 1 and not report.failed
    assert report.incomplete == [runtime_id]
    assert len(_objects(s3)) == 1


def test_handler_builds_clients_from_the_environment(aws: tuple[Any, Any], monkeypatch: Any) -> None:
    # GIVEN the function's environment (moto answers the real clients the handler builds)
    control, s3 = aws
    runtime_id = _create(control, "support_agent")
    monkeypatch.setattr(va, "_ARCHIVER", None)
    for name, value in _environment(runtime_id).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(contract.ENV_LIST_PAGE_SIZE, "50")
    monkeypatch.setenv(contract.ENV_ENVIRONMENT_DIGEST_KEY_ARN, _digest_key())
    # WHEN the schedule invokes it
    result = va.handler({"action": "sweep"}, None)
    # THEN the runtime's version is archived, under the prefix the environment names
    assert result["written"] == 1 and result["failed"] == {}
    assert list(_objects(s3)) == [va.object_key("archive/", runtime_id, "1")]
    assert va._ARCHIVER is not None and va._ARCHIVER.control.meta.config.retries["total_max_attempts"] == 3


def _environment(runtime_id: str) -> dict[str, str]:
    return {contract.ENV_ARCHIVE_BUCKET: BUCKET, contract.ENV_ARCHIVE_PREFIX: "archive/",
            contract.ENV_ARCHIVED_RUNTIME_IDS: f"{runtime_id}, ", contract.ENV_CONTROL_PLANE_MAX_ATTEMPTS: "3",
            contract.ENV_DEADLINE_MARGIN_SECONDS: "20",
            contract.ENV_ENVIRONMENT_DIGEST_KEY_ARN: "arn:aws:kms:us-east-1:123456789012:key/digest"}


@pytest.mark.parametrize("missing", va.REQUIRED_ENVIRONMENT)
def test_fails_to_start_without_a_variable_the_construct_sets(missing: str) -> None:
    # The handler has no fallback of its own: a missing variable is a start-up error naming it
    environ = {k: v for k, v in _environment("support_agent-abcdefghij").items() if k != missing}
    with pytest.raises(va.ArchiverConfigurationError, match=missing):
        va.build_archiver(environ)


def test_deadline_margin_comes_from_the_environment(aws: tuple[Any, Any]) -> None:
    archiver = va.build_archiver({**_environment("x"), contract.ENV_DEADLINE_MARGIN_SECONDS: "5"},
                                 remaining_ms=lambda: 6000)
    assert archiver.deadline_margin_ms == 5000 and not archiver._out_of_time()


# -- settled states only -----------------------------------------------------------------------------------------------


def _create_with(control: Any, name: str, **extra: Any) -> str:
    return control.create_agent_runtime(
        agentRuntimeName=name, agentRuntimeArtifact=_artifact("v1"), roleArn=ROLE, networkConfiguration=NETWORK, **extra
    )["agentRuntimeId"]


def _document(s3: Any, runtime_id: str, version: str) -> dict[str, Any]:
    body = s3.get_object(Bucket=BUCKET, Key=va.object_key(PREFIX, runtime_id, version))["Body"].read()
    return dict(json.loads(body))


class CallCounter:
    """Counts the calls of one operation through botocore's event system (the call still goes to moto)."""

    def __init__(self, client: Any, operation: str) -> None:
        self.count = 0
        service = client.meta.service_model.service_name
        client.meta.events.register(f"before-call.{service}.{operation}", self._count)

    def _count(self, **_: Any) -> None:
        self.count += 1


def test_a_version_still_updating_is_not_archived_and_fails_the_run_until_it_settles(
    aws: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN version 2 of an agent still UPDATING when its CloudTrail event arrives
    control, s3 = aws
    archiver = _archiver(control, s3)
    runtime_id = _create(control, "support_agent")
    va.process(_event("CreateAgentRuntime", runtime_id), archiver, [runtime_id])
    _update(control, runtime_id, "v2", settle=False)
    monkeypatch.setattr(va, "_ARCHIVER", archiver)
    monkeypatch.setenv(contract.ENV_ARCHIVED_RUNTIME_IDS, runtime_id)
    # WHEN the handler processes the event
    with pytest.raises(va.VersionArchiveError) as failure:
        va.handler(_event("UpdateAgentRuntime", runtime_id), None)
    # THEN nothing is written for version 2, and the invocation fails naming it pending (Lambda retries the event)
    assert json.loads(str(failure.value))["pending"] == [f"{runtime_id}:2"]
    assert set(_objects(s3)) == {va.object_key(PREFIX, runtime_id, "1")}
    # WHEN AgentCore has finished the update and the retry runs
    _set_status(runtime_id, "READY")
    result = va.handler(_event("UpdateAgentRuntime", runtime_id), None)
    # THEN version 2 is archived, settled
    assert result["written"] == 1 and result["pending"] == []
    assert _document(s3, runtime_id, "2")["status"] == "READY"


@pytest.mark.parametrize("status", sorted(va.TERMINAL_STATUSES))
def test_every_terminal_status_is_archived(aws: tuple[Any, Any], status: str) -> None:
    # GIVEN a version in a state it does not leave by itself (DELETING is the last one it shows)
    control, s3 = aws
    runtime_id = _create(control, "support_agent")
    control.get_agent_runtime(agentRuntimeId=runtime_id)  # moto: CREATING until first read
    _set_status(runtime_id, status)
    # WHEN the sweep runs THEN it is archived with that status, recorded in the document and the object metadata
    report = _archiver(control, s3).sweep([runtime_id])
    assert report.written == [va.object_key(PREFIX, runtime_id, "1")] and not report.pending
    assert _document(s3, runtime_id, "1")["status"] == status
    head = s3.head_object(Bucket=BUCKET, Key=va.object_key(PREFIX, runtime_id, "1"))
    assert head["Metadata"][va.STATUS_METADATA_KEY] == status
    assert head["Metadata"][va.SCHEMA_METADATA_KEY] == str(va.SCHEMA_VERSION)


def test_terminal_and_transient_statuses_cover_the_service_model() -> None:
    # Every AgentRuntimeStatus of botocore's model is classified, and none twice
    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock-agentcore-control")
    statuses = set(model.shape_for("AgentRuntimeStatus").enum)
    assert statuses == va.TERMINAL_STATUSES | va.TRANSIENT_STATUSES
    assert not va.TERMINAL_STATUSES & va.TRANSIENT_STATUSES


def test_fails_when_the_status_is_one_the_archiver_does_not_know(aws: tuple[Any, Any]) -> None:
    control, s3 = aws
    runtime_id = _create(control, "support_agent")
    control.get_agent_runtime(agentRuntimeId=runtime_id)
    _set_status(runtime_id, "HIBERNATING")
    report = _archiver(control, s3).sweep([runtime_id])
    assert "'HIBERNATING', which the archiver does not know" in report.failed[f"{runtime_id}:1"]
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def _legacy_document(s3: Any, runtime_id: str, status: str, environment: dict[str, str]) -> str:
    """A document as the schema-1 archiver wrote it: the first state it saw, environment values included."""
    key = va.object_key(PREFIX, runtime_id, "1")
    configuration = {"agentRuntimeId": runtime_id, "agentRuntimeVersion": "1", "status": status,
                     "environmentVariables": environment}
    document = {"schema_version": 1, "agent_runtime_id": runtime_id, "agent_runtime_version": "1",
                "configuration": configuration}
    digest = va.hashlib.sha256(va.canonical_json(configuration)).hexdigest()
    s3.put_object(Bucket=BUCKET, Key=key, Body=va.canonical_json(document), Metadata={va.SHA256_METADATA_KEY: digest})
    return key


@pytest.mark.parametrize("legacy_status", ["UPDATING", "READY"])
def test_a_document_written_by_the_earlier_archiver_is_rewritten_once_the_version_is_settled(
    aws: tuple[Any, Any], legacy_status: str
) -> None:
    # GIVEN a schema-1 document that holds a transient status, or a settled one with an environment value
    control, s3 = aws
    runtime_id = _create_with(control, "support_agent", environmentVariables={"API_TOKEN": "hunter2"})
    key = _legacy_document(s3, runtime_id, legacy_status, {"API_TOKEN": "hunter2"})
    control.get_agent_runtime(agentRuntimeId=runtime_id)  # READY now
    # WHEN the sweep runs
    report = _archiver(control, s3).sweep([runtime_id])
    # THEN the document is replaced by a settled one without the value (the earlier S3 version stays: purge it)
    assert report.rewritten == [key] and report.written == []
    document = _document(s3, runtime_id, "1")
    assert document["schema_version"] == va.SCHEMA_VERSION and document["status"] == "READY"
    assert "hunter2" not in json.dumps(document) and "API_TOKEN" in document["environment_variables"]
    assert len(s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]) == 2
    # AND the next sweep finds it final without reading the control plane again
    gets = CallCounter(control, "GetAgentRuntime")
    assert _archiver(control, s3).sweep([runtime_id]).existing == [key] and gets.count == 0


def test_a_legacy_document_of_a_version_still_updating_stays_until_it_settles(aws: tuple[Any, Any]) -> None:
    control, s3 = aws
    runtime_id = _create(control, "support_agent")
    key = _legacy_document(s3, runtime_id, "UPDATING", {})
    _set_status(runtime_id, "UPDATING")
    report = _archiver(control, s3).sweep([runtime_id])
    assert report.pending == [f"{runtime_id}:1"] and not report.rewritten
    assert len(s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]) == 1


def test_an_overlapping_rewrite_wins_and_this_one_counts_it_archived(aws: tuple[Any, Any]) -> None:
    # GIVEN a legacy document this run saw, replaced by an overlapping run before this run writes
    control, s3 = aws
    runtime_id = _create(control, "support_agent")
    control.get_agent_runtime(agentRuntimeId=runtime_id)
    key = _legacy_document(s3, runtime_id, "UPDATING", {})
    archiver = _archiver(control, s3)
    seen = archiver.stored(key)
    s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"other": "run"}')
    archiver.stored = lambda _key: seen  # type: ignore[method-assign]
    # WHEN this run replaces it with If-Match on the ETag it saw
    outcome = archiver.archive_version(runtime_id, "1")
    # THEN S3 refuses (412) and the other run's document stays
    assert outcome == "existing"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b'{"other": "run"}'


# -- environment values never stored -------------------------------------------------------------------------------


def test_environment_values_are_replaced_by_digests_made_with_the_archive_key(aws: tuple[Any, Any]) -> None:
    # GIVEN three versions: a secret, the same secret again (and another variable with the same value), a new secret
    control, s3 = aws
    kms = boto3.client("kms", region_name=REGION)
    runtime_id = _create_with(control, "support_agent", environmentVariables={"API_TOKEN": "pin-4711"})
    archiver = _archiver(control, s3)
    macs = CallCounter(archiver.digester.kms, "GenerateMac")
    va.process(_event("CreateAgentRuntime", runtime_id), archiver, [runtime_id])
    _update(control, runtime_id, "v2", environmentVariables={"API_TOKEN": "pin-4711", "OTHER_TOKEN": "pin-4711"})
    va.process(_event("UpdateAgentRuntime", runtime_id), archiver, [runtime_id])
    _update(control, runtime_id, "v3", environmentVariables={"API_TOKEN": "pin-0815"})
    va.process(_event("UpdateAgentRuntime", runtime_id), archiver, [runtime_id])
    first, second, third = (_document(s3, runtime_id, v) for v in "123")
    # THEN no document holds a value, and the configuration keeps no environment member
    for document in (first, second, third):
        text = json.dumps(document)
        assert "pin-4711" not in text and "pin-0815" not in text
        assert va.ENVIRONMENT_MEMBER not in document["configuration"]
        assert document["environment_digest"] == {"algorithm": "HMAC_SHA_256", "key_arn": _digest_key(),
                                                  "message": va.DIGEST_MESSAGE}
        # AND the configuration digest is over the configuration as stored (no value behind it either)
        assert document["configuration_sha256"] == va.hashlib.sha256(
            va.canonical_json(document["configuration"])).hexdigest()
    # AND an unchanged value keeps its digest, a changed one does not, and the name is part of what is digested
    assert first["environment_variables"]["API_TOKEN"] == second["environment_variables"]["API_TOKEN"]
    assert third["environment_variables"]["API_TOKEN"] != first["environment_variables"]["API_TOKEN"]
    assert second["environment_variables"]["OTHER_TOKEN"] != second["environment_variables"]["API_TOKEN"]
    # AND the digest is not the bare SHA-256 of the value or of the digested message
    digest = first["environment_variables"]["API_TOKEN"]
    assert digest not in (va.hashlib.sha256(b"pin-4711").hexdigest(),
                          va.hashlib.sha256(va.digest_message("API_TOKEN", "pin-4711")).hexdigest())
    # AND an auditor allowed kms:VerifyMac can check a candidate value, and only the right one
    def verify(value: str) -> bool:
        return bool(kms.verify_mac(KeyId=_digest_key(), Message=va.digest_message("API_TOKEN", value),
                                   MacAlgorithm="HMAC_SHA_256", Mac=bytes.fromhex(digest))["MacValid"])

    assert verify("pin-4711")
    with pytest.raises(kms.exceptions.KMSInvalidMacException):
        verify("pin-4712")
    # AND KMS was asked once per distinct (name, value), not once per version
    assert macs.count == 3


def test_a_long_value_is_digested_within_the_kms_message_limit(aws: tuple[Any, Any]) -> None:
    # A value of the longest allowed length in 4-byte characters is far above KMS's MAC message size; its SHA-256 is not
    control, s3 = aws
    value = "\U0001f511" * 2048
    message = va.digest_message("KEY", value)
    assert len(message) < 100 and len(value.encode()) > 4096
    runtime_id = _create_with(control, "support_agent", environmentVariables={"KEY": value})
    report = _archiver(control, s3).sweep([runtime_id])
    assert report.written and not report.failed
