"""`org mcp serve`: the work bus for MCP clients, over stdio or streamable HTTP on loopback (org.mcp, ADR 0180).
The SDK is imported inside the command only: no other command pays for it."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from org.cli._common import err, opts

__all__ = ["register", "serve"]

mcp_app = typer.Typer(
    name="mcp",
    help="Serve the work bus to MCP clients (agents).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(mcp_app, name="mcp")


@mcp_app.command("serve")
def serve(
    http: Annotated[
        str | None,
        typer.Option(
            "--http",
            help="Serve streamable HTTP at HOST:PORT on loopback (port 0: a free one, printed on stderr); "
            "each request's 'Authorization: Bearer TOKEN' names its caller. Default: stdio, as $ORG_TOKEN.",
        ),
    ] = None,
    bus_socket: Annotated[
        str | None,
        typer.Option(
            "--bus-socket",
            envvar="ORG_BUS_SOCKET",
            show_envvar=True,
            help="The agents' bus socket the server reaches the bus through (org run serves one to its agents).",
        ),
    ] = None,
) -> None:
    """Serve org's work bus over MCP. The server holds no database: every call goes through the agents' bus
    socket with the caller's token (its identity, its lanes' tools, the same checks and records as the CLI).
    Jobs it claimed and still holds when it stops are handed back."""
    from org.errors import OrgError, UsageError

    if not bus_socket:
        raise UsageError(
            "org mcp serve reaches the bus through the agents' bus socket: set ORG_BUS_SOCKET or pass "
            "--bus-socket (org run and org demo serve one to the agents they start)"
        )
    from org.mcp.tools import Desk
    from org.runtime.busclient import BusClient

    root = None
    try:
        root = opts().org_root()
    except OrgError:  # no org folder here: the ADR and config tools say so when asked
        root = None
    desk = Desk(BusClient(bus_socket), root=root)
    if http is None:
        from org.mcp.server import serve_stdio

        serve_stdio(desk, os.environ.get("ORG_TOKEN") or None)
        return
    from org.mcp.server import loopback, serve_http

    loopback(http)  # a bad address is exit 2 before anything listens

    def ready(url: str) -> None:
        err(f"org mcp: serving {url}")
        sys.stderr.flush()

    serve_http(desk, http, ready=ready)  # until SIGINT or SIGTERM (uvicorn stops gracefully on both)
