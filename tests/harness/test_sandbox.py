"""The harness's own machinery on a probe stack: functions run from their synthesized assets in the Lambda
sandbox (environment, deadline, errors, crashes, init failures), and the REST front door's API Gateway rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_

from tests.conftest import ENV
from tests.harness._servers import HarnessError
from tests.harness.callers import IamCaller
from tests.harness.harness import Harness
from tests.harness.http_client import call
from tests.harness.moto_backend import MotoBackend
from tests.harness.rest_front_door import RestFrontDoor
from tests.harness.tripwire import Tripwire

pytestmark = pytest.mark.timeout(60)
PROBES = Path(__file__).parent / "probe_functions"
ALICE = IamCaller.assumed_role("probe-role", "alice")


@dataclass
class Probe:
    stack: cdk.Stack
    harness: Harness
    probe: lambda_.Function
    broken: lambda_.Function
    table: dynamodb.Table
    api: apigw.RestApi
    door: RestFrontDoor


@pytest.fixture(scope="module")
def probe(harness_for: Callable[..., Harness]) -> Probe:
    stack = cdk.Stack(cdk.App(), "HarnessProbe", env=ENV)
    table = dynamodb.Table(
        stack, "Items", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST, removal_policy=cdk.RemovalPolicy.DESTROY)
    function = lambda_.Function(
        stack, "Probe", runtime=lambda_.Runtime.PYTHON_3_14, handler="probe.handler",
        code=lambda_.Code.from_asset(str(PROBES), exclude=["*", "!probe.py"]), timeout=cdk.Duration.seconds(3),
        environment={"TABLE": table.table_name, "GREETING": cdk.Fn.sub("hello from ${AWS::Region}")},
    )
    broken = lambda_.Function(stack, "Broken", runtime=lambda_.Runtime.PYTHON_3_14, handler="broken.handler",
                              code=lambda_.Code.from_asset(str(PROBES), exclude=["*", "!broken.py"]))
    api = apigw.RestApi(stack, "ProbeApi")
    api.root.add_resource("open").add_method(
        "POST", apigw.LambdaIntegration(function, timeout=cdk.Duration.seconds(1)))
    api.root.add_resource("items").add_resource("{item}").add_method(
        "GET", apigw.LambdaIntegration(function), authorization_type=apigw.AuthorizationType.IAM)
    harness = harness_for(stack)
    door = harness.rest_api(api, callers={"alice": ALICE})
    return Probe(stack, harness, function, broken, table, api, door)


def test_the_function_runs_from_its_synthesized_asset_with_its_template_environment(probe: Probe) -> None:
    # WHEN the probe reports what it sees
    report = probe.harness.sandbox(probe.probe).invoke({}).json()
    # THEN its module is the asset's copy, and the repository package is out of its reach
    spec = probe.harness.stack.function(probe.probe)
    assert report["module"] == str(spec.asset_dir / "probe.py") and spec.files() == ["probe.py"]
    assert not report["repo_importable"]
    # AND its template variables are resolved to this stack's names, its endpoints are loopback
    assert report["table"] == probe.harness.physical_name(probe.table)
    assert report["greeting"] == "hello from us-east-1" and report["region"] == "us-east-1"
    assert report["dynamodb_endpoint"] == probe.harness.moto.url
    assert report["function_name"] == probe.harness.physical_name(probe.probe)
    assert report["trace_id"].startswith("Root=1-")


def test_the_context_counts_down_to_the_template_timeout(probe: Probe) -> None:
    # WHEN the probe reports its remaining time
    remaining = probe.harness.sandbox(probe.probe).invoke({}).json()["remaining_ms"]
    # THEN it is the template's 3 s timeout, less the time the call took
    assert 2_000 < remaining <= 3_000


def test_a_call_to_dynamodb_lands_in_the_table_the_template_declares(probe: Probe) -> None:
    # WHEN the probe writes an item
    assert probe.harness.sandbox(probe.probe).invoke({"action": "put", "pk": "item-1"}).outcome == "response"
    # THEN it is in moto's copy of the template's table
    item = probe.harness.moto.client("dynamodb").get_item(
        TableName=probe.harness.physical_name(probe.table), Key={"pk": {"S": "item-1"}})
    assert item["Item"] == {"pk": {"S": "item-1"}}


def test_an_invocation_past_its_deadline_is_killed_and_the_next_gets_a_new_process(probe: Probe) -> None:
    # GIVEN the probe with a 1 s timeout
    sandbox = probe.harness.sandbox(probe.probe, timeout_seconds=1)
    # WHEN it sleeps past its deadline
    late = sandbox.invoke({"action": "sleep", "seconds": 5})
    # THEN Lambda's timeout ends it, and the next event runs in a new process
    assert late.outcome == "timeout"
    assert late.error == {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 1.00 seconds"}
    assert late.finished_at is not None and late.started_at is not None
    assert late.finished_at - late.started_at < 3
    assert sandbox.invoke({}).outcome == "response"
    assert sandbox.cold_starts == 2


def test_an_exception_is_the_function_error_and_the_process_stays_warm(probe: Probe) -> None:
    # WHEN the handler raises
    sandbox = probe.harness.sandbox(probe.probe)
    failed = sandbox.invoke({"action": "raise"})
    # THEN the runtime interface client reported it, and the same process serves the next event
    assert failed.outcome == "error"
    assert failed.error is not None
    assert (failed.error["errorType"], failed.error["errorMessage"]) == ("ValueError", "the probe was asked to fail")
    starts = sandbox.cold_starts
    assert sandbox.invoke({}).outcome == "response" and sandbox.cold_starts == starts


def test_a_process_that_exits_mid_invocation_is_a_crash_and_is_replaced(probe: Probe) -> None:
    # WHEN the handler's process exits
    sandbox = probe.harness.sandbox(probe.probe, overrides={"CASE": "exit"})
    crashed = sandbox.invoke({"action": "exit"})
    # THEN the invocation crashed, and the next one gets a new process
    assert crashed.outcome == "crashed"
    assert sandbox.invoke({}).outcome == "response" and sandbox.cold_starts == 2


def test_a_handler_module_that_fails_to_import_is_an_init_error(probe: Probe) -> None:
    # WHEN a function whose module raises on import is invoked
    failed = probe.harness.sandbox(probe.broken).invoke({})
    # THEN the invocation fails with the init error the runtime interface client reported
    assert failed.outcome == "error"
    assert failed.error is not None and "the broken probe cannot start" in failed.error["errorMessage"]


def test_an_environment_pointing_outside_the_machine_is_refused(probe: Probe) -> None:
    # WHEN a variable would send the function to a non-loopback URL
    with pytest.raises(HarnessError, match="GREETING=https://example.com points outside this machine"):
        probe.harness.sandbox(probe.probe, overrides={"GREETING": "https://example.com"})


def test_a_service_without_a_stand_in_reaches_the_tripwire_not_aws(probe: Probe, moto_server: MotoBackend) -> None:
    # GIVEN a harness whose tripwire this test reads (the module's own would fail the module)
    tripwire = Tripwire().start()
    harness = Harness(probe.harness.stack, moto=moto_server, tripwire=tripwire)
    try:
        # WHEN the probe calls SQS, for which there is no stand-in
        failed = harness.sandbox(probe.probe).invoke({"action": "unstood"})
        # THEN the call failed at the tripwire, which names the service
        assert failed.outcome == "error"
        assert [c.service for c in tripwire.calls] == ["sqs"]
    finally:
        harness.close()
        tripwire.stop()


def test_the_front_door_builds_the_proxy_event_of_an_iam_caller(probe: Probe) -> None:
    # WHEN alice calls a path with a parameter and a query string
    answer = call(probe.door.stage_url + "/items/book-7?q=one&q=two", method="GET", caller="alice")
    # THEN the function got API Gateway's REST proxy event for her
    assert answer.status == 200, answer.body
    event = answer.json()["event"]
    assert (event["resource"], event["path"], event["pathParameters"]) == ("/items/{item}", "/items/book-7",
                                                                         {"item": "book-7"})
    assert event["queryStringParameters"] == {"q": "two"}
    assert event["multiValueQueryStringParameters"] == {"q": ["one", "two"]}
    context = event["requestContext"]
    assert context["stage"] == "prod" and context["path"] == "/prod/items/book-7"
    assert context["identity"]["userArn"] == ALICE.user_arn and context["identity"]["caller"] == ALICE.caller_id
    assert "X-Harness-Caller" not in event["headers"]


def test_a_method_without_authorization_passes_no_identity(probe: Probe) -> None:
    # WHEN alice calls a method that has no authorization
    event = call(probe.door.stage_url + "/open", json={}, caller="alice").json()["event"]
    # THEN API Gateway did not authenticate her: the identity's IAM fields are empty
    assert event["requestContext"]["identity"]["userArn"] is None
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


def test_a_function_slower_than_the_integration_timeout_is_a_504(probe: Probe) -> None:
    # GIVEN a front door with a sandbox of its own (the slow invocation keeps its function busy after the 504)
    door = probe.harness.rest_api(probe.api, overrides={"CASE": "slow"})
    # WHEN the function takes 2 s behind a method whose integration timeout is 1 s
    answer = call(door.stage_url + "/open?action=sleep&seconds=2", json={})
    # THEN API Gateway gave up at its timeout
    assert (answer.status, answer.json()) == (504, {"message": "Endpoint request timed out"})
    assert answer.first_byte_after is not None and 1.0 <= answer.first_byte_after < 3


def test_a_response_that_is_not_a_proxy_response_is_a_502(probe: Probe) -> None:
    # WHEN the function answers something that is not a Lambda proxy response
    answer = call(probe.door.stage_url + "/open?action=malformed", json={})
    # THEN API Gateway answers its generic 502
    assert (answer.status, answer.json()) == (502, {"message": "Internal server error"})
