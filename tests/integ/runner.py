"""Runs the integ apps the way aws-cdk's integ-runner does: snapshots checked offline, or deployed and asserted.

Why not integ-runner itself: every published ``@aws-cdk/integ-runner`` (2.197.10 is the newest) bundles cloud assembly
schema 53 and refuses the schema-55 assemblies aws-cdk-lib 2.275 writes ("Maximum schema version supported is
53.x.x, but found 55.0.0"), in its snapshot check and its deployments alike. This module keeps integ-runner's layout
and rules, so the apps and snapshots can move to it unchanged once it reads schema 55:

- an integ app is ``integ.<scenario>.py`` in this folder, with one ``IntegTest`` (aws-cdk-integ-tests-alpha); its
  snapshot is the folder ``integ.<scenario>.py.snapshot/``: ``integ.json`` (the test cases), and the template and
  asset manifest of every stack of the test cases and of their assertion stacks;
- apps are synthesized with the pinned CDK CLI from the repository root (cdk.json's feature flags apply, as to a
  user's app) without version reporting, path metadata or asset metadata, as integ-runner synthesizes them;
- ``verify`` (CI, offline: no AWS call, no credentials) synthesizes every app and compares its templates with the
  snapshot. Asset hashes are compared only for test cases with ``diffAssets``: otherwise a hash is replaced by its
  asset's name, so a changed handler or agent package alone does not fail, while any change to a resource does.
  The ``salt`` integ-tests-alpha stamps on every assertion (the synth time) is never compared. A change that removes
  a resource or changes a property CloudFormation can only set at creation (cfn-lint's resource schemas) is
  reported as destructive, unless its type is in the test case's ``allowDestroy``;
- ``snapshot`` rewrites the snapshots whose comparison fails (an unchanged snapshot keeps its files);
- ``deploy`` (``make integ``, a real account) deploys each test case's stacks, then its assertion stack without
  rollback, reads the ``AssertionResults*`` outputs, lists what the destroy leaves behind, and destroys both stacks.

Usage: ``python -m tests.integ.runner {verify,snapshot,deploy} [integ.<scenario> ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[2]
INTEG_DIR = Path(__file__).resolve().parent
CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"
PINNED_NODE = ROOT / "node_modules" / ".bin" / "node"
#: Integ apps, as integ-runner's ``--test-regex`` would say it.
APP_PATTERN = re.compile(r"^integ\..+\.py$")
#: What integ-runner passes to every synth and deploy: nothing that differs between machines.
SYNTH_FLAGS = ("--no-version-reporting", "--no-path-metadata", "--no-asset-metadata")
#: The Make target that refreshes the snapshots, named in every failure.
REFRESH = "make integ-snapshot"
#: The integ manifest IntegTest writes.
INTEG_MANIFEST = "integ.json"
#: Longest synth of one app (the first bundling of an agent's dependencies included).
SYNTH_TIMEOUT_SECONDS = 900
#: Longest deploy or destroy of one stack set (AgentCore runtimes and API Gateway included).
DEPLOY_TIMEOUT_SECONDS = 3600
#: Custom resource types of integ-tests-alpha assertions, whose ``salt`` is the synth time.
ASSERTION_TYPE_PREFIX = "Custom::DeployAssert@"
#: DeletionPolicy values that leave a resource in the account when its stack is deleted.
RETAINING_POLICIES = frozenset({"Retain", "RetainExceptOnCreate"})

Template = dict[str, Any]


class RunnerError(RuntimeError):
    """A synth, deploy or destroy that failed, or an assembly this runner cannot read."""


# -- discovery ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntegApp:
    """One integ app and where its snapshot lives."""

    path: Path

    @property
    def name(self) -> str:
        """``integ.<scenario>`` (the name integ-runner prints)."""
        return self.path.name.removesuffix(".py")

    @property
    def snapshot_dir(self) -> Path:
        """``integ.<scenario>.py.snapshot`` beside the app."""
        return self.path.with_name(self.path.name + ".snapshot")


def discover(directory: Path = INTEG_DIR, names: Sequence[str] = ()) -> list[IntegApp]:
    """The integ apps in ``directory``, sorted; only those named (``integ.<scenario>``) when names are given."""
    apps = [IntegApp(path) for path in sorted(directory.iterdir()) if APP_PATTERN.match(path.name)]
    if not names:
        return apps
    wanted = {name.removesuffix(".py") for name in names}
    unknown = wanted - {app.name for app in apps}
    if unknown:
        raise RunnerError(f"no integ app named {', '.join(sorted(unknown))} in {directory}")
    return [app for app in apps if app.name in wanted]


# -- synthesis ---------------------------------------------------------------------------------------------------------

Runner = Callable[[Sequence[str], Mapping[str, str], int], "subprocess.CompletedProcess[str]"]


def run_command(command: Sequence[str], env: Mapping[str, str], timeout: int) -> subprocess.CompletedProcess[str]:
    """Run ``command`` from the repository root, its output captured."""
    return subprocess.run(list(command), cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout,
                          check=False)


def app_environment(*, offline: bool) -> dict[str, str]:
    """The environment of the CLI and the app: the repository importable, and no AWS reachable when ``offline``.

    Offline, credentials are dummies and every AWS endpoint is a closed loopback port, so nothing can reach AWS
    even by mistake; CDK's template validation is off (it reports findings, it changes no template).
    """
    # The CLI alone tells the app its context and output folder (a test process may have set its own).
    env = {name: value for name, value in os.environ.items() if name not in ("CDK_CONTEXT_JSON", "CDK_OUTDIR")}
    if PINNED_NODE.exists():
        env.setdefault("JSII_NODE", str(PINNED_NODE))  # as under make: jsii on the Node pinned in package.json
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("CDK_DISABLE_VERSION_CHECK", "true")
    env.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
    if offline:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
            env.pop(name, None)
        env.update({
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "CDK_VALIDATION": "false",
        })
    return env


def synth(app: IntegApp, out: Path, *, offline: bool, run: Runner = run_command) -> Assembly:
    """Synthesize ``app`` into ``out`` with the pinned CDK CLI and read the result."""
    command = [str(CDK_CLI), "synth", "--app", shlex.join([sys.executable, str(app.path)]), "--output", str(out),
               "--quiet", *SYNTH_FLAGS]
    result = run(command, app_environment(offline=offline), SYNTH_TIMEOUT_SECONDS)
    if result.returncode != 0:
        raise RunnerError(f"{app.name}: synth failed\n{_tail(result)}")
    return Assembly.read(out)


def _tail(result: subprocess.CompletedProcess[str], lines: int = 40) -> str:
    text = (result.stdout or "") + (result.stderr or "")
    return "\n".join(text.splitlines()[-lines:])


# -- assemblies --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntegCase:
    """One test case of an integ manifest."""

    name: str
    stacks: tuple[str, ...]
    assertion_stack: str | None
    assertion_stack_name: str | None
    diff_assets: bool
    allow_destroy: frozenset[str]

    @classmethod
    def of(cls, name: str, data: Mapping[str, Any]) -> IntegCase:
        """The test case ``name`` as ``integ.json`` describes it."""
        return cls(
            name=name,
            stacks=tuple(data.get("stacks", ())),
            assertion_stack=data.get("assertionStack"),
            assertion_stack_name=data.get("assertionStackName"),
            diff_assets=bool(data.get("diffAssets", False)),
            allow_destroy=frozenset(data.get("allowDestroy", ())),
        )

    @property
    def compared_stacks(self) -> tuple[str, ...]:
        """The stacks whose templates the snapshot holds: the test stacks and the assertion stack."""
        return self.stacks + ((self.assertion_stack_name,) if self.assertion_stack_name else ())


@dataclass(frozen=True)
class Assembly:
    """A synthesized integ app, or its snapshot (the same files)."""

    directory: Path
    test_cases: tuple[IntegCase, ...]

    @classmethod
    def read(cls, directory: Path) -> Assembly:
        """Read ``integ.json`` in ``directory``."""
        manifest = directory / INTEG_MANIFEST
        if not manifest.is_file():
            raise RunnerError(f"{directory} has no {INTEG_MANIFEST}: the app must define an IntegTest")
        cases = json.loads(manifest.read_text())["testCases"]
        return cls(directory, tuple(IntegCase.of(name, data) for name, data in sorted(cases.items())))

    def has_stack(self, stack: str) -> bool:
        """Whether the stack's template is in the assembly."""
        return (self.directory / f"{stack}.template.json").is_file()

    def template(self, stack: str) -> Template:
        """The stack's CloudFormation template."""
        return json.loads((self.directory / f"{stack}.template.json").read_text())  # type: ignore[no-any-return]

    def asset_names(self, stack: str) -> dict[str, str]:
        """Each asset hash of the stack's asset manifest and a name for it that survives a content change.

        Only assets staged in the assembly (``asset.*``) count, as in integ-runner: the templates' own hashes are not
        in the templates. The name is the asset's display name (its construct path), else its rank.
        """
        path = self.directory / f"{stack}.assets.json"
        if not path.is_file():
            return {}
        manifest = json.loads(path.read_text())
        names: dict[str, str] = {}
        for section in ("files", "dockerImages"):
            for asset_id, entry in manifest.get(section, {}).items():
                source = entry.get("source", {})
                if str(source.get("path", source.get("directory", ""))).startswith("asset."):
                    names[asset_id] = f"Asset[{entry.get('displayName') or len(names) + 1}]"
        return names


