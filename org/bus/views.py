"""The operator's read models: the rows and counts the TUI shows (board, agents, gates, inbox, a task's model
calls), each one short read. Their SQL lives here, in the bus, so the TUI reads the database only through
the bus's methods (issue 22 item 2)."""

from __future__ import annotations

from typing import Any

from org.bus.context import Ctx, task_key
from org.bus.store import Tx

__all__ = [
    "pending_count",
    "task_count",
    "active_keys",
    "pinned_config",
    "board",
    "task_usage",
    "leases",
    "gate_counts",
    "USAGE_COLS",
]

USAGE_COLS = (
    "ts",
    "actor",
    "lane",
    "gate",
    "model",
    "family",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "latency_ms",
    "outcome",
)


def pending_count(ctx: Ctx, lane: str | None) -> int:
    """Requests a human of `lane` can settle (one indexed COUNT)."""
    return int(
        ctx.store.read(
            lambda tx: (
                tx.x(
                    "SELECT COUNT(*) FROM approvals WHERE status = 'pending' AND (lane IS NULL OR lane = :l)",
                    {"l": lane},
                ).scalar()
                or 0
            )
        )
    )


def task_count(ctx: Ctx) -> int:
    return int(ctx.store.read(lambda tx: tx.x("SELECT COUNT(*) FROM tasks").scalar() or 0))


def active_keys(ctx: Ctx, prefix: str) -> set[str]:
    """The idempotency keys starting with `prefix` of the active tasks (the demo finds its own tasks by them)."""
    rows = ctx.store.read(
        lambda tx: tx.x(
            "SELECT idempotency_key FROM tasks WHERE idempotency_key LIKE :p AND status = 'active'",
            {"p": prefix.replace("%", "") + "%"},
        ).all()
    )
    return {r[0] for r in rows}


def pinned_config(ctx: Ctx, config_hash: str) -> Any:
    """The config a task pinned (its YAML text under its hash), loaded."""
    return ctx.store.read(lambda tx: ctx.pinned(tx, config_hash))


# an event with no task changes no task's row on the board unless it is one of these kinds' complement: jobs of no
# task (plain jobs) and tokens never show there; anything else task-less (a pause, a resume, ...) reloads it all
_BOARD_BLIND = "(type LIKE 'job.%' OR type LIKE 'jobs.%' OR type LIKE 'token.%')"
_BOARD_CHANGED_MAX = 2_000  # more tasks touched than this since the last head: a full reload is as cheap
_BOARD_EVENTS_MAX = 20_000  # or more events of tasks than this


def board(ctx: Ctx, since: int | None = None) -> dict:
    """Every task (newest first), the open jobs of tasks, pending approvals per task and the active switches:
    {head, full, tasks: [(id, key, title, workflow, tier, status, updated_at, created_by)], jobs: [(task, gate,
    lane, status, holder)], pending: {task: n}, switches: [{scope, target}]}. With `since` (an audit head seen
    before), only the tasks events after it touched (`full` False, `changed` their keys), unless something
    task-less that shows on every row happened, the head went back, or too many changed: then everything."""

    def changed(tx: Tx, head: int) -> list[str] | None:
        if since is None or since > head:
            return None
        if tx.x(
            f"SELECT 1 FROM events WHERE seq > :s AND task IS NULL AND NOT {_BOARD_BLIND} LIMIT 1",
            {"s": since},
        ).first():
            return None
        # by seq (the primary key): DISTINCT would walk the whole task index of the log
        rows = tx.x(
            "SELECT task FROM events WHERE seq > :s AND task IS NOT NULL ORDER BY seq LIMIT :n",
            {"s": since, "n": _BOARD_EVENTS_MAX + 1},
        ).all()
        keys = sorted({r[0] for r in rows})
        return None if len(rows) > _BOARD_EVENTS_MAX or len(keys) > _BOARD_CHANGED_MAX else keys

    def fn(tx: Tx) -> dict:
        head = int(tx.x("SELECT seq FROM audit_head WHERE id = 1").scalar() or 0)
        keys = changed(tx, head)
        where_task, where_job, where_pend, bind = "", "", "", {}
        if keys is not None:
            if not keys:
                return {
                    "head": head,
                    "full": False,
                    "changed": [],
                    "tasks": [],
                    "jobs": [],
                    "pending": {},
                    "switches": _switches(tx),
                }
            bind = {f"k{i}": k for i, k in enumerate(keys)}
            marks = ", ".join(f":k{i}" for i in range(len(keys)))
            where_task, where_job = f"WHERE key IN ({marks}) ", f"AND task IN ({marks}) "
            where_pend = where_job
        tasks = tx.x(
            "SELECT id, key, title, workflow, tier, status, updated_at, created_by FROM tasks "
            f"{where_task}ORDER BY id DESC",
            bind,
        ).all()
        jobs = tx.x(
            "SELECT task, gate, lane, status, leased_by FROM jobs WHERE status IN ('queued', 'leased') "
            f"AND task IS NOT NULL {where_job}ORDER BY id",
            bind,
        ).all()
        # a few tasks' pending approvals through the per-task index (SQLite, without statistics, would walk every
        # pending approval through the status index)
        by_task = "INDEXED BY ux_approvals_pending " if keys and not tx.pg else ""
        pend = dict(
            tx.x(
                f"SELECT task, COUNT(*) FROM approvals {by_task}WHERE status = 'pending' AND task IS NOT NULL "
                f"{where_pend}GROUP BY task",
                bind,
            ).all()
        )
        return {
            "head": head,
            "full": keys is None,
            "changed": keys or [],
            "tasks": [tuple(r) for r in tasks],
            "jobs": [tuple(r) for r in jobs],
            "pending": pend,
            "switches": _switches(tx),
        }

    return ctx.store.read(fn)


