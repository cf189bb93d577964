"""Plain jobs: work outside any workflow with the same leases, fencing and audit (no engine step)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from org.bus.context import Ctx
from org.bus.jobs import job_id, job_row
from org.bus.payloads import JobAnswer
from org.bus.store import Tx
from org.bus.tx import prepared
from org.errors import Conflict, NotFound

__all__ = ["post_plain", "retry_job"]


def post_plain(
    ctx: Ctx,
    lane: str,
    payloads: Sequence[Any],
    *,
    priority: int = 0,
    max_attempts: int | None = None,
    by: str | None = None,
) -> list[int]:
    """Post jobs outside any workflow (same leases, fencing and audit; no engine step on submit)."""
    if not payloads:
        return []
    body = [json.dumps(ctx.redactor.value(p), sort_keys=True) for p in payloads]

    def fn(tx: Tx) -> list[int]:
        m = max_attempts or ctx.max_attempts
        if tx.pg:  # one array (the payloads) to bind, the rest constants of the statement
            got = tx.x(
                _POST_PG, {"lane": lane, "prio": priority, "m": m, "now": tx.now, "payloads": body}
            ).all()
        else:
            got = _insert(tx, lane, priority, m, body)
        ids = sorted(int(r[0]) for r in got)
        # one event per post: the ids as contiguous ranges
        ranges: list[list[int]] = []
        for jid in ids:
            if ranges and ranges[-1][1] == jid - 1:
                ranges[-1][1] = jid
            else:
                ranges.append([jid, jid])
        ctx.record(
            tx,
            "jobs.posted",
            actor=by,
            lane=lane,
            job=ids[0],
            data={"kind": "plain", "count": len(ids), "ranges": ranges},
            trusted=True,
        )
        tx.wake(lane)
        return ids

    return ctx.write(fn, batched=True)  # the insert and the commit: two round trips (ADR 0245)


_POST_PG = prepared(
    "INSERT INTO jobs (lane, kind, status, priority, round, slot, excluded, attempts, max_attempts, fence, "
    "lease_seconds, posted_at, updated_at, payload) SELECT :lane::text, 'plain', 'queued', :prio::int, 0, 0, '|', "
    "0, :m::int, 0, 0.0, :now::float8, :now::float8, p FROM unnest(:payloads::text[]) AS p RETURNING id"
)


def _insert(tx: Tx, lane: str, priority: int, m: int, body: list[str]) -> list:
    """SQLite: the plain jobs' rows in one executemany."""
    return tx.insert_many(
        "jobs",
        (
            "lane",
            "kind",
            "status",
            "priority",
            "round",
            "slot",
            "excluded",
            "attempts",
            "max_attempts",
            "fence",
            "lease_seconds",
            "posted_at",
            "updated_at",
            "payload",
        ),
        [(lane, "plain", "queued", priority, 0, 0, "|", 0, m, 0, 0.0, tx.now, tx.now, p) for p in body],
        returning="id",
    )


def retry_job(ctx: Ctx, job: int | str, *, by: str) -> dict:
    """Requeue a dead plain job (a dead gate job is retried by resuming its escalated task)."""
    jid = job_id(job)

    def fn(tx: Tx) -> dict:
        j = job_row(tx, jid, lock=True)
        if j is None:
            raise NotFound(f"no job {jid}")
        if j["status"] != "dead":
            raise Conflict(f"job {jid} is {j['status']}, not dead")
        if j["task"]:
            raise Conflict(
                f"job {jid} belongs to {j['task']}: resume the escalated task with 'org approve {j['task']}'"
            )
        tx.x(
            "UPDATE jobs SET status = 'queued', attempts = 0, reason = :r, updated_at = :t WHERE id = :j",
            {"r": f"retried by {by}", "t": tx.now, "j": jid},
        )
        tx.x(
            "UPDATE approvals SET status = 'granted', decided_by = :b, decided_at = :t WHERE job = :j AND status = 'pending'",
            {"b": by, "t": tx.now, "j": jid},
        )
        ctx.record(tx, "job.retried", actor=by, lane=j["lane"], job=jid, decision="retry", data={})
        tx.wake(j["lane"])
        return dict(JobAnswer(job=jid, status="queued"))

    return ctx.write(fn)
