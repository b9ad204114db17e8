"""The integ runner: discovery, canonical templates, the snapshot check, assertion results and the deploy sequence.

The snapshot check is also run end to end on a small integ app with the pinned CDK CLI (offline).
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.integ import runner
from tests.integ.runner import Assembly, IntegApp, IntegCase

HASH_A = "a" * 64
HASH_B = "b" * 64


def _assembly(directory: Path, stacks: Mapping[str, dict[str, Any]], *, assets: Mapping[str, Mapping[str, str]] = {},
              case: Mapping[str, Any] | None = None) -> Assembly:
    """Write an assembly (integ.json, templates, asset manifests) as the CLI would, and read it."""
    directory.mkdir(parents=True, exist_ok=True)
    names = list(stacks)
    settings = {"stacks": names[:1], "assertionStack": "T/DefaultTest/DeployAssert", "assertionStackName": names[1]}
    (directory / "integ.json").write_text(json.dumps({"testCases": {"T/DefaultTest": {**settings, **(case or {})}}}))
    for name, template in stacks.items():
        (directory / f"{name}.template.json").write_text(json.dumps(template))
        files = {asset_id: {"displayName": display, "source": {"path": f"asset.{asset_id}", "packaging": "zip"}}
                 for asset_id, display in assets.get(name, {}).items()}
        (directory / f"{name}.assets.json").write_text(json.dumps({"files": files}))
    return Assembly.read(directory)


def _function(asset: str, memory: int = 128) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Function",
            "Properties": {"Code": {"S3Key": f"{asset}.zip"}, "MemorySize": memory, "FunctionName": "f"}}


def _assert(salt: str) -> dict[str, Any]:
    return {"Resources": {"Call": {"Type": "Custom::DeployAssert@SdkCallLambdainvoke",
                                   "Properties": {"salt": salt, "expected": "{}"}}}}


# -- discovery ---------------------------------------------------------------------------------------------------------


def test_discovers_the_integ_apps_of_the_folder_with_their_snapshots() -> None:
    apps = runner.discover()
    assert [app.name for app in apps] == ["integ.agent_api", "integ.agent_jobs", "integ.version_archive"]
    assert all(app.snapshot_dir.name == app.path.name + ".snapshot" for app in apps)
    assert [app.name for app in runner.discover(names=["integ.agent_jobs.py"])] == ["integ.agent_jobs"]


def test_fails_when_a_named_app_does_not_exist() -> None:
    with pytest.raises(runner.RunnerError, match="integ.nothing"):
        runner.discover(names=["integ.nothing"])


# -- canonical templates -----------------------------------------------------------------------------------------------


def test_canonical_names_assets_and_drops_assertion_salts() -> None:
    template = {"Resources": {"F": _function(HASH_A), **_assert("123")["Resources"],
                              "Other": {"Type": "AWS::SQS::Queue", "Properties": {"salt": "kept"}}}}
    result = runner.canonical(template, {HASH_A: "Asset[Api/Proxy/Code]"})
    assert result["Resources"]["F"]["Properties"]["Code"]["S3Key"] == "Asset[Api/Proxy/Code].zip"
    assert result["Resources"]["Call"]["Properties"]["salt"] == "<synth time>"
    assert result["Resources"]["Other"]["Properties"]["salt"] == "kept"
    assert template["Resources"]["Call"]["Properties"]["salt"] == "123"  # the input is left as it was


def test_asset_names_come_from_staged_assets_only(tmp_path: Path) -> None:
    assembly = _assembly(tmp_path, {"S": {}, "A": {}}, assets={"S": {HASH_A: "S/F/Code"}})
    manifest = json.loads((tmp_path / "S.assets.json").read_text())
    manifest["files"][HASH_B] = {"displayName": "S Template", "source": {"path": "S.template.json"}}
    (tmp_path / "S.assets.json").write_text(json.dumps(manifest))
    assert assembly.asset_names("S") == {HASH_A: "Asset[S/F/Code]"}


# -- differences -------------------------------------------------------------------------------------------------------


def test_a_property_change_is_listed_with_its_path() -> None:
    changes = runner.template_changes("S", {"Resources": {"F": _function(HASH_A)}},
                                      {"Resources": {"F": _function(HASH_A, memory=256)}})
    (change,) = changes
    assert (change.kind, change.name, change.destructive) == ("modified", "F", None)
    assert change.details == ("Properties.MemorySize: 128 -> 256",)


def test_a_create_only_property_change_is_a_replacement() -> None:
    old = {"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "a"}}}}
    new = {"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "b"}}}}
    (change,) = runner.template_changes("S", old, new)
    assert change.destructive is not None and "TableName" in change.destructive
    (allowed,) = runner.template_changes("S", old, new, frozenset({"AWS::DynamoDB::Table"}))
    assert allowed.destructive is None


def test_a_removed_resource_is_destructive_and_an_added_one_is_not() -> None:
    queue = {"Type": "AWS::SQS::Queue", "Properties": {}}
    changes = runner.template_changes("S", {"Resources": {"Old": queue}}, {"Resources": {"New": queue}})
    assert [(c.kind, c.name, bool(c.destructive)) for c in changes] == [("added", "New", False),
                                                                        ("removed", "Old", True)]
    assert "!! destroys the AWS::SQS::Queue" in changes[1].render()


def test_other_sections_are_compared_key_by_key() -> None:
    old = {"Resources": {}, "Outputs": {"Url": {"Value": "a"}}, "Description": "x"}
    new = {"Resources": {}, "Outputs": {"Url": {"Value": "b"}, "Id": {"Value": "c"}}, "Description": "y"}
    changes = runner.template_changes("S", old, new)
    assert [(c.section, c.name, c.kind) for c in changes] == [
        ("Description", "", "modified"), ("Outputs", "Id", "added"), ("Outputs", "Url", "modified")]


# -- the snapshot check ------------------------------------------------------------------------------------------------


def _app(tmp_path: Path) -> IntegApp:
    path = tmp_path / "integ.case.py"
    path.write_text("")
    return IntegApp(path)


def test_asset_hash_churn_alone_passes(tmp_path: Path) -> None:
    app = _app(tmp_path)
    _assembly(app.snapshot_dir, {"S": {"Resources": {"F": _function(HASH_A)}}, "A": _assert("1")},
              assets={"S": {HASH_A: "S/F/Code"}})
    actual = _assembly(tmp_path / "out", {"S": {"Resources": {"F": _function(HASH_B)}}, "A": _assert("2")},
                       assets={"S": {HASH_B: "S/F/Code"}})
    assert runner.compare(app, actual).passed


def test_asset_hashes_are_compared_when_the_test_case_asks(tmp_path: Path) -> None:
    app = _app(tmp_path)
    case = {"diffAssets": True}
    _assembly(app.snapshot_dir, {"S": {"Resources": {"F": _function(HASH_A)}}, "A": _assert("1")},
              assets={"S": {HASH_A: "S/F/Code"}}, case=case)
    actual = _assembly(tmp_path / "out", {"S": {"Resources": {"F": _function(HASH_B)}}, "A": _assert("2")},
                       assets={"S": {HASH_B: "S/F/Code"}}, case=case)
    comparison = runner.compare(app, actual)
    assert not comparison.passed and comparison.changes[0].name == "F"


def test_fails_when_an_assertion_changes(tmp_path: Path) -> None:
    app = _app(tmp_path)
    _assembly(app.snapshot_dir, {"S": {"Resources": {}}, "A": _assert("1")})
    changed = _assert("2")
    changed["Resources"]["Call"]["Properties"]["expected"] = '{"status": 200}'
    comparison = runner.compare(app, _assembly(tmp_path / "out", {"S": {"Resources": {}}, "A": changed}))
    assert [(c.stack, c.name, c.destructive) for c in comparison.changes] == [("A", "Call", None)]


def test_fails_without_a_snapshot_or_with_other_test_cases(tmp_path: Path) -> None:
    app = _app(tmp_path)
    actual = _assembly(tmp_path / "out", {"S": {"Resources": {}}, "A": _assert("1")})
    assert "no snapshot yet" in runner.compare(app, actual).render()
    _assembly(app.snapshot_dir, {"S": {"Resources": {}}, "A": _assert("1")}, case={"diffAssets": True})
    assert "changed its settings" in runner.compare(app, actual).render()


def test_refresh_rewrites_only_changed_snapshots(tmp_path: Path) -> None:
    app = _app(tmp_path)
    _assembly(app.snapshot_dir, {"S": {"Resources": {"F": _function(HASH_A)}}, "A": _assert("1")},
              assets={"S": {HASH_A: "S/F/Code"}})
    (app.snapshot_dir / "stale.json").write_text("{}")
    sources = {"same": ({"F": _function(HASH_B)}, "2"), "changed": ({"F": _function(HASH_B, memory=512)}, "3")}

    def synthesizing(kind: str) -> runner.Runner:
        def run(command: Sequence[str], env: Mapping[str, str], timeout: int) -> subprocess.CompletedProcess[str]:
            resources, salt = sources[kind]
            out = Path(command[command.index("--output") + 1])
            _assembly(out, {"S": {"Resources": resources}, "A": _assert(salt)}, assets={"S": {HASH_B: "S/F/Code"}})
            assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1")  # offline: nothing reaches AWS
            return subprocess.CompletedProcess(list(command), 0, "", "")
        return run

    runner.refresh([app], run=synthesizing("same"))
    assert (app.snapshot_dir / "stale.json").exists()  # untouched: only asset hashes and salts differ
    runner.refresh([app], run=synthesizing("changed"))
    assert not (app.snapshot_dir / "stale.json").exists()
    snapshot = Assembly.read(app.snapshot_dir)
    assert snapshot.template("S")["Resources"]["F"]["Properties"]["MemorySize"] == 512
    assert sorted(p.name for p in app.snapshot_dir.iterdir()) == [
        "A.assets.json", "A.template.json", "S.assets.json", "S.template.json", "integ.json"]


APP = """
import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from aws_cdk import integ_tests_alpha as integ

