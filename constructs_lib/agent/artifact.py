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
from constructs import Construct

from constructs_lib._cdk.reporting import report
from constructs_lib.agent.code_package import (
    DEFAULT_CODE_EXCLUDES,
    DEFAULT_IMAGE_EXCLUDES,
    PackageMeasurement,
    measure_package,
)
from constructs_lib.agent.image_repository import AgentImageRepository
from constructs_lib.errors import ConstructsLibValidationError, raise_all
from constructs_lib.limits.catalog import QuotaName
from constructs_lib.limits.instance_types import InstanceArchitecture
from constructs_lib.planning.agent_plan import ArtifactFacts, ArtifactKind
from constructs_lib.planning.compute import ComputeFacts, image_platform_finding

if TYPE_CHECKING:
    from constructs_lib.agent.agent import AgentCoreAgent


@dataclass(frozen=True)
class _BoundArtifact:
    artifact: agentcore.AgentRuntimeArtifact
    facts: ArtifactFacts
    image_repository: AgentImageRepository | None = None
    measurement: PackageMeasurement | None = None


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
        path = Path(directory)
        dockerfile = file or "Dockerfile"

        def bind(agent: AgentCoreAgent) -> _BoundArtifact:
            if not path.is_dir():
                raise ConstructsLibValidationError(
                    "ArtifactDirectoryNotFound", f"artifact directory {str(path)!r} does not exist", agent.node.path
                )
            if not (path / dockerfile).is_file():
                raise ConstructsLibValidationError(
                    "DockerfileNotFound", f"no {dockerfile} in artifact directory {str(path)!r}", agent.node.path
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

        def bind(agent: AgentCoreAgent) -> _BoundArtifact:
            _require_tag(tag, agent)
            return _BoundArtifact(
                agentcore.AgentRuntimeArtifact.from_ecr_repository(repository, tag),
                ArtifactFacts(ArtifactKind.CONTAINER),
            )

        return AgentArtifact(ArtifactKind.CONTAINER, bind, "container image from an ECR repository")

    @staticmethod
    def from_image_repository(repository: AgentImageRepository, tag: str) -> AgentArtifact:
        """A container image in an :class:`AgentImageRepository` (push the tag before deploying)."""

        def bind(agent: AgentCoreAgent) -> _BoundArtifact:
            _require_tag(tag, agent)
            return _BoundArtifact(
                agentcore.AgentRuntimeArtifact.from_ecr_repository(repository.repository, tag),
                ArtifactFacts(ArtifactKind.CONTAINER),
                image_repository=repository,
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
    ) -> AgentArtifact:
        """Direct code: the directory is zipped at synth and uploaded as an S3 asset.

        The package is measured at synth (zipped and unzipped, with the same exclusions CDK applies)
        and checked against the direct-code package quotas.

        Args:
            directory: the agent's source folder.
            entrypoint: one or two entry point files, relative to ``directory``. Default: ``main.py``.
            runtime: the language runtime. Default: Python 3.12.
            exclude: extra glob patterns to leave out of the package.
            use_default_excludes: also leave out caches, virtual environments, ``node_modules``,
                ``cdk.out`` and tests. Default: True.
        """
        path = Path(directory)
        patterns = (*(DEFAULT_CODE_EXCLUDES if use_default_excludes else ()), *exclude)

        def bind(agent: AgentCoreAgent) -> _BoundArtifact:
            problems: list[str] = []
            if not path.is_dir():
                raise ConstructsLibValidationError(
                    "ArtifactDirectoryNotFound", f"artifact directory {str(path)!r} does not exist", agent.node.path
                )
            entry_points = agent.catalog.resolve(QuotaName.CODE_ENTRY_POINTS)
            if not 1 <= len(entrypoint) <= entry_points.value:
                problems.append(
                    f"entrypoint must list 1 to {entry_points.formatted()} files, got {len(entrypoint)}"
                )
            for entry in entrypoint:
                if not (path / entry).is_file():
                    problems.append(f"entrypoint {entry!r} is not a file in {str(path)!r}")
            raise_all("InvalidEntrypoint", problems, agent.node.path)
            measurement = measure_package(path, patterns)
            return _BoundArtifact(
                agentcore.AgentRuntimeArtifact.from_code_asset(
                    path=str(path),
                    runtime=runtime or agentcore.AgentCoreRuntime.PYTHON_3_12,
                    entrypoint=list(entrypoint),
                    exclude=list(patterns),
                ),
                ArtifactFacts(
                    ArtifactKind.DIRECT_CODE,
                    code_zipped_bytes=float(measurement.zipped_bytes),
                    code_unzipped_bytes=float(measurement.unzipped_bytes),
                ),
                measurement=measurement,
            )

        return AgentArtifact(ArtifactKind.DIRECT_CODE, bind, f"direct code from {path}")

    def _bind(self, agent: AgentCoreAgent) -> _BoundArtifact:
        result: _BoundArtifact = self._binder(agent)
        return result


def _platform_for(compute: ComputeFacts) -> ecr_assets.Platform:
    """The image platform of the compute (arm64 when a capacity provider's architecture is unknown)."""
    if compute.image_architecture is InstanceArchitecture.X86_64:
        return ecr_assets.Platform.LINUX_AMD64
    return ecr_assets.Platform.LINUX_ARM64


def _require_tag(tag: str, agent: Construct) -> None:
    if not isinstance(tag, str) or (not cdk.Token.is_unresolved(tag) and not tag.strip()):
        raise ConstructsLibValidationError("InvalidImageTag", f"tag must be a non-empty string, got {tag!r}",
                                           agent.node.path)


__all__ = ["AgentArtifact"]
