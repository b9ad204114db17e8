"""What the REST facades share: the body models, the stage settings, authorization, and the managed-rules web ACL.

Module functions (composition): :class:`~constructs_lib.serving.api_facade.AgentApiFacade` (one agent) and
:class:`~constructs_lib.serving.shared_api.AgentPlatformApi` (a platform's agents, one route each) build their APIs
with them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from constructs_lib._cdk import nag
from constructs_lib._cdk.scope import path_of
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.service import SESSION_ID_PATTERN
from constructs_lib.serving._facade_base import FacadeCore
from constructs_lib.serving.auth import AuthKind, FacadeAuth


def default_request_schema(catalog: QuotaCatalog) -> Mapping[str, Any]:
    """The request body model used unless ``request_schema`` is given (JSON Schema draft 4).

    ``payloadKey`` is an S3 object key, within S3's key length (quota ``s3_object_key_length``).
    """
    return {
        "type": "object",
        "required": ["prompt"],
        "properties": {
            "prompt": {"type": "string", "minLength": 1},
            "sessionId": {"type": "string", "pattern": SESSION_ID_PATTERN.pattern},
            "payloadKey": {
                "type": "string", "minLength": 1,
                "maxLength": int(catalog.value(QuotaName.S3_OBJECT_KEY_LENGTH)),
            },
        },
    }


#: The body model of ``POST /uploads``.
UPLOAD_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "size": {"type": "integer", "minimum": 1},
        "contentType": {"type": "string", "maxLength": 256},
        "fileName": {"type": "string", "maxLength": 255},
    },
    "additionalProperties": False,
}
_DRAFT4 = "http://json-schema.org/draft-04/schema#"


def rest_stage_options(
    *,
    stage_name: str,
    access_log_group: logs.ILogGroup,
    logging_level: apigw.MethodLoggingLevel,
    throttle_rate_limit: float,
    throttle_burst_limit: int,
    method_options: Mapping[str, apigw.MethodDeploymentOptions] | None,
) -> apigw.StageOptions:
    """A stage with JSON access logs, X-Ray tracing, execution logging without bodies, metrics and throttling."""
    return apigw.StageOptions(
        stage_name=stage_name,
        access_log_destination=apigw.LogGroupLogDestination(access_log_group),
        access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
            caller=True, http_method=True, ip=True, protocol=True, request_time=True,
            resource_path=True, response_length=True, status=True, user=True,
        ),
        tracing_enabled=True,
        logging_level=logging_level,
        metrics_enabled=True,
        # Request and response bodies carry prompts and answers: never log them.
        data_trace_enabled=False,
        throttling_rate_limit=throttle_rate_limit,
        throttling_burst_limit=throttle_burst_limit,
        method_options=dict(method_options) if method_options else None,
    )


def rest_authorization(
    scope: Construct, core: FacadeCore
) -> tuple[apigw.AuthorizationType, apigw.IAuthorizer | None, list[str] | None]:
    """The default method authorization of an API for ``core.auth`` (an authorizer ``Authorizer`` under ``scope``
    when one is needed); ``FacadeAuth.none()`` warns ``UnauthenticatedApi``."""
    auth = core.auth
    if auth.kind is AuthKind.IAM:
        return apigw.AuthorizationType.IAM, None, None
    if auth.kind is AuthKind.COGNITO:
        authorizer = apigw.CognitoUserPoolsAuthorizer(scope, "Authorizer", cognito_user_pools=auth.user_pools)
        return apigw.AuthorizationType.COGNITO, authorizer, auth.scopes
    if auth.kind is AuthKind.LAMBDA:
        assert auth.function is not None
        token = apigw.TokenAuthorizer(
            scope, "Authorizer", handler=auth.function, identity_source=_identity_source(auth, scope),
            results_cache_ttl=auth.results_cache_ttl,
        )
        return apigw.AuthorizationType.CUSTOM, token, None
    core.warn_unauthenticated("API")
    return apigw.AuthorizationType.NONE, None, None


def _identity_source(auth: FacadeAuth, scope: Construct) -> str:
    """A TOKEN authorizer reads one ``method.request...`` source: the ``Authorization`` header by default."""
    source = auth.identity_source
    if source is None:
        return apigw.IdentitySource.header("Authorization")
    if not isinstance(source, str) or not source.startswith("method.request."):
        raise ConstructsLibValidationError(
            "UnsupportedAuth",
            f"identity_source of a REST facade's Lambda authorizer must be one 'method.request...' source, "
            f"got {source!r}",
            path_of(scope),
        )
    return source


def acknowledge_auth(api: apigw.RestApi, auth: FacadeAuth, what: str) -> None:
    """Acknowledge ``AwsSolutions-COG4`` on ``api`` when IAM or a Lambda authorizer authenticates its callers."""
    reasons = {
        AuthKind.IAM: "uses IAM (SigV4) authorization on every method, which authenticates callers without a "
        "Cognito user pool",
        AuthKind.LAMBDA: "authenticates every method with a Lambda token authorizer chosen by the user "
        "(FacadeAuth.lambda_authorizer)",
    }
    reason = reasons.get(auth.kind)
    if reason is not None:
        nag.acknowledge(api, "AwsSolutions-COG4", [None], f"{what} {reason}")


def json_model(api: apigw.RestApi, construct_id: str, schema: Mapping[str, Any]) -> apigw.Model:
    """A JSON body model of ``api`` with ``schema`` passed as given (a dict, JSON Schema draft 4)."""
    model = api.add_model(
        construct_id,
        content_type="application/json",
        schema=apigw.JsonSchema(schema=apigw.JsonSchemaVersion.DRAFT4, type=apigw.JsonSchemaType.OBJECT),
    )
    # The user's schema is passed as given (a dict), not re-expressed through JsonSchema's typed props.
    cfn: apigw.CfnModel = model.node.default_child  # type: ignore[assignment]
    cfn.add_property_override("Schema", {"$schema": _DRAFT4, **schema})
    return model


def schema_problems(schema: Any) -> list[str]:
    """Problems with a user's request schema: a JSON object schema, valid as JSON Schema draft 4."""
    if not isinstance(schema, Mapping):
        return [f"request_schema must be a JSON Schema object (dict), got {type(schema).__name__}"]
    problems: list[str] = []
    if schema.get("type") != "object":
        problems.append(
            f"request_schema must describe a JSON object (\"type\": \"object\"), got {schema.get('type')!r}"
        )
    try:
        from jsonschema import Draft4Validator
        from jsonschema.exceptions import SchemaError
    except ImportError:  # pragma: no cover - jsonschema is optional; API Gateway validates at deploy
        return problems
    try:
        Draft4Validator.check_schema(dict(schema))
    except SchemaError as exc:
        problems.append(f"request_schema is not valid JSON Schema draft 4: {exc.message}")
    return problems


