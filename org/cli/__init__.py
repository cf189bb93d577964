"""The `org` command line: each command parses, calls the library, renders. No logic here."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from org.cli._common import opts, run_app

__all__ = ["app", "main"]

app = typer.Typer(
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


@app.callback()
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
for _name in _MODULES:
    try:
        importlib.import_module(f"org.cli.{_name}").register(app)
    except ModuleNotFoundError as _exc:  # a module not written yet must not break the rest
        if _exc.name != f"org.cli.{_name}":
            raise


def main() -> None:
    code = run_app(app)
    from org.cli._common import quick_exit_wanted

    if quick_exit_wanted():
        import logging
        import os

        from org import telemetry

        telemetry.close()  # the spans still queued (a no-op unless an OTLP endpoint is set)
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)