# -- canonical templates and their differences -------------------------------------------------------------------------


def canonical(template: Template, asset_names: Mapping[str, str]) -> Template:
    """``template`` with asset hashes replaced by asset names, and assertion salts by a constant."""

    def strings(value: Any) -> Any:
        if isinstance(value, dict):
            return {strings(key): strings(item) for key, item in value.items()}
        if isinstance(value, list):
            return [strings(item) for item in value]
        if isinstance(value, str):
            for asset_id, name in asset_names.items():
                value = value.replace(asset_id, name)
        return value

    result: Template = strings(template)
    for resource in result.get("Resources", {}).values():
        if str(resource.get("Type", "")).startswith(ASSERTION_TYPE_PREFIX) and "salt" in resource.get("Properties", {}):
            resource["Properties"]["salt"] = "<synth time>"
    return result


@dataclass(frozen=True)
class Change:
    """One difference between a snapshot template and a new one.

    Attributes:
        stack: the stack.
        section: the template section (``Resources``, ``Outputs``, ...).
        name: the logical id or key within the section (empty for a top-level field).
        kind: ``added``, ``removed`` or ``modified``.
        details: the changed paths, each with the old and new value.
        destructive: why the change destroys or replaces a resource, if it does.
    """

    stack: str
    section: str
    name: str
    kind: str
    details: tuple[str, ...] = ()
    destructive: str | None = None

    def render(self) -> str:
        """The change for a person, one line per changed path."""
        head = f"  [{self.kind}] {self.stack} {self.section}{'.' + self.name if self.name else ''}"
        if self.destructive:
            head += f"  !! {self.destructive}"
        return "\n".join([head, *(f"      {line}" for line in self.details)])


