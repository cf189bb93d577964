"""Benchmark: what org adds to one coding CLI run, measured side by side in one run.

    .ci/dev python tests/bench/bench_clis.py [--n 15] [--runs 3]

The fake CLI (tests/data/clis/fake_cli.py, a command template replaying a transcript that prints its marker)
run three ways, each to its end: a plain subprocess (the peer), through org.agents.clis.driver in a room without
bubblewrap (the relay, the event model, the permits), and through the driver in the bubblewrap room (what a CLI
member costs per job). Prints medians, the ratios against the peer and the milliseconds added.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from org.agents.clis.adapter import Launch
from org.agents.clis.driver import drive
from org.agents.clis.plain import Command
from org.runtime import Isolation, Limits, job_sandbox, probe, relay_argv
from tests.agents.clis.conftest import install_fake


def _socket(folder: Path) -> Path:
    """A Unix socket that answers nothing (the relay only needs one to exist)."""
    import socket

    path = folder / "gw.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.listen(8)
    threading.Thread(target=lambda: [s.accept()[0].close() for _ in iter(int, 1)], daemon=True).start()
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=15)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        ws = root / "ws"
        ws.mkdir()
        t = root / "t.jsonl"
        t.write_text(
            '{"version": "x 1.0.0"}\n{"read_until_eof": true}\n{"out": "working"}\n{"out": "ORG-DONE"}\n'
        )
        exe = install_fake(root / "cli", "mycli", t)
        sock = _socket(root)
        member = type("M", (), {"command": type("C", (), {"run": "mycli", "done": "ORG-DONE"})()})()
        adapter = Command(member)
        launch = Launch(ws, "prompt", "m", marker="ORG-DONE")

        def plain() -> None:
            subprocess.run([str(exe)], input=b"prompt", capture_output=True, check=True)

        def room(isolated: bool) -> None:
            r = job_sandbox(
                ws,
                sockets={"gateway": sock},
                env={"ORG_GATEWAY_TOKEN": "orgg_bench"},
                limits=Limits(wall_s=60),
                isolation=Isolation("bwrap" if isolated else "none"),
                read_only=[root / "cli"],
            )
            try:
                res = drive(
                    adapter,
                    launch,
                    relay_argv(adapter.argv(str(exe), launch), socket=r.socket("gateway")),
                    r,
                    lambda _a: (False, "", {}),
                )
                assert res.ok, res.why()
            finally:
                r.close()

        ways = {"plain subprocess": plain, "driver, no sandbox": lambda: room(False)}
        if probe()[0]:
            ways["driver, bwrap room"] = lambda: room(True)
        for run in range(a.runs):
            med = {}
            for name, fn in ways.items():
                fn()
                times = []
                for _ in range(a.n):
                    t0 = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - t0)
                med[name] = statistics.median(times)
            base = med["plain subprocess"]
            print(
                f"run {run + 1}: "
                + "; ".join(
                    f"{k} {v * 1000:.0f} ms (x{v / base:.2f}, +{(v - base) * 1000:.0f} ms)"
                    for k, v in med.items()
                )
            )


if __name__ == "__main__":
    main()
