"""Transitions of a task through its gates. Each takes the pinned config and the folded state and
returns the new events; nothing here does I/O or reads a clock.

    start_task   task.created, gate.skipped..., then advance
    submit       work.submitted / review.filed / approval.*, gate.passed|failed, rework, advance
    advance      gate.ready for gates whose joins are met (bound to the latest upstream revision);
                 check gates evaluated; the terminal transition re-checks that every gate the tier
                 requires passed on the revision it covers (DESIGN invariant 4) before task.done
    eligibility  may this actor work this gate now (separation of duties, cross-vendor)

Nothing here changes what its caller holds: each transition folds its events into a state of its
own (start_task_folded and submit_folded hand it back). Facts derived from the config once (plans,
gate order, the gates before each gate) come from org.engine.memo.

Every function here works only with the policy the task was started under (DESIGN invariant 9):
a config with another hash is refused (Conflict, rule_ids.POLICY_PINNED; load the pinned files with
org.config.loader.load_org_files(state's files)). Every event carries the config_hash it was
decided under.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _q
from typing import Any, TypedDict, Unpack

from org.config.loader import OrgConfig
from org.engine import memo, rule_ids
from org.engine.attributes import require_attributes
from org.engine.binding import (
    bound_revision,
    content_problems,
    control_problems,
    required_gates,
    valid_reviews,
)
from org.engine.conditions import coerce
from org.engine.duties import (
    CURRENT,
    Eligibility,
    count_eligible,
    eligibility,
    eligible_members,
    family_of_actor,
)
from org.engine.risk import classify_filing
from org.engine.state import Event, TaskState, fold
from org.errors import Conflict, Denied, NotFound, UsageError

__all__ = [
    "filer_may_approve",
    "workflow_implied",
    "Eligibility",
    "Violation",
    "ExtraCheck",
    "start_task",
    "start_task_folded",
    "submit",
    "submit_folded",
    "SubmitOptions",
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
class Violation:
    """A reason a check gate fails, with the rule or ADR behind it."""

    rule: str
    reason: str
    source: str = ""


# A hook for check gates: (cfg, state, gate) -> violations. The ADR check plugs in here.
ExtraCheck = Callable[[OrgConfig, TaskState, str], list[Violation]]


def revision_hash(task: str, gate: str, actor: str, round_: int, content: str) -> str:
    if (
        type(task) is str
        and type(gate) is str
        and type(actor) is str
        and type(round_) is int
        and type(content) is str
    ):  # the text json.dumps writes for these, without its machinery
        text = f"[{_q(task)}, {_q(gate)}, {_q(actor)}, {int.__repr__(round_)}, {_q(content)}]"
    else:
        text = json.dumps([task, gate, actor, round_, content])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ev(task: str, type_: str, actor: str | None = None, **data: Any) -> Event:
    return _event(type_, task, data, actor)


def _event(type_: str, task: str, data: dict[str, Any], actor: str | None) -> Event:
    """Event(type_, task, data, actor), without the frozen dataclass's four object.__setattr__
    calls (the flow makes millions of events in a simulation): the same fields, the same Event."""
    ev = _new(Event)
    d = ev.__dict__
    d["type"] = type_
    d["task"] = task
    d["data"] = data
    d["actor"] = actor
    return ev


_new = object.__new__


def _stamp(cfg: OrgConfig, events: list[Event]) -> list[Event]:
    """Record the policy every event was decided under."""
    h = cfg.config_hash
    for e in events:
        d = e.data
        if "config_hash" not in d:
            d["config_hash"] = h
    return events


def _pinned(cfg: OrgConfig, state: TaskState) -> None:
    if state.config_hash and cfg.config_hash != state.config_hash:
        raise Conflict(
            f"task {state.id} runs under policy {state.config_hash}, not {cfg.config_hash}; "
            "a running task keeps the policy it started with (load its pinned files)",
            rule=rule_ids.POLICY_PINNED,
            pinned=state.config_hash,
            given=cfg.config_hash,
        )


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
    return start_task_folded(cfg, task, title, workflow, attributes, by, requested_tier, extra_check)[0]


def start_task_folded(
    cfg: OrgConfig,
    task: str,
    title: str,
    workflow: str,
    attributes: Mapping[str, Any] | None = None,
    by: str | None = None,
    requested_tier: str | None = None,
    extra_check: ExtraCheck | None = None,
) -> tuple[list[Event], TaskState]:
    """start_task, and the state its events fold to (a fresh one, the caller's to keep: what the
    simulator would otherwise fold again)."""
    if workflow not in cfg.workflows:
        raise NotFound(f"no workflow '{workflow}' (workflows: {', '.join(sorted(cfg.workflows))})")
    tiers = [t.id for t in cfg.risk.tiers]
    if requested_tier is not None and requested_tier not in tiers:
        raise UsageError(f"unknown tier '{requested_tier}' (tiers: {', '.join(tiers)})")
    attrs = require_attributes(cfg, attributes, org_set=True)
    attrs = workflow_implied(cfg, workflow, attrs)
    missing = [k for k in cfg.workflows[workflow].requires if attrs.get(k) is None]
    if (
        missing
    ):  # a fact the workflow cannot be judged without is asked for, never read as harmless (ADR 0071)
        raise UsageError(
            f"a '{workflow}' task is filed with "
            + ", ".join(
                f"{k} ({'one of ' + ', '.join(cfg.attributes[k].values) if k in cfg.attributes and cfg.attributes[k].values else 'a value'})"
                for k in missing
            )
            + f": --set {missing[0]}=..."
        )
    # silence on a fact a tier-raising rule reads is read at its worst unless the workflow settles it (ADR 0275)
    implied = cfg.workflows[workflow].implies
    both = frozenset(k for k, v in implied.items() if v is None and k in attrs)
    cls = classify_filing(cfg, attrs, requested_tier, frozenset(implied), both)
    plan = memo.plan(cfg, workflow, cls.tier)
    created = _ev(
        task,
        "task.created",
        by,
        workflow=workflow,
        title=title,
        tier=cls.tier,
        tier_reason=cls.reason,
        tier_rules=list(cls.rules),
        tier_sources=list(cls.sources),
        attributes=attrs,
        config_hash=cfg.config_hash,
        required=list(plan.required),
        gates=list(plan.order),
        workflow_source=cfg.source(f"workflow:{workflow}"),
        **({} if filer_may_approve(cfg, cls.tier) else {"filer_may_approve": False}),
    )
    events = [created]
    for g, why in plan.skipped.items():
        events.append(
            _ev(task, "gate.skipped", None, gate=g, reason=why, source=cfg.source(f"gate:{workflow}.{g}"))
        )
    # the state folded here is advance's own: it needs no copy (and is pinned to cfg by construction);
    # advance folds what it adds, so it ends as the fold of every event returned
    state = fold(events)
    return _stamp(cfg, events + _advance(cfg, state, extra_check)), state


def workflow_implied(cfg: OrgConfig, workflow: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """`attrs` with the facts the workflow implies for every task and action of it filled in (ADR 0220); a
    filing that says otherwise is refused (exit 2), naming the workflow's file and line."""
    implied = cfg.workflows[workflow].implies
    if not implied:
        return attrs
    out = dict(attrs)
    for k, v in implied.items():
        if v is None:  # its tasks have no such fact (ADR 0275): absent, never unknown; stated, read both ways
            if out.get(k) is None:
                out.pop(k, None)
            continue
        want = coerce(cfg.attributes.get(k), v)
        if k not in out:
            out[k] = want
        elif out[k] != want or type(out[k]) is not type(want):
            raise UsageError(
                f"a '{workflow}' task is {k}: {v} ({cfg.source(f'workflow:{workflow}')}: implies); "
                f"it cannot be filed with {k}={out[k]}"
            )
    return out


