"""CloudFormation intrinsic functions evaluated against known values: what a deployed template would read.

Supported: ``Ref``, ``Fn::GetAtt`` (list or dotted string), ``Fn::Join``, ``Fn::Sub`` (string or
``[string, variables]``), ``Fn::Select``, ``Fn::Split``, ``Fn::Base64``, and ``AWS::NoValue``. A reference
that the lookups cannot answer raises :class:`UnresolvedReference`: the harness never guesses a value.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any

RefLookup = Callable[[str], Any]
AttLookup = Callable[[str, str], Any]

_NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class UnresolvedReference(LookupError):
    """A ``Ref`` or ``Fn::GetAtt`` with no known value (bind the logical id first)."""


def evaluate(value: Any, ref: RefLookup, att: AttLookup) -> Any:
    """``value`` with every intrinsic function replaced by its result (containers are copied)."""
    result = _evaluate(value, ref, att)
    return None if result is _NO_VALUE else result


def _evaluate(value: Any, ref: RefLookup, att: AttLookup) -> Any:
    if isinstance(value, list):
        evaluated = [_evaluate(v, ref, att) for v in value]
        return [v for v in evaluated if v is not _NO_VALUE]
    if not isinstance(value, Mapping):
        return value
    if len(value) == 1:
        (name, argument), = value.items()
        function = _FUNCTIONS.get(name)
        if function is not None:
            return function(argument, ref, att)
    members = {k: _evaluate(v, ref, att) for k, v in value.items()}
    return {k: v for k, v in members.items() if v is not _NO_VALUE}


def _ref(argument: Any, ref: RefLookup, att: AttLookup) -> Any:
    return _NO_VALUE if argument == "AWS::NoValue" else ref(argument)


def _get_att(argument: Any, ref: RefLookup, att: AttLookup) -> Any:
    logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
    return att(logical_id, _evaluate(attribute, ref, att))


def _join(argument: Any, ref: RefLookup, att: AttLookup) -> str:
    delimiter, parts = argument
    return str(delimiter).join(str(p) for p in _evaluate(parts, ref, att))


def _sub(argument: Any, ref: RefLookup, att: AttLookup) -> str:
    text, variables = (argument, {}) if isinstance(argument, str) else argument
    local = {k: _evaluate(v, ref, att) for k, v in variables.items()}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in local:
            return str(local[name])
        if "." in name and not name.startswith("AWS::"):
            logical_id, attribute = name.split(".", 1)
            return str(att(logical_id, attribute))
        return str(ref(name))

    return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")


def _select(argument: Any, ref: RefLookup, att: AttLookup) -> Any:
    index, items = argument
    return _evaluate(items, ref, att)[int(_evaluate(index, ref, att))]


def _split(argument: Any, ref: RefLookup, att: AttLookup) -> list[str]:
    delimiter, text = argument
    return str(_evaluate(text, ref, att)).split(delimiter)


def _base64(argument: Any, ref: RefLookup, att: AttLookup) -> str:
    return base64.b64encode(str(_evaluate(argument, ref, att)).encode()).decode()


_FUNCTIONS: Mapping[str, Callable[[Any, RefLookup, AttLookup], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Sub": _sub,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::Base64": _base64,
}
