"""Keep the cloud assembly the report synthesizes through ``cdk.json``, so one synthesis serves a whole module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from constructs_lib.report import cli
from constructs_lib.report.readme_diagram import MACHINE_VARIABLES


def run_keeping_assembly(argv: list[str], outdir: Path) -> int:
    """``main(argv)`` with the temporary synthesis directory replaced by ``outdir`` (kept after the run).

    The machine's default account and region are unset, as ``make docs`` does, so the result does not depend on them.
    """

    @contextmanager
    def kept() -> Iterator[Path]:
        yield outdir

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "_temporary_directory", kept)
        for name in MACHINE_VARIABLES:
            patch.delenv(name, raising=False)
        return cli.main(argv)
