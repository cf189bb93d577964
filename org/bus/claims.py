"""Claims and leases: the compare-and-swap that hands a job to exactly one eligible actor, and heartbeats.

A claim picks queued jobs of the lane (SQLite: inside BEGIN IMMEDIATE; PostgreSQL: FOR UPDATE SKIP
LOCKED), keeps only those the engine says the actor may take (flow.eligibility on the task's folded
state under its pinned policy) and no switch pauses, then sets status=leased, fence=fence+1 and a fresh
token "<fence>-<nonce>", writes a lease row and a job.claimed event. Submissions (org.bus.submit) are
accepted only while the job is leased under that exact token. A lease stays valid until the sweeper
(org.bus.sweep, also run by every claim for its lane) requeues it after expiry and the fence moves on.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from org.bus.audit import chained, iso
from org.bus.context import Ctx, TaskRow
from org.bus.jobs import JOB_COLS, job_id, refuse
from org.bus.payloads import JobClaimed, TaskComment
from org.bus.store import Tx
from org.bus.sweep import sweep_ahead, sweep_expired
from org.bus.switches import check_not_paused, paused_tasks, switches_ahead
from org.bus.tx import prepared
from org.config.loader import OrgConfig
from org.config.provenance import policy_source
from org.engine import flow, rule_ids
from org.errors import Denied, NotFound, Paused, UsageError

__all__ = ["Claim", "claim", "claim_step", "heartbeat", "job_id", "agent_events", "AGENT_EVENT_KINDS"]


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
    # the values the task's repository and task layers set, each with its layer and FILE:LINE (ADR 0120)
    policy_source: dict | None = None

    def to_json(self) -> dict:
        d = asdict(self)
        d["lease_expires_at"] = iso(self.lease_expires)
        return d


def claim(
    ctx: Ctx,
    cfg: OrgConfig | None,
    lane: str,
    actor: str,
    *,
    lease_seconds: float = 300.0,
    n: int = 1,
    mint: Callable[[Tx, list[Claim]], None] | None = None,
) -> list[Claim]:
    """Lease up to n jobs of `lane` that `actor` may take. Raises NotFound (nothing eligible), Paused.
    `mint(tx, claims)`, when given, runs inside the claim's transaction (the identity layer mints job tokens)."""
    step, _ = claim_step(ctx, cfg, lane, actor, lease_seconds=lease_seconds, n=n, mint=mint)
    return ctx.write(step, batched=True)


def claim_step(
    ctx: Ctx,
    cfg: OrgConfig | None,
    lane: str,
    actor: str,
    *,
    lease_seconds: float = 300.0,
    n: int = 1,
    mint: Callable[[Tx, list[Claim]], None] | None = None,
) -> tuple[Callable[[Tx], list[Claim]], Callable[[Tx], None]]:
    """What `claim` runs in its transaction, and what it sends ahead (PostgreSQL batching: the reads it starts
    with), so another step's transaction can carry a claim (org.bus.submit.submit_then_claim). Checks the
    arguments first (UsageError, NotFound, Denied)."""
    if not 0.1 <= lease_seconds <= 7 * 86400:
        raise UsageError("--lease is between 0.1 seconds and 7 days")
    if cfg is not None:
        if lane not in cfg.lanes:
            raise NotFound(f"no lane '{lane}' (lanes: {', '.join(sorted(cfg.lanes))})")
        a = cfg.actors.get(actor)
        if a is None:
            raise NotFound(f"no actor '{actor}' in this org")
        if a.lane != lane:
            raise Denied(f"{actor} is a member of the {a.lane} lane, not {lane}", rule=rule_ids.WRONG_LANE)

    def ahead(tx: Tx) -> None:
        if tx.batched:  # the sweep's, the switches' and the first page's reads in one round trip (ADR 0245)
            sweep_ahead(tx, lane=lane, limit=50)
            switches_ahead(tx)
            tx.ahead(*_first_page(tx, lane, actor, _family(cfg, actor), [], n))  # if no task is paused

    def fn(tx: Tx) -> list[Claim]:
        ahead(tx)
        sweep_expired(ctx, tx, lane=lane, limit=50)
        check_not_paused(tx, cfg, actor=actor, lane=lane)
        got = _claim(ctx, tx, cfg, lane, actor, lease_seconds, n, spliced=mint is None)
        if mint is not None:
            mint(tx, got)
        return got

    return fn, ahead


