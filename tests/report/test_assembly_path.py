"""The report and the diagram of a synthesized app read from its cloud assembly (``--cdk-out``), without the CDK.

One app, synthesized once in process, as a platform team would build it: a stage, long construct paths, an agent with
a REST API, a session table, a tool, a pipeline and alarms; an agent in a nested stack using a table of its parent; a
function of another stack invoking an agent (a cross-stack reference); and an environment-agnostic stack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_lib import (
    AgentApiFacade,
    AgentArtifact,
    AgentCoreAgent,
    AgentMonitoring,
    AgentPipeline,
    AgentSessionStore,
    AgentStep,
    AgentTool,
    WorkloadProfile,
)
from constructs_lib.report.assembly import read_assembly
from constructs_lib.report.capacity import build_report_from_cdk_out
from constructs_lib.report.cli import EXIT_FINDINGS, EXIT_USAGE, main
from constructs_lib.report.diagram import NODE_TYPES, NodeKind, build_diagram
from constructs_lib.report.in_process import build_report
from constructs_lib.report.mermaid import render_mermaid
from constructs_lib.report.text import WIDTH
from tests.conftest import ROOT
from tests.report._mermaid import Flowchart, parse_flowchart

EU = cdk.Environment(account="222222222222", region="eu-west-1")
LONG_AGENT = "CustomerFacingAssistants/TierOneSupportEscalations/BillingDisputeResolutionAgentWithVeryLongName"


def _agent(scope: Any, construct_id: str, runtime_name: str, **workload: Any) -> AgentCoreAgent:
    return AgentCoreAgent(
        scope, construct_id, runtime_name=runtime_name, artifact=AgentArtifact.from_managed_repository("v1"),
        endpoints=workload.pop("endpoints", []), workload=WorkloadProfile(**workload),
    )


def _build(outdir: Path) -> cdk.App:
    app = cdk.App(outdir=str(outdir))
    stage = cdk.Stage(app, "ProductionEuropeWestCustomerSupport")
    stack = cdk.Stack(stage, "CustomerSupportPlatformStackWithAVeryDescriptiveName", env=EU)
    parent: Any = stack
    for part in LONG_AGENT.split("/")[:-1]:
        parent = Construct(parent, part)
    billing = _agent(parent, LONG_AGENT.split("/")[-1], "billing_agent", endpoints=["prod"],
                     peak_concurrent_sessions=3000, peak_requests_per_second=40)
    writer = _agent(stack, "Writer", "writer_agent")
    facade = AgentApiFacade(stack, "Api", agent=billing)
    # an alarm on the API's 5XX errors: its ApiName dimension is the API's name, a plain string
    facade.api.metric_server_error().create_alarm(stack, "ApiErrors", threshold=1, evaluation_periods=1)
    AgentSessionStore(stack, "Sessions").grant_read_write(billing)
    AgentTool(stack, "Lookup", tool_name="lookup_customer", description="Find a customer by email",
              code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"), handler="index.handler",
              agents=[billing])
    AgentPipeline(stack, "Pipeline", steps=[AgentStep(billing, name="Resolve"), AgentStep(writer, name="Reply")])
    AgentMonitoring(stack, "Monitoring", alarm_name_prefix="billing", agents=[billing, writer])
    # an agent in a nested stack, reading a table of its parent (a reference through the nested stack's parameters)
    nested = cdk.NestedStack(stack, "Nested")
    audit = AgentSessionStore(stack, "AuditLog")
    audit.grant_read_write(_agent(nested, "Auditor", "auditor_agent"))
    # a function of another stack invoking the billing agent (a cross-stack export and import)
    callers = cdk.Stack(stage, "Callers", env=EU)
    caller = lambda_.Function(callers, "Caller", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                              code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"))
    billing.runtime.grant_invoke(caller)
    _agent(cdk.Stack(app, "Anywhere"), "Roaming", "roaming_agent")
    return app


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    outdir = tmp_path_factory.mktemp("assembly")
    app = _build(outdir)
    live = build_report(app)
    app.synth()
    yield outdir, live


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["report", *args])
    return status, capsys.readouterr().out


def test_report_from_the_assembly_is_the_in_process_report(assembly) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the app synthesized, stage, nested stack and environment-agnostic stack included
    outdir, live = assembly
    # THEN the assembly gives the report the app gave in process, every agent included
    recorded = build_report_from_cdk_out(outdir)
    assert recorded == live
    assert {a.runtime_name for a in recorded.agents} == {"billing_agent", "writer_agent", "auditor_agent",
                                                         "roaming_agent"}


def test_every_line_of_the_table_fits_100_columns(assembly, capsys) -> None:  # type: ignore[no-untyped-def]
    outdir, _ = assembly
    status, out = _run(capsys, "--cdk-out", str(outdir))
    assert status == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= WIDTH, max(lines, key=len)
    # the long construct path is broken after a "/", and its pieces are all there
    heading = next(i for i, line in enumerate(lines) if line.startswith("ProductionEuropeWestCustomerSupport/"))
    assert lines[heading].endswith("/") and lines[heading + 1].startswith("    ")
    joined = lines[heading] + "".join(line.strip() for line in lines[heading + 1: heading + 3])
    assert LONG_AGENT in joined


def test_table_shows_absolute_numbers_and_spelled_out_findings(assembly, capsys) -> None:  # type: ignore[no-untyped-def]
    outdir, _ = assembly
    _, out = _run(capsys, "--cdk-out", str(outdir))
    # 3,000 sessions of eu-west-1's active-session quota, with the share; findings counted in words
    block = out.split("billing_agent", 1)[1].split("\n\n", 1)[0]
    assert "3,000 of 2,500 (120.0%)" in block
    assert "40 TPS of 1,000 TPS (4.0%)" in block
    assert "findings       1 warning" in block
    assert "warning [ActiveSessionsExceeded] peak_concurrent_sessions" in " ".join(block.split())
    assert "0E" not in out and "1I" not in out


def _tables(markdown: str) -> dict[str, list[dict[str, str]]]:
    """Every GFM table under its ``###`` heading: rows as dicts keyed by the header cells."""
    tables: dict[str, list[dict[str, str]]] = {}
    heading, lines = None, markdown.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("### "):
            heading = line[4:]
        elif line.startswith("| ") and heading is not None and heading not in tables:
            header = [c.strip() for c in line.strip("|").split(" | ")]
            assert lines[i + 1] == "|" + "---|" * len(header), "a separator row follows the header"
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("| "):
                    break
                cells = [c.strip() for c in row[2:-2].split(" | ")]
                assert len(cells) == len(header), row
                rows.append(dict(zip(header, cells, strict=True)))
            tables[heading] = rows
    return tables


