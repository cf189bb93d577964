"""Running one CLI to its end in its room: its output read line by line into org's events, its permission
requests answered through `permit` (decide(), org.agents.clis.permits), its limits kept.

    drive(adapter, launch, argv, room, permit, on_event, limits, stopping) -> Drive

Limits: wall time (the whole process group is killed), bytes of output (stdout and stderr together; a line
longer than `max_line` is cut), events recorded (more are counted, not kept), permission requests (past
the limit every request is refused). The CLI never blocks org: its stdout and stderr are read on their own
threads, and org's writes to its stdin give up when it stops reading.
"""

from __future__ import annotations

import contextlib
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from org.agents.clis.adapter import Adapter, Ask, Launch, Reply, Session
from org.agents.clis.events import Event, clip

__all__ = ["Drive", "DriveLimits", "drive", "Permit"]

# permit(ask) -> (allowed, reason, details for the permission event)
Permit = Callable[[Ask], tuple[bool, str, dict]]
_EOF = object()


@dataclass(frozen=True)
class DriveLimits:
    wall_s: float = 900.0
    max_output: int = 16 << 20  # bytes of stdout + stderr
    max_line: int = 1 << 20  # bytes of one line of stdout
    max_events: int = 400  # events kept (the timeline's share of one job)
    max_permissions: int = 200
    grace_s: float = 10.0  # after the CLI said it is done, how long it may take to exit


@dataclass
class Drive:
    """How a run ended: the stop reason (events.STOP_REASONS), its exit code, what it said."""

    stop_reason: str
    exit_code: int | None
    events: list[Event] = field(default_factory=list)
    dropped: int = 0  # events past the limit
    output_bytes: int = 0
    stderr_tail: str = ""
    error: str = ""
    permissions: list[dict] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.stop_reason == "end_turn"

    def why(self) -> str:
        """One line saying why a run that did not finish its work ended."""
        if self.ok:
            return ""
        parts = [f"{self.stop_reason}"]
        if self.error:
            parts.append(self.error)
        if self.exit_code not in (None, 0):
            parts.append(f"exit code {self.exit_code}")
        tail = " ".join(self.stderr_tail.split())[-300:]
        if tail and self.stop_reason in ("exit_nonzero", "error", "refused", "no_marker"):
            parts.append(f"stderr: {tail}")
        return "; ".join(parts)


def drive(
    adapter: Adapter,
    launch: Launch,
    argv: Sequence[str],
    room: Any,
    permit: Permit,
    on_event: Callable[[Event], None] | None = None,
    limits: DriveLimits = DriveLimits(),
    stopping: threading.Event | None = None,
) -> Drive:
    """Run `argv` (the adapter's command line, already wrapped for the room) in `room` (org.runtime.Sandbox)."""
    session = adapter.session(launch)
    t0 = time.monotonic()
    res = Drive("error", None)
    try:
        proc = room.popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        res.error = f"cannot start {adapter.name}: {exc.strerror or exc}"
        res.events.append(Event("finished", res.error, data={"stop_reason": "error", "exit_code": None}))
        return res
    runner = _Run(session, proc, room, permit, on_event, limits, res)
    try:
        runner.loop(stopping, t0)
    finally:
        if proc.poll() is None:
            room.kill(proc)
        runner.join()
        res.wall_s = time.monotonic() - t0
    return res


