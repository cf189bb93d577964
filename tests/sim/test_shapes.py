"""What the simulator reads by shape instead of asking the engine (ADR 0305) is what the engine says: the facts of a
task's state, who may take a job, the budget brake's silence under the budget; and a state folded late is the
state folded early. Each check runs the real simulation and asks the engine beside it, on the engine's own state."""

from __future__ import annotations

import json

import pytest

from org.engine import flow
from org.engine.state import fold
from org.sim.entities import Task
from org.sim.orgbuild import build_org
from org.sim.run import load
from org.sim.transitions import Facts
from org.sim.world import World


def _facts_of(task) -> tuple:
    """The task's facts as values (identities resolved), as the simulator reads them."""
    f, ext = task.facts, task.ext
    return (
        f.rounds,
        f.tier,
        f.status,
        f.statuses,
        f.counted,
        None if f.revision is None else ext[f.revision],
        None if f.last_author is None else ext[f.last_author],
    )


def _engine_facts(st) -> tuple:
    f = Facts(st, [])
    return (
        st.rounds,
        st.tier,
        st.status,
        {g: s.status for g, s in st.gates.items()},
        {g: len(st.counting_reviews(g)) for g in st.gates},
        st.revision,
        st.revisions[-1][2] if st.revisions else None,
    ), f


class _Checked(World):
    """A World that asks the engine beside every answer it reads by shape, on the engine's own state."""

    def __init__(self, *a, **k) -> None:
        super().__init__(*a, **k)
        self.checked = {"may": 0, "who": 0, "facts": 0}
        tr, cfg = self.transitions, self.cfg
        may, who = tr.may, tr.who

        def checked_may(task, actor, gate):
            ok = may(task, actor, gate)
            assert ok == flow.eligibility(cfg, task.state, actor, gate).ok, (task.id, actor, gate)
            self.checked["may"] += 1
            return ok

        def checked_who(task, gate, lane):
            got = who(task, gate, lane)
            assert got == frozenset(flow.eligible_members(cfg, task.state, gate)), (task.id, gate)
            self.checked["who"] += 1
            return got

        tr.may, tr.who = checked_may, checked_who

    def _moved(self, task) -> None:
        super()._moved(task)
        expected, _ = _engine_facts(task.state)
        assert _facts_of(task) == expected, task.id
        self.checked["facts"] += 1


def _outputs(w: World, m: dict) -> str:
    m = {k: v for k, v in m.items() if k not in ("engine_calls", "wall_seconds")}
    tasks = [t.state.to_json() for t in [*(w.finished or []), *w.open.values()]]
    return json.dumps([m, tasks], sort_keys=True, default=repr)


@pytest.mark.parametrize(
    ("name", "sets"),
    [
        ("review-cross-vendor", [("duration", "3d")]),
        ("ceremony-full", [("duration", "3d")]),
        ("hivemind", [("duration", "2d")]),
        ("large", [("duration", "0.6d"), ("warmup", "0d")]),
        # a lane that reviews its own family: most reviewers refused, positions among the names decide
        ("review-same-family", [("duration", "3d"), ("org.lanes.reviewer.agents", 2)]),
    ],
)
def test_what_is_read_by_shape_is_what_the_engine_says(name, sets):
    ls = load(name, sets)
    cfg = build_org(ls)
    w = _Checked(ls.spec, cfg, keep=True)
    checked = _outputs(w, w.run())
    assert w.checked["facts"] > 100 and w.checked["may"] > 10 and w.checked["who"] > 10, w.checked
    assert w.transitions.hits > 50  # the shapes were exercised, not bypassed
    plain = World(ls.spec, cfg, keep=True)
    assert _outputs(plain, plain.run()) == checked  # and reading the state every step changed nothing


def test_a_state_folded_late_is_the_state_folded_early():
    """Replayed events are folded when the state is read: reading it after every event, at random moments, or
    only at the end gives the same run, byte for byte, as the engine answering every call (memo off)."""
    ls = load("baseline", [("duration", "2d")], seed=3)
    cfg = build_org(ls)

    class Eager(World):
        def _moved(self, task) -> None:
            task.state  # noqa: B018 (read: fold now)
            assert not task.pending
            super()._moved(task)

    runs = []
    for cls, memo in ((World, True), (Eager, True), (World, False)):
        w = cls(ls.spec, cfg, keep=True, memo=memo)
        runs.append(_outputs(w, w.run()))
    assert runs[0] == runs[1] == runs[2]


