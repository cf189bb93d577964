"""What `org sim` does with its options: which runs, replications, comparison, sweep or calibration a
command line asks for, and which rendering shows it (the CLI module only parses and prints)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from org.errors import UsageError

__all__ = ["Request", "run_request", "split_sides", "parse_sweep"]


@dataclass
class Request:
    scenario: str
    compare: str | None = None
    seed: int | None = None
    seeds: int = 1
    workers: int | None = None
    sets: list[str] = field(default_factory=list)
    load: float | None = None
    org_root: Path | None = None
    chart: bool = False
    sweeps: list[str] = field(default_factory=list)
    metric: str | None = None
    marginal: bool | None = None
    explain: bool = False


def split_sides(sets: list[str], a_name: str, b_name: str | None) -> tuple[list, list]:
    """--set values for side a and side b: 'a:PATH=V' / 'b:PATH=V' (or a scenario's name before the
    colon) change one side; a plain 'PATH=V' changes both."""
    from org.sim.scenario import parse_set

    a: list[tuple[str, Any]] = []
    b: list[tuple[str, Any]] = []
    for item in sets:
        key = item.split("=", 1)[0]
        side = None
        if ":" in key:
            side, item = item.split(":", 1)
            side = side.strip()
            if b_name is None:
                raise UsageError(f"--set {side}:...: a side is named only on a compare (--compare SCENARIO)")
            if side in ("a", a_name) and side not in ("b",):
                side = "a"
            elif side in ("b", b_name):
                side = "b"
            else:
                raise UsageError(
                    f"--set {side}:...: '{side}' names neither side (a or {a_name}, b or {b_name})"
                )
        kv = parse_set(item)
        if side in (None, "a"):
            a.append(kv)
        if side in (None, "b"):
            b.append(kv)
    return a, b


def parse_sweep(text: str) -> tuple[str, list]:
    """'PATH=V1,V2,...' or 'PATH=LO..HI' (integers, inclusive) -> (path, values)."""
    from org.sim.scenario import parse_set

    if "=" not in text:
        raise UsageError(f"--sweep takes PATH=V1,V2,... or PATH=LO..HI (got '{text}')")
    path, raw = text.split("=", 1)
    path = path.strip()
    if ".." in raw and "," not in raw:
        lo, _, hi = raw.partition("..")
        try:
            lo_i, hi_i = int(lo), int(hi)
        except ValueError:
            raise UsageError(f"--sweep {path}: a range is two integers, LO..HI (got '{raw}')")
        if hi_i < lo_i or hi_i - lo_i > 200:
            raise UsageError(f"--sweep {path}: {raw} is not a range of 2 to 201 values")
        values: list = list(range(lo_i, hi_i + 1))
    else:
        values = [parse_set(f"x={v}")[1] for v in raw.split(",") if v.strip()]
    if len(values) < 2:
        raise UsageError(f"--sweep {path} needs at least two values")
    return path, values


def run_request(req: Request, bar: Callable[[str], Any], as_json: bool) -> tuple[dict, Callable[[], str]]:
    """Run what the request asks for; returns (JSON document, a function rendering it for a person)."""
    from org.sim.run import load

    sets_a, sets_b = split_sides(
        req.sets, Path(req.scenario).stem, Path(req.compare).stem if req.compare else None
    )
    common: list[tuple[str, Any]] = []
    if req.org_root is not None:
        common.append(("org.root", str(req.org_root.expanduser().resolve())))
    if req.load is not None:
        common.append(("workload.load", req.load))
    a = load(req.scenario, common + sets_a, req.seed)
    b = None
    if req.compare:
        b = load(req.compare, common + sets_b, a.spec.seed)
        if a.path == b.path and sets_a == sets_b:
            raise UsageError(
                "both sides of the compare are the same scenario with the same settings: every "
                "difference would be +0; name the side a change is for, e.g. --set b:PATH=VALUE"
            )
    with_progress = _progress(bar)
    if req.sweeps or (req.chart and (a.spec.sweep is not None)):
        return _sweep(req, a, b, with_progress)
    if req.chart and b is None:
        return _over_time(a, with_progress)
    if b is not None:
        return _compare(req, a, b, with_progress)
    return _single(req, a, with_progress)


def _progress(bar):
    def run(label: str, fn):
        pb = bar(label)
        try:
            return fn(pb)
        finally:
            pb.close()

    return run


def _over_time(a, with_progress):
    from org.sim.charts import chart_time
    from org.sim.diagnose import diagnose
    from org.sim.present import render_diagnosis
    from org.sim.run import run_loaded

    m = with_progress(f"sim {a.spec.name}", lambda pb: run_loaded(a, pb))
    d = diagnose(m)
    return (
        {"ok": True, "run": m, "diagnosis": d},
        lambda: chart_time(m) + "\n" + "\n".join(render_diagnosis(d)),
    )


def _single(req: Request, a, with_progress):
    from org.sim.answer import marginal, replicated
    from org.sim.diagnose import diagnose
    from org.sim.explain import explain
    from org.sim.present import render_diagnosis, render_explain, render_replicated
    from org.sim.report import render_run
    from org.sim.run import run_loaded

    if req.explain and req.seeds == 1:
        req.seeds = 3  # intervals need replications: --explain runs at least three
    if req.seeds == 1 and not req.marginal:
        m = with_progress(f"sim {a.spec.name}", lambda pb: run_loaded(a, pb))
        d = diagnose(m)
        return (
            {"ok": True, "run": m, "diagnosis": d},
            lambda: (
                render_run(m)
                + "\n\n"
                + "\n".join(render_diagnosis(d))
                + "\n(one seed: no intervals; --seeds N runs N replications)"
            ),
        )
    seeds = max(req.seeds, 2) if req.marginal else req.seeds
    r = with_progress(f"sim {a.spec.name} x{seeds}", lambda pb: replicated(a, seeds, req.workers, pb))
    if req.marginal is not False and not (req.explain and req.marginal is None):
        r["marginal"] = with_progress(
            "one more of each resource", lambda pb: marginal(a, seeds, r["runs"], req.workers, pb)
        )
    if not req.explain:
        return {"ok": True, "replicated": r}, lambda: render_replicated(r)
    e = with_progress("what drives it", lambda pb: explain(a, None, seeds, r["runs"], None, req.workers, pb))
    return (
        {"ok": True, "replicated": r, "explain": e},
        lambda: render_replicated(r) + "\n\n" + render_explain(e),
    )


def _compare(req: Request, a, b, with_progress):
    from org.sim.answer import compared
    from org.sim.present import render_compared
    from org.sim.report import render_compare
    from org.sim.run import compare as compare_runs
    from org.sim.run import run_loaded

    if req.explain and req.seeds == 1:
        req.seeds = 3
    if req.seeds == 1:
        ma = with_progress(f"sim {a.spec.name}", lambda pb: run_loaded(a, pb))
        mb = with_progress(f"sim {b.spec.name}", lambda pb: run_loaded(b, pb))
        cmp = compare_runs(ma, mb)
        return (
            {"ok": True, "a": ma, "b": mb, "compare": cmp},
            lambda: (
                render_compare(cmp) + "\n(one seed: a delta may be noise; --seeds N gives paired intervals "
                "and says which differences are significant)"
            ),
        )
    c = with_progress(
        f"sim {a.spec.name} vs {b.spec.name} x{req.seeds}",
        lambda pb: compared(a, b, req.seeds, req.workers, pb),
    )
    if not req.explain:
        return {"ok": True, "compared": c}, lambda: render_compared(c)
    from org.sim.explain import explain
    from org.sim.present import render_explain

    e = with_progress(
        "what drives the difference",
        lambda pb: explain(a, b, req.seeds, c["a"]["runs"], c["b"]["runs"], req.workers, pb),
    )
    return (
        {"ok": True, "compared": c, "explain": e},
        lambda: render_compared(c) + "\n\n" + render_explain(e),
    )


def _sweep(req: Request, a, b, with_progress):
    from org.sim.answer import grid
    from org.sim.charts import chart_grid, chart_sweep
    from org.sim.present import render_grid
    from org.sim.report import render_chart
    from org.sim.run import sweep as run_sweep

    sweeps = [parse_sweep(s) for s in req.sweeps]
    metric = req.metric
    if not sweeps and a.spec.sweep is not None:  # both sides sweep what the first one sweeps
        sweeps = [(a.spec.sweep.set, list(a.spec.sweep.values))]
        metric = metric or a.spec.sweep.metric
    if not sweeps:
        raise UsageError(
            f"scenario '{a.spec.name}' has no sweep; add a 'sweep: {{set: PATH, values: [...]}}' "
            "section or pass --sweep PATH=V1,V2,..."
        )
    metric = metric or "throughput_per_day"
    if len(sweeps) == 1 and req.seeds == 1:
        path, values = sweeps[0]
        series = [
            with_progress(
                f"sweep {ls.spec.name}",
                lambda pb, ls=ls: run_sweep(ls, path=path, values=values, metric=metric, progress=pb),
            )
            for ls in (a, b)
            if ls is not None
        ]
        return {
            "ok": True,
            "sweeps": series,
        }, lambda: chart_sweep(series) + "\n" + render_chart(series, numbers=True)
    grids = [
        with_progress(
            f"sweep {ls.spec.name}", lambda pb, ls=ls: grid(ls, sweeps, req.seeds, metric, req.workers, pb)
        )
        for ls in (a, b)
        if ls is not None
    ]
    return {"ok": True, "grids": grids}, lambda: "\n\n".join(
        (chart_grid(g) + "\n" if req.chart else "") + render_grid(g) for g in grids
    )
