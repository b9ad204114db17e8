"""Shared S3 pieces: server access logging delivered through a bucket policy to a secure logs bucket."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

#: CDK feature flag that makes server access logging use a bucket policy instead of the legacy
#: log-delivery ACL (which cfn-lint flags, W3045, and which needs ACLs enabled on the logs bucket).
S3_LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


def use_bucket_policy_for_access_logs(scope: Construct) -> None:
    """Turn on :data:`S3_LOGS_USE_BUCKET_POLICY` for ``scope``'s children only (not the user's app)."""
    scope.node.set_context(S3_LOGS_USE_BUCKET_POLICY, True)


def access_logs_bucket(scope: Construct, construct_id: str, removal_policy: cdk.RemovalPolicy) -> s3.Bucket:
    """A bucket that receives S3 server access logs: private, TLS only, owner-enforced, SSE-S3.

    Server access logging delivers only to buckets encrypted with SSE-S3, so no KMS key here.
    """
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=removal_policy,
    )
