"""Facts the flow derives from a config's workflows, memoised on the config object.

A workflow's plans per tier, its gate order, the gates before and after each gate, the nearest
work gate and bypass paths never change for a given workflow object, so the flow computes each
once per config (the simulator calls the flow millions of times). The facts of a workflow are
kept together with the workflow object they came from and are dropped when `cfg.workflows`
holds another object under that name; gate sources are also kept with the `cfg.sources` table
they were read from, and a lane's members with the `cfg.actors` table (replace the table to
change who is in a lane, as `dataclasses.replace(cfg, actors=...)` does). Config models are frozen, so a changed workflow is a new object (like
`policy.compile_policy`, the memo lives on the config object and is never copied by
`dataclasses.replace`). Treat every returned value as read-only.

`disable(cfg)` turns the memo off for one config, so every call derives its answer afresh: the
equivalence tests run the same walks against a memoised and an unmemoised config.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from org.config.loader import OrgConfig
from org.config.models import Gate, Workflow
from org.engine.graph import START, Plan, build_graph, plan_for
from org.engine.proofs import bypass_path

__all__ = [
    "GateSpec",
    "gates",
    "plan",
    "steps",
    "upstream",
    "descendants",
    "nearest_work",
    "bypass",
    "graph",
    "lane_members",
    "table",
    "joins_known",
    "sweep",
    "disable",
    "enabled",
]

_MEMO = "_engine_memo"

# one step of advance's walk: (gate, GateSpec, source, every gate before it, its after, its kind)
Step = tuple[str, "GateSpec", str, frozenset[str], tuple[str, ...], str]
_OFF = "_engine_memo_off"


class _Facts:
    """The memo of one workflow object: each fact once computed, None until then."""

    __slots__ = ("wf", "gates", "graph", "steps", "joins_known", "sweep", "upstream", "keyed")

    def __init__(self, wf: Workflow) -> None:
        self.wf = wf
        self.gates: dict[str, GateSpec] | None = None
        self.graph: nx.DiGraph[str] | None = None
        self.steps: tuple[dict[str, str], tuple[Step, ...]] | None = None
        self.joins_known: bool | None = None
        self.sweep: tuple[dict[str, str], tuple[tuple[Step, ...], bool]] | None = None
        self.upstream: dict[str, frozenset[str]] | None = None
        self.keyed: dict[tuple[str, str], Any] = {}  # (fact, tier or gate) -> value


def _facts(cfg: OrgConfig, workflow: str) -> _Facts:
    wf = cfg.workflows[workflow]
    c = cfg.__dict__.get(_MEMO)
    if c is not None:
        f: _Facts | None = c.get(workflow)
        if f is not None and f.wf is wf:
            return f
    return _new_facts(cfg, workflow, wf, c)


def _new_facts(cfg: OrgConfig, workflow: str, wf: Workflow, c: dict[str, Any] | None) -> _Facts:
    f = _Facts(wf)
    if c is None:
        if cfg.__dict__.get(_OFF):
            return f  # remembered by nobody: every fact is derived afresh
        c = {}
        object.__setattr__(cfg, _MEMO, c)
    c[workflow] = f
    return f


def disable(cfg: OrgConfig) -> OrgConfig:
    """Switch the memo off for `cfg` (dropping what it holds); returns cfg."""
    object.__setattr__(cfg, _OFF, True)
    d = cfg.__dict__
    for k in [k for k in d if k == _MEMO or k.startswith("_engine_table")]:
        del d[k]
    return cfg


def enabled(cfg: OrgConfig) -> bool:
    return not cfg.__dict__.get(_OFF)


class GateSpec:
    """A plain, read-only mirror of a config Gate: the same fields, read without pydantic's
    attribute machinery (the flow reads them millions of times in a simulation)."""

    __slots__ = (
        "name",
        "kind",
        "lane",
        "after",
        "tiers",
        "quorum",
        "cross_vendor",
        "on_fail",
        "check",
        "carries_out",
        "implied_action",
        "placed_families",
    )

    def __init__(self, name: str, gate: Gate) -> None:
        self.name = name
        self.kind, self.lane, self.after = gate.kind, gate.lane, tuple(gate.after)
        self.tiers = tuple(gate.tiers) if gate.tiers is not None else None
        self.quorum, self.cross_vendor, self.on_fail, self.check = (
            gate.quorum,
            gate.cross_vendor,
            gate.on_fail,
            gate.check,
        )
        self.carries_out, self.implied_action = gate.carries_out, gate.implied_action
        self.placed_families = gate.placed_families


def gates(cfg: OrgConfig, workflow: str) -> dict[str, GateSpec]:
    """{gate: GateSpec} of the workflow, in its order."""
    f = _facts(cfg, workflow)
    g = f.gates
    if g is None:
        g = f.gates = {n: GateSpec(n, spec) for n, spec in f.wf.gates.items()}
    return g


def graph(cfg: OrgConfig, workflow: str) -> nx.DiGraph[str]:
    """build_graph(workflow): the flow graph without rework edges."""
    f = _facts(cfg, workflow)
    g = f.graph
    if g is None:
        g = f.graph = build_graph(f.wf)
    return g


def plan(cfg: OrgConfig, workflow: str, tier: str) -> Plan:
    """graph.plan_for(workflow, tier)."""
    f = _facts(cfg, workflow)
    key = ("plan", tier)
    p: Plan | None = f.keyed.get(key)
    if p is None:
        p = f.keyed[key] = plan_for(f.wf, tier)
    return p


def steps(cfg: OrgConfig, workflow: str) -> tuple[Step, ...]:
    """(gate, GateSpec, source, every gate before it, its after, its kind) for every gate in plan
    order: the order advance visits them (a topological order: a gate comes after everything it
    waits for)."""
    f = _facts(cfg, workflow)
    hit = f.steps
    if hit is None or hit[0] is not cfg.sources:
        order = plan(cfg, workflow, cfg.risk.default).order
        ups, specs = upstream(cfg, workflow), gates(cfg, workflow)
        hit = f.steps = (
            cfg.sources,
            tuple(
                (n, specs[n], cfg.source(f"gate:{workflow}.{n}"), ups[n], specs[n].after, specs[n].kind)
                for n in order
            ),
        )
    return hit[1]


def joins_known(cfg: OrgConfig, workflow: str) -> bool:
    """Does every gate wait only for gates of the workflow (what the config checks enforce)?"""
    f = _facts(cfg, workflow)
    known = f.joins_known
    if known is None:
        wf = f.wf
        known = f.joins_known = all(d in wf.gates for g in wf.gates.values() for d in g.after)
    return known


def sweep(cfg: OrgConfig, workflow: str) -> tuple[tuple[Step, ...], bool]:
    """(steps(cfg, workflow), joins_known(cfg, workflow)) in one look-up: what advance starts from."""
    f = _facts(cfg, workflow)
    hit = f.sweep
    if hit is None or hit[0] is not cfg.sources:
        hit = f.sweep = (cfg.sources, (steps(cfg, workflow), joins_known(cfg, workflow)))
    return hit[1]


def upstream(cfg: OrgConfig, workflow: str) -> dict[str, frozenset[str]]:
    """{gate: every gate before it}."""
    f = _facts(cfg, workflow)
    u = f.upstream
    if u is None:
        g = graph(cfg, workflow)
        u = f.upstream = {n: frozenset(nx.ancestors(g, n)) - {START} for n in g.nodes if n != START}
    return u


def descendants(cfg: OrgConfig, workflow: str, gate: str) -> frozenset[str]:
    """graph.descendants(workflow, gate): every gate after `gate`."""
    f = _facts(cfg, workflow)
    key = ("descendants", gate)
    d: frozenset[str] | None = f.keyed.get(key)
    if d is None:
        d = f.keyed[key] = frozenset(nx.descendants(build_graph(f.wf), gate))
    return d


_NONE = object()  # a remembered None


def nearest_work(cfg: OrgConfig, workflow: str, gate: str) -> str | None:
    """The work gate before `gate` with the most gates before it (ties: the greatest name), or None."""
    f = _facts(cfg, workflow)
    key = ("nearest_work", gate)
    w = f.keyed.get(key)
    if w is None:
        wf = f.wf
        ups = upstream(cfg, workflow)
        works = [a for a in ups[gate] if wf.gates[a].kind == "work"]
        w = f.keyed[key] = max(works, key=lambda a: (len(ups[a]), a)) if works else _NONE
    return w if isinstance(w, str) else None  # _NONE: a remembered None


def bypass(cfg: OrgConfig, workflow: str, tier: str) -> list[str] | None:
    """proofs.bypass_path(workflow, tier), as a fresh list."""
    f = _facts(cfg, workflow)
    key = ("bypass", tier)
    p = f.keyed.get(key)
    if p is None:
        path = bypass_path(f.wf, tier)
        p = f.keyed[key] = tuple(path) if path is not None else _NONE
    return list(p) if isinstance(p, tuple) else None


def lane_members(cfg: OrgConfig, lane: str | None) -> tuple[str, ...]:
    """Ids of the lane's actors, in `cfg.actors` order."""
    actors = cfg.actors
    d = cfg.__dict__
    c = d.get(_MEMO)
    if c is None and not d.get(_OFF):
        c = {}
        object.__setattr__(cfg, _MEMO, c)
    key = ("lane", lane)
    hit = c.get(key) if c is not None else None
    if hit is None or hit[0] is not actors:
        hit = (actors, tuple(a.id for a in actors.values() if a.lane == lane))
        if c is not None:
            c[key] = hit
    return hit[1]


def table(cfg: OrgConfig, name: str, a: object, b: object) -> dict[Any, Any] | None:
    """A dict kept on the config object under `name` (an attribute name starting with "_engine_table")
    for answers derived from the config objects `a` and `b`: a fresh one when either was replaced since,
    None when the memo is off for `cfg`."""
    d = cfg.__dict__
    hit = d.get(name)
    if hit is not None and hit[0] is a and hit[1] is b:
        kept: dict[Any, Any] = hit[2]
        return kept
    if d.get(_OFF):
        return None
    t: dict[Any, Any] = {}
    object.__setattr__(cfg, name, (a, b, t))
    return t
