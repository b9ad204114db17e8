"""The pieces of the report and the diagram, without an app: counts, shares, paths, references, the chart check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.limits.catalog import QuotaCatalog, Unit
from constructs_lib.planning.agent_plan import CapacityPlan
from constructs_lib.planning.findings import Finding, Severity
from constructs_lib.planning.record import PlanRecord
from constructs_lib.planning.session_budget import SessionBudgetRequest
from constructs_lib.report.assembly import read_assembly
from constructs_lib.report.capacity import build_report_from_records
from constructs_lib.report.diagram import action_verb
from constructs_lib.report.markdown import render_markdown, table
from constructs_lib.report.references import References
from constructs_lib.report.text import render_text, wrap_path
from constructs_lib.report.view import count_findings, share
from tests.report._mermaid import parse_flowchart


def _findings(errors: int, warnings: int, infos: int) -> list[Finding]:
    counts = ((Severity.ERROR, errors), (Severity.WARNING, warnings), (Severity.INFO, infos))
    return [Finding(severity, "Code", "message") for severity, n in counts for _ in range(n)]


@pytest.mark.parametrize(
    ("counts", "text"),
    [((0, 0, 0), "none"), ((0, 0, 1), "1 info"), ((1, 2, 0), "1 error, 2 warnings"), ((2, 1, 3), "2 errors, 1 warning,"
                                                                                           " 3 infos")],
)
def test_findings_are_counted_in_words(counts: tuple[int, int, int], text: str) -> None:
    assert count_findings(_findings(*counts)) == text


def test_shares_show_the_numbers_they_come_from() -> None:
    assert share(300, 5000, Unit.COUNT) == "300 of 5,000 (6.0%)"
    assert share(60, 1000, Unit.PER_SECOND) == "60 TPS of 1,000 TPS (6.0%)"
    assert share(7, None, Unit.COUNT) == "7"


@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ABCXYZ0123456789", min_size=1, max_size=140),
                min_size=1, max_size=8), st.integers(min_value=20, max_value=120))
def test_wrapped_paths_fit_and_keep_every_character(segments: list[str], width: int) -> None:
    path = "/".join(segments)
    lines = wrap_path(path, width)
    assert all(len(line) <= width for line in lines)
    assert lines[0] + "".join(line[4:] for line in lines[1:]) == path


def test_markdown_cells_are_escaped() -> None:
    assert table(["a", "b"], [["x|y", "two\nlines"]]) == ["| a | b |", "|---|---|", "| x\\|y | two<br>lines |"]


@pytest.mark.parametrize(
    ("action", "verb"),
    [("bedrock-agentcore:InvokeAgentRuntime", "invokes"), ("lambda:InvokeFunction", "invokes"),
     ("dynamodb:GetItem", "reads"), ("s3:GetObject*", "reads"), ("s3:PutObject", "writes"),
     ("dynamodb:BatchWriteItem", "writes"), ("execute-api:ManageConnections", "uses"), ("s3:*", "uses")],
)
def test_iam_actions_name_what_an_edge_does(action: str, verb: str) -> None:
    assert action_verb(action) == verb


GOOD = """flowchart LR
  subgraph env["place"]
    subgraph stack_a["stack A"]
      a{{"agent a"}}
      t[("table")]
    end
  end
  a -->|"reads"| t
  classDef agent fill:#fff,stroke:#000
  class a agent
