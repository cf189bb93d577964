"""decide(): may this actor take this action now? allow / deny / needs_approval, with rules and sources.

Order of evaluation (all of it, for every actor, the security lane included):
  1. unknown actor, a declared attribute with a value outside its type or values, or an
     unknown credential: deny (without saying which credentials exist);
  2. RED rules: deny, for everyone, whatever approvals exist;
  3. the lane's may_not, then may: deny when the lane is not allowed the action;
  4. consequential rules: needs_approval, unless a human who is neither the actor nor an
     author of the work, and whose lane may 'approve', approved it.
Derived attributes (credential_service, action, tier) are computed here, never taken from the
request; a requested tier can only raise the tier a rule sees.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from org.config.loader import OrgConfig
from org.engine import rule_ids
from org.engine.attributes import DERIVED, problem_text, typed_attributes
from org.engine.conditions import Predicate, action_matches, compile_condition

__all__ = ["Decision", "RuleHit", "Policy", "compile_policy", "decide", "decide_within", "attribute_conflicts",
           "Outcome"]

Outcome = Literal["allow", "deny", "needs_approval"]
EXIT_CODES = {"allow": 0, "deny": 4, "needs_approval": 6}


@dataclass(frozen=True)
class RuleHit:
    id: str
    effect: str  # deny | needs_approval | allow
    source: str  # file:line
    reason: str
    adr: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "effect": self.effect, "source": self.source, "reason": self.reason, "adr": self.adr}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    actor: str
    action: str
    reason: str
    rules: tuple[RuleHit, ...]
    config_hash: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    approved_by: str | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome == "allow"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]

    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self.rules]

    def to_json(self) -> dict[str, Any]:
        attrs = {k: v for k, v in self.attributes.items()}
        return {
            "outcome": self.outcome,
            "actor": self.actor,
            "action": self.action,
            "reason": self.reason,
            "rules": [r.to_json() for r in self.rules],
            "config_hash": self.config_hash,
            "attributes": attrs,
            "approved_by": self.approved_by,
        }


@dataclass(frozen=True)
class _Rule:
    id: str
    effect: str
    patterns: tuple[str, ...]
    test: Predicate
    source: str
    reason: str
    adr: int | None
    any_action: bool


class Policy:
    """The org's rules compiled once; `decide` is then a few dict lookups and closures."""

    def __init__(self, cfg: OrgConfig) -> None:
        self.cfg = cfg
        self.config_hash = cfg.config_hash
        self._types = dict(cfg.attributes)
        rules = [
            _Rule(
                r.spec.id, r.effect, tuple(r.spec.actions), compile_condition(r.spec.when, self._types), r.source,
                r.spec.reason or r.spec.title, r.spec.adr, "*" in r.spec.actions,
            )
            for r in cfg.rules
        ]
        self._red = [r for r in rules if r.effect == "deny"]
        self._consequential = [r for r in rules if r.effect == "needs_approval"]
        self._lanes = {
            name: (tuple(lane.may), tuple(lane.may_not), cfg.source(f"lane:{name}:may"),
                   tuple(cfg.source(f"lane:{name}:may_not:{i}") for i in range(len(lane.may_not))))
            for name, lane in cfg.lanes.items()
        }
        # Who can approve: humans whose lane may take 'approve' (and not may_not).
        self._approvers = frozenset(
            a.id for a in cfg.actors.values()
            if a.is_human and action_matches(cfg.lanes[a.lane].may, "approve")
            and not action_matches(cfg.lanes[a.lane].may_not, "approve")
        )
        self._cred_service = {name: c.service for name, c in cfg.credentials.items()}
        # The tier is derived (never taken from a request) and only computed when a rule reads it.
        self._needs_tier = any(r.spec.when is not None and "tier" in r.spec.when.attributes() for r in cfg.rules)
        self._cache: dict[tuple[str, str], tuple[list[_Rule], list[_Rule], RuleHit | None]] = {}
        self.gate_refusals: dict[tuple, Any] = {}  # duties.gate_action_refusal's answers, per this policy

    def _for_action(self, lane: str, action: str) -> tuple[list[_Rule], list[_Rule], RuleHit | None]:
        key = (lane, action)
        hit = self._cache.get(key)
        if hit is None:
            red = [r for r in self._red if r.any_action or action_matches(r.patterns, action)]
            cons = [r for r in self._consequential if r.any_action or action_matches(r.patterns, action)]
            may, may_not, may_src, may_not_srcs = self._lanes[lane]
            lane_hit = None
            for i, pat in enumerate(may_not):
                if action_matches((pat,), action):
                    lane_hit = RuleHit(rule_ids.lane_may_not(lane), "deny", may_not_srcs[i],
                                       f"the {lane} lane may not take '{action}' (may_not: {pat})")
                    break
            else:
                if not action_matches(may, action):
                    lane_hit = RuleHit(rule_ids.lane_may(lane), "deny", may_src,
                                       f"'{action}' is not among the actions the {lane} lane may take")
            hit = (red, cons, lane_hit)
            if len(self._cache) < 4096:
                self._cache[key] = hit
        return hit

    def decide(
        self,
        actor: str,
        action: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        approvals: Collection[str] = (),
        authors: Collection[str] = (),
    ) -> Decision:
        raw = dict(attributes or {})
        requested_tier = raw.pop("tier", None)
        for k in DERIVED:
            raw.pop(k, None)
        attrs, bad = typed_attributes(self.cfg, raw, names=False)
        attrs["action"] = action
        who = self.cfg.actors.get(actor)
        if who is None:
            return self._deny(actor, action, attrs, [RuleHit(rule_ids.UNKNOWN_ACTOR, "deny", "",
                                                             f"'{actor}' is not a member of any lane")])
        if bad:
            return self._deny(actor, action, attrs, [RuleHit(rule_ids.BAD_ATTRIBUTE, "deny", self.cfg.source(f"attr:{p.name}"),
                                                             problem_text(self.cfg, p)) for p in bad])
        cred = attrs.get("credential")
        if cred is not None:
            service = self._cred_service.get(str(cred))
            if service is None:
                # Say nothing about which credentials exist.
                return self._deny(actor, action, attrs, [RuleHit(rule_ids.CREDENTIAL_UNAVAILABLE, "deny", "",
                                                                 "this credential is not available to this action")])
            attrs["credential_service"] = service
        if self._needs_tier:
            from org.engine.risk import classify

            tiers = [t.id for t in self.cfg.risk.tiers]
            attrs["tier"] = classify(self.cfg, attrs, requested_tier if requested_tier in tiers else None).tier
        red, cons, lane_hit = self._for_action(who.lane, action)
        denies = [RuleHit(r.id, "deny", r.source, r.reason, r.adr) for r in red if r.test(attrs)]
        if lane_hit is not None:
            denies.append(lane_hit)
        if denies:
            return self._deny(actor, action, attrs, denies)
        needs = [RuleHit(r.id, "needs_approval", r.source, r.reason, r.adr) for r in cons if r.test(attrs)]
        if not needs:
            return Decision("allow", actor, action, f"the {who.lane} lane may take '{action}' and no rule objects",
                            (), self.config_hash, attrs)
        for approver in approvals:
            if approver in self._approvers and approver != actor and approver not in authors:
                return Decision("allow", actor, action, f"approved by {approver} (" + ", ".join(h.id for h in needs) + ")",
                                tuple(needs), self.config_hash, attrs, approved_by=approver)
        reason = "needs approval by a human who is not an author: " + "; ".join(h.reason for h in needs)
        return Decision("needs_approval", actor, action, reason, tuple(needs), self.config_hash, attrs)

    def _deny(self, actor: str, action: str, attrs: dict[str, Any], hits: list[RuleHit]) -> Decision:
        reason = "denied: " + "; ".join(f"{h.reason} [{h.id}]" for h in hits)
        return Decision("deny", actor, action, reason, tuple(hits), self.config_hash, attrs)


