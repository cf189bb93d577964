"""A human takes over a task's work job (ADR 0177): "a workspace is also a place a human can walk into and
take over". The agent's lease ends (job.released, its token stops working) and the job is leased to the human
in the same transaction (job.claimed, a job token minted for them), with a `job.taken_over` event saying who,
from whom and why. Earlier attempts, revisions and findings stay on the timeline and count; the human submits
on the same rails (the diff guard, authorship: an author never approves their own work).

A dead job (its agent gave up with `org job fail`, or its leases ran out) is taken over the same way, when the
task's open escalation is the one that job raised (kind job_failed or dead_job, ADR 0230) and the human may
approve that escalation (the same checks as `org approve`): the take-over answers it (task.resumed by the human,
the escalation request granted with them as its decider), and the same job, attempts and all, is leased to the
human. A human who may not approve is refused and told to have an approver resume it first. A task escalated
for anything else (its budget, its rework limit) waits for its approvers."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from org.bus.claims import Claim
from org.bus.context import Ctx, task_key
from org.bus.decisions import check_may_resume, resume_events
from org.bus.driver import apply
from org.bus.jobs import JOB_COLS
from org.bus.payloads import JobClaimed, JobEnded, JobTakenOver
from org.bus.store import Tx
from org.bus.switches import check_not_paused
from org.config.loader import OrgConfig
from org.engine import flow, rule_ids
from org.engine.duties import stand_in_refusal
from org.engine.state import fold
from org.errors import Conflict, Denied, NotFound

__all__ = ["take_over", "WRITE", "DEAD_KINDS"]

WRITE = "code.write"  # a workspace is written to: who takes over a job there must be allowed this
DEAD_KINDS = ("job_failed", "dead_job")  # escalations a dead job raised, which taking it over answers


def _dead_job(tx: Tx, key: str, status: str) -> int | None:
    """The dead work job whose failure is the task's open escalation (the latest such job), or None."""
    if status != "escalated":
        return None
    open_esc = tx.x(
        "SELECT subject FROM approvals WHERE task = :k AND kind = 'escalation' AND status = 'pending'",
        {"k": key},
    ).all()
    if not open_esc or any(r[0] not in DEAD_KINDS for r in open_esc):
        return None
    r = tx.x(
        "SELECT id FROM jobs WHERE task = :k AND kind = 'work' AND status = 'dead' ORDER BY id DESC",
        {"k": key},
    ).first()
    return int(r[0]) if r is not None else None


