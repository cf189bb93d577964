"""Submissions: a fenced compare-and-swap that closes the job and drives the engine on the task's pinned
policy (flow.submit), in one transaction per call; submit_many closes many leased jobs at once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from org.bus.claims import Claim, claim_step
from org.bus.context import AfterCommit, Ctx
from org.bus.driver import apply
from org.bus.jobs import job_id, job_rows, refuse
from org.bus.payloads import JobEnded, JobSubmitted
from org.bus.repofacts import checked_revision
from org.bus.store import Tx
from org.bus.switches import check_not_paused, switches_ahead
from org.bus.tx import prepared
from org.config.loader import OrgConfig
from org.engine import flow
from org.errors import Conflict, Denied, NotFound, OrgError, Paused, UsageError

__all__ = ["submit", "submit_many", "submit_then_claim", "VERDICTS", "MAX_CONTENT"]

VERDICTS = {
    "work": ("pass", "fail"),
    "review": ("pass", "fail", "changes"),
    "approval": ("approve", "reject"),
    "plain": ("pass", "fail", "changes", "approve", "reject"),
}
MAX_CONTENT = 64 * 1024  # bytes of submitted content kept with the job (the hash covers all of it)
_EMPTY_RESULT = json.dumps({"note": "", "findings": [], "outcome": {}}, sort_keys=True)


def submit(
    ctx: Ctx,
    cfg: OrgConfig | None,
    job: int | str,
    token: str,
    verdict: str,
    *,
    note: str = "",
    content: str = "",
    revision: str | None = None,
    findings: list[dict] | None = None,
) -> dict:
    res = submit_many(
        ctx,
        cfg,
        [
            {
                "job": job,
                "token": token,
                "verdict": verdict,
                "note": note,
                "content": content,
                "revision": revision,
                "findings": findings,
            }
        ],
        raise_errors=True,
    )
    return res[0]


def submit_many(
    ctx: Ctx, cfg: OrgConfig | None, items: Sequence[dict], *, raise_errors: bool = False
) -> list[dict]:
    """Submit several leased jobs in one transaction. Each item: job, token, verdict (+note, content,
    revision, findings). Returns one result per item; a refused item ({"ok": False, ...}) changes nothing."""
    return ctx.write(_submit_step(ctx, cfg, items, raise_errors=raise_errors), batched=True)


def submit_then_claim(
    ctx: Ctx,
    cfg: OrgConfig | None,
    items: Sequence[dict],
    lane: str,
    actor: str,
    *,
    n: int,
    lease_seconds: float = 300.0,
) -> tuple[list[dict], list[Claim]]:
    """A worker's step: submit what it finished (as submit_many) and claim up to n more of `lane` (as claim) in
    one transaction: one commit, and on PostgreSQL one round trip for both steps' reads and one for the writes
    and the commit. Nothing to claim is an empty list (the submissions still commit); a pause that stops the
    claim is raised (Paused) once the submissions are committed, their results in its detail ("submitted")."""
    submit = _submit_step(ctx, cfg, items, raise_errors=False)
    claim, ahead = claim_step(ctx, cfg, lane, actor, lease_seconds=lease_seconds, n=n)

    def fn(tx: Tx):
        ahead(tx)  # the claim's reads go out with the submission's locks
        out = submit(tx)
        try:
            return out, claim(tx)
        except NotFound:
            return out, []
        except Paused as exc:
            exc.detail["submitted"] = out
            return AfterCommit(exc)

    return ctx.write(fn, batched=True)


def _submit_step(ctx: Ctx, cfg: OrgConfig | None, items: Sequence[dict], *, raise_errors: bool):
    """What submit_many runs in its transaction (the items checked first: UsageError)."""
    prepared = []
    for it in items:
        v = str(it.get("verdict") or "").strip().lower()
        if v not in VERDICTS["plain"]:
            raise UsageError(
                f"--verdict is pass, fail, changes, approve or reject, not '{it.get('verdict')}'"
            )
        prepared.append({**it, "job": job_id(it["job"]), "verdict": v})

    def fn(tx: Tx):
        ids = sorted({it["job"] for it in prepared})
        if tx.pg:  # lock order: tasks, then jobs; with the switches' reads, one round trip (ADR 0245)
            tx.send(_LOCK_TASKS_OF_JOBS, {"ids": ids})
            switches_ahead(tx)
            jobs = job_rows(tx, ids, lock=True)
        else:  # SQLite: the write lock is held already
            jobs = job_rows(tx, ids)
            for t in sorted({j["task"] for j in jobs.values() if j["task"]}):
                ctx.task_row(tx, t)
        plain = _PlainBatch()
        paused: dict[tuple, Exception | None] = {}
        out: list[dict] = []
        later: Exception | None = None
        for it in prepared:
            try:
                out.append(_submit_one(ctx, tx, cfg, it, jobs, plain, paused))
            except _Release as rel:
                later = later or rel.error
                out.append(
                    {"ok": False, "job": it["job"], "error": rel.error.kind, "message": rel.error.message}
                )
            except (Conflict, NotFound, Paused, UsageError, Denied) as exc:
                if raise_errors:
                    raise
                out.append({"ok": False, "job": it["job"], "error": exc.kind, "message": exc.message})
        plain.flush(tx)
        plain.record(ctx, tx)
        if later is not None and raise_errors:
            return AfterCommit(later)
        return out

    return fn


_LOCK_TASKS_OF_JOBS = prepared(
    "SELECT key FROM tasks WHERE key IN (SELECT task FROM jobs WHERE id = ANY(:ids::bigint[])) ORDER BY key "
    "FOR UPDATE"
)


class _PlainBatch:
    """Closing plain jobs in bulk (one executemany each for jobs and leases)."""

    def __init__(self) -> None:
        self.jobs: list[dict] = []
        self.leases: list[dict] = []
        self.events: list[tuple[tuple, int, int]] = []  # ((actor, lane, family, verdict, hash), job, fence)

    def event(self, ctx: Ctx, tx: Tx, key: tuple, job: int, fence: int) -> None:
        """A plain job's job.submitted event (no note, no content), queued with its run of alike ones."""
        if self.events and self.events[-1][0] != key:
            self.record(ctx, tx)
        self.events.append((key, job, fence))

    def record(self, ctx: Ctx, tx: Tx) -> None:
        """Queue the events waiting here, in order (before any other event of the transaction is queued)."""
        if not self.events:
            return
        (actor, lane, family, verdict, chash), _, _ = self.events[0]
        ctx.record_batch(
            tx,
            "job.submitted",
            [(job, {"fence": fence}) for _, job, fence in self.events],
            data={"note": "", "content_sha256": None},
            actor=actor,
            lane=lane,
            family=family,
            decision=verdict,
            config_hash=chash,
        )
        self.events.clear()

    def flush(self, tx: Tx) -> None:
        if not self.jobs:
            return
        now = self.jobs[0]["t"]
        tx.update_many(
            "jobs",
            "id",
            ("verdict", "result"),
            [(x["j"], x["v"], x["r"]) for x in self.jobs],
            fixed={"status": "done", "updated_at": now},
            pg_types=("bigint", "text", "text"),
        )
        tx.update_many(
            "leases",
            "job",
            (),
            [(x["j"], x["f"]) for x in self.leases],
            match=("fence",),
            fixed={"outcome": "submitted", "ended_at": now},
            pg_types=("bigint", "bigint"),
        )


