"""A :class:`~constructs_lib.report.diagram.Diagram` as a Mermaid flowchart (GitHub renders it in Markdown).

Places and stacks are nested subgraphs; each kind of node has its own shape, each family its colour; an alarm
watching a resource is a dotted edge. The text is deterministic: groups, nodes and edges are written in id order.
"""

from __future__ import annotations

from constructs_lib.report.diagram import Diagram, Group, Node, NodeKind

#: The flowchart's direction (left to right: callers, front doors, agents, state).
DIRECTION = "LR"
#: Each kind's shape (the opening and closing of its label) and family (the class that colours it).
LOOKS: dict[NodeKind, tuple[str, str, str]] = {
    NodeKind.AGENT: ("{{", "}}", "agent"),
    NodeKind.REST_API: ("([", "])", "front_door"),
    NodeKind.WEBSOCKET_API: ("([", "])", "front_door"),
    NodeKind.HTTP_API: ("([", "])", "front_door"),
    NodeKind.PROXY: ("(", ")", "function"),
    NodeKind.TOOL: ("(", ")", "function"),
    NodeKind.FUNCTION: ("(", ")", "function"),
    NodeKind.STATE_MACHINE: ("[[", "]]", "workflow"),
    NodeKind.RULE: ("[/", "/]", "workflow"),
    NodeKind.TABLE: ("[(", ")]", "state"),
    NodeKind.BUCKET: ("[(", ")]", "state"),
    NodeKind.ALARMS: ("[/", "\\]", "monitoring"),
    NodeKind.TOPIC: (">", "]", "monitoring"),
}
#: The fill and stroke of each family.
STYLES: dict[str, str] = {
    "agent": "fill:#d9f2e6,stroke:#1b7f4c",
    "front_door": "fill:#e8e0f7,stroke:#5a3d99",
    "function": "fill:#fdebd3,stroke:#b86e00",
    "workflow": "fill:#fbe0e6,stroke:#a8324f",
    "state": "fill:#dde8f8,stroke:#2d5fa8",
    "monitoring": "fill:#f2f2f2,stroke:#666666",
}
_INDENT = "  "


def render_mermaid(diagram: Diagram) -> str:
    """The diagram as Mermaid flowchart source, ending with a newline."""
    lines = [f"flowchart {DIRECTION}"]
    if not diagram.nodes:
        lines.append(f'{_INDENT}empty["no AgentCore runtime in the app"]')
        return "\n".join(lines) + "\n"
    children: dict[str | None, list[Group]] = {}
    for group in diagram.groups:
        children.setdefault(group.parent, []).append(group)
    members: dict[str, list[Node]] = {}
    for node in diagram.nodes:
        members.setdefault(node.group, []).append(node)

    def write_group(group: Group, depth: int) -> None:
        indent = _INDENT * depth
        lines.append(f'{indent}subgraph {group.id}["{_text(group.label)}"]')
        for child in children.get(group.id, []):
            write_group(child, depth + 1)
        for node in members.get(group.id, []):
            opening, closing, _ = LOOKS[node.kind]
            label = "<br/>".join(_text(line) for line in node.lines)
            lines.append(f'{indent}{_INDENT}{node.id}{opening}"{label}"{closing}')
        lines.append(f"{indent}end")

    for place in children.get(None, []):
        write_group(place, 1)
    for edge in diagram.edges:
        arrow = "-.->" if edge.monitoring else "-->"
        label = f'|"{_text(edge.label)}"|' if edge.verbs else ""
        lines.append(f"{_INDENT}{edge.source} {arrow}{label} {edge.target}")
    for family, style in STYLES.items():
        ids = [n.id for n in diagram.nodes if LOOKS[n.kind][2] == family]
        if ids:
            lines.append(f"{_INDENT}classDef {family} {style}")
            lines.append(f"{_INDENT}class {','.join(ids)} {family}")
    return "\n".join(lines) + "\n"


def render_markdown_block(diagram: Diagram) -> str:
    """The flowchart in a fenced ``mermaid`` block, as GitHub renders it."""
    return f"```mermaid\n{render_mermaid(diagram)}```\n"


def _text(text: str) -> str:
    """Label text safe inside a quoted Mermaid label (quotes and the characters Mermaid reads as markup escaped)."""
    return (
        text.replace("&", "&amp;").replace('"', "#quot;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("|", "&#124;")
    )


__all__ = ["DIRECTION", "LOOKS", "STYLES", "render_markdown_block", "render_mermaid"]