def filer_may_approve(cfg: OrgConfig, tier: str) -> bool:
    """May the human who filed a task of this tier approve it (ADR 0111)? A setting of the tier; the default
    org turns it off for the high tier (the two-person rule). Off, the filer counts as an author."""
    spec = next((t for t in cfg.risk.tiers if t.id == tier), None)
    return True if spec is None else spec.filer_may_approve


class SubmitOptions(TypedDict, total=False):
    """submit's keyword arguments. `revision`: the revision a review or approval saw (another one is
    stale), or the name of new work; `note`, `content` (what a new work revision's name is made from),
    `findings` (a review's); `extra_check`: the hook of check gates; `paths` (work at a repository task:
    the paths the revision changes, read by org from git) re-classify the task: when they need a higher
    tier, `task.tier_raised` records it and the gates that tier requires become required (ADR 0135)."""

    revision: str | None
    note: str
    content: str
    findings: list[dict[str, Any]] | None
    extra_check: ExtraCheck | None
    paths: Sequence[str] | None


_OPTIONS = frozenset(SubmitOptions.__annotations__)


def submit(
    cfg: OrgConfig, state: TaskState, actor: str, gate: str, verdict: str, **options: Unpack[SubmitOptions]
) -> list[Event]:
    """The actor's result at `gate`: work (pass = delivered), review (pass|fail|changes) or
    approval (approve|reject|changes: sent back to the work before it with the note as a finding).
    Raises Denied when ineligible, Conflict when stale. `state` is left as it was."""
    return submit_folded(cfg, state, actor, gate, verdict, **options)[0]


