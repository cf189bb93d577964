"""Risk classification: the highest tier any classify rule assigns, else the default (with sources)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from org.config.loader import OrgConfig
from org.engine import memo
from org.engine.attributes import typed_attributes
from org.engine.conditions import Predicate, compile_condition

__all__ = ["Classification", "classify", "classify_filing", "classify_revision", "repo_path_rules"]


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
    t = memo.table("classify_rules", cfg.risk, cfg.attributes)
    hit: list[Predicate] | None = t.get("rules") if t is not None else None
    if hit is None:
        hit = [compile_condition(c.when, cfg.attributes) for c in cfg.risk.classify]
        if t is not None:
            t["rules"] = hit
    return hit


_SCALARS = frozenset((str, int, float, bool, type(None)))


def classify(cfg: OrgConfig, attributes: Mapping[str, Any], requested: str | None = None) -> Classification:
    """Tier of a task or action. A requested tier can raise the tier, never lower it. Values that do
    not fit their declared type count as missing here (decide() and start_task refuse them).

    Answers for attributes of plain scalar values are remembered per config (keyed by each value's
    type too, so 1, 1.0 and True stay apart) while its risk spec, attribute and sources tables
    are the same objects; Classification is immutable."""
    known = memo.table("classified", cfg.risk, cfg.attributes, cfg.sources)
    if known is None:
        return _classify(cfg, attributes, requested)
    try:
        key = (requested, tuple((k, type(v), v) for k, v in attributes.items()))
        ok = type(requested) in _SCALARS and all(type(v) in _SCALARS for _k, _t, v in key[1])
        hash(key)
    except (TypeError, AttributeError):
        ok = False
    if not ok:
        return _classify(cfg, attributes, requested)
    hit: Classification | None = known.get(key)
    if hit is None:
        hit = _classify(cfg, attributes, requested)
        if len(known) < 4096:
            known[key] = hit
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


def classify_filing(
    cfg: OrgConfig,
    attributes: Mapping[str, Any],
    requested: str | None = None,
    settled: frozenset[str] | set[str] = frozenset(),
    both: frozenset[str] | set[str] = frozenset(),
) -> Classification:
    """The tier a task is filed at (ADR 0275): a fact a classify rule reads, left out of the filing and not
    `settled` (the workflow implies it), is unknown and read at its worst, rule by rule (ADR 0168): a rule
    raises the tier when some reading of its unknowns fires it, a rule lowering it never fires on silence
    (the default holds unless a rule reading no unknown matched). The credential (absent: none is used; the
    broker supplies it per action), org's own and derived facts and the paths are never unknown. `both`: facts
    the workflow says its tasks do not have that the filing states anyway: read both ways, the higher tier wins
    (as a stated fact an action implies null for, ADR 0220)."""
    from org.engine.policy import compile_policy

    if both:
        stated = classify_filing(cfg, attributes, requested, settled)
        without = classify_filing(
            cfg, {k: v for k, v in attributes.items() if k not in both}, requested, settled
        )
        order = [t.id for t in cfg.risk.tiers]
        return without if order.index(without.tier) > order.index(stated.tier) else stated

    base = classify(cfg, attributes, requested)
    pol = compile_policy(cfg)
    never = pol.never_unknown
    missing = sorted(
        k for k in pol.classify_reads if attributes.get(k) is None and k not in settled and k not in never
    )
    if not missing:
        return base
    attrs, _ = typed_attributes(cfg, attributes, names=False)
    worst = pol.worst_tier(attrs, missing, base.tier)
    if worst.tier == worst.floor:
        if worst.floor == base.tier:
            return base
        return Classification(
            worst.floor,
            base.rules,
            (cfg.source("risk:default"),),
            f"no classify rule matched for certain (unknown: {', '.join(missing)}); default tier "
            f"'{cfg.risk.default}'",
        )
    raised = [(cfg.risk.classify[i], mine) for i, mine in worst.raised]
    unknown = sorted({k for _c, m in raised for k in m})
    first = next(c for c, _m in raised if c.tier == worst.tier)
    ids = tuple(dict.fromkeys([*base.rules, *(c.id for c, _m in raised)]))
    return Classification(
        worst.tier,
        ids,
        tuple(dict.fromkeys([*base.sources, *(cfg.source(c.id) for c, _m in raised)])),
        f"{first.id}: {first.title or first.tier} (unknown: {', '.join(unknown)}; read at its worst)",
    )


def classify_revision(
    cfg: OrgConfig,
    attributes: Mapping[str, Any],
    tier: str,
    paths: tuple[str, ...],
    *,
    actor_is_human: bool = False,
) -> Classification | None:
    """The tier a revision changing `paths` needs, when it is above `tier` (the task's tier now; it only
    rises, never below the tier the task was filed at), else None. Three sources, the highest wins: the
    classify rules of gates/risk.yaml read with the paths known (`paths:` conditions), the `risk` entries of
    the task's repository in gates/repos.yaml, and a protected path (the highest tier: another human
    approves; an agent's change to one never gets this far, the diff guard denies it)."""
    from org.engine.conditions import PATHS

    order = [t.id for t in cfg.risk.tiers]
    now = order.index(tier) if tier in order else len(order) - 1
    if not paths:
        return None
    hits: list[tuple[int, str, str, str]] = []  # (tier index, rule id, reason, source)
    attrs, _ = typed_attributes(cfg, {k: v for k, v in attributes.items() if k != PATHS}, names=False)
    attrs[PATHS] = tuple(paths)
    for c, test in zip(cfg.risk.classify, _compiled(cfg), strict=True):
        if not _reads_paths(c.when):
            continue  # a rule that does not read the paths classified the task when it was filed
        if test(attrs):
            hits.append((order.index(c.tier), c.id, f"{c.id}: {c.title or c.tier}", cfg.source(c.id)))
    for tier_id, rid, why, src in repo_path_rules(cfg, attributes.get("repo"), paths, human=actor_is_human):
        if tier_id in order:
            hits.append((order.index(tier_id), rid, why, src))
    above = [h for h in hits if h[0] > now]
    if not above:
        return None
    top = max(h[0] for h in above)
    best = [h for h in above if h[0] == top]
    return Classification(
        order[top],
        tuple(h[1] for h in above),
        tuple(h[3] for h in above),
        "; ".join(h[2] for h in best),
    )