class _Run:
    def __init__(
        self,
        session: Session,
        proc: subprocess.Popen,
        room: Any,
        permit: Permit,
        on_event: Callable[[Event], None] | None,
        limits: DriveLimits,
        res: Drive,
    ) -> None:
        self.session, self.proc, self.room, self.permit = session, proc, room, permit
        self.on_event, self.limits, self.res = on_event, limits, res
        self.lines: queue.Queue[Any] = queue.Queue(maxsize=1024)
        self.bytes = 0
        self._lock = threading.Lock()
        self._tail = bytearray()
        self._writer_lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._read_out, name="org-cli-out", daemon=True),
            threading.Thread(target=self._read_err, name="org-cli-err", daemon=True),
        ]
        for t in self.threads:
            t.start()

    # -- its output ----------------------------------------------------------------------------------
    def _count(self, n: int) -> bool:
        with self._lock:
            self.bytes += n
            return self.bytes <= self.limits.max_output

    def _read_out(self) -> None:
        out = self.proc.stdout
        assert out is not None
        try:
            while True:
                line = out.readline(self.limits.max_line)
                if not line:
                    break
                if not self._count(len(line)):
                    self.lines.put(("flood", None))
                    break
                self.lines.put(("line", line))
        except (OSError, ValueError):
            pass
        self.lines.put(_EOF)

    def _read_err(self) -> None:
        err = self.proc.stderr
        assert err is not None
        try:
            while True:
                chunk = err.read1(1 << 14) if hasattr(err, "read1") else err.read(1 << 14)
                if not chunk:
                    break
                with self._lock:
                    self._tail = (self._tail + chunk)[-8192:]
                if not self._count(len(chunk)):
                    self.lines.put(("flood", None))
                    break
        except (OSError, ValueError):
            pass

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=5)
        for f in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            with contextlib.suppress(OSError, ValueError):
                if f is not None:
                    f.close()
        with self._lock:
            self.res.stderr_tail = self._tail.decode(errors="replace")
            self.res.output_bytes = self.bytes

    # -- its input -----------------------------------------------------------------------------------
    def write(self, data: bytes | None) -> None:
        if not data or self.proc.stdin is None or self.proc.stdin.closed:
            return
        with self._writer_lock, contextlib.suppress(OSError, ValueError):
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def close_stdin(self) -> None:
        with self._writer_lock, contextlib.suppress(OSError, ValueError):
            if self.proc.stdin is not None and not self.proc.stdin.closed:
                self.proc.stdin.close()

    # -- events ----------------------------------------------------------------------------------------
    def emit(self, e: Event) -> None:
        if len(self.res.events) >= self.limits.max_events and e.kind != "finished":
            self.res.dropped += 1
            return
        self.res.events.append(e)
        if self.on_event is not None:
            self.on_event(e)

    def handle(self, item: Event | Ask | Reply) -> None:
        if isinstance(item, Event):
            self.emit(item)
        elif isinstance(item, Reply):
            self.write(item.data)
        elif isinstance(item, Ask):
            detail: dict
            if len(self.res.permissions) >= self.limits.max_permissions:
                allowed, reason, detail = (
                    False,
                    f"more than {self.limits.max_permissions} permission requests",
                    {},
                )
            else:
                try:
                    allowed, reason, detail = self.permit(item)
                except Exception as exc:  # fail closed: a request org could not decide is refused
                    allowed, reason, detail = False, f"could not be decided ({type(exc).__name__})", {}
            rec = {
                "tool": item.tool,
                "kind": item.kind,
                "outcome": "allow" if allowed else "deny",
                "reason": reason,
            }
            rec.update(detail)
            self.res.permissions.append(rec)
            self.emit(Event("permission", clip(item.describe()), tool=item.tool, data=rec))
            self.write(self.session.answer(item, allowed, reason))

    # -- the loop ------------------------------------------------------------------------------------
    def loop(self, stopping: threading.Event | None, t0: float) -> None:
        s, res, lim = self.session, self.res, self.limits
        self.write(s.opening())
        if not s.keep_stdin():
            self.close_stdin()
        limit: str | None = None
        done_at: float | None = None
        eof = False
        while not eof:
            now = time.monotonic()
            if now - t0 >= lim.wall_s:
                limit = "wall_limit"
                break
            if stopping is not None and stopping.is_set():
                limit = "stopped"
                break
            if done_at is not None and now - done_at >= lim.grace_s:
                break  # it said it is done and does not exit: stopped below, its stop reason kept
            try:
                got = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if got is _EOF:
                eof = True
                break
            what, line = got
            if what == "flood":
                limit = "output_limit"
                break
            text = line.decode(errors="replace")
            try:
                items = s.feed(text)
            except Exception as exc:  # a line its adapter cannot read is said, never a crash of org's
                items = [Event("message", f"[{type(exc).__name__} reading a line of output] {text[:500]}")]
            for item in items:
                self.handle(item)
            if s.done and done_at is None:
                done_at = time.monotonic()
                self.close_stdin()
        lingered = limit is None and not eof
        if lingered:  # it said it is done, and did not exit within the grace: its work stands
            self.room.kill(self.proc)
        elif limit is None:
            left = max(0.1, lim.wall_s - (time.monotonic() - t0))
            try:
                self.proc.wait(timeout=min(left, lim.grace_s if s.done else left))
            except subprocess.TimeoutExpired:
                if s.done:
                    self.room.kill(self.proc)
                else:
                    limit = "wall_limit"
        if limit is not None:
            self.room.kill(self.proc)
        code = self.proc.wait()
        at_limit = getattr(getattr(self.room, "limits", None), "at_limit", None)
        killed = at_limit(code) if limit is None and at_limit is not None else None
        if killed:  # its room's CPU limit (a lane's `room:`) ended it
            limit = "cpu_limit"
        if hasattr(s, "tail"):
            for e in s.tail():
                self.emit(e)
        fin = s.finish(0 if lingered or (s.done and limit is None and code < 0) else code)
        if limit is not None:
            fin.data["stop_reason"] = limit
            fin.text = {
                "wall_limit": f"stopped: it ran past its wall time of {lim.wall_s:.0f} s",
                "output_limit": f"stopped: it wrote more than {lim.max_output} bytes of output",
                "stopped": "stopped: org's run is stopping",
                "cpu_limit": f"stopped: {killed}",
            }[limit]
        fin.data["wall_s"] = round(time.monotonic() - t0, 3)
        res.stop_reason = fin.data["stop_reason"]
        res.exit_code = code
        res.error = fin.text
        self.emit(fin)
