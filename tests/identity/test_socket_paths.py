"""The Unix socket servers (bus socket, broker, gateway) own their path honestly: a file that is not a socket is
never deleted, a socket another server still answers on is never taken over, only a dead socket is replaced, and
a server that stops removes its socket only while the path is still the socket it bound (a hostile or careless
second `org bus serve` must not break the first, and the first's exit must not break the second)."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from org.errors import Conflict, UsageError
from org.identity.busd import BusServer
from org.runtime.busclient import BusClient
from tests.helpers import org_in_process
from tests.mcp.helpers import Org, serve_env


@pytest.fixture
def org(org_copy):
    return Org(org_copy)


@pytest.fixture
def sockdir():
    with tempfile.TemporaryDirectory(prefix="orgs-") as d:  # short: a socket path is at most 107 bytes
        yield Path(d)


def _listening(path: Path) -> socket.socket:
    """Another server on `path`: it accepts and hangs up at once (a listener that never answered cost the
    broker's liveness ping its whole 5 s timeout before the refusal)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.listen(8)
    s.settimeout(0.1)  # the accepting thread notices within 0.1 s that the test closed the socket

    def serve() -> None:
        while s.fileno() != -1:
            try:
                conn, _ = s.accept()
            except TimeoutError:
                continue
            except OSError:  # closed: the test is over
                return
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return s


def _dead(path: Path) -> None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()  # the file stays; no one listens on it


def _bus(org, path):
    return BusServer(org.url, root=org.root, path=path, read_timeout=1.0)


def _gateway(org, path):
    from org.config.loader import load_org
    from org.gateway.server import Gateway

    cfg = load_org(org.root)
    from org.identity.guard import Guard

    return Gateway(
        cfg, lambda: Guard.open(org.url, root=org.root, config=cfg, token_files=False), forward=False
    )


def _broker(org, path):
    from org.config.loader import load_org
    from org.identity.brokerd import BrokerDaemon

    return BrokerDaemon(org.root, org.url, load_org(org.root), socket_file=path)


def _start(kind: str, org, path: Path):
    """Start a server of `kind` at `path`; returns its stop function."""
    if kind == "bus":
        srv = _bus(org, path).start()
        return srv.stop
    if kind == "gateway":
        g = _gateway(org, path).serve(http=False, unix_path=path)
        return g.stop
    d = _broker(org, path)
    d.bind()
    import threading

    t = threading.Thread(target=d.serve, daemon=True)
    t.start()

    def stop():
        d.stop()
        t.join(timeout=30)

    return stop


KINDS = ["bus", "gateway", "broker"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_that_is_not_a_socket_is_refused_and_kept(kind, org, sockdir):
    precious = sockdir / "precious.txt"
    precious.write_text("precious")
    with pytest.raises(UsageError, match="not a socket"):
        _start(kind, org, precious)
    assert precious.read_text() == "precious"
    link = sockdir / "link"
    link.symlink_to(precious)
    with pytest.raises(UsageError, match="not a socket"):
        _start(kind, org, link)
    assert link.is_symlink() and precious.read_text() == "precious"


@pytest.mark.parametrize("kind", KINDS)
def test_a_live_socket_of_another_server_is_not_taken_over(kind, org, sockdir):
    path = sockdir / "s.sock"
    other = _listening(path)
    try:
        before = os.lstat(path).st_ino
        with pytest.raises((Conflict, UsageError), match="listening|already serves"):
            _start(kind, org, path)
        assert os.lstat(path).st_ino == before
    finally:
        other.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_dead_socket_is_replaced_and_a_stop_leaves_a_successors_socket(kind, org, sockdir):
    path = sockdir / "s.sock"
    _dead(path)
    stop = _start(kind, org, path)
    # a successor takes the path while this server runs (e.g. an operator removed it by hand)
    os.unlink(path)
    successor = _listening(path)
    try:
        theirs = os.lstat(path).st_ino
        stop()
        assert path.exists() and os.lstat(path).st_ino == theirs, (
            "the stopping server removed another's socket"
        )
    finally:
        successor.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_stops_removes_its_own_socket(kind, org, sockdir):
    path = sockdir / "s.sock"
    stop = _start(kind, org, path)
    assert path.is_socket()
    stop()
    assert not path.exists()


def _serve(org, path: Path) -> subprocess.CompletedProcess:
    """`org bus serve --socket PATH` through the CLI's own entry in this interpreter (each case refuses before it
    serves; a subprocess apiece cost ~5 s of the README's command)."""
    env: dict = {k: None for k in os.environ if k.startswith("ORG_")}
    env.update(serve_env(org, path, None))
    del env["ORG_BUS_SOCKET"]
    return org_in_process("bus", "serve", "--socket", str(path), env=env)


def test_org_bus_serve_refuses_a_file_and_another_servers_socket(org, sockdir):
    precious = sockdir / "precious.txt"
    precious.write_text("precious")
    r = _serve(org, precious)
    assert r.returncode == 2 and "not a socket" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert precious.read_text() == "precious"

    path = sockdir / "bus.sock"
    with _bus(org, path) as first:
        r = _serve(org, path)
        assert r.returncode == 5, r.stderr
        assert f"another bus server is listening at {path}" in r.stderr and "Traceback" not in r.stderr
        with BusClient(first.path) as bus:  # the first still serves on its own socket
            assert bus.whoami(org.tokens["build-claude"])["principal"] == "build-claude"


def test_org_bus_serve_on_a_folder_it_cannot_make_is_a_usage_error(org):
    r = _serve(org, Path("/proc/nope/bus.sock"))
    assert r.returncode == 2, r.stderr
    assert "/proc/nope" in r.stderr and "Traceback" not in r.stderr
