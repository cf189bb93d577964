"""Decisions and people: `act` asks decide() under the task's pinned policy and records the answer;
`approve`/`reject` let a human who is not an author settle one pending request (an approval gate, a
consequential action, or an escalation), bound to the task's current revision; `request_changes` sends
the work at an approval gate back to its builder with the note as a finding (ADR 0125)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from org.bus.audit import chained, job_from_chain
from org.bus.context import AUTH, AfterCommit, Ctx, TaskRow, task_key
from org.bus.driver import apply
from org.bus.handback import work_result_in
from org.bus.payloads import ActionDecided, ActionVerdict, ApprovalRequested, JobSubmitted
from org.bus.store import Tx
from org.bus.switches import check_not_paused
from org.bus.tasks import approval_rows as _rows
from org.bus.tasks import check_attributes
from org.bus.usage import task_spend
from org.config.actions import canonical_action
from org.config.loader import OrgConfig
from org.config.provenance import policy_source
from org.engine import flow, rule_ids
from org.engine.attributes import DERIVED
from org.engine.plans import gate_actions, plan_gate, planned_actions
from org.engine.policy import Decision, RuleHit, compile_policy, decide, decide_within
from org.engine.state import Event, TaskState
from org.errors import Conflict, Denied, IntegrityError, NotFound, UsageError

__all__ = [
    "check_may_resume",
    "resume_events",
    "act",
    "approve",
    "reject",
    "request_changes",
    "pending_approvals",
    "approvers_for",
    "wait_decision",
]

# verdict -> (the policy action a human needs for it, the verb the messages use)
_VERDICTS = {
    "approve": ("approve", "approve"),
    "reject": ("reject", "reject"),
    "changes": ("reject", "request changes on"),
}


def gate_approvers(cfg: OrgConfig, st: TaskState) -> list[str]:
    """Humans whose approval at one of the task's approval gates counts on the current revision."""
    wf = cfg.workflows[st.workflow]
    out: list[str] = []
    for g, spec in wf.gates.items():
        if spec.kind == "approval" and g in st.gates:
            out += [r.actor for r in st.counting_reviews(g) if r.actor not in out]
    return out


def approvers_for(
    tx: Tx,
    cfg: OrgConfig,
    st: TaskState,
    action: str | None,
    planned: bool = True,
    asked: dict | None = None,
) -> tuple[list[str], list[dict]]:
    """(humans whose approval counts for `action` now, the rejections that stand). Approval gates count for
    an action the approved plan names (`planned`, ADR 0071: an approval binds to what it showed); an action
    approval counts for its action (None: for any action). Both come from the hash-chained events (the fold,
    and the task's action.approved/action.rejected events), never from the approvals table, which only lists
    requests for people to find (a cache)."""
    people = gate_approvers(cfg, st) if planned else []
    granted: list[dict] = []
    rejected: list[dict] = []
    for v in action_verdicts(tx, st.id):
        if v["revision"] != st.revision or (action is not None and v["subject"] != action):
            continue
        if not st.authors.isdisjoint(v["behind"]):  # an author behind the verdict's token (ADR 0111)
            continue
        if v["status"] == "granted" and not _showed(v.get("attributes"), asked):
            continue  # the approval showed another request (ADR 0112): it binds to what it showed
        (granted if v["status"] == "granted" else rejected).append(v)
    people += [r["decided_by"] for r in granted if r["decided_by"] not in people]
    return people, rejected


def action_verdicts(tx: Tx, key: str) -> list[dict]:
    """Every human verdict on an action request of task `key`, from its chained events, oldest first:
    {approval, subject, revision, status (granted | rejected), decided_by, note}."""
    out = []
    for _seq, typ, ev in chained(tx, ("action.approved", "action.rejected"), key):  # by the hashed header
        try:
            data = ev["data"]
            out.append(
                {
                    "approval": data.get("approval"),
                    "subject": data["action"],
                    "revision": data["revision"],
                    "status": "granted" if typ == "action.approved" else "rejected",
                    "decided_by": ev["actor"],
                    "behind": list((ev.get("auth") or {}).get("behind") or ()),
                    "attributes": data.get("attributes"),
                    "note": data.get("note"),
                }
            )
        except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            raise IntegrityError(
                f"an {typ} event of task {key} is malformed; run 'org audit verify'"
            ) from exc
    return out