def test_a_replayed_answer_is_folded_once_and_in_order():
    """A task read twice folds its replayed answers once; the events a reader iterates are the folded ones."""
    ls = load("baseline", [("duration", "2d")], seed=4)
    cfg = build_org(ls)
    w = World(ls.spec, cfg, keep=True)
    w.run()
    tasks = [*(w.finished or []), *w.open.values()]
    lazy = [t for t in tasks if t.pending]
    assert lazy, "no task held replayed answers: the memo was not exercised"
    for t in lazy:
        events = [e for r in t.pending for e in r]
        n = t._st.events if t._st is not None else 0
        again = fold(events, t._st.copy() if t._st is not None else None).to_json()
        assert t.state.to_json() == again
        assert t.state.events == n + len(events) and not t.pending  # folded once


def test_the_budget_brake_is_silent_at_or_under_the_budget_and_fires_over_it():
    """The simulator asks the engine's budget brake only when a task's spend is over its workflow's budget_usd
    (world._complete). That is sound only while the engine escalates on nothing else in a simulation: every state
    a run reaches, at every spend up to the budget, gets no events; just over it, an open task escalates."""
    ls = load("review-cross-vendor", [("duration", "2d")])
    cfg = build_org(ls)
    w = World(ls.spec, cfg, keep=True)
    w.run()
    seen = 0
    for t in [*(w.finished or []), *w.open.values()]:
        st = t.state
        lim = cfg.workflows[st.workflow].limits.budget_usd
        assert lim is not None
        for spend in (0.0, lim / 3, lim):
            assert flow.escalate_if_over_budget(cfg, st, spend) == [], (t.id, spend)
        over = flow.escalate_if_over_budget(cfg, st, lim + 1e-9)
        assert bool(over) == st.open, t.id
        seen += 1
    assert seen > 50


@pytest.mark.parametrize("budget", [0.05, 0.4, 5.0])
def test_asking_the_brake_only_over_the_budget_changes_no_run(budget):
    """The same run, byte for byte, as a simulator that asks the engine's brake after every job (tight budgets
    escalate many tasks, loose ones none)."""
    ls = load("review-cross-vendor", [("duration", "2d"), ("org.limits.change.budget_usd", budget)])
    cfg = build_org(ls)
    w = World(ls.spec, cfg, keep=True)
    m = w.run()
    always = World(ls.spec, cfg, keep=True)
    always.budget_of = dict.fromkeys(always.budget_of, float("-inf"))
    assert _outputs(always, always.run()) == _outputs(w, m)
    if budget < 0.1:
        assert m["rework"]["escalated_by_kind"].get("budget", 0) > 0


def _new_code_task(tr, cfg, n: int) -> tuple:
    """A new code task T<n> started through the memo `tr`: (the task, its first ready gate, that gate's lane)."""
    task = Task(f"T{n}", n, 0, 0.0, "change")
    tr.start(task, "t", "change", {"kind": "code"}, None)
    tr.look(task)
    gate = next(g for g, s in task.facts.statuses.items() if s == "ready")
    return task, gate, cfg.workflows["change"].gates[gate].lane


def test_an_answer_naming_someone_the_call_does_not_is_never_replayed(monkeypatch):
    """Hostile: the engine's answer names an identity the call does not (a stranger as actor, or data that is not
    JSON). Such an answer cannot be renamed for another task: it is not kept, the task leaves the memo (its
    shape unknown), and the same call is answered by the engine again."""
    ls = load("baseline", [("duration", "2d")])
    cfg = build_org(ls)
    w = World(ls.spec, cfg)
    tr = w.transitions
    real = flow.submit_folded
    calls = {"n": 0}

    def stranger(*a, **k):
        calls["n"] += 1
        events, st = real(*a, **k)
        e = events[0]
        odd = type(e)(e.type, e.task, {**e.data, "odd": {1, 2}} if calls["n"] % 2 else e.data, "stranger-9")
        return [odd, *events[1:]], st

    monkeypatch.setattr(flow, "submit_folded", stranger)
    answers = []
    for n in (1, 2):
        task, gate, lane = _new_code_task(tr, cfg, n)
        actor = next(a.id for a in cfg.actors.values() if a.lane == lane)
        events = tr.submit(task, task.facts.rounds, actor, gate, "pass", None, f"c{n}", None)
        assert task.sig is None and events[0].actor == "stranger-9"
        answers.append(calls["n"])
    assert answers == [1, 2]  # the second, same-shaped call went to the engine: nothing was replayed
    assert all(v is None for v in tr.submits.values())


