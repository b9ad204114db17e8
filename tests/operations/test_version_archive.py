"""AgentVersionArchive: the bucket and its policies, the archiver, the rule's event pattern, the schedule,
the dead-letter queue and its alarm, least privilege, and the synth-time warnings."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Capture, Match, Template

from constructs_lib import AgentArtifact, AgentCoreAgent, ConstructsLibValidationError, WorkloadProfile
from constructs_lib._cdk.scope import catalog_for
from constructs_lib.handlers import version_archiver
from constructs_lib.limits.catalog import EDITION_CONTEXT_KEY, QuotaName
from constructs_lib.operations.version_archive import (
    RUNTIME_EVENT_NAMES,
    AgentVersionArchive,
    is_audit_required,
    mark_audit_required,
)
from tests.conftest import REGION


def _agent(stack: cdk.Stack, name: str, **workload: Any) -> AgentCoreAgent:
    return AgentCoreAgent(
        stack, name.title(), runtime_name=f"{name}_agent",
        artifact=AgentArtifact.from_managed_repository("v1"),
        workload=WorkloadProfile(**workload) if workload else None,
    )


@pytest.fixture
def archived(stack: cdk.Stack) -> tuple[cdk.Stack, AgentVersionArchive, list[AgentCoreAgent], Template]:
    agents = [_agent(stack, "support"), _agent(stack, "research")]
    archive = AgentVersionArchive(stack, "Archive", agents=agents[:1])
    archive.add_agent(agents[1])
    return stack, archive, agents, Template.from_stack(stack)


def _logical_id(stack: cdk.Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child)


def test_bucket_is_versioned_encrypted_private_logged_and_retained(archived: Any) -> None:
    stack, archive, _, template = archived
    bucket_id = _logical_id(stack, archive.bucket)
    logs_id = _logical_id(stack, archive.access_logs_bucket)
    template.has_resource("AWS::S3::Bucket", {
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": Match.object_like({
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True, "BlockPublicPolicy": True,
                "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LoggingConfiguration": {"DestinationBucketName": {"Ref": logs_id}, "LogFilePrefix": "version-archive/"},
            "LifecycleConfiguration": {
                "TransitionDefaultMinimumObjectSize": "all_storage_classes_128K",
                "Rules": [Match.object_like({
                    "Id": "ArchiveAgentVersions",
                    "Status": "Enabled",
                    "Transitions": [{"StorageClass": "GLACIER_IR", "TransitionInDays": 30}],
                    "NoncurrentVersionTransitions": [{"StorageClass": "GLACIER_IR", "TransitionInDays": 30}],
                })],
            },
        }),
    })
    # both buckets are retained, and the archive has no object lock unless asked
    for logical_id in (bucket_id, logs_id):
        resource = template.to_json()["Resources"][logical_id]
        assert resource["DeletionPolicy"] == "Retain"
    assert "ObjectLockEnabled" not in template.to_json()["Resources"][bucket_id]["Properties"]


def test_bucket_policies_deny_plain_http_and_admit_only_the_log_service(archived: Any) -> None:
    stack, archive, _, template = archived
    for bucket in (archive.bucket, archive.access_logs_bucket):
        template.has_resource_properties("AWS::S3::BucketPolicy", {
            "Bucket": {"Ref": _logical_id(stack, bucket)},
            "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
                "Effect": "Deny", "Action": "s3:*", "Principal": {"AWS": "*"},
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            })])},
        })
    template.has_resource_properties("AWS::S3::BucketPolicy", {
        "Bucket": {"Ref": _logical_id(stack, archive.access_logs_bucket)},
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Effect": "Allow", "Action": "s3:PutObject", "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Condition": Match.object_like({
                "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [_logical_id(stack, archive.bucket), "Arn"]}},
            }),
        })])},
    })
    # no policy statement grants anyone outside the account
    for policy in template.find_resources("AWS::S3::BucketPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Deny" or statement["Principal"] == {"Service": "logging.s3.amazonaws.com"}


def test_object_lock_and_transition_options(stack: cdk.Stack) -> None:
    AgentVersionArchive(stack, "Locked", object_lock=True, archive_transition_after=cdk.Duration.days(90))
    AgentVersionArchive(
        stack, "Compliance",
        object_lock_default_retention=s3.ObjectLockRetention.compliance(cdk.Duration.days(2555)),
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::S3::Bucket", {
        "ObjectLockEnabled": True,
        "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {
            "Mode": "GOVERNANCE", "Days": 365}}},
        "LifecycleConfiguration": Match.object_like({"Rules": [Match.object_like({
            "Transitions": [{"StorageClass": "GLACIER_IR", "TransitionInDays": 90}]})]}),
    })
    template.has_resource_properties("AWS::S3::Bucket", {
        "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {
            "Mode": "COMPLIANCE", "Days": 2555}}},
    })


def test_kms_key_and_destroy_policy_options(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    archive = AgentVersionArchive(stack, "Archive", encryption_key=key, removal_policy=cdk.RemovalPolicy.DESTROY,
                                  agents=[_agent(stack, "support")])
    template = Template.from_stack(stack)
    template.has_resource("AWS::S3::Bucket", {
        "DeletionPolicy": "Delete",
        "Properties": Match.object_like({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": Match.any_value()},
        }]}}),
    })
    template.has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": _logical_id(stack, archive.role)}],
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Action": Match.array_with(["kms:Decrypt", "kms:GenerateDataKey*"]),
        })])},
    })


def test_archiver_function_settings(archived: Any) -> None:
    stack, archive, agents, template = archived
    template.has_resource_properties("AWS::Lambda::Function", {
        "Runtime": Match.string_like_regexp(r"^python3\.1[2-9]$"),
        "Architectures": ["arm64"],
        "Handler": "version_archiver.handler",
        "TracingConfig": {"Mode": "Active"},
        "Timeout": catalog_for(stack).value(QuotaName.LAMBDA_TIMEOUT, REGION),
        "DeadLetterConfig": {"TargetArn": {"Fn::GetAtt": [_logical_id(stack, archive.dead_letter_queue), "Arn"]}},
        "LoggingConfig": {"LogGroup": {"Ref": _logical_id(stack, archive.log_group)}},
        "Environment": {"Variables": {
            "ARCHIVE_BUCKET": {"Ref": _logical_id(stack, archive.bucket)},
            "ARCHIVE_PREFIX": "agents/",
            "ARCHIVED_RUNTIME_IDS": {"Fn::Join": [",", [
                {"Fn::GetAtt": [_logical_id(stack, a.runtime), "AgentRuntimeId"]} for a in agents
            ]]},
            "CONTROL_PLANE_MAX_ATTEMPTS": "10",
            "DEADLINE_MARGIN_SECONDS": "20",
            "ENVIRONMENT_DIGEST_KEY_ARN": {"Fn::GetAtt": [_logical_id(stack, archive.environment_digest_key), "Arn"]},
        }},
    })
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})
    template.has_resource_properties("AWS::Lambda::EventInvokeConfig", {
        "MaximumRetryAttempts": catalog_for(stack).value(QuotaName.LAMBDA_ASYNC_RETRY_ATTEMPTS)})
    # the construct sets every variable the handler requires (it has no fallback of its own)
    (function,) = template.find_resources("AWS::Lambda::Function", {
        "Properties": {"Handler": "version_archiver.handler"}}).values()
    assert set(version_archiver.REQUIRED_ENVIRONMENT) <= set(function["Properties"]["Environment"]["Variables"])
    assert [a.runtime_name for a in archive.archived_agents] == ["support_agent", "research_agent"]


def test_role_has_least_privilege(archived: Any) -> None:
    stack, archive, agents, template = archived
    role_id = _logical_id(stack, archive.role)
    template.has_resource_properties("AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {
            "Statement": [Match.object_like({"Principal": {"Service": "lambda.amazonaws.com"}})]
        },
        "ManagedPolicyArns": Match.absent(),
    })
    statements = Capture()
    template.has_resource_properties("AWS::IAM::Policy", {"Roles": [{"Ref": role_id}],
                                                          "PolicyDocument": {"Statement": statements}})
    by_sid = {s.get("Sid"): s for s in statements.as_array()}
    get = by_sid["ReadArchivedRuntimeVersions"]
    assert get["Action"] == "bedrock-agentcore:GetAgentRuntime"
    assert sorted(map(json.dumps, get["Resource"])) == sorted(
        json.dumps({"Fn::GetAtt": [_logical_id(stack, a.runtime), "AgentRuntimeArn"]}) for a in agents)
    assert by_sid["ListRuntimeVersions"]["Action"] == "bedrock-agentcore:ListAgentRuntimeVersions"
    s3_statement = by_sid["ReadWriteArchive"]
    assert s3_statement["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert s3_statement["Resource"] == {"Fn::Join": ["", [
        {"Fn::GetAtt": [_logical_id(stack, archive.bucket), "Arn"]}, "/agents/*"]]}
    actions = [
        a for s in statements.as_array() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert not [a for a in actions if a.endswith("*") and not a.startswith(("xray:", "logs:"))]
    assert "sqs:SendMessage" in actions


def test_environment_values_are_digested_with_a_retained_hmac_key_only_the_archiver_may_use(stack: cdk.Stack) -> None:
    # GIVEN the archive, and an auditor allowed to check candidate values
    archive = AgentVersionArchive(stack, "Archive", agents=[_agent(stack, "support")])
    auditor = iam.Role(stack, "Auditor", assumed_by=iam.AccountRootPrincipal())
    archive.grant_verify_environment_digests(auditor)
    template = Template.from_stack(stack)
    key_id = _logical_id(stack, archive.environment_digest_key)
    # THEN its digest key is an HMAC key, kept when the stack goes (the digests can be checked only while it exists)
    template.has_resource("AWS::KMS::Key", {
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        "Properties": Match.object_like({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}),
    })
    # AND the archiver may compute digests with it, nothing else
    statements = Capture()
    template.has_resource_properties("AWS::IAM::Policy", {"Roles": [{"Ref": _logical_id(stack, archive.role)}],
                                                          "PolicyDocument": {"Statement": statements}})
    on_key = [s for s in statements.as_array() if s["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}]
    assert [s["Action"] for s in on_key] == ["kms:GenerateMac"]
    # AND the auditor may check values (kms:VerifyMac), not compute digests
    template.has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": stack.get_logical_id(auditor.node.default_child)}],  # type: ignore[arg-type]
        "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "kms:VerifyMac",
                                          "Resource": {"Fn::GetAtt": [key_id, "Arn"]}}]},
    })


def test_the_dead_letter_queue_is_retained_with_the_archive(stack: cdk.Stack) -> None:
    # The dead letters are the only record of versions that could not be archived: they follow the archive's policy
    AgentVersionArchive(stack, "Kept")
    other = cdk.Stack(cdk.App(), "Disposable")
    AgentVersionArchive(other, "Gone", removal_policy=cdk.RemovalPolicy.DESTROY)
    Template.from_stack(stack).has_resource("AWS::SQS::Queue", {"DeletionPolicy": "Retain"})
    Template.from_stack(other).has_resource("AWS::SQS::Queue", {"DeletionPolicy": "Delete"})
    Template.from_stack(other).has_resource("AWS::KMS::Key", {"DeletionPolicy": "Delete"})


def test_the_archiver_asset_holds_the_handler_and_its_contract_only(tmp_path: Any) -> None:
    # GIVEN an archive synthesized
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Assets")
    archive = AgentVersionArchive(stack, "Archive")
    assembly = app.synth()
    # THEN the function's asset is the handler module and the contract it imports, nothing else
    function = Template.from_stack(stack).find_resources("AWS::Lambda::Function")[_logical_id(stack, archive.function)]
    key = function["Properties"]["Code"]["S3Key"]
    manifest = json.loads((tmp_path / "Assets.assets.json").read_text())
    (source,) = [f["source"]["path"] for f in manifest["files"].values()
                 if any(d["objectKey"] == key for d in f["destinations"].values())]
    assert sorted(p.name for p in (tmp_path / source).iterdir()) == ["contract.py", "version_archiver.py"]
    assert assembly.directory == str(tmp_path)


def test_role_may_list_the_bucket_so_a_missing_document_is_a_404(archived: Any) -> None:
    # GIVEN the archiver, which asks HeadObject whether a version is already archived
    stack, archive, _, template = archived
    statements = Capture()
    template.has_resource_properties("AWS::IAM::Policy", {"Roles": [{"Ref": _logical_id(stack, archive.role)}],
                                                          "PolicyDocument": {"Statement": statements}})
    # THEN its role may list the archive bucket (and only it): without s3:ListBucket, S3 answers 403
    # instead of 404 for a missing key and no new version could be archived
    listing = [s for s in statements.as_array() if "s3:ListBucket" in ([s["Action"]] if isinstance(
        s["Action"], str) else s["Action"])]
    assert len(listing) == 1
    assert listing[0]["Resource"] == {"Fn::GetAtt": [_logical_id(stack, archive.bucket), "Arn"]}
    assert "Condition" not in listing[0]


def test_rule_matches_cloudtrail_runtime_events(archived: Any) -> None:
    stack, archive, _, template = archived
    template.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": {
            "source": ["aws.bedrock-agentcore"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {
                "eventSource": ["bedrock-agentcore.amazonaws.com"],
                "eventName": ["CreateAgentRuntime", "CreateAgentRuntimeEndpoint",
                              "UpdateAgentRuntime", "UpdateAgentRuntimeEndpoint"],
            },
        },
        "State": "ENABLED",
        "Targets": [Match.object_like({
            "Arn": {"Fn::GetAtt": [_logical_id(stack, archive.function), "Arn"]},
            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [_logical_id(stack, archive.dead_letter_queue), "Arn"]}},
            "RetryPolicy": {"MaximumRetryAttempts": 3},
        })],
    })
    # the construct and the handler agree on the events that create versions
    assert set(RUNTIME_EVENT_NAMES) == version_archiver.RUNTIME_EVENT_NAMES


def test_schedule_sweeps_daily(archived: Any) -> None:
    stack, archive, _, template = archived
    template.has_resource_properties("AWS::Events::Rule", {
        "ScheduleExpression": "rate(1 day)",
        "Targets": [Match.object_like({
            "Arn": {"Fn::GetAtt": [_logical_id(stack, archive.function), "Arn"]},
            "Input": '{"action":"sweep"}',
            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [_logical_id(stack, archive.dead_letter_queue), "Arn"]}},
        })],
    })
    template.resource_count_is("AWS::Lambda::Permission", 2)


def test_custom_schedule(stack: cdk.Stack) -> None:
    AgentVersionArchive(stack, "Archive", schedule=events.Schedule.rate(cdk.Duration.hours(6)))
    Template.from_stack(stack).has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(6 hours)"})


def test_dead_letter_queue_is_encrypted_tls_only_and_alarmed(stack: cdk.Stack) -> None:
    topic = sns.Topic(stack, "Pager")
    archive = AgentVersionArchive(stack, "Archive", alarm_topic=topic, agents=[_agent(stack, "support")])
    template = Template.from_stack(stack)
    queue_id = _logical_id(stack, archive.dead_letter_queue)
    template.has_resource_properties("AWS::SQS::Queue", {"SqsManagedSseEnabled": True,
                                                         "MessageRetentionPeriod": 1209600})
    template.has_resource_properties("AWS::SQS::QueuePolicy", {
        "Queues": [{"Ref": queue_id}],
        "PolicyDocument": {"Statement": Match.array_with([
            Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
            Match.object_like({"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                               "Action": "sqs:SendMessage"}),
        ])},
    })
    topic_ref = {"Ref": stack.get_logical_id(topic.node.default_child)}  # type: ignore[arg-type]
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Namespace": "AWS/SQS",
        "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}],
        "Statistic": "Maximum",
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [topic_ref],
        "OKActions": [topic_ref],
    })


def test_grant_read_is_limited_to_the_documents(stack: cdk.Stack) -> None:
    archive = AgentVersionArchive(stack, "Archive", agents=[_agent(stack, "support")])
    auditor = iam.Role(stack, "Auditor", assumed_by=iam.AccountRootPrincipal())
    archive.grant_read(auditor)
    Template.from_stack(stack).has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": _logical_id(stack, auditor)}],
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Resource": Match.array_with([{"Fn::Join": ["", [
                {"Fn::GetAtt": [_logical_id(stack, archive.bucket), "Arn"]}, "/agents/*"]]}]),
        })])},
    })


def test_object_key_matches_the_handler() -> None:
    assert AgentVersionArchive.object_key("rt-abcdefghij", "37") == version_archiver.object_key(
        "agents/", "rt-abcdefghij", "37") == "agents/rt-abcdefghij/versions/37.json"


def test_adding_an_agent_twice_changes_nothing(stack: cdk.Stack) -> None:
    agent = _agent(stack, "support")
    archive = AgentVersionArchive(stack, "Archive", agents=[agent])
    archive.add_agent(agent)
    statements = Capture()
    Template.from_stack(stack).has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": _logical_id(stack, archive.role)}], "PolicyDocument": {"Statement": statements}})
    get = next(s for s in statements.as_array() if s.get("Sid") == "ReadArchivedRuntimeVersions")
    assert get["Resource"] == {"Fn::GetAtt": [_logical_id(stack, agent.runtime), "AgentRuntimeArn"]}


def test_warns_when_deployments_outrun_the_sweep(stack: cdk.Stack) -> None:
    # GIVEN an agent deploying often enough to put its versions quota at risk (VersionsQuotaAtRisk),
    # swept so rarely that more versions than the quota are created between two sweeps
    versions = catalog_for(stack).resolve(QuotaName.VERSIONS_PER_AGENT, REGION)
    busy = _agent(stack, "busy", deployments_per_day=30)
    days = int(versions.value // 30) + 1
    AgentVersionArchive(stack, "Archive", agents=[busy], schedule=events.Schedule.rate(cdk.Duration.days(days)))
    # THEN an acknowledgeable warning names the agent, the quota and the way out
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Archive", Match.string_like_regexp(r"busy_agent deploys 30 times a day.*versions per agent")
    )
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Archive", Match.string_like_regexp(r"constructs_lib:VersionArchiveFallsBehind")
    )


def test_daily_sweep_keeps_up_with_a_busy_agent(stack: cdk.Stack) -> None:
    busy = _agent(stack, "busy", deployments_per_day=30)
    AgentVersionArchive(stack, "Archive", agents=[busy])
    annotations = Annotations.from_stack(stack)
    annotations.has_no_warning("/TestStack/Archive", Match.any_value())
    annotations.has_info("/TestStack/Archive", Match.string_like_regexp(
        r"VersionArchiveKeepsUp.*busy_agent: at 30 deployments a day the quota of 1,000 versions fills in 33.3 days"))


def test_projection_does_not_rest_on_automatic_version_deletion(make_stack: Callable[..., cdk.Stack]) -> None:
    # GIVEN edition 2026-03 and 2026-09, and a weekly sweep of an agent deploying 200 times a day
    for edition in ("2026-03", "2026-09"):
        stack = make_stack(context={EDITION_CONTEXT_KEY: edition})
        busy = _agent(stack, "busy", deployments_per_day=200)
        AgentVersionArchive(stack, "Archive", agents=[busy], schedule=events.Schedule.rate(cdk.Duration.days(7)))
        # THEN both editions warn: 1,400 versions between two sweeps, whatever deletes inactive versions
        Annotations.from_stack(stack).has_warning("/TestStack/Archive", Match.string_like_regexp(
            r"VersionArchiveFallsBehind.*1,400 versions are created between two sweeps"))


def test_archive_bucket_is_the_primary_child(stack: cdk.Stack) -> None:
    archive = AgentVersionArchive(stack, "Archive")
    assert archive.node.default_child is archive.bucket and archive.bucket.node.id == "Resource"


def test_token_transition_is_not_guessed(stack: cdk.Stack) -> None:
    days = cdk.CfnParameter(stack, "Days", type="Number").value_as_number
    AgentVersionArchive(stack, "Archive", archive_transition_after=cdk.Duration.days(days))
    Annotations.from_stack(stack).has_info(
        "/TestStack/Archive", Match.string_like_regexp("archive_transition_after is an unresolved token"))


def test_cron_schedule_is_not_checked(stack: cdk.Stack) -> None:
    busy = _agent(stack, "busy", deployments_per_day=30)
    AgentVersionArchive(stack, "Archive", agents=[busy], schedule=events.Schedule.cron(hour="3", minute="0"))
    Annotations.from_stack(stack).has_info("/TestStack/Archive", Match.string_like_regexp("not a rate"))


def test_warns_when_an_audited_agent_is_not_archived(stack: cdk.Stack) -> None:
    # GIVEN two agents needing an audit trail, only one of them archived
    audited, forgotten = _agent(stack, "audited"), _agent(stack, "forgotten")
    AgentVersionArchive(stack, "Archive", agents=[audited], audit_required_agents=[audited])
    mark_audit_required(forgotten)
    assert is_audit_required(forgotten)
    # THEN only the forgotten one is reported
    annotations = Annotations.from_stack(stack)
    annotations.has_warning("/TestStack/Forgotten", Match.string_like_regexp("AuditedAgentNotArchived"))
    annotations.has_no_warning("/TestStack/Audited", Match.string_like_regexp("AuditedAgentNotArchived"))


def test_audited_agent_archived_later_is_not_reported(stack: cdk.Stack) -> None:
    agent = _agent(stack, "audited")
    archive = AgentVersionArchive(stack, "Archive", audit_required_agents=[agent])
    archive.add_agent(agent)
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("AuditedAgentNotArchived"))


@pytest.mark.parametrize("after", [cdk.Duration.hours(6), cdk.Duration.hours(36)])
def test_fails_when_the_transition_is_not_whole_days(stack: cdk.Stack, after: cdk.Duration) -> None:
    with pytest.raises(ConstructsLibValidationError, match="archive_transition_after.*whole number of days") as exc:
        AgentVersionArchive(stack, "Archive", archive_transition_after=after)
    assert exc.value.code == "InvalidArchiveTransition"


def test_fails_when_an_agent_is_not_an_agentcore_agent(make_stack: Callable[..., cdk.Stack]) -> None:
    stack = make_stack()
    archive = AgentVersionArchive(stack, "Archive")
    with pytest.raises(ConstructsLibValidationError) as exc:
        archive.add_agent("support_agent")  # type: ignore[arg-type]
    assert exc.value.code == "InvalidAgent"
