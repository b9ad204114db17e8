"""What the proxies accept from clients: one JSON object, within the size and nesting the front door takes.

Standard library only (packaged beside the proxies as ``inputs.py``). Every malformed input is an
:class:`InvalidInput` carrying the contract's public error (a 4xx, the same on the REST and the WebSocket front door),
never an escaped exception: no body, a body that is not base64 when it says it is, larger than the front door takes
inline (413), not UTF-8, not JSON, nested deeper than :data:`contract.MAX_JSON_DEPTH`, or not an object.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

try:  # inside the package (tests, other modules)
    from constructs_lib.handlers import contract
except ImportError:  # pragma: no cover - in the Lambda package the handlers are top-level modules
    import contract  # type: ignore[no-redef]


class InvalidInput(Exception):
    """A client input the proxy refuses; ``error`` is what the client sees."""

    def __init__(self, error: contract.PublicError) -> None:
        super().__init__(error.message)
        self.error = error


def _depth(value: Any) -> int:
    """The nesting depth of a parsed JSON value (iteratively: a deep value cannot exhaust the stack here)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def json_object(
    raw: str | bytes | None, *, base64_encoded: bool = False, max_bytes: int | None = None,
    what: str = "the request body",
) -> dict[str, Any]:
    """The JSON object in ``raw`` (a proxy event's body).

    Args:
        raw: the body as the event carries it.
        base64_encoded: the event says the body is base64 (``isBase64Encoded``).
        max_bytes: the largest body (decoded) the front door takes inline. Default: no limit.
        what: how messages name the input.

    Raises:
        InvalidInput: for any malformed input (see the module docstring).
    """
    if raw is None or raw == "" or raw == b"":
        raise InvalidInput(contract.invalid_request(f"{what} must be a JSON object"))
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if base64_encoded:
        try:
            data = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(contract.invalid_request(f"{what} is not valid base64")) from None
    if max_bytes is not None and len(data) > max_bytes:
        raise InvalidInput(contract.PAYLOAD_TOO_LARGE)
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput(contract.invalid_request(f"{what} is not UTF-8 text")) from None
    except RecursionError:
        raise InvalidInput(contract.invalid_request(f"{what} is nested too deeply")) from None
    except ValueError:
        raise InvalidInput(contract.invalid_request(f"{what} is not valid JSON")) from None
    if not isinstance(document, dict):
        raise InvalidInput(contract.invalid_request(f"{what} must be a JSON object"))
    if _depth(document) > contract.MAX_JSON_DEPTH:
        raise InvalidInput(contract.invalid_request(
            f"{what} is nested deeper than {contract.MAX_JSON_DEPTH} levels"))
    return document


__all__ = ["InvalidInput", "json_object"]
