"""Terminal rendering of what replications found: means with 95% intervals, differences that say when
they are not significant, the bottleneck and its warnings, the marginal effect of each resource,
multi-parameter sweeps and sensitivities."""

from __future__ import annotations

from org.sim.answer import HEADLINE
from org.sim.report import _num

__all__ = [
    "render_replicated",
    "render_compared",
    "render_grid",
    "render_marginal",
    "render_diagnosis",
    "render_explain",
    "fmt_iv",
    "fmt_diff",
]


def fmt_iv(iv: dict | None) -> str:
    """'12.3 [10.1, 14.5]', or the bare mean when there is no interval."""
    if not iv:
        return "-"
    if iv.get("lo") is None:
        return _num(iv["mean"])
    return f"{_num(iv['mean'])} [{_num(iv['lo'])}, {_num(iv['hi'])}]"


def fmt_diff(iv: dict | None, better: str | None = None) -> str:
    """A paired difference with its interval and a verdict a person can act on."""
    if not iv:
        return "-"
    if iv.get("same"):
        return "+0 (identical in every run)"
    m = iv["mean"]
    sign = "+" if m >= 0 else ""
    if iv.get("lo") is None:
        return f"{sign}{_num(m)} (one seed: significance unknown)"
    text = f"{sign}{_num(m)} [{_num(iv['lo'])}, {_num(iv['hi'])}]"
    if not iv["significant"]:
        return text + " not significant"
    if better:
        return text + (" better" if (m > 0) == (better == "up") else " worse")
    return text + " significant"


def render_diagnosis(d: dict) -> list[str]:
    """The binding constraint, then every warning: warm-up too short, run too short, unstable resources."""
    b = d["binding"]
    lines = []
    if b["kind"] == "incoming work":
        lines.append(
            f"bottleneck: incoming work (busiest resource at {100 * b['utilisation']:.0f}%: {b['note']})"
        )
    else:
        extra = []
        if b.get("queue_mean") is not None:
            extra.append(f"queue mean {_num(b['queue_mean'])}")
        if b.get("wait_mean_minutes"):
            extra.append(f"wait mean {_num(b['wait_mean_minutes'])} min")
        if b.get("stall_hours"):
            extra.append(f"pacing stall {_num(b['stall_hours'])} h")
        what = {"lane": "lane", "humans": "human lane", "rate budget": "rate budget"}[b["kind"]]
        lines.append(
            f"bottleneck: {what} {b['name']} at {100 * b['utilisation']:.0f}% utilisation"
            + (f", {', '.join(extra)}" if extra else "")
        )
    if b.get("runs", 1) > 1 and b.get("runs_naming_it") != b.get("runs"):
        lines[-1] += f" (named in {b['runs_naming_it']} of {b['runs']} runs)"
    w = d["warmup"]
    mser = w.get("mser_hours_max", w["mser_hours"])
    if w["enough"]:
        lines.append(f"warm-up: first {_num(w['cut_hours'])} h cut (MSER-5 on work in progress agrees)")
    else:
        lines.append(
            f"warm-up too short: {_num(w['cut_hours'])} h cut, but the org was still filling until "
            f"~{_num(mser)} h (MSER-5); rerun with --set warmup={max(1, round(mser + 0.5))}h"
        )
    for s in d["too_short"]:
        lines.append(f"too short for steady state: {s}")
    for u in d["unstable"]:
        lines.append(f"UNSTABLE: {u['message']}")
    return lines


def render_replicated(r: dict) -> str:
    s = r["summary"]
    n = len(r["seeds"])
    lines = [
        f"{r['scenario']}: {r['description']}" if r.get("description") else r["scenario"],
        f"{n} replications (seeds {r['seeds'][0]}..{r['seeds'][-1]}), mean [95% interval]",
        "",
    ]
    rows = [(label, fmt_iv(s.get(path))) for path, label, _ in HEADLINE if path in s]
    for key in sorted(k for k in s if k.startswith("utilisation.")):
        lane = key.split(".", 1)[1]
        rows.append((f"utilisation {lane}", fmt_iv(s[key])))
    for key in sorted(k for k in s if k.startswith("queues.") and k.endswith(".mean")):
        lane = key.split(".")[1]
        if s[key]["mean"]:
            rows.append((f"queue {lane} (mean)", fmt_iv(s[key])))
    w = max(len(k) for k, _ in rows)
    lines += [f"  {k:<{w}}  {v}" for k, v in rows]
    lines += [""] + render_diagnosis(r["diagnosis"])
    if r.get("marginal"):
        lines += [""] + render_marginal(r["marginal"])
    return "\n".join(lines)


def render_marginal(rows: list[dict]) -> list[str]:
    lines = ["one more unit of each resource (paired over the same seeds): throughput /day · cycle p50 (h)"]
    w = max(len(r["change"]) for r in rows)
    for r in rows:
        lines.append(
            f"  {r['change']:<{w}}  {fmt_diff(r['throughput_per_day'], 'up')} · "
            f"{fmt_diff(r['cycle_p50_hours'], 'down')}"
        )
    best = [
        r
        for r in rows
        if (r["throughput_per_day"] or {}).get("significant") and r["throughput_per_day"]["mean"] > 0
    ]
    if best:
        lines.append(
            f"next thing to add: {best[0]['change']} ({fmt_diff(best[0]['throughput_per_day'], 'up')} done/day)"
        )
    else:
        lines.append(
            "next thing to add: nothing adds significant throughput at these seeds (more seeds narrow it)"
        )
    return lines