def submit_folded(
    cfg: OrgConfig, state: TaskState, actor: str, gate: str, verdict: str, **options: Unpack[SubmitOptions]
) -> tuple[list[Event], TaskState]:
    """submit, and the state its events fold to: a new one, the caller's to keep (what the simulator
    would otherwise fold again). `state` is left as it was, whatever happens."""
    o = options
    if not _OPTIONS.issuperset(o):  # a misspelt option (extra_checks=...) must not drop what it names
        raise TypeError(
            f"submit() got unexpected keyword argument(s): {', '.join(sorted(set(o) - _OPTIONS))}"
        )
    _pinned(cfg, state)
    events, after = _submit(
        cfg,
        state,
        actor,
        gate,
        verdict,
        o.get("revision"),
        o.get("note", ""),
        o.get("content", ""),
        o.get("findings"),
        o.get("extra_check"),
        o.get("paths"),
    )
    return _stamp(cfg, events), after


def _tier_raised(
    cfg: OrgConfig, state: TaskState, actor: str, rev: str, paths: tuple[str, ...]
) -> list[Event]:
    """`task.tier_raised` when the revision's paths need a tier above the task's (it never falls): the new
    tier, the rules and sources behind it, and the gates skipped at the old tier that it requires."""
    from org.engine.risk import classify_revision

    who = cfg.actors.get(actor)
    cls = classify_revision(
        cfg, state.attributes, state.tier, paths, actor_is_human=bool(who and who.is_human)
    )
    if cls is None:
        return []
    plan = memo.plan(cfg, state.workflow, cls.tier)
    unskipped = [g for g in plan.required if state.gates[g].status == "skipped"]
    return [
        _event(
            "task.tier_raised",
            state.id,
            {
                "from": state.tier,
                "tier": cls.tier,
                "reason": cls.reason,
                "rules": list(cls.rules),
                "sources": list(cls.sources),
                "revision": rev,
                "required": list(plan.required),
                "unskipped": unskipped,
                **({} if filer_may_approve(cfg, cls.tier) else {"filer_may_approve": False}),
            },
            None,
        )
    ]


