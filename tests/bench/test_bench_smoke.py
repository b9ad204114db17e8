"""Benchmark smoke test: the smallest size runs end to end and reports the ratio columns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_smallest_benchmark_runs_and_reports_ratios(tmp_path: Path) -> None:
    # WHEN the benchmark runs one agent of each kind, template validation off
    output = tmp_path / "latest.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench.synth_bench", "--sizes", "1", "--no-validation", "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    # THEN it succeeds and prints the markdown table it wrote
    assert result.returncode == 0, result.stderr[-3000:]
    report = output.read_text()
    assert result.stdout == report
    header = next(line for line in report.splitlines() if line.startswith("| agents"))
    for column in ("time ratio (no validation)", "jsii msgs/agent", "python mem ratio", "node mem ratio",
                   "resources/agent", "template KiB/agent"):
        assert column in header
    row = next(line for line in report.splitlines() if line.startswith("| 1 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3] == "-"  # validation on was not run
    assert cells[6].endswith("x") and float(cells[6][:-1]) > 0  # time ratio without validation measured
    assert int(cells[8]) > int(cells[7]) >= 1  # an equipped agent costs more jsii messages than a bare runtime
    assert int(cells[10]) > int(cells[9]) >= 1  # equipped agents create more resources than bare runtimes
    assert "fit in one stack" in report and "AgentCoreAgent" in report


def test_smoke_table_reports_node_memory(tmp_path: Path) -> None:
    # GIVEN the smallest benchmark (bare and equipped, one agent each)
    from bench.synth_bench import run_case

    bare = run_case("bare", 1, validation=False)
    # THEN the jsii kernel's peak RSS was measured (the kernel was stopped and reaped), and it is the
    # Node.js process that holds the construct tree: far above an empty Node.js process
    assert bare["node_peak_mib"] is not None and bare["node_peak_mib"] > 50
    assert bare["python_peak_mib"] > 10
    assert bare["equipment"] == ["aws_bedrockagentcore.Runtime"]


def test_equipped_variant_is_a_platform_with_every_construct() -> None:
    import aws_cdk as cdk

    from bench.equipment import EQUIPMENT, equip_stack
    from tests.conftest import ENV

    stack = cdk.Stack(cdk.App(), "Equipped", env=ENV)
    used = equip_stack(stack, 1).used
    # THEN what is reported is what was built: every construct the platform can give an agent
    assert used[0] == "AgentPlatform"
    assert set(EQUIPMENT) <= set(used)


def test_fails_when_the_equipped_agent_lacks_a_construct(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    import aws_cdk as cdk
    import pytest

    from bench import equipment
    from tests.conftest import ENV

    # GIVEN a spec that leaves the facade out
    original = equipment.agent_spec
    monkeypatch.setattr(equipment, "agent_spec", lambda i: dataclasses.replace(original(i), facade=False))
    # THEN the benchmark refuses to call the agent fully equipped
    with pytest.raises(RuntimeError, match="AgentPlatformApi"):
        equipment.equip_stack(cdk.Stack(cdk.App(), "Equipped", env=ENV), 1)


def test_report_states_repeats_and_reproduces_them(tmp_path: Path) -> None:
    from bench.synth_bench import DOCS_BEGIN, DOCS_END, Measurement, render, write_docs

    def measured(resources: int, seconds: float, messages: int) -> Measurement:
        data = {
            "build_seconds": seconds / 2, "synth_seconds": seconds / 2, "python_peak_mib": 100.0,
            "node_peak_mib": 400.0, "resources": resources, "template_bytes": 2048 * resources,
            "equipment": ["AgentPlatform", "AgentCoreAgent"], "build_messages": messages,
        }
        return Measurement(data, seconds)

    on = (measured(3, 2.0, 2), measured(60, 3.0, 300))
    off = (measured(3, 1.0, 2), measured(60, 4.0, 300))
    report = render([(1, on, off)], limit=500, repeat=3)
    assert "median of 3 runs" in report and "validation on and off" in report
    assert "`python -m bench.synth_bench --sizes 1 --repeat 3`" in report
    assert "| 1 | 2.00 | 3.00 | 1.5x | 1.00 | 4.00 | 4.0x | 2 | 300 | 3 | 60 | 60.0 |" in report
    only_off = render([(1, None, off)], limit=500)
    assert "| 1 | - | - | - | 1.00 | 4.00 | 4.0x |" in only_off and "--no-validation" in only_off
    # WHEN the report is written into the docs' generated block
    docs = tmp_path / "contributing.md"
    docs.write_text(f"before\n{DOCS_BEGIN}\nold table\n{DOCS_END}\nafter\n")
    write_docs(docs, report)
    # THEN only the block changes, and it holds the table without the report's title
    text = docs.read_text()
    assert text.startswith(f"before\n{DOCS_BEGIN}\n") and text.endswith(f"{DOCS_END}\nafter\n")
    assert "old table" not in text and "# Synth benchmark" not in text and "| 1 | 2.00 |" in text


def test_nested_variant_puts_each_agent_in_its_own_nested_stack() -> None:
    from bench.synth_bench import run_case

    # WHEN two equipped agents are synthesized with one nested stack per agent
    nested = run_case("nested", 2, validation=False)
    # THEN each agent has its nested template, and the parent keeps only what is shared
    assert nested["nested_templates"] == 2
    assert nested["resources"] < nested["total_resources"]
    in_nested = nested["total_resources"] - nested["resources"]
    assert nested["largest_nested_resources"] <= in_nested <= 2 * nested["largest_nested_resources"]
    assert "AgentPlatform" in nested["equipment"]
