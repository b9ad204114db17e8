"""A small structural parser of the Mermaid flowcharts the report writes, and mermaid's own parser when installed.

The structural check reads every line: one ``flowchart`` header, balanced ``subgraph``/``end``, nodes declared once
with a known shape and a quoted label, edges and classes naming declared nodes only. Mermaid's parser (the npm
packages ``mermaid`` and ``jsdom``) runs headless in Node.js without a browser; the test using it runs where they are
installed (``MERMAID_NODE_MODULES`` or the project's ``node_modules``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT

_HEADER = re.compile(r"^flowchart (LR|RL|TB|TD|BT)$")
_SUBGRAPH = re.compile(r'^\s*subgraph ([A-Za-z0-9_]+)\["([^"]*)"\]$')
_END = re.compile(r"^\s*end$")
_SHAPES = [("{{", "}}"), ("([", "])"), ("[(", ")]"), ("[[", "]]"), ("[/", "/]"), ("[/", "\\]"), (">", "]"),
           ("(", ")"), ("[", "]")]
_NODE = re.compile(
    r'^\s*([A-Za-z0-9_]+)(\{\{|\(\[|\[\(|\[\[|\[/|>|\(|\[)"([^"]*)"(\}\}|\]\)|\)\]|\]\]|/\]|\\\]|\]|\))$'
)
_EDGE = re.compile(r'^\s*([A-Za-z0-9_]+) (-->|-\.->)(?:\|"([^"|]*)"\|)? ([A-Za-z0-9_]+)$')
_CLASS_DEF = re.compile(r"^\s*classDef ([a-z_]+) [a-z-]+:[^ ]+$")
_CLASS = re.compile(r"^\s*class ([A-Za-z0-9_,]+) ([a-z_]+)$")
_PARSE_SCRIPT = """
import { JSDOM } from 'jsdom';
import { readFileSync } from 'node:fs';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window; globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
const result = await mermaid.parse(readFileSync(process.argv[1], 'utf8'));
console.log(result.diagramType);
"""


@dataclass
class Flowchart:
    """What the structural parser read: nodes (id: shape, label lines, subgraph), edges and subgraphs."""

    nodes: dict[str, tuple[str, list[str], str | None]] = field(default_factory=dict)
    edges: list[tuple[str, str, str, bool]] = field(default_factory=list)
    subgraphs: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)

    def edge(self, source: str, target: str) -> tuple[str, str, str, bool]:
        """The edge from ``source`` to ``target`` (an AssertionError when absent)."""
        matches = [e for e in self.edges if e[0] == source and e[1] == target]
        assert matches, f"no edge {source} -> {target}"
        return matches[0]

    def subgraph_path(self, node_id: str) -> list[str]:
        """The labels of the subgraphs around a node, outermost first."""
        labels = []
        group = self.nodes[node_id][2]
        while group is not None:
            label, parent = self.subgraphs[group]
            labels.insert(0, label)
            group = parent
        return labels


def parse_flowchart(text: str) -> Flowchart:
    """Parse ``text`` line by line; an AssertionError names the first line that is not well formed."""
    lines = text.splitlines()
    assert lines and _HEADER.match(lines[0]), f"not a flowchart header: {lines[:1]}"
    chart = Flowchart()
    stack: list[str] = []
    class_defs: set[str] = set()
    pending: list[tuple[int, str]] = []
    for number, line in enumerate(lines[1:], start=2):
        if match := _SUBGRAPH.match(line):
            group = match.group(1)
            assert group not in chart.subgraphs and group not in chart.nodes, f"line {number}: {group} declared twice"
            chart.subgraphs[group] = (match.group(2), stack[-1] if stack else None)
            stack.append(group)
        elif _END.match(line):
            assert stack, f"line {number}: 'end' without a subgraph"
            stack.pop()
        elif match := _EDGE.match(line):
            source, arrow, label, target = match.groups()
            chart.edges.append((source, target, label or "", arrow == "-.->"))
            pending += [(number, source), (number, target)]
        elif match := _NODE.match(line):
            node, opening, label, closing = match.groups()
            assert (opening, closing) in _SHAPES, f"line {number}: shape {opening}...{closing} is not one Mermaid knows"
            assert node not in chart.nodes and node not in chart.subgraphs, f"line {number}: {node} declared twice"
            assert node != "end", f"line {number}: 'end' is not a usable id"
            chart.nodes[node] = (opening + closing, label.split("<br/>"), stack[-1] if stack else None)
        elif match := _CLASS_DEF.match(line):
            class_defs.add(match.group(1))
        elif match := _CLASS.match(line):
            assert match.group(2) in class_defs, f"line {number}: class {match.group(2)} is not defined"
            for node in match.group(1).split(","):
                pending.append((number, node))
                chart.classes[node] = match.group(2)
        else:
            raise AssertionError(f"line {number} is not a subgraph, node, edge or class: {line!r}")
    assert not stack, f"subgraphs left open: {stack}"
    for number, node in pending:
        assert node in chart.nodes, f"line {number}: {node} is not a declared node"
    return chart


def mermaid_modules() -> Path | None:
    """The ``node_modules`` holding ``mermaid`` and ``jsdom``, if any."""
    for candidate in (os.environ.get("MERMAID_NODE_MODULES"), str(ROOT / "node_modules")):
        if candidate and all((Path(candidate) / p / "package.json").is_file() for p in ("mermaid", "jsdom")):
            return Path(candidate)
    return None


def mermaid_parse(path: Path, modules: Path) -> subprocess.CompletedProcess[str]:
    """Run mermaid's parser on the file at ``path`` (Node.js resolves the packages from ``modules``' parent)."""
    node = shutil.which("node")
    assert node is not None, "Node.js is required (the CDK needs it too)"
    return subprocess.run(
        [node, "--input-type=module", "-e", _PARSE_SCRIPT, str(path)],
        cwd=modules.parent, capture_output=True, text=True, timeout=120, check=False,
    )
