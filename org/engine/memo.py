"""The engine's memo: answers derived from config objects, remembered outside the config (ADR 0160).

One interface, `table(name, *sources)`: the dict where answers derived from exactly the objects
`sources` are kept. Tables live in this module, keyed by the identity of their sources, and each
table holds its sources, so a key can never name a replaced object: replace a workflow, the
`sources`, `actors`, `lanes` or `rules` table of a config (config models are frozen, so a changed
workflow is a new object) and the next look-up starts a fresh table. Nothing is attached to the
config object. The store is bounded (it is emptied when it holds `LIMIT` tables), so configs loaded
and dropped by a long process are not kept alive for long.

The facts below are the flow's (the simulator asks for them millions of times): a workflow's gates,
plans per tier, gate order, the gates before and after each gate, the nearest work gate and bypass
paths; a lane's members. Treat every returned value as read-only.

`off()` switches the memo off while it is entered (every call derives its answer afresh and keeps
nothing): the equivalence tests run the same walks with the memo on and off.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # networkx is imported where a graph is built or searched (start-up, issue 23)
    import networkx as nx

from org.config.loader import OrgConfig
from org.config.models import Gate, Workflow
from org.engine.graph import START, Plan, build_graph, flow_ancestors, gate_after, plan_for
from org.engine.proofs import bypass_path

__all__ = [
    "GateSpec",
    "Step",
    "table",
    "off",
    "enabled",
    "gates",
    "plan",
    "steps",
    "upstream",
    "descendants",
    "nearest_work",
    "bypass",
    "graph",
    "lane_members",
    "lane_roster",
    "RosterEntry",
    "LIMIT",
]

LIMIT = 512
_TABLES: dict[tuple[Any, ...], tuple[tuple[object, ...], dict[Any, Any]]] = {}
_OFF = [0]  # how many off() blocks are open
_WORKFLOW: dict[
    int, dict[Any, Any]
] = {}  # the "workflow" tables by id of their workflow (emptied with _TABLES)
_GATES: dict[int, dict[str, GateSpec]] = {}  # gates() by id of their workflow (emptied with _TABLES)


def table(name: str, *sources: object) -> dict[Any, Any] | None:
    """The table of answers named `name` derived from `sources` (compared by identity); None while the
    memo is off. The table keeps `sources` alive, so an id in its key is always that object's."""
    if _OFF[0]:
        return None
    n = len(sources)
    if n == 1:
        key: tuple[Any, ...] = (name, id(sources[0]))
    elif n == 2:
        key = (name, id(sources[0]), id(sources[1]))
    else:
        key = (name, *map(id, sources))
    hit = _TABLES.get(key)
    if hit is not None:
        return hit[1]
    if len(_TABLES) >= LIMIT:
        _TABLES.clear()
        _WORKFLOW.clear()
        _GATES.clear()
    t: dict[Any, Any] = {}
    _TABLES[key] = (sources, t)
    return t


@contextmanager
def off() -> Iterator[None]:
    """Derive every answer afresh inside the block (and keep none)."""
    _OFF[0] += 1
    try:
        yield
    finally:
        _OFF[0] -= 1


def enabled() -> bool:
    return not _OFF[0]


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


# (gate, its GateSpec, its source, every gate before it, the gates it waits for, its kind)
Step = tuple[str, GateSpec, str, frozenset[str], tuple[str, ...], str]


def _remember(t: dict[Any, Any] | None, key: Any, compute: Any, *args: Any) -> Any:
    """t[key], computed as compute(*args) the first time (every time while the memo is off)."""
    if t is None:
        return compute(*args)
    try:
        return t[key]
    except KeyError:
        v = t[key] = compute(*args)
        return v


def _wf(cfg: OrgConfig, workflow: str) -> tuple[Workflow, dict[Any, Any] | None]:
    """The workflow and its table (the most frequent look-up: found by the workflow's id alone, which
    stays its own while the table, which holds it, is in the store)."""
    wf = cfg.workflows[workflow]
    t = _WORKFLOW.get(id(wf))
    if t is None or _OFF[0]:
        t = table("workflow", wf)
        if t is not None:
            _WORKFLOW[id(wf)] = t
    return wf, t


def gates(cfg: OrgConfig, workflow: str) -> dict[str, GateSpec]:
    """{gate: GateSpec} of the workflow, in its order. (The engine's most frequent question: answered from
    _GATES by the workflow's id, which stays its own while the workflow's table, holding it, is stored.)"""
    if not _OFF[0]:
        hit = _GATES.get(id(cfg.workflows[workflow]))
        if hit is not None:
            return hit
    wf, t = _wf(cfg, workflow)
    g: dict[str, GateSpec] | None = t.get("gates") if t is not None else None
    if g is None:
        g = {n: GateSpec(n, spec) for n, spec in wf.gates.items()}
        if t is not None:
            t["gates"] = g
    if t is not None:
        _GATES[id(wf)] = g
    return g


