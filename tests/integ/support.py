"""What the integ apps share: the stack they deploy into, the signed API client, and the expected answers.

The integ apps (``integ.<scenario>.py`` beside this module) are ordinary CDK apps: the runner
(:mod:`tests.integ.runner`) synthesizes them with the pinned CDK CLI from the repository root, so cdk.json's
feature flags apply, as they do to a user's app. They import this module as ``tests.integ.support`` (the runner puts
the repository root on ``PYTHONPATH``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import integ_tests_alpha as integ
from constructs import Construct

from constructs_lib import AgentArtifact, AgentCoreAgent, WorkloadProfile
from constructs_lib.serving.api_facade import AgentApiFacade

ROOT = Path(__file__).resolve().parents[2]
#: The reference research agent: direct code whose dependencies ``AgentArtifact.from_code`` installs at synth.
RESEARCH_AGENT = ROOT / "stacks" / "agents" / "research"
#: The research agent's answer to a prompt (``research()`` in its main.py).
RESEARCH_ANSWER = "research agent received: {prompt}"
CLIENTS_DIR = Path(__file__).resolve().parent / "clients"


def integ_stack(app: cdk.App, stack_name: str, *, keep_buckets: bool = False) -> cdk.Stack:
    """An environment-agnostic stack whose resources go with it when the test destroys it.

    The library retains stateful resources by default; a test deployment must not leave them behind, so every
    resource gets ``DeletionPolicy: Delete`` here. With ``keep_buckets``, S3 buckets keep the library's RETAIN:
    CloudFormation cannot delete a bucket that holds objects, and the version archive's documents (and its access
    logs, delivered late) are such objects. The runner lists what a destroy leaves behind.
    """
    stack = cdk.Stack(app, stack_name, description=f"constructs_lib integration test {stack_name}")
    excluded = ["AWS::S3::Bucket"] if keep_buckets else None
    cdk.RemovalPolicies.of(stack).destroy(exclude_resource_types=excluded)
    return stack


class SignedApiClient(Construct):
    """Defines a Lambda function that calls an IAM-authenticated facade with SigV4, for assertions.

    The function (``clients/signed_request.py``) gets ``execute-api:Invoke`` on the facade's stage through
    ``grant_invoke_api``, as any caller would; the job API records it as the owner of the jobs it starts.

    Args:
        scope: parent construct.
        construct_id: construct id.
        api: the facade to call.
    """

    def __init__(self, scope: Construct, construct_id: str, *, api: AgentApiFacade) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(self, "LogGroup", retention=logs.RetentionDays.ONE_WEEK)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler="signed_request.handler",
            code=lambda_.Code.from_asset(str(CLIENTS_DIR), exclude=["*", "!signed_request.py"]),
            timeout=cdk.Duration.minutes(1),
            environment={"API_URL": api.url},
            log_group=log_group,
            description="Integration test client: calls the agent's API with SigV4",
        )
        api.grant_invoke_api(self.function)

    def request(
        self, assertions: integ.IDeployAssert, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> integ.IApiCall:
        """An assertion call that sends ``method path`` (with a JSON ``body``) through the client."""
        event: dict[str, Any] = {"method": method, "path": path}
        if body is not None:
            event["body"] = dict(body)
        return assertions.invoke_function(
            function_name=self.function.function_name, payload=cdk.Stack.of(self).to_json_string(event)
        )


def research_agent(stack: cdk.Stack, *, workload: WorkloadProfile, description: str) -> AgentCoreAgent:
    """The research agent as direct code (``Agent``), its runtime name generated from the stack."""
    return AgentCoreAgent(
        stack, "Agent", artifact=AgentArtifact.from_code(RESEARCH_AGENT), workload=workload, description=description
    )


@dataclass(frozen=True)
class ServedAgent:
    """An agent behind its IAM-authenticated facade, and the signed client the assertions call it with."""

    agent: AgentCoreAgent
    api: AgentApiFacade
    client: SignedApiClient


def research_agent_behind_api(stack: cdk.Stack, *, workload: WorkloadProfile, description: str) -> ServedAgent:
    """:func:`research_agent` behind ``AgentApiFacade`` (``Api``, IAM auth by default) with a ``Client``."""
    agent = research_agent(stack, workload=workload, description=description)
    api = AgentApiFacade(stack, "Api", agent=agent)
    return ServedAgent(agent, api, SignedApiClient(stack, "Client", api=api))


def answered(status: int, body: Mapping[str, Any]) -> integ.ExpectedResult:
    """The client's answer: HTTP ``status`` and a JSON body with at least the fields of ``body``."""
    return integ.ExpectedResult.object_like(
        {"Payload": integ.Match.serialized_json(integ.Match.object_like({"status": status, "json": dict(body)}))}
    )
