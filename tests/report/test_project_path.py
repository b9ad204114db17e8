"""The report on a plain app directory through its ``cdk.json``: the app command runs as ``cdk synth`` runs it.

One synthesis for the module (the JSON report, and the assembly it wrote, kept for the report from ``cdk.out``); the
other tests read the project files or fail before synthesizing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.report.cli import EXIT_FINDINGS, EXIT_USAGE, main
from constructs_lib.report.project import REPORT_CONTEXT, CdkProject, ProjectError
from tests.report._keep import run_keeping_assembly
from tests.report.conftest import PLAIN_EDITION, PLAIN_SESSIONS_QUOTA, files_of


@pytest.fixture(scope="module")
def project_report(plain_app: Path) -> tuple[dict[str, Any], set[str], set[str], Path]:
    """The JSON report of the plain app through ``cdk.json``, the app directory's files before and after, and the
    assembly the report synthesized."""
    before = files_of(plain_app)
    output, outdir = plain_app.parent / "report.json", plain_app.parent / "assembly"
    outdir.mkdir()
    status = run_keeping_assembly(["report", str(plain_app), "--format", "json", "--output", str(output)], outdir)
    assert status == 0
    return json.loads(output.read_text()), before, files_of(plain_app), outdir


def test_report_runs_a_plain_app_without_build_app(project_report) -> None:  # type: ignore[no-untyped-def]
    # GIVEN an app.py that synthesizes at import, with no build_app function
    document, _, _, _ = project_report
    # THEN the report lists both agents with their plans
    agents = {a["runtime_name"]: a for a in document["agents"]}
    assert set(agents) == {"chat", "batch"}
    assert agents["chat"]["path"] == "Team/Chat" and agents["chat"]["endpoints"] == ["DEFAULT", "prod"]
    assert agents["batch"]["mode"] == "asynchronous"
    assert agents["chat"]["region"] == "eu-west-1" and agents["chat"]["account"] == "111111111111"


def test_report_uses_the_context_of_cdk_json_and_cdk_context_json(project_report) -> None:  # type: ignore[no-untyped-def]
    # GIVEN cdk.json pinning edition 2026-09, and cdk.context.json pinning 2026-03 with an approved increase
    document, _, _, _ = project_report
    chat = next(a for a in document["agents"] if a["runtime_name"] == "chat")
    # THEN cdk.context.json wins over cdk.json, as with the CDK CLI, and the approved quota is planned against
    assert chat["edition"] == PLAIN_EDITION
    assert chat["quota_overrides"] == {"active_session_workloads": {"eu-west-1": PLAIN_SESSIONS_QUOTA}}
    assert [f["code"] for f in chat["findings"]] == ["ActiveSessionsExceeded"]
    assert document["accounts"][0]["session_quota"] == PLAIN_SESSIONS_QUOTA


def test_report_writes_nothing_in_the_app_directory(project_report) -> None:  # type: ignore[no-untyped-def]
    # THEN no cdk.out, no __pycache__, nothing: the synthesis went to a temporary directory
    _, before, after, _ = project_report
    assert after == before


def test_report_from_the_assembly_is_the_same(project_report, capsys) -> None:  # type: ignore[no-untyped-def]
    # WHEN the assembly the app command wrote is read with --cdk-out THEN the report is the same
    document, _, _, outdir = project_report
    assert main(["report", "--cdk-out", str(outdir), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == document


def test_table_of_a_plain_app(project_report, capsys) -> None:  # type: ignore[no-untyped-def]
    _, _, _, outdir = project_report
    assert main(["report", "--cdk-out", str(outdir), "--fail-on", "warning"]) == EXIT_FINDINGS
    out = capsys.readouterr().out
    assert out.startswith("AgentCore capacity report: 2 agents in 1 account and region; findings: 2 warnings")
    assert "1,200 of 800 (150.0%)" in out and "1,300 of 800 (162.5%)" in out


def test_context_precedence_is_the_clis(tmp_path: Path) -> None:
    # GIVEN a key in cdk.json, overridden in cdk.context.json, overridden on the command line
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "node app.js", "context": {"a": 1, "b": 1, "c": 1}}))
    (tmp_path / "cdk.context.json").write_text(json.dumps({"b": 2, "c": 2}))
    project = CdkProject.read(tmp_path)
    # WHEN the app's environment is built
    environment = project.environment(tmp_path / "out", {"c": 3}, base={})
    # THEN the command line wins over cdk.context.json, which wins over cdk.json; the report adds path metadata
    context = json.loads(environment["CDK_CONTEXT_JSON"])
    assert (context["a"], context["b"], context["c"]) == (1, 2, 3)
    assert {k: context[k] for k in REPORT_CONTEXT} == dict(REPORT_CONTEXT)
    assert environment["CDK_OUTDIR"] == str(tmp_path / "out")
    # AND CDK's template validation is off unless the caller set it
    assert environment["CDK_VALIDATION"] == "false"
    assert project.environment(tmp_path, base={"CDK_VALIDATION": "true"})["CDK_VALIDATION"] == "true"


@pytest.mark.parametrize(
    ("command", "entry"),
    [
        ("python3 app.py", ("app.py", False, ())),
        (".venv/bin/python -m my_app.main --flag", ("my_app.main", True, ("--flag",))),
        ("python3.11 'infra/app.py' prod", ("infra/app.py", False, ("prod",))),
        ("npx ts-node --prefer-ts-exts bin/app.ts", None),
        ("python3 -c 'print(1)'", None),
    ],
)
def test_python_app_commands_are_recognized(tmp_path: Path, command: str, entry: tuple[Any, ...] | None) -> None:
    (tmp_path / "cdk.json").write_text(json.dumps({"app": command}))
    found = CdkProject.read(tmp_path).python_entry_point()
    assert (None if found is None else (found.target, found.is_module, found.arguments)) == entry


def test_fails_when_the_directory_has_no_cdk_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", str(tmp_path)])
    assert exc.value.code == EXIT_USAGE
    assert "has no cdk.json and is no cloud assembly" in capsys.readouterr().err


def test_fails_when_cdk_json_names_no_app(tmp_path: Path) -> None:
    (tmp_path / "cdk.json").write_text(json.dumps({"context": {}}))
    with pytest.raises(ProjectError, match="names no app command"):
        CdkProject.read(tmp_path)


def test_fails_when_the_app_command_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN an app command that fails with a message
    (tmp_path / "cdk.json").write_text(json.dumps(
        {"app": "python3 -c \"import sys; print('boom: no such stack', file=sys.stderr); sys.exit(3)\""}
    ))
    # WHEN the report runs it THEN it exits 2 with the command, its status and the app's last words
    with pytest.raises(SystemExit) as exc:
        main(["report", str(tmp_path)])
    assert exc.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "exited with status 3" in err and "boom: no such stack" in err


def test_fails_when_the_app_writes_no_assembly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "python3 -c pass"}))
    with pytest.raises(SystemExit) as exc:
        main(["report", str(tmp_path)])
    assert exc.value.code == EXIT_USAGE
    assert "wrote no cloud assembly" in capsys.readouterr().err


def test_fails_when_regions_meet_an_app_command_that_is_not_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "npx ts-node bin/app.ts"}))
    with pytest.raises(SystemExit) as exc:
        main(["report", str(tmp_path), "--regions", "us-east-1"])
    assert exc.value.code == EXIT_USAGE
    assert "needs a Python app command" in capsys.readouterr().err
