"""Install Python dependencies for AgentCore's direct-code runtime with pip, without Docker, into a shared cache.

pip runs in the Python process's own environment (``sys.executable -m pip``) with the user's pip configuration
(``pip.conf``, ``PIP_*`` variables: private indexes work) and asks only for binary wheels built for the target:

- ``--only-binary=:all:``: nothing is compiled on the build machine, so nothing is built for the wrong CPU;
- ``--platform`` for every manylinux level AgentCore's Python runtime loads (:data:`GLIBC_MINORS`, as tags by
  :func:`manylinux_tags`) on the compute's architecture (``aarch64``; ``x86_64`` only on x86_64 capacity
  providers), ``--python-version`` of the chosen runtime and ``--implementation cp`` (CPython; pure
  ``py3-none-any`` wheels fit any target);
- environment markers (``; python_version < "3.11"``, ``; sys_platform == "win32"``) are evaluated for the target,
  not for the build machine: pip alone evaluates them for the Python that runs it.

Installed trees are cached under :func:`cache_root`, keyed by the requirement texts and the target, so a new
``cdk.out`` (every test app, a CI run) copies them instead of asking the package index again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from constructs_lib.agent.code_package import PackageMeasurement, measure_package
from constructs_lib.agent.dependencies import RequirementSet
from constructs_lib.errors import ConstructsLibValidationError

#: The glibc levels whose manylinux aarch64 wheels AgentCore's Python runtime loads, newest first. AgentCore's
#: direct-code runtime is glibc-based Linux on Graviton (arm64). AWS's direct-code guide installs
#: ``aarch64-manylinux2014`` (glibc 2.17) wheels and the AgentCore CLI falls back to ``aarch64-manylinux_2_28``,
#: so glibc 2.17 to 2.28 is the range AWS's own tools ship. musllinux wheels are left out: they link against
#: musl libc, which a glibc runtime does not provide, so they would install and then fail at import.
GLIBC_MINORS: tuple[int, ...] = tuple(range(28, 16, -1))



def manylinux_tags(machine: str) -> tuple[str, ...]:
    """The ``--platform`` tags given to pip for ``machine``, most preferred first (pip expands none of them)."""
    return (
        *(f"manylinux_2_{minor}_{machine}" for minor in GLIBC_MINORS),
        f"manylinux2014_{machine}",  # the legacy name of manylinux_2_17, still the only tag of many wheels
    )


#: The tags of microVM compute (Graviton), the target of every direct-code agent but those on x86_64 Instances.
MANYLINUX_AARCH64: tuple[str, ...] = manylinux_tags("aarch64")

#: Bumped when the layout of an installed tree changes, so older cache entries are not reused.
_LAYOUT_VERSION = "1"

#: An upper bound on one pip run (resolution and downloads), so a stalled index cannot hang a synth.
PIP_TIMEOUT_SECONDS = 900

#: Environment variable naming the dependency cache folder.
CACHE_DIR_VARIABLE = "CONSTRUCTS_LIB_CACHE_DIR"

#: Runs pip with the marker environment of the target (argv[1] is its JSON), then pip's own arguments.
_PIP_FOR_TARGET = """\
import json, runpy, sys
from pip._vendor.packaging import markers
target = json.loads(sys.argv.pop(1))
markers.default_environment = lambda: dict(target)
sys.argv[0] = "pip"
runpy.run_module("pip", run_name="__main__", alter_sys=True)
"""

_NO_DISTRIBUTION = re.compile(r"No matching distribution found for (?P<requirement>\S+)")
_REQUIREMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class PythonTarget:
    """The interpreter and platform dependencies are installed for.

    Attributes:
        python_version: ``major.minor`` of the AgentCore runtime (``3.12`` for ``PYTHON_3_12``).
        machine: the CPU architecture as wheel tags and markers name it: ``aarch64`` (microVMs, Graviton
            capacity providers) or ``x86_64`` (x86_64 capacity providers).
    """

    python_version: str
    machine: str = "aarch64"

    @staticmethod
    def for_runtime(runtime_value: str, machine: str = "aarch64") -> PythonTarget | None:
        """The target of an ``AgentCoreRuntime`` value (``PYTHON_3_12``), or ``None`` for a non-Python runtime."""
        match = re.fullmatch(r"PYTHON_(\d+)_(\d+)", runtime_value)
        return PythonTarget(f"{match.group(1)}.{match.group(2)}", machine) if match else None

    @property
    def abi(self) -> str:
        """The CPython ABI tag (``cp312``)."""
        return "cp" + self.python_version.replace(".", "")

    @property
    def platforms(self) -> tuple[str, ...]:
        """Wheel platform tags accepted, most preferred first."""
        return manylinux_tags(self.machine)

    def describe(self) -> str:
        """The target in words, with the wheel tags it accepts."""
        return (
            f"CPython {self.python_version} on linux/{self.machine}, wheels tagged {self.abi}, abi3 or py3 for "
            f"manylinux_2_{GLIBC_MINORS[-1]}_{self.machine} to manylinux_2_{GLIBC_MINORS[0]}_{self.machine}, or "
            "pure-Python 'any' wheels"
        )

    def marker_environment(self) -> dict[str, str]:
        """PEP 508 marker values of the target (AgentCore's runtime: CPython on Linux)."""
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{self.python_version}.0",
            "os_name": "posix",
            "platform_machine": self.machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": f"{self.python_version}.0",
            "python_version": self.python_version,
            "sys_platform": "linux",
        }

    def pip_options(self) -> list[str]:
        """The ``pip install`` options that select wheels for this target."""
        options = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python_version]
        for platform in self.platforms:
            options += ["--platform", platform]
        return options


