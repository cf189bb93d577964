"""What a run measured: counters and time integrals kept during the run, summarised at the end.

Everything is measured over the window [warmup, duration]: integrals are clipped to it, waits and
cycle times are counted for jobs and tasks that end inside it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from org.sim.units import DAY, HOUR, MINUTE

__all__ = ["Recorder", "PoolStats", "percentile", "METRIC_KEYS", "metric_value"]


def percentile(xs: list[float], q: float) -> float:
    """Linear interpolation between closest ranks; 0.0 for no data."""
    if not xs:
        return 0.0
    s = sorted(xs)
    k = (len(s) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


@dataclass
class PoolStats:
    rpm: float | None = None
    tpm: float | None = None
    budgets: int = 1  # 1 shared, or the number of agents with their own
    calls: int = 0
    tokens: float = 0.0
    rejected: int = 0
    retries: int = 0
    gave_up: int = 0
    stall: float = 0.0
    usd: float = 0.0


class _Integral:
    """Time integral of a step function over [t0, t1], with its maximum."""

    __slots__ = ("value", "t", "area", "peak", "t0", "t1", "full")

    def __init__(self, t0: float, t1: float) -> None:
        self.value, self.t, self.area, self.peak, self.t0, self.t1 = 0, 0.0, 0.0, 0, t0, t1
        self.full = 0.0  # area over the whole run, warm-up included (for the series)

    def area_to(self, now: float) -> float:
        """The whole-run area up to `now` (>= the last change)."""
        return self.full + self.value * (now - self.t)

    def add(self, now: float, delta: int) -> None:
        value, t, t0 = self.value, self.t, self.t0
        self.full += value * (now - t)
        a = t if t > t0 else t0  # the step [t, now] clipped to the window (max and min, without the calls)
        b = now if now < self.t1 else self.t1
        if b > a:
            self.area += value * (b - a)
        self.t = now
        self.value = value = value + delta
        if value > self.peak and now >= t0:
            self.peak = value


@dataclass
class Recorder:
    t0: float
    t1: float
    arrivals: int = 0
    arrivals_total: int = 0
    sojourn: list[float] = field(
        default_factory=list
    )  # time in system (to t1) of tasks arriving in the window
    open_since: dict = field(default_factory=dict)  # task id -> created (for tasks arriving in the window)
    outcomes: dict = field(default_factory=lambda: defaultdict(int))
    escalations: dict = field(default_factory=lambda: defaultdict(int))
    cycle: list[float] = field(default_factory=list)
    cycle_by_tier: dict = field(default_factory=lambda: defaultdict(list))
    done_by_stream: dict = field(default_factory=lambda: defaultdict(int))
    rounds: list[int] = field(default_factory=list)
    waits: dict = field(default_factory=lambda: defaultdict(list))
    busy: dict = field(default_factory=lambda: defaultdict(float))
    injected: dict = field(default_factory=lambda: defaultdict(int))
    escaped: dict = field(default_factory=lambda: defaultdict(int))
    catches: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    false_alarms: int = 0
    reviews: int = 0
    approvals: int = 0
    rejections: int = 0
    human_jobs: int = 0
    stale: int = 0
    denied: dict = field(default_factory=lambda: defaultdict(int))
    usd: float = 0.0
    pools: dict = field(default_factory=dict)
    engine_calls: int = 0

    def __post_init__(self) -> None:
        self.wip = _Integral(self.t0, self.t1)
        self.queues: dict[str, _Integral] = {}

    def inside(self, t: float) -> bool:
        return self.t0 <= t <= self.t1

    def queue(self, lane: str) -> _Integral:
        q = self.queues.get(lane)
        if q is None:
            q = self.queues[lane] = _Integral(self.t0, self.t1)
        return q

    def busy_time(self, lane: str, start: float, end: float) -> None:
        a = start if start > self.t0 else self.t0
        b = end if end < self.t1 else self.t1
        if b > a:
            self.busy[lane] += b - a

    def summary(self, *, lanes: dict, human_lanes: set, open_seconds, days: float) -> dict:
        window = self.t1 - self.t0
        done = self.outcomes.get("done", 0)
        wdays = window / DAY
        sojourn = self.sojourn + [self.t1 - created for created in self.open_since.values()]
        lam = self.arrivals / window if window else 0.0
        L = self.wip.area / window if window else 0.0
        W = _mean(sojourn)
        util = {}
        for lane, members in lanes.items():
            cap = members * (open_seconds(self.t0, self.t1) if lane in human_lanes else window)
            util[lane] = round(self.busy.get(lane, 0.0) / cap, 4) if cap else 0.0
        human_q = [self.queues[ln] for ln in human_lanes if ln in self.queues]
        human_waits = [w for ln in human_lanes for w in self.waits.get(ln, [])]
        pools = {}
        for name, p in self.pools.items():
            cap_t = p.tpm / MINUTE * window * p.budgets if p.tpm else None
            cap_r = p.rpm / MINUTE * window * p.budgets if p.rpm else None
            u = max((p.tokens / cap_t) if cap_t else 0.0, (p.calls / cap_r) if cap_r else 0.0)
            bound = None
            if done and (cap_t or cap_r):
                per_day = [
                    c / (used / done) / wdays
                    for c, used in ((cap_t, p.tokens), (cap_r, p.calls))
                    if c and used
                ]
                bound = round(min(per_day), 3) if per_day else None
            pools[name] = {
                "rpm": p.rpm,
                "tpm": p.tpm,
                "budgets": p.budgets,
                "calls": p.calls,
                "tokens": round(p.tokens),
                "rejected_429": p.rejected,
                "retries": p.retries,
                "gave_up": p.gave_up,
                "stall_hours": round(p.stall / HOUR, 3),
                "usd": round(p.usd, 4),
                "utilisation": round(u, 4),
                "retries_per_call": round(p.retries / p.calls, 3) if p.calls else 0.0,
                "bound_per_day": bound,
            }
        bounds = [v["bound_per_day"] for v in pools.values() if v["bound_per_day"]]
        calls = sum(p.calls for p in self.pools.values())
        return {
            "window_days": round(wdays, 4),
            "tasks": {
                "arrived": self.arrivals,
                "arrived_total": self.arrivals_total,
                **{k: self.outcomes.get(k, 0) for k in ("done", "rejected", "escalated")},
            },
            "throughput_per_day": round(done / wdays, 4) if wdays else 0.0,
            "cycle_time_hours": {
                "mean": round(_mean(self.cycle) / HOUR, 4),
                "p50": round(percentile(self.cycle, 0.5) / HOUR, 4),
                "p95": round(percentile(self.cycle, 0.95) / HOUR, 4),
            },
            "cycle_p50_hours_by_tier": {
                t: round(percentile(v, 0.5) / HOUR, 4) for t, v in sorted(self.cycle_by_tier.items())
            },
            "done_by_stream": dict(self.done_by_stream),
            "approval": {
                "queue_mean": round(sum(q.area for q in human_q) / window, 4) if window else 0.0,
                "queue_max": max((q.peak for q in human_q), default=0),
                "wait_mean_hours": round(_mean(human_waits) / HOUR, 4),
                "wait_p95_hours": round(percentile(human_waits, 0.95) / HOUR, 4),
                "human_jobs": self.human_jobs,
                "approved": self.approvals,
                "rejected": self.rejections,
                "human_jobs_per_done": round(self.human_jobs / done, 4) if done else 0.0,
            },
            "defects": {
                "injected": dict(self.injected),
                "escaped": dict(self.escaped),
                "escaped_total": sum(self.escaped.values()),
                "escaped_per_100_done": round(100 * sum(self.escaped.values()) / done, 3) if done else 0.0,
                "false_alarms": self.false_alarms,
            },
            "catches": {g: dict(v) for g, v in sorted(self.catches.items())},
            "rework": {
                "rounds_per_done": round(_mean([float(r) for r in self.rounds]), 4),
                "escalated_by_kind": dict(self.escalations),
            },
            "rate_limits": {
                "rejected_429": sum(p.rejected for p in self.pools.values()),
                "retries": sum(p.retries for p in self.pools.values()),
                "retries_per_call": round(sum(p.retries for p in self.pools.values()) / calls, 4)
                if calls
                else 0.0,
                "gave_up": sum(p.gave_up for p in self.pools.values()),
                "stall_hours": round(sum(p.stall for p in self.pools.values()) / HOUR, 3),
                "bound_per_day": min(bounds) if bounds else None,
                "pools": pools,
            },
            "cost": {"usd": round(self.usd, 4), "per_done": round(self.usd / done, 4) if done else None},
            "utilisation": util,
            "queues": {
                ln: {"mean": round(q.area / window, 4) if window else 0.0, "max": q.peak}
                for ln, q in sorted(self.queues.items())
            },
            "waits_minutes": {
                ln: {
                    "mean": round(_mean(w) / MINUTE, 4),
                    "p95": round(percentile(w, 0.95) / MINUTE, 4),
                    "n": len(w),
                    "waited": round(sum(1 for x in w if x > 1e-9) / len(w), 4) if w else 0.0,
                }
                for ln, w in sorted(self.waits.items())
            },
            "little": {
                "L": round(L, 4),
                "lambda_per_hour": round(lam * HOUR, 4),
                "W_hours": round(W / HOUR, 4),
                "lambda_W": round(lam * W, 4),
                "error": round(abs(L - lam * W) / L, 4) if L else 0.0,
            },
            "stale_submissions": self.stale,
            "denied": dict(self.denied),
        }


# Metrics a sweep can chart, as dotted paths into the summary.
METRIC_KEYS = {
    "throughput_per_day": "throughput_per_day",
    "cycle_p50_hours": "cycle_time_hours.p50",
    "cycle_p95_hours": "cycle_time_hours.p95",
    "approval_queue": "approval.queue_mean",
    "approval_wait_hours": "approval.wait_mean_hours",
    "escaped_per_100_done": "defects.escaped_per_100_done",
    "retries_per_call": "rate_limits.retries_per_call",
    "rejected_429": "rate_limits.rejected_429",
    "stall_hours": "rate_limits.stall_hours",
    "cost_per_done": "cost.per_done",
    "rounds_per_done": "rework.rounds_per_done",
}


def metric_value(summary: dict, name: str) -> float:
    path = METRIC_KEYS.get(name, name)
    node = summary
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(name)
        node = node[part]
    if not isinstance(node, (int, float)) or isinstance(node, bool):
        raise KeyError(name)
    return float(node)