def act(
    ctx: Ctx,
    cfg: OrgConfig | None,
    action: str,
    actor: str,
    task: str,
    attributes: dict | None = None,
    *,
    rehearse: bool = False,
    facts: dict | None = None,
) -> dict:
    """decide() and record it. Returns {decision, exit_code, approval}; needs_approval opens one request.
    With `rehearse`, all of it runs under the task's pinned policy and is rolled back (`org explain --task`)."""
    action = (action or "").strip()
    if not action:
        raise UsageError("an action is needed, e.g. deploy.production")
    action = (
        canonical_action(action) or action
    )  # one spelling in the record and the approvals (decide() denies a bad one)
    key = task_key(task)

    def fn(tx: Tx) -> dict:
        row = ctx.task_row(tx, key, lock=True)
        pcfg = ctx.pinned(tx, row.config_hash)
        check_not_paused(tx, pcfg, actor=actor, task=key)
        if cfg is not None and cfg is not pcfg:
            check_not_paused(tx, cfg, actor=actor)
        st = ctx.state(tx, row)
        if st.status in ("escalated", "rejected"):
            raise Conflict(f"task {key} is {st.status}; no actions until a human resumes it", task=key)
        own = compile_policy(pcfg).org_facts  # org derives these (ADR 0071): a request's word is not taken
        ignored = sorted(k for k in (attributes or {}) if k in own)
        claims = check_attributes(pcfg, {k: v for k, v in (attributes or {}).items() if k not in own})
        known = check_attributes(pcfg, facts) if facts else {}  # what org itself knows (the broker's call)
        planned, derived = _approved_plan(tx, pcfg, st, key, actor, action, {**claims, **known})
        people, rejected = approvers_for(
            tx, pcfg, st, action, planned=planned is not None, asked={**st.attributes, **claims, **known}
        )
        filed = {**st.attributes, "paths": st.paths} if st.paths else st.attributes  # org read paths from git

        def judge(facts: dict) -> tuple[Decision, dict]:
            return decide_within(
                pcfg,
                actor,
                action,
                filed,
                claims,
                approvals=people,
                authors=sorted(st.authors),
                facts=facts or None,
            )

        d, conflicts = judge({**(derived or {}), **known})
        if planned is not None and derived and d.outcome == "allow" and d.approved_by is None:
            d = _unvouched(pcfg, st, people, derived, known, d, judge)
        attrs = {k: v for k, v in d.attributes.items() if k not in (*DERIVED, "tier", "paths")}
        if cfg is not None and actor not in cfg.actors and d.outcome != "deny":
            d = _deny(d, RuleHit(rule_ids.UNKNOWN_ACTOR, "deny", "", "no longer a member of the org"))
        outside = _outside_gate(tx, pcfg, st, key, actor, action)
        if outside and d.outcome != "deny":
            d = _deny(d, RuleHit(rule_ids.GATE_SCOPE, "deny", "", outside))
        if rejected and d.outcome != "deny" and d.rules:
            r = rejected[-1]
            d = _deny(
                d,
                RuleHit(
                    rule_ids.REJECTED_BY_HUMAN,
                    "deny",
                    "",
                    f"{r['decided_by']} rejected '{action}' on this revision: {r['note'] or 'no note'}",
                ),
            )
        lane, fam = ctx.actor_info(pcfg, actor)
        decided = ActionDecided(
            action=action,
            reason=d.reason,
            approved_by=d.approved_by,
            revision=st.revision,
            attributes=dict(attrs),
            rules=[h.to_json() for h in d.rules],
        )
        if conflicts:
            decided["conflicts"] = conflicts
        if ignored:
            decided["ignored"] = ignored
        ctx.record(
            tx,
            "action.decided",
            task=key,
            actor=actor,
            lane=lane,
            family=fam,
            decision=d.outcome,
            rules=d.rule_ids,
            config_hash=pcfg.config_hash,
            data=decided,
        )
        out: dict[str, Any] = {
            "task": key,
            "decision": d.to_json(),
            "exit_code": d.exit_code,
            "approval": None,
        }
        out["decision"]["policy_source"] = policy_source(pcfg)  # which layer each value came from (ADR 0120)
        out["decision"]["attributes"] = ctx.redactor.value(out["decision"]["attributes"])
        if d.outcome == "needs_approval":
            out["approval"], out["approval_created"] = _request(
                ctx, tx, pcfg, st, key, action, actor, d, {**st.attributes, **claims, **known}
            )
        elif d.outcome == "allow" and d.approved_by:
            tx.x(
                "UPDATE approvals SET status = 'cancelled', decided_by = :b, decided_at = :t, note = :n WHERE task = :k "
                "AND kind = 'action' AND subject = :a AND status = 'pending'",
                {
                    "b": d.approved_by,
                    "t": tx.now,
                    "k": key,
                    "a": action,
                    "n": f"allowed without it: approved by {d.approved_by}",
                },
            )
        return out

    if rehearse:
        return ctx.rehearse(fn)
    return ctx.write(fn, retry_unique=True)


