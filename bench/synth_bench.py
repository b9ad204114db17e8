"""Synth benchmark: N fully equipped AgentCoreAgents next to N bare aws-cdk-lib Runtimes, as ratios.

``python -m bench.synth_bench [--sizes 1,10,20] [--quick] [--validation on|off|both] [--output PATH] [--docs PATH]``

Every case runs in a fresh interpreter (``bench._case``), so no case inherits another's jsii kernel,
caches or memory. Reported per size, for both variants in the same run: build+synth wall time with CDK's template
validation on and off and the ratios equipped/bare, the messages sent to the jsii kernel per agent while building,
resources and template bytes per agent, peak RSS of the Python process and of its Node.js child, and how many fully
equipped agents fit in one stack under CloudFormation's resources-per-stack limit (read from the quota catalog),
computed from the measured resources per agent. ``--docs docs/contributing.md`` also writes the table into the
generated block of the docs.

The markdown table is printed and written to ``bench/results/latest.md`` (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_lib.limits.catalog import QuotaCatalog, QuotaName

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "latest.md"
DEFAULT_SIZES = (1, 10, 20)
QUICK_SIZES = (1, 2)


@dataclass(frozen=True)
class Measurement:
    """One case as measured by ``bench._case`` plus the driver's wall time of the whole process."""

    data: dict[str, Any]
    process_seconds: float

    @property
    def synth_seconds(self) -> float:
        """Building the construct tree and synthesizing it (the same imports are excluded for both)."""
        return float(self.data["build_seconds"]) + float(self.data["synth_seconds"])

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


def run_case(variant: str, count: int, *, validation: bool, repeat: int = 1) -> Measurement:
    """Run one case ``repeat`` times, each in a fresh interpreter; the run with the median synth time.

    Wall times of a single synthesis vary by a second or more from run to run; the median of a few
    runs keeps one slow start from deciding a ratio.
    """
    runs = sorted((_run_once(variant, count, validation=validation) for _ in range(max(1, repeat))),
                  key=lambda m: m.synth_seconds)
    return runs[len(runs) // 2]


def _run_once(variant: str, count: int, *, validation: bool) -> Measurement:
    """Run one case once in a fresh interpreter and return its measurements."""
    env = {**os.environ, "CDK_VALIDATION": "true" if validation else "false"}
    with tempfile.TemporaryDirectory(prefix=f"bench-{variant}-{count}-") as outdir:
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "bench._case", "--variant", variant, "--count", str(count), "--outdir", outdir],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )
        elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"benchmark case {variant} x{count} failed:\n{result.stderr[-4000:]}")
    line = [text for text in result.stdout.splitlines() if text.startswith("{")][-1]
    return Measurement(json.loads(line), elapsed)


def _ratio(equipped: float | None, bare: float | None) -> str:
    if equipped is None or bare is None or bare == 0:
        return "-"
    return f"{equipped / bare:.1f}x"


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def per_agent_resources(rows: Sequence[tuple[int, Measurement]]) -> tuple[float, float]:
    """(resources per additional agent, fixed per-stack resources), from the smallest and largest size.

    With one size only, every resource is attributed to the agents (no fixed part).
    """
    (n_small, small), (n_large, large) = rows[0], rows[-1]
    if n_large == n_small:
        return large["resources"] / n_large, 0.0
    marginal = (large["resources"] - small["resources"]) / (n_large - n_small)
    return marginal, max(0.0, small["resources"] - marginal * n_small)


def agents_per_stack(marginal: float, fixed: float, limit: float) -> int:
    """How many agents fit in one stack under ``limit`` resources."""
    return max(0, math.floor((limit - fixed) / marginal)) if marginal > 0 else 0


Case = tuple[Measurement, Measurement]
"""One size in one validation mode: the bare runtimes and the equipped agents."""


def _seconds(case: Case | None, index: int) -> str:
    return "-" if case is None else f"{case[index].synth_seconds:.2f}"


def _time_ratio(case: Case | None) -> str:
    return "-" if case is None else _ratio(case[1].synth_seconds, case[0].synth_seconds)


