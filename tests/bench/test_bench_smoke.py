"""Benchmark smoke test: the smallest size runs end to end and reports the ratio columns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_smallest_benchmark_runs_and_reports_ratios(tmp_path: Path) -> None:
    # WHEN the benchmark runs one agent of each kind, template validation off
    output = tmp_path / "latest.md"
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run(
        [sys.executable, "-m", "bench.synth_bench", "--sizes", "1", "--no-validation", "--output", str(output)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    # THEN it succeeds and prints the markdown table it wrote
    assert result.returncode == 0, result.stderr[-3000:]
    report = output.read_text()
    assert result.stdout == report
    header = next(line for line in report.splitlines() if line.startswith("| agents"))
    for column in ("time ratio", "python mem ratio", "node mem ratio", "resources/agent", "template KiB/agent"):
        assert column in header
    row = next(line for line in report.splitlines() if line.startswith("| 1 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3].endswith("x") and float(cells[3][:-1]) > 0  # time ratio measured
    assert int(cells[9]) > int(cells[8]) >= 1  # equipped agents create more resources than bare runtimes
    assert "fit in one stack" in report and "AgentCoreAgent" in report