def _family(cfg: OrgConfig | None, actor: str) -> str | None:
    if cfg is not None and actor in cfg.actors:
        a = cfg.actors[actor]
        return "human" if a.is_human else (a.family or "")
    return None


def _first_page(
    tx: Tx, lane: str, actor: str, fam: str | None, paused: list[str], n: int
) -> tuple[str, dict]:
    """The first page of queued jobs a claim reads (locked on PostgreSQL), and its parameters."""
    return _pages(tx, lane, actor, fam, paused, n)[0::2]


def _pages(
    tx: Tx, lane: str, actor: str, fam: str | None, paused: list[str], n: int
) -> tuple[str, str, dict]:
    find = "strpos" if tx.pg else "instr"
    not_paused = ""
    if paused:
        not_paused = (
            "AND (task IS NULL OR task NOT IN (" + ", ".join(f":pt{i}" for i in range(len(paused))) + ")) "
        )
    base = (
        f"SELECT {JOB_COLS} FROM jobs WHERE lane = :lane AND status = 'queued' "
        f"AND {find}(excluded, :xa) = 0 AND {find}(excluded, :xf) = 0 {not_paused}"
    )
    tail = " ORDER BY priority DESC, id LIMIT :k" + (" FOR UPDATE SKIP LOCKED" if tx.pg else "")
    first_sql = base + tail  # the first page needs no keyset condition (keeps the plan an index range scan)
    next_sql = base + "AND (priority < :p OR (priority = :p AND id > :i))" + tail
    if not paused:  # one text each whatever the lane and actor: prepared in the server (ADR 0295)
        first_sql, next_sql = prepared(first_sql), prepared(next_sql)
    page = max(8, n + n // 4)  # a little more than asked, for ineligible rows; later pages if needed
    params = {
        "lane": lane,
        "xa": f"|a:{actor}|",
        "xf": f"|f:{fam}|" if fam else "|f:\x00|",
        "t": True,
        "p": 1 << 62,
        "i": 0,
        "k": page,
        **{f"pt{i}": t for i, t in enumerate(paused)},
    }
    return first_sql, next_sql, params


def _claim(
    ctx: Ctx,
    tx: Tx,
    cfg: OrgConfig | None,
    lane: str,
    actor: str,
    lease_s: float,
    n: int,
    *,
    spliced: bool = True,
) -> list[Claim]:
    """Lease up to n jobs. Plain jobs' job.claimed events are spliced from one encoded event when `spliced` (not
    when a mint hook will add the job token to each event's data: an encoded event has no data to edit)."""
    fam = _family(cfg, actor)
    find = "strpos" if tx.pg else "instr"
    paused = paused_tasks(tx)
    sql, next_sql, params = _pages(tx, lane, actor, fam, paused, n)
    page = params["k"]
    cols = [c.strip() for c in JOB_COLS.split(",")]
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
        sql = next_sql
        if len(rows) < page:
            break
    if not got:
        held = (
            tx.x(
                "SELECT COUNT(*) FROM jobs WHERE lane = :l AND status = 'queued' AND task IN ("
                + ", ".join(f":pt{i}" for i in range(len(paused)))
                + ")",
                {"l": lane, **{f"pt{i}": t for i, t in enumerate(paused)}},
            ).scalar()
            if paused
            else 0
        )
        if held:
            raise Paused(
                f"the {lane} lane's queued jobs belong to paused tasks ({held}); retry after 'org resume'"
            )
        for (x,) in tx.x(
            f"SELECT excluded FROM jobs WHERE lane = :lane AND status = 'queued' "
            f"AND ({find}(excluded, :xa) > 0 OR {find}(excluded, :xf) > 0)",
            params,
        ).all():
            why = rule_ids.SEPARATION_OF_DUTIES if params["xa"] in x else rule_ids.CROSS_VENDOR
            skipped[why] = skipped.get(why, 0) + 1
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(skipped.items()))
        raise NotFound(
            f"nothing to claim for {actor} in the {lane} lane" + (f" (skipped {detail})" if detail else ""),
            skipped=skipped,
        )
    claims: list[Claim] = []
    exp = tx.now + lease_s
    upd, leases = [], []
    for j in got:
        fence = int(j["fence"]) + 1
        token = f"{fence}-{secrets.token_hex(12)}"
        upd.append(
            {"id": j["id"], "f": fence, "tok": token, "a": actor, "ls": lease_s, "e": exp, "t": tx.now}
        )
        leases.append({"j": j["id"], "f": fence, "a": actor, "g": tx.now, "e": exp})
        info = rows_seen.get(j["task"]) if j["task"] else None
        row = info[0] if info else None
        claims.append(
            Claim(
                j["id"],
                token,
                fence,
                lane,
                j["kind"],
                actor,
                exp,
                lease_s,
                int(j["attempts"]) + 1,
                j["task"],
                j["gate"],
                int(j["round"]),
                (info[2].revision if info else j["revision"]),
                row.title if row else None,
                row.workflow if row else None,
                row.tier if row else None,
                dict(row.attributes) if row else {},
                json.loads(j["payload"]) if j["payload"] else None,
                row.config_hash if row else None,
            )
        )
    tx.update_many(
        "jobs",
        "id",
        ("fence", "token"),
        [(u["id"], u["f"], u["tok"]) for u in upd],
        fixed={
            "status": "leased",
            "leased_by": actor,
            "lease_seconds": lease_s,
            "lease_expires": exp,
            "updated_at": tx.now,
        },
        raw={
            "attempts": "attempts + 1"
        },  # no `status = 'queued'` guard: the claim holds these rows (SQLite's write
        # lock, PostgreSQL's FOR UPDATE), and the guard made PostgreSQL scan every queued job for the 32 it updates
        pg_types=("bigint", "bigint", "text"),
    )
    tx.insert_many(
        "leases",
        ("job", "fence", "actor", "granted_at", "expires_at", "outcome"),
        [(x["j"], x["f"], x["a"], x["g"], x["e"], "active") for x in leases],
        pg_types=("bigint", "bigint", "text", "float8", "float8", "text"),
    )
    expires = iso(exp)
    if spliced and all(
        c.task is None and c.gate is None for c in claims
    ):  # plain jobs: one event, the rest spliced from it
        _, family = ctx.actor_info(cfg, actor)
        ctx.record_batch(
            tx,
            "job.claimed",
            [(c.job, {"fence": c.fence, "attempt": c.attempts}) for c in claims],
            data={"lease_seconds": lease_s, "expires": expires},
            actor=actor,
            lane=lane,
            family=family,
            decision="lease",
            config_hash=cfg.config_hash if cfg else None,
        )
        return claims
    for c in claims:
        info = rows_seen.get(c.task) if c.task else None
        pcfg = info[1] if info else cfg
        ln, fam_ = ctx.actor_info(pcfg, actor)
        if pcfg is not None and c.task:
            source = policy_source(pcfg)
            c.policy_source = source if source["files"] else None
        ctx.record(
            tx,
            "job.claimed",
            task=c.task,
            actor=actor,
            lane=lane,
            family=fam_,
            gate=c.gate,
            decision="lease",
            config_hash=pcfg.config_hash if pcfg else None,
            job=c.job,
            data=JobClaimed(fence=c.fence, lease_seconds=lease_s, expires=expires, attempt=c.attempts),
            trusted=True,
        )
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
        return el.rule or rule_ids.INELIGIBLE
    if j["kind"] in ("review", "approval"):
        if (j["task"], j["gate"]) in taken:
            return rule_ids.ONE_REVIEW_EACH
        if (
            tx.x(
                "SELECT 1 FROM jobs WHERE task = :t AND gate = :g AND status = 'leased' AND leased_by = :a",
                {"t": j["task"], "g": j["gate"], "a": actor},
            ).first()
            is not None
        ):
            return rule_ids.ONE_REVIEW_EACH
    return None


