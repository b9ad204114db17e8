"""Which resources a template value refers to: ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, and across templates.

A reference may cross templates: into a nested stack through its parameters, and between stacks through an export and
its ``Fn::ImportValue`` (the CDK's strong references) or an output read with ``Fn::GetStackOutput`` (its weak ones).
Plain Python over template JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from constructs_lib.report.assembly import CloudAssembly, StackTemplate

#: A resource of the assembly: (stack key, logical id).
ResourceId = tuple[str, str]
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")
_PARENT_PARAMETERS = "Parameters"


class References:
    """Resolves template values to the resources they refer to, anywhere in one cloud assembly."""

    def __init__(self, assembly: CloudAssembly) -> None:
        """Index the assembly's stacks and exports.

        Args:
            assembly: the synthesized app.
        """
        self._stacks: dict[str, StackTemplate] = {s.key: s for s in assembly.stacks}
        self._exports: dict[str, tuple[str, Any]] = {}
        self._outputs: dict[tuple[str, str], tuple[str, Any]] = {}
        for stack in assembly.stacks:
            for output_name, output in (stack.template.get("Outputs") or {}).items():
                name = (output.get("Export") or {}).get("Name")
                if isinstance(name, str):
                    self._exports[name] = (stack.key, output.get("Value"))
                if stack.stack_name is not None:
                    self._outputs[(stack.stack_name, output_name)] = (stack.key, output.get("Value"))

    def of(self, stack_key: str, value: Any) -> set[ResourceId]:
        """Every resource ``value`` (a template value of the stack ``stack_key``) refers to."""
        found: set[ResourceId] = set()
        self._walk(stack_key, value, found, depth=0)
        return found

    def _walk(self, stack_key: str, value: Any, found: set[ResourceId], depth: int) -> None:
        if depth > len(self._stacks):  # each hop moves to a parent or an exporting stack: never more hops
            return
        if isinstance(value, list):
            for item in value:
                self._walk(stack_key, item, found, depth)
        elif isinstance(value, Mapping):
            if len(value) == 1 and self._intrinsic(stack_key, value, found, depth):
                return
            for item in value.values():
                self._walk(stack_key, item, found, depth)

    def _intrinsic(self, stack_key: str, value: Mapping[str, Any], found: set[ResourceId], depth: int) -> bool:
        ((function, argument),) = value.items()
        if function == "Ref" and isinstance(argument, str):
            self._name(stack_key, argument, found, depth)
        elif function == "Fn::GetAtt":
            target = argument[0] if isinstance(argument, list) and argument else argument
            if isinstance(target, str):
                self._name(stack_key, target.split(".")[0], found, depth)
        elif function == "Fn::ImportValue" and isinstance(argument, str) and argument in self._exports:
            exporter, exported = self._exports[argument]
            self._walk(exporter, exported, found, depth + 1)
        elif function == "Fn::GetStackOutput" and isinstance(argument, Mapping):
            output = self._outputs.get((str(argument.get("StackName")), str(argument.get("OutputName"))))
            if output is not None:
                self._walk(output[0], output[1], found, depth + 1)
        elif function == "Fn::Sub":
            template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
            for name in _SUB_VARIABLE.findall(template if isinstance(template, str) else ""):
                base = name.split(".")[0]
                if base in variables:
                    self._walk(stack_key, variables[base], found, depth)
                else:
                    self._name(stack_key, base, found, depth)
        else:
            return False
        return True

    def _name(self, stack_key: str, name: str, found: set[ResourceId], depth: int) -> None:
        """A logical id, or a nested stack's parameter: what its parent passes in is resolved in the parent."""
        stack = self._stacks[stack_key]
        if name in stack.resources:
            found.add((stack_key, name))
            return
        parameters = stack.template.get("Parameters") or {}
        if name in parameters and stack.parent is not None and stack.parent_resource is not None:
            parent = self._stacks[stack.parent]
            passed = ((parent.resources[stack.parent_resource].get("Properties") or {}).get(_PARENT_PARAMETERS) or {})
            if name in passed:
                self._walk(parent.key, passed[name], found, depth + 1)


__all__ = ["ResourceId", "References"]
