"""The routes of an API as the synthesized template declares them, and the function each one invokes.

REST: ``AWS::ApiGateway::Resource`` path parts chained through ``ParentId`` to the root, each
``AWS::ApiGateway::Method`` with its HTTP method, authorization type, ``AWS_PROXY`` integration (the function
named in its ``Uri``, ``TimeoutInMillis``, ``ResponseTransferMode: STREAM``) and request body model.
WebSocket: ``AWS::ApiGatewayV2::Route`` route keys, their ``Target`` integration and its function.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tests.harness._servers import HarnessError


@dataclass(frozen=True)
class RestRoute:
    """One method of a REST API.

    Attributes:
        http_method: ``GET``, ``POST``... (``ANY`` matches every method).
        resource_path: ``/jobs/{jobId}``.
        function_id: logical id of the proxied function.
        authorization: ``AWS_IAM``, ``NONE``, ``CUSTOM`` or ``COGNITO_USER_POOLS``.
        timeout_ms: the integration timeout.
        streaming: the integration streams the response (``ResponseTransferMode: STREAM``).
        body_schema: the JSON schema of the body when the method validates bodies, else ``None``.
    """

    http_method: str
    resource_path: str
    function_id: str
    authorization: str
    timeout_ms: int
    streaming: bool
    body_schema: Mapping[str, Any] | None

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters if ``method`` and ``path`` are this route's, else ``None``."""
        if self.http_method not in ("ANY", method):
            return None
        regex = ""
        for part in re.split(r"(\{[^}]+\})", self.resource_path):
            if part.startswith("{"):
                name = part[1:-1]
                regex += f"(?P<{name.rstrip('+')}>{'.+' if name.endswith('+') else '[^/]+'})"
            else:
                regex += re.escape(part)
        found = re.fullmatch(regex, path)
        return dict(found.groupdict()) if found else None


@dataclass(frozen=True)
class WebSocketRoute:
    """One route of a WebSocket API: its key (``$connect``...), function and authorization type."""

    route_key: str
    function_id: str
    authorization: str


def _function_of(uri: Any) -> str:
    """The logical id in the ``Fn::GetAtt [<function>, Arn]`` inside an integration URI."""
    for node in _walk(uri):
        if isinstance(node, Mapping) and "Fn::GetAtt" in node:
            logical_id, attribute = node["Fn::GetAtt"]
            if attribute == "Arn":
                return str(logical_id)
    raise HarnessError(f"integration URI {uri!r} names no function")


def _walk(value: Any) -> Iterator[Any]:
    yield value
    children = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
    for child in children:
        yield from _walk(child)


def _id_of(reference: Any) -> str | None:
    if isinstance(reference, Mapping):
        if "Ref" in reference:
            return str(reference["Ref"])
        if "Fn::GetAtt" in reference:
            return None  # the root resource (RootResourceId of the API)
    raise HarnessError(f"unexpected resource reference {reference!r}")


def rest_routes(template: Mapping[str, Any], rest_api_id: str, *, default_timeout_ms: int) -> list[RestRoute]:
    """Every proxied method of the REST API ``rest_api_id`` (a logical id).

    ``default_timeout_ms`` is the integration timeout of a method whose template gives none (API Gateway's).
    """
    resources = template.get("Resources", {})

    def belongs(resource: Mapping[str, Any]) -> bool:
        return bool(resource.get("Properties", {}).get("RestApiId") == {"Ref": rest_api_id})

    def path_of(resource_id: str | None) -> str:
        if resource_id is None:
            return ""
        properties = resources[resource_id]["Properties"]
        return f"{path_of(_id_of(properties['ParentId']))}/{properties['PathPart']}"

    routes = []
    for resource in resources.values():
        if resource["Type"] != "AWS::ApiGateway::Method" or not belongs(resource):
            continue
        properties = resource["Properties"]
        integration = properties.get("Integration", {})
        if integration.get("Type") != "AWS_PROXY":
            continue
        schema = None
        model = properties.get("RequestModels", {}).get("application/json")
        if model is not None and properties.get("RequestValidatorId") is not None:
            validator = resources[_id_of(properties["RequestValidatorId"]) or ""]["Properties"]
            if validator.get("ValidateRequestBody"):
                schema = resources[_id_of(model) or ""]["Properties"]["Schema"]
        routes.append(RestRoute(
            http_method=properties["HttpMethod"],
            resource_path=path_of(_id_of(properties["ResourceId"])) or "/",
            function_id=_function_of(integration["Uri"]),
            authorization=properties.get("AuthorizationType", "NONE"),
            timeout_ms=int(integration.get("TimeoutInMillis", default_timeout_ms)),
            streaming=integration.get("ResponseTransferMode") == "STREAM",
            body_schema=schema,
        ))
    if not routes:
        raise HarnessError(f"{rest_api_id} has no Lambda proxy methods")
    return routes


def websocket_routes(template: Mapping[str, Any], api_id: str) -> dict[str, WebSocketRoute]:
    """The Lambda proxy routes of the WebSocket API ``api_id`` (a logical id), by route key."""
    resources = template.get("Resources", {})
    routes = {}
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] != "AWS::ApiGatewayV2::Route" or properties.get("ApiId") != {"Ref": api_id}:
            continue
        target = properties.get("Target")
        integration_id = next(
            (n["Ref"] for n in _walk(target) if isinstance(n, Mapping) and "Ref" in n), None
        )
        if integration_id is None:
            continue
        integration = resources[integration_id]["Properties"]
        if integration.get("IntegrationType") != "AWS_PROXY":
            continue
        routes[properties["RouteKey"]] = WebSocketRoute(
            properties["RouteKey"], _function_of(integration["IntegrationUri"]),
            properties.get("AuthorizationType", "NONE"),
        )
    if not routes:
        raise HarnessError(f"{api_id} has no Lambda proxy routes")
    return routes


def stage_name(template: Mapping[str, Any], api_id: str) -> str:
    """The name of the (only) stage of an API (REST ``AWS::ApiGateway::Stage`` or ``AWS::ApiGatewayV2::Stage``)."""
    names = [
        r["Properties"]["StageName"] for r in template.get("Resources", {}).values()
        if r["Type"] in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage")
        and {"Ref": api_id} in (r["Properties"].get("RestApiId"), r["Properties"].get("ApiId"))
    ]
    if len(names) != 1:
        raise HarnessError(f"{api_id} has {len(names)} stages; pass the stage name")
    return str(names[0])
