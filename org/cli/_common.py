"""Shared CLI plumbing: global options, JSON/human output, and the one place errors become exit codes."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = [
    "Opts",
    "JsonFlag",
    "SetOpt",
    "token_option",
    "TokenOpt",
    "JobTokenOpt",
    "ActTokenOpt",
    "DeprecatedBy",
    "opts",
    "emit",
    "iso_times",
    "parse_sets",
    "load_config",
    "run_app",
    "err",
]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")]
DeprecatedBy = Annotated[str | None, typer.Option("--by", hidden=True, help="Deprecated: use --as.")]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="Attribute K=V (repeatable).", show_default=False)
]


def token_option(help: str) -> Any:
    """--token: $ORG_TOKEN by default, never shown in the help (it is a secret)."""
    return typer.Option("--token", envvar="ORG_TOKEN", show_envvar=False, help=help)


# a principal's token, a job's, or either on a task's action
TokenOpt = Annotated[
    str | None,
    token_option("Your token (default: $ORG_TOKEN; a human's own token file when --as names them)."),
]
JobTokenOpt = Annotated[str | None, token_option("The job token your claim returned (default: $ORG_TOKEN).")]
ActTokenOpt = Annotated[
    str | None, token_option("Agents: the job token of a job on the task; humans: their own token.")
]


@dataclass
class Opts:
    root: Path | None = None
    db: str | None = None
    json: bool = False
    as_: str | None = None  # --as given before the command (a command's own --as wins; both must agree)

    def org_root(self) -> Path:
        from org.config.loader import find_root

        return self.root.expanduser().resolve() if self.root else find_root()

    def db_url(self) -> str:
        if self.db:
            return self.db
        return f"sqlite:///{self.org_root() / '.org' / 'org.db'}"


_OPTS = Opts()


def opts(json_flag: bool = False) -> Opts:
    if json_flag:
        _OPTS.json = True
    return _OPTS


def err(msg: str) -> None:
    print(msg, file=sys.stderr)


_TIME_KEYS = frozenset({"ts", "lease_expires", "started", "finished", "deadline"})


def iso_times(data: Any) -> Any:
    """The JSON contract's one form for times: every `*_at`, `ts`, `lease_expires` ... number (epoch seconds)
    becomes ISO 8601 in UTC with its zone, as the audit log writes them (2026-12-06T23:38:19.880676Z)."""
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if (
                isinstance(v, (int, float))
                and not isinstance(v, bool)
                and isinstance(k, str)
                and (k.endswith("_at") or k in _TIME_KEYS)
            ):
                from org.bus.audit import iso  # the audit log's form; loaded only where a time is printed

                out[k] = iso(v)
            else:
                out[k] = iso_times(v)
        return out
    if isinstance(data, (list, tuple)):
        return [iso_times(v) for v in data]
    return data


def emit(data: Any, human: str | Callable[[], str] | None = None) -> None:
    """One JSON document on stdout with --json (times as ISO 8601 with zone); otherwise the human text."""
    if _OPTS.json:
        sys.stdout.write(json.dumps(iso_times(data), indent=2, sort_keys=False, default=str) + "\n")
    else:
        text = human() if callable(human) else human
        if text is None:
            text = json.dumps(data, indent=2, default=str)
        if text:
            sys.stdout.write(text.rstrip("\n") + "\n")


def parse_sets(sets: list[str] | None) -> dict[str, Any]:
    from org.errors import UsageError

    out: dict[str, Any] = {}
    for item in sets or []:
        if "=" not in item:
            raise UsageError(f"--set takes K=V, got '{item}'")
        k, v = item.split("=", 1)
        k = k.strip()
        if not k:
            raise UsageError(f"--set takes K=V, got '{item}'")
        out[k] = v.strip()
    return out


def load_config(root: Path | None = None):
    from org.config.loader import load_org
    from org.engine.proofs import prove
    from org.errors import ConfigError

    cfg = load_org(root or _OPTS.org_root())
    problems = prove(cfg)
    if problems:
        raise ConfigError(problems)
    return cfg


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


_COMMANDS: dict[typer.Typer, Any] = {}  # app -> its click command, built once per process
_QUICK_EXIT: list[bool] = []


def exit_quickly() -> None:
    """Called by a command that loaded litellm (`org run`, `org demo`) once everything it wrote is committed and
    closed: the console entry point then ends the process without the interpreter's teardown of ~3,000 modules
    (a second on an idle machine, far more on a loaded one; ADR 0127). Only `main()` acts on it."""
    _QUICK_EXIT.append(True)


def quick_exit_wanted() -> bool:
    return bool(_QUICK_EXIT)


def run_app(app: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the Typer app; map every error to its exit code; never show a traceback for bad input."""
    from org.errors import ConfigError, OrgError

    # typer >= 0.29 raises its own (vendored click's) exceptions; older typer raises click's.
    mods = [
        importlib.import_module(m)
        for m in ("click.exceptions", "typer._click.exceptions", "typer.exceptions")
        if importlib.util.find_spec(m.rpartition(".")[0]) and _importable(m)
    ]
    ClickExit = tuple(m.Exit for m in mods if hasattr(m, "Exit"))
    ClickAbort = tuple(m.Abort for m in mods if hasattr(m, "Abort"))
    ClickException = tuple(m.ClickException for m in mods if hasattr(m, "ClickException"))

    argv = list(sys.argv[1:] if argv is None else argv)
    # each call starts from no options: a second command in the same process (tests, scripts) never inherits
    # the --root, --db or --as of the one before when its own parse stops early (--help, a usage error)
    _OPTS.root, _OPTS.db, _OPTS.as_ = None, None, None
    _QUICK_EXIT.clear()
    _OPTS.json = "--json" in argv
    try:
        # typer rebuilds the whole command tree on every call (~70 ms for org's commands); build it
        # once, so callers running many commands in one process (tests, scripts) pay it once
        cmd = _COMMANDS.get(app)
        if cmd is None:
            from org.cli._globals import install_globals
            from org.cli._numbers import bound_numbers

            cmd = _COMMANDS[app] = bound_numbers(install_globals(typer.main.get_command(app)))
        rv = cmd(args=argv, prog_name="org", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except OrgError as exc:
        if _OPTS.json:
            sys.stdout.write(json.dumps(iso_times(exc.to_json()), indent=2, default=str) + "\n")
        if isinstance(exc, ConfigError):
            err(str(exc))
            err(f"org: {exc.message}")
        else:
            err(f"org: {exc.message}")
        return exc.exit_code
    except ClickExit as exc:
        return exc.exit_code
    except ClickAbort:
        err("org: aborted")
        return 130
    except ClickException as exc:
        if _OPTS.json:
            sys.stdout.write(
                json.dumps({"ok": False, "error": "usage", "message": exc.format_message()}) + "\n"
            )
        exc.show(file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        err("org: interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so briefly; the traceback only on request
        if os.environ.get("ORG_DEBUG"):
            raise
        if _OPTS.json:
            sys.stdout.write(
                json.dumps({"ok": False, "error": "internal", "message": f"{type(exc).__name__}: {exc}"})
                + "\n"
            )
        err(
            f"org: internal error ({type(exc).__name__}: {exc}). This is a bug; rerun with ORG_DEBUG=1 for a traceback."
        )
        return 1
