"""The bus served to agents over a Unix socket: how an agent reaches the work bus without holding the database.

An agent process (in its sandbox: `/run/org/bus.sock`) sends one JSON object per line and gets one back, as
many as it likes on one connection:

    {"op": "claim", "token": "orgp_...", "args": {"lane": "builder", "as": "build-claude"}}
    {"ok": true, "result": {"claim": {...}, "job_token": "orgj_..."}}
    {"ok": false, "error": "conflict", "message": "...", "exit_code": 5}

Operations are door operations (org.identity.guard.Guard.OPERATIONS), exactly those an agent uses (OPERATIONS
below; tests/identity/test_busd.py holds them to the door's table): claim, heartbeat, task and timeline ("show"),
submit, release, fail, job_facts (the handover, `org job show`), job_read (what a job's worker reads: the
switches covering it, its task's results and events, the log's head; scoped to its job), act, rehearse_act ("explain"), events_since ("events"),
wait_for_decision, and for the MCP server (org.mcp) comment, whoami and list_tasks. Each request
carries its token; identity is the token's, authenticated by the Guard, never a name the request states. The
socket takes no token from a file and gives no principal a way to another's token.

Faults: a line longer than MAX_FRAME is answered with a usage error and the connection closed; a line that is
not a JSON request gets a usage error; an argument of the wrong name or type is refused before the door is
reached; a connection idle for IDLE_S, or that takes longer than READ_TIMEOUT_S to finish a line it began, is
closed; a peer of another OS user is closed without an answer. A claim whose answer cannot be delivered (the
client went away mid-claim) is released at once with that reason, so no job waits for its lease to expire.
Every number is finite and within 0..a bound (NaN, Infinity, 31-digit integers are usage errors; so is a line
nested too deep), and any fault that is not an OrgError is answered as an internal error and its door closed.
A waiting claim or wait_for_decision holds a door only while it looks, never while it waits (at most
MAX_WAITS_PER_PRINCIPAL waits per principal, MAX_WAITS in all; ADR 0118).
A passing work submission of a repository task carries its commit through `check` (org.workspaces' diff guard,
given by whoever starts the server: this layer knows no git), as `org submit` does on the database.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from org import unixsock
from org.errors import Conflict, NotFound, OrgError, UsageError
from org.identity.guard import Guard

__all__ = ["BusServer", "OPERATIONS", "MAX_FRAME", "parse_request", "finite_scalar"]

MAX_FRAME = 16 << 20  # bytes of one request line (a submission's content included)
READ_TIMEOUT_S = 10.0  # to finish a line once its first byte arrived
IDLE_S = 600.0  # a connection with no request for this long is closed
MAX_BUSES = 8  # doors (pooled database connections); a request holds one only while it looks, never waiting
MAX_WAIT_S = 60.0  # claim --wait and wait_for_decision are capped: a thread, not a door, waits
MAX_WAITS = 32  # waits at once over the socket (each listens on a connection of its own) ...
MAX_WAITS_PER_PRINCIPAL = 2  # ... and at most this many by one principal: more is refused at once
MAX_SECONDS = 7 * 86400.0  # no number of seconds an argument states is larger (the longest lease)
MAX_INT = 2**63 - 1  # no integer an argument states is larger (a database's BIGINT): ids, sequence numbers

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
    "job_read": {
        "job": (_JOB, True),
        "what": (_STR, True),
        "gate": (_STR, False),
        "revision": (_STR, False),
        "after": (_INT, False),
        "types": ((list,), False),
        "limit": (_INT, False),
    },
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
    "comment": {"job": (_JOB, True), "body": (_STR, True)},
    "agent_events": {"job": (_JOB, True), "events": ((list,), True)},
    "record_tool_call": {"job": (_JOB, True), "entry": ((dict,), True)},
    "revision_read": {"job": (_JOB, True), "what": (_STR, True), "arg": (_STR, False)},
    "whoami": {"as": (_STR, False)},
    "list_tasks": {
        "status": (_STR, False),
        "workflow": (_STR, False),
        "lane": (_STR, False),
        "actor": (_STR, False),
        "limit": (_INT, False),
        "as": (_STR, False),
    },
}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_request(line: bytes) -> Any:
    """One request line as JSON; None for an empty line, a UsageError for one that is not JSON as the socket
    takes it (no NaN or Infinity, nothing nested past the stack, no integer of thousands of digits)."""
    if not line.strip():
        return None
    try:
        return json.loads(line, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        why = "nested too deep" if isinstance(exc, RecursionError) else str(exc).split(":")[0][:120]
        return UsageError(f"a request line is one JSON object (this one is not: {why})")


def _number_ok(v: Any, high: float) -> bool:
    """A finite number within 0..high (JSON's integers are unbounded, its floats may overflow to inf)."""
    if isinstance(v, float):
        return math.isfinite(v) and 0.0 <= v <= high
    return 0 <= v <= high


def finite_scalar(v: Any) -> bool:
    if isinstance(v, float):
        return math.isfinite(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return -MAX_INT <= v <= MAX_INT
    return True


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
        if isinstance(v, (int, float)) and not _number_ok(
            v, MAX_INT if types in (_INT, _JOB) else MAX_SECONDS
        ):
            high = "2**63-1" if types in (_INT, _JOB) else f"{MAX_SECONDS:g} seconds"
            raise UsageError(f"'{k}' of '{op}' is a finite number from 0 to {high}")
    attrs = args.get("attributes")
    if attrs is not None and not all(
        isinstance(k, str) and isinstance(v, _SCALARS) and finite_scalar(v) for k, v in attrs.items()
    ):
        raise UsageError("'attributes' is an object of scalar values")
    if args.get("types") is not None and not all(isinstance(t, str) for t in args["types"]):
        raise UsageError("'types' is a list of event types")
    if args.get("findings") is not None and not all(isinstance(f, dict) for f in args["findings"]):
        raise UsageError("'findings' is a list of objects")
    return args


class _NotYet(Exception):
    """What a waiting request's look found: not yet (its final answer, should the wait end now)."""

    def __init__(self, last: Any) -> None:
        super().__init__()
        self.last = last

    def final(self) -> Any:
        if isinstance(self.last, BaseException):
            raise self.last
        return self.last


class BusServer:
    """The agents' bus socket for one org and database: a pool of bus connections behind the door, and a
    threaded Unix-socket server (0600). `check(bus, job, actor, commit)` -> the checked commit or None: the
    revision check of a passing work submission (org.workspaces.service.check_revision; `bus` is the door's
    WorkspaceDoor for the job token). `handover(door, token,
    job)` -> the agent contract's handover of a job (org.agents.handover; without it the door's job facts).
    `revisions`: org.workspaces.service, for revision_read (a reviewer's read-only look at its revision)."""

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
        revisions: Any = None,
    ) -> None:
        self.db_url, self.root, self.config = db_url, root, config
        self.revisions = revisions  # the workspaces service a review job's revision_read reads git with
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
        self._waits: dict[str, int] = {}  # principal -> its waits in progress
        self._closed = threading.Event()
        self._server: socketserver.UnixStreamServer | None = None
        self._inode: unixsock.Inode | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()

    # -- one request ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _door(self):
        """A pooled door for one look at the bus (never held while waiting). A door whose call failed other
        than with an OrgError is closed, not pooled: its connection may be mid-transaction."""
        waits: list[float] = []
        self._slots.acquire()
        door = None
        clean = False
        try:
            try:
                door = self._pool.get_nowait()
            except queue.Empty:
                from org.bus import Bus

                bus = Bus.open(self.db_url, root=self.root, config=self.config)
                # only the token sent: never a file on this account; the door owns (closes) its bus
                door = Guard(bus, token_files=False, owns_bus=True, isolation=self.isolation)
            door.tokens.sleep = waits.append
            try:
                yield door
            except OrgError:
                clean = True
                raise
            clean = True
        finally:
            if door is not None and clean:
                self._pool.put(door)  # a door per pooled connection: its pepper is read once
            elif door is not None:
                with contextlib.suppress(Exception):
                    door.close()  # its bus (and connection) goes: a rolled back transaction at most
            self._slots.release()
            if waits:  # a flood of bad tokens waits here, holding no database connection
                self.sleep(sum(waits))

    def handle(self, req: Any, deliver: Callable[[dict], bool] | None = None) -> dict | None:
        """The answer to one request; with `deliver`, it is sent from here and None returned (so that a claim
        whose answer cannot be delivered is handed back at once)."""
        with self._lock:
            self.counts["requests"] += 1
        try:
            if isinstance(req, UsageError):
                raise req
            if not isinstance(req, dict) or req.get("op") not in OPERATIONS:
                raise UsageError(
                    f"a request is {{'op': one of {', '.join(OPERATIONS)}, 'token': ..., 'args': {{...}}}}"
                )
            op = req["op"]
            token = req.get("token")
            if token is not None and not isinstance(token, str):
                raise UsageError("'token' is a string")
            args = _args(op, req.get("args"))
            return self._call(op, token, args, deliver)
        except OrgError as exc:
            with self._lock:
                self.counts["refusals"] += 1
            answer = {**exc.to_json(), "exit_code": exc.exit_code}
        except Exception as exc:  # a fault of ours: answered, and the server goes on (its door was closed)
            with self._lock:
                self.counts["faults"] = self.counts.get("faults", 0) + 1
            answer = {
                **OrgError(f"internal error ({type(exc).__name__}) serving this request").to_json(),
                "exit_code": OrgError.exit_code,
            }
        if deliver is not None:
            deliver(answer)
            return None
        return answer

    @contextlib.contextmanager
    def _waiting(self, who: str):
        """A wait by `who`, if it is within MAX_WAITS_PER_PRINCIPAL and MAX_WAITS (else Conflict at once)."""
        with self._lock:
            mine, all_ = self._waits.get(who, 0), sum(self._waits.values())
            if mine >= MAX_WAITS_PER_PRINCIPAL or all_ >= MAX_WAITS:
                raise Conflict(
                    f"{who} already waits on {mine} requests over the bus socket (at most "
                    f"{MAX_WAITS_PER_PRINCIPAL} each, {MAX_WAITS} in all): ask again without waiting, or later"
                )
            self._waits[who] = mine + 1
        try:
            yield
        finally:
            with self._lock:
                self._waits[who] -= 1
                if not self._waits[who]:
                    del self._waits[who]

    def _wait(
        self,
        wait: float,
        look: Callable[[Guard], Any],
        who: Callable[[Guard], str],
        *,
        lanes: set[str],
        events: bool,
    ) -> Any:
        """look(door) until it returns (a _NotYet: not yet) or `wait` seconds pass, holding a door only while
        it looks: between looks it sleeps on a wake-up of its own (lanes, or any event), outside the pool."""
        from org.bus.wake import Waiter

        with self._door() as door:
            try:
                return look(door)
            except _NotYet as exc:
                if wait <= 0:
                    return exc.final()
                name = who(door)
                store = door._bus.store
        deadline = time.monotonic() + wait
        with self._waiting(name), Waiter(store, lanes, events=events) as w:
            while True:
                w.arm()  # listen before looking, so no post slips in between
                with self._door() as door:
                    try:
                        return look(door)
                    except _NotYet as exc:
                        last = exc
                left = deadline - time.monotonic()
                if left <= 0 or self._closed.is_set():
                    return last.final()
                w.wait(min(left, 1.0))

    def _call(
        self, op: str, token: str | None, a: dict, deliver: Callable[[dict], bool] | None
    ) -> dict | None:
        as_ = a.get("as")
        result: Any
        if op == "claim":

            def claim_once(door: Guard) -> Any:
                try:
                    return door.claim(
                        token, a["lane"], as_, lease_seconds=float(a.get("lease_seconds") or 300.0)
                    ), door
                except NotFound as exc:
                    raise _NotYet(exc) from None

            claim_who = lambda door: door.principal(token, as_=as_, command="claim").actor  # noqa: E731
            (claim, job_token), door = self._wait(
                min(float(a.get("wait_seconds") or 0.0), MAX_WAIT_S),
                claim_once,
                claim_who,
                lanes={a["lane"]},
                events=False,
            )
            answer = {"ok": True, "result": {"claim": claim.to_json(), "job_token": job_token}}
            if deliver is not None and not deliver(answer):
                with contextlib.suppress(OrgError), self._door() as door:
                    door.release(
                        job_token,
                        claim.job,
                        reason="the claim's answer could not be delivered over the bus socket (the agent went away)",
                    )
                with self._lock:  # counted once handed back: a reader of the count sees the job queued
                    self.counts["undelivered_claims"] += 1
                return None
            return None if deliver is not None else answer
        if op == "wait_for_decision":

            def decided(door: Guard) -> Any:
                row = door.wait_for_decision(token, a["approval"], 0.0, as_=as_)
                if row.get("status") == "pending":
                    raise _NotYet(row)
                return row

            wait_who = lambda door: door.principal(token, as_=as_, command="wait", job_ok=True).actor  # noqa: E731
            result = self._wait(
                min(float(a.get("timeout") or 0.0), MAX_WAIT_S), decided, wait_who, lanes=set(), events=True
            )
        else:
            with self._door() as door:
                result = self._look(door, op, token, a)
        answer = {"ok": True, "result": result}
        if deliver is not None:
            deliver(answer)
            return None
        return answer

    def _look(self, door: Guard, op: str, token: str | None, a: dict) -> Any:
        as_ = a.get("as")
        if op == "heartbeat":
            return door.heartbeat(token, a["job"], lease_seconds=a.get("lease_seconds"))
        if op == "task":
            return door.task(token, a["task"], as_=as_)
        if op == "timeline":
            return door.timeline(token, a["task"], as_=as_)
        if op == "submit":
            revision = a.get("revision")
            if self.check is not None and a["verdict"].strip().lower() == "pass":
                ws = door.workspaces(token, command="submit", job_ok=True, principal_ok=False)
                p = ws.principal
                if p.job is not None and str(p.job) == str(a["job"]).strip().lstrip("Jj-"):
                    revision = self.check(ws, p.job, p.actor, a.get("commit")) or revision
            elif a.get("commit"):
                raise UsageError("'commit' goes with verdict pass (a delivered revision)")
            return door.submit(
                token,
                a["job"],
                a["verdict"],
                note=a.get("note") or "",
                content=a.get("content") or "",
                revision=revision,
                **({"findings": a["findings"]} if a.get("findings") is not None else {}),
            )
        if op == "release":
            return door.release(token, a["job"], reason=a["reason"])
        if op == "fail":
            return door.fail(token, a["job"], reason=a["reason"])
        if op == "job_facts":  # the whole handover when the server was given one (org.agents.handover)
            if self.handover is not None:
                return self.handover(door, token, a["job"])
            return door.job_facts(token, a["job"])
        if op == "act":
            return door.act(token, a["action"], as_, a["task"], a.get("attributes"))
        if op == "job_read":  # what a job's worker reads while it works, scoped to its job (ADR 0171)
            return door.job_read(
                token,
                a["job"],
                a["what"],
                gate=a.get("gate"),
                revision=a.get("revision"),
                after=int(a.get("after") or 0),
                types=tuple(str(t) for t in a["types"]) if a.get("types") is not None else None,
                limit=min(int(a.get("limit") or 1000), 10_000),
            )
        if op == "comment":
            return door.comment(token, a["job"], a["body"])
        if op == "agent_events":
            return door.agent_events(token, a["job"], a["events"])
        if op == "record_tool_call":
            return door.record_tool_call(token, a["job"], a["entry"])
        if op == "revision_read":
            if self.revisions is None:
                raise UsageError(
                    "this bus socket reads no repository (it was started without the workspaces)"
                )
            return door.revision_read(
                token, a["job"], a["what"], a.get("arg") or "", workspaces=self.revisions
            )
        if op == "whoami":
            return door.whoami(token, as_=as_)
        if op == "list_tasks":
            filters = {k: a[k] for k in ("status", "workflow", "lane", "actor") if a.get(k) is not None}
            return door.list_tasks(token, as_=as_, limit=min(int(a.get("limit") or 100), 1000), **filters)
        if op == "rehearse_act":
            return door.rehearse_act(token, a["action"], a["actor"], a["task"], a.get("attributes"), as_=as_)
        # events_since
        return door.events_since(
            token,
            int(a.get("after") or 0),
            limit=min(int(a.get("limit") or 1000), 10_000),
            task=a.get("task"),
            types=tuple(a["types"]) if a.get("types") is not None else None,
        )

    # -- serving -------------------------------------------------------------------------------------
    def _connection(self, conn: socket.socket) -> None:
        if unixsock.peer_uid(conn) not in self.uids:
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
                self._drain(conn)
                return  # the rest of that line cannot be told from the next request: close
            self.handle(parse_request(line), deliver)

    def _drain(self, conn: socket.socket) -> None:
        """Before closing on an oversized line: say no more (shut writing) and read what the client is still
        sending, at most MAX_FRAME bytes more and read_timeout seconds; closing with it unread would reset the
        connection and lose the answer just sent."""
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)
            deadline, got = time.monotonic() + self.read_timeout, 0
            while got <= MAX_FRAME:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                conn.settimeout(left)
                chunk = conn.recv(1 << 16)
                if not chunk:
                    return
                got += len(chunk)

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
        unixsock.take(self.path, "bus server")
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
        self._inode = unixsock.bound(self.path)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="org-bus-socket",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closed.set()  # waits end at their next look
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
        unixsock.release(self.path, self._inode)  # never another server's socket that took the path since
        self._inode = None
        while not self._pool.empty():
            with contextlib.suppress(Exception):
                self._pool.get_nowait().close()

    def __enter__(self) -> BusServer:
        return self if self._server is not None else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
