"""The request header allowlist rules AgentCore applies and the L2 and the schema leave to deployment."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.service import CUSTOM_REQUEST_HEADER_PREFIX, RESTRICTED_REQUEST_HEADERS
from constructs_lib.limits.validation import request_header_problems

CATALOG = QuotaCatalog()
PARAM = "allowlisted_headers"
MAX_HEADERS = int(CATALOG.value(QuotaName.REQUEST_HEADERS_PER_RUNTIME))
MAX_LENGTH = int(CATALOG.value(QuotaName.REQUEST_HEADER_NAME_LENGTH))
RESTRICTED = [header for headers in RESTRICTED_REQUEST_HEADERS.values() for header in headers]

#: Names AgentCore forwards: its own examples, the custom prefix, and Authorization (whose authorizer rule is the
#: agent's to check).
ALLOWED = ["X-Custom-Signature", "X-Api-Key", "traceparent", f"{CUSTOM_REQUEST_HEADER_PREFIX}UserId", "Authorization"]


def problems(headers: list[str]) -> list[str]:
    return request_header_problems(headers, CATALOG, PARAM)


def test_documented_examples_pass() -> None:
    assert problems(ALLOWED) == []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], r"must list at least one header"),
        (["Content-Type"], r"'Content-Type' is restricted by AgentCore \(content negotiation headers"),
        (["x-forwarded-for"], r"'x-forwarded-for' is restricted by AgentCore \(proxy headers"),
        (["X-Amz-Date"], r"'X-Amz-Date' starts with a prefix AgentCore reserves"),
        (["x-amzn-trace-id"], r"'x-amzn-trace-id' starts with a prefix AgentCore reserves"),
        ([CUSTOM_REQUEST_HEADER_PREFIX], r"is the custom-header prefix alone"),
        (["1-header"], r"'1-header' must start with a letter"),
        (["X Api Key"], r"'X Api Key' must start with a letter and contain only letters"),
        (["X-Api-Key", "x-api-key"], r"lists 'X-Api-Key' and 'x-api-key': header names are case-insensitive"),
        (["X" * (MAX_LENGTH + 1)], rf"is {MAX_LENGTH + 1} characters, more than {MAX_LENGTH} characters"),
        ([f"X-H{i}" for i in range(MAX_HEADERS + 1)], rf"lists {MAX_HEADERS + 1} headers, more than {MAX_HEADERS}"),
    ],
    ids=["empty", "restricted", "restricted-lowercase", "x-amz", "x-amzn", "prefix-alone", "first-character",
         "characters", "duplicate", "too-long", "too-many"],
)
def test_fails_when_a_rule_is_broken(headers: list[str], expected: str) -> None:
    found = problems(headers)
    assert found, headers
    assert any(re.search(expected, problem) for problem in found), found


def test_every_problem_is_listed_at_once() -> None:
    # GIVEN three broken headers WHEN checked THEN three problems, one per header
    assert len(problems(["Host", "X-Amz-Date", "9bad"])) == 3


def test_token_headers_are_skipped() -> None:
    assert problems(["${Token[TOKEN.12]}", "X-Api-Key"]) == []


@given(st.sampled_from(RESTRICTED), st.data())
def test_restricted_headers_fail_in_any_case(header: str, data: st.DataObject) -> None:
    # GIVEN a restricted header spelled in any mix of cases WHEN checked THEN it is refused
    spelled = "".join(c.upper() if data.draw(st.booleans()) else c.lower() for c in header)
    assert any("restricted by AgentCore" in problem for problem in problems([spelled]))


@given(st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))
def test_custom_prefixed_names_pass(suffix: str) -> None:
    # GIVEN any name under the custom prefix within the length quota WHEN checked THEN it is forwarded
    assert problems([f"{CUSTOM_REQUEST_HEADER_PREFIX}{suffix}"]) == []

