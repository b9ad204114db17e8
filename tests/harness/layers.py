"""What a function can import in Lambda: its code, its layers, and the Python runtime's own libraries, nothing else.

A sandbox's import path is built the way Lambda builds it: the function's asset (``/var/task``), then each layer's
``python`` directory in the template's order (``/opt/python``), then the runtime's libraries (``/var/runtime``). The
directories are made of symbolic links into this interpreter's installed distributions, so the versions are this
machine's, and only what the runtime or a layer ships is importable:

- **the runtime** (:data:`RUNTIME_DISTRIBUTIONS`): the runtime interface client ``awslambdaric`` and its dependencies,
  and the AWS SDK Lambda's Python runtimes include (``boto3``, ``botocore`` and theirs);
- **a layer** the template names by the public SSM parameter its publisher documents
  (:data:`KNOWN_LAYERS`): today the official Powertools for AWS Lambda (Python) layer,
  ``/aws/service/powertools/python/<arch>/<python>/<version>``. The sandbox refuses a layer whose version is not the
  installed one (it could not load the same code as Lambda) and a layer it does not know.

Documented substitution: the layer is published per Python version and architecture; the sandbox runs this machine's
interpreter, so it links the installed pure-Python distributions of the same release instead.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.harness._servers import HarnessError

#: Distributions Lambda's Python runtime provides (the runtime interface client, the AWS SDK, their dependencies).
RUNTIME_DISTRIBUTIONS = (
    "awslambdaric", "simplejson", "snapshot-restore-py",
    "boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six",
)


@dataclass(frozen=True)
class KnownLayer:
    """A public layer the sandbox can provide.

    Attributes:
        parameter: the SSM parameter names of the layer (a regular expression with a ``version`` group).
        distribution: the distribution whose installed version must be the layer's.
        distributions: what the layer holds (the distribution and what its used features import).
    """

    parameter: re.Pattern[str]
    distribution: str
    distributions: tuple[str, ...]


#: The layers the sandbox knows, by what the template resolves their ARN from.
KNOWN_LAYERS = (
    KnownLayer(
        parameter=re.compile(r"^/aws/service/powertools/python/(arm64|x86_64)/python3\.\d+/(?P<version>[0-9.]+)$"),
        distribution="aws-lambda-powertools",
        # The layer holds Powertools with its extras; the tracer's are the ones the library's handlers import.
        distributions=("aws-lambda-powertools", "aws-xray-sdk", "wrapt", "typing-extensions"),
    ),
)


def _link_distributions(names: Sequence[str], target: Path) -> Path:
    """``target`` with a link to every top-level module, package and metadata directory of ``names``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        distribution = importlib.metadata.distribution(name)
        for top in {f.parts[0] for f in distribution.files or () if f.parts and f.parts[0] != ".."}:
            source = Path(str(distribution.locate_file(top)))
            link = target / top
            if source.exists() and not link.exists() and not top.startswith("__pycache__"):
                link.symlink_to(source, target_is_directory=source.is_dir())
    if (target / "constructs_lib").exists():
        raise HarnessError(f"{target} holds constructs_lib: the sandbox could import the repository package")
    return target


def runtime_directory(workdir: Path) -> Path:
    """The runtime's libraries (``/var/runtime``), under ``workdir``."""
    return _link_distributions(RUNTIME_DISTRIBUTIONS, workdir / "var-runtime")


def layer_directories(layers: Sequence[str], workdir: Path) -> list[Path]:
    """The ``python`` directory of each layer of a function, in order, under ``workdir``.

    Args:
        layers: the SSM parameters the function's layer ARNs resolve from (:attr:`FunctionSpec.layers`).
        workdir: where the directories go.

    Raises:
        HarnessError: a layer the sandbox does not know, or a version that is not the installed one.
    """
    directories = []
    for index, name in enumerate(layers):
        for known in KNOWN_LAYERS:
            found = known.parameter.fullmatch(name)
            if found is None:
                continue
            installed = importlib.metadata.version(known.distribution)
            if found["version"] != installed:
                raise HarnessError(f"layer {name} is {known.distribution} {found['version']}, but {installed} is "
                                   "installed: the sandbox could not load the code Lambda would")
            directories.append(_link_distributions(known.distributions, workdir / f"opt-layer-{index}" / "python"))
            break
        else:
            known_names = [k.distribution for k in KNOWN_LAYERS]
            raise HarnessError(f"layer {name} is not one the sandbox can provide (it knows {known_names})")
    return directories


__all__ = ["KNOWN_LAYERS", "RUNTIME_DISTRIBUTIONS", "KnownLayer", "layer_directories", "runtime_directory"]
