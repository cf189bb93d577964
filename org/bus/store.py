"""The database connection: URL handling, SQLite pragmas, write transactions that retry instead of
ever showing "database is locked", and the transaction object every bus operation works in.

SQLite (the default, `<root>/.org/org.db`): WAL, `synchronous=NORMAL` (safe against process crashes,
not power loss), `busy_timeout`, and every write transaction starts with `BEGIN IMMEDIATE` so it
takes the write lock up front (a deferred transaction that upgrades can fail with SQLITE_BUSY without
waiting). PostgreSQL (`postgresql://...`, driven by psycopg 3): READ COMMITTED, row locks and
`FOR UPDATE SKIP LOCKED`. On both, a transaction that hits lock contention, a deadlock or a
serialization failure is rolled back and run again with jittered exponential backoff; only after
`retry_seconds` does the caller get `BusBusy` (exit 7, retry later).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from org.bus.tx import Rows, Tx
from org.errors import Paused, UsageError

__all__ = ["Store", "Tx", "Rows", "BusBusy", "NotOrgDatabase", "normalize_url", "sqlite_path"]

T = TypeVar("T")


class BusBusy(Paused):
    """The database stayed locked or unreachable past the retry budget (exit 7: retry later)."""

    kind = "busy"


class NotOrgDatabase(UsageError):
    """The database is damaged, or is not a file org made (exit 2: say what it is and what to do)."""

    kind = "database"

    @classmethod
    def damaged(cls, where: str, why: str) -> NotOrgDatabase:
        return cls(
            f"{where} is not a usable org database: SQLite says '{why}' (the file is damaged, or is not a SQLite "
            f"database at all). Nothing was changed. Move it aside (e.g. mv {where} {where}.damaged) and org starts "
            "a fresh bus there, or point --db (ORG_DATABASE_URL) at the right database.",
            reason=why,
        )


def normalize_url(url: str) -> str:
    """SQLAlchemy URL for a user's URL: postgresql:// becomes postgresql+psycopg://; a bare path is SQLite."""
    u = url.strip()
    if u.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + u.split("://", 1)[1]
    if u.startswith("postgresql+psycopg://"):
        return u
    if u.startswith("postgresql+"):
        raise UsageError(
            f"unsupported PostgreSQL driver in '{_safe(u)}': org uses psycopg 3 (postgresql://...)"
        )
    if u.startswith("sqlite:"):
        return u
    if "://" in u:
        raise UsageError(f"unsupported database URL '{_safe(u)}': use sqlite:///PATH or postgresql://...")
    return f"sqlite:///{Path(u).expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    p = url[len("sqlite:///") :].split("?", 1)[0]
    return Path(p) if p and p != ":memory:" else None


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url


