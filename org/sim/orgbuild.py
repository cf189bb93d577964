"""The org a scenario runs: the live config (a lanes/gates root) with the scenario's overrides applied,
then checked and proved exactly like `org validate` checks the live one."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from pydantic import ValidationError

from org.config.checks import cross_check
from org.config.families import family_of
from org.config.loader import Actor, OrgConfig, load_org
from org.config.models import Gate, Limits, Member, Workflow
from org.engine.proofs import prove
from org.errors import OrgError, Problem
from org.sim.scenario import LoadedScenario, scenario_error

__all__ = ["default_org_root", "build_org"]


def default_org_root() -> Path:
    """The shipped default org (the repository's lanes/ and gates/)."""
    here = Path(__file__).resolve().parents[2]
    if (here / "lanes").is_dir() and (here / "gates").is_dir():
        return here
    raise OrgError("the default org is not installed next to the package; set org.root in the scenario")


def _at(ls: LoadedScenario, loc: tuple) -> str:
    f, line = ls.where(loc)
    return f"{f}:{line}"


def _msg(err: ValidationError) -> str:
    e = err.errors()[0]
    loc = ".".join(str(x) for x in e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def build_org(ls: LoadedScenario) -> OrgConfig:
    """Load the org root and apply lane, human, gate and limit overrides. Raises ConfigError."""
    spec = ls.spec
    root = Path(spec.org.root) if spec.org.root else default_org_root()
    if not root.is_dir():
        raise scenario_error([ls.problem(("org", "root"), f"no folder {root}")])
    cfg = load_org(root)
    problems: list[Problem] = []
    lanes = dict(cfg.lanes)
    sources = dict(cfg.sources)

    for name, ov in spec.org.lanes.items():
        loc = ("org", "lanes", name)
        lane = lanes.get(name)
        if lane is None:
            problems.append(
                ls.problem(loc, f"no lane '{name}' in the org (lanes: {', '.join(sorted(lanes))})")
            )
            continue
        if lane.kind == "human" and (ov.agents is not None or ov.models is not None):
            problems.append(ls.problem(loc, f"'{name}' is a human lane; size it with humans.count"))
            continue
        members = list(lane.members)
        if ov.agents is not None or ov.models is not None:
            models = list(ov.models) if ov.models else [m.model for m in lane.members]
            n = ov.agents if ov.agents is not None else len(models)
            members = [Member(id=f"{name}-{i + 1:02d}", model=models[i % len(models)]) for i in range(n)]
        conc = lane.concurrency
        if ov.concurrency == "unlimited" or (ov.concurrency is None and ov.agents is not None):
            conc = None
        elif isinstance(ov.concurrency, int):
            conc = ov.concurrency
        lanes[name] = lane.model_copy(update={"members": members, "concurrency": conc})
        sources[f"lane:{name}"] = _at(ls, loc)

    human_lanes = [n for n, lane in lanes.items() if lane.kind == "human"]
    for i, name in enumerate(spec.humans.lanes or []):
        if name not in human_lanes:
            problems.append(
                ls.problem(
                    ("humans", "lanes", i),
                    f"'{name}' is not a human lane (human lanes: {', '.join(human_lanes) or 'none'})",
                )
            )
    if spec.humans.count is not None:
        for name in spec.humans.lanes or human_lanes:
            lane = lanes.get(name)
            if lane is None or lane.kind != "human":
                continue
            old = list(lane.members)
            members = old[: spec.humans.count] + [
                Member(id=f"{name}-{i + 1:02d}") for i in range(len(old), spec.humans.count)
            ]
            lanes[name] = lane.model_copy(update={"members": members})

    workflows = dict(cfg.workflows)
    for wname, gates in spec.org.gates.items():
        loc = ("org", "gates", wname)
        wf = workflows.get(wname)
        if wf is None:
            problems.append(
                ls.problem(loc, f"no workflow '{wname}' (workflows: {', '.join(sorted(workflows))})")
            )
            continue
        new_gates = dict(wf.gates)
        for gname, ov in gates.items():
            changes = {k: getattr(ov, k) for k in ov.model_fields_set if k != "all_tiers"}
            if ov.all_tiers:
                changes["tiers"] = None
            base = new_gates[gname].model_dump(by_alias=True) if gname in new_gates else {}
            try:
                new_gates[gname] = Gate.model_validate({**base, **changes})
            except ValidationError as err:
                problems.append(ls.problem((*loc, gname), _msg(err)))
        try:
            # the workflow as written, only its gates changed: what it requires and implies stays (ADR 0275)
            workflows[wname] = Workflow.model_validate(
                {
                    **wf.model_dump(by_alias=True),
                    "gates": {k: g.model_dump(by_alias=True) for k, g in new_gates.items()},
                }
            )
        except ValidationError as err:
            problems.append(ls.problem(loc, _msg(err)))
        sources[f"workflow:{wname}"] = _at(ls, loc)
        for gname in gates:
            sources[f"gate:{wname}.{gname}"] = _at(ls, (*loc, gname))
    for wname, lim in spec.org.limits.items():
        loc = ("org", "limits", wname)
        wf = workflows.get(wname)
        if wf is None:
            problems.append(
                ls.problem(loc, f"no workflow '{wname}' (workflows: {', '.join(sorted(workflows))})")
            )
            continue
        changes = {k: getattr(lim, k) for k in lim.model_fields_set}
        workflows[wname] = wf.model_copy(
            update={"limits": Limits.model_validate({**wf.limits.model_dump(), **changes})}
        )
        sources[f"limits:{wname}"] = _at(ls, loc)

    actors: dict[str, Actor] = {}
    for name, lane in lanes.items():
        lane_src = sources.get(f"lane:{name}", "")
        for m in lane.members:
            if m.id in actors:
                problems.append(
                    ls.problem(
                        ("org", "lanes", name),
                        f"actor '{m.id}' is already a member of lane '{actors[m.id].lane}'",
                    )
                )
                continue
            prev = cfg.actors.get(m.id)
            src = prev.source if prev is not None and prev.lane == name else lane_src
            fam = family_of(m.model, m.family) if m.model else None
            actors[m.id] = Actor(id=m.id, lane=name, kind=lane.kind, model=m.model, family=fam, source=src)

    overrides = spec.org.model_dump(mode="json", exclude={"root"})
    overrides["humans"] = spec.humans.count
    digest = hashlib.sha256((cfg.config_hash + json.dumps(overrides, sort_keys=True)).encode()).hexdigest()[
        :16
    ]
    out = dataclasses.replace(
        cfg,
        lanes=lanes,
        workflows=workflows,
        actors=actors,
        sources=sources,
        config_hash=digest if overrides != _EMPTY else cfg.config_hash,
    )
    problems += _check_workload(ls, out)
    if problems:
        raise scenario_error(problems)
    mine = {f for f, _ in ls.lines.values()} | {"--set"}
    after = []
    for p in cross_check(out, {}) + prove(out):
        if p.file in mine:  # a gate or lane the scenario changed: point at the scenario's line
            after.append(Problem(p.file, p.line, p.path, f"{p.message} (with this scenario's changes)"))
        else:
            after.append(ls.problem(("org",), f"with this scenario's changes: {p}"))
    if after:
        raise scenario_error(after)
    return out


_EMPTY = {"lanes": {}, "gates": {}, "limits": {}, "humans": None}


def _check_workload(ls: LoadedScenario, cfg: OrgConfig) -> list[Problem]:
    """Streams name real workflows, tiers, attributes and gates; behaviour.focus names real gates."""
    out: list[Problem] = []
    tiers = [t.id for t in cfg.risk.tiers]
    for i, s in enumerate(ls.spec.workload.streams):
        loc = ("workload", "streams", i)
        wf = cfg.workflows.get(s.workflow)
        if wf is None:
            out.append(
                ls.problem(
                    (*loc, "workflow"),
                    f"no workflow '{s.workflow}' (workflows: {', '.join(sorted(cfg.workflows))})",
                )
            )
            continue
        if s.tier is not None and s.tier not in tiers:
            out.append(ls.problem((*loc, "tier"), f"unknown tier '{s.tier}' (tiers: {', '.join(tiers)})"))
        for k, v in s.attributes.items():
            spec = cfg.attributes.get(k)
            if cfg.attributes and spec is None:
                out.append(
                    ls.problem(
                        (*loc, "attributes", k),
                        f"unknown attribute '{k}' (declared: {', '.join(sorted(cfg.attributes))})",
                    )
                )
            elif spec is not None and spec.values is not None and str(v) not in spec.values:
                out.append(
                    ls.problem(
                        (*loc, "attributes", k), f"'{v}' is not a value of '{k}' ({', '.join(spec.values)})"
                    )
                )
        for g in s.actions:
            if g not in wf.gates:
                out.append(
                    ls.problem(
                        (*loc, "actions", g),
                        f"no gate '{g}' in workflow '{s.workflow}' (gates: {', '.join(wf.gates)})",
                    )
                )
    all_gates = {g for wf in cfg.workflows.values() for g in wf.gates} | {
        f"{w}.{g}" for w, wf in cfg.workflows.items() for g in wf.gates
    }
    for key in ls.spec.behaviour.focus:
        if key not in all_gates:
            out.append(ls.problem(("behaviour", "focus", key), f"no gate '{key}' in any workflow"))
    return out