def _submit(
    cfg: OrgConfig,
    state: TaskState,
    actor: str,
    gate: str,
    verdict: str,
    revision: str | None,
    note: str,
    content: str,
    findings: list[dict[str, Any]] | None,
    extra_check: ExtraCheck | None,
    paths: Sequence[str] | None = None,
) -> tuple[list[Event], TaskState]:
    """The events, and `after`: a copy of `state` they are folded into as they are decided (the quorum
    count and advance read it). The checks read `state`, which never changes."""
    specs = memo.gates(cfg, state.workflow)
    if gate not in specs:
        raise NotFound(f"no gate '{gate}' in workflow '{state.workflow}'")
    spec = specs[gate]
    el = eligibility(cfg, state, actor, gate)
    if not el:
        if el.rule in (rule_ids.GATE_NOT_READY, rule_ids.TASK_CLOSED, rule_ids.ONE_REVIEW_EACH):
            raise Conflict(el.reason, rule=el.rule)
        raise Denied(el.reason, rule=el.rule)
    fam = family_of_actor(cfg, actor)
    t = state.id
    events: list[Event] = []
    if spec.kind == "work":
        if verdict != "pass":
            events.append(
                _ev(
                    t,
                    "task.escalated",
                    actor,
                    reason=f"{actor} could not complete '{gate}': {note or verdict}",
                    kind="work_failed",
                    gate=gate,
                )
            )
            return events, fold(events, state.copy())
        made = _work_revision(cfg, state, spec, gate, actor, revision, content or note)
        rev: str | None = made  # a review's branch below reads the bound revision, which may be none yet
        work: dict[str, Any] = {"gate": gate, "revision": made, "family": fam, "note": note}
        if paths is not None:
            work["paths"] = list(paths)
        events.append(_event("work.submitted", t, work, actor))
        if paths:
            events += _tier_raised(cfg, state, actor, made, tuple(paths))
        events.append(
            _event(
                "gate.passed", t, {"gate": gate, "revision": rev, "reason": f"delivered by {actor}"}, actor
            )
        )
        after = fold(events, state.copy())
    elif spec.kind in ("review", "approval"):
        rev = bound_revision(cfg, state, gate)
        if revision is not None and revision != rev:
            raise Conflict(
                f"review of revision {revision}, but the work at '{gate}' is now revision {rev}; "
                "reviews bind to content",
                rule=rule_ids.STALE_REVISION,
            )
        if spec.kind == "approval":
            if verdict not in ("approve", "pass", "reject", "fail", "changes"):
                raise UsageError("an approval is approve, reject or changes")
            ok = verdict in ("approve", "pass")
            if verdict == "changes":  # not final: the work goes back to its builder with the note (ADR 0125)
                if not note.strip():
                    raise UsageError("requesting changes needs a note saying what to change")
                events.append(
                    _ev(
                        t,
                        "approval.changes_requested",
                        actor,
                        gate=gate,
                        revision=rev,
                        family=fam,
                        counts=False,
                        verdict="changes",
                        note=note,
                        why="changes requested",
                        findings=[{"severity": "high", "text": note, "file": None}],
                    )
                )
            else:
                typ = "approval.granted" if ok else "approval.rejected"
                events.append(
                    _ev(
                        t,
                        typ,
                        actor,
                        gate=gate,
                        revision=rev,
                        family=fam,
                        counts=ok,
                        note=note,
                        why="human, not an author" if ok else "rejected",
                    )
                )
        else:
            if verdict not in ("pass", "fail", "changes"):
                raise UsageError("a review verdict is pass, fail or changes")
            counts = verdict == "pass"
            why = "counts: not an author" + (
                f", {fam} differs from every author's family" if spec.cross_vendor else ""
            )
            events.append(
                _event(
                    "review.filed",
                    t,
                    {
                        "gate": gate,
                        "revision": rev,
                        "family": fam,
                        "verdict": verdict,
                        "counts": counts,
                        "why": why if counts else f"verdict {verdict}",
                        "note": note,
                        "findings": findings or [],
                        "cross_vendor": spec.cross_vendor,
                    },
                    actor,
                )
            )
            ok = counts
        # One state serves both: the quorum count sees the new review, then advance continues from
        # it with the rest of this submission's events folded in (folding is sequential, so this is
        # the state of folding them all at once).
        after = fold(events, state.copy())
        k = len(events)
        if ok:
            n = len(valid_reviews(cfg, after, gate, rev))
            if n >= spec.quorum:
                events.append(
                    _event(
                        "gate.passed",
                        t,
                        {
                            "gate": gate,
                            "revision": rev,
                            "reason": f"{n} of {spec.quorum} {'approval' if spec.kind == 'approval' else 'review'}(s) "
                            f"on revision {rev}",
                        },
                        None,
                    )
                )
                fold(events[k:], after)
        elif spec.kind == "approval" and verdict != "changes":
            events.append(
                _ev(t, "gate.failed", actor, gate=gate, revision=rev, reason=f"rejected by {actor}: {note}")
            )
            events.append(_ev(t, "task.rejected", actor, gate=gate, reason=note))
            fold(events[k:], after)
            return events, after
        else:
            said = "changes requested by" if spec.kind == "approval" else f"{verdict} from"
            events.append(
                _ev(t, "gate.failed", actor, gate=gate, revision=rev, reason=f"{said} {actor}: {note}")
            )
            events += _rework(cfg, state, gate)  # reads the rework rounds: no event so far changed them
            fold(events[k:], after)
            if events[-1].type == "task.escalated":
                return events, after
    else:
        raise UsageError(f"'{gate}' is a {spec.kind} gate; the engine evaluates it, nobody submits to it")
    return events + _advance(cfg, after, extra_check), after