def _short(value: Any, limit: int = 120) -> str:
    return _cut(json.dumps(value, sort_keys=True), limit)


def _change_text(path: str, before: Any, after: Any, limit: int = 120) -> str:
    """``path: old -> new``; two long strings are shown from a little before where they start to differ."""
    old, new = json.dumps(before, sort_keys=True), json.dumps(after, sort_keys=True)
    if isinstance(before, str) and isinstance(after, str) and max(len(old), len(new)) > limit:
        first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
        start = max(0, first - 20)
        old, new = "..." + old[start:], "..." + new[start:]
    return f"{path}: {_cut(old, limit)} -> {_cut(new, limit)}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def value_differences(old: Any, new: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """``(path, old, new)`` for every leaf that differs (lists compared element by element at equal length)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            child = f"{path}.{key}" if path else str(key)
            if key not in old:
                yield child, None, new[key]
            elif key not in new:
                yield child, old[key], None
            else:
                yield from value_differences(old[key], new[key], child)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            yield from value_differences(before, after, f"{path}[{index}]")
    elif old != new:
        yield path, old, new


@cache
def create_only_properties(resource_type: str) -> tuple[str, ...]:
    """The properties CloudFormation can set only when it creates a resource of this type (cfn-lint's schemas)."""
    if not resource_type.startswith("AWS::"):
        return ()
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # noqa: PLC0415 - loaded only when a resource changed

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:  # noqa: BLE001 - a type cfn-lint does not know: no replacement can be told
        return ()
    pointers = schema.get("createOnlyProperties") or ()
    return tuple(pointer.removeprefix("/properties/").replace("/", ".") for pointer in pointers)


