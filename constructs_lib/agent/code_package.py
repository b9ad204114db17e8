"""The files of a direct-code package, and its sizes as AgentCore receives it.

The exclusions follow CDK's glob ignore mode, so the files listed, copied and measured here are the ones CDK
packages. For code with dependencies (``AgentArtifact.from_code`` with a requirements file), the package is the
bundle CDK stages (the code after exclusions plus the installed dependencies), and that bundle is what is
measured against the direct-code package quotas (``code_package_zipped``, ``code_package_unzipped``).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

#: Left out of every direct-code package unless the user says otherwise: caches, virtual environments,
#: dependency folders of other toolchains, CDK output, VCS metadata and tests. Bundling these is how
#: users blow the zipped package quota (``code_package_zipped``).
DEFAULT_CODE_EXCLUDES: tuple[str, ...] = (
    "__pycache__",
    "*.pyc",
    "*.pyo",
    ".venv",
    "venv",
    "env",
    ".env",
    "node_modules",
    "cdk.out",
    ".git",
    ".hg",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    ".hypothesis",
    "*.egg-info",
    ".DS_Store",
    "tests",
    "test",
)

#: Left out of container build contexts: the same junk, but tests stay (a Dockerfile may run them).
DEFAULT_IMAGE_EXCLUDES: tuple[str, ...] = tuple(p for p in DEFAULT_CODE_EXCLUDES if p not in ("tests", "test"))


@dataclass(frozen=True)
class PackageMeasurement:
    """Sizes of a direct-code package as AgentCore will receive it.

    Attributes:
        files: number of files packaged.
        unzipped_bytes: total size of the packaged files.
        zipped_bytes: size of the deflate-compressed zip archive of those files.
    """

    files: int
    unzipped_bytes: int
    zipped_bytes: int

    def combined_with(self, other: PackageMeasurement) -> PackageMeasurement:
        """The measurement of one archive holding the files of both packages (their paths must not overlap).

        Zip entries are independent, so the archive is both archives less one end-of-central-directory record.
        """
        return PackageMeasurement(
            files=self.files + other.files,
            unzipped_bytes=self.unzipped_bytes + other.unzipped_bytes,
            zipped_bytes=self.zipped_bytes + other.zipped_bytes - _END_OF_CENTRAL_DIRECTORY_BYTES,
        )


#: Size of a zip archive's end-of-central-directory record (no comment): an empty archive is just this.
_END_OF_CENTRAL_DIRECTORY_BYTES = 22


def is_excluded(relative: PurePosixPath, patterns: tuple[str, ...]) -> bool:
    """Whether ``relative`` (a path inside the package) matches an exclude pattern.

    Follows CDK's glob ignore mode: a pattern matches the whole relative path or, when it has no
    slash, any single path component (so ``__pycache__`` excludes every such folder at any depth).
    """
    text = relative.as_posix()
    for pattern in patterns:
        if "/" in pattern.strip("/"):
            if fnmatch.fnmatchcase(text, pattern.strip("/")):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern.strip("/")) for part in relative.parts):
            return True
    return False


def packaged_files(directory: Path, patterns: tuple[str, ...]) -> list[Path]:
    """The files that go into the package, sorted, symlinks left as CDK leaves them (not followed)."""
    result: list[Path] = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        root_path = Path(root)
        rel_root = PurePosixPath(root_path.relative_to(directory).as_posix())
        dirs[:] = sorted(d for d in dirs if not is_excluded(rel_root / d, patterns))
        for name in sorted(files):
            path = root_path / name
            if not path.is_symlink() and not is_excluded(rel_root / name, patterns):
                result.append(path)
    return result


def copy_package_files(directory: Path, patterns: tuple[str, ...], destination: Path) -> None:
    """Copy the package's files (:func:`packaged_files`) into ``destination``, readable by AgentCore's runtime.

    A file or folder already in ``destination`` at a path the package needs is replaced (removed, never written
    through, so a hard link to it elsewhere is left intact). AgentCore keeps the POSIX permissions of the
    package, so files become ``0644`` (``0755`` if executable).
    """
    for path in packaged_files(directory, patterns):
        relative = path.relative_to(directory)
        for parent in reversed(relative.parents[:-1]):
            if (destination / parent).is_file() or (destination / parent).is_symlink():
                (destination / parent).unlink()
        target = destination / relative
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        target.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)


class _CountingSink:
    """A write-only stream that only counts bytes, so the zip is measured without touching disk."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to flush."""


_CACHE: dict[tuple[object, ...], PackageMeasurement] = {}


def measure_package(directory: str | os.PathLike[str], patterns: tuple[str, ...]) -> PackageMeasurement:
    """Measure the package CDK will build from ``directory`` without writing anything.

    Results are cached per directory content listing (paths, sizes, modification times), so several
    synths in one process pay for the compression once.
    """
    root = Path(directory)
    files = packaged_files(root, patterns)
    stats = [(p.relative_to(root).as_posix(), p.stat()) for p in files]
    key = (str(root.resolve()), patterns, tuple((rel, st.st_size, st.st_mtime_ns) for rel, st in stats))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    sink = _CountingSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        for path, (rel, _) in zip(files, stats, strict=True):
            archive.write(path, rel)
    measurement = PackageMeasurement(
        files=len(files), unzipped_bytes=sum(st.st_size for _, st in stats), zipped_bytes=sink.size
    )
    _CACHE[key] = measurement
    return measurement
