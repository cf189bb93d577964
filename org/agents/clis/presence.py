"""Which CLIs are installed here, where, in which version, and whether their adapters know that version:
said by `org validate` (warnings at the member's FILE:LINE), `org doctor` and at the start of `org run`
(a served member's missing CLI refuses the run), never in the middle of one.

A CLI is looked for in ORG_CLI_PATH (folders, like PATH; where `.ci/run` installs CLIs in their own virtual
environments) and then PATH. Its version is what `CLI --version` prints (the first x.y.z), asked once per
executable and modification time, with a time limit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from org.agents.clis.adapter import Adapter
from org.agents.clis.adapters import ADAPTERS, adapter_for, runtime_of

__all__ = [
    "Presence",
    "find_cli",
    "member_runtimes",
    "runtime_problems",
    "CLI_PATH_ENV",
    "installed",
    "check_run",
    "describe",
]

CLI_PATH_ENV = "ORG_CLI_PATH"
VERSION_TIMEOUT_S = 15.0
_VERSION = re.compile(r"(\d+\.\d+\.\d+)")
_CACHE: dict[tuple[str, float], tuple[str | None, str]] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Presence:
    """One CLI on this machine: `path` None when not found; `known` when the adapter was tested with the version."""

    runtime: str
    executable: str
    path: str | None
    version: str | None
    tested: tuple[str, ...]
    problem: str = ""  # why it cannot be used ("" when it can)
    warning: str = ""  # what to know (an unknown version)

    @property
    def installed(self) -> bool:
        return self.path is not None

    @property
    def known(self) -> bool:
        return not self.tested or self.version in self.tested

    def to_json(self) -> dict:
        return {
            "runtime": self.runtime,
            "executable": self.executable,
            "path": self.path,
            "version": self.version,
            "tested": list(self.tested),
            "installed": self.installed,
            "known_version": self.known if self.installed else None,
            "problem": self.problem,
            "warning": self.warning,
        }


def _search_path(env: Mapping[str, str]) -> str:
    parts = [p for p in (env.get(CLI_PATH_ENV) or "").split(os.pathsep) if p]
    parts += [p for p in (env.get("PATH") or os.defpath).split(os.pathsep) if p]
    return os.pathsep.join(parts)


def _version(path: str, args: tuple[str, ...]) -> tuple[str | None, str]:
    """(version, why not) from `path ARGS`, cached per executable and its modification time."""
    if not args:
        return None, ""
    try:
        key = (path, os.stat(path).st_mtime)
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror}"
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    try:
        r = subprocess.run(
            [path, *args],
            capture_output=True,
            timeout=VERSION_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            env={
                "PATH": os.environ.get("PATH", os.defpath),
                "HOME": os.environ.get("HOME", "/tmp"),
                "NO_COLOR": "1",
            },
        )
        text = (r.stdout + r.stderr).decode(errors="replace")
        m = _VERSION.search(text)
        out = (m.group(1), "") if m else (None, f"'{Path(path).name} {' '.join(args)}' printed no version")
    except subprocess.TimeoutExpired:
        out = (None, f"'{Path(path).name} {' '.join(args)}' did not answer within {VERSION_TIMEOUT_S:.0f} s")
    except OSError as exc:
        out = (None, f"{path} cannot be run ({exc.strerror or exc})")
    with _LOCK:
        _CACHE[key] = out
    return out


def find_cli(adapter: Adapter, env: Mapping[str, str] | None = None) -> Presence:
    """Where the adapter's CLI is and which version it is."""
    e = os.environ if env is None else env
    name = adapter.command_name()
    if not name:
        return Presence(adapter.name, "", None, None, adapter.tested, problem="no command to run")
    path = (
        shutil.which(name, path=_search_path(e))
        if "/" not in name
        else (name if os.access(name, os.X_OK) else None)
    )
    if path is None:
        where = f"{CLI_PATH_ENV} or PATH" if e.get(CLI_PATH_ENV) else "PATH"
        return Presence(
            adapter.name,
            name,
            None,
            None,
            adapter.tested,
            problem=f"'{name}' is not installed (not on {where})",
        )
    path = str(Path(path).absolute())
    version, why = _version(path, adapter.version_args)
    warning = ""
    if adapter.tested and version not in adapter.tested:
        warning = (
            f"{name} {version or '(version unknown: ' + why + ')'} at {path} is not a version the {adapter.name} "
            f"adapter was tested with ({', '.join(adapter.tested)}); its output format may differ"
        )
    return Presence(adapter.name, name, path, version, adapter.tested, warning=warning)


def installed(env: Mapping[str, str] | None = None) -> list[Presence]:
    """Every CLI org has an adapter for, installed or not (`org doctor`)."""
    return [find_cli(cls(), env) for name, cls in ADAPTERS.items() if name != "command"]


def member_runtimes(cfg: Any, lanes: Any = None) -> list[tuple[str, str, Any]]:
    """(actor, lane, member) of every agent member that runs a CLI (in `lanes` when given)."""
    out = []
    for name, lane in cfg.lanes.items():
        if lane.kind != "agent" or (lanes and name not in lanes):
            continue
        for m in lane.members:
            if runtime_of(m) != "builtin":
                out.append((m.id, name, m))
    return out


def runtime_problems(cfg: Any, env: Mapping[str, str] | None = None, lanes: Any = None) -> list[dict]:
    """For each CLI member: {actor, lane, runtime, source (FILE:LINE of the member), presence, problem, warning}."""
    out = []
    seen: dict[tuple[str, str], Presence] = {}
    for actor, lane, m in member_runtimes(cfg, lanes):
        adapter = adapter_for(m)
        assert adapter is not None
        key = (adapter.name, adapter.command_name())
        if key not in seen:
            seen[key] = find_cli(adapter, env)
        p = seen[key]
        a = cfg.actors.get(actor)
        out.append(
            {
                "actor": actor,
                "lane": lane,
                "runtime": adapter.name,
                "source": getattr(a, "source", ""),
                "presence": p.to_json(),
                "problem": p.problem,
                "warning": p.warning,
            }
        )
    return out


def describe(row: dict) -> str:
    """One line about a CLI member's runtime: FILE:LINE: the member: what is wrong (or to know)."""
    where = row.get("source") or "lanes"
    what = row["problem"] or row["warning"]
    return f"{where}: {row['actor']} (runtime: {row['runtime']}): {what}"


def check_run(
    cfg: Any, lanes: Any = None, say: Any = None, env: Mapping[str, str] | None = None
) -> list[dict]:
    """At the start of a run (never in its middle): a served CLI member whose CLI is not installed refuses the
    run (UsageError, exit 2, every such member named); one of a version its adapter was not tested with is
    said (`say`) and the run goes on. Returns the rows (runtime_problems)."""
    from org.errors import UsageError

    rows = runtime_problems(cfg, env, lanes)
    missing = [r for r in rows if r["problem"]]
    if missing:
        raise UsageError(
            "a lane member's coding CLI is missing, so the run does not start:\n"
            + "\n".join(f"  {describe(r)}" for r in missing)
            + f"\ninstall it, put its folder on {CLI_PATH_ENV} or PATH, or serve other lanes (--lane)"
        )
    if say is not None:
        for r in rows:
            if r["warning"]:
                say(describe(r))
    return rows
