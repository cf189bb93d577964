"""An MCP server leaves nothing in the temporary folder: the ADR index `adr_search` builds lives in a folder of
its own that goes when the server stops, however it stops (its client closes stdin, SIGTERM over stdio or over
HTTP). A real `org mcp serve` process with its own TMPDIR, so what it leaves there is all it left."""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests.mcp.helpers import org_command, serve_env
from tests.mcp.test_transports import Raw, tool


def _leftovers(tmp) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("org-mcp-adrs-"))


@pytest.mark.parametrize("how", ["stdin", "sigterm"])
def test_adr_search_over_stdio_leaves_no_temp_folder(org, bus_socket, tmp_path, monkeypatch, how):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))  # serve_env copies the environment
    raw = Raw(org, bus_socket, org.tokens["build-claude"])
    raw.start()
    r = tool(raw, "adr_search", {"query": "lanes"})["result"]
    assert not r["isError"], r
    assert _leftovers(tmp), "the index folder is made in the server's TMPDIR (else this test proves nothing)"
    if how == "sigterm":
        raw.p.send_signal(signal.SIGTERM)
    raw.close()
    assert _leftovers(tmp) == []


def test_adr_search_over_http_leaves_no_temp_folder(org, bus_socket, tmp_path, monkeypatch):
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    from tests.mcp.test_transports import call

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    proc = subprocess.Popen(
        [*org_command(), "mcp", "serve", "--http", "127.0.0.1:0"],
        env=serve_env(org, bus_socket.path, None),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()
        assert line.startswith("org mcp: serving http://127.0.0.1:"), line
        url = line.split()[-1]

        async def search() -> None:
            headers = {"Authorization": f"Bearer {org.tokens['build-claude']}"}
            async with (
                httpx2.AsyncClient(headers=headers) as h,
                Client(streamable_http_client(url, http_client=h)) as client,
            ):
                err, doc = await call(client, "adr_search", query="lanes")
                assert not err, doc

        import anyio

        anyio.run(search)
        assert _leftovers(tmp)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        proc.stderr.close()
    assert _leftovers(tmp) == []


def test_a_search_answered_while_the_server_closes_leaves_no_folder(org, bus_socket, tmp_path, monkeypatch):
    """A request in flight when the desk closes (HTTP finishes the requests in flight) builds its index in a
    folder of its own that goes with the call, not in one nobody removes."""
    import tempfile

    from org.mcp.tools import Caller, Desk
    from org.runtime.busclient import BusClient

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    desk = Desk(BusClient(bus_socket.path), root=org.root)
    c = Caller(org.tokens["build-claude"], desk.door.whoami(org.tokens["build-claude"]))
    assert desk.adr_search(c, "lanes", 5)["hits"] is not None
    assert _leftovers(tmp)
    desk.close()
    assert _leftovers(tmp) == []
    assert desk.adr_search(c, "lanes", 5)["hits"] is not None  # after close
    assert _leftovers(tmp) == []
