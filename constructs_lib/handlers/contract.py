"""The contract between the library's constructs and its Lambda handlers: names, the session-id rule, one error map.

Plain Python (standard library only, no boto3 or botocore import), so the constructs import it to set a handler's
environment, and every handler asset packages it beside the handler (it is imported as ``contract`` there).

- **Environment variables**: the name of every variable a handler reads. A construct sets each one; a handler has no
  fallback for any of them: a missing variable is a :class:`ConfigurationError` when the handler starts.
- **The session-id rule**: the header, pattern and lengths of runtime session ids reach the handlers through the
  environment (the constructs set them from ``constructs_lib.limits.service``); :class:`SessionIdRule` reads them.
- **The error map**: what a client sees for each AgentCore error (status, public code, message, ``Retry-After``),
  the same on every front door (REST responses and WebSocket error frames), and the errors the proxies answer
  themselves, also the same on both front doors: no caller (401), a session or staged object of another caller
  (403), a body above what the front door takes inline (413), an answer above what Lambda returns (502), malformed
  input (400, see ``inputs.py``).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# -- environment: the proxies of AgentApiFacade and AgentWebSocketFacade ----------------------------------------------

#: ARN of the runtime the proxy invokes.
ENV_AGENT_RUNTIME_ARN = "AGENT_RUNTIME_ARN"
#: The endpoint (qualifier) the proxy invokes.
ENV_AGENT_QUALIFIER = "AGENT_QUALIFIER"
#: Seconds the proxy's AgentCore client waits for bytes before it gives up (below the proxy's own deadline).
ENV_AGENT_READ_TIMEOUT_SECONDS = "AGENT_READ_TIMEOUT_SECONDS"
#: Attempts of one InvokeAgentRuntime call (one: a retried invocation would run the agent's task twice).
ENV_AGENT_MAX_ATTEMPTS = "AGENT_MAX_ATTEMPTS"
#: Header carrying the runtime session id, in requests and responses.
ENV_SESSION_HEADER = "SESSION_HEADER"
#: Runtime session ids the proxy accepts (a regular expression matched against the whole id).
ENV_SESSION_ID_PATTERN = "SESSION_ID_PATTERN"
#: The shortest runtime session id.
ENV_SESSION_ID_MIN_LENGTH = "SESSION_ID_MIN_LENGTH"
#: The longest runtime session id.
ENV_SESSION_ID_MAX_LENGTH = "SESSION_ID_MAX_LENGTH"
#: ``true`` when the proxy sends the caller as ``runtimeUserId`` (the facade then grants InvokeAgentRuntimeForUser).
ENV_SEND_RUNTIME_USER_ID = "SEND_RUNTIME_USER_ID"
#: The longest ``runtimeUserId`` AgentCore accepts (longer caller identities are sent as their SHA-256).
ENV_RUNTIME_USER_ID_MAX_LENGTH = "RUNTIME_USER_ID_MAX_LENGTH"
#: The largest request body, in bytes, the proxy takes inline (the smallest limit on the facade's path).
ENV_MAX_REQUEST_BYTES = "MAX_REQUEST_BYTES"
#: Seconds before the function's deadline at which a proxy ends an answer it is still relaying, with an error.
ENV_ANSWER_MARGIN_SECONDS = "ANSWER_MARGIN_SECONDS"

# -- environment: the REST proxy --------------------------------------------------------------------------------------

#: The largest proxy response, in bytes, Lambda returns (its synchronous response payload).
ENV_MAX_RESPONSE_BYTES = "MAX_RESPONSE_BYTES"
#: Seconds of silence after which the streaming proxy sends a keep-alive (below API Gateway's stream idle timeout).
ENV_STREAM_KEEPALIVE_SECONDS = "STREAM_KEEPALIVE_SECONDS"

# -- environment: the platform's shared REST proxy (AgentPlatformApi) ------------------------------------------------

#: The agents a shared proxy serves, as JSON ``{route: [runtime id, qualifier, staging]}`` (``staging`` 1 or 0: the
#: agent's callers may stage payloads). Set only on a shared proxy, which then serves each agent under its own route
#: (``/<route>/...``), and no other; each agent's runtime ARN is :data:`ENV_AGENT_RUNTIME_ARN_PREFIX` and its id.
ENV_AGENT_ROUTES = "AGENT_ROUTES"
#: The ARN of the shared proxy's runtimes up to their id (``arn:<partition>:bedrock-agentcore:<region>:<account>:
#: runtime/``): every agent of one platform is in one account and region.
ENV_AGENT_RUNTIME_ARN_PREFIX = "AGENT_RUNTIME_ARN_PREFIX"
#: The prefix of an agent's keys in the tables it shares with other agents (``<route>#``), in the agent's environment:
#: its job records (the ``jobId`` it is given already carries it) and its session items (``sessionId`` is the prefix
#: and the runtime session id); IAM refuses the agent any other key. Unset for an agent with tables of its own.
ENV_AGENT_KEY_PREFIX = "AGENT_KEY_PREFIX"

# -- environment: the REST proxy's job API (AgentJobs) ----------------------------------------------------------------

#: Name of the job table; without it the job routes answer 404.
ENV_JOBS_TABLE_NAME = "JOBS_TABLE_NAME"
#: How long a job record lives, in seconds (its ``expiresAt``).
ENV_JOB_TIME_TO_LIVE_SECONDS = "JOB_TIME_TO_LIVE_SECONDS"
#: How long, in seconds, ``POST /jobs`` remembers an ``Idempotency-Key`` (records in the job table).
ENV_IDEMPOTENCY_TTL_SECONDS = "IDEMPOTENCY_TTL_SECONDS"

# -- environment: the WebSocket proxy ---------------------------------------------------------------------------------

#: Name of the connection table.
ENV_CONNECTIONS_TABLE = "CONNECTIONS_TABLE"
#: The stage's ``@connections`` management URL.
ENV_CALLBACK_URL = "CALLBACK_URL"
#: The largest frame the proxy sends, in bytes.
ENV_FRAME_BYTES = "FRAME_BYTES"
#: The most frames per second the proxy sends on one connection.
ENV_MAX_FRAMES_PER_SECOND = "MAX_FRAMES_PER_SECOND"
#: How long a connection record lives if ``$disconnect`` never arrives, in seconds.
ENV_CONNECTION_TTL_SECONDS = "CONNECTION_TTL_SECONDS"
#: ARN of the relay function the ``$default`` route hands each message to (an asynchronous invocation).
ENV_RELAY_FUNCTION_ARN = "RELAY_FUNCTION_ARN"

# -- environment: payload staging (the proxies, and the agent itself) -------------------------------------------------

#: Name of the staging bucket.
ENV_STAGING_BUCKET = "PAYLOAD_STAGING_BUCKET"
#: The longest validity of a pre-signed URL, in seconds.
ENV_STAGING_URL_EXPIRY_SECONDS = "PAYLOAD_STAGING_URL_EXPIRY_SECONDS"
#: The largest object a client may upload, in bytes.
ENV_STAGING_MAX_OBJECT_BYTES = "PAYLOAD_STAGING_MAX_OBJECT_BYTES"
#: An agent's input prefix (``inputs/<runtime_name>/``).
ENV_STAGING_INPUT_PREFIX = "PAYLOAD_STAGING_INPUT_PREFIX"
#: An agent's output prefix (``outputs/<runtime_name>/``).
ENV_STAGING_OUTPUT_PREFIX = "PAYLOAD_STAGING_OUTPUT_PREFIX"
#: Key prefix under which clients upload inputs (one sub-prefix per agent).
INPUTS_PREFIX = "inputs/"
#: Key prefix under which agents write outputs (one sub-prefix per agent).
OUTPUTS_PREFIX = "outputs/"

# -- environment: the version archiver (AgentVersionArchive) ----------------------------------------------------------

#: Name of the archive bucket.
ENV_ARCHIVE_BUCKET = "ARCHIVE_BUCKET"
#: Key prefix of the archived versions.
ENV_ARCHIVE_PREFIX = "ARCHIVE_PREFIX"
#: Comma-separated ids of the runtimes the archiver may archive.
ENV_ARCHIVED_RUNTIME_IDS = "ARCHIVED_RUNTIME_IDS"
#: Attempts of one control-plane call.
ENV_CONTROL_PLANE_MAX_ATTEMPTS = "CONTROL_PLANE_MAX_ATTEMPTS"
#: Invocation time left, in seconds, below which no new version is started.
ENV_DEADLINE_MARGIN_SECONDS = "DEADLINE_MARGIN_SECONDS"
#: Page size of the control plane's list calls.
ENV_LIST_PAGE_SIZE = "LIST_PAGE_SIZE"
#: ARN of the KMS HMAC key that digests environment variable values (the archive stores digests, never values).
ENV_ENVIRONMENT_DIGEST_KEY_ARN = "ENVIRONMENT_DIGEST_KEY_ARN"
#: CloudTrail event names that create a runtime version or move an endpoint: the archiver's rule matches them, and the
#: archiver acts on them only.
ARCHIVER_EVENT_NAMES: tuple[str, ...] = (
    "CreateAgentRuntime",
    "CreateAgentRuntimeEndpoint",
    "UpdateAgentRuntime",
    "UpdateAgentRuntimeEndpoint",
)

# -- environment: the session budget (SessionBudget: the front doors and the session sweeper) -------------------------

#: Name of the agent's session registry (without it a front door registers no sessions and refuses none).
ENV_SESSION_REGISTRY_TABLE = "SESSION_REGISTRY_TABLE"
#: Sessions one caller may hold at once: a whole number, or ``none``.
ENV_MAX_SESSIONS_PER_CALLER = "MAX_SESSIONS_PER_CALLER"
#: Sessions the agent may hold at once, all callers together: a whole number, or ``none``.
ENV_MAX_SESSIONS = "MAX_SESSIONS"
#: How long a session record outlives its last activity, in seconds (its ``expiresAt``).
ENV_SESSION_RECORD_TTL_SECONDS = "SESSION_RECORD_TTL_SECONDS"
#: The longest a session may live before the sweeper stops it, in seconds, or ``none``.
ENV_MAX_SESSION_DURATION_SECONDS = "MAX_SESSION_DURATION_SECONDS"
#: The longest a session may go without a request through a front door before the sweeper stops it, or ``none``.
ENV_MAX_IDLE_SECONDS = "MAX_IDLE_SECONDS"
#: The runtime's max lifetime, in seconds: a session older than it has ended (released without a stop).
ENV_RUNTIME_MAX_LIFETIME_SECONDS = "RUNTIME_MAX_LIFETIME_SECONDS"
#: The runtime's idle timeout, in seconds: a session idle longer has ended unless its agent reports it busy (a job).
ENV_RUNTIME_IDLE_TIMEOUT_SECONDS = "RUNTIME_IDLE_TIMEOUT_SECONDS"
#: Attempts of one StopRuntimeSession call by the sweeper (botocore's adaptive retry mode).
ENV_STOP_MAX_ATTEMPTS = "STOP_MAX_ATTEMPTS"
#: How long a sweep's claim on a session lasts, in seconds (a crashed sweep's claim expires, the next one retries).
ENV_STOP_CLAIM_SECONDS = "STOP_CLAIM_SECONDS"
#: The runtime's name (the dimension of the sweeper's metric).
ENV_AGENT_RUNTIME_NAME = "AGENT_RUNTIME_NAME"
#: The namespace of the session budget's metrics (the sweeper publishes them in CloudWatch's embedded metric format).
SESSION_BUDGET_NAMESPACE = "ConstructsLib/SessionBudget"
#: Sessions the sweeper stopped because they were over their budget (per runtime: dimension ``AgentRuntime``).
SESSIONS_STOPPED_METRIC = "SessionsStopped"
#: The dimension of the session budget's metrics.
SESSION_BUDGET_DIMENSION = "AgentRuntime"
#: The value of an optional budget variable that sets no limit.
NO_LIMIT = "none"

# -- environment: the task-token starter (AgentPipeline) --------------------------------------------------------------

#: Attempts of the starter's InvokeAgentRuntime call.
ENV_AGENTCORE_MAX_ATTEMPTS = "AGENTCORE_MAX_ATTEMPTS"

# -- environment: rollout routing in the front doors, and the rollback function (AgentRollout) ------------------------

#: The stable endpoint of the agent's rollout; without it the proxy invokes ``AGENT_QUALIFIER`` only.
ENV_ROLLOUT_STABLE = "ROLLOUT_STABLE_ENDPOINT"
#: The candidate endpoint of the agent's rollout.
ENV_ROLLOUT_CANDIDATE = "ROLLOUT_CANDIDATE_ENDPOINT"
#: The candidate's deployed share of new sessions, in percent (a whole number from 0 to ``ROLLOUT_BUCKETS``).
ENV_ROLLOUT_CANDIDATE_WEIGHT = "ROLLOUT_CANDIDATE_WEIGHT"
#: Name of the SSM parameter holding the rollout switch (see ``ROLLOUT_SWITCH_*``).
ENV_ROLLOUT_SWITCH_PARAMETER = "ROLLOUT_SWITCH_PARAMETER"
#: Seconds a proxy keeps the switch it read before it reads it again.
ENV_ROLLOUT_SWITCH_CACHE_SECONDS = "ROLLOUT_SWITCH_CACHE_SECONDS"
#: Name of the table recording each runtime session's endpoint.
ENV_ROLLOUT_SESSIONS_TABLE = "ROLLOUT_SESSIONS_TABLE"
#: Seconds a session's endpoint record lives: the agent's session lifetime (``maxLifetime``).
ENV_ROLLOUT_SESSION_LIFETIME_SECONDS = "ROLLOUT_SESSION_LIFETIME_SECONDS"
#: How long a proxy trusts the switch it read (a choice of the library, not a quota): an automatic rollback or an
#: operator's force reaches every new session at most this long after the parameter changed, at about one
#: GetParameter per proxy instance and period.
ROLLOUT_SWITCH_CACHE_SECONDS = 10
#: Buckets of the session hash: the weight is a percentage, so a session lands in one of 100 buckets.
ROLLOUT_BUCKETS = 100
#: The switch value that follows the deployed weight (the parameter's value when it is created).
ROLLOUT_SWITCH_AUTO = "auto"
#: The switch value that sends every new session to the stable endpoint (what the rollback function sets).
ROLLOUT_SWITCH_STABLE = "stable"
#: The switch value that sends every new session to the candidate endpoint.
ROLLOUT_SWITCH_CANDIDATE = "candidate"
#: The partition key of the rollout's session table (the caller-bound runtime session id).
ROLLOUT_SESSION_KEY = "runtimeSessionId"
#: The TTL attribute of the rollout's session table (epoch seconds).
ROLLOUT_EXPIRES_AT = "expiresAt"

#: Seconds a proxy's AgentCore client waits for a connection (a choice of the library, not a quota).
CONNECT_TIMEOUT_SECONDS = 5
#: The deepest nesting of a client's JSON the proxies accept (a choice of the library: prompts are shallow, and a
#: deeper document would exhaust the interpreter's recursion when parsed or serialized).
MAX_JSON_DEPTH = 64


class ConfigurationError(RuntimeError):
    """A handler's environment lacks a variable its construct sets, or holds a malformed one."""


