"""AgentCore-PublicApi: API Gateway methods and WebSocket $connect routes without authorization."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import concrete_str, logical_id, properties, references, resource_type, stack_resources
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.limits.catalog import QuotaCatalog

_REST_METHOD = "AWS::ApiGateway::Method"
_V2_ROUTE = "AWS::ApiGatewayV2::Route"
_V2_API = "AWS::ApiGatewayV2::Api"
_HTTP = "HTTP"
_NONE = "NONE"
#: CORS preflight requests are sent without credentials, so OPTIONS methods are exempt.
_PREFLIGHT = "OPTIONS"
#: WebSocket APIs authorize once, on the connect route.
_CONNECT_ROUTE = "$connect"


def _http_api_route(route: cdk.CfnResource) -> bool:
    """Whether a V2 route belongs to an HTTP API defined in the same stack (``ProtocolType`` ``HTTP``)."""
    api_id = properties(route).get("ApiId")
    return any(
        references(api_id, logical_id(api)) and concrete_str(properties(api).get("ProtocolType")) == _HTTP
        for api in stack_resources(route, _V2_API)
    )


def api_requires_authorization(node: cdk.CfnResource) -> RuleResult:
    """Non-compliant for a REST method (other than OPTIONS), a WebSocket ``$connect`` route or an HTTP API
    route (other than ``OPTIONS ...``) with ``AuthorizationType`` ``NONE`` (or unset, which means ``NONE``).

    Other WebSocket routes are not applicable (a WebSocket API authorizes on ``$connect`` only), nor are
    V2 routes whose API is not defined in the stack and whose key is not ``$connect``; an authorization
    type that is an intrinsic is not applicable.
    """
    cfn_type = resource_type(node)
    if cfn_type not in (_REST_METHOD, _V2_ROUTE):
        return NagRuleCompliance.NOT_APPLICABLE
    props = properties(node)
    if cfn_type == _REST_METHOD:
        if concrete_str(props.get("HttpMethod")) == _PREFLIGHT:
            return NagRuleCompliance.NOT_APPLICABLE
    else:
        route_key = concrete_str(props.get("RouteKey"))
        if route_key is None or route_key.upper().startswith(f"{_PREFLIGHT} "):
            return NagRuleCompliance.NOT_APPLICABLE
        if route_key != _CONNECT_ROUTE and not _http_api_route(node):
            return NagRuleCompliance.NOT_APPLICABLE
    raw = props.get("AuthorizationType", _NONE)
    auth = concrete_str(raw)
    if auth is None:
        return NagRuleCompliance.NOT_APPLICABLE
    return NagRuleCompliance.NON_COMPLIANT if auth.upper() == _NONE else NagRuleCompliance.COMPLIANT


def _explanation(catalog: QuotaCatalog, region: str | None) -> str:
    return (
        "An API in front of an agent spends the account's AgentCore capacity (the data-plane request pool and "
        "the active-session quota) on behalf of whoever calls it, and may expose the agent's tools and data. "
        "Require IAM, Cognito, JWT or a Lambda authorizer on every method (REST), every route (HTTP API) or on "
        "the $connect route (WebSocket); AgentApiFacade uses IAM by default. Acknowledge the finding only for "
        "an API that is deliberately public and throttled."
    )


RULE = RuleSpec(
    rule_id="PublicApi",
    level=NagMessageLevel.WARN,
    info="The API Gateway method, HTTP API route or WebSocket $connect route does not require authorization.",
    explanation=_explanation,
    check=api_requires_authorization,
    resource_types=frozenset({_REST_METHOD, _V2_ROUTE}),
)
