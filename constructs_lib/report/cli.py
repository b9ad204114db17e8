"""``python -m constructs_lib report``: the capacity report, or the architecture diagram, of any CDK app.

Where the app comes from (the first that applies):

1. ``--cdk-out DIR``: an app already synthesized (a cloud assembly, such as a CI artifact). Nothing runs. An existing
   ``cdk.out`` is read only when named: the report never guesses whether it is older than the code.
2. ``--app MODULE:FUNCTION``: a function that builds the app, imported from DIRECTORY and run in this process, with
   the context the function gives it (no synthesis for the report, so hard-limit errors are reported, not raised; the
   diagram synthesizes into a temporary directory).
3. DIRECTORY (default: the current directory) with a ``cdk.json``: its ``app`` command runs as ``cdk synth`` would run
   it (``CDK_OUTDIR`` naming a temporary directory, ``CDK_CONTEXT_JSON`` holding the context of ``cdk.json``,
   ``cdk.context.json`` and ``--context``), and the report reads the result. Any app language works; a plain
   ``app.py`` that calls ``app.synth()`` at import needs nothing more. Nothing is written to DIRECTORY. The report
   turns off what it does not read: CDK's template validation (unless ``CDK_VALIDATION`` is set) and asset bundling.
4. DIRECTORY without a ``cdk.json`` but with a ``manifest.json``: a cloud assembly, as with ``--cdk-out``.

``--regions`` re-plans the agents in other regions from their code: it needs the agents themselves, so it works with
``--app``, and with a ``cdk.json`` whose app command runs Python (the script then runs in this process).

Exit status: 0 when the report was written and no finding is at or above ``--fail-on`` (default ``error``); 1 when
there are such findings; 2 for a wrong argument or an app that cannot be built, synthesized or read (a hard-limit
error fails synthesis: its message is shown; ``--app`` reports it with status 1 instead).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from constructs_lib.planning.findings import Severity
from constructs_lib.report.assembly import AssemblyError, CloudAssembly, is_cloud_assembly, read_assembly
from constructs_lib.report.capacity import CapacityReport, build_report_from_records, plan_records
from constructs_lib.report.diagram import build_diagram
from constructs_lib.report.markdown import render_markdown
from constructs_lib.report.mermaid import render_markdown_block, render_mermaid
from constructs_lib.report.project import PROJECT_FILE, CdkProject, ProjectError
from constructs_lib.report.text import render_text
from constructs_lib.report.view import SEVERITY_ORDER

if TYPE_CHECKING:
    from constructs_lib.planning.account import RegionalCapacityReport

#: Exit status when findings at or above ``--fail-on`` exist, and for wrong arguments or an unreadable app.
EXIT_FINDINGS = 1
EXIT_USAGE = 2
#: ``--fail-on`` choices: a severity, or ``never``.
NEVER = "never"
_REPORT_FORMATS = ("table", "markdown", "json")
_DIAGRAM_FORMATS = ("mermaid", "markdown", "json")
_UNKNOWN_REGION = "unknown"


@dataclass(frozen=True)
class _Result:
    """What the chosen source gives: the report (with its regional plans), or the synthesized app to draw."""

    report: CapacityReport | None = None
    regional: RegionalCapacityReport | None = None
    assembly: CloudAssembly | None = None


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m constructs_lib``."""
    root = argparse.ArgumentParser(prog="python -m constructs_lib", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report", help="the capacity report (or --diagram) of a CDK app",
        description=_help(__doc__.split("\n\n", 1)[1].split("\n\nExit status")[0]),
        epilog=_help("Exit status" + __doc__.split("\n\nExit status", 1)[1]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("directory", nargs="?", default=None, help="the CDK app directory (default: current)")
    source = report.add_mutually_exclusive_group()
    source.add_argument("--cdk-out", metavar="DIR", help="report on an app already synthesized (a cloud assembly)")
    source.add_argument("--app", metavar="MODULE:FUNCTION", help="a function building the app, imported from DIRECTORY")
    report.add_argument(
        "-c", "--context", metavar="KEY=VALUE", action="append", default=[],
        help="context for the app's synthesis (over cdk.json and cdk.context.json); repeatable",
    )
    report.add_argument(
        "--format", choices=sorted({*_REPORT_FORMATS, *_DIAGRAM_FORMATS}), default=None,
        help="report: table (default), markdown or json; diagram: mermaid (default), markdown or json",
    )
    report.add_argument(
        "--fail-on", choices=[s.value for s in SEVERITY_ORDER] + [NEVER], default=Severity.ERROR.value,
        help="exit 1 when the report has findings of this severity or worse (default: error)",
    )
    report.add_argument(
        "--regions", metavar="R1,R2", default=None,
        help=f"also plan the agents in each region ('{_UNKNOWN_REGION}': the smallest regional quotas)",
    )
    report.add_argument("--diagram", action="store_true", help="write a Mermaid diagram of the app instead")
    report.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    return root


def _help(text: str) -> str:
    return text.replace("``", "")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    args = parser().parse_args(argv)
    fail = _Failure(f"python -m constructs_lib {args.command}")
    output_format = _check(args, fail)
    try:
        result = _source(args, fail)
    except (ProjectError, AssemblyError) as error:
        fail.exit(str(error))
    if args.diagram:
        assert result.assembly is not None
        text = _diagram_text(result.assembly, output_format)
        status = 0
    else:
        assert result.report is not None
        text = _report_text(result.report, result.regional, output_format)
        status = _status(result.report, result.regional, args.fail_on)
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return status


class _Failure:
    """Ends the command with status 2 and a message, as argparse does for a wrong argument."""

    def __init__(self, prog: str) -> None:
        self.prog = prog

    def exit(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _check(args: argparse.Namespace, fail: _Failure) -> str:
    """The output format, after refusing combinations that mean nothing."""
    formats = _DIAGRAM_FORMATS if args.diagram else _REPORT_FORMATS
    output_format: str = args.format or formats[0]
    if output_format not in formats:
        fail.exit(f"--format {output_format} is for the {'report' if args.diagram else 'diagram'}; "
                  f"use one of {', '.join(formats)}")
    if args.cdk_out and args.directory:
        fail.exit("give DIRECTORY or --cdk-out, not both")
    if args.cdk_out and (args.context or args.regions):
        fail.exit("--cdk-out reads an app already synthesized: --context and --regions need the app's code")
    if args.app and args.context:
        fail.exit("--app builds the app with the context its function gives; --context is for the cdk.json app")
    if args.diagram and args.regions:
        fail.exit("--regions re-plans the report's agents; the diagram draws the app as synthesized")
    for item in args.context:
        if "=" not in item:
            fail.exit(f"--context must be KEY=VALUE, got {item!r}")
    return output_format


def _source(args: argparse.Namespace, fail: _Failure) -> _Result:
    directory = Path(args.directory or ".")
    if args.cdk_out:
        return _from_assembly(Path(args.cdk_out), args.diagram, fail)
    if args.app:
        return _from_function(args, directory, fail)
    if (directory / PROJECT_FILE).is_file():
        return _from_project(args, CdkProject.read(directory), fail)
    if is_cloud_assembly(directory):
        if args.context or args.regions:
            fail.exit(f"{directory} is a cloud assembly: --context and --regions need the app's code")
        return _from_assembly(directory, args.diagram, fail)
    fail.exit(f"{directory.resolve()} has no {PROJECT_FILE} and is no cloud assembly: give --app MODULE:FUNCTION or "
              "--cdk-out DIR")


def _from_assembly(directory: Path, diagram: bool, fail: _Failure) -> _Result:
    if not directory.is_dir():
        fail.exit(f"--cdk-out {str(directory)!r} is not a directory")
    return _read(read_assembly(directory), diagram)


def _read(assembly: CloudAssembly, diagram: bool) -> _Result:
    if diagram:
        return _Result(assembly=assembly)
    return _Result(report=build_report_from_records(plan_records(assembly)))


def _from_function(args: argparse.Namespace, directory: Path, fail: _Failure) -> _Result:
    from constructs_lib.report import in_process  # starts the CDK: only on this path

    try:
        app = in_process.load_app(args.app, directory=directory)
    except (ValueError, ImportError, AttributeError) as error:
        fail.exit(f"cannot build the app {args.app!r}: {error}")
    if args.diagram:
        try:
            return _Result(assembly=read_assembly(in_process.synthesize(app)))
        except RuntimeError as error:  # the CDK's synthesis errors (hard limits) reach Python as RuntimeError
            fail.exit(f"the app {args.app!r} does not synthesize: {error}")
    return _Result(report=in_process.build_report(app), regional=_regional(args, [app], fail))


def _from_project(args: argparse.Namespace, project: CdkProject, fail: _Failure) -> _Result:
    context = {key: _context_value(value) for key, _, value in (c.partition("=") for c in args.context)}
    if args.regions:
        return _run_in_process(args, project, context, fail)
    with _temporary_directory() as outdir:
        return _read(read_assembly(project.synthesize(outdir, context)), args.diagram)


def _run_in_process(args: argparse.Namespace, project: CdkProject, context: dict[str, Any], fail: _Failure) -> _Result:
    from constructs_lib.report.app_script import CdkAlreadyStarted, run_entry_point

    entry = project.python_entry_point()
    if entry is None:
        fail.exit(f"--regions re-plans the agents from their code, which needs a Python app command; "
                  f"{project.directory / PROJECT_FILE} runs `{project.app}`: use --app MODULE:FUNCTION")
    with _temporary_directory() as outdir:
        try:
            apps = run_entry_point(entry, directory=project.directory, environment=project.environment(outdir, context))
        except CdkAlreadyStarted as error:
            fail.exit(str(error))
        except Exception as error:  # the app's own failure, reported as the subprocess path reports it
            fail.exit(f"`{project.app}` failed: {type(error).__name__}: {error}")
        from constructs_lib.report import in_process

        records = [a.plan_record for app in apps for a in in_process.find_agents(app)]
        return _Result(report=build_report_from_records(records), regional=_regional(args, apps, fail))


def _regional(args: argparse.Namespace, apps: Sequence[Any], fail: _Failure) -> RegionalCapacityReport | None:
    if not args.regions:
        return None
    if len(apps) != 1:
        fail.exit(f"--regions needs exactly one app; the app command synthesized {len(apps)}")
    from constructs_lib.report import in_process

    names = [r.strip() for r in args.regions.split(",") if r.strip()]
    return in_process.plan_agents_in_regions(apps[0], [None if r == _UNKNOWN_REGION else r for r in names])


def _context_value(text: str) -> Any:
    """A ``--context`` value: JSON when it parses (numbers, booleans, objects), else the string, as the CLI does."""
    try:
        return json.loads(text)
    except ValueError:
        return text


@contextmanager
def _temporary_directory() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="constructs-lib-report-") as name:
        yield Path(name)


def _report_text(report: CapacityReport, regional: RegionalCapacityReport | None, output_format: str) -> str:
    if output_format == "json":
        document = report.to_dict()
        if regional is not None:
            document["regions"] = json.loads(regional.to_json())
        return json.dumps(document, indent=2) + "\n"
    if output_format == "markdown":
        return render_markdown(report, regional)
    return render_text(report, regional) + "\n"


def _diagram_text(assembly: CloudAssembly, output_format: str) -> str:
    diagram = build_diagram(assembly)
    if output_format == "json":
        return json.dumps(diagram.to_dict(), indent=2) + "\n"
    if output_format == "markdown":
        return render_markdown_block(diagram)
    return render_mermaid(diagram)


def _status(report: CapacityReport, regional: RegionalCapacityReport | None, fail_on: str) -> int:
    """1 when a finding of the report (or of a regional plan) is at or above ``fail_on``."""
    if fail_on == NEVER:
        return 0
    worst_allowed = SEVERITY_ORDER.index(Severity(fail_on))
    findings = [*report.findings(), *(f for entry in (regional.regions if regional else ()) for f in entry.findings)]
    return EXIT_FINDINGS if any(SEVERITY_ORDER.index(f.severity) <= worst_allowed for f in findings) else 0


__all__ = ["EXIT_FINDINGS", "EXIT_USAGE", "NEVER", "main", "parser"]
