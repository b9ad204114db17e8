"""The capacity report as plain text for a terminal or a CI log: stacked fields, every line at most 100 columns.

Each agent, account and region is a block: its heading (a construct path, wrapped at ``/`` when long), one line per
field, then its findings spelled out, wrapped with a hanging indent.
"""

from __future__ import annotations

import textwrap

from constructs_lib.planning.account import RegionalCapacityReport
from constructs_lib.report.capacity import CapacityReport
from constructs_lib.report.view import Entry, sections, summary

#: The widest line the text report prints.
WIDTH = 100
_FIELD_INDENT = "  "
_FINDING_INDENT = "    "
_CONTINUATION = "    "


def render_text(report: CapacityReport, regional: RegionalCapacityReport | None = None, *, width: int = WIDTH) -> str:
    """The report as text no wider than ``width`` columns."""
    lines = _wrap(f"AgentCore capacity report: {summary(report, regional)}", "", width)
    if not report.agents:
        return "\n".join(lines)
    for section in sections(report, regional):
        lines += ["", section.title, "=" * len(section.title)]
        for entry in section.entries:
            lines += ["", *_entry(entry, width)]
    return "\n".join(lines)


def _entry(entry: Entry, width: int) -> list[str]:
    lines = wrap_path(entry.heading, width)
    label_width = max(len(label) for label, _ in entry.fields)
    for label, value in entry.fields:
        lines += _wrap(value, f"{_FIELD_INDENT}{label.ljust(label_width)}  ", width)
    for noted in entry.findings:
        finding = noted.finding
        about = f"{noted.agent}: " if noted.agent else ""
        lines += _wrap(
            f"[{finding.code}] {about}{finding.message}", f"{_FINDING_INDENT}{finding.severity.value:<8}", width
        )
    return lines


def _wrap(text: str, prefix: str, width: int) -> list[str]:
    """``text`` after ``prefix``, wrapped to ``width`` with continuation lines aligned under its first character."""
    return textwrap.wrap(
        text, width=width, initial_indent=prefix, subsequent_indent=" " * len(prefix),
        break_on_hyphens=False, break_long_words=True,
    ) or [prefix.rstrip()]


def wrap_path(path: str, width: int = WIDTH) -> list[str]:
    """A construct path on lines of at most ``width`` columns, broken after a ``/``; continuation lines indented.

    A single path segment longer than a line is cut where the line ends.
    """
    segments = path.split("/")
    tokens = [s + "/" for s in segments[:-1]] + [segments[-1]]
    lines: list[str] = []
    line = ""
    for token in tokens:
        if line.strip() and len(line) + len(token) > width:
            lines.append(line)
            line = _CONTINUATION
        line += token
    lines.append(line)
    result: list[str] = []
    for line in lines:
        while len(line) > width:
            result.append(line[:width])
            line = _CONTINUATION + line[width:]
        result.append(line)
    return result


__all__ = ["WIDTH", "render_text", "wrap_path"]