def _outside_gate(tx: Tx, cfg: OrgConfig, st: TaskState, key: str, actor: str, action: str) -> str | None:
    """Why a job token may not take `action` on this task (ADR 0110), or None (not a job token, or an action
    its gate asks for). A job token takes only its gate's actions (org.engine.plans.gate_actions): the one its
    gate's kind implies and, at a gate carrying out an approved plan, that plan's; its lane's other actions
    are not its gate's. Read from its job (on this task, leased by this actor) and the plan on the current
    revision, never from the token's word."""
    auth = AUTH.get() or {}
    if auth.get("via") != "job":
        return None
    job = job_from_chain(tx, key, int(auth["job"])) if auth.get("job") is not None else None  # ADR 0221
    if job is None or job["status"] != "leased" or job["leased_by"] != actor:
        return f"this job token holds no live job of {actor} on {key}"
    gate, plan = job["gate"], None
    planned_at = plan_gate(cfg, st.workflow, gate)
    if planned_at is not None and st.revision is not None:
        plan = (work_result_in(tx, key, gate=planned_at, revision=st.revision) or {}).get("content")
    asks = gate_actions(cfg, st.workflow, gate, plan)
    if canonical_action(action) in asks:
        return None
    return (
        f"a job at the '{gate}' gate takes only {', '.join(sorted(asks)) or 'no action'}"
        + (" (its own and the approved plan's)" if planned_at else "")
        + f"; '{action}' is not asked of it"
    )


def _behind(human: str) -> tuple[str, ...]:
    """The people behind the token `human` decides with (ADR 0111: its issuer, and whoever is behind the
    issuer's token), from the authenticated identity; they share every duty the human's decision has."""
    auth = AUTH.get() or {}
    return tuple(auth.get("behind") or ()) if auth.get("principal") == human else ()


def _shown(tx: Tx, key: str, approval: int) -> dict:
    """The attributes request #approval showed the human (its approval.requested event; ADR 0112)."""
    for _seq, _typ, ev in reversed(chained(tx, ("approval.requested",), key)):
        data = ev.get("data") or {}
        if data.get("approval") == approval:
            return dict(data.get("attributes") or {})
    return {}


def _showed(shown: dict | None, asked: dict | None) -> bool:
    """Does an approval that showed `shown` cover a request stating `asked`? Every fact the request states is
    one the approval showed, with the same value (a verdict recorded before approvals showed attributes: None,
    covers its action as it did then)."""
    if shown is None:
        return True
    return all(k in shown and _same_fact(shown[k], v) for k, v in (asked or {}).items() if v is not None)


def _asker_behind(tx: Tx, key: str, request: dict) -> set[str]:
    """The people behind the token that asked for action request `request` (ADR 0111), from the chain: the
    auth of the task's needs_approval decisions of that action by its requester."""
    out: set[str] = set()
    for _seq, _typ, ev in chained(tx, ("action.decided",), key):
        data = ev.get("data") or {}
        if ev.get("actor") == request["requested_by"] and data.get("action") == request["subject"]:
            out.update((ev.get("auth") or {}).get("behind") or ())
    return out


def _author_words(st: TaskState, key: str, human: str, who: str, verb: str) -> str:
    """Why `human` may not decide on `key`: `who` (the human, or someone behind their token) is an author."""
    filer = who == st.created_by and not any(a == who for _r, _g, a, _f in st.revisions)
    what = (
        f"filed {key}, and on the {st.tier} tier whoever filed a task does not approve it (the two-person "
        "rule); another human does"
        if filer
        else f"is an author of {key}"
    )
    if who == human:
        return f"{human} {what} and may not {verb} it"
    return f"{who} issued the token {human} decides with (or stands behind it), and {who} {what}: {human} may not {verb} it with that token"


def _approved_plan(
    tx: Tx, cfg: OrgConfig, st: TaskState, key: str, actor: str, action: str, claims: dict
) -> tuple[dict | None, dict | None]:
    """(the action of the task's approved plan this request is, or None; the facts org derives for it, or None).

    An approval binds to what it showed (ADR 0071): the revision and the plan's actions, with their attributes.
    A request is the plan's action when it names the same action and states nothing the plan did not say.
    The facts: the plan's attributes for that action (a human approved them), and via=pipeline when org's
    pipeline carries it out: the asker holds a job token for its own leased job at the gate of this task that
    carries out the plan (`carries_out`)."""
    canon = canonical_action(action)
    specs = cfg.workflows[st.workflow].gates
    gate = next(
        (
            g
            for rev, g, _a, _f in reversed(st.revisions)
            if rev == st.revision and g in specs and specs[g].carries_out is None
        ),
        None,
    )
    if canon is None or gate is None or st.revision is None:
        return None, None
    work = work_result_in(tx, key, gate=gate, revision=st.revision)
    match = None
    for a in planned_actions((work or {}).get("content")):
        given = a.get("attributes")
        said = {k: v for k, v in given.items() if v is not None} if isinstance(given, dict) else {}
        if canonical_action(a.get("action")) == canon and all(
            k in said and _same_fact(said[k], v) for k, v in claims.items() if v is not None
        ):
            match = said
            break
    if match is None:
        return None, None
    pol = compile_policy(cfg)
    # The plan's attributes add what the task as filed is silent on; where they contradict the filing, the
    # request's word is read both ways. Until a human approves the plan they are its lane's own word: act()
    # lets them loosen nothing a human would otherwise have to see (see _unvouched).
    facts = {
        k: v
        for k, v in match.items()
        if k not in pol.org_facts and k in cfg.attributes and k not in st.attributes
    }
    auth = AUTH.get() or {}
    if auth.get("via") == "job" and auth.get("principal") == actor and auth.get("job") is not None:
        job = job_from_chain(tx, key, int(auth["job"]))  # the chain's holder, not the jobs row (ADR 0221)
        if (
            job is not None
            and job["status"] == "leased"
            and job["leased_by"] == actor
            and job["gate"] in specs
            and specs[job["gate"]].carries_out == gate
            and "via" in pol.org_facts
        ):
            facts["via"] = "pipeline"
    return match, facts