def _not_paused(tx: Tx, cfg: OrgConfig | None, cache: dict, **who: Any) -> None:
    key = (id(cfg), *sorted(who.items()))
    if key not in cache:
        try:
            check_not_paused(tx, cfg, **who)
            cache[key] = None
        except Paused as exc:
            cache[key] = exc
    if cache[key] is not None:
        raise cache[key]


class _Release(Exception):
    def __init__(self, error: OrgError) -> None:
        self.error = error


def _submit_one(
    ctx: Ctx, tx: Tx, cfg: OrgConfig | None, it: dict, jobs: dict[int, dict], plain: _PlainBatch, paused: dict
) -> dict:
    jid, token, verdict = it["job"], str(it["token"]), it["verdict"]
    j = jobs.get(jid)
    if j is None:
        raise NotFound(f"no job {jid}")
    if j["status"] == "done" and j["token"] == token:
        if j["verdict"] != verdict:
            raise Conflict(f"job {jid} was already submitted with verdict {j['verdict']}", job=jid)
        return {
            "ok": True,
            "job": jid,
            "task": j["task"],
            "gate": j["gate"],
            "verdict": verdict,
            "replayed": True,
            **json.loads(j["result"] or "{}").get("outcome", {}),
        }
    if j["status"] != "leased" or j["token"] != token:
        refuse(tx, jid, token, "submission")
    kind = j["kind"]
    if verdict not in VERDICTS.get(kind, VERDICTS["plain"]):
        raise UsageError(f"a {kind} job takes --verdict {' or '.join(VERDICTS[kind])}, not '{verdict}'")
    actor = j["leased_by"]
    note = it.get("note") or ""
    content = it.get("content") or ""
    red = ctx.redactor
    digest = hashlib.sha256(content.encode()).hexdigest() if content else None
    findings = it.get("findings") or []
    try:  # stored and handed to the next agent as JSON: no NaN or infinity
        json.dumps(findings, allow_nan=False, default=str)
    except ValueError:
        raise UsageError("findings are JSON objects with finite numbers") from None
    result: dict[str, Any] = {
        "note": red.text(note) if note else "",
        "findings": red.value(findings),
    }
    if content:
        kept = content.encode()[:MAX_CONTENT].decode(errors="ignore")
        result.update(
            content=red.text(kept),
            content_sha256=digest,
            content_bytes=len(content.encode()),
            content_truncated=len(content.encode()) > MAX_CONTENT,
        )
    if not j["task"]:
        _not_paused(tx, cfg, paused, actor=actor, lane=j["lane"])
        res = (
            _EMPTY_RESULT
            if result == {"note": "", "findings": []}
            else json.dumps({**result, "outcome": {}}, sort_keys=True)
        )
        plain.jobs.append({"v": verdict, "r": res, "t": tx.now, "j": jid})
        plain.leases.append({"t": tx.now, "j": jid, "f": j["fence"]})
        j.update(status="done", verdict=verdict)
        ln, fam = ctx.actor_info(cfg, actor)
        if not note and digest is None:
            key = (actor, j["lane"], fam, verdict, cfg.config_hash if cfg else None)
            plain.event(ctx, tx, key, jid, int(j["fence"]))
            return {"ok": True, "job": jid, "task": None, "gate": None, "verdict": verdict, "replayed": False}
        plain.record(ctx, tx)
        ctx.record(
            tx,
            "job.submitted",
            actor=actor,
            lane=j["lane"],
            family=fam,
            decision=verdict,
            job=jid,
            config_hash=cfg.config_hash if cfg else None,
            data=JobSubmitted(fence=j["fence"], note=note, content_sha256=digest),
            trusted=not note,
        )
        return {"ok": True, "job": jid, "task": None, "gate": None, "verdict": verdict, "replayed": False}
    plain.record(ctx, tx)  # the plain jobs' events before this task's, in the items' order
    row = ctx.task_row(tx, j["task"])
    pcfg = ctx.pinned(tx, row.config_hash)
    _not_paused(tx, pcfg, paused, actor=actor, lane=j["lane"], task=row.key)
    if cfg is not None and cfg.config_hash != pcfg.config_hash:
        _not_paused(tx, cfg, paused, actor=actor)  # vendor switches by today's model strings too
    st = ctx.state(tx, row)
    paths = None
    if kind == "work" and verdict == "pass" and row.attributes.get("repo"):
        checked = checked_revision(tx, row.key, jid, it.get("revision"))  # ADR 0091: revisions are commits
        it = {**it, "revision": checked["commit"]}
        paths = list(checked.get("paths") or [])  # re-classify the tier by what the commit changes (ADR 0135)
    try:
        evs = flow.submit(
            pcfg,
            st,
            actor,
            j["gate"],
            verdict,
            revision=it.get("revision"),
            note=note,
            content=content,
            findings=it.get("findings"),
            extra_check=ctx.extra_check,
            paths=paths,
        )
    except Denied as exc:
        rule = exc.detail.get("rule")
        _release(ctx, tx, j, pcfg, f"refused at submission: {exc.message}", str(rule) if rule else None)
        raise _Release(exc)
    ln, fam = ctx.actor_info(pcfg, actor)
    ctx.record(
        tx,
        "job.submitted",
        task=row.key,
        actor=actor,
        lane=j["lane"],
        family=fam,
        gate=j["gate"],
        decision=verdict,
        config_hash=pcfg.config_hash,
        job=jid,
        data=JobSubmitted(
            fence=j["fence"], revision=it.get("revision") or st.revision, content_sha256=digest
        ),
    )
    st2 = apply(ctx, tx, pcfg, row, st, evs, job=jid)
    outcome = {
        "task_status": st2.status,
        "revision": st2.revision,
        "events": [e.type for e in evs],
        "ready": st2.ready_gates(),
    }
    _finish_job(ctx, tx, j, verdict, result, outcome)
    j.update(status="done", verdict=verdict)
    return {
        "ok": True,
        "job": jid,
        "task": row.key,
        "gate": j["gate"],
        "verdict": verdict,
        "replayed": False,
        **outcome,
    }


