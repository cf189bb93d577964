"""What drives a result: each input parameter of a scenario changed in turn (a mechanism such as
blind_spot switched off, any other input halved), over the same seeds, and the paired change of every
headline metric (or of a comparison's difference) with its 95% interval."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from org.errors import OrgError
from org.sim.answer import HEADLINE
from org.sim.orgbuild import build_org
from org.sim.scenario import LoadedScenario
from org.sim.stats import flatten, interval, replicate, seeds_for
from org.sim.units import format_duration, parse_duration

__all__ = ["parameters", "explain", "DRIVERS"]

# Leaf names that are inputs a result can rest on (descriptive fields, shapes and prices are left out).
DRIVERS = {
    "per_hour",
    "per_day",
    "backlog",
    "load",
    "agents",
    "count",
    "calls",
    "tokens",
    "time",
    "review_time",
    "blind_spot",
    "false_alarm",
    "fix",
    "rework_defects",
    "rpm",
    "tpm",
    "max_attempts",
    "max_rework_rounds",
    # the hivemind standup (org.sim.standup)
    "every",
    "wake_tokens",
    "energy_per_merge",
    "flag_tokens",
    "max_messages",
    "stale_after",
    "help_time",
    "help_tokens",
}
_TABLES = {"defects", "detect"}  # class -> probability tables: every entry is a driver
_TIMES = {"time", "review_time", "every", "stale_after", "help_time"}
# Mechanisms switched off (set to 0) rather than halved: "does the result rest on it?" is then answered
# directly (with blind_spot 0, same-family and cross-vendor review escape alike).
_OFF = {"blind_spot", "false_alarm", "defects"}

Progress = Callable[[float], None] | None


def _halve(value: Any, timed: bool) -> Any:
    if isinstance(value, bool) or value is None:
        return None
    if timed:
        try:
            seconds = parse_duration(value)
        except ValueError:
            return None
        return format_duration(seconds / 2) if seconds else None
    if isinstance(value, str):
        return None
    if isinstance(value, int):
        half = max(1, value // 2) if value > 1 else 0
        return half if half != value else None
    if isinstance(value, float):
        return value / 2 if value else None
    return None


def _walk(node: Any, path: tuple, out: dict, within: str | None = None) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            key = str(k)
            if "." in key:  # a model name such as gemini-2.5-pro: no dotted --set path can name it
                continue
            if key in _TABLES and isinstance(v, dict):
                for cls, p in v.items():
                    h = (0.0 if p else None) if key in _OFF else _halve(p, False)
                    if h is not None:
                        out[".".join((*path, key, str(cls)))] = (p, h)
            elif key in DRIVERS and isinstance(v, dict):  # a distribution: its mean drives
                if "mean" in v:
                    h = _halve(v["mean"], key in _TIMES)
                    if h is not None:
                        out[".".join((*path, key, "mean"))] = (v["mean"], h)
            elif key in DRIVERS:
                h = (0.0 if v else None) if key in _OFF else _halve(v, key in _TIMES)
                if h is not None:
                    out[".".join((*path, key))] = (v, h)
            elif key not in ("seed", "duration", "warmup", "sweep", "provenance", "hours", "days", "focus"):
                _walk(v, (*path, key), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk(v, (*path, str(i)), out)


def parameters(ls: LoadedScenario, lanes: dict[str, int] | None = None, human: set | None = None) -> dict:
    """path -> (value, changed value) for every driving input the scenario states, plus the size of each
    agent lane of more than one member (the org's own lanes count even when the scenario leaves them)."""
    out: dict[str, tuple] = {}
    _walk(ls.data, (), out)
    for lane, n in (lanes or {}).items():
        key = f"org.lanes.{lane}.agents"
        if lane not in (human or set()) and n > 1 and key not in out:
            out[key] = (n, n // 2)
    return dict(sorted(out.items()))


def explain(
    a: LoadedScenario,
    b: LoadedScenario | None,
    seeds: int,
    base_a: list[dict] | None = None,
    base_b: list[dict] | None = None,
    workers: int | None = None,
    progress: Progress = None,
    only: list[str] | None = None,
) -> dict:
    """Change each parameter (on both sides of a comparison); report the paired change of each headline
    metric (or of the difference b - a) per parameter, with its interval, biggest effects first."""
    ss = seeds_for(a.spec.seed, seeds)
    sides = [a] if b is None else [a, b]
    jobs = []
    if base_a is None:
        jobs += [(a, s) for s in ss]
    if b is not None and base_b is None:
        jobs += [(b, s) for s in ss]
    first = replicate(jobs, workers) if jobs else []
    if base_a is None:
        base_a, first = first[:seeds], first[seeds:]
    if b is not None and base_b is None:
        base_b = first[:seeds]
    human = set(base_a[0].get("human_lanes", []))
    params: dict[str, list] = {}
    for i, (side, base) in enumerate(zip(sides, [base_a, base_b], strict=False)):
        for path, (v, h) in parameters(side, base[0]["org"]["lanes"], human).items():
            params.setdefault(path, [None] * len(sides))[i] = (v, h)
    if only is not None:
        params = {p: v for p, v in params.items() if p in only}
    variants: list[tuple[str, list]] = []
    refused: dict[str, str] = {}
    for path, vals in list(params.items()):
        try:
            changed = [
                side.with_sets([(path, vh[1])]) if vh is not None else side
                for side, vh in zip(sides, vals, strict=True)
            ]
            for c in changed:
                build_org(c)
        except OrgError as exc:  # e.g. half the reviewers leave a cross-vendor quorum unsatisfiable
            refused[path] = str(exc.problems[0].message if getattr(exc, "problems", None) else exc)
            del params[path]
            continue
        variants.append((path, changed))
    sources = {path: _source(sides, path) for path in params}
    runs = replicate([(c, s) for _, changed in variants for c in changed for s in ss], workers, progress)
    per = len(sides) * seeds
    metrics = [(p, label) for p, label, _ in HEADLINE]

    def value(rs_a: list[dict], rs_b: list[dict] | None, path: str) -> list[float]:
        fa = [flatten(r).get(path, 0.0) for r in rs_a]
        if rs_b is None:
            return fa
        return [flatten(r).get(path, 0.0) - x for r, x in zip(rs_b, fa, strict=True)]

    base_vals = {p: value(base_a, base_b, p) for p, _ in metrics}
    out: dict[str, dict] = {}
    for p, label in metrics:
        base_iv = interval(base_vals[p])
        rows = []
        for k, (path, _) in enumerate(variants):
            chunk = runs[k * per : (k + 1) * per]
            rs_a, rs_b = chunk[:seeds], (chunk[seeds:] if b is not None else None)
            d = [x - y for x, y in zip(value(rs_a, rs_b, p), base_vals[p], strict=True)]
            iv = interval(d)
            same = all(abs(x) < 1e-12 for x in d)
            sig = not same and iv["lo"] is not None and (iv["lo"] > 0 or iv["hi"] < 0)
            share = (-iv["mean"] / base_iv["mean"]) if base_iv["mean"] else None
            vals = params[path]
            rows.append(
                {
                    "parameter": path,
                    "source": sources[path],
                    "value": [x[0] if x else None for x in vals],
                    "halved": [x[1] if x else None for x in vals],
                    "change": {**_r(iv), "significant": sig, "same": same},
                    "significant": sig,
                    "same": same,
                    "share_lost": round(share, 4) if share is not None else None,
                }
            )
        rows.sort(key=lambda r: (not r["significant"], -abs(r["change"]["mean"])))
        out[p] = {"label": label, "base": _r(base_iv), "rows": rows}
    return {
        "scenario": a.spec.name,
        "compare": b.spec.name if b is not None else None,
        "seeds": ss,
        "parameters": len(params),
        "runs": len(runs),
        "metrics": out,
        "refused": refused,
    }


def _source(sides: list[LoadedScenario], path: str) -> str:
    """Where a parameter's value came from: the history it was calibrated on, or the file line (or the
    org's own lanes) that set it."""
    for side in sides:
        if path in side.spec.provenance:
            return side.spec.provenance[path]
    loc = tuple(int(p) if p.isdigit() else p for p in path.split("."))
    f, line = sides[-1].where(loc)
    if loc[:2] == ("org", "lanes") and (loc[:3] not in sides[-1].lines and f != "--set"):
        return "the org's lanes"
    return "--set" if f == "--set" else f"{f}:{line}"


def _r(iv: dict) -> dict:
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in iv.items()}
