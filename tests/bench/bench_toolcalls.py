"""Benchmark: what the tool-call ledger on the chain (ADR 0231) adds to a built-in agent's tool call, next to what
each call already paid before it (its decision through the door's `act`) and the smallest write a job's holder
makes (a heartbeat), on one real SQLite bus, measured in the same run.

    .ci/dev python tests/bench/bench_toolcalls.py [--calls 300]

Prints the median per call in milliseconds and the ratios record/act and record/heartbeat.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from org.bus import Bus
from org.identity.guard import Guard

REPO = Path(__file__).resolve().parents[2]
ENTRY = {
    "tool": "read_file",
    "args_sha256": "0123456789abcdef",
    "result": "ok",
    "latency_ms": 1.0,
    "decision": "allow",
    "rules": [],
}


def median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=300)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "org"
        root.mkdir()
        for d in ("lanes", "gates", "adrs"):
            shutil.copytree(REPO / d, root / d)
        with Bus.open(f"sqlite:///{root / 'org.db'}", root=root) as bus:
            door = Guard(bus, token_files=False)
            alice = door.tokens.issue("alice", by="bench")["token"]
            agent = door.tokens.issue("build-claude", by="bench")["token"]
            door.add_task(alice, "bench", "change", by="alice")
            c, jt = door.claim(agent, "builder", "build-claude", lease_seconds=3600)
            runs = {
                "act (the decision)": lambda: door.act(jt, "spec.write", None, c.task),
                "record_tool_call (the ledger)": lambda: door.record_tool_call(jt, c.job, dict(ENTRY)),
                "heartbeat (a bare lease write)": lambda: door.heartbeat(jt, c.job, lease_seconds=3600),
            }
            out = {name: median_ms(fn, a.calls) for name, fn in runs.items()}
    for name, ms in out.items():
        print(f"{name:34s} median {ms:7.3f} ms per call ({a.calls} calls)")
    rec = out["record_tool_call (the ledger)"]
    print(f"ratio record/act       {rec / out['act (the decision)']:.2f}")
    print(f"ratio record/heartbeat {rec / out['heartbeat (a bare lease write)']:.2f}")


if __name__ == "__main__":
    main()
