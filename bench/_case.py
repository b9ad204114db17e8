"""One benchmark case, run in a fresh interpreter: build and synthesize N agents, report JSON on stdout.

``python -m bench._case --variant bare|equipped|nested --count N --outdir DIR``

``nested`` is the equipped platform with ``AgentPlacement.NESTED_STACK_PER_AGENT``.

Peak memory is measured with ``resource``: the Python process's own peak RSS (``RUSAGE_SELF``) and,
after the jsii kernel is stopped and waited for, the Node.js child's peak (``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

#: CDK refuses to synthesize a stack beyond CloudFormation's resource limit; the benchmark lifts the check
#: so that large apps can still be timed (the report says which sizes would not deploy as one stack).
RESOURCE_LIMIT_CONTEXT = "@aws-cdk/core:stackResourceLimit"
#: Environment of the benchmark stacks.
ACCOUNT, REGION = "123456789012", "us-east-1"


def _stop_kernel() -> bool:
    """Stop the jsii Node.js process and reap it, so its peak RSS shows in ``RUSAGE_CHILDREN``.

    jsii starts ``node jsii-runtime.js``, which runs the kernel in a child ``node`` and waits for it; once
    both are reaped, ``RUSAGE_CHILDREN.ru_maxrss`` is the peak RSS of the largest of them (the kernel).
    jsii's ``stop()`` gives up waiting after 5 s and only terminates the process; the benchmark then
    waits for the exit itself, and reports the memory as unknown if the process was never reaped.
    """
    try:
        from jsii._runtime import kernel  # noqa: PLC0415 - internal, best effort

        node = kernel.provider._process  # type: ignore[attr-defined]  # noqa: SLF001
        node.stop()
        node._process.wait(timeout=60)  # noqa: SLF001
    except Exception:  # noqa: BLE001 - the measurement is then reported as unknown
        return False
    return True


def _measure(variant: str, count: int, outdir: Path) -> dict[str, object]:
    start = time.perf_counter()
    import aws_cdk as cdk  # noqa: PLC0415 - imported inside the timed region on purpose

    from bench.equipment import bare_stack, equip_stack  # noqa: PLC0415
    from bench.jsii_messages import count_messages  # noqa: PLC0415
    from constructs_lib import AgentPlacement  # noqa: PLC0415

    imported = time.perf_counter()
    app = cdk.App(outdir=str(outdir), context={RESOURCE_LIMIT_CONTEXT: 1_000_000})
    stack = cdk.Stack(app, "Bench", env=cdk.Environment(account=ACCOUNT, region=REGION))
    with count_messages() as build_messages:
        if variant == "bare":
            equipment = bare_stack(stack, count)
        else:
            placement = AgentPlacement.NESTED_STACK_PER_AGENT if variant == "nested" else AgentPlacement.SAME_STACK
            equipment = equip_stack(stack, count, placement)
    built = time.perf_counter()
    with count_messages() as synth_messages:
        app.synth()
    synthesized = time.perf_counter()
    template_path = outdir / "Bench.template.json"
    template = json.loads(template_path.read_text())
    nested = [json.loads(p.read_text()) for p in outdir.glob("*.nested.template.json")]
    nested_counts = [len(t.get("Resources", {})) for t in nested]
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    scale = 1024 if sys.platform == "darwin" else 1
    python_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    node_peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale if _stop_kernel() else None
    return {
        "variant": variant,
        "count": count,
        "import_seconds": imported - start,
        "build_seconds": built - imported,
        "synth_seconds": synthesized - built,
        "total_seconds": synthesized - start,
        "resources": len(template.get("Resources", {})),
        "nested_templates": len(nested),
        "largest_nested_resources": max(nested_counts, default=0),
        "total_resources": len(template.get("Resources", {})) + sum(nested_counts),
        "template_bytes": template_path.stat().st_size,
        "python_peak_mib": python_peak_kib / 1024,
        "node_peak_mib": None if node_peak_kib is None else node_peak_kib / 1024,
        "equipment": equipment.used,
        "build_messages": build_messages.total,
        "synth_messages": synth_messages.total,
        "messages_by_kind": dict(build_messages.by_kind + synth_messages.by_kind),
    }


def main() -> None:
    """Run one case and print its measurements as one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=("bare", "equipped", "nested"), required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--outdir", type=Path, required=True)
    args = parser.parse_args()
    result = _measure(args.variant, args.count, args.outdir)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
