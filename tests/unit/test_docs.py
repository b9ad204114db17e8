"""The README's limits table is generated from the quota catalog and must not drift from it."""

from __future__ import annotations

from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.report.limits_table import LIMITS_BEGIN, LIMITS_END, limits_markdown, render_readme
from tests.conftest import ROOT


def test_readme_limits_table_matches_the_catalog() -> None:
    readme = (ROOT / "README.md").read_text()
    assert LIMITS_BEGIN in readme and LIMITS_END in readme
    assert render_readme(readme) == readme, "run `python -m constructs_lib.report.limits_table` to refresh the README"


def test_limits_table_lists_every_quota_once() -> None:
    table = limits_markdown()
    names = {q.name.value for edition in ("2026-03", "2026-09") for q in QuotaCatalog(edition).quotas()}
    for name in names:
        assert table.count(f"| `{name}`") == 1, name