def _work_revision(
    cfg: OrgConfig, state: TaskState, spec: Any, gate: str, actor: str, revision: str | None, content: str
) -> str:
    """The revision a work submission records (ADR 0070). A gate that carries out an approved plan delivers no
    new content: it records the revision the controls before it passed on, and naming another is stale. Any
    other work gate delivers new content, which never takes the name of a revision another gate delivered
    (that would pass unseen content off as the reviewed one)."""
    if spec.carries_out is not None:
        bound = bound_revision(cfg, state, gate)
        if revision is not None and revision != bound:
            raise Conflict(
                f"'{gate}' carries out the plan approved on revision {bound}, not revision {revision}",
                rule=rule_ids.STALE_REVISION,
            )
        if bound is not None:
            return bound
    if revision is not None:
        for rev, g, _actor, _family in state.revisions:
            if rev == revision and g != gate:
                raise Conflict(
                    f"revision {revision} was delivered at '{g}'; new work at '{gate}' is a new revision",
                    rule=rule_ids.REVISION_REUSED,
                )
        return revision
    return revision_hash(state.id, gate, actor, state.rounds, content)


def _rework(cfg: OrgConfig, state: TaskState, gate: str) -> list[Event]:
    wf = cfg.workflows[state.workflow]
    spec = memo.gates(cfg, state.workflow)[gate]
    target = spec.on_fail or _nearest_work(cfg, state, gate)
    limit = wf.limits.max_rework_rounds
    rnd = state.rounds + 1
    if target is None or rnd > limit:
        why = (
            f"rework limit reached ({limit} round(s)) after '{gate}' failed"
            if target
            else f"'{gate}' failed and there is no work gate to send it back to"
        )
        return [
            _ev(
                state.id,
                "task.escalated",
                None,
                reason=why,
                kind="rework_limit",
                gate=gate,
                source=cfg.source(f"limits:{state.workflow}"),
            )
        ]
    reset = sorted({target} | memo.descendants(cfg, state.workflow, target))
    return [
        _ev(
            state.id,
            "rework.started",
            None,
            round=rnd,
            target=target,
            from_gate=gate,
            reset=reset,
            limit=limit,
        )
    ]


def _nearest_work(cfg: OrgConfig, state: TaskState, gate: str) -> str | None:
    return memo.nearest_work(cfg, state.workflow, gate)


def advance(cfg: OrgConfig, state: TaskState, *, extra_check: ExtraCheck | None = None) -> list[Event]:
    """Post gate.ready for gates whose joins are met, evaluate check gates, and finish the task.
    `state` is left as it was."""
    _pinned(cfg, state)
    return _stamp(cfg, _advance(cfg, state.copy(), extra_check))


