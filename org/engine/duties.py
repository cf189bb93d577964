"""Who may work a gate now: separation of duties, cross-vendor review, lanes, the pinned policy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from org.config.actions import action_matches
from org.config.loader import OrgConfig
from org.engine import memo, rule_ids
from org.engine.binding import author_families, valid_reviews
from org.engine.policy import compile_policy
from org.engine.state import GateState, TaskState

__all__ = [
    "gate_action_refusal",
    "stand_in_refusal",
    "Eligibility",
    "eligibility",
    "eligible_members",
    "family_of_actor",
    "count_eligible",
    "as_ready",
    "CURRENT",
]


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    reason: str
    rule: str = ""

    def __bool__(self) -> bool:
        return self.ok


def family_of_actor(cfg: OrgConfig, actor: str) -> str:
    a = cfg.actors.get(actor)
    return (a.family if a and a.family else "human") if a else "unknown"


def eligible_members(cfg: OrgConfig, state: TaskState, gate: str) -> list[str]:
    """The lane's members eligibility() admits at `gate` now, in lane order. At a ready review or approval
    gate the per-member tests run with what they share computed once (count_eligible's way)."""
    spec = memo.gates(cfg, state.workflow)[gate] if state.workflow in cfg.workflows else None
    if spec is not None and (spec.kind == "review" or spec.kind == "approval"):
        gs = state.gates[gate]
        if (
            gs.status == "ready"
            and state.status == "active"
            and not (state.config_hash and cfg.config_hash != state.config_hash)
        ):
            return [a for a, _fam in _admitted(cfg, state, gate, spec, gs.bound)]
    lane = cfg.workflows[state.workflow].gates[gate].lane
    return [a for a in memo.lane_members(cfg, lane) if eligibility(cfg, state, a, gate)]


_ELIGIBLE = Eligibility(True, "eligible")


def eligibility(cfg: OrgConfig, state: TaskState, actor: str, gate: str) -> Eligibility:
    """May `actor` take the job at `gate` now? Compares with every author of every revision."""
    wf = cfg.workflows.get(state.workflow)
    if wf is None or gate not in wf.gates:
        return Eligibility(False, f"no gate '{gate}' in this task's workflow", rule_ids.NO_GATE)
    spec = wf.gates[gate]
    who = cfg.actors.get(actor)
    if who is None:
        return Eligibility(False, "unknown actor", rule_ids.UNKNOWN_ACTOR)
    if state.config_hash and cfg.config_hash != state.config_hash:
        return Eligibility(
            False,
            f"the task runs under policy {state.config_hash}, not {cfg.config_hash}",
            rule_ids.POLICY_PINNED,
        )
    if state.status != "active":
        return Eligibility(False, f"task is {state.status}", rule_ids.TASK_CLOSED)
    gs = state.gates[gate]
    if gs.status != "ready":
        return Eligibility(False, f"gate '{gate}' is {gs.status}, not ready", rule_ids.GATE_NOT_READY)
    if spec.lane != who.lane and not _stands_in(cfg, state, actor, who, spec):
        return Eligibility(
            False, f"gate '{gate}' is held by the {spec.lane} lane, not {who.lane}", rule_ids.WRONG_LANE
        )
    refused = gate_action_refusal(cfg, state, actor, spec)
    if refused is not None:
        return refused
    if _model_left_out(cfg, who):
        return _lane_model(cfg, who)
    kind = spec.kind
    if kind == "review" or kind == "approval":
        if actor in state.authors:
            return Eligibility(
                False,
                f"{actor} is an author of this work and may not review or approve it",
                rule_ids.SEPARATION_OF_DUTIES,
            )
        bound = gs.bound
        for r in gs.reviews:
            if r.actor == actor and r.revision == bound:
                return Eligibility(
                    False, f"{actor} already reviewed this revision at '{gate}'", rule_ids.ONE_REVIEW_EACH
                )
        if spec.cross_vendor and spec.placed_families and who.family_declared:
            return Eligibility(
                False,
                f"{actor}'s family is declared, not placed from its model; '{gate}' counts "
                "only placed families",
                rule_ids.CROSS_VENDOR,
            )
        if spec.cross_vendor:
            fam = who.family or "human"  # family_of_actor of a known actor
            same = fam in state.author_families or fam == "unknown"
            if not same:  # _authors_have, inlined: the families the config gives the authors
                actors = cfg.actors
                for a in state.authors:
                    w = actors.get(a)
                    if ((w.family or "human") if w else "unknown") == fam:
                        same = True
                        break
            if same:
                el = _SAME_FAMILY.get((actor, fam))
                return el if el is not None else _same_family(actor, fam)
            if gs.reviews and any(
                family_of_actor(cfg, r.actor) == fam for r in valid_reviews(cfg, state, gate, bound)
            ):
                return Eligibility(
                    False,
                    f"a {fam} review already counts at '{gate}'; the cross-vendor quorum "
                    "needs another family",
                    rule_ids.CROSS_VENDOR,
                )
    if kind == "approval" and not who.is_human:
        return Eligibility(False, "approvals are given only by humans", rule_ids.HUMAN_APPROVAL)
    if kind == "work" and actor not in state.authors:
        voided = _voids_passed_review(cfg, state, actor)
        if voided:
            return Eligibility(
                False,
                f"{actor} would become an author and void the counting review(s) at '{voided}' "
                "(separation of duties, cross-vendor); another member takes this work",
                rule_ids.CROSS_VENDOR,
            )
    return _ELIGIBLE


def _voids_passed_review(cfg: OrgConfig, state: TaskState, actor: str) -> str | None:
    """The passed review or approval gate that would fall short of its quorum if `actor` became an author
    (e.g. an operator carrying out a plan that a reviewer of its own family passed): every author's family
    counts against cross-vendor reviews at the terminal re-check, so such work could only end escalated."""
    specs = memo.gates(cfg, state.workflow)
    probe: TaskState | None = None
    for g, gs in state.gates.items():
        spec = specs.get(g)
        if gs.status != "passed" or spec is None or spec.kind not in ("review", "approval") or not gs.reviews:
            continue
        if len(valid_reviews(cfg, state, g, gs.revision)) < spec.quorum:
            continue  # short already, not this claim's doing (the terminal re-check reports it)
        if probe is None:  # `state` with `actor` among the authors (a shallow copy, read only)
            probe = replace(
                state,
                authors={*state.authors, actor},
                author_families={*state.author_families, family_of_actor(cfg, actor)},
            )
        if len(valid_reviews(cfg, probe, g, gs.revision)) < spec.quorum:
            return g
    return None


def gate_action_refusal(cfg: OrgConfig, state: TaskState, actor: str, spec: Any) -> Eligibility | None:
    """The refusal of the action the gate makes its holder take (ADR 0070: work its `action`, review
    review.file, approval approve) when the holder's lane may not take it (its may/may_not) or a RED rule
    denies it to everyone whatever the attributes; None when it may. The same test `org validate` makes, here
    for configs that never were validated. (What the task's attributes make of the holder's other actions is
    decide()'s, action by action.)"""
    action = spec.implied_action
    who = cfg.actors.get(actor)
    if action is None or who is None:
        return None
    # a function of the config's lanes and rules, the holder's lane, the action and the gate's kind: kept
    # in the memo while those tables stay the same objects
    known = memo.table("gate_refusals", cfg.lanes, cfg.rules)
    key = (who.lane, action, spec.kind)
    if known is not None:
        hit = known.get(key, _UNKNOWN)
        if hit is not _UNKNOWN:
            return cast("Eligibility | None", hit)
    el = _gate_action_refusal(cfg, who.lane, action, spec.kind)
    if known is not None and len(known) < 4096:
        known[key] = el
    return el


_UNKNOWN = object()


class _Write:
    """A workspace's commits are code: a human standing in at a work gate must also be allowed this."""

    implied_action = "code.write"
    kind = "work"


def _stands_in(cfg: OrgConfig, state: TaskState, actor: str, who: Any, spec: Any) -> bool:
    return who.is_human and stand_in_refusal(cfg, state, actor, spec) is None


def stand_in_refusal(cfg: OrgConfig, state: TaskState, actor: str, spec: Any) -> Eligibility | None:
    """Why `actor` may not hold another lane's gate `spec` as a human standing in (None: they may). A human may
    hold a work gate when their own lane may take its action and write code (a takeover in the task's
    workspace, ADR 0177; claims still go by lane, so this is reached only by taking a job over). Never a review
    or approval gate, never an agent."""
    who = cfg.actors.get(actor)
    if who is None or not who.is_human:
        return Eligibility(False, f"{actor} is not a human", rule_ids.WRONG_LANE)
    if spec.kind != "work" or spec.implied_action is None:
        return Eligibility(False, f"a {spec.kind} gate is never taken over", rule_ids.WRONG_LANE)
    refused = gate_action_refusal(cfg, state, actor, spec)
    return refused if refused is not None else gate_action_refusal(cfg, state, actor, _Write)


def _gate_action_refusal(cfg: OrgConfig, lane: str, action: str, kind: str) -> Eligibility | None:
    pol = compile_policy(cfg)
    _red, _cons, lane_hit = pol._for_action(lane, action)
    if lane_hit is not None:
        return Eligibility(
            False, f"holding this {kind} gate means taking '{action}': {lane_hit.reason}", lane_hit.id
        )
    for r in cfg.rules:
        if r.effect == "deny" and r.spec.when is None and action_matches(r.spec.actions, action):
            return Eligibility(
                False,
                f"holding this {kind} gate means taking '{action}', which {r.spec.id} denies to everyone",
                r.spec.id,
            )
    return None


_SAME_FAMILY: dict[tuple[str, str], Eligibility] = {}


def _same_family(actor: str, fam: str) -> Eligibility:
    """The rule_ids.CROSS_VENDOR refusal of `actor` of family `fam` (the most frequent answer in a busy
    review lane): one immutable instance per (actor, family), built from those two alone."""
    el = _SAME_FAMILY.get((actor, fam))
    if el is None:
        el = Eligibility(
            False,
            f"{actor} is a {fam} model, the same family as an author; "
            "cross-vendor review needs another family",
            rule_ids.CROSS_VENDOR,
        )
        if len(_SAME_FAMILY) < 4096:
            _SAME_FAMILY[(actor, fam)] = el
    return el


CURRENT = object()  # count_eligible's ready_on default: the gate as it is


def as_ready(state: TaskState, gate: str, revision: str | None) -> TaskState:
    """What `state` would be with `gate` ready on `revision` (folding its gate.ready event), sharing
    everything else with `state`: a read-only probe."""
    probe = object.__new__(state.__class__)
    probe.__dict__.update(state.__dict__)
    gs = state.gates[gate]
    probe.gates = {**state.gates, gate: GateState("ready", "", gs.revision, gs.reviews, revision)}
    probe.events = state.events + 1
    return probe


def count_eligible(cfg: OrgConfig, state: TaskState, gate: str, enough: int, ready_on: Any = CURRENT) -> int:
    """How many members of the lane of review or approval gate `gate` eligibility() admits now (at a
    cross-vendor gate: how many families among them), counting no further than `enough`. The same
    number as counting eligible_members(), capped; the per-member tests are eligibility()'s, with
    what they share computed once. With `ready_on`, the count on as_ready(state, gate, ready_on)."""
    spec = memo.gates(cfg, state.workflow)[gate]
    members = memo.lane_members(cfg, spec.lane)
    gs = state.gates[gate]
    if ready_on is CURRENT:
        ready, bound = gs.status == "ready", gs.bound
    else:
        ready, bound = True, ready_on
    cross = spec.cross_vendor
    families: set[str] = set()
    have = 0
    if (
        spec.kind not in ("review", "approval")
        or (state.config_hash and cfg.config_hash != state.config_hash)
        or state.status != "active"
        or not ready
    ):
        probe = state if ready_on is CURRENT else as_ready(state, gate, ready_on)
        for a in members:  # the plain count
            if eligibility(cfg, probe, a, gate):
                if cross:
                    families.add(family_of_actor(cfg, a))
                    have = len(families)
                else:
                    have += 1
                if have >= enough:
                    break
        return have
    for _a, fam in _admitted(cfg, state, gate, spec, bound):
        if cross:
            families.add(fam)
            have = len(families)
        else:
            have += 1
        if have >= enough:
            break
    return have


def _admitted(
    cfg: OrgConfig, state: TaskState, gate: str, spec: Any, bound: str | None
) -> tuple[tuple[str, str], ...]:
    """(member, family) for every member of the lane of review or approval gate `gate` that eligibility()
    admits, in lane order, on `state` with the gate ready on revision `bound` (the caller has checked that
    the task is active under this config). The per-member tests are eligibility()'s, with what they share
    computed once; the answer is a function of the lane's roster, the gate and four sets read from the
    task (its authors, their families, who already reviewed `bound`, the families already counting), so
    it is kept in the memo under those sets (a busy lane asks the same question for task after task)."""
    roster = memo.lane_roster(cfg, spec.lane)
    if not roster or gate_action_refusal(cfg, state, roster[0][0], spec) is not None:
        return ()  # the action depends on the lane and the task, not on the member: refused to one, refused to all
    gs = state.gates[gate]
    cross = spec.cross_vendor
    reviewed: frozenset[str] = _NONE
    counted_fams: frozenset[str] = _NONE
    if gs.reviews:
        reviewed = frozenset([r.actor for r in gs.reviews if r.revision == bound])
        if cross:
            counted_fams = frozenset(
                [family_of_actor(cfg, r.actor) for r in valid_reviews(cfg, state, gate, bound)]
            )
    authors = frozenset(state.authors)
    author_fams = frozenset(author_families(cfg, state)) if cross else _NONE
    known = memo.table("admitted", cfg.actors, cfg.lanes)
    key = (spec, authors, author_fams, reviewed, counted_fams)
    if known is not None:
        hit = known.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
    approval = spec.kind == "approval"
    placed = spec.placed_families
    out = []
    # the roster holds what eligibility() reads of each member (its lane is the gate's by construction)
    for a, fam, human, declared, left_out in roster:
        if left_out or a in authors or a in reviewed:
            continue
        if cross and (fam == "unknown" or fam in author_fams or fam in counted_fams or (placed and declared)):
            continue
        if approval and not human:
            continue
        out.append((a, fam))
    admitted = tuple(out)
    if known is not None:
        if len(known) >= 65536:
            known.clear()
        known[key] = admitted
    return admitted


_NONE: frozenset[str] = frozenset()


def _model_left_out(cfg: OrgConfig, who: Any) -> bool:
    """Is an agent's model outside its lane's `models` (a lane's allowlist, narrowed by a repository's or a
    task's policy layer and pinned with the task: ADR 0120)? A member that may not call its own model may not
    take the lane's jobs: a built-in agent calls its provider itself, and an external one would be refused at
    the gateway on every call."""
    if who.model is None:
        return False
    lane = cfg.lanes.get(who.lane)
    models = lane.models if lane is not None else None
    return models is not None and who.model not in models


def _lane_model(cfg: OrgConfig, who: Any) -> Eligibility:
    models = cfg.lanes[who.lane].models or []
    return Eligibility(
        False,
        f"{who.id}'s model {who.model} is not one the {who.lane} lane may call under this task's policy "
        f"(allowed: {', '.join(models) or 'none'})",
        rule_ids.LANE_MODEL,
    )


def _authors_have(cfg: OrgConfig, state: TaskState, family: str) -> bool:
    """family in author_families(cfg, state), without building the set."""
    if family in state.author_families:
        return True
    actors = cfg.actors
    for a in state.authors:
        who = actors.get(a)
        if ((who.family or "human") if who else "unknown") == family:
            return True
    return False
