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
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from org.errors import Paused, UsageError

__all__ = ["Store", "Tx", "Rows", "BusBusy", "normalize_url", "sqlite_path"]

T = TypeVar("T")


class BusBusy(Paused):
    """The database stayed locked or unreachable past the retry budget (exit 7: retry later)."""

    kind = "busy"


def normalize_url(url: str) -> str:
    """SQLAlchemy URL for a user's URL: postgresql:// becomes postgresql+psycopg://; a bare path is SQLite."""
    u = url.strip()
    if u.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + u.split("://", 1)[1]
    if u.startswith("postgresql+psycopg://"):
        return u
    if u.startswith("postgresql+"):
        raise UsageError(f"unsupported PostgreSQL driver in '{_safe(u)}': org uses psycopg 3 (postgresql://...)")
    if u.startswith("sqlite:"):
        return u
    if "://" in u:
        raise UsageError(f"unsupported database URL '{_safe(u)}': use sqlite:///PATH or postgresql://...")
    return f"sqlite:///{Path(u).expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    p = url[len("sqlite:///"):].split("?", 1)[0]
    return Path(p) if p and p != ":memory:" else None


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url


_PARAM = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=1024)
def _pg_sql(sql: str) -> str:
    """':name' parameters (sqlite3's named style) as psycopg's '%(name)s'."""
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


