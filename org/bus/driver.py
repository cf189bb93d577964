"""The engine drives the bus: persist the engine's events, then make the jobs and human requests match
the folded state (post jobs for ready gates, cancel jobs for gates that were reset or a task that
closed, open one pending approval per approval gate and per escalation)."""

from __future__ import annotations

import json
from collections import defaultdict

from org.bus.context import AUTH, Ctx, TaskRow
from org.bus.payloads import ApprovalRequested, EscalationOpened, JobCancelled, JobPosted
from org.bus.statuses import ApprovalStatus
from org.bus.store import Tx
from org.config.loader import OrgConfig
from org.engine.state import BEHIND_TYPES, Event, TaskState

__all__ = ["apply", "post_job", "cancel_jobs", "escalation_lane", "engine_decision"]

_DECISIONS = {
    "gate.passed": "pass",
    "gate.failed": "fail",
    "gate.skipped": "skip",
    "approval.granted": "approve",
    "approval.rejected": "reject",
    "task.escalated": "escalate",
    "task.done": "done",
    "task.rejected": "reject",
    "rework.started": "rework",
    "task.resumed": "resume",
}


# a gate's approval request settles as its gate did
_GATE_VERDICT: dict[str, ApprovalStatus] = {"passed": "granted", "failed": "rejected"}


def engine_decision(ev: Event) -> str | None:
    return ev.data.get("verdict") or _DECISIONS.get(ev.type)


def _rules(ev: Event) -> list[str]:
    d = ev.data
    if d.get("rules"):
        return list(d["rules"])
    if ev.type == "task.created":
        return list(d.get("tier_rules") or [])
    if d.get("rule"):
        return [d["rule"]]
    return []


def apply(
    ctx: Ctx,
    tx: Tx,
    cfg: OrgConfig,
    row: TaskRow,
    before: TaskState | None,
    events: list[Event],
    *,
    job: int | None = None,
    fresh: bool = False,
) -> TaskState:
    """Record `events` for the task, update its summary row and reconcile its jobs and approvals."""
    from org.engine.state import fold

    events = _with_behind(events)
    state = fold(events) if fresh or before is None else ctx.fold_more(before, events)
    wf = cfg.workflows[state.workflow]
    for ev in events:
        lane, fam = ctx.actor_info(cfg, ev.actor)
        gate = ev.data.get("gate")
        if lane is None and gate and gate in wf.gates:
            lane = wf.gates[gate].lane
        ctx.record(
            tx,
            ev.type,
            task=ev.task,
            actor=ev.actor,
            lane=lane,
            family=fam,
            gate=gate,
            decision=engine_decision(ev),
            rules=_rules(ev),
            config_hash=cfg.config_hash,
            job=job,
            data=ev.data,
        )
    n = (0 if fresh or before is None else row.last_seq) + len(events)
    attrs = json.dumps(ctx.redactor.value(state.attributes), sort_keys=True)
    tx.x(
        "UPDATE tasks SET status = :s, tier = :tier, revision = :r, rounds = :n, escalation = :e, updated_at = :t, "
        "last_event_at = :t, last_seq = :q, attributes = :a WHERE key = :k",
        {
            "s": state.status,
            "tier": state.tier,
            "r": state.revision,
            "n": state.rounds,
            "e": ctx.redactor.text(state.escalation) if state.escalation else None,
            "t": tx.now,
            "q": n,
            "a": attrs,
            "k": row.key,
        },
    )
    reconcile(ctx, tx, cfg, row.key, state, settled=job)
    key, st = row.key, state
    tx.after_commit.append(lambda: ctx.remember(key, n, st))
    return state


def _with_behind(events: list[Event]) -> list[Event]:
    """The events the acting principal files, works, reviews or decides, with the people behind its token
    (ADR 0111: its issuer and whoever stands behind the issuer's token), from the authenticated identity
    (org.bus.context.AUTH), never from a request. Unchanged when nobody else is behind it."""
    auth = AUTH.get() or {}
    behind, who = auth.get("behind"), auth.get("principal")
    if not behind:
        return events
    return [
        Event(e.type, e.task, {**e.data, "behind": sorted(behind)}, e.actor)
        if e.type in BEHIND_TYPES and e.actor == who
        else e
        for e in events
    ]


def escalation_lane(cfg: OrgConfig, workflow: str) -> str | None:
    """The human lane that hears about a task's escalations: its approval gate's lane, else the first human lane."""
    wf = cfg.workflows.get(workflow)
    if wf is not None:
        for g in wf.gates.values():
            if g.kind == "approval" and g.lane:
                return g.lane
    humans = sorted(n for n, lane in cfg.lanes.items() if lane.kind == "human")
    return humans[0] if humans else None


