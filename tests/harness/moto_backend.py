"""moto's server on 127.0.0.1 for DynamoDB, S3, KMS, SSM and the AgentCore control plane, and the tables, buckets,
keys and parameters a synthesized template declares, created in it from the template's own properties.

One server per test process (a session fixture): it starts in about half a second and keeps its state in
memory, so every resource gets a name unique to the test module (:class:`tests.harness.bindings.Bindings`).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Mapping
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from tests.harness._servers import LOOPBACK
from tests.harness.bindings import Bindings

#: Fake credentials: moto accepts any, and nothing here may carry real ones.
FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_TABLE_KEYS = ("KeySchema", "AttributeDefinitions", "BillingMode", "ProvisionedThroughput",
               "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification")


class MotoBackend:
    """A ``ThreadedMotoServer`` bound to 127.0.0.1 on an ephemeral port.

    Args:
        region: the region of the clients :meth:`client` makes.
    """

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region
        self._server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        self._url: str | None = None
        self._clients: dict[str, Any] = {}

    def start(self) -> MotoBackend:
        """Start the server (its request log is silenced)."""
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self._url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        """Stop the server."""
        self._server.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the endpoint of every service moto serves."""
        if self._url is None:
            raise RuntimeError("the moto server is not started")
        return self._url

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` on this server, with fake credentials (one per service, reused)."""
        if service not in self._clients:
            session = boto3.session.Session(region_name=self.region, **FAKE_CREDENTIALS)
            self._clients[service] = session.client(service, endpoint_url=self.url)
        return self._clients[service]

    # -- resources of a template -----------------------------------------------------------------------

    def create_template_resources(self, template: Mapping[str, Any], bindings: Bindings) -> dict[str, str]:
        """Create every DynamoDB table, S3 bucket, KMS key and SSM parameter of ``template``.

        Tables and buckets get the names ``bindings`` gives them. Key schema, attribute definitions, billing mode,
        indexes, streams and TTL are read from the template; bucket versioning too. A key is created with its
        template's ``KeySpec`` and ``KeyUsage``, and ``bindings`` then give its ``Ref``, ``Arn`` and ``KeyId`` the
        id moto assigned. A parameter gets its template's value and type. Returns ``{logical id: physical name or key
        id}``.
        """
        created: dict[str, str] = {}
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] == "AWS::KMS::Key":
                created[logical_id] = self._key(logical_id, resource.get("Properties", {}), bindings)
        makers = {"AWS::DynamoDB::Table": (self._table, (*_TABLE_KEYS, "TimeToLiveSpecification")),
                  "AWS::S3::Bucket": (self._bucket, ("VersioningConfiguration",)),
                  "AWS::SSM::Parameter": (self._parameter, ("Type", "Value", "Description"))}
        for logical_id, resource in template.get("Resources", {}).items():
            maker, keys = makers.get(resource["Type"], (None, ()))
            if maker is not None:
                properties = resource.get("Properties", {})
                used = bindings.resolve({k: properties[k] for k in keys if k in properties})
                created[logical_id] = maker(bindings.ref(logical_id), used)
        return created

    def _key(self, logical_id: str, properties: Mapping[str, Any], bindings: Bindings) -> str:
        chosen = {k: properties[k] for k in ("KeySpec", "KeyUsage") if k in properties}
        metadata = self.client("kms").create_key(**chosen)["KeyMetadata"]
        bindings.bind(logical_id, metadata["KeyId"], Arn=metadata["Arn"], KeyId=metadata["KeyId"])
        return str(metadata["KeyId"])

    def _table(self, name: str, properties: Mapping[str, Any]) -> str:
        dynamodb = self.client("dynamodb")
        dynamodb.create_table(TableName=name, **{k: properties[k] for k in _TABLE_KEYS if k in properties})
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        return name

    def _parameter(self, name: str, properties: Mapping[str, Any]) -> str:
        self.client("ssm").put_parameter(Name=name, Value=properties["Value"], Type=properties.get("Type", "String"),
                                         Overwrite=True)
        return name

    def _bucket(self, name: str, properties: Mapping[str, Any]) -> str:
        s3 = self.client("s3")
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        versioning = properties.get("VersioningConfiguration")
        if versioning:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=versioning)
        return name

    # -- moto's own controls ---------------------------------------------------------------------------

    def set_transition(self, model_name: str, transition: Mapping[str, Any]) -> None:
        """Set how a moto model moves between states (``{"progression": "manual", "times": 3}``), server-wide.

        See moto's state manager: ``bedrock-agentcore-control::agent_runtime`` is ``CREATING`` until read
        ``times`` times, for example. Undo with :meth:`unset_transition`.
        """
        self._moto_api("set-transition", {"model_name": model_name, "transition": dict(transition)})

    def unset_transition(self, model_name: str) -> None:
        """Back to moto's default progression for ``model_name``."""
        self._moto_api("unset-transition", {"model_name": model_name})

    def _moto_api(self, action: str, document: Mapping[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.url}/moto-api/state-manager/{action}", data=json.dumps(document).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()
