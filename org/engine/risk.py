"""Risk classification: the highest tier any classify rule assigns, else the default (with sources)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from org.config.loader import OrgConfig
from org.engine import memo
from org.engine.attributes import typed_attributes
from org.engine.conditions import Predicate, compile_condition

__all__ = ["Classification", "classify"]


@dataclass(frozen=True)
class Classification:
    tier: str
    rules: tuple[str, ...]  # classify rule ids that matched
    sources: tuple[str, ...]  # file:line of each, or of the default
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "rules": list(self.rules),
            "sources": list(self.sources),
            "reason": self.reason,
        }


def _compiled(cfg: OrgConfig) -> list[Predicate]:
    """The classify rules compiled, once per risk spec and attribute table (replace either on the
    config and they are compiled again)."""
    hit = cfg.__dict__.get("_classify")
    if hit is None or hit[0] is not cfg.risk or hit[1] is not cfg.attributes:
        hit = (
            cfg.risk,
            cfg.attributes,
            [compile_condition(c.when, cfg.attributes) for c in cfg.risk.classify],
        )
        object.__setattr__(cfg, "_classify", hit)
    return hit[2]


_SCALARS = frozenset((str, int, float, bool, type(None)))


def classify(cfg: OrgConfig, attributes: Mapping[str, Any], requested: str | None = None) -> Classification:
    """Tier of a task or action. A requested tier can raise the tier, never lower it. Values that do
    not fit their declared type count as missing here (decide() and start_task refuse them).

    Answers for attributes of plain scalar values are remembered per config (keyed by each value's
    type too, so 1, 1.0 and True stay apart) while its risk spec, attribute and sources tables
    are the same objects; Classification is immutable."""
    if not memo.enabled(cfg):
        return _classify(cfg, attributes, requested)
    try:
        key = (requested, tuple((k, type(v), v) for k, v in attributes.items()))
        ok = type(requested) in _SCALARS and all(type(v) in _SCALARS for _k, _t, v in key[1])
        hash(key)
    except (TypeError, AttributeError):
        ok = False
    if not ok:
        return _classify(cfg, attributes, requested)
    c = cfg.__dict__.get("_classified")
    if c is None or c[0] is not cfg.risk or c[1] is not cfg.attributes or c[2] is not cfg.sources:
        c = (cfg.risk, cfg.attributes, cfg.sources, {})
        object.__setattr__(cfg, "_classified", c)
    hit = c[3].get(key)
    if hit is None:
        hit = _classify(cfg, attributes, requested)
        if len(c[3]) < 4096:
            c[3][key] = hit
    return hit


def _classify(cfg: OrgConfig, attributes: Mapping[str, Any], requested: str | None) -> Classification:
    attrs, _ = typed_attributes(cfg, attributes, names=False)
    order = [t.id for t in cfg.risk.tiers]
    matched = [c for c, test in zip(cfg.risk.classify, _compiled(cfg), strict=True) if test(attrs)]
    if matched:
        top = max(matched, key=lambda c: order.index(c.tier))
        best = order.index(top.tier)
        reason = f"{top.id}: {top.title or top.tier}"
        sources = tuple(cfg.source(c.id) for c in matched)
    else:
        best = order.index(cfg.risk.default)
        reason = f"no classify rule matched; default tier '{cfg.risk.default}'"
        sources = (cfg.source("risk:default"),)
    if requested is not None and requested in order and order.index(requested) > best:
        best = order.index(requested)
        reason = f"requested tier '{requested}' (above the classified tier; a request never lowers it)"
    return Classification(order[best], tuple(c.id for c in matched), sources, reason)
