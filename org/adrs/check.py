"""The ADR checks: `validate_adrs` for `org validate`, and the constraint check gates run at eligibility.

    validate_adrs(root, cfg) -> [Problem]         every problem as FILE:LINE (org validate exits 2)
    make_extra_check(root) -> AdrCheck | None     an ExtraCheck for org.engine.flow check gates
    adrs_relied_on(root, state) -> [int]          the accepted ADRs a check of this task relied on

A check binds only accepted ADRs. Superseding an ADR hands its authority to the successor, so the
check reads the ADRs as they are when it runs (deliberately not pinned at task start: reopening a
settled question takes a superseding ADR, and that must take effect). Which ADRs a decision relied
on is recorded as `ADR-NNNN` in the violation's rule, and by `adrs_relied_on` for passing checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from org.adrs.constraints import contradicts, describe, facts
from org.adrs.links import link_problems
from org.adrs.model import Adr, Constraint, adr_id, adr_label
from org.adrs.parse import AdrSet, adr_files, load_adrs
from org.config.models import Condition
from org.config.suggest import did_you_mean
from org.engine import rule_ids
from org.engine.conditions import Predicate, compile_condition, norm
from org.engine.flow import Violation
from org.errors import Problem

if TYPE_CHECKING:
    from org.config.loader import OrgConfig
    from org.engine.state import TaskState

__all__ = [
    "validate_adrs",
    "adr_problems",
    "make_extra_check",
    "AdrCheck",
    "BoundConstraint",
    "adrs_relied_on",
    "task_attributes",
]


def validate_adrs(root: Path, cfg: OrgConfig | None) -> list[Problem]:
    """Every ADR problem under `root`, and every rule or gate citing an ADR that is not there."""
    adrs = load_adrs(root)
    return sorted(set(adr_problems(adrs, cfg) + _citation_problems(adrs, cfg)))


def adr_problems(adrs: AdrSet, cfg: OrgConfig | None) -> list[Problem]:
    """Problems of the ADRs themselves: files, links, references of accepted ADRs, contradictions."""
    out = list(adrs.problems) + link_problems(adrs)
    sound: list[tuple[Adr, int, Constraint]] = []
    for a in adrs.binding():
        out += _reference_problems(a, cfg)
        for i, c in enumerate(a.meta.constraints):
            probs = _condition_problems(a, i, c, cfg)
            out += probs
            if not probs:
                sound.append((a, i, c))
    out += _contradictions(sound, cfg)
    return out


def _atoms(c: Condition, path: tuple) -> Iterator[tuple[Condition, tuple]]:
    if c.attr is not None:
        yield c, path
    for key, subs in (("all", c.all), ("any", c.any)):
        for i, sub in enumerate(subs or []):
            yield from _atoms(sub, (*path, key, i))
    if c.not_ is not None:
        yield from _atoms(c.not_, (*path, "not"))


def _condition_problems(a: Adr, i: int, c: Constraint, cfg: OrgConfig | None) -> list[Problem]:
    """The checks rules get: declared attributes and values only, and never who does the work."""
    if cfg is None:
        return []
    from org.config.checks import DERIVED_ATTRIBUTES, IDENTITY_ATTRIBUTES

    out: list[Problem] = []
    for part in ("when", "require"):
        cond = getattr(c, part)
        for atom, path in _atoms(cond, ("constraints", i, part)) if cond is not None else ():
            line, dotted = a.line(*path), ".".join(str(x) for x in path)
            if atom.attr is None:
                continue
            for name in [atom.attr, *(x for x in (atom.eq_attr, atom.ne_attr) if x)]:
                if name in IDENTITY_ATTRIBUTES or name.startswith(("actor.", "lane.")):
                    out.append(
                        Problem(
                            a.rel,
                            line,
                            dotted,
                            f"condition reads '{name}': constraints cannot depend on "
                            "who does the work (that would exempt someone)",
                        )
                    )
                elif cfg.attributes and name not in cfg.attributes and name not in DERIVED_ATTRIBUTES:
                    known = ", ".join(sorted(set(cfg.attributes) | set(DERIVED_ATTRIBUTES)))
                    out.append(
                        Problem(
                            a.rel,
                            line,
                            dotted,
                            f"unknown attribute '{name}'{did_you_mean(name, known.split(', '))} (declared: {known})",
                        )
                    )
            spec = cfg.attributes.get(atom.attr)
            if spec is None:
                continue
            for v in (
                [x for x in (atom.eq, atom.ne) if x is not None]
                + list(atom.in_ or [])
                + list(atom.not_in or [])
            ):
                if spec.type == "bool" and not isinstance(v, bool):
                    out.append(
                        Problem(a.rel, line, dotted, f"'{atom.attr}' is a bool; compare with true or false")
                    )
                elif spec.values is not None and str(v) not in spec.values:
                    out.append(
                        Problem(
                            a.rel,
                            line,
                            dotted,
                            f"'{v}' is not a value of '{atom.attr}' ({', '.join(spec.values)})",
                        )
                    )
    return out


def _reference_problems(a: Adr, cfg: OrgConfig | None) -> list[Problem]:
    if cfg is None:
        return []
    out: list[Problem] = []
    rule_ids = {r.spec.id for r in cfg.rules}
    gate_ids = {f"{w}.{g}" for w, wf in cfg.workflows.items() for g in wf.gates}
    for i, r in enumerate(a.meta.rules):
        if r not in rule_ids:
            out.append(
                Problem(
                    a.rel,
                    a.line("rules", i),
                    f"rules.{i}",
                    f"unknown rule '{r}'{did_you_mean(r, rule_ids)} (not in gates/)",
                )
            )
    for i, g in enumerate(a.meta.gates):
        if g not in gate_ids:
            out.append(
                Problem(
                    a.rel,
                    a.line("gates", i),
                    f"gates.{i}",
                    f"unknown gate '{g}'{did_you_mean(g, gate_ids)} (write workflow.gate)",
                )
            )
    for i, c in enumerate(a.meta.constraints):
        if c.rule and c.rule not in rule_ids:
            out.append(
                Problem(
                    a.rel,
                    a.line("constraints", i, "rule"),
                    f"constraints.{i}.rule",
                    f"unknown rule '{c.rule}'{did_you_mean(c.rule, rule_ids)} (not in gates/)",
                )
            )
    return out


def _contradictions(sound: list[tuple[Adr, int, Constraint]], cfg: OrgConfig | None) -> list[Problem]:
    declared: Mapping[str, Any] = cfg.attributes if cfg is not None else {}
    out: list[Problem] = []
    for x in range(len(sound)):
        a1, i1, c1 = sound[x]
        for y in range(x + 1, len(sound)):
            a2, i2, c2 = sound[y]
            if contradicts(c1.when, c1.require, c2.when, c2.require, declared):
                scope = (
                    describe(c1.when)
                    if c1.when == c2.when
                    else f"{describe(c1.when)} and {describe(c2.when)}"
                )
                other = "this ADR's" if a1.number == a2.number else f"{adr_label(a1.number)}'s"
                out.append(
                    Problem(
                        a2.rel,
                        a2.line("constraints", i2),
                        f"constraints.{i2}",
                        f"contradicts {other} constraint '{c1.id}' ({a1.where('constraints', i1)}): work where {scope} "
                        f"cannot satisfy both '{describe(c1.require)}' and '{describe(c2.require)}'; "
                        f"reopen the question with an ADR that supersedes {adr_label(a1.number)}",
                    )
                )
    return out


def _split(source: str) -> tuple[str, int]:
    f, _, line = source.rpartition(":")
    return (f, int(line)) if line.isdigit() else (source, 0)


def _citation_problems(adrs: AdrSet, cfg: OrgConfig | None) -> list[Problem]:
    """gates/rules.yaml `adr:` and gates/*.yaml `adrs:` must name ADRs that exist and were not rejected."""
    if cfg is None:
        return []
    from org.config.yamlsrc import load_yaml

    docs: dict[str, Any] = {}

    def doc_of(rel: str) -> Any:
        if rel not in docs:
            docs[rel], _ = load_yaml(Path(cfg.root) / rel, rel)
        return docs[rel]

    def rule_line(rel: str, section: str, rule_id: str, fallback: int) -> int:
        doc = doc_of(rel)
        items = doc.data.get(section) if doc is not None and isinstance(doc.data, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and item.get("id") == rule_id:
                return doc.line((section, i, "adr"))
        return fallback

    def gate_line(rel: str, path: tuple, fallback: int) -> int:
        doc = doc_of(rel)
        return doc.lines.get(path, fallback) if doc is not None else fallback

    def why_not(n: int) -> str | None:
        if n in adrs.broken:
            return None  # the file exists; its own problems are reported
        a = adrs.get(n)
        if a is None:
            return f"{adr_label(n)}, which does not exist (no adrs/{n:04d}-*.md)"
        if a.status == "rejected":
            return f"{adr_label(n)}, which was rejected ({a.rel})"
        return None

    out: list[Problem] = []
    for r in cfg.rules:
        if r.spec.adr is None:
            continue
        why = why_not(r.spec.adr)
        if why:
            f, line = _split(r.source)
            section = "red" if r.effect == "deny" else "consequential"
            out.append(Problem(f, rule_line(f, section, r.spec.id, line), f"{r.spec.id}.adr", f"cites {why}"))
    for w, wf in cfg.workflows.items():
        for g, spec in wf.gates.items():
            for i, n in enumerate(spec.adrs):
                why = why_not(n)
                if why:
                    f, line = _split(cfg.source(f"gate:{w}.{g}"))
                    out.append(
                        Problem(
                            f,
                            gate_line(f, ("gates", g, "adrs", i), line),
                            f"gates.{g}.adrs.{i}",
                            f"cites {why}",
                        )
                    )
    return out


@dataclass(frozen=True)
class BoundConstraint:
    """An accepted ADR's constraint, compiled: work matching `when` must satisfy `require`."""

    adr: int
    title: str
    constraint: Constraint
    source: str  # file:line of the constraint
    when: Predicate
    require: Predicate

    def violation(self, attrs: Mapping[str, Any]) -> Violation:
        c = self.constraint
        reason = (
            f"contradicts {adr_label(self.adr)} '{self.title}': {c.text} "
            f"(constraint {c.id}: where {describe(c.when)}, requires {describe(c.require)}; "
            f"this task has {facts([c.when, c.require], attrs)})"
        )
        if c.rule:
            reason += f"; enforced by {c.rule}"
        return Violation(adr_id(self.adr), reason, self.source)


def task_attributes(state: TaskState) -> dict[str, Any]:
    """The attributes a constraint reads: the task's own (normalised as rules see them) and its tier."""
    attrs = {k: norm(v) for k, v in state.attributes.items()}
    attrs.setdefault("tier", state.tier)
    return attrs


class AdrCheck:
    """The ADR check for check gates: (cfg, state, gate) -> [Violation]. Pure once built: it holds a
    snapshot of the accepted ADRs' compiled constraints and reads no files when called."""

    def __init__(self, adrs: AdrSet) -> None:
        self.adrs = {a.number: (a.title, a.status) for a in adrs.sorted()}
        self.constraints: tuple[BoundConstraint, ...] = tuple(
            BoundConstraint(
                a.number,
                a.title,
                c,
                a.where("constraints", i),
                compile_condition(c.when),
                compile_condition(c.require),
            )
            for a in adrs.binding()
            for i, c in enumerate(a.meta.constraints)
        )
        # An ADR file that does not parse may hold a binding constraint: fail closed until it is fixed.
        self.unreadable: tuple[Violation, ...] = tuple(
            Violation(
                rule_ids.ADR_UNREADABLE,
                f"{rel} does not parse, so the decisions it holds cannot be checked (run org validate)",
                f"{rel}:1",
            )
            for _, rel in sorted(adrs.broken.items())
        )

    def __call__(self, cfg: OrgConfig, state: TaskState, gate: str) -> list[Violation]:
        return self.check(task_attributes(state))

    def check(self, attrs: Mapping[str, Any]) -> list[Violation]:
        """Violations of accepted ADR constraints by work with these attributes."""
        attrs = {k: norm(v) for k, v in attrs.items()}
        out = list(self.unreadable)
        out += [b.violation(attrs) for b in self.constraints if b.when(attrs) and not b.require(attrs)]
        return out

    def applicable(self, attrs: Mapping[str, Any]) -> list[int]:
        """Accepted ADRs with a constraint whose scope covers this work (what a decision relies on)."""
        attrs = {k: norm(v) for k, v in attrs.items()}
        return sorted({b.adr for b in self.constraints if b.when(attrs)})

    def relied_on(self, state: TaskState) -> list[int]:
        return self.applicable(task_attributes(state))


def make_extra_check(root: Path) -> AdrCheck | None:
    """The ADR check for org.engine.flow (start_task/submit/resume extra_check), or None when the org
    has no ADR files. Reads the ADRs now; the returned callable does no I/O."""
    root = Path(root)
    if not adr_files(root):
        return None
    return AdrCheck(load_adrs(root))


def adrs_relied_on(cfg_root: Path, state: TaskState) -> list[int]:
    """ADR numbers whose accepted constraints applied to this task's check (for the bus to record)."""
    check = make_extra_check(cfg_root)
    return check.relied_on(state) if check is not None else []
