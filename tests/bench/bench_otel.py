"""Benchmark: what tracing costs a job (issue 17: under 5% of a job's dispatcher time), export on against off.

    .ci/dev python tests/bench/bench_otel.py [ROUNDS] [TASKS]

Each round runs two fresh processes side by side in alternating order, identical but for
OTEL_EXPORTER_OTLP_ENDPOINT: each makes a starter org, adds TASKS docs changes (each 2+ jobs on the loopback
local model, through the in-process gateway, so every span of a job is made in that process: the job, its model
call, its decisions) and runs the dispatcher until idle. Measured per job: the dispatcher's own time (claim to
the bus's answer to the submission, minus the model's time; RunReport.elapsed_s), median over the jobs. The
traced process exports to a real OTLP/HTTP receiver on loopback (tests/telemetry/receiver.py) in this process,
which answers without decoding (a collector runs elsewhere; on 2 cores its CPU would be billed to the job).
Also, in the traced process, the direct cost of one job's spans (a job span, a chat span, a tool span and four
decision spans) against the same hooks with tracing off. Not a pass/fail test: it prints numbers and ratios.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.telemetry.receiver import Receiver  # noqa: E402

CHILD = textwrap.dedent(
    """
    import json, os, statistics, sys, time
    from pathlib import Path
    from types import SimpleNamespace as N
    sys.path.insert(0, os.environ["BENCH_REPO"])
    from tests.conftest import starter_org
    from org.agents.localmodel import LocalModelConfig, LocalModelServer
    from org.agents.runner import RunOptions
    from org.agents.session import AgentSession
    from org.bus import Bus
    from org.config.loader import load_org
    from org import telemetry

    tmp = Path(sys.argv[1]); tasks = int(sys.argv[2])
    root = starter_org(tmp)
    cfg = load_org(root)
    url = f"sqlite:///{tmp / 'bus.db'}"
    srv = LocalModelServer(LocalModelConfig(seed=5, defect_rate=0.0)).start()
    with Bus.open(url, root=root, config=cfg) as bus:
        for i in range(tasks):
            bus.add_task(f"Document the retry policy {i}", "change", attributes={"kind": "docs"})
    env = {**os.environ, "ORG_LOCAL_MODEL_URL": srv.url, "ORG_MODELS": "local"}
    with AgentSession(cfg, url, env=env) as s:
        report = s.dispatcher(RunOptions(lease_s=120)).run()
    srv.stop()

    # one job's spans, made directly: the hooks' own cost with tracing on (or off: the same calls, no-ops)
    claim = N(task="T-1", job=1, lane="builder", gate="implement", kind="work", tier="low", workflow="change",
              round=0, config_hash="h", policy_source=None)
    grant = N(task="T-1", job=1, actor="b", lane="builder", gate="implement", workflow="change")
    res = N(prompt_tokens=10, completion_tokens=5, finish_reason="stop", cost_usd=0.0, outcome="ok", ok=True)
    out = N(status="submitted", verdict=None, failure=None, calls=1, tokens_in=10, tokens_out=5, cost_usd=0.0)
    tool = N(result="ok", text="", decision="allow", rules=[])
    ev = {"type": "job.submitted", "task": "T-1", "decision": "pass", "rules": [], "job": 1, "config_hash": "h",
          "data": {}}
    n = 300
    t = time.perf_counter()
    for _ in range(n):
        with telemetry.job_span(claim, "b", model="m") as js:
            with telemetry.chat_span(grant, "m", "openai") as cs:
                cs.usage(res)
            with telemetry.tool_span("read_file", {"path": "a"}, "c1") as ts:
                ts.result(tool)
            for _ in range(4):
                telemetry.on_event(ev, 1.0, None)
            js.outcome(out)
    spans_s = (time.perf_counter() - t) / n
    telemetry.flush(10)
    print(json.dumps({"jobs": report.jobs, "dispatcher_s": report.elapsed_s, "spans_s": spans_s,
                      "stats": telemetry.stats(), "otel": any(m.startswith("opentelemetry") for m in sys.modules)}))
    """
)


def one(mode: str, endpoint: str, tmp: Path, tasks: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "ORG_OTEL_"))}
    env.pop("ORG_DATABASE_URL", None)
    env.update(BENCH_REPO=str(HERE.parents[1]), ORG_CONFIG_HOME=str(tmp / "home"))
    if mode == "on":
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    p = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp), str(tasks)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if p.returncode != 0:
        raise SystemExit(f"the {mode} run failed:\n{p.stderr[-3000:]}")
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got["otel"] == (mode == "on"), f"{mode}: OpenTelemetry imported: {got['otel']}"
    return got


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    rx = Receiver(decode=False).start()  # answers like a collector, without spending this machine's CPU on it
    rows = []
    try:
        for r in range(rounds):
            got = {}
            for mode in ("off", "on") if r % 2 == 0 else ("on", "off"):
                with tempfile.TemporaryDirectory() as d:
                    got[mode] = one(mode, rx.url, Path(d), tasks)
            off, on = (statistics.median(got[m]["dispatcher_s"]) for m in ("off", "on"))
            row = {
                "jobs": (got["off"]["jobs"], got["on"]["jobs"]),
                "off_ms": off * 1000,
                "on_ms": on * 1000,
                "ratio": on / off,
                "spans_on_ms": got["on"]["spans_s"] * 1000,
                "spans_off_ms": got["off"]["spans_s"] * 1000,
                "spans_share": got["on"]["spans_s"] / off,
                "dropped": got["on"]["stats"]["dropped"],
            }
            rows.append(row)
            print(
                f"round {r + 1}: jobs {row['jobs']}, dispatcher time per job (median) off {row['off_ms']:.1f} ms, "
                f"on {row['on_ms']:.1f} ms, on/off {row['ratio']:.3f}; one job's spans {row['spans_on_ms']:.3f} ms "
                f"(hooks off {row['spans_off_ms']:.4f} ms) = {100 * row['spans_share']:.2f}% of a job's "
                f"dispatcher time; spans dropped {row['dropped']}"
            )
    finally:
        rx.stop()
    ratios = sorted(r["ratio"] for r in rows)
    shares = sorted(100 * r["spans_share"] for r in rows)
    print(
        f"on/off per-job dispatcher time: median {statistics.median(ratios):.3f} (spread {ratios[0]:.3f}-"
        f"{ratios[-1]:.3f}); one job's spans: median {statistics.median(shares):.2f}% of a job's dispatcher time "
        f"(spread {shares[0]:.2f}-{shares[-1]:.2f}%; goal < 5%); export requests received {rx.requests}"
    )


if __name__ == "__main__":
    main()
