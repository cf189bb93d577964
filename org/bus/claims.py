"""Claims, leases and submissions: the compare-and-swap that hands a job to exactly one eligible actor,
heartbeats, fenced submissions that drive the engine, and the sweeper for expired leases.

A claim picks queued jobs of the lane (SQLite: inside BEGIN IMMEDIATE; PostgreSQL: FOR UPDATE SKIP
LOCKED), keeps only those the engine says the actor may take (flow.eligibility on the task's folded
state under its pinned policy) and no switch pauses, then sets status=leased, fence=fence+1 and a fresh
token "<fence>-<nonce>". A submission is accepted only while the job is leased under that exact token;
anything else is a Conflict (exit 5) and changes nothing. A lease stays valid until the sweeper or a
claim's opportunistic sweep requeues it after expiry (the fence then moves on); after max_attempts
expiries the job is parked as dead and its task escalated to a human.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from org.bus.audit import iso
from org.bus.context import AfterCommit, Ctx, TaskRow
from org.bus.driver import apply
from org.bus.store import Tx
from org.bus.switches import check_not_paused
from org.config.loader import OrgConfig
from org.engine import flow
from org.engine.state import Event
from org.errors import Conflict, Denied, NotFound, Paused, UsageError

__all__ = ["Claim", "claim", "heartbeat", "submit", "submit_many", "sweep", "post_plain", "retry_job", "VERDICTS",
           "MAX_CONTENT"]

VERDICTS = {"work": ("pass", "fail"), "review": ("pass", "fail", "changes"), "approval": ("approve", "reject"),
            "plain": ("pass", "fail", "changes", "approve", "reject")}
MAX_CONTENT = 64 * 1024  # bytes of submitted content kept with the job (the hash covers all of it)
_JOB_COLS = ("id, task, gate, lane, kind, status, priority, round, slot, revision, excluded, attempts, max_attempts, "
             "fence, token, leased_by, lease_seconds, lease_expires, verdict, result, payload, reason")


@dataclass
class Claim:
    """A leased job: submit with `token` before `lease_expires` (or heartbeat to extend)."""

    job: int
    token: str
    fence: int
    lane: str
    kind: str
    actor: str
    lease_expires: float
    lease_seconds: float
    attempts: int
    task: str | None = None
    gate: str | None = None
    round: int = 0
    revision: str | None = None
    title: str | None = None
    workflow: str | None = None
    tier: str | None = None
    attributes: dict = field(default_factory=dict)
    payload: Any = None
    config_hash: str | None = None

    def to_json(self) -> dict:
        d = asdict(self)
        d["lease_expires_at"] = iso(self.lease_expires)
        return d


def _job(tx: Tx, job: int, *, lock: bool = False) -> dict | None:
    r = tx.x(f"SELECT {_JOB_COLS} FROM jobs WHERE id = :j" + (" FOR UPDATE" if lock and tx.pg else ""),
             {"j": int(job)}).one_or_none()
    if r is None:
        return None
    return dict(zip([c.strip() for c in _JOB_COLS.split(",")], r, strict=True))


def job_id(ref: str | int) -> int:
    s = str(ref).strip()
    if s.upper().startswith("J-"):
        s = s[2:]
    elif s.upper().startswith("J"):
        s = s[1:]
    if not s.isdigit():
        raise NotFound(f"no job '{ref}' (job ids are numbers)")
    return int(s)


# -- claim -----------------------------------------------------------------------------------------
def claim(ctx: Ctx, cfg: OrgConfig | None, lane: str, actor: str, *, lease_seconds: float = 300.0,
          n: int = 1, mint: Callable[[Tx, list[Claim]], None] | None = None) -> list[Claim]:
    """Lease up to n jobs of `lane` that `actor` may take. Raises NotFound (nothing eligible), Paused.
    `mint(tx, claims)`, when given, runs inside the claim's transaction (the identity layer mints job tokens)."""
    if not 0.1 <= lease_seconds <= 7 * 86400:
        raise UsageError("--lease is between 0.1 seconds and 7 days")
    if cfg is not None:
        if lane not in cfg.lanes:
            raise NotFound(f"no lane '{lane}' (lanes: {', '.join(sorted(cfg.lanes))})")
        a = cfg.actors.get(actor)
        if a is None:
            raise NotFound(f"no actor '{actor}' in this org")
        if a.lane != lane:
            raise Denied(f"{actor} is a member of the {a.lane} lane, not {lane}", rule="ORG-WRONG-LANE")

    def fn(tx: Tx) -> list[Claim]:
        _sweep_expired(ctx, tx, lane=lane, limit=50)
        check_not_paused(tx, cfg, actor=actor, lane=lane)
        got = _claim(ctx, tx, cfg, lane, actor, lease_seconds, n)
        if mint is not None:
            mint(tx, got)
        return got

    return ctx.write(fn)


