"""The plan's gate order and each gate's ancestors, computed without networkx so bus commands start without it
(issue 23 item 6), are exactly networkx's lexicographical_topological_sort and ancestors over the same flow graph
(org.engine.graph.build_graph): every shape of `after`, unknown gates, repeats, names that sort before and after
`start`, and cycles (no order: plan_for raises networkx's own error)."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from org.engine.graph import START, flow_ancestors, flow_order

NAMES = st.sampled_from(["a", "b", "c", "impl", "review", "start_x", "spec", "done", "Z", "zz", "0", "st"])


def _nx_graph(after: dict[str, tuple[str, ...]]) -> nx.DiGraph:
    """The flow edges exactly as build_graph draws them."""
    g = nx.DiGraph()
    g.add_node(START)
    for name in after:
        g.add_node(name)
    for name, deps in after.items():
        if not deps:
            g.add_edge(START, name)
        for dep in deps:
            if dep in after:
                g.add_edge(dep, name)
    return g


@st.composite
def workflows(draw, acyclic: bool = True) -> dict[str, tuple[str, ...]]:
    names = draw(st.lists(NAMES, unique=True, min_size=1, max_size=9))
    out: dict[str, tuple[str, ...]] = {}
    for i, name in enumerate(names):
        pool = names[:i] if acyclic else names
        deps = draw(st.lists(st.one_of(st.sampled_from(pool), NAMES) if pool else NAMES, max_size=4))
        out[name] = tuple(deps if not acyclic else [d for d in deps if d not in names[i:]])
    return out


@settings(max_examples=400, deadline=None)
@given(workflows(acyclic=True))
def test_order_and_ancestors_equal_networkx_on_every_acyclic_flow(after):
    g = _nx_graph(after)
    assert flow_order(after) == tuple(nx.lexicographical_topological_sort(g))
    assert flow_ancestors(after) == {n: frozenset(nx.ancestors(g, n)) for n in g.nodes}


@settings(max_examples=400, deadline=None)
@given(workflows(acyclic=False))
def test_a_cycle_has_no_order_and_an_acyclic_flow_always_has_one(after):
    g = _nx_graph(after)
    if nx.is_directed_acyclic_graph(g):
        assert flow_order(after) == tuple(nx.lexicographical_topological_sort(g))
    else:
        assert flow_order(after) is None


def test_plan_for_a_cyclic_workflow_still_raises_networkx_s_error(cfg):
    from org.engine.graph import plan_for

    wf = cfg.workflows["change"]
    first, second = list(wf.gates)[:2]
    bad = wf.model_copy(
        update={
            "gates": {
                **wf.gates,
                first: wf.gates[first].model_copy(update={"after": [second]}),
                second: wf.gates[second].model_copy(update={"after": [first]}),
            }
        }
    )
    with pytest.raises(nx.NetworkXUnfeasible):
        plan_for(bad, cfg.risk.default)
