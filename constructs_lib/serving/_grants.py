"""Grants of the serving constructs: where their cdk-nag acknowledgments go."""

from __future__ import annotations

import contextlib
import weakref
from typing import Any

from constructs import Construct

#: The target found for each grantee (reading a function's role is a message to the jsii kernel; it never changes).
_TARGETS: weakref.WeakKeyDictionary[Any, Construct | None] = weakref.WeakKeyDictionary()


def acknowledgment_target(grantee: Any) -> Construct | None:
    """The construct a cdk-nag acknowledgment of a grant to ``grantee`` belongs on (its role, or itself)."""
    try:
        return _TARGETS[grantee]
    except (KeyError, TypeError):
        pass
    target = next(
        (
            candidate
            for candidate in (getattr(grantee, "role", None), grantee, getattr(grantee, "grant_principal", None))
            if isinstance(candidate, Construct)
        ),
        None,
    )
    with contextlib.suppress(TypeError):  # not weakly referenceable: asked again next time
        _TARGETS[grantee] = target
    return target


__all__ = ["acknowledgment_target"]
