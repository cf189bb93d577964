"""Questions answered over replications: one scenario with intervals and its bottleneck, two side by side,
the marginal effect of one more unit of each resource, and sweeps over one or more settings."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

from org.errors import UsageError
from org.sim.diagnose import diagnose
from org.sim.metrics import METRIC_KEYS
from org.sim.orgbuild import build_org
from org.sim.scenario import LoadedScenario
from org.sim.stats import paired, replicate, seeds_for, summarise

__all__ = ["replicated", "compared", "marginal", "grid", "unit_changes", "HEADLINE"]

Progress = Callable[[float], None] | None

# The metrics a person asks about first, by dotted path, with the direction that is better.
HEADLINE = [
    ("throughput_per_day", "throughput /day", "up"),
    ("cycle_time_hours.p50", "cycle p50 (h)", "down"),
    ("cycle_time_hours.p95", "cycle p95 (h)", "down"),
    ("approval.wait_mean_hours", "approval wait mean (h)", "down"),
    ("defects.escaped_per_100_done", "escaped defects /100 done", "down"),
    ("rework.rounds_per_done", "rework rounds per done", "down"),
    ("cost.per_done", "cost per done USD", "down"),
    ("rate_limits.rejected_429", "429s", "down"),
]


def _sub(progress: Progress, k: int, n: int) -> Progress:
    if progress is None:
        return None
    return lambda f: progress((k + f) / n)


def _diagnosis(runs: list[dict]) -> dict:
    """One diagnosis over replications: the binding constraint most runs name, and every warning any run raised."""
    ds = [diagnose(r) for r in runs]
    votes = Counter((d["binding"]["kind"], d["binding"]["name"]) for d in ds)
    (kind, name), n = votes.most_common(1)[0]
    first = next(d for d in ds if (d["binding"]["kind"], d["binding"]["name"]) == (kind, name))
    short: dict[str, str] = {}
    for d in ds:  # one message per kind of finding (the first run's numbers)
        for msg in d["too_short"]:
            short.setdefault(msg.split(" ", 1)[0], msg)
    unstable = {}
    for d in ds:
        for u in d["unstable"]:
            unstable.setdefault((u["kind"], u["name"]), u)
    return {
        "binding": {**first["binding"], "runs_naming_it": n, "runs": len(ds)},
        "resources": first["resources"],
        "warmup": {
            **first["warmup"],
            "enough": 2 * sum(d["warmup"]["enough"] for d in ds) >= len(ds),
            "mser_hours_max": max(d["warmup"]["mser_hours"] for d in ds),
        },
        "too_short": list(short.values()),
        "unstable": list(unstable.values()),
    }


def replicated(ls: LoadedScenario, seeds: int, workers: int | None = None, progress: Progress = None) -> dict:
    """The scenario over `seeds` replications (seed, seed+1, ...): mean and interval of every metric."""
    build_org(ls)  # refuse a bad org here, before any process starts
    runs = replicate([(ls, s) for s in seeds_for(ls.spec.seed, seeds)], workers, progress)
    return {
        "scenario": ls.spec.name,
        "description": ls.spec.description,
        "seeds": seeds_for(ls.spec.seed, seeds),
        "runs": runs,
        "summary": summarise(runs),
        "diagnosis": _diagnosis(runs),
    }


def compared(
    a: LoadedScenario, b: LoadedScenario, seeds: int, workers: int | None = None, progress: Progress = None
) -> dict:
    """Both scenarios on the same seeds; b - a paired per seed, with intervals."""
    build_org(a)
    build_org(b)
    ss = seeds_for(a.spec.seed, seeds)
    runs = replicate([(a, s) for s in ss] + [(b, s) for s in ss], workers, progress)
    ra, rb = runs[:seeds], runs[seeds:]
    return {
        "a": {"scenario": a.spec.name, "summary": summarise(ra), "diagnosis": _diagnosis(ra), "runs": ra},
        "b": {"scenario": b.spec.name, "summary": summarise(rb), "diagnosis": _diagnosis(rb), "runs": rb},
        "seeds": ss,
        "difference": paired(ra, rb),
    }


def unit_changes(ls: LoadedScenario, first: dict) -> list[tuple[str, list[tuple[str, Any]]]]:
    """One more unit of each resource of a run: an agent per agent lane, a person per human lane (all
    human lanes the scenario sizes together), a second budget of each rate pool."""
    out: list[tuple[str, list[tuple[str, Any]]]] = []
    human = set(first.get("human_lanes", []))
    lanes = first["org"]["lanes"]
    sized_humans = False
    for lane, n in lanes.items():
        if lane in human:
            if sized_humans or not n:
                continue
            listed = ls.spec.humans.lanes
            if ls.spec.humans.count is not None and not listed:
                sized_humans = True
                label = "one more human in every approval lane"
                out.append((label, [("humans.count", n + 1)]))
            else:
                out.append((f"one more human in {lane}", [("humans.count", n + 1), ("humans.lanes", [lane])]))
        elif n:
            out.append((f"one more {lane} agent", [(f"org.lanes.{lane}.agents", n + 1)]))
    used = first["rate_limits"]["pools"]
    for name, p in ls.spec.providers.items():
        if (p.rpm or p.tpm) and used.get(name, {}).get("calls"):
            keys = [k for k in ("rpm", "tpm") if getattr(p, k)]
            out.append(
                (
                    f"a second {name} budget ({' and '.join(keys)} x2)",
                    [(f"providers.{name}.{k}", getattr(p, k) * 2) for k in keys],
                )
            )
    return out


def marginal(
    ls: LoadedScenario,
    seeds: int,
    base: list[dict] | None = None,
    workers: int | None = None,
    progress: Progress = None,
) -> list[dict]:
    """The paired effect on throughput and cycle time of one more unit of each resource."""
    ss = seeds_for(ls.spec.seed, seeds)
    if base is None:
        base = replicate([(ls, s) for s in ss], workers, _sub(progress, 0, 2))
    changes = unit_changes(ls, base[0])
    variants = [ls.with_sets(sets) for _, sets in changes]
    for v in variants:
        build_org(v)
    runs = replicate([(v, s) for v in variants for s in ss], workers, _sub(progress, 1, 2))
    out = []
    for i, (label, sets) in enumerate(changes):
        d = paired(base, runs[i * seeds : (i + 1) * seeds])
        out.append(
            {
                "change": label,
                "sets": [f"{k}={v}" for k, v in sets],
                "throughput_per_day": d.get("throughput_per_day"),
                "cycle_p50_hours": d.get("cycle_time_hours.p50"),
                "cost_per_done": d.get("cost.per_done"),
            }
        )
    out.sort(key=lambda r: -(r["throughput_per_day"] or {}).get("mean", 0.0))
    return out


def grid(
    ls: LoadedScenario,
    sweeps: list[tuple[str, list]],
    seeds: int,
    metric: str = "throughput_per_day",
    workers: int | None = None,
    progress: Progress = None,
) -> dict:
    """Every combination of the swept values, each over the same seeds; each point's metric with its
    interval and its paired difference from the point before it along the last swept setting."""
    path = METRIC_KEYS.get(metric, metric)
    if not sweeps:
        raise UsageError("a sweep needs --sweep PATH=V1,V2,... (or a scenario with a sweep: section)")
    combos = list(itertools.product(*[vals for _, vals in sweeps]))
    variants = [ls.with_sets([(p, v) for (p, _), v in zip(sweeps, combo, strict=True)]) for combo in combos]
    for v in variants:
        build_org(v)
    ss = seeds_for(ls.spec.seed, seeds)
    runs = replicate([(v, s) for v in variants for s in ss], workers, progress)
    points = []
    for i, combo in enumerate(combos):
        rs = runs[i * seeds : (i + 1) * seeds]
        summ = summarise(rs)
        if path not in summ:
            raise UsageError(f"unknown metric '{metric}' (try: {', '.join(METRIC_KEYS)})")
        point = {
            "values": dict(zip([p for p, _ in sweeps], combo, strict=True)),
            "metric": summ[path],
            "summary": {k: summ[k] for k, _, _ in HEADLINE if k in summ},
            "diagnosis": _diagnosis(rs),
            "metrics": rs[0],
        }
        last = len(sweeps[-1][1])
        if i % last:
            point["vs_previous"] = paired(runs[(i - 1) * seeds : i * seeds], rs).get(path)
        points.append(point)
    return {
        "scenario": ls.spec.name,
        "sweeps": [{"path": p, "values": list(v)} for p, v in sweeps],
        "metric": metric,
        "path": path,
        "seeds": ss,
        "points": points,
    }
