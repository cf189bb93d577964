"""An agent's way to the work bus: the bus socket org serves (org.identity.busd), never the database.

    with BusClient() as bus:                       # ORG_BUS_SOCKET (in a sandbox: /run/org/bus.sock)
        claim, job_token = bus.claim(principal_token, "builder", "build-claude")
        bus.submit(job_token, claim.job, "pass", note="done")

The methods are the door's agent operations with the door's signatures (org.identity.guard.Guard): claim,
heartbeat, task, timeline, submit, release, fail, job_facts, job_read, act, rehearse_act, events_since,
wait_for_decision, comment, record_tool_call (the tool-call ledger, ADR 0231), revision_read (a reviewer's look
at its revision),
whoami, list_tasks; so the CLI
and the MCP server use a client where they would use a Guard. Errors come back as the org.errors tree (the
server's exit code kept); a server that is gone raises BusGone (exit 7: the run is over or being restarted).
One connection, many requests, one at a time (a lock); this module imports nothing of the bus.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from org.errors import Conflict, Denied, IntegrityError, NeedsApproval, NotFound, OrgError, Paused, UsageError

__all__ = ["BusClient", "BusGone", "SocketClaim", "SOCKET_ENV", "OPERATIONS"]

SOCKET_ENV = "ORG_BUS_SOCKET"
OPERATIONS = (
    "claim",
    "heartbeat",
    "task",
    "timeline",
    "submit",
    "release",
    "fail",
    "job_facts",
    "job_read",
    "act",
    "rehearse_act",
    "events_since",
    "wait_for_decision",
    "comment",
    "agent_events",
    "record_tool_call",
    "revision_read",
    "whoami",
    "list_tasks",
)
_ERRORS: dict[str, type[OrgError]] = {
    c.kind: c for c in (UsageError, NotFound, Denied, Conflict, NeedsApproval, Paused, IntegrityError)
}
MAX_ANSWER = 64 << 20


class BusGone(Paused):
    """The bus socket does not answer (exit 7): the run ended, or its server died and is being restarted."""


class SocketClaim:
    """A claim as the socket returns it: the fields of org.bus's Claim as attributes, and its JSON."""

    def __init__(self, doc: dict) -> None:
        self._doc = dict(doc)
        self.__dict__.update(doc)

    def to_json(self) -> dict:
        return dict(self._doc)