def _replacement(resource_type: str, paths: Iterable[str]) -> str | None:
    for path in paths:
        prop = path.removeprefix("Properties.")
        if not path.startswith("Properties."):
            continue
        for create_only in create_only_properties(resource_type):
            if prop == create_only or prop.startswith(create_only + ".") or prop.startswith(create_only + "["):
                return f"replaces the resource ({create_only} can only be set at creation)"
    return None


def template_changes(
    stack: str,
    expected: Template,
    actual: Template,
    allow_destroy: frozenset[str] = frozenset(),
    *,
    destruction: bool = True,
) -> list[Change]:
    """Every difference between two canonical templates, resources first, destructive ones marked.

    ``destruction=False`` marks nothing destructive (an assertion stack is created anew by every run).
    """
    changes: list[Change] = []
    old_resources, new_resources = expected.get("Resources", {}), actual.get("Resources", {})
    for logical_id in sorted(set(old_resources) | set(new_resources)):
        old, new = old_resources.get(logical_id), new_resources.get(logical_id)
        if old == new:
            continue
        if new is None:
            resource_type = str(old.get("Type"))
            destroyed = None if resource_type in allow_destroy or not destruction else f"destroys the {resource_type}"
            changes.append(Change(stack, "Resources", logical_id, "removed", (f"Type {resource_type}",), destroyed))
            continue
        if old is None:
            changes.append(Change(stack, "Resources", logical_id, "added", (f"Type {new.get('Type')}",)))
            continue
        differences = list(value_differences(old, new))
        details = tuple(_change_text(path, before, after) for path, before, after in differences)
        resource_type = str(new.get("Type"))
        if old.get("Type") != new.get("Type"):
            destructive: str | None = f"replaces the {old.get('Type')} with a {resource_type}"
        else:
            destructive = _replacement(resource_type, (path for path, _, _ in differences))
        if destructive and resource_type in allow_destroy:
            destructive = None
        changes.append(
            Change(stack, "Resources", logical_id, "modified", details, destructive if destruction else None)
        )
    for section in sorted((set(expected) | set(actual)) - {"Resources"}):
        old_section, new_section = expected.get(section), actual.get(section)
        if old_section == new_section:
            continue
        if isinstance(old_section, dict) and isinstance(new_section, dict):
            for key in sorted(set(old_section) | set(new_section)):
                if old_section.get(key) == new_section.get(key):
                    continue
                kind = "added" if key not in old_section else "removed" if key not in new_section else "modified"
                details = tuple(_change_text(path or key, before, after) for path, before, after
                                in value_differences(old_section.get(key), new_section.get(key)))
                changes.append(Change(stack, section, key, kind, details))
        else:
            changes.append(Change(stack, section, "", "modified", (f"{_short(old_section)} -> {_short(new_section)}",)))
    return changes