def messages_per_agent(measured: Measurement, count: int) -> float:
    """jsii messages sent while building the construct tree, per agent."""
    return float(measured["build_messages"]) / count


def render(
    results: Sequence[tuple[int, Case | None, Case | None]],
    *,
    limit: float,
    nested: Sequence[tuple[int, Measurement]] = (),
    repeat: int = 1,
) -> str:
    """The markdown report: per size, the case with CDK template validation on and the case with it off.

    Messages, resources, template size and memory come from the validation-on case when it ran (they do not depend on
    validation, except memory slightly), else from the validation-off case.
    """
    validations = [name for name, present in (("on", any(r[1] for r in results)), ("off", any(r[2] for r in results)))
                   if present]
    header = (
        "| agents | bare synth s | equipped synth s | time ratio | bare synth s (no validation) "
        "| equipped synth s (no validation) | time ratio (no validation) | bare jsii msgs/agent "
        "| equipped jsii msgs/agent | bare resources | equipped resources | resources/agent | template KiB/agent "
        "| bare py/node MiB | equipped py/node MiB | python mem ratio | node mem ratio |"
    )
    lines = [
        "# Synth benchmark",
        "",
        f"Python {platform.python_version()}, {platform.machine()}, CDK template validation "
        f"{' and '.join(validations)}; each case in a fresh process"
        + (f", median of {repeat} runs" if repeat > 1 else ", one run")
        + ". Synth s = building the construct tree + `app.synth()`; jsii msgs = messages sent to the jsii kernel "
        "while building the tree (`bench.jsii_messages`); memory = peak RSS of the Python process and of the jsii "
        "Node.js kernel.",
        "",
        header,
        "|" + "|".join(["---"] * (header.count("|") - 1)) + "|",
    ]
    measured_rows: list[tuple[int, Measurement, Measurement]] = []
    for count, on, off in results:
        bare, equipped = on or off  # type: ignore[misc]
        measured_rows.append((count, bare, equipped))
        lines.append(
            f"| {count} | {_seconds(on, 0)} | {_seconds(on, 1)} | {_time_ratio(on)} "
            f"| {_seconds(off, 0)} | {_seconds(off, 1)} | {_time_ratio(off)} "
            f"| {messages_per_agent(bare, count):.0f} | {messages_per_agent(equipped, count):.0f} "
            f"| {bare['resources']} | {equipped['resources']} | {equipped['resources'] / count:.1f} "
            f"| {equipped['template_bytes'] / count / 1024:.1f} "
            f"| {_mib(bare['python_peak_mib'])}/{_mib(bare['node_peak_mib'])} "
            f"| {_mib(equipped['python_peak_mib'])}/{_mib(equipped['node_peak_mib'])} "
            f"| {_ratio(equipped['python_peak_mib'], bare['python_peak_mib'])} "
            f"| {_ratio(equipped['node_peak_mib'], bare['node_peak_mib'])} |"
        )
    equipped_rows = [(count, equipped) for count, _, equipped in measured_rows]
    bare_rows = [(count, bare) for count, bare, _ in measured_rows]
    marginal, fixed = per_agent_resources(equipped_rows)
    bare_marginal, bare_fixed = per_agent_resources(bare_rows)
    fit = agents_per_stack(marginal, fixed, limit)
    first = measured_rows[0][2]
    lines += [
        "",
        f"Fully equipped agent: {marginal:.1f} resources per agent plus {fixed:.0f} shared per stack; "
        f"**{fit} fully equipped agents fit in one stack** under CloudFormation's {limit:.0f}-resource limit "
        f"(bare L2 Runtime: {bare_marginal:.1f} per agent, {agents_per_stack(bare_marginal, bare_fixed, limit)} "
        "per stack). Beyond that, put each agent (or each group) in its own stack or `NestedStack`.",
        "",
        f"Library constructs in the equipped stack (found in the construct tree): {', '.join(first['equipment'])}.",
    ]
    too_big = [str(count) for count, _, equipped in measured_rows if equipped["resources"] > limit]
    if too_big:
        lines.append(
            f"Sizes {', '.join(too_big)} exceed the limit in one stack: they were synthesized with the CDK context "
            "`@aws-cdk/core:stackResourceLimit` lifted, to time them, and would not deploy as one stack "
            "(AgentPlatform fails synthesis there with `StackResourceLimit` and names the way out)."
        )
    if nested:
        lines += [
            "",
            "The same sizes with `placement=AgentPlacement.NESTED_STACK_PER_AGENT` (deployable):",
            "",
            "| agents | nested synth s | time ratio vs bare | parent resources | largest nested template "
            "| total resources |",
            "|---|---|---|---|---|---|",
        ]
        bare_by_count = {count: bare for count, bare, _ in measured_rows}
        for count, measured in nested:
            lines.append(
                f"| {count} | {measured.synth_seconds:.2f} "
                f"| {_ratio(measured.synth_seconds, bare_by_count[count].synth_seconds)} "
                f"| {measured['resources']} | {measured['largest_nested_resources']} | {measured['total_resources']} |"
            )
    flags = {("on",): " --validation on", ("off",): " --no-validation"}.get(tuple(validations), "")
    flags += f" --repeat {repeat}" if repeat > 1 else ""
    lines += ["", f"Reproduce: `python -m bench.synth_bench --sizes {','.join(str(r[0]) for r in results)}{flags}`"]
    return "\n".join(lines) + "\n"


