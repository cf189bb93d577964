"""The gate graph of a workflow (networkx) and its plan per risk tier."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # networkx is imported where a graph is built or searched (start-up, issue 23)
    import networkx as nx

from org.config.models import CONTROL_KINDS, Workflow

__all__ = [
    "START",
    "Plan",
    "build_graph",
    "plan_for",
    "terminal_of",
    "descendants",
    "flow_order",
    "flow_ancestors",
    "gate_after",
]

START = "start"


def _flow(after: Mapping[str, Sequence[str]]) -> tuple[list[str], dict[str, set[str]]]:
    """The nodes (START, then the gates in order) and each node's successors: the edges of build_graph(wf)
    without rework, from each gate's `after` (a gate with no `after` follows START; an unknown gate is no edge)."""
    succ: dict[str, set[str]] = {START: set()}
    for name in after:
        succ.setdefault(name, set())
    for name, deps in after.items():
        if not deps:
            succ[START].add(name)
        for dep in deps:
            if dep in after:
                succ[dep].add(name)
    return list(succ), succ


def flow_order(after: Mapping[str, Sequence[str]]) -> tuple[str, ...] | None:
    """networkx's lexicographical_topological_sort of the flow graph (START included), in plain Python: of the
    nodes whose predecessors are all placed, the smallest name next. None when the graph has a cycle.
    (Bus commands plan workflows without importing networkx; tests/engine/test_flow_order.py proves it equal.)"""
    nodes, succ = _flow(after)
    indeg = dict.fromkeys(nodes, 0)
    for n in nodes:
        for m in succ[n]:
            indeg[m] += 1
    ready = [n for n in nodes if indeg[n] == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        n = heapq.heappop(ready)
        out.append(n)
        for m in succ[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                heapq.heappush(ready, m)
    return tuple(out) if len(out) == len(nodes) else None


def flow_ancestors(after: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """{node: every node with a path to it} over the flow graph (networkx's ancestors, START included)."""
    nodes, succ = _flow(after)
    pred: dict[str, set[str]] = {n: set() for n in nodes}
    for n in nodes:
        for m in succ[n]:
            pred[m].add(n)
    out: dict[str, frozenset[str]] = {}
    for n in nodes:
        seen: set[str] = set()
        todo = list(pred[n])
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(pred[p])
        seen.discard(n)
        out[n] = frozenset(seen)
    return out


def gate_after(wf: Workflow) -> dict[str, tuple[str, ...]]:
    return {name: tuple(gate.after) for name, gate in wf.gates.items()}


def build_graph(wf: Workflow, *, rework: bool = False) -> nx.DiGraph[str]:
    """Nodes are gates plus START; an edge a -> b means b comes after a. With rework=True the
    on_fail edges (review -> work gate) are added too, marked kind='rework'."""
    import networkx as nx

    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_node(START, kind="start")
    for name, gate in wf.gates.items():
        g.add_node(name, kind=gate.kind, lane=gate.lane)
    for name, gate in wf.gates.items():
        if not gate.after:
            g.add_edge(START, name, kind="flow")
        for dep in gate.after:
            if dep in wf.gates:
                g.add_edge(dep, name, kind="flow")
    if rework:
        for name, gate in wf.gates.items():
            if gate.on_fail and gate.on_fail in wf.gates:
                g.add_edge(name, gate.on_fail, kind="rework")
    return g


def terminal_of(wf: Workflow) -> str:
    return next(n for n, g in wf.gates.items() if g.kind == "terminal")


def descendants(wf: Workflow, gate: str) -> set[str]:
    import networkx as nx

    return nx.descendants(build_graph(wf), gate)


@dataclass(frozen=True)
class Plan:
    """Which gates a tier requires, which it skips (and why), and the order to run them."""

    workflow: str
    tier: str
    required: tuple[str, ...]
    skipped: dict[str, str]
    order: tuple[str, ...]
    terminal: str

    required_controls: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "tier": self.tier,
            "required": list(self.required),
            "skipped": dict(self.skipped),
            "order": list(self.order),
            "terminal": self.terminal,
        }


def plan_for(wf: Workflow, tier: str) -> Plan:
    flow = flow_order(gate_after(wf))
    if flow is None:  # a cycle: networkx's own error, as before
        import networkx as nx

        flow = tuple(nx.lexicographical_topological_sort(build_graph(wf)))
    order = tuple(n for n in flow if n != START)
    required: list[str] = []
    skipped: dict[str, str] = {}
    controls: list[str] = []
    for name in order:
        gate = wf.gates[name]
        if gate.kind == "terminal":
            continue
        if gate.tiers is None or tier in gate.tiers:
            required.append(name)
            if gate.kind in CONTROL_KINDS:
                controls.append(name)
        else:
            skipped[name] = f"not required at tier '{tier}' (required at: {', '.join(gate.tiers)})"
    return Plan(wf.workflow, tier, tuple(required), skipped, order, terminal_of(wf), tuple(controls))
