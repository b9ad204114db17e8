"""What the REST and the WebSocket facade share, held by each facade (composition, not inheritance).

:class:`FacadeCore` checks the props both facades take (agent, auth, qualifier, throttles, staging, whether the caller
is sent as ``runtimeUserId``) the same way with the same codes, takes the throttles from the agent's plan, builds the
proxy functions (on the Powertools layer) with the handler contract's environment and exactly the AgentCore actions
each one uses, wires payload staging, and reports the facade's fit findings. Every limit decision is made in
:mod:`constructs_lib.planning.serving`; nothing here compares a number with a limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib._cdk import perms
from constructs_lib._cdk.functions import DEFAULT_PYTHON_RUNTIME, handler_code, powertools_layer, secure_function
from constructs_lib._cdk.reporting import report, report_unresolved, report_warning
from constructs_lib._cdk.scope import path_of
from constructs_lib.agent.interface import IAgentCoreAgent, require_agent
from constructs_lib.agent.rollout import RolloutControl
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.handlers import contract
from constructs_lib.limits.service import (
    DEFAULT_ENDPOINT,
    RUNTIME_USER_ID_MAX_LENGTH,
    SESSION_HEADER,
    SESSION_ID_MAX_LENGTH,
    SESSION_ID_MIN_LENGTH,
    SESSION_ID_PATTERN,
)
from constructs_lib.planning.findings import Finding
from constructs_lib.planning.serving import PROXY_ANSWER_MARGIN_SECONDS, Throttle
from constructs_lib.serving._perms import STOP_RUNTIME_SESSION
from constructs_lib.serving._values import is_token
from constructs_lib.serving.auth import AuthKind, FacadeAuth
from constructs_lib.serving.payload_staging import PayloadStaging

#: Attempts of one InvokeAgentRuntime call by a proxy: one, since a retried invocation would run the task twice.
INVOKE_ATTEMPTS = 1
#: The routing module every proxy imports (it routes by the agent's rollout, or to the facade's qualifier).
_ROUTING_FILES = ("rollout.py",)


def _throttle_problems(rate: Any, burst: Any) -> list[str]:
    problems = []
    if not is_token(rate) and (isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0):
        problems.append(f"throttle_rate_limit must be a positive number, got {rate!r}")
    if not is_token(burst) and (isinstance(burst, bool) or not isinstance(burst, int) or burst < 1):
        # API Gateway's token bucket with a burst of 0 rejects every request.
        problems.append(f"throttle_burst_limit must be a whole number of at least 1, got {burst!r}")
    return problems


def proxy_environment(
    *, handler: str, read_timeout_seconds: float, invokes: bool, binds_sessions: bool, send_runtime_user_id: bool
) -> dict[str, str]:
    """The variables every proxy of the handler contract reads, whichever agents it serves (:mod:`contract`).

    Args:
        handler: the Lambda handler (its module names the Powertools service).
        read_timeout_seconds: the AgentCore read timeout (from the facade's fit).
        invokes: the function relays answers of InvokeAgentRuntime.
        binds_sessions: the function reads callers and derives their runtime sessions (the session-id rule).
        send_runtime_user_id: the caller is sent as ``runtimeUserId``.
    """
    environment = {
        contract.ENV_AGENT_READ_TIMEOUT_SECONDS: f"{read_timeout_seconds:g}",
        contract.ENV_AGENT_MAX_ATTEMPTS: str(INVOKE_ATTEMPTS),
        "POWERTOOLS_SERVICE_NAME": handler.split(".", 1)[0].replace("_", "-"),
    }
    if binds_sessions:  # reads callers and derives their sessions
        environment.update({
            contract.ENV_SESSION_HEADER: SESSION_HEADER,
            contract.ENV_SESSION_ID_PATTERN: SESSION_ID_PATTERN.pattern,
            contract.ENV_SESSION_ID_MIN_LENGTH: str(SESSION_ID_MIN_LENGTH),
            contract.ENV_SESSION_ID_MAX_LENGTH: str(SESSION_ID_MAX_LENGTH),
            contract.ENV_RUNTIME_USER_ID_MAX_LENGTH: str(RUNTIME_USER_ID_MAX_LENGTH),
        })
    if invokes:  # relays answers
        environment.update({
            contract.ENV_SEND_RUNTIME_USER_ID: "true" if send_runtime_user_id else "false",
            contract.ENV_ANSWER_MARGIN_SECONDS: f"{PROXY_ANSWER_MARGIN_SECONDS:g}",
        })
    return environment


def invoke_actions(*, invokes: bool, stops_sessions: bool, send_runtime_user_id: bool) -> list[str]:
    """The AgentCore actions of a proxy: InvokeAgentRuntime (and ForUser when the caller is sent), and
    StopRuntimeSession."""
    actions = []
    if invokes:
        actions.append(perms.INVOKE_AGENT_RUNTIME)
        if send_runtime_user_id:
            actions.append(perms.INVOKE_AGENT_RUNTIME_FOR_USER)
    if stops_sessions:
        actions.append(STOP_RUNTIME_SESSION)
    return actions


def endpoint_arns(agent: IAgentCoreAgent, qualifier: str) -> list[str]:
    """What AgentCore authorizes a call on: the runtime and the endpoint the qualifier names
    (endpoint ARN: ``<runtime ARN>/runtime-endpoint/<name>``)."""
    return [agent.agent_runtime_arn, f"{agent.agent_runtime_arn}/runtime-endpoint/{qualifier}"]


class FacadeCore:
    """The shared part of a facade: checked props, throttles from the plan, the proxy, staging, auth warnings.

    Args:
        facade: the facade construct that holds this core (children are created under it).
        agent: the agent the facade serves.
        auth: how clients authenticate. Default: IAM.
        supported_auth: the auth kinds the facade's API type supports.
        qualifier: the endpoint to invoke. Default: the agent's ``default_qualifier``; for an agent with a rollout,
            each new session is assigned to its stable or candidate endpoint (``routing``), and a ``qualifier``
            pins the facade to that one endpoint instead.
        throttle_rate_limit: the stage's steady-state rate. Default: the plan's ``api_throttle_rate``.
        throttle_burst_limit: the stage's burst. Default: the plan's ``api_throttle_burst``.
        staging: payload staging for the facade.
        send_runtime_user_id: send the caller as ``runtimeUserId``.

    Raises:
        ConstructsLibValidationError: ``InvalidAgent`` (agent), ``InvalidProps`` (staging or send_runtime_user_id of
            the wrong type),
            ``UnsupportedAuth``, ``UnknownQualifier``, ``InvalidThrottle``.
    """

    def __init__(
        self,
        facade: Construct,
        *,
        agent: IAgentCoreAgent,
        auth: FacadeAuth | None,
        supported_auth: Sequence[AuthKind],
        qualifier: str | None,
        throttle_rate_limit: float | None,
        throttle_burst_limit: int | None,
        staging: PayloadStaging | None,
        send_runtime_user_id: bool = True,
    ) -> None:
        self.facade = facade
        path = path_of(facade)
        require_agent(agent, "agent", path, code="InvalidProps")
        if staging is not None and not isinstance(staging, PayloadStaging):
            raise ConstructsLibValidationError(
                "InvalidProps", f"staging must be a PayloadStaging, got {type(staging).__name__}", path
            )
        if not isinstance(send_runtime_user_id, bool):
            raise ConstructsLibValidationError(
                "InvalidProps", f"send_runtime_user_id must be True or False, got {send_runtime_user_id!r}", path
            )
        self.agent = agent
        self.staging = staging
        self.send_runtime_user_id = send_runtime_user_id
        self.auth = self._checked_auth(auth or FacadeAuth.iam(), supported_auth)
        self.qualifier: str = qualifier or agent.default_qualifier
        #: The agent's rollout the proxies route sessions through (``None``: they invoke ``qualifier`` only).
        self.routing: RolloutControl | None = agent.rollout_control if qualifier is None else None
        self._check_qualifier()
        plan = agent.plan
        self.throttle_rate_limit: float = (
            plan.api_throttle_rate if throttle_rate_limit is None else throttle_rate_limit
        )
        self.throttle_burst_limit: int = (
            plan.api_throttle_burst if throttle_burst_limit is None else throttle_burst_limit
        )
        self.throttle: Throttle = self._checked_throttle()

    # -- props ---------------------------------------------------------------------------------------

    def _checked_auth(self, auth: FacadeAuth, supported: Sequence[AuthKind]) -> FacadeAuth:
        if not isinstance(auth, FacadeAuth):
            raise ConstructsLibValidationError(
                "InvalidProps", f"auth must be a FacadeAuth (FacadeAuth.iam(), ...), got {type(auth).__name__}",
                path_of(self.facade),
            )
        if auth.kind not in supported:
            raise ConstructsLibValidationError(
                "UnsupportedAuth",
                f"auth FacadeAuth.{auth.kind.value}() is not supported by {type(self.facade).__name__} "
                f"(supported: {', '.join(f'FacadeAuth.{k.value}()' for k in supported)})",
                path_of(self.facade),
            )
        return auth

    def _check_qualifier(self) -> None:
        if is_token(self.qualifier):
            report_unresolved(self.facade, "qualifier", "the agent's endpoints")
            return
        known = [DEFAULT_ENDPOINT, *self.agent.endpoints]
        if self.qualifier not in known:
            raise ConstructsLibValidationError(
                "UnknownQualifier",
                f"qualifier {self.qualifier!r} is not an endpoint of agent {self.agent.runtime_name} "
                f"(endpoints: {', '.join(known)})",
                path_of(self.facade),
            )

    def _checked_throttle(self) -> Throttle:
        rate, burst = self.throttle_rate_limit, self.throttle_burst_limit
        raise_all("InvalidThrottle", _throttle_problems(rate, burst), path_of(self.facade))
        if is_token(rate) or is_token(burst):
            report_unresolved(self.facade, "throttle_rate_limit or throttle_burst_limit", "the agent's invoke capacity")
        return Throttle(None if is_token(rate) else float(rate), None if is_token(burst) else float(burst))

    # -- findings ------------------------------------------------------------------------------------

    def report(self, findings: Sequence[Finding]) -> None:
        """Report the facade's fit findings on the facade (errors fail synth, all at once)."""
        report(self.facade, findings)

    def warn_unauthenticated(self, what: str) -> None:
        """The acknowledgeable warning ``constructs_lib:UnauthenticatedApi`` of ``FacadeAuth.none()``."""
        report_warning(
            self.facade,
            "UnauthenticatedApi",
            f"the {what} of agent {self.agent.runtime_name} accepts unauthenticated requests (FacadeAuth.none()): "
            "anyone who finds the URL reaches the proxy, which refuses every request without a caller identity "
            "(401: sessions, jobs and staged objects belong to callers); use FacadeAuth.iam() or "
            ".lambda_authorizer(...)",
        )

    # -- resources -----------------------------------------------------------------------------------

    def access_log_group(self, log_retention: logs.RetentionDays) -> logs.LogGroup:
        """The API's access log group ``AccessLogs`` (operational data of a replaceable API: it goes with the stack)."""
        return logs.LogGroup(
            self.facade, "AccessLogs", retention=log_retention, removal_policy=cdk.RemovalPolicy.DESTROY
        )

    def proxy_function(
        self,
        *,
        purpose: str,
        files: Sequence[str],
        handler: str,
        timeout_seconds: int,
        read_timeout_seconds: float,
        memory_size: int,
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        description: str,
        invokes: bool = True,
        stops_sessions: bool = True,
        binds_sessions: bool = True,
        construct_id: str = "Proxy",
    ) -> lambda_.Function:
        """A proxy function under ``construct_id`` (``ServiceRole``, ``LogGroup``, ``Function``) on the Powertools
        layer, with the contract's environment and exactly the AgentCore actions it uses, on this facade's runtime and
        endpoint only.

        Args:
            purpose: a few words naming the proxy, for its role and acknowledgments.
            files: the handler files packaged with the contract (the handler module first).
            handler: the Lambda handler.
            timeout_seconds: the function timeout (from the facade's fit).
            read_timeout_seconds: the AgentCore read timeout (from the facade's fit).
            memory_size: memory in MiB.
            environment: variables of this proxy besides the shared ones.
            log_retention: retention of the function's log group.
            description: the function description.
            invokes: the function calls InvokeAgentRuntime (and InvokeAgentRuntimeForUser when the caller is sent).
            stops_sessions: the function calls StopRuntimeSession.
            binds_sessions: the function reads callers and derives their runtime sessions (the session-id rule).
            construct_id: the id of the construct holding the function.
        """
        agent = self.agent
        shared = {
            contract.ENV_AGENT_RUNTIME_ARN: agent.agent_runtime_arn,
            contract.ENV_AGENT_QUALIFIER: self.qualifier,
            **proxy_environment(handler=handler, read_timeout_seconds=read_timeout_seconds, invokes=invokes,
                                binds_sessions=binds_sessions, send_runtime_user_id=self.send_runtime_user_id),
        }
        guard = agent.session_guard
        # A proxy that registers sessions in a session budget assigns them too (the registry keeps their endpoint).
        assigns = invokes or (guard is not None and binds_sessions)
        if self.routing is not None and (assigns or stops_sessions):  # assigns sessions to endpoints, or finds them
            shared.update(self.routing.environment_for_proxy())
        if guard is not None and (binds_sessions or stops_sessions):  # registers or releases sessions
            shared.update(guard.environment_for_front_door())
        created = secure_function(
            Construct(self.facade, construct_id),
            purpose=purpose,
            code=handler_code(*files, *_ROUTING_FILES),
            handler=handler,
            runtime=DEFAULT_PYTHON_RUNTIME,
            timeout=cdk.Duration.seconds(timeout_seconds),
            memory_size=memory_size,
            environment={**shared, **environment},
            log_retention=log_retention,
            dead_letter_queue=False,
            description=description,
            layers=[powertools_layer(self.facade, DEFAULT_PYTHON_RUNTIME)],
        )
        function = created.function
        if guard is not None and (binds_sessions or stops_sessions):
            guard.grant_admit(function)
        actions = invoke_actions(invokes=invokes, stops_sessions=stops_sessions,
                                 send_runtime_user_id=self.send_runtime_user_id)
        if invokes and self.send_runtime_user_id:
            # An invocation for a user makes AgentCore fetch the user's workload access token with the agent's
            # execution role: allow it, on the agent's own workload identity only.
            self.agent.allow_workload_token_for_user_id()
        if actions:
            # A routing proxy calls both rollout endpoints.
            resources = ([agent.agent_runtime_arn, *self.routing.endpoint_arns] if self.routing is not None
                         else endpoint_arns(agent, self.qualifier))
            iam.Grant.add_to_principal(grantee=function, actions=actions, resource_arns=resources)
        if self.routing is not None and (assigns or stops_sessions):
            self.routing.grant_routing(function, assigns=assigns)
        return function

    def wire_staging(self, function: lambda_.Function, *, downloads: bool, answers: bool = False) -> None:
        """Tell the proxy the staging bucket and the agent's prefixes (the proxy adds each caller's segment), let it
        sign uploads (and downloads) for this agent only, store answers too large to return (``answers``), and bind
        the agent to its prefixes."""
        staging = self.staging
        if staging is None:
            return
        for key, value in staging.environment_for_proxy(self.agent).items():
            function.add_environment(key, value)
        staging.grant_presign_upload(function, agent=self.agent)
        if downloads:
            staging.grant_presign_download(function, agent=self.agent)
        if answers:
            staging.grant_stage_answers(function, agent=self.agent)
        staging.bind(self.agent)


class SharedFacadeProps:
    """The props both facades share, read from their :class:`FacadeCore` (a facade sets ``self._core`` first)."""

    _core: FacadeCore

    @property
    def agent(self) -> IAgentCoreAgent:
        """The agent the facade serves."""
        return self._core.agent

    @property
    def auth(self) -> FacadeAuth:
        """How clients authenticate."""
        return self._core.auth

    @property
    def qualifier(self) -> str:
        """The endpoint the proxy invokes."""
        return self._core.qualifier

    @property
    def throttle_rate_limit(self) -> float:
        """The stage's steady-state rate (the plan's unless the user set one)."""
        return self._core.throttle_rate_limit

    @property
    def throttle_burst_limit(self) -> int:
        """The stage's burst (the plan's unless the user set one)."""
        return self._core.throttle_burst_limit

    @property
    def staging(self) -> PayloadStaging | None:
        """The payload staging wired to the facade, if any."""
        return self._core.staging

    @property
    def send_runtime_user_id(self) -> bool:
        """Whether the proxy sends the caller as ``runtimeUserId``."""
        return self._core.send_runtime_user_id


__all__ = ["INVOKE_ATTEMPTS", "FacadeCore", "SharedFacadeProps", "endpoint_arns", "invoke_actions", "proxy_environment"]
