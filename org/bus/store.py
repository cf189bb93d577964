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
import json
import random
import re
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
    _cur: Any = None

    @property
    def pg(self) -> bool:
        return self.dialect == "postgresql"

    def x(self, sql: str, params: Any = None) -> Rows:
        if self._cur is None:
            self._cur = self.conn.connection.driver_connection.cursor()
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

    def wake(self, lane: str) -> None:
        """Announce new work for `lane` at commit (NOTIFY or the lane's change counter)."""
        self.lanes_woken.add(lane)


class _Empty:
    description = None

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
        if self.url.startswith("sqlite"):
            self.dialect = "sqlite"
            path = sqlite_path(self.url)
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise UsageError(f"cannot create {path.parent}: {exc.strerror or exc}")
            self.engine: Engine = create_engine(self.url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000})
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
            try:
                with self.engine.connect() as c:
                    if self.dialect == "sqlite":
                        c = c.execution_options(org_begin="IMMEDIATE" if write else "DEFERRED")
                    with c.begin():
                        tx = Tx(c, self.clock(), self.dialect)
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
        elif lanes or tx.appended:
            payload = json.dumps({"lanes": lanes, "seq": tx.appended[-1] if tx.appended else None})
            tx.x("SELECT pg_notify(:ch, :p)", {"ch": self.channel(tx.conn), "p": payload})

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


def _first_line(exc: BaseException) -> str:
    s = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return s.strip().splitlines()[0] if s.strip() else type(exc).__name__
