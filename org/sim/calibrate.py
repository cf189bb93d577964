"""A scenario calibrated from the org's own history: arrival rates, durations, tokens, review outcomes,
humans' hours and latency read from the bus (through org.bus's public reads only), every parameter
with where it came from (n and a 95% interval) or marked assumed."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from org.errors import UsageError
from org.sim.stats import interval
from org.sim.units import DAY, HOUR

__all__ = ["calibrate", "history_scenario", "write_scenario", "parse_since", "wilson", "ASSUMED_DETECT"]

ASSUMED_DETECT = 0.7  # chance a reviewer of another family sees a defect, when no outcomes say otherwise
_PAGE = 50_000


def parse_since(text: str | None) -> float | None:
    """'2026-11-01' or an ISO time (UTC unless it says otherwise) -> epoch seconds."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since takes a date or time such as 2026-11-01 or 2026-11-01T09:00 (got '{text}')"
        )
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _ts(e: dict) -> float:
    return datetime.fromisoformat(e["ts"].replace("Z", "+00:00")).timestamp()


def wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n."""
    if n == 0:
        return 0.0, 1.0
    z = 1.959964
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def _events(bus, since: float | None) -> list[dict]:
    out, after = [], 0
    while True:
        page = bus.events_since(after, limit=_PAGE)
        if not page:
            break
        after = page[-1]["seq"]
        for e in page:
            e["t"] = _ts(e)
            if since is None or e["t"] >= since:
                out.append(e)
        if len(page) < _PAGE:
            break
    return out


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.4g}m"


def _lognormal(xs: list[float]) -> dict:
    iv = interval(xs)
    m = iv["mean"]
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    cv = max(0.05, min(5.0, sd / m)) if m else 0.5
    return {"dist": "lognormal", "mean": _duration(m), "cv": round(cv, 3)}


def _iv_text(xs: list[float], scale: float = 1.0, unit: str = "") -> str:
    iv = interval(xs)
    if iv["lo"] is None:
        return f"n={iv['n']}, mean {_fmt(iv['mean'] / scale)}{unit} (one value: no interval)"
    return f"n={iv['n']}, mean {_fmt(iv['mean'] / scale)}{unit} [95% {_fmt(iv['lo'] / scale)}, {_fmt(iv['hi'] / scale)}]"


def calibrate(bus, since: float | None = None) -> dict:
    """Everything the history says, as plain numbers with their n and intervals."""
    cfg = bus.config(required=True)
    evs = _events(bus, since)
    created = [e for e in evs if e["type"] == "task.created"]
    if len(created) < 2:
        raise UsageError(
            f"the history holds {len(created)} task(s)"
            + (" since then" if since else "")
            + ": too little to calibrate a scenario from (2 or more)"
        )
    t_first = min(e["t"] for e in evs)
    t_last = max(e["t"] for e in evs)
    span = max(t_last - t_first, HOUR)
    arrivals = sorted(e["t"] for e in created)
    # arrivals are counted over the span they happened in (n - 1 gaps between the first and the last)
    arr_n, arr_span = len(arrivals) - 1, max(arrivals[-1] - arrivals[0], HOUR)
    by_task: dict[str, dict] = {}
    for e in created:
        d = e["data"]
        by_task[e["task"]] = {
            "workflow": d.get("workflow") or _workflow_of(d, cfg),
            "tier": d.get("tier"),
            "attributes": d.get("attributes") or {},
        }
    # arrivals per workflow, tier and attributes
    groups: Counter = Counter()
    for t in by_task.values():
        groups[(t["workflow"], t["tier"], tuple(sorted(t["attributes"].items())))] += 1
    streams = []
    for (wf, tier, attrs), n in groups.most_common():
        share = n / len(arrivals)
        rate = arr_n * share / arr_span * DAY
        half = 1.959964 * math.sqrt(n) / n * rate
        streams.append(
            {
                "workflow": wf,
                "tier": tier,
                "attributes": dict(attrs),
                "n": n,
                "per_day": rate,
                "lo": max(0.0, rate - half),
                "hi": rate + half,
                "span": arr_span,
            }
        )
    # job durations: claimed -> submitted, per lane kind and model
    claims: dict[Any, dict] = {}
    kinds: dict[Any, str] = {}
    durations: dict[tuple, list[float]] = defaultdict(list)
    jobs_of: dict[tuple, list] = defaultdict(list)
    for e in evs:
        if e["type"] == "job.posted":
            kinds[e["job"]] = e["data"].get("kind", "work")
        elif e["type"] == "job.claimed":
            claims[e["job"]] = e
        elif e["type"] == "job.submitted" and e["job"] in claims:
            c = claims.pop(e["job"])
            actor = cfg.actors.get(c["actor"] or "")
            if actor is None:
                continue
            kind = kinds.get(e["job"], "work")
            key = ("human" if actor.is_human else actor.model, "work" if kind == "work" else "review")
            durations[key].append(e["t"] - c["t"])
            jobs_of[key].append(e["job"])
    # tokens and calls per job, per model, from the usage ledger
    usage: dict[tuple, dict] = {}
    for (model, kind), jobs in jobs_of.items():
        if model == "human":
            continue
        rows = {r["key"]: r for r in bus.spend(by="job", model=model, since=since)}
        per_job = [rows[j] for j in jobs if j in rows]
        if per_job:
            usage[(model, kind)] = {
                "calls": [float(r["calls"]) for r in per_job],
                "tokens_per_call": [
                    (r["tokens_in"] + r["tokens_out"]) / max(1, r["calls"] - r["errors"]) for r in per_job
                ],
                "n_jobs": len(jobs),
            }
    prices = {r["key"]: r for r in bus.spend(by="vendor", since=since)}
    limited = {r["key"]: r for r in bus.spend(by="outcome", since=since)}
    calls_total = sum(r["calls"] for r in limited.values())
    n429 = sum(r["calls"] for k, r in limited.items() if k in ("rate_limited", "429", "quota_exhausted"))
    # reviews: verdict by author family (the last work submitted before it) and reviewer family
    author: dict[str, str] = {}
    reviews: dict[tuple[str, str], list[int]] = defaultdict(
        lambda: [0, 0]
    )  # (author, reviewer) -> [fails, n]
    reviewed_by: dict[str, set] = defaultdict(set)
    for e in evs:
        if e["type"] == "work.submitted":
            author[e["task"]] = e["data"].get("family") or e.get("family") or "unknown"
        elif e["type"] == "review.filed" and e["task"] in author:
            rf = e["data"].get("family") or e.get("family") or "unknown"
            cell = reviews[(author[e["task"]], rf)]
            cell[1] += 1
            cell[0] += e["data"].get("verdict") in ("changes", "fail")
            reviewed_by[e["task"]].add((author[e["task"]], rf))
    # outcomes (merges, failures after a pass, reverts) when another part of org records them
    outcomes: dict[tuple[str, bool], list[int]] = defaultdict(
        lambda: [0, 0]
    )  # (author, same?) -> [escaped, n]
    has_outcomes = any(e["type"].startswith("outcome.") for e in evs)
    if has_outcomes:
        bad = defaultdict(bool)
        for e in evs:
            if e["type"].startswith("outcome.") and any(w in e["type"] for w in ("fail", "revert", "broke")):
                bad[e["task"]] = True
        for e in evs:
            if e["type"] == "task.done" and e["task"] in author:
                pairs = reviewed_by.get(e["task"], set())
                same = any(a == r for a, r in pairs)
                cell = outcomes[(author[e["task"]], same)]
                cell[1] += 1
                cell[0] += bad[e["task"]]
    # humans: decision latency (requested -> decided) and the hours and days they decide in
    asked: dict[str, float] = {}
    latency: list[float] = []
    when: list[float] = []
    for e in evs:
        if e["type"] == "approval.requested":
            asked.setdefault(e["task"], e["t"])
        elif e["type"] in ("approval.granted", "approval.rejected") and e.get("family") == "human":
            when.append(e["t"])
            t0 = asked.pop(e["task"], None)
            if t0 is not None:
                latency.append(e["t"] - t0)
    return {
        "span_seconds": span,
        "since": since,
        "first": t_first,
        "last": t_last,
        "tasks": len(by_task),
        "events": len(evs),
        "streams": streams,
        "durations": dict(durations),
        "usage": usage,
        "calls": calls_total,
        "rate_limited": n429,
        "reviews": {k: tuple(v) for k, v in reviews.items()},
        "outcomes": {k: tuple(v) for k, v in outcomes.items()},
        "has_outcomes": has_outcomes,
        "human_latency": latency,
        "human_when": when,
        "prices": prices,
        "root": str(getattr(cfg, "root", "") or ""),
    }


def _workflow_of(data: dict, cfg) -> str:
    gates = set(data.get("gates") or [])
    for name, wf in cfg.workflows.items():
        if set(wf.gates) == gates:
            return name
    return next(iter(cfg.workflows))


def _hours(when: list[float]) -> tuple[list[float], list[str], str]:
    if len(when) < 5:
        return (
            [9.0, 17.0],
            ["mon", "tue", "wed", "thu", "fri"],
            f"assumed: 9-17 weekdays ({len(when)} human decisions)",
        )
    hrs = [(t % DAY) / HOUR for t in when]
    lo, hi = math.floor(min(hrs)), min(24, math.ceil(max(hrs) + 1e-9))
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    seen = {names[datetime.fromtimestamp(t, UTC).weekday()] for t in when}
    days = [d for d in names if d in seen or (d in names[:5] and len(when) < 100)]
    note = "" if len(when) >= 100 else "; weekdays with no decision seen are assumed working days"
    return (
        [float(lo), float(max(hi, lo + 1))],
        days,
        (
            f"n={len(when)} human decisions: the first and last hour of "
            f"day (UTC) they were made in, the days they were made on{note}"
        ),
    )


def history_scenario(cal: dict, root: Path, *, name: str = "history") -> tuple[dict, str]:
    """The scenario (a dict ready for YAML) and its header comment; `provenance` says where every value came from."""
    prov: dict[str, str] = {}
    span_d = cal["span_seconds"] / DAY
    src = (
        f"bus history {datetime.fromtimestamp(cal['first'], UTC):%Y-%m-%d %H:%M} to "
        f"{datetime.fromtimestamp(cal['last'], UTC):%Y-%m-%d %H:%M} UTC ({span_d:.3g} days, "
        f"{cal['tasks']} tasks, {cal['events']} events)"
    )
    streams = []
    for i, s in enumerate(cal["streams"]):
        label = "-".join([s["workflow"], *(str(v) for v in s["attributes"].values()), s["tier"] or ""]).strip(
            "-"
        )
        st: dict[str, Any] = {
            "name": label,
            "workflow": s["workflow"],
            "attributes": s["attributes"],
            "per_day": round(s["per_day"], 4),
        }
        if s["tier"]:
            st["tier"] = s["tier"]
        streams.append(st)
        prov[f"workload.streams.{i}.per_day"] = (
            f"n={s['n']} tasks over {s['span'] / DAY:.3g} days: {s['per_day']:.4g}/day "
            f"[95% {s['lo']:.4g}, {s['hi']:.4g}] (Poisson)"
        )
    models: dict[str, dict] = {}
    human_times = cal["durations"].get(("human", "work"), []) + cal["durations"].get(("human", "review"), [])
    for (model, kind), xs in sorted(cal["durations"].items()):
        if model == "human" or len(xs) < 2:
            continue
        entry = models.setdefault(model, {}).setdefault(kind, {})
        entry["time"] = _lognormal(xs)
        prov[f"behaviour.models.{model}.{kind}.time.mean"] = _iv_text(xs, 60, " min") + " (claim to submit)"
        u = cal["usage"].get((model, kind))
        if u:
            entry["calls"] = round(interval(u["calls"])["mean"], 3)
            entry["tokens"] = round(interval(u["tokens_per_call"])["mean"])
            prov[f"behaviour.models.{model}.{kind}.calls"] = _iv_text(u["calls"], 1, " calls per job")
            prov[f"behaviour.models.{model}.{kind}.tokens"] = _iv_text(
                u["tokens_per_call"], 1, " tokens per call"
            )
    # review outcomes -> defect injection per author family, detection, blind spots
    fams: dict[str, dict] = {}
    by_author: dict[str, dict] = defaultdict(lambda: {"same": [0, 0], "cross": [0, 0]})
    for (a, r), (k, n) in cal["reviews"].items():
        cell = by_author[a]["same" if a == r else "cross"]
        cell[0] += k
        cell[1] += n
    detect = ASSUMED_DETECT
    det_src = (
        f"assumed: {ASSUMED_DETECT} (no outcome.* events in the history: how much review misses cannot be "
        "measured without failures after a pass or reverts)"
    )
    if cal["has_outcomes"]:
        k_fail = sum(v["cross"][0] for v in by_author.values())
        esc = sum(k for (a, same), (k, n) in cal["outcomes"].items() if not same)
        if k_fail + esc:
            detect = k_fail / (k_fail + esc)
            lo, hi = wilson(k_fail, k_fail + esc)
            det_src = (
                f"n={k_fail + esc} defects seen by cross-family review or escaped (outcome.* events): "
                f"{detect:.3g} [95% {lo:.3g}, {hi:.3g}]"
            )
    for a, v in sorted(by_author.items()):
        (kc, nc), (ks, ns) = v["cross"], v["same"]
        if nc:
            p = min(1.0, (kc / nc) / detect)
            lo, hi = wilson(kc, nc)
            fams[a] = {"defects": {"defect": round(p, 4)}}
            prov[f"behaviour.families.{a}.defects.defect"] = (
                f"n={nc} reviews by other families of {a}'s work: {kc / nc:.3g} asked for changes [95% {lo:.3g}, "
                f"{hi:.3g}], divided by detect {detect:.3g}"
            )
        if nc and ns and kc:
            b = max(0.0, min(1.0, 1 - (ks / ns) / (kc / nc)))
            fams.setdefault(a, {})["blind_spot"] = round(b, 4)
            lo_s, hi_s = wilson(ks, ns)
            prov[f"behaviour.families.{a}.blind_spot"] = (
                f"n={ns} same-family reviews of {a}'s work asked for changes {ks / ns:.3g} [95% {lo_s:.3g}, {hi_s:.3g}] "
                f"against {kc / nc:.3g} from other families: 1 - ratio"
            )
        elif nc:
            prov[f"behaviour.families.{a}.blind_spot"] = (
                f"assumed: 0 (no same-family review of {a}'s work in the history to compare with)"
            )
    prov["behaviour.default.detect.defect"] = det_src
    prov["behaviour.default.defects.defect"] = (
        "assumed: 0 for a family whose work no review in the history saw "
        "(each reviewed family has its own rate)"
    )
    hours, days, hours_src = _hours(cal["human_when"])
    humans: dict[str, Any] = {"hours": hours, "days": days}
    prov["humans.hours"] = hours_src
    if len(human_times) >= 2:
        humans["review_time"] = _lognormal(human_times)
        prov["humans.review_time.mean"] = _iv_text(human_times, 60, " min") + " (claim to decision)"
    else:
        prov["humans.review_time.mean"] = "assumed: 20m (no human job claimed in the history)"
    if cal["human_latency"]:
        prov["humans.decision_latency"] = (
            _iv_text(cal["human_latency"], 3600, " h")
            + " from request to decision, working hours and queue included (an output the simulator should reproduce)"
        )
    if cal["calls"]:
        lo, hi = wilson(cal["rate_limited"], cal["calls"])
        prov["providers"] = (
            f"assumed: rate limits are not in the history; n={cal['calls']} calls, "
            f"{cal['rate_limited'] / cal['calls']:.3g} answered 429 [95% {lo:.3g}, {hi:.3g}]: "
            "state each provider's rpm/tpm (e.g. --set providers.anthropic.tpm=40000)"
        )
    prov["org"] = f"the live org at {root} (lanes and members as configured)"
    scenario: dict[str, Any] = {
        "name": name,
        "description": f"Calibrated from the {src}.",
        "seed": 1,
        "duration": "14d",
        "warmup": "2d",
        "org": {"root": str(root)},
        "workload": {"streams": streams},
        "behaviour": {
            "default": {"detect": {"defect": round(detect, 4)}, "defects": {"defect": 0.0}},
            "families": fams,
            "models": models,
        },
        "humans": humans,
        "provenance": prov,
    }
    providers = _providers(root)
    for vendor, pool in providers.items():
        r = cal["prices"].get(vendor)
        if r and r["cost_usd"] is not None and r["calls"]:
            pool["usd_per_call"] = round(r["cost_usd"] / r["calls"], 6)
            prov[f"providers.{vendor}.usd_per_call"] = (
                f"n={r['calls']} calls, ${r['cost_usd']:.4g} in the usage "
                f"ledger" + ("" if r["cost_complete"] else f" ({r['unpriced_calls']} unpriced left out)")
            )
    if providers:
        scenario["providers"] = providers
    header = (
        f"# Calibrated by `org sim --from-history` from the {src}.\n"
        "# Every parameter says where it came from under `provenance:` (n and a 95% interval), or that it\n"
        "# is assumed. Run it with: org sim THIS_FILE --seeds 5\n"
    )
    return scenario, header


def _providers(root: Path) -> dict:
    """One pool per vendor of the org's models, unlimited (limits are not in the history)."""
    from org.config.families import vendor_of
    from org.config.loader import load_org

    cfg = load_org(root)
    out: dict[str, dict] = {}
    for a in cfg.actors.values():
        if a.model:
            glob = f"{a.model.split('/', 1)[0]}/*" if "/" in a.model else a.model
            models = out.setdefault(vendor_of(a.model), {"models": []})["models"]
            if glob not in models:
                models.append(glob)
    return out


def write_scenario(path: Path, scenario: dict, header: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.safe_dump(scenario, sort_keys=False, width=120, allow_unicode=True))
