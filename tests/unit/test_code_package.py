"""Measuring direct-code packages: default exclusions and sizes equal to a real zip of the same files."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path, PurePosixPath

from constructs_lib.agent.code_package import (
    DEFAULT_CODE_EXCLUDES,
    DEFAULT_IMAGE_EXCLUDES,
    is_excluded,
    measure_package,
    packaged_files,
)


def write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def make_agent(root: Path) -> None:
    write(root / "main.py", b"print('hello')\n" * 50)
    write(root / "lib" / "tools.py", os.urandom(4096))
    write(root / "lib" / "__pycache__" / "tools.cpython-312.pyc", b"x" * 10_000)
    write(root / ".venv" / "lib" / "site.py", b"y" * 50_000)
    write(root / "node_modules" / "left-pad" / "index.js", b"z" * 20_000)
    write(root / "cdk.out" / "manifest.json", b"{}" * 1000)
    write(root / "tests" / "test_main.py", b"assert True\n")
    write(root / "pkg.egg-info" / "PKG-INFO", b"meta")


def test_default_excludes_leave_out_junk(tmp_path: Path) -> None:
    make_agent(tmp_path)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in packaged_files(tmp_path, DEFAULT_CODE_EXCLUDES))
    assert files == ["lib/tools.py", "main.py"]


def test_image_excludes_keep_tests() -> None:
    assert is_excluded(PurePosixPath("tests/test_main.py"), DEFAULT_CODE_EXCLUDES)
    assert not is_excluded(PurePosixPath("tests/test_main.py"), DEFAULT_IMAGE_EXCLUDES)


def test_patterns_match_components_at_any_depth_and_paths() -> None:
    assert is_excluded(PurePosixPath("a/b/__pycache__/x.pyc"), ("__pycache__",))
    assert is_excluded(PurePosixPath("data/big.bin"), ("data/*.bin",))
    assert not is_excluded(PurePosixPath("other/data/big.bin"), ("data/*.bin",))
    assert not is_excluded(PurePosixPath("mytests.py"), ("tests",))


def test_measurement_equals_a_real_zip(tmp_path: Path) -> None:
    # GIVEN an agent folder WHEN measured THEN the sizes equal a zip written to disk from the same files
    src = tmp_path / "agent"
    make_agent(src)
    measured = measure_package(src, DEFAULT_CODE_EXCLUDES)
    archive = tmp_path / "real.zip"
    files = packaged_files(src, DEFAULT_CODE_EXCLUDES)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            zf.write(path, path.relative_to(src).as_posix())
    assert measured.files == 2
    assert measured.unzipped_bytes == sum(p.stat().st_size for p in files)
    # The measuring stream cannot seek, so zipfile adds a 16-byte data descriptor per file, as streaming
    # zippers (CDK's asset publisher among them) do; a seekable zip on disk omits them.
    assert 0 <= measured.zipped_bytes - archive.stat().st_size <= 16 * measured.files


def test_measurement_is_cached_and_sees_changes(tmp_path: Path) -> None:
    make_agent(tmp_path)
    first = measure_package(tmp_path, DEFAULT_CODE_EXCLUDES)
    assert measure_package(tmp_path, DEFAULT_CODE_EXCLUDES) is first
    write(tmp_path / "extra.py", b"x = 1\n")
    second = measure_package(tmp_path, DEFAULT_CODE_EXCLUDES)
    assert second.files == first.files + 1


def test_extra_excludes_and_no_defaults(tmp_path: Path) -> None:
    make_agent(tmp_path)
    with_lib_excluded = measure_package(tmp_path, (*DEFAULT_CODE_EXCLUDES, "lib"))
    assert with_lib_excluded.files == 1
    everything = measure_package(tmp_path, ())
    assert everything.files == 8
