"""Numbers from outside: the one check that a count, an amount or a duration org is given is a finite number in
its range, before any of it is stored or booked.

A float from JSON, a header, an environment variable or a caller may be NaN (every comparison with it is False,
so `x < 0` lets it through and a sum with it is NaN for ever), ±inf (a sum stays inf for ever), negative (a
ledger row that gives spend back) or absurdly large (an int past 64 bits cannot be stored; 1e300 overflows a
sum). Each is refused here with a UsageError (exit 2) naming what it was; the CLI's own options are bounded
by org.cli._numbers, the agents' socket by org.identity.busd.
"""

from __future__ import annotations

import math
from typing import Any

from org.errors import UsageError

__all__ = ["finite", "count", "MAX_AMOUNT", "MAX_COUNT"]

MAX_AMOUNT = 1e12  # tokens in a bucket or a settlement, dollars, milliseconds: no real one comes near
MAX_COUNT = 2**31 - 1  # tokens of one call: far above any model; priced at most $1 a token, a finite cost


def finite(value: Any, what: str, *, high: float = MAX_AMOUNT, positive: bool = False) -> float:
    """`value` as a float if it is a real number, finite, at least 0 (more than 0 with `positive`) and at most
    `high`; else UsageError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{what} is a number, not {value!r}"[:200])
    try:
        v = float(value)
    except OverflowError:  # an int too large for a float
        raise UsageError(f"{what} is too large") from None
    if not math.isfinite(v):
        raise UsageError(f"{what} is not a finite number ({value!r})")
    if v < 0 or (positive and v == 0):
        raise UsageError(f"{what} must be {'more than' if positive else 'at least'} 0, not {value!r}")
    if v > high:
        raise UsageError(f"{what} is more than {high:g} ({value!r})")
    return v


def count(value: Any, what: str, *, high: int = MAX_COUNT) -> int:
    """`value` as an int if it is a whole number (an int, or a float without a fraction) from 0 to `high`; else
    UsageError naming `what`."""
    v = finite(value, what, high=float(high))
    if v != int(v):
        raise UsageError(f"{what} is a whole number, not {value!r}")
    return int(v)
