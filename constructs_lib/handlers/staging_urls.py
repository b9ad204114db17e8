"""Pre-signed URLs for the payload staging bucket: short-lived, size-limited, scoped to one caller of one agent.

Key layout: ``inputs/<runtime_name>/<caller segment>/...`` and ``outputs/<runtime_name>/<caller segment>/...``. A
proxy turns the agent's configuration into the caller's with :meth:`StagingConfig.for_caller` (the caller's segment is
:attr:`caller.Caller.staging_segment`), then signs only under those prefixes and accepts only keys under them
(:func:`require_own_input`, :func:`require_own_output`): the REST and the WebSocket proxy check the same way.

Pure helpers for a proxy Lambda (boto3 only, no CDK). The S3 client is passed in (make one with
:func:`s3_client`), so tests can use moto or a botocore Stubber.

How the size limit is enforced:

- a pre-signed **POST** carries a policy with a ``content-length-range`` condition; S3 rejects an upload
  outside the range (this is the only way S3 enforces a maximum size for an upload whose size the
  server does not know in advance);
- a pre-signed **PUT** is signed with the ``Content-Length`` the client declares (checked against the
  maximum first); S3 rejects a body of any other length, because the header is part of the signature.

The ``PayloadStaging`` construct sets the environment variables read by :meth:`StagingConfig.from_environment`
(their names are in :mod:`contract`).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

try:  # inside the package (tests, the constructs)
    from constructs_lib.handlers import contract
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import contract  # type: ignore[no-redef]

#: Key prefix for client uploads.
INPUTS_PREFIX = contract.INPUTS_PREFIX
#: Key prefix for agent results.
OUTPUTS_PREFIX = contract.OUTPUTS_PREFIX

# A client-supplied file name is kept only as a harmless last key segment.
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_MAX_NAME_LENGTH = 100


class StagingError(ValueError):
    """A staging request that cannot be honoured (a client error: maps to HTTP 400).

    Attributes:
        code: stable identifier (``ObjectTooLarge``, ``KeyOutsidePrefix``, ``InvalidSize``).
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class StagingConfig:
    """What a proxy knows about the staging bucket.

    Attributes:
        bucket: bucket name.
        url_expiry_seconds: the longest validity of a URL; requests for longer are clamped to it.
        max_object_bytes: the largest upload allowed.
        input_prefix: the agent's input prefix (``inputs/<runtime_name>/``).
        output_prefix: the agent's output prefix (``outputs/<runtime_name>/``).
    """

    bucket: str
    url_expiry_seconds: int
    max_object_bytes: int
    input_prefix: str = INPUTS_PREFIX
    output_prefix: str = OUTPUTS_PREFIX

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> StagingConfig:
        """Read the configuration from the variables ``PayloadStaging.environment_for_proxy`` sets.

        Raises:
            contract.ConfigurationError: a variable is missing or malformed (there is no fallback).
        """
        env = os.environ if environ is None else environ
        return cls(
            bucket=contract.require(env, contract.ENV_STAGING_BUCKET),
            url_expiry_seconds=int(contract.require_number(env, contract.ENV_STAGING_URL_EXPIRY_SECONDS)),
            max_object_bytes=int(contract.require_number(env, contract.ENV_STAGING_MAX_OBJECT_BYTES)),
            input_prefix=contract.require(env, contract.ENV_STAGING_INPUT_PREFIX),
            output_prefix=contract.require(env, contract.ENV_STAGING_OUTPUT_PREFIX),
        )

    def for_caller(self, segment: str) -> StagingConfig:
        """The configuration of one caller: the agent's prefixes with the caller's segment below them."""
        return replace(self, input_prefix=f"{self.input_prefix}{segment}/",
                       output_prefix=f"{self.output_prefix}{segment}/")

    def expiry(self, requested: int | None = None) -> int:
        """The expiry to sign with: ``requested`` seconds, never more than ``url_expiry_seconds``."""
        if requested is None or requested <= 0:
            return self.url_expiry_seconds
        return min(int(requested), self.url_expiry_seconds)


def s3_client(region_name: str | None = None) -> Any:
    """An S3 client fit for signing staging URLs: SigV4 (required for SSE-KMS objects; SigV2 URLs carry no
    ``X-Amz-Expires`` and are deprecated), the regional endpoint, and standard retries."""
    import boto3  # imported here so that the constructs can import this module's constants without boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        region_name=region_name,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"},
            retries={"mode": "standard"},
        ),
    )


def new_input_key(config: StagingConfig, file_name: str | None = None) -> str:
    """A fresh key under the configuration's input prefix: ``<prefix><random id>[/<sanitized file name>]``.

    The random id (128 bits, URL-safe) makes keys unguessable and never reused.
    """
    key = f"{config.input_prefix}{secrets.token_urlsafe(16)}"
    if file_name:
        safe = _SAFE_NAME.sub("_", file_name.rsplit("/", 1)[-1])[:_MAX_NAME_LENGTH].lstrip(".")
        if safe:
            key = f"{key}/{safe}"
    return key


