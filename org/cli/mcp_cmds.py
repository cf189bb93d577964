"""`org mcp serve`: the work bus for MCP clients, over stdio or streamable HTTP on loopback (org.mcp, ADR 0180);
`org bus serve`: the agents' bus socket it (and agents' `org claim`) reach the bus through, for agents org does
not start itself. The SDK is imported inside `org mcp serve` only: no other command pays for it."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from org.cli._common import err, opts
from org.cli._globals import sub_app

__all__ = ["register", "serve"]

mcp_app = sub_app("mcp", "Serve the work bus to MCP clients (agents).")


bus_app = sub_app(
    "bus", "Serve the agents' bus socket (what org mcp serve and agents' org claim reach the bus through)."
)


def register(app: typer.Typer) -> None:
    app.add_typer(mcp_app, name="mcp")
    app.add_typer(bus_app, name="bus")


@bus_app.command("serve")
def bus_serve(
    socket_path: Annotated[
        str | None,
        typer.Option("--socket", help="Where to listen (default: <root>/.org/bus.sock); the socket is 0600."),
    ] = None,
) -> None:
    """Serve the agents' bus socket until SIGINT or SIGTERM: agents you run yourself set ORG_BUS_SOCKET to it
    and reach the bus with their tokens only (`org claim`, `org submit`, `org mcp serve`), never the database.
    `org run` and `org demo` serve their own to the agents they start. Events the socket's clients cause are
    recorded with isolation: none (org did not sandbox them)."""
    import signal
    import threading
    from pathlib import Path

    from org.agents.host import bus_socket
    from org.cli._common import load_config
    from org.errors import UsageError

    o = opts()
    cfg = load_config(o.org_root())
    path = Path(socket_path) if socket_path else o.org_root() / ".org" / "bus.sock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # e.g. --socket /proc/nope/bus.sock: the caller's path, not an internal error
        raise UsageError(
            f"cannot listen on {path}: cannot make {path.parent}: {exc.strerror or exc}"
        ) from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_a: stop.set())
    with bus_socket(cfg, o.db_url(), path.resolve(), sandboxed=False) as srv:
        err(f"org bus: serving {srv.path} (ORG_BUS_SOCKET={srv.path})")
        sys.stderr.flush()
        while not stop.wait(1.0):
            pass


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
