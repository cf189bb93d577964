"""Supersede links between ADRs: both ends written, nothing dangling, no cycles, a successor that stands."""

from __future__ import annotations

from org.adrs.model import Adr, adr_label
from org.adrs.parse import AdrSet
from org.errors import Problem

__all__ = ["link_problems", "successor", "find_cycle"]


def successor(adrs: AdrSet, number: int) -> int | None:
    """The ADR that now stands where `number` stood (following superseded_by), or None."""
    seen = {number}
    cur = adrs.get(number)
    while cur is not None and cur.meta.superseded_by is not None:
        nxt = cur.meta.superseded_by
        if nxt in seen:
            return None
        seen.add(nxt)
        cur = adrs.get(nxt)
        if cur is None:
            return None
        if cur.meta.superseded_by is None:
            return nxt
    return None


def _edges(adrs: AdrSet) -> dict[int, set[int]]:
    """old -> {new}: from superseded_by, and from the other end's supersedes."""
    out: dict[int, set[int]] = {}
    for a in adrs.sorted():
        if a.meta.superseded_by is not None and a.meta.superseded_by != a.number:
            out.setdefault(a.number, set()).add(a.meta.superseded_by)
        for old in a.meta.supersedes:
            if old != a.number:
                out.setdefault(old, set()).add(a.number)
    return out


def find_cycle(edges: dict[int, set[int]]) -> list[list[int]]:
    """Every cycle in the supersede graph, each as a list starting at its smallest number (reported once)."""
    cycles: list[list[int]] = []
    seen_sets: set[frozenset[int]] = set()
    state: dict[int, int] = {}  # 1 on the stack, 2 done
    for start in sorted(edges):
        if state.get(start):
            continue
        stack: list[tuple[int, list[int]]] = [(start, sorted(edges.get(start, ())))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            nxt = todo.pop(0)
            if state.get(nxt) == 1:
                cyc = path[path.index(nxt) :]
                key = frozenset(cyc)
                if key not in seen_sets:
                    seen_sets.add(key)
                    i = cyc.index(min(cyc))
                    cycles.append(cyc[i:] + cyc[:i])
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(edges.get(nxt, ()))))
    return cycles


def _exists(adrs: AdrSet, n: int) -> bool:
    return n in adrs.adrs or n in adrs.broken


def link_problems(adrs: AdrSet) -> list[Problem]:
    out: list[Problem] = []
    for a in adrs.sorted():
        out += _one(adrs, a)
    for cyc in find_cycle(_edges(adrs)):
        first = adrs.get(cyc[0])
        if first is None:
            continue
        key = ("superseded_by",) if first.meta.superseded_by is not None else ("supersedes",)
        chain = " -> ".join(str(n) for n in [*cyc, cyc[0]])
        out.append(
            Problem(
                first.rel,
                first.line(*key),
                key[0],
                f"supersede links form a cycle ({chain}); a decision cannot replace its own successor",
            )
        )
    return out


def _one(adrs: AdrSet, a: Adr) -> list[Problem]:
    out: list[Problem] = []
    m = a.meta
    for i, old in enumerate(m.supersedes):
        where = a.line("supersedes", i)
        if old == a.number:
            out.append(Problem(a.rel, where, f"supersedes.{i}", "an ADR cannot supersede itself"))
        elif not _exists(adrs, old):
            out.append(
                Problem(a.rel, where, f"supersedes.{i}", f"supersedes {adr_label(old)}, which does not exist")
            )
        elif old in adrs.adrs and adrs.adrs[old].meta.superseded_by != a.number:
            other = adrs.adrs[old]
            now = other.meta.superseded_by
            out.append(
                Problem(
                    a.rel,
                    where,
                    f"supersedes.{i}",
                    f"supersedes {adr_label(old)}, but {other.rel} says superseded_by: "
                    f"{now if now is not None else 'null'}; write both links "
                    f"(org adr supersede {old} --by {a.number})",
                )
            )
    nxt = m.superseded_by
    if nxt is not None:
        where = a.line("superseded_by")
        if nxt == a.number:
            out.append(Problem(a.rel, where, "superseded_by", "an ADR cannot supersede itself"))
        elif not _exists(adrs, nxt):
            out.append(
                Problem(
                    a.rel, where, "superseded_by", f"superseded by {adr_label(nxt)}, which does not exist"
                )
            )
        elif nxt in adrs.adrs:
            succ = adrs.adrs[nxt]
            if a.number not in succ.meta.supersedes:
                out.append(
                    Problem(
                        a.rel,
                        where,
                        "superseded_by",
                        f"superseded by {adr_label(nxt)}, but {succ.rel} does not list {a.number} "
                        f"in supersedes; write both links (org adr supersede {a.number} --by {nxt})",
                    )
                )
            if succ.meta.status in ("proposed", "rejected"):
                out.append(
                    Problem(
                        a.rel,
                        where,
                        "superseded_by",
                        f"superseded by {adr_label(nxt)}, which is {succ.meta.status}: nothing binds in "
                        f"this decision's place (accept {adr_label(nxt)} or restore this one)",
                    )
                )
        if m.status != "superseded":
            out.append(
                Problem(
                    a.rel,
                    a.line("status"),
                    "status",
                    f"status is {m.status} but superseded_by is set; a replaced decision has status superseded",
                )
            )
    elif m.status == "superseded":
        out.append(
            Problem(
                a.rel,
                a.line("status"),
                "status",
                "status is superseded but superseded_by is not set; name the ADR that replaced it",
            )
        )
    return out
