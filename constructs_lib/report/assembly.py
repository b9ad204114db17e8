"""A synthesized app (a cloud assembly, ``cdk.out``) read as plain JSON: its stacks, templates and construct paths.

Reads what the CDK CLI reads: ``manifest.json`` and its artifacts (stacks, and the nested assemblies of stages), each
stack's template, the templates of its nested stacks, and the construct tree (``tree.json``). Plain Python: nothing here
starts the CDK, so a report on an assembly runs without Node.js.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The manifest file of a cloud assembly.
MANIFEST_FILE = "manifest.json"
#: Artifact types read here (the cloud assembly schema's names).
STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
TREE_ARTIFACT = "cdk:tree"
#: The resource type of a nested stack in its parent's template.
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
#: Resource metadata the CDK writes: the construct path, and the file of a nested stack's template.
PATH_METADATA = "aws:cdk:path"
ASSET_PATH_METADATA = "aws:asset:path"
#: How the tree marks an L1 resource's logical id, and the construct types that own templates.
_LOGICAL_ID_ATTRIBUTE = "aws:cdk:cloudformation:logicalId"
_STACK_TYPES = ("aws-cdk-lib.Stack", "aws-cdk-lib.NestedStack")
_UNKNOWN_ACCOUNT = "unknown-account"
_UNKNOWN_REGION = "unknown-region"


class AssemblyError(ValueError):
    """A directory that is not a readable cloud assembly (no manifest, a missing template)."""


@dataclass(frozen=True)
class StackTemplate:
    """One stack of a cloud assembly, or one nested stack.

    Attributes:
        key: unique within the assembly: the stack's construct path (a nested stack's too, when the tree names it).
        stack_name: the CloudFormation stack name (``None`` for a nested stack, whose name CloudFormation makes).
        account: the stack's account, or ``None`` when environment-agnostic.
        region: the stack's region, or ``None`` when environment-agnostic.
        template: the CloudFormation template.
        parent: the key of the parent stack for a nested stack, else ``None``.
        parent_resource: the logical id of the nested stack's resource in its parent's template.
        construct_paths: the construct path of each resource, by logical id (from the template's path metadata, else
            from the construct tree; resources found in neither are missing).
    """

    key: str
    stack_name: str | None
    account: str | None
    region: str | None
    template: Mapping[str, Any]
    parent: str | None = None
    parent_resource: str | None = None
    construct_paths: Mapping[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """The template's resources, by logical id."""
        resources: Mapping[str, Mapping[str, Any]] = self.template.get("Resources") or {}
        return resources

    def path_of(self, logical_id: str) -> str:
        """The construct path of a resource relative to its stack, without trailing ``Resource`` segments.

        Falls back to the logical id when neither the template nor the tree names the resource.
        """
        path = self.construct_paths.get(logical_id)
        if path is None:
            return logical_id
        parts = path.split("/")
        prefix = self.key.split("/")
        if parts[: len(prefix)] == prefix:
            parts = parts[len(prefix):]
        while len(parts) > 1 and parts[-1] == "Resource":
            parts = parts[:-1]
        return "/".join(parts) or logical_id


@dataclass(frozen=True)
class CloudAssembly:
    """The stacks of a synthesized app, parents before their nested stacks, in manifest order.

    Attributes:
        directory: the assembly's directory.
        stacks: every stack and nested stack.
    """

    directory: Path
    stacks: tuple[StackTemplate, ...]

    def stack(self, key: str) -> StackTemplate:
        """The stack with ``key``."""
        return next(s for s in self.stacks if s.key == key)


def is_cloud_assembly(directory: str | Path) -> bool:
    """Whether ``directory`` holds a cloud assembly (a ``manifest.json``)."""
    return (Path(directory) / MANIFEST_FILE).is_file()


def read_assembly(directory: str | Path) -> CloudAssembly:
    """Read the cloud assembly in ``directory`` (a ``cdk.out``), nested assemblies and nested stacks included.

    Raises:
        AssemblyError: when the directory has no manifest or a template it names is missing.
    """
    root = Path(directory)
    if not is_cloud_assembly(root):
        raise AssemblyError(f"{root} is not a cloud assembly: it has no {MANIFEST_FILE}")
    manifest = _load(root / MANIFEST_FILE)
    tree = _TreeIndex.of(root, manifest)
    return CloudAssembly(root, tuple(_stacks(root, manifest, tree)))


