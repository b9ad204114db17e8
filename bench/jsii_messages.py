"""Counting the messages Python sends to the jsii kernel (the Node.js process that holds the construct tree).

Every property read, method call, static call and object creation of an aws-cdk-lib object from Python is one
request over jsii's pipe, answered by the kernel; so are the answers to the kernel's callbacks into Python (a
validation, a ``Lazy`` producer, an overridden method). Their number is what a construct costs to build, more than
anything the Python side computes.

:func:`count_messages` wraps jsii's process provider (its one ``send``) while a block runs::

    with count_messages(sites=True) as counted:
        build_app()
    counted.total, counted.by_kind["get"], counted.top_sites(10)

Kinds are jsii's request names: ``create`` (object creations), ``get`` / ``set`` (property reads and writes), ``invoke``
(method calls), ``sget`` / ``sset`` / ``sinvoke`` (static reads, writes, calls), ``complete`` (answers to callbacks),
``load`` (assemblies), ``begin`` / ``end`` / ``callbacks`` (asynchronous calls), ``del`` (released references).
With ``sites=True`` each message is attributed to the innermost frame of the library (``constructs_lib``) on the
Python stack, or to the innermost caller outside jsii when no library frame is on it.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

#: Request class names of jsii's kernel types and the kind they count as.
_KINDS = {
    "CreateRequest": "create",
    "GetRequest": "get",
    "SetRequest": "set",
    "InvokeRequest": "invoke",
    "StaticGetRequest": "sget",
    "StaticSetRequest": "sset",
    "StaticInvokeRequest": "sinvoke",
    "CompleteRequest": "complete",
    "_CompleteRequest": "complete",
    "LoadRequest": "load",
    "BeginRequest": "begin",
    "StaticBeginRequest": "begin",
    "EndRequest": "end",
    "CallbacksRequest": "callbacks",
    "DeleteRequest": "del",
    "StatsRequest": "stats",
    "GetScriptCommandRequest": "script",
}
_LIBRARY = str(Path(__file__).resolve().parent.parent / "constructs_lib")
#: Library modules that only forward a question to the kernel: their caller is the site.
_PASS_THROUGH = ("jsii_messages.py", "_cdk/tokens.py", "_cdk/scope.py", "_cdk/kernel.py")
_JSII_PARTS = ("/jsii/", "/aws_cdk/", "/constructs/", "/cdk_monitoring_constructs/", "/cdk_nag/")


@dataclass
class Messages:
    """What was sent to the jsii kernel while the block ran.

    Attributes:
        by_kind: messages per kind (``create``, ``get``, ``invoke``...).
        by_site: messages per call site (``module.py:function``), when sites were recorded.
        by_target: messages per kind and target (``get Stack.region``, ``create aws_iam.Role``), when sites were
            recorded.
    """

    by_kind: Counter[str] = field(default_factory=Counter)
    by_site: Counter[str] = field(default_factory=Counter)
    by_target: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Every message, assembly loads excluded (they are paid once per process, whatever is built)."""
        return sum(n for kind, n in self.by_kind.items() if kind != "load")

    def top_sites(self, count: int = 20) -> list[tuple[str, int]]:
        """The ``count`` call sites that sent the most messages."""
        return self.by_site.most_common(count)


def _site(frame: FrameType | None) -> str:
    fallback: str | None = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_LIBRARY) and not filename.endswith(_PASS_THROUGH):
            relative = filename[len(_LIBRARY) + 1:]
            return f"{relative}:{frame.f_code.co_name}"
        if fallback is None and not any(part in filename for part in _JSII_PARTS) and "attr" not in filename:
            fallback = f"{Path(filename).name}:{frame.f_code.co_name}"
        frame = frame.f_back
    return fallback or "?"


def _target(request: Any) -> str:
    fqn = getattr(request, "fqn", None)
    objref = getattr(request, "objref", None)
    if fqn is None and objref is not None:
        fqn = str(getattr(objref, "ref", "")).split("@", 1)[0]
    name = getattr(request, "property", None) or getattr(request, "method", None)
    if fqn is not None:
        return f"{fqn}.{name}" if name else str(fqn)
    return str(name or "")


@contextmanager
def count_messages(*, sites: bool = False) -> Iterator[Messages]:
    """Count the messages sent to the jsii kernel while the block runs (not thread-safe; one block at a time).

    Args:
        sites: also attribute every message to its call site and target (slower: it walks the stack per message).
    """
    from jsii._kernel.providers import process  # noqa: PLC0415 - jsii's internals, read only here

    counted = Messages()
    node_process = process._NodeProcess  # noqa: SLF001
    original = node_process.send

    def send(self: Any, request: Any, response_type: Any) -> Any:
        inner = getattr(request, "complete", None) if type(request).__name__ == "_CompleteRequest" else None
        kind = _KINDS.get(type(request).__name__, type(request).__name__)
        counted.by_kind[kind] += 1
        if sites:
            counted.by_site[_site(sys._getframe(1))] += 1  # noqa: SLF001
            counted.by_target[f"{kind} {_target(inner or request)}"] += 1
        return original(self, request, response_type)

    node_process.send = send  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        node_process.send = original  # type: ignore[method-assign]


__all__ = ["Messages", "count_messages"]
