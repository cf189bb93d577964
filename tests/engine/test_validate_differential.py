"""Issue 19's differential property: over random orgs and random action sequences, whatever `org validate`
proves closed is refused at run time. Random gate graphs (work gates after or beside controls included),
random lane boundaries and gate actions, random submissions by anyone at any gate with any verdict and any
revision id (an approved one reused, another gate's, a made-up one). Whatever the proof said, the run time
must hold alone: a task reaches done only on the revision every required control passed on, with counting
quorums and no author among them, and no submission is accepted from a holder whose lane may not take the
gate's action. Where the proof said "closed" the run time must agree."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.config.models import Lane
from org.engine import flow, memo
from org.engine.binding import valid_reviews
from org.engine.policy import decide
from org.engine.proofs import prove
from org.engine.state import fold
from org.errors import OrgError
from tests.engine.random_orgs import MODELS, gate_specs, org, workflow

ACTIONS = ["code.write", "docs.write", "review.file", "approve", "work.submit"]


def _lane(name: str, kind: str, members, may, may_not) -> Lane:
    ms = [{"id": i, **({"model": MODELS[f]} if f else {})} for i, f in members]
    return Lane.model_validate(
        {"lane": name, "kind": kind, "purpose": name, "may": may, "may_not": may_not, "members": ms}
    )


@st.composite
def orgs(draw):
    fams = sorted(MODELS)

    def agents(prefix: str):
        picks = draw(st.lists(st.sampled_from(fams), min_size=1, max_size=3))
        return [(f"{prefix}{i}-{f}", f) for i, f in enumerate(picks)]

    def bounds():
        may = draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=4, unique=True))
        may_not = draw(
            st.lists(st.sampled_from([a for a in ACTIONS if a not in may]), max_size=2, unique=True)
        )
        return may, may_not

    lanes = [
        _lane("w", "agent", agents("w"), *bounds()),
        _lane("r", "agent", agents("r"), *bounds()),
        _lane("x", "agent", agents("x"), *bounds()),
        _lane("h", "human", [(f"h{i}", None) for i in range(draw(st.integers(1, 2)))], *bounds()),
    ]
    gates = draw(gate_specs(6, {"work": ["w", "x"], "review": ["r", "x"], "approval": ["h"]}))
    for spec in gates.values():
        if spec["kind"] == "work" and draw(st.booleans()):
            spec["action"] = draw(st.sampled_from(["code.write", "docs.write"]))
    return org(lanes, [workflow(gates, rounds=draw(st.integers(1, 2)))])


def _check_done(cfg, state) -> None:
    plan_required = set(state.required) | set(memo.plan(cfg, state.workflow, state.tier).required)
    specs = cfg.workflows[state.workflow].gates
    for name in plan_required:
        gs = state.gates[name]
        assert gs.status == "passed", (name, gs.status)
        if specs[name].kind in ("review", "approval", "check"):
            assert gs.revision == state.revision, (name, gs.revision, state.revision)
        if specs[name].kind in ("review", "approval"):
            counting = valid_reviews(cfg, state, name, state.revision)
            assert len(counting) >= specs[name].quorum, name
            assert not {r.actor for r in counting} & state.authors, name


@pytest.mark.slow
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(cfg=orgs(), data=st.data())
def test_what_validate_proves_closed_is_refused_at_run_time(cfg, data):
    proved = not prove(cfg)
    tier = data.draw(st.sampled_from([t.id for t in cfg.risk.tiers]))
    events = flow.start_task(cfg, "t1", "t", "wf", {}, by="h0", requested_tier=tier)
    state = fold(events)
    actors = sorted(cfg.actors)
    gates = list(cfg.workflows["wf"].gates)
    for _ in range(data.draw(st.integers(1, 40))):
        if not state.open:
            break
        ready = state.ready_gates()
        gate = (
            data.draw(st.sampled_from(ready))
            if ready and data.draw(st.integers(0, 4))
            else data.draw(st.sampled_from(gates))
        )
        actor = data.draw(st.sampled_from(actors))
        verdict = data.draw(st.sampled_from(["pass", "pass", "approve", "fail", "changes", "reject"]))
        known = [r for r, *_ in state.revisions] + [g.revision for g in state.gates.values() if g.revision]
        revision = data.draw(st.none() | st.sampled_from(known or ["r0"]) | st.just("made-up"))
        try:
            new = flow.submit(cfg, state, actor, gate, verdict, revision=revision, content=f"c{len(events)}")
        except OrgError:
            continue
        spec = cfg.workflows["wf"].gates[gate]
        # class 2: an accepted submission is one its holder's lane may take
        assert decide(cfg, actor, spec.implied_action, state.attributes).outcome != "deny", (actor, gate)
        events += new
        state = fold(events)
        if state.status == "done":
            _check_done(cfg, state)
    if proved and state.status == "done":
        _check_done(cfg, state)