def test_markdown_has_a_table_per_section(assembly, capsys) -> None:  # type: ignore[no-untyped-def]
    outdir, _ = assembly
    status, out = _run(capsys, "--cdk-out", str(outdir), "--format", "markdown")
    assert status == 0
    assert out.startswith("## AgentCore capacity report\n")
    tables = _tables(out)
    assert set(tables) == {"Agents", "Accounts", "Findings"}
    agents = {row["agent"].strip("`"): row for row in tables["Agents"]}
    billing = agents[f"ProductionEuropeWestCustomerSupport/CustomerSupportPlatformStackWithAVeryDescriptiveName/"
                     f"{LONG_AGENT}"]
    assert billing["peak sessions"] == "3,000 of 2,500 (120.0%)" and billing["findings"] == "1 warning"
    assert {row["account and region"] for row in tables["Accounts"]} == {
        "account 222222222222, eu-west-1", "account unknown, region unknown at synth (smallest regional quotas)"}
    codes = {(row["severity"], row["code"]) for row in tables["Findings"]}
    assert ("warning", "ActiveSessionsExceeded") in codes and ("info", "RegionUnknown") in codes


@pytest.mark.parametrize(
    ("fail_on", "expected"), [(None, 0), ("error", 0), ("warning", EXIT_FINDINGS), ("info", EXIT_FINDINGS),
                              ("never", 0)],
)
def test_fail_on_exit_codes(assembly, capsys, fail_on: str | None, expected: int) -> None:  # type: ignore[no-untyped-def]
    # GIVEN an app whose findings are warnings and infos
    outdir, _ = assembly
    # THEN the exit status is 1 only when findings at or above the chosen severity exist (default: errors)
    status, _ = _run(capsys, "--cdk-out", str(outdir), *(["--fail-on", fail_on] if fail_on else []))
    assert status == expected


