"""Direct code with its dependencies: real wheels from PyPI, installed for linux/aarch64 when the asset is staged.

These tests reach the package index (PyPI) and nothing else. The packages are small and pinned: ``six`` (a pure
Python ``py2.py3-none-any`` wheel), ``markupsafe`` (a C extension with ``manylinux_2_17_aarch64`` wheels) and
``pywin32`` (Windows wheels only: no wheel for the target). Each module-scoped bundle is built once, into a cache
of this module's own, so pip runs a handful of times per test run.
"""

from __future__ import annotations

import dataclasses
import json
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib import AgentArtifact, AgentCoreAgent, ConstructsLibValidationError, QuotaCatalog, QuotaName
from constructs_lib.agent import _bundling, _install
from constructs_lib.agent import agent as agent_module
from constructs_lib.agent.code_package import DEFAULT_CODE_EXCLUDES, measure_package
from constructs_lib.agent.dependencies import CodeDependencies
from tests.conftest import ENV

RUNTIME = "AWS::BedrockAgentCore::Runtime"
ELF_MACHINE_AARCH64 = 183


@pytest.fixture(scope="module", autouse=True)
def own_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A dependency cache for this module only, so the first bundle of each requirement set really runs pip."""
    cache = tmp_path_factory.mktemp("dependency-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(_install.CACHE_DIR_VARIABLE, str(cache))
        yield cache


@pytest.fixture
def pip_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The requirement arguments of every pip run during one test."""
    runs: list[tuple[str, ...]] = []
    real = _install.run_pip

    def counting(requirements: Any, *args: Any, **kwargs: Any) -> None:
        runs.append(requirements.pip_args)
        real(requirements, *args, **kwargs)

    monkeypatch.setattr(_install, "run_pip", counting)
    return runs


@pytest.fixture
def bundler_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The output folders CDK asked the bundler to fill during one test."""
    runs: list[str] = []
    real = _bundling.CodeBundler.try_bundle

    def counting(self: _bundling.CodeBundler, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        runs.append(output_dir)
        return real(self, output_dir, *args, **kwargs)

    monkeypatch.setattr(_bundling.CodeBundler, "try_bundle", counting)
    return runs


def agent_code(root: Path, requirements: str) -> Path:
    """An agent folder with an entry point, a test folder (excluded) and a requirements file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.py").write_text("import six\nprint(six.PY3)\n")
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "test_main.py").write_text("assert True\n")
    (root / "requirements.txt").write_text(requirements)
    return root


def define(outdir: Path | None, code: Path, context: dict[str, Any] | None = None, **kwargs: Any) -> AgentCoreAgent:
    app = cdk.App(outdir=str(outdir) if outdir else None, context=context or {})
    stack = cdk.Stack(app, "TestStack", env=ENV)
    return AgentCoreAgent(stack, "Agent", artifact=AgentArtifact.from_code(code, **kwargs))


def staged(agent: AgentCoreAgent) -> Path:
    asset = agent.node.find_child("CodeAsset")
    staging = asset.node.find_child("Stage")
    assert isinstance(staging, cdk.AssetStaging)
    return Path(staging.absolute_staged_path)


def elf_machine(path: Path) -> tuple[int, int]:
    """(ELF class, machine) of a shared object: (2, 183) is 64-bit AArch64."""
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    return header[4], struct.unpack("<H", header[18:20])[0]


# -- one bundle with a pure-Python and a binary wheel ----------------------------------------------------


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> AgentCoreAgent:
    code = agent_code(tmp_path_factory.mktemp("agent"), "six==1.17.0\nmarkupsafe==3.0.2\n")
    return define(tmp_path_factory.mktemp("cdk.out"), code)


def test_the_bundle_holds_the_code_and_both_wheels_built_for_linux_aarch64(bundled: AgentCoreAgent) -> None:
    # GIVEN requirements naming a pure-Python and a binary package WHEN the agent is defined THEN the staged
    # bundle has the code (without its tests), six, and markupsafe's extension built for CPython 3.12 on aarch64
    bundle = staged(bundled)
    assert (bundle / "main.py").is_file() and (bundle / "requirements.txt").is_file()
    assert not (bundle / "tests").exists()
    assert (bundle / "six.py").is_file()
    extensions = list((bundle / "markupsafe").glob("_speedups*.so"))
    assert [e.name for e in extensions] == ["_speedups.cpython-312-aarch64-linux-gnu.so"]
    assert elf_machine(extensions[0]) == (2, ELF_MACHINE_AARCH64)
    wheel_tags = next(bundle.glob("[Mm]arkup[Ss]afe-3.0.2.dist-info")).joinpath("WHEEL").read_text()
    assert "Tag: cp312-cp312-manylinux_2_17_aarch64" in wheel_tags
    assert not list(bundle.rglob("__pycache__"))  # pip's host bytecode is not shipped


