"""A synthesized stack read back from its cloud assembly: the template, and each function's code and settings.

A function's code is found the way the CDK CLI publishes it: the ``S3Key`` of its ``Code`` names a file
asset (``<hash>.zip``), and the stack's asset manifest (``<stack>.assets.json``) maps that hash to the
staged directory in the assembly (``asset.<hash>``). That directory, not the repository package, is what
the harness runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from tests.harness._servers import HarnessError

#: Lambda's defaults when the template leaves them out.
DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128


@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Lambda::Function`` of a synthesized template, as Lambda would run it.

    Attributes:
        logical_id: its logical id.
        handler: ``module.function``.
        runtime: ``python3.14``...
        timeout_seconds: the function timeout.
        memory_mb: the memory size.
        environment: ``Environment.Variables`` as synthesized (intrinsics unresolved).
        asset_dir: the staged code directory in the cloud assembly (``/var/task`` in Lambda).
        layers: for each of ``Layers``, in order, the public SSM parameter its ARN is resolved from when the stack
            deploys (the template's ``AWS::SSM::Parameter::Value<String>`` parameter default).
    """

    logical_id: str
    handler: str
    runtime: str
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, Any]
    asset_dir: Path
    layers: tuple[str, ...] = ()

    @property
    def exec_wrapper(self) -> str | None:
        """``AWS_LAMBDA_EXEC_WRAPPER`` as set by the template, if any."""
        value = self.environment.get("AWS_LAMBDA_EXEC_WRAPPER")
        return value if isinstance(value, str) else None

    def files(self) -> list[str]:
        """The files the asset holds, relative to its root, sorted."""
        return sorted(str(p.relative_to(self.asset_dir)) for p in self.asset_dir.rglob("*") if p.is_file())


class SynthesizedStack:
    """A stack's template and assets in a cloud assembly directory.

    Args:
        assembly_dir: the cloud assembly directory (``app.synth().directory``).
        artifact_id: the stack's artifact id (``stack.artifact_id``).
        stack_name: the stack name. Default: the artifact id.
    """

    def __init__(self, assembly_dir: Path | str, artifact_id: str, stack_name: str | None = None) -> None:
        self.directory = Path(assembly_dir)
        self.artifact_id = artifact_id
        self.stack_name = stack_name or artifact_id
        manifest = json.loads((self.directory / "manifest.json").read_text())
        artifact = manifest["artifacts"][artifact_id]
        self.account, self.region = _environment(artifact.get("environment", ""))
        template_file = self.directory / artifact["properties"]["templateFile"]
        self.template: dict[str, Any] = json.loads(template_file.read_text())
        assets = manifest["artifacts"].get(f"{artifact_id}.assets")
        self._assets: dict[str, Any] = (
            json.loads((self.directory / assets["properties"]["file"]).read_text()).get("files", {}) if assets else {}
        )

    @classmethod
    def synth(cls, stack: cdk.Stack) -> SynthesizedStack:
        """Synthesize the app of ``stack`` (once per app: CDK caches the assembly) and read ``stack`` back."""
        stage = cdk.Stage.of(stack)
        if stage is None:
            raise HarnessError(f"{stack.stack_name} is not in an app")
        assembly = stage.synth()
        return cls(assembly.directory, stack.artifact_id, stack.stack_name)

    @staticmethod
    def logical_id(construct: Any) -> str:
        """The logical id of a construct's CloudFormation resource (its default child for an L2)."""
        cfn = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
        return str(cdk.Stack.of(cfn).resolve(cfn.logical_id))

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """The template's resources of one type, by logical id."""
        return {k: v for k, v in self.template.get("Resources", {}).items() if v["Type"] == resource_type}

    def function(self, target: Any) -> FunctionSpec:
        """The function ``target`` names: a logical id, or the construct (``lambda_.Function`` or its L1)."""
        logical_id = target if isinstance(target, str) else self.logical_id(target)
        resource = self.template.get("Resources", {}).get(logical_id)
        if resource is None or resource["Type"] != "AWS::Lambda::Function":
            raise HarnessError(f"{logical_id} is not an AWS::Lambda::Function of {self.artifact_id}")
        properties = resource["Properties"]
        runtime = str(properties.get("Runtime", ""))
        if not runtime.startswith("python3"):
            raise HarnessError(f"{logical_id} runs {runtime or 'a container image'}; the harness runs Python functions")
        return FunctionSpec(
            logical_id=logical_id,
            handler=properties["Handler"],
            runtime=runtime,
            timeout_seconds=int(properties.get("Timeout", DEFAULT_TIMEOUT_SECONDS)),
            memory_mb=int(properties.get("MemorySize", DEFAULT_MEMORY_MB)),
            environment=dict(properties.get("Environment", {}).get("Variables", {})),
            asset_dir=self._asset_dir(logical_id, properties.get("Code", {})),
            layers=tuple(self._layer_parameter(logical_id, layer) for layer in properties.get("Layers", [])),
        )

    def _layer_parameter(self, logical_id: str, layer: Any) -> str:
        """The SSM parameter a layer ARN resolves from (``Ref`` to an ``AWS::SSM::Parameter::Value<String>``)."""
        parameters = self.template.get("Parameters", {})
        if isinstance(layer, Mapping) and set(layer) == {"Ref"}:
            parameter = parameters.get(layer["Ref"], {})
            if str(parameter.get("Type", "")).startswith("AWS::SSM::Parameter::Value") and "Default" in parameter:
                return str(parameter["Default"])
        raise HarnessError(f"{logical_id}: layer {layer!r} is not resolved from a public SSM parameter")

    def _asset_dir(self, logical_id: str, code: Mapping[str, Any]) -> Path:
        key = code.get("S3Key")
        if not isinstance(key, str) or not key.endswith(".zip"):
            raise HarnessError(f"{logical_id}: code {code!r} is not a file asset of this assembly")
        asset = self._assets.get(key[: -len(".zip")])
        if asset is None or asset["source"].get("packaging") != "zip":
            raise HarnessError(f"{logical_id}: asset {key} is not in the stack's asset manifest")
        path = self.directory / str(asset["source"]["path"])
        if not path.is_dir():
            raise HarnessError(f"{logical_id}: asset {path} is not a staged directory")
        return path


def _environment(value: str) -> tuple[str, str]:
    """``aws://<account>/<region>`` of a stack artifact (``unknown-...`` when environment-agnostic)."""
    account, _, region = value.removeprefix("aws://").partition("/")
    return account, region
