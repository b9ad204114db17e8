"""The capacity report as GitHub-flavoured Markdown, for CI job summaries and pull-request comments.

A heading, the one-line summary, then one table per section (agents, accounts, regions) and one table of findings.
"""

from __future__ import annotations

from collections.abc import Sequence

from constructs_lib.planning.account import RegionalCapacityReport
from constructs_lib.report.capacity import CapacityReport
from constructs_lib.report.view import sections, summary

#: The heading of the report (level 2, so it sits under a job summary's own title).
TITLE = "## AgentCore capacity report"


def render_markdown(report: CapacityReport, regional: RegionalCapacityReport | None = None) -> str:
    """The report as Markdown: a heading, the summary, a table per section and a table of findings."""
    parts = [TITLE, "", summary(report, regional) + "."]
    if not report.agents:
        return "\n".join(parts) + "\n"
    findings: list[list[str]] = []
    for section in sections(report, regional):
        header = [section.subject, *(label for label, _ in section.entries[0].fields)] if section.entries else []
        rows = [[entry.heading, *(value for _, value in entry.fields)] for entry in section.entries]
        parts += ["", f"### {section.title}", "", *table(header, rows, code_first_column=section.subject == "agent")]
        findings += [
            [n.finding.severity.value, entry.heading + (f" / {n.agent}" if n.agent else ""), n.finding.code,
             n.finding.message]
            for entry in section.entries for n in entry.findings
        ]
    if findings:
        parts += ["", "### Findings", "", *table(["severity", "where", "code", "message"], findings)]
    return "\n".join(parts) + "\n"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, code_first_column: bool = False) -> list[str]:
    """A GitHub-flavoured Markdown table; cells are escaped (``|`` and line breaks)."""
    def row(cells: Sequence[str], first_as_code: bool) -> str:
        escaped = [_cell(c) for c in cells]
        if first_as_code and escaped:
            escaped[0] = f"`{escaped[0]}`"
        return "| " + " | ".join(escaped) + " |"

    return [row(header, False), "|" + "---|" * len(header), *(row(r, code_first_column) for r in rows)]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


__all__ = ["TITLE", "render_markdown", "table"]
