"""Props as the serving constructs read them: tokens are recognised, never guessed."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from constructs_lib._cdk.tokens import is_unresolved


def is_token(value: Any) -> bool:
    """Whether a prop is an unresolved CDK token (its value is known only at deploy)."""
    return not isinstance(value, bool) and isinstance(value, int | float | str) and is_unresolved(value)


def whole_number_text(value: float) -> str:
    """A whole number as an environment variable's value; a token stays the token (resolved at deploy)."""
    if is_token(value):
        return cdk.Token.as_string(value)
    return str(int(value))


__all__ = ["is_token", "whole_number_text"]
