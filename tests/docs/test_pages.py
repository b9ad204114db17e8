"""The pages say what the code does: codes that exist, the pack's rules as they are, links that resolve, and no
limit value written by hand (the catalog is the one source; prose names quotas, the limits table is generated)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from constructs_lib.checks.pack import PACK_NAME
from constructs_lib.checks.rules import ALL_RULES
from tests.docs.snippets import PAGES, ROOT, prose

SOURCE = ROOT / "constructs_lib"
#: The level column of a findings table: how the code reaches the user.
LEVELS = ("error", "warning", "info", "raises")
_ROW = re.compile(r"^\|(?P<first>[^|]*)\|\s*(?P<level>[a-z]+)\s*\|", re.M)
_CODE = re.compile(r"`([A-Z][A-Za-z0-9]+)`")
#: A number with a unit: how a limit value looks when someone types it (``15 min``, ``10 MB``, ``25 TPS``).
_NUMBER_WITH_UNIT = re.compile(
    r"\b\d[\d,.]*\s?(?:[KMG]i?B|bytes?|TPS|ms|s|sec|seconds?|min|minutes?|h|hours?|days?|vCPUs?)\b"
)
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def _source_text() -> str:
    return "\n".join(path.read_text() for path in SOURCE.rglob("*.py"))


def _table_codes(page: Path) -> list[tuple[str, str]]:
    return [
        (code, row.group("level"))
        for row in _ROW.finditer(page.read_text())
        if row.group("level") in LEVELS
        for code in _CODE.findall(row.group("first"))
    ]


@pytest.mark.parametrize("page", [pytest.param(p, id=str(p.relative_to(ROOT))) for p in PAGES])
def test_findings_tables_name_codes_the_library_emits(page: Path) -> None:
    source = _source_text()
    unknown = [
        f"{code} ({level})" for code, level in _table_codes(page)
        if f'"{code}"' not in source and f"[{code}]" not in source
    ]
    assert not unknown, f"{page.name} names codes the library does not emit: {unknown}"


def test_the_checks_page_lists_every_rule_of_the_pack_at_its_level() -> None:
    # GIVEN the rules table of docs/checks.md
    rows = re.findall(r"^\| `(AgentCore-[A-Za-z]+)` \| (error|warning) \|", (ROOT / "docs" / "checks.md").read_text(),
                      re.M)
    documented = dict(rows)
    # THEN it holds exactly the pack's rules, each at the level the pack applies
    expected = {f"{PACK_NAME}-{rule.rule_id}": "error" if rule.level.name == "ERROR" else "warning"
                for rule in ALL_RULES}
    assert documented == expected
    assert len(rows) == len(documented), "a rule is listed twice"


@pytest.mark.parametrize("page", [pytest.param(p, id=str(p.relative_to(ROOT))) for p in PAGES])
def test_prose_writes_no_limit_value_by_hand(page: Path) -> None:
    found = [match.group(0) for match in _NUMBER_WITH_UNIT.finditer(prose(page))]
    assert not found, f"{page.name}: values with units in prose {found}; name the quota (see docs/limits.md) instead"


@pytest.mark.parametrize("page", [pytest.param(p, id=str(p.relative_to(ROOT))) for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for match in _LINK.finditer(page.read_text()):
        target = match.group("target")
        if re.match(r"^[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in _anchors(path)):
            broken.append(target)
    assert not broken, f"{page.name}: broken links {broken}"


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
