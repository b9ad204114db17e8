"""Pure validation rules shared by the constructs and the AgentCoreChecks cdk-nag pack.

Each function returns the list of problems it found (empty when the value is fine), worded in terms of
the user's parameter, so that callers can collect every problem before raising once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.service import (
    CUSTOM_REQUEST_HEADER_PREFIX,
    DEFAULT_ENDPOINT,
    ENVIRONMENT_KEY_PATTERN,
    MODEL_ARN_PATTERN,
    MODEL_ID_PATTERN,
    NAME_MAX_LENGTH,
    REQUEST_HEADER_PATTERN,
    RESERVED_REQUEST_HEADER_PREFIXES,
    RESERVED_TAG_PREFIX,
    RESTRICTED_REQUEST_HEADERS,
    TAG_PATTERN,
)

#: Restricted request headers by lower-case name, with their category.
_RESTRICTED_BY_NAME = {
    header.lower(): category for category, headers in RESTRICTED_REQUEST_HEADERS.items() for header in headers
}


def name_problems(name: str, param: str) -> list[str]:
    """Problems with a runtime or endpoint name, all at once (length, first character, characters)."""
    problems: list[str] = []
    if not name:
        return [f"{param} must not be empty"]
    if len(name) > NAME_MAX_LENGTH:
        problems.append(f"{param} must be at most {NAME_MAX_LENGTH} characters, got {len(name)} ({name!r})")
    if not name[0].isascii() or not name[0].isalpha():
        problems.append(f"{param} must start with a letter, got {name!r}")
    bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c == "_"))})
    if bad:
        hint = "; use underscores instead of hyphens" if "-" in bad else ""
        problems.append(
            f"{param} may contain only letters, digits and underscores, got {name!r} "
            f"(offending: {' '.join(repr(c) for c in bad)}){hint}"
        )
    return problems


def endpoint_name_problems(names: Sequence[str]) -> list[str]:
    """Problems with the named endpoints of one runtime, all at once: each name, ``DEFAULT``, names listed twice."""
    problems: list[str] = []
    seen: set[str] = set()
    for name in names:
        problems += name_problems(name, "endpoint name")
        if name == DEFAULT_ENDPOINT:
            problems.append(f"endpoint name {DEFAULT_ENDPOINT!r} is reserved: every runtime already has it")
        if name in seen:
            problems.append(f"endpoint name {name!r} is listed twice")
        seen.add(name)
    return problems


def environment_problems(variables: Mapping[str, str], catalog: QuotaCatalog) -> list[str]:
    """Problems with runtime environment variables: count, key pattern and value length."""
    problems: list[str] = []
    count = catalog.resolve(QuotaName.ENVIRONMENT_VARIABLES)
    if len(variables) > count.value:
        problems.append(
            f"environment_variables has {len(variables)} entries, more than {count.formatted()}, "
            f"the {count.describe()}; move configuration to SSM Parameter Store or one JSON variable"
        )
    length = catalog.resolve(QuotaName.ENVIRONMENT_VARIABLE_VALUE_LENGTH)
    key_length = catalog.resolve(QuotaName.ENVIRONMENT_VARIABLE_KEY_LENGTH)
    for key, value in variables.items():
        if not ENVIRONMENT_KEY_PATTERN.match(key):
            problems.append(f"environment variable name {key!r} must match {ENVIRONMENT_KEY_PATTERN.pattern}")
        elif not _is_token(key) and len(key) > key_length.value:
            problems.append(
                f"environment variable name {key[:40]!r}... is {len(key):,} characters, more than "
                f"{key_length.formatted()}, the {key_length.describe()}"
            )
        if isinstance(value, str) and not _is_token(value) and len(value) > length.value:
            problems.append(
                f"environment variable {key!r} is {len(value):,} characters, more than {length.formatted()}, "
                f"the {length.describe()}; store large values in S3 or SSM Parameter Store"
            )
    return problems


def request_header_problems(headers: Sequence[str], catalog: QuotaCatalog, param: str) -> list[str]:
    """Problems with a runtime's request header allowlist, all at once: count, then per header length, characters,
    AgentCore's restricted names and reserved prefixes, and case-insensitive duplicates.

    ``Authorization`` passes here; it also needs a JWT authorizer, which the caller checks. Token headers are skipped.
    """
    if not headers:
        return [f"{param} must list at least one header; omit request_header_configuration to forward none"]
    problems: list[str] = []
    count = catalog.resolve(QuotaName.REQUEST_HEADERS_PER_RUNTIME)
    if len(headers) > count.value:
        problems.append(
            f"{param} lists {len(headers)} headers, more than {count.formatted()}, the {count.describe()}; forward "
            "fewer headers (combine values into one custom header)"
        )
    length = catalog.resolve(QuotaName.REQUEST_HEADER_NAME_LENGTH)
    seen: dict[str, str] = {}
    for header in headers:
        if _is_token(header):
            continue
        lower = header.lower()
        if len(header) > length.value:
            problems.append(
                f"{param} header {header[:40]!r}... is {len(header)} characters, more than {length.formatted()}, the "
                f"{length.describe()}"
            )
        if not REQUEST_HEADER_PATTERN.match(header):
            problems.append(
                f"{param} header {header!r} must start with a letter and contain only letters, digits, hyphens and "
                "underscores"
            )
        elif lower in _RESTRICTED_BY_NAME:
            problems.append(
                f"{param} header {header!r} is restricted by AgentCore ({_RESTRICTED_BY_NAME[lower]} headers are "
                "never forwarded); send the value in a custom header instead"
            )
        elif lower == CUSTOM_REQUEST_HEADER_PREFIX.lower():
            problems.append(f"{param} header {header!r} is the custom-header prefix alone; add a name after it")
        elif lower.startswith(RESERVED_REQUEST_HEADER_PREFIXES) and not lower.startswith(
            CUSTOM_REQUEST_HEADER_PREFIX.lower()
        ):
            problems.append(
                f"{param} header {header!r} starts with a prefix AgentCore reserves (x-amz- for SigV4 signing, "
                f"x-amzn- for AWS); rename it, to a name of your own or one under {CUSTOM_REQUEST_HEADER_PREFIX}"
            )
        if lower in seen:
            problems.append(
                f"{param} lists {seen[lower]!r} and {header!r}: header names are case-insensitive, list each once"
            )
        seen.setdefault(lower, header)
    return problems


def tag_problems(tags: Mapping[str, str], catalog: QuotaCatalog, param: str = "tags") -> list[str]:
    """Problems with resource tags: count, key and value length and characters, the reserved ``aws:`` prefix."""
    problems: list[str] = []
    count = catalog.resolve(QuotaName.TAGS_PER_RESOURCE)
    if len(tags) > count.value:
        problems.append(f"{param} has {len(tags)} entries, more than {count.formatted()}, the {count.describe()}")
    key_length = catalog.resolve(QuotaName.TAG_KEY_LENGTH)
    value_length = catalog.resolve(QuotaName.TAG_VALUE_LENGTH)
    allowed = "letters, digits, spaces and ._:/=+@-"
    for key, value in tags.items():
        if _is_token(key):
            continue
        if not key:
            problems.append(f"{param} keys must not be empty")
        elif len(key) > key_length.value:
            problems.append(f"tag key {key[:40]!r}... is {len(key):,} characters, more than {key_length.formatted()}, "
                            f"the {key_length.describe()}")
        if key.lower().startswith(RESERVED_TAG_PREFIX):
            problems.append(f"tag key {key!r} must not start with {RESERVED_TAG_PREFIX!r}: AWS reserves that prefix")
        if not TAG_PATTERN.match(key):
            problems.append(f"tag key {key!r} may contain only {allowed}")
        if _is_token(value):
            continue
        if len(value) > value_length.value:
            problems.append(f"tag value of {key!r} is {len(value):,} characters, more than "
                            f"{value_length.formatted()}, the {value_length.describe()}")
        if not TAG_PATTERN.match(value):
            problems.append(f"tag value {value!r} of {key!r} may contain only {allowed}")
    return problems


def model_problems(model: str, param: str = "models") -> list[str]:
    """Problems with a Bedrock model reference: a model or inference profile id, or a Bedrock model ARN."""
    if _is_token(model):
        return []
    if model.startswith("arn:"):
        if MODEL_ARN_PATTERN.match(model):
            return []
        return [f"{param} entry {model!r} is not a Bedrock model, inference profile or prompt router ARN "
                "(arn:<partition>:bedrock:<region>:<account>:<foundation-model|inference-profile|...>/<id>)"]
    if MODEL_ID_PATTERN.match(model):
        return []
    return [f"{param} entry {model!r} is not a foundation model or inference profile id: lowercase "
            "<provider>.<model>[:<version>], optionally after a geography (anthropic.claude-sonnet-4-20250514-v1:0, "
            "us.anthropic.claude-sonnet-4-20250514-v1:0), or a Bedrock ARN"]


def _is_token(value: str) -> bool:
    # Token strings are rendered as ${Token[...]} placeholders; their length says nothing.
    return "${Token[" in value
