"""The operator's view, read from the bus: who works on what, stuck or looping jobs, spend against
budget, rate budgets, switches, and the gate graph per tier with live counts. No Textual here."""

from __future__ import annotations

from dataclasses import dataclass

from org.bus import vendors_of
from org.engine.graph import plan_for
from org.identity.guard import Reading
from org.tui.data import age, paused_by

__all__ = ["Lease", "actor_lease", "agents_view", "gates_view"]

STUCK_FRACTION = 0.8  # a lease past 80% of its time with no heartbeat is highlighted
LOOP_ATTEMPTS = 2  # a job on its 2nd attempt or more has been requeued: likely a loop or a crash


@dataclass(frozen=True)
class Lease:
    """One lease as read; its age and flag are functions of `now`, so they move without reading again."""

    job: int
    task: str | None
    gate: str | None
    lane: str
    actor: str
    granted_at: float
    expires_at: float
    beat_at: float | None  # the last heartbeat (None: none since the claim)
    seconds: float
    attempts: int

    def age_s(self, now: float) -> float:
        return now - self.granted_at

    def flag(self, now: float) -> str:
        """ "" | "stuck" (past 80% of its time since the last sign of life) | "looping" | "expired"."""
        if self.expires_at < now:
            return "expired"
        if self.attempts >= LOOP_ATTEMPTS:
            return "looping"
        if self.seconds and now - (self.beat_at or self.granted_at) > STUCK_FRACTION * self.seconds:
            return "stuck"
        return ""


def actor_lease(leases: list[Lease], actor: str, now: float) -> tuple[str, str]:
    """(the age of the actor's oldest lease or "-", the first flag among its leases or "") at `now`."""
    mine = [x for x in leases if x.actor == actor]
    if not mine:
        return "-", ""
    return age(max(x.age_s(now) for x in mine)), next((f for x in mine if (f := x.flag(now))), "")


def agents_view(reads: Reading, now: float) -> dict:
    cfg = reads.config()

    held = reads.leases()
    leases_raw, queued, beats, fences, done = (
        held["leased"],
        held["queued"],
        held["beats"],
        held["fences"],
        held["done"],
    )
    spend_actor = {r["key"]: r for r in reads.spend("actor")}
    spend_lane = {r["key"]: r for r in reads.spend("lane")}
    switches = reads.switches()
    leases: list[Lease] = []
    for jid, task, gate, lane, who, secs, exp, attempts, _upd in leases_raw:
        secs = float(secs or 0)
        exp = float(exp or now)
        hb = beats.get((jid, fences.get(jid)))
        leases.append(
            Lease(
                int(jid),
                task,
                gate,
                lane,
                who or "",
                exp - secs,
                exp,
                float(hb) if hb else None,
                secs,
                int(attempts),
            )
        )
    actors = []
    if cfg is not None:
        for a in cfg.actors.values():
            mine = [x for x in leases if x.actor == a.id]
            sp = spend_actor.get(a.id, {})
            lane = cfg.lanes.get(a.lane)
            member = next((m for m in (lane.members if lane else []) if m.id == a.id), None)
            budget = member.budget.usd if member is not None and member.budget else None
            actors.append(
                {
                    "actor": a.id,
                    "lane": a.lane,
                    "kind": a.kind,
                    "model": a.model or "-",
                    "family": a.family or ("human" if a.is_human else "-"),
                    "working": ", ".join(f"{x.task or 'J' + str(x.job)}/{x.gate or '-'}" for x in mine)
                    or "-",
                    "spent": float(sp.get("cost_usd") or 0.0),
                    "unpriced": int(sp.get("unpriced_calls") or 0),
                    "budget": budget,
                    "calls": int(sp.get("calls", 0)),
                    "errors": int(sp.get("errors", 0)),
                    "done": int(done.get(a.id, 0)),
                    "paused": paused_by(switches, cfg, actors=[a.id], lanes=[a.lane]),
                }
            )
    lanes = []
    if cfg is not None:
        for name, ln in cfg.lanes.items():
            sp = spend_lane.get(name, {})
            lanes.append(
                {
                    "lane": name,
                    "kind": ln.kind,
                    "members": len(ln.members),
                    "queued": int(queued.get(name, 0)),
                    "leased": sum(1 for x in leases if x.lane == name),
                    "spent": float(sp.get("cost_usd") or 0.0),
                    "unpriced": int(sp.get("unpriced_calls") or 0),
                    "budget": ln.budget.usd if ln.budget else None,
                    "concurrency": ln.concurrency,
                    "paused": paused_by(switches, cfg, lanes=[name]),
                }
            )
    vendors = sorted(set().union(*(vendors_of(cfg, a) for a in cfg.actors)) - {"human"}) if cfg else []
    fams = sorted({a.family for a in cfg.actors.values() if a.family}) if cfg else []
    return {
        "actors": actors,
        "lanes": lanes,
        "leases": leases,
        "switches": switches,
        "budgets": reads.budgets(),
        "vendors": vendors,
        "families": fams,
        "outcomes": _outcomes(
            reads,
            sum(float(r.get("cost_usd") or 0.0) for r in spend_lane.values()),
            sum(int(r.get("unpriced_calls") or 0) for r in spend_lane.values()),
        ),
    }


