"""Every number the CLI takes is finite, non-negative and bounded: one check over the whole command tree.

A float option accepts 'nan' and 'inf' (and a range check with nan is always false, so `min=` does not stop
it); an int option takes any size. Rather than a check per option, `bound_numbers` wraps the value
processing of every int and float option and argument of every command, so that such a value is refused
(exit 2, naming the option) and an option added later is covered too. All of org's numbers are counts,
ids, seeds or durations: none is negative, and none needs more than MAX_NUMBER.
"""

from __future__ import annotations

import importlib
import math
import types
import typing
from typing import Any

__all__ = ["bound_numbers", "MAX_NUMBER", "number_problem"]

MAX_NUMBER = 2**31 - 1  # a 32-bit id or uid; as seconds, 68 years


def number_problem(v: Any) -> str | None:
    """Why `v` is not a number org takes, or None (non-numbers and None pass: not this check's business)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return "is not a finite number"
    if not 0 <= v <= MAX_NUMBER:
        return f"is not between 0 and {MAX_NUMBER}"
    return None


def _numeric(annotation: Any) -> bool:
    if annotation in (int, float):
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, tuple):
        return any(_numeric(a) for a in typing.get_args(annotation) if a is not type(None))
    return False


def _bad_parameter() -> Any:
    for mod in ("typer._click.exceptions", "click.exceptions"):
        try:
            return importlib.import_module(mod).BadParameter
        except ImportError:
            continue
    raise ImportError("no click")  # pragma: no cover - typer always brings one


def _wrap(p: Any) -> None:
    original = p.process_value
    bad = _bad_parameter()

    def process_value(ctx: Any, value: Any) -> Any:
        v = original(ctx, value)
        for item in v if isinstance(v, (list, tuple)) else (v,):
            why = number_problem(item)
            if why is not None:
                raise bad(f"{item!r} {why}", ctx=ctx, param=p)
        return v

    p.process_value = process_value


def bound_numbers(cmd: Any) -> Any:
    """Bound every int/float parameter in the command tree under `cmd`; returns `cmd`."""
    seen: set[int] = set()
    stack = [cmd]
    while stack:
        c = stack.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        for p in getattr(c, "params", []):
            desc = getattr(p, "type_descriptor", None)
            ptype = getattr(p, "type", None)
            if (desc is not None and _numeric(desc.annotation)) or getattr(ptype, "name", "") in (
                "integer",
                "float",
                "integer range",
                "float range",
            ):
                _wrap(p)
        stack.extend(getattr(c, "commands", {}).values())
    return cmd