def _finish_job(ctx: Ctx, tx: Tx, j: dict, verdict: str, result: dict, outcome: dict) -> None:
    result = {**result, "outcome": outcome}
    tx.x(
        "UPDATE jobs SET status = 'done', verdict = :v, result = :r, updated_at = :t WHERE id = :j",
        {"v": verdict, "r": json.dumps(result, sort_keys=True), "t": tx.now, "j": j["id"]},
    )
    tx.x(
        "UPDATE leases SET outcome = 'submitted', ended_at = :t WHERE job = :j AND fence = :f",
        {"t": tx.now, "j": j["id"], "f": j["fence"]},
    )


def _release(ctx: Ctx, tx: Tx, j: dict, pcfg: OrgConfig | None, why: str, rule: str | None) -> None:
    """Give the job back to the queue (new fence) so an eligible actor can take it."""
    tx.x(
        "UPDATE jobs SET status = 'queued', fence = fence + 1, token = NULL, leased_by = NULL, lease_expires = NULL, "
        "reason = :r, updated_at = :t WHERE id = :j",
        {"r": why, "t": tx.now, "j": j["id"]},
    )
    tx.x(
        "UPDATE leases SET outcome = 'released', ended_at = :t WHERE job = :j AND fence = :f",
        {"t": tx.now, "j": j["id"], "f": j["fence"]},
    )
    ln, fam = ctx.actor_info(pcfg, j["leased_by"])
    ctx.record(
        tx,
        "job.released",
        task=j["task"],
        actor=j["leased_by"],
        lane=j["lane"],
        family=fam,
        gate=j["gate"],
        decision="deny",
        rules=[rule] if rule else [],
        config_hash=pcfg.config_hash if pcfg else None,
        job=j["id"],
        data=JobEnded(reason=why),
    )
    tx.wake(j["lane"])
