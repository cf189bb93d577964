"""ADR constraints as logic: describe them, test work against them, and find two that contradict.

A constraint says: work matching `when` must satisfy `require`. Both are conditions in the
language of gates/rules.yaml, evaluated by org.engine.conditions (so a missing attribute
behaves exactly as it does for rules). Two constraints contradict when some work falls in
both scopes, each `require` alone can be met there, but no work in that overlap can meet both.

The language has only equality tests on attributes, so satisfiability is decided exactly by
trying, for each attribute, the constants the conditions mention, its declared values, a few
fresh values and "absent" (a small-model property of equality logic). Above a budget of
assignments the answer is "unknown" and nothing is reported.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from org.config.models import Condition
from org.engine.conditions import compile_condition, norm

__all__ = ["describe", "facts", "contradicts", "satisfiable", "MAX_ASSIGNMENTS"]

MAX_ASSIGNMENTS = 200_000
_ABSENT = object()


def _v(x: Any) -> str:
    return str(x).lower() if isinstance(x, bool) else str(x)


def describe(c: Condition | None) -> str:
    """A condition as people read it: 'kind = config and via != pipeline'."""
    if c is None:
        return "all work"
    if c.all is not None:
        return " and ".join(_paren(s, "all") for s in c.all)
    if c.any is not None:
        return " or ".join(_paren(s, "any") for s in c.any)
    if c.not_ is not None:
        return f"not ({describe(c.not_)})"
    if c.paths is not None:
        if c.paths.any is not None:
            return f"a changed path matches {' or '.join(c.paths.any)}"
        return f"every changed path matches {' or '.join(c.paths.all or [])}"
    a = c.attr
    if c.eq is not None:
        return f"{a} = {_v(c.eq)}"
    if c.ne is not None:
        return f"{a} != {_v(c.ne)}"
    if c.in_ is not None:
        return f"{a} in [{', '.join(_v(x) for x in c.in_)}]"
    if c.not_in is not None:
        return f"{a} not in [{', '.join(_v(x) for x in c.not_in)}]"
    if c.exists is not None:
        return f"{a} is set" if c.exists else f"{a} is not set"
    if c.eq_attr is not None:
        return f"{a} = {c.eq_attr} (attribute)"
    return f"{a} != {c.ne_attr} (attribute)"


def _paren(c: Condition, inside: str) -> str:
    text = describe(c)
    if (c.all is not None and inside == "any") or (c.any is not None and inside == "all"):
        return f"({text})"
    return text


def facts(conds: Iterable[Condition | None], attrs: Mapping[str, Any]) -> str:
    """The task's values of the attributes these conditions read: 'kind=config, via not set'."""
    names: set[str] = set()
    for c in conds:
        if c is not None:
            names |= c.attributes()
    parts = [f"{n}={_v(attrs[n])}" if attrs.get(n) is not None else f"{n} not set" for n in sorted(names)]
    return ", ".join(parts)


def _atoms(c: Condition) -> Iterable[Condition]:
    if c.attr is not None:
        yield c
    for sub in (c.all or []) + (c.any or []) + ([c.not_] if c.not_ else []):
        yield from _atoms(sub)


def _domains(conds: list[Condition], declared: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Candidate values per attribute that are enough to decide satisfiability exactly."""
    consts: dict[str, set] = {}
    links: dict[str, set[str]] = {}
    for c in conds:
        for a in _atoms(c):
            attr = a.attr
            assert attr is not None  # _atoms yields only conditions on an attribute
            consts.setdefault(attr, set())
            links.setdefault(attr, {attr})
            said = [a.eq, a.ne, *(a.in_ or []), *(a.not_in or [])]
            consts[attr] |= {norm(v) for v in said if v is not None}
            other = a.eq_attr or a.ne_attr
            if other:
                consts.setdefault(other, set())
                links.setdefault(other, {other})
                group = links[attr] | links[other]
                for name in group:
                    links[name] = group
    out: dict[str, list[Any]] = {}
    for attr in sorted(consts):
        spec = declared.get(attr)
        group = links[attr]
        if spec is not None and getattr(spec, "type", None) == "bool":
            vals: set = {True, False}
        elif spec is not None and getattr(spec, "values", None):
            vals = {norm(v) for v in spec.values}
        else:  # open domain: every value its linked attributes may take, plus enough fresh values
            vals = set().union(*(consts[g] for g in group)) | {("fresh", i) for i in range(len(group))}
            for g in group - {attr}:
                other = declared.get(g)
                if other is not None and getattr(other, "type", None) == "bool":
                    vals |= {True, False}
                elif other is not None and getattr(other, "values", None):
                    vals |= {norm(v) for v in other.values}
        out[attr] = [_ABSENT, *sorted(vals, key=repr)]
    return out


def _assignments(domains: dict[str, list[Any]]) -> Iterable[dict] | None:
    total = 1
    for vals in domains.values():
        total *= len(vals)
        if total > MAX_ASSIGNMENTS:
            return None
    names = list(domains)

    def gen() -> Iterable[dict]:
        for combo in itertools.product(*(domains[n] for n in names)):
            yield {n: v for n, v in zip(names, combo, strict=True) if v is not _ABSENT}

    return gen()


def satisfiable(conds: list[Condition], declared: Mapping[str, Any] | None = None) -> bool | None:
    """Can some work satisfy every condition at once? None when too large to decide."""
    tests = [compile_condition(c) for c in conds]
    space = _assignments(_domains(conds, declared or {}))
    if space is None:
        return None
    return any(all(t(a) for t in tests) for a in space)


def contradicts(
    when1: Condition | None,
    req1: Condition,
    when2: Condition | None,
    req2: Condition,
    declared: Mapping[str, Any] | None = None,
) -> bool:
    """True when work in both scopes can meet each requirement alone but never both together."""
    side1 = req1.attributes() | (when1.attributes() if when1 else set())
    side2 = req2.attributes() | (when2.attributes() if when2 else set())
    if not side1 & side2:
        return False  # constraints over disjoint attributes are independent and cannot conflict
    conds = [c for c in (when1, when2, req1, req2) if c is not None]
    space = _assignments(_domains(conds, declared or {}))
    if space is None:
        return False
    scope = [compile_condition(c) for c in (when1, when2) if c is not None]
    r1, r2 = compile_condition(req1), compile_condition(req2)
    one = two = False
    for a in space:
        if not all(t(a) for t in scope):
            continue
        ok1, ok2 = r1(a), r2(a)
        if ok1 and ok2:
            return False
        one, two = one or ok1, two or ok2
    return one and two
