"""A CDK app directory (its ``cdk.json``), and synthesizing it the way the CDK CLI does, into a temporary directory.

The CLI runs the ``app`` command of ``cdk.json`` in the project directory with ``CDK_OUTDIR`` naming the output
directory and ``CDK_CONTEXT_JSON`` holding the context (``cdk.json``'s, overridden by ``cdk.context.json``'s, overridden
by the command line's). This module does the same, for any app language, without the CLI. Plain Python: nothing here
starts the CDK.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_lib.report.assembly import is_cloud_assembly

#: The project file and the context file the CLI reads.
PROJECT_FILE = "cdk.json"
CONTEXT_FILE = "cdk.context.json"
#: What the CLI adds to the app's context: construct paths in the template metadata (the diagram names resources
#: by them) and asset metadata; and no asset bundling (the report reads no asset, and needs no Docker).
REPORT_CONTEXT: Mapping[str, Any] = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:bundling-stacks": [],
}
#: The variable that turns CDK's CloudFormation template validation on or off.
VALIDATION_VARIABLE = "CDK_VALIDATION"
#: How long an app may take to synthesize before the report gives up.
SYNTH_TIMEOUT_SECONDS = 900
#: How many of the app's last output lines a failure shows.
_FAILURE_LINES = 20
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?(\.exe)?$")


class ProjectError(ValueError):
    """A directory that is not a CDK app, or an app that does not synthesize."""


@dataclass(frozen=True)
class PythonEntryPoint:
    """A Python app command (``python3 app.py`` or ``python -m app``), which can also run in the report's process.

    Attributes:
        target: the script, relative to the project directory, or the module.
        is_module: whether ``target`` is a module (``-m``).
        arguments: the arguments after the target.
    """

    target: str
    is_module: bool
    arguments: tuple[str, ...]


@dataclass(frozen=True)
class CdkProject:
    """A CDK app directory: the app command and the context of its ``cdk.json`` and ``cdk.context.json``.

    Attributes:
        directory: the project directory.
        app: the ``app`` command (or a cloud assembly directory, which the CLI also accepts).
        context: ``cdk.json``'s context, overridden by ``cdk.context.json``'s.
    """

    directory: Path
    app: str
    context: Mapping[str, Any]

    @classmethod
    def read(cls, directory: str | Path) -> CdkProject:
        """The project in ``directory``.

        Raises:
            ProjectError: when there is no ``cdk.json``, or it names no ``app``.
        """
        root = Path(directory).resolve()
        settings = _json_object(root / PROJECT_FILE)
        if settings is None:
            raise ProjectError(f"{root} has no {PROJECT_FILE}")
        app = settings.get("app")
        if not isinstance(app, str) or not app.strip():
            raise ProjectError(f"{root / PROJECT_FILE} names no app command (key \"app\")")
        context = dict(settings.get("context") or {})
        context.update(_json_object(root / CONTEXT_FILE) or {})
        return cls(root, app, context)

    @property
    def assembly_directory(self) -> Path | None:
        """The cloud assembly the ``app`` names, when it names a directory instead of a command."""
        candidate = self.directory / self.app
        return candidate if candidate.is_dir() else None

    def environment(
        self, outdir: Path, context: Mapping[str, Any] | None = None, *, base: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The variables the CLI gives the app: the output directory and the context (``context`` wins).

        CDK's CloudFormation template validation is off unless ``CDK_VALIDATION`` is set in ``base`` (default: this
        process's environment): it takes most of the synthesis time and changes nothing the report reads.
        """
        merged = {**self.context, **REPORT_CONTEXT, **(context or {})}
        return {
            "CDK_OUTDIR": str(outdir),
            "CDK_CONTEXT_JSON": json.dumps(merged),
            VALIDATION_VARIABLE: (os.environ if base is None else base).get(VALIDATION_VARIABLE, "false"),
        }

    def python_entry_point(self) -> PythonEntryPoint | None:
        """The script or module when the app command runs Python, else ``None``."""
        try:
            words = shlex.split(self.app)
        except ValueError:
            return None
        if len(words) < 2 or not _PYTHON.match(Path(words[0]).name):
            return None
        if words[1] == "-m" and len(words) > 2:
            return PythonEntryPoint(words[2], True, tuple(words[3:]))
        if words[1].endswith(".py"):
            return PythonEntryPoint(words[1], False, tuple(words[2:]))
        return None

    def synthesize(
        self, outdir: Path, context: Mapping[str, Any] | None = None, *, environment: Mapping[str, str] | None = None
    ) -> Path:
        """Run the app command into ``outdir``, as ``cdk synth`` would, and return the cloud assembly directory.

        The command runs through the shell in the project directory, writes no Python bytecode, and finds first the
        Python that runs the report (so ``python3 app.py`` uses the report's environment). Nothing is written to the
        project directory by the report. ``environment`` replaces the report's own environment as the base the CLI's
        variables are added to.

        Raises:
            ProjectError: when the command fails, times out, or writes no cloud assembly.
        """
        if self.assembly_directory is not None:
            return self.assembly_directory
        base = dict(os.environ if environment is None else environment)
        variables = {
            **base,
            **self.environment(outdir, context, base=base),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), base.get("PATH", "")]),
        }
        try:
            result = subprocess.run(
                self.app, shell=True, cwd=self.directory, env=variables, capture_output=True, text=True,
                timeout=SYNTH_TIMEOUT_SECONDS, check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise ProjectError(f"`{self.app}` did not finish within {SYNTH_TIMEOUT_SECONDS} s") from error
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-_FAILURE_LINES:])
            raise ProjectError(f"`{self.app}` exited with status {result.returncode}:\n{tail}")
        if not is_cloud_assembly(outdir):
            raise ProjectError(f"`{self.app}` wrote no cloud assembly (does the app call app.synth()?)")
        return outdir


def _json_object(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ProjectError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise ProjectError(f"{path} must hold a JSON object")
    return document


__all__ = [
    "CONTEXT_FILE",
    "PROJECT_FILE",
    "REPORT_CONTEXT",
    "SYNTH_TIMEOUT_SECONDS",
    "VALIDATION_VARIABLE",
    "CdkProject",
    "ProjectError",
    "PythonEntryPoint",
]
