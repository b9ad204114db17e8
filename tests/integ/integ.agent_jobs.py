"""Integ app "asynchronous agent": the job API of a direct-code agent planned for long tasks.

The research agent, planned asynchronous (tasks of an hour), behind ``AgentApiFacade``: the facade serves
``POST /jobs`` and ``GET /jobs/{jobId}`` with its job table, and the agent reports completion with
``job_reporter``. The assertions start a job through the SigV4 client, expect ``202`` with a job id, then poll
``GET /jobs/{jobId}`` (same caller, so the job's owner) until the job has SUCCEEDED with the agent's result.
"""

import aws_cdk as cdk
from aws_cdk import integ_tests_alpha as integ

from constructs_lib import WorkloadProfile
from tests.integ.support import RESEARCH_ANSWER, answered, integ_stack, research_agent_behind_api

PROMPT = "summarize the job API integration test"

app = cdk.App()
stack = integ_stack(app, "constructs-lib-integ-agent-jobs")
client = research_agent_behind_api(
    stack,
    # Longer than a streamed answer may last: the plan is asynchronous and the facade serves the job API.
    workload=WorkloadProfile(longest_task=cdk.Duration.hours(2), peak_concurrent_sessions=2),
    description="constructs_lib integration test: asynchronous agent behind the job API",
).client

test = integ.IntegTest(app, "AgentJobs", test_cases=[stack], diff_assets=False, stack_update_workflow=False)
start = client.request(test.assertions, "POST", "/jobs", {"prompt": PROMPT})
start.assert_at_path("Payload.status", integ.ExpectedResult.exact(202))
# The first job starts the runtime's first session: retry until one is accepted (its job id is the one read).
start.wait_for_assertions(total_timeout=cdk.Duration.minutes(5), interval=cdk.Duration.seconds(15))
job = client.request(test.assertions, "GET", cdk.Fn.join("", ["/jobs/", start.get_att_string("Payload.json.jobId")]))
job.expect(answered(200, {"status": "SUCCEEDED", "result": RESEARCH_ANSWER.format(prompt=PROMPT)}))
job.wait_for_assertions(total_timeout=cdk.Duration.minutes(10), interval=cdk.Duration.seconds(20))
start.next(job)

app.synth()