def _claim(ctx: Ctx, tx: Tx, cfg: OrgConfig | None, lane: str, actor: str, lease_s: float, n: int) -> list[Claim]:
    fam = None
    if cfg is not None and actor in cfg.actors:
        a = cfg.actors[actor]
        fam = "human" if a.is_human else (a.family or "")
    find = "strpos" if tx.pg else "instr"
    sql = (f"SELECT {_JOB_COLS} FROM jobs WHERE lane = :lane AND status = 'queued' "
           f"AND {find}(excluded, :xa) = 0 AND {find}(excluded, :xf) = 0 "
           "AND (task IS NULL OR task NOT IN (SELECT target FROM switches WHERE active = :t AND scope = 'task')) "
           "AND (priority < :p OR (priority = :p AND id > :i)) ORDER BY priority DESC, id LIMIT :k"
           + (" FOR UPDATE SKIP LOCKED" if tx.pg else ""))
    cols = [c.strip() for c in _JOB_COLS.split(",")]
    page = max(16, n * 2)
    params = {"lane": lane, "xa": f"|a:{actor}|", "xf": f"|f:{fam}|" if fam else "|f:\x00|", "t": True,
              "p": 1 << 62, "i": 0, "k": page}
    got: list[dict] = []
    skipped: dict[str, int] = {}
    rows_seen: dict[str, tuple[TaskRow, Any, Any]] = {}
    taken: set[tuple[str, str]] = set()
    while len(got) < n:
        rows = [dict(zip(cols, r, strict=True)) for r in tx.x(sql, params).all()]
        if not rows:
            break
        for j in rows:
            why = _ineligible(ctx, tx, j, actor, rows_seen, taken)
            if why:
                skipped[why] = skipped.get(why, 0) + 1
                continue
            got.append(j)
            if j["task"]:
                taken.add((j["task"], j["gate"]))
            if len(got) >= n:
                break
        last = rows[-1]
        params.update(p=last["priority"], i=last["id"])
        if len(rows) < page:
            break
    if not got:
        paused = tx.x("SELECT COUNT(*) FROM jobs WHERE lane = :l AND status = 'queued' AND task IN "
                      "(SELECT target FROM switches WHERE active = :t AND scope = 'task')", {"l": lane, "t": True}).scalar()
        if paused:
            raise Paused(f"the {lane} lane's queued jobs belong to paused tasks ({paused}); retry after 'org resume'")
        for (x,) in tx.x(f"SELECT excluded FROM jobs WHERE lane = :lane AND status = 'queued' "
                         f"AND ({find}(excluded, :xa) > 0 OR {find}(excluded, :xf) > 0)", params).all():
            why = "ORG-SEPARATION-OF-DUTIES" if params["xa"] in x else "ORG-CROSS-VENDOR"
            skipped[why] = skipped.get(why, 0) + 1
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(skipped.items()))
        raise NotFound(f"nothing to claim for {actor} in the {lane} lane" + (f" (skipped {detail})" if detail else ""),
                       skipped=skipped)
    claims: list[Claim] = []
    exp = tx.now + lease_s
    upd, leases = [], []
    for j in got:
        fence = int(j["fence"]) + 1
        token = f"{fence}-{secrets.token_hex(12)}"
        upd.append({"id": j["id"], "f": fence, "tok": token, "a": actor, "ls": lease_s, "e": exp, "t": tx.now})
        leases.append({"j": j["id"], "f": fence, "a": actor, "g": tx.now, "e": exp})
        info = rows_seen.get(j["task"]) if j["task"] else None
        row = info[0] if info else None
        claims.append(Claim(j["id"], token, fence, lane, j["kind"], actor, exp, lease_s, int(j["attempts"]) + 1,
                            j["task"], j["gate"], int(j["round"]), (info[2].revision if info else j["revision"]),
                            row.title if row else None, row.workflow if row else None, row.tier if row else None,
                            dict(row.attributes) if row else {}, json.loads(j["payload"]) if j["payload"] else None,
                            row.config_hash if row else None))
    tx.x("UPDATE jobs SET status = 'leased', fence = :f, token = :tok, leased_by = :a, lease_seconds = :ls, "
         "lease_expires = :e, attempts = attempts + 1, updated_at = :t WHERE id = :id AND status = 'queued'", upd)
    tx.x("INSERT INTO leases(job, fence, actor, granted_at, expires_at, outcome) VALUES (:j, :f, :a, :g, :e, 'active')",
         leases)
    for c in claims:
        info = rows_seen.get(c.task) if c.task else None
        pcfg = info[1] if info else cfg
        ln, fam_ = ctx.actor_info(pcfg, actor)
        ctx.record(tx, "job.claimed", task=c.task, actor=actor, lane=lane, family=fam_, gate=c.gate, decision="lease",
                   config_hash=pcfg.config_hash if pcfg else None, job=c.job,
                   data={"fence": c.fence, "lease_seconds": lease_s, "expires": iso(exp), "attempt": c.attempts})
    return claims