def take_over(
    ctx: Ctx,
    cfg: OrgConfig | None,
    task: str,
    actor: str,
    *,
    reason: str,
    lease_seconds: float = 8 * 3600.0,
    mint: Callable[[Tx, list[Claim]], None] | None = None,
) -> Claim:
    """Lease the open work job of `task` (queued, or leased by someone else) to the human `actor`. Refused
    (Denied, exit 4) for an agent or a human whose lane may not take the action the gate asks (code.write for
    a work gate); NotFound (3) when the task has no open work job; Conflict (5) when `actor` already holds it;
    Paused (7), changing nothing, while a pause holds the task, the job's lane, `actor` or `actor`'s lane."""
    key = task_key(task)
    who = cfg.actors.get(actor) if cfg is not None else None
    if who is None:
        raise NotFound(f"no actor '{actor}' in this org")
    if not who.is_human:
        raise Denied(
            f"{actor} is an agent: only a human takes over a job in its workspace", rule=rule_ids.WRONG_LANE
        )
    why = " ".join(str(reason or "").split()) or "taken over by hand"

    def fn(tx: Tx) -> Claim:
        row = ctx.task_row(tx, key, lock=True)  # lock order: tasks, then jobs
        cols = [c.strip() for c in JOB_COLS.split(",")]
        found = tx.x(
            f"SELECT {JOB_COLS} FROM jobs WHERE task = :k AND kind = 'work' AND status IN ('queued', 'leased') "
            "ORDER BY id DESC",
            {"k": key},
        ).first()
        dead = found is None and _dead_job(tx, key, row.status)
        if dead:
            found = tx.x(f"SELECT {JOB_COLS} FROM jobs WHERE id = :j", {"j": dead}).first()
        if found is None:
            raise NotFound(f"{key} has no open work job to take over (task {row.status})")
        j = dict(zip(cols, found, strict=True))
        pcfg = ctx.pinned(tx, row.config_hash)
        st = ctx.state(tx, row)
        spec = pcfg.workflows[st.workflow].gates.get(j["gate"]) if st.workflow in pcfg.workflows else None
        mine = pcfg.actors.get(actor)
        if mine is None or not mine.is_human:
            raise NotFound(f"no human '{actor}' in the policy {key} runs under")
        if spec is None:
            raise NotFound(f"no gate '{j['gate']}' in {key}'s workflow")
        resumed: list = []
        if dead:  # the escalation the dead job raised is answered by the human taking it over (recorded
            # once the job is theirs, so no second job is posted for the gate)
            # answering it takes what approving it takes (ADR 0230): the approve permission, no author, the
            # decider recorded, the task's unpriced spend accepted by that human
            check_may_resume(pcfg, st, key, actor, "take over its work")
            before_resume = st
            resumed = resume_events(
                ctx, tx, pcfg, key, st, actor, f"taken over by {actor}: {why}", approval=None
            )
            st = fold(resumed, st.copy())
            if (
                st.status != "active"
                or st.gates.get(j["gate"]) is None
                or st.gates[j["gate"]].status != "ready"
            ):
                raise Conflict(f"{key} cannot go on at '{j['gate']}' ({st.status}): {st.escalation or ''}")
        # the engine's own rule for a human standing in at another lane's work gate (the same at submit)
        refused = stand_in_refusal(pcfg, st, actor, spec) if spec.lane != mine.lane else None
        el = refused if refused is not None else flow.eligibility(pcfg, st, actor, j["gate"])
        if not el:
            raise Denied(
                f"{actor} (lane {mine.lane}) may not take over '{j['gate']}' of {key}: {el.reason}; a human "
                f"whose lane may '{spec.implied_action}' and '{WRITE}' can (the maintainer lane)",
                rule=el.rule or rule_ids.WRONG_LANE,
            )
        # a pause holds a take-over as it holds a claim (exit 7, the agent keeps its lease): the task, the
        # job's lane, the human taking over and their own lane
        check_not_paused(tx, pcfg, actor=actor, lane=j["lane"], task=key)
        check_not_paused(tx, pcfg, lane=mine.lane)
        if j["status"] == "leased" and j["leased_by"] == actor:
            raise Conflict(f"{actor} already holds job {j['id']} of {key}", job=j["id"])
        before = j["leased_by"] if j["status"] == "leased" else None
        jid = int(j["id"])
        if before is not None:
            tx.x(
                "UPDATE leases SET outcome = 'released', ended_at = :t WHERE job = :j AND fence = :f",
                {"t": tx.now, "j": jid, "f": j["fence"]},
            )
            _ln, fam = ctx.actor_info(pcfg, before)
            ctx.record(
                tx,
                "job.released",
                task=key,
                actor=before,
                lane=j["lane"],
                family=fam,
                gate=j["gate"],
                decision="release",
                config_hash=pcfg.config_hash,
                job=jid,
                data=JobEnded(reason=f"taken over by {actor}: {why}", fence=j["fence"]),
            )
        fence = int(j["fence"]) + 1
        token = f"{fence}-{secrets.token_hex(12)}"
        exp = tx.now + lease_seconds
        attempt = int(j["attempts"]) + 1
        tx.x(
            "UPDATE jobs SET status = 'leased', fence = :f, token = :tok, leased_by = :a, lease_seconds = :ls, "
            "lease_expires = :e, attempts = attempts + 1, reason = :r, updated_at = :t WHERE id = :j",
            {
                "f": fence,
                "tok": token,
                "a": actor,
                "ls": lease_seconds,
                "e": exp,
                "r": why,
                "t": tx.now,
                "j": jid,
            },
        )
        tx.x(
            "INSERT INTO leases (job, fence, actor, granted_at, expires_at, outcome) "
            "VALUES (:j, :f, :a, :g, :e, 'active')",
            {"j": jid, "f": fence, "a": actor, "g": tx.now, "e": exp},
        )
        if resumed:
            apply(ctx, tx, pcfg, row, before_resume, resumed)
        from org.bus.audit import iso

        ctx.record(
            tx,
            "job.taken_over",
            task=key,
            actor=actor,
            lane=mine.lane,
            family="human",
            gate=j["gate"],
            decision="take_over",
            config_hash=pcfg.config_hash,
            job=jid,
            data=JobTakenOver({"from": before, "reason": why, "fence": fence, "attempt": attempt}),
        )
        ctx.record(
            tx,
            "job.claimed",
            task=key,
            actor=actor,
            lane=j["lane"],
            family="human",
            gate=j["gate"],
            decision="lease",
            config_hash=pcfg.config_hash,
            job=jid,
            data=JobClaimed(fence=fence, lease_seconds=lease_seconds, expires=iso(exp), attempt=attempt),
            trusted=True,
        )
        c = Claim(
            jid,
            token,
            fence,
            j["lane"],
            "work",
            actor,
            exp,
            lease_seconds,
            attempt,
            key,
            j["gate"],
            int(j["round"]),
            st.revision,
            row.title,
            row.workflow,
            row.tier,
            dict(row.attributes),
            None,
            row.config_hash,
        )
        if mint is not None:
            mint(tx, [c])
        return c

    return ctx.write(fn)
