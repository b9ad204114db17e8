"""Grants on DynamoDB tables several agents share: each agent only under its own key prefix."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam

#: Item actions that name their keys, which ``dynamodb:LeadingKeys`` can restrict (``Scan`` names none: under a
#: ``ForAllValues`` condition it would be allowed on every item, so it is never granted on a shared table).
PARTITIONED_ACTIONS: tuple[str, ...] = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)


def partitioned_grant(
    table: dynamodb.ITable, grantee: iam.IGrantable, actions: Sequence[str], key_prefix: str
) -> iam.Grant:
    """Allow ``actions`` on ``table``'s items whose partition key starts with ``key_prefix`` only, and the use of its
    customer-managed key if it has one."""
    grant = iam.Grant.add_to_principal(
        grantee=grantee,
        actions=list(actions),
        resource_arns=[table.table_arn],
        conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{key_prefix}*"]}},
    )
    if table.encryption_key is not None:
        table.encryption_key.grant_encrypt_decrypt(grantee)
    return grant


__all__ = ["PARTITIONED_ACTIONS", "partitioned_grant"]
