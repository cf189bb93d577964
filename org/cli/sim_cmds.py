"""org sim: run a scenario on the simulated org, compare two, or chart a sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from org.cli._common import JsonFlag, emit, err, opts

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("sim")(sim)


def sim(
    scenario: Annotated[str | None, typer.Argument(help="A shipped scenario's name or a path to a YAML file; "
                                                        "omit to list the shipped ones.")] = None,
    compare: Annotated[str | None, typer.Option("--compare", help="A second scenario, run with the same seed and "
                                                                  "shown side by side with deltas.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default: the scenario's).")] = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help="Override a scenario value, PATH=VALUE, e.g. "
                                                                "org.lanes.builder.agents=8 (repeatable).",
                                                   show_default=False)] = None,
    org_root: Annotated[Path | None, typer.Option("--org", help="Simulate this org (a folder with lanes/ and "
                                                               "gates/) instead of the scenario's.")] = None,
    chart: Annotated[bool, typer.Option("--chart", help="Run the scenario's sweep and draw the metric against "
                                                        "the swept value.")] = False,
    sweep: Annotated[str | None, typer.Option("--sweep", help="Sweep PATH=V1,V2,... (implies --chart).")] = None,
    metric: Annotated[str | None, typer.Option("--metric", help="Metric to chart (default: throughput_per_day).")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="Progress bar on stderr "
                                                  "(default: when stderr is a terminal; never with --json).")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the shipped scenarios.")] = False,
    json_: JsonFlag = False,
) -> None:
    """Simulate the org on a virtual clock through the real engine and report what would happen.

    org sim baseline · org sim scaling --chart · org sim review-same-family --compare review-cross-vendor
    """
    import sys

    from org.sim.report import ProgressBar, render_chart, render_compare, render_run
    from org.sim.run import compare as compare_runs
    from org.sim.run import load, run_loaded
    from org.sim.run import sweep as run_sweep
    from org.sim.scenario import list_scenarios, parse_set

    o = opts(json_)
    if list_ or scenario is None:
        items = list_scenarios()
        w = max(len(s["name"]) for s in items) if items else 0
        emit({"ok": True, "scenarios": items},
             "\n".join(f"{s['name']:<{w}}  {s['description']}" for s in items)
             + "\n\nrun one: org sim NAME   (or a path to your own scenario file)")
        return
    overrides = [parse_set(s) for s in sets or []]
    if org_root is not None:
        overrides.append(("org.root", str(org_root.expanduser().resolve())))
    show = (not o.json) and (progress if progress is not None else sys.stderr.isatty())

    def bar(label: str) -> ProgressBar:
        return ProgressBar(label, show)

    a = load(scenario, overrides, seed)
    b = load(compare, overrides, a.spec.seed) if compare else None
    if chart or sweep:
        path = values = None
        if sweep:
            from org.errors import UsageError

            if "=" not in sweep:
                raise UsageError(f"--sweep takes PATH=V1,V2,... (got '{sweep}')")
            path, raw = sweep.split("=", 1)
            values = [parse_set(f"x={v}")[1] for v in raw.split(",") if v.strip()]
            if len(values) < 2:
                raise UsageError("--sweep needs at least two values")
        if path is None and a.spec.sweep is not None:  # both sides sweep what the first one sweeps
            path, values = a.spec.sweep.set, list(a.spec.sweep.values)
            metric = metric or a.spec.sweep.metric
        series = []
        for ls in [x for x in (a, b) if x is not None]:
            pb = bar(f"sweep {ls.spec.name}")
            try:
                series.append(run_sweep(ls, path=path, values=values, metric=metric, progress=pb))
            finally:
                pb.close()
        emit({"ok": True, "sweeps": series}, lambda: render_chart(series))
        return
    pb = bar(f"sim {a.spec.name}")
    try:
        ma = run_loaded(a, pb)
    finally:
        pb.close()
    if b is None:
        emit({"ok": True, "run": ma}, lambda: render_run(ma))
        return
    pb = bar(f"sim {b.spec.name}")
    try:
        mb = run_loaded(b, pb)
    finally:
        pb.close()
    cmp = compare_runs(ma, mb)
    if not o.json:
        err(f"{ma['scenario']} vs {mb['scenario']}, seed {ma['seed']}, {ma['duration_days']:g} vs "
            f"{mb['duration_days']:g} days")
    emit({"ok": True, "a": ma, "b": mb, "compare": cmp}, lambda: render_compare(cmp))