_CLOSING = frozenset(("task.escalated", "task.done", "task.rejected"))


def _advance(cfg: OrgConfig, state: TaskState, extra_check: ExtraCheck | None) -> list[Event]:
    """advance without the pin check and the stamp, on a state the caller owns: every event it returns
    is folded into `state` as it goes. Sweep after sweep until one adds nothing, closes the task, or only
    made gates ready (only a gate passing, a check, can meet a join: the next sweep would add nothing)."""
    steps = memo.steps(cfg, state.workflow)
    out: list[Event] = []
    for _ in range(len(steps) + 2):  # each sweep that goes on passes a gate: at most one per gate
        if state.status != "active":
            break
        new = _sweep(cfg, state, steps, extra_check)
        if not new:
            break
        fold(new, state)
        out += new
        for e in new:
            if e.type != "gate.ready":
                break
        else:
            break
    return out


def _sweep(
    cfg: OrgConfig, state: TaskState, steps: tuple[memo.Step, ...], extra_check: ExtraCheck | None
) -> list[Event]:
    """One pass over the gates in topological order, on `state` as it is (nothing is folded during a pass,
    so whether a join is met is the same wherever it is asked). A gate's join is met when every gate it
    waits for is passed, or skipped with its own join met (a skipped gate is a wire, not a shortcut); a
    gate the workflow does not have is never met (the config checks refuse such a workflow). A pending
    gate whose join is met: a work, review or approval gate gets ready on the latest revision delivered
    before it (and a review or approval gate nobody may take escalates, DESIGN invariant 6); a check gate
    is evaluated; the terminal gate re-checks the task. The pass stops at an event that closes the task."""
    gates = state.gates
    new: list[Event] = []
    met: set[str] = set()
    for name, spec, src, before, after, kind in steps:
        status = gates[name].status
        if status == "passed" or (status == "skipped" and met.issuperset(after)):
            met.add(name)
            continue
        if status != "pending" or not met.issuperset(after):
            continue
        if kind == "terminal":
            more = _finish(cfg, state)
        elif kind == "check":
            more = _check(cfg, state, name, extra_check)
        else:
            rev = _latest_before(state, before)
            new.append(
                _event(
                    "gate.ready",
                    state.id,
                    {"gate": name, "lane": spec.lane, "round": state.rounds, "revision": rev, "source": src},
                    None,
                )
            )
            if kind != "review" and kind != "approval":
                continue
            more = _no_eligible(cfg, state, name, rev)
        if more:
            new += more
            if any(e.type in _CLOSING for e in more):
                break
    return new


def _latest_before(state: TaskState, before: frozenset[str]) -> str | None:
    """The latest revision delivered at one of the gates `before` (binding.bound_revision's answer)."""
    for rev, gate, _actor, _family in reversed(state.revisions):
        if gate in before:
            return rev
    return None


def _no_eligible(cfg: OrgConfig, state: TaskState, gate: str, ready_on: Any = CURRENT) -> list[Event]:
    """Fail closed (DESIGN invariant 6): escalate when the ready gate's quorum cannot be met by
    the members still eligible (authors and same-family models excluded; one per family at
    cross-vendor gates). With `ready_on`: as if the gate had just got ready on that revision."""
    spec = memo.gates(cfg, state.workflow)[gate]
    bound = state.gates[gate].bound if ready_on is CURRENT else ready_on
    need = spec.quorum - len(valid_reviews(cfg, state, gate, bound))
    if need <= 0:
        return []
    # Count eligible members (families at a cross-vendor gate) until there are enough: the answer
    # and, when short, the count reported are those of counting all of eligible_members().
    have = count_eligible(cfg, state, gate, need, ready_on)
    if have >= need:
        return []
    return [
        _ev(
            state.id,
            "task.escalated",
            None,
            kind="no_eligible_reviewer",
            gate=gate,
            reason=f"no eligible {spec.lane} member for '{gate}' ({have} eligible "
            f"{'famil' + ('y' if have == 1 else 'ies') if spec.cross_vendor else 'member(s)'} for "
            f"{need} more; authors and same-family models are excluded); failing closed",
        )
    ]


