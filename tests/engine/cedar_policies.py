"""The org's rules as Cedar policies, generated from an OrgConfig (test-only; cedarpy is a test dependency).

How a request maps to Cedar
  principal  Actor::"<actor>" (member of Lane::"<lane>"; unknown actors have no entity)
  action     Action::"act" for every request; the org's action string is context.action
  context    {action, attrs: the request's attributes as given (None dropped: null is absent),
              approvals: [Actor...], authors: [Actor...]}
Policies (each carries @id(<the engine's rule id>), so Cedar's reasons name the same rules):
  ORG-BASE                   permit, when every declared string attribute present is a string
                             (a non-string makes `like` error; an erroring ORG-BASE maps to deny,
                             ORG-BAD-ATTRIBUTE)
  ORG-UNKNOWN-ACTOR          forbid unless the principal is in some lane
  ORG-BAD-ATTRIBUTE-<name>   forbid a declared attribute outside its values / not a bool
  ORG-CREDENTIAL-UNAVAILABLE forbid a credential the org does not declare
  <RED id>                   forbid when the action matches and the condition holds
  LANE-<L>-MAY-NOT           forbid members of L an action matching may_not
  LANE-<L>-MAY               forbid members of L an action matching neither may nor may_not
  <CONSEQ id>                forbid when it matches, unless a human member of a lane that may
                             'approve' approved, who is neither the principal nor an author
How outcomes map back
  Cedar Allow                                  -> allow
  Cedar Deny, every reason a consequential rule -> needs_approval
  Cedar Deny otherwise                          -> deny
Conditions follow ADR 0002: a missing attribute equals nothing (eq/in/eq_attr false; ne/not_in/
ne_attr true). The derived attribute credential_service expands to one case per declared credential.
Bool attributes accept true/false and the CLI strings in BOOL_STRINGS.
"""

from __future__ import annotations

import json
import random

from org.config.loader import OrgConfig
from org.config.models import Condition

__all__ = ["policies", "entities", "request", "outcome", "request_mix", "BOOL_STRINGS"]

BOOL_STRINGS = {True: ["true", "yes", "True", "YES", "TRUE"], False: ["false", "no", "False", "NO", "FALSE"]}


def _q(s: str) -> str:
    return json.dumps(s)


def _has(a: str) -> str:
    return f"context.attrs has {_q(a)}"


def _get(a: str) -> str:
    return f"context.attrs[{_q(a)}]"


