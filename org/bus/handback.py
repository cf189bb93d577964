"""Handing a leased job back: `release` (back to the queue, e.g. a worker stopping or its provider out)
and `fail` (parked as dead with the reason, its task escalated to a human, e.g. an agent that could
not produce usable output); and `work_result`, the latest submitted result of a task's work."""

from __future__ import annotations

import json

from org.bus.context import Ctx, task_key
from org.bus.driver import apply
from org.bus.jobs import job_id, job_row, refuse
from org.bus.payloads import JobAnswer, JobEnded
from org.bus.store import Tx
from org.engine.state import Event
from org.errors import NotFound

__all__ = ["release", "fail", "work_result", "work_result_in"]


def _held(ctx: Ctx, tx: Tx, jid: int, token: str, what: str) -> dict:
    j = job_row(tx, jid)
    if j is None:
        raise NotFound(f"no job {jid}")
    if j["task"]:
        ctx.task_row(tx, j["task"], lock=True)  # lock order: tasks, then jobs
    j = job_row(tx, jid, lock=True)
    if j is None or j["status"] != "leased" or j["token"] != token:
        refuse(tx, jid, token, what)
    return j


def _end_lease(ctx: Ctx, tx: Tx, j: dict, jid: int, row, outcome: str, decision: str, reason: str):
    """Close the holder's lease as `outcome` and record job.<outcome> under the task's pinned policy
    (returned; the current one for a plain job)."""
    tx.x(
        "UPDATE leases SET outcome = :o, ended_at = :t WHERE job = :j AND fence = :f",
        {"o": outcome, "t": tx.now, "j": jid, "f": j["fence"]},
    )
    pcfg = ctx.pinned(tx, row.config_hash) if row is not None else ctx.current
    _lane, fam = ctx.actor_info(pcfg, j["leased_by"])
    ctx.record(
        tx,
        f"job.{outcome}",
        task=j["task"],
        actor=j["leased_by"],
        lane=j["lane"],
        family=fam,
        gate=j["gate"],
        decision=decision,
        config_hash=pcfg.config_hash if pcfg else None,
        job=jid,
        data=JobEnded(reason=reason, fence=j["fence"]),
    )
    return pcfg


def release(ctx: Ctx, job: int | str, token: str, *, reason: str) -> dict:
    """Give a leased job back to the queue now, with a new fence; the holder's token stops working."""
    jid = job_id(job)

    def fn(tx: Tx) -> dict:
        j = _held(ctx, tx, jid, token, "release")
        tx.x(
            "UPDATE jobs SET status = 'queued', fence = fence + 1, token = NULL, leased_by = NULL, lease_expires = NULL, "
            "reason = :r, updated_at = :t WHERE id = :j",
            {"r": ctx.redactor.text(reason), "t": tx.now, "j": jid},
        )
        row = ctx.task_row(tx, j["task"]) if j["task"] else None
        _end_lease(ctx, tx, j, jid, row, "released", "release", reason)
        tx.wake(j["lane"])
        return dict(JobAnswer(job=jid, status="queued"))  # the status checked against JobStatus

    return ctx.write(fn)


def fail(ctx: Ctx, job: int | str, token: str, *, reason: str) -> dict:
    """The holder cannot do this job: park it as dead and escalate its task to a human, saying why."""
    jid = job_id(job)

    def fn(tx: Tx) -> dict:
        j = _held(ctx, tx, jid, token, "failure report")
        tx.x(
            "UPDATE jobs SET status = 'dead', token = NULL, lease_expires = NULL, reason = :r, updated_at = :t "
            "WHERE id = :j",
            {"r": ctx.redactor.text(reason), "t": tx.now, "j": jid},
        )
        row = ctx.task_row(tx, j["task"]) if j["task"] else None
        pcfg = _end_lease(ctx, tx, j, jid, row, "failed", "fail", reason)
        escalated = False
        if row is not None and row.status == "active":
            st = ctx.state(tx, row)
            ev = Event(
                "task.escalated",
                row.key,
                {
                    "kind": "job_failed",
                    "gate": j["gate"],
                    "jobs": [jid],
                    "reason": f"{j['leased_by']} could not do '{j['gate']}': {reason}",
                },
                None,
            )
            apply(ctx, tx, pcfg, row, st, [ev])
            escalated = True
        return dict(JobAnswer(job=jid, status="dead", escalated=escalated))

    return ctx.write(fn)


def work_result(ctx: Ctx, task: str, *, gate: str | None = None, revision: str | None = None) -> dict | None:
    """The latest accepted work submission of a task (at `gate`, or that produced `revision`):
    {job, gate, actor, verdict, note, content, findings, revision}; None when there is none."""
    key = task_key(task)
    return ctx.store.read(lambda tx: work_result_in(tx, key, gate=gate, revision=revision))


def work_result_in(tx: Tx, key: str, *, gate: str | None = None, revision: str | None = None) -> dict | None:
    """work_result inside a transaction the caller holds (`key`: the task's key)."""
    sql = (
        "SELECT id, gate, leased_by, verdict, result FROM jobs WHERE task = :k AND kind = 'work' AND status = 'done'"
        + (" AND gate = :g" if gate else "")
        + " ORDER BY id DESC"
    )
    for jid, g, who, verdict, result in tx.x(sql, {"k": key, "g": gate}).all():
        r = json.loads(result or "{}")
        rev = (r.get("outcome") or {}).get("revision")
        if revision is not None and rev != revision:
            continue
        return {
            "job": jid,
            "gate": g,
            "actor": who,
            "verdict": verdict,
            "note": r.get("note", ""),
            "content": r.get("content", ""),
            "findings": r.get("findings", []),
            "revision": rev,
        }
    return None
