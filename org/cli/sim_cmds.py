"""org sim: run a scenario on the simulated org, compare two, or chart a sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from org.cli._common import JsonFlag, emit, opts, token_option

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("sim")(sim)


def sim(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="A shipped scenario's name or a path to a YAML file; omit to list the shipped ones."
        ),
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="A second scenario, run on the same seeds and shown side by side with paired differences.",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="First random seed (default: the scenario's).")
    ] = None,
    seeds: Annotated[
        int,
        typer.Option(
            "--seeds",
            min=1,
            max=1000,
            help="Replications (seed, seed+1, ...), run in "
            "parallel processes; every metric as a mean with a 95% interval.",
        ),
    ] = 1,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Processes for replications (default: the CPU count)."),
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a scenario value, PATH=VALUE, e.g. "
            "org.lanes.builder.agents=8 (repeatable). On a "
            "compare, a:PATH=VALUE or b:PATH=VALUE changes one "
            "side only; without a side it changes both.",
            show_default=False,
        ),
    ] = None,
    load_: Annotated[
        float | None,
        typer.Option(
            "--load", min=0.0, help="Load multiplier: every arrival rate (or the backlog) times this."
        ),
    ] = None,
    org_root: Annotated[
        Path | None,
        typer.Option(
            "--org", help="Simulate this org (a folder with lanes/ and gates/) instead of the scenario's."
        ),
    ] = None,
    chart: Annotated[
        bool,
        typer.Option("--chart", help="Run the scenario's sweep and draw the metric against the swept value."),
    ] = False,
    sweep: Annotated[
        list[str] | None,
        typer.Option(
            "--sweep",
            help="Sweep PATH=V1,V2,... or PATH=LO..HI (repeatable: every combination is run).",
            show_default=False,
        ),
    ] = None,
    metric: Annotated[
        str | None, typer.Option("--metric", help="Metric to sweep (default: throughput_per_day).")
    ] = None,
    marginal: Annotated[
        bool | None,
        typer.Option(
            "--marginal/--no-marginal",
            help="The effect of one more unit of each resource (default: on with --seeds 2 or more).",
        ),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="What drives each headline metric (or a compare's "
            "difference): every input changed alone, over paired seeds "
            "(at least 3).",
        ),
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar on stderr (default: when stderr is a terminal; never with --json).",
        ),
    ] = None,
    from_history: Annotated[
        bool,
        typer.Option(
            "--from-history",
            help="Calibrate a scenario from this org's bus history, write it (--out) and run it.",
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help="With --from-history: only history from this date (e.g. 2026-11-01)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="With --from-history: where to write the scenario "
            "(default: .org/sim/history.yaml under the org root).",
        ),
    ] = None,
    token: Annotated[
        str | None, token_option("With --from-history: your token (default: $ORG_TOKEN).")
    ] = None,
    as_: Annotated[str | None, typer.Option("--as", help="With --from-history: who is asking.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the shipped scenarios.")] = False,
    json_: JsonFlag = False,
) -> None:
    """Simulate the org on a virtual clock through the real engine and report what would happen.

    org sim baseline --seeds 5 · org sim scaling --chart · org sim review-same-family --compare review-cross-vendor
    """
    import sys

    from org.sim.report import ProgressBar
    from org.sim.scenario import list_scenarios

    o = opts(json_)
    if from_history:
        scenario = _from_history(o, scenario, since, out, token, as_)
    if list_ or scenario is None:
        items = list_scenarios()
        w = max(len(s["name"]) for s in items) if items else 0
        emit(
            {"ok": True, "scenarios": items},
            "\n".join(f"{s['name']:<{w}}  {s['description']}" for s in items)
            + "\n\nrun one: org sim NAME   (or a path to your own scenario file)",
        )
        return
    show = (not o.json) and (progress if progress is not None else sys.stderr.isatty())

    def bar(label: str) -> ProgressBar:
        return ProgressBar(label, show)

    from org.sim.cli_flow import Request, run_request

    req = Request(
        scenario=scenario,
        compare=compare,
        seed=seed,
        seeds=seeds,
        workers=workers,
        sets=list(sets or []),
        load=load_,
        org_root=org_root,
        chart=chart,
        sweeps=list(sweep or []),
        metric=metric,
        marginal=marginal,
        explain=explain,
    )
    data, human = run_request(req, bar, o.json)
    emit(data, human)


def _from_history(
    o, scenario: str | None, since: str | None, out: Path | None, token: str | None, as_: str | None
) -> str:
    """Calibrate from the bus (a reader's token), write the scenario file, return its path."""
    from org.cli._common import err
    from org.cli.bus_cmds import open_door
    from org.errors import UsageError
    from org.sim.calibrate import calibrate, history_scenario, parse_since, write_scenario

    if scenario is not None:
        raise UsageError("--from-history builds the scenario; give no scenario name with it")
    start = parse_since(since)
    root = o.org_root()
    with open_door(o) as door:
        door.reader(token, as_=as_, command="sim")
        cal = calibrate(door.reading(token, as_=as_), start)
    data, header = history_scenario(cal, root)
    path = (out or root / ".org" / "sim" / "history.yaml").expanduser().resolve()
    write_scenario(path, data, header)
    err(f"calibrated from {cal['tasks']} tasks and {cal['events']} events: {path}")
    return str(path)
