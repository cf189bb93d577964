"""Terminal rendering of simulation results: a run's table, two runs side by side, a sweep chart,
and the progress bar on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["render_run", "render_compare", "render_chart", "ProgressBar", "bars"]

_EIGHTHS = " ▏▎▍▌▋▊▉█"


def _num(v, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.1f}"
    return f"{v:.{digits}g}" if v else "0"


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def _counts(d: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items()) or "none"


def render_run(m: dict) -> str:
    t, ap, de, rl, ct = m["tasks"], m["approval"], m["defects"], m["rate_limits"], m["cycle_time_hours"]
    esc = m["rework"]["escalated_by_kind"]
    head = [
        f"{m['scenario']}: {m['description']}" if m.get("description") else m["scenario"],
        f"seed {m['seed']} · {m['duration_days']:g} days simulated ({m['warmup_days']:g} warm-up) · {m['pacing']} "
        f"dispatch · {m['events']:,} events in {m['wall_seconds']:.2f} s · {m['engine_calls']:,} engine calls",
        "org: " + ", ".join(f"{k} {v}" for k, v in m["org"]["lanes"].items()),
        "",
    ]
    rows = [
        (
            "tasks",
            f"arrived {t['arrived']} · done {t['done']} · rejected {t['rejected']} · escalated {t['escalated']}"
            + (f" ({_counts(esc)})" if esc else "")
            + f" · open at end {m['open_at_end']}",
        ),
        ("throughput", f"{_num(m['throughput_per_day'])} done per day"),
        (
            "cycle time",
            f"p50 {_num(ct['p50'])} h · p95 {_num(ct['p95'])} h · mean {_num(ct['mean'])} h"
            + (
                "  (p50 by tier: "
                + ", ".join(f"{k} {_num(v)} h" for k, v in m["cycle_p50_hours_by_tier"].items())
                + ")"
                if m["cycle_p50_hours_by_tier"]
                else ""
            ),
        ),
        (
            "human approvals",
            f"queue mean {_num(ap['queue_mean'])} · max {ap['queue_max']} · wait mean "
            f"{_num(ap['wait_mean_hours'])} h · p95 {_num(ap['wait_p95_hours'])} h · "
            f"{ap['human_jobs']} human jobs ({_num(ap['human_jobs_per_done'])} per done)",
        ),
        (
            "defects",
            f"escaped {de['escaped_total']} ({_counts(de['escaped'])}) · {_num(de['escaped_per_100_done'])} "
            f"per 100 done · injected {sum(de['injected'].values())} · false alarms {de['false_alarms']}",
        ),
        ("catches", " · ".join(f"{g}: {_counts(c)}" for g, c in m["catches"].items()) or "none"),
        (
            "rework",
            f"{_num(m['rework']['rounds_per_done'])} rounds per done · stale submissions refused "
            f"{m['stale_submissions']}",
        ),
        (
            "rate limits",
            f"429s {rl['rejected_429']:,} · retries {rl['retries']:,} ({_num(rl['retries_per_call'])} per call)"
            f" · gave up {rl['gave_up']} · pacing stall {_num(rl['stall_hours'])} h"
            + (f" · bound ~{_num(rl['bound_per_day'])} done/day" if rl["bound_per_day"] else ""),
        ),
        (
            "cost",
            f"${m['cost']['usd']:,.2f}"
            + (f" · ${m['cost']['per_done']:,.3f} per done" if m["cost"]["per_done"] else ""),
        ),
        ("utilisation", " · ".join(f"{k} {_pct(v)}" for k, v in m["utilisation"].items())),
        (
            "queue waits",
            " · ".join(
                f"{k} {_num(v['mean'])} min (p95 {_num(v['p95'])})" for k, v in m["waits_minutes"].items()
            ),
        ),
        (
            "Little's law",
            f"L {_num(m['little']['L'])} vs lambda*W {_num(m['little']['lambda_W'])} "
            f"({100 * m['little']['error']:.1f}% apart)",
        ),
    ]
    su = m.get("standup")
    if su:
        rows.append(
            (
                "standups",
                f"every {_num(su['every_hours'])} h · {su['standups']} held · {su['flags']} blockers flagged · "
                f"{su['asks']} asks ({su['helps']} helped, {su['unanswered']} unanswered, "
                f"{su['defects_fixed']} defects fixed) · {su['chatter']} chatter · {su['tokens']:,} tokens · "
                f"${su['usd']:,.2f}",
            )
        )
    if m["denied"]:
        rows.append(("denied", _counts(m["denied"])))
    w = max(len(k) for k, _ in rows)
    lines = head + [f"  {k:<{w}}  {v}" for k, v in rows]
    pools = rl["pools"]
    if pools:
        nw = max(10, *(len(n) for n in pools))
        lines += [
            "",
            f"  {'rate pool':<{nw}}  {'limit':<27} {'calls':>8} {'tokens':>12} {'429s':>8} {'retries':>8} "
            f"{'stall h':>8} {'used':>5}",
        ]
        for name, p in pools.items():
            lim = (
                " ".join(
                    x
                    for x in (
                        f"{p['rpm']:,.0f} rpm" if p["rpm"] else "",
                        f"{p['tpm']:,.0f} tpm" if p["tpm"] else "",
                    )
                    if x
                )
                or "unlimited"
            )
            if p["budgets"] > 1:
                lim += f" x{p['budgets']}"
            lines.append(
                f"  {name:<{nw}}  {lim:<27} {p['calls']:>8,} {p['tokens']:>12,} {p['rejected_429']:>8,} "
                f"{p['retries']:>8,} {p['stall_hours']:>8.2f} {_pct(p['utilisation']):>5}"
            )
    return "\n".join(lines)


def render_compare(cmp: dict) -> str:
    a, b = cmp["a"], cmp["b"]
    wa, wb = max(12, len(a)), max(12, len(b))
    lw = max(len(r["label"]) for r in cmp["rows"])
    lines = [f"{'':<{lw}}  {a:>{wa}}  {b:>{wb}}  {'delta':>12}  {'ratio':>7}"]
    for r in cmp["rows"]:
        if r["a"] in (None, 0) and r["b"] in (None, 0):
            continue
        d = r["delta"]
        ds = "" if d is None else (f"{d:+,.4g}" if abs(d) < 1000 else f"{d:+,.0f}")
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        mark = ""
        no_data = r["path"].startswith(("cycle_time", "approval.wait", "cost.per_done")) and 0 in (
            r["a"],
            r["b"],
        )
        if r["better"] and d and not no_data:
            mark = " better" if (d > 0) == (r["better"] == "up") else " worse"
        lines.append(
            f"{r['label']:<{lw}}  {_num(r['a']):>{wa}}  {_num(r['b']):>{wb}}  {ds:>12}  {ratio:>7}{mark}"
        )
    return "\n".join(lines)


def bars(value: float, top: float, width: int) -> str:
    """A horizontal bar in eighth blocks: value/top of `width` cells."""
    if top <= 0 or value <= 0:
        return ""
    cells = max(0.0, min(1.0, value / top)) * width
    full = int(cells)
    part = int(round((cells - full) * 8))
    if part == 8:
        full, part = full + 1, 0
    return "█" * full + (_EIGHTHS[part] if part else "")


def render_chart(series: list[dict], width: int = 48, numbers: bool = False) -> str:
    """Bars of one metric against the swept value; one bar per scenario at each value (numbers=True: the
    values as a table, under a chart drawn by plotext)."""
    first = series[0]
    if numbers:
        names = [s["scenario"] for s in series]
        lw = max(len(str(p["value"])) for p in first["points"])
        rows = [f"{'':<{lw}}  " + "  ".join(f"{n:>14}" for n in names)]
        for i, p in enumerate(first["points"]):
            rows.append(
                f"{str(p['value']):<{lw}}  "
                + "  ".join(f"{_num(s['points'][i]['metric']):>14}" for s in series)
            )
        return "\n".join(rows)
    metric, path = first["metric"], first["path"]
    values = [p["value"] for p in first["points"]]
    top = max((p["metric"] for s in series for p in s["points"]), default=0.0) or 1.0
    bounds = [
        (s["scenario"], s["points"][-1]["metrics"]["rate_limits"]["bound_per_day"])
        for s in series
        if metric == "throughput_per_day" and s["points"][-1]["metrics"]["rate_limits"]["bound_per_day"]
    ]
    names = [s["scenario"] for s in series]
    title = f"{metric} vs {path}" + (f"   ({' | '.join(names)}, seed {first['seed']})")
    lw = max(len(str(v)) for v in values)
    nw = max(len(n) for n in names) if len(series) > 1 else 0
    lines = [title, ""]
    for i, v in enumerate(values):
        for k, s in enumerate(series):
            y = s["points"][i]["metric"]
            label = str(v) if k == 0 else ""
            tag = f"{names[k]:<{nw}} " if nw else ""
            lines.append(f"{label:>{lw}} {tag}│{bars(y, top, width):<{width}} {_num(y)}")
        if len(series) > 1:
            lines.append(f"{'':>{lw}} {'':<{nw}} │")
    lines.append(f"{'':>{lw}} {'':<{nw}}{' ' if nw else ''}└{'─' * width}")
    lines.append(f"{'':>{lw}} {'':<{nw}}{' ' if nw else ''} 0{'':>{width - len(_num(top)) - 1}}{_num(top)}")
    if bounds:
        lines.append(
            "rate-limit bound at the last value (budget / tokens used per finished task): "
            + ", ".join(f"{n} ~{_num(b)} done/day" for n, b in bounds)
        )
    return "\n".join(lines)


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second; silent when off."""

    def __init__(self, label: str, enabled: bool, stream: TextIO | None = None, width: int = 30) -> None:
        self.label, self.enabled, self.stream, self.width = label, enabled, stream or sys.stderr, width
        self._last = 0.0
        self._drawn = False

    def __call__(self, fraction: float) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and fraction < 1.0:
            return
        self._last = now
        f = max(0.0, min(1.0, fraction))
        bar = bars(f, 1.0, self.width)
        self.stream.write(f"\r{self.label} │{bar:<{self.width}}│ {100 * f:3.0f}%")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            self(1.0)
            self.stream.write("\n")
            self.stream.flush()
