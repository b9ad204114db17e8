"""Integ app "version archive": every version of a deployed agent is copied to S3.

A direct-code agent archived by ``AgentVersionArchive``. The archiver runs on CloudTrail events (which need a trail
in the account) and on a daily sweep; the assertions start the sweep at once, with the schedule's own input, then read
the document of the runtime's deployed version (``agents/<runtimeId>/versions/<version>.json``) and expect the
runtime's id, version and name in it, settled (``READY``) and in the document layout of schema 2 (environment values
as digests). The archive's buckets keep the library's RETAIN (they hold objects
CloudFormation cannot delete); the runner lists them after the destroy.
"""

import aws_cdk as cdk
from aws_cdk import integ_tests_alpha as integ

from constructs_lib import WorkloadProfile
from constructs_lib.operations.version_archive import AgentVersionArchive
from tests.integ.support import integ_stack, research_agent

app = cdk.App()
stack = integ_stack(app, "constructs-lib-integ-version-archive", keep_buckets=True)
agent = research_agent(
    stack,
    workload=WorkloadProfile(longest_task=cdk.Duration.minutes(5)),
    description="constructs_lib integration test: an archived agent",
)
archive = AgentVersionArchive(stack, "Archive", agents=[agent])

test = integ.IntegTest(app, "VersionArchive", test_cases=[stack], diff_assets=False, stack_update_workflow=False)
sweep = test.assertions.invoke_function(
    function_name=archive.function.function_name, payload=cdk.Stack.of(stack).to_json_string({"action": "sweep"})
)
# A sweep that could not archive a version fails the invocation, and its answer has no "incomplete".
sweep.expect(integ.ExpectedResult.object_like(
    {"Payload": integ.Match.serialized_json(integ.Match.object_like({"incomplete": []}))}
))
document = test.assertions.aws_api_call("S3", "getObject", {
    "Bucket": archive.bucket.bucket_name,
    "Key": AgentVersionArchive.object_key(agent.agent_runtime_id, agent.agent_runtime_version),
})
document.expect(integ.ExpectedResult.object_like({
    "ContentType": "application/json",
    "Metadata": {"configuration-sha256": integ.Match.string_like_regexp("^[0-9a-f]{64}$"),
                 "schema-version": "2", "runtime-status": "READY"},
    "Body": integ.Match.serialized_json(integ.Match.object_like({
        "schema_version": 2,
        "status": "READY",
        "agent_runtime_id": agent.agent_runtime_id,
        "agent_runtime_version": agent.agent_runtime_version,
        "configuration": {
            "agentRuntimeId": agent.agent_runtime_id,
            "agentRuntimeVersion": agent.agent_runtime_version,
            "agentRuntimeName": agent.runtime_name,
        },
    })),
}))
sweep.next(document)

app.synth()
