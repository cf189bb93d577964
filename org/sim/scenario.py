"""Scenario files: find one by name or path, follow `extends`, apply --set overrides, validate strictly.

Every problem is reported as FILE:LINE: path: message, pointing at the file that supplied the value
(a scenario or the one it extends), or at `--set` for values given on the command line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from org.config.yamlsrc import load_yaml, too_deep
from org.errors import ConfigError, NotFound, Problem, UsageError
from org.sim.models import Scenario

__all__ = [
    "SCENARIO_DIR",
    "LoadedScenario",
    "load_scenario",
    "list_scenarios",
    "resolve_scenario",
    "parse_set",
    "apply_sets",
    "scenario_error",
]

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


@dataclass
class LoadedScenario:
    """A validated scenario plus where each of its values came from."""

    spec: Scenario
    path: Path | None
    data: dict
    lines: dict[tuple, tuple[str, int]] = field(default_factory=dict)
    sets: list[tuple[str, Any]] = field(default_factory=list)

    def where(self, loc: tuple | list) -> tuple[str, int]:
        loc = tuple(loc)
        for key, _ in self.sets:
            p = tuple(_split(key))
            if loc[: len(p)] == p or (loc and p[: len(loc)] == loc):
                return "--set", 0
        for i in range(len(loc), -1, -1):
            hit = self.lines.get(loc[:i])
            if hit:
                return hit
        return (str(self.path) if self.path else "<scenario>"), 1

    def problem(self, loc: tuple | list, message: str) -> Problem:
        f, line = self.where(loc)
        return Problem(f, line, ".".join(str(x) for x in loc), message)

    def with_sets(self, sets: list[tuple[str, Any]]) -> LoadedScenario:
        """The same scenario with more overrides applied (used by sweeps)."""
        data = copy.deepcopy(self.data)
        apply_sets(data, sets)
        spec = _validate(data, self.lines, self.sets + list(sets), self.path)
        return LoadedScenario(spec, self.path, data, self.lines, self.sets + list(sets))


def scenario_error(problems: list[Problem]) -> ConfigError:
    """A ConfigError whose summary line speaks of the scenario, not the org's configuration."""
    exc = ConfigError(problems)
    n = len(exc.problems)
    exc.message = f"{n} problem{'s' if n != 1 else ''} in the scenario"
    return exc


def list_scenarios() -> list[dict]:
    """The shipped scenarios, by name, with their one-line descriptions."""
    out = []
    for p in sorted(SCENARIO_DIR.glob("*.yaml")):
        try:
            desc = (yaml.safe_load(p.read_text()) or {}).get("description", "")
        except yaml.YAMLError:
            desc = ""
        out.append({"name": p.stem, "description": " ".join(str(desc).split()), "path": str(p)})
    return out


def resolve_scenario(ref: str, relative_to: Path | None = None) -> Path:
    """A path to a YAML file, or the name of a shipped scenario."""
    cand = Path(ref).expanduser()
    if relative_to is not None and not cand.is_absolute():
        near = relative_to / cand
        if near.is_file():
            return near
    if cand.is_file():
        return cand
    if cand.suffix in (".yaml", ".yml") or "/" in ref:
        raise NotFound(f"no scenario file '{ref}'")
    shipped = SCENARIO_DIR / f"{ref}.yaml"
    if shipped.is_file():
        return shipped
    names = ", ".join(s["name"] for s in list_scenarios())
    raise NotFound(f"no scenario '{ref}' (shipped: {names}; or give a path to a .yaml file)")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        try:
            return "org/sim/scenarios/" + str(path.resolve().relative_to(SCENARIO_DIR))
        except ValueError:
            return str(path)


def _merge(base: Any, top: Any) -> Any:
    if isinstance(base, dict) and isinstance(top, dict):
        out = dict(base)
        for k, v in top.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return top


