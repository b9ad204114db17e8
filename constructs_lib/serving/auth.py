"""FacadeAuth: how clients authenticate to a facade, the same choices for the REST and the WebSocket facade."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_

from constructs_lib._cdk.props import PropChecks


class AuthKind(StrEnum):
    """The kinds of :class:`FacadeAuth`."""

    IAM = "iam"
    COGNITO = "cognito"
    LAMBDA = "lambda"
    NONE = "none"


class FacadeAuth:
    """How clients authenticate to an :class:`AgentApiFacade` or an :class:`AgentWebSocketFacade`. Use a factory.

    A WebSocket API authorizes only its ``$connect`` route, and supports IAM and Lambda authorizers (not Cognito user
    pools, and without caching). REST APIs have no native JWT authorizer: use :meth:`cognito` for Cognito user pool
    tokens, or :meth:`lambda_authorizer` with a function that validates tokens of any other issuer.

    Attributes:
        kind: which factory made it.
        user_pools: the Cognito user pools (:meth:`cognito`).
        function: the authorizer function (:meth:`lambda_authorizer`).
        identity_source: where the authorizer finds the caller's token, as given (``None``: the ``Authorization``
            header, in the syntax of the facade's API type).
        results_cache_ttl: how long API Gateway caches a decision (REST only).
        scopes: OAuth scopes required with Cognito access tokens.
    """

    def __init__(
        self,
        kind: AuthKind,
        *,
        user_pools: Sequence[cognito.IUserPool] = (),
        function: lambda_.IFunction | None = None,
        identity_source: str | Sequence[str] | None = None,
        results_cache_ttl: cdk.Duration | None = None,
        scopes: Sequence[str] | None = None,
    ) -> None:
        # Types first, before anything reaches jsii (constructs_lib._cdk.props).
        checks = PropChecks()
        checks.instance("kind", kind, AuthKind, "an AuthKind (use a FacadeAuth factory)", optional=False)
        checks.sequence_of("user_pools", user_pools, object, "cognito.IUserPool", optional=False)
        for pool in user_pools if isinstance(user_pools, Sequence) else ():
            checks.resource("user_pool", pool, "user_pool_id", "a cognito.IUserPool", optional=False)
        checks.resource("function", function, "function_arn", "a lambda_.IFunction (not its ARN)")
        if not (isinstance(identity_source, str) or identity_source is None):
            checks.sequence_of("identity_source", identity_source, str, "identity sources (strings)")
        checks.duration("results_cache_ttl", results_cache_ttl)
        checks.sequence_of("scopes", scopes, str, "strings")
        checks.raise_if_any()
        self.kind = kind
        self.user_pools = list(user_pools)
        self.function = function
        self.identity_source = identity_source
        self.results_cache_ttl = results_cache_ttl
        self.scopes = list(scopes) if scopes is not None else None

    @staticmethod
    def iam() -> FacadeAuth:
        """SigV4-signed requests authorized by IAM (``execute-api:Invoke``). The default.

        Grant callers with ``facade.grant_invoke_api(principal)`` (REST) or ``facade.grant_connect(principal)``
        (WebSocket).
        """
        return FacadeAuth(AuthKind.IAM)

    @staticmethod
    def cognito(user_pool: cognito.IUserPool, *, scopes: Sequence[str] | None = None) -> FacadeAuth:
        """Tokens of a Cognito user pool (ID tokens, or access tokens when ``scopes`` are given). REST only."""
        return FacadeAuth(AuthKind.COGNITO, user_pools=[user_pool], scopes=scopes)

    @staticmethod
    def lambda_authorizer(
        function: lambda_.IFunction,
        *,
        identity_source: str | Sequence[str] | None = None,
        results_cache_ttl: cdk.Duration | None = None,
    ) -> FacadeAuth:
        """A Lambda authorizer (for example a JWT validator for any OIDC issuer).

        The REST facade makes it a TOKEN authorizer, the WebSocket facade a REQUEST authorizer on ``$connect``.

        Args:
            function: the authorizer function.
            identity_source: where the token is: one ``method.request...`` source (REST), or a list of
                ``route.request...`` sources (WebSocket; a request without them is rejected before the authorizer
                runs). Default: the ``Authorization`` header.
            results_cache_ttl: how long API Gateway caches a decision (REST only). Default: API Gateway's.
        """
        return FacadeAuth(
            AuthKind.LAMBDA, function=function, identity_source=identity_source, results_cache_ttl=results_cache_ttl
        )

    @staticmethod
    def none() -> FacadeAuth:
        """No authentication at API Gateway. Reported as a synth warning.

        The proxies refuse a request without a caller identity (401): sessions, jobs and staged objects belong to
        callers, and an anonymous request has no owner.
        """
        return FacadeAuth(AuthKind.NONE)


__all__ = ["AuthKind", "FacadeAuth"]
