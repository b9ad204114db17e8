"""The layout's rules, checked on the import graph of the package (static) and on a real interpreter (runtime).

Layers, lowest first: ``errors``, ``handlers`` and ``agent_side`` (leaves), ``limits``, ``planning``, ``_cdk``,
``agent`` and ``checks``, the wings ``serving``, ``orchestration`` and ``operations``, ``platform``, ``report``, and the
package root. A module imports only from lower layers or from its own top-level package; the wings and the two
packages of the agent layer do not import each other; a leading ``_`` is private to its package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "constructs_lib"
SOURCE = Path(__file__).resolve().parents[2] / PACKAGE
CDK_MODULES = ("aws_cdk", "constructs", "jsii", "cdk_nag", "cdk_monitoring_constructs")
LAYERS: dict[str, int] = {
    "errors": 0, "handlers": 0, "agent_side": 0,
    "limits": 1,
    "planning": 2,
    "_cdk": 3,
    "agent": 4, "checks": 4,
    "serving": 5, "orchestration": 5, "operations": 5,
    "platform": 6,
    "report": 7,
    "__init__": 8, "__main__": 8,
}
PURE = ("limits", "planning")


@dataclass(frozen=True)
class Import:
    """One import statement's target: a module and, for ``from m import n``, the name."""

    importer: str
    module: str
    name: str | None
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in SOURCE.rglob("*.py")}


def imports_of(name: str, path: Path) -> Iterator[Import]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield Import(name, base, alias.name, node.lineno)


def resolve(imp: Import, known: dict[str, Path]) -> str:
    """The module an import loads: ``from pkg import mod`` names a module when ``pkg.mod`` is one."""
    if imp.name and f"{imp.module}.{imp.name}" in known:
        return f"{imp.module}.{imp.name}"
    return imp.module


def top(module: str) -> str:
    """The top-level part of the package a module belongs to (``serving`` for ``constructs_lib.serving.jobs``)."""
    parts = module.split(".")
    if parts == [PACKAGE]:
        return "__init__"
    return parts[1]


GRAPH: dict[str, list[Import]] = {name: list(imports_of(name, path)) for name, path in modules().items()}


def internal_edges() -> Iterator[tuple[Import, str]]:
    known = modules()
    for imports in GRAPH.values():
        for imp in imports:
            target = resolve(imp, known)
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                yield imp, target


def test_every_package_has_a_layer() -> None:
    assert {top(name) for name in GRAPH} <= set(LAYERS), sorted({top(n) for n in GRAPH} - set(LAYERS))


def test_imports_go_down_the_layers_only() -> None:
    wrong = []
    for imp, target in internal_edges():
        source, destination = top(imp.importer), top(target)
        if source == destination:
            continue
        if LAYERS[destination] >= LAYERS[source]:
            wrong.append(f"{imp.importer}:{imp.line} imports {target} ({source} may not import {destination})")
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_a_private_name_of_another_package() -> None:
    wrong = []
    for imp, target in internal_edges():
        private_names = [imp.name] if imp.name and imp.name.startswith("_") and target == imp.module else []
        parts = target.split(".")
        for depth, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                owner = ".".join(parts[:depth])
                if not (imp.importer == owner or imp.importer.startswith(owner + ".")):
                    wrong.append(f"{imp.importer}:{imp.line} imports private module {target}")
        for name in private_names:
            owner = target.rpartition(".")[0]
            if not imp.importer.startswith(owner + ".") and imp.importer != owner:
                wrong.append(f"{imp.importer}:{imp.line} imports private name {name} of {target}")
    assert not wrong, "\n".join(wrong)


def transitive_imports(start: str) -> set[str]:
    known = modules()
    seen: set[str] = set()
    external: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in GRAPH:
            continue
        seen.add(name)
        for imp in GRAPH[name]:
            target = resolve(imp, known)
            if target.startswith(PACKAGE):
                todo.append(target)
            else:
                external.add(target.split(".")[0])
    return external


@pytest.mark.parametrize("module", sorted(n for n in GRAPH if top(n) in PURE))
def test_limits_and_planning_never_reach_the_cdk(module: str) -> None:
    assert not transitive_imports(module) & set(CDK_MODULES)


def test_limits_and_planning_load_without_the_cdk_at_run_time() -> None:
    pure = sorted(n for n in GRAPH if top(n) in PURE)
    script = (
        "import importlib, sys\n"
        f"for name in {pure!r}: importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {CDK_MODULES!r})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=SOURCE.parent, capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == ""


def test_handlers_and_agent_side_are_leaves() -> None:
    wrong = [f"{imp.importer}:{imp.line} imports {target}" for imp, target in internal_edges()
             if top(imp.importer) in ("handlers", "agent_side") and top(target) != top(imp.importer)]
    assert not wrong, "\n".join(wrong)


#: What only a Lambda function has: the AWS SDK and Powertools (the package does not depend on them).
LAMBDA_ONLY = ("boto3", "botocore", "aws_lambda_powertools")


def test_the_constructs_never_load_what_only_a_lambda_function_has() -> None:
    # A construct may read a handler's contract (names, rules), never a handler: a user's app has no boto3.
    wrong = {name: sorted(transitive_imports(name) & set(LAMBDA_ONLY))
             for name in GRAPH if top(name) not in ("handlers", "agent_side")}
    assert not {name: found for name, found in wrong.items() if found}
