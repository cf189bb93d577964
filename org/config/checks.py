"""Cross-file checks of a loaded org: references resolve, conditions are statically sound, no exemptions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from org.config.models import Condition
from org.errors import Problem

if TYPE_CHECKING:
    from org.config.loader import OrgConfig
    from org.config.yamlsrc import Located

__all__ = ["cross_check", "IDENTITY_ATTRIBUTES", "DERIVED_ATTRIBUTES"]

# Rules may not depend on who acts: that would be an exemption (DESIGN invariant 1).
IDENTITY_ATTRIBUTES = frozenset({"actor", "lane", "principal", "member", "family", "model", "role", "actor_id", "lane_id", "by"})
# Attributes the engine derives; they may be read by rules but never set by a request.
DERIVED_ATTRIBUTES = frozenset({"action", "credential_service", "tier"})


def _split(source: str) -> tuple[str, int]:
    f, _, line = source.rpartition(":")
    return f, int(line) if line.isdigit() else 0


def _cond_problems(cond: Condition, cfg: OrgConfig, file: str, line: int, path: str) -> list[Problem]:
    out: list[Problem] = []
    for attr in sorted(cond.attributes()):
        if attr in IDENTITY_ATTRIBUTES or attr.startswith(("actor.", "lane.")):
            out.append(Problem(file, line, path, f"condition reads '{attr}': rules cannot depend on who acts "
                                                 "(that would exempt someone; DESIGN invariant 1)"))
        elif cfg.attributes and attr not in cfg.attributes and attr not in DERIVED_ATTRIBUTES:
            known = ", ".join(sorted(set(cfg.attributes) | DERIVED_ATTRIBUTES))
            out.append(Problem(file, line, path, f"unknown attribute '{attr}' (declared: {known})"))
    out += _value_problems(cond, cfg, file, line, path)
    return out


def _value_problems(cond: Condition, cfg: OrgConfig, file: str, line: int, path: str) -> list[Problem]:
    out: list[Problem] = []
    if cond.attr and cond.attr in cfg.attributes:
        spec = cfg.attributes[cond.attr]
        values = [v for v in ([cond.eq, cond.ne] + list(cond.in_ or []) + list(cond.not_in or [])) if v is not None]
        for v in values:
            if spec.values is not None and str(v) not in spec.values:
                out.append(Problem(file, line, path, f"'{v}' is not a value of '{cond.attr}' ({', '.join(spec.values)})"))
            if spec.type == "bool" and not isinstance(v, bool):
                out.append(Problem(file, line, path, f"'{cond.attr}' is a bool; compare with true or false"))
    for sub in (cond.all or []) + (cond.any or []) + ([cond.not_] if cond.not_ else []):
        out += _value_problems(sub, cfg, file, line, path)
    return out


def cross_check(cfg: OrgConfig, docs: dict[str, Located]) -> list[Problem]:
    problems: list[Problem] = []
    tiers = [t.id for t in cfg.risk.tiers]
    risk_file, _ = _split(cfg.sources.get("risk:default", "gates/risk.yaml:1"))
    if len(set(tiers)) != len(tiers):
        problems.append(Problem(risk_file, 1, "risk.tiers", "tier ids must be unique"))
    if cfg.risk.default not in tiers:
        f, line = _split(cfg.sources["risk:default"])
        problems.append(Problem(f, line, "risk.default", f"unknown tier '{cfg.risk.default}' (tiers: {', '.join(tiers)})"))
    for i, c in enumerate(cfg.risk.classify):
        f, line = _split(cfg.sources[c.id])
        if c.tier not in tiers:
            problems.append(Problem(f, line, f"risk.classify.{i}.tier", f"unknown tier '{c.tier}' (tiers: {', '.join(tiers)})"))
        problems += _cond_problems(c.when, cfg, f, line, f"risk.classify.{i}.when")

    for r in cfg.rules:
        f, line = _split(r.source)
        if r.spec.when is not None:
            problems += _cond_problems(r.spec.when, cfg, f, line, f"{r.spec.id}.when")

    for name, lane in cfg.lanes.items():
        f, line = _split(cfg.sources[f"lane:{name}"])
        overlap = set(lane.may) & set(lane.may_not)
        if overlap:
            problems.append(Problem(f, line, "may_not", f"actions both allowed and forbidden: {', '.join(sorted(overlap))}"))

    for wname, wf in cfg.workflows.items():
        terminals = [g for g, spec in wf.gates.items() if spec.kind == "terminal"]
        wf_file, wf_line = _split(cfg.sources[f"workflow:{wname}"])
        if len(terminals) != 1:
            problems.append(Problem(wf_file, wf_line, "gates", f"a workflow needs exactly one terminal gate, found {len(terminals)}"))
        for gname, g in wf.gates.items():
            f, line = _split(cfg.sources[f"gate:{wname}.{gname}"])
            path = f"gates.{gname}"
            if g.lane and g.lane not in cfg.lanes:
                problems.append(Problem(f, line, f"{path}.lane", f"unknown lane '{g.lane}' (lanes: {', '.join(sorted(cfg.lanes))})"))
            for dep in g.after:
                if dep not in wf.gates:
                    problems.append(Problem(f, line, f"{path}.after", f"unknown gate '{dep}'"))
                elif dep == gname:
                    problems.append(Problem(f, line, f"{path}.after", "a gate cannot come after itself"))
            for t in g.tiers or []:
                if t not in tiers:
                    problems.append(Problem(f, line, f"{path}.tiers", f"unknown tier '{t}' (tiers: {', '.join(tiers)})"))
            if g.on_fail is not None:
                target = wf.gates.get(g.on_fail)
                if target is None:
                    problems.append(Problem(f, line, f"{path}.on_fail", f"unknown gate '{g.on_fail}'"))
                elif target.kind != "work":
                    problems.append(Problem(f, line, f"{path}.on_fail", f"'{g.on_fail}' is a {target.kind} gate; rework goes to a work gate"))
            if g.kind == "approval" and g.lane in cfg.lanes and cfg.lanes[g.lane].kind != "human":
                problems.append(Problem(f, line, f"{path}.lane", f"approval gates are held by human lanes; '{g.lane}' is an agent lane"))
    return problems
