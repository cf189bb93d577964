"""Resolved behaviour of one simulated agent: built-in defaults <- scenario default <- family <- model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from org.sim.models import Behaviour, FamilyBehaviour, KindBehaviour, Pool
from org.sim.units import Dist

__all__ = ["KindProfile", "Profile", "BUILTIN", "profile_for", "pool_for", "focus_for"]

BUILTIN = FamilyBehaviour(
    work=KindBehaviour(
        time={"dist": "lognormal", "mean": 1200.0, "cv": 0.5}, calls={"mean": 8.0}, tokens={"mean": 4000.0}
    ),
    review=KindBehaviour(
        time={"dist": "lognormal", "mean": 480.0, "cv": 0.5}, calls={"mean": 3.0}, tokens={"mean": 3000.0}
    ),
    defects={},
    detect={},
    blind_spot=0.0,
    false_alarm=0.0,
    fix=1.0,
    rework_defects=0.5,
)


@dataclass(frozen=True)
class KindProfile:
    time: Callable
    calls: Callable
    tokens: Callable
    mean_time: float
    mean_calls: float
    mean_tokens: float


@dataclass(frozen=True)
class Profile:
    work: KindProfile
    review: KindProfile
    defects: tuple[tuple[str, float], ...]
    detect: dict[str, float]
    blind_spot: float
    false_alarm: float
    fix: float
    rework_defects: float


def _kind(layers: list[KindBehaviour | None]) -> KindProfile:
    picked: dict[str, Dist] = {}
    for layer in layers:
        if layer is None:
            continue
        for f in ("time", "calls", "tokens"):
            v = getattr(layer, f)
            if v is not None:
                picked[f] = v
    t, c, k = picked["time"], picked["calls"], picked["tokens"]
    return KindProfile(t.sampler(), c.sampler(), k.sampler(), float(t.mean), float(c.mean), float(k.mean))


def profile_for(beh: Behaviour, model: str, family: str) -> Profile:
    """Merge the layers field by field; defect and detection tables merge key by key."""
    m = (model or "").lower()
    layers: list[FamilyBehaviour] = [BUILTIN, beh.default]
    if family in beh.families:
        layers.append(beh.families[family])
    layers += [v for g, v in beh.models.items() if fnmatchcase(m, g.lower())]
    defects: dict[str, float] = {}
    detect: dict[str, float] = {}
    scalars: dict[str, float] = {}
    for layer in layers:
        defects.update(layer.defects or {})
        detect.update(layer.detect or {})
        for f in ("blind_spot", "false_alarm", "fix", "rework_defects"):
            v = getattr(layer, f)
            if v is not None:
                scalars[f] = float(v)
    return Profile(
        work=_kind([layer.work for layer in layers]),
        review=_kind([layer.review for layer in layers]),
        defects=tuple((k, float(v)) for k, v in defects.items() if v > 0),
        detect=detect,
        **scalars,
    )


def pool_for(providers: dict[str, Pool], model: str) -> tuple[str, Pool] | None:
    """The first pool whose model globs match this model (case-insensitive)."""
    m = (model or "").lower()
    for name, pool in providers.items():
        if any(fnmatchcase(m, g.lower()) for g in pool.models):
            return name, pool
    return None


def focus_for(beh: Behaviour, workflow: str, gate: str) -> frozenset[str] | None:
    """Defect classes a gate's reviewers look for (None: every class)."""
    f = beh.focus.get(f"{workflow}.{gate}", beh.focus.get(gate))
    return frozenset(f) if f is not None else None
