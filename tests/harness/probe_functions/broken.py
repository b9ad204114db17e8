"""A Lambda handler module that fails while it is imported (an init error), for the harness's own tests."""

raise RuntimeError("the broken probe cannot start")


def handler(event: object, context: object) -> None:  # pragma: no cover - never reached
    """Never called."""
