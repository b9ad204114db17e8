"""The environment a function sees in the sandbox: its own variables, Lambda's, fake credentials, local endpoints.

Nothing here may reach AWS. boto3 finds each stand-in through the standard service-specific endpoint
variable (``AWS_ENDPOINT_URL_<SERVICE ID>``, the name derived from the botocore model's ``serviceId``), every
other service through ``AWS_ENDPOINT_URL`` (the :class:`tests.harness.tripwire.Tripwire`), credentials are
fake, shared config files and the instance metadata service are off, and :func:`check_loopback` refuses an
environment in which any URL points anywhere but 127.0.0.1 (a callback URL left at ``execute-api``...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.harness._servers import HarnessError
from tests.harness.assembly import FunctionSpec
from tests.harness.service_model import load_service_model

#: The fake credentials every sandbox gets.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def endpoint_variable(service_name: str) -> str:
    """boto3's service-specific endpoint variable: ``AWS_ENDPOINT_URL_`` + the model's ``serviceId``."""
    service_id = str(load_service_model(service_name).service_id)
    return "AWS_ENDPOINT_URL_" + service_id.replace(" ", "_").upper()


@dataclass(frozen=True)
class AwsEnvironment:
    """Account, region and where each AWS service is served locally.

    Attributes:
        account: the account id.
        region: the region.
        endpoints: botocore service name (``bedrock-agentcore``, ``dynamodb``...) to a loopback URL.
        default_endpoint: the URL every other service resolves to (``AWS_ENDPOINT_URL``).
        xray_daemon_address: where the X-Ray SDK sends segments (``AWS_XRAY_DAEMON_ADDRESS``, UDP on loopback).
    """

    account: str
    region: str
    endpoints: Mapping[str, str] = field(default_factory=dict)
    default_endpoint: str = ""
    xray_daemon_address: str = "127.0.0.1:2000"

    def variables(self) -> dict[str, str]:
        """Region, fake credentials, no shared config or metadata service, and the endpoint variables."""
        variables = {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            **FAKE_CREDENTIALS,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_XRAY_DAEMON_ADDRESS": self.xray_daemon_address,
        }
        if self.default_endpoint:
            variables["AWS_ENDPOINT_URL"] = self.default_endpoint
        for service, url in self.endpoints.items():
            variables[endpoint_variable(service)] = url
        return variables


def lambda_variables(
    spec: FunctionSpec, *, function_name: str, runtime_api: str, import_path: Sequence[Path]
) -> dict[str, str]:
    """The variables Lambda itself sets for a Python function (see "Defined runtime environment variables").

    ``import_path`` is the function's asset, its layers' ``python`` directories and the runtime's libraries
    (:mod:`tests.harness.layers`). The interpreter runs with ``-S`` (no ``site``), so ``.pth`` files, such as the
    editable install of this repository, are not processed: the repository's package cannot shadow the asset's modules.
    """
    return {
        "_HANDLER": spec.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]harness",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "LAMBDA_TASK_ROOT": str(spec.asset_dir),
        "LAMBDA_RUNTIME_DIR": str(import_path[-1]),
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": ":".join(str(path) for path in import_path),
        "PYTHONDONTWRITEBYTECODE": "1",  # the asset directory stays as synthesized
        "TZ": ":UTC",
    }


def check_loopback(environment: Mapping[str, str]) -> None:
    """Refuse an environment with a URL whose host is not loopback, or without a default endpoint.

    Raises:
        HarnessError: naming each offending variable.
    """
    problems = []
    for name, value in sorted(environment.items()):
        if not isinstance(value, str):
            problems.append(f"{name} is {type(value).__name__}, not a string: {value!r}")
        elif _URL.match(value) and urlsplit(value).hostname not in _LOOPBACK_HOSTS:
            problems.append(f"{name}={value} points outside this machine; override it with a stand-in URL")
    if not environment.get("AWS_ENDPOINT_URL"):
        problems.append("AWS_ENDPOINT_URL is not set: a service without a stand-in would resolve to AWS")
    if problems:
        raise HarnessError("refusing to start the function: " + "; ".join(problems))