@dataclass
class Comparison:
    """An app's synthesized assembly against its snapshot."""

    app: IntegApp
    problems: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether the snapshot matches."""
        return not self.problems and not self.changes

    @property
    def destructive(self) -> list[Change]:
        """The changes that destroy or replace a resource."""
        return [change for change in self.changes if change.destructive]

    def render(self) -> str:
        """The outcome for a person."""
        if self.passed:
            return f"  OK         {self.app.name}"
        lines = [f"  CHANGED    {self.app.name}", *(f"    {problem}" for problem in self.problems)]
        lines += [change.render() for change in self.changes]
        return "\n".join(lines)


def compare(app: IntegApp, actual: Assembly) -> Comparison:
    """Compare the synthesized ``actual`` with the app's snapshot (test cases, stacks, then templates)."""
    comparison = Comparison(app)
    if not (app.snapshot_dir / INTEG_MANIFEST).is_file():
        comparison.problems.append(f"no snapshot yet ({app.snapshot_dir.name} is missing)")
        return comparison
    expected = Assembly.read(app.snapshot_dir)
    expected_cases = {case.name: case for case in expected.test_cases}
    for case in actual.test_cases:
        before = expected_cases.pop(case.name, None)
        if before is None:
            comparison.problems.append(f"test case {case.name} is not in the snapshot")
            continue
        if before != case:
            comparison.problems.append(f"test case {case.name} changed its settings in {INTEG_MANIFEST}")
        for stack in case.compared_stacks:
            if not expected.has_stack(stack):
                comparison.problems.append(f"stack {stack} is not in the snapshot")
                continue
            old, new = expected.template(stack), actual.template(stack)
            if not case.diff_assets:
                old, new = canonical(old, expected.asset_names(stack)), canonical(new, actual.asset_names(stack))
            else:
                old, new = canonical(old, {}), canonical(new, {})
            comparison.changes += template_changes(stack, old, new, case.allow_destroy,
                                                   destruction=stack != case.assertion_stack_name)
    comparison.problems += [f"test case {name} is in the snapshot but no longer in the app" for name in expected_cases]
    return comparison


def write_snapshot(app: IntegApp, actual: Assembly) -> None:
    """Replace the app's snapshot with ``integ.json`` and each compared stack's template and asset manifest."""
    staging = Path(tempfile.mkdtemp(prefix=app.snapshot_dir.name + ".", dir=app.snapshot_dir.parent))
    try:
        names = [INTEG_MANIFEST]
        for case in actual.test_cases:
            for stack in case.compared_stacks:
                names += [f"{stack}.template.json", f"{stack}.assets.json"]
        for name in names:
            source = actual.directory / name
            if source.is_file():
                shutil.copyfile(source, staging / name)
        if app.snapshot_dir.exists():
            shutil.rmtree(app.snapshot_dir)
        staging.rename(app.snapshot_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


# -- the offline commands ----------------------------------------------------------------------------------------------


def _synthesized(apps: Sequence[IntegApp], workdir: Path, jobs: int, run: Runner) -> list[Assembly]:
    def one(app: IntegApp) -> Assembly:
        return synth(app, workdir / app.name, offline=True, run=run)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, apps))


def verify(apps: Sequence[IntegApp], *, jobs: int = 2, run: Runner = run_command, out: TextIO | None = None) -> int:
    """Synthesize every app and compare it with its snapshot; 1 if any differs (no AWS call)."""
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="integ-verify.") as workdir:
        comparisons = [compare(app, assembly) for app, assembly in zip(
            apps, _synthesized(apps, Path(workdir), jobs, run), strict=True)]
    for comparison in comparisons:
        print(comparison.render(), file=out)
    failed = [c for c in comparisons if not c.passed]
    print(f"{len(comparisons) - len(failed)} passed, {len(failed)} failed", file=out)
    if failed:
        names = " ".join(c.app.name for c in failed)
        print(f"\nThe integ snapshots of {names} differ from what the apps synthesize now. If the change is intended, "
              f"run `{REFRESH}`, review `git diff tests/integ/` and commit the snapshots with the change.", file=out)
        if any(c.destructive for c in failed):
            print("Some changes destroy or replace a deployed resource (marked !!): say why in the commit message.",
                  file=out)
        return 1
    return 0


