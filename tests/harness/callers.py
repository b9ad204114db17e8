"""Who calls: the ``requestContext`` parts API Gateway fills in after it authenticated a request.

- :class:`IamCaller`: SigV4 with IAM credentials (``requestContext.identity``: ``userArn``, ``caller``,
  ``user``, ``accountId``, ``accessKey``); :meth:`IamCaller.assumed_role` for a role session
  (``arn:aws:sts::<account>:assumed-role/<role>/<session>``), :meth:`IamCaller.user` for an IAM user;
- :class:`CognitoIdentityCaller`: SigV4 with credentials of a Cognito identity pool (the IAM fields of its
  role session plus ``cognitoIdentityId``, ``cognitoIdentityPoolId``, ``cognitoAuthenticationType`` and
  ``cognitoAuthenticationProvider``);
- :class:`AuthorizerCaller`: a Lambda authorizer's decision (``requestContext.authorizer.principalId``
  and its context values);
- :class:`UserPoolCaller`: a Cognito user pool authorizer (``requestContext.authorizer.claims``).

REST (``identity`` / ``authorizer``) and WebSocket events carry the same shapes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

#: The account of the harness's callers unless one is given.
DEFAULT_ACCOUNT = "123456789012"
_EMPTY_IDENTITY = ("cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "principalOrgId",
                   "accessKey", "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user")


def _unique_id(prefix: str, seed: str) -> str:
    return prefix + hashlib.sha256(seed.encode()).hexdigest()[:17].upper()


def base_identity(source_ip: str, user_agent: str) -> dict[str, Any]:
    """``requestContext.identity`` of an unauthenticated request: every IAM field ``null``."""
    return {**{name: None for name in _EMPTY_IDENTITY}, "sourceIp": source_ip, "userAgent": user_agent}


class Caller:
    """A caller's contribution to ``requestContext``; subclasses fill in their part."""

    #: The API Gateway authorization type (of a method or route) that lets this caller through.
    authorization_type: ClassVar[str] = "NONE"

    def identity(self, source_ip: str, user_agent: str) -> dict[str, Any]:
        """``requestContext.identity``."""
        return base_identity(source_ip, user_agent)

    def authorizer(self) -> dict[str, Any] | None:
        """``requestContext.authorizer``, or ``None``."""
        return None


@dataclass(frozen=True)
class IamCaller(Caller):
    """A SigV4 caller with IAM credentials.

    Attributes:
        user_arn: the principal's ARN (an assumed-role session ARN, or an IAM user ARN).
        caller_id: ``identity.caller`` (``AROA...:<session>`` for a role session, the user id for a user).
        account: the caller's account.
        access_key: the access key id it signed with.
    """

    user_arn: str
    caller_id: str
    account: str = DEFAULT_ACCOUNT
    access_key: str = "ASIAHARNESSEXAMPLE00"
    authorization_type: ClassVar[str] = "AWS_IAM"

    @classmethod
    def assumed_role(cls, role: str, session: str, account: str = DEFAULT_ACCOUNT) -> IamCaller:
        """A session of an IAM role (every user behind a web app role is one of these)."""
        role_id = _unique_id("AROA", f"{account}/{role}")
        return cls(f"arn:aws:sts::{account}:assumed-role/{role}/{session}", f"{role_id}:{session}", account)

    @classmethod
    def user(cls, name: str, account: str = DEFAULT_ACCOUNT) -> IamCaller:
        """An IAM user."""
        return cls(f"arn:aws:iam::{account}:user/{name}", _unique_id("AIDA", f"{account}/{name}"), account,
                   "AKIAHARNESSEXAMPLE00")

    def identity(self, source_ip: str, user_agent: str) -> dict[str, Any]:
        """The IAM fields API Gateway sets for a SigV4-authenticated request."""
        return {**base_identity(source_ip, user_agent), "accountId": self.account, "caller": self.caller_id,
                "user": self.caller_id, "userArn": self.user_arn, "accessKey": self.access_key}


@dataclass(frozen=True)
class CognitoIdentityCaller(Caller):
    """A caller with credentials of a Cognito identity pool (all of them share the pool's role).

    Attributes:
        identity_id: the caller's Cognito identity id (``<region>:<uuid>``).
        pool_id: the identity pool id.
        role: the pool role the credentials are a session of.
        authenticated: an authenticated identity (else a guest).
        provider: ``cognitoAuthenticationProvider`` (the user pool and subject, for an authenticated one).
        account: the account.
    """

    identity_id: str
    pool_id: str = "us-east-1:00000000-0000-4000-8000-000000000000"
    role: str = "Cognito_HarnessAuth_Role"
    authenticated: bool = True
    provider: str | None = None
    account: str = DEFAULT_ACCOUNT
    authorization_type: ClassVar[str] = "AWS_IAM"

    def identity(self, source_ip: str, user_agent: str) -> dict[str, Any]:
        """The role session's IAM fields and the Cognito identity fields."""
        session = IamCaller.assumed_role(self.role, "CognitoIdentityCredentials", self.account)
        return {**session.identity(source_ip, user_agent),
                "cognitoIdentityId": self.identity_id, "cognitoIdentityPoolId": self.pool_id,
                "cognitoAuthenticationType": "authenticated" if self.authenticated else "unauthenticated",
                "cognitoAuthenticationProvider": self.provider}


@dataclass(frozen=True)
class AuthorizerCaller(Caller):
    """A caller a Lambda authorizer allowed.

    Attributes:
        principal_id: the policy's ``principalId``.
        context: the authorizer's context values (strings, numbers, booleans).
    """

    principal_id: str
    context: Mapping[str, str | int | bool] = field(default_factory=dict)
    authorization_type: ClassVar[str] = "CUSTOM"

    def authorizer(self) -> dict[str, Any]:
        """``{"principalId": ..., "integrationLatency": 0, **context}``."""
        return {"principalId": self.principal_id, "integrationLatency": 0, **self.context}


@dataclass(frozen=True)
class UserPoolCaller(Caller):
    """A caller with a Cognito user pool token (``COGNITO_USER_POOLS`` authorization).

    Attributes:
        claims: the token's claims (``sub`` at least).
    """

    claims: Mapping[str, str]
    authorization_type: ClassVar[str] = "COGNITO_USER_POOLS"

    def authorizer(self) -> dict[str, Any]:
        """``{"claims": {...}}``."""
        return {"claims": dict(self.claims)}
