"""Issue 19 class 1, work after the approval: the revision that reaches done is exactly the revision every
required control passed on. Attacks: a work gate after the approval, a work gate beside a review, a work
gate that names an approved revision for new content, an executing gate that names another revision."""

from __future__ import annotations

import pytest

from org.engine import flow
from org.engine.proofs import prove
from org.engine.state import fold
from org.errors import Conflict
from tests.engine.engine_tools import line_of, org_with, run_task

CHANGE = "gates/change.yaml"
POLISH = [
    (
        "    tiers: [high]\n    adrs: [5]\n    description: A human who is not an author approves.\n"
        "  done:\n    kind: terminal\n    after: [approval]",
        "    tiers: [high]\n    adrs: [5]\n    description: A human who is not an author approves.\n"
        "  polish: {kind: work, lane: builder, action: code.write, after: [approval]}\n"
        "  done:\n    kind: terminal\n    after: [polish]",
    )
]
# a work gate beside the reviews: nothing that checks comes after it
BESIDE = [
    (
        "  done:\n    kind: terminal\n    after: [approval]",
        "  docs: {kind: work, lane: builder, action: docs.write, after: [implement]}\n"
        "  done:\n    kind: terminal\n    after: [approval, docs]",
    )
]


def _problems(cfg, gate):
    return [p for p in prove(cfg) if p.path == f"gates.{gate}"]


def test_validate_refuses_work_after_the_approval_with_the_gate_line(tmp_path):
    cfg = org_with(tmp_path, {CHANGE: POLISH})
    probs = _problems(cfg, "polish")
    assert probs, [str(p) for p in prove(cfg)]
    assert probs[0].file == CHANGE and probs[0].line == line_of(CHANGE, "polish:", tmp_path)
    assert "approval" in probs[0].message and "revision" in probs[0].message


def test_validate_refuses_work_beside_a_review(tmp_path):
    cfg = org_with(tmp_path, {CHANGE: BESIDE})
    probs = _problems(cfg, "docs")
    assert probs and "correctness" in probs[0].message


@pytest.mark.parametrize("edit", [POLISH, BESIDE], ids=["after-approval", "beside-review"])
def test_run_time_work_after_the_controls_never_reaches_done(tmp_path, edit):
    cfg = org_with(
        tmp_path, {CHANGE: edit}
    )  # loaded without the proof: the terminal re-check must hold alone
    _, state = run_task(cfg, "change", {}, tier="high")
    assert state.status == "escalated", state.status
    assert "terminal re-check" in state.escalation and "revision" in state.escalation


def _at_polish(cfg):
    events = flow.start_task(cfg, "t1", "t", "change", {}, by="alice", requested_tier="high")
    state = fold(events)
    while state.open and state.ready_gates() and state.ready_gates()[0] != "polish":
        gate = state.ready_gates()[0]
        kind = cfg.workflows["change"].gates[gate].kind
        actor = flow.eligible_members(cfg, state, gate)[0]
        events += flow.submit(
            cfg, state, actor, gate, {"work": "pass", "review": "pass", "approval": "approve"}[kind]
        )
        state = fold(events)
    return state


def test_new_content_cannot_borrow_the_approved_revision_id(tmp_path):
    cfg = org_with(tmp_path, {CHANGE: POLISH})
    state = _at_polish(cfg)
    approved = state.gates["approval"].revision
    assert approved and state.ready_gates() == ["polish"]
    with pytest.raises(Conflict) as e:
        flow.submit(
            cfg, state, "build-claude", "polish", "pass", revision=approved, content="rm -rf / # unreviewed"
        )
    assert e.value.detail["rule"] == "ORG-REVISION-REUSED"


def test_executing_gate_keeps_the_approved_revision_and_refuses_another(cfg):
    events = flow.start_task(
        cfg, "t1", "t", "ops", {"environment": "production", "kind": "deploy"}, by="alice"
    )
    state = fold(events)
    while state.open and state.ready_gates() != ["execute"]:
        gate = state.ready_gates()[0]
        kind = cfg.workflows["ops"].gates[gate].kind
        actor = flow.eligible_members(cfg, state, gate)[0]
        events += flow.submit(
            cfg,
            state,
            actor,
            gate,
            {"work": "pass", "review": "pass", "approval": "approve"}[kind],
            content="plan v1",
        )
        state = fold(events)
    approved = state.gates["approval"].revision
    actor = flow.eligible_members(cfg, state, "execute")[0]
    with pytest.raises(Conflict):
        flow.submit(cfg, state, actor, "execute", "pass", revision="f" * 16, content="something else")
    events += flow.submit(cfg, state, actor, "execute", "pass", content="ran it")
    state = fold(events)
    assert state.status == "done", state.escalation
    done = next(e for e in events if e.type == "task.done")
    assert done.data["revision"] == approved == state.revision
