"""What reaches a proxy inline on each front door: the smallest payload limit on the path, and why.

Pure functions of the quota catalog (no CDK): the agent plan, the front doors' fit checks and the report read the same
limits from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName, ResolvedQuota, Unit, format_value

#: How much larger a body is once base64-encoded (4 characters for every 3 bytes): API Gateway passes a binary body,
#: and a proxy returns a binary answer, base64-encoded inside the Lambda payload. A fact of the encoding.
BASE64_GROWTH = 4 / 3


@dataclass(frozen=True)
class InlineLimit:
    """The largest payload that reaches a proxy inline on one front door, and the quota that sets it.

    Attributes:
        bytes: the limit in bytes.
        quota: the quota that binds.
        base64: the limit is the quota less the third that base64 adds (:data:`BASE64_GROWTH`).
    """

    bytes: float
    quota: ResolvedQuota
    base64: bool

    def describe(self) -> str:
        """The limit and where it comes from, for messages."""
        if self.base64:
            return (
                f"{format_value(self.bytes, Unit.BYTES)} ({self.quota.formatted()}, the {self.quota.describe()}, less "
                "the third base64 encoding adds)"
            )
        return f"{self.quota.formatted()}, the {self.quota.describe()}"


def _smallest_inline(*limits: InlineLimit) -> InlineLimit:
    return min(limits, key=lambda limit: limit.bytes)


def _inline(quota: ResolvedQuota, *, base64: bool = False) -> InlineLimit:
    return InlineLimit(quota.value / BASE64_GROWTH if base64 else quota.value, quota, base64)


def rest_inline_limit(catalog: QuotaCatalog, region: str | None) -> InlineLimit:
    """The largest request body a REST facade's proxy takes inline: the smallest limit on the path.

    API Gateway's payload size, and Lambda's synchronous request payload less the third base64 adds (a body API
    Gateway passes base64-encoded, as it does for binary media types): the smaller one binds.
    """
    return _smallest_inline(
        _inline(catalog.resolve(QuotaName.API_GATEWAY_PAYLOAD, region)),
        _inline(catalog.resolve(QuotaName.LAMBDA_SYNC_REQUEST_PAYLOAD, region), base64=True),
    )


def websocket_inline_limit(catalog: QuotaCatalog, region: str | None) -> InlineLimit:
    """The largest client message a WebSocket facade takes inline: API Gateway's WebSocket message size, or the
    asynchronous invocation payload that hands it to the relay (less base64's third for a binary message)."""
    return _smallest_inline(
        _inline(catalog.resolve(QuotaName.API_GATEWAY_WEBSOCKET_MESSAGE_SIZE, region)),
        _inline(catalog.resolve(QuotaName.LAMBDA_ASYNC_PAYLOAD, region), base64=True),
    )


def response_limit(catalog: QuotaCatalog, region: str | None) -> InlineLimit:
    """The largest buffered answer a REST proxy returns inline: Lambda's synchronous response payload, less the
    third base64 adds (binary answers travel base64-encoded in the proxy response)."""
    return _inline(catalog.resolve(QuotaName.LAMBDA_SYNC_RESPONSE_PAYLOAD, region), base64=True)


__all__ = ["BASE64_GROWTH", "InlineLimit", "response_limit", "rest_inline_limit", "websocket_inline_limit"]
