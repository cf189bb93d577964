"""Charts in the terminal, drawn by plotext: a metric over a sweep (with its 95% intervals when replicated),
and a run's throughput, cycle time, utilisation and queues over time."""

from __future__ import annotations

import shutil
import sys

__all__ = ["chart_sweep", "chart_grid", "chart_time", "chart_size"]


def chart_size() -> tuple[int, int]:
    cols, _ = shutil.get_terminal_size((100, 30))
    return max(60, min(cols, 140)), 16


def _figure(width: int | None = None, height: int | None = None):
    import plotext as plt  # lazy: only charts need it

    f = plt.figure
    f.clear()
    w, h = chart_size()
    f.plot_size(width or w, height or h)
    f.theme("default" if sys.stdout.isatty() else "colorless")
    return plt, f


def _text(plt, matrix) -> str:
    s = str(matrix)
    return s if sys.stdout.isatty() else plt.uncolorize(s)


def _numeric(values: list) -> tuple[list[float], list[str] | None]:
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values], None
    return [float(i + 1) for i in range(len(values))], [str(v) for v in values]


def _smooth(ys: list, k: int) -> list:
    """Moving average over k samples (None where a sample has no value)."""
    out = []
    for i in range(len(ys)):
        win = [y for y in ys[max(0, i - k + 1) : i + 1] if y is not None]
        out.append(sum(win) / len(win) if win else None)
    return out


def _line(f, xs, ys, label: str):
    s = f.signal(xs, ys)
    s.label(label)
    s.lines()
    f.draw(s)


def chart_sweep(series: list[dict]) -> str:
    """One line per scenario: the metric against the swept value (single runs)."""
    plt, f = _figure()
    first = series[0]
    xs, labels = _numeric([p["value"] for p in first["points"]])
    for s in series:
        _line(f, xs, [p["metric"] for p in s["points"]], s["scenario"])
    f.title(f"{first['metric']} vs {first['path']} (seed {first['seed']})")
    f.label(
        first["path"]
        + ("  (" + ", ".join(f"{i + 1}={v}" for i, v in enumerate(labels)) + ")" if labels else ""),
        "x",
    )
    return _text(plt, f.build())


def chart_grid(g: dict) -> str:
    """The metric against the last swept setting, one line (with 95% error bars) per combination of the others."""
    plt, f = _figure()
    paths = [s["path"] for s in g["sweeps"]]
    last = paths[-1]
    groups: dict[tuple, list[dict]] = {}
    for pt in g["points"]:
        key = tuple(pt["values"][p] for p in paths[:-1])
        groups.setdefault(key, []).append(pt)
    for key, pts in groups.items():
        xs, _ = _numeric([pt["values"][last] for pt in pts])
        ys = [pt["metric"]["mean"] for pt in pts]
        label = ", ".join(
            f"{p.rsplit('.', 2)[-2] if p.count('.') >= 2 else p}={v}"
            for p, v in zip(paths[:-1], key, strict=True)
        )
        _line(f, xs, ys, label or g["scenario"])
        if all(pt["metric"].get("half") is not None for pt in pts):
            f.draw(f.error(xs, ys, [pt["metric"]["half"] for pt in pts]))
    n = len(g["seeds"])
    f.title(
        f"{g['metric']} vs {last} ({g['scenario']}, {n} seed{'s' if n != 1 else ''} per point"
        + (", 95% intervals)" if n > 1 else ")")
    )
    f.label(last, "x")
    return _text(plt, f.build())


def chart_time(m: dict) -> str:
    """Four panels over the run: throughput per day, cycle time, utilisation per lane, queue per lane."""
    s = m["series"]
    t = [x / 24 for x in s["t_hours"]]
    step_days = s["step_hours"] / 24 or 1.0
    k = max(1, len(t) // 24)  # smoothed over ~1/24 of the run
    plt, f = _figure(height=30)
    f.subplots(2, 2)
    panels = [
        (
            f.subplot(1, 1),
            "throughput (done per day)",
            {"done/day": _smooth([d / step_days for d in s["done"]], k)},
        ),
        (f.subplot(1, 2), "cycle time of tasks finished (h)", {"cycle h": _smooth(s["cycle_hours"], k)}),
        (
            f.subplot(2, 1),
            "utilisation (share of members busy)",
            {n: _smooth(v, k) for n, v in s["busy"].items()},
        ),
        (
            f.subplot(2, 2),
            "queue (jobs waiting, time-average)",
            {n: _smooth(v, k) for n, v in s["queues"].items()},
        ),
    ]
    for sub, title, lines in panels:
        drawn = False
        for name, ys in lines.items():
            pts = [(x, y) for x, y in zip(t, ys, strict=True) if y is not None]
            if not pts or not any(y for _, y in pts):
                continue
            _line(sub, [x for x, _ in pts], [y for _, y in pts], name)
            drawn = True
        sub.title(title + ("" if drawn else ": none"))
        sub.label("day", "x")
    warm = m["warmup_days"]
    head = (
        f"{m['scenario']} over time (seed {m['seed']}; moving averages over {k * step_days * 24:.3g} h; the first "
        f"{warm:g} days are warm-up, not measured)"
    )
    return head + "\n" + _text(plt, f.build())