def _switches(tx: Tx) -> list[dict]:
    return [
        {"scope": sc, "target": tg}
        for sc, tg in tx.x("SELECT scope, target FROM switches WHERE active = :t", {"t": True}).all()
    ]


def task_usage(ctx: Ctx, task: str) -> list[dict]:
    """A task's model calls in time order (USAGE_COLS)."""
    rows = ctx.store.read(
        lambda tx: tx.x(
            f"SELECT {', '.join(USAGE_COLS)} FROM usage WHERE task = :k ORDER BY ts, id",
            {"k": task_key(task)},
        ).all()
    )
    return [dict(zip(USAGE_COLS, r, strict=True)) for r in rows]


def leases(ctx: Ctx) -> dict:
    """Who holds what now: {leased: [(job, task, gate, lane, holder, lease_seconds, lease_expires, attempts,
    updated_at)], queued: {lane: n}, beats: {(job, fence): heartbeat_at}, fences: {job: fence}, done: {actor: n}}."""

    def fn(tx: Tx) -> dict:
        leased = tx.x(
            "SELECT id, task, gate, lane, leased_by, lease_seconds, lease_expires, attempts, updated_at "
            "FROM jobs WHERE status = 'leased' ORDER BY id"
        ).all()
        queued = dict(tx.x("SELECT lane, COUNT(*) FROM jobs WHERE status = 'queued' GROUP BY lane").all())
        beats = {
            (r[0], r[1]): r[2]
            for r in tx.x("SELECT job, fence, heartbeat_at FROM leases WHERE outcome = 'active'").all()
        }
        fences = {r[0]: r[1] for r in tx.x("SELECT id, fence FROM jobs WHERE status = 'leased'").all()}
        done = dict(
            tx.x("SELECT leased_by, COUNT(*) FROM jobs WHERE status = 'done' GROUP BY leased_by").all()
        )
        return {
            "leased": [tuple(r) for r in leased],
            "queued": queued,
            "beats": beats,
            "fences": fences,
            "done": done,
        }

    return ctx.store.read(fn)


def gate_counts(ctx: Ctx) -> dict:
    """Live counts per workflow and tier: {jobs: {(workflow, tier, gate, status): n}, pending: {(workflow, tier,
    gate): n}, tasks: {(workflow, tier, status): n}}."""

    def fn(tx: Tx) -> dict:
        jobs = tx.x(
            "SELECT t.workflow, t.tier, j.gate, j.status, COUNT(*) FROM jobs j JOIN tasks t ON t.key = j.task "
            "WHERE j.status IN ('queued', 'leased') GROUP BY t.workflow, t.tier, j.gate, j.status"
        ).all()
        appr = tx.x(
            "SELECT t.workflow, t.tier, a.subject, COUNT(*) FROM approvals a JOIN tasks t ON t.key = a.task "
            "WHERE a.status = 'pending' GROUP BY t.workflow, t.tier, a.subject"
        ).all()
        tasks = tx.x(
            "SELECT workflow, tier, status, COUNT(*) FROM tasks GROUP BY workflow, tier, status"
        ).all()
        return {
            "jobs": {(w, t, g, s): int(n) for w, t, g, s, n in jobs},
            "pending": {(w, t, g): int(n) for w, t, g, n in appr},
            "tasks": {(w, t, s): int(n) for w, t, s, n in tasks},
        }

    return ctx.store.read(fn)
