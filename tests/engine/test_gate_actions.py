"""Issue 19 class 2, a lane holding a gate its own boundaries forbid: every gate kind implies the action its
holder takes (work: the gate's action, review: review.file, approval: approve); a holder whose lane may not take
it is a config error at FILE:LINE, and at run time the action is denied anyway."""

from __future__ import annotations

import dataclasses

import pytest

from org.engine import flow
from org.engine.state import fold
from org.errors import ConfigError, Denied
from tests.engine.engine_tools import org_with

CHANGE = "gates/change.yaml"
# (edits, gate, lane, action): each a holder whose lane's boundaries forbid what the gate makes it do
ATTACKS = {
    "builder-reviews": (
        {
            CHANGE: [
                (
                    "  correctness:\n    kind: review\n    lane: reviewer",
                    "  correctness:\n    kind: review\n    lane: builder",
                )
            ]
        },
        "correctness",
        "builder",
        "review.file",
    ),
    "reviewer-writes": (
        {
            CHANGE: [
                (
                    "  implement:\n    kind: work\n    lane: builder",
                    "  implement:\n    kind: work\n    lane: reviewer",
                )
            ]
        },
        "implement",
        "reviewer",
        "code.write",
    ),
    "human-lane-without-approve": (
        {"lanes/approver.yaml": [("  - approve\n", "")]},
        "approval",
        "approver",
        "approve",
    ),
    "may-not-pattern-shadows-may": (
        {"lanes/security.yaml": [("may_not:\n", "may_not:\n  - review.*\n")]},
        "security",
        "security",
        "review.file",
    ),
    "red-action": (
        {
            CHANGE: [
                (
                    "    description: Make the change on the builder's own branch.\n    action: code.write\n",
                    "    description: Make the change on the builder's own branch.\n    action: secret.read\n",
                )
            ],
            "lanes/builder.yaml": [("  - spec.write\n", "  - spec.write\n  - secret.read\n")],
        },
        "implement",
        "builder",
        "secret.read",
    ),
}


def _load(tmp_path, edits):
    """The org as edited, loaded without the checks that refuse it (to attack the run time)."""
    from org.config import checks

    real = checks.cross_check
    try:
        checks.cross_check = lambda cfg, docs, skip=frozenset(): []
        return org_with(tmp_path, edits)
    finally:
        checks.cross_check = real


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_validate_refuses_a_holder_whose_lane_may_not_take_the_gate_action(tmp_path, name):
    edits, gate, lane, action = ATTACKS[name]
    with pytest.raises(ConfigError) as e:
        org_with(tmp_path, edits)
    hits = [p for p in e.value.problems if p.path.startswith(f"gates.{gate}")]
    assert hits, [str(p) for p in e.value.problems]
    assert hits[0].file == CHANGE or hits[0].file.startswith("gates/")
    assert hits[0].line > 0 and action in hits[0].message and lane in hits[0].message


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_run_time_denies_the_gate_action_anyway(tmp_path, name):
    edits, gate, lane, action = ATTACKS[name]
    cfg = _load(tmp_path, edits)
    wf = "change"
    events = flow.start_task(cfg, "t1", "t", wf, {}, by="alice", requested_tier="high")
    state = fold(events)
    for _ in range(20):
        ready = state.ready_gates()
        if not state.open or not ready or gate in ready:
            break
        g = ready[0]
        kind = cfg.workflows[wf].gates[g].kind
        members = flow.eligible_members(cfg, state, g)
        assert members, (g, state.escalation)
        events += flow.submit(
            cfg, state, members[0], g, {"work": "pass", "review": "pass", "approval": "approve"}[kind]
        )
        state = fold(events)
    assert state.status != "done"
    if state.status == "escalated":  # a review or approval gate nobody may hold fails closed at once
        assert gate in state.escalation and "no eligible" in state.escalation, state.escalation
    else:
        assert gate in state.ready_gates(), (state.status, state.escalation)
        assert flow.eligible_members(cfg, state, gate) == []
    probe = state.copy()  # the gate ready on an open task: the holder is still refused the action
    probe.status = "active"  # (a copy shares its gate states: replace one, never change it)
    probe.gates[gate] = dataclasses.replace(probe.gates[gate], status="ready")
    holders = [a.id for a in cfg.actors.values() if a.lane == lane and a.id not in state.authors]
    assert holders
    el = flow.eligibility(cfg, probe, holders[0], gate)
    assert not el and action in el.reason, el
    with pytest.raises(Denied):
        flow.submit(
            cfg,
            probe,
            holders[0],
            gate,
            "approve" if cfg.workflows[wf].gates[gate].kind == "approval" else "pass",
        )
