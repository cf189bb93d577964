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

import itertools
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

from org.config.actions import canonical_action
from org.config.loader import OrgConfig
from org.config.models import Condition
from org.engine import memo, rule_ids
from org.engine.attributes import DERIVED, problem_text, typed_attributes
from org.engine.conditions import BAD, PATHS, Predicate, action_matches, coerce, compile_condition

__all__ = [
    "Decision",
    "RuleHit",
    "Policy",
    "compile_policy",
    "decide",
    "decide_within",
    "attribute_conflicts",
    "Outcome",
    "ORG_VERBS",
    "WorstTier",
]

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
        return {
            "id": self.id,
            "effect": self.effect,
            "source": self.source,
            "reason": self.reason,
            "adr": self.adr,
        }


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


# org's own verbs: a human's verdict, a pause, a filing, a review or a work submission changes org's own records
# (the chain, a revision the pipeline alone merges); they take effect in no environment and undo nothing, so
# every fact a rule reads is absent for them unless the catalogue says otherwise (ADR 0220)
ORG_VERBS = frozenset({"approve", "reject", "pause", "resume", "task.add", "review.file", "work.submit"})
_ABSENT = object()  # a reading of a missing fact in which it is not there at all
_MAX_READINGS = 4096


def _conditions(cfg: OrgConfig) -> list[Condition]:
    return [r.spec.when for r in cfg.rules if r.spec.when is not None] + [c.when for c in cfg.risk.classify]


def _walk(c: Condition) -> Iterator[Condition]:
    yield c
    for sub in (c.all or []) + (c.any or []) + ([c.not_] if c.not_ is not None else []):
        yield from _walk(sub)


def _literals(cfg: OrgConfig) -> tuple[dict[str, list[Any]], frozenset[str]]:
    """({attribute: every literal a rule or risk rule compares it with}, attributes compared with
    credential_service): the values a missing fact is tried with."""
    lits: dict[str, list[Any]] = {}
    partners: set[str] = set()
    for cond in _conditions(cfg):
        for c in _walk(cond):
            if c.attr is None:
                continue
            spec = cfg.attributes.get(c.attr)
            for v in [c.eq, c.ne, *(c.in_ or []), *(c.not_in or [])]:
                if v is not None:
                    lits.setdefault(c.attr, []).append(coerce(spec, v))
            for other in (c.eq_attr, c.ne_attr):
                if other == "credential_service":
                    partners.add(c.attr)
                elif c.attr == "credential_service" and other:
                    partners.add(other)
    return lits, frozenset(partners)


def _pairs(cfg: OrgConfig) -> dict[str, set[str]]:
    """{attribute: the attributes a rule compares it with (eq_attr, ne_attr)}, both ways."""
    out: dict[str, set[str]] = {}
    for cond in _conditions(cfg):
        for c in _walk(cond):
            for other in (c.eq_attr, c.ne_attr):
                if c.attr and other:
                    out.setdefault(c.attr, set()).add(other)
                    out.setdefault(other, set()).add(c.attr)
    return out


def _reads(cfg: OrgConfig) -> set[str]:
    """Every attribute a RED, consequential or risk rule reads."""
    out: set[str] = set()
    for cond in _conditions(cfg):
        out |= cond.attributes()
    return out


class WorstTier(NamedTuple):
    """The tier no reading of a filing's unknowns exceeds (Policy.worst_tier), and why."""

    tier: str
    floor: str  # the tier as filed, raised to the default unless a rule reading no unknown matched
    # (index in gates/risk.yaml classify, its unknowns) of each rule above the filed tier some reading fires
    raised: tuple[tuple[int, tuple[str, ...]], ...]


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
    reads: frozenset[str]


