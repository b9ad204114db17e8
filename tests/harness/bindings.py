"""What each logical id of a synthesized template stands for on this machine: its ``Ref`` and attributes.

:meth:`Bindings.for_template` gives every resource of a known type the physical name and ARN that
CloudFormation would give it (a table name, a bucket name, a runtime id and ARN, an API id), unique per
:class:`Bindings` so that tests sharing one moto server never collide. Tests override a binding with
:meth:`Bindings.bind` (for example to the id moto's control plane gave a runtime). :meth:`Bindings.resolve`
then evaluates intrinsic functions (:mod:`tests.harness.intrinsics`) against these values.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Mapping
from typing import Any

from tests.harness.intrinsics import UnresolvedReference, evaluate

_ALPHABET = string.ascii_lowercase + string.digits
_Default = Callable[["Bindings", str, Mapping[str, Any]], tuple[str, dict[str, str]]]


def _token(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class Bindings:
    """Values of ``Ref``, ``Fn::GetAtt`` and the pseudo parameters for one stack.

    Args:
        account: the account id.
        region: the region.
        stack_name: the stack name (part of generated physical names).
        partition: the partition. Default: ``aws``.
    """

    def __init__(self, *, account: str, region: str, stack_name: str, partition: str = "aws") -> None:
        self.account, self.region, self.stack_name, self.partition = account, region, stack_name, partition
        #: A random suffix that makes this stack's physical names unique.
        self.suffix = _token(8)
        self._refs: dict[str, str] = {
            "AWS::AccountId": account, "AWS::Region": region, "AWS::Partition": partition,
            "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:{partition}:cloudformation:{region}:{account}:stack/{stack_name}/{self.suffix}",
        }
        self._attributes: dict[tuple[str, str], str] = {}
        self._types: dict[str, str] = {}

    @classmethod
    def for_template(cls, template: Mapping[str, Any], **kwargs: str) -> Bindings:
        """Bindings with a default physical name for every resource of a known type in ``template``."""
        bindings = cls(**kwargs)
        for logical_id, resource in template.get("Resources", {}).items():
            bindings._types[logical_id] = resource["Type"]
            default = _DEFAULTS.get(resource["Type"])
            if default is not None:
                ref, attributes = default(bindings, logical_id, resource.get("Properties", {}))
                bindings.bind(logical_id, ref, **attributes)
        return bindings

    def bind(self, logical_id: str, ref: str | None = None, **attributes: str) -> None:
        """Set what ``{"Ref": logical_id}`` and ``{"Fn::GetAtt": [logical_id, name]}`` evaluate to."""
        if ref is not None:
            self._refs[logical_id] = ref
        for name, value in attributes.items():
            self._attributes[(logical_id, name)] = value

    def ref(self, logical_id: str) -> str:
        """The value of ``Ref``."""
        if logical_id not in self._refs:
            raise UnresolvedReference(self._missing(logical_id, "Ref"))
        return self._refs[logical_id]

    def attribute(self, logical_id: str, name: str) -> str:
        """The value of ``Fn::GetAtt``."""
        if (logical_id, name) not in self._attributes:
            raise UnresolvedReference(self._missing(logical_id, f"Fn::GetAtt {name}"))
        return self._attributes[(logical_id, name)]

    def resolve(self, value: Any) -> Any:
        """``value`` with its intrinsic functions evaluated against these bindings."""
        return evaluate(value, self.ref, self.attribute)

    def _missing(self, logical_id: str, what: str) -> str:
        kind = self._types.get(logical_id, "not in the template")
        return f"no value for {what} of {logical_id} ({kind}); bind it with Bindings.bind({logical_id!r}, ...)"

    # -- naming ----------------------------------------------------------------------------------------

    def physical_name(self, logical_id: str, *, lower: bool = False, max_length: int = 255) -> str:
        """A CloudFormation-style generated name: ``<stack>-<logical id>-<suffix>``."""
        name = f"{self.stack_name}-{logical_id}-{self.suffix}"
        return (name.lower() if lower else name)[-max_length:].lstrip("-")

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        """An ARN in this stack's partition, region and account."""
        return (f"arn:{self.partition}:{service}:{self.region if region else ''}:"
                f"{self.account if account else ''}:{resource}")


def _table(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    name = props.get("TableName") or b.physical_name(logical_id)
    arn = b.arn("dynamodb", f"table/{name}")
    return name, {"Arn": arn, "StreamArn": f"{arn}/stream/2026-01-01T00:00:00.000"}


def _bucket(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    name = props.get("BucketName") or b.physical_name(logical_id, lower=True, max_length=63)
    return name, {"Arn": f"arn:{b.partition}:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com",
                  "RegionalDomainName": f"{name}.s3.{b.region}.amazonaws.com"}


def _runtime(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    runtime_id = f"{props.get('AgentRuntimeName', logical_id)}-{_token(10)}"
    arn = b.arn("bedrock-agentcore", f"runtime/{runtime_id}")
    return runtime_id, {"AgentRuntimeId": runtime_id, "AgentRuntimeArn": arn, "AgentRuntimeVersion": "1",
                        "Status": "READY"}


def _api(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    api_id = _token(10)
    return api_id, {"ApiId": api_id, "RootResourceId": _token(10),
                    "ApiEndpoint": f"https://{api_id}.execute-api.{b.region}.amazonaws.com"}


def _function(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    name = props.get("FunctionName") or b.physical_name(logical_id, max_length=64)
    return name, {"Arn": b.arn("lambda", f"function:{name}")}


def _role(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    name = props.get("RoleName") or b.physical_name(logical_id, max_length=64)
    return name, {"Arn": b.arn("iam", f"role/{name}", region=False), "RoleId": f"AROA{_token(17).upper()}"}


def _topic(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    name = props.get("TopicName") or b.physical_name(logical_id, max_length=256)
    arn = b.arn("sns", name)
    return arn, {"TopicArn": arn, "TopicName": name}


def _state_machine(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    name = props.get("StateMachineName") or b.physical_name(logical_id, max_length=80)
    arn = b.arn("states", f"stateMachine:{name}")
    return arn, {"Arn": arn, "Name": name}


def _queue(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    name = props.get("QueueName") or b.physical_name(logical_id, max_length=80)
    return f"https://sqs.{b.region}.amazonaws.com/{b.account}/{name}", {"Arn": b.arn("sqs", name), "QueueName": name}


def _log_group(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    name = props.get("LogGroupName") or b.physical_name(logical_id, max_length=512)
    return name, {"Arn": b.arn("logs", f"log-group:{name}:*")}


def _key(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    key_id = secrets.token_hex(16)
    return key_id, {"Arn": b.arn("kms", f"key/{key_id}"), "KeyId": key_id}


def _parameter(b: Bindings, logical_id: str, props: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    # Under a prefix unique to these bindings: modules sharing one moto server never share a parameter.
    name = f"/{b.stack_name}-{b.suffix}{props.get('Name') or '/' + logical_id}"
    return name, {"Type": str(props.get("Type", "String")), "Value": str(props.get("Value", ""))}


_DEFAULTS: Mapping[str, _Default] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::S3::Bucket": _bucket,
    "AWS::BedrockAgentCore::Runtime": _runtime,
    "AWS::ApiGateway::RestApi": _api,
    "AWS::ApiGatewayV2::Api": _api,
    "AWS::Lambda::Function": _function,
    "AWS::IAM::Role": _role,
    "AWS::SNS::Topic": _topic,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::SQS::Queue": _queue,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::KMS::Key": _key,
    "AWS::SSM::Parameter": _parameter,
}

__all__ = ["Bindings", "UnresolvedReference"]