def cache_root() -> Path:
    """The dependency cache: ``$CONSTRUCTS_LIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/constructs-lib``, else
    ``~/.cache/constructs-lib``. Safe to delete at any time: it is refilled on the next synth."""
    if configured := os.environ.get(CACHE_DIR_VARIABLE):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "constructs-lib"


def cache_entry(requirements: RequirementSet, target: PythonTarget) -> Path:
    """The cache folder of ``requirements`` installed for ``target`` (it exists once they are installed)."""
    parts = [_LAYOUT_VERSION, requirements.digest, target.python_version, target.machine, *target.platforms]
    return cache_root() / "python-dependencies" / hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def entry_measurement(entry: Path) -> PackageMeasurement:
    """The measurement of an installed tree, kept beside it (``<entry>.json``) so it is computed once."""
    record = entry.with_suffix(".json")
    try:
        return PackageMeasurement(**json.loads(record.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        measurement = measure_package(entry, ())
    partial = record.with_name(f".{record.name}-{os.getpid()}")
    try:
        partial.write_text(json.dumps(dataclasses.asdict(measurement)), encoding="utf-8")
        partial.replace(record)
    except OSError:
        pass  # a read-only cache still works: the tree is measured again next time
    return measurement


def installed_dependencies(
    requirements: RequirementSet, target: PythonTarget, *, directory: Path, path: str
) -> Path:
    """The folder holding ``requirements`` installed for ``target``, installing them on a cache miss.

    Args:
        requirements: what to install.
        target: for which interpreter and platform.
        directory: the agent's code directory (pip's working directory, for relative paths in requirements).
        path: the construct path, for errors.

    Raises:
        ConstructsLibValidationError: ``DependencyWheelNotFound`` when a package has no wheel for the target,
            ``DependencyInstallFailed`` for any other pip failure, ``DependencyCacheUnavailable`` when the cache
            folder cannot be written.
    """
    final = cache_entry(requirements, target)
    entries = final.parent
    if final.is_dir():
        return final
    try:
        entries.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=entries))
    except OSError as err:
        raise ConstructsLibValidationError(
            "DependencyCacheUnavailable",
            f"cannot write the dependency cache {str(entries)!r} ({err}); set {CACHE_DIR_VARIABLE} to a writable "
            "folder",
            path,
        ) from None
    try:
        run_pip(requirements, target, staging, directory=directory, path=path)
        _make_portable(staging)
        try:
            staging.rename(final)
        except OSError:
            if not final.is_dir():  # another process finished the same entry first: use theirs
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final