def refresh(apps: Sequence[IntegApp], *, jobs: int = 2, run: Runner = run_command, out: TextIO | None = None) -> int:
    """Rewrite the snapshot of every app whose comparison fails; unchanged snapshots keep their files."""
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="integ-snapshot.") as workdir:
        for app, assembly in zip(apps, _synthesized(apps, Path(workdir), jobs, run), strict=True):
            comparison = compare(app, assembly)
            if comparison.passed:
                print(f"  unchanged  {app.name}", file=out)
                continue
            write_snapshot(app, assembly)
            print(f"  written    {app.name}", file=out)
            for change in comparison.destructive:
                print(change.render(), file=out)
    return 0


# -- deployment (a real account) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssertionResult:
    """One ``AssertionResults*`` output of an assertion stack."""

    name: str
    status: str
    message: str | None


def assertion_results(outputs: Mapping[str, Any], assertion_stack_name: str) -> list[AssertionResult]:
    """The assertion results in a ``cdk deploy --outputs-file`` document, as integ-runner reads them.

    An output that cannot be read is a failed result naming the output.
    """
    results = []
    for name, value in sorted((outputs.get(assertion_stack_name) or {}).items()):
        if not name.startswith("AssertionResults"):
            continue
        try:
            data = json.loads(str(value).replace("\n", "\\n"))
        except ValueError:
            results.append(AssertionResult(name, "fail", f"unreadable assertion result {value!r}"))
            continue
        if data.get("status") in ("success", "fail"):
            results.append(AssertionResult(name, data["status"], data.get("message")))
    return results


def retained_resources(template: Template) -> list[tuple[str, str]]:
    """``(logical id, type)`` of the resources a stack deletion leaves in the account."""
    return sorted((logical_id, str(resource.get("Type"))) for logical_id, resource in
                  template.get("Resources", {}).items() if resource.get("DeletionPolicy") in RETAINING_POLICIES)


def physical_ids(stack_name: str, logical_ids: Iterable[str], client: Any) -> dict[str, str]:
    """The physical ids of the stack's resources named by ``logical_ids`` (CloudFormation DescribeStackResources)."""
    wanted = set(logical_ids)
    if not wanted:
        return {}
    resources = client.describe_stack_resources(StackName=stack_name)["StackResources"]
    return {r["LogicalResourceId"]: r.get("PhysicalResourceId", "?") for r in resources
            if r["LogicalResourceId"] in wanted}