MAX_COMMENT = 8192  # characters of one comment on a task (a note for the people and agents after it)


def held(tx: Tx, jid: int, token: str, what: str) -> Any:
    """(task, gate, lane, leased_by) of a job the token holds a live lease on; refused (exit 5) otherwise."""
    r = tx.x(
        "SELECT task, gate, lane, leased_by FROM jobs WHERE id = :j AND status = 'leased' AND token = :tok",
        {"j": jid, "tok": token},
    ).one_or_none()
    if r is None:
        refuse(tx, jid, token, what)
    return r


def comment(ctx: Ctx, job: int | str, token: str, body: str) -> dict:
    """A comment by the holder of a live lease on its job's task: a `task.comment` event (redacted like every
    event), nothing else changes. Refused like a heartbeat once the lease is lost (exit 5)."""
    jid = job_id(job)
    text = str(body).strip()
    if not text:
        raise UsageError("a comment says something (it is empty)")
    if len(text) > MAX_COMMENT:
        raise UsageError(f"a comment is at most {MAX_COMMENT} characters (this one has {len(text)})")

    def fn(tx: Tx) -> dict:
        r = held(tx, jid, token, "comment")
        ctx.record(
            tx,
            "task.comment",
            task=r[0],
            gate=r[1],
            lane=r[2],
            actor=r[3],
            job=jid,
            data=TaskComment(body=text),
        )
        return {"job": jid, "task": r[0], "commented": True}

    return ctx.write(fn)


