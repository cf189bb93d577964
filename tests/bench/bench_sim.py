"""Benchmark: the simulator with the engine in the loop against a bare SimPy model of the same network.

    .ci/dev python tests/bench/bench_sim.py [SCENARIO] [--days N]

Both run the same scenario (default: `large`, 100 agents for 30 virtual days): the same arrivals,
gate plans per tier, lanes, working hours, token buckets, work-time, token and defect draws. The
bare model replaces the engine with a fixed plan walked stage by stage (no policy, no eligibility,
no events, no fold) and uses SimPy's Store for the lanes; it draws what the engine-driven model draws
(tokens, work time and calls per job, defects injected and found, false alarms, the author's fix rate
on rework). Events are counted the same way in both (an arrival, a model call finishing, a human
finishing a review, a shift change), so events per second compare like for like; SimPy's own step
count is printed as well. Both are timed over the same span: the org is built and proved before the
clock starts, as the bare model's stores are; the run and its summary are timed. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from org.engine.graph import plan_for
from org.engine.risk import classify
from org.sim.behaviour import focus_for, pool_for, profile_for
from org.sim.calendar import Calendar
from org.sim.defects import inject, look, rework
from org.sim.orgbuild import build_org
from org.sim.pacing import Bucket
from org.sim.run import load
from org.sim.world import World


def stages(cfg, workflow: str, tier: str) -> list[list[str]]:
    """The tier's required gates grouped by depth: each group runs in parallel, groups in order."""
    wf = cfg.workflows[workflow]
    plan = plan_for(wf, tier)
    depth: dict[str, int] = {}
    for g in plan.order:
        deps = [depth[d] for d in wf.gates[g].after if d in depth]
        depth[g] = (max(deps) + 1) if deps else 0
    groups: dict[int, list[str]] = {}
    for g in plan.required:
        if wf.gates[g].kind in ("work", "review", "approval"):
            groups.setdefault(depth[g], []).append(g)
    return [groups[k] for k in sorted(groups)]


