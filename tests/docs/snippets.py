"""The code blocks of the README and docs/, and the directives that say how a Python block runs.

A Python block runs as shown. A directive on the line before its fence (blank lines between are allowed) changes
how; it is an HTML comment, so a reader of the rendered page does not see it:

- ``<!-- snippet: preamble -->``: the shared preamble (once, in docs/README.md). It runs before the first block of
  every page; the blocks of a page then run in order in one namespace (one app per page).
- ``<!-- snippet: standalone -->``: the block runs alone in an empty namespace, without the preamble (a complete
  program, such as the README's first example).
- ``<!-- snippet: expect-error Code -->``: the block runs in a namespace of its own after the preamble and must fail
  with the finding or validation error ``Code``: a ``ConstructsLibValidationError`` with that code, or a synth error
  whose message holds ``[Code]``.
- ``<!-- snippet: expect-warning Code [Code ...] -->``: the block runs with its page and shows these warnings
  (``constructs_lib:<Code>``, or another id in full); the page's synth must show exactly the warnings its blocks
  declare.
- ``<!-- snippet: skip reason -->``: the block is not run (a fragment); the reason is required, and skips are
  counted against a small budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The pages whose snippets run: the README and every page of docs/.
PAGES: tuple[Path, ...] = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))

_FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*snippet:\s*(?P<kind>[a-z-]+)(?P<args>.*?)\s*-->\s*$")
#: Generated blocks (between these markers) are the generators' business, not prose written by hand.
GENERATED_BLOCK = re.compile(r"<!-- (?P<name>[a-z]+):begin.*?<!-- (?P=name):end -->", re.S)


class Kind(StrEnum):
    """How a Python block runs."""

    PAGE = "page"
    PREAMBLE = "preamble"
    STANDALONE = "standalone"
    EXPECT_ERROR = "expect-error"
    SKIP = "skip"


@dataclass(frozen=True)
class Block:
    """One fenced code block.

    Attributes:
        page: the file it is in.
        line: the line of its opening fence (1-based).
        language: the fence's info string (``python``, ``json``, ``bash``...).
        code: its text.
        kind: how it runs (Python blocks).
        codes: the error code (``expect-error``) or the warning codes (``expect-warning``) it declares.
        reason: why it is skipped.
    """

    page: Path
    line: int
    language: str
    code: str
    kind: Kind = Kind.PAGE
    codes: tuple[str, ...] = ()
    reason: str = ""

    @property
    def where(self) -> str:
        """``docs/agent.md:42``, for messages."""
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of ``page``, with the directive before each (an unknown directive is an error)."""
    lines = page.read_text().splitlines()
    found: list[Block] = []
    directive: re.Match[str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence is None:
            match = _DIRECTIVE.match(line)
            if match is not None:
                directive = match
            elif line.strip():
                directive = None
            index += 1
            continue
        body: list[str] = []
        start = index + 1
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][len(fence.group("indent")):])
            index += 1
        index += 1
        found.append(_block(page, start, fence.group("info").strip(), "\n".join(body) + "\n", directive))
        directive = None
    return found


def _block(page: Path, line: int, info: str, code: str, directive: re.Match[str] | None) -> Block:
    language = info.split()[0] if info else ""
    if directive is None:
        return Block(page, line, language, code)
    kind, args = directive.group("kind"), directive.group("args").strip()
    where = f"{page.name}:{line}"
    if language != "python":
        raise ValueError(f"{where}: a snippet directive applies to Python blocks only, not to {language or 'text'}")
    if kind == "expect-warning":
        if not args:
            raise ValueError(f"{where}: expect-warning needs the warning codes")
        return Block(page, line, language, code, Kind.PAGE, codes=tuple(args.split()))
    if kind == "expect-error":
        if len(args.split()) != 1:
            raise ValueError(f"{where}: expect-error needs exactly one code, got {args!r}")
        return Block(page, line, language, code, Kind.EXPECT_ERROR, codes=(args,))
    if kind == "skip":
        if not args:
            raise ValueError(f"{where}: skip needs a reason")
        return Block(page, line, language, code, Kind.SKIP, reason=args)
    if kind in (Kind.PREAMBLE, Kind.STANDALONE) and not args:
        return Block(page, line, language, code, Kind(kind))
    raise ValueError(f"{where}: unknown snippet directive {directive.group(0).strip()!r}")


def prose(page: Path) -> str:
    """The text of ``page`` a person wrote: without code blocks, inline code and generated blocks."""
    text = GENERATED_BLOCK.sub("", page.read_text())
    text = re.sub(r"^ *```.*?^ *```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)
