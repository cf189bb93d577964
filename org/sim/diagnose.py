"""What a run's numbers mean: the binding constraint, whether the warm-up was long enough, whether
the run was long enough, and whether a resource is loaded at or above capacity."""

from __future__ import annotations

from org.sim.series import growing, mser5

__all__ = ["diagnose", "resources", "BUSY"]

BUSY = 0.8  # a resource above this utilisation can bind; below it on every resource, incoming work binds


def resources(m: dict) -> list[dict]:
    """Every resource of the run with its utilisation and queue: lanes (agents or humans) and rate budgets."""
    out = []
    human = set(m.get("human_lanes", []))
    for lane, u in m["utilisation"].items():
        q = m.get("queues", {}).get(lane, {})
        w = m.get("waits_minutes", {}).get(lane, {})
        out.append(
            {
                "kind": "humans" if lane in human else "lane",
                "name": lane,
                "utilisation": u,
                "queue_mean": q.get("mean", 0.0),
                "wait_mean_minutes": w.get("mean", 0.0),
                "members": m["org"]["lanes"].get(lane, 0),
            }
        )
    for name, p in m["rate_limits"]["pools"].items():
        if p["rpm"] or p["tpm"]:
            out.append(
                {
                    "kind": "rate budget",
                    "name": name,
                    "utilisation": p["utilisation"],
                    "queue_mean": None,
                    "stall_hours": p["stall_hours"],
                    "rejected_429": p["rejected_429"],
                }
            )
    return out


def _warm_enough(wip: list, cut: int, cut_now: int) -> bool:
    """False when MSER-5 cuts more than the scenario's warm-up and the samples between the two differ
    from the rest by more than two standard errors (batch means of five): the org was still filling."""
    if cut <= cut_now + 1:
        return True
    rest = [float(x) for x in wip[cut:]]
    extra = [float(x) for x in wip[cut_now:cut]]
    batches = [sum(rest[i : i + 5]) / 5 for i in range(0, len(rest) - 4, 5)]
    if len(batches) < 2 or not extra:
        return True
    m = sum(batches) / len(batches)
    sd = (sum((b - m) ** 2 for b in batches) / (len(batches) - 1)) ** 0.5
    k = max(1.0, len(extra) / 5)
    return abs(sum(extra) / len(extra) - m) <= 2 * sd / k**0.5


def diagnose(m: dict) -> dict:
    """Bottleneck, warm-up check, too-short and unstable findings for one run's metrics."""
    res = resources(m)
    closed = bool(m.get("backlog"))
    # a saturated rate budget binds ahead of the lanes drawing on it (their members count as busy
    # while they wait for it); otherwise the most utilised resource, the longer queue breaking ties
    top = max(
        res,
        key=lambda r: (
            r["kind"] == "rate budget" and r["utilisation"] >= 0.9,
            r["utilisation"],
            r["queue_mean"] or 0.0,
        ),
        default=None,
    )
    if top is None or (not closed and top["utilisation"] < BUSY):
        binding = {
            "kind": "incoming work",
            "name": "arrivals",
            "utilisation": top["utilisation"] if top else 0.0,
            "note": "every resource has slack; throughput follows the work that arrives",
        }
    else:
        binding = dict(top)
    s = m.get("series") or {}
    wip = s.get("wip") or []
    cut, late = mser5([float(x) for x in wip])
    step = s.get("step_hours", 0.0)
    warm = {"cut_hours": round(m["warmup_days"] * 24, 3), "mser_hours": round(cut * step, 3)}
    warm["enough"] = _warm_enough(wip, cut, round(warm["cut_hours"] / step) if step else 0)
    short = []
    if late:
        short.append("work in progress has not settled by mid-run (MSER-5 cut falls in the second half)")
    done = m["tasks"]["done"]
    if done < 30:
        short.append(f"only {done} tasks finished in the measured window (fewer than 30)")
    cyc = m["cycle_time_hours"]["mean"]
    win_h = m["window_days"] * 24
    if cyc and not closed and win_h < 10 * cyc:
        short.append(f"the measured window ({win_h:g} h) is under ten mean cycle times ({cyc:.3g} h each)")
    unstable = []
    if not closed:
        grows = growing([float(x) for x in wip])
        for r in res:
            if r["utilisation"] < 0.95:
                continue
            if r["kind"] == "rate budget":
                if grows:
                    unstable.append(
                        {
                            **r,
                            "message": f"rate budget {r['name']} at {100 * r['utilisation']:.0f}% and work "
                            "in progress keeps growing: unstable, the queue grows without bound",
                        }
                    )
            elif growing([float(x) for x in s.get("queues", {}).get(r["name"], [])]) or grows:
                unstable.append(
                    {
                        **r,
                        "message": f"{r['kind']} {r['name']} at {100 * r['utilisation']:.0f}% with its queue "
                        "growing: unstable, the queue grows without bound",
                    }
                )
        if (
            grows and not unstable
        ):  # every resource has slack: a cycle (a weekend) or a transient, not instability
            short.append(
                "work in progress is still rising at the end of the run (a weekly cycle, or the org is not "
                "yet in steady state)"
            )
    return {
        "binding": binding,
        "resources": res,
        "warmup": warm,
        "too_short": short,
        "unstable": unstable,
        "open_at_end": m.get("open_at_end"),
        "wip_end": wip[-1] if wip else None,
        "window_hours": round(win_h, 3),
        "mean_cycle_hours": cyc or None,
        "sample_hours": step,
    }