def _lit(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(int(v))
    return _q(str(v))


class _Compiler:
    def __init__(self, cfg: OrgConfig) -> None:
        self.cfg = cfg
        self.types = cfg.attributes

    def alternatives(self, a: str) -> list[tuple[str, str]]:
        """(guard, value expression) cases for an attribute; derived ones expand from the config."""
        if a == "action":
            return [("true", "context.action")]
        if a == "credential_service":
            return [
                (f"({_has('credential')} && {_get('credential')} == {_q(c)})", _q(spec.service))
                for c, spec in sorted(self.cfg.credentials.items())
            ]
        if a == "tier":
            raise NotImplementedError("rules reading 'tier' are not expressed in Cedar here")
        return [(_has(a), _get(a))]

    def equals(self, a: str, v) -> str:
        spec = self.types.get(a)
        parts = []
        for guard, expr in self.alternatives(a):
            if spec is not None and spec.type == "bool":
                forms = ", ".join([_lit(bool(v))] + [_q(s) for s in BOOL_STRINGS[bool(v)]])
                parts.append(f"({guard} && [{forms}].contains({expr}))")
            else:
                parts.append(f"({guard} && {expr} == {_lit(v)})")
        return "(" + (" || ".join(parts) or "false") + ")"

    def cond(self, c: Condition | None) -> str:
        if c is None:
            return "true"
        if c.all is not None:
            return "(" + " && ".join(self.cond(s) for s in c.all) + ")"
        if c.any is not None:
            return "(" + " || ".join(self.cond(s) for s in c.any) + ")"
        if c.not_ is not None:
            return f"!{self.cond(c.not_)}"
        a = c.attr
        if c.eq is not None:
            return self.equals(a, c.eq)
        if c.ne is not None:
            return f"!{self.equals(a, c.ne)}"
        if c.in_ is not None:
            return "(" + " || ".join(self.equals(a, v) for v in c.in_) + ")"
        if c.not_in is not None:
            return "!(" + " || ".join(self.equals(a, v) for v in c.not_in) + ")"
        if c.exists is not None:
            present = "(" + " || ".join(g for g, _ in self.alternatives(a)) + ")"
            return present if c.exists else f"!{present}"
        b = c.eq_attr or c.ne_attr
        pairs = [
            f"({g1} && {g2} && {e1} == {e2})"
            for g1, e1 in self.alternatives(a)
            for g2, e2 in self.alternatives(b)
        ]
        same = "(" + (" || ".join(pairs) or "false") + ")"
        return same if c.eq_attr is not None else f"!{same}"


def _matches(patterns, subject: str = "context.action") -> str:
    if not patterns:
        return "false"
    if "*" in patterns:
        return "true"
    return "(" + " || ".join(f"{subject} like {_q(p)}" for p in patterns) + ")"


def policies(cfg: OrgConfig) -> str:
    comp = _Compiler(cfg)
    out: list[str] = []

    def add(pid: str, effect: str, head: str, when: str | None = None, unless: str | None = None) -> None:
        text = f"@id({_q(pid)})\n{effect}({head})"
        if when is not None:
            text += f"\nwhen {{ {when} }}"
        if unless is not None:
            text += f"\nunless {{ {unless} }}"
        out.append(text + ";")

    anyone = 'principal, action == Action::"act", resource'
    strings = [a for a, s in sorted(cfg.attributes.items()) if s.type == "str"]
    add(
        "ORG-BASE",
        "permit",
        anyone,
        when=" && ".join([f'(!({_has(a)}) || {_get(a)} like "*")' for a in strings]) or "true",
    )
    add(
        "ORG-UNKNOWN-ACTOR",
        "forbid",
        anyone,
        unless=" || ".join(f"principal in Lane::{_q(lane)}" for lane in sorted(cfg.lanes)) or "false",
    )
    for a, spec in sorted(cfg.attributes.items()):
        if spec.type == "bool":
            ok = ", ".join(["true", "false"] + [_q(s) for s in BOOL_STRINGS[True] + BOOL_STRINGS[False]])
            add(
                f"ORG-BAD-ATTRIBUTE-{a}", "forbid", anyone, when=f"{_has(a)} && !([{ok}].contains({_get(a)}))"
            )
        elif spec.values is not None:
            ok = ", ".join(_q(v) for v in spec.values)
            add(
                f"ORG-BAD-ATTRIBUTE-{a}", "forbid", anyone, when=f"{_has(a)} && !([{ok}].contains({_get(a)}))"
            )
    creds = ", ".join(_q(c) for c in sorted(cfg.credentials))
    add(
        "ORG-CREDENTIAL-UNAVAILABLE",
        "forbid",
        anyone,
        when=f"{_has('credential')} && !([{creds}].contains({_get('credential')}))",
    )
    for r in cfg.rules:
        if r.effect == "deny":
            add(r.spec.id, "forbid", anyone, when=f"{_matches(r.spec.actions)} && {comp.cond(r.spec.when)}")
    for name, lane in sorted(cfg.lanes.items()):
        head = f'principal in Lane::{_q(name)}, action == Action::"act", resource'
        add(f"LANE-{name.upper()}-MAY-NOT", "forbid", head, when=_matches(lane.may_not))
        add(
            f"LANE-{name.upper()}-MAY",
            "forbid",
            head,
            unless=f"{_matches(lane.may)} || {_matches(lane.may_not)}",
        )
    approved = []
    for a in sorted(cfg.actors.values(), key=lambda x: x.id):
        if not a.is_human:
            continue
        lane = cfg.lanes[a.lane]
        may = f"{_matches(lane.may, _q('approve'))} && !{_matches(lane.may_not, _q('approve'))}"
        who = f"Actor::{_q(a.id)}"
        approved.append(
            f"(context.approvals.contains({who}) && principal != {who} && "
            f"!context.authors.contains({who}) && {may})"
        )
    for r in cfg.rules:
        if r.effect == "needs_approval":
            add(
                r.spec.id,
                "forbid",
                anyone,
                when=f"{_matches(r.spec.actions)} && {comp.cond(r.spec.when)}",
                unless=" || ".join(approved) or "false",
            )
    return "\n\n".join(out)


def entities(cfg: OrgConfig) -> list[dict]:
    out = [{"uid": {"type": "Lane", "id": name}, "attrs": {}, "parents": []} for name in sorted(cfg.lanes)]
    out += [
        {"uid": {"type": "Actor", "id": a.id}, "attrs": {}, "parents": [{"type": "Lane", "id": a.lane}]}
        for a in sorted(cfg.actors.values(), key=lambda x: x.id)
    ]
    return out


def request(actor: str, action: str, attrs: dict, approvals=(), authors=()) -> dict:
    def ref(i: str) -> dict:
        return {"__entity": {"type": "Actor", "id": i}}

    return {
        "principal": {"type": "Actor", "id": actor},
        "action": {"type": "Action", "id": "act"},
        "resource": {"type": "Resource", "id": "r"},
        "context": {
            "action": action,
            "attrs": {k: v for k, v in attrs.items() if v is not None},
            "approvals": [ref(a) for a in approvals],
            "authors": [ref(a) for a in authors],
        },
    }


def outcome(result, consequential: set[str]) -> tuple[str, set[str]]:
    """(allow | deny | needs_approval, the @ids of the policies that decided it). ORG-BASE is the first
    policy (policy0); when it errors, a declared string attribute was not a string: ORG-BAD-ATTRIBUTE."""
    ids = set(result.diagnostics.id_annotations_by_reason.values())
    if any("`policy0`" in e for e in result.diagnostics.errors):
        return "deny", ids | {"ORG-BAD-ATTRIBUTE-type"}
    if result.allowed:
        return "allow", ids
    if ids and ids <= consequential:
        return "needs_approval", ids
    return "deny", ids


# ---- a realistic random request mix (the differential test and tests/bench/bench_decide.py) ----


def _expand(patterns) -> list[str]:
    out = []
    for p in patterns:
        out.append(p)  # the pattern itself, taken literally as an action name
        out += (
            [p.replace("*", tail) for tail in ("production", "staging", "x", "", "a.b")] if "*" in p else []
        )
    return sorted(set(out))


UNKNOWN_ACTIONS = [
    "foo.bar",
    "approve",
    "deploy",
    "host.config",
    "hostconfig.push",
    "",
    "*",
    "secret",
    "db.migrate",
]


def _values(cfg) -> tuple[dict[str, list], dict[str, list]]:
    """(plausible values, junk values) per declared attribute."""
    services = sorted({c.service for c in cfg.credentials.values()})
    good: dict[str, list] = {}
    junk: dict[str, list] = {}
    for name, spec in cfg.attributes.items():
        if spec.type == "bool":
            good[name] = [True, False, "true", "yes", "no", "false", "True", "NO"]
            junk[name] = ["maybe", 1, 0, "", None]
        elif spec.values is not None:
            good[name] = list(spec.values)
            junk[name] = ["prod", "PRODUCTION", "", 3, True, None]
        else:
            good[name] = services + ["aws"]
            junk[name] = ["", "x y", 7, False, None]
    good["credential"], junk["credential"] = sorted(cfg.credentials), ["aws-root", "", 5, None]
    good["service"], junk["service"] = services + ["aws"], ["", None, "Github"]
    return good, junk


def request_mix(cfg: OrgConfig, n: int, seed: int):
    """A realistic mix: mostly known actors doing what their lane may (and may not) do, with plausible
    attributes; some junk values, unknown actors and actions, approvals by anyone."""
    rnd = random.Random(seed)
    actors = sorted(cfg.actors)
    everything = (
        _expand(
            {p for lane in cfg.lanes.values() for p in lane.may + lane.may_not}
            | {p for r in cfg.rules for p in r.spec.actions}
        )
        + UNKNOWN_ACTIONS
    )
    good, junk = _values(cfg)
    extra = {
        "ticket": ["T-1"],
        "actor": ["alice", "sec-gemini"],
        "lane": ["security"],
        "tier": ["low", "high"],
        "credential_service": ["github", "jira"],
        "action": ["code.read"],
        "note": [None, "x"],
    }
    for _ in range(n):
        actor = rnd.choice(actors) if rnd.random() < 0.92 else rnd.choice(["ghost", "root", ""])
        lane = cfg.lanes.get(cfg.actors[actor].lane) if actor in cfg.actors else None
        r = rnd.random()
        if lane is not None and r < 0.55:
            action = rnd.choice(_expand(lane.may))
        elif lane is not None and lane.may_not and r < 0.7:
            action = rnd.choice(_expand(lane.may_not))
        else:
            action = rnd.choice(everything)
        attrs = {}
        for k in good:  # mostly stated: a fact a rule reads left out is read at its worst (ADR 0168, 0220)
            if rnd.random() < 0.8:
                attrs[k] = rnd.choice(junk[k]) if rnd.random() < 0.06 else rnd.choice(good[k])
        if "credential" in attrs and attrs["credential"] in cfg.credentials and rnd.random() < 0.6:
            attrs["service"] = cfg.credentials[attrs["credential"]].service  # mostly used for its own service
        attrs.update({k: rnd.choice(v) for k, v in extra.items() if rnd.random() < 0.05})
        pool = actors + ["ghost"]
        approvals = rnd.sample(pool, rnd.choice([0, 0, 1, 1, 2]))
        authors = rnd.sample(pool, rnd.choice([0, 0, 1, 2]))
        if approvals and rnd.random() < 0.3:
            authors.append(approvals[0])  # an author approving their own work must not count
        if approvals and rnd.random() < 0.1:
            actor = approvals[0]  # nor an actor approving their own action
        yield actor, action, attrs, approvals, authors
