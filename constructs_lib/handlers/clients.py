"""The boto3 clients of a proxy, created on first use, or injected (tests).

boto3 only (packaged beside the proxies as ``clients.py``). Every client uses botocore's standard retry mode, except
``bedrock-agentcore``, which takes the facade's settings (one attempt, its read timeout: see
:func:`contract.agentcore_client_settings`); ``apigatewaymanagementapi`` talks to the stage's callback URL, and ``s3``
signs staging URLs the way :func:`staging_urls.s3_client` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config

try:  # inside the package (tests, other modules)
    from constructs_lib.handlers import contract, staging_urls
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import contract  # type: ignore[no-redef]
    import staging_urls  # type: ignore[no-redef]

#: Retries of every client but AgentCore's.
STANDARD_RETRIES = Config(retries={"mode": "standard"})


class LazyClients:
    """boto3 clients by service name.

    Args:
        environ: the proxy's environment (the AgentCore client's settings are read from it when it is first used).
        callback_url: the management API endpoint of a WebSocket stage. Default: none.
        injected: clients to use instead of creating them (``{"dynamodb": client, ...}``).
    """

    def __init__(self, environ: Mapping[str, str], *, callback_url: str | None = None,
                 injected: Mapping[str, Any] | None = None) -> None:
        self._environ = environ
        self._callback_url = callback_url
        self._clients: dict[str, Any] = {k: v for k, v in (injected or {}).items() if v is not None}

    def __getitem__(self, name: str) -> Any:
        if name not in self._clients:
            self._clients[name] = self._create(name)
        return self._clients[name]

    def set(self, name: str, client: Any) -> None:
        """Use ``client`` for ``name`` (``None``: create one on next use)."""
        if client is None:
            self._clients.pop(name, None)
        else:
            self._clients[name] = client

    def _create(self, name: str) -> Any:
        if name == "bedrock-agentcore":
            return boto3.client(name, config=Config(**contract.agentcore_client_settings(self._environ)))
        if name == "apigatewaymanagementapi":
            return boto3.client(name, endpoint_url=self._callback_url, config=STANDARD_RETRIES)
        if name == "s3":
            return staging_urls.s3_client()  # SigV4, regional endpoint: URLs that work everywhere
        return boto3.client(name, config=STANDARD_RETRIES)


__all__ = ["STANDARD_RETRIES", "LazyClients"]
