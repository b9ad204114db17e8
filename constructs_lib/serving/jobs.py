"""AgentJobs: the job table behind an asynchronous job API (``POST /jobs``, ``GET`` and ``DELETE /jobs/{jobId}``).

How a job runs:

1. ``POST /jobs`` (the facade's proxy) writes ``{jobId, status: PENDING, owner, sessionId, runtimeSessionId,
   createdAt, updatedAt, expiresAt}``, invokes the agent with the client's body plus ``"jobId"`` (and, with payload
   staging, ``"resultPrefix"``: the caller's own output prefix) in the caller's runtime session, and answers
   ``202 {"jobId", "status": "RUNNING", "sessionId"}`` as soon as the agent acknowledges. The proxy then moves the
   job to ``RUNNING`` unless the agent has already finished it. If the invocation fails, the job is ``FAILED``, its
   runtime session is stopped and the client gets the mapped error. With an ``Idempotency-Key`` header, a retry of
   the same request by the same caller answers the first request's job (Powertools idempotency; its records live in
   this table under ``jobId`` and expire through the same TTL attribute).
2. The agent keeps working in its session after answering (its ``/ping`` reports ``HealthyBusy`` so the
   session lives up to ``maxLifetime``, at most the asynchronous job duration quota).
3. ``GET /jobs/{jobId}`` reads the record (strongly consistent) and returns it to its owner only: the caller's full
   identity (a role session, not the role; a Cognito identity, not the pool's role); any other caller gets 404.
   ``DELETE /jobs/{jobId}`` cancels a ``PENDING`` or ``RUNNING`` job of its owner (``CANCELLED``) and stops its runtime
   session; a job that has ended is a 409.

The contract an agent follows to report completion (environment variable ``AGENT_JOBS_TABLE_NAME``,
permission ``dynamodb:UpdateItem`` on that table, both given by :meth:`AgentJobs.bind`, which the facade calls):

- read ``jobId`` from the invocation payload and answer the invocation at once (for example
  ``{"accepted": true}``), then do the work in the background;
- optionally report progress: ``SET #status = :running, progress = :text, updatedAt = :now``;
- on success: ``UpdateItem(Key={"jobId": {"S": job_id}}, UpdateExpression="SET #status = :done,
  #result = :result, updatedAt = :now", ConditionExpression="attribute_exists(jobId)")`` with
  ``:done = "SUCCEEDED"`` and either ``result`` (a string, kept well under DynamoDB's item size limit)
  or ``resultKey`` (an object key under the ``resultPrefix`` of the payload, the caller's own output prefix of
  :class:`PayloadStaging`, which the API turns into a pre-signed download URL; a key anywhere else is not signed);
- on failure: ``status = "FAILED"`` and ``error`` (a message meant for the client, without internals);
- ``updatedAt`` is epoch seconds; the proxy never overwrites a ``SUCCEEDED``, ``FAILED`` or ``CANCELLED`` job.

Records expire through DynamoDB TTL on ``expiresAt`` (epoch seconds) after ``time_to_live``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_lib._cdk.props import PropChecks
from constructs_lib._cdk.reporting import report, report_unresolved, warn_unless_retained
from constructs_lib._cdk.scope import catalog_for, path_of, region_of
from constructs_lib._cdk.tables import partitioned_grant
from constructs_lib.agent.interface import IAgentCoreAgent, require_agent
from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.handlers import contract
from constructs_lib.planning.compute import ComputeKind
from constructs_lib.planning.serving import job_lifetime, job_record_findings
from constructs_lib.serving._values import whole_number_text

#: Environment variable through which the agent learns the job table's name.
AGENT_ENV_TABLE_NAME = "AGENT_JOBS_TABLE_NAME"
#: How long job records are kept unless ``time_to_live`` says, or the agents' jobs may run longer (a choice of the
#: library: long enough to read a result after a week away).
DEFAULT_TIME_TO_LIVE = cdk.Duration.days(7)
#: Partition key of the job table.
PARTITION_KEY = "jobId"
#: TTL attribute of the job table (epoch seconds).
TTL_ATTRIBUTE = "expiresAt"
#: Actions the proxy needs: create a job, read it, move it between states; and Powertools idempotency, which also
#: deletes the record of a request that failed (so that a retry can start the job).
PROXY_ACTIONS: tuple[str, ...] = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
#: Actions an agent needs to report progress and completion.
AGENT_ACTIONS: tuple[str, ...] = ("dynamodb:UpdateItem",)


class AgentJobs(Construct):
    """Defines the DynamoDB table that tracks asynchronous agent jobs, with the grants around it.

    Secure defaults: on-demand billing, encryption at rest (AWS owned key, or ``encryption_key``),
    point-in-time recovery, deletion protection off but the table retained when it leaves the stack,
    and a TTL on ``expiresAt`` so finished jobs do not accumulate.

    Args:
        scope: parent construct.
        construct_id: construct id.
        time_to_live: how long a job record is kept after it is created. Must be at least the
            asynchronous job duration quota (a record must outlive the job it tracks; shorter is the synth error
            ``JobTimeToLiveTooShort``). Default: 7 days.
        encryption_key: customer managed KMS key. Default: DynamoDB's AWS owned key.
        removal_policy: what happens to the table when it leaves the stack. Default: RETAIN.
        idempotency_key_lifetime: how long ``POST /jobs`` remembers an ``Idempotency-Key`` (a retry after it starts
            another job). Default: one day.

    Wiring: ``jobs.bind(agent)`` lets the agent report and tells it the table's name; ``jobs.grant_start(proxy)``
    lets a proxy start and read jobs. The ``grant_*`` methods only grant.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        time_to_live: cdk.Duration | None = None,
        encryption_key: kms.IKey | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        idempotency_key_lifetime: cdk.Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        checks = PropChecks(path_of(self))  # types first, before anything reaches jsii (constructs_lib._cdk.props)
        checks.duration("time_to_live", time_to_live)
        checks.resource("encryption_key", encryption_key, "key_arn", "a kms.IKey")
        checks.choice("removal_policy", removal_policy, cdk.RemovalPolicy, optional=False)
        checks.raise_if_any()
        warn_unless_retained(self, removal_policy, "the job table")
        self.time_to_live: cdk.Duration = time_to_live or DEFAULT_TIME_TO_LIVE
        self.idempotency_key_lifetime: cdk.Duration = idempotency_key_lifetime or cdk.Duration.days(1)
        if not isinstance(self.idempotency_key_lifetime, cdk.Duration) or (
            not self.idempotency_key_lifetime.is_unresolved() and self.idempotency_key_lifetime.to_seconds() < 1
        ):
            raise ConstructsLibValidationError(
                "InvalidIdempotencyKeyLifetime",
                f"idempotency_key_lifetime must be a Duration of at least 1 second, got {idempotency_key_lifetime!r}",
                path_of(self),
            )
        self._check_time_to_live()
        #: The compute kinds the time to live was checked for (microVM when the table was made; others at bind).
        self._checked_kinds: set[ComputeKind] = {ComputeKind.MICROVM}
        self.table: dynamodb.Table = dynamodb.Table(
            self,
            "Resource",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=TTL_ATTRIBUTE,
            # Job records hold client results: encrypted, recoverable, and kept when the stack goes.
            encryption=(
                dynamodb.TableEncryption.CUSTOMER_MANAGED if encryption_key else dynamodb.TableEncryption.AWS_MANAGED
            ),
            encryption_key=encryption_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=removal_policy,
        )
        self.node.default_child = self.table

    def _check_time_to_live(self) -> None:
        seconds: float | None = None
        if self.time_to_live.is_unresolved():
            report_unresolved(self, "time_to_live", "the asynchronous job duration")
        else:
            seconds = self.time_to_live.to_seconds()
        report(self, job_record_findings(catalog_for(self), region_of(self), seconds))

    def _check_time_to_live_for(self, agent: IAgentCoreAgent) -> None:
        """An agent whose jobs outlive microVM limits (Instances compute) needs records that outlive its jobs too."""
        kind = agent.plan.compute.kind
        if kind in self._checked_kinds or self.time_to_live.is_unresolved():
            return  # once per kind: the agents of a shared table all get the same finding
        self._checked_kinds.add(kind)
        report(self, job_record_findings(agent.catalog, agent.region, self.time_to_live.to_seconds(), kind))

    @property
    def table_name(self) -> str:
        """Name of the job table."""
        return self.table.table_name

    @property
    def table_arn(self) -> str:
        """ARN of the job table."""
        return self.table.table_arn

    def environment_for_proxy(self) -> dict[str, str]:
        """Environment variables the facade's proxy reads: the table name, the record lifetime and how long an
        ``Idempotency-Key`` is remembered."""
        return {
            contract.ENV_JOBS_TABLE_NAME: self.table.table_name,
            contract.ENV_JOB_TIME_TO_LIVE_SECONDS: whole_number_text(self.time_to_live.to_seconds()),
            contract.ENV_IDEMPOTENCY_TTL_SECONDS: whole_number_text(self.idempotency_key_lifetime.to_seconds()),
        }

    def grant_start(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` (the proxy) to create, read, update and delete job and idempotency records."""
        return self.table.grant(grantee, *PROXY_ACTIONS)

    def grant_report(self, grantee: iam.IGrantable, *, key_prefix: str | None = None) -> iam.Grant:
        """Allow ``grantee`` to report progress and completion: ``dynamodb:UpdateItem`` on the table (and the key,
        if any). Grants only; :meth:`bind` also tells an agent the table's name.

        Args:
            grantee: who reports.
            key_prefix: in a table several agents share, the prefix of this agent's job records: IAM then refuses
                ``grantee`` every record outside it (condition ``dynamodb:LeadingKeys``). Default: the whole table.
        """
        if key_prefix is None:
            return self.table.grant(grantee, *AGENT_ACTIONS)
        return partitioned_grant(self.table, grantee, AGENT_ACTIONS, key_prefix)

    def bind(self, agent: IAgentCoreAgent, *, key_prefix: str | None = None) -> iam.Grant:
        """Let ``agent`` report its jobs: :meth:`grant_report`, and ``AGENT_JOBS_TABLE_NAME`` in its environment.

        Args:
            agent: the agent.
            key_prefix: the prefix of the agent's records in a table it shares with other agents (see
                :meth:`grant_report`); the ``jobId`` the agent is given already carries it, and the agent is told it
                as ``AGENT_KEY_PREFIX``. Default: the table is the agent's own.

        Returns:
            the grant of :meth:`grant_report`.
        """
        require_agent(agent, "agent", path_of(self), grants=True)
        self._check_time_to_live_for(agent)
        grant = self.grant_report(agent, key_prefix=key_prefix)
        agent.add_environment(AGENT_ENV_TABLE_NAME, self.table.table_name)
        if key_prefix is not None:
            agent.add_environment(contract.ENV_AGENT_KEY_PREFIX, key_prefix)
        return grant

    def metric_consumed_write_capacity_units(self, **options: Any) -> cloudwatch.Metric:
        """Write capacity consumed by job records (Sum)."""
        options.setdefault("statistic", "Sum")
        return self.table.metric_consumed_write_capacity_units(**options)


def time_to_live_for(agents: Sequence[IAgentCoreAgent]) -> cdk.Duration | None:
    """The default time to live of job records serving ``agents``: the longest job any of them may run when that
    outlives :data:`DEFAULT_TIME_TO_LIVE` (14 days of an Instances session), else ``None`` (the default)."""
    longest = max((job_lifetime(a.catalog, a.region, a.plan.compute.kind).value for a in agents), default=0.0)
    return cdk.Duration.seconds(longest) if longest > DEFAULT_TIME_TO_LIVE.to_seconds() else None


__all__ = ["AGENT_ENV_TABLE_NAME", "DEFAULT_TIME_TO_LIVE", "AgentJobs", "time_to_live_for"]