def _unvouched(
    cfg: OrgConfig,
    st: TaskState,
    people: list[str],
    derived: dict,
    known: dict,
    d: Decision,
    judge: Any,
) -> Decision:
    """An allow that rests on a plan no human approved (medium tier: the acting lane's own plan, reviewed by an
    agent) stands only if the request reads as allowed without the plan's attributes too; otherwise a human
    must see it (needs_approval, an action request showing them), and a human's grant of that request allows it.
    The plan's facts thus never remove a human that the request, read at its worst, needs; and when a RED rule
    denies the request read without them, it stays denied (no approval overrides a RED rule)."""
    if _human_approved(cfg, st):
        return d
    own = {k: v for k, v in derived.items() if k in compile_policy(cfg).org_facts}  # e.g. via=pipeline
    bare, _ = judge({**own, **known})
    if bare.outcome == "allow":
        return d if bare.approved_by is None else bare
    red = {r.spec.id for r in cfg.rules if r.effect == "deny"}
    if bare.outcome == "deny" and any(h.effect == "deny" and h.id in red for h in bare.rules):
        return bare  # a RED rule denies it read without the plan: no approval overrides that (invariant 2)
    if people:  # a human granted the request, which showed what the plan says
        return replace(d, approved_by=people[0], reason=f"approved by {people[0]} (a plan no human approved)")
    hit = RuleHit(
        rule_ids.UNAPPROVED_PLAN,
        "needs_approval",
        "",
        "allowed only by the attributes of a plan no human approved; read without them: " + bare.reason,
    )
    if bare.outcome == "deny":
        return Decision(
            "needs_approval",
            d.actor,
            d.action,
            f"needs approval by a human who is not an author: {hit.reason}",
            (*d.rules, hit),
            d.config_hash,
            d.attributes,
        )
    return replace(bare, rules=(*bare.rules, hit))


def _human_approved(cfg: OrgConfig, st: TaskState) -> bool:
    """Did a human's approval at one of the task's approval gates count on the current revision?"""
    for g, spec in cfg.workflows[st.workflow].gates.items():
        if spec.kind == "approval" and g in st.gates:
            for r in st.counting_reviews(g, st.revision):
                who = cfg.actors.get(r.actor)
                if who is not None and who.is_human:
                    return True
    return False


def _same_fact(a: Any, b: Any) -> bool:
    return str(a).strip().casefold() == str(b).strip().casefold()


def _deny(d: Decision, hit: RuleHit) -> Decision:
    return Decision(
        "deny",
        d.actor,
        d.action,
        f"denied: {hit.reason} [{hit.id}]",
        (*d.rules, hit),
        d.config_hash,
        d.attributes,
        None,
    )


def _request(
    ctx: Ctx,
    tx: Tx,
    cfg: OrgConfig,
    st: TaskState,
    key: str,
    action: str,
    actor: str,
    d: Decision,
    asked: dict | None = None,
) -> tuple[int, bool]:
    """One pending approval per task and action, bound to the current revision."""
    for p in _rows(
        tx, "task = :k AND kind = 'action' AND subject = :a AND status = 'pending'", {"k": key, "a": action}
    ):
        if p["revision"] == st.revision:
            return p["approval"], False
        tx.x(
            "UPDATE approvals SET status = 'stale', decided_at = :t WHERE id = :id",
            {"t": tx.now, "id": p["approval"]},
        )
    aid = tx.x(
        "INSERT INTO approvals(task, kind, subject, lane, revision, status, requested_by, requested_at, reason, "
        "rules) VALUES (:k, 'action', :a, NULL, :rev, 'pending', :by, :t, :why, :rules) RETURNING id",
        {
            "k": key,
            "a": action,
            "rev": st.revision,
            "by": actor,
            "t": tx.now,
            "why": ctx.redactor.text(d.reason),
            "rules": json.dumps(d.rule_ids),
        },
    ).scalar_one()
    lane, fam = ctx.actor_info(cfg, actor)
    ctx.record(
        tx,
        "approval.requested",
        task=key,
        actor=actor,
        lane=lane,
        family=fam,
        decision="needs_approval",
        rules=d.rule_ids,
        config_hash=cfg.config_hash,
        data=ApprovalRequested(
            approval=aid,
            kind="action",
            action=action,
            revision=st.revision,
            rules=[h.to_json() for h in d.rules],
            attributes=ctx.redactor.value(dict(asked or {})),  # what the human is shown (ADR 0112)
        ),
    )
    for lname, ln in cfg.lanes.items():
        if ln.kind == "human":
            tx.wake(lname)
    return aid, True


