"""The one exception type the library raises for misuse of its API."""

from __future__ import annotations


class ConstructsLibValidationError(ValueError):
    """Raised when a construct is given input it cannot accept.

    Every instance carries a stable ``code`` (for example ``"InvalidRuntimeName"``) that tests and
    callers can match on, and the path of the construct that rejected the input when one exists.

    Args:
        code: stable, CamelCase identifier of the failed rule.
        message: what went wrong, in terms of the user's parameter, the value received and the fix.
        path: construct path of the construct that raised, if any.
    """

    def __init__(self, code: str, message: str, path: str | None = None) -> None:
        self.code = code
        self.path = path
        self.message = message
        prefix = f"{path}: " if path else ""
        super().__init__(f"{prefix}[{code}] {message}")


def raise_all(code: str, problems: list[str], path: str | None = None) -> None:
    """Raise one :class:`ConstructsLibValidationError` listing every problem, if there is any.

    Validation collects all problems of one prop before raising, so a user fixes them in one round.
    """
    if problems:
        raise ConstructsLibValidationError(code, "; ".join(problems), path)
