"""CodeDependencies: which Python packages go into a direct-code package (read at synth, installed when staged)."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from constructs_lib.errors import ConstructsLibValidationError

#: Requirement-file options that name another file whose content shapes the install.
_INCLUDE_OPTION = re.compile(r"^(?P<option>-r|--requirement|-c|--constraint)(?:\s+|=)(?P<file>\S+)")


@dataclass(frozen=True)
class RequirementSet:
    """What pip installs for one direct-code package.

    Attributes:
        source: where the requirements come from, for messages (``requirements.txt``, ``pyproject.toml``).
        pip_args: the requirement arguments for ``pip install`` (``-r <file>`` or requirement specifiers).
        digest: SHA-256 of every requirement text involved (included and constraint files too): the cache key
            of the installed dependencies and part of the asset hash.
    """

    source: str
    pip_args: tuple[str, ...]
    digest: str


class CodeDependencies:
    """Which Python dependencies :meth:`AgentArtifact.from_code` installs into the direct-code package.

    AgentCore runs direct code as it is unzipped, so third-party packages must be inside the package, built for
    its Python runtime on linux/aarch64. Use one of the static factories; the default is :meth:`auto`.
    """

    def __init__(self, mode: str, file: str | None) -> None:
        self._mode = mode
        self._file = file

    @staticmethod
    def auto() -> CodeDependencies:
        """The directory's ``requirements.txt``, else the ``[project].dependencies`` of its ``pyproject.toml``.

        A folder with neither (or with no requirement in them) is packaged as it is.
        """
        return CodeDependencies("auto", None)

    @staticmethod
    def from_requirements(file: str = "requirements.txt") -> CodeDependencies:
        """A pip requirements file, relative to the code directory (``-r`` and ``-c`` includes are followed)."""
        return CodeDependencies("requirements", file)

    @staticmethod
    def from_pyproject(file: str = "pyproject.toml") -> CodeDependencies:
        """The PEP 621 ``[project].dependencies`` of a ``pyproject.toml``, relative to the code directory.

        The project itself is not installed: its modules are the directory's files.
        """
        return CodeDependencies("pyproject", file)

    @staticmethod
    def none() -> CodeDependencies:
        """Install nothing: the directory is packaged as it is.

        For folders that already hold their dependencies (vendored, or installed by your own build for
        linux/aarch64 and the runtime's Python version).
        """
        return CodeDependencies("none", None)

    def _resolve(self, directory: Path, path: str, *, runtime: str) -> RequirementSet | None:
        """The requirements to install for the code in ``directory``, or ``None`` when there is nothing to install.

        Args:
            directory: the code directory.
            path: the construct path, for errors.
            runtime: the ``AgentCoreRuntime`` value; :meth:`auto` installs nothing for a non-Python runtime.

        Raises:
            ConstructsLibValidationError: ``DependenciesNotFound`` for a named file that does not exist,
                ``InvalidDependencies`` for a ``pyproject.toml`` whose dependencies cannot be read at synth, or
                for Python dependencies named for a non-Python runtime.
        """
        python = runtime.startswith("PYTHON_")
        if self._mode == "none" or (self._mode == "auto" and not python):
            return None
        if not python:
            raise ConstructsLibValidationError(
                "InvalidDependencies",
                f"dependencies from {self._file} are Python packages, but the runtime is {runtime}; use a Python "
                "runtime, or CodeDependencies.none() with the Node.js modules already in the directory",
                path,
            )
        if self._mode == "auto":
            if (directory / "requirements.txt").is_file():
                return _from_requirements_file(directory, "requirements.txt", path)
            if (directory / "pyproject.toml").is_file():
                return _from_pyproject(directory, "pyproject.toml", path)
            return None
        assert self._file is not None
        if not (directory / self._file).is_file():
            raise ConstructsLibValidationError(
                "DependenciesNotFound",
                f"dependencies file {self._file!r} is not a file in {str(directory)!r}; name a file relative to the "
                "code directory, or use CodeDependencies.none() to package the directory as it is",
                path,
            )
        if self._mode == "requirements":
            return _from_requirements_file(directory, self._file, path)
        return _from_pyproject(directory, self._file, path)


def _requirement_lines(text: str) -> list[str]:
    """The lines of a requirements file that say something (comments and blanks removed)."""
    lines = []
    for raw in text.splitlines():
        line = "" if raw.lstrip().startswith("#") else raw.split(" #", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def _from_requirements_file(directory: Path, file: str, path: str) -> RequirementSet | None:
    """Read ``file`` and the files it includes; ``None`` when none of them names a requirement."""
    root = directory.resolve()
    texts: list[str] = []
    requirements: list[str] = []
    seen: set[Path] = set()

    def read(requirements_file: Path, *, constraints: bool) -> None:
        resolved = requirements_file.resolve()
        if resolved in seen:
            return
        seen.add(resolved)
        if not resolved.is_file():
            raise ConstructsLibValidationError(
                "DependenciesNotFound",
                f"{file} includes {str(requirements_file)!r}, which is not a file; fix its -r/-c line",
                path,
            )
        text = resolved.read_text(encoding="utf-8")
        label = resolved.relative_to(root) if resolved.is_relative_to(root) else resolved
        texts.append(f"{label.as_posix()}\n{text}")
        for line in _requirement_lines(text):
            if match := _INCLUDE_OPTION.match(line):
                included_constraints = constraints or match.group("option") in ("-c", "--constraint")
                read(resolved.parent / match.group("file"), constraints=included_constraints)
            elif not constraints and not line.startswith("-"):
                requirements.append(line)

    read(directory / file, constraints=False)
    if not requirements:
        return None
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()
    return RequirementSet(source=file, pip_args=("-r", str((directory / file).resolve())), digest=digest)


def _from_pyproject(directory: Path, file: str, path: str) -> RequirementSet | None:
    try:
        document = tomllib.loads((directory / file).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConstructsLibValidationError("InvalidDependencies", f"{file} is not valid TOML: {err}", path) from None
    project = document.get("project", {})
    if "dependencies" in project.get("dynamic", []):
        raise ConstructsLibValidationError(
            "InvalidDependencies",
            f"{file} declares its dependencies dynamic, so they cannot be read at synth; list them in "
            "[project].dependencies or a requirements.txt (CodeDependencies.from_requirements), or install them "
            "yourself and use CodeDependencies.none()",
            path,
        )
    poetry = document.get("tool", {}).get("poetry", {}).get("dependencies", {})
    if not project.get("dependencies") and any(name != "python" for name in poetry):
        raise ConstructsLibValidationError(
            "InvalidDependencies",
            f"{file} lists its dependencies under [tool.poetry.dependencies], which is not read here; export them "
            "(poetry export -o requirements.txt) and use CodeDependencies.from_requirements(), or move them to "
            "[project].dependencies",
            path,
        )
    dependencies = project.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        raise ConstructsLibValidationError(
            "InvalidDependencies", f"[project].dependencies in {file} must be a list of strings, got {dependencies!r}",
            path,
        )
    if not dependencies:
        return None
    digest = hashlib.sha256("\0".join([file, *dependencies]).encode()).hexdigest()
    return RequirementSet(source=f"{file} [project].dependencies", pip_args=tuple(dependencies), digest=digest)


__all__ = ["CodeDependencies", "RequirementSet"]
