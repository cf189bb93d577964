"""A realistic history on a real bus, fast: generated work pushed through org.bus (the real engine, claims,
submissions, approvals, usage) by simulated members on a virtual clock the bus reads.

Known truths (arrival rates, durations per model, review failure rates per family pair, human hours)
go in, so a calibration read back from the bus can be checked against them.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import random
import shutil
from pathlib import Path

from org.errors import NotFound, OrgError

__all__ = ["make_history", "TRUTH", "org_copy"]

START = 1_796_601_600.0  # Monday 2026-12-07 00:00 UTC: t = 0 of the history is a Monday midnight

TRUTH = {
    "streams": [  # (workflow, attributes, requested tier, per hour)
        ("change", {"kind": "code"}, None, 0.9),
        ("change", {"kind": "code"}, "high", 0.15),
        ("change", {"kind": "docs"}, None, 0.4),
    ],
    "work_minutes": {"anthropic": 30.0, "openai": 20.0},  # mean work time by the builder's family
    "review_minutes": 8.0,
    "calls": {"work": 4, "review": 2},
    "tokens_per_call": 3000,
    "fail": {"same": 0.10, "cross": 0.30},  # chance a review asks for changes: same family / another family
    "rate_limited": 0.05,  # share of calls answered 429
    "human_hours": (9, 17),
    "human_minutes": 20.0,
}


def org_copy(dest: Path) -> Path:
    from org.sim.orgbuild import default_org_root

    src = default_org_root()
    for d in ("lanes", "gates"):
        shutil.copytree(src / d, dest / d)
    return dest


def _lognormal(rng: random.Random, mean: float, cv: float = 0.5) -> float:
    s2 = math.log(1 + cv * cv)
    return rng.lognormvariate(math.log(mean) - s2 / 2, math.sqrt(s2))


def make_history(root: Path, tasks: int = 300, seed: int = 7) -> dict:
    """Run `tasks` arrivals through a bus at `root` (a copy of the default org) and return counts."""
    from org.bus import Bus

    now = [START]
    bus = Bus.open(root=root, clock=lambda: now[0])
    cfg = bus.config(required=True)
    rng = random.Random(seed)
    heap: list = []
    seq = [0]

    def at(t: float, fn, *args) -> None:
        seq[0] += 1
        heapq.heappush(heap, (t, seq[0], fn, args))

    members = {a.id: a for a in cfg.actors.values()}
    idle: dict[str, list[str]] = {lane: [] for lane in cfg.lanes}
    author: dict[str, str] = {}  # task -> family of the last work submitted
    counts = {"tasks": 0, "jobs": 0, "calls": 0}

    def t0() -> float:
        return now[0] - START

    def wake() -> None:
        for ids in idle.values():
            while ids:
                at(now[0], attempt, ids.pop())

    def arrive(i: int) -> None:
        wf, attrs, tier, per_hour = TRUTH["streams"][i]
        if counts["tasks"] < tasks:
            counts["tasks"] += 1
            bus.add_task(f"generated {counts['tasks']}", wf, attributes=attrs, tier=tier)
            wake()
            at(now[0] + rng.expovariate(per_hour / 3600), arrive, i)

    def human_open(t: float) -> float:
        """The next moment at or after t inside working hours (weekdays)."""
        lo, hi = TRUTH["human_hours"]
        while True:
            day = int((t - START) // 86400)
            base = START + day * 86400
            if day % 7 < 5 and t < base + hi * 3600:
                return max(t, base + lo * 3600)
            t = base + 86400

    def attempt(actor: str) -> None:
        a = members[actor]
        if a.is_human and human_open(now[0]) > now[0]:
            at(human_open(now[0]), attempt, actor)
            return
        try:
            c = bus.claim(a.lane, actor, lease_seconds=7 * 86400)
        except NotFound:
            idle[a.lane].append(actor)
            return
        counts["jobs"] += 1
        if a.is_human:
            dur = _lognormal(rng, TRUTH["human_minutes"] * 60)
        elif c.kind == "work":
            dur = _lognormal(rng, TRUTH["work_minutes"][a.family] * 60)
        else:
            dur = _lognormal(rng, TRUTH["review_minutes"] * 60)
        at(now[0] + dur, finish, actor, c, dur)

    def finish(actor: str, c, dur: float) -> None:
        a = members[actor]
        if not a.is_human:
            calls = TRUTH["calls"]["work" if c.kind == "work" else "review"]
            for k in range(calls):
                limited = rng.random() < TRUTH["rate_limited"]
                bus.record_usage(
                    actor,
                    a.model,
                    tokens_in=0 if limited else TRUTH["tokens_per_call"] // 2,
                    tokens_out=0 if limited else TRUTH["tokens_per_call"] // 2,
                    cost_usd=0.0 if limited else 0.01,
                    outcome="rate_limited" if limited else "ok",
                    task=c.task,
                    job=c.job,
                    lane=a.lane,
                    gate=c.gate,
                    ts=now[0] - dur + dur * k / calls,
                )
                counts["calls"] += 1
        if c.kind == "work":
            verdict = "pass"
            author[c.task] = a.family
        elif c.kind == "review":
            same = author.get(c.task) == a.family
            verdict = "changes" if rng.random() < TRUTH["fail"]["same" if same else "cross"] else "pass"
        else:
            verdict = "approve"
        with contextlib.suppress(
            OrgError
        ):  # stale (a rework moved the task on): dropped, as a live agent's would be
            bus.submit(
                c.job,
                c.token,
                verdict,
                note="generated",
                content=f"{c.task}:{c.gate}:{t0():.0f}",
                revision=None if c.kind == "work" else c.revision,
                findings=[{"class": "logic"}] if verdict == "changes" else None,
            )
        at(now[0], attempt, actor)
        wake()

    for i, s in enumerate(TRUTH["streams"]):
        at(START + rng.expovariate(s[3] / 3600), arrive, i)
    for actor in members:
        at(START, attempt, actor)
    while heap:
        t, _, fn, args = heapq.heappop(heap)
        now[0] = max(now[0], t)
        fn(*args)
        if counts["tasks"] >= tasks and not heap:
            break
    bus.close()
    return {**counts, "end": now[0], "start": START}
