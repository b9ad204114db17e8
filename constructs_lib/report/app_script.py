"""Run a Python app script in the report's process, as the CDK CLI would run it, and keep the apps it synthesizes.

Re-planning agents in other regions (``--regions``) needs the agents themselves, not only their records: for an app
directory whose ``cdk.json`` runs Python, the report runs the script here instead of in a subprocess. The CLI's
environment must reach the CDK before its Node.js process starts, so the CDK is imported only once it is set.
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from constructs_lib.report.project import PythonEntryPoint

if TYPE_CHECKING:
    import aws_cdk as cdk


class CdkAlreadyStarted(RuntimeError):
    """The CDK already runs in this process, with an environment the app's run could not change."""


class AppScriptFailed(RuntimeError):
    """The app script exited with a non-zero status."""


def run_entry_point(entry: PythonEntryPoint, *, directory: Path, environment: Mapping[str, str]) -> list[cdk.App]:
    """Run ``entry`` in ``directory`` with ``environment`` set, and return every ``cdk.App`` it synthesized.

    The script runs as ``__main__`` with its arguments and writes no bytecode; the working directory, ``sys.argv``,
    ``sys.path`` and the environment are restored afterwards.

    Raises:
        CdkAlreadyStarted: when the CDK was imported before (its Node.js process would not see ``environment``).
        AppScriptFailed: when the script exits with a non-zero status (other exceptions of the script propagate).
    """
    if "aws_cdk" in sys.modules:
        raise CdkAlreadyStarted("the CDK already runs in this process: run the report in a fresh process")
    with _environment(environment), _working_directory(directory):
        import aws_cdk as cdk  # first import: the CDK's Node.js process starts with ``environment``

        with _recording_synth(cdk.App) as apps:
            argv, sys.argv = sys.argv, [entry.target, *entry.arguments]
            try:
                if entry.is_module:
                    runpy.run_module(entry.target, run_name="__main__", alter_sys=True)
                else:
                    runpy.run_path(str(directory / entry.target), run_name="__main__")
            except SystemExit as error:
                if error.code not in (0, None):
                    raise AppScriptFailed(f"the app exited with status {error.code}") from error
            finally:
                sys.argv = argv
    return apps


@contextmanager
def _recording_synth(app_type: type[cdk.App]) -> Iterator[list[cdk.App]]:
    """Record every app whose ``synth()`` is called (a Python CDK app synthesizes explicitly)."""
    apps: list[cdk.App] = []
    synth = app_type.synth

    def recording_synth(self: cdk.App, *args: Any, **kwargs: Any) -> Any:
        apps.append(self)
        return synth(self, *args, **kwargs)

    app_type.synth = recording_synth  # type: ignore[method-assign]
    try:
        yield apps
    finally:
        app_type.synth = synth  # type: ignore[method-assign]


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    dont_write, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        yield
    finally:
        sys.dont_write_bytecode = dont_write
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _working_directory(directory: Path) -> Iterator[None]:
    before = Path.cwd()
    entry = str(directory)
    os.chdir(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        os.chdir(before)
        if entry in sys.path:
            sys.path.remove(entry)


__all__ = ["AppScriptFailed", "CdkAlreadyStarted", "run_entry_point"]
