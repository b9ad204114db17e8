"""Every public module, class, function, method and property of the library has a docstring."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "constructs_lib"


def _public(name: str) -> bool:
    return not name.startswith("_")


def undocumented(path: Path) -> list[str]:
    """Public definitions in ``path`` without a docstring (private modules count their public names too)."""
    tree = ast.parse(path.read_text())
    missing = [] if ast.get_docstring(tree) else [f"{path.relative_to(ROOT)}: module"]

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and _public(child.name):
                if not ast.get_docstring(child):
                    missing.append(f"{path.relative_to(ROOT)}:{child.lineno}: {prefix}{child.name}")
                if isinstance(child, ast.ClassDef):
                    visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return missing


def test_every_public_definition_has_a_docstring() -> None:
    missing = [entry for path in sorted(PACKAGE.rglob("*.py")) for entry in undocumented(path)]
    assert missing == []
