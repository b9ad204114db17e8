"""Example agent tool: look up the status of an order (a stand-in for real business logic)."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Return the status of ``event["order_id"]``."""
    order_id = str(event.get("order_id", ""))
    if not order_id:
        return {"error": "order_id is required"}
    return {"order_id": order_id, "status": "shipped"}
