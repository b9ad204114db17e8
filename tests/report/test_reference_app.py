"""The reference app, synthesized once by the report through its ``cdk.json``: its report (from the app command and
from the assembly it wrote), and the README's diagram, which must be the one this synthesis generates (``make docs``
refreshes it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.report.assembly import CloudAssembly, read_assembly
from constructs_lib.report.cli import main
from constructs_lib.report.diagram import build_diagram
from constructs_lib.report.mermaid import render_mermaid
from constructs_lib.report.readme_diagram import DIAGRAM_BEGIN, DIAGRAM_END, render_readme
from tests.conftest import ROOT
from tests.report._keep import run_keeping_assembly
from tests.report._mermaid import mermaid_modules, mermaid_parse, parse_flowchart


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CloudAssembly, dict[str, Any]]:
    """The assembly the report's ``cdk.json`` path synthesized, and that path's JSON report."""
    outdir = tmp_path_factory.mktemp("reference")
    output = outdir.parent / "reference-report.json"
    assert run_keeping_assembly(["report", str(ROOT), "--format", "json", "--output", str(output)], outdir) == 0
    return outdir, read_assembly(outdir), json.loads(output.read_text())


def test_readme_diagram_is_generated_from_the_reference_app(reference) -> None:  # type: ignore[no-untyped-def]
    _, assembly, _ = reference
    readme = (ROOT / "README.md").read_text()
    assert DIAGRAM_BEGIN in readme and DIAGRAM_END in readme
    assert render_readme(readme, assembly) == readme, "the reference app changed: run `make docs` to refresh the README"


def test_reference_report_through_cdk_json(reference) -> None:  # type: ignore[no-untyped-def]
    _, _, document = reference
    agents = {a["runtime_name"]: a for a in document["agents"]}
    assert agents["support_agent"]["mode"] == "streaming" and agents["research_agent"]["mode"] == "asynchronous"
    assert agents["support_agent"]["endpoints"] == ["DEFAULT", "prod", "canary"]
    (summary,) = document["accounts"]
    assert summary["account"] == "123456789012" and summary["agents"] == len(agents)


def test_reference_report_from_the_assembly_is_the_same(reference, capsys) -> None:  # type: ignore[no-untyped-def]
    outdir, _, document = reference
    assert main(["report", "--cdk-out", str(outdir), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == document


def test_reference_diagram_draws_each_story(reference) -> None:  # type: ignore[no-untyped-def]
    _, assembly, _ = reference
    chart = parse_flowchart(render_mermaid(build_diagram(assembly)))
    first_lines = {node: lines[0] for node, (_, lines, _) in chart.nodes.items()}
    by_first_line = {line: node for node, line in first_lines.items()}
    # the WebSocket facade's route proxy hands messages to its relay, which invokes the chat agent (and stops the
    # sessions it abandons); the pipeline invokes both of its agents
    websocket = next(n for n, line in first_lines.items() if line == "WebSocket API")
    (proxy,) = [t for s, t, _, _ in chart.edges if s == websocket]
    (relay,) = [t for s, t, label, _ in chart.edges if s == proxy and label == "invokes"]
    assert chart.edge(relay, by_first_line["agent chat_agent"])[2] == "invokes, uses"
    pipeline = by_first_line["Step Functions state machine"]
    assert {t for s, t, _, _ in chart.edges if s == pipeline} == {
        by_first_line["agent triage_agent"], by_first_line["agent writer_agent"]}
    # every agent is watched by its stack's alarms
    agents = [n for n, line in first_lines.items() if line.startswith("agent ")]
    assert all(any(s == a and monitoring for s, _, _, monitoring in chart.edges) for a in agents)


def test_mermaid_itself_parses_the_reference_diagram(reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    modules = mermaid_modules()
    if modules is None:
        pytest.skip("the npm packages mermaid and jsdom are not installed (or name them: MERMAID_NODE_MODULES)")
    _, assembly, _ = reference
    source = tmp_path / "reference.mmd"
    source.write_text(render_mermaid(build_diagram(assembly)))
    result = mermaid_parse(source, modules)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "flowchart-v2"
    # and a broken chart is refused, so the check can fail
    source.write_text(source.read_text().replace("\n  end\n", "\n", 1))
    assert mermaid_parse(source, modules).returncode != 0
