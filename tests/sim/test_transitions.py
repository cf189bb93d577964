"""The transition memo (ADR 0255) answers exactly as the engine: random scenarios run with it on and off give the
same events, the same task states and the same metrics, byte for byte; a memo whose key leaves out anything the
engine reads is caught here (the sabotage runs in the ADR drop each key component and fail this test)."""

from __future__ import annotations

import contextlib
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.engine import flow
from org.errors import OrgError
from org.sim.entities import Task
from org.sim.orgbuild import build_org
from org.sim.run import load
from org.sim.transitions import Facts, Transitions
from org.sim.world import World
from tests.engine.random_orgs import random_orgs

_SCENARIOS = [
    "baseline",
    "review-cross-vendor",
    "review-same-family",
    "ceremony-full",
    "ceremony-light",
    "approval-cap",
    "scaling-naive",
    "hivemind",
    "large",
]


class _Recording(World):
    """A World that keeps every event list the engine (or the memo) hands back, in order."""

    def __init__(self, *a, **k) -> None:
        super().__init__(*a, **k)
        self.trail: list = []

    def _apply(self, task, events) -> None:
        self.trail.append([e.to_json() for e in events])
        super()._apply(task, events)


def _scenario(rng: random.Random) -> tuple[str, list, int]:
    """A random scenario: a shipped one, a random seed, and random lane sizes, models, load and behaviour."""
    name = rng.choice(_SCENARIOS)
    sets: list = [("duration", f"{rng.choice([1, 2, 3])}d"), ("warmup", "0d")]
    models = [
        "anthropic/claude-sonnet-4-5",
        "openai/gpt-5",
        "gemini/gemini-2.5-pro",
        "openai/gpt-5-mini",
        "anthropic/claude-haiku-4-5",
    ]
    for lane in ("builder", "reviewer", "security"):
        if rng.random() < 0.5:
            sets.append((f"org.lanes.{lane}.agents", rng.randint(1, 6)))
        if rng.random() < 0.4:
            sets.append((f"org.lanes.{lane}.models", rng.sample(models, rng.randint(1, 3))))
    if rng.random() < 0.5:
        sets.append(("workload.load", rng.choice([0.5, 1.0, 2.0])))
    if rng.random() < 0.4:
        sets.append(("behaviour.default.false_alarm", rng.choice([0.0, 0.2, 0.5])))
    if rng.random() < 0.3:
        sets.append(("behaviour.default.defects.logic", rng.choice([0.0, 0.6, 0.9])))
    return name, sets, rng.randrange(1 << 30)


def _run(name: str, sets: list, seed: int, memo: bool) -> tuple[str, int]:
    if name == "large":  # the 100-agent org, kept short
        sets = [*sets, ("duration", "0.5d")]
    try:
        ls = load(name, sets, seed=seed)
    except Exception:  # a random set the scenario does not have (e.g. no such lane): without it
        ls = load(name, sets[:2], seed=seed)
    cfg = build_org(ls)
    w = _Recording(ls.spec, cfg, keep=True, memo=memo)
    m = w.run()
    tasks = [t.state.to_json() for t in [*(w.finished or []), *w.open.values()]]
    out = json.dumps({"metrics": m, "tasks": tasks, "events": w.trail}, sort_keys=True, default=repr)
    return out, w.transitions.hits


def differential(cases: int, first_seed: int = 0) -> tuple[int, int]:
    """Runs `cases` random scenarios with the memo on and off; returns (cases, answers replayed). Raises
    AssertionError naming the first scenario whose outputs differ."""
    rng = random.Random(first_seed)
    replayed = 0
    for _ in range(cases):
        name, sets, seed = _scenario(rng)
        off, _ = _run(name, sets, seed, memo=False)
        on, hits = _run(name, sets, seed, memo=True)
        assert on == off, f"memo changes {name} seed {seed} sets {sets}"
        replayed += hits
    return cases, replayed


def _answer(fn, *args, **kwargs):
    """What a call gives back, as JSON text: its events and the state they fold to, or what it raised."""
    try:
        events, state = fn(*args, **kwargs)[:2]
    except OrgError as e:
        return None, f"{type(e).__name__}: {e} {json.dumps(e.detail, sort_keys=True, default=repr)}"
    return state, json.dumps([[e.to_json() for e in events], state.to_json()], sort_keys=True, default=repr)


def _task(tid: str, wf: str) -> Task:
    return Task(tid, 0, 0, 0.0, wf)


def _clone(task: Task) -> Task:
    """The task as it is, to answer one call on (the memo sets the task it is handed)."""
    c = _task(task.id, task.workflow)
    c.state, c.sig, c.names = task.state.copy(), task.sig, list(task.names)
    return c


def _eligibility_agrees(cfg, memo: Transitions, task: Task, plain, members: list[str], where: str) -> None:
    """Eligibility by shape (ADR 0305) answers as the engine on the engine's own state: every member at every
    gate (ready or not), and the lane's eligible members at every gate; and the facts read by shape are the
    engine's state's."""
    memo.look(task)
    f, ext = task.facts, task.ext
    g = Facts(plain, [])
    assert (f.rounds, f.tier, f.status, f.statuses, f.counted) == (
        g.rounds,
        g.tier,
        g.status,
        g.statuses,
        g.counted,
    ), where
    assert (None if f.revision is None else ext[f.revision]) == plain.revision, where
    last = plain.revisions[-1][2] if plain.revisions else None
    assert (None if f.last_author is None else ext[f.last_author]) == last, where
    wf = cfg.workflows[plain.workflow]
    for gate, spec in wf.gates.items():
        lane = tuple(a.id for a in cfg.actors.values() if a.lane == spec.lane)
        for m in members:
            assert memo.may(task, m, gate) == flow.eligibility(cfg, plain, m, gate).ok, (
                f"{where}: {m} at {gate}"
            )
        for _ in range(2):  # the first may be the engine's (a miss); the second is the memo's
            assert memo.who(task, gate, lane) == frozenset(flow.eligible_members(cfg, plain, gate)), (
                f"{where}: who at {gate}"
            )


