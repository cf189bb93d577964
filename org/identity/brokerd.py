"""The credential broker as its own process (`org broker serve`): the only process that reads secrets.

It takes the declared credentials' environment variables out of its own os.environ at start (files are
read at each allowed use), listens on the org's Unix socket (org.identity.brokerclient.socket_path:
folder 0700, socket 0600, and a peer of another OS user is refused unless allowed with --allow-uid),
and answers one JSON request per connection with the existing Broker (authenticate, decide() through
the bus's `act`, audit events, the fixed refusal, the scrubbed response). Clients (`org credential
use`, agents) send their token and the request, and get back only what Broker.call returns.

Ops: `ping` (pid, org, database without its password, counters: requests, uses, refusals, secrets
resolved) and `use`. A connection that has not sent its request line within READ_TIMEOUT_S is dropped.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from org import unixsock
from org.bus.store import _safe
from org.errors import OrgError, UsageError
from org.identity.brokerclient import MAX_LINE, alive, socket_path
from org.identity.busd import finite_scalar, parse_request
from org.identity.guard import Guard

__all__ = ["BrokerDaemon"]

READ_TIMEOUT_S = 10.0  # a connection that has not sent its request line by then is dropped
MAX_BUSES = 8  # database connections the broker's requests hold at once (more wait for one)
_USE_FIELDS = {
    "token": False,
    "credential": True,
    "service": True,
    "task": True,
    "as": False,
    "method": False,
    "path": False,
    "body": False,
}
_SCALARS = (str, int, float, bool)


def _read_line(sock: socket.socket, timeout: float) -> bytes | None:
    """The request line (at most MAX_LINE + 1 bytes, its newline included), read within `timeout` seconds in
    all (a client dripping bytes gets no longer than one that sends none); None when the deadline passes."""
    deadline = time.monotonic() + timeout
    buf = bytearray()
    try:
        while b"\n" not in buf and len(buf) <= MAX_LINE:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
    except OSError:  # socket.timeout is an OSError
        return None
    return bytes(buf[: buf.index(b"\n") + 1] if b"\n" in buf else buf[: MAX_LINE + 1])


class BrokerDaemon:
    """One org's broker: secrets in memory, a pool of bus connections, a threaded Unix-socket server."""

    def __init__(
        self,
        root: Path,
        db_url: str,
        cfg: Any,
        *,
        socket_file: Path | None = None,
        allow_uids: tuple[int, ...] = (),
        read_timeout: float = READ_TIMEOUT_S,
        stand_ins: Any = None,
    ) -> None:
        from org.identity.broker import Secrets, StandIns

        self.root, self.db_url, self.cfg = root, db_url, cfg
        self.secrets = Secrets.take(cfg)  # out of os.environ: nothing this process starts inherits them
        self.stand_ins = stand_ins if stand_ins is not None else StandIns.from_env()
        self.path = socket_file or socket_path(root, db_url, create=True)
        self.uids = {os.getuid(), *allow_uids}
        self.read_timeout = read_timeout
        self.counts = {"requests": 0, "uses": 0, "refusals": 0}
        self._lock = threading.Lock()
        self._pool: queue.SimpleQueue = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(MAX_BUSES)
        self._server: socketserver.UnixStreamServer | None = None
        self._inode: unixsock.Inode | None = None
        self.sleep = time.sleep  # how a failed authentication's throttle waits (tests record it)

    # -- buses ---------------------------------------------------------------------------------
    def _bus(self):
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            from org.bus import Bus

            bus = Bus.open(self.db_url, root=self.root, config=self.cfg)
            bus.ctx.secret_env = self.secrets.env  # the bus scrubs what it records with the broker's snapshot
            return bus

    # -- requests ------------------------------------------------------------------------------
    def handle(self, req: Any) -> dict:
        """The answer to one request (a JSON-able dict: {"ok": true, "result": ...} or the error's JSON)."""
        with self._lock:
            self.counts["requests"] += 1
        try:
            if isinstance(
                req, UsageError
            ):  # not JSON as the socket takes it (org.identity.busd.parse_request)
                raise req
            if not isinstance(req, dict) or req.get("op") not in ("ping", "use"):
                raise UsageError('the broker answers {"op": "ping"} and {"op": "use", ...}')
            if req["op"] == "ping":
                return {"ok": True, "result": self.status()}
            return {"ok": True, "result": self._use(req)}
        except OrgError as exc:
            with self._lock:
                self.counts["refusals"] += 1
            return {**exc.to_json(), "exit_code": exc.exit_code}
        except (
            Exception
        ) as exc:  # a fault of ours: answered (never its text: it may hold a secret), serving on
            with self._lock:
                self.counts["faults"] = self.counts.get("faults", 0) + 1
            err = OrgError(f"internal error ({type(exc).__name__}) serving this request")
            return {**err.to_json(), "exit_code": err.exit_code}

    def _use(self, req: dict) -> dict:
        from org.identity.broker import Broker

        for k, required in _USE_FIELDS.items():
            v = req.get(k)
            if (v is None and required) or (v is not None and not isinstance(v, str)):
                raise UsageError(f"'{k}' is {'a required' if required else 'an optional'} string")
        attrs = req.get("attributes")
        if attrs is not None and not (
            isinstance(attrs, dict)
            and all(
                isinstance(k, str) and isinstance(v, _SCALARS) and finite_scalar(v) for k, v in attrs.items()
            )
        ):
            raise UsageError("'attributes' is an optional object of scalar values (finite numbers)")
        waits: list[float] = []
        self._slots.acquire()
        bus = None
        clean = False
        try:
            bus = self._bus()
            guard = Guard(bus, token_files=False)  # only the token sent, never a file here
            guard.tokens.sleep = waits.append  # a failed authentication's wait happens below, without the bus
            out = Broker(bus, guard, self.secrets, self.stand_ins).call(
                req.get("token"),
                credential=req["credential"],
                service=req["service"],
                task=req["task"],
                as_=req.get("as"),
                method=req.get("method") or "GET",
                path=req.get("path") or "/",
                body=req.get("body"),
                attributes=attrs,
            )
            clean = True
        except OrgError:
            clean = True
            raise
        finally:
            if bus is not None and clean:
                self._pool.put(bus)
            elif bus is not None:  # a fault mid-call: its connection is closed, not pooled
                with contextlib.suppress(Exception):
                    bus.close()
            self._slots.release()
            if waits:  # a flood of bad tokens waits here, each thread holding no database connection
                self.sleep(sum(waits))
        with self._lock:
            self.counts["uses"] += 1
        return out

    def status(self) -> dict:
        with self._lock:
            counts = dict(self.counts)
        return {
            "pid": os.getpid(),
            "root": str(self.root),
            "db": _safe(self.db_url),
            "socket": str(self.path),
            "secrets_resolved": self.secrets.resolved,
            "stand_ins": sorted(self.stand_ins.spec),
            **counts,
        }

    # -- serving -------------------------------------------------------------------------------
    def bind(self) -> None:
        if (self.path.exists() or self.path.is_symlink()) and alive(self.path) is not None:
            raise UsageError(f"a broker already serves this org on {self.path}")
        unixsock.take(self.path, "broker")  # only a stale socket is removed; never a file or a live socket
        daemon = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                if unixsock.peer_uid(self.connection) not in daemon.uids:
                    return  # another OS user: not even an error message
                line = _read_line(self.connection, daemon.read_timeout)
                if line is None:
                    return  # no request line within the deadline (or reset): dropped without an answer
                out = daemon.handle(parse_request(line))
                with contextlib.suppress(OSError):  # a client that stopped reading
                    self.wfile.write(json.dumps(out, default=str).encode() + b"\n")

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        old = os.umask(0o177 if len(self.uids) == 1 else 0o111)  # the socket is 0600 from birth
        try:
            self._server = Server(str(self.path), Handler)
        except OSError as exc:  # e.g. another broker bound it a moment ago
            raise UsageError(f"cannot listen on {self.path}: {exc.strerror or exc}") from None
        finally:
            os.umask(old)
        self._inode = unixsock.bound(self.path)

    def serve(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve until SIGTERM / SIGINT (or `stop`); the socket is removed on the way out."""
        if self._server is None:
            self.bind()
        server = self._server
        assert server is not None

        def stop(_sig: int, _frame: Any) -> None:
            threading.Thread(target=server.shutdown, daemon=True).start()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        if on_ready:
            on_ready()
        try:
            server.serve_forever(poll_interval=0.05)
        finally:
            server.server_close()
            unixsock.release(self.path, self._inode)  # never the socket of a broker that took the path since
            while not self._pool.empty():
                self._pool.get_nowait().close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
