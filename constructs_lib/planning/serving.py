"""Serving fit: every limit decision of the front doors around an agent, as pure functions.

The REST facade (buffered and streamed ``POST /invoke``, the job API), the WebSocket facade, payload staging and the
records that track jobs and connections each meet limits of AgentCore, API Gateway, Lambda and S3. The functions here
take the agent's :class:`~constructs_lib.planning.agent_plan.CapacityPlan`, the quota catalog, the region and the
user's props as plain numbers, and return the values a construct configures plus :class:`Finding` objects (errors for
hard limits, warnings for adjustable quotas and advice, infos). A value known only at deploy (a CDK token) is passed
as ``None``: it is not checked and nothing is guessed for it; the construct says so.

Plain Python: nothing here imports the CDK.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName, ResolvedQuota, Unit, format_value
from constructs_lib.planning.agent_plan import CapacityPlan, InvocationMode
from constructs_lib.planning.compute import ComputeKind, session_lifetime_quota
from constructs_lib.planning.findings import Finding, Severity
from constructs_lib.planning.inline import (
    BASE64_GROWTH,
    InlineLimit,
    response_limit,
    rest_inline_limit,
    websocket_inline_limit,
)

#: Seconds a proxy keeps, after its AgentCore client's read timeout, to answer the client with a mapped timeout
#: before its own deadline (the integration or function timeout) cuts the request. A choice of the library.
PROXY_ANSWER_MARGIN_SECONDS = 3.0
#: The part of API Gateway's idle timeout for streamed responses after which the proxy sends a keep-alive on a silent
#: stream (half: a keep-alive is due well before the stream would be cut). A choice of the library.
KEEPALIVE_FRACTION = 0.5

_ANSWER_WAY_OUT = (
    "pass staging=PayloadStaging(...) so that the proxy stores larger answers in the staging bucket and answers with "
    "a pre-signed URL, or stream POST /invoke (streaming=True)"
)

_STAGING_WAY_OUT = {
    "rest": "pass staging=PayloadStaging(...) so that clients upload larger inputs through POST /uploads and send "
    "the object key as payloadKey",
    "websocket": "pass staging=PayloadStaging(...) so that clients upload larger inputs to S3 ({\"upload\": ...} "
    "messages) and send the object key in the message",
}


@dataclass(frozen=True)
class Throttle:
    """A stage throttle, as a facade asks for it.

    Attributes:
        rate_limit: steady-state requests (or messages) per second; ``None`` when known only at deploy.
        burst_limit: burst; ``None`` when known only at deploy.
    """

    rate_limit: float | None
    burst_limit: float | None


@dataclass(frozen=True)
class RestFit:
    """How a REST facade serves its agent within the limits of API Gateway and Lambda.

    Attributes:
        streaming: ``POST /invoke`` streams its response (API Gateway REST response streaming).
        jobs: the asynchronous job API (``POST /jobs``, ``GET /jobs/{jobId}``) is exposed.
        invoke_route: ``POST /invoke`` is exposed.
        integration_timeout_seconds: the API Gateway integration timeout of every route.
        proxy_timeout_seconds: the proxy function's timeout.
        read_timeout_seconds: the proxy's AgentCore read timeout, below both timeouts above.
        jobs_throttle: the ``POST /jobs`` throttle, kept within the session-creation rate (``None`` parts: tokens).
        max_request_bytes: the largest request body the proxy accepts inline (:func:`rest_inline_limit`); larger
            ones are refused with 413 and go through payload staging.
        max_response_bytes: the largest proxy response Lambda returns (its synchronous response payload); a buffered
            answer above it goes to the staging bucket, or is the 502 ``AnswerTooLarge`` without staging.
        stream_keepalive_seconds: seconds of silence after which a streamed answer gets a keep-alive, below API
            Gateway's idle timeout for streamed responses (``None`` unless ``POST /invoke`` streams).
        answer_margin_seconds: seconds before the proxy's deadline at which it ends a stream with an error.
        findings: errors, warnings and infos.
    """

    streaming: bool
    jobs: bool
    invoke_route: bool
    integration_timeout_seconds: int
    proxy_timeout_seconds: int
    read_timeout_seconds: float
    jobs_throttle: Throttle
    max_request_bytes: int
    max_response_bytes: int
    stream_keepalive_seconds: float | None
    answer_margin_seconds: float
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class WebSocketFit:
    """How a WebSocket facade relays its agent within the limits of API Gateway, Lambda and AgentCore.

    The ``$connect``, ``$disconnect`` and ``$default`` routes are answered by a proxy within API Gateway's WebSocket
    integration timeout; ``$default`` hands each message to the relay function (an asynchronous Lambda invocation),
    which streams the agent's answer back for as long as a Lambda function may run.

    Attributes:
        proxy_timeout_seconds: the route proxy's timeout (the WebSocket integration timeout).
        relay_timeout_seconds: the relay function's timeout.
        read_timeout_seconds: the relay's AgentCore read timeout, below its function timeout.
        answer_margin_seconds: seconds before the relay's deadline at which it ends an answer with an error frame.
        frame_bytes: the largest frame the relay sends (API Gateway's WebSocket frame size).
        frames_per_second: the most frames per second the relay sends on a connection (AgentCore's frame rate).
        max_message_bytes: the largest client message the route proxy hands to the relay
            (:func:`websocket_inline_limit`).
        default_connection_record_ttl_seconds: how long a connection record lives unless the user says otherwise:
            as long as API Gateway lets a connection live.
        findings: errors, warnings and infos.
    """

    proxy_timeout_seconds: int
    relay_timeout_seconds: int
    read_timeout_seconds: float
    answer_margin_seconds: float
    frame_bytes: int
    frames_per_second: float
    max_message_bytes: int
    default_connection_record_ttl_seconds: float
    findings: tuple[Finding, ...]





def _exceeds(severity: Severity, code: str, what: str, asked: float, quota: ResolvedQuota, way_out: str) -> Finding:
    """A finding for ``what`` ``asked`` above ``quota``, worded the library's way (value, quota, edition, way out)."""
    return Finding(
        severity,
        code,
        f"{what} {format_value(asked, quota.quota.unit)} exceeds {quota.formatted()}, the {quota.describe()}; "
        f"{way_out}",
        quota.quota.name,
        asked,
        quota.value,
    )


def _smallest(*quotas: ResolvedQuota) -> ResolvedQuota:
    """The binding one of several limits on the same thing."""
    return min(quotas, key=lambda quota: quota.value)


def _whole_seconds(seconds: float) -> int:
    """A timeout in the whole seconds Lambda and API Gateway take (at least one)."""
    return max(1, math.floor(seconds))


def read_timeout_seconds(deadline_seconds: float) -> float:
    """The AgentCore read timeout of a proxy that must answer by ``deadline_seconds``.

    :data:`PROXY_ANSWER_MARGIN_SECONDS` before the deadline, or half of a deadline too short for that margin: always
    positive and always below the deadline, so that the client gets the proxy's mapped timeout, not a bare one.
    """
    if deadline_seconds > 2 * PROXY_ANSWER_MARGIN_SECONDS:
        return deadline_seconds - PROXY_ANSWER_MARGIN_SECONDS
    return deadline_seconds / 2


def buffered_limit(catalog: QuotaCatalog, region: str | None) -> ResolvedQuota:
    """What bounds a buffered REST answer: the integration timeout, or the Lambda timeout if an approved increase
    of the integration timeout goes beyond it."""
    return _smallest(
        catalog.resolve(QuotaName.API_GATEWAY_INTEGRATION_TIMEOUT, region),
        catalog.resolve(QuotaName.LAMBDA_TIMEOUT, region),
    )


def stream_limit(catalog: QuotaCatalog, region: str | None) -> ResolvedQuota:
    """What bounds a REST response stream: the proxy function's timeout and API Gateway's streaming duration."""
    return _smallest(
        catalog.resolve(QuotaName.LAMBDA_TIMEOUT, region),
        catalog.resolve(QuotaName.API_GATEWAY_STREAMING_DURATION, region),
    )


def rest_needs_streaming(plan: CapacityPlan, catalog: QuotaCatalog, region: str | None) -> bool:
    """Whether a synchronous agent's tasks outlast a buffered REST answer, so that only a stream can carry them."""
    task = plan.profile.longest_task_seconds
    return plan.mode is InvocationMode.SYNCHRONOUS and task is not None and task > buffered_limit(catalog, region).value


def throttle_findings(
    plan: CapacityPlan, catalog: QuotaCatalog, region: str | None, throttle: Throttle
) -> list[Finding]:
    """Warnings for a stage throttle above the invoke capacity the agent's plan has (``ThrottleAboveInvokeQuota``)."""
    capacity = plan.invoke_capacity_per_second
    invoke = catalog.resolve(QuotaName.INVOKE_RATE, region)
    findings = []
    for name, asked in (("throttle_rate_limit", throttle.rate_limit), ("throttle_burst_limit", throttle.burst_limit)):
        if asked is not None and asked > capacity:
            findings.append(
                Finding(
                    Severity.WARNING,
                    "ThrottleAboveInvokeQuota",
                    f"{name} {asked:g} exceeds the {format_value(capacity, Unit.PER_SECOND)} the agent can be invoked "
                    f"at ({plan.endpoint_count} endpoint(s) under the {invoke.describe()}); requests above it are "
                    f"throttled by AgentCore (429); lower {name} or {invoke.increase_advice()}",
                    invoke.quota.name,
                    asked,
                    capacity,
                )
            )
    return findings


def rest_staging_required(plan: CapacityPlan, catalog: QuotaCatalog, region: str | None) -> bool:
    """Whether the agent's payloads exceed what a REST facade takes inline, so that they must go through staging."""
    payload = plan.profile.max_payload_bytes
    return payload is not None and payload > rest_inline_limit(catalog, region).bytes


def _staging_findings(plan: CapacityPlan, inline: InlineLimit, *, staging: bool, front_door: str) -> list[Finding]:
    """``PayloadStagingRequired`` (an error) without staging, ``PayloadStagingInUse`` (an info) with it."""
    payload = plan.profile.max_payload_bytes
    if payload is None or payload <= inline.bytes:
        return []
    if not staging:
        return [Finding(
            Severity.ERROR,
            "PayloadStagingRequired",
            f"max_payload {format_value(payload, Unit.BYTES)} exceeds {inline.describe()}; "
            f"{_STAGING_WAY_OUT[front_door]}",
            inline.quota.quota.name,
            payload,
            inline.bytes,
        )]
    return [
        Finding(
            Severity.INFO,
            "PayloadStagingInUse",
            f"inputs above {inline.describe()} travel through the payload staging bucket",
            inline.quota.quota.name,
            payload,
            inline.bytes,
        )
    ]


def answer_findings(plan: CapacityPlan, catalog: QuotaCatalog, region: str | None, *, staging: bool) -> list[Finding]:
    """For a buffered ``POST /invoke``: ``AnswerExceedsLambdaResponse`` (a warning: without staging, answers above
    Lambda's response payload are the 502 ``AnswerTooLarge``) or ``AnswerStagingInUse`` (an info)."""
    answer = plan.profile.max_response_bytes
    limit = response_limit(catalog, region)
    if answer is None or answer <= limit.bytes:
        return []
    if staging:
        return [Finding(
            Severity.INFO, "AnswerStagingInUse",
            f"answers above {limit.describe()} are stored in the payload staging bucket and handed out as "
            "pre-signed URLs",
            limit.quota.quota.name, answer, limit.bytes,
        )]
    return [Finding(
        Severity.WARNING, "AnswerExceedsLambdaResponse",
        f"max_response {format_value(answer, Unit.BYTES)} exceeds {limit.describe()}; such answers fail with "
        f"502 AnswerTooLarge; {_ANSWER_WAY_OUT}",
        limit.quota.quota.name, answer, limit.bytes,
    )]


def stream_keepalive_seconds(catalog: QuotaCatalog, region: str | None) -> float:
    """Seconds of silence after which a REST proxy sends a keep-alive on a streamed answer: a part
    (:data:`KEEPALIVE_FRACTION`) of API Gateway's idle timeout for streamed responses of Regional endpoints (the REST
    facade's endpoint type)."""
    return catalog.value(QuotaName.API_GATEWAY_STREAM_IDLE_TIMEOUT_REGIONAL, region) * KEEPALIVE_FRACTION


def _jobs_throttle(plan: CapacityPlan, throttle: Throttle) -> Throttle:
    """``POST /jobs`` starts a session per request: its throttle stays within the session-creation rate too."""
    sessions = plan.session_creation_capacity_per_second
    rate = None if throttle.rate_limit is None else min(throttle.rate_limit, sessions)
    burst = None if throttle.burst_limit is None else max(1, min(int(throttle.burst_limit), math.floor(sessions)))
    return Throttle(rate, burst)


def rest_fit(
    plan: CapacityPlan,
    catalog: QuotaCatalog,
    region: str | None,
    *,
    throttle: Throttle,
    streaming: bool | None = None,
    jobs: bool | None = None,
    invoke_route: bool | None = None,
    staging: bool = False,
) -> RestFit:
    """Fit a REST facade to its agent's plan.

    Args:
        plan: the agent's plan.
        catalog: the quotas.
        region: the stack's region, or ``None``.
        throttle: the stage throttle asked for.
        streaming: stream ``POST /invoke``. Default: when the agent is planned streaming.
        jobs: expose the job API. Default: when the agent is planned asynchronous.
        invoke_route: expose ``POST /invoke``. Default: unless the agent is planned asynchronous.
        staging: payload staging is wired to the facade.

    Findings: ``TaskExceedsIntegrationTimeout`` (error: a buffered ``POST /invoke`` cannot wait for the longest
    task), ``StreamExceedsProxyTimeout`` (warning: a stream is cut before the longest task ends),
    ``ThrottleAboveInvokeQuota`` (warning), ``PayloadStagingRequired`` (error: payloads above what API Gateway carries
    inline, and no staging) or ``PayloadStagingInUse`` (info), ``AnswerExceedsLambdaResponse`` (warning: buffered
    answers above Lambda's response payload, and no staging) or ``AnswerStagingInUse`` (info).
    """
    asynchronous = plan.mode is InvocationMode.ASYNCHRONOUS
    streaming = plan.mode is InvocationMode.STREAMING if streaming is None else streaming
    jobs = asynchronous if jobs is None else jobs
    invoke_route = not asynchronous if invoke_route is None else invoke_route
    deadline = stream_limit(catalog, region) if streaming else buffered_limit(catalog, region)
    timeout = _whole_seconds(deadline.value)

    findings: list[Finding] = []
    task = plan.profile.longest_task_seconds
    if invoke_route and task is not None and task > deadline.value:
        if streaming:
            findings.append(_exceeds(
                Severity.WARNING, "StreamExceedsProxyTimeout", "longest_task", task, deadline,
                "it also bounds an API Gateway response stream, so longer streams are cut; serve long tasks through "
                "the asynchronous job API (jobs=True) or the AgentWebSocketFacade",
            ))
        else:
            findings.append(_exceeds(
                Severity.ERROR, "TaskExceedsIntegrationTimeout", "longest_task", task, deadline,
                "so POST /invoke would time out; serve it through the asynchronous job API (jobs=True, "
                "invoke_route=False: POST /jobs answers at once), or stream the response (streaming=True), or "
                f"{deadline.increase_advice()}",
            ))
    findings += throttle_findings(plan, catalog, region, throttle)
    inline = rest_inline_limit(catalog, region)
    findings += _staging_findings(plan, inline, staging=staging, front_door="rest")
    if invoke_route and not streaming:
        findings += answer_findings(plan, catalog, region, staging=staging)
    return RestFit(
        streaming=streaming,
        jobs=jobs,
        invoke_route=invoke_route,
        integration_timeout_seconds=timeout,
        proxy_timeout_seconds=timeout,
        read_timeout_seconds=read_timeout_seconds(timeout),
        jobs_throttle=_jobs_throttle(plan, throttle) if jobs else Throttle(None, None),
        max_request_bytes=math.floor(inline.bytes),
        max_response_bytes=int(catalog.value(QuotaName.LAMBDA_SYNC_RESPONSE_PAYLOAD, region)),
        stream_keepalive_seconds=stream_keepalive_seconds(catalog, region) if streaming else None,
        answer_margin_seconds=PROXY_ANSWER_MARGIN_SECONDS,
        findings=tuple(findings),
    )


def websocket_fit(
    plan: CapacityPlan, catalog: QuotaCatalog, region: str | None, *, throttle: Throttle, staging: bool = False
) -> WebSocketFit:
    """Fit a WebSocket facade to its agent's plan.

    Args:
        plan: the agent's plan.
        catalog: the quotas.
        region: the stack's region, or ``None``.
        throttle: the stage's route throttle asked for.
        staging: payload staging is wired to the facade.

    Findings: ``WebSocketFrameExceedsApiGateway`` (error: frames above API Gateway's WebSocket frame size; AgentCore's
    own frame quota is a plan error), ``PayloadStagingRequired`` (error: payloads above a WebSocket message, and no
    staging) or ``PayloadStagingInUse`` (info), ``WebSocketRelayTimeout`` (error: a task longer than the relay
    function can wait; the relay runs asynchronously, so API Gateway's WebSocket integration timeout does not bound
    it), ``ThrottleAboveInvokeQuota`` (warning), ``WebSocketFrameRateAboveStageThrottle`` (warning: the agent's frame
    rate above the stage's route throttle).
    """
    profile = plan.profile
    frame = catalog.resolve(QuotaName.API_GATEWAY_WEBSOCKET_FRAME_SIZE, region)
    message = catalog.resolve(QuotaName.API_GATEWAY_WEBSOCKET_MESSAGE_SIZE, region)
    lambda_timeout = catalog.resolve(QuotaName.LAMBDA_TIMEOUT, region)
    findings: list[Finding] = []
    if profile.websocket_frame_bytes is not None and profile.websocket_frame_bytes > frame.value:
        findings.append(_exceeds(
            Severity.ERROR, "WebSocketFrameExceedsApiGateway", "websocket_frame_size", profile.websocket_frame_bytes,
            frame,
            f"{frame.increase_advice()}: send frames of at most {frame.formatted()} (a message may span frames up to "
            f"{message.formatted()}), stage large content in S3 with PayloadStaging and send its key, or connect "
            "clients to the agent's own WebSocket endpoint (InvokeAgentRuntimeWithWebSocketStream) without API Gateway",
        ))
    inline = websocket_inline_limit(catalog, region)
    findings += _staging_findings(plan, inline, staging=staging, front_door="websocket")
    task = profile.longest_task_seconds
    if plan.mode is not InvocationMode.ASYNCHRONOUS and task is not None and task > lambda_timeout.value:
        findings.append(_exceeds(
            Severity.ERROR, "WebSocketRelayTimeout", "longest_task", task, lambda_timeout,
            "so the WebSocket relay cannot wait for the answer; make the agent asynchronous (answer at once, report "
            "completion through the async job API), or connect clients to the agent's own WebSocket endpoint "
            "(InvokeAgentRuntimeWithWebSocketStream)",
        ))
    findings += throttle_findings(plan, catalog, region, throttle)
    frames = profile.websocket_frames_per_second
    if frames is not None and throttle.rate_limit is not None and frames > throttle.rate_limit:
        findings.append(
            Finding(
                Severity.WARNING,
                "WebSocketFrameRateAboveStageThrottle",
                f"websocket_frames_per_second {frames:g} exceeds the stage's route throttle of "
                f"{throttle.rate_limit:g} messages/s, which applies to all connections together; API Gateway will "
                "throttle client messages: batch messages, or raise throttle_rate_limit",
                None,
                frames,
                throttle.rate_limit,
            )
        )
    relay = _whole_seconds(min(plan.mode_limit_seconds, lambda_timeout.value))
    return WebSocketFit(
        proxy_timeout_seconds=_whole_seconds(
            catalog.value(QuotaName.API_GATEWAY_WEBSOCKET_INTEGRATION_TIMEOUT, region)),
        relay_timeout_seconds=relay,
        read_timeout_seconds=read_timeout_seconds(relay),
        answer_margin_seconds=PROXY_ANSWER_MARGIN_SECONDS,
        frame_bytes=int(frame.value),
        frames_per_second=catalog.resolve(QuotaName.WEBSOCKET_FRAMES_PER_SECOND, region).per_second,
        max_message_bytes=math.floor(inline.bytes),
        default_connection_record_ttl_seconds=catalog.value(
            QuotaName.API_GATEWAY_WEBSOCKET_CONNECTION_DURATION, region
        ),
        findings=tuple(findings),
    )


def _record_outlives(
    code: str, prop: str, ttl_seconds: float | None, tracked: ResolvedQuota, what: str
) -> list[Finding]:
    """An error when a record's time to live is shorter than the longest life of what it tracks."""
    if ttl_seconds is None or ttl_seconds >= tracked.value:
        return []
    return [
        Finding(
            Severity.ERROR,
            code,
            f"{prop} {format_value(ttl_seconds, Unit.SECONDS)} is shorter than {tracked.formatted()}, the "
            f"{tracked.describe()}: a record could expire before its {what} ends; use at least {tracked.formatted()}",
            tracked.quota.name,
            ttl_seconds,
            tracked.value,
        )
    ]


def job_record_findings(
    catalog: QuotaCatalog, region: str | None, time_to_live_seconds: float | None,
    kind: ComputeKind = ComputeKind.MICROVM,
) -> list[Finding]:
    """``JobTimeToLiveTooShort`` (error) when job records could expire before the longest job on ``kind`` ends (the
    asynchronous job duration on microVMs, the session lifetime on Instances)."""
    quota = job_lifetime(catalog, region, kind)
    return _record_outlives("JobTimeToLiveTooShort", "time_to_live", time_to_live_seconds, quota, "job")


def job_lifetime(catalog: QuotaCatalog, region: str | None, kind: ComputeKind) -> ResolvedQuota:
    """The longest a job of an agent on ``kind`` may run (microVM limits when the edition predates Instances)."""
    return session_lifetime_quota(catalog, kind, region) or catalog.resolve(QuotaName.ASYNCHRONOUS_JOB_DURATION, region)


def connection_record_findings(catalog: QuotaCatalog, region: str | None, ttl_seconds: float | None) -> list[Finding]:
    """``ConnectionRecordTtlTooShort`` (error) when connection records could expire while API Gateway keeps the
    connection open (the connection would lose its runtime session)."""
    quota = catalog.resolve(QuotaName.API_GATEWAY_WEBSOCKET_CONNECTION_DURATION, region)
    return _record_outlives("ConnectionRecordTtlTooShort", "connection_record_ttl", ttl_seconds, quota, "connection")


def default_staged_object_bytes(catalog: QuotaCatalog, region: str | None) -> int:
    """The largest object payload staging accepts unless told otherwise: AgentCore's request payload quota (the
    library applies it to staged payloads too)."""
    return int(catalog.value(QuotaName.REQUEST_PAYLOAD, region))


def staging_findings(
    catalog: QuotaCatalog, region: str | None, *, url_expiry_seconds: float | None, max_object_bytes: float | None
) -> list[Finding]:
    """Hard limits of payload staging: ``StagingUrlExpiryTooLong`` (S3's pre-signed URL validity) and
    ``StagedObjectTooLarge`` (AgentCore's request payload quota). ``None`` values are tokens and are not checked."""
    findings = []
    presign = catalog.resolve(QuotaName.S3_PRESIGNED_URL_EXPIRY, region)
    if url_expiry_seconds is not None and url_expiry_seconds > presign.value:
        findings.append(_exceeds(Severity.ERROR, "StagingUrlExpiryTooLong", "url_expiry", url_expiry_seconds, presign,
                                 "use a shorter expiry"))
    payload = catalog.resolve(QuotaName.REQUEST_PAYLOAD, region)
    if max_object_bytes is not None and max_object_bytes > payload.value:
        findings.append(_exceeds(
            Severity.ERROR, "StagedObjectTooLarge", "max_object_size", max_object_bytes, payload,
            f"{payload.increase_advice()}: split the input into several objects, or process it outside the agent "
            "session (for example a Step Functions distributed map)",
        ))
    return findings


__all__ = [
    "BASE64_GROWTH",
    "KEEPALIVE_FRACTION",
    "PROXY_ANSWER_MARGIN_SECONDS",
    "InlineLimit",
    "RestFit",
    "Throttle",
    "WebSocketFit",
    "answer_findings",
    "buffered_limit",
    "connection_record_findings",
    "default_staged_object_bytes",
    "job_lifetime",
    "job_record_findings",
    "read_timeout_seconds",
    "response_limit",
    "rest_fit",
    "rest_inline_limit",
    "rest_needs_streaming",
    "rest_staging_required",
    "staging_findings",
    "stream_keepalive_seconds",
    "stream_limit",
    "throttle_findings",
    "websocket_fit",
    "websocket_inline_limit",
]