def bare_simpy(ls, cfg) -> dict:
    import simpy

    spec = ls.spec
    env = simpy.Environment()
    seed = spec.seed
    rng_arrive, rng_defects, rng_look = (
        random.Random(f"{seed}:{k}") for k in ("arrivals", "defects", "look")
    )
    cal = Calendar(spec.humans.hours, spec.humans.days)
    human_time = spec.humans.review_time.sampler()
    count = {"events": 0, "done": 0, "jobs": 0}
    shared: dict[str, Bucket] = {}
    lanes: dict[str, simpy.Store] = {}
    for name in cfg.lanes:
        lanes[name] = simpy.Store(env)
    for a in cfg.actors.values():
        rec = {
            "id": a.id,
            "human": a.is_human,
            "family": a.family or "human",
            "rng": random.Random(f"{seed}:worker:{a.id}"),
        }
        if not a.is_human:
            rec["profile"] = profile_for(spec.behaviour, a.model or "", rec["family"])
            hit = pool_for(spec.providers, a.model or "")
            if hit:
                name, pool = hit
                b = shared.get(name) or Bucket(pool.rpm, pool.tpm, pool.burst, spec.pacing.target)
                shared[name] = b
                rec["bucket"] = b if b.limited else None
        lanes[a.lane].put(rec)
    plans = {}
    for s in spec.workload.streams:
        tier = classify(cfg, s.attributes, s.tier).tier
        plans[s.name] = (tier, stages(cfg, s.workflow, tier))

    def job(lane: str, kind: str, task: dict, gate: str):
        w = yield lanes[lane].get()
        if w["human"]:
            yield env.timeout(cal.finish(env.now, human_time(w["rng"])) - env.now)
            count["events"] += 1
            found = look(task["defects"], spec.humans.detect, "human", None, rng_look)
        else:
            prof = w["profile"]
            kp = prof.work if kind == "work" else prof.review
            n = max(1, int(round(kp.calls(w["rng"]))))
            seg = kp.time(w["rng"]) / n
            b = w.get("bucket")
            for _ in range(n):
                tokens = max(0.0, round(kp.tokens(w["rng"])))
                wait = b.reserve(env.now, tokens) if b is not None else 0.0
                yield env.timeout(wait + seg)
                count["events"] += 1
            found = []
            if kind == "work":
                inject(task["defects"], prof, w["family"], task["round"] > 0, rng_defects)
                task["fix"] = prof.fix  # the last author's fix rate, as the engine-driven model reworks with
            else:
                found = look(
                    task["defects"],
                    prof.detect,
                    w["family"],
                    focus_for(spec.behaviour, task["wf"], gate),
                    rng_look,
                )
                if not found and prof.false_alarm and rng_look.random() < prof.false_alarm:
                    found = [None]  # a false alarm sends the work back like a finding

        count["jobs"] += 1
        lanes[lane].put(w)
        return bool(found)

    def run_task(stream):
        wf = cfg.workflows[stream.workflow]
        tier, groups = plans[stream.name]
        task = {"defects": [], "round": 0, "wf": stream.workflow, "fix": 1.0}
        i = 0
        while i < len(groups):
            procs = [env.process(job(wf.gates[g].lane, wf.gates[g].kind, task, g)) for g in groups[i]]
            results = yield env.all_of(procs)
            failed = [g for g, p in zip(groups[i], procs, strict=True) if results[p]]
            if failed:
                if wf.gates[failed[0]].kind == "approval":
                    return
                task["round"] += 1
                if task["round"] > wf.limits.max_rework_rounds:
                    return
                task["defects"] = rework(task["defects"], task["fix"], rng_defects)
                target = wf.gates[failed[0]].on_fail or "implement"
                i = next(k for k, grp in enumerate(groups) if target in grp)
                continue
            i += 1
        count["done"] += 1

    def arrivals(stream):
        rate = stream.rate_per_second
        while True:
            yield env.timeout(rng_arrive.expovariate(rate))
            count["events"] += 1
            env.process(run_task(stream))

    def shifts(store_name: str):
        # the shift changes the engine-driven model schedules (two events per human per working day)
        t = cal.next_open(0.0)
        while True:
            yield env.timeout(max(0.0, t - env.now))
            count["events"] += len([a for a in cfg.actors.values() if a.lane == store_name]) * 2
            t = cal.next_open(cal.close_after(t))

    for s in spec.workload.streams:
        env.process(arrivals(s))
    if not cal.always:
        for name, lane in cfg.lanes.items():
            if lane.kind == "human":
                env.process(shifts(name))
    steps = 0
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    until = spec.duration
    while env.peek() <= until:
        env.step()
        steps += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "wall": wall,
        "cpu": cpu,
        "events": count["events"],
        "steps": steps,
        "done": count["done"],
        "jobs": count["jobs"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="large")
    ap.add_argument("--days", type=float, default=None, help="Override the scenario's duration.")
    ap.add_argument(
        "--repeat", type=int, default=2, help="Runs of each, interleaved; the best wall time counts."
    )
    ap.add_argument(
        "--no-memo",
        action="store_true",
        help="Run the engine-driven model without the transition memo (ADR 0255): every call to the engine.",
    )
    args = ap.parse_args()
    sets = [("duration", f"{args.days}d")] if args.days else []
    ls = load(args.scenario, sets)
    if ls.spec.workload.backlog:
        sys.exit("the bare model covers open workloads (per_hour/per_day streams) only")
    cfg = build_org(ls)
    agents = sum(1 for a in cfg.actors.values() if not a.is_human)
    days = ls.spec.duration / 86400
    print(
        f"scenario {ls.spec.name}: {agents} agents, {len(cfg.actors) - agents} humans, {days:g} virtual days"
    )

    engine_runs, bare_runs = [], []
    m: dict = {}
    for _ in range(args.repeat):  # interleaved, best of N: the machine is shared
        # the same span as the bare model's: the org is built (and proved) before, like its stores are
        gc.collect()  # (each side starts from a clean heap: an earlier run's garbage is not charged to the next)
        t0, c0 = time.perf_counter(), time.process_time()
        world = World(ls.spec, cfg, memo=not args.no_memo)
        m = world.run()
        engine_runs.append({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0})
        bare_runs.append(bare_simpy(ls, cfg))
    eng = {k: min(r[k] for r in engine_runs) for k in ("wall", "cpu")}
    bare = {k: min(r[k] for r in bare_runs) for k in ("wall", "cpu")}
    b0 = bare_runs[0]
    ev = m["events"]
    print(
        f"  engine in the loop : {eng['wall']:7.2f} s wall {eng['cpu']:7.2f} s cpu  {ev:>10,} events  "
        f"{ev / eng['wall']:>9,.0f} events/s  {m['engine_calls']:>9,} engine calls  "
        f"{m['tasks']['done']:,} done in the window"
    )
    tr = world.transitions
    print(
        f"  transition memo    : {'off' if args.no_memo else 'on'}, {tr.hits:,} answers replayed, "
        f"{tr.misses:,} from the engine, {len(tr.shapes):,} shapes"
    )
    print(
        f"  bare SimPy model   : {bare['wall']:7.2f} s wall {bare['cpu']:7.2f} s cpu  {b0['events']:>10,} events  "
        f"{b0['events'] / bare['wall']:>9,.0f} events/s  {b0['steps']:>9,} SimPy steps "
        f"({b0['steps'] / bare['wall']:,.0f}/s)  {b0['done']:,} done in the whole run"
    )
    for k in ("wall", "cpu"):
        ratio = (ev / eng[k]) / (b0["events"] / bare[k])
        print(
            f"ratio ({k} time), engine-in-the-loop events/s over bare SimPy events/s: {ratio:.2f}x (target >= 0.75x)"
        )
    print(f"  best of {args.repeat} interleaved runs each (the machine may be shared; cpu time is steadier)")
    print(
        f"wall time for {agents} agents x {days:g} virtual days with the engine in the loop: {eng['wall']:.1f} s "
        f"(target < 60 s)"
    )


if __name__ == "__main__":
    main()
