"""Every Python snippet of the README and docs/ runs as shown.

One app per page: the preamble of docs/README.md (imports, ``app``, and a stack ``stack`` = ``self`` in account
123456789012, us-east-1), then the page's blocks in order in one namespace, then every app the page made is
synthesized. A page fails on an exception, on a synth error, or on a warning none of its blocks declares
(``<!-- snippet: expect-warning Code -->``); see tests/docs/snippets.py for the directives. Snippets run in the
repository's ``stacks/`` folder, whose ``agents/support`` (a Dockerfile), ``agents/research`` (direct code with a
requirements.txt) and ``tools/order_status`` (a Lambda handler) they may use. CDK's template validation is off, as
everywhere in the suite (tests/conftest.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import cx_api

from constructs_lib.errors import ConstructsLibValidationError
from constructs_lib.limits.catalog import QuotaCatalog
from tests.docs.snippets import PAGES, ROOT, Block, Kind, blocks

#: Where snippets run: their relative paths name the reference app's folders.
SNIPPET_DIRECTORY = ROOT / "stacks"
#: Blocks skipped as fragments, at most (skipping is for what cannot run, such as a class body shown in part).
SKIP_BUDGET = 3
_ACK = re.compile(r"\[ack: (?P<id>[^\]]+)\]")
_PREFIX = "constructs_lib:"


def _python_blocks() -> list[Block]:
    return [b for page in PAGES for b in blocks(page) if b.language == "python"]


def _preamble() -> Block:
    (preamble,) = [b for b in _python_blocks() if b.kind is Kind.PREAMBLE]
    return preamble


def _run(block: Block, namespace: dict[str, Any]) -> None:
    exec(compile(block.code, block.where, "exec"), namespace)  # noqa: S102 - the documentation's own snippets


def _apps(namespace: dict[str, Any], known: list[cdk.App]) -> list[cdk.App]:
    """``known`` with every app bound to a name in ``namespace`` added (a snippet may make an app of its own)."""
    for value in namespace.values():
        if isinstance(value, cdk.App) and all(value is not app for app in known):
            known.append(value)
    return known


def _messages(assembly: cx_api.CloudAssembly) -> Iterator[cx_api.SynthesisMessage]:
    for stack in assembly.stacks_recursively:
        yield from stack.messages


def _warnings(apps: list[cdk.App]) -> list[tuple[str, str]]:
    """``(id, text)`` of every warning the apps show at synth (``Code`` for the library's own ids)."""
    found = []
    for app in apps:
        for message in _messages(app.synth()):
            if message.level is cx_api.SynthesisMessageLevel.WARNING:
                text = str(message.entry.data)
                ack = _ACK.search(text)
                ident = ack.group("id") if ack else text
                found.append((ident.removeprefix(_PREFIX), f"{message.id}: {text}"))
    return found


def _cases() -> list[Any]:
    cases = []
    for page in PAGES:
        python = [b for b in blocks(page) if b.language == "python"]
        if any(b.kind is Kind.PAGE for b in python):
            cases.append(pytest.param(page, id=str(page.relative_to(ROOT))))
    return cases


def _single(kind: Kind) -> list[Any]:
    return [pytest.param(b, id=b.where) for b in _python_blocks() if b.kind is kind]


@pytest.fixture(autouse=True)
def _in_snippet_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SNIPPET_DIRECTORY)


@pytest.mark.parametrize("page", _cases())
def test_page_snippets_run_and_show_only_the_warnings_they_declare(page: Any) -> None:
    # GIVEN the preamble and the page's blocks, in order, in one namespace
    namespace: dict[str, Any] = {}
    _run(_preamble(), namespace)
    apps: list[cdk.App] = _apps(namespace, [])
    declared: set[str] = set()
    for block in blocks(page):
        if block.language == "python" and block.kind is Kind.PAGE:
            # WHEN each block runs
            _run(block, namespace)
            declared.update(block.codes)
            _apps(namespace, apps)
    # THEN every app synthesizes, with exactly the warnings the blocks declare
    warnings = _warnings(apps)
    undeclared = [text for ident, text in warnings if ident not in declared]
    assert not undeclared, "warnings no block declares (expect-warning):\n" + "\n".join(undeclared)
    missing = declared - {ident for ident, _ in warnings}
    assert not missing, f"declared warnings that did not appear: {sorted(missing)}"


@pytest.mark.parametrize("block", _single(Kind.STANDALONE))
def test_standalone_snippet_synthesizes_without_warnings(block: Block) -> None:
    # GIVEN a complete program, run exactly as shown (no preamble)
    namespace: dict[str, Any] = {}
    _run(block, namespace)
    # THEN its apps synthesize without a single warning
    apps = _apps(namespace, [])
    assert apps, f"{block.where}: a standalone snippet builds an app"
    assert _warnings(apps) == []


@pytest.mark.parametrize("block", _single(Kind.EXPECT_ERROR))
def test_error_snippet_fails_with_its_code(block: Block) -> None:
    # GIVEN the preamble and the block in a namespace of their own
    namespace: dict[str, Any] = {}
    _run(_preamble(), namespace)
    (code,) = block.codes
    # WHEN it runs and its apps synthesize
    try:
        _run(block, namespace)
        for app in _apps(namespace, []):
            app.synth()
    except ConstructsLibValidationError as error:
        # THEN the library refused it with the code shown
        assert error.code == code, f"{block.where}: raised {error.code}, the page says {code}"
    except Exception as error:  # noqa: BLE001 - a synth error reaches Python as jsii's error type
        assert f"[{code}]" in str(error), f"{block.where}: failed without [{code}]: {error}"
    else:
        pytest.fail(f"{block.where}: expected to fail with {code}, but it synthesized")


def test_readme_starts_with_a_standalone_example() -> None:
    first = next(b for b in blocks(ROOT / "README.md") if b.language == "python")
    assert first.kind is Kind.STANDALONE, "the README's first example is a complete program (snippet: standalone)"


def test_few_snippets_are_skipped_and_each_says_why() -> None:
    python = _python_blocks()
    skipped = [b for b in python if b.kind is Kind.SKIP]
    assert all(b.reason for b in skipped)
    assert len(skipped) <= SKIP_BUDGET, "skipped snippets:\n" + "\n".join(f"{b.where}: {b.reason}" for b in skipped)
    assert len(python) - len(skipped) >= 10 * max(1, len(skipped)), "snippets must run; skipping is the exception"


@pytest.mark.parametrize(
    "block", [pytest.param(b, id=b.where) for page in PAGES for b in blocks(page) if b.language == "json"]
)
def test_json_snippets_parse_and_their_quota_context_is_valid(block: Block) -> None:
    document = json.loads(block.code)
    context = document.get("context", document)
    # A quota edition or overrides the catalog refuses would fail every synth of the app that sets them.
    QuotaCatalog.from_context(context.get)
