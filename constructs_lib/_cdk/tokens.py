"""Token checks that ask the jsii kernel only when a value could be a token.

``cdk.Token.is_unresolved`` is one message to the jsii kernel per call, and the library checks most props and names
that way. A string holds a token only if it contains ``Token[`` (aws-cdk-lib's ``unresolved`` tests exactly that before
its pattern), and a Python ``int`` of ordinary size, ``bool`` or ``None`` is never one (a token number is a double of
magnitude about 1e289); for those the answer is known here, and everything else still goes to the kernel.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

#: The marker aws-cdk-lib looks for in a string before it matches a token pattern (``${Token[..]}``, ``#{Token[..]}``).
TOKEN_MARKER = "Token["
#: Below this magnitude a whole number cannot be a token (CDK encodes token numbers as doubles near -1.9e289).
_PLAIN_INTEGER_BOUND = 2**53


def is_unresolved(value: Any) -> bool:
    """``cdk.Token.is_unresolved(value)``, answered here for plain strings, integers, booleans and None."""
    if isinstance(value, str):
        if TOKEN_MARKER not in value:
            return False
    elif value is None or isinstance(value, bool) or (isinstance(value, int) and abs(value) < _PLAIN_INTEGER_BOUND):
        return False
    return bool(cdk.Token.is_unresolved(value))


__all__ = ["TOKEN_MARKER", "is_unresolved"]