"""


def test_structural_check_reads_a_good_chart() -> None:
    chart = parse_flowchart(GOOD)
    assert chart.edge("a", "t") == ("a", "t", "reads", False)
    assert chart.subgraph_path("a") == ["place", "stack A"]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD.replace("  end\n  a -->", "  a -->"), "left open"),
        (GOOD.replace("a -->|\"reads\"| t", "a --> x"), "x is not a declared node"),
        (GOOD + "  end\n", "without a subgraph"),
        (GOOD.replace('t[("table")]', 't[("table")'), "shape"),
        (GOOD.replace('a -->', 'a ==>'), "is not a subgraph, node, edge or class"),
        (GOOD.replace("class a agent", "class a tool"), "class tool is not defined"),
        (GOOD.replace('t[("table")]', 'a[("table")]'), "declared twice"),
    ],
)
def test_structural_check_refuses_a_broken_chart(broken: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        parse_flowchart(broken)


def _write_assembly(directory: Path, templates: dict[str, dict[str, Any]]) -> Path:
    """A minimal cloud assembly: one stack artifact per template, in eu-west-1."""
    artifacts = {
        name: {"type": "aws:cloudformation:stack", "environment": "aws://111111111111/eu-west-1",
               "properties": {"templateFile": f"{name}.template.json", "stackName": f"prod-{name}"}}
        for name in templates
    }
    (directory / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))
    for name, template in templates.items():
        (directory / f"{name}.template.json").write_text(json.dumps(template))
    return directory


def test_references_cross_stacks_by_export_and_by_stack_output(tmp_path: Path) -> None:
    # GIVEN a table in one stack, exported (strong reference) and published as an output (weak reference)
    table = {"Type": "AWS::DynamoDB::Table", "Properties": {}}
    producer = {
        "Resources": {"Table": table},
        "Outputs": {
            "Exported": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}, "Export": {"Name": "prod-producer:TableArn"}},
            "Published": {"Value": {"Ref": "Table"}},
        },
    }
    consumer = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}}
    references = References(read_assembly(_write_assembly(tmp_path, {"producer": producer, "consumer": consumer})))
    # THEN an import, a stack output read, a Sub and a Join all lead to the table; a literal and a pseudo do not
    assert references.of("consumer", {"Fn::ImportValue": "prod-producer:TableArn"}) == {("producer", "Table")}
    weak = {"Fn::GetStackOutput": {"StackName": "prod-producer", "OutputName": "Published", "Region": "eu-west-1"}}
    assert references.of("consumer", {"Fn::Join": ["", ["arn:", weak, "/index/*"]]}) == {("producer", "Table")}
    assert references.of("consumer", {"Fn::Sub": "${Queue.Arn}/x ${AWS::Region} ${!Literal}"}) == {
        ("consumer", "Queue")}
    assert references.of("consumer", {"Fn::Sub": ["${Name}", {"Name": {"Ref": "Queue"}}]}) == {("consumer", "Queue")}
    assert references.of("consumer", ["Table", {"Ref": "AWS::AccountId"}, {"Ref": "Missing"}]) == set()


def test_the_session_budget_is_in_the_capacity_report_table_markdown_and_json() -> None:
    # GIVEN one agent with a session budget and one without, recorded as the template records them
    catalog = QuotaCatalog("2026-09")
    plan = CapacityPlan.derive(catalog=catalog, region="us-east-1")
    budget = SessionBudgetRequest(max_session_duration_seconds=7200, max_idle_seconds=600, max_sessions_per_caller=3,
                                  max_sessions=200)

    def record(path: str, with_budget: bool) -> PlanRecord:
        return PlanRecord.from_dict(PlanRecord.of(
            plan, path=path, runtime_name=path.split("/")[-1], account="123456789012", catalog=catalog,
            artifact="container", endpoints=["DEFAULT"], session_budget=budget if with_budget else None).to_dict())

    report = build_report_from_records([record("App/guarded", True), record("App/open", False)])
    # THEN the report says each agent's budget, in every rendering
    expected = "max duration 2 h, max idle 10 min, 3 per caller, 200 in all"
    markdown = render_markdown(report)
    assert f"| {expected} |" in markdown and "| none |" in markdown
    assert "| budget |" in markdown.splitlines()[markdown.splitlines().index("### Agents") + 2]
    assert expected in render_text(report)
    agents = {a["path"]: a for a in json.loads(report.to_json())["agents"]}
    assert agents["App/guarded"]["session_budget"] == {"max_session_duration_seconds": 7200.0,
                                                       "max_idle_seconds": 600.0, "max_sessions_per_caller": 3,
                                                       "max_sessions": 200}
    assert "session_budget" not in agents["App/open"]
