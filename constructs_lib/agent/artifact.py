"""AgentArtifact: where an agent's code comes from (a container image or a direct-code package)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from constructs_lib._cdk.props import PropChecks
from constructs_lib._cdk.reporting import report, report_info
from constructs_lib._cdk.scope import path_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.agent._bundling import CodeBundler, measure_bundle
from constructs_lib.agent._execution_role import ArtifactPull
from constructs_lib.agent._install import PythonTarget
from constructs_lib.agent.code_package import (
    DEFAULT_CODE_EXCLUDES,
    DEFAULT_IMAGE_EXCLUDES,
    PackageMeasurement,
    measure_package,
)
from constructs_lib.agent.dependencies import CodeDependencies
from constructs_lib.agent.image_repository import AgentImageRepository
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.limits.instance_types import InstanceArchitecture
from constructs_lib.planning.agent_plan import ArtifactFacts, ArtifactKind
from constructs_lib.planning.compute import ComputeFacts, image_platform_finding

if TYPE_CHECKING:
    from constructs_lib.agent.agent import AgentCoreAgent


#: The code of a factory argument of the wrong type.
_INVALID = "InvalidArtifact"
#: The id under which the L2 creates an image asset artifact's asset (a child of the runtime).
_L2_ASSET_ID = "AgentRuntimeArtifact"


@dataclass(frozen=True)
class _BoundArtifact:
    artifact: agentcore.AgentRuntimeArtifact
    facts: ArtifactFacts
    image_repository: AgentImageRepository | None = None
    measurement: PackageMeasurement | None = None
    repository: ecr.IRepository | None = None
    """The repository the image is pulled from, when known before the runtime (not for an image asset)."""
    code_object_arn: str | None = None
    """The ARN of the direct-code package object."""

    def pull(self, runtime: agentcore.Runtime) -> ArtifactPull:
        """What ``runtime`` reads to start: the image repository or the code object, and nothing around it.

        An image asset is created by the L2 when the artifact is bound; it is bound here, as the L2 would bind it at
        synth (under the runtime, as ``AgentRuntimeArtifact``; binding twice is a no-op), so that its repository is
        known.
        """
        if self.code_object_arn is not None:
            return ArtifactPull(code_object_arn=self.code_object_arn)
        if self.repository is not None:
            return ArtifactPull(repository_arn=self.repository.repository_arn)
        self.artifact.bind(runtime, runtime)
        asset = runtime.node.find_child(_L2_ASSET_ID)
        if not isinstance(asset, ecr_assets.DockerImageAsset):
            raise TypeError(f"the runtime's artifact child is a {type(asset).__name__}, not an image asset")
        return ArtifactPull(repository_arn=asset.repository.repository_arn)


class AgentArtifact:
    """Where the agent's code comes from: a container image or a direct-code package.

    Use one of the static factories; the agent binds the artifact when it is created.
    """

    def __init__(self, kind: ArtifactKind, binder: Any, description: str) -> None:
        self.kind = kind
        self._binder = binder
        self.description = description

    @staticmethod
    def from_directory(
        directory: str | os.PathLike[str],
        *,
        file: str | None = None,
        platform: ecr_assets.Platform | None = None,
        build_args: Mapping[str, str] | None = None,
        exclude: Sequence[str] = (),
        expected_image_size: cdk.Size | None = None,
    ) -> AgentArtifact:
        """A container image built from a directory with a Dockerfile (a CDK Docker image asset).

        The image is declared at synth and built at deploy; synth needs no Docker engine.

        Args:
            directory: build context containing the Dockerfile.
            file: Dockerfile path relative to ``directory``. Default: ``Dockerfile``.
            platform: target platform, checked against the compute (microVMs run only ``linux/arm64``; Instances
                run the capacity provider's architecture). Default: the compute's platform (``linux/arm64`` on
                microVMs).
            build_args: Docker build arguments.
            exclude: extra patterns left out of the build context, added to the defaults (caches,
                virtual environments, ``node_modules``, ``cdk.out``, VCS folders).
            expected_image_size: the image size if known (for example from CI); checked against the
                container image size quota. Default: not checked (the image is built at deploy).
        """
        checks = PropChecks(code=_INVALID)
        _check_directory(checks, directory)
        checks.string("file", file)
        checks.instance("platform", platform, ecr_assets.Platform, "an ecr_assets.Platform")
        checks.string_map("build_args", build_args)
        checks.sequence_of("exclude", exclude, str, "glob patterns (strings)", optional=False)
        checks.size("expected_image_size", expected_image_size)
        checks.raise_if_any()
        path = Path(directory)
        dockerfile = file or "Dockerfile"

        def bind(agent: AgentCoreAgent) -> _BoundArtifact:
            if not path.is_dir():
                raise ConstructsLibValidationError(
                    "ArtifactDirectoryNotFound", f"artifact directory {str(path)!r} does not exist", path_of(agent)
                )
            if not (path / dockerfile).is_file():
                raise ConstructsLibValidationError(
                    "DockerfileNotFound", f"no {dockerfile} in artifact directory {str(path)!r}", path_of(agent)
                )
            chosen = platform or _platform_for(agent.compute_facts)
            if mismatch := image_platform_finding(chosen.platform, agent.compute_facts):
                report(agent, [mismatch])
            size = None if expected_image_size is None else float(expected_image_size.to_bytes())
            return _BoundArtifact(
                agentcore.AgentRuntimeArtifact.from_asset(
                    str(path),
                    file=file,
                    platform=chosen,
                    build_args=dict(build_args) if build_args else None,
                    exclude=[*DEFAULT_IMAGE_EXCLUDES, *exclude],
                ),
                ArtifactFacts(ArtifactKind.CONTAINER, image_size_bytes=size),
            )

        return AgentArtifact(ArtifactKind.CONTAINER, bind, f"container image built from {path}")

    @staticmethod
    def from_repository(repository: ecr.IRepository, tag: str) -> AgentArtifact:
        """A container image already in an ECR repository.

        Args:
            repository: the repository.
            tag: the image tag. Use a unique tag per build: AgentCore pins the image digest per version.
        """
        checks = PropChecks(code=_INVALID)
        checks.resource("repository", repository, "repository_arn", "an ecr.IRepository (not its name or URI)",
                        optional=False)
        checks.raise_if_any()

        def bind(agent: AgentCoreAgent) -> _BoundArtifact:
            _require_tag(tag, agent)
            return _BoundArtifact(
                agentcore.AgentRuntimeArtifact.from_ecr_repository(repository, tag),
                ArtifactFacts(ArtifactKind.CONTAINER),
                repository=repository,
            )

        return AgentArtifact(ArtifactKind.CONTAINER, bind, "container image from an ECR repository")

    @staticmethod
    def from_image_repository(repository: AgentImageRepository, tag: str) -> AgentArtifact:
        """A container image in an :class:`AgentImageRepository` (push the tag before deploying)."""
        checks = PropChecks(code=_INVALID)
        checks.instance("repository", repository, AgentImageRepository, "an AgentImageRepository", optional=False)
        checks.raise_if_any()

        def bind(agent: AgentCoreAgent) -> _BoundArtifact:
            _require_tag(tag, agent)
            return _BoundArtifact(
                agentcore.AgentRuntimeArtifact.from_ecr_repository(repository.repository, tag),
                ArtifactFacts(ArtifactKind.CONTAINER),
                image_repository=repository,
                repository=repository.repository,
            )

        return AgentArtifact(ArtifactKind.CONTAINER, bind, "container image from an AgentImageRepository")

    @staticmethod
    def from_managed_repository(tag: str, *, max_image_count: int | None = None) -> AgentArtifact:
        """A container image in a new :class:`AgentImageRepository` the agent creates (``ImageRepository``).

        The repository is created with the agent; push the image tag to it (``agent.image_repository``)
        before the runtime is deployed, for example from a pipeline stage between two stacks.

        Args:
            tag: the image tag the runtime uses.
            max_image_count: passed to :class:`AgentImageRepository`. Default: the versions quota.
        """

        def bind(agent: AgentCoreAgent) -> _BoundArtifact:
            _require_tag(tag, agent)
            repository = AgentImageRepository(agent, "ImageRepository", max_image_count=max_image_count)
            return _BoundArtifact(
                agentcore.AgentRuntimeArtifact.from_ecr_repository(repository.repository, tag),
                ArtifactFacts(ArtifactKind.CONTAINER),
                image_repository=repository,
                repository=repository.repository,
            )

        return AgentArtifact(ArtifactKind.CONTAINER, bind, "container image from a managed repository")

    @staticmethod
    def from_code(
        directory: str | os.PathLike[str],
        *,
        entrypoint: Sequence[str] = ("main.py",),
        runtime: agentcore.AgentCoreRuntime | None = None,
        exclude: Sequence[str] = (),
        use_default_excludes: bool = True,
        dependencies: CodeDependencies | None = None,
    ) -> AgentArtifact:
        """Direct code: the directory and its Python dependencies, zipped and uploaded as an S3 asset.

        AgentCore runs direct code as it is unzipped, so the dependencies go into the package: when CDK stages
        the asset, pip installs them for the runtime's Python version on Linux for the compute's architecture
        (aarch64 on microVMs; x86_64 on an x86_64 capacity provider), binary wheels only, with no Docker (CDK
        local bundling). A dependency without such a wheel fails the synth with
        ``DependencyWheelNotFound`` and the ways out. Installed trees are cached (``CONSTRUCTS_LIB_CACHE_DIR``,
        default ``~/.cache/constructs-lib``) by requirement text and target, and CDK reuses an unchanged bundle
        in ``cdk.out`` by its asset hash (code after exclusions, requirements, target).

        The package (code after exclusions, plus the installed dependencies) is measured at synth, zipped and
        unzipped, and checked against the direct-code package quotas (``code_package_zipped``,
        ``code_package_unzipped``). For a stack that is not bundled in this synth (``cdk synth --exclusively``
        of another stack), the bundle is neither built nor measured, and an info note
        ``constructs_lib:CodePackageNotMeasured`` says so.

        The execution role may read this one object (``s3:GetObject`` on its key in the CDK asset bucket), not the
        rest of the bucket.

        Args:
            directory: the agent's source folder.
            entrypoint: one or two entry point files, relative to ``directory``. Default: ``main.py``.
            runtime: the language runtime. Default: Python 3.12.
            exclude: extra glob patterns to leave out of the code (not of the installed dependencies).
            use_default_excludes: also leave out caches, virtual environments, ``node_modules``,
                ``cdk.out`` and tests of the code directory. Default: True.
            dependencies: which dependencies to install. Default: :meth:`CodeDependencies.auto` (the
                directory's ``requirements.txt``, else its ``pyproject.toml`` ``[project].dependencies``; nothing
                for a folder with neither or for the Node.js runtime). Use :meth:`CodeDependencies.none` when the
                folder already holds its dependencies.
        """
        checks = PropChecks(code=_INVALID)
        _check_directory(checks, directory)
        checks.sequence_of("entrypoint", entrypoint, str, "file names (strings)", optional=False,
                           code="InvalidEntrypoint")
        checks.instance("runtime", runtime, agentcore.AgentCoreRuntime, "an agentcore.AgentCoreRuntime")
        checks.sequence_of("exclude", exclude, str, "glob patterns (strings)", optional=False)
        checks.boolean("use_default_excludes", use_default_excludes)
        checks.raise_if_any()
        path = Path(directory)
        patterns = (*(DEFAULT_CODE_EXCLUDES if use_default_excludes else ()), *exclude)
        chosen_dependencies = dependencies if dependencies is not None else CodeDependencies.auto()

        def bind(agent: AgentCoreAgent) -> _BoundArtifact:
            problems: list[str] = []
            if not path.is_dir():
                raise ConstructsLibValidationError(
                    "ArtifactDirectoryNotFound", f"artifact directory {str(path)!r} does not exist", path_of(agent)
                )
            if not isinstance(chosen_dependencies, CodeDependencies):
                raise ConstructsLibValidationError(
                    "InvalidDependencies",
                    "dependencies must be a CodeDependencies (CodeDependencies.auto()/from_requirements()/"
                    f"from_pyproject()/none()), got {type(chosen_dependencies).__name__}",
                    path_of(agent),
                )
            entry_points = agent.catalog.resolve(QuotaName.CODE_ENTRY_POINTS)
            if not 1 <= len(entrypoint) <= entry_points.value:
                problems.append(
                    f"entrypoint must list 1 to {entry_points.formatted()} files, got {len(entrypoint)}"
                )
            for entry in entrypoint:
                if not (path / entry).is_file():
                    problems.append(f"entrypoint {entry!r} is not a file in {str(path)!r}")
            raise_all("InvalidEntrypoint", problems, path_of(agent))
            chosen_runtime = runtime or agentcore.AgentCoreRuntime.PYTHON_3_12
            asset, measurement = _code_asset(agent, path, patterns, chosen_dependencies, chosen_runtime)
            return _BoundArtifact(
                agentcore.AgentRuntimeArtifact.from_s3(
                    s3.Location(bucket_name=asset.s3_bucket_name, object_key=asset.s3_object_key),
                    chosen_runtime,
                    list(entrypoint),
                ),
                ArtifactFacts(
                    ArtifactKind.DIRECT_CODE,
                    code_zipped_bytes=None if measurement is None else float(measurement.zipped_bytes),
                    code_unzipped_bytes=None if measurement is None else float(measurement.unzipped_bytes),
                ),
                measurement=measurement,
                code_object_arn=asset.bucket.arn_for_objects(asset.s3_object_key),
            )

        return AgentArtifact(ArtifactKind.DIRECT_CODE, bind, f"direct code from {path}")

    def _bind(self, agent: AgentCoreAgent) -> _BoundArtifact:
        result: _BoundArtifact = self._binder(agent)
        return result


def _check_directory(checks: PropChecks, directory: Any) -> None:
    checks.instance("directory", directory, (str, os.PathLike), "a path (str or os.PathLike)", optional=False)


def _platform_for(compute: ComputeFacts) -> ecr_assets.Platform:
    """The image platform of the compute (arm64 when a capacity provider's architecture is unknown)."""
    if compute.image_architecture is InstanceArchitecture.X86_64:
        return ecr_assets.Platform.LINUX_AMD64
    return ecr_assets.Platform.LINUX_ARM64


def _code_asset(
    agent: AgentCoreAgent,
    path: Path,
    patterns: tuple[str, ...],
    dependencies: CodeDependencies,
    runtime: agentcore.AgentCoreRuntime,
) -> tuple[s3_assets.Asset, PackageMeasurement | None]:
    """The code asset (``CodeAsset``), bundled with its dependencies when it has any, and its measurement."""
    x86 = agent.compute_facts.image_architecture is InstanceArchitecture.X86_64
    target = PythonTarget.for_runtime(runtime.value, "x86_64" if x86 else "aarch64")
    requirements = dependencies._resolve(path, path_of(agent), runtime=runtime.value)
    if requirements is None or target is None:
        asset = s3_assets.Asset(agent, "CodeAsset", path=str(path), exclude=list(patterns))
        return asset, measure_package(path, patterns)
    bundler = CodeBundler(
        directory=path, patterns=patterns, requirements=requirements, target=target, path=path_of(agent)
    )
    try:
        asset = s3_assets.Asset(
            agent, "CodeAsset", path=str(path), exclude=list(patterns), bundling=bundler.bundling_options()
        )
    except RuntimeError:
        if bundler.failure is not None:  # our own error, wrapped by CDK's "Failed to bundle asset": raise it as is
            raise bundler.failure from None
        raise
    if not cdk.Stack.of(agent).bundling_required:
        report_info(
            agent,
            "CodePackageNotMeasured",
            f"the stack is not bundled in this synth (it is not among the stacks selected for bundling), so the "
            f"direct-code package with the dependencies from {requirements.source} is not built and not checked "
            "against the direct-code package quotas (code_package_zipped, code_package_unzipped); synthesize this "
            "stack itself to check it",
        )
        return asset, None
    return asset, measure_bundle(asset, bundler)


def _require_tag(tag: str, agent: Construct) -> None:
    if not isinstance(tag, str) or (not is_unresolved(tag) and not tag.strip()):
        raise ConstructsLibValidationError("InvalidImageTag", f"tag must be a non-empty string, got {tag!r}",
                                           path_of(agent))


__all__ = ["AgentArtifact"]
