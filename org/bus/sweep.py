"""The sweeper: requeue expired leases (parking a job as dead after max_attempts and escalating its task),
and escalate tasks with no progress or over budget (the engine decides). Safe from many processes at once."""

from __future__ import annotations

from org.bus.context import Ctx
from org.bus.driver import apply
from org.bus.jobs import job_row
from org.bus.payloads import JobExpired
from org.bus.store import Tx
from org.bus.tx import prepared
from org.config.loader import OrgConfig
from org.engine import flow
from org.engine.state import Event

__all__ = ["sweep", "sweep_expired", "sweep_ahead"]


def sweep(ctx: Ctx, *, limit: int = 1000) -> dict:
    """Requeue expired leases (dead after max_attempts, escalating the task), escalate stalled and
    over-budget tasks. Safe to run from any number of processes at once."""

    def fn(tx: Tx) -> dict:
        rep = sweep_expired(ctx, tx, lane=None, limit=limit)
        rep.update(_sweep_tasks(ctx, tx))
        return rep

    return ctx.write(fn)


def _expired(tx: Tx, lane: str | None, limit: int) -> tuple[str, dict]:
    """The read a sweep starts with: the leases past their expiry (of one lane, or all)."""
    cond = "status = 'leased' AND lease_expires < :now" + (" AND lane = :lane" if lane else "")
    return (
        prepared(f"SELECT id, task FROM jobs WHERE {cond} ORDER BY lease_expires LIMIT :lim"),
        {"now": tx.now, "lane": lane, "lim": limit},
    )


def sweep_ahead(tx: Tx, *, lane: str | None, limit: int) -> None:
    """Send the read `sweep_expired` starts with now, to share a round trip with other reads (tx.ahead)."""
    tx.ahead(*_expired(tx, lane, limit))


def sweep_expired(ctx: Ctx, tx: Tx, *, lane: str | None, limit: int) -> dict:
    rep: dict[str, list] = {"requeued": [], "dead": []}
    rows = tx.x(*_expired(tx, lane, limit)).all()
    if not rows:
        return rep
    tasks = sorted({r[1] for r in rows if r[1]})
    locked = {t: ctx.task_row(tx, t, lock=True) for t in tasks}  # lock order: tasks, then jobs
    dead_by_task: dict[str, list[dict]] = {}
    for jid, _task in rows:
        j = job_row(tx, jid, lock=True)
        if j is None or j["status"] != "leased" or j["lease_expires"] is None or j["lease_expires"] >= tx.now:
            continue
        dead = int(j["attempts"]) >= int(j["max_attempts"])
        tx.x(
            "UPDATE jobs SET status = :s, fence = fence + 1, token = NULL, leased_by = NULL, lease_expires = NULL, "
            "reason = :r, updated_at = :t WHERE id = :j",
            {
                "s": "dead" if dead else "queued",
                "t": tx.now,
                "j": jid,
                "r": (
                    f"lease expired {j['attempts']} time(s) (max {j['max_attempts']}): parked as dead"
                    if dead
                    else f"lease of {j['leased_by']} expired"
                ),
            },
        )
        tx.x(
            "UPDATE leases SET outcome = 'expired', ended_at = :t WHERE job = :j AND fence = :f",
            {"t": tx.now, "j": jid, "f": j["fence"]},
        )
        pcfg = ctx.pinned(tx, locked[j["task"]].config_hash) if j["task"] else ctx.current
        ctx.record(
            tx,
            "job.dead" if dead else "job.requeued",
            task=j["task"],
            actor=None,
            lane=j["lane"],
            gate=j["gate"],
            decision="dead" if dead else "requeue",
            job=jid,
            config_hash=pcfg.config_hash if pcfg else None,
            data=JobExpired(
                holder=j["leased_by"],
                fence=j["fence"],
                attempts=j["attempts"],
                max_attempts=j["max_attempts"],
            ),
        )
        if dead:
            rep["dead"].append(jid)
            if j["task"]:
                dead_by_task.setdefault(j["task"], []).append(j)
            else:
                tx.x(
                    "INSERT INTO approvals(task, kind, subject, status, requested_at, reason, rules, job) "
                    "VALUES (NULL, 'escalation', :s, 'pending', :t, :why, '[]', :j)",
                    {
                        "s": f"dead_job:{jid}",
                        "t": tx.now,
                        "j": jid,
                        "why": f"plain job {jid} in lane {j['lane']} expired {j['attempts']} time(s)",
                    },
                )
        else:
            rep["requeued"].append(jid)
            tx.wake(j["lane"])
    for t, jobs in dead_by_task.items():
        row = locked[t]
        if row.status != "active":
            continue
        pcfg = ctx.pinned(tx, row.config_hash)
        st = ctx.state(tx, row)
        gates = ", ".join(sorted({str(j["gate"]) for j in jobs}))
        ev = Event(
            "task.escalated",
            t,
            {
                "kind": "dead_job",
                "gate": jobs[0]["gate"],
                "jobs": [j["id"] for j in jobs],
                "reason": f"job(s) at '{gates}' were leased {jobs[0]['attempts']} time(s) and "
                "never submitted; parked as dead",
            },
            None,
        )
        apply(ctx, tx, pcfg, row, st, [ev])
    return rep


def _sweep_tasks(ctx: Ctx, tx: Tx) -> dict:
    """No progress for limits.no_progress_seconds, or spend over limits.budget_usd: escalate (engine decides)."""
    stalled, over = [], []
    rows = tx.x(
        "SELECT key, config_hash, workflow, last_event_at FROM tasks WHERE status = 'active' ORDER BY id"
    ).all()
    spend = {
        r[0]: (float(r[1] or 0.0), int(r[2] or 0))
        for r in tx.x(
            "SELECT u.task, SUM(u.cost_usd), COUNT(*) - COUNT(u.cost_usd) FROM usage u JOIN tasks t ON t.key = u.task "
            "WHERE t.status = 'active' GROUP BY u.task"
        ).all()
    }
    for key, chash, workflow, last in rows:
        limits = ctx.pinned(tx, chash).workflows[workflow].limits
        idle = tx.now - float(last)
        spent, unpriced = spend.get(key, (0.0, 0))
        if idle <= limits.no_progress_seconds and (
            limits.budget_usd is None or (spent <= limits.budget_usd and not unpriced)
        ):
            continue
        row = ctx.task_row(tx, key, lock=True)
        if row.status != "active":
            continue
        pcfg = ctx.pinned(tx, row.config_hash)
        st = ctx.state(tx, row)
        evs: list[Event] = []
        if tx.now - row.last_event_at > limits.no_progress_seconds and not _waits_on_humans(pcfg, st):
            evs = flow.escalate_if_stalled(pcfg, st, tx.now - row.last_event_at)
            if evs:
                stalled.append(key)
        if not evs:
            # unpriced calls no human accepted (ADR 0051), e.g. migrated ones or one made while not active
            evs = flow.escalate_if_over_budget(pcfg, st, spent, 0 if st.unpriced_accepted else unpriced)
            if evs:
                over.append(key)
        if evs:
            apply(ctx, tx, pcfg, row, st, evs)
    return {"stalled": stalled, "over_budget": over}


def _waits_on_humans(cfg: OrgConfig, st) -> bool:
    """A task whose only ready gates belong to human lanes waits on people, not machines: not stalled."""
    ready = st.ready_gates()
    wf = cfg.workflows[st.workflow]
    lanes = [cfg.lanes.get(wf.gates[g].lane or "") for g in ready]
    return bool(ready) and all(lane is not None and lane.kind == "human" for lane in lanes)
