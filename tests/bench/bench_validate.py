"""Benchmark: `org validate` on a generated 200-gate workflow (target under 1 s), next to the default org.

    .ci/dev python tests/bench/bench_validate.py [GATES]

Writes a copy of the default org plus gates/big.yaml: a chain of work gates, then stages of a
correctness review and a security review in parallel (rework edges back to the work) -> a join check,
chained, ending in a human approval and done; about GATES gates in all, valid at every tier. Times the real CLI in a
subprocess (fresh interpreter each run: what a user waits for) and, in-process, load_org + prove
(the part that grows with the graph). The default org is measured the same way as the peer.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from org.config.loader import load_org  # noqa: E402
from org.engine.proofs import prove  # noqa: E402
from tests.helpers import REPO  # noqa: E402


def big_workflow(gates: int) -> tuple[str, int]:
    """A chain of work gates, then stages of a correctness and a security review in parallel (rework back to
    the last work gate) joined by a check, chained; a human approval and done: GATES gates in all. Every
    control comes after all the work (a work gate after a control is refused by the proofs: ADR content
    binding), so the config validates at every tier."""
    stages = max(1, (gates - 2) // 4)
    works = max(1, gates - 2 - 3 * stages)
    lines = ["workflow: big", "description: A generated workflow to time validation.", "gates:"]
    prev: str | None = None
    for i in range(works):
        after = f"[{prev}]" if prev else "[]"
        lines.append(f"  work{i}: {{kind: work, lane: builder, action: code.write, after: {after}}}")
        prev = f"work{i}"
    last_work = prev
    for i in range(stages):
        r, s, c = f"review{i}", f"security{i}", f"check{i}"
        lines += [
            f"  {r}: {{kind: review, lane: reviewer, after: [{prev}], cross_vendor: true, on_fail: {last_work}}}",
            f"  {s}: {{kind: review, lane: security, after: [{prev}], cross_vendor: true, on_fail: {last_work}, "
            f"tiers: [medium, high]}}",
            f"  {c}: {{kind: check, check: eligibility, after: [{r}, {s}]}}",
        ]
        prev = c
    lines += [
        f"  approval: {{kind: approval, lane: approver, after: [{prev}], tiers: [high]}}",
        "  done: {kind: terminal, after: [approval]}",
        "limits: {max_rework_rounds: 3}",
    ]
    return "\n".join(lines) + "\n", works + 3 * stages + 2


def cli_times(root: Path, runs: int) -> list[float]:
    env = {**os.environ, "ORG_ROOT": str(root)}
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "org", "validate"], env=env, capture_output=True, text=True)
        out.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"org validate failed:\n{r.stderr}")
    return out


def inproc_times(root: Path, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        cfg = load_org(root)
        problems = prove(cfg)
        out.append(time.perf_counter() - t)
        assert not problems, problems[:3]
    return out


def main() -> None:
    want = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big"
        for d in ("lanes", "gates", "adrs"):  # the gates cite ADRs: an org without adrs/ does not validate
            shutil.copytree(REPO / d, big / d)
        text, count = big_workflow(want)
        (big / "gates" / "big.yaml").write_text(text)
        rows = []
        for name, root in (
            ("default org (2 workflows, 14 gates)", REPO),
            (f"with a {count}-gate workflow", big),
        ):
            cli = cli_times(root, 5)
            inp = inproc_times(root, 10)
            rows.append((name, statistics.median(cli), min(cli), statistics.median(inp)))
    print(
        "org validate: real CLI (subprocess, median and best of 5) and in-process load_org + prove (median of 10)"
    )
    for name, med, best, inp in rows:
        print(
            f"  {name:38} CLI {med * 1000:7.0f} ms (best {best * 1000:5.0f} ms)   load+prove {inp * 1000:6.1f} ms"
        )
    (_, d_cli, _, d_in), (_, b_cli, _, b_in) = rows
    print(
        f"  {count} gates vs the default org: CLI {b_cli / d_cli:.2f}x, load+prove {b_in / d_in:.1f}x; "
        f"target: CLI under 1 s -> {'met' if b_cli < 1 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