def render_compared(c: dict) -> str:
    a, b = c["a"], c["b"]
    n = len(c["seeds"])
    lines = [
        f"{a['scenario']} vs {b['scenario']}: {n} paired replications (seeds {c['seeds'][0]}..{c['seeds'][-1]}), "
        "mean [95% interval]",
        "",
    ]
    rows = []
    paths = [(p, label, better) for p, label, better in HEADLINE]
    paths += [
        (k, f"utilisation {k.split('.', 1)[1]}", None)
        for k in sorted(a["summary"])
        if k.startswith("utilisation.")
    ]
    paths += [
        (k, f"escaped {k.split('.')[2]}", "down")
        for k in sorted(set(a["summary"]) | set(b["summary"]))
        if k.startswith("defects.escaped.")
    ]
    for path, label, better in paths:
        va, vb = a["summary"].get(path), b["summary"].get(path)
        if not va and not vb:
            continue
        if (va or {}).get("mean", 0) == 0 and (vb or {}).get("mean", 0) == 0:
            continue
        rows.append((label, fmt_iv(va), fmt_iv(vb), fmt_diff(c["difference"].get(path), better)))
    lw = max(len(r[0]) for r in rows)
    wa = max(len(a["scenario"]), *(len(r[1]) for r in rows))
    wb = max(len(b["scenario"]), *(len(r[2]) for r in rows))
    lines.append(f"  {'':<{lw}}  {a['scenario']:<{wa}}  {b['scenario']:<{wb}}  difference (b - a)")
    lines += [f"  {r[0]:<{lw}}  {r[1]:<{wa}}  {r[2]:<{wb}}  {r[3]}" for r in rows]
    for side in (a, b):
        lines += ["", f"{side['scenario']}:"] + ["  " + x for x in render_diagnosis(side["diagnosis"])]
    return "\n".join(lines)


def render_grid(g: dict) -> str:
    paths = [s["path"] for s in g["sweeps"]]
    n = len(g["seeds"])
    lines = [
        f"{g['metric']} over {' x '.join(paths)} ({g['scenario']}, {n} seed{'s' if n != 1 else ''} per point, "
        "mean [95% interval]; difference from the previous value of the last setting)",
        "",
    ]
    heads = [p.rsplit(".", 2)[-2] + "." + p.rsplit(".", 1)[-1] if p.count(".") >= 2 else p for p in paths]
    rows = []
    for pt in g["points"]:
        cells = [str(pt["values"][p]) for p in paths]
        note = pt["diagnosis"]["binding"]
        bott = (
            "incoming work"
            if note["kind"] == "incoming work"
            else f"{note['name']} {100 * note['utilisation']:.0f}%"
        )
        flags = " UNSTABLE" if pt["diagnosis"]["unstable"] else ""
        rows.append(
            (
                *cells,
                fmt_iv(pt["metric"]),
                fmt_diff(pt.get("vs_previous")) if "vs_previous" in pt else "",
                bott + flags,
            )
        )
    cols = [*heads, g["metric"], "vs previous", "bottleneck"]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    lines.append("  " + "  ".join(f"{c:<{w}}" for c, w in zip(cols, widths, strict=True)))
    lines += ["  " + "  ".join(f"{c:<{w}}" for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def _val(v) -> str:
    return "-" if v is None else (_num(v) if isinstance(v, (int, float)) else str(v))


def render_explain(e: dict, top: int = 5) -> str:
    """Per headline metric: the inputs it rests on (significant changes, biggest first) and where each
    input's value came from; the inputs that do not move it, counted."""
    n = len(e["seeds"])
    what = f"{e['compare']} - {e['scenario']}" if e["compare"] else e["scenario"]
    lines = [
        f"what drives each result of {what}: {e['parameters']} inputs, each changed alone over {n} paired seeds "
        f"({e['runs']} runs); a mechanism (blind_spot, false_alarm, defect rates) switched off, any other "
        "input halved; change [95% interval], share of the result it carries"
    ]
    for m in e["metrics"].values():
        base = m["base"]
        if not base["mean"] and all(r["same"] for r in m["rows"]):
            continue
        head = "difference" if e["compare"] else "value"
        lines += ["", f"{m['label']}: {head} {fmt_iv(base)}"]
        sig = [r for r in m["rows"] if r["significant"]]
        if not sig:
            lines.append("  no single input moves it significantly at these seeds")
        w = max((len(r["parameter"]) for r in sig[:top]), default=0)
        for r in sig[:top]:
            vals = " / ".join(dict.fromkeys(_val(v) for v in r["value"] if v is not None))
            new = " / ".join(dict.fromkeys(_val(v) for v in r["halved"] if v is not None))
            real = base["lo"] is not None and (base["lo"] > 0 or base["hi"] < 0)
            share = (
                f"  ({100 * r['share_lost']:.0f}% of it)"
                if real and r["share_lost"] is not None and r["share_lost"] > 0
                else ""
            )
            lines.append(
                f"  {r['parameter']:<{w}}  {vals} -> {new}: {fmt_diff(r['change'])}{share}   from {r['source']}"
            )
        rest = len(m["rows"]) - len(sig[:top])
        if rest:
            lines.append(
                f"  ({rest} other input{'s' if rest != 1 else ''}: "
                + ("smaller or " if len(sig) > top else "")
                + "not significant)"
            )
    for path, why in e.get("refused", {}).items():
        lines.append(f"not varied: {path} (the org would be refused: {why})")
    return "\n".join(lines)
