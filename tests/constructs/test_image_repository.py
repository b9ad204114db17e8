"""AgentImageRepository: secure defaults and a lifecycle policy bounded by the versions quota."""

from __future__ import annotations

import json
from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib import AgentImageRepository, ConstructsLibValidationError, QuotaCatalog, QuotaName

REPO = "AWS::ECR::Repository"


def lifecycle_rules(stack: cdk.Stack) -> list[dict[str, object]]:
    repo = next(iter(Template.from_stack(stack).find_resources(REPO).values()))
    return json.loads(repo["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]  # type: ignore[no-any-return]


def test_secure_defaults(stack: cdk.Stack) -> None:
    AgentImageRepository(stack, "Images")
    template = Template.from_stack(stack)
    template.has_resource(REPO, {
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": Match.object_like({
            "ImageTagMutability": "IMMUTABLE",
            "ImageScanningConfiguration": {"ScanOnPush": True},
            "EncryptionConfiguration": {"EncryptionType": "AES256"},
        }),
    })


def test_lifecycle_keeps_at_most_the_versions_quota_and_expires_untagged(stack: cdk.Stack) -> None:
    repo = AgentImageRepository(stack, "Images")
    versions = QuotaCatalog().value(QuotaName.VERSIONS_PER_AGENT)
    assert repo.max_image_count == versions
    rules = lifecycle_rules(stack)
    assert rules[0]["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                     "countUnit": "days", "countNumber": 1}
    assert rules[1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": versions}


def test_approved_versions_override_raises_the_count(make_stack: Callable[..., cdk.Stack]) -> None:
    stack = make_stack(context={"agentcore:quotaOverrides": {"versions_per_agent": 2000}})
    AgentImageRepository(stack, "Images")
    assert lifecycle_rules(stack)[1]["selection"]["countNumber"] == 2000  # type: ignore[index]


def test_more_images_than_versions_warns(stack: cdk.Stack) -> None:
    AgentImageRepository(stack, "Images", max_image_count=1500)
    Annotations.from_stack(stack).has_warning("/TestStack/Images", Match.string_like_regexp("L-61A3A6D8"))


def test_fewer_images_is_quiet(stack: cdk.Stack) -> None:
    AgentImageRepository(stack, "Images", max_image_count=50, untagged_image_expiry=cdk.Duration.days(3))
    assert lifecycle_rules(stack)[1]["selection"]["countNumber"] == 50  # type: ignore[index]
    Annotations.from_stack(stack).has_no_warning("*", Match.any_value())


def test_kms_key_and_grants(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    repo = AgentImageRepository(stack, "Images", encryption_key=key)
    ci = iam.Role(stack, "Ci", assumed_by=iam.AccountRootPrincipal())
    repo.grant_push(ci)
    template = Template.from_stack(stack)
    template.has_resource_properties(REPO, {"EncryptionConfiguration": {"EncryptionType": "KMS",
                                                                        "KmsKey": Match.any_value()}})
    assert "ecr:PutImage" in json.dumps(template.find_resources("AWS::IAM::Policy"))


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"max_image_count": 0}, "InvalidMaxImageCount"), ({"empty_on_delete": True}, "EmptyOnDeleteNeedsDestroy")],
)
def test_fails_when_options_conflict(stack: cdk.Stack, kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(ConstructsLibValidationError) as exc:
        AgentImageRepository(stack, "Images", **kwargs)  # type: ignore[arg-type]
    assert exc.value.code == code