class BusClient:
    """One connection to the bus socket at `path` (default: $ORG_BUS_SOCKET)."""

    remote = True  # the server reads git, the workspaces and the ADRs: a caller passes it no service

    def __init__(self, path: str | Path | None = None, *, timeout_s: float = 120.0) -> None:
        p = path if path is not None else os.environ.get(SOCKET_ENV)
        if not p:
            raise UsageError(f"no bus socket: {SOCKET_ENV} is not set")
        self.path = str(p)
        self.timeout_s = timeout_s
        self._sock: socket.socket | None = None
        self._buf = bytearray()
        self._lock = threading.Lock()

    # -- the wire ------------------------------------------------------------------------------------
    def _connect(self) -> socket.socket:
        if self._sock is None:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(self.timeout_s)
            try:
                s.connect(self.path)
            except OSError as exc:
                s.close()
                raise BusGone(f"the bus server is gone ({self.path}: {exc.strerror or exc})") from None
            self._sock, self._buf = s, bytearray()
        return self._sock

    def call(self, op: str, token: str | None, **args: Any) -> Any:
        """One request; its result, or the server's refusal raised as its OrgError."""
        line = json.dumps(
            {"op": op, "token": token, "args": {k: v for k, v in args.items() if v is not None}}
        )
        with self._lock:
            s = self._connect()
            try:
                s.sendall(line.encode() + b"\n")
                raw = self._read_line(s)
            except OSError as exc:
                self.close()
                raise BusGone(
                    f"the bus server is gone ({exc.strerror or exc}); your {op} may not have been recorded"
                ) from None
        try:
            doc = json.loads(raw)
        except ValueError:
            self.close()
            raise BusGone("the bus server answered something that is not JSON") from None
        if doc.get("ok") is True and "result" in doc:
            return doc["result"]
        cls = _ERRORS.get(str(doc.get("error")), OrgError)
        raise cls(str(doc.get("message") or "refused by the bus server"), **(doc.get("detail") or {}))

    def _read_line(self, s: socket.socket) -> bytes:
        while b"\n" not in self._buf:
            chunk = s.recv(1 << 16)
            if not chunk:
                self.close()
                raise OSError(0, "connection closed")
            self._buf += chunk
            if len(self._buf) > MAX_ANSWER:
                self.close()
                raise OSError(0, "answer too large")
        i = self._buf.index(b"\n")
        line = bytes(self._buf[:i])
        del self._buf[: i + 1]
        return line

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def __enter__(self) -> BusClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        """Any operation the socket does not offer is refused plainly (fail closed, never a pass-through)."""
        if name.startswith("_"):
            raise AttributeError(name)
        raise UsageError(
            f"'{name}' is not offered to agents over the bus socket (it offers: {', '.join(OPERATIONS)})"
        )

    # -- the door's agent operations -----------------------------------------------------------------
    def claim(
        self,
        token: str | None,
        lane: str,
        as_: str | None = None,
        *,
        lease_seconds: float = 300.0,
        wait_seconds: float = 0.0,
        on_wait: Callable[[], object] | None = None,
    ) -> tuple[SocketClaim, str]:
        """As the Guard's claim; the server waits, so on_wait() is called when a first look found nothing."""
        if on_wait is not None and wait_seconds > 0:
            try:
                return self.claim(token, lane, as_, lease_seconds=lease_seconds)
            except NotFound:
                on_wait()
        r = self.call(
            "claim", token, lane=lane, lease_seconds=lease_seconds, wait_seconds=wait_seconds, **{"as": as_}
        )
        return SocketClaim(r["claim"]), r["job_token"]

    def heartbeat(self, token: str | None, job: int | str, *, lease_seconds: float | None = None) -> dict:
        return self.call("heartbeat", token, job=job, lease_seconds=lease_seconds)

    def task(self, token: str | None, task: str, *, as_: str | None = None) -> dict:
        return self.call("task", token, task=task, **{"as": as_})

    def timeline(self, token: str | None, task: str, *, as_: str | None = None) -> list[dict]:
        return self.call("timeline", token, task=task, **{"as": as_})

    def submit(
        self,
        token: str | None,
        job: int | str,
        verdict: str,
        *,
        note: str = "",
        content: str = "",
        revision: str | None = None,
        commit: str | None = None,
        findings: list[dict] | None = None,
        workspaces: Any = None,
    ) -> dict:
        """`commit`: a passing work job of a repository task delivers this commit (the server checks it with
        the diff guard, as `org submit --commit` does; `workspaces`, the Guard's way to ask for that check in
        process, is not sent: the server always checks)."""
        return self.call(
            "submit",
            token,
            job=job,
            verdict=verdict,
            note=note or None,
            content=content or None,
            revision=revision,
            commit=commit,
            findings=findings,
        )

    def release(self, token: str | None, job: int | str, *, reason: str) -> dict:
        return self.call("release", token, job=job, reason=reason)

    def fail(self, token: str | None, job: int | str, *, reason: str) -> dict:
        return self.call("fail", token, job=job, reason=reason)

    def job_facts(self, token: str | None, job: int | str, *, workspaces: Any = None) -> dict:
        """The handover of the job (the server composes it: workspace, diff and ADRs are read where the org
        is; `workspaces` is the Guard's parameter and is not sent)."""
        return self.call("job_facts", token, job=job)

    def job_read(
        self,
        token: str | None,
        job: int | str,
        what: str,
        *,
        gate: str | None = None,
        revision: str | None = None,
        after: int = 0,
        types: tuple[str, ...] | None = None,
        limit: int = 1000,
    ) -> Any:
        """What the job's holder reads while it works (switches, work_result, events, head), scoped to its job."""
        return self.call(
            "job_read",
            token,
            job=job,
            what=what,
            gate=gate,
            revision=revision,
            after=after or None,
            types=list(types) if types else None,
            limit=limit,
        )

    def act(
        self, token: str | None, action: str, as_: str | None, task: str, attributes: dict | None = None
    ) -> dict:
        return self.call("act", token, action=action, task=task, attributes=attributes, **{"as": as_})

    def rehearse_act(
        self,
        token: str | None,
        action: str,
        actor: str,
        task: str,
        attributes: dict | None = None,
        *,
        as_: str | None = None,
    ) -> dict:
        return self.call(
            "rehearse_act", token, action=action, actor=actor, task=task, attributes=attributes, **{"as": as_}
        )

    def events_since(
        self,
        token: str | None,
        after: int = 0,
        *,
        limit: int = 1000,
        task: str | None = None,
        types: tuple[str, ...] | None = None,
        as_: str | None = None,
    ) -> list[dict]:
        return self.call(
            "events_since", token, after=after, limit=limit, task=task, types=list(types) if types else None
        )

    def wait_for_decision(
        self, token: str | None, approval: int, timeout: float, *, as_: str | None = None
    ) -> dict:
        return self.call("wait_for_decision", token, approval=approval, timeout=timeout, **{"as": as_})

    def comment(self, token: str | None, job: int | str, body: str) -> dict:
        return self.call("comment", token, job=job, body=body)

    def agent_events(self, token: str | None, job: int | str, events: list[dict]) -> dict:
        return self.call("agent_events", token, job=job, events=events)

    def record_tool_call(self, token: str | None, job: int | str, entry: dict) -> dict:
        return self.call("record_tool_call", token, job=job, entry=entry)

    def revision_read(
        self, token: str | None, job: int | str, what: str, arg: str = "", *, workspaces: Any = None
    ) -> dict:
        """A review job's read-only look at its bound revision; the server reads git (`workspaces` is unused)."""
        return self.call("revision_read", token, job=job, what=what, arg=arg)

    def whoami(self, token: str | None, *, as_: str | None = None) -> dict:
        return self.call("whoami", token, **{"as": as_})

    def list_tasks(self, token: str | None, *, as_: str | None = None, **filters: Any) -> list[dict]:
        return self.call("list_tasks", token, **filters, **{"as": as_})
