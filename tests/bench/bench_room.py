"""Benchmark: the padded room's costs against their peers, measured side by side in one run.

    .ci/dev python tests/bench/bench_room.py [--n 40]

1. Sandbox start-up per job: `true` and `python -c pass` in the sandbox (org.runtime.Sandbox, bubblewrap)
   against the same command as a plain subprocess; prints medians and the ratio and the added ms
   (goal: under 50 ms added).
2. Gateway overhead per model call (when org.gateway exists): one chat completion through the gateway on
   loopback against litellm calling the local model directly (goal: under 2 ms added).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def sandbox(n: int) -> None:
    from org.runtime import Sandbox, probe

    ok, why = probe()
    if not ok:
        print(f"sandbox: skipped ({why})")
        return
    with tempfile.TemporaryDirectory() as d:
        for label, argv in (("true", ["true"]), ("python -c pass", [sys.executable, "-c", "pass"])):
            sb = Sandbox(Path(d), python=label != "true")
            plain = median_ms(lambda argv=argv: subprocess.run(argv, cwd=d, check=True), n)
            boxed = median_ms(lambda argv=argv, sb=sb: sb.run(argv), n)
            print(f"sandbox start-up, {label:15s} plain {plain:7.2f} ms  sandboxed {boxed:7.2f} ms  "
                  f"ratio {boxed / plain:5.1f}x  added {boxed - plain:6.2f} ms")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=40)
    a = p.parse_args()
    sandbox(a.n)
    try:
        import org.gateway  # noqa: F401
    except ImportError:
        print("gateway: not built yet")
        return 0
    from bench_gateway import gateway

    gateway(a.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
