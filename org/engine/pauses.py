"""Is this paused? The one pure answer, shared by the bus (claims, actions, submissions), the dispatcher and the TUI.

A switch is a row {scope, target, ...} with scope actor, lane, task, vendor or all. Work is stopped by the
switches of its task, of each actor doing it (by name, by the actor's lane and by its vendors: model
family, provider and model string), of each lane named, and 'all'. When several hold, the most specific
one is named: the task's own, then actors, lanes, vendors, then everything (so every surface names the
same switch for the same work).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from org.config.families import vendor_of
from org.config.loader import OrgConfig

__all__ = ["vendors_of", "vendors_of_model", "lane_vendors", "switch_keys", "pausing_switch", "describe"]


def vendors_of_model(model: str, family: str | None = None) -> set[str]:
    """Vendor names that cover a call to `model`: its family, its provider prefix and its model string. What the
    model gateway checks for the model a call is routed to, whichever member makes it."""
    return {x.lower() for x in (family or "", vendor_of(model), model) if x}


def vendors_of(cfg: OrgConfig | None, actor: str) -> set[str]:
    """Vendor names that cover an actor: its model family, its provider prefix and its model string."""
    a = cfg.actors.get(actor) if cfg is not None else None
    if a is None:
        return set()
    if a.is_human or not a.model:
        return {"human"}
    return vendors_of_model(a.model, a.family)


def lane_vendors(cfg: OrgConfig | None) -> set[str]:
    """Vendors of every model a lane lets its members call (`models:`): switches `org pause --vendor` accepts
    beside its actors' own."""
    out: set[str] = set()
    for lane in cfg.lanes.values() if cfg is not None else ():
        for m in getattr(lane, "models", None) or ():
            out |= vendors_of_model(m)
    return out


def switch_keys(
    cfg: OrgConfig | None,
    *,
    task: str | None = None,
    actors: Iterable[str] = (),
    lanes: Iterable[str] = (),
    vendor: str | None = None,
    vendors: Iterable[str] = (),
    everything: bool = True,
) -> list[tuple[str, str, str]]:
    """(scope, target, label) of every switch that stops this work, most specific first, without repeats.
    An actor brings its lane (from cfg) and its vendors; `vendors` adds those of the model a call is routed
    to (vendors_of_model); `everything=False` leaves out 'all'."""
    actors = [a for a in actors if a]
    own_lanes = [cfg.actors[a].lane for a in actors if cfg is not None and a in cfg.actors]
    lanes = [ln for ln in [*lanes, *own_lanes] if ln]
    vendors = ([vendor.lower()] if vendor else []) + sorted({v.lower() for v in vendors if v})
    for a in actors:
        vendors += sorted(vendors_of(cfg, a))
    wanted = (
        ([("task", task, "task")] if task else [])
        + [("actor", a, f"actor {a}") for a in actors]
        + [("lane", ln, f"lane {ln}") for ln in lanes]
        + [("vendor", v, f"vendor {v}") for v in vendors]
        + ([("all", "*", "all")] if everything else [])
    )
    seen: set[tuple[str, str]] = set()
    out = []
    for scope, target, label in wanted:
        if (scope, target) not in seen:
            seen.add((scope, target))
            out.append((scope, target, label))
    return out


def pausing_switch(
    switches: Iterable[Mapping[str, Any]],
    cfg: OrgConfig | None,
    *,
    task: str | None = None,
    actors: Iterable[str] = (),
    lanes: Iterable[str] = (),
    vendor: str | None = None,
) -> tuple[str, Mapping[str, Any]] | None:
    """(label, switch) of the active switch that stops this work, most specific first; None when none does.
    The label is "task", "actor X", "lane X", "vendor X" or "all"."""
    on: dict[tuple[str, str], Mapping[str, Any]] = {}
    for s in switches:
        if s.get("active", True):
            on.setdefault((s["scope"], str(s["target"])), s)
    if not on:
        return None
    for scope, target, label in switch_keys(cfg, task=task, actors=actors, lanes=lanes, vendor=vendor):
        sw = on.get((scope, target))
        if sw is not None:
            return label, sw
    return None


def describe(switch: Mapping[str, Any]) -> str:
    """What a switch stops, in words: 'everything' or 'lane builder'."""
    return "everything" if switch["scope"] == "all" else f"{switch['scope']} {switch['target']}"
