"""Checks of the L2 ``Runtime`` options an AgentCoreAgent passes through: types, request headers, platform version.

Each check runs before the L2 sees the value, so a wrong value is a :class:`ConstructsLibValidationError` naming the
prop, never a jsii trace from the L2's own validation, and AgentCore's rules that the L2 and the CloudFormation schema
leave to deployment are checked at synth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib._cdk.reporting import report_unresolved
from constructs_lib._cdk.scope import path_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.limits.service import AUTHORIZATION_HEADER, PLATFORM_VERSION_V2_REGIONS
from constructs_lib.limits.validation import request_header_problems

#: The props checked by type, with the type each must have and how to make one (for the message).
_TYPES: Mapping[str, tuple[type | tuple[type, ...], str]] = {
    "platform_version": (agentcore.PlatformVersion, "a PlatformVersion (PlatformVersion.V1, V2 or of(...))"),
    "protocol_configuration": (agentcore.ProtocolType, "a ProtocolType (ProtocolType.HTTP, MCP, A2_A, AGUI)"),
    "authorizer_configuration": (
        agentcore.RuntimeAuthorizerConfiguration,
        "a RuntimeAuthorizerConfiguration (using_iam(), using_jwt(...), using_cognito(...), using_o_auth(...))",
    ),
    "request_header_configuration": (
        agentcore.RequestHeaderConfiguration,
        "a RequestHeaderConfiguration(allowlisted_headers=[...])",
    ),
    "tracing_enabled": (bool, "True or False"),
    "manage_delivery_resource_policy": (bool, "True or False"),
    "log_retention": (logs.RetentionDays, "a RetentionDays (RetentionDays.ONE_YEAR, ...)"),
    "log_encryption_key": (kms.IKey, "a KMS key (kms.IKey)"),
    "create_log_groups": (bool, "True or False"),
}


def check_option_types(path: str, options: Mapping[str, Any], logging_configs: Any) -> None:
    """Raise ``InvalidProps`` listing every option (``None`` means unset) that is not of its type."""
    problems = [
        f"{name} must be {description}, got {type(options[name]).__name__}"
        for name, (expected, description) in _TYPES.items()
        if options.get(name) is not None and not _is_instance(options[name], expected)
    ]
    if logging_configs is not None:
        if isinstance(logging_configs, str | Mapping) or not isinstance(logging_configs, Sequence):
            problems.append(f"logging_configs must be a list of LoggingConfig, got {type(logging_configs).__name__}")
        else:
            problems += [
                f"logging_configs[{index}] must be a LoggingConfig(log_type=LogType..., destination="
                f"LoggingDestination...), got {type(config).__name__}"
                for index, config in enumerate(logging_configs)
                if not isinstance(config, agentcore.LoggingConfig)
            ]
    raise_all("InvalidProps", problems, path)


def _is_instance(value: Any, expected: type | tuple[type, ...]) -> bool:
    # A jsii interface (kms.IKey) is a typing Protocol: any key construct or imported key implements it.
    if expected is kms.IKey:
        return hasattr(value, "key_arn") and hasattr(value, "add_to_resource_policy")
    return isinstance(value, expected)


@dataclass(frozen=True)
class RequestHeaders:
    """A checked request header allowlist.

    Attributes:
        names: the header names known at synth (checked).
        token_list: the allowlist when the whole list is a token: unchecked, and written to the L1, since the L2
            refuses a token list.
    """

    names: tuple[str, ...] = ()
    token_list: list[str] | None = None


def checked_request_headers(
    scope: Construct, configuration: agentcore.RequestHeaderConfiguration | None, catalog: QuotaCatalog
) -> RequestHeaders:
    """The header names of ``configuration``, after checking them against AgentCore's rules.

    Raises:
        ConstructsLibValidationError: ``InvalidRequestHeaders`` listing every problem.
    """
    if configuration is None or configuration.allowlisted_headers is None:
        return RequestHeaders()
    headers = configuration.allowlisted_headers
    param = "request_header_configuration.allowlisted_headers"
    if is_unresolved(headers):
        report_unresolved(scope, param, "the request header rules")
        return RequestHeaders(token_list=list(headers))
    if isinstance(headers, str) or not all(isinstance(header, str) for header in headers):
        raise ConstructsLibValidationError(
            "InvalidRequestHeaders", f"{param} must be a list of header names, got {headers!r}", path_of(scope)
        )
    if any(is_unresolved(header) for header in headers):
        report_unresolved(scope, f"a header of {param}", "the request header rules")
    raise_all("InvalidRequestHeaders", request_header_problems(list(headers), catalog, param), path_of(scope))
    return RequestHeaders(tuple(header for header in headers if not is_unresolved(header)))


def check_authorization_header(scope: Construct, headers: Sequence[str], runtime: agentcore.CfnRuntime) -> None:
    """``Authorization`` is forwarded only by a runtime with a JWT authorizer (``customJWTAuthorizer``).

    Read from the rendered runtime: the L2's authorizer classes do not say their kind in Python.

    Raises:
        ConstructsLibValidationError: ``AuthorizationHeaderWithoutJwt``.
    """
    if not any(header.lower() == AUTHORIZATION_HEADER.lower() for header in headers):
        return
    rendered = cdk.Stack.of(scope).resolve(runtime._cfn_properties.get("authorizerConfiguration"))
    if isinstance(rendered, Mapping) and rendered.get("customJwtAuthorizer") is not None:
        return
    raise ConstructsLibValidationError(
        "AuthorizationHeaderWithoutJwt",
        f"request_header_configuration forwards {AUTHORIZATION_HEADER}, which AgentCore forwards only to a runtime "
        "with a JWT authorizer; with IAM (SigV4) authorization the header carries the caller's signature: set "
        "authorizer_configuration=RuntimeAuthorizerConfiguration.using_jwt(...), using_cognito(...) or "
        f"using_o_auth(...), or remove {AUTHORIZATION_HEADER}",
        path_of(scope),
    )


def check_platform_version(
    scope: Construct, platform_version: agentcore.PlatformVersion | None, region: str | None
) -> None:
    """Platform version V2 exists in some regions only (``limits.service.PLATFORM_VERSION_V2_REGIONS``).

    Raises:
        ConstructsLibValidationError: ``PlatformVersionNotInRegion``.
    """
    if platform_version is None or platform_version.value != agentcore.PlatformVersion.V2.value:
        return
    if region is None:
        report_unresolved(scope, "the stack's region", "the regions where platform_version V2 is available")
        return
    if region not in PLATFORM_VERSION_V2_REGIONS:
        raise ConstructsLibValidationError(
            "PlatformVersionNotInRegion",
            f"platform_version V2 is not available in {region} (it is in "
            f"{', '.join(sorted(PLATFORM_VERSION_V2_REGIONS))}); omit platform_version or use PlatformVersion.V1 in "
            "this region",
            path_of(scope),
        )


__all__ = [
    "RequestHeaders",
    "check_authorization_header",
    "check_option_types",
    "check_platform_version",
    "checked_request_headers",
]