def _stacks(directory: Path, manifest: Mapping[str, Any], tree: _TreeIndex) -> Iterator[StackTemplate]:
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        kind, properties = artifact.get("type"), artifact.get("properties") or {}
        if kind == NESTED_ASSEMBLY_ARTIFACT:
            nested = directory / properties["directoryName"]
            yield from _stacks(nested, _load(nested / MANIFEST_FILE), tree)
        elif kind == STACK_ARTIFACT:
            account, region = _environment(artifact.get("environment", ""))
            key = artifact.get("displayName") or artifact_id
            template = _load(directory / properties["templateFile"])
            stack = StackTemplate(
                key, properties.get("stackName") or artifact_id, account, region, template,
                construct_paths=tree.paths(key, template),
            )
            yield stack
            yield from _nested(directory, stack, tree)


def _nested(directory: Path, parent: StackTemplate, tree: _TreeIndex) -> Iterator[StackTemplate]:
    for logical_id, resource in parent.resources.items():
        if resource.get("Type") != NESTED_STACK_TYPE:
            continue
        template_file = _nested_template_file(directory, resource)
        if template_file is None:
            continue
        template = _load(template_file)
        key = tree.owner_under(parent.key, template) or f"{parent.key}/{parent.path_of(logical_id)}"
        stack = StackTemplate(
            key, None, parent.account, parent.region, template, parent=parent.key, parent_resource=logical_id,
            construct_paths=tree.paths(key, template),
        )
        yield stack
        yield from _nested(directory, stack, tree)


def _nested_template_file(directory: Path, resource: Mapping[str, Any]) -> Path | None:
    """The file of a nested stack's template: from the asset metadata the CLI asks for, else from the asset manifests.

    Without the CLI's asset metadata, the template URL names the asset by its hash, and an asset manifest of the
    assembly gives the file of that hash.
    """
    recorded = (resource.get("Metadata") or {}).get(ASSET_PATH_METADATA)
    if isinstance(recorded, str):
        return directory / recorded
    url = json.dumps((resource.get("Properties") or {}).get("TemplateURL"))
    for assets_file in sorted(directory.glob("*.assets.json")):
        for asset_hash, asset in (_load(assets_file).get("files") or {}).items():
            source = (asset.get("source") or {}).get("path", "")
            if asset_hash in url and isinstance(source, str) and source.endswith(".template.json"):
                return directory / source
    return None


def _environment(environment: str) -> tuple[str | None, str | None]:
    account, _, region = environment.removeprefix("aws://").partition("/")
    return (
        None if account in ("", _UNKNOWN_ACCOUNT) else account,
        None if region in ("", _UNKNOWN_REGION) else region,
    )


def _load(path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise AssemblyError(f"the cloud assembly names {path}, which does not exist") from error
    return document


@dataclass(frozen=True)
class _TreeIndex:
    """Construct paths from ``tree.json``: each L1 resource by (the path of the stack owning it, logical id)."""

    by_owner: Mapping[tuple[str, str], str]

    @classmethod
    def of(cls, directory: Path, manifest: Mapping[str, Any]) -> _TreeIndex:
        tree_file = next(
            (
                directory / (a.get("properties") or {}).get("file", "tree.json")
                for a in (manifest.get("artifacts") or {}).values()
                if a.get("type") == TREE_ARTIFACT
            ),
            None,
        )
        index: dict[tuple[str, str], str] = {}
        if tree_file is not None and tree_file.is_file():
            _walk(_load(tree_file).get("tree") or {}, "", index)
        return cls(index)

    def paths(self, stack_key: str, template: Mapping[str, Any]) -> dict[str, str]:
        """The construct path of each resource of a template: its path metadata, else the tree's entry."""
        paths = {}
        for logical_id, resource in (template.get("Resources") or {}).items():
            recorded = (resource.get("Metadata") or {}).get(PATH_METADATA)
            found = recorded if isinstance(recorded, str) else self.by_owner.get((stack_key, logical_id))
            if found is not None:
                paths[logical_id] = found
        return paths

    def owner_under(self, parent_key: str, template: Mapping[str, Any]) -> str | None:
        """The path of the nested stack under ``parent_key`` that owns the resources of ``template``."""
        logical_ids = set(template.get("Resources") or {})
        owners = sorted(
            {owner for owner, logical_id in self.by_owner if logical_id in logical_ids
             and owner.startswith(parent_key + "/")}
        )
        return owners[0] if len(owners) == 1 else None


def _walk(node: Mapping[str, Any], owner: str, index: dict[tuple[str, str], str]) -> None:
    path = node.get("path", "")
    if (node.get("constructInfo") or {}).get("fqn") in _STACK_TYPES:
        owner = path
    logical_id = (node.get("attributes") or {}).get(_LOGICAL_ID_ATTRIBUTE)
    if isinstance(logical_id, str):
        index[(owner, logical_id)] = path
    for child in (node.get("children") or {}).values():
        _walk(child, owner, index)


__all__ = [
    "MANIFEST_FILE",
    "AssemblyError",
    "CloudAssembly",
    "StackTemplate",
    "is_cloud_assembly",
    "read_assembly",
]