def walks(cfg, seed: int, tasks: int = 24, steps: int = 40) -> int:
    """Random walks of `tasks` tasks through one org, each call answered by the engine and by the memo side by
    side (each side folding its own states); any member may try any ready gate (refusals included), with any
    verdict, reviews sometimes naming a stale revision. At every step the memo's eligibility and facts are
    checked against the engine's on the engine's state. Returns the answers replayed."""
    rng = random.Random(seed)
    memo = Transitions(cfg)
    wf = next(iter(cfg.workflows))
    members = sorted(cfg.actors)
    verdicts = {
        "work": ["pass"],
        "review": ["pass", "pass", "fail", "changes"],
        "approval": ["approve", "reject"],
    }
    for n in range(tasks):
        tid = f"T{n:04d}"
        tier = rng.choice([None, *[t.id for t in cfg.risk.tiers]])
        plain, a = _answer(flow.start_task_folded, cfg, tid, "t", wf, {}, requested_tier=tier)
        task = _task(tid, wf)

        def start(task=task, tier=tier):
            events = memo.start(task, "t", wf, {}, tier)
            return events, task.state

        mine, b = _answer(start)
        assert a == b, f"start {tid}"
        if plain is None:
            continue
        for k in range(steps):
            _eligibility_agrees(cfg, memo, task, plain, members, f"{tid} step {k}")
            ready = plain.ready_gates() if plain.open else []
            if not ready:
                break
            gate = rng.choice(sorted(ready))
            kind = cfg.workflows[wf].gates[gate].kind
            eligible = sorted(flow.eligible_members(cfg, plain, gate))
            actor = rng.choice(eligible) if eligible and rng.random() < 0.85 else rng.choice(members)
            verdict = rng.choice(verdicts.get(kind, ["pass"]))
            revision = None
            if kind != "work":
                revs = [r for r, *_ in plain.revisions]
                revision = plain.gates[gate].bound if rng.random() < 0.9 or not revs else rng.choice(revs)
            content = f"{tid}:{k}:{rng.random()}" if kind == "work" else ""
            findings = [{"class": "logic"}] if verdict in ("fail", "changes") and rng.random() < 0.5 else None
            new_plain, a = _answer(
                flow.submit_folded,
                cfg,
                plain,
                actor,
                gate,
                verdict,
                revision=revision,
                content=content,
                findings=findings,
            )
            # the state's rounds as the simulator reads them (its facts)
            args = (task.facts.rounds, actor, gate, verdict, revision, content, findings)

            def submit(t: Task, args: tuple = args):
                events = memo.submit(t, *args)
                return events, t.state

            with contextlib.suppress(
                OrgError
            ):  # the first may be the engine's (a miss); the second is the memo's
                submit(_clone(task))
            after = _clone(task)
            new_mine, b = _answer(submit, after)
            assert a == b, f"{tid} step {k}: {actor} at {gate} ({verdict})"
            if new_plain is not None:
                plain, task = new_plain, after
    return memo.hits


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(random_orgs(), st.integers(0, 1 << 20))
def test_memo_answers_as_the_engine_on_random_orgs(cfg, seed):
    """Every answer, hit or miss, equals the engine's on the same state: events, folded state, refusals."""
    walks(cfg, seed)


@pytest.mark.slow
def test_memo_on_and_off_agree_on_random_scenarios():
    cases, replayed = differential(14, first_seed=21)
    assert replayed > 1000  # the memo was exercised, not bypassed


def test_memo_agrees_on_a_cross_vendor_org_and_replays():
    off, _ = _run("review-cross-vendor", [("duration", "2d")], 5, memo=False)
    on, hits = _run("review-cross-vendor", [("duration", "2d")], 5, memo=True)
    assert on == off
    assert hits > 100


def test_same_seed_same_answer_with_the_memo():
    a, _ = _run("baseline", [("duration", "2d")], 9, memo=True)
    b, _ = _run("baseline", [("duration", "2d")], 9, memo=True)
    assert a == b


def test_findings_keys_are_equal_exactly_when_the_findings_are():
    """The memo's key for findings (a quick path for flat dicts, _hashable otherwise) tells apart every two
    findings the engine would be handed differently, nested values included, and the two kinds never meet."""
    from org.sim.transitions import _findings_key

    cases = [
        [],
        [{"class": "logic"}],
        [{"class": "logic"}, {"class": "logic"}],
        [{"class": "style"}],
        [{"class": "logic", "line": 3}],
        [{"line": 3, "class": "logic"}],
        [{"class": ["logic"]}],
        [{"class": ("logic",)}],
        [{"class": {"logic": 1}}],
        [["class", "logic"]],
        [("class", "logic")],
        ["logic"],
        [{"class": None}],
        [{"class": "None"}],
    ]
    keys = [_findings_key(c) for c in cases]
    for k in keys:
        hash(k)
    for i, a in enumerate(cases):
        for j, b in enumerate(cases):
            assert (keys[i] == keys[j]) == (i == j), (a, b)
    assert _findings_key([{"class": "logic"}]) == _findings_key([{"class": "logic"}])
