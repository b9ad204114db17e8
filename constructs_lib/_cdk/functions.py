"""Lambda functions the library creates: one secure shape for tools and for the pipeline's helpers.

Every function gets its own role (no AWS managed policy), an explicit log group with a retention, X-Ray
tracing, the ARM64 architecture and, when asked, an encrypted, TLS-only dead-letter queue for
asynchronous invocations. The cdk-nag acknowledgments of what cannot be scoped sit next to the code
that creates it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from constructs_lib._cdk import nag
from constructs_lib._cdk.scope import catalog_for
from constructs_lib.limits.catalog import QuotaName

#: The folder of the library's Lambda handlers (each function packages only the modules it needs).
HANDLERS_DIR = Path(__file__).resolve().parent.parent / "handlers"
#: The handler contract (environment names, session-id rule, error map), packaged beside every handler.
CONTRACT_MODULE = "contract.py"
#: The newest Python runtime Lambda offers in aws-cdk-lib 2.275 (cdk-nag AwsSolutions-L1 asks for it).
DEFAULT_PYTHON_RUNTIME = lambda_.Runtime.PYTHON_3_14
#: Log retention of the library's functions unless the user chooses another.
DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
#: The Powertools for AWS Lambda (Python) release the handlers use: the version of its official layer, and the version
#: the tests run the handlers with (pinned in constraints.txt; the test harness refuses a layer of another version).
POWERTOOLS_VERSION = "3.37.0"


def powertools_layer_parameter(runtime: lambda_.Runtime = DEFAULT_PYTHON_RUNTIME) -> str:
    """The public SSM parameter naming the official Powertools layer for ``runtime`` on ARM64, at
    :data:`POWERTOOLS_VERSION` (``/aws/service/powertools/python/<arch>/<python version>/<version>``).

    See: https://docs.aws.amazon.com/powertools/python/latest/getting-started/lambda-layers/
    """
    return f"/aws/service/powertools/python/arm64/{runtime.name}/{POWERTOOLS_VERSION}"


def powertools_layer(scope: Construct, runtime: lambda_.Runtime = DEFAULT_PYTHON_RUNTIME) -> lambda_.ILayerVersion:
    """The official Powertools layer, its ARN resolved per region from the public SSM parameter when the stack deploys
    (a CloudFormation parameter of type ``AWS::SSM::Parameter::Value<String>``, one per stack and parameter).

    Powertools publishes the layer and the parameter in every commercial region; the layer holds Powertools and the
    dependencies of its tracer, validation and parser utilities.
    """
    stack = cdk.Stack.of(scope)
    construct_id = f"PowertoolsLayer{runtime.name.replace('.', '')}"
    existing = stack.node.try_find_child(construct_id)
    if existing is not None:
        return existing  # type: ignore[return-value]  # created below, by this function
    arn = ssm.StringParameter.value_for_string_parameter(stack, powertools_layer_parameter(runtime))
    return lambda_.LayerVersion.from_layer_version_arn(stack, construct_id, arn)


def handler_code(*files: str) -> lambda_.Code:
    """The asset of a library handler: ``files`` of the handlers folder and the contract module, nothing else.

    Args:
        files: file names in :data:`HANDLERS_DIR` (the handler module first, then what it imports).

    Raises:
        ValueError: a named file does not exist (a packaging mistake of the library, caught by its tests).
    """
    names = (*files, CONTRACT_MODULE)
    missing = [name for name in names if not (HANDLERS_DIR / name).is_file()]
    if missing:
        raise ValueError(f"handler files not found in {HANDLERS_DIR}: {', '.join(missing)}")
    return lambda_.Code.from_asset(str(HANDLERS_DIR), exclude=["*", *(f"!{name}" for name in names)])


@dataclass(frozen=True)
class SecureFunction:
    """What :func:`secure_function` created."""

    function: lambda_.Function
    role: iam.Role
    log_group: logs.LogGroup
    dead_letter_queue: sqs.Queue | None


def secure_function(
    scope: Construct,
    *,
    purpose: str,
    code: lambda_.Code,
    handler: str,
    runtime: lambda_.Runtime,
    timeout: cdk.Duration,
    memory_size: int | None = None,
    environment: Mapping[str, str] | None = None,
    reserved_concurrent_executions: int | None = None,
    log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
    dead_letter_queue: bool = True,
    description: str | None = None,
    layers: Sequence[lambda_.ILayerVersion] | None = None,
    function_id: str = "Function",
) -> SecureFunction:
    """Create ``ServiceRole``, ``LogGroup``, optionally ``DeadLetterQueue``, and the function under ``scope``.

    Args:
        scope: the construct that owns the function (children get fixed ids).
        purpose: a few words naming the function, used in acknowledgment reasons.
        code: the function code.
        handler: the handler (``module.function``).
        runtime: the Lambda runtime.
        timeout: the function timeout.
        memory_size: memory in MiB. Default: Lambda's default (128 MiB).
        environment: environment variables.
        reserved_concurrent_executions: reserved concurrency. Default: none (unreserved pool).
        log_retention: retention of the function's log group.
        dead_letter_queue: create an SQS dead-letter queue for asynchronous invocations (retained when the stack
            deletes it: its messages are the only record of the events that failed).
        description: the function description.
        layers: layers of the function (:func:`powertools_layer` for handlers on Powertools). Default: none.
        function_id: the construct id of the function (``Resource`` when it is the owner's primary resource).
    """
    # Own role without AWSLambdaBasicExecutionRole: log writes are granted on this function's group only.
    role = iam.Role(
        scope,
        "ServiceRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"execution role of the {purpose}",
    )
    log_group = logs.LogGroup(
        scope,
        "LogGroup",
        retention=log_retention,
        # Logs are operational data of a replaceable function: they go with the stack.
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    queue: sqs.Queue | None = None
    if dead_letter_queue:
        queue = sqs.Queue(
            scope,
            "DeadLetterQueue",
            # Failed events may carry business data: encrypted at rest, TLS only, kept the longest SQS allows.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.seconds(
                catalog_for(scope).value(QuotaName.SQS_MESSAGE_RETENTION_MAXIMUM)
            ),
            # Dead letters are stateful: deleting the stack must not delete the only record of what failed.
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
    function = lambda_.Function(
        scope,
        function_id,
        code=code,
        handler=handler,
        runtime=runtime,
        architecture=lambda_.Architecture.ARM_64,
        timeout=timeout,
        memory_size=memory_size,
        environment=dict(environment) if environment else None,
        reserved_concurrent_executions=reserved_concurrent_executions,
        role=role,
        log_group=log_group,
        tracing=lambda_.Tracing.ACTIVE,
        dead_letter_queue=queue,
        description=description,
        layers=list(layers) if layers else None,
    )
    log_group.grant_write(role)
    nag.acknowledge(
        role, "AwsSolutions-IAM5", ["Resource::*"],
        f"{purpose}: X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) support no "
        "resource-level permissions",
    )
    return SecureFunction(function, role, log_group, queue)
