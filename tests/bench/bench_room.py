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


def paired_ms(a, b, n: int) -> tuple[float, float]:
    """Medians of `a` and `b` run alternately (so a load that comes and goes hits both alike)."""
    ta, tb = [], []
    for _ in range(n):
        for fn, out in ((a, ta), (b, tb)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return statistics.median(ta) * 1000, statistics.median(tb) * 1000


def sandbox(n: int) -> None:
    from org.runtime import Sandbox, probe

    ok, why = probe()
    if not ok:
        print(f"sandbox: skipped ({why})")
        return
    with tempfile.TemporaryDirectory() as d:
        for label, argv in (("true", ["true"]), ("python -c pass", [sys.executable, "-c", "pass"])):
            sb = Sandbox(Path(d), python=label != "true")
            plain, boxed = paired_ms(
                lambda argv=argv: subprocess.run(argv, cwd=d, check=True),
                lambda argv=argv, sb=sb: sb.run(argv),
                n,
            )
            print(
                f"sandbox start-up, {label:15s} plain {plain:7.2f} ms  sandboxed {boxed:7.2f} ms  "
                f"ratio {boxed / plain:5.1f}x  added {boxed - plain:6.2f} ms"
            )


def gateway(n: int) -> None:
    from org.agents.llm import complete
    from org.agents.localmodel import LocalModelServer
    from org.bus import Bus
    from org.config.loader import load_org
    from org.gateway import Gateway

    root = Path(__file__).resolve().parents[2]
    cfg = load_org(root)
    model, msgs = (
        "anthropic/claude-sonnet-4-5",
        [{"role": "user", "content": "Say something about the task."}],
    )
    with tempfile.TemporaryDirectory() as d, LocalModelServer() as local:
        url = f"sqlite:///{d}/org.db"
        Bus.open(url, root=root, config=cfg).close()
        with Gateway(
            cfg,
            lambda: Bus.open(url, root=root, config=cfg),
            local_url=local.url,
            env={"ORG_MODELS": "local"},
        ).serve() as gw:
            token = gw.grant("build-claude", job=1)
            direct = lambda: complete(model, msgs, called=f"openai/{model}", api_base=local.url, api_key="x")  # noqa: E731
            via = lambda: complete(model, msgs, called=f"openai/{model}", api_base=gw.url, api_key=token)  # noqa: E731
            for fn in (direct, via):  # warm up: imports, connections, the ledger's first write
                assert fn().ok
            plain, gated = paired_ms(direct, via, n)
            rows = Bus.open(url, root=root, config=cfg).spend("actor")[0]["calls"]
    print(
        f"gateway per call: litellm direct {plain:6.2f} ms  through the gateway {gated:6.2f} ms  "
        f"ratio {gated / plain:4.2f}x  added {gated - plain:5.2f} ms  (ledger rows written: {rows})"
    )


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=40)
    a = p.parse_args()
    sandbox(a.n)
    gateway(a.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