class Store:
    """An engine plus the transaction discipline described in the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 0,
        retry_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        pool_size: int = 5,
    ) -> None:
        self.url = normalize_url(url)
        self.display_url = _safe(self.url)
        self.clock = clock
        self.retry_seconds = retry_seconds
        self.busy_timeout_ms = busy_timeout_ms
        self._lock_fd: int | None = None
        self._lock_path: str | None = None
        self._lock_pid = os.getpid()
        self._tlock = threading.Lock()
        if self.url.startswith("sqlite"):
            self.dialect = "sqlite"
            path = sqlite_path(self.url)
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise UsageError(f"cannot create {path.parent}: {exc.strerror or exc}")
            self.engine: Engine = create_engine(
                self.url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
            )
            if path is not None:
                self._lock_path = str(path) + ".writer-lock"
                with contextlib.suppress(OSError):
                    self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            event.listen(self.engine, "connect", self._sqlite_connect)
            event.listen(self.engine, "begin", self._sqlite_begin)
        else:
            self.dialect = "postgresql"
            # psycopg prepares no statement itself: it deallocates every prepared statement of a connection after
            # a ROLLBACK once it holds one of its own, which would drop the batches' (org.bus.tx.prepared, ADR 0295)
            self.engine = create_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=pool_size,
                connect_args={"prepare_threshold": None},
            )
        self._channel: str | None = None

    # -- SQLite connection setup ------------------------------------------------------------
    def _sqlite_connect(self, dbapi_conn, _rec) -> None:
        dbapi_conn.isolation_level = None  # the driver never opens transactions behind our back
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            with contextlib.suppress(Exception):  # another process is setting it; WAL is persistent once set
                cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @staticmethod
    def _sqlite_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("org_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    # -- transactions -------------------------------------------------------------------------
    def write(
        self, fn: Callable[[Tx], T], *, flush: Callable[[Tx], None] | None = None, batched: bool = False
    ) -> T:
        """Run fn in a write transaction (retried on contention); `flush` runs last, before commit. On
        PostgreSQL what `flush` writes goes out with the COMMIT as one message (so the audit head is held for
        the server's work and the commit's WAL flush only, never across a round trip: ADR 0245); `batched`
        batches all of fn's statements too (Tx.ahead, Tx.send: fn reads only through `tx.x`)."""
        return self._run(fn, write=True, flush=flush, batched=batched)

    def rehearse(self, fn: Callable[[Tx], T], *, flush: Callable[[Tx], None] | None = None) -> T:
        """Run fn exactly as `write` would (same locks, same statements, `flush` too), then roll it all back:
        what a command would answer, with nothing changed (`org explain --task`)."""
        return self._run(fn, write=True, flush=flush, rollback=True)

    def read(self, fn: Callable[[Tx], T]) -> T:
        return self._run(fn, write=False, flush=None)

    def _run(
        self,
        fn: Callable[[Tx], T],
        *,
        write: bool,
        flush: Callable[[Tx], None] | None,
        rollback: bool = False,
        batched: bool = False,
    ) -> T:
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.0002
        attempt = 0
        while True:
            attempt += 1
            locked = write and self.dialect == "sqlite" and self._writer_lock(deadline)
            try:
                with self.engine.connect() as c:
                    pg_write = write and self.dialect == "postgresql" and not rollback
                    if self.dialect == "sqlite":
                        c = c.execution_options(org_begin="IMMEDIATE" if write else "DEFERRED")
                    elif pg_write and self._channel is None:
                        self.channel()  # known before the first batch: the NOTIFY goes out with the commit
                    driver = c.connection.driver_connection if pg_write and batched else None
                    if driver is not None:
                        driver.autocommit = (
                            True  # the first batch opens the transaction (no BEGIN round trip)
                        )
                    try:
                        with c.begin() as trans:
                            tx = Tx(c, self.clock(), self.dialect, store=self)
                            tx.batched = tx.begin = driver is not None
                            out = fn(tx)
                            if write:
                                tx.batched = pg_write  # flush, NOTIFY and COMMIT: one message
                                if flush is not None:
                                    flush(tx)
                                self._announce(tx)
                                if tx.finish():
                                    trans.commit()  # the batch committed; the driver sees it idle
                            if rollback:
                                raise _RolledBack(out)
                    finally:
                        if driver is not None:
                            try:
                                driver.autocommit = False
                            except Exception:  # not idle (a broken connection): never pooled in autocommit
                                c.invalidate()
                for cb in tx.after_commit:
                    cb()
                return out
            except _RolledBack as done:
                return cast(T, done.out)
            except DBAPIError as exc:
                kind = self._classify(exc)
                if kind == "retry" and time.monotonic() < deadline:
                    time.sleep(delay * (0.5 + random.random()))
                    delay = min(delay * 1.5, 0.02)
                    continue
                if kind == "retry":
                    raise BusBusy(
                        f"the database at {self.display_url} stayed locked for {self.retry_seconds:.0f} s "
                        f"({attempt} attempts); another process holds its write lock. Nothing was changed; retry later."
                    )
                if kind == "unavailable":
                    raise BusBusy(f"the database at {self.display_url} is unavailable: {_first_line(exc)}")
                if kind == "damaged":
                    raise NotOrgDatabase.damaged(
                        str(sqlite_path(self.url) or self.display_url), str(exc.orig)
                    )
                if kind == "config":
                    raise UsageError(self._config_problem(exc))
                raise
            finally:
                if locked:
                    if self._lock_fd is not None:  # always, when locked
                        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                    self._tlock.release()

    def _writer_lock(self, deadline: float) -> bool:
        """SQLite: queue this process's writers on an OS file lock next to the database before BEGIN
        IMMEDIATE. SQLite's own busy wait sleeps 1, 2, 5 ... 100 ms between tries; a file lock attempt is
        one system call, so waiting writers poll it every 20 us-1 ms and take over as soon as it is free.
        Best effort: without the lock file (e.g. a read-only folder) SQLite's locking still guarantees
        correctness."""
        if self._lock_pid != os.getpid() and self._lock_path:  # a forked child: its own open file description
            self._lock_pid, self._tlock = os.getpid(), threading.Lock()
            try:
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                self._lock_fd = None
        if self._lock_fd is None:
            return False
        if not self._tlock.acquire(timeout=max(0.0, deadline - time.monotonic())):  # threads of this process
            raise BusBusy(
                f"the database at {self.display_url} stayed locked for {self.retry_seconds:.0f} s by "
                "another thread of this process. Nothing was changed; retry later."
            )
        delay = 0.00002
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._tlock.release()
                    raise BusBusy(
                        f"the database at {self.display_url} stayed locked for {self.retry_seconds:.0f} s; another "
                        "process holds its write lock. Nothing was changed; retry later."
                    )
                time.sleep(delay)
                delay = min(delay * 2, 0.001)
            except OSError:
                self._tlock.release()
                return False

    def _classify(self, exc: DBAPIError) -> str:
        orig = exc.orig
        msg = str(orig).lower()
        if self.dialect == "sqlite":
            if isinstance(exc, OperationalError) and ("locked" in msg or "busy" in msg):
                return "retry"
            if isinstance(exc, OperationalError) and (
                "unable to open" in msg or "disk i/o" in msg or "readonly" in msg
            ):
                return "unavailable"
            if "file is not a database" in msg or "malformed" in msg:  # SQLITE_NOTADB, SQLITE_CORRUPT
                return "damaged"
            return "error"
        code = getattr(orig, "sqlstate", None) or ""
        if code in ("3D000", "28000", "28P01") or (
            "fatal" in msg and ("does not exist" in msg or "authentication failed" in msg)
        ):
            return "config"  # a database or role that is not there, or a wrong password: the URL is wrong
        if code in (
            "40001",
            "40P01",
            "55P03",
            "26000",
        ):  # 26000: a prepared statement was deallocated (tx.py)
            return "retry"
        if code.startswith("08") or exc.connection_invalidated or "connection" in msg and "refused" in msg:
            return "unavailable"
        return "error"

    def _config_problem(self, exc: DBAPIError) -> str:
        """What is wrong with a PostgreSQL URL the server refused, and what to create or fix (exit 2)."""
        from sqlalchemy.engine import make_url

        u = make_url(self.url)
        msg = str(exc.orig).lower()
        fix = "or fix --db / ORG_DATABASE_URL"
        if "database" in msg and "does not exist" in msg:
            return (
                f"the PostgreSQL database '{u.database}' does not exist on {u.host or 'localhost'}:{u.port or 5432}; "
                f"create it (createdb -h {u.host or 'localhost'} -p {u.port or 5432}"
                f'{f" -U {u.username}" if u.username else ""} {u.database}, or CREATE DATABASE "{u.database}";), '
                f"{fix}"
            )
        if "role" in msg and "does not exist" in msg:
            return (
                f"the PostgreSQL role '{u.username}' does not exist on {u.host or 'localhost'}:{u.port or 5432}; "
                f'create it (CREATE ROLE "{u.username}" LOGIN;), {fix}'
            )
        return f"the PostgreSQL server at {self.display_url} refused the login: {_first_line(exc)}; {fix}"

    def _announce(self, tx: Tx) -> None:
        lanes = sorted(tx.lanes_woken)
        if self.dialect == "sqlite":
            for lane in lanes:
                tx.x(
                    "INSERT INTO lane_signals(lane, version) VALUES (:l, 1) "
                    "ON CONFLICT(lane) DO UPDATE SET version = lane_signals.version + 1",
                    {"l": lane},
                )
        elif (lanes or tx.appended) and not tx.notified:
            tx.send("SELECT pg_notify(:ch, :p)", {"ch": self.channel(tx.conn), "p": self.payload(tx)})

    def payload(self, tx: Tx) -> str:
        """{"lanes": [...], "seq": N}: what a NOTIFY tells the waiters (org.bus.wake)."""
        return json.dumps({"lanes": sorted(tx.lanes_woken), "seq": tx.appended[-1] if tx.appended else None})

    def payload_head(self, tx: Tx) -> str:
        """`payload` up to its seq, for SQL that appends the seq it assigns and the closing brace."""
        return json.dumps({"lanes": sorted(tx.lanes_woken)})[:-1] + ', "seq": '

    def channel(self, conn: Connection | None = None) -> str:
        """The LISTEN/NOTIFY channel of this database and schema (PostgreSQL)."""
        if self._channel is None:
            if conn is None:
                with self.engine.connect() as c:
                    schema = c.execute(text("SELECT current_schema()")).scalar() or "public"
            else:
                schema = conn.execute(text("SELECT current_schema()")).scalar() or "public"
            safe = "".join(ch if ch.isalnum() else "_" for ch in schema.lower())
            self._channel = ("org_bus_" + safe)[:63]
        return self._channel

    def raw(self):
        """A raw DB-API connection from the pool (for streaming reads); close() returns it."""
        return self.engine.raw_connection()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None


class _RolledBack(Exception):  # a control-flow signal, not an error
    """Leaves a rehearsed transaction by rolling it back, carrying what it returned."""

    def __init__(self, out: object) -> None:
        super().__init__("rolled back")
        self.out = out


def _first_line(exc: BaseException) -> str:
    s = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return s.strip().splitlines()[0] if s.strip() else type(exc).__name__
