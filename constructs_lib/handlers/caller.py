"""Who calls a front door, and the runtime session, user id and staging prefix that belong to that caller.

Standard library only (packaged beside the proxies as ``caller.py``; the REST and the WebSocket proxy read callers the
same way, from the ``requestContext`` API Gateway puts in every proxy event after it authenticated the request).

**The caller is the full principal**, the first of:

1. ``identity.cognitoIdentityId`` (with ``cognitoIdentityPoolId``): credentials of a Cognito identity pool. Every
   identity of a pool uses the same pool role and the same role session name, so only the identity id tells them apart;
2. ``authorizer.principalId``: the principal a Lambda authorizer returned;
3. ``authorizer.claims.sub`` (with the token's issuer ``iss``): a Cognito user pool authorizer;
4. ``identity.userArn``: a SigV4 caller. For an assumed role it is the role *session* ARN
   (``arn:aws:sts::<account>:assumed-role/<role>/<session name>``): two users behind one role are two callers as long
   as their applications give them different session names (``RoleSessionName``; pin it with ``sts:RoleSessionName``
   or source identity in the role's trust policy).

A request with none of these has no owner: the proxies refuse it (401 ``Unauthenticated``).

**The runtime session AgentCore sees is derived, never taken from the client**: HMAC-SHA256 (keyed with this
library's domain key) over the caller's key and the client's own session id, written in hexadecimal to the length the
session-id rule allows. The same caller with the same client session id always lands in the same runtime session, on
every front door (buffered and streamed ``POST /invoke``, ``POST /jobs``, WebSocket messages); another caller sending
the same client session id lands in a different runtime session, and no client can name a runtime session directly.
A front door that serves several agents (the platform's shared API) adds the agent to the derivation, so one caller's
sessions on two agents are unrelated too.

**Staging**: each caller has its own key segment (the SHA-256 of its key) under an agent's input and output prefixes;
the proxies sign uploads and downloads and accept ``payloadKey`` only under the caller's own segment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

try:  # inside the package (tests, other modules)
    from constructs_lib.handlers import contract
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import contract  # type: ignore[no-redef]

#: The key of the session-id derivation: it separates these ids from any other use of the same inputs.
_DOMAIN_KEY = b"constructs_lib/caller-bound-runtime-session/v1"
#: Hexadecimal characters of the caller's staging segment (128 bits of its SHA-256).
_STAGING_SEGMENT_LENGTH = 32


@dataclass(frozen=True)
class Caller:
    """One authenticated caller.

    Attributes:
        kind: how API Gateway authenticated it: ``cognito-identity``, ``authorizer``, ``user-pool`` or ``iam``.
        principal: the full principal of that kind (an identity pool and identity id, an authorizer's principal id, a
            user pool issuer and subject, or an IAM principal ARN with its role session name).
    """

    kind: str
    principal: str

    @property
    def key(self) -> str:
        """``<kind>:<principal>``: what owns the caller's sessions, jobs and staged objects."""
        return f"{self.kind}:{self.principal}"

    def runtime_user_id(self, max_length: int) -> str:
        """The ``runtimeUserId`` sent to AgentCore: the caller's key, or ``sha256:<hex>`` of it when longer than
        ``max_length``."""
        if len(self.key) <= max_length:
            return self.key
        return "sha256:" + hashlib.sha256(self.key.encode("utf-8")).hexdigest()

    def runtime_session_id(
        self, client_session_id: str, rule: contract.SessionIdRule, *, scope: str | None = None
    ) -> str:
        """The runtime session of this caller for the client's session id (see the module docstring).

        Args:
            client_session_id: the session id the client uses.
            rule: the session-id rule.
            scope: the agent, for a front door that serves several (its key prefix): the same caller and client
                session id then map to a different runtime session on each agent. Default: none (one agent).

        Raises:
            contract.ConfigurationError: the session-id rule does not accept the derived id (a misconfigured rule).
        """
        parts = [self.key, client_session_id] if not scope else [self.key, client_session_id, scope]
        message = json.dumps(parts, separators=(",", ":")).encode("utf-8")
        digest = hmac.new(_DOMAIN_KEY, message, hashlib.sha256).hexdigest()
        length = max(rule.min_length, min(len(digest), rule.max_length))
        block = digest
        while len(digest) < length:  # a rule asking for more than one digest: chain further blocks
            block = hmac.new(_DOMAIN_KEY, block.encode("ascii") + message, hashlib.sha256).hexdigest()
            digest += block
        session_id = digest[:length]
        if not rule.accepts(session_id):
            raise contract.ConfigurationError(
                f"{contract.ENV_SESSION_ID_PATTERN} does not accept the caller-bound session ids the proxy derives"
            )
        return session_id

    @property
    def staging_segment(self) -> str:
        """The caller's key segment under an agent's staging prefixes (hexadecimal, no identity in clear)."""
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:_STAGING_SEGMENT_LENGTH]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def caller_of(request_context: Mapping[str, Any] | None) -> Caller | None:
    """The caller of a REST or WebSocket proxy event's ``requestContext``; ``None`` when it names nobody."""
    context = _mapping(request_context)
    identity, authorizer = _mapping(context.get("identity")), _mapping(context.get("authorizer"))
    identity_id = _text(identity.get("cognitoIdentityId"))
    if identity_id:
        pool = _text(identity.get("cognitoIdentityPoolId")) or "-"
        return Caller("cognito-identity", f"{pool}/{identity_id}")
    principal = _text(authorizer.get("principalId"))
    if principal:
        return Caller("authorizer", principal)
    claims = _mapping(authorizer.get("claims"))
    subject = _text(claims.get("sub"))
    if subject:
        return Caller("user-pool", f"{_text(claims.get('iss')) or '-'}/{subject}")
    arn = _text(identity.get("userArn"))
    if arn:
        return Caller("iam", arn)
    return None


__all__ = ["Caller", "caller_of"]
