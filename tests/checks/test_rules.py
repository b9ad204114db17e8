"""Each AgentCoreChecks rule on raw L1 resources: compliant, non-compliant and not applicable."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagRuleCompliance

from constructs_lib.checks.rules import (
    alarms_present,
    api_requires_authorization,
    endpoint_follows_deployments,
    endpoint_name_anchored,
    endpoints_within_quota,
    environment_within_limits,
    express_workflow_invokes_agent,
    lifecycle_within_limits,
    model_access_granted,
    runtime_name_anchored,
)
from tests.checks._l1 import cfn_endpoint, cfn_role, cfn_runtime, new_stack, violations

COMPLIANT = NagRuleCompliance.COMPLIANT
NON_COMPLIANT = NagRuleCompliance.NON_COMPLIANT
NOT_APPLICABLE = NagRuleCompliance.NOT_APPLICABLE


@pytest.fixture
def stack() -> cdk.Stack:
    """A fresh stack for raw L1 resources."""
    return new_stack()[1]


def _bucket(stack: cdk.Stack) -> s3.CfnBucket:
    return s3.CfnBucket(stack, "Unrelated")


def _lifecycle(idle: object = None, max_lifetime: object = None) -> agentcore.CfnRuntime.LifecycleConfigurationProperty:
    return agentcore.CfnRuntime.LifecycleConfigurationProperty(
        idle_runtime_session_timeout=idle, max_lifetime=max_lifetime  # type: ignore[arg-type]
    )


# -- AgentCore-RuntimeName ------------------------------------------------------------------------------


def test_runtime_name_compliant(stack: cdk.Stack) -> None:
    assert runtime_name_anchored(cfn_runtime(stack, name="support_agent")) == COMPLIANT


@pytest.mark.parametrize("name", ["my-agent", "1agent", "a" * 49, "agent name"])
def test_runtime_name_non_compliant(stack: cdk.Stack, name: str) -> None:
    # GIVEN names the unanchored schema pattern lets through
    # THEN the anchored rule rejects them
    assert runtime_name_anchored(cfn_runtime(stack, name=name)) == NON_COMPLIANT


def test_runtime_name_not_applicable(stack: cdk.Stack) -> None:
    assert runtime_name_anchored(_bucket(stack)) == NOT_APPLICABLE
    # a name made of an intrinsic cannot be checked at synth
    token = cdk.Fn.join("_", ["agent", cdk.Aws.REGION])
    assert runtime_name_anchored(cfn_runtime(stack, "Tokenized", name=token)) == NOT_APPLICABLE


# -- AgentCore-EndpointName -----------------------------------------------------------------------------


def test_endpoint_name_compliant(stack: cdk.Stack) -> None:
    runtime = cfn_runtime(stack)
    assert endpoint_name_anchored(cfn_endpoint(stack, runtime, "Prod", name="prod")) == COMPLIANT


@pytest.mark.parametrize("name", ["prod-v2", "DEFAULT", "_prod"])
def test_endpoint_name_non_compliant(stack: cdk.Stack, name: str) -> None:
    runtime = cfn_runtime(stack)
    assert endpoint_name_anchored(cfn_endpoint(stack, runtime, "Bad", name=name)) == NON_COMPLIANT


def test_endpoint_name_not_applicable(stack: cdk.Stack) -> None:
    assert endpoint_name_anchored(cfn_runtime(stack)) == NOT_APPLICABLE


# -- AgentCore-Lifecycle --------------------------------------------------------------------------------


def test_lifecycle_compliant(stack: cdk.Stack) -> None:
    assert lifecycle_within_limits(cfn_runtime(stack, lifecycle_configuration=_lifecycle(900, 28800))) == COMPLIANT
    # no lifecycle: the service defaults apply
    assert lifecycle_within_limits(cfn_runtime(stack, "Defaults")) == COMPLIANT


def test_lifecycle_non_compliant_with_granular_findings(stack: cdk.Stack) -> None:
    # GIVEN an idle timeout below the minimum and a lifetime beyond the 8 h asynchronous job duration
    node = cfn_runtime(stack, lifecycle_configuration=_lifecycle(30, 9 * 3600))
    # THEN each value is its own finding
    assert lifecycle_within_limits(node) == ["IdleRuntimeSessionTimeout", "MaxLifetime"]
    # AND an idle timeout longer than the lifetime is a third kind
    longer = cfn_runtime(stack, "Longer", lifecycle_configuration=_lifecycle(3600, 600))
    assert lifecycle_within_limits(longer) == ["IdleExceedsMaxLifetime"]


def test_lifecycle_instances_compute_is_checked_against_the_instances_session_lifetime(stack: cdk.Stack) -> None:
    provider = agentcore.CfnRuntime.CapacityProviderConfigurationProperty(
        capacity_provider_arn="arn:aws:bedrock-agentcore:us-east-1:123456789012:capacity-provider/gpu-abcdefghij"
    )
    node = cfn_runtime(stack, lifecycle_configuration=_lifecycle(900, 3 * 86400),
                       capacity_provider_configuration=provider)
    assert lifecycle_within_limits(node) == COMPLIANT
    longer = cfn_runtime(stack, "Longer", lifecycle_configuration=_lifecycle(900, 15 * 86400),
                         capacity_provider_configuration=provider)
    assert lifecycle_within_limits(longer) == ["MaxLifetime"]


def test_lifecycle_not_applicable(stack: cdk.Stack) -> None:
    assert lifecycle_within_limits(_bucket(stack)) == NOT_APPLICABLE


# -- AgentCore-Env --------------------------------------------------------------------------------------


def test_environment_compliant(stack: cdk.Stack) -> None:
    assert environment_within_limits(cfn_runtime(stack, environment_variables={"LOG_LEVEL": "INFO"})) == COMPLIANT


def test_environment_non_compliant_with_granular_findings(stack: cdk.Stack) -> None:
    # GIVEN 51 variables, one with a hyphenated key, one with a value of 2,049 characters
    variables = {f"VAR_{i}": "x" for i in range(49)}
    variables["BAD-KEY"] = "x"
    variables["BIG"] = "y" * 2049
    node = cfn_runtime(stack, environment_variables=variables)
    assert environment_within_limits(node) == ["Count", "Key", "ValueLength"]


def test_environment_not_applicable(stack: cdk.Stack) -> None:
    assert environment_within_limits(_bucket(stack)) == NOT_APPLICABLE


# -- AgentCore-EndpointsPerRuntime ----------------------------------------------------------------------


def test_endpoints_per_runtime_compliant(stack: cdk.Stack) -> None:
    runtime = cfn_runtime(stack)
    for i in range(9):  # 9 named + DEFAULT = 10, the quota
        cfn_endpoint(stack, runtime, f"E{i}", name=f"e{i}", version=runtime.attr_agent_runtime_version)
    assert endpoints_within_quota(runtime) == COMPLIANT


def test_endpoints_per_runtime_non_compliant(stack: cdk.Stack) -> None:
    # GIVEN 10 named endpoints on one runtime and 1 on another
    runtime = cfn_runtime(stack)
    other = cfn_runtime(stack, "Other", name="other_agent")
    for i in range(10):
        cfn_endpoint(stack, runtime, f"E{i}", name=f"e{i}")
    cfn_endpoint(stack, other, "OtherProd", name="prod")
    # THEN only the first runtime is over the quota (DEFAULT counts)
    assert endpoints_within_quota(runtime) == NON_COMPLIANT
    assert endpoints_within_quota(other) == COMPLIANT


def test_endpoints_per_runtime_counts_default_once(stack: cdk.Stack) -> None:
    # GIVEN 9 named endpoints and one endpoint resource named DEFAULT (reported by EndpointName)
    runtime = cfn_runtime(stack)
    for i in range(9):
        cfn_endpoint(stack, runtime, f"E{i}", name=f"e{i}")
    cfn_endpoint(stack, runtime, "Default", name="DEFAULT")
    # THEN DEFAULT counts once, as the planner counts it: 10 endpoints, within the quota
    assert endpoints_within_quota(runtime) == COMPLIANT


def test_endpoints_per_runtime_respects_an_approved_increase() -> None:
    _, stack = new_stack({"agentcore:quotaOverrides": {"endpoints_per_agent": 20}})
    runtime = cfn_runtime(stack)
    for i in range(12):
        cfn_endpoint(stack, runtime, f"E{i}", name=f"e{i}")
    assert endpoints_within_quota(runtime) == COMPLIANT


def test_endpoints_per_runtime_not_applicable(stack: cdk.Stack) -> None:
    runtime = cfn_runtime(stack)
    assert endpoints_within_quota(cfn_endpoint(stack, runtime, "Prod", name="prod")) == NOT_APPLICABLE


# -- AgentCore-EndpointVersion --------------------------------------------------------------------------


def test_endpoint_version_compliant(stack: cdk.Stack) -> None:
    runtime = cfn_runtime(stack)
    follows = cfn_endpoint(stack, runtime, "Prod", name="prod", version=runtime.attr_agent_runtime_version)
    assert endpoint_follows_deployments(follows) == COMPLIANT


@pytest.mark.parametrize("version", [None, "1"])
def test_endpoint_version_non_compliant(stack: cdk.Stack, version: str | None) -> None:
    runtime = cfn_runtime(stack)
    stranded = cfn_endpoint(stack, runtime, "Prod", name="prod", version=version)
    assert endpoint_follows_deployments(stranded) == NON_COMPLIANT


def test_endpoint_version_not_applicable(stack: cdk.Stack) -> None:
    assert endpoint_follows_deployments(cfn_runtime(stack)) == NOT_APPLICABLE


# -- AgentCore-ModelAccess ------------------------------------------------------------------------------


def _policy(stack: cdk.Stack, role: iam.CfnRole, action: str) -> iam.CfnPolicy:
    return iam.CfnPolicy(
        stack,
        f"Policy{action.replace(':', '').replace('*', 'Star')}",
        policy_name="agent",
        roles=[role.ref],
        policy_document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": [action], "Resource": "*"}],
        },
    )


@pytest.mark.parametrize("action", ["bedrock:InvokeModel", "bedrock:InvokeModel*", "bedrock:*"])
def test_model_access_compliant(stack: cdk.Stack, action: str) -> None:
    role = cfn_role(stack)
    _policy(stack, role, action)
    assert model_access_granted(cfn_runtime(stack, role_arn=role.attr_arn)) == COMPLIANT


def test_model_access_non_compliant(stack: cdk.Stack) -> None:
    # GIVEN a role in the stack with only logging permissions
    role = cfn_role(stack)
    _policy(stack, role, "logs:PutLogEvents")
    assert model_access_granted(cfn_runtime(stack, role_arn=role.attr_arn)) == NON_COMPLIANT


def test_model_access_not_applicable(stack: cdk.Stack) -> None:
    # an imported role cannot be inspected at synth
    assert model_access_granted(cfn_runtime(stack, role_arn="arn:aws:iam::123456789012:role/x")) == NOT_APPLICABLE
    assert model_access_granted(_bucket(stack)) == NOT_APPLICABLE


# -- AgentCore-PublicApi --------------------------------------------------------------------------------


def _rest_method(stack: cdk.Stack, construct_id: str, http_method: str, auth: str | None) -> apigw.CfnMethod:
    api = stack.node.try_find_child("Api") or apigw.CfnRestApi(stack, "Api", name="agents")
    return apigw.CfnMethod(
        stack,
        construct_id,
        http_method=http_method,
        resource_id=api.attr_root_resource_id,  # type: ignore[attr-defined]
        rest_api_id=api.ref,  # type: ignore[attr-defined]
        authorization_type=auth,
    )


def _ws_route(stack: cdk.Stack, construct_id: str, route_key: str, auth: str | None) -> apigwv2.CfnRoute:
    api = stack.node.try_find_child("WsApi") or apigwv2.CfnApi(
        stack, "WsApi", name="agents", protocol_type="WEBSOCKET", route_selection_expression="$request.body.action"
    )
    return apigwv2.CfnRoute(stack, construct_id, api_id=api.ref, route_key=route_key, authorization_type=auth)  # type: ignore[attr-defined]


def test_public_api_compliant(stack: cdk.Stack) -> None:
    assert api_requires_authorization(_rest_method(stack, "Post", "POST", "AWS_IAM")) == COMPLIANT
    assert api_requires_authorization(_ws_route(stack, "Connect", "$connect", "AWS_IAM")) == COMPLIANT


def test_public_api_non_compliant(stack: cdk.Stack) -> None:
    assert api_requires_authorization(_rest_method(stack, "Post", "POST", "NONE")) == NON_COMPLIANT
    assert api_requires_authorization(_rest_method(stack, "Get", "GET", None)) == NON_COMPLIANT
    assert api_requires_authorization(_ws_route(stack, "Connect", "$connect", None)) == NON_COMPLIANT


def test_public_api_not_applicable(stack: cdk.Stack) -> None:
    # CORS preflight and WebSocket routes other than $connect carry no credentials by design
    assert api_requires_authorization(_rest_method(stack, "Options", "OPTIONS", "NONE")) == NOT_APPLICABLE
    assert api_requires_authorization(_ws_route(stack, "Message", "sendMessage", None)) == NOT_APPLICABLE
    assert api_requires_authorization(cfn_runtime(stack)) == NOT_APPLICABLE


# -- AgentCore-Alarms -----------------------------------------------------------------------------------


def _alarm(stack: cdk.Stack, construct_id: str, metric: str, dimensions: list[dict[str, str]] | None = None) -> None:
    cloudwatch.CfnAlarm(
        stack,
        construct_id,
        namespace="AWS/Bedrock-AgentCore",
        metric_name=metric,
        dimensions=[cloudwatch.CfnAlarm.DimensionProperty(name=d["name"], value=d["value"]) for d in dimensions or []],
        comparison_operator="GreaterThanThreshold",
        evaluation_periods=1,
        period=60,
        statistic="Sum",
        threshold=0,
    )


def test_alarms_compliant(stack: cdk.Stack) -> None:
    runtime = cfn_runtime(stack)
    _alarm(stack, "Throttles", "Throttles", [{"name": "Resource", "value": runtime.attr_agent_runtime_arn}])
    _alarm(stack, "Sessions", "ActiveSessionCount", [{"name": "Service", "value": "AgentCore.Runtime"}])
    assert alarms_present(runtime) == COMPLIANT


def test_alarms_non_compliant(stack: cdk.Stack) -> None:
    # GIVEN no alarm at all
    runtime = cfn_runtime(stack)
    assert alarms_present(runtime) == ["Throttles", "ActiveSessionCount"]


def test_alarms_on_another_runtime_do_not_count(stack: cdk.Stack) -> None:
    runtime = cfn_runtime(stack)
    other = cfn_runtime(stack, "Other", name="other_agent")
    _alarm(stack, "Throttles", "Throttles", [{"name": "Name", "value": "other_agent::DEFAULT"}])
    _alarm(stack, "Sessions", "ActiveSessionCount")
    assert alarms_present(runtime) == ["Throttles"]
    assert alarms_present(other) == COMPLIANT


def test_alarms_not_applicable(stack: cdk.Stack) -> None:
    assert alarms_present(_bucket(stack)) == NOT_APPLICABLE


# -- AgentCore-ExpressWorkflow -------------------------------------------------------------------------


def _state_machine(stack: cdk.Stack, construct_id: str, kind: str, resource: str) -> sfn.CfnStateMachine:
    definition = cdk.Fn.join("", [
        '{"StartAt":"Call","States":{"Call":{"Type":"Task","End":true,"Resource":"', resource,
        '","Parameters":{"AgentRuntimeArn":"', cdk.Aws.ACCOUNT_ID, '"}}}}',
    ])
    return sfn.CfnStateMachine(
        stack, construct_id, role_arn="arn:aws:iam::123456789012:role/sfn",
        definition_string=definition, state_machine_type=kind,
    )


_INVOKE = "arn:aws:states:::aws-sdk:bedrockagentcore:invokeAgentRuntime"


def test_express_workflow_compliant_and_not_applicable(stack: cdk.Stack) -> None:
    # a Standard workflow may wait for an agent as long as it takes
    assert express_workflow_invokes_agent(_state_machine(stack, "Standard", "STANDARD", _INVOKE)) == NOT_APPLICABLE
    # an Express workflow that calls no agent is none of this rule's business
    other = _state_machine(stack, "Other", "EXPRESS", "arn:aws:states:::lambda:invoke")
    assert express_workflow_invokes_agent(other) == NOT_APPLICABLE
    assert express_workflow_invokes_agent(cfn_runtime(stack)) == NOT_APPLICABLE


def test_express_workflow_non_compliant(stack: cdk.Stack) -> None:
    # GIVEN an Express workflow (5 min) calling an agent synchronously (up to 15 min)
    node = _state_machine(stack, "Express", "EXPRESS", _INVOKE)
    assert express_workflow_invokes_agent(node) == NON_COMPLIANT


# -- through the pack: rule ids --------------------------------------------------------------------------


def test_pack_reports_rule_ids_in_cdk_nag_style() -> None:
    # GIVEN an L1 app breaking one rule of each kind
    app, stack = new_stack()
    runtime = cfn_runtime(
        stack, name="bad-name", environment_variables={"BAD-KEY": "x"}, lifecycle_configuration=_lifecycle(30, 600)
    )
    cfn_endpoint(stack, runtime, "Prod", name="prod")
    _rest_method(stack, "Post", "POST", "NONE")
    # WHEN the pack validates the tree
    found = violations(app)
    # THEN ids are AgentCore-<Rule> with granular suffixes
    assert set(found) == {
        "AgentCore-RuntimeName",
        "AgentCore-Lifecycle[IdleRuntimeSessionTimeout]",
        "AgentCore-Env[Key]",
        "AgentCore-EndpointVersion",
        "AgentCore-PublicApi",
        "AgentCore-Alarms[Throttles]",
        "AgentCore-Alarms[ActiveSessionCount]",
    }
    assert found["AgentCore-RuntimeName"] == ["L1Stack/Runtime"]


# -- values the rules cannot see: no guessing -------------------------------------------------------------


def _parameter(stack: cdk.Stack, name: str, kind: str = "Number") -> cdk.CfnParameter:
    return cdk.CfnParameter(stack, name, type=kind)


def test_lifecycle_not_applicable_when_a_value_is_an_intrinsic(stack: cdk.Stack) -> None:
    # GIVEN a lifetime read from a parameter (it may be 9 h at deploy time) and a valid idle timeout
    lifetime = _parameter(stack, "Lifetime").value_as_number
    node = cfn_runtime(stack, lifecycle_configuration=_lifecycle(900, lifetime))
    # THEN the rule does not call it compliant
    assert lifecycle_within_limits(node) == NOT_APPLICABLE
    # AND a concrete problem next to an unseen value is still reported
    bad = cfn_runtime(stack, "Bad", name="bad_agent", lifecycle_configuration=_lifecycle(30, lifetime))
    assert lifecycle_within_limits(bad) == ["IdleRuntimeSessionTimeout"]


def test_lifecycle_not_applicable_when_the_configuration_is_an_intrinsic(stack: cdk.Stack) -> None:
    condition = cdk.CfnCondition(stack, "Long", expression=cdk.Fn.condition_equals(cdk.Aws.REGION, "us-east-1"))
    config = cdk.Fn.condition_if(
        condition.logical_id, {"IdleRuntimeSessionTimeout": 900, "MaxLifetime": 30 * 3600}, cdk.Aws.NO_VALUE
    )
    assert lifecycle_within_limits(cfn_runtime(stack, lifecycle_configuration=config)) == NOT_APPLICABLE


def test_environment_not_applicable_when_a_value_is_an_intrinsic(stack: cdk.Stack) -> None:
    # a value joined at deploy time may be longer than the limit: not measured, not called compliant
    long_value = cdk.Fn.join("", [cdk.Aws.STACK_ID, _parameter(stack, "Suffix", "String").value_as_string])
    node = cfn_runtime(stack, environment_variables={"CONFIG": long_value, "LOG_LEVEL": "INFO"})
    assert environment_within_limits(node) == NOT_APPLICABLE
    # AND the keys and count are still checked next to it
    bad = cfn_runtime(stack, "Bad", name="bad_agent", environment_variables={"CONFIG": long_value, "BAD-KEY": "x"})
    assert environment_within_limits(bad) == ["Key"]


def test_endpoint_version_not_applicable_when_read_from_a_parameter(stack: cdk.Stack) -> None:
    # GIVEN an endpoint whose version is a parameter (which may well be "1")
    runtime = cfn_runtime(stack)
    version = _parameter(stack, "Version", "String").value_as_string
    endpoint = cfn_endpoint(stack, runtime, "Prod", name="prod", version=version)
    # THEN the rule neither passes nor fails it
    assert endpoint_follows_deployments(endpoint) == NOT_APPLICABLE


def _document(statement: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_model_access_not_applicable_when_actions_are_intrinsics(stack: cdk.Stack) -> None:
    # GIVEN a role whose only statement takes its actions from a parameter
    role = cfn_role(stack)
    actions = cdk.Fn.split(",", _parameter(stack, "Actions", "String").value_as_string)
    iam.CfnPolicy(
        stack, "Dynamic", policy_name="dynamic", roles=[role.ref],
        policy_document=_document({"Effect": "Allow", "Action": actions, "Resource": "*"}),
    )
    assert model_access_granted(cfn_runtime(stack, role_arn=role.attr_arn)) == NOT_APPLICABLE


def test_model_access_understands_not_action(stack: cdk.Stack) -> None:
    # GIVEN a role allowed everything but IAM: bedrock:InvokeModel included
    role = cfn_role(stack)
    iam.CfnPolicy(
        stack, "Broad", policy_name="broad", roles=[role.ref],
        policy_document=_document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
    )
    assert model_access_granted(cfn_runtime(stack, role_arn=role.attr_arn)) == COMPLIANT
    # AND a NotAction that excludes bedrock grants no model access
    other = cfn_role(stack, "Other")
    iam.CfnPolicy(
        stack, "NoBedrock", policy_name="nobedrock", roles=[other.ref],
        policy_document=_document({"Effect": "Allow", "NotAction": "bedrock:*", "Resource": "*"}),
    )
    node = cfn_runtime(stack, "OtherRuntime", name="other_agent", role_arn=other.attr_arn)
    assert model_access_granted(node) == NON_COMPLIANT


# -- AgentCore-PublicApi on HTTP APIs ----------------------------------------------------------------------


def _http_route(stack: cdk.Stack, construct_id: str, route_key: str, auth: str | None) -> apigwv2.CfnRoute:
    api = stack.node.try_find_child("HttpApi") or apigwv2.CfnApi(stack, "HttpApi", name="agents", protocol_type="HTTP")
    return apigwv2.CfnRoute(stack, construct_id, api_id=api.ref, route_key=route_key, authorization_type=auth)  # type: ignore[attr-defined]


def test_public_api_checks_every_http_api_route(stack: cdk.Stack) -> None:
    # GIVEN an HTTP API in front of an agent, one route without authorization
    assert api_requires_authorization(_http_route(stack, "Open", "POST /invoke", None)) == NON_COMPLIANT
    assert api_requires_authorization(_http_route(stack, "Default", "$default", "NONE")) == NON_COMPLIANT
    # THEN routes with an authorizer pass, and CORS preflight routes are exempt
    assert api_requires_authorization(_http_route(stack, "Jwt", "POST /chat", "JWT")) == COMPLIANT
    assert api_requires_authorization(_http_route(stack, "Preflight", "OPTIONS /invoke", None)) == NOT_APPLICABLE


def test_express_workflow_sees_a_substituted_resource(stack: cdk.Stack) -> None:
    # GIVEN an Express workflow whose task resource comes from DefinitionSubstitutions
    definition = '{"StartAt":"Call","States":{"Call":{"Type":"Task","End":true,"Resource":"${Invoke}"}}}'
    node = sfn.CfnStateMachine(
        stack, "Substituted", role_arn="arn:aws:iam::123456789012:role/sfn", state_machine_type="EXPRESS",
        definition_string=definition, definition_substitutions={"Invoke": _INVOKE},
    )
    assert express_workflow_invokes_agent(node) == NON_COMPLIANT