def run_pip(requirements: RequirementSet, target: PythonTarget, into: Path, *, directory: Path, path: str) -> None:
    """Run ``pip install --target into`` for ``target``; translate its failures into library errors."""
    if importlib.util.find_spec("pip") is None:
        raise ConstructsLibValidationError(
            "DependencyInstallFailed",
            f"pip is not installed in the Python that runs the synth ({sys.executable}), so the dependencies from "
            f"{requirements.source} cannot be installed; install pip there, or install the dependencies yourself "
            "and use dependencies=CodeDependencies.none()",
            path,
        )
    command = [
        sys.executable, "-c", _PIP_FOR_TARGET, json.dumps(target.marker_environment()),
        "install", "--no-compile", "--no-input", "--disable-pip-version-check", "--target", str(into),
        *target.pip_options(), *requirements.pip_args,
    ]
    try:
        completed = subprocess.run(  # noqa: S603 - the interpreter running this synth, with fixed arguments
            command, cwd=directory, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise ConstructsLibValidationError(
            "DependencyInstallFailed",
            f"pip did not finish installing the dependencies from {requirements.source} within "
            f"{PIP_TIMEOUT_SECONDS} seconds; check the package index is reachable",
            path,
        ) from None
    if completed.returncode != 0:
        raise pip_failure(completed.stdout + completed.stderr, requirements, target, path)


def pip_failure(
    output: str, requirements: RequirementSet, target: PythonTarget, path: str
) -> ConstructsLibValidationError:
    """The library error for a failed pip run: which package has no wheel for the target, and the way out."""
    errors = [line.strip() for line in output.splitlines() if line.strip().startswith("ERROR:")]
    pip_said = "; ".join(errors[-3:]) or (output.strip().splitlines() or ["no output"])[-1]
    if match := _NO_DISTRIBUTION.search(output):
        requirement = match.group("requirement")
        name = (_REQUIREMENT_NAME.match(requirement) or match).group(0)
        return ConstructsLibValidationError(
            "DependencyWheelNotFound",
            f"{name!r} (from {requirements.source}) has no wheel for AgentCore's Python runtime ({target.describe()}),"
            " and direct code is never compiled at synth: pin a version of it that publishes such a wheel, use a "
            "pure-Python alternative, package the agent as a container image (AgentArtifact.from_directory with a "
            "Dockerfile), or install the dependencies yourself and pass dependencies=CodeDependencies.none() to "
            f"AgentArtifact.from_code (pip said: {pip_said})",
            path,
        )
    return ConstructsLibValidationError(
        "DependencyInstallFailed",
        f"pip could not install the dependencies from {requirements.source} for {target.describe()}: {pip_said}",
        path,
    )


def _make_portable(tree: Path) -> None:
    """Make an installed tree usable on AgentCore: readable permissions, scripts that find the runtime's Python.

    pip writes console scripts (``bin/opentelemetry-instrument``) with the build machine's interpreter in the
    shebang; they get ``#!/usr/bin/env python3`` instead.
    """
    for root, _, files in os.walk(tree):
        for name in files:
            file = Path(root) / name
            if file.is_symlink():
                continue
            executable = file.stat().st_mode & 0o111
            file.chmod(0o755 if executable else 0o644)
    scripts = tree / "bin"
    if scripts.is_dir():
        for script in scripts.iterdir():
            if script.is_file() and not script.is_symlink():
                content = script.read_bytes()
                first, newline, rest = content.partition(b"\n")
                if first.startswith(b"#!") and b"python" in first:
                    script.write_bytes(b"#!/usr/bin/env python3" + newline + rest)