def _ineligible(ctx: Ctx, tx: Tx, j: dict, actor: str, seen: dict, taken: set) -> str | None:
    """Why the engine would not give this job to the actor now (None: eligible)."""
    if not j["task"]:
        return None
    info = seen.get(j["task"])
    if info is None:
        row = ctx.task_row(tx, j["task"])
        pcfg = ctx.pinned(tx, row.config_hash)
        info = (row, pcfg, ctx.state(tx, row))
        seen[j["task"]] = info
    row, pcfg, st = info
    el = flow.eligibility(pcfg, st, actor, j["gate"])
    if not el:
        return el.rule or "ORG-INELIGIBLE"
    if j["kind"] in ("review", "approval"):
        if (j["task"], j["gate"]) in taken:
            return "ORG-ONE-REVIEW-EACH"
        if tx.x("SELECT 1 FROM jobs WHERE task = :t AND gate = :g AND status = 'leased' AND leased_by = :a",
                {"t": j["task"], "g": j["gate"], "a": actor}).first() is not None:
            return "ORG-ONE-REVIEW-EACH"
    return None


# -- heartbeat -------------------------------------------------------------------------------------
def heartbeat(ctx: Ctx, job: int | str, token: str, *, lease_seconds: float | None = None) -> dict:
    jid = job_id(job)
    if lease_seconds is not None and not 0.1 <= lease_seconds <= 7 * 86400:
        raise UsageError("--lease is between 0.1 seconds and 7 days")

    def fn(tx: Tx) -> dict:
        r = tx.x("UPDATE jobs SET lease_expires = :now + COALESCE(:ls, lease_seconds), "
                 "lease_seconds = COALESCE(:ls, lease_seconds), updated_at = :now "
                 "WHERE id = :j AND status = 'leased' AND token = :tok RETURNING lease_expires, fence",
                 {"now": tx.now, "ls": lease_seconds, "j": jid, "tok": token}).one_or_none()
        if r is None:
            _refuse(tx, jid, token, "heartbeat")
        tx.x("UPDATE leases SET heartbeat_at = :now, expires_at = :e WHERE job = :j AND fence = :f",
             {"now": tx.now, "e": r[0], "j": jid, "f": r[1]})
        return {"job": jid, "fence": int(r[1]), "lease_expires": float(r[0]), "lease_expires_at": iso(float(r[0]))}

    return ctx.store.write(fn)


