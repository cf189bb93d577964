"""The engine's hot-path changes made for the simulator keep behaviour identical: cheap state copies
equal deep copies, memoised plans and graph facts equal fresh ones, the eligibility probe in advance
equals the original fold-and-count, and caches follow a replaced workflow."""

from __future__ import annotations

import copy
import random

from org.engine import flow
from org.engine.state import fold


def _walk(cfg, seed: int, steps: int = 12):
    """Random but mostly valid walks through the engine; yields every intermediate state."""
    rng = random.Random(seed)
    attrs = rng.choice(
        [{"kind": "code"}, {"kind": "docs"}, {"environment": "production"}, {"kind": "deploy"}]
    )
    wf = rng.choice(["change", "ops"])
    if wf == "ops":  # an ops task is filed with its environment (ADR 0071)
        attrs = {
            **attrs,
            "environment": attrs.get("environment", rng.choice(["dev", "staging", "production"])),
        }
    s = fold(flow.start_task(cfg, f"t{seed}", "x", wf, attrs))
    yield s
    for _ in range(steps):
        if not s.open or not s.ready_gates():
            return
        g = rng.choice(sorted(s.ready_gates()))
        members = flow.eligible_members(cfg, s, g)
        if not members:
            return
        kind = cfg.workflows[s.workflow].gates[g].kind
        verdict = {
            "work": "pass",
            "review": rng.choice(["pass", "pass", "changes"]),
            "approval": rng.choice(["approve", "approve", "reject"]),
        }[kind]
        s = fold(flow.submit(cfg, s, rng.choice(members), g, verdict), s)
        yield s


def test_state_copy_equals_deepcopy_and_is_independent(cfg):
    """A copy shares its gate states (fold never changes one, it replaces it): folding any event into the
    copy, or changing the copy's containers, leaves the original as it was."""
    from org.engine.state import GateState

    walks = [list(_walk(cfg, seed)) for seed in range(60)]
    later = [ev for w in walks for s in w for ev in _events_after(cfg, s)]
    for w in walks:
        for s in w:
            c, d = s.copy(), copy.deepcopy(s)
            assert c == d
            for ev in later:  # every kind of event, folded into the copy where it applies
                fits = set(ev.data.get("reset") or ()) <= set(c.gates)
                if ev.type != "task.created" and fits and ev.data.get("gate", next(iter(c.gates))) in c.gates:
                    fold([ev], c)
            c.gates[next(iter(c.gates))] = GateState("failed")
            c.authors.add("someone")
            c.author_families.add("x")
            c.revisions.append(("r", "g", "a", "f"))
            c.attributes["k"] = 1
            assert s == d


def _events_after(cfg, s):
    """A submission's events at one of the state's ready gates (a review, rework or pass), if any."""
    for g in sorted(s.ready_gates()):
        members = flow.eligible_members(cfg, s, g)
        if members:
            kind = cfg.workflows[s.workflow].gates[g].kind
            verdict = {"work": "pass", "review": "changes", "approval": "approve"}[kind]
            return flow.submit(cfg, s, members[0], g, verdict, note="x")
    return []


def test_gate_action_refusals_follow_replaced_rules_and_are_off_with_the_memo(tmp_path):
    """The refusal of a gate's implied action is kept per (lane, action, kind) in the config's memo: a warm
    answer must not outlive the rules it came from (a RED rule added to the same config object denies the
    action at once, removing it allows it again), and a config whose memo is off keeps nothing."""
    from org.config import checks
    from org.engine import memo
    from tests.engine.engine_tools import org_with

    red = (
        "red:\n  - id: RED-NO-CODE\n    title: No code today\n    actions: [spec.write]\n    reason: frozen\n"
    )
    real = checks.cross_check
    checks.cross_check = lambda cfg, docs, skip=frozenset(): []  # the red org is refused by validate
    try:
        cfg = org_with(tmp_path / "a")
        denied = org_with(tmp_path / "b", {"gates/rules.yaml": [("red:\n", red)]})
    finally:
        checks.cross_check = real
    state = fold(flow.start_task(cfg, "t1", "x", "change", {"kind": "code"}))
    assert state.ready_gates() == ["spec"]
    builders = flow.eligible_members(cfg, state, "spec")
    assert builders  # warm: every builder may write the spec
    plain = cfg.rules
    cfg.rules = denied.rules  # the same config object, its rules replaced
    el = flow.eligibility(cfg, state, builders[0], "spec")
    assert not el and el.rule == "RED-NO-CODE", el
    assert flow.eligible_members(cfg, state, "spec") == []
    cfg.rules = plain
    assert flow.eligible_members(cfg, state, "spec") == builders
    off = org_with(tmp_path / "c")
    with memo.off():
        assert flow.eligible_members(off, state, "spec") == builders
        assert memo.table("gate_refusals", off.lanes, off.rules) is None
    assert not [k for k in off.__dict__ if k.startswith("_")]  # the memo is never on the config