def _check_human(ctx: Ctx, cfg: OrgConfig | None, human: str, verb: str) -> None:
    if cfg is None:
        return
    who = cfg.actors.get(human)
    if who is None:
        raise NotFound(f"no actor '{human}' in this org")
    if not who.is_human:
        raise Denied(
            f"{human} is an agent; only members of a human lane {verb}", rule=rule_ids.HUMAN_APPROVAL
        )
    d = decide(cfg, human, verb, {})
    if not d.allowed:
        raise Denied(d.reason, rules=d.rule_ids)


def _already_decided(
    tx: Tx, key: str, lane: str, approval: int | None, gate: str | None, action: str | None
) -> None:
    """Nothing pending, but the request asked for was decided: that is a conflict (exit 5), not 'not found'."""
    rows = [
        r for r in _rows(tx, "task = :k AND status <> 'pending'", {"k": key}) if r["lane"] in (None, lane)
    ]
    if approval is not None:
        rows = [r for r in rows if r["approval"] == int(approval)]
    if gate is not None:
        rows = [r for r in rows if r["kind"] == "gate" and r["subject"] == gate]
    if action is not None:
        rows = [r for r in rows if r["kind"] == "action" and r["subject"] == action]
    if rows:
        r = rows[-1]
        by = f" by {r['decided_by']}" if r.get("decided_by") else ""
        how = {
            "granted": "approved",
            "stale": "stale (it was for an older revision)",
            "changes": "sent back with changes requested",
        }.get(r["status"], r["status"])
        raise Conflict(
            f"request #{r['approval']} ({r['kind']} '{r['subject']}') on {key} was already {how}{by}; "
            "nothing is pending there",
            task=key,
            approval=r["approval"],
            status=r["status"],
        )


def _choose(
    tx: Tx, pcfg: OrgConfig, key: str, human: str, approval: int | None, gate: str | None, action: str | None
) -> dict:
    lane = pcfg.actors[human].lane
    rows = [r for r in _rows(tx, "task = :k AND status = 'pending'", {"k": key}) if r["lane"] in (None, lane)]
    if approval is not None:
        rows = [r for r in rows if r["approval"] == int(approval)]
    if gate is not None:
        rows = [r for r in rows if r["kind"] == "gate" and r["subject"] == gate]
    if action is not None:
        rows = [r for r in rows if r["kind"] == "action" and r["subject"] == action]
    if not rows:
        _already_decided(tx, key, lane, approval, gate, action)
        raise NotFound(f"nothing pending for {human} on {key}")
    if len(rows) > 1:
        listing = ", ".join(f"#{r['approval']} {r['kind']} {r['subject']}" for r in rows)
        raise UsageError(
            f"{key} has {len(rows)} pending requests ({listing}); pick one with --id, --gate or --action"
        )
    return rows[0]


def approve(
    ctx: Ctx,
    cfg: OrgConfig | None,
    task: str,
    human: str,
    *,
    note: str = "",
    approval: int | None = None,
    gate: str | None = None,
    action: str | None = None,
    revision: str | None = None,
) -> dict:
    return _settle(ctx, cfg, task, human, "approve", note, approval, gate, action, revision)


def reject(
    ctx: Ctx,
    cfg: OrgConfig | None,
    task: str,
    human: str,
    *,
    note: str,
    approval: int | None = None,
    gate: str | None = None,
    action: str | None = None,
    revision: str | None = None,
) -> dict:
    if not note or not note.strip():
        raise UsageError("a rejection needs --note saying why")
    return _settle(ctx, cfg, task, human, "reject", note, approval, gate, action, revision)


