"""org tui: open the approval inbox and operator console (Textual is imported only here, when run)."""

from __future__ import annotations

from typing import Annotated

import typer

from org.cli._common import JsonFlag, emit, opts, token_option

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("tui")(tui)


def tui(
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="The human at the keyboard (default: your token's holder, else the org's first human).",
        ),
    ] = None,
    poll: Annotated[
        float, typer.Option("--poll", help="Seconds between checks for new work (0.2-10).")
    ] = 0.75,
    token: Annotated[
        str | None, token_option("Your token (default: $ORG_TOKEN, else your own token file).")
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """The approval inbox and operator console: approve, reject, watch the board, pause an agent."""
    from org.cli._common import load_config
    from org.errors import UsageError

    o = opts(json_)
    if not 0.2 <= poll <= 10:
        raise UsageError("--poll is between 0.2 and 10 seconds")
    cfg = load_config(o.org_root())
    from org.tui.principal import resolve_principal

    door, principal = _authenticate(o, cfg, resolve_principal(cfg, as_, token))
    try:
        if o.json:
            emit(
                {
                    "ok": False,
                    "error": "usage",
                    "message": "org tui is interactive; it has no JSON output",
                    "principal": principal.actor or None,
                    "db": o.db_url(),
                }
            )
            raise typer.Exit(2)
        from org.tui.app import OrgApp

        app = OrgApp(principal=principal, root=cfg.root, door=door, db_url=o.db_url(), poll_seconds=poll)
        app.run()
        if app.return_code:  # refused once the database appeared (the reason was printed on the way out)
            raise typer.Exit(app.return_code)
    finally:
        if door is not None:
            door.close()


def _authenticate(o, cfg, principal):
    """The human at the keyboard proves it before the UI opens (their token file or --token), as every bus
    command does: a wrong or missing token, or an agent's, exits 4 here, and each decision in the TUI is checked
    again. A token without --as is its holder's. Returns (the door to the bus, kept open for the app so it is not
    opened and its config proved twice; the principal with the token's holder filled in)."""
    from org.bus.store import sqlite_path

    path = sqlite_path(o.db_url())
    if path is not None and not path.exists():
        return None, principal  # no database yet: the TUI explains what to do, decides nothing, checks later
    from org.identity.guard import Guard
    from org.tui.principal import authenticate

    door = Guard.open(o.db, root=o.org_root(), config=cfg)
    try:
        return door, authenticate(door, principal)
    except BaseException:
        door.close()
        raise