# The one event model of an agent's session (org.agents.clis.events): what a coding CLI said and did.
AGENT_EVENT_KINDS = ("started", "message", "tool_call", "tool_result", "usage", "permission", "finished")
MAX_AGENT_EVENTS = 200  # per call; the adapter bounds a whole session's too
MAX_AGENT_TEXT = 2000  # characters of one event's text
MAX_AGENT_NAME = 200  # characters of one event's tool or call id
_ORGS_WORDS = (
    "outcome",
    "rules",
    "decision",
    "approved_by",
)  # a permission's answer: org's, not the caller's
_AGENT_FIELDS = {"kind": str, "text": str, "tool": str, "call": str, "data": dict}


def agent_events(ctx: Ctx, job: int | str, token: str, events: list[dict]) -> dict:
    """The normalised events of the agent session working a job, each an `agent.<kind>` event on its task's
    timeline (redacted like every event), by the holder of the job's live lease. Bounded: at most
    MAX_AGENT_EVENTS per call, MAX_AGENT_TEXT characters of text (cut), MAX_AGENT_NAME of tool and call id and
    4 * MAX_AGENT_TEXT of data as JSON (refused), kinds from AGENT_EVENT_KINDS only. What is org's to say (the
    gateway's usage count, a permission's answer) is written by org (_in_orgs_voice), never the caller."""
    jid = job_id(job)
    if not isinstance(events, list) or len(events) > MAX_AGENT_EVENTS:
        raise UsageError(f"agent events come as a list of at most {MAX_AGENT_EVENTS}")
    clean: list[dict] = []
    for e in events:
        if not isinstance(e, dict) or e.get("kind") not in AGENT_EVENT_KINDS:
            raise UsageError(f"an agent event has a kind from {', '.join(AGENT_EVENT_KINDS)}")
        bad = [k for k, v in e.items() if k not in _AGENT_FIELDS or not isinstance(v, _AGENT_FIELDS[k])]
        if bad:
            raise UsageError(
                f"an agent event holds kind, text, tool, call and data only ({bad[0]!r} is not one)"
            )
        data = e.get("data") or {}
        if len(json.dumps(data, default=str)) > 4 * MAX_AGENT_TEXT:
            raise UsageError(f"an agent event's data is at most {4 * MAX_AGENT_TEXT} characters as JSON")
        for name in ("tool", "call"):
            if len(e.get(name) or "") > MAX_AGENT_NAME:
                raise UsageError(f"an agent event's {name} is at most {MAX_AGENT_NAME} characters")
        clean.append({**e, "text": str(e.get("text") or "")[:MAX_AGENT_TEXT]})

    def fn(tx: Tx) -> dict:
        r = held(tx, jid, token, "agent_events")
        decided = _decided(tx, r[0], r[3]) if any(e["kind"] == "permission" for e in clean) else {}
        for e in clean:
            e = _in_orgs_voice(tx, jid, e, decided)
            body = {k: v for k, v in e.items() if k != "kind" and v not in ("", {}, None)}
            ctx.record(
                tx, f"agent.{e['kind']}", task=r[0], gate=r[1], lane=r[2], actor=r[3], job=jid, data=body
            )
        return {"job": jid, "task": r[0], "recorded": len(clean)}

    return ctx.write(fn)


