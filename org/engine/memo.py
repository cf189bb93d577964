"""Facts the flow derives from a config's workflows, memoised on the config object.

A workflow's plans per tier, its gate order, the gates before and after each gate, the nearest
work gate, and bypass paths never change for a given workflow object, so the
flow computes each once per config (the simulator calls the flow millions of times). Every entry
remembers the objects it was derived from (the workflow, and the sources table where a source
is part of the answer) and is rebuilt when one of them is replaced on the config, like
`policy.compile_policy` keeps its compiled Policy. Config models are frozen, so a changed
workflow is always a new object. Treat every returned value as read-only.

`disabled(cfg)` turns the memo off for one config (every call derives afresh): the equivalence
tests run the same walks against a memoised and an unmemoised config.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx

from org.config.loader import OrgConfig
from org.config.models import Gate
from org.engine.graph import START, Plan, build_graph, plan_for
from org.engine.proofs import bypass_path

__all__ = ["plan", "steps", "upstream", "descendants", "nearest_work", "bypass", "graph",
           "disabled", "enabled"]

_OFF = "_engine_memo_off"


def _cache(cfg: OrgConfig) -> dict | None:
    c = cfg.__dict__.get("_engine_memo")
    if c is None:
        if cfg.__dict__.get(_OFF):
            return None
        c = {}
        object.__setattr__(cfg, "_engine_memo", c)
    return c


def _memo(cfg: OrgConfig, key: tuple, deps: tuple, build: Callable[[], Any]) -> Any:
    """The value under `key`, built by `build()` unless the cached one came from these very `deps`."""
    c = _cache(cfg)
    if c is None:
        return build()
    hit = c.get(key)
    if hit is not None:
        for a, b in zip(hit[0], deps):  # noqa: B905 - same key, same number of deps
            if a is not b:
                break
        else:
            return hit[1]
    value = build()
    c[key] = (deps, value)
    return value


def disabled(cfg: OrgConfig) -> OrgConfig:
    """Switch the memo off for `cfg` (and drop what it holds); returns cfg."""
    object.__setattr__(cfg, _OFF, True)
    cfg.__dict__.pop("_engine_memo", None)
    return cfg


def enabled(cfg: OrgConfig) -> bool:
    return not cfg.__dict__.get(_OFF)


def graph(cfg: OrgConfig, workflow: str) -> nx.DiGraph:
    """build_graph(workflow) without rework edges."""
    wf = cfg.workflows[workflow]
    return _memo(cfg, ("graph", workflow), (wf,), lambda: build_graph(wf))


def plan(cfg: OrgConfig, workflow: str, tier: str) -> Plan:
    """graph.plan_for(workflow, tier)."""
    wf = cfg.workflows[workflow]
    return _memo(cfg, ("plan", workflow, tier), (wf,), lambda: plan_for(wf, tier))


def steps(cfg: OrgConfig, workflow: str) -> tuple[tuple[str, Gate, str], ...]:
    """(gate, spec, source) for every gate in plan order: the order advance visits them."""
    wf = cfg.workflows[workflow]

    def build() -> tuple:
        order = plan_for(wf, cfg.risk.default).order
        return tuple((n, wf.gates[n], cfg.source(f"gate:{workflow}.{n}")) for n in order)

    return _memo(cfg, ("steps", workflow), (wf, cfg.risk, cfg.sources), build)


def upstream(cfg: OrgConfig, workflow: str) -> dict[str, frozenset[str]]:
    """{gate: every gate before it}."""
    wf = cfg.workflows[workflow]

    def build() -> dict:
        g = build_graph(wf)
        return {n: frozenset(nx.ancestors(g, n)) - {START} for n in g.nodes if n != START}

    return _memo(cfg, ("upstream", workflow), (wf,), build)


def descendants(cfg: OrgConfig, workflow: str, gate: str) -> frozenset[str]:
    """graph.descendants(workflow, gate)."""
    wf = cfg.workflows[workflow]
    return _memo(cfg, ("descendants", workflow, gate), (wf,), lambda: frozenset(nx.descendants(build_graph(wf), gate)))


def nearest_work(cfg: OrgConfig, workflow: str, gate: str) -> str | None:
    """The work gate before `gate` with the most gates before it (ties: the greatest name), or None."""
    wf = cfg.workflows[workflow]

    def build() -> str | None:
        ups = upstream(cfg, workflow)
        works = [a for a in ups[gate] if wf.gates[a].kind == "work"]
        if not works:
            return None
        return max(works, key=lambda a: (len(ups[a]), a))

    return _memo(cfg, ("nearest_work", workflow, gate), (wf,), build)


def bypass(cfg: OrgConfig, workflow: str, tier: str) -> list[str] | None:
    """proofs.bypass_path(workflow, tier). Returned as a fresh list."""
    wf = cfg.workflows[workflow]
    path = _memo(cfg, ("bypass", workflow, tier), (wf,), lambda: bypass_path(wf, tier))
    return list(path) if path is not None else None
