"""The gate graph of a workflow (networkx) and its plan per risk tier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # networkx is imported where a graph is built or searched (start-up, issue 23)
    import networkx as nx

from org.config.models import CONTROL_KINDS, Workflow

__all__ = ["START", "Plan", "build_graph", "plan_for", "terminal_of", "descendants"]

START = "start"


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
    import networkx as nx

    g = build_graph(wf)
    order = tuple(n for n in nx.lexicographical_topological_sort(g) if n != START)
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
