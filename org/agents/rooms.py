"""The dispatcher's side of a job's room: each claimed job's agent work in a sandbox of its own (ADR 0171).

The dispatcher (org's side: it holds the database, claims for the run's members, sweeps, runs org's pipeline
and the budget brake) makes the job's workspace (a work job of a repository task: the handover makes it),
asks the run's gateway for the job's model access, and starts org.agents.worker in org.runtime.job_sandbox:
the workspace read-write (for any other job an empty folder), the bus, gateway and broker sockets, the org's
ADRs read-only, the job and its gateway token on stdin (pickled: the worker trusts its parent, never the
reverse: what comes back is JSON lines). The worker's outcome is the job's outcome; a worker that dies without
one gets its job released with why (the dispatcher heartbeats the lease meanwhile, as before), and the budget
brake runs here after the job, on the lane's ledger no job token may read.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from org import telemetry
from org.agents.jobwork import JobOutcome
from org.agents.prompts import role_of
from org.errors import OrgError

__all__ = ["Rooms", "ROOMS_ENV", "lane_limits"]

ROOMS_ENV = "ORG_AGENT_ROOMS"  # set by the supervisor: 'bwrap' when each job's work runs in a room
WORKER = [sys.executable, "-m", "org.agents.worker"]
GRACE_S = 5.0  # a worker told to stop (SIGTERM to its room) is killed this long after
BROKER_WAIT_S = (
    20.0  # how long a room waits for the run's broker to listen (once per run; like BrokerUse's wait)
)


def default_limits() -> Any:
    """What bounds a job's room when the run names nothing: wall 15 min, CPU 10 min, 4 GiB address space
    (inherited by the agent-written tests it runs)."""
    from org.runtime import Limits

    return Limits(wall_s=900.0, cpu_s=600, memory_mb=4096)


def lane_limits(lane: Any, base: Any) -> Any:
    """`base` (org.runtime.Limits) with what the lane's `room:` says in its place (ADR 0291)."""
    import dataclasses

    room = getattr(lane, "room", None)
    if room is None:
        return base
    said = {k: getattr(room, k) for k in ("wall_s", "cpu_s", "memory_mb") if getattr(room, k) is not None}
    return dataclasses.replace(base, **said)


class _AtLimit(str):
    """Why a worker ended: killed by a limit of its room (the job is failed, not released: it would again)."""


_OUTCOME = {f.name for f in fields(JobOutcome)}
_SPANS = "\0tool_spans"  # the worker's tool-call span records, carried with its outcome (no JobOutcome field)


