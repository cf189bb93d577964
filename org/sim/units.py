"""Durations ("90s", "20m", "1.5h", "30d") and the random distributions scenarios draw from."""

from __future__ import annotations

import math
import random
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "parse_duration",
    "Duration",
    "Dist",
    "TimeDist",
    "CountDist",
    "format_duration",
    "DAY",
    "HOUR",
    "MINUTE",
]

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "m": MINUTE,
    "min": MINUTE,
    "h": HOUR,
    "hr": HOUR,
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "w": 7 * DAY,
}
_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*([a-z]*)\s*$", re.I)


def parse_duration(value: Any) -> float:
    """Seconds from 90, "90s", "20m", "1.5h" or "30d" (a bare number is seconds)."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string such as 90s, 20m, 1.5h, 30d")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        m = _RE.match(value)
        if m and (m.group(2).lower() in _UNITS or not m.group(2)):
            return float(m.group(1)) * _UNITS.get(m.group(2).lower(), 1.0)
    raise ValueError(
        f"'{value}' is not a duration (write e.g. 90s, 20m, 1.5h, 30d; a bare number is seconds)"
    )


def format_duration(seconds: float) -> str:
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"


Duration = Annotated[float, BeforeValidator(parse_duration)]


class Dist(BaseModel):
    """A non-negative random quantity: fixed, exponential, lognormal (mean and cv), uniform or gamma.
    Written as a plain value (fixed) or {dist: exp, mean: 20m}."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: Literal["fixed", "exp", "lognormal", "uniform", "gamma"] = "fixed"
    mean: float | None = Field(default=None, ge=0)
    cv: float | None = Field(default=None, gt=0, description="Coefficient of variation (lognormal, gamma).")
    low: float | None = Field(default=None, ge=0)
    high: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _shape(self) -> Dist:
        if self.dist == "uniform":
            if self.low is None or self.high is None or self.high < self.low:
                raise ValueError("a uniform distribution needs low <= high")
            object.__setattr__(self, "mean", (self.low + self.high) / 2)
        elif self.mean is None:
            raise ValueError(f"a {self.dist} distribution needs 'mean'")
        if self.dist in ("lognormal", "gamma") and self.cv is None:
            raise ValueError(f"a {self.dist} distribution needs 'cv' (standard deviation / mean)")
        if self.dist not in ("lognormal", "gamma") and self.cv is not None:
            raise ValueError(f"'cv' applies to lognormal and gamma, not {self.dist}")
        if self.dist != "uniform" and (self.low is not None or self.high is not None):
            raise ValueError("'low' and 'high' apply to uniform only")
        return self

    def sampler(self):
        """A function rng -> value; the parameters are worked out once."""
        mean = float(self.mean or 0.0)
        if self.dist == "fixed" or mean == 0.0:
            return lambda rng: mean
        if self.dist == "exp":
            rate = 1.0 / mean
            return lambda rng: rng.expovariate(rate)
        if self.dist == "uniform":
            lo, hi = float(self.low), float(self.high)
            return lambda rng: rng.uniform(lo, hi)
        cv = float(self.cv)
        if self.dist == "lognormal":
            sigma = math.sqrt(math.log1p(cv * cv))
            mu = math.log(mean) - sigma * sigma / 2
            return lambda rng: math.exp(rng.gauss(mu, sigma))
        shape = 1.0 / (cv * cv)
        scale = mean / shape
        return lambda rng: rng.gammavariate(shape, scale)

    def sample(self, rng: random.Random) -> float:
        return self.sampler()(rng)


def _dist(convert):
    def before(value: Any) -> Any:
        if isinstance(value, dict):
            out = dict(value)
            for k in ("mean", "low", "high"):
                if k in out:
                    out[k] = convert(out[k])
            return out
        return {"dist": "fixed", "mean": convert(value)}

    return before


def _count(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"'{value}' is not a number")
    return float(value)


TimeDist = Annotated[Dist, BeforeValidator(_dist(parse_duration))]
CountDist = Annotated[Dist, BeforeValidator(_dist(_count))]
