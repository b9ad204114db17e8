"""The harness of one synthesized stack: its stand-ins, bindings, sandboxes and front doors, stopped together.

::

    harness = Harness(SynthesizedStack.synth(stack), moto=moto, tripwire=tripwire)
    door = harness.rest_api(facade.api, default_caller=IamCaller.assumed_role("app", "alice"))
    urllib.request.urlopen(urllib.request.Request(door.stage_url + "/invoke", data=b'{"prompt": "hi"}'))
    harness.agentcore.invocations()   # what AgentCore received
    harness.close()

On creation it binds every template resource to a local name (:class:`Bindings`), creates the template's
tables and buckets in moto, declares the template's runtimes and endpoints to the AgentCore stand-in (so a
call to any other ARN or qualifier answers 404), and points boto3 in every sandbox at the stand-ins.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from typing import Any

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from tests.harness.agentcore import AgentCoreStandIn
from tests.harness.apigw_management import ManagementStandIn
from tests.harness.assembly import SynthesizedStack
from tests.harness.bindings import Bindings
from tests.harness.callers import Caller
from tests.harness.lambda_env import AwsEnvironment
from tests.harness.lambda_sandbox import LambdaSandbox
from tests.harness.lambda_service import LambdaStandIn
from tests.harness.moto_backend import MotoBackend
from tests.harness.proxy_events import ApiContext
from tests.harness.rest_front_door import RestFrontDoor
from tests.harness.routes import rest_routes, stage_name, websocket_routes
from tests.harness.tripwire import Tripwire
from tests.harness.websocket_driver import WebSocketDriver
from tests.harness.xray import XRayDaemon

_Key = tuple[str, frozenset[tuple[str, str]], float | None]


class Harness:
    """Runs the functions of one synthesized stack on this machine against local stand-ins.

    Args:
        stack: the synthesized stack.
        moto: the moto server (DynamoDB, S3, KMS, AgentCore control plane).
        tripwire: the endpoint of every other service.
        catalog: the quota catalog the front doors take their limits from. Default: the newest edition.
    """

    def __init__(
        self, stack: SynthesizedStack, *, moto: MotoBackend, tripwire: Tripwire, catalog: QuotaCatalog | None = None,
    ) -> None:
        self.stack = stack
        self.catalog = catalog or QuotaCatalog()
        self.moto = moto
        self.tripwire = tripwire
        region = stack.region
        self.bindings = Bindings.for_template(
            stack.template, account=stack.account, region=region, stack_name=stack.stack_name
        )
        self.agentcore = AgentCoreStandIn(region=region).start()
        self.management = ManagementStandIn(
            max_payload_bytes=int(self.catalog.value(QuotaName.API_GATEWAY_WEBSOCKET_MESSAGE_SIZE, region))
        ).start()
        #: Where the functions' X-Ray SDK sends its segments.
        self.xray = XRayDaemon().start()
        #: Lambda's Invoke (asynchronous) of the template's functions.
        self.lambda_service = LambdaStandIn(
            self._invoked, max_async_payload_bytes=int(self.catalog.value(QuotaName.LAMBDA_ASYNC_PAYLOAD, region))
        ).start()
        #: The tables, buckets and keys created in moto, ``{logical id: name or key id}``.
        self.resources = moto.create_template_resources(stack.template, self.bindings)
        self._register_runtimes()
        self.aws = AwsEnvironment(
            account=stack.account, region=region, default_endpoint=tripwire.url,
            endpoints={"bedrock-agentcore": self.agentcore.url, "dynamodb": moto.url, "s3": moto.url,
                       "bedrock-agentcore-control": moto.url, "kms": moto.url, "ssm": moto.url,
                       "apigatewaymanagementapi": self.management.url},
            xray_daemon_address=self.xray.address,
        )
        self._url_map: dict[str, str] = {}
        self._sandboxes: dict[_Key, LambdaSandbox] = {}
        self._routes: dict[tuple[frozenset[tuple[str, str]], float | None], str] = {}
        self._sandbox_lock = threading.RLock()  # the Lambda stand-in makes sandboxes from its own threads
        self._doors: list[RestFrontDoor] = []

    def _register_runtimes(self) -> None:
        qualifiers: dict[str, list[str]] = {}
        for endpoint in self.stack.resources("AWS::BedrockAgentCore::RuntimeEndpoint").values():
            properties = self.bindings.resolve(endpoint["Properties"])
            qualifiers.setdefault(str(properties["AgentRuntimeId"]), []).append(str(properties["Name"]))
        for logical_id in self.stack.resources("AWS::BedrockAgentCore::Runtime"):
            runtime_id = self.bindings.attribute(logical_id, "AgentRuntimeId")
            self.agentcore.register_runtime(
                self.bindings.attribute(logical_id, "AgentRuntimeArn"), ("DEFAULT", *qualifiers.get(runtime_id, ()))
            )

    # -- functions ---------------------------------------------------------------------------------------

    def physical_name(self, construct: Any) -> str:
        """The name the harness gave a resource (``Ref``): a table's or bucket's name, for moto clients."""
        return self.bindings.ref(self._logical_id(construct))

    def runtime_arn(self, agent: Any) -> str:
        """The ARN the harness gave an agent's runtime (an ``AgentCoreAgent``, its L2 or a logical id)."""
        target = getattr(agent, "runtime", agent)
        return self.bindings.attribute(self._logical_id(target), "AgentRuntimeArn")

    def variables(self, function: Any, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """A function's environment variables with intrinsics resolved, mapped URLs replaced, then ``overrides``."""
        spec = self.stack.function(self._logical_id(function))
        resolved = {name: str(self.bindings.resolve(value)) for name, value in spec.environment.items()}
        return {**{k: self._url_map.get(v, v) for k, v in resolved.items()}, **(overrides or {})}

    def sandbox(
        self, function: Any, *, overrides: Mapping[str, str] | None = None, timeout_seconds: float | None = None,
    ) -> LambdaSandbox:
        """The (warm, shared) sandbox of a function with these overrides; started on first use.

        Its responses are limited to the catalog's synchronous response payload (Lambda refuses larger ones), and the
        functions it invokes run with the same overrides and timeout.
        """
        logical_id = self._logical_id(function)
        settings = (frozenset((overrides or {}).items()), timeout_seconds)
        key: _Key = (logical_id, *settings)
        with self._sandbox_lock:
            return self._sandbox(key, logical_id, settings, overrides, timeout_seconds)

    def _sandbox(
        self, key: _Key, logical_id: str, settings: tuple[frozenset[tuple[str, str]], float | None],
        overrides: Mapping[str, str] | None, timeout_seconds: float | None,
    ) -> LambdaSandbox:
        if key not in self._sandboxes:
            route = self._routes.setdefault(settings, f"r{len(self._routes)}")
            aws = dataclasses.replace(self.aws, endpoints={**self.aws.endpoints,
                                                            "lambda": self.lambda_service.route_url(route)})
            self._sandboxes[key] = LambdaSandbox(
                self.stack.function(logical_id), variables=self.variables(logical_id, overrides), aws=aws,
                function_name=self.bindings.ref(logical_id), timeout_seconds=timeout_seconds,
                max_response_bytes=int(self.catalog.value(QuotaName.LAMBDA_SYNC_RESPONSE_PAYLOAD, self.stack.region)),
            )
        return self._sandboxes[key]

    def _invoked(self, route: str, function_name: str) -> LambdaSandbox | None:
        """The sandbox a function invoked through ``route`` runs in: its invoker's overrides and timeout."""
        settings = next((s for s, r in self._routes.items() if r == route), None)
        if settings is None:
            return None
        for logical_id in self.stack.resources("AWS::Lambda::Function"):
            names = (self.bindings.ref(logical_id), self.bindings.attribute(logical_id, "Arn"))
            if function_name in names:
                overrides, timeout = settings
                return self.sandbox(logical_id, overrides=dict(overrides), timeout_seconds=timeout)
        return None

    # -- front doors ------------------------------------------------------------------------------------

    def rest_api(
        self, api: Any, *, default_caller: Caller | None = None, callers: Mapping[str, Caller] | None = None,
        overrides: Mapping[str, str] | None = None, timeout_seconds: float | None = None,
        stream_idle_timeout: float | None = None, validate_bodies: bool = True,
    ) -> RestFrontDoor:
        """A started front door for a REST API (the ``RestApi`` construct or its logical id).

        ``stream_idle_timeout`` defaults to the catalog's idle timeout for streamed responses of Regional endpoints
        (the REST facade's endpoint type).
        """
        api_id = self._logical_id(api)
        template, region = self.stack.template, self.stack.region
        routes = rest_routes(template, api_id, default_timeout_ms=int(
            self.catalog.value(QuotaName.API_GATEWAY_INTEGRATION_TIMEOUT, region) * 1000))
        functions = {r.function_id: self.sandbox(r.function_id, overrides=overrides, timeout_seconds=timeout_seconds)
                     for r in routes}
        door = RestFrontDoor(
            routes, functions, api=self._api_context(api_id), default_caller=default_caller,
            max_body_bytes=int(self.catalog.value(QuotaName.API_GATEWAY_PAYLOAD, region)),
            validate_bodies=validate_bodies,
            stream_idle_timeout=stream_idle_timeout if stream_idle_timeout is not None else self.catalog.value(
                QuotaName.API_GATEWAY_STREAM_IDLE_TIMEOUT_REGIONAL, region),
        ).start()
        for name, caller in (callers or {}).items():
            door.add_caller(name, caller)
        self._doors.append(door)
        return door

    def websocket_api(
        self, api: Any, *, overrides: Mapping[str, str] | None = None, timeout_seconds: float | None = None,
    ) -> WebSocketDriver:
        """A driver for a WebSocket API (the ``WebSocketApi`` construct or its logical id).

        The stage's callback URL in the functions' environment is mapped to the management stand-in.
        """
        api_id = self._logical_id(api)
        context = self._api_context(api_id)
        self._url_map[f"https://{context.domain_name}/{context.stage}"] = self.management.stage_url(context.stage)
        routes = websocket_routes(self.stack.template, api_id)
        functions = {r.function_id: self.sandbox(r.function_id, overrides=overrides, timeout_seconds=timeout_seconds)
                     for r in routes.values()}
        timeout = self.catalog.value(QuotaName.API_GATEWAY_WEBSOCKET_INTEGRATION_TIMEOUT, self.stack.region)
        return WebSocketDriver(routes, functions, management=self.management, api=context,
                               integration_timeout=timeout)

    def _api_context(self, api_id: str) -> ApiContext:
        return ApiContext(self.bindings.ref(api_id), stage_name(self.stack.template, api_id), self.stack.account,
                          self.stack.region)

    def _logical_id(self, target: Any) -> str:
        return target if isinstance(target, str) else self.stack.logical_id(target)

    # -- life cycle ---------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget what the stand-ins and front doors recorded (between tests); sandboxes stay warm."""
        self.agentcore.reset()
        self.management.reset()
        self.lambda_service.reset()
        self.xray.reset()
        for door in self._doors:
            door.reset()

    def problems(self) -> list[str]:
        """What went wrong in the harness itself: stand-in faults, runtime API violations, unexpected calls."""
        servers = [self.agentcore, self.management, self.lambda_service, *self._doors,
                   *(s.peer for s in self._sandboxes.values())]
        found = [f"{server.name}: {fault}" for server in servers for fault in server.faults]
        found += [f"{s.spec.logical_id}: {p}" for s in self._sandboxes.values() for p in s.peer.problems]
        found += [f"unexpected call to {c.service}: {c.method} {c.path}" for c in self.tripwire.calls]
        return found

    def close(self) -> None:
        """Stop every sandbox, front door and stand-in this harness started."""
        for sandbox in self._sandboxes.values():
            sandbox.stop()
        for server in (*self._doors, self.agentcore, self.management, self.lambda_service):
            server.stop()
        self.xray.stop()
