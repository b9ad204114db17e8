"""The server side of a rest-json botocore service model: requests to operations, answers to the wire.

The stand-ins do not re-type AWS's wire format; they read it from the botocore model installed with boto3
(``botocore/data/<service>/<version>/service-2.json``): each operation's method and URI template, where each
input member travels (URI label, query string, header, JSON body or streamed payload), the header names of
the output members, and each error's HTTP status. Errors go out the restJson1 way: the status from the
error shape, an ``X-Amzn-ErrorType`` header and a JSON body with ``message`` (botocore reads the code
from the header).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

#: Errors every AWS JSON service answers that no service model lists (authentication happens first).
COMMON_ERRORS: Mapping[str, int] = {
    "MissingAuthenticationTokenException": 403,
    "IncompleteSignatureException": 400,
    "InvalidSignatureException": 403,
    "UnrecognizedClientException": 403,
}


@functools.cache
def load_service_model(service_name: str) -> ServiceModel:
    """The botocore service model of ``service_name`` (cached: loading it takes a few milliseconds)."""
    return botocore.session.get_session().get_service_model(service_name)


@dataclass(frozen=True)
class ParsedRequest:
    """One request, read through the model.

    Attributes:
        operation: the operation model.
        params: the input members by their model names, as a boto3 caller would pass them.
        headers: every request header, lower-case names.
        body: the raw body.
        base_path: what preceded the operation's URI (a stage, for the management API).
    """

    operation: OperationModel
    params: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    base_path: str = ""

    @property
    def name(self) -> str:
        """The operation name (``InvokeAgentRuntime``)."""
        return str(self.operation.name)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, headers, body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    operation: OperationModel


def _uri_pattern(request_uri: str) -> re.Pattern[str]:
    """``/runtimes/{agentRuntimeArn}/invocations`` as a regular expression with one group per label."""
    path = request_uri.split("?", 1)[0]
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            label = part[1:-1]
            greedy = label.endswith("+")
            regex += f"(?P<{label.rstrip('+')}>{'.+' if greedy else '[^/]+'})"
        else:
            regex += re.escape(part)
    return re.compile(f"(?P<_base>(?:/[^/@]+)*?){regex}")


class RestJsonService:
    """Routes HTTP requests to the operations of a rest-json service and shapes its answers.

    Args:
        service_name: the botocore service name (``bedrock-agentcore``, ``apigatewaymanagementapi``).
        operations: the operations served. Default: all of the model's.
    """

    def __init__(self, service_name: str, operations: tuple[str, ...] | None = None) -> None:
        self.model = load_service_model(service_name)
        if self.model.protocol != "rest-json":
            raise ValueError(f"{service_name} speaks {self.model.protocol}, not rest-json")
        names = operations or tuple(self.model.operation_names)
        self._routes = [self._route(self.model.operation_model(name)) for name in names]

    @staticmethod
    def _route(operation: OperationModel) -> _Route:
        return _Route(operation.http["method"], _uri_pattern(operation.http["requestUri"]), operation)

    @property
    def signing_name(self) -> str:
        """The SigV4 service name of the credential scope."""
        return str(self.model.signing_name)

    # -- requests --------------------------------------------------------------------------------------

    def parse(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> ParsedRequest | None:
        """Read a request; ``None`` when no operation of the model has this method and path.

        Raises:
            ModelValidationError: the request does not satisfy the operation's input shape.
        """
        path, _, query = target.partition("?")
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if route.method == method and match:
                labels = {k: unquote(v) for k, v in match.groupdict().items() if k != "_base"}
                params = self._params(route.operation, labels, parse_qs(query), headers, body)
                return ParsedRequest(route.operation, params, dict(headers), body, match.group("_base"))
        return None

    def _params(
        self, operation: OperationModel, labels: Mapping[str, str], query: Mapping[str, list[str]],
        headers: Mapping[str, str], body: bytes,
    ) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:
            return {}
        params: dict[str, Any] = {}
        payload_member = shape.serialization.get("payload")
        json_body = None
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire_name = member.serialization.get("name", name)
            if location == "uri":
                value: Any = labels.get(wire_name)
            elif location == "querystring":
                value = query.get(wire_name, [None])[0]
            elif location == "header":
                value = headers.get(wire_name.lower())
            elif name == payload_member:
                value = body if member.type_name == "blob" else (json.loads(body) if body else None)
            else:
                if json_body is None:
                    json_body = json.loads(body) if body else {}
                value = json_body.get(wire_name)
            if value is not None:
                params[name] = _typed(member, value)
        report = ParamValidator().validate(params, shape)
        if report.has_errors():
            raise ModelValidationError(report.generate_report())
        return params

    # -- answers ---------------------------------------------------------------------------------------

    def success(self, operation: OperationModel, body: bytes = b"", **members: Any) -> Answer:
        """The operation's success status with output members placed as the model says (headers here)."""
        headers = {"X-Amzn-RequestId": str(uuid.uuid4())}
        output = operation.output_shape
        for name, value in members.items():
            if value is None:
                continue
            member = output.members[name] if output is not None else None
            if member is None or member.serialization.get("location") != "header":
                raise ValueError(f"{operation.name} has no header member {name!r}")
            headers[member.serialization["name"]] = str(value)
        if body and not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
        return Answer(int(operation.http.get("responseCode", 200)), headers, body)

    def json_body(self, operation: OperationModel, **members: Any) -> bytes:
        """The operation's JSON output body: members under their wire names, timestamps per their format."""
        output = operation.output_shape
        assert output is not None
        document: dict[str, Any] = {}
        for name, value in members.items():
            member = output.members[name]
            wire = member.serialization.get("name", name)
            if member.type_name == "timestamp":
                document[wire] = value.isoformat() if member.serialization.get("timestampFormat") == "iso8601" \
                    else value.timestamp()
            elif member.type_name == "structure":
                document[wire] = {member.members[k].serialization.get("name", k): v for k, v in value.items()}
            else:
                document[wire] = value
        return json.dumps(document).encode()

    def error(self, operation: OperationModel | None, code: str, message: str, **fields: Any) -> Answer:
        """A restJson1 error the model declares for ``operation`` (or an authentication error any service has).

        The required members of the error shape are filled in when not given (``reason`` of a
        ``ValidationException``), so that what goes out is what the service could send.

        Raises:
            ValueError: the operation cannot answer this error per the model.
        """
        if code in COMMON_ERRORS:
            status = COMMON_ERRORS[code]
        else:
            shape = self._error_shape(operation, code)
            status = int(shape.metadata["error"]["httpStatusCode"])
            for required in shape.required_members:
                fields.setdefault(required, message if required == "message" else _placeholder(shape, required))
        body = json.dumps({"message": message, **fields}).encode()
        headers = {"Content-Type": "application/json", "X-Amzn-ErrorType": code, "X-Amzn-RequestId": str(uuid.uuid4())}
        return Answer(status, headers, body)

    def _error_shape(self, operation: OperationModel | None, code: str) -> Shape:
        errors = {shape.name: shape for shape in (operation.error_shapes if operation else [])}
        if code not in errors:
            name = operation.name if operation else "the service"
            raise ValueError(f"{name} cannot answer {code} per the {self.model.service_name} model: {sorted(errors)}")
        return errors[code]


class ModelValidationError(ValueError):
    """A request that does not satisfy its operation's input shape (answered as ``ValidationException``)."""


def _typed(member: Shape, value: Any) -> Any:
    """A URI, query or header string converted to the member's type."""
    if not isinstance(value, str):
        return value
    if member.type_name in ("integer", "long"):
        return int(value)
    if member.type_name == "boolean":
        return value.lower() == "true"
    return value


def _placeholder(shape: Shape, member: str) -> Any:
    """A value for a required error member: the first enum value of a string member, else a plain string."""
    target = shape.members[member]
    enum = getattr(target, "enum", None)
    return enum[0] if enum else member