class Policy:
    """The org's rules compiled once; `decide` is then a few dict lookups and closures."""

    def __init__(self, cfg: OrgConfig) -> None:
        self.cfg = cfg
        self.config_hash = cfg.config_hash
        self._types = dict(cfg.attributes)
        rules = [
            _Rule(
                r.spec.id,
                r.effect,
                tuple(r.spec.actions),
                compile_condition(r.spec.when, self._types),
                r.source,
                r.spec.reason or r.spec.title,
                r.spec.adr,
                "*" in r.spec.actions,
                frozenset(r.spec.when.attributes()) if r.spec.when is not None else frozenset(),
            )
            for r in cfg.rules
        ]
        self._red = [r for r in rules if r.effect == "deny"]
        self._consequential = [r for r in rules if r.effect == "needs_approval"]
        self._lanes = {
            name: (
                tuple(lane.may),
                tuple(lane.may_not),
                cfg.source(f"lane:{name}:may"),
                tuple(cfg.source(f"lane:{name}:may_not:{i}") for i in range(len(lane.may_not))),
            )
            for name, lane in cfg.lanes.items()
        }
        # Who can approve: humans whose lane may take 'approve' (and not may_not).
        self._approvers = frozenset(
            a.id
            for a in cfg.actors.values()
            if a.is_human
            and action_matches(cfg.lanes[a.lane].may, "approve")
            and not action_matches(cfg.lanes[a.lane].may_not, "approve")
        )
        self._cred_service = {name: c.service for name, c in cfg.credentials.items()}
        # The tier is derived (never taken from a request) and only computed when a rule reads it.
        self._needs_tier = any(
            r.spec.when is not None and "tier" in r.spec.when.attributes() for r in cfg.rules
        )
        self._cache: dict[tuple[str, str], tuple[list[_Rule], list[_Rule], RuleHit | None]] = {}
        self._facts: dict[str, Any] = {}
        self._cands: dict[str, tuple[Any, ...]] = {}
        self._literals, self._partners_of_service = _literals(cfg)
        self._pairs = _pairs(cfg)
        # who states each fact (ADR 0071): org's own facts are never taken from a request
        self.org_facts = frozenset(k for k, spec in cfg.attributes.items() if spec.source == "org")
        self.reads = frozenset(_reads(cfg))
        # never unknown (ADR 0168): org's own facts (absent: org did not derive them), the credential (the
        # broker supplies it; absent: none is used), what org derives and the paths (derived per revision)
        self._never_unknown = frozenset({"credential", "tier", PATHS, *DERIVED}) | self.org_facts
        self._opens: dict[str, tuple[str, ...]] = {}
        from org.engine.risk import _compiled

        # the classify rules (tier index, what each reads, its test), for the tier at its worst (worst_tier)
        self._tiers = [t.id for t in cfg.risk.tiers]
        self._classify = [
            (self._tiers.index(c.tier), frozenset(c.when.attributes()), test)
            for c, test in zip(cfg.risk.classify, _compiled(cfg), strict=True)
        ]
        self._default_tier = self._tiers.index(cfg.risk.default)
        self._classify_reads = frozenset().union(*(reads for _i, reads, _t in self._classify))

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
                    lane_hit = RuleHit(
                        rule_ids.lane_may_not(lane),
                        "deny",
                        may_not_srcs[i],
                        f"the {lane} lane may not take '{action}' (may_not: {pat})",
                    )
                    break
            else:
                if not action_matches(may, action):
                    lane_hit = RuleHit(
                        rule_ids.lane_may(lane),
                        "deny",
                        may_src,
                        f"'{action}' is not among the actions the {lane} lane may take",
                    )
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
        canon = canonical_action(action)
        if canon is None:
            attrs["action"] = action
            return self._deny(
                actor,
                action,
                attrs,
                [
                    RuleHit(
                        rule_ids.BAD_ACTION,
                        "deny",
                        "",
                        f"{action!r} is not an action name (letters, digits, '_' and '-' in words joined by '.', ':' or '/'; "
                        "no look-alike or invisible characters)",
                    )
                ],
            )
        action = canon
        attrs["action"] = action
        who = self.cfg.actors.get(actor)
        if who is None:
            return self._deny(
                actor,
                action,
                attrs,
                [RuleHit(rule_ids.UNKNOWN_ACTOR, "deny", "", f"'{actor}' is not a member of any lane")],
            )
        if bad:
            return self._deny(
                actor,
                action,
                attrs,
                [
                    RuleHit(
                        rule_ids.BAD_ATTRIBUTE,
                        "deny",
                        self.cfg.source(f"attr:{p.name}"),
                        problem_text(self.cfg, p),
                    )
                    for p in bad
                ],
            )
        facts = self._facts.get(action)
        if facts is None:
            facts = self._facts_for(action)
        opens = self._opens.get(action)
        if opens is None:
            opens = self._opens_for(action, facts)
        required, implied = facts
        if not opens and not required and not implied:
            return self._judge(actor, who, action, attrs, requested_tier, approvals, authors)
        missing = tuple(k for k in opens if k not in attrs)
        uncertain: dict[str, tuple[Any, ...]] = {}
        for k, v in implied.items():
            if v is None:  # the action has no such fact (ADR 0220): absent, or read both ways when stated
                if k in attrs:
                    uncertain[k] = (attrs[k], _ABSENT)
            elif k not in attrs:
                attrs[k] = v
            elif attrs[k] != v or type(attrs[k]) is not type(v):
                uncertain[k] = (attrs[k], v)  # the request says otherwise: read both ways
        for k in required:
            if k not in attrs:
                extra = tuple(attrs[b] for b in self._pairs.get(k, ()) if b in attrs)
                uncertain[k] = extra + self._candidates(k)
        if not uncertain:
            return self._judge(actor, who, action, attrs, requested_tier, approvals, authors, missing)
        return self._worst(actor, who, action, attrs, uncertain, requested_tier, approvals, authors, missing)

    def implies(self, action: str) -> Mapping[str, Any]:
        """The facts `action` always has (gates/rules.yaml `actions:`, and org's own verbs); None: it has no
        such fact (absent, never unknown)."""
        canon = canonical_action(action)
        return {} if canon is None else self._facts_for(canon)[1]

    def unknowns(self, action: str, attributes: Mapping[str, Any]) -> tuple[str, ...]:
        """The facts a filing of a declared `action` is silent on that a RED, consequential or (when a rule
        reads the tier) risk rule reads: each is read at its worst, rule by rule (ADR 0168)."""
        canon = canonical_action(action)
        if canon is None:
            return ()
        return tuple(k for k in self._opens_for(canon, self._facts_for(canon)) if attributes.get(k) is None)

    def _opens_for(self, action: str, facts: Any) -> tuple[str, ...]:
        """The attributes an action's RED and consequential rules (and the risk rules, when a rule reads the tier)
        read, but for those never unknown, required (read at their worst as a whole) or implied; declared in the
        catalogue or not (ADR 0220: an undeclared action's silence is read at its worst too)."""
        required, implied = facts
        reads: set[str] = set()
        for r in (*self._red, *self._consequential):
            if r.any_action or action_matches(r.patterns, action):
                reads |= r.reads
        if self._needs_tier:
            reads |= self._classify_reads
        out = tuple(
            sorted(
                k for k in reads if k not in self._never_unknown and k not in required and k not in implied
            )
        )
        if len(self._opens) < 4096:
            self._opens[action] = out
        return out

    def _mine(self, reads: frozenset[str], missing: tuple[str, ...]) -> list[str]:
        """The unknowns a rule reading `reads` depends on (through the tier: the risk rules' unknowns)."""
        via_tier = "tier" in reads
        return [k for k in missing if k in reads or (via_tier and k in self._classify_reads)]

    @property
    def never_unknown(self) -> frozenset[str]:
        """The facts never read as unknown (ADR 0168): org's own, the credential, the derived ones, the paths."""
        return self._never_unknown

    @property
    def classify_reads(self) -> frozenset[str]:
        """The facts the classify rules of gates/risk.yaml read."""
        return self._classify_reads

    def _readings(self, mine: list[str], attrs: dict[str, Any]) -> Iterator[dict[str, Any]] | None:
        """Every reading of the unknowns `mine` over `attrs` (None: more than _MAX_READINGS of them)."""
        cands = []
        n = 1
        for k in mine:
            extra = tuple(attrs[b] for b in self._pairs.get(k, ()) if b in attrs)
            cands.append(extra + self._candidates(k))
            n *= len(cands[-1])
        if n > _MAX_READINGS:
            return None

        def gen() -> Iterator[dict[str, Any]]:
            for combo in itertools.product(*cands):
                reading = dict(attrs)
                for k, v in zip(mine, combo, strict=True):
                    if v is _ABSENT:
                        reading.pop(k, None)
                    else:
                        reading[k] = v
                yield reading

        return gen()

    def _retier(self, reading: dict[str, Any], requested_tier: Any) -> None:
        from org.engine.risk import classify

        tiers = [t.id for t in self.cfg.risk.tiers]
        reading.pop("tier", None)
        reading["tier"] = classify(
            self.cfg, reading, requested_tier if requested_tier in tiers else None
        ).tier

    def _fires(self, r: _Rule, attrs: dict[str, Any], missing: tuple[str, ...], requested_tier: Any) -> bool:
        """Does rule `r` fire on some reading of its own unknowns? (The worst reading, rule by rule: the cost
        is the sum over rules of each rule's readings, not their product.) Too many readings: it fires."""
        if r.test(attrs):
            return True
        mine = self._mine(r.reads, missing)
        if not mine:
            return False
        readings = self._readings(mine, attrs)
        if readings is None:
            return True
        retier = self._needs_tier and "tier" in r.reads and any(k in self._classify_reads for k in mine)
        for reading in readings:
            if retier:
                self._retier(reading, requested_tier)
            if r.test(reading):
                return True
        return False

    def worst_tier(
        self, attrs: dict[str, Any], missing: Collection[str], tier: str, *, every: bool = True
    ) -> WorstTier:
        """The one home of the tier at its worst (ADR 0168, 0275), for a filing (risk.classify_filing) and for an
        action's decision alike: the tier as filed (`tier`, classified on `attrs`), raised to every classify rule
        above it that some reading of its unknowns (those of `missing` it reads) fires, and to the default unless
        a rule reading no unknown matched (a rule lowering the tier never fires on silence). `every`: each rule
        that raises it is in `raised` (False: only the tier is wanted; a rule no higher than one found is not read)."""
        filed = self._tiers.index(tier)
        top = filed
        certain = False
        raised: list[tuple[int, tuple[str, ...]]] = []
        for i, (idx, reads, test) in enumerate(self._classify):
            mine = [k for k in missing if k in reads]
            if not mine:
                certain = certain or test(attrs)
                continue
            if idx <= (filed if every else top):
                continue
            readings = self._readings(mine, attrs)
            if readings is None or any(test(reading) for reading in readings):
                raised.append((i, tuple(mine)))
                top = max(top, idx)
        floor = filed if certain else max(filed, self._default_tier)
        return WorstTier(self._tiers[max(top, floor)], self._tiers[floor], tuple(raised))

    def requires(self, action: str) -> tuple[str, ...]:
        """The attributes `action` cannot be judged without (gates/rules.yaml `actions:`)."""
        canon = canonical_action(action)
        return () if canon is None else self._facts_for(canon)[0]

    def _facts_for(self, action: str) -> tuple[tuple[str, ...], dict[str, Any]]:
        """(required attributes, implied values) of an action; remembered per action. org's own verbs (ORG_VERBS)
        have no fact the catalogue does not give them: each attribute a rule reads is absent for them."""
        required: list[str] = []
        implied: dict[str, Any] = {}
        for af, _src in self.cfg.action_facts:
            if action_matches(af.actions, action):
                required += [k for k in af.requires if k not in required]
                for k, v in af.implies.items():
                    c = None if v is None else coerce(self._types.get(k), v)
                    implied.setdefault(k, v if c is BAD else c)
        if action in ORG_VERBS:
            for k in sorted(self.reads):
                if k not in required and k not in DERIVED and k not in ("tier", PATHS):
                    implied.setdefault(k, None)
        out = (tuple(required), implied)
        if len(self._facts) < 4096:
            self._facts[action] = out
        return out

    def _candidates(self, attr: str) -> tuple[Any, ...]:
        """Every value a missing fact could have, for reading it at its worst: the declared values (or both
        booleans, or the declared credentials), every literal a rule compares it with, one value no rule
        names, and none at all."""
        hit = self._cands.get(attr)
        if hit is None:
            spec = self._types.get(attr)
            vals: list[Any] = []
            if attr == "credential":
                vals = sorted(self._cred_service)
            elif spec is not None and spec.type == "bool":
                vals = [True, False]
            elif spec is not None and spec.values is not None:
                vals = [coerce(spec, v) for v in spec.values]
            else:
                vals = [v for v in self._literals.get(attr, ()) if v is not BAD] + ["\x00unnamed"]
                vals += [v for v in self._cred_service.values() if attr in self._partners_of_service]
            hit = self._cands[attr] = (*dict.fromkeys(vals), _ABSENT)
        return hit

    def _worst(
        self,
        actor: str,
        who: Any,
        action: str,
        attrs: dict[str, Any],
        uncertain: dict[str, tuple[Any, ...]],
        requested_tier: Any,
        approvals: Collection[str],
        authors: Collection[str],
        missing: tuple[str, ...] = (),
    ) -> Decision:
        """The strictest decision over every reading of the uncertain facts (deny over needs_approval over an
        approved allow over a plain allow); refused outright when there are too many readings."""
        keys = sorted(uncertain)
        n = 1
        for k in keys:
            n *= len(uncertain[k])
        unknown = [k for k in keys if k not in attrs]
        if n > _MAX_READINGS:
            return self._deny(
                actor,
                action,
                attrs,
                [
                    RuleHit(
                        rule_ids.MISSING_FACTS,
                        "deny",
                        "",
                        f"'{action}' cannot be judged without: {', '.join(unknown)}",
                    )
                ],
            )
        best: Decision | None = None
        best_rank = -1
        order = [t.id for t in self.cfg.risk.tiers]
        top_tier = -1  # the highest tier any reading gets (a missing fact never lowers the tier)
        for combo in itertools.product(*(uncertain[k] for k in keys)):
            reading = dict(attrs)
            for k, v in zip(keys, combo, strict=True):
                if v is _ABSENT:
                    reading.pop(k, None)
                else:
                    reading[k] = v
            d = self._judge(actor, who, action, reading, requested_tier, approvals, authors, missing)
            rank = _STRICTNESS[d.outcome] + (1 if d.outcome == "allow" and d.approved_by else 0)
            if self._needs_tier and d.attributes.get("tier") in order:
                top_tier = max(top_tier, order.index(d.attributes["tier"]))
            if rank > best_rank:
                best, best_rank = d, rank
                if rank == 3 and not self._needs_tier:
                    break
        assert best is not None
        if top_tier >= 0 and best.attributes.get("tier") != order[top_tier]:
            best = replace(best, attributes={**best.attributes, "tier": order[top_tier]})
        if unknown:  # say what was not known; record what was, not a guess
            shown = {k: v for k, v in attrs.items() if k in best.attributes or k == "action"}
            shown.update({k: v for k, v in best.attributes.items() if k not in uncertain})
            best = replace(
                best,
                reason=f"{best.reason} (unknown: {', '.join(unknown)}; read at its worst)",
                attributes=shown,
            )
        return best

    def _judge(
        self,
        actor: str,
        who: Any,
        action: str,
        attrs: dict[str, Any],
        requested_tier: Any,
        approvals: Collection[str],
        authors: Collection[str],
        missing: tuple[str, ...] = (),
    ) -> Decision:
        """The decision on one reading of the facts; the facts in `missing` (unknown) read at their worst,
        rule by rule."""
        cred = attrs.get("credential")
        if cred is not None:
            service = self._cred_service.get(str(cred))
            if service is None:
                # Say nothing about which credentials exist.
                return self._deny(
                    actor,
                    action,
                    attrs,
                    [
                        RuleHit(
                            rule_ids.CREDENTIAL_UNAVAILABLE,
                            "deny",
                            "",
                            "this credential is not available to this action",
                        )
                    ],
                )
            attrs["credential_service"] = service
        if self._needs_tier:
            from org.engine.risk import classify

            tiers = [t.id for t in self.cfg.risk.tiers]
            attrs["tier"] = classify(
                self.cfg, attrs, requested_tier if requested_tier in tiers else None
            ).tier
        red, cons, lane_hit = self._for_action(who.lane, action)

        def fires(r: _Rule) -> bool:
            # ADR 0168: with unknown facts, a rule fires when some reading of its own unknowns fires it
            return self._fires(r, attrs, missing, requested_tier) if missing else r.test(attrs)

        denies = [r for r in red if fires(r)]
        denied = bool(denies) or lane_hit is not None
        fired = denies if denied else [r for r in cons if fires(r)]
        note = ""
        if missing:
            used = sorted({k for r in fired for k in self._mine(r.reads, missing)})
            if self._needs_tier:  # the tier shown is one no reading exceeds
                attrs["tier"] = self.worst_tier(attrs, missing, attrs["tier"], every=False).tier
            note = f" (unknown: {', '.join(used)}; read at its worst)" if used else ""
        if denied:
            hits = [RuleHit(r.id, "deny", r.source, r.reason + note, r.adr) for r in denies]
            return self._deny(actor, action, attrs, hits + ([lane_hit] if lane_hit is not None else []))
        needs = [RuleHit(r.id, "needs_approval", r.source, r.reason, r.adr) for r in fired]
        d = self._consequences(actor, who, action, attrs, approvals, authors, needs)
        return replace(d, reason=d.reason + note) if note else d

    def _consequences(
        self,
        actor: str,
        who: Any,
        action: str,
        attrs: dict[str, Any],
        approvals: Collection[str],
        authors: Collection[str],
        needs: list[RuleHit],
    ) -> Decision:
        """Allow, an approved allow or needs_approval, once no RED rule and no lane boundary denies."""
        if not needs:
            return Decision(
                "allow",
                actor,
                action,
                f"the {who.lane} lane may take '{action}' and no rule objects",
                (),
                self.config_hash,
                attrs,
            )
        for approver in approvals:
            if approver in self._approvers and approver != actor and approver not in authors:
                return Decision(
                    "allow",
                    actor,
                    action,
                    f"approved by {approver} (" + ", ".join(h.id for h in needs) + ")",
                    tuple(needs),
                    self.config_hash,
                    attrs,
                    approved_by=approver,
                )
        reason = "needs approval by a human who is not an author: " + "; ".join(h.reason for h in needs)
        return Decision("needs_approval", actor, action, reason, tuple(needs), self.config_hash, attrs)

    def _deny(self, actor: str, action: str, attrs: dict[str, Any], hits: list[RuleHit]) -> Decision:
        reason = "denied: " + "; ".join(f"{h.reason} [{h.id}]" for h in hits)
        return Decision("deny", actor, action, reason, tuple(hits), self.config_hash, attrs)