def _refuse(tx: Tx, jid: int, token: str, what: str) -> None:
    j = _job(tx, jid)
    if j is None:
        raise NotFound(f"no job {jid}")
    if j["token"] != token:
        raise Conflict(f"stale token for job {jid}: the lease moved on (fence {j['fence']}, {j['status']}"
                       + (f" by {j['leased_by']}" if j["status"] == "leased" else "") + f"); your {what} was refused",
                       job=jid, status=j["status"], fence=j["fence"])
    raise Conflict(f"job {jid} is {j['status']}" + (f" ({j['reason']})" if j["reason"] else "")
                   + f"; your {what} was refused", job=jid, status=j["status"])


# -- submit ----------------------------------------------------------------------------------------
def submit(ctx: Ctx, cfg: OrgConfig | None, job: int | str, token: str, verdict: str, *, note: str = "",
           content: str = "", revision: str | None = None, findings: list[dict] | None = None) -> dict:
    res = submit_many(ctx, cfg, [{"job": job, "token": token, "verdict": verdict, "note": note, "content": content,
                                  "revision": revision, "findings": findings}], raise_errors=True)
    return res[0]


def submit_many(ctx: Ctx, cfg: OrgConfig | None, items: Sequence[dict], *, raise_errors: bool = False) -> list[dict]:
    """Submit several leased jobs in one transaction. Each item: job, token, verdict (+note, content,
    revision, findings). Returns one result per item; a refused item ({"ok": False, ...}) changes nothing."""
    prepared = []
    for it in items:
        v = str(it.get("verdict") or "").strip().lower()
        if v not in VERDICTS["plain"]:
            raise UsageError(f"--verdict is pass, fail, changes, approve or reject, not '{it.get('verdict')}'")
        prepared.append({**it, "job": job_id(it["job"]), "verdict": v})

    def fn(tx: Tx):
        jobs = {}
        for it in prepared:
            j = _job(tx, it["job"])
            if j is not None:
                jobs[it["job"]] = j
        for t in sorted({j["task"] for j in jobs.values() if j["task"]}):  # lock order: tasks, then jobs
            ctx.task_row(tx, t, lock=True)
        out: list[dict] = []
        later: Exception | None = None
        for it in prepared:
            try:
                out.append(_submit_one(ctx, tx, cfg, it))
            except _Release as rel:
                later = later or rel.error
                out.append({"ok": False, "job": it["job"], "error": rel.error.kind, "message": rel.error.message})
            except (Conflict, NotFound, Paused, UsageError, Denied) as exc:
                if raise_errors:
                    raise
                out.append({"ok": False, "job": it["job"], "error": exc.kind, "message": exc.message})
        if later is not None and raise_errors:
            return AfterCommit(later)
        return out

    return ctx.write(fn)


class _Release(Exception):
    def __init__(self, error: Exception) -> None:
        self.error = error


