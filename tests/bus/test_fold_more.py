"""The bus folds a task's new events into a copy of its remembered state (Ctx.fold_more) without a deep
copy (issue 23 item 3): the result equals a fold of every event from the start, the remembered state is left
exactly as it was, whatever event comes next, and TaskState.copy() copies every mutable container there is (a
field added later as a list, dict or set and not copied would let the fold write into the cache)."""

from __future__ import annotations

import copy
import dataclasses
import random

import pytest

from org.bus.context import Ctx
from org.engine import flow
from org.engine.state import EVENT_TYPES, Event, GateState, TaskState, fold
from tests.bus.bushelpers import drive


def _walks(cfg, seeds=range(40), steps=14):
    """Random walks through the engine: yields (events so far, state) at every step."""
    for seed in seeds:
        rng = random.Random(seed)
        wf = rng.choice(["change", "ops"])
        attrs = rng.choice([{"kind": "code"}, {"kind": "docs"}, {"environment": "production"}])
        if wf == "ops":
            attrs = {**attrs, "environment": attrs.get("environment", "staging")}
        evs = list(flow.start_task(cfg, f"t{seed}", "x", wf, attrs))
        s = fold(evs)
        yield evs, s
        for _ in range(steps):
            if not s.open or not s.ready_gates():
                break
            g = rng.choice(sorted(s.ready_gates()))
            members = flow.eligible_members(cfg, s, g)
            if not members:
                break
            kind = cfg.workflows[s.workflow].gates[g].kind
            verdict = {
                "work": "pass",
                "review": rng.choice(["pass", "changes", "fail"]),
                "approval": rng.choice(["approve", "approve", "reject"]),
            }[kind]
            new = flow.submit(cfg, s, rng.choice(members), g, verdict)
            evs = evs + list(new)
            s = fold(new, s.copy())
            yield evs, s


def _hostile(s: TaskState) -> list[Event]:
    """One event of every type the fold knows, aimed at the parts of `s` it can mutate."""
    g = next(iter(s.gates))
    review = {"gate": g, "verdict": "pass", "revision": "r9", "counts": True, "family": "openai"}
    data = {
        "gate.ready": {"gate": g, "revision": "r9"},
        "gate.skipped": {"gate": g, "reason": "x"},
        "work.submitted": {
            "gate": g,
            "revision": "r9",
            "family": "openai",
            "behind": ["eve"],
            "paths": ["a"],
        },
        "review.filed": {**review, "behind": ["eve"]},
        "approval.granted": review,
        "approval.rejected": review,
        "approval.changes_requested": {**review, "verdict": "changes"},
        "gate.passed": {"gate": g, "revision": "r9"},
        "gate.failed": {"gate": g, "reason": "x"},
        "rework.started": {"round": s.rounds + 1, "reset": list(s.gates)},
        "task.escalated": {"reason": "x"},
        "task.done": {},
        "task.rejected": {},
        "task.resumed": {"unpriced_accepted": 3},
        "task.tier_raised": {"tier": "high", "filer_may_approve": False, "unskipped": list(s.gates)},
    }
    assert set(data) == set(EVENT_TYPES) - {"task.created"}  # a new event type must be added here
    return [Event(t, s.id, d, actor="mallory") for t, d in data.items()]


def test_fold_more_equals_a_full_fold_and_leaves_the_remembered_state_alone(cfg):
    checked = 0
    for evs, s in _walks(cfg):
        before = copy.deepcopy(s)
        for ev in _hostile(s):  # each type alone, then all of them in one go
            out = Ctx.fold_more(s, [ev])
            assert out == fold([*evs, ev])
            assert s == before, ev.type
            checked += 1
        out = Ctx.fold_more(s, _hostile(s))
        assert out == fold([*evs, *_hostile(s)]) and s == before
        # and writing into the result (as the engine does next) does not reach the remembered state
        for g in out.gates:  # gate states are replaced, never changed (they are shared with the copy)
            out.gates[g] = GateState(status="failed")
        out.attributes["k"] = 1
        out.revisions.append(("r", "g", "a", "f"))
        out.authors.add("x")
        out.author_families.add("x")
        assert s == before
    assert Ctx.fold_more(s, []) is s  # nothing new: the same state, no copy
    assert checked > 500


def _mutable(v) -> bool:
    return isinstance(v, (list, dict, set, bytearray)) or dataclasses.is_dataclass(v)


def test_state_copy_copies_every_mutable_field_there_is(cfg):
    """Close the class: every field of TaskState and GateState that holds a mutable value is a new object in
    the copy (a field added later and not copied fails here, not in a corrupted cache)."""
    fields = [f.name for f in dataclasses.fields(TaskState)]
    gate_fields = [f.name for f in dataclasses.fields(GateState)]
    seen: set[str] = set()
    for _, s in _walks(cfg, seeds=range(10)):
        c = s.copy()
        assert c == s and c is not s
        for name in fields:
            v = getattr(s, name)
            if _mutable(v):
                seen.add(name)
                assert getattr(c, name) is not v, name
        # a gate's state is shared (the fold replaces it, never changes it: the test above proves the
        # remembered state survives every event type); a new mutable field of it must not appear unnoticed
        for gs in s.gates.values():
            assert {n for n in gate_fields if _mutable(getattr(gs, n))} <= {"reviews"}
    # the self-check: the fields the test above relies on are really seen as mutable
    assert {"gates", "attributes", "revisions", "authors", "author_families"} <= seen


def test_claim_and_submit_make_no_deep_copy(bus, monkeypatch):
    """The hot path (file, claim, submit, review, approve, through to done) never deep-copies: a deep copy
    anywhere on it fails the walk."""

    def refuse(*a, **k):
        raise AssertionError("copy.deepcopy on the bus's hot path")

    t = bus.add_task("Fix login", "change", attributes={"environment": "production"})["task"]
    monkeypatch.setattr(copy, "deepcopy", refuse)
    view = drive(bus, t)
    assert view["status"] == "done", view["status"]


@pytest.fixture
def bus(sqlite_url, root):
    from org.bus import Bus

    b = Bus.open(sqlite_url, root=root)
    yield b
    b.close()
