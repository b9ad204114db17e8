"""Which dependencies a direct-code package gets, for which target, and how pip's failures read (no network)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from constructs_lib.agent._install import (
    MANYLINUX_AARCH64,
    PythonTarget,
    _make_portable,
    cache_entry,
    cache_root,
    pip_failure,
)
from constructs_lib.agent.code_package import copy_package_files, measure_package
from constructs_lib.agent.dependencies import CodeDependencies, RequirementSet
from constructs_lib.errors import ConstructsLibValidationError

PATH = "TestStack/Agent"


def resolve(dependencies: CodeDependencies, directory: Path, runtime: str = "PYTHON_3_12") -> RequirementSet | None:
    return dependencies._resolve(directory, PATH, runtime=runtime)


# -- which requirements ----------------------------------------------------------------------------------


def test_auto_prefers_requirements_txt_then_pyproject_then_nothing(tmp_path: Path) -> None:
    # GIVEN a folder with neither file WHEN auto THEN nothing to install
    assert resolve(CodeDependencies.auto(), tmp_path) is None
    # GIVEN a pyproject.toml with PEP 621 dependencies THEN those are the requirements
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "a"\ndependencies = ["six==1.17.0"]\n')
    from_pyproject = resolve(CodeDependencies.auto(), tmp_path)
    assert from_pyproject is not None and from_pyproject.pip_args == ("six==1.17.0",)
    assert from_pyproject.source == "pyproject.toml [project].dependencies"
    # GIVEN also a requirements.txt THEN it wins
    (tmp_path / "requirements.txt").write_text("idna==3.20\n")
    from_file = resolve(CodeDependencies.auto(), tmp_path)
    assert from_file is not None and from_file.source == "requirements.txt"
    assert from_file.pip_args == ("-r", str((tmp_path / "requirements.txt").resolve()))


def test_a_requirements_file_with_only_comments_and_options_installs_nothing(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("# nothing yet\n\n--index-url https://example.invalid/simple\n")
    assert resolve(CodeDependencies.auto(), tmp_path) is None


def test_the_digest_follows_included_files_and_ignores_nothing_that_matters(tmp_path: Path) -> None:
    # GIVEN requirements that include another file and a constraints file
    (tmp_path / "requirements.txt").write_text("-r base.txt\n-c constraints.txt\n")
    (tmp_path / "base.txt").write_text("six\n")
    (tmp_path / "constraints.txt").write_text("six==1.17.0\n")
    first = resolve(CodeDependencies.auto(), tmp_path)
    assert first is not None
    # WHEN the constraints change THEN the digest changes (the cache entry and the asset hash follow)
    (tmp_path / "constraints.txt").write_text("six==1.16.0\n")
    second = resolve(CodeDependencies.auto(), tmp_path)
    assert second is not None and second.digest != first.digest
    # WHEN only the included file is edited THEN too
    (tmp_path / "base.txt").write_text("six\nidna\n")
    third = resolve(CodeDependencies.auto(), tmp_path)
    assert third is not None and third.digest not in (first.digest, second.digest)


def test_constraints_alone_install_nothing(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-c constraints.txt\n")
    (tmp_path / "constraints.txt").write_text("six==1.17.0\n")
    assert resolve(CodeDependencies.auto(), tmp_path) is None


def test_none_installs_nothing_even_with_a_requirements_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n")
    assert resolve(CodeDependencies.none(), tmp_path) is None


def test_auto_installs_nothing_for_the_node_runtime(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n")
    assert resolve(CodeDependencies.auto(), tmp_path, runtime="NODE_22") is None


def test_fails_when_python_dependencies_are_named_for_the_node_runtime(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n")
    with pytest.raises(ConstructsLibValidationError, match="runtime is NODE_22") as exc:
        resolve(CodeDependencies.from_requirements(), tmp_path, runtime="NODE_22")
    assert exc.value.code == "InvalidDependencies"


def test_fails_when_a_named_file_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ConstructsLibValidationError, match="'requirements-prod.txt' is not a file") as exc:
        resolve(CodeDependencies.from_requirements("requirements-prod.txt"), tmp_path)
    assert exc.value.code == "DependenciesNotFound"
    assert "CodeDependencies.none()" in str(exc.value)


def test_fails_when_an_included_file_is_missing(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r base.txt\n")
    with pytest.raises(ConstructsLibValidationError, match="base.txt") as exc:
        resolve(CodeDependencies.auto(), tmp_path)
    assert exc.value.code == "DependenciesNotFound"


def test_fails_when_pyproject_dependencies_are_dynamic(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "a"\ndynamic = ["dependencies"]\n')
    with pytest.raises(ConstructsLibValidationError, match="dynamic") as exc:
        resolve(CodeDependencies.from_pyproject(), tmp_path)
    assert exc.value.code == "InvalidDependencies"


def test_fails_when_dependencies_are_only_in_poetry_tables(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.poetry.dependencies]\npython = "^3.12"\nsix = "1.17.0"\n')
    with pytest.raises(ConstructsLibValidationError, match="poetry export") as exc:
        resolve(CodeDependencies.auto(), tmp_path)
    assert exc.value.code == "InvalidDependencies"


def test_fails_when_pyproject_is_not_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\n")
    with pytest.raises(ConstructsLibValidationError, match="not valid TOML") as exc:
        resolve(CodeDependencies.auto(), tmp_path)
    assert exc.value.code == "InvalidDependencies"


# -- the target ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("minor", [10, 11, 12, 13, 14])
def test_each_python_runtime_targets_its_version_on_linux_aarch64(minor: int) -> None:
    target = PythonTarget.for_runtime(f"PYTHON_3_{minor}")
    assert target is not None and target.python_version == f"3.{minor}" and target.abi == f"cp3{minor}"
    options = target.pip_options()
    assert options[:5] == ["--only-binary=:all:", "--implementation", "cp", "--python-version", f"3.{minor}"]
    platforms = options[6::2]
    assert platforms == list(MANYLINUX_AARCH64)
    assert target.marker_environment()["platform_machine"] == "aarch64"
    assert target.marker_environment()["python_version"] == f"3.{minor}"


def test_tags_are_glibc_aarch64_from_manylinux2014_to_2_28_and_never_musl() -> None:
    assert MANYLINUX_AARCH64[0] == "manylinux_2_28_aarch64"
    assert "manylinux_2_17_aarch64" in MANYLINUX_AARCH64 and "manylinux2014_aarch64" in MANYLINUX_AARCH64
    assert all(tag.endswith("_aarch64") for tag in MANYLINUX_AARCH64)
    assert not any("musllinux" in tag or "x86_64" in tag for tag in MANYLINUX_AARCH64)


def test_an_x86_64_capacity_provider_gets_x86_64_wheels() -> None:
    target = PythonTarget.for_runtime("PYTHON_3_12", "x86_64")
    assert target is not None
    assert target.platforms[0] == "manylinux_2_28_x86_64" and target.platforms[-1] == "manylinux2014_x86_64"
    assert not any("aarch64" in tag for tag in target.platforms)
    assert target.marker_environment()["platform_machine"] == "x86_64"
    assert "linux/x86_64" in target.describe()


def test_the_node_runtime_has_no_python_target() -> None:
    assert PythonTarget.for_runtime("NODE_22") is None


def test_cache_entries_differ_by_requirements_and_python_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CONSTRUCTS_LIB_CACHE_DIR", str(tmp_path))
    assert cache_root() == tmp_path
    one = RequirementSet("requirements.txt", ("six",), "a" * 64)
    other = RequirementSet("requirements.txt", ("six",), "b" * 64)
    py312, py313 = PythonTarget("3.12"), PythonTarget("3.13")
    entries = {cache_entry(one, py312), cache_entry(other, py312), cache_entry(one, py313)}
    assert len(entries) == 3 and all(entry.parent == tmp_path / "python-dependencies" for entry in entries)


# -- pip's failures, read ----------------------------------------------------------------------------------

NO_WHEEL_OUTPUT = """\
Collecting numpy==1.19.0 (from -r requirements.txt (line 2))
ERROR: Could not find a version that satisfies the requirement numpy==1.19.0 (from versions: none)
ERROR: No matching distribution found for numpy==1.19.0
"""


def test_a_missing_wheel_names_the_package_the_target_tags_and_the_ways_out() -> None:
    requirements = RequirementSet("requirements.txt", ("-r", "requirements.txt"), "0" * 64)
    error = pip_failure(NO_WHEEL_OUTPUT, requirements, PythonTarget("3.12"), PATH)
    assert error.code == "DependencyWheelNotFound"
    text = str(error)
    assert text.startswith("TestStack/Agent: [DependencyWheelNotFound] 'numpy' (from requirements.txt) has no wheel")
    for needle in ("CPython 3.12 on linux/aarch64", "cp312", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64",
                   "pure-Python alternative", "AgentArtifact.from_directory", "CodeDependencies.none()",
                   "pip said: ERROR: Could not find a version"):
        assert needle in text


def test_any_other_pip_failure_is_reported_with_pips_errors() -> None:
    requirements = RequirementSet("requirements.txt", ("-r", "requirements.txt"), "0" * 64)
    output = "ERROR: Cannot install a==1 and b==2 because these package versions have conflicting dependencies.\n"
    error = pip_failure(output, requirements, PythonTarget("3.12"), PATH)
    assert error.code == "DependencyInstallFailed"
    assert "conflicting dependencies" in str(error) and "requirements.txt" in str(error)


# -- what goes into the bundle ---------------------------------------------------------------------------


def test_console_scripts_get_a_portable_shebang_and_files_readable_permissions(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin" / "opentelemetry-instrument"
    script.write_text("#!/home/me/.venv/bin/python3.11\nimport sys\n")
    script.chmod(0o700)
    module = tmp_path / "pkg.py"
    module.write_text("x = 1\n")
    module.chmod(0o600)
    _make_portable(tmp_path)
    assert script.read_text() == "#!/usr/bin/env python3\nimport sys\n"
    assert script.stat().st_mode & 0o777 == 0o755
    assert module.stat().st_mode & 0o777 == 0o644


def test_code_replaces_dependency_files_without_writing_through_their_links(tmp_path: Path) -> None:
    # GIVEN a bundle folder holding a hard link to a cached dependency file, and code with a file of that path
    cache, bundle, code = tmp_path / "cache", tmp_path / "bundle", tmp_path / "code"
    for folder in (cache, bundle, code):
        folder.mkdir()
    (cache / "util.py").write_text("cached = True\n")
    os.link(cache / "util.py", bundle / "util.py")
    (bundle / "helpers").write_text("a dependency's file where the code has a folder\n")
    (code / "util.py").write_text("mine = True\n")
    (code / "helpers").mkdir()
    (code / "helpers" / "__init__.py").write_text("")
    # WHEN the code is copied over THEN the code wins and the cache is untouched
    copy_package_files(code, (), bundle)
    assert (bundle / "util.py").read_text() == "mine = True\n"
    assert (cache / "util.py").read_text() == "cached = True\n"
    assert (bundle / "helpers" / "__init__.py").is_file()


def test_two_measurements_combine_into_the_measurement_of_one_archive(tmp_path: Path) -> None:
    code, deps, both = tmp_path / "code", tmp_path / "deps", tmp_path / "both"
    for folder in (code, deps, both):
        folder.mkdir()
    (code / "main.py").write_text("print('hi')\n" * 40)
    (deps / "lib").mkdir()
    (deps / "lib" / "mod.py").write_bytes(os.urandom(3000))
    for source in (code, deps):
        copy_package_files(source, (), both)
    combined = measure_package(code, ()).combined_with(measure_package(deps, ()))
    assert combined == measure_package(both, ())
