"""Checks of a construct's props before anything reaches jsii.

A value of the wrong type that reaches an L2 fails inside jsii, as a Node.js stack trace that names neither the prop
nor the construct; a number where a ``Duration`` belongs fails in Python with an ``AttributeError``. Each construct
checks its props first with :class:`PropChecks` and raises one ``ConstructsLibValidationError`` listing every problem,
each naming the prop, the value received and what is allowed (with the code of the first problem).

Token strings (``${Token[...]}``) pass as strings: only their type is checked here, their content by the construct's
token-aware rules.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk

from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.errors import ConstructsLibValidationError

#: The code of a prop of the wrong type.
INVALID_PROPS = "InvalidProps"


def describe(value: Any) -> str:
    """A value as a message shows it: its repr (shortened when long) and, for objects, its type."""
    text = repr(value)
    if len(text) > 80:
        text = f"{text[:60]}... ({len(text)} characters)"
    if isinstance(value, str | int | float | bool | type(None)):
        return text
    return f"{text} ({type(value).__name__})"


class PropChecks:
    """Collects the problems of one construct's props; :meth:`raise_if_any` raises them together.

    Args:
        path: the construct path (``None`` for a props class or a factory, which has none).
        code: the error code. Default: :data:`INVALID_PROPS`.
    """

    def __init__(self, path: str | None = None, code: str = INVALID_PROPS) -> None:
        self.path = path
        self.code = code
        self.problems: list[tuple[str, str]] = []

    def fail(self, prop: str, value: Any, allowed: str, *, code: str | None = None) -> bool:
        """Record that ``prop`` got ``value`` where ``allowed`` was expected (under ``code``); returns False."""
        self.problems.append((code or self.code, f"{prop} must be {allowed}, got {describe(value)}"))
        return False

    def add(self, code: str, problems: Sequence[str]) -> None:
        """Record problems worded by a rule of its own (``limits.validation``), under ``code``."""
        self.problems.extend((code, problem) for problem in problems)

    def raise_if_any(self) -> None:
        """Raise one error listing every problem recorded, if there is any, with the first problem's code."""
        if self.problems:
            code = self.problems[0][0]
            raise ConstructsLibValidationError(code, "; ".join(message for _, message in self.problems), self.path)

    # -- scalars -------------------------------------------------------------------------------------------------------

    def instance(
        self, prop: str, value: Any, types: type | tuple[type, ...], allowed: str, *, optional: bool = True,
        code: str | None = None,
    ) -> bool:
        """``value`` is an instance of ``types`` (or ``None`` when ``optional``)."""
        if value is None and optional:
            return True
        return isinstance(value, types) or self.fail(prop, value, allowed, code=code)

    def resource(
        self, prop: str, value: Any, attribute: str, allowed: str, *, optional: bool = True, code: str | None = None
    ) -> bool:
        """A CDK resource or its import, recognized by the attribute its interface guarantees (``role_arn`` of an
        ``iam.IRole``): imports are jsii proxies that no ``isinstance`` check recognizes."""
        if value is None and optional:
            return True
        if isinstance(value, str | bytes | int | float | Mapping | Sequence) or not hasattr(value, attribute):
            return self.fail(prop, value, allowed, code=code)
        return True

    def boolean(self, prop: str, value: Any, *, optional: bool = False, code: str | None = None) -> bool:
        """``True`` or ``False``."""
        if value is None and optional:
            return True
        return isinstance(value, bool) or self.fail(prop, value, "True or False", code=code)

    def string(
        self,
        prop: str,
        value: Any,
        *,
        optional: bool = True,
        empty: bool = False,
        pattern: re.Pattern[str] | None = None,
        max_length: int | None = None,
        allowed: str | None = None,
        code: str | None = None,
    ) -> bool:
        """A string; unless a token: not empty (unless ``empty``), matching ``pattern``, at most ``max_length``."""
        if value is None and optional:
            return True
        if not isinstance(value, str):
            return self.fail(prop, value, f"a string ({allowed})" if allowed else "a string", code=code)
        if is_unresolved(value):
            return True
        if not value and not empty:
            what = f"a non-empty string ({allowed})" if allowed else "a non-empty string"
            return self.fail(prop, value, what, code=code)
        if pattern is not None and value and not pattern.fullmatch(value):
            return self.fail(prop, value, allowed or f"a string matching {pattern.pattern}", code=code)
        if max_length is not None and len(value) > max_length:
            return self.fail(prop, value, f"at most {max_length:,} characters (got {len(value):,})", code=code)
        return True

    def whole_number(
        self, prop: str, value: Any, *, optional: bool = True, minimum: int | None = None, maximum: int | None = None,
        code: str | None = None,
    ) -> bool:
        """A whole number (``int``, not ``bool``; a token number passes) within ``minimum``..``maximum``."""
        if value is None and optional:
            return True
        if isinstance(value, float) and is_unresolved(value):
            return True
        if isinstance(value, bool) or not isinstance(value, int | float) or (
            isinstance(value, float) and not (math.isfinite(value) and value.is_integer())
        ):
            return self.fail(prop, value, _range("a whole number", minimum, maximum), code=code)
        return self._in_range(prop, value, minimum, maximum, "a whole number", code)

    def number(
        self, prop: str, value: Any, *, optional: bool = True, minimum: float | None = None,
        maximum: float | None = None, code: str | None = None,
    ) -> bool:
        """A finite number (``int`` or ``float``, not ``bool``) within ``minimum``..``maximum``."""
        if value is None and optional:
            return True
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self.fail(prop, value, _range("a number", minimum, maximum), code=code)
        if is_unresolved(value):
            return True
        if not math.isfinite(value):
            return self.fail(prop, value, _range("a finite number", minimum, maximum), code=code)
        return self._in_range(prop, value, minimum, maximum, "a number", code)

    def _in_range(
        self, prop: str, value: float, minimum: float | None, maximum: float | None, kind: str, code: str | None
    ) -> bool:
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            return self.fail(prop, value, _range(kind, minimum, maximum), code=code)
        return True

    def duration(self, prop: str, value: Any, *, optional: bool = True, code: str | None = None) -> bool:
        """An ``aws_cdk.Duration``."""
        return self.instance(
            prop, value, cdk.Duration, "an aws_cdk.Duration (for example Duration.minutes(5))", optional=optional,
            code=code,
        )

    def size(self, prop: str, value: Any, *, optional: bool = True, code: str | None = None) -> bool:
        """An ``aws_cdk.Size``."""
        return self.instance(prop, value, cdk.Size, "an aws_cdk.Size (for example Size.mebibytes(20))",
                             optional=optional, code=code)

    def choice(
        self, prop: str, value: Any, enum_type: type[enum.Enum], *, optional: bool = True, code: str | None = None
    ) -> bool:
        """A member of ``enum_type`` (a CDK enum such as ``logs.RetentionDays``)."""
        if value is None and optional:
            return True
        if isinstance(value, enum_type):
            return True
        module = enum_type.__module__.split(".")[-1]
        return self.fail(prop, value, f"a {module}.{enum_type.__name__} member", code=code)

    # -- collections ---------------------------------------------------------------------------------------------------

    def sequence_of(
        self, prop: str, value: Any, types: type | tuple[type, ...] | Any, allowed: str, *, optional: bool = True,
        code: str | None = None,
    ) -> bool:
        """A list (not a string) whose items are instances of ``types``."""
        if value is None and optional:
            return True
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            return self.fail(prop, value, f"a list of {allowed}", code=code)
        for index, item in enumerate(value):
            if not isinstance(item, types):
                return self.fail(f"{prop}[{index}]", item, f"one of a list of {allowed}", code=code)
        return True

    def string_map(self, prop: str, value: Any, *, optional: bool = True, code: str | None = None) -> bool:
        """A mapping of strings to strings (each reaches CloudFormation as a string)."""
        if value is None and optional:
            return True
        if not isinstance(value, Mapping):
            return self.fail(prop, value, "a mapping of strings to strings", code=code)
        ok = True
        for key, item in value.items():
            if not isinstance(key, str):
                ok = self.fail(f"{prop} key", key, "a string", code=code)
            elif not isinstance(item, str):
                ok = self.fail(f"{prop}[{key!r}]", item, "a string (convert numbers and booleans with str())",
                               code=code)
        return ok


def _range(kind: str, minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f"{kind} of at least {minimum:g}"
    if maximum is not None:
        return f"{kind} of at most {maximum:g}"
    return kind


def check_construct_id(construct_id: Any, *, prop: str = "construct_id") -> None:
    """A construct id jsii accepts: a non-empty string without ``/`` (checked before ``super().__init__``)."""
    checks = PropChecks(code="InvalidConstructId")
    if checks.string(prop, construct_id, optional=False) and "/" in construct_id:
        checks.fail(prop, construct_id, "a construct id without '/' (it separates the ids of a construct path)")
    checks.raise_if_any()


__all__ = ["INVALID_PROPS", "PropChecks", "check_construct_id", "describe"]
