"""PayloadStaging: secure bucket defaults, lifecycle, prefixes, grants and synth-time checks."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.handlers import contract
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.serving.payload_staging import PayloadStaging

from ._fixtures import make_agent, runtime_environment, synth_errors


def _bucket_id(stack: cdk.Stack, staging: PayloadStaging) -> str:
    return stack.get_logical_id(staging.bucket.node.default_child)


def _statements(template: Template) -> list[dict]:
    statements: list[dict] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _resource_suffixes(statement: dict) -> list[str]:
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    return [r["Fn::Join"][1][-1] if isinstance(r, dict) and "Fn::Join" in r else r for r in resources]


def test_bucket_is_private_encrypted_tls_only_and_retained(stack: cdk.Stack) -> None:
    # GIVEN / WHEN
    PayloadStaging(stack, "Staging")
    template = Template.from_stack(stack)
    # THEN: the staging bucket blocks public access, is encrypted and logs to a separate bucket
    template.has_resource_properties("AWS::S3::Bucket", {
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
        },
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        "LoggingConfiguration": {"DestinationBucketName": {"Ref": Match.string_like_regexp("StagingAccessLogs")}},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "VersioningConfiguration": Match.absent(),
    })
    template.resource_count_is("AWS::S3::Bucket", 2)
    template.all_resources("AWS::S3::Bucket", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    # AND every bucket denies plain HTTP
    policies = template.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for policy in policies.values():
        assert {
            "Action": "s3:*", "Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }.items() <= policy["Properties"]["PolicyDocument"]["Statement"][0].items()
    # AND log delivery is granted by bucket policy (no legacy ACL)
    template.all_resources_properties("AWS::S3::Bucket", {"AccessControl": Match.absent()})


def test_lifecycle_expires_inputs_and_outputs_and_aborts_uploads(stack: cdk.Stack) -> None:
    PayloadStaging(stack, "Staging", object_expiry=cdk.Duration.days(3))
    Template.from_stack(stack).has_resource_properties("AWS::S3::Bucket", {
        "LifecycleConfiguration": {"Rules": Match.array_with([
            Match.object_like({"Id": "ExpireInputs", "Prefix": "inputs/", "ExpirationInDays": 3, "Status": "Enabled"}),
            Match.object_like({"Id": "ExpireOutputs", "Prefix": "outputs/", "ExpirationInDays": 3}),
            Match.object_like({"Id": "AbortIncompleteUploads",
                               "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}),
        ])},
    })


def test_kms_key_uses_sse_kms_with_bucket_key(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    PayloadStaging(stack, "Staging", encryption_key=key)
    Template.from_stack(stack).has_resource_properties("AWS::S3::Bucket", {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": Match.any_value()},
            "BucketKeyEnabled": True,
        }]},
    })


def test_existing_access_logs_bucket_is_used(stack: cdk.Stack) -> None:
    logs = s3.Bucket.from_bucket_name(stack, "Logs", "central-access-logs")
    staging = PayloadStaging(stack, "Staging", server_access_logs_bucket=logs)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::S3::Bucket", 1)
    template.has_resource_properties("AWS::S3::Bucket", {
        "LoggingConfiguration": {"DestinationBucketName": "central-access-logs"},
    })
    assert staging.access_logs_bucket is logs


def test_defaults_come_from_the_catalog(stack: cdk.Stack) -> None:
    staging = PayloadStaging(stack, "Staging")
    assert staging.max_object_bytes == QuotaCatalog().value(QuotaName.REQUEST_PAYLOAD)
    assert staging.url_expiry_seconds == 15 * 60
    env = staging.environment_for_proxy(make_agent(stack))
    assert set(env) == {contract.ENV_STAGING_BUCKET, contract.ENV_STAGING_URL_EXPIRY_SECONDS,
                        contract.ENV_STAGING_MAX_OBJECT_BYTES, contract.ENV_STAGING_INPUT_PREFIX,
                        contract.ENV_STAGING_OUTPUT_PREFIX}
    assert env[contract.ENV_STAGING_URL_EXPIRY_SECONDS] == "900"
    assert env[contract.ENV_STAGING_MAX_OBJECT_BYTES] == str(int(QuotaCatalog().value(QuotaName.REQUEST_PAYLOAD)))
    assert stack.resolve(env[contract.ENV_STAGING_BUCKET]) == {"Ref": _bucket_id(stack, staging)}


def test_prefixes_and_proxy_environment_per_agent(stack: cdk.Stack) -> None:
    agent = make_agent(stack)
    staging = PayloadStaging(
        stack, "Staging", url_expiry=cdk.Duration.minutes(5), max_object_size=cdk.Size.mebibytes(20)
    )
    assert staging.input_prefix(agent) == "inputs/chat_agent/"
    assert staging.output_prefix(agent) == "outputs/chat_agent/"
    env = staging.environment_for_proxy(agent)
    assert env[contract.ENV_STAGING_INPUT_PREFIX] == "inputs/chat_agent/"
    assert env[contract.ENV_STAGING_OUTPUT_PREFIX] == "outputs/chat_agent/"
    assert env[contract.ENV_STAGING_URL_EXPIRY_SECONDS] == "300"
    assert env[contract.ENV_STAGING_MAX_OBJECT_BYTES] == str(20 * 1024 * 1024)


def test_agent_reads_own_inputs_and_writes_own_outputs_only(stack: cdk.Stack) -> None:
    # GIVEN an agent and a staging bucket
    agent = make_agent(stack)
    staging = PayloadStaging(stack, "Staging")
    # WHEN the agent is bound to it
    staging.bind(agent)
    template = Template.from_stack(stack)
    # THEN its role reads inputs/<runtime>/* and writes outputs/<runtime>/*, nothing wider
    s3_statements = [s for s in _statements(template) if any(str(a).startswith("s3:") for a in
                     (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))
                     and "Staging" in str(s["Resource"])]
    by_action = {str(s["Action"]): _resource_suffixes(s) for s in s3_statements}
    assert by_action == {
        "s3:GetObject": ["/inputs/chat_agent/*"],
        "['s3:AbortMultipartUpload', 's3:PutObject']": ["/outputs/chat_agent/*"],
    }
    # AND the agent learns the bucket and its prefixes from its environment
    env = runtime_environment(template)
    assert env[contract.ENV_STAGING_INPUT_PREFIX] == "inputs/chat_agent/"
    assert env[contract.ENV_STAGING_OUTPUT_PREFIX] == "outputs/chat_agent/"
    assert env[contract.ENV_STAGING_BUCKET] == {"Ref": _bucket_id(stack, staging)}


def test_grant_agent_access_only_grants(stack: cdk.Stack) -> None:
    # GIVEN an agent granted access without bind
    agent = make_agent(stack)
    PayloadStaging(stack, "Staging").grant_agent_access(agent)
    template = Template.from_stack(stack)
    # THEN it has its statements, and its environment is left alone
    assert any("/inputs/chat_agent/*" in _resource_suffixes(s) for s in _statements(template))
    assert not set(runtime_environment(template)) & {contract.ENV_STAGING_BUCKET, contract.ENV_STAGING_INPUT_PREFIX}


def test_presign_grants_cover_inputs_for_upload_and_both_prefixes_for_download(stack: cdk.Stack) -> None:
    staging = PayloadStaging(stack, "Staging")
    uploader = iam.Role(stack, "Uploader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    downloader = iam.Role(stack, "Downloader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    staging.grant_presign_upload(uploader)
    staging.grant_presign_download(downloader)
    template = Template.from_stack(stack)
    policies = template.find_resources("AWS::IAM::Policy")
    found = {}
    for policy in policies.values():
        (role,) = policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            found[(role["Ref"][:8], statement["Action"])] = sorted(_resource_suffixes(statement))
    assert found == {
        ("Uploader", "s3:PutObject"): ["/inputs/*"],
        ("Download", "s3:GetObject"): ["/inputs/*", "/outputs/*"],
    }


def test_presign_grants_for_one_agent_cover_only_that_agents_prefixes(stack: cdk.Stack) -> None:
    # GIVEN a signer that serves one agent (the facade's proxy)
    staging = PayloadStaging(stack, "Staging")
    chat = make_agent(stack)
    signer = iam.Role(stack, "Signer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    # WHEN it is granted upload and download signing for that agent
    staging.grant_presign_upload(signer, agent=chat)
    staging.grant_presign_download(signer, agent=chat)
    # THEN it cannot sign URLs for another agent's objects
    found = {}
    for policy in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values():
        if policy["Properties"]["Roles"] != [{"Ref": stack.get_logical_id(signer.node.default_child)}]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            found[statement["Action"]] = sorted(_resource_suffixes(statement))
    assert found == {
        "s3:PutObject": ["/inputs/chat_agent/*"],
        "s3:GetObject": ["/inputs/chat_agent/*", "/outputs/chat_agent/*"],
    }


def test_kms_grants_reach_the_key(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    staging = PayloadStaging(stack, "Staging", encryption_key=key)
    uploader = iam.Role(stack, "Uploader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    staging.grant_presign_upload(uploader)
    Template.from_stack(stack).has_resource_properties("AWS::IAM::Policy", {
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Action": Match.array_with(["kms:Decrypt", "kms:Encrypt"]),
            "Resource": {"Fn::GetAtt": [Match.string_like_regexp("Key"), "Arn"]},
        })])},
    })


def test_fails_when_max_object_size_exceeds_request_payload_quota(stack: cdk.Stack) -> None:
    (error,) = synth_errors(PayloadStaging(stack, "Staging", max_object_size=cdk.Size.mebibytes(101)))
    assert error.startswith("[StagedObjectTooLarge] max_object_size 101 MiB exceeds")
    assert "request payload" in error and "hard limit" in error


def test_fails_when_urls_outlive_what_s3_signs(stack: cdk.Stack) -> None:
    # GIVEN URLs valid longer than S3's pre-signed URL validity (objects kept longer still)
    staging = PayloadStaging(stack, "Staging", url_expiry=cdk.Duration.days(8), object_expiry=cdk.Duration.days(9))
    (error,) = synth_errors(staging)
    assert error.startswith("[StagingUrlExpiryTooLong] url_expiry 8 days exceeds 7 days")
    assert "Amazon S3 quota" in error


def test_the_largest_staged_object_and_url_allowed_pass(stack: cdk.Stack) -> None:
    catalog = QuotaCatalog()
    staging = PayloadStaging(
        stack, "Staging", max_object_size=cdk.Size.bytes(catalog.value(QuotaName.REQUEST_PAYLOAD)),
        url_expiry=cdk.Duration.seconds(catalog.value(QuotaName.S3_PRESIGNED_URL_EXPIRY)),
        object_expiry=cdk.Duration.days(7),
    )
    assert synth_errors(staging) == []


def test_fails_when_max_object_size_is_zero(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        PayloadStaging(stack, "Staging", max_object_size=cdk.Size.bytes(0))
    assert exc.value.code == "InvalidStagedObjectSize"


def test_fails_when_url_outlives_objects(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="url_expiry") as exc:
        PayloadStaging(stack, "Staging", url_expiry=cdk.Duration.days(2), object_expiry=cdk.Duration.days(1))
    assert exc.value.code == "InvalidStagingExpiry"


def test_fails_when_object_expiry_is_not_whole_days(stack: cdk.Stack) -> None:
    with pytest.raises(ConstructsLibValidationError, match="object_expiry") as exc:
        PayloadStaging(stack, "Staging", object_expiry=cdk.Duration.hours(36))
    assert exc.value.code == "InvalidStagingExpiry"


def test_token_size_skips_the_check_with_an_info(stack: cdk.Stack) -> None:
    size = cdk.CfnParameter(stack, "MaxMiB", type="Number")
    PayloadStaging(stack, "Staging", max_object_size=cdk.Size.mebibytes(size.value_as_number))
    Annotations.from_stack(stack).has_info("/TestStack/Staging", Match.string_like_regexp(
        r"\[TokenNotChecked\] max_object_size is an unresolved token"
    ))


def test_granting_the_same_agent_twice_is_harmless(stack: cdk.Stack) -> None:
    # GIVEN two facades that both grant the agent (REST and WebSocket)
    agent = make_agent(stack)
    staging = PayloadStaging(stack, "Staging")
    staging.bind(agent)
    staging.bind(agent)
    # THEN the statements are not duplicated and the environment is unchanged
    template = Template.from_stack(stack)
    s3_statements = [s for s in _statements(template) if "Staging" in str(s["Resource"])]
    assert len(s3_statements) == 2
    assert runtime_environment(template)[contract.ENV_STAGING_INPUT_PREFIX] == "inputs/chat_agent/"