def reconcile(
    ctx: Ctx, tx: Tx, cfg: OrgConfig, key: str, state: TaskState, *, settled: int | None = None
) -> None:
    """`settled`: the job whose submission produced these events (being closed by the caller)."""
    wf = cfg.workflows[state.workflow]
    open_jobs = [
        j
        for j in tx.x(
            "SELECT id, gate, status FROM jobs WHERE task = :k AND status IN ('queued', 'leased') "
            "ORDER BY id",
            {"k": key},
        ).all()
        if j[0] != settled
    ]
    have: dict[str, list] = defaultdict(list)
    for j in open_jobs:
        have[j[1]].append(j)
    cancel: list[tuple[int, str]] = []
    if not state.open:
        cancel = [(j[0], f"task is {state.status}") for j in open_jobs]
    else:
        for name, gs in state.gates.items():
            spec = wf.gates.get(name)
            if spec is None or spec.kind not in ("work", "review", "approval"):
                continue
            jobs = have.get(name, [])
            if gs.status == "ready":
                need = 1 if spec.kind == "work" else max(0, spec.quorum - len(state.counting_reviews(name)))
                for slot in range(len(jobs), need):
                    post_job(ctx, tx, cfg, key, state, name, slot)
                extra = sorted(jobs, key=lambda j: (j[2] != "queued", -j[0]))[: max(0, len(jobs) - need)]
                cancel += [(j[0], f"gate '{name}' needs no more {spec.kind}s") for j in extra]
            else:
                why = "reset for rework" if gs.status == "pending" else f"gate '{name}' is {gs.status}"
                cancel += [(j[0], why) for j in jobs]
    if cancel:
        cancel_jobs(ctx, tx, cancel, task=key, config_hash=cfg.config_hash)
    _approvals(ctx, tx, cfg, key, state)


def post_job(ctx: Ctx, tx: Tx, cfg: OrgConfig, key: str, state: TaskState, gate: str, slot: int) -> int:
    spec = cfg.workflows[state.workflow].gates[gate]
    excluded = "|"
    if spec.kind in ("review", "approval"):
        excluded += "".join(f"a:{a}|" for a in sorted(state.authors))
        if spec.cross_vendor:
            excluded += "".join(f"f:{f}|" for f in sorted(state.author_families))
    job = tx.x(
        "INSERT INTO jobs(task, gate, lane, kind, status, priority, round, slot, revision, excluded, attempts, "
        "max_attempts, fence, lease_seconds, posted_at, updated_at) VALUES (:t, :g, :l, :k, 'queued', :p, :r, :s, "
        ":rev, :x, 0, :m, 0, 0, :now, :now) RETURNING id",
        {
            "t": key,
            "g": gate,
            "l": spec.lane,
            "k": spec.kind,
            "p": _priority(cfg, state),
            "r": state.rounds,
            "s": slot,
            "rev": state.revision,
            "x": excluded,
            "m": ctx.max_attempts,
            "now": tx.now,
        },
    ).scalar_one()
    ctx.record(
        tx,
        "job.posted",
        task=key,
        lane=spec.lane,
        gate=gate,
        config_hash=cfg.config_hash,
        job=job,
        data=JobPosted(
            kind=spec.kind,
            round=state.rounds,
            slot=slot,
            revision=state.revision,
            source=cfg.source(f"gate:{state.workflow}.{gate}"),
        ),
    )
    tx.wake(spec.lane)
    return job


def _priority(cfg: OrgConfig, state: TaskState) -> int:
    """Higher tiers first; within a tier, first posted first."""
    try:
        return cfg.tier_index(state.tier)
    except ValueError:
        return 0


def cancel_jobs(
    ctx: Ctx, tx: Tx, jobs: list[tuple[int, str]], *, task: str | None, config_hash: str | None
) -> None:
    for job, why in jobs:
        row = tx.x(
            "UPDATE jobs SET status = 'cancelled', fence = fence + 1, reason = :r, updated_at = :t "
            "WHERE id = :j AND status IN ('queued', 'leased') RETURNING leased_by, status, gate, lane",
            {"r": why, "t": tx.now, "j": job},
        ).one_or_none()
        if row is None:
            continue
        tx.x(
            "UPDATE leases SET outcome = 'cancelled', ended_at = :t WHERE job = :j AND outcome = 'active'",
            {"t": tx.now, "j": job},
        )
        ctx.record(
            tx,
            "job.cancelled",
            task=task,
            lane=row[3],
            gate=row[2],
            config_hash=config_hash,
            job=job,
            data=JobCancelled(reason=why, holder=row[0]),
        )