def graph(cfg: OrgConfig, workflow: str) -> nx.DiGraph[str]:
    """build_graph(workflow): the flow graph without rework edges."""
    wf, t = _wf(cfg, workflow)
    return _remember(t, "graph", build_graph, wf)  # type: ignore[no-any-return]


def plan(cfg: OrgConfig, workflow: str, tier: str) -> Plan:
    """graph.plan_for(workflow, tier)."""
    wf, t = _wf(cfg, workflow)
    return _remember(t, ("plan", tier), plan_for, wf, tier)  # type: ignore[no-any-return]


def upstream(cfg: OrgConfig, workflow: str) -> dict[str, frozenset[str]]:
    """{gate: every gate before it}."""
    wf, t = _wf(cfg, workflow)

    def compute() -> dict[str, frozenset[str]]:  # without networkx (start-up of bus commands, issue 23)
        return {n: a - {START} for n, a in flow_ancestors(gate_after(wf)).items() if n != START}

    return _remember(t, "upstream", compute)  # type: ignore[no-any-return]


def steps(cfg: OrgConfig, workflow: str) -> tuple[Step, ...]:
    """A Step for every gate in plan order: the order advance visits them (a topological order: a gate
    comes after everything it waits for). Derived from the workflow, the default tier and the sources
    (kept with the risk spec and sources table they came from: replacing either derives them again)."""
    wf, t = _wf(cfg, workflow)
    risk, sources = cfg.risk, cfg.sources
    hit = t.get("steps") if t is not None else None
    if hit is None or hit[0] is not risk or hit[1] is not sources:
        order = plan(cfg, workflow, risk.default).order
        ups, specs = upstream(cfg, workflow), gates(cfg, workflow)
        hit = (
            risk,
            sources,
            tuple(
                (n, specs[n], cfg.source(f"gate:{workflow}.{n}"), ups[n], specs[n].after, specs[n].kind)
                for n in order
            ),
        )
        if t is not None:
            t["steps"] = hit
    return hit[2]  # type: ignore[no-any-return]


def descendants(cfg: OrgConfig, workflow: str, gate: str) -> frozenset[str]:
    """graph.descendants(workflow, gate): every gate after `gate`."""
    import networkx as nx

    wf, t = _wf(cfg, workflow)
    return _remember(t, ("descendants", gate), lambda: frozenset(nx.descendants(graph(cfg, workflow), gate)))  # type: ignore[no-any-return]


def nearest_work(cfg: OrgConfig, workflow: str, gate: str) -> str | None:
    """The work gate before `gate` with the most gates before it (ties: the greatest name), or None."""
    wf, t = _wf(cfg, workflow)

    def compute() -> str | None:
        ups = upstream(cfg, workflow)
        works = [a for a in ups[gate] if wf.gates[a].kind == "work"]
        return max(works, key=lambda a: (len(ups[a]), a)) if works else None

    return _remember(t, ("nearest_work", gate), compute)  # type: ignore[no-any-return]


def bypass(cfg: OrgConfig, workflow: str, tier: str) -> list[str] | None:
    """proofs.bypass_path(workflow, tier), as a fresh list."""
    wf, t = _wf(cfg, workflow)

    def compute() -> tuple[str, ...] | None:
        path = bypass_path(wf, tier)
        return tuple(path) if path is not None else None

    p = _remember(t, ("bypass", tier), compute)
    return None if p is None else list(p)


def lane_members(cfg: OrgConfig, lane: str | None) -> tuple[str, ...]:
    """Ids of the lane's actors, in `cfg.actors` order."""
    actors = cfg.actors
    t = table("lanes", actors)
    if t is not None:
        hit = t.get(lane)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
    return _remember(t, lane, lambda: tuple(a.id for a in actors.values() if a.lane == lane))  # type: ignore[no-any-return]


# (id, family or "human", is human, family declared, model outside the lane's `models`)
RosterEntry = tuple[str, str, bool, bool, bool]


def lane_roster(cfg: OrgConfig, lane: str | None) -> tuple[RosterEntry, ...]:
    """A RosterEntry for each of the lane's actors, in lane_members order: what the eligibility tests read of a
    member, read once (derived from the config's actors and lanes: replacing either derives it again)."""
    actors, lanes = cfg.actors, cfg.lanes
    t = table("lane_roster", actors, lanes)
    if t is not None:
        hit = t.get(lane)
        if hit is not None:
            return hit  # type: ignore[no-any-return]

    def compute() -> tuple[RosterEntry, ...]:
        spec = lanes.get(lane) if lane is not None else None
        allowed = spec.models if spec is not None else None  # duties._model_left_out's test, per member
        return tuple(
            (
                a.id,
                a.family or "human",
                a.is_human,
                a.family_declared,
                a.model is not None and allowed is not None and a.model not in allowed,
            )
            for a in actors.values()
            if a.lane == lane
        )

    return _remember(t, lane, compute)  # type: ignore[no-any-return]
