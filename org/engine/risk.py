"""Risk classification: the highest tier any classify rule assigns, else the default (with sources)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from org.config.loader import OrgConfig
from org.engine.conditions import Predicate, coerce_attributes, compile_condition

__all__ = ["Classification", "classify"]


@dataclass(frozen=True)
class Classification:
    tier: str
    rules: tuple[str, ...]  # classify rule ids that matched
    sources: tuple[str, ...]  # file:line of each, or of the default
    reason: str

    def to_json(self) -> dict:
        return {"tier": self.tier, "rules": list(self.rules), "sources": list(self.sources), "reason": self.reason}


def _compiled(cfg: OrgConfig) -> list[Predicate]:
    preds = getattr(cfg, "_classify", None)
    if preds is None:
        preds = [compile_condition(c.when, cfg.attributes) for c in cfg.risk.classify]
        object.__setattr__(cfg, "_classify", preds)
    return preds


def classify(cfg: OrgConfig, attributes: Mapping[str, Any], requested: str | None = None) -> Classification:
    """Tier of a task or action. A requested tier can raise the tier, never lower it. Values that do
    not fit their declared type count as missing here (decide() and start_task refuse them)."""
    attrs, _ = coerce_attributes(cfg.attributes, attributes)
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
