"""Facts the flow derives from a config's workflows, memoised on the config object.

Plans per tier, plan steps with their sources, graph ancestors and descendants, the nearest work
gate, bypass paths, check-gate targets and lane members never change for a given workflow, so the
flow computes each once per config (the simulator calls the flow millions of times). Every entry
remembers the object it came from (the workflow, the sources or the actors table) and is rebuilt
when that object is replaced on the config, like `policy.compile_policy` caches its Policy.
"""

from __future__ import annotations

from org.config.loader import OrgConfig
from org.engine.graph import Plan, build_graph, plan_for
from org.engine.proofs import bypass_path

__all__ = ["plan", "order", "steps", "derived", "ancestors", "lane_members", "check_targets"]


def _cache(cfg: OrgConfig) -> dict:
    cache = getattr(cfg, "_flow_cache", None)
    if cache is None:
        cache = {}
        object.__setattr__(cfg, "_flow_cache", cache)
    return cache


def plan(cfg: OrgConfig, workflow: str, tier: str) -> Plan:
    """graph.plan_for(workflow, tier), once per config. Treat the Plan as read-only."""
    wf = cfg.workflows[workflow]
    key = ("plan", workflow, tier)
    cache = _cache(cfg)
    hit = cache.get(key)
    if hit is None or hit[0] is not wf:
        hit = cache[key] = (wf, plan_for(wf, tier))
    return hit[1]


def order(cfg: OrgConfig, workflow: str) -> tuple[str, ...]:
    """The gates in plan order (the order advance visits them)."""
    return plan(cfg, workflow, cfg.risk.default).order


def steps(cfg: OrgConfig, workflow: str) -> tuple:
    """(gate, spec, source) triples in plan order."""
    wf = cfg.workflows[workflow]
    key = ("steps", workflow)
    cache = _cache(cfg)
    hit = cache.get(key)
    if hit is None or hit[0] is not wf or hit[1] is not cfg.sources:
        hit = cache[key] = (wf, cfg.sources, tuple((n, wf.gates[n], cfg.source(f"gate:{workflow}.{n}"))
                                                   for n in order(cfg, workflow)))
    return hit[2]


def derived(cfg: OrgConfig, workflow: str, what: str, arg: str):
    """Graph facts: 'ancestors' / 'descendants' of a gate (frozensets), its 'nearest_work' gate, or the
    'bypass' path of a tier (proofs.bypass_path)."""
    wf = cfg.workflows[workflow]
    key = (what, workflow, arg)
    cache = _cache(cfg)
    hit = cache.get(key)
    if hit is None or hit[0] is not wf:
        hit = cache[key] = (wf, _compute(wf, what, arg))
    return hit[1]


def ancestors(cfg: OrgConfig, workflow: str, gate: str) -> frozenset[str]:
    return derived(cfg, workflow, "ancestors", gate)


def _compute(wf, what: str, arg: str):
    import networkx as nx

    if what == "bypass":
        return bypass_path(wf, arg)
    g = build_graph(wf)
    if what == "ancestors":
        return frozenset(nx.ancestors(g, arg))
    if what == "descendants":
        return frozenset(nx.descendants(g, arg))
    if what != "nearest_work":
        raise ValueError(f"unknown graph fact '{what}'")
    works = [a for a in nx.ancestors(g, arg) if a in wf.gates and wf.gates[a].kind == "work"]
    if not works:
        return None
    return max(works, key=lambda a: len(nx.ancestors(g, a)))


def lane_members(cfg: OrgConfig, lane: str | None) -> tuple[str, ...]:
    """Actor ids of a lane, in config order."""
    key = ("members", lane)
    cache = _cache(cfg)
    hit = cache.get(key)
    if hit is None or hit[0] is not cfg.actors:
        hit = cache[key] = (cfg.actors, tuple(a.id for a in cfg.actors.values() if a.lane == lane))
    return hit[1]


def check_targets(cfg: OrgConfig, workflow: str, gate: str, required: tuple[str, ...]) -> tuple:
    """(gate, spec, source) of the required review and approval gates before a check gate."""
    wf = cfg.workflows[workflow]
    key = ("check", workflow, gate, required)
    cache = _cache(cfg)
    hit = cache.get(key)
    if hit is None or hit[0] is not wf or hit[1] is not cfg.sources:
        before = ancestors(cfg, workflow, gate)
        targets = tuple((name, wf.gates[name], cfg.source(f"gate:{workflow}.{name}")) for name in required
                        if wf.gates[name].kind in ("review", "approval") and name in before)
        hit = cache[key] = (wf, cfg.sources, targets)
    return hit[2]