def test_the_measurement_is_the_bundle_not_the_source(bundled: AgentCoreAgent) -> None:
    measurement = bundled.package_measurement
    assert measurement is not None
    assert measurement == measure_package(staged(bundled), ())
    source = Path(bundled.node.find_child("CodeAsset").node.find_child("Stage").source_path)  # type: ignore[attr-defined]
    assert measurement.files > measure_package(source, DEFAULT_CODE_EXCLUDES).files + 10


def test_fails_when_the_bundle_exceeds_the_package_quota_though_the_code_alone_fits(
    bundled: AgentCoreAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a catalog whose unzipped package quota lies between the code's size and the bundle's (the real
    # quota would need a 750 MiB bundle to cross)
    source = Path(bundled.node.find_child("CodeAsset").node.find_child("Stage").source_path)  # type: ignore[attr-defined]
    code_only = measure_package(source, DEFAULT_CODE_EXCLUDES).unzipped_bytes
    assert bundled.package_measurement is not None
    limit = (code_only + bundled.package_measurement.unzipped_bytes) / 2
    catalog = QuotaCatalog()
    catalog._quotas = {**catalog._quotas, QuotaName.CODE_PACKAGE_UNZIPPED: dataclasses.replace(
        catalog.get(QuotaName.CODE_PACKAGE_UNZIPPED), value=limit)}
    monkeypatch.setattr(agent_module, "catalog_for", lambda scope: catalog)
    # WHEN the same code is defined with its dependencies THEN synthesis fails on the bundle's size
    with_dependencies = define(tmp_path / "out", source)
    errors = with_dependencies.node.validate()
    assert len(errors) == 1 and errors[0].startswith("[CodePackageTooLarge] the unzipped code package of")
    # WHEN it is packaged as it is THEN it fits
    as_is = define(tmp_path / "out", source, dependencies=CodeDependencies.none())
    assert as_is.node.validate() == []


def test_the_runtime_points_at_the_bundled_asset_and_reads_only_that_object(bundled: AgentCoreAgent) -> None:
    template = Template.from_stack(cdk.Stack.of(bundled))
    asset = bundled.node.find_child("CodeAsset")
    template.has_resource_properties(RUNTIME, {
        "AgentRuntimeArtifact": {"CodeConfiguration": {
            "Code": {"S3": {"Bucket": "cdk-hnb659fds-assets-123456789012-us-east-1",
                            "Prefix": f"{asset.asset_hash}.zip"}},  # type: ignore[attr-defined]
            "EntryPoint": ["main.py"], "Runtime": "PYTHON_3_12"}},
    })
    # The execution role reads the bundled package object, not the rest of the asset bucket
    template.has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Sid": "ReadAgentCode", "Action": "s3:GetObject", "Effect": "Allow",
                           "Resource": "arn:aws:s3:::cdk-hnb659fds-assets-123456789012-us-east-1/"
                                       f"{asset.asset_hash}.zip"}),  # type: ignore[attr-defined]
    ])}})
    policies = json.dumps(template.find_resources("AWS::IAM::Policy"))
    for broad in ("s3:GetObject*", "s3:List*", "assets-123456789012-us-east-1/*"):
        assert broad not in policies


def test_markers_are_evaluated_for_the_target_not_the_build_machine(tmp_path: Path, pip_runs: list[Any]) -> None:
    # GIVEN a requirement only for CPython 3.10 on aarch64 (never this test machine's interpreter: the library
    # needs 3.11+) WHEN bundled for PYTHON_3_10 THEN it is installed
    code = agent_code(tmp_path / "agent",
                      'six==1.17.0; python_version == "3.10" and platform_machine == "aarch64"\n')
    agent = define(tmp_path / "out", code, runtime=agentcore.AgentCoreRuntime.PYTHON_3_10)
    assert (staged(agent) / "six.py").is_file()
    assert len(pip_runs) == 1


# -- the cache ---------------------------------------------------------------------------------------------