def _decided(tx: Tx, task: str, actor: str) -> dict[str, tuple[str, list[str]]]:
    """action -> (outcome, rule ids) of the latest `action.decided` org recorded for `actor` on `task`."""
    out: dict[str, tuple[str, list[str]]] = {}
    for _seq, _typ, ev in chained(tx, ("action.decided",), task):
        if ev.get("actor") == actor:
            out[str((ev.get("data") or {}).get("action"))] = (
                str(ev.get("decision")),
                list(ev.get("rules") or []),
            )
    return out


def _in_orgs_voice(tx: Tx, jid: int, e: dict, decided: dict[str, tuple[str, list[str]]]) -> dict:
    """An agent event with what only org or its gateway may say written by org, never taken from the caller:
    usage `source: gateway` holds the job's calls as the usage ledger counted them; a permission's outcome is
    an allow only where the caller says so and org's latest decision of that action for the job's actor is
    an allow (otherwise org's answer, or deny when org decided nothing), with org's rule ids."""
    data = dict(e.get("data") or {})
    if e["kind"] == "usage" and data.get("source") == "gateway":
        row = tx.x(
            "SELECT COUNT(*), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), "
            "COALESCE(SUM(cost_usd), 0), COUNT(cost_usd), SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END) "
            "FROM usage WHERE job = :j",
            {"j": jid},
        ).one()
        calls, priced = int(row[0]), int(row[4])
        data = {
            "source": "gateway",
            "calls": calls,
            "tokens_in": int(row[1]),
            "tokens_out": int(row[2]),
            "cost_usd": float(row[3]) if priced else None,
            "unpriced_calls": calls - priced,
            "errors": int(row[5] or 0),
        }
    elif e["kind"] == "permission":
        outcome, rules = decided.get(str(data.get("action")), ("deny", []))
        said = data.get("outcome")
        data = {k: v for k, v in data.items() if k not in _ORGS_WORDS}
        data["outcome"] = (
            "allow" if said == "allow" and outcome == "allow" else (outcome if outcome != "allow" else "deny")
        )
        data["rules"] = rules
    return {**e, "data": data}


def heartbeat(ctx: Ctx, job: int | str, token: str, *, lease_seconds: float | None = None) -> dict:
    jid = job_id(job)
    if lease_seconds is not None and not 0.1 <= lease_seconds <= 7 * 86400:
        raise UsageError("--lease is between 0.1 seconds and 7 days")

    def fn(tx: Tx) -> dict:
        r = tx.x(
            "UPDATE jobs SET lease_expires = :now + COALESCE(:ls, lease_seconds), "
            "lease_seconds = COALESCE(:ls, lease_seconds), updated_at = :now "
            "WHERE id = :j AND status = 'leased' AND token = :tok RETURNING lease_expires, fence",
            {"now": tx.now, "ls": lease_seconds, "j": jid, "tok": token},
        ).one_or_none()
        if r is None:
            refuse(tx, jid, token, "heartbeat")
        tx.x(
            "UPDATE leases SET heartbeat_at = :now, expires_at = :e WHERE job = :j AND fence = :f",
            {"now": tx.now, "e": r[0], "j": jid, "f": r[1]},
        )
        if lease_seconds is not None:  # a new lease length is in the chain (verify bounds the lease by it)
            ctx.record(tx, "job.lease", job=jid, decision="lease", data={"lease_seconds": lease_seconds})
        return {
            "job": jid,
            "fence": int(r[1]),
            "lease_expires": float(r[0]),
            "lease_expires_at": iso(float(r[0])),
        }

    return ctx.write(fn) if lease_seconds is not None else ctx.store.write(fn)  # chained when evented
