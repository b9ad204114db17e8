"""AgentCore-PublicApi: API Gateway methods and WebSocket $connect routes without authorization."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import NagMessageLevel, NagRuleCompliance

from constructs_lib.checks._cfn import concrete_str, properties, resource_type
from constructs_lib.checks._spec import RuleResult, RuleSpec
from constructs_lib.quotas import QuotaCatalog

_REST_METHOD = "AWS::ApiGateway::Method"
_V2_ROUTE = "AWS::ApiGatewayV2::Route"
_NONE = "NONE"
#: CORS preflight requests are sent without credentials, so OPTIONS methods are exempt.
_PREFLIGHT = "OPTIONS"
#: WebSocket APIs authorize once, on the connect route.
_CONNECT_ROUTE = "$connect"


def api_requires_authorization(node: cdk.CfnResource) -> RuleResult:
    """Non-compliant for a REST method (other than OPTIONS) or a WebSocket ``$connect`` route with
    ``AuthorizationType`` ``NONE`` (or unset, which means ``NONE``).

    Other V2 routes are not applicable (a WebSocket API authorizes on ``$connect`` only); an
    authorization type that is an intrinsic is not applicable.
    """
    cfn_type = resource_type(node)
    if cfn_type not in (_REST_METHOD, _V2_ROUTE):
        return NagRuleCompliance.NOT_APPLICABLE
    props = properties(node)
    if cfn_type == _REST_METHOD:
        if concrete_str(props.get("HttpMethod")) == _PREFLIGHT:
            return NagRuleCompliance.NOT_APPLICABLE
    elif concrete_str(props.get("RouteKey")) != _CONNECT_ROUTE:
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
        "Require IAM, Cognito or a Lambda authorizer on every method (REST) or on the $connect route "
        "(WebSocket); AgentApiFacade uses IAM by default. Acknowledge the finding only for an API that is "
        "deliberately public and throttled."
    )


RULE = RuleSpec(
    rule_id="PublicApi",
    level=NagMessageLevel.WARN,
    info="The API Gateway method or WebSocket $connect route does not require authorization.",
    explanation=_explanation,
    check=api_requires_authorization,
    resource_types=frozenset({_REST_METHOD, _V2_ROUTE}),
)
