"""What the proxies accept from clients: every malformed input is a 4xx public error, never an escaped exception."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.handlers import contract
from constructs_lib.handlers.inputs import InvalidInput, json_object


@pytest.mark.parametrize(("raw", "encoded", "status", "fragment"), [
    (None, False, 400, "must be a JSON object"),
    ("", False, 400, "must be a JSON object"),
    ("not json", False, 400, "not valid JSON"),
    ("[1, 2]", False, 400, "must be a JSON object"),
    ("%%%", True, 400, "not valid base64"),
    (base64.b64encode(b"\xff\xfe").decode(), True, 400, "not UTF-8"),
    ("[" * 10_000 + "]" * 10_000, False, 400, "nested too deeply"),
    (json.dumps({"a": json.loads("[" * 65 + "]" * 65)}), False, 400, "deeper than"),
    (json.dumps({"prompt": "x" * 200}), False, 413, "larger than"),
])
def test_fails_when_the_input_is_malformed(raw: str | None, encoded: bool, status: int, fragment: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        json_object(raw, base64_encoded=encoded, max_bytes=30_000 if status == 400 else 100)
    assert refused.value.error.status == status and fragment in refused.value.error.message


def test_a_json_object_within_the_limits_is_read_as_sent() -> None:
    body = {"prompt": "hi", "nested": json.loads("[" * 63 + "]" * 63)}
    assert json_object(json.dumps(body)) == body
    assert json_object(base64.b64encode(json.dumps(body).encode()).decode(), base64_encoded=True) == body


def test_the_nesting_limit_is_the_contracts() -> None:
    deepest = json.loads("[" * (contract.MAX_JSON_DEPTH - 1) + "]" * (contract.MAX_JSON_DEPTH - 1))
    assert json_object(json.dumps({"a": deepest}))


@given(st.binary(max_size=200))
def test_no_input_escapes_as_anything_but_an_invalid_input(raw: bytes) -> None:
    try:
        result = json_object(raw, max_bytes=150)
    except InvalidInput as refused:
        assert 400 <= refused.error.status < 500
    else:
        assert isinstance(result, dict)