def _check(cfg: OrgConfig, state: TaskState, gate: str, extra_check: ExtraCheck | None) -> list[Event]:
    """A check gate: every required review/approval before it holds on the revision it covers. A
    `check: tests` gate is made ready for the pipeline instead (org.engine.pipeline: it runs code)."""
    t = state.id
    if memo.gates(cfg, state.workflow)[gate].check == "tests":
        return [
            _event(
                "gate.ready",
                t,
                {
                    "gate": gate,
                    "lane": None,
                    "round": state.rounds,
                    "pipeline": "tests",
                    "revision": bound_revision(cfg, state, gate),
                    "source": cfg.source(f"gate:{state.workflow}.{gate}"),
                },
                None,
            )
        ]
    before = memo.upstream(cfg, state.workflow)[gate]
    names = [n for n in required_gates(cfg, state) if n in before]
    violations = [
        Violation(rule, reason, cfg.source(f"gate:{state.workflow}.{name}"))
        for name, rule, reason in control_problems(cfg, state, names)
    ]
    if extra_check is not None:
        violations += extra_check(cfg, state, gate)
    src = cfg.source(f"gate:{state.workflow}.{gate}")
    if violations:
        return [
            _ev(
                t,
                "gate.failed",
                None,
                gate=gate,
                revision=state.revision,
                source=src,
                reason="; ".join(v.reason for v in violations),
                rules=[v.rule for v in violations],
                violations=[v.__dict__ for v in violations],
            ),
            _ev(
                t,
                "task.escalated",
                None,
                kind="check_failed",
                gate=gate,
                reason=f"check '{gate}' failed: " + "; ".join(v.reason for v in violations),
            ),
        ]
    return [
        _event(
            "gate.passed",
            t,
            {
                "gate": gate,
                "revision": state.revision,
                "source": src,
                "reason": "eligible: separation of duties, cross-vendor quorum and content binding hold",
            },
            None,
        )
    ]


def _finish(cfg: OrgConfig, state: TaskState, merged: bool = False) -> list[Event]:
    """The terminal re-check (DESIGN invariant 4): every gate the pinned plan (and today's) requires
    passed, each review and approval on the revision it covers with a counting quorum, nothing
    required was skipped, and the graph has no bypass at this tier."""
    specs = memo.gates(cfg, state.workflow)
    plan = memo.plan(cfg, state.workflow, state.tier)
    required = required_gates(cfg, state)
    problems = [reason for _g, _r, reason in control_problems(cfg, state, required)]
    for name in required:
        gs = state.gates.get(name)
        if (
            gs is not None
            and name in specs
            and specs[name].kind not in ("review", "approval")
            and gs.status != "passed"
        ):
            problems.append(f"required gate '{name}' is {gs.status}")
    problems += content_problems(cfg, state, required)
    path = memo.bypass(cfg, state.workflow, state.tier)
    if path:
        problems.append("bypass path " + " -> ".join(path))
    if problems:
        return [
            _ev(
                state.id,
                "task.escalated",
                None,
                kind="bypass_detected",
                reason="terminal re-check failed: " + "; ".join(problems),
            )
        ]
    if state.attributes.get("repo") and not merged:
        # a task in a repository is done when org's pipeline merged it (org.engine.pipeline)
        return [
            _event(
                "gate.ready",
                state.id,
                {
                    "gate": plan.terminal,
                    "lane": None,
                    "round": state.rounds,
                    "pipeline": "merge",
                    "revision": state.revision,
                },
                None,
            )
        ]
    skipped = sorted(g for g, gs in state.gates.items() if gs.status == "skipped")
    return [
        _event(
            "gate.passed",
            state.id,
            {"gate": plan.terminal, "revision": state.revision, "reason": "terminal re-check held"},
            None,
        ),
        _event(
            "task.done",
            state.id,
            {"revision": state.revision, "tier": state.tier, "passed": list(required), "skipped": skipped},
            None,
        ),
    ]