def test_an_unchanged_app_reuses_its_bundle_and_a_changed_requirements_file_rebuilds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pip_runs: list[Any], bundler_runs: list[str],
) -> None:
    monkeypatch.setenv(_install.CACHE_DIR_VARIABLE, str(tmp_path / "fresh-cache"))
    code = agent_code(tmp_path / "agent", "six==1.17.0\n")
    outdir = tmp_path / "cdk.out"
    timings: dict[str, float] = {}

    def timed(name: str, make: Callable[[], AgentCoreAgent]) -> AgentCoreAgent:
        start = time.perf_counter()
        agent = make()
        cdk.Stage.of(agent).synth()  # type: ignore[union-attr]
        timings[name] = time.perf_counter() - start
        return agent

    # GIVEN a first synth: CDK runs the bundler, which runs pip
    first = timed("first", lambda: define(outdir, code))
    assert (len(bundler_runs), len(pip_runs)) == (1, 1)
    # WHEN synthesized again into the same cdk.out with nothing changed THEN neither runs, same asset
    again = timed("unchanged", lambda: define(outdir, code))
    assert (len(bundler_runs), len(pip_runs)) == (1, 1)
    assert again.node.find_child("CodeAsset").asset_hash == first.node.find_child("CodeAsset").asset_hash  # type: ignore[attr-defined]
    # WHEN synthesized into a new cdk.out THEN the bundle is rebuilt from the dependency cache, without pip
    timed("new cdk.out", lambda: define(tmp_path / "other.out", code))
    assert (len(bundler_runs), len(pip_runs)) == (2, 1)
    # WHEN requirements.txt changes THEN pip runs again and the asset hash changes
    (code / "requirements.txt").write_text("six==1.16.0\n")
    changed = timed("requirements changed", lambda: define(outdir, code))
    assert (len(bundler_runs), len(pip_runs)) == (3, 2)
    assert changed.node.find_child("CodeAsset").asset_hash != first.node.find_child("CodeAsset").asset_hash  # type: ignore[attr-defined]
    assert "1.16.0" in next(staged(changed).glob("six-*.dist-info")).name
    print("bundling timings (s): " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))


def test_a_different_runtime_version_is_a_different_bundle(bundled: AgentCoreAgent, tmp_path: Path) -> None:
    code = Path(bundled.node.find_child("CodeAsset").node.find_child("Stage").source_path)  # type: ignore[attr-defined]
    other = define(tmp_path / "out", code, runtime=agentcore.AgentCoreRuntime.PYTHON_3_13)
    assert other.node.find_child("CodeAsset").asset_hash != bundled.node.find_child("CodeAsset").asset_hash  # type: ignore[attr-defined]
    assert [e.name for e in (staged(other) / "markupsafe").glob("_speedups*.so")] == [
        "_speedups.cpython-313-aarch64-linux-gnu.so"]


# -- failures and opting out ---------------------------------------------------------------------------------


def test_fails_when_a_dependency_has_no_wheel_for_the_target(tmp_path: Path) -> None:
    # GIVEN a package that publishes Windows wheels only WHEN bundled THEN a library error, not pip's alone,
    # names the package, the target tags and the ways out
    code = agent_code(tmp_path / "agent", "six==1.17.0\npywin32==311\n")
    with pytest.raises(ConstructsLibValidationError) as exc:
        define(tmp_path / "out", code)
    assert exc.value.code == "DependencyWheelNotFound"
    assert exc.value.path == "TestStack/Agent"
    message = str(exc.value)
    for needle in ("'pywin32' (from requirements.txt) has no wheel", "CPython 3.12 on linux/aarch64",
                   "manylinux_2_17_aarch64", "pure-Python alternative", "AgentArtifact.from_directory",
                   "CodeDependencies.none()", "No matching distribution found for pywin32==311"):
        assert needle in message


def test_a_stack_that_is_not_bundled_says_so_and_is_not_measured(tmp_path: Path, pip_runs: list[Any]) -> None:
    # GIVEN a synth that bundles no stack (as `cdk synth --exclusively OtherStack` does for this one)
    code = agent_code(tmp_path / "agent", "six==1.17.0\n")
    agent = define(tmp_path / "out", code, context={"aws:cdk:bundling-stacks": []})
    # THEN pip never runs, the source is not mistaken for the package, and an info note says why
    assert pip_runs == []
    assert agent.package_measurement is None
    assert agent.node.validate() == []
    Annotations.from_stack(cdk.Stack.of(agent)).has_info("/TestStack/Agent", Match.string_like_regexp(
        r"\[CodePackageNotMeasured\] .*requirements.txt.*code_package_zipped, code_package_unzipped"))


def test_opting_out_packages_the_directory_as_it_is(tmp_path: Path, pip_runs: list[Any]) -> None:
    code = agent_code(tmp_path / "agent", "six==1.17.0\n")
    agent = define(tmp_path / "out", code, dependencies=CodeDependencies.none())
    assert pip_runs == []
    assert agent.package_measurement == measure_package(code, DEFAULT_CODE_EXCLUDES)
    assert not (staged(agent) / "six.py").exists()


def test_fails_when_dependencies_is_not_a_code_dependencies(tmp_path: Path) -> None:
    code = agent_code(tmp_path / "agent", "six==1.17.0\n")
    with pytest.raises(ConstructsLibValidationError, match="dependencies must be a CodeDependencies") as exc:
        define(tmp_path / "out", code, dependencies="requirements.txt")
    assert exc.value.code == "InvalidDependencies"