def request_changes(
    ctx: Ctx,
    cfg: OrgConfig | None,
    task: str,
    human: str,
    *,
    note: str,
    approval: int | None = None,
    gate: str | None = None,
    revision: str | None = None,
) -> dict:
    """Send the work waiting at an approval gate back to its builder (the gate's on_fail, else the nearest work
    gate before it) with `note` as a finding; a rework round like a review's 'changes', not a final no. Needs
    the permission to reject (it is the softer no). Action requests and escalations are refused: a rejected
    action's requester may ask again, an escalation is resumed or rejected."""
    if not note or not note.strip():
        raise UsageError("requesting changes needs --note saying what to change")
    return _settle(ctx, cfg, task, human, "changes", note, approval, gate, None, revision)


def _settle(
    ctx: Ctx,
    cfg: OrgConfig | None,
    task: str,
    human: str,
    verdict: str,
    note: str,
    approval: int | None,
    gate: str | None,
    action: str | None,
    revision: str | None,
) -> dict:
    permission, verb = _VERDICTS[verdict]
    ok = verdict == "approve"
    _check_human(ctx, cfg, human, permission)
    key = task_key(task)

    def fn(tx: Tx):
        row = ctx.task_row(tx, key, lock=True)
        pcfg = ctx.pinned(tx, row.config_hash)
        who = pcfg.actors.get(human)
        if who is None or not who.is_human:
            raise Denied(
                f"{human} is not a member of a human lane under {key}'s pinned policy",
                rule=rule_ids.HUMAN_APPROVAL,
            )
        check_not_paused(tx, pcfg, actor=human, task=key)
        st = ctx.state(tx, row)
        behind = _behind(human)
        for person in (human, *behind):
            if person in st.authors:
                raise Denied(_author_words(st, key, human, person, verb), rule=rule_ids.SEPARATION_OF_DUTIES)
        p = _choose(tx, pcfg, key, human, approval, gate, action)
        if revision is not None and revision != st.revision:
            raise Conflict(
                f"you reviewed revision {revision}, but {key} is now at {st.revision}; look again",
                rule=rule_ids.STALE_REVISION,
            )
        lane, fam = ctx.actor_info(pcfg, human)
        base = {
            "task": key,
            "approval": p["approval"],
            "kind": p["kind"],
            "subject": p["subject"],
            "verdict": verdict,
            "revision": st.revision,
        }
        if p["kind"] == "gate":
            return {**base, **_settle_gate(ctx, tx, pcfg, row, st, p, human, verdict, note)}
        if verdict == "changes":
            what = (
                f"an action request ('{p['subject']}'): reject it with a note instead; its requester may ask "
                "again on a new revision"
                if p["kind"] == "action"
                else f"an escalation ({p['subject']}): approve resumes the task, reject closes it"
            )
            raise UsageError(f"request #{p['approval']} on {key} is {what}")
        if p["kind"] == "action":
            if p["revision"] != st.revision:
                tx.x(
                    "UPDATE approvals SET status = 'stale', decided_at = :t WHERE id = :id",
                    {"t": tx.now, "id": p["approval"]},
                )
                return AfterCommit(
                    Conflict(
                        f"request #{p['approval']} was for revision {p['revision']}, but {key} is now at {st.revision}; "
                        "it is stale (the actor asks again)",
                        rule=rule_ids.STALE_REVISION,
                    )
                )
            if p["requested_by"] in (human, *behind) or human in _asker_behind(tx, key, p):
                raise Denied(
                    f"{human} asked for '{p['subject']}' and may not {verb} it",
                    rule=rule_ids.SEPARATION_OF_DUTIES,
                )
            tx.x(
                "UPDATE approvals SET status = :s, decided_by = :h, decided_at = :t, note = :n WHERE id = :id",
                {
                    "s": "granted" if ok else "rejected",
                    "h": human,
                    "t": tx.now,
                    "n": ctx.redactor.text(note) or None,
                    "id": p["approval"],
                },
            )
            ctx.record(
                tx,
                "action.approved" if ok else "action.rejected",
                task=key,
                actor=human,
                lane=lane,
                family=fam,
                decision=verb,
                rules=p["rules"],
                config_hash=pcfg.config_hash,
                data=ActionVerdict(
                    approval=p["approval"],
                    action=p["subject"],
                    revision=st.revision,
                    note=note,
                    requested_by=p["requested_by"],
                    attributes=_shown(tx, key, p["approval"]),
                ),
            )
            _wake_requester(tx, pcfg, p["requested_by"])
            return {**base, "task_status": st.status}
        # an escalation: approve resumes the task in the flow; reject closes it
        if st.status != "escalated":
            raise Conflict(f"{key} is {st.status}, not escalated")
        if ok:
            evs = resume_events(ctx, tx, pcfg, key, st, human, note, approval=p["approval"])
        else:
            evs = [Event("task.rejected", key, {"reason": note, "escalation": st.escalation}, human)]
            tx.x(
                "UPDATE approvals SET decided_by = :h, note = :n WHERE id = :id",
                {"h": human, "n": ctx.redactor.text(note) or None, "id": p["approval"]},
            )
        st2 = apply(ctx, tx, pcfg, row, st, evs)
        return {
            **base,
            "task_status": st2.status,
            "events": [e.type for e in evs],
            "ready": st2.ready_gates(),
        }

    return ctx.write(fn)


