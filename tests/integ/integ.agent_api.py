"""Integ app "agent behind its API": a direct-code agent behind an IAM-authenticated REST facade.

Deploys the reference research agent (direct code; its dependencies installed into the package at synth) with a
synchronous workload, so ``AgentApiFacade`` serves ``POST /invoke`` buffered. The assertion sends a SigV4-signed
``POST /invoke`` through :class:`~tests.integ.support.SignedApiClient` and expects the agent's answer, retried while
the runtime's first session starts.
"""

import aws_cdk as cdk
from aws_cdk import integ_tests_alpha as integ

from constructs_lib import WorkloadProfile
from tests.integ.support import RESEARCH_ANSWER, answered, integ_stack, research_agent_behind_api

PROMPT = "hello from the agent API integration test"

app = cdk.App()
stack = integ_stack(app, "constructs-lib-integ-agent-api")
client = research_agent_behind_api(
    stack,
    # Answers within the REST integration timeout: the facade serves POST /invoke synchronously.
    workload=WorkloadProfile(longest_task=cdk.Duration.seconds(20), peak_requests_per_second=1),
    description="constructs_lib integration test: direct-code agent behind AgentApiFacade",
).client

test = integ.IntegTest(app, "AgentApi", test_cases=[stack], diff_assets=False, stack_update_workflow=False)
invoke = client.request(test.assertions, "POST", "/invoke", {"prompt": PROMPT})
invoke.expect(answered(200, {"result": RESEARCH_ANSWER.format(prompt=PROMPT)}))
# The first invocation starts the runtime's first session: retry until it answers (or the time is up).
invoke.wait_for_assertions(total_timeout=cdk.Duration.minutes(5), interval=cdk.Duration.seconds(15))

app.synth()