def _submit_one(ctx: Ctx, tx: Tx, cfg: OrgConfig | None, it: dict) -> dict:
    jid, token, verdict = it["job"], str(it["token"]), it["verdict"]
    j = _job(tx, jid, lock=True)
    if j is None:
        raise NotFound(f"no job {jid}")
    if j["status"] == "done" and j["token"] == token:
        if j["verdict"] != verdict:
            raise Conflict(f"job {jid} was already submitted with verdict {j['verdict']}", job=jid)
        return {"ok": True, "job": jid, "task": j["task"], "gate": j["gate"], "verdict": verdict, "replayed": True,
                **json.loads(j["result"] or "{}").get("outcome", {})}
    if j["status"] != "leased" or j["token"] != token:
        _refuse(tx, jid, token, "submission")
    kind = j["kind"]
    if verdict not in VERDICTS.get(kind, VERDICTS["plain"]):
        raise UsageError(f"a {kind} job takes --verdict {' or '.join(VERDICTS[kind])}, not '{verdict}'")
    actor = j["leased_by"]
    note = it.get("note") or ""
    content = it.get("content") or ""
    red = ctx.redactor
    digest = hashlib.sha256(content.encode()).hexdigest() if content else None
    result: dict[str, Any] = {"note": red.text(note) if note else "", "findings": red.value(it.get("findings") or [])}
    if content:
        kept = content.encode()[:MAX_CONTENT].decode(errors="ignore")
        result.update(content=red.text(kept), content_sha256=digest, content_bytes=len(content.encode()),
                      content_truncated=len(content.encode()) > MAX_CONTENT)
    if not j["task"]:
        check_not_paused(tx, cfg, actor=actor, lane=j["lane"])
        _finish_job(ctx, tx, j, verdict, result, {"status": None})
        ln, fam = ctx.actor_info(cfg, actor)
        ctx.record(tx, "job.submitted", actor=actor, lane=j["lane"], family=fam, decision=verdict, job=jid,
                   config_hash=cfg.config_hash if cfg else None,
                   data={"fence": j["fence"], "note": note, "content_sha256": digest})
        return {"ok": True, "job": jid, "task": None, "gate": None, "verdict": verdict, "replayed": False}
    row = ctx.task_row(tx, j["task"])
    pcfg = ctx.pinned(tx, row.config_hash)
    check_not_paused(tx, pcfg, actor=actor, lane=j["lane"], task=row.key)
    if cfg is not None and cfg.config_hash != pcfg.config_hash:
        check_not_paused(tx, cfg, actor=actor)  # vendor switches by today's model strings too
    st = ctx.state(tx, row)
    try:
        evs = flow.submit(pcfg, st, actor, j["gate"], verdict, revision=it.get("revision"), note=note,
                          content=content, findings=it.get("findings"), extra_check=ctx.extra_check)
    except Denied as exc:
        _release(ctx, tx, j, pcfg, f"refused at submission: {exc.message}", exc.detail.get("rule"))
        raise _Release(exc)
    ln, fam = ctx.actor_info(pcfg, actor)
    ctx.record(tx, "job.submitted", task=row.key, actor=actor, lane=j["lane"], family=fam, gate=j["gate"],
               decision=verdict, config_hash=pcfg.config_hash, job=jid,
               data={"fence": j["fence"], "revision": it.get("revision") or st.revision, "content_sha256": digest})
    st2 = apply(ctx, tx, pcfg, row, st, evs, job=jid)
    outcome = {"task_status": st2.status, "revision": st2.revision, "events": [e.type for e in evs],
               "ready": st2.ready_gates()}
    _finish_job(ctx, tx, j, verdict, result, outcome)
    return {"ok": True, "job": jid, "task": row.key, "gate": j["gate"], "verdict": verdict, "replayed": False, **outcome}


def _finish_job(ctx: Ctx, tx: Tx, j: dict, verdict: str, result: dict, outcome: dict) -> None:
    result = {**result, "outcome": outcome}
    tx.x("UPDATE jobs SET status = 'done', verdict = :v, result = :r, updated_at = :t WHERE id = :j",
         {"v": verdict, "r": json.dumps(result, sort_keys=True), "t": tx.now, "j": j["id"]})
    tx.x("UPDATE leases SET outcome = 'submitted', ended_at = :t WHERE job = :j AND fence = :f",
         {"t": tx.now, "j": j["id"], "f": j["fence"]})


def _release(ctx: Ctx, tx: Tx, j: dict, pcfg: OrgConfig | None, why: str, rule: str | None) -> None:
    """Give the job back to the queue (new fence) so an eligible actor can take it."""
    tx.x("UPDATE jobs SET status = 'queued', fence = fence + 1, token = NULL, leased_by = NULL, lease_expires = NULL, "
         "reason = :r, updated_at = :t WHERE id = :j", {"r": why, "t": tx.now, "j": j["id"]})
    tx.x("UPDATE leases SET outcome = 'released', ended_at = :t WHERE job = :j AND fence = :f",
         {"t": tx.now, "j": j["id"], "f": j["fence"]})
    ln, fam = ctx.actor_info(pcfg, j["leased_by"])
    ctx.record(tx, "job.released", task=j["task"], actor=j["leased_by"], lane=j["lane"], family=fam, gate=j["gate"],
               decision="deny", rules=[rule] if rule else [], config_hash=pcfg.config_hash if pcfg else None,
               job=j["id"], data={"reason": why})
    tx.wake(j["lane"])


