"""An AgentCore data-plane stand-in: ``InvokeAgentRuntime`` and ``StopRuntimeSession`` over real HTTP.

The wire format comes from botocore's ``bedrock-agentcore`` model (:mod:`tests.harness.service_model`):
``POST /runtimes/{agentRuntimeArn}/invocations?qualifier=...`` with the payload as the raw body and the
session, user, trace and MCP members in their ``X-Amzn-Bedrock-AgentCore-Runtime-*`` (and other) headers;
``POST /runtimes/{agentRuntimeArn}/stopruntimesession`` with ``clientToken`` in a JSON body. Answers carry
the session id header and ``Content-Type``; errors are restJson1 with the status of the model's error shape
(``ThrottlingException`` 429, ``ServiceQuotaExceededException`` 402, ``RuntimeClientError`` 424, ...).

What each invocation answers is scripted (:mod:`tests.harness.agent_script`): queue scripts with
:meth:`AgentCoreStandIn.enqueue`, or set a :attr:`AgentCoreStandIn.responder`. Unscripted calls get the
default agent, which keeps a history per runtime session: it answers JSON with the session id, the turn
number in that session, the user id it was called for, and the payload it received. A stopped session
starts again at turn 1, as a new microVM would.

Every call is recorded (:class:`AgentCall`) with its parsed members, headers and timings.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.harness._servers import LoopbackServer, QuietHandler
from tests.harness.agent_script import Chunk, Cut, Pause, Script
from tests.harness.service_model import Answer, ModelValidationError, ParsedRequest, RestJsonService

INVOKE = "InvokeAgentRuntime"
STOP = "StopRuntimeSession"
_SIGV4 = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<signed>[^,]+),\s*Signature=[0-9a-f]{64}"
)


@dataclass
class AgentCall:
    """One request the stand-in received.

    Attributes:
        operation: ``InvokeAgentRuntime`` or ``StopRuntimeSession``.
        runtime_arn: the runtime ARN from the URI (decoded).
        qualifier: the ``qualifier`` query parameter, ``None`` when absent (AgentCore then uses ``DEFAULT``).
        session_id: the runtime session id header.
        user_id: the runtime user id header (``runtimeUserId``), ``None`` when absent.
        payload: the request body (the agent's payload for an invocation).
        params: every input member, parsed per the model.
        headers: the request headers, lower-case names.
        received_at: ``time.monotonic()`` when the request was read.
        chunk_times: ``time.monotonic()`` after each body chunk was written.
        finished_at: when the answer ended (or the connection was cut or abandoned).
        outcome: ``answered``, ``error:<Code>``, ``hung``, ``cut`` or ``client-gone``.
        turn: the invocation's turn in its session (1 for a new session).
    """

    operation: str
    runtime_arn: str
    qualifier: str | None
    session_id: str | None
    user_id: str | None
    payload: bytes
    params: dict[str, Any]
    headers: dict[str, str]
    received_at: float
    chunk_times: list[float] = field(default_factory=list)
    finished_at: float | None = None
    outcome: str = "pending"
    turn: int = 0

    def json(self) -> Any:
        """The payload as JSON."""
        return json.loads(self.payload)


@dataclass
class RuntimeSession:
    """What the stand-in remembers of one runtime session (keyed by runtime ARN and session id)."""

    turns: int = 0
    user_ids: list[str | None] = field(default_factory=list)
    stopped: int = 0


Responder = Callable[[AgentCall, RuntimeSession], Script]


def history_agent(call: AgentCall, session: RuntimeSession) -> Script:
    """The default agent: answers which session, turn and user the call landed in, and what it received."""
    try:
        received: Any = call.json()
    except ValueError:
        received = call.payload.decode("utf-8", "replace")
    return Script.json({"sessionId": call.session_id, "turn": session.turns, "userId": call.user_id,
                        "received": received})


class AgentCoreStandIn(LoopbackServer):
    """The AgentCore data plane on 127.0.0.1.

    Args:
        region: the region callers sign for (checked in the SigV4 credential scope).
        require_sigv4: answer ``MissingAuthenticationTokenException`` / ``InvalidSignatureException`` to a
            request without a well-formed SigV4 ``Authorization`` header for this service and region (the
            signature itself is not verified: credentials are fake). Default: True.
    """

    def __init__(self, *, region: str = "us-east-1", require_sigv4: bool = True) -> None:
        super().__init__(_AgentCoreHandler, name="agentcore")
        self.service = RestJsonService("bedrock-agentcore", (INVOKE, STOP))
        self.region = region
        self.require_sigv4 = require_sigv4
        #: Called for an invocation when no script is queued. Default: :func:`history_agent`.
        self.responder: Responder = history_agent
        self._lock = threading.Lock()
        self._calls: list[AgentCall] = []
        self._scripts: list[Script] = []
        self._stop_scripts: list[Script] = []
        self._sessions: dict[tuple[str, str], RuntimeSession] = {}
        self._runtimes: dict[str, set[str]] = {}
        self._changed = threading.Condition(self._lock)

    # -- configuration ---------------------------------------------------------------------------------

    def register_runtime(self, arn: str, qualifiers: tuple[str, ...] = ("DEFAULT",)) -> None:
        """Declare a runtime and its endpoints; once any is declared, calls to others get a 404."""
        with self._lock:
            self._runtimes.setdefault(arn, set()).update(qualifiers)

    def enqueue(self, *scripts: Script) -> None:
        """Answer the next invocations with these scripts, in order."""
        with self._lock:
            self._scripts.extend(scripts)

    def enqueue_stop(self, *scripts: Script) -> None:
        """Answer the next ``StopRuntimeSession`` calls with these scripts (errors), in order."""
        with self._lock:
            self._stop_scripts.extend(scripts)

    def reset(self) -> None:
        """Forget calls, scripts and sessions (the registered runtimes stay); the responder is the default."""
        with self._lock:
            self._calls.clear()
            self._scripts.clear()
            self._stop_scripts.clear()
            self._sessions.clear()
            self.responder = history_agent

    # -- what happened ---------------------------------------------------------------------------------

    @property
    def calls(self) -> list[AgentCall]:
        """Every call so far, in arrival order."""
        with self._lock:
            return list(self._calls)

    def invocations(self) -> list[AgentCall]:
        """The ``InvokeAgentRuntime`` calls."""
        return [c for c in self.calls if c.operation == INVOKE]

    def stops(self) -> list[AgentCall]:
        """The ``StopRuntimeSession`` calls."""
        return [c for c in self.calls if c.operation == STOP]

    def stopped_sessions(self) -> set[str]:
        """The session ids a ``StopRuntimeSession`` call succeeded for."""
        return {c.session_id for c in self.stops() if c.outcome == "answered" and c.session_id}

    def session(self, runtime_arn: str, session_id: str) -> RuntimeSession | None:
        """What the stand-in remembers of a session, ``None`` if it never saw it."""
        with self._lock:
            return self._sessions.get((runtime_arn, session_id))

    def wait_for_calls(self, count: int, timeout: float = 5.0) -> list[AgentCall]:
        """Wait until ``count`` calls have finished; raises ``TimeoutError`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(c.finished_at is not None for c in self._calls) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{count} finished AgentCore calls expected, got {len(self._calls)}")
                self._changed.wait(left)
            return list(self._calls)

    # -- used by the handler ---------------------------------------------------------------------------

    def _record(self, call: AgentCall) -> None:
        with self._lock:
            self._calls.append(call)

    def _finish(self, call: AgentCall, outcome: str, *, force: bool = False) -> None:
        """Record how a call ended (once, unless ``force``: a client that left while the last bytes went out)."""
        with self._changed:
            if call.finished_at is not None and not force:
                return
            call.outcome = outcome
            call.finished_at = time.monotonic()
            self._changed.notify_all()

    def _check_runtime(self, arn: str, qualifier: str | None) -> str | None:
        with self._lock:
            if not self._runtimes:
                return None
            if arn not in self._runtimes:
                return f"runtime {arn} not found"
            if (qualifier or "DEFAULT") not in self._runtimes[arn]:
                return f"endpoint {qualifier} of runtime {arn} not found"
        return None

    def _script_for(self, call: AgentCall) -> Script:
        """The script for an invocation; one that reaches the agent (no error, no hang) is a turn of its session."""
        with self._lock:
            session = self._sessions.setdefault((call.runtime_arn, call.session_id or ""), RuntimeSession())
            script = self._scripts.pop(0) if self._scripts else None
            if script is None or (script.error_code is None and script.hang_seconds is None):
                session.turns += 1
                session.user_ids.append(call.user_id)
                call.turn = session.turns
            responder = self.responder
        return script if script is not None else responder(call, session)

    def _stop(self, call: AgentCall) -> Script | None:
        with self._lock:
            if self._stop_scripts:
                return self._stop_scripts.pop(0)
            session = self._sessions.get((call.runtime_arn, call.session_id or ""))
            if session is not None:
                session.stopped += 1
                session.turns = 0
        return None


class _AgentCoreHandler(QuietHandler):
    server: AgentCoreStandIn

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        headers = self.header_map()
        body = self.read_body()
        service = self.server.service
        try:
            request = service.parse("POST", self.path, headers, body)
        except ModelValidationError as problem:
            self._answer(_validation(service, str(problem)))
            return
        if request is None or request.base_path:
            headers = {"Content-Type": "application/json", "X-Amzn-ErrorType": "UnknownOperationException"}
            self._answer(Answer(404, headers, b'{"message":"unknown operation"}'))
            return
        auth_problem = self._auth_problem(headers)
        if auth_problem is not None:
            self._answer(service.error(None, *auth_problem))
            return
        call = self._call(request)
        self.server._record(call)
        missing = self.server._check_runtime(call.runtime_arn, call.qualifier)
        if missing is not None:
            self.server._finish(call, "error:ResourceNotFoundException")
            self._answer(service.error(request.operation, "ResourceNotFoundException", missing))
        elif request.name == "StopRuntimeSession":
            self._stop_session(request, call)
        else:
            self._invoke(request, call)

    def _auth_problem(self, headers: dict[str, str]) -> tuple[str, str] | None:
        if not self.server.require_sigv4:
            return None
        value = headers.get("authorization")
        if not value:
            return "MissingAuthenticationTokenException", "missing authentication token"
        match = _SIGV4.fullmatch(value.strip())
        if match is None:
            return "IncompleteSignatureException", "the Authorization header is not a SigV4 signature"
        if match["service"] != self.server.service.signing_name or match["region"] != self.server.region:
            return "InvalidSignatureException", f"credential scope {match['region']}/{match['service']} is wrong"
        return None

    def _call(self, request: ParsedRequest) -> AgentCall:
        params = request.params
        return AgentCall(
            operation=request.name,
            runtime_arn=params["agentRuntimeArn"],
            qualifier=params.get("qualifier"),
            session_id=params.get("runtimeSessionId"),
            user_id=params.get("runtimeUserId"),
            payload=request.body,
            params=params,
            headers=request.headers,
            received_at=time.monotonic(),
        )

    def _answer(self, answer: Answer) -> None:
        self.send_bytes(answer.status, answer.body, answer.headers)

    def _stop_session(self, request: ParsedRequest, call: AgentCall) -> None:
        script = self.server._stop(call)
        if script is not None and script.error_code:
            self.server._finish(call, f"error:{script.error_code}")
            self._answer(self.server.service.error(request.operation, script.error_code, script.message,
                                                   **script.error_fields))
            return
        self.server._finish(call, "answered")
        self._answer(self.server.service.success(request.operation, b"{}", runtimeSessionId=call.session_id))

    def _invoke(self, request: ParsedRequest, call: AgentCall) -> None:
        script = self.server._script_for(call)
        service = self.server.service
        if script.error_code:
            self.server._finish(call, f"error:{script.error_code}")
            self._answer(service.error(request.operation, script.error_code, script.message, **script.error_fields))
            return
        if script.hang_seconds is not None:
            self.server._finish(call, self._hold(script.hang_seconds))
            return
        success = service.success(request.operation, runtimeSessionId=call.session_id,
                                  contentType=script.content_type)
        headers = {**success.headers, **script.headers}
        try:
            if not script.streamed:
                call.chunk_times.append(time.monotonic())
                self.server._finish(call, "answered")
                self.send_bytes(success.status, script.body, headers)
            else:
                self._stream(success.status, headers, script, call)
        except (BrokenPipeError, ConnectionResetError):
            self.server._finish(call, "client-gone", force=True)

    def _stream(self, status: int, headers: dict[str, str], script: Script, call: AgentCall) -> None:
        """Write the steps; the outcome is recorded before the last bytes, so a client that read them sees it."""
        self.start_chunked(status, headers)
        for step in script.steps:
            wait = step.seconds if isinstance(step, Pause) else step.delay if isinstance(step, Chunk) else 0
            if isinstance(step, Cut) or (wait and self.server.stopping.wait(wait)):
                self.server._finish(call, "cut")
                self.cut_connection()
                return
            if isinstance(step, Chunk):
                self.send_chunk(step.data)
                call.chunk_times.append(time.monotonic())
        self.server._finish(call, "answered")
        self.end_chunked()

    def _hold(self, seconds: float) -> str:
        """Keep the request unanswered; end when the client gives up, the server stops or time is up."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.server.stopping.wait(0.02):
            if self.client_gone():
                self.close_connection = True
                return "client-gone"
        self.cut_connection()
        return "hung"


def _validation(service: RestJsonService, problem: str) -> Answer:
    operation = service.model.operation_model(INVOKE)
    return service.error(operation, "ValidationException", problem, reason="FieldValidationFailed")


__all__ = ["INVOKE", "STOP", "AgentCall", "AgentCoreStandIn", "RuntimeSession", "history_agent"]
