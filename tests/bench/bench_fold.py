"""Benchmark: engine-driven claim + submit on the bus with the fold's cheap copy against the deep copy it
replaced (issue 23 item 3), side by side in one run (a script, not a test).

    .ci/dev python tests/bench/bench_fold.py [--tasks 30] [--runs 3]

Each run files TASKS production-tier changes on a fresh SQLite bus (the starter org) and drives every one to
done (spec, implement, reviews, security, approval: claim + submit per job), once with Ctx.fold_more as
shipped (TaskState.copy()) and once with it swapped for the old copy.deepcopy, alternating which goes first.
Prints the time per claim + submit for each and the ratio, median and spread over the runs; then the fold
step alone (fold_more of one gate.ready into a mid-flight production task's state), copy against deepcopy,
interleaved, which the end-to-end numbers bury under the machine's noise.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _drive_all(tasks: int) -> tuple[float, int]:
    from org.bus import Bus
    from tests.bus.bushelpers import drive
    from tests.helpers import starter_org

    with tempfile.TemporaryDirectory() as d:
        root = starter_org(Path(d))
        with Bus.open(f"sqlite:///{root / '.org' / 'org.db'}", root=root) as bus:
            bus.config()
            ids = [
                bus.add_task(f"t{i}", "change", attributes={"environment": "production"})["task"]
                for i in range(tasks)
            ]
            t0 = time.perf_counter()
            steps = 0
            for t in ids:
                view = drive(bus, t)
                assert view["status"] == "done", view["status"]
                steps += len(view["jobs"])
            return time.perf_counter() - t0, steps


def main() -> int:
    from org.bus.context import Ctx
    from org.engine.state import fold

    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    shipped = Ctx.fold_more

    def deep(st, events):
        return fold(events, copy.deepcopy(st)) if events else st

    per: dict[str, list[float]] = {"copy": [], "deepcopy": []}
    for run in range(args.runs):
        order = ["copy", "deepcopy"] if run % 2 == 0 else ["deepcopy", "copy"]
        for name in order:
            Ctx.fold_more = staticmethod(shipped if name == "copy" else deep)
            secs, steps = _drive_all(args.tasks)
            per[name].append(secs / steps * 1000)
    Ctx.fold_more = staticmethod(shipped)
    ratios = [d / c for c, d in zip(per["copy"], per["deepcopy"], strict=True)]
    for name, ms in per.items():
        print(
            f"{name:9s} ms per claim+submit: median {statistics.median(ms):.2f} (runs: {', '.join(f'{x:.2f}' for x in ms)})"
        )
    print(
        f"deepcopy/copy: median {statistics.median(ratios):.2f}x, spread {min(ratios):.2f}-{max(ratios):.2f}x"
        f" over {args.runs} runs (load {os.getloadavg()[0]:.1f})"
    )
    _fold_step(deep, shipped, args.runs)
    return 0


def _fold_step(deep, shipped, runs: int) -> None:
    from org.config.loader import load_org
    from org.engine import flow
    from org.engine.state import Event, fold
    from tests.helpers import REPO

    cfg = load_org(REPO)
    s = fold(flow.start_task(cfg, "t1", "x", "change", {"environment": "production"}))
    for _ in range(4):  # a few gates in: reviews, revisions and authors to copy
        g = sorted(s.ready_gates())[0]
        s = fold(flow.submit(cfg, s, flow.eligible_members(cfg, s, g)[0], g, "pass"), s.copy())
    ev = [Event("gate.ready", s.id, {"gate": next(iter(s.gates))})]
    per: dict[str, list[float]] = {"copy": [], "deepcopy": []}
    for _ in range(runs):
        for name, fn in (("copy", shipped), ("deepcopy", deep)):
            t0 = time.perf_counter()
            for _ in range(2000):
                fn(s, ev)
            per[name].append((time.perf_counter() - t0) / 2000 * 1e6)
    ratios = [d / c for c, d in zip(per["copy"], per["deepcopy"], strict=True)]
    print(
        f"fold step alone: copy {statistics.median(per['copy']):.1f} us, deepcopy"
        f" {statistics.median(per['deepcopy']):.1f} us; deepcopy/copy median {statistics.median(ratios):.1f}x,"
        f" spread {min(ratios):.1f}-{max(ratios):.1f}x over {runs} runs"
    )


if __name__ == "__main__":
    raise SystemExit(main())
