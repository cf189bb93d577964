"""Cross-file checks of a loaded org: references resolve, conditions are statically sound, no exemptions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from org.config.actions import action_matches, lane_refusal
from org.config.models import Condition, Workflow, canonical_text
from org.config.suggest import did_you_mean
from org.errors import Problem

if TYPE_CHECKING:
    from org.config.loader import OrgConfig
    from org.config.yamlsrc import Located

__all__ = ["cross_check", "IDENTITY_ATTRIBUTES", "DERIVED_ATTRIBUTES", "who_acts", "restrictive_reads"]

# Rules may not depend on who acts: that would be an exemption (DESIGN invariant 1).
IDENTITY_ATTRIBUTES = frozenset(
    {
        "actor",
        "lane",
        "principal",
        "member",
        "family",
        "model",
        "role",
        "actor_id",
        "lane_id",
        "by",
        "user",
        "author",
        "authors",
        "approver",
        "approvals",
    }
)
# Attributes the engine derives; they may be read by rules but never set by a request.
DERIVED_ATTRIBUTES = frozenset({"action", "credential_service", "tier"})


# Words that name or describe who acts: an attribute built on one would let a rule tell people apart.
_WHO_WORDS = frozenset(
    {
        "actor",
        "actors",
        "lane",
        "lanes",
        "team",
        "teams",
        "role",
        "roles",
        "user",
        "users",
        "username",
        "principal",
        "member",
        "members",
        "author",
        "authors",
        "approver",
        "approvers",
        "requester",
        "requestor",
        "requested",
        "owner",
        "owners",
        "department",
        "dept",
        "group",
        "groups",
        "squad",
        "org_unit",
        "unit",
        "person",
        "people",
        "employee",
        "staff",
        "identity",
        "who",
        "whom",
        "human",
        "humans",
        "agent",
        "agents",
        "operator",
        "email",
        "login",
        "account",
        "family",
        "model",
        "vendor",
        "by",
        "caller",
        "submitter",
        "filer",
        "issuer",
    }
)
_WORD = re.compile(r"[a-z]+")


def who_acts(name: str, description: str | None) -> str | None:
    """The word that makes an attribute name or describe who acts (None: it does not)."""
    if name in IDENTITY_ATTRIBUTES:
        return name
    for w in _WORD.findall(name.lower()):
        if w in _WHO_WORDS:
            return str(w)
    for w in _WORD.findall((description or "").lower()):
        if w in _WHO_WORDS - {"by", "model", "operator", "account", "unit"}:
            return str(w)
    return None


def _split(source: str) -> tuple[str, int]:
    f, _, line = source.rpartition(":")
    return f, int(line) if line.isdigit() else 0


class _Where:
    """Lines of one YAML document, with a fallback when the document is not at hand."""

    def __init__(self, docs: dict[str, Located], file: str, fallback: int) -> None:
        self.doc, self.file, self.fallback = docs.get(file), file, fallback

    def line(self, *path: object) -> int:
        return self.doc.line(path) if self.doc is not None else self.fallback


def _walk(cond: Condition, path: tuple[Any, ...]) -> Iterator[tuple[Condition, tuple[Any, ...]]]:
    """Yield (condition, yaml path) for a condition and every condition inside it."""
    yield cond, path
    for key in ("all", "any"):
        for i, sub in enumerate(getattr(cond, key) or []):
            yield from _walk(sub, path + (key, i))
    if cond.not_ is not None:
        yield from _walk(cond.not_, path + ("not",))


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def _cond_problems(
    cond: Condition, cfg: OrgConfig, where: _Where, path: tuple[Any, ...], check_attrs: bool
) -> list[Problem]:
    out: list[Problem] = []
    known = sorted(set(cfg.attributes) | DERIVED_ATTRIBUTES)
    for c, p in _walk(cond, path):
        for key, attr in (("attr", c.attr), ("eq_attr", c.eq_attr), ("ne_attr", c.ne_attr)):
            if attr is None:
                continue
            line = where.line(*p, key)
            if attr in IDENTITY_ATTRIBUTES or attr.startswith(("actor.", "lane.", "principal.")):
                out.append(
                    Problem(
                        where.file,
                        line,
                        _dotted(p + (key,)),
                        f"condition reads '{attr}': rules cannot depend on who acts "
                        "(that would exempt someone; DESIGN invariant 1, docs/DESIGN.md)",
                    )
                )
            elif (
                check_attrs
                and cfg.attributes
                and attr not in cfg.attributes
                and attr not in DERIVED_ATTRIBUTES
            ):
                out.append(
                    Problem(
                        where.file,
                        line,
                        _dotted(p + (key,)),
                        f"unknown attribute '{attr}'{did_you_mean(attr, known)} (declared: {', '.join(known)})",
                    )
                )
        if check_attrs:
            out += _value_problems(c, cfg, where, p)
    return out


def _value_problems(c: Condition, cfg: OrgConfig, where: _Where, path: tuple[Any, ...]) -> list[Problem]:
    if not c.attr or c.attr not in cfg.attributes:
        return []
    out: list[Problem] = []
    spec = cfg.attributes[c.attr]
    tests = (
        [("eq", c.eq), ("ne", c.ne)]
        + [(("in", i), v) for i, v in enumerate(c.in_ or [])]
        + [(("not_in", i), v) for i, v in enumerate(c.not_in or [])]
    )
    for key, v in tests:
        if v is None:
            continue
        sub = key if isinstance(key, tuple) else (key,)
        line, p = where.line(*path, *sub), _dotted(path + sub)
        if spec.type == "bool" and not isinstance(v, bool):
            out.append(Problem(where.file, line, p, f"'{c.attr}' is a bool; compare with true or false"))
        elif spec.type in ("int", "float") and (
            isinstance(v, bool)
            or not isinstance(v, (int, float))
            or (spec.type == "int" and not float(v).is_integer())
        ):
            out.append(
                Problem(
                    where.file,
                    line,
                    p,
                    f"'{c.attr}' is a{'n' if spec.type == 'int' else ''} {spec.type}; '{v}' is not",
                )
            )
        elif spec.type == "str" and not isinstance(v, str):
            out.append(
                Problem(where.file, line, p, f"'{c.attr}' is a string; quote '{v}' if it is meant as one")
            )
        elif spec.values is not None and str(v) not in spec.values:
            out.append(
                Problem(where.file, line, p, f"'{v}' is not a value of '{c.attr}' ({', '.join(spec.values)})")
            )
    return out


def cross_check(
    cfg: OrgConfig, docs: dict[str, Located], skip: set[str] | frozenset[str] = frozenset()
) -> list[Problem]:
    """Problems across files. `skip` names kinds of files that failed to load (lanes, rules, ...):
    references into them are not reported, since they would only echo the first problem."""
    problems: list[Problem] = []
    tiers = [t.id for t in cfg.risk.tiers]
    tier_list = ", ".join(tiers)
    rf, rline = _split(cfg.sources.get("risk:default", "gates/risk.yaml:1"))
    risk = _Where(docs, rf, rline)
    seen: set[str] = set()
    for i, t in enumerate(cfg.risk.tiers):
        if t.id in seen:
            problems.append(
                Problem(
                    rf,
                    risk.line("risk", "tiers", i, "id"),
                    f"risk.tiers.{i}.id",
                    f"tier '{t.id}' is defined twice",
                )
            )
        seen.add(t.id)
    if cfg.risk.default not in tiers:
        problems.append(
            Problem(
                rf,
                rline,
                "risk.default",
                f"unknown tier '{cfg.risk.default}'{did_you_mean(cfg.risk.default, tiers)} (tiers: {tier_list})",
            )
        )
    check_attrs = "rules" not in skip
    for i, c in enumerate(cfg.risk.classify):
        if c.tier not in tiers:
            problems.append(
                Problem(
                    rf,
                    risk.line("risk", "classify", i, "tier"),
                    f"risk.classify.{i}.tier",
                    f"unknown tier '{c.tier}'{did_you_mean(c.tier, tiers)} (tiers: {tier_list})",
                )
            )
        problems += _cond_problems(c.when, cfg, risk, ("risk", "classify", i, "when"), check_attrs)
        for sub, p in _walk(c.when, ("risk", "classify", i, "when")):
            for key in ("attr", "eq_attr", "ne_attr"):
                if getattr(sub, key) == "tier":
                    problems.append(
                        Problem(
                            rf,
                            risk.line(*p, key),
                            _dotted(p + (key,)),
                            "classification cannot read 'tier': it is what classification decides",
                        )
                    )

    problems += _fact_problems(cfg, docs, check_attrs)
    for r in cfg.rules:
        f, line = _split(r.source)
        if r.spec.when is not None:
            problems += _cond_problems(
                r.spec.when, cfg, _Where(docs, f, line), tuple(r.path) + ("when",), check_attrs
            )

    for name, lane in cfg.lanes.items():
        f, line = _split(cfg.sources[f"lane:{name}"])
        where = _Where(docs, f, line)
        for i, pat in enumerate(lane.may_not):
            if pat in lane.may:
                problems.append(
                    Problem(
                        f,
                        where.line("may_not", i),
                        f"may_not.{i}",
                        f"'{pat}' is both allowed (may) and forbidden (may_not)",
                    )
                )

    for wname, wf in cfg.workflows.items():
        wf_file, wf_line = _split(cfg.sources[f"workflow:{wname}"])
        where = _Where(docs, wf_file, wf_line)
        terminals = [g for g, spec in wf.gates.items() if spec.kind == "terminal"]
        if len(terminals) != 1:
            problems.append(
                Problem(
                    wf_file,
                    where.line("gates"),
                    "gates",
                    f"a workflow needs exactly one terminal gate, found {len(terminals)}"
                    + (f" ({', '.join(terminals)})" if terminals else ""),
                )
            )
        for gname, g in wf.gates.items():
            path = f"gates.{gname}"
            if g.lane and g.lane not in cfg.lanes and "lanes" not in skip and f"lane:{g.lane}" not in skip:
                problems.append(
                    Problem(
                        wf_file,
                        where.line("gates", gname, "lane"),
                        f"{path}.lane",
                        f"unknown lane '{g.lane}'{did_you_mean(g.lane, cfg.lanes)} (lanes: {', '.join(sorted(cfg.lanes))})",
                    )
                )
            for i, dep in enumerate(g.after):
                if dep not in wf.gates:
                    problems.append(
                        Problem(
                            wf_file,
                            where.line("gates", gname, "after", i),
                            f"{path}.after.{i}",
                            f"unknown gate '{dep}'{did_you_mean(dep, wf.gates)} (gates: {', '.join(wf.gates)})",
                        )
                    )
                elif dep == gname:
                    problems.append(
                        Problem(
                            wf_file,
                            where.line("gates", gname, "after", i),
                            f"{path}.after.{i}",
                            "a gate cannot come after itself",
                        )
                    )
            for i, tier in enumerate(g.tiers or []):
                if tier not in tiers:
                    problems.append(
                        Problem(
                            wf_file,
                            where.line("gates", gname, "tiers", i),
                            f"{path}.tiers.{i}",
                            f"unknown tier '{tier}'{did_you_mean(tier, tiers)} (tiers: {tier_list})",
                        )
                    )
            if g.on_fail is not None:
                target = wf.gates.get(g.on_fail)
                line = where.line("gates", gname, "on_fail")
                if target is None:
                    problems.append(
                        Problem(
                            wf_file,
                            line,
                            f"{path}.on_fail",
                            f"unknown gate '{g.on_fail}'{did_you_mean(g.on_fail, wf.gates)}",
                        )
                    )
                elif target.kind != "work":
                    problems.append(
                        Problem(
                            wf_file,
                            line,
                            f"{path}.on_fail",
                            f"'{g.on_fail}' is a {target.kind} gate; rework goes to a work gate",
                        )
                    )
            if g.kind == "approval" and g.lane in cfg.lanes and cfg.lanes[g.lane].kind != "human":
                problems.append(
                    Problem(
                        wf_file,
                        where.line("gates", gname, "lane"),
                        f"{path}.lane",
                        f"approval gates are held by human lanes; '{g.lane}' is an agent lane",
                    )
                )
            problems += _gate_action_problems(cfg, wf, gname, where, wf_file, path, skip)
    return problems


def _gate_action_problems(
    cfg: OrgConfig,
    wf: Workflow,
    gname: str,
    where: _Where,
    wf_file: str,
    path: str,
    skip: set[str] | frozenset[str],
) -> list[Problem]:
    """A gate's kind implies the action its holder takes (ADR 0070): the holder's lane must may it, no
    unconditional RED rule may forbid it, and a gate that carries out a plan names an earlier work gate."""
    g = wf.gates[gname]
    out: list[Problem] = []
    if g.carries_out is not None:
        target = wf.gates.get(g.carries_out)
        line = where.line("gates", gname, "carries_out")
        if (
            target is None
            or target.kind != "work"
            or target.carries_out is not None
            or g.carries_out == gname
        ):
            out.append(
                Problem(
                    wf_file,
                    line,
                    f"{path}.carries_out",
                    f"'{g.carries_out}' is not a work gate that plans (carries_out names an earlier "
                    "work gate whose approved plan this gate carries out)",
                )
            )
        elif g.carries_out not in _before(wf, gname):
            out.append(
                Problem(
                    wf_file,
                    line,
                    f"{path}.carries_out",
                    f"'{g.carries_out}' does not come before '{gname}'; a plan is carried out after it is made",
                )
            )
    action = g.implied_action
    lane = cfg.lanes.get(g.lane or "")
    if action is None or lane is None or "lanes" in skip or f"lane:{g.lane}" in skip:
        return out
    key = "action" if g.kind == "work" and g.action is not None else "lane"
    line = where.line("gates", gname, key)
    why = lane_refusal(lane, action)
    if why is not None:
        lane_src = (
            cfg.source(f"lane:{g.lane}:may_not:{why[1]}")
            if why[0] == "may_not"
            else cfg.source(f"lane:{g.lane}:may")
        )
        out.append(
            Problem(
                wf_file,
                line,
                f"{path}.{key}",
                f"the {g.lane} lane holds this {g.kind} gate, which makes it take '{action}', but "
                + (
                    f"its may_not ({lane_src}) forbids it"
                    if why[0] == "may_not"
                    else f"'{action}' is not in its may ({lane_src})"
                )
                + (
                    " (declare the work gate's action, e.g. action: code.write)"
                    if g.kind == "work" and g.action is None
                    else ""
                ),
            )
        )
    for r in cfg.rules:
        if r.effect == "deny" and r.spec.when is None and action_matches(r.spec.actions, action):
            out.append(
                Problem(
                    wf_file,
                    line,
                    f"{path}.{key}",
                    f"this {g.kind} gate makes the {g.lane} lane take '{action}', which {r.spec.id} "
                    f"({r.source}) denies to everyone",
                )
            )
    return out


def _before(wf: Workflow, gate: str) -> set[str]:
    """Every gate that comes before `gate` by its 'after' links."""
    seen: set[str] = set()
    todo = list(wf.gates[gate].after)
    while todo:
        g = todo.pop()
        if g in seen or g not in wf.gates:
            continue
        seen.add(g)
        todo += wf.gates[g].after
    return seen


def restrictive_reads(cfg: OrgConfig) -> set[str]:
    """Every attribute a RED, consequential or risk rule reads."""
    out: set[str] = set()
    for r in cfg.rules:
        if r.spec.when is not None:
            out |= r.spec.when.attributes()
    for c in cfg.risk.classify:
        out |= c.when.attributes()
    return out


def _fact_problems(cfg: OrgConfig, docs: dict[str, Located], check_attrs: bool) -> list[Problem]:
    """Who states which fact (ADR 0071): no declared attribute names or describes who acts; an attribute an acting
    agent may state is read by no restrictive rule; what actions and workflows require and imply is declared."""
    out: list[Problem] = []
    if not check_attrs:
        return out
    reads = restrictive_reads(cfg)
    for name, spec in cfg.attributes.items():
        f, line = _split(cfg.source(f"attr:{name}"))
        word = who_acts(name, spec.description)
        if word is not None:
            out.append(
                Problem(
                    f,
                    line,
                    f"attributes.{name}",
                    f"'{name}' names or describes who acts ('{word}'): rules read what is done, never who "
                    "does it (that would exempt someone; DESIGN invariant 1)",
                )
            )
        if spec.source == "action" and name in reads:
            out.append(
                Problem(
                    f,
                    line,
                    f"attributes.{name}.source",
                    f"'{name}' is read by a RED, consequential or risk rule, so an acting agent may not "
                    "state it (source: task or org)",
                )
            )
    known = set(cfg.attributes)
    for i, (af, src) in enumerate(cfg.action_facts):
        f, line = _split(src)
        for k in [*af.requires, *af.implies]:
            if k not in known:
                out.append(
                    Problem(
                        f,
                        line,
                        f"actions.{i}",
                        f"unknown attribute '{k}' (declared: {', '.join(sorted(known))})",
                    )
                )
        for k, v in af.implies.items():
            spec = cfg.attributes.get(k)
            if (
                v is not None
                and spec is not None
                and spec.values is not None
                and str(v).casefold() not in spec.values
            ):
                out.append(Problem(f, line, f"actions.{i}.implies.{k}", f"'{v}' is not a value of '{k}'"))
    for wname, wf in cfg.workflows.items():
        f, line = _split(cfg.sources.get(f"workflow:{wname}", ""))
        where = _Where(docs, f, line)
        for j, k in enumerate(wf.requires):
            if k not in known:
                out.append(
                    Problem(
                        f,
                        where.line("requires", j),
                        f"requires.{j}",
                        f"unknown attribute '{k}' (declared: {', '.join(sorted(known))})",
                    )
                )
        for k, v in wf.implies.items():
            spec = cfg.attributes.get(k)
            if spec is None:
                why = f"unknown attribute '{k}' (declared: {', '.join(sorted(known))})"
            elif v is None and spec.source != "org":
                continue  # null: the workflow's tasks have no such fact (ADR 0275)
            elif v is not None and (
                (spec.type == "bool") != isinstance(v, bool)
                or (spec.values is not None and canonical_text(str(v), spec.casefold) not in spec.values)
            ):
                why = f"'{v}' is not a value of '{k}' ({spec.type}"
                why += f": {', '.join(spec.values)})" if spec.values is not None else ")"
            elif spec.source == "org":
                why = f"'{k}' is derived by org (source: org), never implied"
            else:
                continue
            out.append(Problem(f, where.line("implies", k), f"implies.{k}", why))
    return out