def repo_path_rules(
    cfg: OrgConfig, repo: Any, paths: tuple[str, ...], *, human: bool
) -> list[tuple[str, str, str, str]]:
    """(tier, rule id, reason, source) of each path rule of the task's repository (gates/repos.yaml) that
    `paths` meet: its `risk` entries, and a protected path (the highest tier, so another human approves; an
    agent's change to one never gets this far, the diff guard denies it). The one home of paths -> tier by
    repository: the engine raises the tier by it (classify_revision), the workspaces report it as evidence."""
    from org.config.repos import glob_match
    from org.engine import rule_ids

    spec = cfg.repos.get(repo) if isinstance(repo, str) else None
    if spec is None or not paths:
        return []
    out: list[tuple[str, str, str, str]] = []
    tag = repo.upper().replace("_", "-").replace(".", "-")
    for i, r in enumerate(spec.risk):
        hit = next((p for p in paths if any(glob_match(g, p) for g in r.paths)), None)
        if hit is not None:
            out.append(
                (
                    r.tier,
                    r.id or f"REPO-{tag}-RISK-{i + 1}",
                    f"'{hit}' matches {', '.join(r.paths)} (repository '{repo}')",
                    cfg.source(f"repo:{repo}:risk") or cfg.source(f"repo:{repo}"),
                )
            )
    for p in paths:
        g = next((g for g in spec.protected if glob_match(g, p)), None)
        if g is not None:
            who = "a human's" if human else "a"
            out.append(
                (
                    cfg.risk.tiers[-1].id,
                    rule_ids.PROTECTED_PATH,
                    f"'{p}' is protected ({g}): {who} change to it needs another human's approval",
                    cfg.source(f"repo:{repo}:protected") or cfg.source(f"repo:{repo}"),
                )
            )
            break
    return out


def _reads_paths(c: Any) -> bool:
    if c is None:
        return False
    if c.paths is not None:
        return True
    return any(_reads_paths(s) for s in (c.all or []) + (c.any or []) + ([c.not_] if c.not_ else []))