# -- sweep -----------------------------------------------------------------------------------------
def sweep(ctx: Ctx, *, limit: int = 1000) -> dict:
    """Requeue expired leases (dead after max_attempts, escalating the task), escalate stalled and
    over-budget tasks. Safe to run from any number of processes at once."""

    def fn(tx: Tx) -> dict:
        rep = _sweep_expired(ctx, tx, lane=None, limit=limit)
        rep.update(_sweep_tasks(ctx, tx))
        return rep

    return ctx.write(fn)


def _sweep_expired(ctx: Ctx, tx: Tx, *, lane: str | None, limit: int) -> dict:
    rep: dict[str, list] = {"requeued": [], "dead": []}
    cond = "status = 'leased' AND lease_expires < :now" + (" AND lane = :lane" if lane else "")
    rows = tx.x(f"SELECT id, task FROM jobs WHERE {cond} ORDER BY id LIMIT :lim",
                {"now": tx.now, "lane": lane, "lim": limit}).all()
    if not rows:
        return rep
    tasks = sorted({r[1] for r in rows if r[1]})
    locked = {t: ctx.task_row(tx, t, lock=True) for t in tasks}  # lock order: tasks, then jobs
    dead_by_task: dict[str, list[dict]] = {}
    for jid, _task in rows:
        j = _job(tx, jid, lock=True)
        if j is None or j["status"] != "leased" or j["lease_expires"] is None or j["lease_expires"] >= tx.now:
            continue
        dead = int(j["attempts"]) >= int(j["max_attempts"])
        tx.x("UPDATE jobs SET status = :s, fence = fence + 1, token = NULL, leased_by = NULL, lease_expires = NULL, "
             "reason = :r, updated_at = :t WHERE id = :j",
             {"s": "dead" if dead else "queued", "t": tx.now, "j": jid,
              "r": (f"lease expired {j['attempts']} time(s) (max {j['max_attempts']}): parked as dead" if dead
                    else f"lease of {j['leased_by']} expired")})
        tx.x("UPDATE leases SET outcome = 'expired', ended_at = :t WHERE job = :j AND fence = :f",
             {"t": tx.now, "j": jid, "f": j["fence"]})
        pcfg = ctx.pinned(tx, locked[j["task"]].config_hash) if j["task"] else ctx.current
        ctx.record(tx, "job.dead" if dead else "job.requeued", task=j["task"], actor=None, lane=j["lane"],
                   gate=j["gate"], decision="dead" if dead else "requeue", job=jid,
                   config_hash=pcfg.config_hash if pcfg else None,
                   data={"holder": j["leased_by"], "fence": j["fence"], "attempts": j["attempts"],
                         "max_attempts": j["max_attempts"]})
        if dead:
            rep["dead"].append(jid)
            if j["task"]:
                dead_by_task.setdefault(j["task"], []).append(j)
            else:
                tx.x("INSERT INTO approvals(task, kind, subject, status, requested_at, reason, rules, job) "
                     "VALUES (NULL, 'escalation', :s, 'pending', :t, :why, '[]', :j)",
                     {"s": f"dead_job:{jid}", "t": tx.now, "j": jid,
                      "why": f"plain job {jid} in lane {j['lane']} expired {j['attempts']} time(s)"})
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
        ev = Event("task.escalated", t, {"kind": "dead_job", "gate": jobs[0]["gate"], "jobs": [j["id"] for j in jobs],
                                         "reason": f"job(s) at '{gates}' were leased {jobs[0]['attempts']} time(s) and "
                                                   "never submitted; parked as dead"}, None)
        apply(ctx, tx, pcfg, row, st, [ev])
    return rep