def test_fails_on_errors_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN an app with a hard-limit error (it cannot synthesize; --app reports it without synthesizing)
    status, out = _run(capsys, str(ROOT), "--app", "tests.report._apps:overnight_app")
    # THEN the default exit status is 1, and the error is spelled out
    assert status == EXIT_FINDINGS
    assert "1 error" in out and "[TaskTooLong]" in out
    assert _run(capsys, str(ROOT), "--app", "tests.report._apps:overnight_app", "--fail-on", "never")[0] == 0


def test_fails_when_arguments_mean_nothing(assembly, capsys) -> None:  # type: ignore[no-untyped-def]
    outdir, _ = assembly
    for args in (["--cdk-out", str(outdir), "--regions", "us-east-1"], ["--cdk-out", str(outdir), "-c", "a=1"],
                 [str(outdir), "--cdk-out", str(outdir)], ["--cdk-out", str(outdir), "--format", "mermaid"],
                 ["--cdk-out", str(outdir), "--diagram", "--format", "table"]):
        with pytest.raises(SystemExit) as exc:
            main(["report", *args])
        assert exc.value.code == EXIT_USAGE, args
    capsys.readouterr()


def test_a_cloud_assembly_directory_is_read_as_such(assembly, capsys) -> None:  # type: ignore[no-untyped-def]
    outdir, _ = assembly
    assert _run(capsys, str(outdir), "--format", "json") == _run(capsys, "--cdk-out", str(outdir), "--format", "json")


# ---- the diagram


@pytest.fixture(scope="module")
def chart(assembly) -> Flowchart:  # type: ignore[no-untyped-def]
    outdir, _ = assembly
    return parse_flowchart(render_mermaid(build_diagram(read_assembly(outdir))))


def _node(chart: Flowchart, first_line: str) -> str:
    (found,) = [node for node, (_, lines, _) in chart.nodes.items() if lines[0] == first_line]
    return found


def test_diagram_shows_the_agent_with_its_api_state_tool_pipeline_and_alarms(chart: Flowchart) -> None:
    agent = _node(chart, "agent billing_agent")
    assert chart.nodes[agent][1][1] == "synchronous, endpoints DEFAULT, prod"
    api, proxy = _node(chart, "REST API"), _node(chart, "proxy function")
    assert chart.edge(api, proxy)[2] == "proxies"
    assert chart.edge(proxy, agent)[2] == "invokes"
    table = next(n for n, (_, lines, _) in chart.nodes.items() if lines == ["DynamoDB table", "Sessions"])
    assert chart.edge(agent, table)[2] == "reads, writes"
    tool = _node(chart, "tool lookup_customer")
    assert chart.edge(agent, tool)[2] == "invokes"
    pipeline = _node(chart, "Step Functions state machine")
    assert chart.edge(pipeline, agent)[2] == "invokes"
    assert chart.edge(pipeline, _node(chart, "agent writer_agent"))[2] == "invokes"
    alarms = next(n for n, (_, lines, _) in chart.nodes.items() if lines[0].endswith("CloudWatch alarms"))
    assert chart.edge(agent, alarms) == (agent, alarms, "metrics", True)
    assert chart.edge(api, alarms) == (api, alarms, "metrics", True)  # matched by the API's name
    assert chart.edge(alarms, _node(chart, "SNS topic"))[2] == "notifies"