def _outcomes(reads: Reading, spent: float, unpriced: int) -> dict | None:
    """Successful outcomes of repository work (merged by the pipeline and not reverted since) and the cost per
    one (all spend over them; unknown when a call was unpriced, never understated); None while nothing was
    merged."""
    evs = reads.events_since(0, limit=1_000_000, types=("outcome.merged", "outcome.reverted"))
    merged = {e["task"] for e in evs if e["type"] == "outcome.merged"}
    if not merged:
        return None
    reverted = {e["task"] for e in evs if e["type"] == "outcome.reverted"} & merged
    ok = len(merged - reverted)
    return {
        "merged": len(merged),
        "reverted": len(reverted),
        "succeeded": ok,
        "cost_per_success": (spent / ok) if ok and not unpriced else None,
        "unpriced_calls": unpriced,
    }


def _arrows(order: list[str], after: dict[str, list[str]], keep: set[str]) -> str:
    """A one-line reading of the graph (the gates in `keep`): gates at the same depth are grouped in braces."""
    depth: dict[str, int] = {}
    for g in order:
        depth[g] = 1 + max((depth[p] for p in after.get(g, []) if p in depth), default=-1)
    levels: dict[int, list[str]] = {}
    for g, d in depth.items():
        if g in keep:
            levels.setdefault(d, []).append(g)
    return " → ".join(v[0] if len(v) == 1 else "{" + ", ".join(v) + "}" for _, v in sorted(levels.items()))


def gates_view(reads: Reading) -> list[dict]:
    """Per workflow and tier: the planned gates in order (required or skipped, with the reason) and live
    counts of queued and leased jobs, pending approvals, and tasks by status."""
    cfg = reads.config()
    if cfg is None:
        return []

    counts = reads.gate_counts()
    jc, ac, tc = counts["jobs"], counts["pending"], counts["tasks"]
    out = []
    for wname, wf in cfg.workflows.items():
        for tier in (t.id for t in cfg.risk.tiers):
            plan = plan_for(wf, tier)
            after = {g: [p for p in (wf.gates[g].after or []) if p in plan.order] for g in plan.order}
            rows = []
            for g in plan.order:
                spec = wf.gates[g]
                rows.append(
                    {
                        "gate": g,
                        "kind": spec.kind,
                        "lane": spec.lane or "-",
                        "plan": "terminal"
                        if spec.kind == "terminal"
                        else ("required" if g in plan.required else "skipped"),
                        "why": plan.skipped.get(g, ""),
                        "queued": jc.get((wname, tier, g, "queued"), 0),
                        "leased": jc.get((wname, tier, g, "leased"), 0),
                        "pending": ac.get((wname, tier, g), 0),
                        "adrs": list(spec.adrs),
                    }
                )
            for g, why in plan.skipped.items():
                if g not in plan.order:
                    spec = wf.gates[g]
                    rows.append(
                        {
                            "gate": g,
                            "kind": spec.kind,
                            "lane": spec.lane or "-",
                            "plan": "skipped",
                            "why": why,
                            "queued": 0,
                            "leased": 0,
                            "pending": 0,
                            "adrs": list(spec.adrs),
                        }
                    )
            counts = {s: tc.get((wname, tier, s), 0) for s in ("active", "escalated", "done", "rejected")}
            out.append(
                {
                    "workflow": wname,
                    "tier": tier,
                    "rows": rows,
                    "counts": counts,
                    "path": _arrows(
                        list(plan.order), after, {g for g in plan.order if g not in plan.skipped}
                    ),
                }
            )
    return out
