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
