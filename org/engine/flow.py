"""Transitions of a task through its gates. Each takes the pinned config and the folded state and
returns the new events; nothing here does I/O or reads a clock.

    start_task   task.created, gate.skipped..., then advance
    submit       work.submitted / review.filed / approval.*, gate.passed|failed, rework, advance
    advance      gate.ready for gates whose joins are met; check gates evaluated; the terminal
                 transition re-checks that every gate the tier requires passed on the current
                 revision (DESIGN invariant 4) before task.done
    eligibility  may this actor work this gate now (separation of duties, cross-vendor)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from org.config.loader import OrgConfig
from org.engine import memo
from org.engine.risk import classify
from org.engine.state import Event, GateState, TaskState, fold
from org.errors import Conflict, Denied, NotFound, UsageError

__all__ = [
    "Eligibility",
    "Violation",
    "ExtraCheck",
    "start_task",
    "submit",
    "advance",
    "eligibility",
    "eligible_members",
    "escalate_if_stalled",
    "escalate_if_over_budget",
    "resume",
    "revision_hash",
    "family_of_actor",
]


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    reason: str
    rule: str = ""

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class Violation:
    """A reason a check gate fails, with the rule or ADR behind it."""

    rule: str
    reason: str
    source: str = ""


_ELIGIBLE = Eligibility(True, "eligible")  # immutable, so one instance serves every positive answer
_CLOSING = frozenset(("task.escalated", "task.done", "task.rejected"))

# A hook for check gates: (cfg, state, gate) -> violations. The ADR check plugs in here.
ExtraCheck = Callable[[OrgConfig, TaskState, str], list[Violation]]


def family_of_actor(cfg: OrgConfig, actor: str) -> str:
    a = cfg.actors.get(actor)
    return (a.family if a and a.family else "human") if a else "unknown"


def revision_hash(task: str, gate: str, actor: str, round_: int, content: str) -> str:
    return hashlib.sha256(json.dumps([task, gate, actor, round_, content]).encode()).hexdigest()[:16]


def _ev(task: str, type_: str, actor: str | None = None, **data: Any) -> Event:
    # Event(type_, task, data, actor) without the frozen dataclass's per-field object.__setattr__
    # (the flow makes millions of these in a simulation); the result is the same frozen Event.
    ev = _new(Event)
    ev.__dict__.update(type=type_, task=task, data=data, actor=actor)
    return ev


_new = object.__new__


def start_task(
    cfg: OrgConfig,
    task: str,
    title: str,
    workflow: str,
    attributes: Mapping[str, Any] | None = None,
    by: str | None = None,
    requested_tier: str | None = None,
    extra_check: ExtraCheck | None = None,
) -> list[Event]:
    if workflow not in cfg.workflows:
        raise NotFound(f"no workflow '{workflow}' (workflows: {', '.join(sorted(cfg.workflows))})")
    tiers = [t.id for t in cfg.risk.tiers]
    if requested_tier is not None and requested_tier not in tiers:
        raise UsageError(f"unknown tier '{requested_tier}' (tiers: {', '.join(tiers)})")
    attrs = dict(attributes or {})
    cls = classify(cfg, attrs, requested_tier)
    plan = memo.plan(cfg, workflow, cls.tier)
    created = _ev(
        task, "task.created", by, workflow=workflow, title=title, tier=cls.tier, tier_reason=cls.reason,
        tier_rules=list(cls.rules), tier_sources=list(cls.sources), attributes=attrs, config_hash=cfg.config_hash,
        required=list(plan.required), gates=list(plan.order), workflow_source=cfg.source(f"workflow:{workflow}"),
    )
    events = [created]
    for g, why in plan.skipped.items():
        events.append(_ev(task, "gate.skipped", None, gate=g, reason=why, source=cfg.source(f"gate:{workflow}.{g}")))
    return events + _advance(cfg, fold(events), extra_check)  # a fresh state nobody else holds


def eligible_members(cfg: OrgConfig, state: TaskState, gate: str) -> list[str]:
    lane = cfg.workflows[state.workflow].gates[gate].lane
    return [a for a in memo.lane_members(cfg, lane) if eligibility(cfg, state, a, gate)]


def eligibility(cfg: OrgConfig, state: TaskState, actor: str, gate: str) -> Eligibility:
    """May `actor` take the job at `gate` now? Compares with every author of every revision."""
    return _eligibility(cfg, state, actor, gate, False)


def _eligibility(cfg: OrgConfig, state: TaskState, actor: str, gate: str, assume_ready: bool) -> Eligibility:
    """eligibility(); with assume_ready, as if the gate were ready (what advance asks before posting it)."""
    wf = cfg.workflows.get(state.workflow)
    spec = wf.gates.get(gate) if wf is not None else None
    if spec is None:
        return Eligibility(False, f"no gate '{gate}' in this task's workflow", "ORG-NO-GATE")
    who = cfg.actors.get(actor)
    if who is None:
        return Eligibility(False, "unknown actor", "ORG-UNKNOWN-ACTOR")
    if state.status != "active":
        return Eligibility(False, f"task is {state.status}", "ORG-TASK-CLOSED")
    gs = state.gates[gate]
    if not assume_ready and gs.status != "ready":
        return Eligibility(False, f"gate '{gate}' is {gs.status}, not ready", "ORG-GATE-NOT-READY")
    if spec.lane != who.lane:
        return Eligibility(False, f"gate '{gate}' is held by the {spec.lane} lane, not {who.lane}", "ORG-WRONG-LANE")
    kind = spec.kind
    if kind == "review" or kind == "approval":
        if actor in state.authors:
            return Eligibility(False, f"{actor} is an author of this work and may not review or approve it",
                               "ORG-SEPARATION-OF-DUTIES")
        rev = state.revision
        for r in gs.reviews:
            if r.actor == actor and r.revision == rev:
                return Eligibility(False, f"{actor} already reviewed this revision at '{gate}'", "ORG-ONE-REVIEW-EACH")
        fam = who.family or "human"  # family_of_actor for a known actor
        if spec.cross_vendor and fam in state.author_families:
            return Eligibility(False, f"{actor} is a {fam} model, the same family as an author; "
                                      "cross-vendor review needs another family", "ORG-CROSS-VENDOR")
        if kind == "approval" and not who.is_human:
            return Eligibility(False, "approvals are given only by humans", "ORG-HUMAN-APPROVAL")
    return _ELIGIBLE


def submit(
    cfg: OrgConfig,
    state: TaskState,
    actor: str,
    gate: str,
    verdict: str,
    *,
    revision: str | None = None,
    note: str = "",
    content: str = "",
    findings: list[dict] | None = None,
    extra_check: ExtraCheck | None = None,
    in_place: bool = False,
) -> list[Event]:
    """The actor's result at `gate`: work (pass = delivered), review (pass|fail|changes) or
    approval (approve|reject). Raises Denied when ineligible, Conflict when stale.

    With in_place=True the returned events are also folded into `state` (the caller's own copy),
    sparing the caller a fold and the engine a copy; on an exception `state` is left untouched."""
    wf = cfg.workflows[state.workflow]
    if gate not in wf.gates:
        raise NotFound(f"no gate '{gate}' in workflow '{state.workflow}'")
    spec = wf.gates[gate]
    el = eligibility(cfg, state, actor, gate)
    if not el:
        if el.rule in ("ORG-GATE-NOT-READY", "ORG-TASK-CLOSED", "ORG-ONE-REVIEW-EACH"):
            raise Conflict(el.reason, rule=el.rule)
        raise Denied(el.reason, rule=el.rule)
    fam = family_of_actor(cfg, actor)
    t = state.id
    events: list[Event] = []
    if spec.kind == "work":
        if verdict != "pass":
            events.append(_ev(t, "task.escalated", actor, reason=f"{actor} could not complete '{gate}': {note or verdict}",
                              kind="work_failed", gate=gate))
            if in_place:
                fold(events, state)
            return events
        rev = revision or revision_hash(t, gate, actor, state.rounds, content or note)
        events.append(_ev(t, "work.submitted", actor, gate=gate, revision=rev, family=fam, note=note))
        events.append(_ev(t, "gate.passed", actor, gate=gate, revision=rev, reason=f"delivered by {actor}"))
    elif spec.kind in ("review", "approval"):
        if revision is not None and revision != state.revision:
            raise Conflict(f"review of revision {revision}, but the current revision is {state.revision}; "
                           "reviews bind to content", rule="ORG-STALE-REVISION")
        rev = state.revision
        if spec.kind == "approval":
            if verdict not in ("approve", "pass", "reject", "fail"):
                raise UsageError("an approval is approve or reject")
            ok = verdict in ("approve", "pass")
            typ = "approval.granted" if ok else "approval.rejected"
            events.append(_ev(t, typ, actor, gate=gate, revision=rev, family=fam, counts=ok, note=note,
                              why="human, not an author" if ok else "rejected"))
        else:
            if verdict not in ("pass", "fail", "changes"):
                raise UsageError("a review verdict is pass, fail or changes")
            counts = verdict == "pass"
            why = "counts: not an author" + (f", {fam} differs from every author's family" if spec.cross_vendor else "")
            events.append(_ev(t, "review.filed", actor, gate=gate, revision=rev, family=fam, verdict=verdict,
                              counts=counts, why=why if counts else f"verdict {verdict}", note=note,
                              findings=findings or []))
            ok = counts
        work = fold(events, state if in_place else _copy(state))  # a state that follows `events`
        if ok:
            n = len(work.counting_reviews(gate))
            if n >= spec.quorum:
                events.append(_ev(t, "gate.passed", None, gate=gate, revision=rev,
                                  reason=f"{n} of {spec.quorum} {'approval' if spec.kind == 'approval' else 'review'}(s) on revision {rev}"))
                fold(events[-1:], work)
        elif spec.kind == "approval":
            events.append(_ev(t, "gate.failed", actor, gate=gate, revision=rev, reason=f"rejected by {actor}: {note}"))
            events.append(_ev(t, "task.rejected", actor, gate=gate, reason=note))
            fold(events[-2:], work)
            return events
        else:
            k = len(events)
            events.append(_ev(t, "gate.failed", actor, gate=gate, revision=rev, reason=f"{verdict} from {actor}: {note}"))
            events += _rework(cfg, work, gate)  # reads only the id, workflow and rounds, as before the fold
            fold(events[k:], work)
            if events[-1].type == "task.escalated":
                return events
    else:
        raise UsageError(f"'{gate}' is a {spec.kind} gate; the engine evaluates it, nobody submits to it")
    if spec.kind == "work":
        work = fold(events, state if in_place else _copy(state))
    return events + _advance(cfg, work, extra_check)


def _rework(cfg: OrgConfig, state: TaskState, gate: str) -> list[Event]:
    wf = cfg.workflows[state.workflow]
    spec = wf.gates[gate]
    target = spec.on_fail or _nearest_work(cfg, state, gate)
    limit = wf.limits.max_rework_rounds
    rnd = state.rounds + 1
    if target is None or rnd > limit:
        why = (f"rework limit reached ({limit} round(s)) after '{gate}' failed" if target
               else f"'{gate}' failed and there is no work gate to send it back to")
        return [_ev(state.id, "task.escalated", None, reason=why, kind="rework_limit", gate=gate,
                    source=cfg.source(f"limits:{state.workflow}"))]
    reset = sorted({target} | memo.derived(cfg, state.workflow, "descendants", target))
    return [_ev(state.id, "rework.started", None, round=rnd, target=target, from_gate=gate, reset=reset,
                limit=limit)]


def _nearest_work(cfg: OrgConfig, state: TaskState, gate: str) -> str | None:
    return memo.derived(cfg, state.workflow, "nearest_work", gate)


def _copy(state: TaskState) -> TaskState:
    """An independent copy for a trial fold: fresh containers for everything the fold mutates (gates,
    reviews, revisions, authors). Equal to copy.deepcopy(state) and ~50x cheaper; events are frozen
    and attribute values are never mutated, so sharing them is safe. Built from the instances'
    __dict__ (both are plain dataclasses) to keep the hot path free of __init__ calls."""
    new_gate = object.__new__
    gates = {}
    for n, g in state.gates.items():
        ng = new_gate(GateState)
        ng.__dict__ = {**g.__dict__, "reviews": list(g.reviews)}
        gates[n] = ng
    out = new_gate(TaskState)
    out.__dict__ = {**state.__dict__, "attributes": dict(state.attributes), "gates": gates,
                    "revisions": list(state.revisions), "authors": set(state.authors),
                    "author_families": set(state.author_families)}
    return out


def advance(cfg: OrgConfig, state: TaskState, *, extra_check: ExtraCheck | None = None) -> list[Event]:
    """Post gate.ready for gates whose joins are met, evaluate check gates, and finish the task."""
    if not state.open:
        return []
    return _advance(cfg, _copy(state), extra_check)


def _advance(cfg: OrgConfig, state: TaskState, extra_check: ExtraCheck | None) -> list[Event]:
    """advance() on a state the caller owns (it is folded forward in place)."""
    if not state.open:
        return []
    wf = cfg.workflows[state.workflow]
    out: list[Event] = []
    t = state.id
    for _ in range(len(wf.gates) + 2):
        new: list[Event] = []
        gates = state.gates
        steps = memo.steps(cfg, state.workflow)
        # _satisfied() for every gate, in one sweep: the state does not change within a pass, and
        # steps come in topological order, so each gate's dependencies are known before it.
        sat: dict[str, bool] = {}
        is_sat = sat.__getitem__
        for name, spec, _ in steps:
            st = gates[name].status
            sat[name] = st == "passed" or (st == "skipped" and all(map(is_sat, spec.after)))
        for name, spec, source in steps:
            if gates[name].status != "pending":
                continue
            if not all(map(is_sat, spec.after)):
                continue
            k = len(new)  # events before this gate closed nothing, or the pass would have stopped
            if spec.kind == "terminal":
                new += _finish(cfg, state)
            elif spec.kind == "check":
                new += _check(cfg, state, name, extra_check)
            else:
                new.append(_ev(t, "gate.ready", None, gate=name, lane=spec.lane, round=state.rounds, source=source))
                if spec.kind in ("review", "approval") and _short_of_members(cfg, state, name, spec.quorum):
                    new.append(_ev(t, "task.escalated", None, kind="no_eligible_reviewer", gate=name,
                                   reason=f"no eligible {spec.lane} member for '{name}' (authors and same-family "
                                          "models are excluded); failing closed"))
            if any(e.type in _CLOSING for e in new[k:]):
                break
        if not new:
            break
        state = fold(new, state)
        out += new
        if not state.open:
            break
    return out


def _short_of_members(cfg: OrgConfig, state: TaskState, gate: str, quorum: int) -> bool:
    """Would fewer members than the quorum still needs be eligible once `gate` is ready?"""
    need = quorum - len(state.counting_reviews(gate))
    if need <= 0:
        return False
    for a in memo.lane_members(cfg, cfg.workflows[state.workflow].gates[gate].lane):
        if _eligibility(cfg, state, a, gate, True):
            need -= 1
            if need <= 0:
                return False
    return True


def _satisfied(wf, state: TaskState, gate: str) -> bool:
    """Passed, or skipped with everything before it satisfied: a skipped gate is a wire, not a shortcut."""
    st = state.gates[gate].status
    if st == "passed":
        return True
    if st == "skipped":
        return all(_satisfied(wf, state, d) for d in wf.gates[gate].after)
    return False


def _check(cfg: OrgConfig, state: TaskState, gate: str, extra_check: ExtraCheck | None) -> list[Event]:
    t = state.id
    violations: list[Violation] = []
    for name, spec, source in memo.check_targets(cfg, state.workflow, gate, state.required):
        gs = state.gates[name]
        counting = state.counting_reviews(name)
        if gs.status != "passed" or gs.revision != state.revision or len(counting) < spec.quorum:
            violations.append(Violation("ORG-CONTENT-BINDING", f"'{name}' has no valid pass on revision {state.revision}",
                                        source))
        for r in counting:
            if r.actor in state.authors:
                violations.append(Violation("ORG-SEPARATION-OF-DUTIES", f"{r.actor} reviewed its own work at '{name}'"))
    if extra_check is not None:
        violations += extra_check(cfg, state, gate)
    src = cfg.source(f"gate:{state.workflow}.{gate}")
    if violations:
        return [
            _ev(t, "gate.failed", None, gate=gate, revision=state.revision, source=src,
                reason="; ".join(v.reason for v in violations), rules=[v.rule for v in violations],
                violations=[v.__dict__ for v in violations]),
            _ev(t, "task.escalated", None, kind="check_failed", gate=gate,
                reason=f"check '{gate}' failed: " + "; ".join(v.reason for v in violations)),
        ]
    return [_ev(t, "gate.passed", None, gate=gate, revision=state.revision, source=src,
                reason="eligible: separation of duties, cross-vendor quorum and content binding hold")]


def _finish(cfg: OrgConfig, state: TaskState) -> list[Event]:
    """The terminal transition re-checks that nothing was bypassed (DESIGN invariant 4)."""
    wf = cfg.workflows[state.workflow]
    plan = memo.plan(cfg, state.workflow, state.tier)
    problems = []
    for name in plan.required:
        gs = state.gates[name]
        spec = wf.gates[name]
        if gs.status != "passed":
            problems.append(f"required gate '{name}' is {gs.status}")
        elif spec.kind in ("review", "approval") and (gs.revision != state.revision
                                                      or len(state.counting_reviews(name)) < spec.quorum):
            problems.append(f"'{name}' passed on revision {gs.revision}, not the current {state.revision}")
    for name, gs in state.gates.items():
        if gs.status == "skipped" and name in plan.required:
            problems.append(f"required gate '{name}' was skipped")
    path = memo.derived(cfg, state.workflow, "bypass", state.tier)
    if path:
        problems.append("bypass path " + " -> ".join(path))
    if problems:
        return [_ev(state.id, "task.escalated", None, kind="bypass_detected",
                    reason="terminal re-check failed: " + "; ".join(problems))]
    return [_ev(state.id, "gate.passed", None, gate=plan.terminal, revision=state.revision, reason="terminal re-check held"),
            _ev(state.id, "task.done", None, revision=state.revision, tier=state.tier,
                passed=[g for g in plan.required], skipped=sorted(plan.skipped))]


def escalate_if_stalled(cfg: OrgConfig, state: TaskState, idle_seconds: float) -> list[Event]:
    lim = cfg.workflows[state.workflow].limits.no_progress_seconds
    if state.open and idle_seconds > lim:
        return [_ev(state.id, "task.escalated", None, kind="no_progress", limit=lim,
                    reason=f"no progress for {int(idle_seconds)}s (limit {lim}s)",
                    source=cfg.source(f"limits:{state.workflow}"))]
    return []


def escalate_if_over_budget(cfg: OrgConfig, state: TaskState, spent_usd: float) -> list[Event]:
    lim = cfg.workflows[state.workflow].limits.budget_usd
    if state.open and lim is not None and spent_usd > lim:
        return [_ev(state.id, "task.escalated", None, kind="budget", limit=lim,
                    reason=f"spent ${spent_usd:.4f}, over the task budget ${lim:.2f}",
                    source=cfg.source(f"limits:{state.workflow}"))]
    return []


def resume(cfg: OrgConfig, state: TaskState, human: str, note: str = "", extra_check: ExtraCheck | None = None) -> list[Event]:
    """A human sends an escalated task back into the flow (rework rounds are not reset)."""
    who = cfg.actors.get(human)
    if who is None or not who.is_human:
        raise Denied("only a human may resume an escalated task", rule="ORG-HUMAN-APPROVAL")
    if state.status != "escalated":
        raise Conflict(f"task is {state.status}, not escalated")
    ev = _ev(state.id, "task.resumed", human, note=note)
    s2 = fold([ev], _copy(state))
    # Gates that failed (a check, a rework limit) go back to pending so advance can retry them.
    resets = [_ev(state.id, "rework.started", human, round=s2.rounds, target=None, from_gate=None,
                  reset=[g for g, gs in s2.gates.items() if gs.status == "failed"], limit=None)]
    s3 = fold(resets, s2)
    return [ev, *resets, *advance(cfg, s3, extra_check=extra_check)]
