"""Static proofs over the whole org, run by `org validate`; each failure names the gates or path.

- no bypass: for each tier, the terminal gate is unreachable from start once the control
  gates (review, approval, check) that tier requires are removed. One BFS per tier over the
  graph with rework edges included: O(V + E), see ADR 0003.
- content: for each tier, every work gate it requires that delivers content comes before every
  control it requires, so the revision reaching done is the one they all passed on (ADR 0070); only
  a gate that carries out an approved plan may follow the controls.
- every tier's required control kinds are present in every workflow;
- approval gates are held only by human lanes; no rule or lane grants an exemption;
- every cross-vendor quorum can be met by the lane's members whatever the author's family;
- every rework loop is bounded by limits.max_rework_rounds;
- no unreachable gates and no dead ends (every gate reaches the terminal); the flow is acyclic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # networkx is imported where a graph is built or searched (start-up, issue 23)
    import networkx as nx

from org.config.loader import OrgConfig
from org.config.models import Workflow
from org.engine.graph import START, build_graph, plan_for, terminal_of
from org.errors import Problem

__all__ = ["prove", "advice", "bypass_path", "reachable_avoiding"]


def _src(cfg: OrgConfig, key: str) -> tuple[str, int]:
    s = cfg.source(key)
    f, _, line = s.rpartition(":")
    return (f, int(line)) if line.isdigit() else (s, 0)


def reachable_avoiding(g: nx.DiGraph[str], source: str, target: str, removed: set[str]) -> list[str] | None:
    """A path source -> target that avoids `removed` (BFS, O(V+E)), or None."""
    if source in removed or target in removed:
        return None
    prev: dict[str, str | None] = {source: None}
    q = deque([source])
    adj = g.adj
    while q:
        n = q.popleft()
        if n == target:
            path = [n]
            while (p := prev[path[-1]]) is not None:
                path.append(p)
            return path[::-1]
        for m in adj[n]:
            if m not in prev and m not in removed:
                prev[m] = n
                q.append(m)
    return None


def bypass_path(wf: Workflow, tier: str, g: nx.DiGraph[str] | None = None) -> list[str] | None:
    """A path from start to the terminal that passes none of the controls the tier requires."""
    g = g if g is not None else build_graph(wf, rework=True)
    plan = plan_for(wf, tier)
    return reachable_avoiding(g, START, terminal_of(wf), set(plan.required_controls))


def prove(cfg: OrgConfig) -> list[Problem]:
    import networkx as nx

    problems: list[Problem] = []
    tiers = cfg.risk.tiers
    for wname, wf in cfg.workflows.items():
        wf_file, wf_line = _src(cfg, f"workflow:{wname}")

        def at(gate: str, _w: str = wname) -> tuple[str, int]:
            return _src(cfg, f"gate:{_w}.{gate}")

        flow = build_graph(wf)
        full = build_graph(wf, rework=True)
        terminal = terminal_of(wf)
        try:
            cycle = nx.find_cycle(flow)  # anywhere: a cycle off the start path breaks planning too
        except nx.NetworkXNoCycle:
            cycle = None
        if cycle:
            names = " -> ".join([e[0] for e in cycle] + [cycle[-1][1]])
            f, line = at(cycle[0][1])
            problems.append(
                Problem(
                    f, line, "gates", f"the 'after' links form a cycle: {names} (rework goes through on_fail)"
                )
            )
            continue
        reach = nx.descendants(flow, START)
        coreach = nx.ancestors(flow, terminal)  # one search each way: linear, not one per gate
        for name in wf.gates:
            f, line = at(name)
            if name not in reach:
                problems.append(Problem(f, line, f"gates.{name}", "unreachable from the start"))
            elif name != terminal and name not in coreach:
                problems.append(
                    Problem(f, line, f"gates.{name}", f"dead end: '{terminal}' cannot be reached from it")
                )
        for tier in tiers:
            plan = plan_for(wf, tier.id)
            path = reachable_avoiding(full, START, terminal, set(plan.required_controls))
            if path is not None:
                problems.append(
                    Problem(
                        wf_file,
                        wf_line,
                        "gates",
                        f"bypass at tier '{tier.id}': {' -> '.join(path)} passes none of the "
                        f"required controls ({', '.join(plan.required_controls) or 'none'})",
                    )
                )
            kinds = {wf.gates[g].kind for g in plan.required_controls}
            for need in tier.requires:
                if need not in kinds:
                    problems.append(
                        Problem(
                            wf_file,
                            wf_line,
                            "gates",
                            f"tier '{tier.id}' requires {'an' if need[0] in 'aeiou' else 'a'} {need} gate, "
                            "but none is required at that tier",
                        )
                    )
        problems += _content_problems(cfg, wf, flow, at)
        after_cache: dict[str, set[str]] = {}
        has_rework = any(g.on_fail for g in wf.gates.values())
        if has_rework and wf.limits.max_rework_rounds < 1:
            f, line = _src(cfg, f"limits:{wname}")
            problems.append(
                Problem(f, line, "limits.max_rework_rounds", "rework loops need a bound of at least 1")
            )
        for name, gate in wf.gates.items():
            f, line = at(name)
            if (
                gate.on_fail
                and gate.on_fail in wf.gates
                and name not in _after(flow, gate.on_fail, after_cache)
            ):
                problems.append(
                    Problem(
                        f,
                        line,
                        f"gates.{name}.on_fail",
                        f"'{gate.on_fail}' does not come before '{name}'; rework must go back",
                    )
                )
            if gate.kind == "approval" and gate.lane in cfg.lanes and cfg.lanes[gate.lane].kind != "human":
                problems.append(
                    Problem(f, line, f"gates.{name}.lane", "approval gates are held only by human lanes")
                )
            if gate.kind in ("review", "approval") and gate.lane in cfg.lanes:
                problems += _quorum_problems(cfg, wf, name, flow, f, line)
    return problems


def _after(flow: nx.DiGraph[str], gate: str, cache: dict[str, set[str]]) -> set[str]:
    """Every gate after `gate`, one search per distinct rework target."""
    import networkx as nx

    if gate not in cache:
        cache[gate] = nx.descendants(flow, gate)
    return cache[gate]


def _quorum_problems(
    cfg: OrgConfig, wf: Workflow, name: str, flow: nx.DiGraph[str], f: str, line: int
) -> list[Problem]:
    """Can the gate's quorum be met whoever authored the work? For every member of a lane that
    holds a work gate of this workflow (any of them may be an author when the review comes): the
    lane's other members, and at a cross-vendor gate their distinct families other than the
    author's, must reach the quorum. Several authors of several families can still leave nobody;
    the flow then fails closed and escalates (DESIGN invariant 6)."""
    gate = wf.gates[name]
    members = [a for a in cfg.actors.values() if a.lane == gate.lane]
    if len(members) < gate.quorum:
        return [
            Problem(
                f,
                line,
                f"gates.{name}.quorum",
                f"quorum {gate.quorum} but lane '{gate.lane}' has only {len(members)} member(s)",
            )
        ]
    work_lanes = {g.lane for g in wf.gates.values() if g.kind == "work"}
    out: list[Problem] = []
    seen: set[tuple[str, bool]] = set()
    for author in sorted((a for a in cfg.actors.values() if a.lane in work_lanes), key=lambda a: a.id):
        fam = author.family or "human"
        key = (fam if gate.cross_vendor else "", author.lane == gate.lane)
        if key in seen:
            continue
        seen.add(key)
        others = [
            m
            for m in members
            if m.id != author.id and not (gate.cross_vendor and gate.placed_families and m.family_declared)
        ]
        if gate.cross_vendor:
            families = sorted({m.family or "human" for m in others} - {fam})
            if len(families) < gate.quorum:
                out.append(
                    Problem(
                        f,
                        line,
                        f"gates.{name}.cross_vendor",
                        f"cross-vendor quorum {gate.quorum} cannot be met when the author is a '{fam}' "
                        f"model ({author.id}): lane '{gate.lane}' has {len(families)} other "
                        f"famil{'y' if len(families) == 1 else 'ies'}"
                        + (f" ({', '.join(families)})" if families else "")
                        + "; a cross-vendor quorum needs one family per review",
                    )
                )
        elif len(others) < gate.quorum:
            out.append(
                Problem(
                    f,
                    line,
                    f"gates.{name}.quorum",
                    f"quorum {gate.quorum} cannot be met when {author.id} is the author: lane "
                    f"'{gate.lane}' has {len(others)} other member(s) (an author never reviews)",
                )
            )
    return out


def _content_problems(
    cfg: OrgConfig, wf: Workflow, flow: nx.DiGraph[str], at: Callable[[str], tuple[str, int]]
) -> list[Problem]:
    """Work gates that deliver content after (or beside) a control the same tier requires: the controls
    would have passed on a revision other than the one that reaches done. One problem per work gate."""
    import networkx as nx

    out: list[Problem] = []
    before = {g: nx.ancestors(flow, g) for g in wf.gates}
    for name, gate in wf.gates.items():
        if gate.kind != "work" or gate.carries_out is not None:
            continue
        missed: list[str] = []
        tiers: list[str] = []
        for tier in cfg.risk.tiers:
            plan = plan_for(wf, tier.id)
            if name not in plan.required:
                continue
            here = [
                c
                for c in plan.required
                if wf.gates[c].kind in ("review", "approval", "check") and name not in before[c]
            ]
            if here:
                tiers.append(tier.id)
                missed += [c for c in here if c not in missed]
        if missed:
            f, line = at(name)
            out.append(
                Problem(
                    f,
                    line,
                    f"gates.{name}",
                    f"work gate '{name}' does not come before {', '.join(repr(c) for c in missed)} "
                    f"(tiers {', '.join(tiers)}): the revision reaching done would not be the one those "
                    "controls passed on (after the controls, only a gate that carries out an approved "
                    "plan may work: carries_out)",
                )
            )
    return out


def advice(cfg: OrgConfig) -> list[Problem]:
    """Warnings `org validate` prints without failing: a review gate without cross_vendor that a tier other
    than the light path (the lowest tier) requires; its reviews may come from the author's own model family."""
    out: list[Problem] = []
    light = cfg.risk.tiers[0].id if cfg.risk.tiers else None
    for wname, wf in cfg.workflows.items():
        for name, gate in wf.gates.items():
            if gate.kind != "review" or gate.cross_vendor:
                continue
            tiers = [
                t.id for t in cfg.risk.tiers if t.id != light and (gate.tiers is None or t.id in gate.tiers)
            ]
            if tiers:
                f, line = _src(cfg, f"gate:{wname}.{name}")
                out.append(
                    Problem(
                        f,
                        line,
                        f"gates.{name}.cross_vendor",
                        f"review gate '{name}' is required at tier(s) {', '.join(tiers)} without "
                        "cross_vendor: its reviews may come from the author's own model family",
                    )
                )
    return out