def new_answer_key(config: StagingConfig) -> str:
    """A fresh key under the output prefix for an answer the proxy stages itself: ``<prefix>answers/<random id>``."""
    return f"{config.output_prefix}answers/{secrets.token_urlsafe(16)}"


def _require_prefix(key: Any, prefixes: tuple[str, ...]) -> None:
    if not isinstance(key, str) or not any(key.startswith(p) for p in prefixes) or ".." in key.split("/"):
        raise StagingError("KeyOutsidePrefix", f"key must be under {' or '.join(prefixes)}")


def require_own_input(config: StagingConfig, key: Any) -> None:
    """Accept ``key`` (a client's ``payloadKey``) only under the configuration's input prefix.

    Raises:
        StagingError: ``KeyOutsidePrefix``.
    """
    _require_prefix(key, (config.input_prefix,))


def require_own_output(config: StagingConfig, key: Any) -> None:
    """Accept ``key`` (a job's ``resultKey``) only under the configuration's output prefix.

    Raises:
        StagingError: ``KeyOutsidePrefix``.
    """
    _require_prefix(key, (config.output_prefix,))


def presigned_post(
    s3: Any,
    config: StagingConfig,
    *,
    key: str | None = None,
    expires_in: int | None = None,
    content_type: str | None = None,
) -> dict[str, Any]:
    """A pre-signed POST for one upload under the configuration's input prefix.

    The policy holds ``content-length-range`` 1 to ``max_object_bytes``, the exact key, and expires after
    at most ``url_expiry_seconds``.

    Args:
        s3: a boto3 S3 client.
        config: the staging configuration.
        key: the object key. Default: a new key from :func:`new_input_key`.
        expires_in: requested validity in seconds (clamped to the configured expiry).
        content_type: when given, the upload must carry this ``Content-Type``.

    Returns:
        ``{"url", "fields", "key", "expiresIn", "maxBytes"}``.
    """
    key = key or new_input_key(config)
    _require_prefix(key, (config.input_prefix,))
    expiry = config.expiry(expires_in)
    conditions: list[Any] = [["content-length-range", 1, config.max_object_bytes]]
    fields: dict[str, str] = {}
    if content_type:
        conditions.append({"Content-Type": content_type})
        fields["Content-Type"] = content_type
    post = s3.generate_presigned_post(
        config.bucket, key, Fields=fields or None, Conditions=conditions, ExpiresIn=expiry
    )
    return {"url": post["url"], "fields": post["fields"], "key": key, "expiresIn": expiry,
            "maxBytes": config.max_object_bytes}


def presigned_put(
    s3: Any,
    config: StagingConfig,
    *,
    content_length: int,
    key: str | None = None,
    expires_in: int | None = None,
) -> dict[str, Any]:
    """A pre-signed PUT for exactly ``content_length`` bytes under the configuration's input prefix.

    ``Content-Length`` is part of the signature, so S3 refuses a body of any other length.

    Raises:
        StagingError: ``InvalidSize`` for a non-positive length, ``ObjectTooLarge`` above the maximum,
            ``KeyOutsidePrefix`` for a key outside the input prefix.
    """
    if isinstance(content_length, bool) or not isinstance(content_length, int) or content_length < 1:
        raise StagingError("InvalidSize", f"content length must be a positive integer, got {content_length!r}")
    if content_length > config.max_object_bytes:
        raise StagingError(
            "ObjectTooLarge",
            f"content length {content_length} exceeds the staging limit of {config.max_object_bytes} bytes",
        )
    key = key or new_input_key(config)
    _require_prefix(key, (config.input_prefix,))
    expiry = config.expiry(expires_in)
    url = s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": config.bucket, "Key": key, "ContentLength": content_length},
        ExpiresIn=expiry,
    )
    return {"url": url, "method": "PUT", "key": key, "expiresIn": expiry, "contentLength": content_length}


def presigned_get(s3: Any, config: StagingConfig, *, key: str, expires_in: int | None = None) -> dict[str, Any]:
    """A pre-signed GET for an object under the configuration's output or input prefix.

    Raises:
        StagingError: ``KeyOutsidePrefix`` for any other key.
    """
    _require_prefix(key, (config.output_prefix, config.input_prefix))
    expiry = config.expiry(expires_in)
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": config.bucket, "Key": key}, ExpiresIn=expiry
    )
    return {"url": url, "method": "GET", "key": key, "expiresIn": expiry}


__all__ = [
    "INPUTS_PREFIX",
    "OUTPUTS_PREFIX",
    "StagingConfig",
    "StagingError",
    "new_answer_key",
    "new_input_key",
    "presigned_get",
    "presigned_post",
    "presigned_put",
    "require_own_input",
    "require_own_output",
    "s3_client",
]
