"""The engine's hot-path changes made for the simulator keep behaviour identical: cheap state copies
equal deep copies, memoised plans and graph facts equal fresh ones, the eligibility probe in advance
equals the original fold-and-count, and caches follow a replaced workflow."""

from __future__ import annotations

import copy
import dataclasses
import random

import networkx as nx
import pytest

from org.engine import flow, memo
from org.engine.graph import build_graph, plan_for
from org.engine.proofs import bypass_path
from org.engine.state import Event, fold


def _walk(cfg, seed: int, steps: int = 12):
    """Random but mostly valid walks through the engine; yields every intermediate state."""
    rng = random.Random(seed)
    attrs = rng.choice([{"kind": "code"}, {"kind": "docs"}, {"environment": "production"}, {"kind": "deploy"}])
    wf = rng.choice(["change", "ops"])
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
        verdict = {"work": "pass", "review": rng.choice(["pass", "pass", "changes"]),
                   "approval": rng.choice(["approve", "approve", "reject"])}[kind]
        s = fold(flow.submit(cfg, s, rng.choice(members), g, verdict), s)
        yield s


def test_state_copy_equals_deepcopy_and_is_independent(cfg):
    for seed in range(60):
        for s in _walk(cfg, seed):
            c, d = flow._copy(s), copy.deepcopy(s)
            assert c == d
            c.gates[next(iter(c.gates))].reviews.append("x")
            c.authors.add("someone")
            c.revisions.append(("r", "g", "a", "f"))
            c.attributes["k"] = 1
            assert s == d


def test_memoised_graph_facts_equal_fresh_ones(cfg):
    for name, wf in cfg.workflows.items():
        g = build_graph(wf)
        for tier in (t.id for t in cfg.risk.tiers):
            assert memo.plan(cfg, name, tier) == plan_for(wf, tier)
            assert memo.derived(cfg, name, "bypass", tier) == bypass_path(wf, tier)
        for gate in wf.gates:
            assert memo.derived(cfg, name, "ancestors", gate) == nx.ancestors(g, gate)
            assert memo.derived(cfg, name, "descendants", gate) == nx.descendants(g, gate)
        assert [n for n, _, _ in memo.steps(cfg, name)] == list(plan_for(wf, cfg.risk.default).order)
        assert all(src == cfg.source(f"gate:{name}.{n}") for n, _, src in memo.steps(cfg, name))


def test_caches_follow_a_replaced_workflow(cfg):
    cfg2 = dataclasses.replace(cfg)  # a fresh config object: no caches yet
    assert "design" in memo.plan(cfg2, "change", "high").required
    gates = dict(cfg2.workflows["change"].gates)
    gates["design"] = gates["design"].model_copy(update={"tiers": ["low"]})
    cfg2.workflows = {**cfg2.workflows, "change": cfg2.workflows["change"].model_copy(update={"gates": gates})}
    assert "design" not in memo.plan(cfg2, "change", "high").required


def test_eligibility_probe_equals_fold_and_count(cfg):
    """advance() asks whether enough members would be eligible once a gate is ready; the original
    folded a gate.ready event into a deep copy and counted eligible_members."""
    for seed in range(80):
        for s in _walk(cfg, seed):
            if not s.open:
                continue
            wf = cfg.workflows[s.workflow]
            for g, spec in wf.gates.items():
                if spec.kind not in ("review", "approval"):
                    continue
                probe = fold([Event("gate.ready", s.id, {"gate": g})], copy.deepcopy(s))
                want = len(flow.eligible_members(cfg, probe, g)) < spec.quorum - len(probe.counting_reviews(g))
                assert flow._short_of_members(cfg, s, g, spec.quorum) == want


@pytest.mark.parametrize("actor", ["build-claude", "rev-gpt", "rev-claude", "sec-gemini", "alice", "nobody"])
def test_eligibility_answers_with_the_original_rules(cfg, actor):
    """The flattened eligibility against the rules as first written (the order of the checks matters:
    the first failing one is the reason reported)."""

    def original(state, gate):
        wf = cfg.workflows.get(state.workflow)
        if wf is None or gate not in wf.gates:
            return "ORG-NO-GATE"
        spec, who = wf.gates[gate], cfg.actors.get(actor)
        if who is None:
            return "ORG-UNKNOWN-ACTOR"
        if not state.open:
            return "ORG-TASK-CLOSED"
        if state.gates[gate].status != "ready":
            return "ORG-GATE-NOT-READY"
        if spec.lane != who.lane:
            return "ORG-WRONG-LANE"
        if spec.kind in ("review", "approval"):
            if actor in state.authors:
                return "ORG-SEPARATION-OF-DUTIES"
            if any(r.actor == actor and r.revision == state.revision for r in state.gates[gate].reviews):
                return "ORG-ONE-REVIEW-EACH"
            if spec.cross_vendor and flow.family_of_actor(cfg, actor) in state.author_families:
                return "ORG-CROSS-VENDOR"
        if spec.kind == "approval" and not who.is_human:
            return "ORG-HUMAN-APPROVAL"
        return ""

    for seed in range(40):
        for s in _walk(cfg, seed):
            for g in [*s.gates, "nope"]:
                assert flow.eligibility(cfg, s, actor, g).rule == original(s, g)


def test_submit_in_place_gives_the_same_events_and_state(cfg):
    rng = random.Random(7)
    checked = 0
    for seed in range(80):
        for s in _walk(cfg, seed, steps=8):
            if not s.open:
                continue
            for g in sorted(s.gates):
                kind = cfg.workflows[s.workflow].gates[g].kind
                for actor in rng.sample(sorted(cfg.actors), 3):
                    for verdict in {"work": ["pass", "fail"], "review": ["pass", "changes"],
                                    "approval": ["approve", "reject"]}.get(kind, ["pass"]):
                        mine = copy.deepcopy(s)
                        try:
                            want = flow.submit(cfg, s, actor, g, verdict, content="c")
                        except Exception as exc:  # noqa: BLE001 - the same refusal either way
                            with pytest.raises(type(exc)):
                                flow.submit(cfg, mine, actor, g, verdict, content="c", in_place=True)
                            assert mine == s  # untouched on refusal
                            continue
                        got = flow.submit(cfg, mine, actor, g, verdict, content="c", in_place=True)
                        assert got == want
                        assert mine == fold(want, copy.deepcopy(s))
                        checked += 1
    assert checked > 200
