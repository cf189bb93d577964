"""Benchmark: 20 agents sharing one provider whose rpm limit the loopback model enforces with 429s.

Side by side in the same run, each for the same wall time against a fresh server with the same limit:
  paced     org's Pacer (token bucket reserve/settle, cooldown on 429)          <- org
  naive     every agent for itself, retrying after the provider's retry-after   (what SDK retries do)
  router    litellm's Router with the same rpm (usage-based-routing-v2)
It prints the achieved throughput as a share of the limit and the share of 429 responses; then the
dispatcher's own overhead per call excluding model time (pacer alone, in memory and, when the bus is
available, on the shared SQLite budget; and the whole dispatcher on a real bus when available).

    .ci/dev python tests/bench/bench_agents.py [--seconds 30] [--rpm 600] [--agents 20]
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from org.agents.llm import complete, litellm_module
from org.agents.localmodel import LocalModelConfig, LocalModelServer
from org.agents.pacing import Limits, MemoryBudgetStore, Pacer, Stopped

MSG = [
    {
        "role": "user",
        "content": "Answer with one JSON object of type ReviewVerdict. Revision under review: r1",
    }
]
MODEL = "openai/gpt-5-mini"


def run_mode(mode: str, agents: int, seconds: float, rpm: float) -> dict:
    srv = LocalModelServer(LocalModelConfig(rpm=rpm, burst_s=1.0)).start()
    stop_at = time.monotonic() + seconds
    c: collections.Counter = collections.Counter()
    lock = threading.Lock()
    pacer = Pacer(MemoryBudgetStore(), {"bench": Limits(rpm=rpm)}, max_wait_s=seconds + 5)
    router = None
    if mode == "router":
        lt = litellm_module()
        router = lt.Router(
            model_list=[
                {
                    "model_name": "bench",
                    "litellm_params": {"model": MODEL, "api_base": srv.url, "api_key": "x", "rpm": rpm},
                }
            ],
            routing_strategy="usage-based-routing-v2",
            num_retries=0,
        )

    def once():
        return complete(MODEL, MSG, api_base=srv.url, api_key="x", provider="bench", timeout_s=30)

    def agent() -> None:
        while time.monotonic() < stop_at:
            if mode == "paced":
                try:
                    res = pacer.call("bench", 0, once)
                except Stopped:
                    return
                with lock:
                    c["ok" if res.ok else res.outcome] += 1
            elif mode == "naive":
                res = once()
                with lock:
                    c["ok" if res.ok else res.outcome] += 1
                if not res.ok:
                    time.sleep(res.retry_after_s if res.retry_after_s is not None else 0.05)
            else:
                try:
                    router.completion(model="bench", messages=MSG)
                    with lock:
                        c["ok"] += 1
                except Exception:
                    with lock:
                        c["refused"] += 1
                    time.sleep(0.05)

    t0 = time.monotonic()
    threads = [threading.Thread(target=agent, daemon=True) for _ in range(agents)]
    for t in threads:
        t.start()
    time.sleep(max(0.0, stop_at - time.monotonic()))
    pacer.stop.set()  # paced agents waiting for a slot past the end stop now
    for t in threads:
        t.join(timeout=30)
    stats = srv.stats()["counts"]
    ok_times = list(srv.ok_times)
    srv.stop()
    warm = min(5.0, seconds / 4)
    steady = sum(1 for x in ok_times if t0 + warm <= x < t0 + seconds)
    requests = stats.get("requests", 0)
    limited = stats.get("rate_limited", 0)
    return {
        "mode": mode,
        "ok": stats.get("ok", 0),
        "requests": requests,
        "429": limited,
        "share_of_limit": stats.get("ok", 0) / (rpm / 60 * seconds),
        "steady_share": steady / (rpm / 60 * (seconds - warm)),
        "share_429": limited / requests if requests else 0.0,
        "client_refusals": c.get("refused", 0),
    }


def pacer_overhead(n: int = 20000) -> dict:
    from org.agents.llm import CallResult

    out = {}
    done = CallResult("m", "m", "bench", "ok", status=200, prompt_tokens=10, completion_tokens=10)
    p = Pacer(MemoryBudgetStore(), {"bench": Limits(rpm=1e9, tpm=1e12)})
    t = time.perf_counter()
    for _ in range(n):
        p.call("bench", 1000, lambda: done)
    out["memory"] = (time.perf_counter() - t) / n
    import tempfile

    from org.agents.busport import open_door
    from org.agents.sqlbudget import SqlBudgetStore
    from org.config.loader import load_org
    from org.identity.bootstrap import agent_tokens
    from org.identity.guard import Guard

    cfg = load_org(Path(__file__).resolve().parents[2])
    with tempfile.TemporaryDirectory() as d:
        os.environ["ORG_CONFIG_HOME"] = d  # the token pepper of this run only
        url = f"sqlite:///{d}/b.db"
        with Guard.open(url, root=cfg.root, config=cfg) as door:
            tokens = agent_tokens(door, actors=["build-claude"])
        store = SqlBudgetStore(lambda: open_door(url, cfg.root, cfg, tokens))
        p = Pacer(store, {"bench": Limits(rpm=1e9, tpm=1e12)})
        m = 2000
        t = time.perf_counter()
        for _ in range(m):
            p.call("bench", 1000, lambda: done)
        out["sqlite"] = (time.perf_counter() - t) / m
    return out


def dispatcher_overhead(tasks: int = 40, concurrency: int = 1) -> dict:
    """Run docs tasks (build + cross-vendor review) through the real dispatcher on a SQLite bus with a
    zero-latency local model; per job: claim to the bus's answer to the submission, minus model time."""
    import shutil
    import tempfile

    from org.agents.runner import RunOptions
    from org.agents.session import AgentSession
    from org.bus import Bus
    from org.config.loader import load_org

    repo = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for sub in ("lanes", "gates", "adrs"):
            if (repo / sub).is_dir():
                shutil.copytree(repo / sub, root / sub, ignore=shutil.ignore_patterns(".index*"))
        cfg = load_org(root)
        url = f"sqlite:///{root / 'bench.db'}"
        srv = LocalModelServer(LocalModelConfig(defect_rate=0.0)).start()
        try:
            with Bus.open(url, root=root, config=cfg) as bus:
                for i in range(tasks):
                    bus.add_task(
                        f"Document the retry policy, part {i}", "change", attributes={"kind": "docs"}
                    )
            env = {**os.environ, "ORG_LOCAL_MODEL_URL": srv.url, "ORG_MODELS": "local"}
            with AgentSession(cfg, url, env=env) as s:
                rep = s.dispatcher(RunOptions(concurrency=concurrency, idle_grace_s=0.2)).run()
        finally:
            srv.stop()
    per = sorted(rep.elapsed_s)
    return {
        "jobs": rep.jobs,
        "median_ms": statistics.median(per) * 1e3,
        "mean_ms": statistics.mean(per) * 1e3,
        "model_mean_ms": rep.model_s / max(1, rep.calls) * 1e3,
        "jobs_per_s": rep.jobs / rep.wall_s,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--rpm", type=float, default=600.0)
    ap.add_argument("--agents", type=int, default=20)
    ap.add_argument("--modes", default="paced,naive,router")
    a = ap.parse_args()
    litellm_module()
    complete(
        MODEL, MSG, api_base="http://127.0.0.1:9/v1", api_key="x", timeout_s=1
    )  # warm litellm's lazy bits
    print(
        f"{a.agents} agents, one provider limited to {a.rpm:.0f} rpm by the loopback server (429 beyond it), "
        f"{a.seconds:.0f} s per mode\n"
    )
    rows = []
    for mode in a.modes.split(","):
        r = run_mode(mode, a.agents, a.seconds, a.rpm)
        rows.append(r)
        print(
            f"  {mode:7s} ok {r['ok']:5d}  share of limit {r['share_of_limit']:6.1%} (steady {r['steady_share']:6.1%})"
            f"  requests {r['requests']:6d}  429s {r['429']:6d} ({r['share_429']:6.2%})"
            + (f"  refused by the client {r['client_refusals']}" if r["client_refusals"] else ""),
            flush=True,
        )
    paced = next((r for r in rows if r["mode"] == "paced"), None)
    if paced:
        for r in rows:
            if r is not paced and r["ok"]:
                print(
                    f"  paced / {r['mode']}: {paced['ok'] / r['ok']:.2f}x the successful calls, "
                    f"{(paced['share_429'] or 0):.2%} vs {r['share_429']:.2%} of requests refused with 429"
                )
        verdict = "met" if paced["steady_share"] >= 0.95 and paced["share_429"] <= 0.01 else "NOT met"
        print(f"  target (>= 95% of the limit with <= 1% 429s): {verdict}")
    ov = pacer_overhead()
    print("\nDispatcher overhead per call, excluding model time:")
    for k, v in ov.items():
        print(f"  pacer reserve+settle ({k} budget store): {v * 1e6:8.1f} us")
    try:
        import org.bus  # noqa: F401  (the whole dispatcher needs the work bus)
    except ImportError:
        return 0
    for conc in (1, 4):
        d = dispatcher_overhead(concurrency=conc)
        print(
            f"  whole dispatcher on a SQLite bus, {conc} worker(s) per lane (claim, prompt, parse, act, submit, "
            f"ledger): median {d['median_ms']:.1f} ms, mean {d['mean_ms']:.1f} ms per job over {d['jobs']} jobs "
            f"(model time excluded; mean model call {d['model_mean_ms']:.1f} ms); {d['jobs_per_s']:.1f} jobs/s "
            "end to end",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