class Rows:
    """The few result accessors the bus uses, over a DB-API cursor (no ORM or Core overhead per row)."""

    __slots__ = ("_rows",)

    def __init__(self, cur) -> None:
        self._rows = cur.fetchall() if cur.description else []

    def all(self) -> list:
        return self._rows

    def first(self):
        return self._rows[0] if self._rows else None

    def one_or_none(self):
        if len(self._rows) > 1:
            raise RuntimeError("more than one row")
        return self.first()

    def one(self):
        if len(self._rows) != 1:
            raise RuntimeError(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def scalar(self):
        return self._rows[0][0] if self._rows else None

    def scalar_one(self):
        return self.one()[0]


@dataclass
class Tx:
    """One transaction: the connection, its clock reading, and what to append and announce at commit.
    `x(sql, params)` runs SQL with ':name' parameters straight on the DB-API cursor (fast on hot paths);
    a list of parameter dicts runs it once per dict (executemany)."""

    conn: Connection
    now: float
    dialect: str
    events: list[dict] = field(default_factory=list)
    lanes_woken: set[str] = field(default_factory=set)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    appended: list[int] = field(default_factory=list)  # seqs assigned at flush
    notified: bool = False  # PostgreSQL: the NOTIFY already went out with the audit append
    store: Any = None
    _cur: Any = None
    _switches: Any = None

    @property
    def pg(self) -> bool:
        return self.dialect == "postgresql"

    def x(self, sql: str, params: Any = None) -> Rows:
        self._cursor()
        if self.pg:
            sql = _pg_sql(sql)
        try:
            if isinstance(params, list):
                if params:
                    self._cur.executemany(sql, params)
                return Rows(_Empty)
            self._cur.execute(sql, params if params is not None else {})
        except self._dbapi_error as exc:
            raise DBAPIError.instance(sql, params, exc, self._dbapi_error) from exc
        return Rows(self._cur)

    @property
    def _dbapi_error(self):
        return self.conn.dialect.loaded_dbapi.Error

    def insert_many(self, table: str, cols: tuple[str, ...], rows: list[tuple], *, returning: str | None = None,
                    pg_types: tuple[str, ...] | None = None) -> list:
        """Insert many rows in few round trips: SQLite executemany (or multi-row VALUES when `returning`),
        PostgreSQL one INSERT ... SELECT FROM unnest(one array per column) (needs pg_types)."""
        if not rows:
            return []
        if self.pg:
            arrays = ", ".join(f":c{i}::{t}[]" for i, t in enumerate(pg_types or ()))
            sql = f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM unnest({arrays})"
            params = {f"c{i}": list(v) for i, v in enumerate(zip(*rows, strict=True))}
            return self.x(sql + (f" RETURNING {returning}" if returning else ""), params).all()
        cur = self._cursor()
        marks = "(" + ", ".join("?" * len(cols)) + ")"
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
        if not returning:
            self._raw(cur.executemany, sql + marks, rows)
            return []
        out: list = []
        chunk = max(1, 900 // len(cols))
        for i in range(0, len(rows), chunk):
            part = rows[i:i + chunk]
            self._raw(cur.execute, sql + ", ".join([marks] * len(part)) + f" RETURNING {returning}",
                      [v for row in part for v in row])
            out += cur.fetchall()
        return out

    def update_many(self, table: str, key: str, cols: tuple[str, ...], rows: list[tuple], *,
                    fixed: dict[str, Any] | None = None, raw: dict[str, str] | None = None,
                    match: tuple[str, ...] = (), guard: str = "", pg_types: tuple[str, ...] = ()) -> None:
        """UPDATE many rows in few round trips. Each row is (key, *values for cols, *values for match);
        `fixed` columns get the same value everywhere, `raw` columns an SQL expression (e.g. 'n + 1'),
        `guard` is an extra SQL condition. pg_types: the types of key, cols and match, in that order."""
        if not rows:
            return
        fixed, raw = fixed or {}, raw or {}
        if self.pg:
            n = 1 + len(cols) + len(match)
            names = ", ".join(f"k{i}" for i in range(n))
            arrays = ", ".join(f":a{i}::{t}[]" for i, t in enumerate(pg_types))
            sets = [f"{c} = v.k{i + 1}" for i, c in enumerate(cols)] + [f"{c} = :f_{c}" for c in fixed]
            sets += [f"{c} = {e}" for c, e in raw.items()]
            where = [f"{table}.{key} = v.k0"] + [f"{table}.{m} = v.k{1 + len(cols) + i}" for i, m in enumerate(match)]
            if guard:
                where.append(guard)
            params = {f"a{i}": list(v) for i, v in enumerate(zip(*rows, strict=True))}
            params.update({f"f_{c}": v for c, v in fixed.items()})
            self.x(f"UPDATE {table} SET {', '.join(sets)} FROM unnest({arrays}) AS v({names}) WHERE "
                   + " AND ".join(where), params)
            return
        sets = [f"{c} = ?" for c in cols] + [f"{c} = ?" for c in fixed] + [f"{c} = {e}" for c, e in raw.items()]
        where = [f"{key} = ?"] + [f"{m} = ?" for m in match] + ([guard] if guard else [])
        fvals = tuple(fixed.values())
        k = len(cols)
        args = [(*row[1:1 + k], *fvals, row[0], *row[1 + k:]) for row in rows]
        self._raw(self._cursor().executemany, f"UPDATE {table} SET {', '.join(sets)} WHERE " + " AND ".join(where), args)

    def _cursor(self):
        if self._cur is None:
            self._cur = self.conn.connection.driver_connection.cursor()
        return self._cur

    def _raw(self, call, sql: str, params):
        try:
            return call(sql, params)
        except self._dbapi_error as exc:
            raise DBAPIError.instance(sql, params, exc, self._dbapi_error) from exc

    def wake(self, lane: str) -> None:
        """Announce new work for `lane` at commit (NOTIFY or the lane's change counter)."""
        self.lanes_woken.add(lane)


class _Empty:
    description = None

    def insert_many(self, table: str, cols: tuple[str, ...], rows: list[tuple], returning: str | None = None,
                    pg_types: tuple[str, ...] | None = None) -> list:
        """One multi-row INSERT per chunk (a round trip per chunk, not per row). On PostgreSQL with
        pg_types: one INSERT ... SELECT FROM unnest(arrays), a parameter per column instead of per value."""
        out: list = []
        if self.pg and pg_types and rows:
            cols_t = list(zip(*rows, strict=True))
            arrays = ", ".join(f":c{i}::{t}[]" for i, t in enumerate(pg_types))
            sql = f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM unnest({arrays})"
            params = {f"c{i}": list(v) for i, v in enumerate(cols_t)}
            if returning:
                return self.x(sql + f" RETURNING {returning}", params).all()
            self.x(sql, params)
            return out
        chunk = max(1, 900 // len(cols))
        for i in range(0, len(rows), chunk):
            part = rows[i:i + chunk]
            params: dict[str, Any] = {}
            values = []
            for r, row in enumerate(part):
                names = []
                for c, v in enumerate(row):
                    params[f"p{r}_{c}"] = v
                    names.append(f":p{r}_{c}")
                values.append("(" + ", ".join(names) + ")")
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join(values)}"
            if returning:
                out += self.x(sql + f" RETURNING {returning}", params).all()
            else:
                self.x(sql, params)
        return out

    def update_many(self, table: str, key: str, sets: dict[str, str], rows: list[tuple], where: str = "",
                    params: dict | None = None, pg_types: tuple[str, ...] | None = None) -> None:
        """UPDATE table SET col = <expr over v.column2..> FROM (VALUES (key, ...), ...) AS v WHERE table.key =
        v.column1 [AND where]: one statement per chunk. `sets` maps a column to an SQL expression that may
        use v.column2, v.column3, ... (the values after the key, in order)."""
        if not rows:
            return
        width = len(rows[0])
        assign = ", ".join(f"{c} = {e}" for c, e in sets.items())
        if self.pg and pg_types:
            cols_t = list(zip(*rows, strict=True))
            arrays = ", ".join(f":c{i}::{t}[]" for i, t in enumerate(pg_types))
            names = ", ".join(f"column{i + 1}" for i in range(width))
            args = {**(params or {}), **{f"c{i}": list(v) for i, v in enumerate(cols_t)}}
            self.x(f"UPDATE {table} SET {assign} FROM unnest({arrays}) AS v({names}) WHERE {table}.{key} = v.column1"
                   + (f" AND {table}.{where}" if where else ""), args)
            return
        chunk = max(1, 900 // width)
        for i in range(0, len(rows), chunk):
            part = rows[i:i + chunk]
            args: dict[str, Any] = dict(params or {})
            values = []
            for r, row in enumerate(part):
                names = []
                for c, v in enumerate(row):
                    args[f"u{r}_{c}"] = v
                    names.append(f":u{r}_{c}")
                values.append("(" + ", ".join(names) + ")")
            self.x(f"UPDATE {table} SET {assign} FROM (VALUES {', '.join(values)}) AS v "
                   f"WHERE {table}.{key} = v.column1" + (f" AND {table}.{where}" if where else ""), args)

    def wake(self, lane: str) -> None:
        self.lanes_woken.add(lane)


class Store:
    """An engine plus the transaction discipline described in the module docstring."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 0, retry_seconds: float = 60.0,
                 clock: Callable[[], float] = time.time, pool_size: int = 5) -> None:
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
            self.engine: Engine = create_engine(self.url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000})
            if path is not None:
                self._lock_path = str(path) + ".writer-lock"
                with contextlib.suppress(OSError):
                    self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            event.listen(self.engine, "connect", self._sqlite_connect)
            event.listen(self.engine, "begin", self._sqlite_begin)
        else:
            self.dialect = "postgresql"
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=pool_size)
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
    def write(self, fn: Callable[[Tx], T], *, flush: Callable[[Tx], None] | None = None) -> T:
        """Run fn in a write transaction (retried on contention); `flush` runs last, before commit."""
        return self._run(fn, write=True, flush=flush)

    def read(self, fn: Callable[[Tx], T]) -> T:
        return self._run(fn, write=False, flush=None)

    def _run(self, fn: Callable[[Tx], T], *, write: bool, flush: Callable[[Tx], None] | None) -> T:
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.0002
        attempt = 0
        while True:
            attempt += 1
            locked = write and self.dialect == "sqlite" and self._writer_lock(deadline)
            try:
                with self.engine.connect() as c:
                    if self.dialect == "sqlite":
                        c = c.execution_options(org_begin="IMMEDIATE" if write else "DEFERRED")
                    with c.begin():
                        tx = Tx(c, self.clock(), self.dialect, store=self)
                        out = fn(tx)
                        if write:
                            if flush is not None:
                                flush(tx)
                            self._announce(tx)
                for cb in tx.after_commit:
                    cb()
                return out
            except DBAPIError as exc:
                kind = self._classify(exc)
                if kind == "retry" and time.monotonic() < deadline:
                    time.sleep(delay * (0.5 + random.random()))
                    delay = min(delay * 1.5, 0.02)
                    continue
                if kind == "retry":
                    raise BusBusy(
                        f"the database at {self.display_url} stayed locked for {self.retry_seconds:.0f} s "
                        f"({attempt} attempts); another process holds its write lock. Nothing was changed; retry later.")
                if kind == "unavailable":
                    raise BusBusy(f"the database at {self.display_url} is unavailable: {_first_line(exc)}")
                raise
            finally:
                if locked:
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
            raise BusBusy(f"the database at {self.display_url} stayed locked for {self.retry_seconds:.0f} s by "
                          "another thread of this process. Nothing was changed; retry later.")
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
                        "process holds its write lock. Nothing was changed; retry later.")
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
            if isinstance(exc, OperationalError) and ("unable to open" in msg or "disk i/o" in msg or "readonly" in msg):
                return "unavailable"
            return "error"
        code = getattr(orig, "sqlstate", None) or ""
        if code in ("40001", "40P01", "55P03"):
            return "retry"
        if code.startswith("08") or exc.connection_invalidated or "connection" in msg and "refused" in msg:
            return "unavailable"
        return "error"

    def _announce(self, tx: Tx) -> None:
        lanes = sorted(tx.lanes_woken)
        if self.dialect == "sqlite":
            for lane in lanes:
                tx.x("INSERT INTO lane_signals(lane, version) VALUES (:l, 1) "
                     "ON CONFLICT(lane) DO UPDATE SET version = lane_signals.version + 1", {"l": lane})
        elif (lanes or tx.appended) and not tx.notified:
            tx.x("SELECT pg_notify(:ch, :p)", {"ch": self.channel(tx.conn), "p": self.payload(tx)})

    def payload(self, tx: Tx) -> str:
        return json.dumps({"lanes": sorted(tx.lanes_woken), "seq": tx.appended[-1] if tx.appended else None})

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


def _first_line(exc: BaseException) -> str:
    s = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return s.strip().splitlines()[0] if s.strip() else type(exc).__name__