def check_may_resume(pcfg: OrgConfig, st: TaskState, key: str, human: str, doing: str) -> None:
    """What approving `key`'s escalation takes, for any door that resumes it (`org approve`, taking over the
    dead job that raised it; ADR 0230): a human whose lane may 'approve' under the pinned policy, neither they
    nor anyone behind their token an author. Denied (exit 4) saying to have an approver resume it first."""
    who = pcfg.actors.get(human)
    then = f"; have an approver resume it first (org approve {key}), then {doing}"
    if who is None or not who.is_human:
        raise Denied(
            f"{human} is not a member of a human lane under {key}'s pinned policy{then}",
            rule=rule_ids.HUMAN_APPROVAL,
        )
    d = decide(pcfg, human, "approve", {})
    if not d.allowed:
        raise Denied(
            f"answering {key}'s escalation takes approving it, and {d.reason}{then}", rules=d.rule_ids
        )
    for person in (human, *_behind(human)):
        if person in st.authors:
            raise Denied(
                _author_words(st, key, human, person, "resume") + then, rule=rule_ids.SEPARATION_OF_DUTIES
            )


def resume_events(
    ctx: Ctx, tx: Tx, pcfg: OrgConfig, key: str, st: TaskState, human: str, note: str, *, approval: int | None
) -> list[Event]:
    """The events resuming `key`'s escalation as `human` decides it, recording them as its decider (request
    #approval, or every pending escalation of the task when None). The human accepts the task's unknown spend
    so far (ADR 0051), counted under the task row's lock the caller holds. Checks are the caller's
    (check_may_resume, or _settle's own)."""
    evs = flow.resume(
        pcfg, st, human, note, extra_check=ctx.extra_check, unpriced_calls=task_spend(tx, key)[1]
    )
    n = ctx.redactor.text(note) or None
    if approval is not None:
        tx.x(
            "UPDATE approvals SET decided_by = :h, note = :n WHERE id = :id",
            {"h": human, "n": n, "id": approval},
        )
    else:
        tx.x(
            "UPDATE approvals SET decided_by = :h, note = :n "
            "WHERE task = :k AND kind = 'escalation' AND status = 'pending'",
            {"h": human, "n": n, "k": key},
        )
    return evs


def _requester_lane(cfg: OrgConfig, actor: str | None) -> str | None:
    who = cfg.actors.get(actor or "")
    return who.lane if who is not None else None


def _wake_requester(tx: Tx, cfg: OrgConfig, actor: str | None) -> None:
    """An action's requester waits in its lane (its worker's claim loop, `org act --wait`, wait_decision):
    approving or rejecting its request wakes that lane at commit (a NOTIFY, or the lane's counter)."""
    lane = _requester_lane(cfg, actor)
    if lane is not None:
        tx.wake(lane)


def wait_decision(ctx: Ctx, approval: int, timeout: float, *, recheck: float = 5.0) -> dict:
    """Block until request `approval` is settled (granted, rejected, stale, cancelled) or `timeout` passes;
    returns the request as it stands. Sleeps on the requester's lane, which approve and reject wake; it
    also looks again every `recheck` seconds (a lost connection, a request that went stale without a wake)."""
    from org.bus.wake import Waiter, wait_seconds

    timeout = wait_seconds(timeout, "timeout")

    def get(tx: Tx) -> tuple[dict, str | None]:
        rows = _rows(tx, "id = :id", {"id": int(approval)})
        if not rows:
            raise NotFound(f"no approval request #{approval}")
        r = rows[0]
        lane = None
        if r["task"]:
            lane = _requester_lane(ctx.pinned(tx, ctx.task_row(tx, r["task"]).config_hash), r["requested_by"])
        return r, lane

    row, lane = ctx.store.read(get)
    if row["status"] != "pending" or timeout <= 0:
        return row
    deadline = time.monotonic() + timeout
    with Waiter(ctx.store, {lane} if lane else set(), events=lane is None) as w:
        while True:
            row, _ = ctx.store.read(get)  # read after the waiter is armed: a decision in between is not lost
            left = deadline - time.monotonic()
            if row["status"] != "pending" or left <= 0:
                return row
            w.wait(min(left, recheck))