@dataclass
class _Started:
    """A worker started in its room, waiting for its job on stdin; `scratch`: its empty folder, if it has one."""

    room: Any
    proc: subprocess.Popen
    scratch: Path | None

    def discard(self) -> None:
        self.room.kill(self.proc)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()
        self.room.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _trouble(exc: Exception) -> str:
    """What went wrong, for a note: an OSError's own words, else the exception's type and message."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"


def _noted(note: Any, why: str) -> None:
    """Say `why` in the run's notes; a note that cannot be said (its stderr a closed pipe) is dropped: the spare
    maker must live on (the rooms it started die with it) and asking for a spare never stops a job."""
    with contextlib.suppress(Exception):
        note("error", why[:300])


def _listening(path: Path) -> bool:
    """A broker serving at `path`: its ping is sent (a well-formed request, not a bare connection), and a socket
    file left by a dead broker (refused, or closed unanswered) is not one: bound into a room, the room would keep
    that dead socket even after a new broker listens at the path. A broker that accepts but is slow to answer
    (a loaded machine) still is one: its room gets its socket."""
    from org.identity.brokerclient import BrokerDown, request

    try:
        request(path, {"op": "ping"}, timeout=1.0)
    except BrokerDown:
        return False
    except OrgError:  # it answered with an error, or accepted and did not answer in time: it serves
        return True
    return True


@dataclass
class Rooms:
    """Where a run's jobs are worked: `isolation` (org.runtime.Isolation), the sockets handed into each room.
    A job that needs no workspace (every job but a builder's on a repository) takes a spare room started ahead
    (its Python and imports ready: a room costs a process start, ~1 s here); `spares` of them are kept for each
    lane's limits seen (a room's limits are set when it starts)."""

    cfg: Any
    isolation: Any
    bus: Path
    gateway: Path
    broker: Path | None = None
    limits: Any = field(default_factory=default_limits)  # org.runtime.Limits per job's room, enforced
    spares: int = 1
    note: Any = None  # (kind, text): the run's notes (JobRunner.note), where the spare maker says its trouble
    _spare: list[_Started] = field(default_factory=list, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)
    _broker_given_up: bool = field(default=False, init=False, repr=False)
    _wanted: list[Any] = field(default_factory=list, init=False, repr=False)  # limits of spares to start
    _stopping: threading.Event | None = field(default=None, init=False, repr=False)
    _maker: threading.Thread | None = field(default=None, init=False, repr=False)
    _wake: threading.Condition = field(init=False, repr=False)
    _spare_said: set[str] = field(
        default_factory=set, init=False, repr=False
    )  # the maker's troubles, said once

    def __post_init__(self) -> None:
        self._wake = threading.Condition(self._lock)

    def run(self, runner: Any, port: Any, claim: Any, actor: str, stopping: threading.Event) -> JobOutcome:
        """The job worked in its room; its outcome (never raises for the worker's trouble)."""
        self._stopping = stopping  # the run's stop: no wait for the broker outlasts it
        lane = self.cfg.lanes[claim.lane]
        member = next((m for m in lane.members if m.id == actor), None)
        from org.agents.clis.adapters import adapter_for

        if adapter_for(member) is not None:  # a coding CLI: org.agents.clis.job starts it in its own room
            return runner.run(port, claim, actor, stopping)
        out = JobOutcome(claim.job, claim.task, claim.gate, claim.lane, actor, "released")
        if claim.kind not in ("work", "review"):
            runner._release(port, claim, out, f"{claim.kind} jobs are not for built-in agents")
            return out
        ws, handed = self._workspace(port, claim, lane)
        limits = lane_limits(lane, self.limits if self.limits is not None else default_limits())
        try:
            started = self._take_spare(limits) if ws is None else self._start(ws, limits)
        except OSError as exc:
            self._ask_spare(ws, limits, runner)
            return self._no_outcome(
                runner, port, claim, out, f"the room could not be started: {exc.strerror or exc}"
            )
        try:  # from here on the job's room is ended whatever happens
            self._ask_spare(ws, limits, runner)
            access = runner._access(port, claim, out)
            if access is None:
                return out
            room = started.room
            job = {
                "cfg": self.cfg,
                "actor": actor,
                "job_token": claim.token,
                "claim": claim.to_json(),
                "endpoint": runner.endpoints[actor],
                "access": {
                    "token": access.token,
                    "models": list(access.models),
                    "job": access.job,
                    "expires": access.expires,
                },
                "limits": dict(runner.pacer.limits),
                "broker": room.socket("broker") if "broker" in room.sockets else None,
                "handover": handed,  # made here with the workspace: the worker does not ask for it again
                # the worker records its tool calls' spans (content only with the capture flag) when tracing
                # is on here: it cannot export them from its room, they come back with its outcome
                "tool_spans": {"capture": telemetry.capture_content()} if telemetry.enabled() else None,
            }
            got = self._finish(started, job, runner, stopping)
        finally:
            started.discard()
        if isinstance(got, _AtLimit):
            why = f"the job's room was {got}"
            runner.note("error", why)
            out.failure = "error"
            return runner._fail(port, claim, out, why[:300])
        if not isinstance(got, dict):
            return self._no_outcome(runner, port, claim, out, got)
        telemetry.emit_tool_records(got.pop(_SPANS, None))  # under the job's span, current in this thread
        o = JobOutcome(**{k: v for k, v in got.items() if k in _OUTCOME})
        # the brake on the lane's ledger (server-side: the gateway's, the worker flushed its calls into it),
        # whatever the worker reported: its report is not what decides whether the brake runs
        o.budget = runner._budget(port, claim.lane, actor)
        return o

    def close(self) -> None:
        """Stop the spare rooms (the run is over)."""
        with self._lock:
            self._closed = True
            spare, self._spare = self._spare, []
            self._wake.notify_all()
            maker = self._maker
        for s in spare:
            s.discard()
        if maker is not None and maker is not threading.current_thread():
            maker.join(timeout=10)  # a spare it is starting now is discarded by it (the rooms are closed)

    # -- rooms ---------------------------------------------------------------------------------------
    def room(self, workspace: Path, limits: Any = None) -> Any:
        """The room a job's worker runs in (org.runtime.job_sandbox): `workspace` read-write, the bus, gateway
        and broker sockets, the org's ADRs read-only; nothing else of the org (no database, no pepper, no token
        file, no other workspace, no main clone)."""
        from org.runtime import job_sandbox

        sockets = {"bus": self.bus, "gateway": self.gateway}
        if self._broker_listens():
            sockets["broker"] = self.broker  # type: ignore[assignment]
        adrs = Path(self.cfg.root) / "adrs"
        return job_sandbox(
            workspace,
            sockets=sockets,
            isolation=self.isolation,
            read_only=[adrs] if adrs.is_dir() else [],
            limits=limits or (self.limits if self.limits is not None else default_limits()),
        )

    def _broker_listens(self) -> bool:
        """Whether the run's broker socket can be handed into a room. The supervisor starts the broker beside
        the agent host without waiting for it; on a loaded machine the first job may be claimed before it
        listens, and a room started then could use no credential for its whole job. So a room waits for the
        broker (up to BROKER_WAIT_S, once per run: one that never comes is not waited for again)."""
        if self.broker is None:
            return False
        if _listening(self.broker):
            return True
        with self._lock:
            if self._broker_given_up:
                return False
        end = time.monotonic() + BROKER_WAIT_S
        while time.monotonic() < end:
            if _listening(self.broker):
                return True
            if self._closed or (self._stopping is not None and self._stopping.is_set()):
                return False  # the run stops (Ctrl-C): it does not wait out the broker
            time.sleep(0.05)
        with self._lock:
            self._broker_given_up = True
        return _listening(self.broker)

    def _start(self, workspace: Path | None, limits: Any = None) -> _Started:
        scratch = Path(tempfile.mkdtemp(prefix="org-room-")) if workspace is None else None
        try:
            room = self.room(workspace or scratch, limits)  # type: ignore[arg-type]
            proc = room.popen(WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except BaseException:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
            raise
        return _Started(room, proc, scratch)

    def _take_spare(self, limits: Any = None) -> _Started:
        """A spare room started with `limits` (a room's limits are set when it starts); else a new one. The
        broker is probed outside the lock (a probe may wait on a loaded broker; other jobs take spares meanwhile)."""
        while True:
            dead: list[_Started] = []
            with self._lock:
                s = None
                for i, c in enumerate(self._spare):
                    if limits is not None and c.room.limits != limits:  # another lane's: kept for it
                        continue
                    if c.proc.poll() is not None:
                        dead.append(c)
                        continue
                    s = self._spare.pop(i)
                    break
                self._spare = [c for c in self._spare if not any(c is d for d in dead)]
            for c in dead:
                c.discard()
            if s is None:
                return self._start(None, limits)
            # a spare started before the run's broker listened has no broker socket: never handed a job
            if "broker" in s.room.sockets or self.broker is None or not _listening(self.broker):
                return s
            s.discard()

    def _ask_spare(self, ws: Path | None, limits: Any, runner: Any) -> None:
        """A spare for the next job like this one (one that needs no workspace); trouble asking for it (no thread
        can start for the spare maker) is said, and the job goes on: a spare only saves the next job a wait."""
        if ws is not None:
            return
        try:
            self._refill(limits)
        except Exception as exc:
            _noted(runner.note, f"no spare room will be started: {_trouble(exc)}")

    def _refill(self, limits: Any = None) -> None:
        """Start a spare room in the background when fewer than `spares` of `limits` are kept (spares are kept
        per limits seen, one lane's never made way for another's: two lanes of different limits taking turns
        would otherwise each find the other's spare and start its room while the job waits).

        Spares are started by one thread that lives until `close`: bubblewrap's --die-with-parent is the kernel's
        parent-death signal, which follows the thread that forked the room, so a spare started by a thread that
        then ended was killed with it."""
        with self._lock:
            if self._closed or self._same(limits) + self._wanted.count(limits) >= self.spares:
                return
            if self._maker is None or not self._maker.is_alive():
                maker = threading.Thread(target=self._make_spares, name="org-room-spares", daemon=True)
                maker.start()  # may raise (no thread can start): then nothing is counted as asked for
                self._maker = maker
            self._wanted.append(limits)
            self._wake.notify()

    def _same(self, limits: Any) -> int:
        return sum(1 for s in self._spare if limits is None or s.room.limits == limits)

    def _make_spares(self) -> None:
        """The spare rooms' starter (see _refill): lives until the rooms close, so the rooms it started live on."""
        while True:
            with self._lock:
                while not self._wanted and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                limits = self._wanted[0]
            s = None
            try:
                s = self._start(None, limits)
            except Exception as exc:  # no spare this time (a job then starts its own room): said
                self._say(f"a spare room could not be started: {_trouble(exc)}")
            else:
                self._spare_said.clear()  # the same trouble coming back later is said again
            finally:
                with self._lock:
                    self._wanted.pop(0)
                    if s is not None and not self._closed and self._same(limits) < self.spares:
                        self._spare.append(s)
                        s = None
            if s is not None:
                s.discard()

    def _say(self, why: str) -> None:
        """The spare maker's trouble in the run's notes, once per message (a job then starts its own room)."""
        # said once per trouble: a temporary folder's random name (org-room-XXXX) does not make it another
        key = re.sub(r"org-room-[A-Za-z0-9_]+", "org-room-*", why)
        if key not in self._spare_said and self.note is not None:
            self._spare_said.add(key)
            _noted(self.note, why)

    def _workspace(self, port: Any, claim: Any, lane: Any) -> tuple[Path | None, dict | None]:
        """(the task's workspace, the job's handover) for a builder's work job of a repository task (the
        handover makes the workspace here, on org's side: the worker only writes inside it); (None, None) for
        any other job (it gets an empty folder)."""
        if not (
            claim.kind == "work"
            and role_of(lane, claim.kind) == "builder"
            and (claim.attributes or {}).get("repo")
        ):
            return None, None
        from org.agents.handover import handover

        try:
            h = handover(port.door, claim.token, claim.job, cfg=self.cfg)
        except OrgError:
            return None, None  # the worker asks again and fails the job with the reason
        path = (h.get("workspace") or {}).get("path")
        return (Path(path), h) if path and Path(path).is_dir() else (None, None)

    @staticmethod
    def _finish(
        started: _Started, job: dict, runner: Any, stopping: threading.Event | None = None
    ) -> dict | str:
        """Hand the worker its job, pass its notes on; its outcome, or why there is none. The room is ended
        (SIGTERM to its process group, SIGKILL after GRACE_S) at its wall limit or when `stopping` is set."""
        proc = started.proc
        ended: list[str] = []
        done = threading.Event()
        wall = getattr(started.room.limits, "wall_s", None)

        def watch() -> None:
            end = time.monotonic() + wall if wall else None
            while not done.wait(0.2):
                if stopping is not None and stopping.is_set():
                    ended.append("the run was stopped")
                elif end is not None and time.monotonic() >= end:
                    ended.append(f"stopped at its wall limit ({wall:g} s)")
                else:
                    continue
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGTERM)
                if not done.wait(GRACE_S):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
                return

        threading.Thread(target=watch, name="org-room-watch", daemon=True).start()
        try:
            got = Rooms._read(proc, job, runner)
        finally:
            done.set()
        if ended:
            return ended[0]
        if not isinstance(got, dict):
            killed = started.room.limits.at_limit(proc.returncode)
            if killed:
                return _AtLimit(killed)
        return got

    @staticmethod
    def _read(proc: subprocess.Popen, job: dict, runner: Any) -> dict | str:
        err: list[bytes] = []
        drain = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
        drain.start()
        outcome = None
        assert proc.stdin is not None and proc.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(pickle.dumps(job))
            proc.stdin.close()
        for raw in proc.stdout:
            try:
                doc = json.loads(raw)
            except ValueError:
                continue
            if isinstance(doc, dict) and isinstance(doc.get("note"), list) and len(doc["note"]) == 2:
                runner.note(str(doc["note"][0]), str(doc["note"][1]))
            elif isinstance(doc, dict) and isinstance(doc.get("outcome"), dict):
                outcome = doc["outcome"]
                if isinstance(doc.get("tool_spans"), list):
                    outcome[_SPANS] = doc["tool_spans"][: telemetry.MAX_RECORDS]
        proc.wait()
        drain.join(timeout=5)
        if outcome is not None:
            return outcome
        tail = b"".join(err).decode(errors="replace").strip().splitlines()[-1:] or [""]
        return f"exit {proc.returncode}: {tail[0][:200]}"

    @staticmethod
    def _no_outcome(runner: Any, port: Any, claim: Any, out: JobOutcome, why: str) -> JobOutcome:
        why = f"the job's worker ended without an outcome ({why or 'no answer'})"[:300]
        runner.note("error", why)
        out.failure = "error"
        runner._release(port, claim, out, why)
        return out
