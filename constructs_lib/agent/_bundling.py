"""Direct code with its dependencies, built by CDK's asset bundling on the build machine (no Docker).

:class:`CodeBundler` is an ``ILocalBundling``: CDK calls it when it stages the code asset, into the asset's
output folder, and only for stacks being bundled (``cdk synth --exclusively`` and ``cdk deploy`` of other stacks
skip it). The asset hash covers the code after exclusions (CDK's source fingerprint) and the bundling options,
which carry the requirement digest and the target: an unchanged app reuses ``cdk.out/asset.<hash>`` without
running the bundler, and a changed ``requirements.txt``, runtime version or file re-bundles.

The bundle is the dependencies installed by :mod:`._install`, hard-linked from the dependency cache when the file
system allows it (copied otherwise), with the code directory (after exclusions) copied over them: a file of the
agent's own wins over a dependency's file of the same path.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_s3_assets as s3_assets

from constructs_lib.agent._install import PythonTarget, cache_entry, entry_measurement, installed_dependencies
from constructs_lib.agent.code_package import (
    PackageMeasurement,
    copy_package_files,
    measure_package,
    packaged_files,
)
from constructs_lib.agent.dependencies import RequirementSet
from constructs_lib.errors import ConstructsLibValidationError

#: Bumped when the bundle layout changes, so CDK does not reuse an ``asset.<hash>`` folder of the old layout.
_BUNDLE_LAYOUT = "1"


@jsii.implements(cdk.ILocalBundling)
class CodeBundler:
    """Builds a direct-code bundle: the code directory after exclusions, plus its installed dependencies.

    Args:
        directory: the agent's code directory.
        patterns: exclude patterns applied to the code directory.
        requirements: the dependencies to install.
        target: the interpreter and platform they are installed for.
        path: the construct path, for errors.
    """

    def __init__(
        self, *, directory: Path, patterns: tuple[str, ...], requirements: RequirementSet, target: PythonTarget,
        path: str,
    ) -> None:
        self.directory = directory
        self.patterns = patterns
        self.requirements = requirements
        self.target = target
        self.path = path
        #: The library error a failed bundling raised, so the caller can raise it instead of CDK's wrapper.
        self.failure: ConstructsLibValidationError | None = None

    def try_bundle(self, output_dir: str, *_options: Any, **__options: Any) -> bool:
        """Write the bundle into ``output_dir``; always answers ``True`` (Docker is never used) or raises."""
        try:
            dependencies = installed_dependencies(
                self.requirements, self.target, directory=self.directory, path=self.path
            )
            output = Path(output_dir)
            shutil.copytree(dependencies, output, copy_function=_link_or_copy, dirs_exist_ok=True)
            copy_package_files(self.directory, self.patterns, output)
        except ConstructsLibValidationError as err:
            self.failure = err
            raise
        return True

    def bundling_options(self) -> cdk.BundlingOptions:
        """CDK bundling options running this bundler locally; their values are part of the asset hash."""
        return cdk.BundlingOptions(
            # Required by CDK, never pulled: try_bundle answers True or raises, so Docker is never started.
            image=cdk.DockerImage.from_registry(f"public.ecr.aws/sam/build-python{self.target.python_version}"),
            local=self,
            output_type=cdk.BundlingOutput.NOT_ARCHIVED,
            environment={
                "CONSTRUCTS_LIB_BUNDLE_LAYOUT": _BUNDLE_LAYOUT,
                "CONSTRUCTS_LIB_REQUIREMENTS_SHA256": self.requirements.digest,
                "CONSTRUCTS_LIB_PYTHON": self.target.abi,
                "CONSTRUCTS_LIB_PLATFORMS": ",".join(self.target.platforms),
            },
        )


def _link_or_copy(source: str, destination: str) -> None:
    """Hard-link a cached dependency file into a bundle, or copy it where links are not possible."""
    try:
        os.link(source, destination)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(source, destination)


#: Measurements of bundled assets by asset hash: the hash fixes the content, so one process measures it once.
_MEASURED: dict[str, PackageMeasurement] = {}


def measure_bundle(asset: s3_assets.Asset, bundler: CodeBundler) -> PackageMeasurement:
    """Measure the bundle CDK staged for ``asset`` (code and dependencies), as AgentCore will receive it.

    The code and the cached dependency tree are measured apart and combined (the tree's measurement is kept in
    the cache); when the tree is gone from the cache or a file of the code shadows one of the tree, the staged
    folder itself is measured.
    """
    cached = _MEASURED.get(asset.asset_hash)
    if cached is not None:
        return cached
    entry = cache_entry(bundler.requirements, bundler.target)
    code_files = [PurePosixPath(p.relative_to(bundler.directory).as_posix())
                  for p in packaged_files(bundler.directory, bundler.patterns)]
    if entry.is_dir() and not _shadows(code_files, entry):
        measurement = measure_package(bundler.directory, bundler.patterns).combined_with(entry_measurement(entry))
    else:
        staging = asset.node.find_child("Stage")
        assert isinstance(staging, cdk.AssetStaging)
        measurement = measure_package(staging.absolute_staged_path, ())
    _MEASURED[asset.asset_hash] = measurement
    return measurement


def _shadows(code_files: list[PurePosixPath], entry: Path) -> bool:
    """Whether a code file takes the place of something in the dependency tree (then the bundle differs)."""
    for relative in code_files:
        if (entry / relative).exists() or any((entry / parent).is_file() for parent in relative.parents):
            return True
    return False
