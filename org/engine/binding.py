"""Content binding: which revision each gate reviews, and whether every required gate passed on it.

A review or approval covers the work upstream of its gate. Its gate is bound to the latest
revision produced by a work gate that comes before it; a new upstream revision makes the
reviews stale (DESIGN invariant 7). The revision that reaches done is exactly the one every
required control passed on (ADR 0070): a gate that carries out an approved plan (`execute`)
records the plan's revision, and any other work after a control makes that control stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # networkx is imported where a graph is built or searched (start-up, issue 23)
    import networkx as nx

from org.config.loader import OrgConfig
from org.engine import memo, rule_ids
from org.engine.graph import Plan
from org.engine.state import Review, TaskState

__all__ = [
    "content_problems",
    "upstream",
    "bound_revision",
    "control_problems",
    "required_gates",
    "workflow_graph",
    "cached_plan",
    "valid_reviews",
    "author_families",
]


def workflow_graph(cfg: OrgConfig, workflow: str) -> nx.DiGraph[str]:
    """The flow graph of a workflow (no rework edges), built once per workflow object (org.engine.memo)."""
    return memo.graph(cfg, workflow)


def cached_plan(cfg: OrgConfig, workflow: str, tier: str) -> Plan:
    """plan_for(workflow, tier), computed once per workflow object (org.engine.memo)."""
    return memo.plan(cfg, workflow, tier)


def upstream(cfg: OrgConfig, workflow: str) -> dict[str, frozenset[str]]:
    """{gate: every gate before it}, built once per workflow object (org.engine.memo)."""
    return memo.upstream(cfg, workflow)


def bound_revision(cfg: OrgConfig, state: TaskState, gate: str) -> str | None:
    """The revision `gate` reviews: the latest submitted at a work gate before it (None if none)."""
    before = memo.upstream(cfg, state.workflow).get(gate, frozenset())
    for rev, g, _actor, _family in reversed(state.revisions):
        if g in before:
            return rev
    return None


def author_families(cfg: OrgConfig, state: TaskState) -> set[str]:
    """Families of every author, from the config (and as recorded in the events, whichever is wider)."""
    fams = set(state.author_families)
    for a in state.authors:
        who = cfg.actors.get(a)
        fams.add((who.family or "human") if who else "unknown")
    return fams


def valid_reviews(cfg: OrgConfig, state: TaskState, gate: str, revision: str | None) -> list[Review]:
    """The reviews or approvals that count at `gate` on `revision`, re-derived from the config rather
    than trusted from the events: a pass/approve by a known member of the gate's lane who is no author
    of any revision; approvals by humans only; at a cross-vendor gate one per family, each family
    different from every author's. One per reviewer."""
    spec = memo.gates(cfg, state.workflow)[gate]
    out: list[Review] = []
    reviews = state.gates[gate].reviews
    if not reviews:
        return out
    authors, actors = state.authors, cfg.actors
    fams: set[str] | None = None  # author_families, computed when first needed
    seen_actors: set[str] = set()
    seen_families: set[str] = set()
    for r in reviews:
        # every test below is a filter without side effects: the cheap ones come first
        if r.revision != revision or not r.counts or r.verdict not in ("pass", "approve"):
            continue
        who = actors.get(r.actor)
        if who is None or who.lane != spec.lane or r.actor in authors or r.actor in seen_actors:
            continue
        if r.behind and not authors.isdisjoint(r.behind):  # someone behind its token is an author (ADR 0111)
            continue
        if spec.kind == "approval" and not who.is_human:
            continue
        fam = who.family or "human"
        if spec.cross_vendor:
            if fams is None:
                fams = author_families(cfg, state)
            if (
                fam in fams
                or fam in seen_families
                or fam == "unknown"
                or (spec.placed_families and who.family_declared)
            ):
                continue
        out.append(r)
        seen_actors.add(r.actor)
        seen_families.add(fam)
    return out


def required_gates(cfg: OrgConfig, state: TaskState) -> list[str]:
    """What the task must pass: the plan pinned at creation, plus anything today's plan adds."""
    plan = memo.plan(cfg, state.workflow, state.tier)
    if state.required == plan.required:  # the usual case: today's plan is the pinned one
        return list(plan.required)
    out = list(state.required)
    out += [g for g in plan.required if g not in out]
    return out


def control_problems(cfg: OrgConfig, state: TaskState, names: list[str]) -> list[tuple[str, str, str]]:
    """(gate, rule, reason) for each review/approval gate in `names` that has no valid pass on the
    revision it is bound to now: not passed, passed on a stale revision, short of its quorum of
    counting reviews (re-checked: no author, cross-vendor families), or reviewed by an author."""
    specs = memo.gates(cfg, state.workflow)
    out: list[tuple[str, str, str]] = []
    ups = memo.upstream(cfg, state.workflow)
    for name in names:
        spec = specs.get(name)
        gs = state.gates.get(name)
        if spec is None or gs is None:
            out.append((name, rule_ids.PINNED_GATE_MISSING, f"required gate '{name}' is not in the workflow"))
            continue
        if spec.kind not in ("review", "approval"):
            continue
        before = ups.get(name, frozenset())
        bound = None  # bound_revision(cfg, state, name)
        for rev, g, _actor, _family in reversed(state.revisions):
            if g in before:
                bound = rev
                break
        if gs.status != "passed":
            out.append((name, rule_ids.REQUIRED_GATE, f"required gate '{name}' is {gs.status}"))
        elif gs.revision != bound:
            out.append(
                (
                    name,
                    rule_ids.CONTENT_BINDING,
                    f"'{name}' passed on revision {gs.revision}, but the work it covers is now {bound}",
                )
            )
        elif len(counting := valid_reviews(cfg, state, name, bound)) < spec.quorum:
            out.append(
                (
                    name,
                    rule_ids.CONTENT_BINDING,
                    f"'{name}' has {len(counting)} of {spec.quorum} counting "
                    f"{'approval' if spec.kind == 'approval' else 'review'}(s) on revision {bound}",
                )
            )
        for r in gs.reviews:
            if r.revision == bound and r.counts and r.actor in state.authors:
                out.append(
                    (name, rule_ids.SEPARATION_OF_DUTIES, f"{r.actor} reviewed its own work at '{name}'")
                )
    return out


def content_problems(cfg: OrgConfig, state: TaskState, names: list[str]) -> list[str]:
    """Why the revision the task would finish on (its latest) is not the one every passed control among
    `names` (review, approval, check) passed on: work delivered after a control reached content it never saw."""
    specs = memo.gates(cfg, state.workflow)
    out: list[str] = []
    for name in names:
        spec, gs = specs.get(name), state.gates.get(name)
        if (
            spec is None
            or gs is None
            or spec.kind not in ("review", "approval", "check")
            or gs.status != "passed"
        ):
            continue
        if gs.revision != state.revision:
            out.append(
                f"'{name}' passed on revision {gs.revision}, but the revision reaching done is {state.revision}"
            )
    return out
