"""Hypothesis strategies for random gate graphs and random small orgs, built in memory (no YAML)."""

from __future__ import annotations

import hashlib

from hypothesis import strategies as st

from org.config.families import family_of
from org.config.loader import Actor, OrgConfig
from org.config.models import Lane, RiskSpec, TierSpec, Workflow

TIERS = ("t0", "t1", "t2")
MODELS = {
    "anthropic": "anthropic/claude-sonnet-4-5",
    "openai": "openai/gpt-5",
    "google": "gemini/gemini-2.5-pro",
    "meta": "ollama/llama3.1",
}


@st.composite
def gate_specs(draw, max_gates: int = 7, lanes: dict | None = None) -> dict:
    """{name: gate dict}: a random DAG over g0..gN (each gate after a subset of earlier ones), random
    kinds and tiers, a terminal after a random non-empty subset, and random rework edges from review
    gates to earlier work gates. `lanes` maps a kind to the lanes that may hold it."""
    lanes = lanes or {"work": ["ag"], "review": ["ag"], "approval": ["hu"]}
    n = draw(st.integers(1, max_gates))
    names = [f"g{i}" for i in range(n)]
    gates: dict[str, dict] = {}
    for i, name in enumerate(names):
        kind = draw(st.sampled_from(["work", "review", "approval", "check"]))
        spec: dict = {"kind": kind}
        if i:
            spec["after"] = sorted(draw(st.sets(st.sampled_from(names[:i]), max_size=3)))
        tiers = draw(st.none() | st.lists(st.sampled_from(TIERS), min_size=1, max_size=3, unique=True))
        if tiers is not None:
            spec["tiers"] = tiers
        if kind == "check":
            spec["check"] = "eligibility"
        else:
            spec["lane"] = draw(st.sampled_from(lanes[kind]))
        if kind in ("review", "approval"):
            spec["quorum"] = draw(st.sampled_from([1, 1, 1, 2]))
        if kind == "review":
            spec["cross_vendor"] = draw(st.booleans())
            works = [w for w in names[:i] if gates[w]["kind"] == "work"]
            if works and draw(st.booleans()):
                spec["on_fail"] = draw(st.sampled_from(works))
        gates[name] = spec
    if draw(st.booleans()):  # done waits for every gate nothing else waits for: no bypass by construction
        sinks = [n for n in names if not any(n in gates[m].get("after", []) for m in names)]
        gates["done"] = {"kind": "terminal", "after": sinks}
    else:
        gates["done"] = {
            "kind": "terminal",
            "after": sorted(draw(st.sets(st.sampled_from(names), min_size=1))),
        }
    return gates


def workflow(gates: dict, name: str = "wf", rounds: int = 2) -> Workflow:
    return Workflow.model_validate(
        {"workflow": name, "gates": gates, "limits": {"max_rework_rounds": rounds}}
    )


def org(lanes: list[Lane], workflows: list[Workflow], tiers=TIERS) -> OrgConfig:
    """An OrgConfig assembled in memory; its hash covers what it was built from."""
    actors = {}
    for lane in lanes:
        for m in lane.members:
            fam = family_of(m.model, m.family) if m.model else None
            actors[m.id] = Actor(m.id, lane.lane, lane.kind, m.model, fam, f"lanes/{lane.lane}.yaml:1")
    risk = RiskSpec(tiers=[TierSpec(id=t) for t in tiers], default=tiers[0])
    text = repr((lanes, workflows))
    return OrgConfig(
        root=None,
        lanes={la.lane: la for la in lanes},
        workflows={w.workflow: w for w in workflows},
        rules=[],
        risk=risk,
        credentials={},
        attributes={},
        actors=actors,
        config_hash=hashlib.sha256(text.encode()).hexdigest()[:16],
    )


def lane(name: str, kind: str, members: list[tuple[str, str | None]], may=("*",)) -> Lane:
    ms = [{"id": i, **({"model": MODELS[f]} if f else {})} for i, f in members]
    return Lane.model_validate({"lane": name, "kind": kind, "purpose": name, "may": list(may), "members": ms})


@st.composite
def random_orgs(draw) -> OrgConfig:
    """A small org: work lane w, review lane r, a lane x that both works and reviews (separation of
    duties inside one lane), humans h; members of random families; one random workflow over them."""
    fams = sorted(MODELS)

    def agents(prefix: str) -> list[tuple[str, str]]:
        picks = draw(st.lists(st.sampled_from(fams), min_size=1, max_size=3))
        return [(f"{prefix}{i}-{f}", f) for i, f in enumerate(picks)]

    lanes = [
        lane("w", "agent", agents("w")),
        lane("r", "agent", agents("r")),
        lane("x", "agent", agents("x")),
        lane("h", "human", [(f"h{i}", None) for i in range(draw(st.integers(1, 2)))]),
    ]
    gates = draw(gate_specs(6, {"work": ["w", "x"], "review": ["r", "x"], "approval": ["h"]}))
    return org(lanes, [workflow(gates, rounds=draw(st.integers(1, 3)))])
