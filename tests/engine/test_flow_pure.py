"""The flow never changes what its caller holds (issue 22 item 5, ADR 0160).

Every transition takes the folded state and the pinned config and returns new events (and, for the
simulator, a new folded state): the caller's state is left exactly as it was, whether the call
succeeds, is refused (Denied, Conflict, UsageError) or a check hook raises half way through; and the
config object carries nothing away from the call (the memo lives outside it). A hostile caller tries
every entry point with every verdict, stale revisions, members of the wrong lane and hooks that raise.
"""

from __future__ import annotations

import copy
import dataclasses
import random

from hypothesis import HealthCheck, given, settings

from org.config.loader import OrgConfig, load_org
from org.config.models import Workflow
from org.engine import flow
from org.engine.state import Event, fold
from org.errors import OrgError
from tests.engine.random_orgs import random_orgs
from tests.helpers import REPO

FIELDS = frozenset(f.name for f in dataclasses.fields(OrgConfig))


def _raising(cfg, state, gate):
    raise RuntimeError("hook failed")


def _filed(wf: str, rng: random.Random) -> dict:
    attrs = rng.choice([{}, {"kind": "code"}, {"kind": "docs"}, {"environment": "production"}])
    return {"environment": "staging", **attrs} if wf == "ops" else attrs


def _verdict(kind: str, rng: random.Random) -> str:
    return rng.choice(
        {
            "work": ["pass"] * 6 + ["fail"],
            "review": ["pass", "pass", "changes", "fail", "maybe"],
            "approval": ["approve", "approve", "reject", "changes", "nope"],
        }.get(kind, ["pass"])
    )


def _hostile_walk(cfg, seed: int, wfs: list[str], tasks: int = 4, steps: int = 16) -> tuple[int, int]:
    """Drive every entry point; after each call the caller's state must equal its deep copy from before.
    Returns (calls that returned, calls that raised)."""
    rng = random.Random(seed)
    actors = sorted(cfg.actors)
    humans = [a for a in actors if cfg.actors[a].is_human] or actors
    ok = raised = 0
    for n in range(tasks):
        wf = rng.choice(wfs)
        events, started = flow.start_task_folded(
            cfg, f"t{seed}-{n}", "x", wf, _filed(wf, rng) if wf in ("change", "ops") else {}
        )
        assert started == fold(events)
        history = list(events)
        state = started
        for _ in range(steps):
            before = copy.deepcopy(state)
            ready = sorted(state.ready_gates())
            op = rng.random()
            try:
                if state.status == "escalated" and op < 0.5:
                    out = flow.resume(cfg, state, rng.choice(humans + actors[:1]), "again")
                    new = None
                elif op < 0.1 or not ready:
                    out, new = flow.advance(cfg, state), None
                else:
                    g = rng.choice(ready)
                    members = flow.eligible_members(cfg, state, g)
                    actor = rng.choice(members) if members and rng.random() < 0.85 else rng.choice(actors)
                    kind = cfg.workflows[state.workflow].gates[g].kind
                    rev = rng.choice([None, None, state.gates[g].bound, "stale"]) if kind != "work" else None
                    out, new = flow.submit_folded(
                        cfg,
                        state,
                        actor,
                        g,
                        _verdict(kind, rng),
                        revision=rev,
                        note="n",
                        content=f"{rng.random():.6f}",
                        extra_check=_raising if rng.random() < 0.25 else None,
                    )
            except (OrgError, RuntimeError):
                raised += 1
                assert state == before, "a refused or failed call changed the caller's state"
                continue
            ok += 1
            assert state == before, "a call changed the caller's state"
            history += out
            folded = fold(history)
            if new is not None:
                assert new == folded, "the state handed back is the fold of every event"
                # nothing shared that a later fold could change: fold more into the new state
                fold(
                    [Event("work.submitted", new.id, {"gate": g, "revision": "r9"}, "z") for g in new.gates],
                    new,
                )
                fold([Event("gate.failed", new.id, {"gate": g}) for g in new.gates], new)
                assert state == before, "folding into the state handed back changed the caller's"
            state = folded
    return ok, raised


def test_no_call_changes_the_callers_state_on_the_default_org():
    cfg = load_org(REPO)
    keys = set(vars(cfg))
    ok = raised = 0
    for seed in range(60):
        a, b = _hostile_walk(cfg, seed, ["change", "ops"])
        ok, raised = ok + a, raised + b
    assert ok > 300 and raised > 40  # the walks get somewhere, and hooks and refusals fire
    assert set(vars(cfg)) == keys, "the flow attached something to the config object"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_orgs())
def test_no_call_changes_the_callers_state_on_random_orgs(cfg):
    keys = set(vars(cfg))
    for seed in range(3):
        _hostile_walk(cfg, seed, ["wf"], tasks=3, steps=12)
    assert set(vars(cfg)) == keys


def test_the_engine_keeps_nothing_on_the_config_object():
    """Plans, lane members, gate refusals, classifications and compiled policy are remembered outside the
    config: after start, eligibility, submit, advance and decide its instance dict holds only its fields."""
    from org.engine.policy import decide

    cfg = load_org(REPO)
    extra = set(vars(cfg)) - FIELDS
    _hostile_walk(cfg, 1, ["change", "ops"])
    decide(cfg, "alice", "deploy.run", {"environment": "production"})
    assert set(vars(cfg)) - FIELDS == extra, set(vars(cfg)) - FIELDS - extra


def test_a_join_on_a_gate_the_workflow_lacks_is_never_met():
    """A workflow built in memory (the config checks refuse it) with a gate waiting for one it does not
    have: the gate never gets ready and nothing raises (fail closed); the rest of the flow runs."""
    cfg = load_org(REPO)
    d = cfg.workflows["change"].model_dump(by_alias=True)
    d["gates"]["correctness"]["after"] = [*d["gates"]["correctness"]["after"], "ghost"]
    odd = dataclasses.replace(cfg, workflows={**cfg.workflows, "change": Workflow.model_validate(d)})
    events, state = flow.start_task_folded(odd, "t1", "x", "change", {"kind": "code"})
    for _ in range(10):
        ready = sorted(state.ready_gates())
        if not ready or not state.open:
            break
        g = ready[0]
        who = flow.eligible_members(odd, state, g)[0]
        verdict = {"work": "pass", "review": "pass", "approval": "approve"}[
            odd.workflows["change"].gates[g].kind
        ]
        out, state = flow.submit_folded(odd, state, who, g, verdict)
        events += out
    assert state.gates["correctness"].status == "pending"
    assert state.open and not state.ready_gates()
    assert not any(e.type == "gate.ready" and e.data["gate"] == "correctness" for e in events)


def test_a_misspelt_submit_option_is_refused_not_dropped():
    """submit's options travel as keyword arguments: one misspelt (a check hook under another name, the
    removed in_place) raises TypeError rather than being ignored (a dropped hook would skip its checks)."""
    import pytest

    cfg = load_org(REPO)
    events, state = flow.start_task_folded(cfg, "t1", "x", "change", {"kind": "code"})
    who = flow.eligible_members(cfg, state, "spec")[0]
    for bad in ({"extra_checks": _raising}, {"in_place": True}, {"revison": "r1"}):
        for fn in (flow.submit, flow.submit_folded):
            with pytest.raises(TypeError, match="unexpected keyword"):
                fn(cfg, state, who, "spec", "pass", **bad)
    assert flow.submit(cfg, state, who, "spec", "pass", note="ok")