@pytest.mark.parametrize("where", ["message", "detail"])
def test_a_refusal_naming_a_member_the_call_does_not_is_never_replayed(monkeypatch, where):
    """Hostile: the engine refuses naming a member the call does not ("held by reviewer-07"). Kept, its replay for
    another task would name the first call's stranger: it is not kept, and the same call is refused by the engine
    again, with its own text; a refusal naming only the call's own names is kept and replayed."""
    from org.errors import Conflict

    ls = load("baseline", [("duration", "2d")])
    cfg = build_org(ls)
    tr = World(ls.spec, cfg).transitions
    calls = {"n": 0}
    members = sorted(cfg.actors)

    def refuse(cfg_, st, actor, *a, **k):
        calls["n"] += 1
        other = next(m for m in members if m != actor)
        if where == "message":
            raise Conflict(f"the gate is held by {other} (try {calls['n']})")
        raise Conflict("the gate is held", holder=other)

    monkeypatch.setattr(flow, "submit_folded", refuse)
    seen = []
    for n in (1, 2):
        task, gate, lane = _new_code_task(tr, cfg, n)
        actor = next(a.id for a in cfg.actors.values() if a.lane == lane)
        with pytest.raises(Conflict) as err:
            tr.submit(task, task.facts.rounds, actor, gate, "pass", None, f"c{n}", None)
        seen.append((calls["n"], str(err.value)))
    assert [n for n, _ in seen] == [1, 2]  # the second, same-shaped call went to the engine
    if where == "message":
        assert seen[1][1].endswith("(try 2)")


def test_a_refusal_naming_only_the_calls_names_is_replayed(monkeypatch):
    from org.errors import Conflict

    ls = load("baseline", [("duration", "2d")])
    cfg = build_org(ls)
    tr = World(ls.spec, cfg).transitions
    calls = {"n": 0}

    def refuse(cfg_, st, actor, gate, *a, **k):
        calls["n"] += 1
        raise Conflict(f"{actor} may not submit {gate} on {st.id}", actor=actor)

    monkeypatch.setattr(flow, "submit_folded", refuse)
    seen = []
    for n in (1, 2):
        task, gate, lane = _new_code_task(tr, cfg, n)
        alike: dict = {}  # members alike to the engine (one profile): any two of them share a key
        for a in cfg.actors.values():
            if a.lane == lane:
                alike.setdefault(tr.profiles[a.id], []).append(a.id)
        pair = max(alike.values(), key=len)
        actor = pair[(n - 1) % len(pair)]
        with pytest.raises(Conflict) as err:
            tr.submit(task, task.facts.rounds, actor, gate, "pass", None, f"c{n}", None)
        seen.append((str(err.value), err.value.detail))
        assert seen[-1] == (f"{actor} may not submit {gate} on T{n}", {"actor": actor})
    assert calls["n"] == 1  # the second was replayed, renamed for its own task and actor


def test_the_effects_kept_with_a_template_are_those_of_its_events():
    """A replayed answer's effects (new work, rework, closing, gates made ready) are worked out once with its
    template, actors as positions: for every template a run kept, they equal the effects of the events it
    replays, with the names filled in."""
    from org.sim.transitions import Replayed, digest, effects

    ls = load("large", [("duration", "1d"), ("warmup", "0d"), ("seed", 3)])
    w = World(ls.spec, build_org(ls))
    w.run()
    templates = [
        hit[0] for hit in w.transitions.submits.values() if type(hit) is tuple and hit[0] is not None
    ]
    templates += [t for t, _sig in w.transitions.starts.values()]
    checked = 0
    for template in templates:
        if template[2] is None:
            continue
        width = 1 + max([a for _t, _task, a, _c, _n in template[0] if a is not None] + [8])
        names = [f"T{i:04d}" if i == 0 else f"name-{i}" for i in range(width + 8)]
        r = Replayed(template, names)
        ops, ready, at = r.effects()
        assert at is names
        resolved = [(op[0], None if op[1] is None else at[op[1]]) if op[0] == "work" else op for op in ops]
        ops2, ready2 = effects(digest(r.events()))
        assert (resolved, list(ready)) == (ops2, ready2), template[0]
        checked += 1
    assert checked > 50
