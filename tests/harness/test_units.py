"""The harness's pure parts: intrinsic functions, bindings, the loopback guard, endpoint variable names, the
callers' ``requestContext`` shapes, and its own documentation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.harness._servers import HarnessError
from tests.harness.assembly import FunctionSpec
from tests.harness.bindings import Bindings, UnresolvedReference
from tests.harness.callers import AuthorizerCaller, CognitoIdentityCaller, IamCaller, UserPoolCaller
from tests.harness.lambda_env import AwsEnvironment, check_loopback, endpoint_variable
from tests.harness.lambda_sandbox import adapt_wrapper
from tests.harness.proxy_events import ApiContext, WebSocketConnection, caller_context, websocket_event
from tests.unit.test_docstrings import undocumented

TEMPLATE = {"Resources": {
    "Table1": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
    "Runtime1": {"Type": "AWS::BedrockAgentCore::Runtime", "Properties": {"AgentRuntimeName": "chat_agent"}},
    "Bucket1": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "fixed-name"}},
    "Deployment1": {"Type": "AWS::ApiGateway::Deployment", "Properties": {}},
}}


@pytest.fixture
def bindings() -> Bindings:
    return Bindings.for_template(TEMPLATE, account="123456789012", region="eu-west-1", stack_name="Stack")


def test_bindings_name_resources_as_cloudformation_would(bindings: Bindings) -> None:
    # THEN a table gets a generated name, a bucket its given one, a runtime an id and ARN from its name
    table = bindings.ref("Table1")
    assert table.startswith("Stack-Table1-") and bindings.attribute("Table1", "Arn").endswith(f":table/{table}")
    assert bindings.ref("Bucket1") == "fixed-name"
    runtime_id = bindings.attribute("Runtime1", "AgentRuntimeId")
    assert runtime_id.startswith("chat_agent-") and len(runtime_id) == len("chat_agent-") + 10
    assert bindings.attribute("Runtime1", "AgentRuntimeArn") == (
        f"arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/{runtime_id}")


def test_intrinsics_are_evaluated_against_the_bindings(bindings: Bindings) -> None:
    table = bindings.ref("Table1")
    assert bindings.resolve({"Fn::Join": ["/", [{"Ref": "AWS::Region"}, {"Ref": "Table1"}]]}) == f"eu-west-1/{table}"
    assert bindings.resolve({"Fn::Sub": "${AWS::AccountId}:${Table1}:${Runtime1.AgentRuntimeVersion}"}) == (
        f"123456789012:{table}:1")
    assert bindings.resolve({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Bucket1"}}]}) == "fixed-name-x"
    assert bindings.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert bindings.resolve({"Fn::GetAtt": "Bucket1.Arn"}) == "arn:aws:s3:::fixed-name"
    assert bindings.resolve({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}]}) == {"B": [1]}


def test_a_reference_without_a_binding_is_never_guessed(bindings: Bindings) -> None:
    with pytest.raises(UnresolvedReference, match=r"Ref of Deployment1 \(AWS::ApiGateway::Deployment\)"):
        bindings.resolve({"Ref": "Deployment1"})
    with pytest.raises(UnresolvedReference, match="not in the template"):
        bindings.resolve({"Fn::GetAtt": ["Nowhere", "Arn"]})
    bindings.bind("Deployment1", "dep-1")
    assert bindings.resolve({"Ref": "Deployment1"}) == "dep-1"


def test_endpoint_variables_follow_botocore_service_ids() -> None:
    assert endpoint_variable("bedrock-agentcore") == "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"
    assert endpoint_variable("bedrock-agentcore-control") == "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL"
    assert endpoint_variable("dynamodb") == "AWS_ENDPOINT_URL_DYNAMODB"
    assert endpoint_variable("s3") == "AWS_ENDPOINT_URL_S3"
    assert endpoint_variable("apigatewaymanagementapi") == "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"


def test_the_loopback_guard_refuses_anything_that_could_reach_aws() -> None:
    aws = AwsEnvironment("123456789012", "us-east-1", {"s3": "http://127.0.0.1:1"}, "http://127.0.0.1:2")
    check_loopback({**aws.variables(), "CALLBACK_URL": "http://localhost:3/prod"})
    with pytest.raises(HarnessError, match="CALLBACK_URL=https://abc.execute-api"):
        check_loopback({**aws.variables(), "CALLBACK_URL": "https://abc.execute-api.us-east-1.amazonaws.com/prod"})
    with pytest.raises(HarnessError, match="AWS_ENDPOINT_URL is not set"):
        check_loopback({"AWS_REGION": "us-east-1"})
    assert aws.variables()["AWS_ACCESS_KEY_ID"] == "testing" and aws.variables()["AWS_CONFIG_FILE"] == "/dev/null"


def test_callers_fill_the_request_context_like_api_gateway() -> None:
    # An IAM role session
    role = caller_context(IamCaller.assumed_role("web-app", "alice"), "198.51.100.1", "ua")["identity"]
    assert role["userArn"] == "arn:aws:sts::123456789012:assumed-role/web-app/alice"
    assert role["caller"].startswith("AROA") and role["caller"].endswith(":alice")
    assert role["cognitoIdentityId"] is None and role["sourceIp"] == "198.51.100.1"
    # A Cognito identity pool caller: the pool role's session plus the identity
    cognito = caller_context(CognitoIdentityCaller("us-east-1:1111"), "198.51.100.1", "ua")["identity"]
    assert cognito["cognitoIdentityId"] == "us-east-1:1111"
    assert cognito["cognitoAuthenticationType"] == "authenticated"
    assert cognito["userArn"].endswith("assumed-role/Cognito_HarnessAuth_Role/CognitoIdentityCredentials")
    # A Lambda authorizer and a user pool authorizer
    assert caller_context(AuthorizerCaller("user-7", {"tenant": "t1"}), "ip", "ua")["authorizer"] == {
        "principalId": "user-7", "integrationLatency": 0, "tenant": "t1"}
    assert caller_context(UserPoolCaller({"sub": "abc"}), "ip", "ua")["authorizer"] == {"claims": {"sub": "abc"}}
    # Nobody
    assert caller_context(None, "ip", "ua") == {"identity": caller_context(None, "ip", "ua")["identity"]}
    assert caller_context(None, "ip", "ua")["identity"]["userArn"] is None


def test_websocket_events_carry_the_route_and_the_connection() -> None:
    api = ApiContext("abc123", "prod", "123456789012", "us-east-1")
    connection = WebSocketConnection("conn=", 1_700_000_000_000, AuthorizerCaller("user-7"))
    connect = websocket_event(api, connection, "$connect", query=[("sessionId", "s" * 40)])
    message = websocket_event(api, connection, "$default", body='{"payload": 1}')
    gone = websocket_event(api, connection, "$disconnect", disconnect_status=1001)
    assert (connect["requestContext"]["eventType"], connect["queryStringParameters"]) == (
        "CONNECT", {"sessionId": "s" * 40})
    assert (message["requestContext"]["eventType"], message["body"]) == ("MESSAGE", '{"payload": 1}')
    assert gone["requestContext"]["disconnectStatusCode"] == 1001
    for event in (connect, message, gone):
        context = event["requestContext"]
        assert (context["connectionId"], context["stage"], context["apiId"]) == ("conn=", "prod", "abc123")
        assert context["authorizer"]["principalId"] == "user-7"
        assert context["domainName"] == "abc123.execute-api.us-east-1.amazonaws.com"


def _spec(asset: Path, wrapper: str) -> FunctionSpec:
    return FunctionSpec("Fn", "index.handler", "python3.14", 3, 128, {"AWS_LAMBDA_EXEC_WRAPPER": wrapper}, asset)


def test_the_exec_wrapper_runs_from_an_adapted_copy_and_the_shipped_script_is_unchanged(tmp_path: Path) -> None:
    # GIVEN an asset with a wrapper that execs Lambda's interpreter
    asset, work = tmp_path / "asset", tmp_path / "work"
    asset.mkdir()
    work.mkdir()
    shipped = '#!/bin/sh\nexec /var/lang/bin/python3 "$LAMBDA_TASK_ROOT/main.py"\n'
    (asset / "run.sh").write_text(shipped)
    # WHEN the sandbox adapts it
    adapted = adapt_wrapper(_spec(asset, "/var/task/run.sh"), work)
    # THEN the copy execs the shim, the shim this interpreter without site, and the asset is as shipped
    shim = work / "python3"
    assert adapted.read_text() == shipped.replace("/var/lang/bin/python3", str(shim))
    assert f'exec "{sys.executable}" -S "$@"' in shim.read_text()
    assert (asset / "run.sh").read_text() == shipped


def test_a_wrapper_the_harness_cannot_adapt_is_refused(tmp_path: Path) -> None:
    (tmp_path / "run.sh").write_text("#!/bin/sh\nexec python3 main.py\n")
    with pytest.raises(HarnessError, match="not in the function's code"):
        adapt_wrapper(_spec(tmp_path, "/opt/run.sh"), tmp_path)
    with pytest.raises(HarnessError, match="is not packaged"):
        adapt_wrapper(_spec(tmp_path, "/var/task/missing.sh"), tmp_path)
    with pytest.raises(HarnessError, match="no longer runs /var/lang/bin/python3"):
        adapt_wrapper(_spec(tmp_path, "/var/task/run.sh"), tmp_path)


def test_every_public_definition_of_the_harness_has_a_docstring() -> None:
    harness = Path(__file__).parent
    missing = [entry for path in sorted(harness.rglob("*.py")) if not path.name.startswith("test_")
               for entry in undocumented(path)]
    assert missing == []


def test_a_function_can_import_its_layers_and_the_runtimes_libraries_only(tmp_path: Path) -> None:
    # GIVEN the import path of a function on the Powertools layer
    from constructs_lib._cdk.functions import powertools_layer_parameter
    from tests.harness.layers import layer_directories, runtime_directory

    (layer,) = layer_directories([powertools_layer_parameter()], tmp_path)
    runtime = runtime_directory(tmp_path)
    # THEN the layer holds Powertools and its tracer's libraries, the runtime the interface client and the AWS SDK
    assert {"aws_lambda_powertools", "aws_xray_sdk"} <= {p.name for p in layer.iterdir()}
    assert {"awslambdaric", "boto3", "botocore"} <= {p.name for p in runtime.iterdir()}
    # AND nothing of the test environment is within reach (moto, pytest, the repository's package)
    assert not {"moto", "pytest", "constructs_lib", "aws_lambda_powertools"} & {p.name for p in runtime.iterdir()}


@pytest.mark.parametrize(("parameter", "problem"), [
    ("/aws/service/powertools/python/arm64/python3.14/3.0.0", "is aws-lambda-powertools 3.0.0"),
    ("/some/other/layer", "is not one the sandbox can provide"),
])
def test_a_layer_the_sandbox_cannot_load_as_lambda_would_is_refused(tmp_path: Path, parameter: str,
                                                                    problem: str) -> None:
    from tests.harness.layers import layer_directories

    with pytest.raises(HarnessError, match=problem):
        layer_directories([parameter], tmp_path)


def test_the_handlers_powertools_is_the_version_the_tests_run() -> None:
    # GIVEN the Powertools release the library's layer names, and the one installed for the tests
    import importlib.metadata

    from constructs_lib._cdk.functions import POWERTOOLS_VERSION
    from tests.conftest import ROOT

    pins = (ROOT / "constraints.txt").read_text().splitlines()
    # THEN they are one version, pinned
    assert importlib.metadata.version("aws-lambda-powertools") == POWERTOOLS_VERSION
    assert f"aws_lambda_powertools=={POWERTOOLS_VERSION}" in pins