#: The markers of the generated benchmark block in the docs.
DOCS_BEGIN, DOCS_END = "<!-- bench:begin -->", "<!-- bench:end -->"


def write_docs(path: Path, report: str, *, measured_on: str | None = None) -> None:
    """Replace the block between the bench markers of ``path`` with ``report`` (its title dropped).

    Args:
        path: the page holding the markers.
        report: the markdown report.
        measured_on: the date of the run, said under the table. Default: today.
    """
    text = path.read_text()
    start, end = text.index(DOCS_BEGIN) + len(DOCS_BEGIN), text.index(DOCS_END)
    body = report.split("\n", 2)[2] if report.startswith("# ") else report
    when = measured_on or datetime.date.today().isoformat()
    note = (
        f"Generated by `make bench` on a {os.cpu_count()}-core machine ({when}). Numbers from a shared machine vary, "
        "so compare the ratios within one run."
    )
    path.write_text(text[:start] + "\n" + body.strip("\n") + "\n\n" + note + "\n" + text[end:])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the markdown report."""
    parser = argparse.ArgumentParser(prog="python -m bench.synth_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="comma-separated agent counts (default 1,10,20)")
    parser.add_argument("--quick", action="store_true", help="sizes 1,2 only, for a fast look")
    parser.add_argument("--validation", choices=("on", "off", "both"), default="both",
                        help="CDK template validation in the cases (default: both, each size twice)")
    parser.add_argument("--no-validation", action="store_true", help="the same as --validation off")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the markdown")
    parser.add_argument("--docs", type=Path, default=None,
                        help="also replace the generated block between the bench markers of this file")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the median is reported (default 1)")
    args = parser.parse_args(argv)
    if args.sizes:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    else:
        sizes = list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if not sizes or min(sizes) < 1:
        parser.error("--sizes must be positive integers")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    mode = "off" if args.no_validation else args.validation
    limit = QuotaCatalog().value(QuotaName.CLOUDFORMATION_RESOURCES_PER_STACK)
    results: list[tuple[int, Case | None, Case | None]] = []
    nested = []
    for count in sizes:
        cases: dict[bool, Case] = {}
        for validation in (True, False):
            if mode == "both" or mode == ("on" if validation else "off"):
                cases[validation] = (
                    run_case("bare", count, validation=validation, repeat=args.repeat),
                    run_case("equipped", count, validation=validation, repeat=args.repeat),
                )
        results.append((count, cases.get(True), cases.get(False)))
        equipped = (cases.get(True) or cases[False])[1]
        if equipped["resources"] > limit:
            nested.append((count, run_case("nested", count, validation=mode != "off", repeat=args.repeat)))
    report = render(results, limit=limit, nested=nested, repeat=args.repeat)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    if args.docs is not None:
        write_docs(args.docs, report)
    sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