def compile_policy(cfg: OrgConfig) -> Policy:
    """The config's rules compiled, once per config object (kept in org.engine.memo, not on the config)."""
    t = memo.table("policy", cfg)
    pol: Policy | None = t.get("policy") if t is not None else None
    if pol is None:
        pol = Policy(cfg)
        if t is not None:
            t["policy"] = pol
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


def attribute_conflicts(
    task_attrs: Mapping[str, Any], action_attrs: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Keys that the task pins and the action states differently: {key: {"task": v, "action": v}}."""
    return {
        k: {"task": task_attrs[k], "action": v}
        for k, v in action_attrs.items()
        if k in task_attrs and str(task_attrs[k]) != str(v)
    }


def decide_within(
    cfg: OrgConfig,
    actor: str,
    action: str,
    task_attrs: Mapping[str, Any],
    action_attrs: Mapping[str, Any],
    *,
    approvals: Collection[str] = (),
    authors: Collection[str] = (),
    facts: Mapping[str, Any] | None = None,
) -> tuple[Decision, dict[str, dict[str, Any]]]:
    """decide() for an action taken on a task, with each fact weighed by who states it (ADR 0071).

    `task_attrs` are the task as filed and `facts` what org itself derived (e.g. via=pipeline when its pipeline
    carries out an approved plan, the plan's own attributes); both are trusted. `action_attrs` are what the
    acting principal says: org's own facts (`source: org`) are never taken from it, facts declared `source:
    action` are, and any other fact it states can only make the decision stricter: where it contradicts
    the task, both readings are decided; where the task is silent and a rule reads it, the readings with and
    without it are decided. The strictest answer stands: deny over needs_approval over an approved allow over a
    plain allow; among equals, the reading as requested. Returns the decision and the conflicts with the task."""
    pol = compile_policy(cfg)
    own = pol.org_facts
    trusted = {k: v for k, v in task_attrs.items() if k not in own} if own else dict(task_attrs)
    if facts:
        trusted.update(facts)
    claims = {k: v for k, v in action_attrs.items() if k not in own} if own else action_attrs
    conflicts = attribute_conflicts(trusted, claims)
    types = cfg.attributes
    base = dict(trusted)
    readings: dict[str, Any] = {}
    for k, v in claims.items():
        if k in trusted:
            if k in conflicts:
                readings[k] = v
        elif k in pol.reads and (types.get(k) is None or types[k].source != "action"):
            readings[k] = v  # a claim no trusted fact backs: read with and without it
        else:
            base[k] = v
    if not readings:
        return decide(cfg, actor, action, base, approvals=approvals, authors=authors), conflicts
    keys = sorted(readings)
    if len(keys) > _MAX_CONFLICTS:
        hit = RuleHit(
            rule_ids.ATTRIBUTE_CONFLICT,
            "deny",
            "",
            f"the action contradicts or adds {len(keys)} of the facts a rule reads: {', '.join(keys)}",
        )
        return pol._deny(actor, action, dict(base), [hit]), conflicts
    best: Decision | None = None
    best_rank = -1
    for mask in range((1 << len(keys)) - 1, -1, -1):  # the request as stated first: among equals, it is shown
        attrs = dict(base)
        for i, k in enumerate(keys):
            if mask >> i & 1:
                attrs[k] = readings[k]
        d = decide(cfg, actor, action, attrs, approvals=approvals, authors=authors)
        rank = _STRICTNESS[d.outcome] + (1 if d.outcome == "allow" and d.approved_by else 0)
        if rank > best_rank:
            best, best_rank = d, rank
    assert best is not None
    return best, conflicts