def escalate_if_stalled(cfg: OrgConfig, state: TaskState, idle_seconds: float) -> list[Event]:
    """A brake: it works with any config (escalating never weakens a task)."""
    lim = cfg.workflows[state.workflow].limits.no_progress_seconds
    if state.open and idle_seconds > lim:
        return _stamp(
            cfg,
            [
                _ev(
                    state.id,
                    "task.escalated",
                    None,
                    kind="no_progress",
                    limit=lim,
                    reason=f"no progress for {int(idle_seconds)}s (limit {lim}s)",
                    source=cfg.source(f"limits:{state.workflow}"),
                )
            ],
        )
    return []


def escalate_if_over_budget(
    cfg: OrgConfig, state: TaskState, spent_usd: float, unpriced: int = 0
) -> list[Event]:
    """A brake: it works with any config (escalating never weakens a task). `spent_usd` is the priced
    spend; `unpriced` counts model calls of unknown cost no human has accepted yet: with any, the
    spend cannot be shown to be within the budget, so the task escalates (fails closed) like one
    over it."""
    lim = cfg.workflows[state.workflow].limits.budget_usd
    if state.open and lim is not None and (spent_usd > lim or unpriced > 0):
        extra: dict[str, Any] = {}
        if spent_usd > lim:
            why = f"spent ${spent_usd:.4f}, over the task budget ${lim:.2f}"
        else:
            why = (
                f"spent ${spent_usd:.4f} plus {unpriced} unpriced model call(s) of unknown cost: cannot show "
                f"it is within the task budget ${lim:.2f}"
            )
        if unpriced:
            extra["unpriced_calls"] = unpriced
        return _stamp(
            cfg,
            [
                _ev(
                    state.id,
                    "task.escalated",
                    None,
                    kind="budget",
                    limit=lim,
                    reason=why,
                    source=cfg.source(f"limits:{state.workflow}"),
                    **extra,
                )
            ],
        )
    return []


def resume(
    cfg: OrgConfig,
    state: TaskState,
    human: str,
    note: str = "",
    extra_check: ExtraCheck | None = None,
    unpriced_calls: int = 0,
) -> list[Event]:
    """A human sends an escalated task back into the flow (rework rounds are not reset). Ready
    review gates are checked again: with still no eligible reviewer the task escalates again.
    `unpriced_calls` (the task's model calls of unknown cost so far) is recorded as accepted by the human."""
    _pinned(cfg, state)
    who = cfg.actors.get(human)
    if who is None or not who.is_human:
        raise Denied("only a human may resume an escalated task", rule=rule_ids.HUMAN_APPROVAL)
    if state.status != "escalated":
        raise Conflict(f"task is {state.status}, not escalated")
    ev = (
        _ev(state.id, "task.resumed", human, note=note, unpriced_accepted=unpriced_calls)
        if unpriced_calls
        else _ev(state.id, "task.resumed", human, note=note)
    )
    s2 = fold([ev], state.copy())
    # Gates that failed (a check, a rework limit) go back to pending so advance can retry them.
    resets = [
        _ev(
            state.id,
            "rework.started",
            human,
            round=s2.rounds,
            target=None,
            from_gate=None,
            reset=[g for g, gs in s2.gates.items() if gs.status == "failed"],
            limit=None,
        )
    ]
    s3 = fold(resets, s2)
    wf = cfg.workflows[state.workflow]
    again: list[Event] = []
    for g in s3.ready_gates():
        if wf.gates[g].kind in ("review", "approval"):
            again = _no_eligible(cfg, s3, g)
            if again:
                break
    if again:
        return _stamp(cfg, [ev, *resets, *again])
    return _stamp(cfg, [ev, *resets, *_advance(cfg, s3, extra_check)])
