"""The limits table of docs/limits.md is generated from the quota catalog and must not drift from it."""

from __future__ import annotations

from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.report.limits_table import LIMITS_BEGIN, LIMITS_END, LIMITS_PAGE, limits_markdown, render_page
from tests.conftest import ROOT


def test_limits_page_table_matches_the_catalog() -> None:
    page = (ROOT / LIMITS_PAGE).read_text()
    assert LIMITS_BEGIN in page and LIMITS_END in page
    assert render_page(page) == page, f"run `make docs` to refresh the limits table of {LIMITS_PAGE}"


def test_limits_table_lists_every_quota_once() -> None:
    table = limits_markdown()
    names = {q.name.value for edition in ("2026-03", "2026-09") for q in QuotaCatalog(edition).quotas()}
    for name in names:
        assert table.count(f"| `{name}`") == 1, name
