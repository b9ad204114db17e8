"""Bad props across every public construct and props class: each is a ConstructsLibValidationError with a stable code,
naming the prop, the value given and what is allowed. Nothing is silently replaced or truncated, and nothing escapes
as a Python TypeError or AttributeError or as a jsii (Node.js) error.

Each row builds one construct (or props object) with one bad input in a fresh stack. The table covers the inputs
issue 10 lists (82 tried: 11 silently accepted, 9 raw Python traces, 2 raw jsii traces, and values the L2 would
reject from inside jsii) and more like them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from constructs_lib import (
    AgentApiFacade,
    AgentArtifact,
    AgentCapacityProvider,
    AgentCompute,
    AgentCoreAgent,
    AgentImageRepository,
    AgentJobs,
    AgentMap,
    AgentMonitoring,
    AgentParallel,
    AgentPipeline,
    AgentPlatform,
    AgentRollout,
    AgentSequence,
    AgentSessionStore,
    AgentSpec,
    AgentStep,
    AgentTool,
    AgentVersionArchive,
    AgentWebSocketFacade,
    ConstructsLibValidationError,
    FacadeAuth,
    InstanceLifecycle,
    InstanceVolume,
    PayloadStaging,
    SessionBudget,
    StepPayload,
    ToolSpec,
    WorkloadProfile,
)
from tests.conftest import ENV, RESEARCH_CODE, SUPPORT_IMAGE

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
MODEL = "anthropic.claude-sonnet-4-20250514-v1:0"


@dataclass(frozen=True)
class Bad:
    """One bad input: what is built, the code expected, and fragments the message must hold (the prop, the value
    given, what is allowed)."""

    id: str
    build: Callable[[cdk.Stack], Any]
    code: str
    says: tuple[str, ...]


def agent(stack: cdk.Stack, construct_id: str = "Agent", **kwargs: Any) -> AgentCoreAgent:
    kwargs.setdefault("runtime_name", "bad_props_agent")
    kwargs.setdefault("artifact", AgentArtifact.from_code(RESEARCH_CODE))
    return AgentCoreAgent(stack, construct_id, **kwargs)


def rollout(**kwargs: Any) -> AgentRollout:
    props: dict[str, Any] = {"stable": "prod", "stable_version": "3", "candidate": "canary", "candidate_weight": 10}
    return AgentRollout(**{**props, **kwargs})


def step(stack: cdk.Stack, **kwargs: Any) -> AgentStep:
    return AgentStep(agent(stack), **kwargs)


def pipeline(stack: cdk.Stack, *steps: Any, **kwargs: Any) -> AgentPipeline:
    return AgentPipeline(stack, "Pipeline", steps=list(steps) or [step(stack)], **kwargs)


def vpc(stack: cdk.Stack) -> ec2.Vpc:
    return ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)


def provider(stack: cdk.Stack, **kwargs: Any) -> AgentCapacityProvider:
    kwargs.setdefault("instance_types", ["g6.xlarge"])
    kwargs.setdefault("vpc", vpc(stack))
    return AgentCapacityProvider(stack, "Gpu", **kwargs)


def tool(stack: cdk.Stack, **kwargs: Any) -> AgentTool:
    kwargs.setdefault("tool_name", "order_status")
    kwargs.setdefault("description", "looks up an order")
    kwargs.setdefault("code", CODE)
    kwargs.setdefault("handler", "index.handler")
    return AgentTool(stack, "Tool", **kwargs)


def spec(**kwargs: Any) -> AgentSpec:
    kwargs.setdefault("name", "support")
    kwargs.setdefault("artifact", AgentArtifact.from_code(RESEARCH_CODE))
    return AgentSpec(**kwargs)


def platform(stack: cdk.Stack, *specs: Any, **kwargs: Any) -> AgentPlatform:
    return AgentPlatform(stack, "Platform", agents=list(specs) or [spec()], **kwargs)


IMPORTED_ARN = f"arn:aws:bedrock-agentcore:{ENV.region}:{ENV.account}:runtime/imported_agent-AbCdE12345"
ONE_HOUR = agentcore.LifecycleConfiguration(max_lifetime=cdk.Duration.hours(1))


def imported(stack: cdk.Stack, region: str | None = None) -> agentcore.IBedrockAgentRuntime:
    arn = IMPORTED_ARN.replace(f":{ENV.region}:", f":{region}:") if region else IMPORTED_ARN
    return agentcore.Runtime.from_agent_runtime_attributes(
        stack, "Imported", agent_runtime_arn=arn, agent_runtime_id=arn.rsplit("/", 1)[-1],
        agent_runtime_name="imported_agent", role_arn=f"arn:aws:iam::{ENV.account}:role/imported",
    )


def l2_runtime(stack: cdk.Stack) -> agentcore.Runtime:
    return agentcore.Runtime(
        stack, "Existing", runtime_name="existing_agent",
        agent_runtime_artifact=agentcore.AgentRuntimeArtifact.from_image_uri(
            f"{ENV.account}.dkr.ecr.{ENV.region}.amazonaws.com/existing:1"),
    )


def adopt(stack: cdk.Stack, **kwargs: Any) -> Any:
    if "runtime" not in kwargs:
        kwargs["runtime"] = imported(stack)
    kwargs.setdefault("workload", WorkloadProfile())
    return AgentCoreAgent.from_runtime(stack, "Adopted", **kwargs)


def adopt_twice(stack: cdk.Stack) -> Any:
    runtime = l2_runtime(stack)
    AgentCoreAgent.from_runtime(stack, "First", runtime=runtime, workload=WorkloadProfile())
    return AgentCoreAgent.from_runtime(stack, "Second", runtime=runtime, workload=WorkloadProfile())


def foreign_endpoint(stack: cdk.Stack) -> agentcore.IRuntimeEndpoint:
    other = IMPORTED_ARN.replace("imported_agent-AbCdE12345", "other_agent-ZyXwV98765")
    return agentcore.RuntimeEndpoint.from_runtime_endpoint_attributes(
        stack, "Foreign", agent_runtime_arn=other, agent_runtime_endpoint_arn=f"{other}/runtime-endpoint/live",
        endpoint_name="live",
    )


def other_role(stack: cdk.Stack) -> iam.IRole:
    return iam.Role.from_role_arn(stack, "Other", f"arn:aws:iam::{ENV.account}:role/other")


def user_pool(stack: cdk.Stack) -> cognito.UserPool:
    return cognito.UserPool(stack, "Users")


CASES: list[Bad] = [
    # -- AgentCoreAgent: names, models, text, environment, tags, durations, collaborators ------------------------------
    Bad("agent-runtime-name-empty", lambda s: agent(s, runtime_name=""), "InvalidRuntimeName",
        ("runtime_name", "must not be empty")),
    Bad("agent-runtime-name-int", lambda s: agent(s, runtime_name=123), "InvalidRuntimeName",
        ("runtime_name", "string", "int")),
    Bad("agent-runtime-name-hyphen", lambda s: agent(s, runtime_name="my-agent"), "InvalidRuntimeName",
        ("runtime_name", "'my-agent'", "underscores")),
    Bad("agent-runtime-name-too-long", lambda s: agent(s, runtime_name="a" * 49), "InvalidRuntimeName",
        ("runtime_name", "at most 48 characters")),
    Bad("agent-runtime-name-digit-first", lambda s: agent(s, runtime_name="1agent"), "InvalidRuntimeName",
        ("runtime_name", "'1agent'", "start with a letter")),
    Bad("agent-model-id-invalid", lambda s: agent(s, models=["not a model!"]), "InvalidModelId",
        ("models", "'not a model!'", "foundation model")),
    Bad("agent-model-id-bare-name", lambda s: agent(s, models=["claude"]), "InvalidModelId",
        ("models", "'claude'", "provider")),
    Bad("agent-model-arn-other-service", lambda s: agent(s, models=["arn:aws:s3:::models"]), "InvalidModelId",
        ("models", "'arn:aws:s3:::models'", "Bedrock")),
    Bad("agent-models-string", lambda s: agent(s, models=MODEL), "InvalidProps", ("models", "list of strings")),
    Bad("agent-endpoints-string", lambda s: agent(s, endpoints="prod"), "InvalidProps",
        ("endpoints", "'prod'", "list of strings")),
    Bad("agent-endpoint-hyphen", lambda s: agent(s, endpoints=["prod-1"]), "InvalidEndpointName",
        ("endpoint name", "'prod-1'", "underscores")),
    Bad("agent-endpoint-default", lambda s: agent(s, endpoints=["DEFAULT"]), "InvalidEndpointName",
        ("'DEFAULT' is reserved",)),
    Bad("agent-endpoint-twice", lambda s: agent(s, endpoints=["prod", "prod"]), "InvalidEndpointName",
        ("'prod' is listed twice",)),
    Bad("agent-description-too-long", lambda s: agent(s, description="x" * 5000), "InvalidDescription",
        ("description", "5,000 characters", "1,200")),
    Bad("agent-description-int", lambda s: agent(s, description=42), "InvalidProps", ("description", "42", "string")),
    Bad("agent-env-value-int", lambda s: agent(s, environment_variables={"PORT": 8080}), "InvalidProps",
        ("environment_variables['PORT']", "8080", "a string")),
    Bad("agent-env-key-hyphen", lambda s: agent(s, environment_variables={"BAD-KEY": "v"}), "InvalidEnvironment",
        ("'BAD-KEY'", "must match")),
    Bad("agent-env-not-mapping", lambda s: agent(s, environment_variables=["A=1"]), "InvalidProps",
        ("environment_variables", "['A=1']", "mapping")),
    Bad("agent-env-value-too-long", lambda s: agent(s, environment_variables={"BIG": "x" * 2049}),
        "InvalidEnvironment", ("'BIG'", "2,049 characters", "2,048")),
    Bad("agent-add-environment-int", lambda s: agent(s).add_environment("PORT", 8080), "InvalidProps",
        ("environment_variables['PORT']", "8080", "a string")),
    Bad("agent-tag-value-int", lambda s: agent(s, tags={"team": 7}), "InvalidProps", ("tags['team']", "7", "string")),
    Bad("agent-tag-key-reserved", lambda s: agent(s, tags={"aws:owner": "me"}), "InvalidTags",
        ("'aws:owner'", "aws:")),
    Bad("agent-tag-value-too-long", lambda s: agent(s, tags={"team": "x" * 300}), "InvalidTags",
        ("'team'", "300 characters", "256")),
    Bad("agent-tag-value-characters", lambda s: agent(s, tags={"team": "a;b"}), "InvalidTags",
        ("'a;b'", "letters, digits")),
    Bad("agent-idle-timeout-int", lambda s: agent(s, idle_runtime_session_timeout=900), "InvalidProps",
        ("idle_runtime_session_timeout", "900", "aws_cdk.Duration")),
    Bad("agent-max-lifetime-string", lambda s: agent(s, max_lifetime="8h"), "InvalidProps",
        ("max_lifetime", "'8h'", "aws_cdk.Duration")),
    Bad("agent-workload-dict", lambda s: agent(s, workload={"longest_task": 40}), "InvalidProps",
        ("workload", "WorkloadProfile", "dict")),
    Bad("agent-artifact-path", lambda s: agent(s, artifact="./agents/support"), "InvalidArtifact",
        ("artifact", "AgentArtifact", "str")),
    Bad("agent-compute-string", lambda s: agent(s, compute="instances"), "InvalidCompute",
        ("compute", "AgentCompute", "str")),
    Bad("agent-execution-role-arn", lambda s: agent(s, execution_role="arn:aws:iam::123456789012:role/agent"),
        "InvalidProps", ("execution_role", "iam.IRole", "'arn:aws:iam::123456789012:role/agent'")),
    Bad("agent-tracing-string", lambda s: agent(s, tracing_enabled="yes"), "InvalidProps",
        ("tracing_enabled", "str", "True or False")),
    Bad("agent-user-id-tokens-string", lambda s: agent(s, workload_token_for_user_id="yes"), "InvalidProps",
        ("workload_token_for_user_id", "'yes'", "True or False")),
    Bad("agent-construct-id-empty", lambda s: AgentCoreAgent(s, "", artifact=AgentArtifact.from_code(RESEARCH_CODE)),
        "InvalidConstructId", ("construct_id", "''", "non-empty")),
    Bad("agent-network-string", lambda s: agent(s, network_configuration="PUBLIC"), "InvalidNetworkConfiguration",
        ("network_configuration", "str", "RuntimeNetworkConfiguration")),
    Bad("agent-protocol-string", lambda s: agent(s, protocol_configuration="HTTP"), "InvalidProps",
        ("protocol_configuration", "str", "ProtocolType")),
    # -- AgentArtifact factories --------------------------------------------------------------------------------------
    Bad("artifact-tag-empty", lambda s: agent(s, artifact=AgentArtifact.from_managed_repository("")),
        "InvalidImageTag", ("tag", "''", "non-empty")),
    Bad("artifact-tag-int", lambda s: agent(s, artifact=AgentArtifact.from_managed_repository(5)), "InvalidImageTag",
        ("tag", "5", "string")),
    Bad("artifact-repository-string", lambda s: AgentArtifact.from_repository("agents/support", "v1"),
        "InvalidArtifact", ("repository", "'agents/support'", "ecr.IRepository")),
    Bad("artifact-image-repository-string", lambda s: AgentArtifact.from_image_repository("repo", "v1"),
        "InvalidArtifact", ("repository", "'repo'", "AgentImageRepository")),
    Bad("artifact-code-missing-dir", lambda s: agent(s, artifact=AgentArtifact.from_code("no/such/dir")),
        "ArtifactDirectoryNotFound", ("'no/such/dir'", "does not exist")),
    Bad("artifact-code-entrypoint-string", lambda s: AgentArtifact.from_code(RESEARCH_CODE, entrypoint="main.py"),
        "InvalidEntrypoint", ("entrypoint", "'main.py'", "list")),
    Bad("artifact-code-entrypoint-empty", lambda s: agent(s, artifact=AgentArtifact.from_code(RESEARCH_CODE,
                                                                                             entrypoint=[])),
        "InvalidEntrypoint", ("entrypoint", "1 to 2 files")),
    Bad("artifact-code-runtime-string", lambda s: AgentArtifact.from_code(RESEARCH_CODE, runtime="PYTHON_3_12"),
        "InvalidArtifact", ("runtime", "'PYTHON_3_12'", "AgentCoreRuntime")),
    Bad("artifact-image-build-arg-int", lambda s: AgentArtifact.from_directory(SUPPORT_IMAGE, build_args={"V": 2}),
        "InvalidArtifact", ("build_args['V']", "2", "string")),
    Bad("artifact-image-size-int", lambda s: AgentArtifact.from_directory(SUPPORT_IMAGE,
                                                                          expected_image_size=2_000_000),
        "InvalidArtifact", ("expected_image_size", "2000000", "aws_cdk.Size")),
    Bad("artifact-image-missing-dockerfile", lambda s: agent(s, artifact=AgentArtifact.from_directory(RESEARCH_CODE)),
        "DockerfileNotFound", ("Dockerfile",)),
    # -- WorkloadProfile ----------------------------------------------------------------------------------------------
    Bad("workload-sessions-fraction", lambda s: WorkloadProfile(peak_concurrent_sessions=2.5), "InvalidWorkloadProfile",
        ("peak_concurrent_sessions", "2.5", "whole number")),
    Bad("workload-longest-task-int", lambda s: WorkloadProfile(longest_task=40), "InvalidWorkloadProfile",
        ("longest_task", "aws_cdk.Duration", "int")),
    Bad("workload-payload-int", lambda s: WorkloadProfile(max_payload=20), "InvalidWorkloadProfile",
        ("max_payload", "aws_cdk.Size", "int")),
    Bad("workload-vcpus-negative", lambda s: WorkloadProfile(vcpus_per_session=-1), "InvalidWorkloadProfile",
        ("vcpus_per_session", "-1", "negative")),
    Bad("workload-rps-string", lambda s: WorkloadProfile(peak_requests_per_second="60"), "InvalidWorkloadProfile",
        ("peak_requests_per_second", "'60'", "number")),
    Bad("workload-rps-infinite", lambda s: WorkloadProfile(peak_requests_per_second=float("inf")),
        "InvalidWorkloadProfile", ("peak_requests_per_second", "inf", "finite")),
    Bad("workload-endpoints-zero", lambda s: WorkloadProfile(endpoints=0), "InvalidWorkloadProfile",
        ("endpoints", "0", "at least 1")),
    Bad("workload-gpus-fraction", lambda s: WorkloadProfile(gpus_per_session=1.5), "InvalidWorkloadProfile",
        ("gpus_per_session", "1.5", "whole number")),
    Bad("workload-longest-task-negative", lambda s: WorkloadProfile(longest_task=timedelta(seconds=-5)),
        "InvalidWorkloadProfile", ("longest_task", "negative")),
    Bad("workload-bool-count", lambda s: WorkloadProfile(peak_concurrent_sessions=True), "InvalidWorkloadProfile",
        ("peak_concurrent_sessions", "True", "number")),
    # -- AgentCompute, AgentCapacityProvider, InstanceVolume, InstanceLifecycle ----------------------------------------
    Bad("compute-instance-types-string", lambda s: AgentCompute.instances(instance_types="g6.xlarge", vpc=vpc(s)),
        "InvalidCompute", ("instance_types", "'g6.xlarge'", "list")),
    Bad("compute-capacity-provider-int", lambda s: agent(s, compute=AgentCompute.instances(capacity_provider=7)),
        "InvalidCapacityProvider", ("capacity_provider", "7", "AgentCapacityProvider")),
    Bad("provider-vpc-none", lambda s: AgentCapacityProvider(s, "Gpu", instance_types=["g6.xlarge"], vpc=None),
        "InvalidProps", ("vpc", "None", "ec2.IVpc")),
    Bad("provider-instance-types-empty", lambda s: provider(s, instance_types=[]), "InvalidInstanceTypes",
        ("instance_types",)),
    Bad("provider-description-too-long", lambda s: provider(s, description="x" * 5000), "InvalidProps",
        ("description", "characters")),
    Bad("provider-tag-int", lambda s: provider(s, tags={"team": 7}), "InvalidProps", ("tags['team']", "7", "string")),
    Bad("volume-size-int", lambda s: InstanceVolume(name="data", size=10), "InvalidVolumes",
        ("size", "10", "aws_cdk.Size")),
    Bad("volume-name-space", lambda s: InstanceVolume(name="bad name", size=cdk.Size.gibibytes(10)), "InvalidVolumes",
        ("'bad name'",)),
    Bad("lifecycle-max-lifetime-int", lambda s: InstanceLifecycle(max_lifetime=3600), "InvalidInstanceLifecycle",
        ("max_lifetime", "3600", "aws_cdk.Duration")),
    # -- AgentImageRepository -----------------------------------------------------------------------------------------
    Bad("repository-count-zero", lambda s: AgentImageRepository(s, "Repo", max_image_count=0), "InvalidMaxImageCount",
        ("max_image_count", "0")),
    Bad("repository-count-string", lambda s: AgentImageRepository(s, "Repo", max_image_count="10"), "InvalidProps",
        ("max_image_count", "'10'", "whole number")),
    Bad("repository-name-invalid", lambda s: AgentImageRepository(s, "Repo", repository_name="Bad Name"),
        "InvalidProps", ("repository_name", "'Bad Name'", "lowercase")),
    Bad("repository-expiry-int", lambda s: AgentImageRepository(s, "Repo", untagged_image_expiry=7), "InvalidProps",
        ("untagged_image_expiry", "7", "aws_cdk.Duration")),
    # -- AgentApiFacade and FacadeAuth --------------------------------------------------------------------------------
    Bad("api-agent-none", lambda s: AgentApiFacade(s, "Api", agent=None), "InvalidProps",
        ("agent", "None", "AgentCoreAgent")),
    Bad("api-auth-string", lambda s: AgentApiFacade(s, "Api", agent=agent(s), auth="iam"), "InvalidProps",
        ("auth", "'iam'", "FacadeAuth")),
    Bad("api-stage-empty", lambda s: AgentApiFacade(s, "Api", agent=agent(s), stage_name=""), "InvalidStageName",
        ("stage_name", "''", "letters, digits")),
    Bad("api-stage-punctuation", lambda s: AgentApiFacade(s, "Api", agent=agent(s), stage_name="bad stage!"),
        "InvalidStageName", ("stage_name", "'bad stage!'", "letters, digits")),
    Bad("api-waf-arn-malformed", lambda s: AgentApiFacade(s, "Api", agent=agent(s), waf_web_acl_arn="my-acl"),
        "InvalidWafWebAclArn", ("waf_web_acl_arn", "'my-acl'", "regional/webacl")),
    Bad("api-throttle-negative", lambda s: AgentApiFacade(s, "Api", agent=agent(s), throttle_rate_limit=-5),
        "InvalidThrottle", ("throttle_rate_limit", "-5", "positive number")),
    Bad("api-burst-fraction", lambda s: AgentApiFacade(s, "Api", agent=agent(s), throttle_burst_limit=2.5),
        "InvalidThrottle", ("throttle_burst_limit", "2.5", "whole number")),
    Bad("api-schema-string", lambda s: AgentApiFacade(s, "Api", agent=agent(s), request_schema="{}"),
        "InvalidRequestSchema", ("request_schema", "JSON Schema object", "str")),
    Bad("api-job-ttl-int", lambda s: AgentApiFacade(s, "Api", agent=agent(s), job_time_to_live=3600), "InvalidProps",
        ("job_time_to_live", "3600", "aws_cdk.Duration")),
    Bad("api-idempotency-int", lambda s: AgentApiFacade(s, "Api", agent=agent(s), idempotency_key_lifetime=60),
        "InvalidProps", ("idempotency_key_lifetime", "60", "aws_cdk.Duration")),
    Bad("api-log-retention-int", lambda s: AgentApiFacade(s, "Api", agent=agent(s), log_retention=30), "InvalidProps",
        ("log_retention", "30", "RetentionDays")),
    Bad("api-jobs-string", lambda s: AgentApiFacade(s, "Api", agent=agent(s), jobs="yes"), "InvalidProps",
        ("jobs", "'yes'", "True or False")),
    Bad("api-qualifier-unknown", lambda s: AgentApiFacade(s, "Api", agent=agent(s), qualifier="nope"),
        "UnknownQualifier", ("qualifier", "'nope'", "DEFAULT")),
    Bad("auth-cognito-none", lambda s: FacadeAuth.cognito(None), "InvalidProps", ("user_pool", "None", "IUserPool")),
    Bad("auth-lambda-arn", lambda s: FacadeAuth.lambda_authorizer("arn:aws:lambda:us-east-1:1:function:f"),
        "InvalidProps", ("function", "lambda_.IFunction")),
    Bad("auth-lambda-ttl-int", lambda s: FacadeAuth.lambda_authorizer(
        lambda_.Function.from_function_name(s, "Authorizer", "authorizer"), results_cache_ttl=300),
        "InvalidProps", ("results_cache_ttl", "300", "aws_cdk.Duration")),
    Bad("auth-cognito-scopes-string", lambda s: FacadeAuth.cognito(user_pool(s), scopes="read"), "InvalidProps",
        ("scopes", "'read'", "list of strings")),
    # -- AgentWebSocketFacade -----------------------------------------------------------------------------------------
    Bad("websocket-agent-none", lambda s: AgentWebSocketFacade(s, "Ws", agent=None), "InvalidProps",
        ("agent", "None", "AgentCoreAgent")),
    Bad("websocket-auth-string", lambda s: AgentWebSocketFacade(s, "Ws", agent=agent(s), auth="iam"), "InvalidProps",
        ("auth", "'iam'", "FacadeAuth")),
    Bad("websocket-stage-punctuation", lambda s: AgentWebSocketFacade(s, "Ws", agent=agent(s), stage_name="bad stage!"),
        "InvalidStageName", ("stage_name", "'bad stage!'", "letters, digits")),
    Bad("websocket-ttl-int", lambda s: AgentWebSocketFacade(s, "Ws", agent=agent(s), connection_record_ttl=60),
        "InvalidProps", ("connection_record_ttl", "60", "aws_cdk.Duration")),
    Bad("websocket-cognito", lambda s: AgentWebSocketFacade(s, "Ws", agent=agent(s),
                                                            auth=FacadeAuth.cognito(user_pool(s))),
        "UnsupportedAuth", ("cognito",)),
    # -- AgentJobs, PayloadStaging, AgentSessionStore -----------------------------------------------------------------
    Bad("jobs-ttl-int", lambda s: AgentJobs(s, "Jobs", time_to_live=3600), "InvalidProps",
        ("time_to_live", "3600", "aws_cdk.Duration")),
    Bad("jobs-removal-string", lambda s: AgentJobs(s, "Jobs", removal_policy="retain"), "InvalidProps",
        ("removal_policy", "'retain'", "RemovalPolicy")),
    Bad("staging-url-expiry-int", lambda s: PayloadStaging(s, "Staging", url_expiry=600), "InvalidProps",
        ("url_expiry", "600", "aws_cdk.Duration")),
    Bad("staging-size-int", lambda s: PayloadStaging(s, "Staging", max_object_size=5), "InvalidProps",
        ("max_object_size", "5", "aws_cdk.Size")),
    Bad("staging-bucket-name", lambda s: PayloadStaging(s, "Staging", bucket_name="Bad_Bucket"), "InvalidProps",
        ("bucket_name", "'Bad_Bucket'", "lowercase")),
    Bad("store-table-name-empty", lambda s: AgentSessionStore(s, "Store", table_name=""), "InvalidProps",
        ("table_name", "''", "non-empty")),
    Bad("store-ttl-attribute-empty", lambda s: AgentSessionStore(s, "Store", time_to_live_attribute=""),
        "InvalidProps", ("time_to_live_attribute", "''", "non-empty")),
    Bad("store-capacity-negative", lambda s: AgentSessionStore(s, "Store", read_capacity=-1), "InvalidProps",
        ("read_capacity", "-1", "at least 1")),
    Bad("store-pitr-string", lambda s: AgentSessionStore(s, "Store", point_in_time_recovery="yes"), "InvalidProps",
        ("point_in_time_recovery", "'yes'", "True or False")),
    # -- AgentTool ----------------------------------------------------------------------------------------------------
    Bad("tool-name-punctuation", lambda s: tool(s, tool_name="bad name!"), "InvalidToolName",
        ("tool_name", "'bad name!'")),
    Bad("tool-description-empty", lambda s: tool(s, description=""), "InvalidToolName", ("description", "''")),
    Bad("tool-timeout-int", lambda s: tool(s, timeout=30), "InvalidProps", ("timeout", "30", "aws_cdk.Duration")),
    Bad("tool-memory-string", lambda s: tool(s, memory_size="512"), "InvalidProps",
        ("memory_size", "'512'", "whole number")),
    Bad("tool-env-int", lambda s: tool(s, environment={"LIMIT": 5}), "InvalidProps",
        ("environment['LIMIT']", "5", "string")),
    Bad("tool-agents-none", lambda s: tool(s, agents=[None]), "InvalidProps", ("agents", "None", "AgentCoreAgent")),
    Bad("tool-code-string", lambda s: tool(s, code="def handler(): pass"), "InvalidProps",
        ("code", "lambda_.Code")),
    # -- AgentPipeline and its steps ----------------------------------------------------------------------------------
    Bad("pipeline-steps-agent", lambda s: AgentPipeline(s, "Pipeline", steps=[agent(s)]), "InvalidStep",
        ("steps", "AgentCoreAgent", "AgentStep")),
    Bad("pipeline-steps-empty", lambda s: AgentPipeline(s, "Pipeline", steps=[]), "EmptyPipeline",
        ("steps", "at least one")),
    Bad("pipeline-steps-not-list", lambda s: AgentPipeline(s, "Pipeline", steps=step(s)), "InvalidStep",
        ("steps", "list")),
    Bad("pipeline-duplicate-step-names", lambda s: pipeline(s, AgentStep(agent(s), name="Triage"),
                                                            AgentStep(agent(s, "B", runtime_name="b_agent"),
                                                                      name="Triage")),
        "DuplicateStepName", ("'Triage'", "unique")),
    Bad("pipeline-timeout-shorter", lambda s: pipeline(s, timeout=cdk.Duration.minutes(1)),
        "PipelineTimeoutShorterThanSteps", ("timeout", "60", "longest run")),
    Bad("pipeline-timeout-int", lambda s: pipeline(s, timeout=3600), "InvalidProps",
        ("timeout", "3600", "aws_cdk.Duration")),
    Bad("pipeline-log-level-string", lambda s: pipeline(s, log_level="ALL"), "InvalidProps",
        ("log_level", "'ALL'", "LogLevel")),
    Bad("pipeline-name-punctuation", lambda s: pipeline(s, state_machine_name="bad name!"), "InvalidProps",
        ("state_machine_name", "'bad name!'", "letters, digits")),
    Bad("pipeline-type-string", lambda s: pipeline(s, state_machine_type="EXPRESS"), "InvalidProps",
        ("state_machine_type", "'EXPRESS'", "StateMachineType")),
    Bad("step-agent-none", lambda s: AgentStep(None), "InvalidStep", ("agent", "AgentCoreAgent", "got None")),
    Bad("step-qualifier-unknown", lambda s: step(s, qualifier="nope"), "UnknownQualifier",
        ("qualifier", "'nope'", "DEFAULT")),
    Bad("step-max-attempts-string", lambda s: step(s, max_attempts="3"), "InvalidStep",
        ("max_attempts", "'3'", "whole number")),
    Bad("step-max-attempts-zero", lambda s: step(s, max_attempts=0), "InvalidStep",
        ("max_attempts", "0", "at least 1")),
    Bad("step-timeout-int", lambda s: step(s, timeout=60), "InvalidStep", ("timeout", "60", "aws_cdk.Duration")),
    Bad("step-name-punctuation", lambda s: step(s, name="bad name"), "InvalidStepName", ("name", "'bad name'")),
    Bad("step-payload-dict", lambda s: step(s, payload={"a": 1}), "InvalidStep", ("payload", "StepPayload")),
    Bad("step-integration-string", lambda s: step(s, integration="callback"), "InvalidStep",
        ("integration", "'callback'", "StepIntegration")),
    Bad("payload-path-without-dollar", lambda s: StepPayload.from_state("items"), "InvalidStepPayload",
        ("path", "'items'", "$")),
    Bad("payload-template-empty", lambda s: StepPayload.from_template({}), "InvalidStepPayload", ("template",)),
    Bad("map-items-path-without-dollar", lambda s: AgentMap(step(s), items_path="items"), "InvalidItemsPath",
        ("items_path", "'items'", "$")),
    Bad("map-concurrency-fraction", lambda s: AgentMap(step(s), max_concurrency=2.5), "InvalidMaxConcurrency",
        ("max_concurrency", "2.5", "whole number")),
    Bad("map-reserved-field", lambda s: AgentMap(step(s), item_fields={"item": 1}), "InvalidStep",
        ("item_fields", "item")),
    Bad("map-step-agent", lambda s: AgentMap(agent(s)), "InvalidStep", ("step", "AgentCoreAgent", "AgentStep")),
    Bad("parallel-empty", lambda s: AgentParallel(), "EmptyPipeline", ("at least one branch",)),
    Bad("parallel-branch-string", lambda s: AgentParallel("Triage"), "InvalidStep", ("branches", "'Triage'")),
    Bad("sequence-empty", lambda s: AgentSequence(), "EmptyPipeline", ("at least one step",)),
    # -- AgentMonitoring ----------------------------------------------------------------------------------------------
    Bad("monitoring-prefix-empty", lambda s: AgentMonitoring(s, "Ops", alarm_name_prefix=""),
        "InvalidMonitoringConfiguration", ("alarm_name_prefix", "''", "non-empty")),
    Bad("monitoring-agents-none", lambda s: AgentMonitoring(s, "Ops", alarm_name_prefix="ops", agents=[None]),
        "InvalidAgent", ("agents", "AgentCoreAgent", "None")),
    Bad("monitoring-period-int", lambda s: AgentMonitoring(s, "Ops", alarm_name_prefix="ops", period=60),
        "InvalidProps", ("period", "60", "aws_cdk.Duration")),
    # -- AgentVersionArchive ------------------------------------------------------------------------------------------
    Bad("archive-agents-none", lambda s: AgentVersionArchive(s, "Archive", agents=[None]), "InvalidAgent",
        ("agents[0]", "AgentCoreAgent", "None")),
    Bad("archive-transition-int", lambda s: AgentVersionArchive(s, "Archive", archive_transition_after=30),
        "InvalidProps", ("archive_transition_after", "30", "aws_cdk.Duration")),
    Bad("archive-schedule-string", lambda s: AgentVersionArchive(s, "Archive", schedule="rate(1 day)"),
        "InvalidProps", ("schedule", "'rate(1 day)'", "events.Schedule")),
    Bad("archive-log-retention-int", lambda s: AgentVersionArchive(s, "Archive", log_retention=365), "InvalidProps",
        ("log_retention", "365", "RetentionDays")),
    Bad("archive-object-lock-string", lambda s: AgentVersionArchive(s, "Archive", object_lock="yes"), "InvalidProps",
        ("object_lock", "'yes'", "True or False")),
    Bad("archive-transition-fraction", lambda s: AgentVersionArchive(
        s, "Archive", archive_transition_after=cdk.Duration.hours(36)), "InvalidArchiveTransition", ("whole",)),
    # -- AgentRollout ------------------------------------------------------------------------------------------------
    Bad("rollout-agent-mapping", lambda s: agent(s, rollout={"stable": "prod"}), "InvalidRollout",
        ("rollout", "AgentRollout", "dict")),
    Bad("rollout-stable-hyphen", lambda s: rollout(stable="prod-v1"), "InvalidRolloutEndpoint",
        ("stable", "'prod-v1'", "underscores")),
    Bad("rollout-stable-default", lambda s: rollout(stable="DEFAULT"), "InvalidRolloutEndpoint",
        ("stable", "'DEFAULT'", "cannot be pinned")),
    Bad("rollout-candidate-is-stable", lambda s: rollout(candidate="prod"), "InvalidRolloutEndpoint",
        ("candidate", "'prod'", "differ")),
    Bad("rollout-candidate-none", lambda s: rollout(candidate=None), "InvalidRolloutEndpoint",
        ("candidate", "None", "string")),
    Bad("rollout-weight-above-100", lambda s: rollout(candidate_weight=110), "InvalidRolloutWeight",
        ("candidate_weight", "110", "0", "100")),
    Bad("rollout-weight-negative", lambda s: rollout(candidate_weight=-10), "InvalidRolloutWeight",
        ("candidate_weight", "-10", "whole number of percent")),
    Bad("rollout-weight-fraction", lambda s: rollout(candidate_weight=0.1), "InvalidRolloutWeight",
        ("candidate_weight", "0.1", "whole number of percent")),
    Bad("rollout-weight-string", lambda s: rollout(candidate_weight="10"), "InvalidRolloutWeight",
        ("candidate_weight", "'10'", "whole number")),
    Bad("rollout-version-int", lambda s: rollout(stable_version=3), "InvalidRollout",
        ("stable_version", "3", "string")),
    Bad("rollout-version-zero", lambda s: rollout(stable_version="0"), "InvalidRolloutVersion",
        ("stable_version", "'0'", "whole number from 1")),
    Bad("rollout-version-prefixed", lambda s: rollout(candidate_version="v4"), "InvalidRolloutVersion",
        ("candidate_version", "'v4'", "whole number from 1")),
    Bad("rollout-error-rate-percent", lambda s: rollout(rollback_error_rate=5), "InvalidRolloutThreshold",
        ("rollback_error_rate", "5", "fraction")),
    Bad("rollout-latency-zero", lambda s: rollout(rollback_latency_fraction=0), "InvalidRolloutThreshold",
        ("rollback_latency_fraction", "0", "fraction")),
    Bad("rollout-automatic-string", lambda s: rollout(automatic_rollback="no"), "InvalidRollout",
        ("automatic_rollback", "'no'", "True or False")),
    Bad("spec-rollout-mapping", lambda s: spec(rollout={"stable": "prod"}), "InvalidAgentSpec",
        ("rollout", "AgentRollout")),
    # -- SessionBudget ------------------------------------------------------------------------------------------------
    Bad("budget-empty", lambda s: SessionBudget(), "InvalidSessionBudget", ("session_budget", "at least one limit")),
    Bad("budget-duration-int", lambda s: SessionBudget(max_session_duration=3600), "InvalidSessionBudget",
        ("max_session_duration", "3600", "aws_cdk.Duration")),
    Bad("budget-idle-timedelta", lambda s: SessionBudget(max_idle=timedelta(minutes=5)), "InvalidSessionBudget",
        ("max_idle", "aws_cdk.Duration")),
    Bad("budget-per-caller-zero", lambda s: SessionBudget(max_sessions_per_caller=0), "InvalidSessionBudget",
        ("max_sessions_per_caller", "0", "at least 1")),
    Bad("budget-sessions-fraction", lambda s: SessionBudget(max_sessions=2.5), "InvalidSessionBudget",
        ("max_sessions", "2.5", "whole number")),
    Bad("budget-sessions-bool", lambda s: SessionBudget(max_sessions=True), "InvalidSessionBudget",
        ("max_sessions", "True", "whole number")),
    Bad("budget-per-caller-above-total", lambda s: SessionBudget(max_sessions_per_caller=5, max_sessions=2),
        "InvalidSessionBudget", ("max_sessions_per_caller", "5", "at most max_sessions (2)")),
    Bad("agent-session-budget-dict", lambda s: agent(s, session_budget={"max_sessions": 5}), "InvalidProps",
        ("session_budget", "SessionBudget")),
    Bad("spec-session-budget-int", lambda s: spec(session_budget=5), "InvalidAgentSpec",
        ("session_budget", "5", "SessionBudget")),
    Bad("platform-session-budget-string", lambda s: platform(s, session_budget="1h"), "InvalidProps",
        ("session_budget", "'1h'", "SessionBudget")),
    Bad("spec-agent-options-session-budget", lambda s: platform(s, spec(agent_options={
        "session_budget": SessionBudget(max_sessions=5)})), "InvalidPlatformOptions",
        ("session_budget", "the platform sets itself")),
    # -- AgentPlatform, AgentSpec, ToolSpec ---------------------------------------------------------------------------
    Bad("spec-name-empty", lambda s: spec(name=""), "InvalidAgentSpec", ("name", "''", "non-empty")),
    Bad("spec-name-slash", lambda s: spec(name="team/support"), "InvalidAgentSpec", ("name", "'team/support'", "'/'")),
    Bad("spec-artifact-none", lambda s: spec(artifact=None), "InvalidAgentSpec", ("artifact", "None", "AgentArtifact")),
    Bad("spec-tools-string", lambda s: spec(tools="order_status"), "InvalidAgentSpec",
        ("tools", "'order_status'", "ToolSpec")),
    Bad("spec-facade-string", lambda s: spec(facade="yes"), "InvalidAgentSpec", ("facade", "'yes'", "True or False")),
    Bad("spec-agent-options-unknown", lambda s: platform(s, spec(agent_options={"runtime": "x"})),
        "InvalidPlatformOptions", ("agent_options", "runtime", "accepted")),
    Bad("spec-agent-options-bad-value", lambda s: platform(s, spec(agent_options={"tags": {"team": 7}})),
        "InvalidProps", ("tags['team']", "7", "string")),
    Bad("tool-spec-code-string", lambda s: ToolSpec(tool_name="t", description="d", code="x", handler="h"),
        "InvalidToolSpec", ("code", "lambda_.Code")),
    Bad("platform-agents-empty", lambda s: AgentPlatform(s, "Platform", agents=[]), "NoAgents",
        ("agents", "at least one")),
    Bad("platform-agents-string", lambda s: AgentPlatform(s, "Platform", agents=["support"]), "InvalidProps",
        ("agents", "'support'", "AgentSpec")),
    Bad("platform-names-twice", lambda s: platform(s, spec(), spec()), "DuplicateAgentName",
        ("support", "unique")),
    # -- AgentCoreAgent.from_runtime: the runtime, the workload, the endpoints, an imported runtime's own props --------
    Bad("adopt-runtime-arn", lambda s: adopt(s, runtime=IMPORTED_ARN), "InvalidProps",
        ("runtime", "'arn:aws:bedrock-agentcore:", "IBedrockAgentRuntime")),
    Bad("adopt-runtime-agent-spec", lambda s: adopt(s, runtime=spec()), "InvalidProps",
        ("runtime", "AgentSpec", "aws_bedrockagentcore.Runtime")),
    Bad("adopt-workload-missing", lambda s: adopt(s, workload=None), "MissingWorkload",
        ("workload", "None", "WorkloadProfile")),
    Bad("adopt-workload-dict", lambda s: adopt(s, workload={"peak_requests_per_second": 5}), "InvalidProps",
        ("workload", "peak_requests_per_second", "WorkloadProfile")),
    Bad("adopt-endpoints-string", lambda s: adopt(s, endpoints="prod"), "InvalidProps",
        ("endpoints", "'prod'", "list")),
    Bad("adopt-endpoints-number", lambda s: adopt(s, endpoints=["prod", 7]), "InvalidProps",
        ("endpoints[1]", "7", "IRuntimeEndpoint")),
    Bad("adopt-endpoints-default", lambda s: adopt(s, endpoints=["DEFAULT"]), "InvalidEndpointName",
        ("'DEFAULT'", "reserved")),
    Bad("adopt-endpoints-hyphen", lambda s: adopt(s, endpoints=["blue-green"]), "InvalidEndpointName",
        ("endpoint name", "'blue-green'")),
    Bad("adopt-endpoints-twice", lambda s: adopt(s, endpoints=["prod", "prod"]), "InvalidEndpointName",
        ("'prod'", "twice")),
    Bad("adopt-endpoints-foreign", lambda s: adopt(s, endpoints=[foreign_endpoint(s)]), "ForeignEndpoint",
        ("endpoints", "'live'", "another runtime")),
    Bad("adopt-artifact-kind-string", lambda s: adopt(s, artifact_kind="container"), "InvalidProps",
        ("artifact_kind", "'container'", "ArtifactKind")),
    Bad("adopt-role-arn", lambda s: adopt(s, role=f"arn:aws:iam::{ENV.account}:role/r"), "InvalidProps",
        ("role", "arn:aws:iam", "iam.IRole")),
    Bad("adopt-role-of-app-runtime", lambda s: adopt(s, runtime=l2_runtime(s), role=other_role(s)), "InvalidProps",
        ("role", "defined in this app", "omit")),
    Bad("adopt-lifecycle-of-app-runtime", lambda s: adopt(s, runtime=l2_runtime(s), lifecycle=ONE_HOUR),
        "InvalidProps", ("lifecycle", "defined in this app", "omit")),
    Bad("adopt-lifecycle-dict", lambda s: adopt(s, lifecycle={"max_lifetime": 3600}), "InvalidProps",
        ("lifecycle", "max_lifetime", "LifecycleConfiguration")),
    Bad("adopt-runtime-other-region", lambda s: adopt(s, runtime=imported(s, region="eu-west-1")),
        "RuntimeInOtherRegion", ("eu-west-1", ENV.region, "adopt the runtime in a stack in eu-west-1")),
    Bad("adopt-runtime-of-an-agent", lambda s: adopt(s, runtime=agent(s).runtime), "RuntimeAlreadyPlanned",
        ("already has a plan", "AgentCoreAgent")),
    Bad("adopt-runtime-twice", lambda s: adopt_twice(s), "RuntimeAlreadyPlanned", ("already has a plan",)),
    Bad("adopt-construct-id-slash", lambda s: AgentCoreAgent.from_runtime(s, "a/b", runtime=imported(s),
                                                                          workload=WorkloadProfile()),
        "InvalidConstructId", ("construct_id", "'a/b'")),
    Bad("api-agent-l2-runtime", lambda s: AgentApiFacade(s, "Api", agent=l2_runtime(s)), "InvalidProps",
        ("agent", "Runtime", "AgentCoreAgent.from_runtime(scope, id, runtime=..., workload=...)")),
    Bad("archive-agents-imported-runtime", lambda s: AgentVersionArchive(s, "Archive", agents=[imported(s)]),
        "InvalidAgent", ("agents[0]", "AgentCoreAgent.from_runtime")),
]


def test_the_table_covers_every_public_construct_and_props_class() -> None:
    families = {case.id.split("-", 1)[0] for case in CASES}
    assert families >= {"agent", "artifact", "workload", "compute", "provider", "volume", "lifecycle", "repository",
                        "api", "auth", "websocket", "jobs", "staging", "store", "tool", "pipeline", "step", "payload",
                        "map", "parallel", "sequence", "monitoring", "archive", "spec", "platform", "adopt",
                        "rollout"}
    assert len(CASES) >= 82 and len({case.id for case in CASES}) == len(CASES)



def outcome(case: Bad) -> ConstructsLibValidationError:
    """The validation error ``case`` raises; anything else (acceptance, another exception) is an AssertionError."""
    stack = cdk.Stack(cdk.App(), "BadProps", env=ENV)
    try:
        case.build(stack)
    except ConstructsLibValidationError as error:
        return error
    except Exception as other:  # a Python trace, or jsii's RuntimeError for a Node.js error
        raise AssertionError(f"{case.id}: {type(other).__name__} escaped: {other}") from other
    raise AssertionError(f"{case.id}: accepted silently")


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CASES])
def test_a_bad_prop_is_a_clear_validation_error(case: Bad) -> None:
    # GIVEN a fresh stack WHEN the construct is built with the bad input
    error = outcome(case)
    # THEN a validation error with the stable code, naming the prop, the value and what is allowed
    assert error.code == case.code, str(error)
    missing = [fragment for fragment in case.says if fragment not in str(error)]
    assert not missing, f"{error} lacks {missing}"


def test_jsii_and_python_errors_are_not_validation_errors() -> None:
    # jsii's RuntimeError for a Node.js error, and TypeError/AttributeError, are not ConstructsLibValidationError: a row
    # that reached one fails above. This guards the guard.
    assert not issubclass(ConstructsLibValidationError, RuntimeError | TypeError | AttributeError)
    assert issubclass(ConstructsLibValidationError, ValueError)