def _settle_gate(
    ctx: Ctx,
    tx: Tx,
    pcfg: OrgConfig,
    row: TaskRow,
    st: TaskState,
    p: dict,
    human: str,
    verdict: str,
    note: str,
) -> dict:
    g = p["subject"]
    via = {"approve": "approve", "reject": "reject", "changes": "request-changes"}[verdict]
    jobs = tx.x(
        "SELECT id, status, leased_by, fence FROM jobs WHERE task = :k AND gate = :g "
        "AND status IN ('queued', 'leased') ORDER BY (CASE WHEN leased_by = :h THEN 0 WHEN status = 'queued' "
        "THEN 1 ELSE 2 END), id",
        {"k": row.key, "g": g, "h": human},
    ).all()
    if not jobs:
        raise Conflict(f"approval gate '{g}' of {row.key} has no open job; it was settled already")
    evs = flow.submit(
        pcfg,
        st,
        human,
        g,
        verdict,
        revision=st.revision,
        note=note,
        extra_check=ctx.extra_check,
    )
    jid, status, holder, fence = jobs[0]
    tx.x(
        "UPDATE jobs SET status = 'done', fence = fence + 1, leased_by = :h, verdict = :v, result = :r, updated_at = :t "
        "WHERE id = :j",
        {
            "h": human,
            "v": verdict,
            "t": tx.now,
            "j": jid,
            "r": json.dumps({"note": ctx.redactor.text(note), "via": via}),
        },
    )
    if status == "leased":
        tx.x(
            "UPDATE leases SET outcome = :o, ended_at = :t WHERE job = :j AND fence = :f",
            {"o": "submitted" if holder == human else "cancelled", "t": tx.now, "j": jid, "f": fence},
        )
    lane, fam = ctx.actor_info(pcfg, human)
    ctx.record(
        tx,
        "job.submitted",
        task=row.key,
        actor=human,
        lane=lane,
        family=fam,
        gate=g,
        decision=verdict,
        config_hash=pcfg.config_hash,
        job=jid,
        data=JobSubmitted(via=via, revision=st.revision, lease_holder=holder if status == "leased" else None),
    )
    st2 = apply(ctx, tx, pcfg, row, st, evs, job=jid)
    tx.x(
        "UPDATE approvals SET note = :n, decided_by = COALESCE(decided_by, :h)"
        + (", status = 'changes'" if verdict == "changes" and st2.open else "")
        + " WHERE id = :id",
        {"n": ctx.redactor.text(note) or None, "h": human, "id": p["approval"]},
    )
    return {
        "job": jid,
        "task_status": st2.status,
        "events": [e.type for e in evs],
        "ready": st2.ready_gates(),
    }


def pending_approvals(
    ctx: Ctx, *, human: str | None = None, task: str | None = None, lane: str | None = None, limit: int = 200
) -> list[dict]:
    """The human inbox: pending requests with the evidence a person needs to decide."""

    def fn(tx: Tx) -> list[dict]:
        where, params = "status = 'pending'", {}
        if task is not None:
            where += " AND task = :k"
            params["k"] = task_key(task)
        rows = _rows(tx, where, params)[: max(1, limit)]
        out = []
        for r in rows:
            item = dict(r)
            item["evidence"] = None
            if r["task"]:
                trow = ctx.task_row(tx, r["task"])
                pcfg = ctx.pinned(tx, trow.config_hash)
                st = ctx.state(tx, trow)
                h = pcfg.actors.get(human) if human else None
                if human is not None and (h is None or not h.is_human or (r["lane"] not in (None, h.lane))):
                    continue
                if lane is not None and r["lane"] not in (None, lane):
                    continue
                item["stale"] = r["kind"] == "action" and r["revision"] != st.revision
                item["can_decide"] = human is None or (human not in st.authors and human != r["requested_by"])
                item["evidence"] = _evidence(tx, pcfg, trow, st)
            out.append(item)
        return out

    return ctx.store.read(fn)


def _evidence(tx: Tx, cfg: OrgConfig, row: TaskRow, st: TaskState) -> dict:
    reviews = []
    for g, gs in st.gates.items():
        for r in gs.reviews:
            reviews.append(
                {
                    "gate": g,
                    "actor": r.actor,
                    "family": r.family,
                    "verdict": r.verdict,
                    "revision": r.revision,
                    "counts": r.counts and r.revision == st.revision,
                    "why": r.why,
                }
            )
    work = tx.x(
        "SELECT result FROM jobs WHERE task = :k AND kind = 'work' AND status = 'done' ORDER BY id DESC LIMIT 1",
        {"k": row.key},
    ).scalar()
    spent, unpriced = task_spend(tx, row.key)
    return {
        "title": row.title,
        "workflow": row.workflow,
        "tier": row.tier,
        "status": st.status,
        "attributes": row.attributes,
        "revision": st.revision,
        "authors": sorted(st.authors),
        "author_families": sorted(st.author_families),
        "reviews": reviews,
        "rounds": st.rounds,
        "latest_work": json.loads(work) if work else None,
        "spent_usd": spent,
        "unpriced_calls": unpriced,
        "config_hash": row.config_hash,
        "escalation": st.escalation,
    }
