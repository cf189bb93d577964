"""Run scenarios: one run, a sweep over one setting, or two scenarios side by side."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from org.errors import UsageError
from org.sim.metrics import METRIC_KEYS, metric_value
from org.sim.orgbuild import build_org
from org.sim.scenario import LoadedScenario, load_scenario
from org.sim.units import DAY
from org.sim.world import World

__all__ = ["simulate", "run_loaded", "run_world", "sweep", "compare", "load"]

Progress = Callable[[float], None] | None


def load(
    ref: str | Path | LoadedScenario, sets: list[tuple[str, Any]] | None = None, seed: int | None = None
) -> LoadedScenario:
    if isinstance(ref, LoadedScenario):
        extra = list(sets or []) + ([("seed", int(seed))] if seed is not None else [])
        return ref.with_sets(extra) if extra else ref
    return load_scenario(ref, sets, seed)


def run_loaded(ls: LoadedScenario, progress: Progress = None) -> dict:
    """Build the scenario's org, run it and return the metrics (plain JSON-able dict)."""
    return run_world(ls, progress)[1]


def run_world(ls: LoadedScenario, progress: Progress = None) -> tuple[World, dict]:
    """run_loaded, also returning the World it ran (its recorder holds every wait and cycle time)."""
    cfg = build_org(ls)
    spec = ls.spec
    world = World(spec, cfg)
    t = time.perf_counter()
    metrics = world.run(progress)
    wall = time.perf_counter() - t
    return world, {
        "scenario": spec.name,
        "description": spec.description,
        "seed": spec.seed,
        "duration_days": round(spec.duration / DAY, 4),
        "warmup_days": round(spec.warmup / DAY, 4),
        "pacing": spec.pacing.mode,
        "backlog": spec.workload.backlog,
        "load": spec.workload.load,
        "human_lanes": sorted(n for n, ln in cfg.lanes.items() if ln.kind == "human"),
        "org": {
            "config_hash": cfg.config_hash,
            "lanes": {n: len([a for a in cfg.actors.values() if a.lane == n]) for n in cfg.lanes},
        },
        "wall_seconds": round(wall, 3),
        "events_per_second": round(metrics["events"] / wall) if wall > 0 else None,
        **metrics,
    }


def simulate(
    ref: str | Path | LoadedScenario,
    *,
    seed: int | None = None,
    sets: list[tuple[str, Any]] | None = None,
    progress: Progress = None,
) -> dict:
    return run_loaded(load(ref, sets, seed), progress)


def sweep(
    ref: str | Path | LoadedScenario,
    *,
    path: str | None = None,
    values: list | None = None,
    metric: str | None = None,
    seed: int | None = None,
    sets: list[tuple[str, Any]] | None = None,
    progress: Progress = None,
) -> dict:
    """Run the scenario once per value of one setting (its `sweep:` section unless given)."""
    ls = load(ref, sets, seed)
    sw = ls.spec.sweep
    path = path or (sw.set if sw else None)
    values = values if values is not None else (list(sw.values) if sw else None)
    metric = metric or (sw.metric if sw else "throughput_per_day")
    if not path or not values:
        raise UsageError(
            f"scenario '{ls.spec.name}' has no sweep; add a 'sweep: {{set: PATH, values: [...]}}' "
            "section or pass --sweep PATH=V1,V2,..."
        )
    points = []
    for i, v in enumerate(values):
        step = None
        if progress is not None:

            def step(f: float, _i: int = i) -> None:
                progress((_i + f) / len(values))

        m = run_loaded(ls.with_sets([(path, v)]), step)
        try:
            y = metric_value(m, metric)
        except KeyError:
            raise UsageError(f"unknown metric '{metric}' (try: {', '.join(METRIC_KEYS)})")
        points.append({"value": v, "metric": y, "metrics": m})
    return {"scenario": ls.spec.name, "path": path, "metric": metric, "seed": ls.spec.seed, "points": points}


# Rows of the comparison table: (label, metric path, better: "up" | "down" | None).
ROWS = [
    ("throughput /day", "throughput_per_day", "up"),
    ("done", "tasks.done", "up"),
    ("rejected", "tasks.rejected", None),
    ("escalated", "tasks.escalated", "down"),
    ("cycle p50 (h)", "cycle_time_hours.p50", "down"),
    ("cycle p95 (h)", "cycle_time_hours.p95", "down"),
    ("approval queue (mean)", "approval.queue_mean", "down"),
    ("approval queue (max)", "approval.queue_max", "down"),
    ("approval wait mean (h)", "approval.wait_mean_hours", "down"),
    ("approval wait p95 (h)", "approval.wait_p95_hours", "down"),
    ("human jobs per done", "approval.human_jobs_per_done", "down"),
    ("escaped defects /100 done", "defects.escaped_per_100_done", "down"),
    ("rework rounds per done", "rework.rounds_per_done", "down"),
    ("429s", "rate_limits.rejected_429", "down"),
    ("retries per call", "rate_limits.retries_per_call", "down"),
    ("gave up (calls)", "rate_limits.gave_up", "down"),
    ("pacing stall (h)", "rate_limits.stall_hours", "down"),
    ("rate bound /day", "rate_limits.bound_per_day", None),
    ("cost USD", "cost.usd", "down"),
    ("cost per done USD", "cost.per_done", "down"),
    ("Little: L vs lambda*W err", "little.error", None),
]


def _get(m: dict, path: str):
    node: Any = m
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def compare(a: dict, b: dict) -> dict:
    """Side-by-side rows with deltas (b - a) and ratios, including utilisation per lane."""
    rows = []
    for label, path, better in ROWS:
        rows.append(_row(label, path, _get(a, path), _get(b, path), better))
    for lane in sorted(set(a.get("utilisation", {})) | set(b.get("utilisation", {}))):
        rows.append(
            _row(
                f"utilisation {lane}",
                f"utilisation.{lane}",
                a["utilisation"].get(lane),
                b["utilisation"].get(lane),
                None,
            )
        )
    for cls in sorted(set(a["defects"]["escaped"]) | set(b["defects"]["escaped"])):
        rows.append(
            _row(
                f"escaped {cls}",
                f"defects.escaped.{cls}",
                a["defects"]["escaped"].get(cls, 0),
                b["defects"]["escaped"].get(cls, 0),
                "down",
            )
        )
    return {"a": a["scenario"], "b": b["scenario"], "rows": rows}


def _row(label: str, path: str, va, vb, better) -> dict:
    delta = ratio = None
    if isinstance(va, (int, float)) and isinstance(vb, (int, float)):
        delta = round(vb - va, 4)
        ratio = round(vb / va, 4) if va else None
    return {"label": label, "path": path, "a": va, "b": vb, "delta": delta, "ratio": ratio, "better": better}