def _load_raw(path: Path, chain: tuple[Path, ...]) -> tuple[dict, dict[tuple, tuple[str, int]]]:
    shown = _display(path)
    doc, problems = load_yaml(path, shown)
    if problems:
        raise scenario_error(problems)
    if not isinstance(doc.data, dict):
        raise scenario_error([Problem(shown, 1, "", "a scenario is a mapping (name, workload, org, ...)")])
    data = dict(doc.data)
    lines = {p: (shown, n) for p, n in doc.lines.items()}
    root = (data.get("org") or {}).get("root") if isinstance(data.get("org"), dict) else None
    if isinstance(root, str) and not Path(root).expanduser().is_absolute():
        data["org"] = {**data["org"], "root": str((path.parent / root).resolve())}
    data.setdefault("name", path.stem)
    ext = data.get("extends")
    if ext is None:
        return data, lines
    if not isinstance(ext, str):
        raise scenario_error(
            [Problem(shown, doc.line(("extends",)), "extends", "names another scenario or a path")]
        )
    try:
        parent = resolve_scenario(ext, path.parent).resolve()
    except NotFound as exc:
        raise scenario_error([Problem(shown, doc.line(("extends",)), "extends", exc.message)])
    if parent in chain or parent == path.resolve():
        names = " -> ".join(p.stem for p in (*chain, path.resolve(), parent))
        raise scenario_error(
            [
                Problem(
                    shown,
                    doc.line(("extends",)),
                    "extends",
                    f"scenarios extend each other in a loop: {names}",
                )
            ]
        )
    pdata, plines = _load_raw(parent, (*chain, path.resolve()))
    own_desc = "description" in data
    merged = _merge(pdata, data)
    if not own_desc:
        merged["description"] = pdata.get("description", "")
    return merged, {**plines, **lines}


def _split(key: str) -> list[str]:
    return [k for k in key.split(".")]


def parse_set(item: str) -> tuple[str, Any]:
    """'a.b=3' -> ('a.b', 3); the value is read as YAML (numbers, booleans, lists)."""
    if "=" not in item:
        raise UsageError(f"--set takes PATH=VALUE, e.g. org.lanes.builder.agents=8 (got '{item}')")
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise UsageError(f"--set: '{key}' is not a dotted path such as pacing.mode")
    if too_deep(raw) is not None:
        raise UsageError(f"--set {key}: the value nests lists and maps too deep")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def apply_sets(data: dict, sets: list[tuple[str, Any]]) -> None:
    for key, value in sets:
        node: Any = data
        parts = _split(key)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise UsageError(f"--set {key}: '{part}' is not an index of a list of {len(node)}")
                if last:
                    node[int(part)] = value
                else:
                    node = node[int(part)]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    if not isinstance(node.get(part), (dict, list)):
                        node[part] = {}
                    node = node[part]
            else:
                raise UsageError(f"--set {key}: '{'.'.join(parts[:i])}' is not a mapping")


def _validate(data: dict, lines: dict, sets: list[tuple[str, Any]], path: Path | None) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        probe = LoadedScenario(None, path, data, lines, sets)  # type: ignore[arg-type]
        problems = []
        for e in err.errors():
            loc = tuple(
                x
                for x in e["loc"]
                if not (isinstance(x, str) and x.startswith(("function-", "constrained-")))
            )
            msg = e["msg"]
            if e["type"] == "extra_forbidden":
                msg = "unknown field (not part of the scenario schema)"
            elif msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            problems.append(probe.problem(loc, msg))
        raise scenario_error(problems)


def load_scenario(
    ref: str | Path, sets: list[tuple[str, Any]] | None = None, seed: int | None = None
) -> LoadedScenario:
    """Load, merge and validate a scenario. Raises NotFound or ConfigError (FILE:LINE problems)."""
    path = resolve_scenario(str(ref)) if not isinstance(ref, Path) else ref
    if not path.is_file():
        raise NotFound(f"no scenario file '{path}'")
    data, lines = _load_raw(path, ())
    sets = list(sets or [])
    if seed is not None:
        sets.append(("seed", int(seed)))
    apply_sets(data, sets)
    spec = _validate(data, lines, sets, path)
    return LoadedScenario(spec, path, data, lines, sets)
