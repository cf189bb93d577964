"""Invariants as hypothesis properties.

(a) No bypass: on random small gate graphs (random DAGs, kinds, tiers and rework edges) the
    verdict of org.engine.proofs equals brute-force enumeration of simple paths.
(b) On random actor sequences driving org.engine.flow (the default org and random orgs): no
    author ever counts as a reviewer or approver, no same-family review counts toward a
    cross-vendor quorum, and a task reaches done only if every gate its tier requires passed on
    the revision it covers (skipped is never passed). Checked by an independent replay of the log.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.config.loader import load_org
from org.engine import flow
from org.engine.proofs import bypass_path, prove
from org.engine.state import fold
from org.errors import OrgError
from tests.engine.random_orgs import TIERS, gate_specs, lane, org, random_orgs, workflow
from tests.helpers import REPO

CONTROLS = ("review", "approval", "check")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- (a) no bypass equals brute force ---------------------------------------------------------


def _brute_force(gates: dict, tier: str) -> bool:
    """Is there a simple path start -> done through none of the tier's required controls? Built
    from the gate dicts directly (not with org.engine.graph), rework edges included."""
    g = nx.DiGraph()
    g.add_node("start")
    for name, spec in gates.items():
        for d in spec.get("after") or ["start"]:
            g.add_edge(d, name)
        if spec.get("on_fail"):
            g.add_edge(name, spec["on_fail"])
    required = {
        n
        for n, s in gates.items()
        if s["kind"] in CONTROLS and (s.get("tiers") is None or tier in s["tiers"])
    }
    return any(not (set(p) & required) for p in nx.all_simple_paths(g, "start", "done"))


@SETTINGS
@given(gate_specs())
def test_no_bypass_verdict_equals_brute_force(gates):
    wf = workflow(gates)
    cfg = org(
        [
            lane("ag", "agent", [("a1", "openai"), ("a2", "google"), ("a3", "anthropic")]),
            lane("hu", "human", [("h1", None), ("h2", None)]),
        ],
        [wf],
    )
    problems = [p.message for p in prove(cfg)]
    for tier in TIERS:
        expected = _brute_force(gates, tier)
        path = bypass_path(wf, tier)
        assert (path is not None) == expected, (tier, gates)
        assert any(f"bypass at tier '{tier}'" in m for m in problems) == expected
        if path is not None:  # the witness is a real path that passes no required control
            assert path[0] == "start" and path[-1] == "done"
            edges = set(
                nx.DiGraph(
                    [(d, n) for n, s in gates.items() for d in s.get("after") or ["start"]]
                    + [(n, s["on_fail"]) for n, s in gates.items() if s.get("on_fail")]
                ).edges
            )
            assert all((a, b) in edges for a, b in zip(path, path[1:], strict=False))
            assert not any(
                gates[n]["kind"] in CONTROLS and (gates[n].get("tiers") is None or tier in gates[n]["tiers"])
                for n in path[1:-1]
            )


# ---- (b) random actor sequences ------------------------------------------------------------------

VERDICTS = ("pass", "fail", "changes", "approve", "reject", "bogus")
steps = st.lists(
    st.tuples(
        st.integers(0, 50),
        st.integers(0, 50),
        st.sampled_from(VERDICTS),
        st.sampled_from(["eligible", "eligible", "eligible", "anyone"]),
        st.sampled_from([None, None, "current", "stale"]),
    ),
    min_size=8,
    max_size=40,
)


def drive(cfg, workflow_name: str, attrs: dict, tier: str | None, moves) -> list:
    events = flow.start_task(cfg, "t", "x", workflow_name, attrs, requested_tier=tier)
    actors = sorted(cfg.actors) + ["ghost"]
    for gi, ai, verdict, who, rev in moves:
        s = fold(events)
        if not s.open:
            break
        gates = s.ready_gates() or list(s.gates)
        gate = gates[gi % len(gates)]
        members = flow.eligible_members(cfg, s, gate) if gate in s.ready_gates() else []
        actor = members[ai % len(members)] if who == "eligible" and members else actors[ai % len(actors)]
        if who == "eligible" and members and cfg.workflows[workflow_name].gates[gate].kind != "review":
            verdict = {"work": "pass", "approval": "approve"}.get(
                cfg.workflows[workflow_name].gates[gate].kind, verdict
            )
        revision = {None: None, "current": s.revision, "stale": "0" * 16}[rev]
        try:
            events = events + flow.submit(cfg, s, actor, gate, verdict, revision=revision)
        except OrgError as exc:  # refusals are fine; anything else is a bug
            assert exc.exit_code in (2, 3, 4, 5), exc
    return events


def check_log(cfg, events) -> None:
    """Replay the log independently and check the invariants at every step."""
    created = events[0].data
    wf = cfg.workflows[created["workflow"]]
    tier = created["tier"]
    g = nx.DiGraph([(d, n) for n, s in wf.gates.items() for d in s.after])
    g.add_nodes_from(wf.gates)
    before = {n: nx.ancestors(g, n) for n in wf.gates}
    fam = {a: (x.family or "human") for a, x in cfg.actors.items()}
    authors: set[str] = set()
    revisions: list[tuple[str, str]] = []
    reviews: dict[str, list] = defaultdict(list)
    status: dict[str, str] = {}
    passed_on: dict[str, str | None] = {}
    skipped: set[str] = set()

    def bound(gate):
        return next((r for r, w in reversed(revisions) if w in before[gate]), None)

    def valid(gate, rev):
        spec = wf.gates[gate]
        afams = {fam.get(a, "?") for a in authors}
        ok, seen_f = [], set()
        for actor, r, verdict in reviews[gate]:
            x = cfg.actors.get(actor)
            if x is None or x.lane != spec.lane or r != rev or verdict not in ("pass", "approve"):
                continue
            if actor in authors or actor in ok or (spec.kind == "approval" and not x.is_human):
                continue
            if spec.cross_vendor and (fam[actor] in afams or fam[actor] in seen_f):
                continue
            ok.append(actor)
            seen_f.add(fam[actor])
        return ok

    for e in events:
        d = e.data
        if e.type == "work.submitted":
            authors.add(e.actor)
            revisions.append((d["revision"], d["gate"]))
        elif e.type in ("review.filed", "approval.granted", "approval.rejected"):
            verdict = d.get("verdict") or ("approve" if e.type == "approval.granted" else "reject")
            reviews[d["gate"]].append((e.actor, d["revision"], verdict))
            if d.get("counts"):
                assert e.actor not in authors, f"author {e.actor} counted at {d['gate']}"
                if wf.gates[d["gate"]].cross_vendor:
                    assert fam[e.actor] not in {fam[a] for a in authors}, (
                        f"same family counted at {d['gate']}"
                    )
        elif e.type == "gate.skipped":
            skipped.add(d["gate"])
            status[d["gate"]] = "skipped"
        elif e.type == "rework.started":
            for n in d.get("reset", []):
                if status.get(n) != "skipped":
                    status[n] = "pending"
        elif e.type == "gate.passed":
            gate = d["gate"]
            assert gate not in skipped, f"skipped gate {gate} passed"
            status[gate], passed_on[gate] = "passed", d.get("revision")
            spec = wf.gates[gate]
            if spec.kind in ("review", "approval"):
                assert d.get("revision") == bound(gate)
                assert len(valid(gate, bound(gate))) >= spec.quorum, f"{gate} passed without a valid quorum"
        elif e.type == "task.done":
            for n, spec in wf.gates.items():
                if spec.kind == "terminal" or not (spec.tiers is None or tier in spec.tiers):
                    continue
                assert status.get(n) == "passed", f"done with {n} {status.get(n)}"
                if spec.kind in ("review", "approval"):
                    assert passed_on[n] == bound(n), f"done with {n} passed on a stale revision"
                    assert len(valid(n, bound(n))) >= spec.quorum, f"done with {n} short of its quorum"
    final = fold(events)
    for gate in final.gates:
        spec = wf.gates[gate]
        for r in final.counting_reviews(gate):
            assert r.actor not in final.authors
            if spec.cross_vendor:
                assert fam[r.actor] not in {fam[a] for a in final.authors}


_DEFAULT = load_org(REPO)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    wf=st.sampled_from(["change", "ops"]),
    attrs=st.sampled_from(
        [{}, {"kind": "docs"}, {"environment": "dev", "disposable": True}, {"environment": "production"}]
    ),
    tier=st.sampled_from([None, "medium", "high"]),
    moves=steps,
)
def test_random_actors_on_the_default_org(wf, attrs, tier, moves):
    if wf == "ops":  # an ops task is filed with where it takes effect (ADR 0071)
        attrs = {"environment": "staging", **attrs}
    check_log(_DEFAULT, drive(_DEFAULT, wf, attrs, tier, moves))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=random_orgs(), tier=st.sampled_from(TIERS), moves=steps)
def test_random_actors_on_random_orgs(cfg, tier, moves):
    check_log(cfg, drive(cfg, "wf", {}, tier, moves))


def test_the_driver_reaches_done_sometimes():
    """The properties above would be vacuous if random runs never finished: a guided run does."""
    moves = [(0, 0, "pass", "eligible", None)] * 12
    events = drive(_DEFAULT, "change", {}, "high", moves)
    assert fold(events).status == "done"
    check_log(_DEFAULT, events)