def require(environ: Mapping[str, str], name: str) -> str:
    """The value of ``name`` in ``environ``; a :class:`ConfigurationError` naming it when it is missing or empty."""
    value = environ.get(name)
    if not value:
        raise ConfigurationError(
            f"the handler's environment lacks {name}; it is set by the construct that creates the function"
        )
    return value


def require_number(environ: Mapping[str, str], name: str) -> float:
    """``require`` for a positive number."""
    text = require(environ, name)
    try:
        number = float(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {text!r}") from None
    if not number > 0:
        raise ConfigurationError(f"{name} must be positive, got {text!r}")
    return number


def require_flag(environ: Mapping[str, str], name: str) -> bool:
    """``require`` for ``true`` or ``false``."""
    text = require(environ, name)
    if text not in ("true", "false"):
        raise ConfigurationError(f"{name} must be 'true' or 'false', got {text!r}")
    return text == "true"


def optional_number(environ: Mapping[str, str], name: str) -> float | None:
    """``require_number``, or ``None`` when the variable is :data:`NO_LIMIT` (it must still be set)."""
    if require(environ, name) == NO_LIMIT:
        return None
    return require_number(environ, name)


def agentcore_client_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments of the ``botocore.config.Config`` of a proxy's ``bedrock-agentcore`` client.

    Standard retry mode with the attempts the construct set (one by default: standard mode also retries read
    timeouts, which would run the agent's non-idempotent task twice), and the construct's read timeout, which stays
    below the proxy's own deadline so that the client gets a mapped timeout, not a bare one.
    """
    return {
        "retries": {"mode": "standard", "total_max_attempts": int(require_number(environ, ENV_AGENT_MAX_ATTEMPTS))},
        "read_timeout": require_number(environ, ENV_AGENT_READ_TIMEOUT_SECONDS),
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    }


# -- the session budget's registry (SessionBudget) ------------------------------------------------------------------

#: The attribute (and the indexes' partition key) of a live session in a session budget's registry.
REGISTRY_LIVE = "live"
#: Its value.
REGISTRY_LIVE_VALUE = "1"
#: The registry's index of live sessions by start time.
REGISTRY_BY_START_INDEX = "ByStart"
#: The registry's index of live sessions by last activity.
REGISTRY_BY_ACTIVITY_INDEX = "ByActivity"

# -- a shared proxy's agents ----------------------------------------------------------------------------------------

#: What separates an agent's route from the rest of its keys in the tables agents share (``<route>#<key>``).
KEY_PREFIX_SEPARATOR = "#"
#: A runtime id as AgentCore writes it (botocore's ``AgentRuntimeId`` shape): the runtime name, ``-``, ten letters or
#: digits. A shared proxy finds an agent's staging prefixes (``inputs/<runtime name>/``) from it.
RUNTIME_ID_PATTERN = re.compile(r"^([a-zA-Z][a-zA-Z0-9_]{0,99})-[a-zA-Z0-9]{10}$")


def key_prefix(route: str) -> str:
    """The prefix of an agent's keys in tables it shares with other agents: ``<route>#``."""
    return f"{route}{KEY_PREFIX_SEPARATOR}"


@dataclass(frozen=True)
class AgentRoute:
    """One agent of a shared proxy (read from :data:`ENV_AGENT_ROUTES`).

    Attributes:
        route: the first path segment of the agent's routes, and the scope of its callers' sessions.
        runtime_arn: the runtime the route invokes.
        qualifier: the endpoint the route invokes.
        runtime_name: the runtime's name (from its id).
        staging: the agent's callers may stage payloads.
    """

    route: str
    runtime_arn: str
    qualifier: str
    runtime_name: str
    staging: bool

    @property
    def key_prefix(self) -> str:
        """The prefix of the agent's keys in the shared tables."""
        return key_prefix(self.route)


def agent_routes(environ: Mapping[str, str]) -> dict[str, AgentRoute]:
    """The agents of a shared proxy by route; empty for a proxy of one agent (no :data:`ENV_AGENT_ROUTES`).

    Raises:
        ConfigurationError: the variable is not the JSON the construct writes, or a runtime id is malformed.
    """
    text = environ.get(ENV_AGENT_ROUTES)
    if not text:
        return {}
    prefix = require(environ, ENV_AGENT_RUNTIME_ARN_PREFIX)
    try:
        entries = json.loads(text)
    except ValueError:
        raise ConfigurationError(f"{ENV_AGENT_ROUTES} is not JSON") from None
    if not isinstance(entries, dict):
        raise ConfigurationError(f"{ENV_AGENT_ROUTES} must be a JSON object of routes")
    routes: dict[str, AgentRoute] = {}
    for route, entry in entries.items():
        if not (isinstance(entry, list) and len(entry) == 3 and all(isinstance(e, str | int) for e in entry)):
            raise ConfigurationError(f"{ENV_AGENT_ROUTES}[{route!r}] must be [runtime id, qualifier, staging]")
        runtime_id, qualifier, staging = entry
        match = RUNTIME_ID_PATTERN.fullmatch(str(runtime_id))
        if match is None:
            raise ConfigurationError(f"{ENV_AGENT_ROUTES}[{route!r}] holds a malformed runtime id {runtime_id!r}")
        routes[route] = AgentRoute(route, f"{prefix}{runtime_id}", str(qualifier), match.group(1), bool(staging))
    return routes


# -- the session-id rule ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionIdRule:
    """Runtime session ids as the proxies accept and generate them, read from the environment.

    Attributes:
        header: the header carrying the session id.
        pattern: ids accepted, matched against the whole string.
        min_length: the shortest id.
        max_length: the longest id.
    """

    header: str
    pattern: re.Pattern[str]
    min_length: int
    max_length: int

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> SessionIdRule:
        """The rule the construct set (``SESSION_HEADER``, ``SESSION_ID_PATTERN``, ``SESSION_ID_MIN/MAX_LENGTH``)."""
        minimum = int(require_number(environ, ENV_SESSION_ID_MIN_LENGTH))
        maximum = int(require_number(environ, ENV_SESSION_ID_MAX_LENGTH))
        if minimum > maximum:
            raise ConfigurationError(
                f"{ENV_SESSION_ID_MIN_LENGTH} {minimum} exceeds {ENV_SESSION_ID_MAX_LENGTH} {maximum}"
            )
        try:
            pattern = re.compile(require(environ, ENV_SESSION_ID_PATTERN))
        except re.error as exc:
            raise ConfigurationError(f"{ENV_SESSION_ID_PATTERN} is not a regular expression: {exc}") from None
        return cls(require(environ, ENV_SESSION_HEADER), pattern, minimum, maximum)

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is a session id under this rule (the whole string: no trailing newline slips through)."""
        return isinstance(value, str) and self.pattern.fullmatch(value) is not None

    def describe(self) -> str:
        """The rule in words, for a client's error message."""
        return (
            f"{self.min_length} to {self.max_length} characters of letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )

    def new_id(self) -> str:
        """A fresh, unguessable session id under this rule (hexadecimal digits, the shortest length allowed)."""
        session_id = secrets.token_hex((self.min_length + 1) // 2)[: self.min_length]
        if not self.accepts(session_id):
            raise ConfigurationError(f"{ENV_SESSION_ID_PATTERN} does not accept the ids the proxy generates")
        return session_id


# -- the error map ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicError:
    """What a client sees for an error: never an AWS message, ARN or trace.

    Attributes:
        status: the HTTP status (REST) or the status in the WebSocket proxy's integration response.
        code: stable public code (``Throttled``).
        message: a generic sentence meant for the client.
        retryable: whether the same request may succeed later.
        retry_after: seconds the client should wait before retrying (``Retry-After``), when known.
    """

    status: int
    code: str
    message: str
    retryable: bool = False
    retry_after: int | None = None


#: A throttled request: retry after a second.
THROTTLED = PublicError(429, "Throttled", "too many requests; retry after the indicated delay", True, 1)
#: The account's active-session quota is reached; sessions end when they idle out, so retrying at once does not help.
SESSION_LIMIT_REACHED = PublicError(429, "SessionLimitReached", "the agent is at capacity; retry later", True, 30)
#: Another request is running in the same session.
SESSION_BUSY = PublicError(409, "SessionBusy", "the session is busy with another request; retry", True, 1)
#: The agent rejected the request.
INVALID_REQUEST = PublicError(400, "InvalidRequest", "the agent rejected the request as invalid")
#: The caller may not use the agent.
ACCESS_DENIED = PublicError(403, "AccessDenied", "access to the agent was denied")
#: The runtime or endpoint does not exist.
AGENT_UNAVAILABLE = PublicError(502, "AgentUnavailable", "the agent is not available")
#: AgentCore or the agent failed.
AGENT_ERROR = PublicError(502, "AgentError", "the agent service failed to answer", True)
#: The agent's own code failed.
AGENT_FAILED = PublicError(502, "AgentError", "the agent failed to process the request")
#: The agent did not answer within the proxy's read timeout.
TIMEOUT = PublicError(504, "Timeout", "the agent did not answer in time", True)
#: AgentCore could not be reached.
UNREACHABLE = PublicError(502, "AgentUnavailable", "the agent is not reachable; retry", True)
#: The agent's answer broke off while it was read.
CUT_OFF = PublicError(502, "AgentError", "the agent's answer was cut off; retry", True)
#: Anything else: details only in the log.
INTERNAL = PublicError(500, "InternalError", "internal error")

# -- what the proxies answer themselves, the same on every front door --------------------------------------------------

#: No identifiable caller: sessions, jobs and staged objects belong to callers, so there is nothing to serve.
UNAUTHENTICATED = PublicError(401, "Unauthenticated", "the request carries no caller identity")
#: A WebSocket message named a session other than its connection's.
SESSION_MISMATCH = PublicError(
    403, "SessionMismatch", "a message may use only its connection's session; connect again for another session"
)
#: A body above what the front door takes inline.
PAYLOAD_TOO_LARGE = PublicError(
    413, "PayloadTooLarge", "the request is larger than this API takes inline; upload it and send its payloadKey"
)
#: A buffered answer above Lambda's response payload, and no staging bucket to hand it out from.
ANSWER_TOO_LARGE = PublicError(502, "AnswerTooLarge", "the agent's answer is larger than this API can return")
#: A ``payloadKey`` that is not one of the caller's own staged objects.
PAYLOAD_KEY_NOT_ALLOWED = PublicError(
    403, "PayloadKeyNotAllowed", "payloadKey must name an object this API staged for you"
)
#: Another request with the same ``Idempotency-Key`` is still running.
REQUEST_IN_PROGRESS = PublicError(
    409, "RequestInProgress", "a request with this Idempotency-Key is in progress; retry", True, 1
)
#: An ``Idempotency-Key`` used again with another body.
IDEMPOTENCY_KEY_REUSED = PublicError(
    422, "IdempotencyKeyReused", "this Idempotency-Key was used for a different request"
)
#: A job that has already ended cannot be cancelled.
JOB_FINISHED = PublicError(409, "JobFinished", "the job has already ended")
#: An unknown job, or a job of another caller (its existence is not disclosed).
JOB_NOT_FOUND = PublicError(404, "JobNotFound", "no such job")
#: The caller holds as many sessions of the agent as its session budget allows one caller.
CALLER_SESSION_LIMIT = PublicError(
    429, "CallerSessionLimitReached",
    "you hold as many sessions of this agent as it allows one caller; reuse one of them, or retry when one has ended",
    True, 30,
)
#: The agent holds as many sessions as its session budget allows, all callers together.
AGENT_SESSION_LIMIT = PublicError(
    429, "AgentSessionLimitReached", "the agent holds as many sessions as its budget allows; retry later", True, 30
)
#: An unknown route.
NOT_FOUND = PublicError(404, "NotFound", "no such route")


def invalid_request(message: str, code: str = "InvalidRequest") -> PublicError:
    """A 400 for a malformed request, with a message meant for the client (what is wrong, never an internal)."""
    return PublicError(400, code, message)

#: AgentCore error codes (``Error.Code`` of InvokeAgentRuntime) and what a client sees for each, on every front door.
AGENT_ERRORS: Mapping[str, PublicError] = {
    "ThrottlingException": THROTTLED,
    "ServiceQuotaExceededException": SESSION_LIMIT_REACHED,
    "RetryableConflictException": SESSION_BUSY,
    "ValidationException": INVALID_REQUEST,
    "AccessDeniedException": ACCESS_DENIED,
    "ResourceNotFoundException": AGENT_UNAVAILABLE,
    "InternalServerException": AGENT_ERROR,
    "RuntimeClientError": AGENT_FAILED,
}

# botocore's transport errors, by class name (this module imports no botocore), most specific first.
_TRANSPORT_ERRORS: tuple[tuple[str, PublicError], ...] = (
    ("ReadTimeoutError", TIMEOUT),
    ("ConnectTimeoutError", TIMEOUT),
    ("ResponseStreamingError", CUT_OFF),
    ("EndpointConnectionError", UNREACHABLE),
    ("BotoCoreError", UNREACHABLE),
)


def map_agent_error(exc: BaseException, *, answer_started: bool = False) -> PublicError:
    """What the client sees for an exception raised while invoking the agent or reading its answer.

    Args:
        exc: the exception (a botocore ``ClientError``, a botocore transport error, or anything else).
        answer_started: part of the answer was already relayed, so a transport error means it was cut off.
    """
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and isinstance(response.get("Error"), Mapping):
        error = response["Error"]
        code = str(error.get("Code", ""))
        if code == "RuntimeClientError":
            text = str(error.get("Message", "")).lower()
            return TIMEOUT if "timeout" in text or "timed out" in text else AGENT_FAILED
        if code in AGENT_ERRORS:
            return AGENT_ERRORS[code]
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        return THROTTLED if status == THROTTLED.status else AGENT_ERROR
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "BotoCoreError" in names and answer_started and not names & {"ReadTimeoutError", "ConnectTimeoutError"}:
        return CUT_OFF
    for name, public in _TRANSPORT_ERRORS:
        if name in names:
            return public
    return INTERNAL


def error_code_of(exc: BaseException) -> str:
    """The AgentCore error code of ``exc``, or its class name, for the log (never shown to a client)."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and isinstance(response.get("Error"), Mapping):
        return str(response["Error"].get("Code", type(exc).__name__))
    return type(exc).__name__


__all__ = [
    "AGENT_ERRORS",
    "ARCHIVER_EVENT_NAMES",
    "CONNECT_TIMEOUT_SECONDS",
    "INPUTS_PREFIX",
    "AgentRoute",
    "KEY_PREFIX_SEPARATOR",
    "MAX_JSON_DEPTH",
    "NO_LIMIT",
    "OUTPUTS_PREFIX",
    "ROLLOUT_BUCKETS",
    "ROLLOUT_EXPIRES_AT",
    "ROLLOUT_SESSION_KEY",
    "ROLLOUT_SWITCH_AUTO",
    "ROLLOUT_SWITCH_CACHE_SECONDS",
    "ROLLOUT_SWITCH_CANDIDATE",
    "ROLLOUT_SWITCH_STABLE",
    "RUNTIME_ID_PATTERN",
    "SESSIONS_STOPPED_METRIC",
    "SESSION_BUDGET_DIMENSION",
    "SESSION_BUDGET_NAMESPACE",
    "ConfigurationError",
    "PublicError",
    "SessionIdRule",
    "agent_routes",
    "agentcore_client_settings",
    "error_code_of",
    "invalid_request",
    "key_prefix",
    "map_agent_error",
    "optional_number",
    "require",
    "require_flag",
    "require_number",
]
