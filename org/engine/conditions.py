"""Compile a Condition into a predicate over an attribute dict (no eval, no arbitrary code).

Missing attributes fail closed for the rules that use them: `ne`, `not_in` and `ne_attr`
are true when an attribute is absent (a RED rule written as "X must be pipeline" also denies
when nobody said what X is); `eq`, `in` and `eq_attr` are false.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from org.config.models import Condition

__all__ = ["compile_condition", "Predicate", "action_matches", "norm"]

Predicate = Callable[[dict], bool]
_MISSING = object()


def norm(v: Any) -> Any:
    """Normalise a scalar for comparison: 'true'/'false' strings from --set become bools."""
    if isinstance(v, str):
        low = v.strip().lower()
        if low in ("true", "yes"):
            return True
        if low in ("false", "no"):
            return False
        return v
    return v


def compile_condition(c: Condition | None) -> Predicate:
    if c is None:
        return lambda attrs: True
    if c.all is not None:
        subs = [compile_condition(s) for s in c.all]
        return lambda attrs: all(p(attrs) for p in subs)
    if c.any is not None:
        subs = [compile_condition(s) for s in c.any]
        return lambda attrs: any(p(attrs) for p in subs)
    if c.not_ is not None:
        sub = compile_condition(c.not_)
        return lambda attrs: not sub(attrs)
    a = c.attr
    if c.eq is not None:
        want = norm(c.eq)
        return lambda attrs: attrs.get(a, _MISSING) == want
    if c.ne is not None:
        want = norm(c.ne)
        return lambda attrs: attrs.get(a, _MISSING) != want
    if c.in_ is not None:
        vals = frozenset(norm(v) for v in c.in_)
        return lambda attrs: attrs.get(a, _MISSING) in vals
    if c.not_in is not None:
        vals = frozenset(norm(v) for v in c.not_in)
        return lambda attrs: attrs.get(a, _MISSING) not in vals
    if c.exists is not None:
        want = c.exists
        return lambda attrs: (a in attrs and attrs[a] is not None) == want
    if c.eq_attr is not None:
        b = c.eq_attr
        return lambda attrs: a in attrs and b in attrs and attrs[a] == attrs[b]
    if c.ne_attr is not None:
        b = c.ne_attr
        return lambda attrs: not (a in attrs and b in attrs and attrs[a] == attrs[b])
    raise AssertionError("unreachable: Condition validated to one form")  # pragma: no cover


def action_matches(patterns: list[str] | tuple[str, ...], action: str) -> bool:
    return any(p == "*" or p == action or fnmatchcase(action, p) for p in patterns)