def managed_rules_web_acl(scope: Construct, catalog: QuotaCatalog) -> wafv2.CfnWebACL:
    """A regional web ACL ``WebAcl`` under ``scope`` with AWS managed rules: the common rule set (its body size rule
    only counting) and known bad inputs; its metric name within WAF's metric name length."""
    metric_name_length = int(catalog.value(QuotaName.WAF_METRIC_NAME_LENGTH))

    def managed(name: str, priority: int, overrides: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS",
                    name=name,
                    rule_action_overrides=[
                        wafv2.CfnWebACL.RuleActionOverrideProperty(
                            name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                        )
                        for rule in overrides
                    ] or None,
                )
            ),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            ),
        )

    return wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        rules=[
            # Prompts routinely exceed the common rule set's body size rule: that rule only counts.
            managed("AWSManagedRulesCommonRuleSet", 0, ("SizeRestrictions_BODY",)),
            managed("AWSManagedRulesKnownBadInputsRuleSet", 1),
        ],
        visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=cdk.Names.unique_id(scope)[-metric_name_length:],
            sampled_requests_enabled=True,
        ),
    )


__all__ = [
    "UPLOAD_SCHEMA",
    "acknowledge_auth",
    "default_request_schema",
    "json_model",
    "managed_rules_web_acl",
    "rest_authorization",
    "rest_stage_options",
    "schema_problems",
]