def _approvals(ctx: Ctx, tx: Tx, cfg: OrgConfig, key: str, state: TaskState) -> None:
    """One pending request per approval gate that is ready and per escalation; close the ones overtaken."""
    wf = cfg.workflows[state.workflow]
    pending = tx.x(
        "SELECT id, kind, subject, revision FROM approvals WHERE task = :k AND status = 'pending' "
        "AND kind IN ('gate', 'escalation')",
        {"k": key},
    ).all()
    gates_pending = {p[2]: p for p in pending if p[1] == "gate"}
    esc_pending = [p for p in pending if p[1] == "escalation"]
    for name, gs in state.gates.items():
        spec = wf.gates.get(name)
        if spec is None or spec.kind != "approval":
            continue
        p = gates_pending.get(name)
        if gs.status == "ready" and state.open and p is None:
            aid = tx.x(
                "INSERT INTO approvals(task, kind, subject, lane, revision, status, requested_at, reason, rules) "
                "VALUES (:k, 'gate', :g, :l, :rev, 'pending', :t, :why, '[]') RETURNING id",
                {
                    "k": key,
                    "g": name,
                    "l": spec.lane,
                    "rev": state.revision,
                    "t": tx.now,
                    "why": f"approval gate '{name}' of a {state.tier}-tier {state.workflow} task",
                },
            ).scalar_one()
            ctx.record(
                tx,
                "approval.requested",
                task=key,
                lane=spec.lane,
                gate=name,
                config_hash=cfg.config_hash,
                data=ApprovalRequested(
                    approval=aid,
                    kind="gate",
                    revision=state.revision,
                    source=cfg.source(f"gate:{state.workflow}.{name}"),
                ),
            )
            tx.wake(spec.lane)
        elif p is not None and (gs.status != "ready" or not state.open):
            status: ApprovalStatus = _GATE_VERDICT.get(gs.status, "stale" if state.open else "cancelled")
            last = (
                next((r.actor for r in reversed(gs.reviews)), None)
                if gs.status in ("passed", "failed")
                else None
            )
            tx.x(
                "UPDATE approvals SET status = :s, decided_by = COALESCE(decided_by, :by), decided_at = :t "
                "WHERE id = :id AND status = 'pending'",
                {"s": status, "by": last, "t": tx.now, "id": p[0]},
            )
    if state.status == "escalated" and not esc_pending:
        lane = escalation_lane(cfg, state.workflow)
        kind = _escalation_kind(tx, key)
        aid = tx.x(
            "INSERT INTO approvals(task, kind, subject, lane, revision, status, requested_at, reason, rules) "
            "VALUES (:k, 'escalation', :s, :l, :rev, 'pending', :t, :why, '[]') RETURNING id",
            {
                "k": key,
                "s": kind,
                "l": lane,
                "rev": state.revision,
                "t": tx.now,
                "why": ctx.redactor.text(state.escalation or "escalated"),
            },
        ).scalar_one()
        ctx.record(
            tx,
            "escalation.opened",
            task=key,
            lane=lane,
            config_hash=cfg.config_hash,
            decision="escalate",
            data=EscalationOpened(approval=aid, kind=kind, reason=state.escalation),
        )
        if lane:
            tx.wake(lane)
    elif state.status != "escalated" and esc_pending:
        settled: ApprovalStatus = (
            "granted" if state.open else ("rejected" if state.status == "rejected" else "cancelled")
        )
        for p in esc_pending:
            tx.x(
                "UPDATE approvals SET status = :s, decided_at = COALESCE(decided_at, :t) WHERE id = :id "
                "AND status = 'pending'",
                {"s": settled, "t": tx.now, "id": p[0]},
            )
    if state.status == "rejected":
        tx.x(
            "UPDATE approvals SET status = 'cancelled', decided_at = :t WHERE task = :k AND status = 'pending'",
            {"t": tx.now, "k": key},
        )


def _escalation_kind(tx: Tx, key: str) -> str:
    """The kind of the latest task.escalated event (queued in this transaction or stored)."""
    for ev in reversed(tx.events):
        if ev["type"] == "task.escalated" and ev.get("task") == key:
            return str(ev["data"].get("kind") or "escalated")
    return "escalated"
