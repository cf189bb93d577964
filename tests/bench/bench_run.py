"""Benchmark: what `org run` costs beyond the work it does (issue 20: overhead under 2 s), beside its peers.

    .ci/dev python tests/bench/bench_run.py [RUNS]

Each run makes a fresh org with `org init` (the starter org), adds one medium-tier change (4 jobs: spec,
implement, two reviews, all on the local model) and times the real `org run` in a subprocess, reading its
stderr line by line: start-up (until its first line), the work (the dispatcher's own time, from its summary line), the tail
(from the last job's line to the exit), and the overhead (everything but the work). Peers measured in the same
run, so the ratios hold on a loaded machine: a bare interpreter (`python -c pass`) and `org validate` (a CLI
start-up that loads and proves the same config). Not a pass/fail test: it prints numbers and ratios.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

ORG = [sys.executable, "-m", "org"]


def _timed(cmd: list[str], env: dict, cwd: Path) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - t


def one_run(tmp: Path, i: int) -> dict:
    root = tmp / f"org{i}"
    env = {**os.environ, "ORG_ROOT": str(root), "ORG_CONFIG_HOME": str(tmp / f"home{i}")}
    env.pop("ORG_DATABASE_URL", None)
    subprocess.run([*ORG, "init", str(root)], env=env, capture_output=True, check=True)
    subprocess.run(
        [*ORG, "task", "add", "Add retry to the webhook sender", "--workflow", "change", "--as", "alice"],
        env=env,
        cwd=root,
        capture_output=True,
        check=True,
    )
    peer_python = _timed([sys.executable, "-c", "pass"], env, root)
    peer_validate = _timed([*ORG, "validate"], env, root)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*ORG, "run"], env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first = last_job = None
    assert proc.stderr is not None and proc.stdout is not None
    for line in proc.stderr:
        now = time.perf_counter() - t0
        if first is None:
            first = now
        if line.startswith("  T-"):
            last_job = now
    out = proc.stdout.read()  # the summary (small: the pipe cannot fill while stderr is read)
    proc.wait()
    summary = re.search(r"(\d+) job\(s\) in ([\d.]+)s", out)
    total = time.perf_counter() - t0
    if proc.returncode != 0 or summary is None:
        raise SystemExit(f"org run exited {proc.returncode} (summary: {summary})")
    work = float(summary.group(2))
    return {
        "total": total,
        "work": work,
        "overhead": total - work,
        "startup": first or 0.0,
        "tail": total - (last_job or total),
        "jobs": int(summary.group(1)),
        "python": peer_python,
        "validate": peer_validate,
    }


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory(prefix="bench-run-") as d:
        rows = [one_run(Path(d), i) for i in range(runs)]
    load = os.getloadavg()[0]
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(
        f"org run on a fresh starter org, one medium change ({int(med['jobs'])} jobs), {runs} run(s), "
        f"load average {load:.1f} on {os.cpu_count()} cores; seconds: median [min-max]"
    )
    print(f"  {'':28}{'median':>8} {'[min-max]':>13}  {'x python -c pass':>17}  {'x org validate':>15}")
    for k, label in (
        ("total", "org run, wall"),
        ("work", "  the work (dispatcher)"),
        ("overhead", "  overhead (total - work)"),
        ("startup", "  start-up to first line"),
        ("tail", "  last job to exit"),
        ("validate", "peer: org validate"),
        ("python", "peer: python -c pass"),
    ):
        lo, hi = min(r[k] for r in rows), max(r[k] for r in rows)
        spread = f"[{lo:.2f}-{hi:.2f}]"
        print(
            f"  {label:28}{med[k]:8.2f} {spread:>13}  {med[k] / med['python']:17.1f}  {med[k] / med['validate']:15.2f}"
        )
    ratios = sorted(r["total"] / r["work"] for r in rows)
    print(
        f"  org run wall / the work: {statistics.median(ratios):.2f} (runs: {', '.join(f'{x:.2f}' for x in ratios)}); "
        f"overhead {med['overhead']:.2f} s = {med['overhead'] / med['validate']:.1f}x one `org validate` "
        "(target: under 2 s on an idle machine)"
    )


if __name__ == "__main__":
    main()