def test_admitted_reviewers_follow_the_task_and_replaced_lanes_and_actors():
    """The reviewers a ready gate admits are kept in the memo under the task's authors, their families, who
    already reviewed and the families already counting: each answer must match the member-by-member test
    on every state, with the memo warmed by other tasks first; narrowing a lane's `models` or replacing
    the actors on the same config object must be seen at once (a memo keyed by lane name would not)."""
    from org.engine import memo
    from org.sim.orgbuild import build_org
    from org.sim.run import load

    cfg = build_org(load("large"))  # 26 reviewers of three families: several members share each family
    checked = 0
    for seed in range(60):  # warm and check on many states: reviews filed, reworked, approved
        for s in _walk(cfg, seed, 14):
            for g in s.ready_gates():
                if cfg.workflows[s.workflow].gates[g].kind in ("review", "approval"):
                    lane = cfg.workflows[s.workflow].gates[g].lane
                    each = [a for a in memo.lane_members(cfg, lane) if flow.eligibility(cfg, s, a, g)]
                    assert flow.eligible_members(cfg, s, g) == each, (seed, g)
                    with memo.off():
                        assert flow.eligible_members(cfg, s, g) == each, (seed, g)
                    checked += 1
    assert checked > 50
    # a state whose correctness review is ready: who may review it now
    state = next(
        s
        for seed in range(60)
        for s in _walk(cfg, seed, 6)
        if "correctness" in s.ready_gates() and flow.eligible_members(cfg, s, "correctness")
    )
    before = flow.eligible_members(cfg, state, "correctness")  # warm for these authors
    # the same authors, but a review on the bound revision filed (a quorum of 2 still waiting): its reviewer
    # and, at a cross-vendor gate, its family are out; a review on another revision changes nothing
    bound = state.gates["correctness"].bound
    for rev, counts in ((bound, False), (bound, True), ("old", True)):
        filed = flow._ev(
            state.id,
            "review.filed",
            before[0],
            gate="correctness",
            family=cfg.actors[before[0]].family,
            revision=rev,
            verdict="pass" if counts else "changes",
            counts=counts,
            cross_vendor=True,
        )
        probe = fold([filed], state.copy())
        each = [
            a for a in memo.lane_members(cfg, "reviewer") if flow.eligibility(cfg, probe, a, "correctness")
        ]
        assert flow.eligible_members(cfg, probe, "correctness") == each, (rev, counts)
        assert (before[0] in each) == (rev == "old")
    # the same families among the authors but one more author (a reviewer who shares an author's family):
    # that reviewer is out; the same authors but one more family recorded for them (the events say the
    # work was done with another model): every reviewer of that family is out
    author = sorted(state.authors)[0]
    twin = next(
        a
        for a in memo.lane_members(cfg, "reviewer")
        if cfg.actors[a].family in state.author_families and a not in before
    )
    other = next(f for f in ("openai", "gemini", "anthropic") if f not in state.author_families)
    for actor, family in ((twin, cfg.actors[twin].family), (author, other)):
        work = flow._ev(state.id, "work.submitted", actor, gate="spec", revision="r-x", family=family)
        probe = fold([work], state.copy())
        probe.revision, probe.revisions = state.revision, list(state.revisions)  # the bound revision stays
        each = [
            a for a in memo.lane_members(cfg, "reviewer") if flow.eligibility(cfg, probe, a, "correctness")
        ]
        assert flow.eligible_members(cfg, probe, "correctness") == each, (actor, family)
    drop = cfg.actors[before[0]].model
    lanes = dict(cfg.lanes)
    kept = [m.model for m in lanes["reviewer"].members if m.model != drop]
    lanes["reviewer"] = lanes["reviewer"].model_copy(update={"models": kept})
    plain_lanes, cfg.lanes = cfg.lanes, lanes  # the same config object, its lanes replaced
    after = flow.eligible_members(cfg, state, "correctness")
    assert before[0] not in after and after == [
        a for a in memo.lane_members(cfg, "reviewer") if flow.eligibility(cfg, state, a, "correctness")
    ]
    cfg.lanes = plain_lanes
    assert flow.eligible_members(cfg, state, "correctness") == before
    actors = dict(cfg.actors)
    del actors[before[0]]  # a member gone from the org: never admitted from a warm answer
    plain_actors, cfg.actors = cfg.actors, actors
    assert before[0] not in flow.eligible_members(cfg, state, "correctness")
    cfg.actors = plain_actors
    assert flow.eligible_members(cfg, state, "correctness") == before