def compile_policy(cfg: OrgConfig) -> Policy:
    pol = getattr(cfg, "_policy", None)
    if pol is None:
        pol = Policy(cfg)
        object.__setattr__(cfg, "_policy", pol)
    return pol


def decide(
    cfg: OrgConfig,
    actor: str,
    action: str,
    attributes: Mapping[str, Any] | None = None,
    *,
    approvals: Collection[str] = (),
    authors: Collection[str] = (),
) -> Decision:
    """May `actor` take `action` with these attributes? Pure: same inputs, same Decision."""
    return compile_policy(cfg).decide(actor, action, attributes, approvals=approvals, authors=authors)


_STRICTNESS = {"deny": 3, "needs_approval": 2, "allow": 0}
_MAX_CONFLICTS = 8  # 2**8 readings at a few microseconds each; more conflicting keys than that is refused


def attribute_conflicts(task_attrs: Mapping[str, Any], action_attrs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Keys that the task pins and the action states differently: {key: {"task": v, "action": v}}."""
    return {k: {"task": task_attrs[k], "action": v} for k, v in action_attrs.items()
            if k in task_attrs and str(task_attrs[k]) != str(v)}


def decide_within(
    cfg: OrgConfig,
    actor: str,
    action: str,
    task_attrs: Mapping[str, Any],
    action_attrs: Mapping[str, Any],
    *,
    approvals: Collection[str] = (),
    authors: Collection[str] = (),
) -> tuple[Decision, dict[str, dict[str, Any]]]:
    """decide() for an action taken on a task that pins attributes of its own.

    Where the action's attributes and the task's agree (or only one side states a key) there is one
    reading. Where they disagree, neither side may weaken the other: the task's pinned attributes are a
    floor the action cannot talk its way under (environment=production stays production), and the
    action's own attributes say what it really touches (a credential sent to another service is reuse,
    whatever service the task names). So every mix of the two readings is decided and the strictest
    answer stands: deny over needs_approval over an approved allow over a plain allow; among equals, the
    task's reading. Returns the decision and the conflicts (empty when there were none)."""
    conflicts = attribute_conflicts(task_attrs, action_attrs)
    base = {**action_attrs, **task_attrs}
    if not conflicts:
        return decide(cfg, actor, action, base, approvals=approvals, authors=authors), conflicts
    keys = sorted(conflicts)
    if len(keys) > _MAX_CONFLICTS:
        pol = compile_policy(cfg)
        hit = RuleHit(rule_ids.ATTRIBUTE_CONFLICT, "deny", "",
                      f"the action contradicts {len(keys)} of the task's attributes: {', '.join(keys)}")
        return pol._deny(actor, action, dict(base), [hit]), conflicts
    best: Decision | None = None
    best_rank = -1
    for mask in range(1 << len(keys)):
        attrs = dict(base)
        for i, k in enumerate(keys):
            if mask >> i & 1:
                attrs[k] = action_attrs[k]
        d = decide(cfg, actor, action, attrs, approvals=approvals, authors=authors)
        rank = _STRICTNESS[d.outcome] + (1 if d.outcome == "allow" and d.approved_by else 0)
        if rank > best_rank:
            best, best_rank = d, rank
    assert best is not None
    return best, conflicts