@dataclass
class CaseOutcome:
    """What deploying one test case showed."""

    app: IntegApp
    case: IntegCase
    results: list[AssertionResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    left_behind: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Deployed, every assertion succeeded, and the stacks were destroyed."""
        return not self.errors and bool(self.results) and all(r.status == "success" for r in self.results)

    def render(self) -> str:
        """The outcome for a person."""
        lines = [f"  {'SUCCESS' if self.passed else 'FAILED '}    {self.app.name} {self.case.name}"]
        lines += [f"      {r.status:8} {r.name}" + (f": {r.message}" if r.message else "") for r in self.results]
        if not self.results and not self.errors:
            lines.append("      no assertion result was reported")
        lines += [f"      error: {error}" for error in self.errors]
        lines += [f"      left in the account (retained): {item}" for item in self.left_behind]
        return "\n".join(lines)


def deploy_case(
    app: IntegApp,
    assembly: Assembly,
    case: IntegCase,
    *,
    clean: bool = True,
    run: Runner = run_command,
    cloudformation: Any = None,
) -> CaseOutcome:
    """Deploy the test stacks, then the assertion stack without rollback, read the results, and destroy both."""
    outcome = CaseOutcome(app, case)
    env = app_environment(offline=False)
    cli = [str(CDK_CLI)]
    source = ["--app", str(assembly.directory), *SYNTH_FLAGS]
    outputs_file = assembly.directory / "assertion-results.json"
    try:
        deployed = run([*cli, "deploy", *source, "--require-approval", "never", *case.stacks], env,
                       DEPLOY_TIMEOUT_SECONDS)
        if deployed.returncode != 0:
            outcome.errors.append(f"deploying {', '.join(case.stacks)} failed\n{_tail(deployed)}")
        elif case.assertion_stack and case.assertion_stack_name:
            asserted = run([*cli, "deploy", *source, "--require-approval", "never", "--no-rollback",
                            "--outputs-file", str(outputs_file), case.assertion_stack], env, DEPLOY_TIMEOUT_SECONDS)
            if asserted.returncode != 0:
                outcome.errors.append(f"deploying the assertions failed\n{_tail(asserted)}")
            if outputs_file.is_file():
                outcome.results = assertion_results(json.loads(outputs_file.read_text()), case.assertion_stack_name)
    finally:
        if clean:
            outcome.left_behind = _left_behind(assembly, case, cloudformation)
            destroyed = run([*cli, "destroy", *source, "--all", "--force"], env, DEPLOY_TIMEOUT_SECONDS)
            if destroyed.returncode != 0:
                outcome.errors.append(f"destroying the stacks failed; delete them by hand\n{_tail(destroyed)}")
    return outcome


def _left_behind(assembly: Assembly, case: IntegCase, cloudformation: Any) -> list[str]:
    items = []
    for stack in case.stacks:
        retained = retained_resources(assembly.template(stack))
        if not retained:
            continue
        try:
            if cloudformation is None:
                import boto3  # noqa: PLC0415 - only a deployment needs AWS clients

                cloudformation = boto3.client("cloudformation")
            ids = physical_ids(stack, (logical_id for logical_id, _ in retained), cloudformation)
        except Exception as exc:  # noqa: BLE001 - listing is advice; the destroy goes on
            ids = {}
            items.append(f"(physical ids of {stack} not read: {type(exc).__name__})")
        items += [f"{resource_type} {ids.get(logical_id, logical_id)} ({stack})" for logical_id, resource_type in
                  retained]
    return items


def deploy(
    apps: Sequence[IntegApp], *, clean: bool = True, run: Runner = run_command, out: TextIO | None = None
) -> int:
    """Deploy, assert and destroy every test case of every app in the account of the AWS credentials; 1 on failure."""
    out = out or sys.stdout
    outcomes: list[CaseOutcome] = []
    with tempfile.TemporaryDirectory(prefix="integ-deploy.") as workdir:
        for app in apps:
            print(f"  deploying  {app.name}", file=out, flush=True)
            assembly = synth(app, Path(workdir) / app.name, offline=False, run=run)
            for case in assembly.test_cases:
                outcome = deploy_case(app, assembly, case, clean=clean, run=run)
                print(outcome.render(), file=out, flush=True)
                outcomes.append(outcome)
    failed = [o for o in outcomes if not o.passed]
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed", file=out)
    if not clean:
        print("Stacks were kept (--no-clean): destroy them with `cdk destroy --all` on each app.", file=out)
    return 1 if failed else 0


# -- command line ------------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``verify``, ``snapshot`` or ``deploy`` the named integ apps (all by default)."""
    parser = argparse.ArgumentParser(prog="python -m tests.integ.runner", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("verify", "snapshot", "deploy"))
    parser.add_argument("apps", nargs="*", help="integ.<scenario> names (default: every app in tests/integ)")
    parser.add_argument("--jobs", type=int, default=2, help="apps synthesized at once (verify, snapshot)")
    parser.add_argument("--no-clean", action="store_true", help="deploy: keep the stacks after the assertions")
    args = parser.parse_args(argv)
    try:
        apps = discover(names=args.apps)
        if not apps:
            raise RunnerError(f"no integ app (integ.<scenario>.py) in {INTEG_DIR}")
        if args.command == "verify":
            return verify(apps, jobs=args.jobs)
        if args.command == "snapshot":
            return refresh(apps, jobs=args.jobs)
        return deploy(apps, clean=not args.no_clean)
    except RunnerError as error:
        print(f"error: {error}", file=sys.stderr)
        if args.command == "verify":
            print(f"(if an app changed on purpose, `{REFRESH}` re-synthesizes the snapshots)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