app = cdk.App()
stack = cdk.Stack(app, "runner-test")
queue = sqs.Queue(stack, "{queue}", enforce_ssl=True)
test = integ.IntegTest(app, "RunnerTest", test_cases=[stack])
test.assertions.aws_api_call("SQS", "getQueueAttributes", {{"QueueUrl": queue.queue_url}})
app.synth()
"""


@pytest.mark.integration
def test_the_snapshot_check_end_to_end_with_the_cdk_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN an integ app with a snapshot written by the runner
    path = tmp_path / "integ.queue.py"
    path.write_text(textwrap.dedent(APP.format(queue="Queue")))
    (app,) = runner.discover(tmp_path)
    assert runner.refresh([app]) == 0
    # WHEN nothing changed THEN the check passes
    assert runner.verify([app]) == 0
    # WHEN the queue's construct id changes (a new logical id) THEN the check fails, names the replaced queue as
    # destroyed and points at the refresh target
    path.write_text(textwrap.dedent(APP.format(queue="Renamed")))
    capsys.readouterr()
    assert runner.verify([app]) == 1
    report = capsys.readouterr().out
    assert "[removed] runner-test Resources.Queue" in report and "!! destroys the AWS::SQS::Queue" in report
    assert runner.REFRESH in report and "1 failed" in report
    assert "!! destroys the Custom::DeployAssert" not in report  # assertion stacks are recreated by every run


# -- deployment --------------------------------------------------------------------------------------------------------


def test_assertion_results_are_read_from_the_outputs_file() -> None:
    outputs = {"Assert": {"AssertionResultsA": '{"status":"success"}',
                          "AssertionResultsB": '{"status":"fail","message":"Expected 200\nGot 504"}',
                          "AssertionResultsC": "not json", "OtherOutput": "x"},
               "Other": {"AssertionResultsD": '{"status":"fail"}'}}
    results = runner.assertion_results(outputs, "Assert")
    assert [(r.name, r.status) for r in results] == [
        ("AssertionResultsA", "success"), ("AssertionResultsB", "fail"), ("AssertionResultsC", "fail")]
    assert results[1].message == "Expected 200\nGot 504"


class _Commands:
    """Records the CLI commands of a deployment and answers each with the exit code the test chose."""

    def __init__(self, codes: Mapping[str, int], outputs: Mapping[str, Any] | None = None) -> None:
        self.commands: list[list[str]] = []
        self.codes = codes
        self.outputs = outputs

    def __call__(
        self, command: Sequence[str], env: Mapping[str, str], timeout: int
    ) -> subprocess.CompletedProcess[str]:
        self.commands.append(list(command))
        assert "AWS_ENDPOINT_URL" not in env or not env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:9")
        if "--outputs-file" in command and self.outputs is not None:
            Path(command[command.index("--outputs-file") + 1]).write_text(json.dumps(self.outputs))
        verb = "assert" if "--no-rollback" in command else command[1]
        return subprocess.CompletedProcess(list(command), self.codes.get(verb, 0), "", "cli output")


@pytest.fixture
def deployable(tmp_path: Path) -> tuple[IntegApp, Assembly, IntegCase]:
    retained = {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"}
    assembly = _assembly(tmp_path / "out", {"S": {"Resources": {"Bucket": retained, "F": _function(HASH_A)}},
                                            "A": _assert("1")})
    return _app(tmp_path), assembly, assembly.test_cases[0]


def _cloudformation(stack: str = "S") -> tuple[Any, Stubber]:
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    stubber = Stubber(client)
    stubber.add_response("describe_stack_resources", {"StackResources": [
        {"LogicalResourceId": "Bucket", "PhysicalResourceId": "s-bucket-1", "ResourceType": "AWS::S3::Bucket",
         "Timestamp": "2026-01-01T00:00:00Z", "ResourceStatus": "CREATE_COMPLETE", "StackName": stack},
    ]}, {"StackName": stack})
    stubber.activate()
    return client, stubber


def test_deploys_the_stacks_then_the_assertions_then_destroys(deployable: tuple[IntegApp, Assembly, IntegCase]) -> None:
    app, assembly, case = deployable
    commands = _Commands({}, {"A": {"AssertionResultsCall": '{"status":"success"}'}})
    client, stubber = _cloudformation()
    outcome = runner.deploy_case(app, assembly, case, run=commands, cloudformation=client)
    assert [c[1] for c in commands.commands] == ["deploy", "deploy", "destroy"]
    assert commands.commands[0][-1] == "S" and "--no-rollback" not in commands.commands[0]
    assert commands.commands[1][-1] == "T/DefaultTest/DeployAssert" and "--no-rollback" in commands.commands[1]
    assert commands.commands[2][-2:] == ["--all", "--force"]
    assert all(c[c.index("--app") + 1] == str(assembly.directory) for c in commands.commands)
    assert outcome.passed and outcome.left_behind == ["AWS::S3::Bucket s-bucket-1 (S)"]
    stubber.assert_no_pending_responses()


def test_fails_and_still_destroys_when_the_stacks_do_not_deploy(
    deployable: tuple[IntegApp, Assembly, IntegCase],
) -> None:
    app, assembly, case = deployable
    commands = _Commands({"deploy": 1})
    client, _ = _cloudformation()
    outcome = runner.deploy_case(app, assembly, case, run=commands, cloudformation=client)
    assert [c[1] for c in commands.commands] == ["deploy", "destroy"]
    assert not outcome.passed and "deploying S failed" in outcome.render()


def test_a_failed_assertion_fails_the_case(deployable: tuple[IntegApp, Assembly, IntegCase]) -> None:
    app, assembly, case = deployable
    commands = _Commands({"assert": 1}, {"A": {"AssertionResultsCall": '{"status":"fail","message":"got 504"}'}})
    client, _ = _cloudformation()
    outcome = runner.deploy_case(app, assembly, case, run=commands, cloudformation=client)
    assert not outcome.passed
    assert "fail     AssertionResultsCall: got 504" in outcome.render()


def test_keeps_the_stacks_when_asked(deployable: tuple[IntegApp, Assembly, IntegCase]) -> None:
    app, assembly, case = deployable
    commands = _Commands({}, {"A": {"AssertionResultsCall": '{"status":"success"}'}})
    outcome = runner.deploy_case(app, assembly, case, clean=False, run=commands)
    assert [c[1] for c in commands.commands] == ["deploy", "deploy"] and outcome.passed


def test_a_long_string_change_is_shown_where_it_differs() -> None:
    prefix = "x" * 300
    old = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"Tag": prefix + "old-value"}}}}
    new = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"Tag": prefix + "new-value"}}}}
    (change,) = runner.template_changes("S", old, new)
    assert "old-value" in change.details[0] and "new-value" in change.details[0]
