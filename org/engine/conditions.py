"""Compile a Condition into a predicate over an attribute dict (no eval, no arbitrary code).

Semantics (ADR 0002): a missing attribute (absent, or None) is a value that equals nothing.
So `eq`, `in` and `eq_attr` are false when an attribute is missing, and their negations
`ne`, `not_in` and `ne_attr` are true: a rule written as a requirement ("via must be
pipeline": `{attr: via, ne: pipeline}`) fires, and so denies, when nobody said what `via` is.
`not: {eq: x}` is exactly `ne: x`, missing included. `exists` tests presence.

Values are compared by the type the org declares for the attribute (`attributes:` in
gates/rules.yaml): "true"/"yes"/"false"/"no" become booleans for bool attributes, numeric
strings become numbers for int/float ones. A value that does not fit its declared type or
values is refused by decide() (rule_ids.BAD_ATTRIBUTE) rather than silently compared.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from org.config.actions import action_matches
from org.config.models import AttributeSpec, Condition, canonical_text

__all__ = [
    "compile_condition",
    "Predicate",
    "action_matches",
    "norm",
    "coerce",
    "BAD",
    "PATHS",
    "changed_paths",
]

Predicate = Callable[[dict[str, Any]], bool]
_MISSING = object()


class _Bad:
    """The result of coercing a value that does not fit its attribute's declared type."""

    def __repr__(self) -> str:
        return "BAD"


BAD = _Bad()
_TRUE = frozenset({"true", "yes"})
_FALSE = frozenset({"false", "no"})


def norm(v: Any) -> Any:
    """Normalise an undeclared attribute's scalar: 'true'/'false'/'yes'/'no' strings become bools, other
    strings their canonical spelling (NFKC, case-folded)."""
    if isinstance(v, str):
        low = canonical_text(v)
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        return low
    return v


def coerce(spec: AttributeSpec | None, v: Any) -> Any:
    """The value `v` as the declared type of its attribute, or BAD. Undeclared: norm(v)."""
    if spec is None:
        return norm(v)
    t = spec.type
    if t == "bool":
        if isinstance(v, bool):
            out: Any = v
        elif isinstance(v, str) and canonical_text(v) in _TRUE:
            out = True
        elif isinstance(v, str) and canonical_text(v) in _FALSE:
            out = False
        else:
            return BAD
    elif t == "int":
        if isinstance(v, bool):
            return BAD
        if isinstance(v, int):
            out = v
        elif isinstance(v, float) and v.is_integer():
            out = int(v)
        elif isinstance(v, str):
            try:
                out = int(v.strip())
            except ValueError:
                return BAD
        else:
            return BAD
    elif t == "float":
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            return BAD
        try:
            out = float(v.strip() if isinstance(v, str) else v)
        except ValueError:
            return BAD
        if not math.isfinite(out):
            return BAD
    else:
        if not isinstance(v, str):
            return BAD
        if v.isascii():  # NFKC leaves ASCII as it is, and ASCII case-folds as it lower-cases
            out = v.strip().lower() if spec.casefold else v.strip()
        else:
            out = canonical_text(v, spec.casefold)
    if spec.values is not None and str(out) not in spec.values:
        return BAD
    return out


def _lit(types: Mapping[str, AttributeSpec] | None, attr: str | None, v: Any) -> Any:
    spec = types.get(attr) if types and attr else None
    c = coerce(spec, v)
    return v if c is BAD else c


def compile_condition(c: Condition | None, types: Mapping[str, AttributeSpec] | None = None) -> Predicate:
    """A predicate over coerced attributes. `types` (the org's declared attributes) types the literals."""
    if c is None:
        return lambda attrs: True
    if c.all is not None:
        subs = [compile_condition(s, types) for s in c.all]
        return lambda attrs: all(p(attrs) for p in subs)
    if c.any is not None:
        subs = [compile_condition(s, types) for s in c.any]
        return lambda attrs: any(p(attrs) for p in subs)
    if c.not_ is not None:
        sub = compile_condition(c.not_, types)
        return lambda attrs: not sub(attrs)
    if c.paths is not None:
        return _paths_test(c.paths.any, c.paths.all)
    a = c.attr
    if a is None:
        raise AssertionError(
            "unreachable: a Condition with no attr, paths or boolean form"
        )  # pragma: no cover
    if c.eq is not None:
        want = _lit(types, a, c.eq)
        return lambda attrs: _same(attrs.get(a, _MISSING), want)
    if c.ne is not None:
        want = _lit(types, a, c.ne)
        return lambda attrs: not _same(attrs.get(a, _MISSING), want)
    if c.in_ is not None:
        vals = tuple(_lit(types, a, v) for v in c.in_)
        return lambda attrs: _among(attrs.get(a, _MISSING), vals)
    if c.not_in is not None:
        vals = tuple(_lit(types, a, v) for v in c.not_in)
        return lambda attrs: not _among(attrs.get(a, _MISSING), vals)
    if c.exists is not None:
        want = c.exists
        return lambda attrs: (attrs.get(a) is not None) == want
    if c.eq_attr is not None:
        b = c.eq_attr
        return lambda attrs: _same(attrs.get(a, _MISSING), attrs.get(b, _MISSING), both=True)
    if c.ne_attr is not None:
        b = c.ne_attr
        return lambda attrs: not _same(attrs.get(a, _MISSING), attrs.get(b, _MISSING), both=True)
    raise AssertionError("unreachable: Condition validated to one form")  # pragma: no cover


PATHS = "paths"  # the key of a revision's changed paths among a request's attributes (set by org only)


def changed_paths(attrs: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The changed paths org put into `attrs`, or None when none are known (no revision yet)."""
    v = attrs.get(PATHS)
    if isinstance(v, (tuple, list)) and v and all(isinstance(p, str) for p in v):
        return tuple(v)
    return None


def _paths_test(any_: list[str] | None, all_: list[str] | None) -> Predicate:
    from org.config.repos import glob_match

    if any_ is not None:
        globs = tuple(any_)

        def test_any(attrs: dict[str, Any]) -> bool:
            paths = changed_paths(attrs)
            return paths is not None and any(glob_match(g, p) for p in paths for g in globs)

        return test_any
    globs = tuple(all_ or ())

    def test_all(attrs: dict[str, Any]) -> bool:
        paths = changed_paths(attrs)
        return paths is not None and all(any(glob_match(g, p) for g in globs) for p in paths)

    return test_all


def _same(x: Any, y: Any, both: bool = False) -> bool:
    """Equality without Python's True == 1: a bool equals only a bool; missing equals nothing."""
    if x is _MISSING or x is None or (both and (y is _MISSING or y is None)):
        return False
    if isinstance(x, bool) or isinstance(y, bool):
        return isinstance(x, bool) and isinstance(y, bool) and x == y
    return bool(x == y)


def _among(x: Any, vals: tuple[Any, ...]) -> bool:
    return any(_same(x, v) for v in vals)
