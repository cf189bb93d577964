"""The `org` command line: each command parses, calls the library, renders. No logic here."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from org.cli._common import opts, run_app

__all__ = ["app", "main"]


def _typer() -> typer.Typer:
    return typer.Typer(
        name="org",
        help="An org chart for AI agents and humans: lanes, gates, written decisions and brakes.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("org")
        except PackageNotFoundError:
            v = "unknown (not installed)"
        print(f"org {v}")
        raise typer.Exit(0)


def _root(
    root: Annotated[
        Path | None, typer.Option("--root", envvar="ORG_ROOT", help="Folder holding lanes/ and gates/.")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", envvar="ORG_DATABASE_URL", help="Database URL (default: SQLite in <root>/.org/)."
        ),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")] = False,
    as_: Annotated[
        str | None, typer.Option("--as", help="Who acts (for commands that act for someone).")
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_version, help="Print org's version and exit."),
    ] = False,
) -> None:
    """Global options work before or after the command: org validate --root DIR, org --json task list."""
    from org.cli._globals import check_db

    check_db(db)
    o = opts(json_)
    o.root, o.db, o.as_ = root, db, as_


# Command modules register themselves; each imports its heavy dependencies inside commands.
_MODULES = (
    "config_cmds",
    "bus_cmds",
    "identity_cmds",
    "adr_cmds",
    "agent_cmds",
    "sim_cmds",
    "tui_cmds",
    "workspace_cmds",
    "job_cmds",
    "notify_cmds",
    "mcp_cmds",
)
# Which module registers each top-level command or group (tests/cli/test_lazy_commands.py proves it complete and
# true): `org claim` builds the commands of bus_cmds only, not typer's parameters of all ~55 (issue 23 item 6).
_HOME = {
    **dict.fromkeys(("init", "validate", "graph", "explain", "schema", "doctor", "config"), "config_cmds"),
    **dict.fromkeys(
        ("claim", "heartbeat", "submit", "act", "approve", "reject", "request-changes", "pause", "resume"),
        "bus_cmds",
    ),
    **dict.fromkeys(("inbox", "spend", "sweep", "task", "audit"), "bus_cmds"),
    **dict.fromkeys(("token", "credential", "broker"), "identity_cmds"),
    "adr": "adr_cmds",
    **dict.fromkeys(("run", "demo"), "agent_cmds"),
    "sim": "sim_cmds",
    "tui": "tui_cmds",
    **dict.fromkeys(("workspace", "pipeline", "outcomes"), "workspace_cmds"),
    "job": "job_cmds",
    "notify": "notify_cmds",
    **dict.fromkeys(("mcp", "bus"), "mcp_cmds"),
}
_GLOBAL_VALUES = frozenset(("--root", "--db", "--as"))  # the global options that take a value
_GLOBAL_FLAGS = frozenset(("--json",))


def build(modules: tuple[str, ...] = _MODULES) -> typer.Typer:
    """The `org` app with the commands of `modules` (all by default)."""
    made = _typer()
    made.callback()(_root)
    for name in modules:
        try:
            importlib.import_module(f"org.cli.{name}").register(made)
        except ModuleNotFoundError as exc:  # a module not written yet must not break the rest
            if exc.name != f"org.cli.{name}":
                raise
    return made


def modules_for(argv: list[str]) -> tuple[str, ...]:
    """The command modules a command line needs: the one registering its command when the words before it are
    global options only; every module otherwise (top-level help, a misspelt command, anything unsure)."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in _GLOBAL_FLAGS or word.split("=", 1)[0] in _GLOBAL_VALUES and "=" in word:
            i += 1
        elif word in _GLOBAL_VALUES:
            i += 2
        elif word.startswith("-"):
            return _MODULES
        else:
            home = _HOME.get(word)
            return (home,) if home is not None else _MODULES
    return _MODULES


_APP: list[typer.Typer] = []


def __getattr__(name: str) -> typer.Typer:
    """`app`: every command (built on first use, for tests and scripts running commands in-process)."""
    if name == "app":
        if not _APP:
            _APP.append(build())
        return _APP[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    if (
        sys.stderr is None
    ):  # started with its stderr closed: what org says there is dropped, never sent to stdout
        sys.stderr = open(os.devnull, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115 (for life)
    code = run_app(build(modules_for(sys.argv[1:])))
    from org.cli._common import quick_exit_wanted

    if quick_exit_wanted():
        import logging

        from org import telemetry

        telemetry.close()  # the spans still queued (a no-op unless an OTLP endpoint is set)
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)
