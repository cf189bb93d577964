"""The bus served to agents over a Unix socket: how an agent reaches the work bus without holding the database.

An agent process (in its sandbox: `/run/org/bus.sock`) sends one JSON object per line and gets one back, as
many as it likes on one connection:

    {"op": "claim", "token": "orgp_...", "args": {"lane": "builder", "as": "build-claude"}}
    {"ok": true, "result": {"claim": {...}, "job_token": "orgj_..."}}
    {"ok": false, "error": "conflict", "message": "...", "exit_code": 5}

Operations are door operations (org.identity.guard.Guard.OPERATIONS), exactly those an agent uses (OPERATIONS
below; tests/identity/test_busd.py holds them to the door's table): claim, heartbeat, task and timeline ("show"),
submit, release, fail, job_facts (the handover, `org job show`), act, rehearse_act ("explain"), events_since ("events") and wait_for_decision. Each request
carries its token; identity is the token's, authenticated by the Guard, never a name the request states. The
socket takes no token from a file and gives no principal a way to another's token.

Faults: a line longer than MAX_FRAME is answered with a usage error and the connection closed; a line that is
not a JSON request gets a usage error; an argument of the wrong name or type is refused before the door is
reached; a connection idle for IDLE_S, or that takes longer than READ_TIMEOUT_S to finish a line it began, is
closed; a peer of another OS user is closed without an answer. A claim whose answer cannot be delivered (the
client went away mid-claim) is released at once with that reason, so no job waits for its lease to expire.
A passing work submission of a repository task carries its commit through `check` (org.workspaces' diff guard,
given by whoever starts the server: this layer knows no git), as `org submit` does on the database.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from org.errors import OrgError, UsageError
from org.identity.guard import Guard

__all__ = ["BusServer", "OPERATIONS", "MAX_FRAME"]

MAX_FRAME = 16 << 20  # bytes of one request line (a submission's content included)
READ_TIMEOUT_S = 10.0  # to finish a line once its first byte arrived
IDLE_S = 600.0  # a connection with no request for this long is closed
MAX_BUSES = 8
MAX_WAIT_S = 60.0  # claim --wait and wait_for_decision are capped: a thread, not a database connection, waits

_STR, _NUM, _INT, _JOB = (str,), (int, float), (int,), (int, str)
_SCALARS = (str, int, float, bool)

# socket operation (a door operation) -> {argument: (types, required)}; nothing else reaches the door
OPERATIONS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "claim": {
        "lane": (_STR, True),
        "as": (_STR, False),
        "lease_seconds": (_NUM, False),
        "wait_seconds": (_NUM, False),
    },
    "heartbeat": {"job": (_JOB, True), "lease_seconds": (_NUM, False)},
    "task": {"task": (_STR, True), "as": (_STR, False)},
    "timeline": {"task": (_STR, True), "as": (_STR, False)},
    "submit": {
        "job": (_JOB, True),
        "verdict": (_STR, True),
        "note": (_STR, False),
        "content": (_STR, False),
        "revision": (_STR, False),
        "commit": (_STR, False),
        "findings": ((list,), False),
    },
    "release": {"job": (_JOB, True), "reason": (_STR, True)},
    "fail": {"job": (_JOB, True), "reason": (_STR, True)},
    "job_facts": {"job": (_JOB, True)},
    "act": {
        "action": (_STR, True),
        "task": (_STR, True),
        "as": (_STR, False),
        "attributes": ((dict,), False),
    },
    "rehearse_act": {
        "action": (_STR, True),
        "actor": (_STR, True),
        "task": (_STR, True),
        "as": (_STR, False),
        "attributes": ((dict,), False),
    },
    "events_since": {
        "after": (_INT, False),
        "task": (_STR, False),
        "types": ((list,), False),
        "limit": (_INT, False),
    },
    "wait_for_decision": {"approval": (_INT, True), "timeout": (_NUM, False), "as": (_STR, False)},
}


def _peer_uid(sock: socket.socket) -> int | None:
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (OSError, AttributeError):
        return None
    return struct.unpack("3i", raw)[1]


def _args(op: str, raw: Any) -> dict:
    """The request's arguments checked against the operation's table (UsageError names the first wrong one)."""
    spec = OPERATIONS[op]
    args = {} if raw is None else raw
    if not isinstance(args, dict):
        raise UsageError("'args' is an object")
    for k in args:
        if k not in spec:
            raise UsageError(f"'{op}' takes no argument '{k}' (it takes: {', '.join(spec)})")
    for k, (types, required) in spec.items():
        v = args.get(k)
        if v is None:
            if required:
                raise UsageError(f"'{op}' needs '{k}'")
            continue
        if isinstance(v, bool) or not isinstance(v, types):
            raise UsageError(f"'{k}' of '{op}' has the wrong type")
    attrs = args.get("attributes")
    if attrs is not None and not all(
        isinstance(k, str) and isinstance(v, _SCALARS) for k, v in attrs.items()
    ):
        raise UsageError("'attributes' is an object of scalar values")
    if args.get("types") is not None and not all(isinstance(t, str) for t in args["types"]):
        raise UsageError("'types' is a list of event types")
    if args.get("findings") is not None and not all(isinstance(f, dict) for f in args["findings"]):
        raise UsageError("'findings' is a list of objects")
    return args


class BusServer:
    """The agents' bus socket for one org and database: a pool of bus connections behind the door, and a
    threaded Unix-socket server (0600). `check(bus, job, actor, commit)` -> the checked commit or None: the
    revision check of a passing work submission (org.workspaces.service.check_revision). `handover(door, token,
    job)` -> the agent contract's handover of a job (org.agents.handover; without it the door's job facts)."""

    def __init__(
        self,
        db_url: str,
        *,
        root: Path | None,
        config: Any = None,
        path: Path,
        check: Callable[[Any, int, str, str | None], str | None] | None = None,
        handover: Callable[[Guard, str | None, int | str], dict] | None = None,
        allow_uids: tuple[int, ...] = (),
        read_timeout: float = READ_TIMEOUT_S,
        idle_s: float = IDLE_S,
        isolation: str | None = None,
    ) -> None:
        self.db_url, self.root, self.config = db_url, root, config
        self.path = Path(path)
        self.check = check
        self.handover = handover
        self.uids = {os.getuid(), *allow_uids}
        self.read_timeout, self.idle_s = read_timeout, idle_s
        self.isolation = isolation  # "none": its clients run without a sandbox, and every event says so
        self.counts = {"requests": 0, "refusals": 0, "connections": 0, "undelivered_claims": 0}
        self.sleep = time.sleep  # a bad token's throttle (tests record it)
        self._lock = threading.Lock()
        self._pool: queue.SimpleQueue = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(MAX_BUSES)
        self._server: socketserver.UnixStreamServer | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()

    # -- one request ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _door(self):
        waits: list[float] = []
        self._slots.acquire()
        door = None
        try:
            try:
                door = self._pool.get_nowait()
            except queue.Empty:
                from org.bus import Bus

                bus = Bus.open(self.db_url, root=self.root, config=self.config)
                # only the token sent: never a file on this account; the door owns (closes) its bus
                door = Guard(bus, token_files=False, owns_bus=True, isolation=self.isolation)
            door.tokens.sleep = waits.append
            yield door
        finally:
            if door is not None:
                self._pool.put(door)  # a door per pooled connection: its pepper is read once
            self._slots.release()
            if waits:  # a flood of bad tokens waits here, holding no database connection
                self.sleep(sum(waits))

    def handle(self, req: Any, deliver: Callable[[dict], bool] | None = None) -> dict | None:
        """The answer to one request; with `deliver`, it is sent from here and None returned (so that a claim
        whose answer cannot be delivered is handed back at once)."""
        with self._lock:
            self.counts["requests"] += 1
        try:
            if not isinstance(req, dict) or req.get("op") not in OPERATIONS:
                raise UsageError(
                    f"a request is {{'op': one of {', '.join(OPERATIONS)}, 'token': ..., 'args': {{...}}}}"
                )
            op = req["op"]
            token = req.get("token")
            if token is not None and not isinstance(token, str):
                raise UsageError("'token' is a string")
            args = _args(op, req.get("args"))
            with self._door() as door:
                out = self._call(door, op, token, args, deliver)
            return out
        except OrgError as exc:
            with self._lock:
                self.counts["refusals"] += 1
            answer = {**exc.to_json(), "exit_code": exc.exit_code}
            if deliver is not None:
                deliver(answer)
                return None
            return answer

    def _call(
        self, door: Guard, op: str, token: str | None, a: dict, deliver: Callable[[dict], bool] | None
    ) -> dict | None:
        as_ = a.get("as")
        result: Any
        if op == "claim":
            claim, job_token = door.claim(
                token,
                a["lane"],
                as_,
                lease_seconds=float(a.get("lease_seconds") or 300.0),
                wait_seconds=min(float(a.get("wait_seconds") or 0.0), MAX_WAIT_S),
            )
            answer = {"ok": True, "result": {"claim": claim.to_json(), "job_token": job_token}}
            if deliver is not None and not deliver(answer):
                with self._lock:
                    self.counts["undelivered_claims"] += 1
                with contextlib.suppress(OrgError):
                    door.release(
                        job_token,
                        claim.job,
                        reason="the claim's answer could not be delivered over the bus socket (the agent went away)",
                    )
                return None
            return None if deliver is not None else answer
        if op == "heartbeat":
            result = door.heartbeat(token, a["job"], lease_seconds=a.get("lease_seconds"))
        elif op == "task":
            result = door.task(token, a["task"], as_=as_)
        elif op == "timeline":
            result = door.timeline(token, a["task"], as_=as_)
        elif op == "submit":
            revision = a.get("revision")
            if self.check is not None and a["verdict"].strip().lower() == "pass":
                p = door.holder(token, command="submit")
                if p.job is not None and str(p.job) == str(a["job"]).strip().lstrip("Jj-"):
                    from org.identity.guard import acting

                    with acting(p):
                        revision = self.check(door._bus, p.job, p.actor, a.get("commit")) or revision
            elif a.get("commit"):
                raise UsageError("'commit' goes with verdict pass (a delivered revision)")
            result = door.submit(
                token,
                a["job"],
                a["verdict"],
                note=a.get("note") or "",
                content=a.get("content") or "",
                revision=revision,
                **({"findings": a["findings"]} if a.get("findings") is not None else {}),
            )
        elif op == "release":
            result = door.release(token, a["job"], reason=a["reason"])
        elif op == "fail":
            result = door.fail(token, a["job"], reason=a["reason"])
        elif op == "job_facts":  # the whole handover when the server was given one (org.agents.handover)
            if self.handover is not None:
                result = self.handover(door, token, a["job"])
            else:
                result = door.job_facts(token, a["job"])
        elif op == "act":
            result = door.act(token, a["action"], as_, a["task"], a.get("attributes"))
        elif op == "rehearse_act":
            result = door.rehearse_act(
                token, a["action"], a["actor"], a["task"], a.get("attributes"), as_=as_
            )
        elif op == "events_since":
            result = door.events_since(
                token,
                int(a.get("after") or 0),
                limit=min(int(a.get("limit") or 1000), 10_000),
                task=a.get("task"),
                types=tuple(a["types"]) if a.get("types") is not None else None,
            )
        else:  # wait_for_decision
            result = door.wait_for_decision(
                token, a["approval"], min(float(a.get("timeout") or 0.0), MAX_WAIT_S), as_=as_
            )
        answer = {"ok": True, "result": result}
        if deliver is not None:
            deliver(answer)
            return None
        return answer

    # -- serving -------------------------------------------------------------------------------------
    def _connection(self, conn: socket.socket) -> None:
        if _peer_uid(conn) not in self.uids:
            return  # another OS user: not even an error message
        with self._lock:
            self.counts["connections"] += 1
            self._conns.add(conn)
        try:
            self._serve_connection(conn)
        finally:
            with self._lock:
                self._conns.discard(conn)

    def _serve_connection(self, conn: socket.socket) -> None:
        buf = bytearray()

        def deliver(answer: dict) -> bool:
            try:
                conn.sendall(json.dumps(answer, default=str).encode() + b"\n")
                return True
            except OSError:
                return False

        while True:
            line = self._line(conn, buf)
            if line is None:
                return
            if len(line) > MAX_FRAME:
                deliver(
                    {**UsageError(f"a request line is at most {MAX_FRAME} bytes").to_json(), "exit_code": 2}
                )
                return  # the rest of that line cannot be told from the next request: close
            try:
                req = json.loads(line) if line.strip() else None
            except ValueError:
                req = None
            self.handle(req, deliver)

    def _line(self, conn: socket.socket, buf: bytearray) -> bytes | None:
        """The next request line (without its newline), or one longer than MAX_FRAME, or None: closed, idle
        past idle_s, or a line begun and not finished within read_timeout."""
        deadline: float | None = None
        idle_until = time.monotonic() + self.idle_s
        while b"\n" not in buf:
            if len(buf) > MAX_FRAME:
                return bytes(buf)
            now = time.monotonic()
            if buf and deadline is None:
                deadline = now + self.read_timeout
            left = (deadline if deadline is not None else idle_until) - now
            if left <= 0:
                return None
            try:
                conn.settimeout(left)
                chunk = conn.recv(1 << 16)
            except OSError:
                return None
            if not chunk:
                return None
            buf += chunk
        i = buf.index(b"\n")
        line = bytes(buf[:i])
        del buf[: i + 1]
        return line

    def start(self) -> BusServer:
        """Listen (socket 0600, a stale one replaced) and serve in background threads."""
        if self.path.exists() or self.path.is_symlink():
            self.path.unlink()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server._connection(self.request)

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True
            request_queue_size = 128

        old = os.umask(0o177 if len(self.uids) == 1 else 0o111)
        try:
            self._server = Server(str(self.path), Handler)
        except OSError as exc:
            raise UsageError(f"cannot listen on {self.path}: {exc.strerror or exc}") from None
        finally:
            os.umask(old)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="org-bus-socket",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            conns = list(self._conns)
        for c in conns:  # a stopped server answers no one: its clients hear that it is gone
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.path.unlink()
        while not self._pool.empty():
            with contextlib.suppress(Exception):
                self._pool.get_nowait().close()

    def __enter__(self) -> BusServer:
        return self if self._server is not None else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
