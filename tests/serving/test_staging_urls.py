"""Pre-signed staging URLs (moto S3, no AWS calls): scoped to the agent's prefix, short-lived, size-limited.

moto accepts pre-signed uploads but does not enforce POST policy conditions, so the size limit is proven
by decoding the signed policy document, and the upload path by a real HTTP upload against moto.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from moto import mock_aws

from constructs_lib.handlers import contract
from constructs_lib.handlers import staging_urls as su

BUCKET = "staging-bucket"
CONFIG = su.StagingConfig(
    bucket=BUCKET, url_expiry_seconds=900, max_object_bytes=1024,
    input_prefix="inputs/chat_agent/", output_prefix="outputs/chat_agent/",
)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = su.s3_client("us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _policy(post: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(post["fields"]["policy"]))


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


ENVIRONMENT = {
    contract.ENV_STAGING_BUCKET: "b", contract.ENV_STAGING_URL_EXPIRY_SECONDS: "300",
    contract.ENV_STAGING_MAX_OBJECT_BYTES: "2048", contract.ENV_STAGING_INPUT_PREFIX: "inputs/a/",
    contract.ENV_STAGING_OUTPUT_PREFIX: "outputs/a/",
}


def test_config_reads_the_environment_the_construct_sets() -> None:
    config = su.StagingConfig.from_environment(ENVIRONMENT)
    assert config == su.StagingConfig("b", 300, 2048, "inputs/a/", "outputs/a/")


@pytest.mark.parametrize("missing", sorted(ENVIRONMENT))
def test_fails_when_a_staging_variable_is_missing(missing: str) -> None:
    # GIVEN an environment without one of the variables PayloadStaging sets: no fallback, a clear error
    environment = {k: v for k, v in ENVIRONMENT.items() if k != missing}
    with pytest.raises(contract.ConfigurationError, match=missing):
        su.StagingConfig.from_environment(environment)


def test_fails_when_a_staging_number_is_malformed() -> None:
    with pytest.raises(contract.ConfigurationError, match="PAYLOAD_STAGING_MAX_OBJECT_BYTES"):
        su.StagingConfig.from_environment({**ENVIRONMENT, contract.ENV_STAGING_MAX_OBJECT_BYTES: "lots"})


def test_expiry_never_exceeds_the_configured_maximum() -> None:
    assert CONFIG.expiry(None) == 900
    assert CONFIG.expiry(60) == 60
    assert CONFIG.expiry(3600) == 900
    assert CONFIG.expiry(0) == 900


def test_new_keys_are_random_under_the_input_prefix_and_sanitize_file_names() -> None:
    first, second = su.new_input_key(CONFIG), su.new_input_key(CONFIG)
    assert first.startswith("inputs/chat_agent/") and second.startswith("inputs/chat_agent/")
    assert first != second
    key = su.new_input_key(CONFIG, "../../etc/pass wd.txt")
    assert key.startswith("inputs/chat_agent/")
    assert key.endswith("/pass_wd.txt") and ".." not in key


def test_post_policy_holds_size_range_exact_key_and_expiry(s3: Any) -> None:
    # WHEN a pre-signed POST is asked for with a longer expiry than allowed
    before = datetime.now(UTC)
    post = su.presigned_post(s3, CONFIG, expires_in=7200, content_type="application/json")
    # THEN the key is under the agent's input prefix and the expiry is clamped
    assert post["key"].startswith("inputs/chat_agent/")
    assert post["expiresIn"] == 900 and post["maxBytes"] == 1024
    policy = _policy(post)
    # AND the signed policy enforces the size range, the key and the content type
    assert ["content-length-range", 1, 1024] in policy["conditions"]
    assert {"key": post["key"]} in policy["conditions"]
    assert {"bucket": BUCKET} in policy["conditions"]
    assert {"Content-Type": "application/json"} in policy["conditions"]
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 < (expiration - before).total_seconds() <= 900 + 1


def test_post_upload_works(s3: Any) -> None:
    post = su.presigned_post(s3, CONFIG)
    response = requests.post(post["url"], data=post["fields"], files={"file": ("in.json", b'{"a": 1}')}, timeout=5)
    assert response.status_code in (200, 204)
    assert s3.get_object(Bucket=BUCKET, Key=post["key"])["Body"].read() == b'{"a": 1}'


def test_put_url_signs_the_content_length_and_expiry(s3: Any) -> None:
    put = su.presigned_put(s3, CONFIG, content_length=5, expires_in=120)
    query = _query(put["url"])
    assert urlparse(put["url"]).path.endswith(put["key"])
    assert put["key"].startswith("inputs/chat_agent/")
    assert query["X-Amz-Expires"] == "120"
    assert "content-length" in query["X-Amz-SignedHeaders"].split(";")
    assert requests.put(put["url"], data=b"12345", timeout=5).status_code == 200
    assert s3.get_object(Bucket=BUCKET, Key=put["key"])["Body"].read() == b"12345"


def test_get_url_is_scoped_and_expires(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="outputs/chat_agent/result.json", Body=b"done")
    get = su.presigned_get(s3, CONFIG, key="outputs/chat_agent/result.json", expires_in=10_000)
    assert _query(get["url"])["X-Amz-Expires"] == "900"
    assert requests.get(get["url"], timeout=5).content == b"done"


def test_fails_when_put_is_larger_than_the_maximum(s3: Any) -> None:
    with pytest.raises(su.StagingError) as exc:
        su.presigned_put(s3, CONFIG, content_length=1025)
    assert exc.value.code == "ObjectTooLarge"


def test_fails_when_put_length_is_not_positive(s3: Any) -> None:
    with pytest.raises(su.StagingError) as exc:
        su.presigned_put(s3, CONFIG, content_length=0)
    assert exc.value.code == "InvalidSize"


@pytest.mark.parametrize("key", [
    "outputs/other_agent/result.json", "inputs/other_agent/x", "secrets.txt", "outputs/chat_agent/../../x",
])
def test_fails_when_get_key_is_outside_the_agent_prefixes(s3: Any, key: str) -> None:
    with pytest.raises(su.StagingError) as exc:
        su.presigned_get(s3, CONFIG, key=key)
    assert exc.value.code == "KeyOutsidePrefix"


def test_fails_when_upload_key_is_outside_the_input_prefix(s3: Any) -> None:
    with pytest.raises(su.StagingError) as exc:
        su.presigned_post(s3, CONFIG, key="outputs/chat_agent/forged")
    assert exc.value.code == "KeyOutsidePrefix"


def test_client_signs_with_sigv4(s3: Any) -> None:
    assert s3.meta.config.signature_version == "s3v4"
    url = su.presigned_get(s3, CONFIG, key="inputs/chat_agent/x")["url"]
    assert _query(url)["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
