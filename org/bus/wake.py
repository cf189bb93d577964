"""Wake-ups: a worker waiting for work (or a UI waiting for events) is woken promptly when it appears.

PostgreSQL: every write transaction that posts or requeues work, or appends events, sends one
NOTIFY on a channel named after the database schema with {"lanes": [...], "seq": N}; a Waiter
LISTENs on its own connection, so a handoff wakes the next lane within milliseconds.

SQLite has no notifications. A Waiter polls `PRAGMA data_version` (which changes whenever another
connection commits; reading it touches no table) every `poll` seconds, 50 ms by default, and only
when it changed reads the per-lane counters in `lane_signals` (bumped with every job posted or
requeued for the lane) or the audit head. A wake-up therefore costs at most ~50 ms of latency and
next to no I/O while idle. Callers still retry on their own every second or so, which covers work
that becomes claimable with no commit at all (a lease expiring).
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable

from org.bus.store import Store, sqlite_path
from org.errors import UsageError

__all__ = ["Waiter", "MAX_WAIT_S", "wait_seconds"]

MAX_WAIT_S = 7 * 86400.0  # the longest wait the bus takes (a lease's longest): longer is this long


def wait_seconds(value: object, what: str = "a wait") -> float:
    """A wait as the bus takes it: a number of seconds (NaN and non-numbers refused: `nan <= 0` is False and a
    deadline of NaN is never reached), at most MAX_WAIT_S (so +inf is a long wait), <= 0 no wait at all."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise UsageError(f"{what} is a number of seconds, not {value!r}") from None
    if math.isnan(v):
        raise UsageError(f"{what} is a number of seconds, not NaN")
    return min(max(v, 0.0), MAX_WAIT_S)


class Waiter:
    """Wait for new jobs in some lanes (lanes=None: any) or for new audit events (events=True)."""

    def __init__(
        self, store: Store, lanes: Iterable[str] | None = None, *, events: bool = False, poll: float = 0.05
    ) -> None:
        self.store = store
        self.lanes = set(lanes) if lanes is not None else None
        self.events = events
        self.poll = poll
        self._pg = None
        self._sq: sqlite3.Connection | None = None
        if store.dialect == "postgresql":
            self._open_pg()
        else:
            path = sqlite_path(store.url)
            self._sq = sqlite3.connect(
                str(path) if path else ":memory:", timeout=5, check_same_thread=False, isolation_level=None
            )
            self._dv = self._data_version()
            self._seen = self._versions()

    # -- PostgreSQL ------------------------------------------------------------------------------
    def _open_pg(self) -> None:
        eng = self.store.engine
        cargs, cparams = eng.dialect.create_connect_args(eng.url)
        conn = eng.dialect.loaded_dbapi.connect(*cargs, **cparams)
        conn.autocommit = True
        ch = self.store.channel()
        conn.execute(f'LISTEN "{ch}"')
        self._pg = conn

    def _pg_wait(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return False
            if self._pg is None:
                return False
            for n in self._pg.notifies(timeout=left, stop_after=1):
                if self._matches(n.payload):
                    return True
            if time.monotonic() >= end:
                return False

    def _matches(self, payload: str) -> bool:
        try:
            msg = json.loads(payload)
        except ValueError:
            return True
        if self.events and msg.get("seq"):
            return True
        lanes = set(msg.get("lanes") or [])
        return bool(lanes) and (self.lanes is None or bool(lanes & self.lanes))

    # -- SQLite ----------------------------------------------------------------------------------
    def _sqlite(self) -> sqlite3.Connection:
        if self._sq is None:
            raise RuntimeError("this waiter has no SQLite connection")
        return self._sq

    def _data_version(self) -> int:
        return int(self._sqlite().execute("PRAGMA data_version").fetchone()[0])

    def _versions(self) -> tuple:
        try:
            lanes = tuple(
                self._sqlite().execute("SELECT lane, version FROM lane_signals ORDER BY lane").fetchall()
            )
            head = (
                self._sqlite().execute("SELECT seq FROM audit_head WHERE id = 1").fetchone()
                if self.events
                else None
            )
        except sqlite3.OperationalError:  # not created yet, or busy: treat as unchanged
            return getattr(self, "_seen", ((), None))
        if self.lanes is not None:
            lanes = tuple(x for x in lanes if x[0] in self.lanes)
        return lanes, head[0] if head else None

    def _sq_wait(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while True:
            dv = self._data_version()
            if dv != self._dv:
                self._dv = dv
                now = self._versions()
                if now != self._seen:
                    self._seen = now
                    return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self.poll, left))

    # -- common ----------------------------------------------------------------------------------
    def arm(self) -> None:
        """Forget what happened so far: call before looking for work, then wait() reports only news."""
        if self._pg is not None:
            for _ in self._pg.notifies(timeout=0):
                pass
        elif self._sq is not None:
            self._dv = self._data_version()
            self._seen = self._versions()

    def wait(self, timeout: float) -> bool:
        """True when something for us may have arrived (callers re-check), False on timeout."""
        timeout = wait_seconds(timeout)
        if timeout <= 0:
            return False
        return self._pg_wait(timeout) if self._pg is not None else self._sq_wait(timeout)

    def close(self) -> None:
        try:
            if self._pg is not None:
                self._pg.close()
            if self._sq is not None:
                self._sq.close()
        except Exception:  # closing a connection that already failed
            pass
        self._pg = self._sq = None

    def __enter__(self) -> Waiter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