def _sweep_tasks(ctx: Ctx, tx: Tx) -> dict:
    """No progress for limits.no_progress_seconds, or spend over limits.budget_usd: escalate (engine decides)."""
    stalled, over = [], []
    rows = tx.x("SELECT key, config_hash, workflow, last_event_at FROM tasks WHERE status = 'active' ORDER BY id").all()
    spend = dict(tx.x("SELECT u.task, SUM(u.cost_usd) FROM usage u JOIN tasks t ON t.key = u.task "
                      "WHERE t.status = 'active' GROUP BY u.task").all())
    for key, chash, workflow, last in rows:
        limits = ctx.pinned(tx, chash).workflows[workflow].limits
        idle = tx.now - float(last)
        spent = float(spend.get(key) or 0.0)
        if idle <= limits.no_progress_seconds and (limits.budget_usd is None or spent <= limits.budget_usd):
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
            evs = flow.escalate_if_over_budget(pcfg, st, spent)
            if evs:
                over.append(key)
        if evs:
            apply(ctx, tx, pcfg, row, st, evs)
    return {"stalled": stalled, "over_budget": over}


def _waits_on_humans(cfg: OrgConfig, st) -> bool:
    """A task whose only ready gates belong to human lanes waits on people, not machines: not stalled."""
    ready = st.ready_gates()
    wf = cfg.workflows[st.workflow]
    return bool(ready) and all(cfg.lanes.get(wf.gates[g].lane) is not None and cfg.lanes[wf.gates[g].lane].kind == "human"
                               for g in ready)


# -- plain jobs ------------------------------------------------------------------------------------
def post_plain(ctx: Ctx, lane: str, payloads: Sequence[Any], *, priority: int = 0,
               max_attempts: int | None = None, by: str | None = None) -> list[int]:
    """Post jobs outside any workflow (same leases, fencing and audit; no engine step on submit)."""
    if not payloads:
        return []
    body = [json.dumps(ctx.redactor.value(p), sort_keys=True) for p in payloads]

    def fn(tx: Tx) -> list[int]:
        ids = []
        for p in body:
            jid = tx.x("INSERT INTO jobs(task, gate, lane, kind, status, priority, round, slot, excluded, attempts, "
                       "max_attempts, fence, lease_seconds, posted_at, updated_at, payload) VALUES (NULL, NULL, :l, 'plain', "
                       "'queued', :p, 0, 0, '|', 0, :m, 0, 0, :t, :t, :pl) RETURNING id",
                       {"l": lane, "p": priority, "m": max_attempts or ctx.max_attempts, "t": tx.now, "pl": p}).scalar_one()
            ids.append(jid)
            ctx.record(tx, "job.posted", actor=by, lane=lane, job=jid, data={"kind": "plain"})
        tx.wake(lane)
        return ids

    return ctx.write(fn)


def retry_job(ctx: Ctx, job: int | str, *, by: str) -> dict:
    """Requeue a dead plain job (a dead gate job is retried by resuming its escalated task)."""
    jid = job_id(job)

    def fn(tx: Tx) -> dict:
        j = _job(tx, jid, lock=True)
        if j is None:
            raise NotFound(f"no job {jid}")
        if j["status"] != "dead":
            raise Conflict(f"job {jid} is {j['status']}, not dead")
        if j["task"]:
            raise Conflict(f"job {jid} belongs to {j['task']}: resume the escalated task with 'org approve {j['task']}'")
        tx.x("UPDATE jobs SET status = 'queued', attempts = 0, reason = :r, updated_at = :t WHERE id = :j",
             {"r": f"retried by {by}", "t": tx.now, "j": jid})
        tx.x("UPDATE approvals SET status = 'granted', decided_by = :b, decided_at = :t WHERE job = :j AND status = 'pending'",
             {"b": by, "t": tx.now, "j": jid})
        ctx.record(tx, "job.retried", actor=by, lane=j["lane"], job=jid, decision="retry", data={})
        tx.wake(j["lane"])
        return {"job": jid, "status": "queued"}

    return ctx.write(fn)
