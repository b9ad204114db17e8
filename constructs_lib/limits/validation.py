"""Pure validation rules shared by the constructs and the AgentCoreChecks cdk-nag pack.

Each function returns the list of problems it found (empty when the value is fine), worded in terms of
the user's parameter, so that callers can collect every problem before raising once.
"""

from __future__ import annotations

from collections.abc import Mapping

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.service import ENVIRONMENT_KEY_PATTERN, NAME_MAX_LENGTH


def name_problems(name: str, param: str) -> list[str]:
    """Problems with a runtime or endpoint name, all at once (length, first character, characters)."""
    problems: list[str] = []
    if not name:
        return [f"{param} must not be empty"]
    if len(name) > NAME_MAX_LENGTH:
        problems.append(f"{param} must be at most {NAME_MAX_LENGTH} characters, got {len(name)} ({name!r})")
    if not name[0].isascii() or not name[0].isalpha():
        problems.append(f"{param} must start with a letter, got {name!r}")
    bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c == "_"))})
    if bad:
        hint = "; use underscores instead of hyphens" if "-" in bad else ""
        problems.append(
            f"{param} may contain only letters, digits and underscores, got {name!r} "
            f"(offending: {' '.join(repr(c) for c in bad)}){hint}"
        )
    return problems


def environment_problems(variables: Mapping[str, str], catalog: QuotaCatalog) -> list[str]:
    """Problems with runtime environment variables: count, key pattern and value length."""
    problems: list[str] = []
    count = catalog.resolve(QuotaName.ENVIRONMENT_VARIABLES)
    if len(variables) > count.value:
        problems.append(
            f"environment_variables has {len(variables)} entries, more than {count.formatted()}, "
            f"the {count.describe()}; move configuration to SSM Parameter Store or one JSON variable"
        )
    length = catalog.resolve(QuotaName.ENVIRONMENT_VARIABLE_VALUE_LENGTH)
    for key, value in variables.items():
        if not ENVIRONMENT_KEY_PATTERN.match(key):
            problems.append(f"environment variable name {key!r} must match {ENVIRONMENT_KEY_PATTERN.pattern}")
        if isinstance(value, str) and not _is_token(value) and len(value) > length.value:
            problems.append(
                f"environment variable {key!r} is {len(value):,} characters, more than {length.formatted()}, "
                f"the {length.describe()}; store large values in S3 or SSM Parameter Store"
            )
    return problems


def _is_token(value: str) -> bool:
    # Token strings are rendered as ${Token[...]} placeholders; their length says nothing.
    return "${Token[" in value