def test_diagram_groups_by_place_stack_and_nested_stack(chart: Flowchart) -> None:
    stack = "stack ProductionEuropeWestCustomerSupport/CustomerSupportPlatformStackWithAVeryDescriptiveName"
    assert chart.subgraph_path(_node(chart, "agent billing_agent")) == ["account 222222222222, eu-west-1", stack]
    auditor = _node(chart, "agent auditor_agent")
    assert chart.subgraph_path(auditor) == ["account 222222222222, eu-west-1", stack, "nested stack Nested"]
    assert chart.subgraph_path(_node(chart, "agent roaming_agent")) == ["any account, any region", "stack Anywhere"]
    # the nested agent's grant reaches the parent's table through the nested stack's parameters
    audit_table = next(n for n, (_, lines, _) in chart.nodes.items() if lines == ["DynamoDB table", "AuditLog"])
    assert chart.edge(auditor, audit_table)[2] == "reads, writes"


def test_diagram_follows_a_cross_stack_reference(chart: Flowchart) -> None:
    caller = next(n for n, (_, lines, _) in chart.nodes.items() if lines == ["Lambda function", "Caller"])
    assert chart.subgraph_path(caller)[-1] == "stack ProductionEuropeWestCustomerSupport/Callers"
    assert chart.edge(caller, _node(chart, "agent billing_agent"))[2] == "invokes"


def test_diagram_leaves_out_what_it_does_not_know(assembly) -> None:  # type: ignore[no-untyped-def]
    outdir, _ = assembly
    diagram = build_diagram(read_assembly(outdir))
    # every node is of a known kind, and every one is connected (access-log buckets, queues, keys are left out)
    assert {n.kind for n in diagram.nodes} <= set(NodeKind)
    connected = {e.source for e in diagram.edges} | {e.target for e in diagram.edges}
    assert all(n.id in connected for n in diagram.nodes if n.kind is not NodeKind.AGENT)
    resource_types = {r["Type"] for s in read_assembly(outdir).stacks for r in s.resources.values()}
    assert "AWS::SQS::Queue" in resource_types and "AWS::SQS::Queue" not in NODE_TYPES


def test_diagram_is_deterministic(assembly) -> None:  # type: ignore[no-untyped-def]
    outdir, _ = assembly
    first = render_mermaid(build_diagram(read_assembly(outdir)))
    assert render_mermaid(build_diagram(read_assembly(outdir))) == first


def test_diagram_on_the_command_line(assembly, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outdir, _ = assembly
    target = tmp_path / "diagram.mmd"
    assert main(["report", "--cdk-out", str(outdir), "--diagram", "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert target.read_text() == render_mermaid(build_diagram(read_assembly(outdir)))
    _, markdown = _run(capsys, "--cdk-out", str(outdir), "--diagram", "--format", "markdown")
    assert markdown.startswith("```mermaid\nflowchart LR\n") and markdown.endswith("```\n")
    _, document = _run(capsys, "--cdk-out", str(outdir), "--diagram", "--format", "json")
    kinds = {n["kind"] for n in json.loads(document)["nodes"]}
    assert {"agent", "rest_api", "proxy", "tool", "table", "state_machine", "alarms", "topic"} <= kinds


def test_report_and_diagram_from_an_assembly_do_not_start_the_cdk(assembly) -> None:  # type: ignore[no-untyped-def]
    # WHEN the report and the diagram are made from an assembly in a fresh interpreter
    outdir, _ = assembly
    script = (
        "import sys, time; start = time.perf_counter()\n"
        "from constructs_lib.report.cli import main\n"
        f"main(['report', '--cdk-out', {str(outdir)!r}, '--output', '/dev/null'])\n"
        f"main(['report', '--cdk-out', {str(outdir)!r}, '--diagram', '--output', '/dev/null'])\n"
        "print(sorted(m for m in ('aws_cdk', 'jsii', 'constructs') if m in sys.modules))\n"
    )
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=False, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    # THEN neither imports the CDK or jsii (no Node.js process), and both are quick
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert time.perf_counter() - started < 30
