"""Method calls whose struct result stays in the jsii kernel.

jsii's Python runtime turns a struct that a method returns into a Python object by reading every field of it, one
kernel message per field and recursively into nested structs: cdk-monitoring-constructs' ``AlarmWithAnnotation``
costs about fifty messages, for a value the library passes back to the kernel whole and reads one field of. A
:class:`KernelStruct` keeps the struct where it is: :meth:`KernelStruct.get` reads one field, and the struct itself is
passed back as an argument (``jsii.invoke(obj, method, [struct.reference])``) by reference.

This leans on two parts of jsii's Python runtime that are not its public API (the undecorated ``Kernel.invoke``, and
``Opaque`` references), at the version ``constraints.txt`` pins; the monitoring tests prove the round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from jsii._reference_map import Opaque
from jsii._runtime import kernel as _kernel


class KernelStruct:
    """A struct the jsii kernel holds: one field at a time, or the whole struct back to the kernel.

    Args:
        reference: the kernel's reference to the struct.
    """

    def __init__(self, reference: Any) -> None:
        self.reference: Any = Opaque(reference)

    def get(self, field: str) -> Any:
        """One field (its jsii name), as jsii returns it (a construct, a string...)."""
        return jsii.get(self.reference, field)


def invoke_for_struct(obj: Any, method: str, args: Sequence[Any]) -> KernelStruct:
    """``jsii.invoke(obj, method, args)`` for a method that returns a struct, which stays in the kernel."""
    # Without the decorator that reads every field of the result.
    undecorated = getattr(type(_kernel).invoke, "__wrapped__")  # noqa: B009 - not in jsii's type stubs
    return KernelStruct(undecorated(_kernel, obj, method, list(args)))


def add_to_principal_policy(principal: Any, statement: Any) -> None:
    """``principal.add_to_principal_policy(statement)`` without reading back the ``AddToPrincipalPolicyResult``.

    For aws-cdk-lib's own principals (a ``Role``, an imported role); a principal written in Python gets the call as
    usual.
    """
    if type(principal).__module__.startswith("aws_cdk."):
        invoke_for_struct(principal, "addToPrincipalPolicy", [statement])
    else:
        principal.add_to_principal_policy(statement)


def kernel_grantee(grantee: Any) -> Any:
    """The grantee to hand to an aws-cdk-lib grant: a grantable written in Python (an ``AgentCoreAgent``) is answered
    by its principal, which is itself grantable.

    aws-cdk-lib reads ``grantee.grantPrincipal`` once or more per grant; from a Python object each read is a callback
    from the kernel into Python and its answer. A principal's ``grantPrincipal`` is the principal itself, so the
    statements are the same.
    """
    if type(grantee).__module__.startswith(("aws_cdk.", "constructs.")):
        return grantee
    principal = grantee.grant_principal
    return principal if type(principal).__module__.startswith("aws_cdk.") else grantee


__all__ = ["KernelStruct", "add_to_principal_policy", "invoke_for_struct", "kernel_grantee"]
