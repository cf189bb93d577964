"""A transaction as the bus sees it: SQL with ':name' parameters straight on the DB-API cursor, bulk
inserts and updates in few round trips, and what to append (audit events) and announce at commit."""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

__all__ = ["Tx", "Rows", "prepared"]


_PARAM = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=1024)
def _returns_rows(sql: str) -> bool:
    """Whether a statement answers with rows (batched, only those are waited for)."""
    s = sql.lstrip().upper()
    return s.startswith(("SELECT", "WITH", "VALUES", "SHOW")) or " RETURNING " in s


_BOUND = re.compile(r"%%|%\((\w+)\)s")  # psycopg's placeholders in a _pg_sql statement, and its escaped %


@lru_cache(maxsize=1024)
def _pg_sql(sql: str) -> str:
    """':name' parameters (sqlite3's named style) as psycopg's '%(name)s'."""
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


# Statements prepared in the server (PostgreSQL, batched transactions: ADR 0295): sql -> (name, PREPARE text,
# parameter names in order). A prepared statement is parsed and planned once per connection (a generic plan after
# five runs) and sent as a short `EXECUTE name(literals)` in the batch, so the hot path pays no parse or plan.
_PREPARE: dict[str, tuple[str, str, tuple[str, ...]]] = {}
# driver connection -> the names prepared on it (None: unknown after a failed batch, read back from the server)
_ON_CONN: weakref.WeakKeyDictionary[Any, set[str] | None] = weakref.WeakKeyDictionary()


# What opens a batched transaction. Its statements find rows by key through an index; a prepared statement's
# generic plan is made once, and one made while a table was small (a scan was cheaper then) would be kept while
# the table grows: so no sequential scan where an index serves (a table with no usable index is still scanned).
_OPEN = "BEGIN;\nSET LOCAL enable_seqscan = off;\n"


def prepared(sql: str) -> str:
    """Mark `sql` (':name' parameters, each of a type PostgreSQL infers from where it stands, or cast) to run as a
    prepared statement in batched PostgreSQL transactions; returns `sql`. Elsewhere it runs as it is."""
    if sql not in _PREPARE:
        names = tuple(dict.fromkeys(_PARAM.findall(sql)))
        number = {n: i + 1 for i, n in enumerate(names)}
        body = _PARAM.sub(lambda m: f"${number[m.group(1)]}", sql)
        name = "org_" + hashlib.sha256(sql.encode()).hexdigest()[:24]
        _PREPARE[sql] = (name, f"PREPARE {name} AS {body}", names)
    return sql


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
    # PostgreSQL batching (ADR 0245): statements nobody waits for (`send`) and reads sent ahead (`ahead`) go
    # out together with the next read that is waited for, as one message and one round trip; the commit goes
    # out with whatever is still pending (`finish`)
    batched: bool = False
    begin: bool = False  # the first batch opens the transaction itself (the driver is in autocommit)
    _cur: Any = None
    _switches: Any = None
    _pending: list = field(default_factory=list)  # (SQL with its values bound, key or None)
    _answers: dict = field(default_factory=dict)  # key -> Rows of reads sent ahead
    _client: Any = None
    _plain_strings: bool = False  # standard_conforming_strings: a backslash in '...' is just a backslash

    @property
    def pg(self) -> bool:
        return self.dialect == "postgresql"

    def x(self, sql: str, params: Any = None) -> Rows:
        if self.batched:
            return self._x_batched(sql, params)
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

    def ahead(self, sql: str, params: dict | None = None) -> None:
        """Send a read with the next round trip; a later `x(sql, params)` (the same text and values) is
        answered from it, so several reads share one round trip. Unbatched: nothing (the later `x` runs it)."""
        if not self.batched:
            return
        key = _key(sql, params)
        if key not in self._answers and all(k != key for _, k in self._pending):
            self._pending.append((self._bind(sql, params), key))

    def send(self, sql: str, params: dict | None = None) -> None:
        """Run a statement whose answer nobody reads: batched, it goes out with the next round trip (its
        error, if any, surfaces there)."""
        if self.batched:
            self._pending.append((self._bind(sql, params), None))
        else:
            self.x(sql, params)

    def finish(self) -> bool:
        """Batched: send what is pending and COMMIT in one round trip (False: nothing was pending, the caller
        commits as usual)."""
        if not self.batched or not self._pending:
            return False
        self._pending.append(("COMMIT", None))
        self._flush()
        return True

    def _bind(self, sql: str, params: dict | None) -> str:
        """The statement with its values bound as literals (psycopg's client-side binding); lists of numbers,
        bytes or text become array literals here, in one pass each (psycopg quotes array items one by one)."""
        if self._client is None:
            from psycopg import ClientCursor

            driver: Any = self.conn.connection.driver_connection
            self._client = ClientCursor(driver)
            self._plain_strings = driver.info.parameter_status("standard_conforming_strings") == "on"
        prep = _PREPARE.get(sql)
        if prep is not None:
            name, prepare, names = prep
            if name not in self._prepared_here() and all(q != prepare for q, _ in self._pending):
                self._pending.append((prepare, None))
            pg_sql = (
                f"EXECUTE {name}(" + ", ".join(f"%({n})s" for n in names) + ")"
                if names
                else f"EXECUTE {name}"
            )
            params = {n: (params or {})[n] for n in names}
        else:
            pg_sql = _pg_sql(sql)
        if params and self._plain_strings:
            lits = {}
            for name, value in params.items():
                lit = _array_literal(value) if isinstance(value, list) else None
                if lit is not None:
                    lits[name] = lit.replace("%", "%%")
            if lits:
                # one pass over the statement's own placeholders (an inserted literal is never scanned again,
                # so a value holding another's placeholder stays text); `%%` (a literal %) is kept as it is
                def put(m: re.Match) -> str:
                    return lits.get(m.group(1), m.group(0)) if m.group(1) else m.group(0)

                pg_sql = _BOUND.sub(put, pg_sql)
                params = {k: v for k, v in params.items() if k not in lits}
        try:
            return self._client.mogrify(pg_sql, params if params is not None else {})
        except self._dbapi_error as exc:
            raise DBAPIError.instance(sql, params, exc, self._dbapi_error) from exc

    def _prepared_here(self) -> set[str]:
        """The statements prepared on this transaction's connection (read back from the server once after a
        failed batch, whose PREPAREs may or may not have run)."""
        driver: Any = self.conn.connection.driver_connection
        have = _ON_CONN.get(driver, set())
        if have is None:
            with driver.cursor() as cur:
                cur.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'org\\_%'")
                have = {r[0] for r in cur.fetchall()}
        _ON_CONN[driver] = have
        return have

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        text = ";\n".join(q for q, _ in pending)
        opening = self.begin
        if opening:
            text, self.begin = _OPEN + text, False
        cur = self._client
        try:
            cur.execute(text)
            for _ in range(_OPEN.count(";") if opening else 0):
                cur.nextset()
            for i, (_, key) in enumerate(pending):
                if i:
                    cur.nextset()
                if key is not None:
                    self._answers[key] = _Fetched(cur.fetchall() if cur.description else [])
        except self._dbapi_error as exc:
            lost = getattr(exc, "sqlstate", None) == "26000"  # a prepared statement is gone (DEALLOCATE)
            if lost or any(q.startswith("PREPARE ") for q, _ in pending):  # ask the server next time
                _ON_CONN[self.conn.connection.driver_connection] = None
            raise DBAPIError.instance(text[:2000], None, exc, self._dbapi_error) from exc
        made = [q.split(" ", 2)[1] for q, _ in pending if q.startswith("PREPARE ")]
        if made:
            self._prepared_here().update(made)

    def _x_batched(self, sql: str, params: Any) -> Rows:
        if isinstance(params, list):  # executemany: one statement per set of values, nobody waits
            for p in params:
                self.send(sql, p)
            return Rows(_Empty)
        if not _returns_rows(sql):  # a write nobody reads an answer of: with the next round trip
            self.send(sql, params)
            return Rows(_Empty)
        key = _key(sql, params)
        if key not in self._answers:
            if all(k != key for _, k in self._pending):
                self._pending.append((self._bind(sql, params), key))
            self._flush()
        return self._answers.pop(key)

    @property
    def _dbapi_error(self):
        return self.conn.dialect.loaded_dbapi.Error

    def insert_many(
        self,
        table: str,
        cols: tuple[str, ...],
        rows: list[tuple],
        *,
        returning: str | None = None,
        pg_types: tuple[str, ...] | None = None,
    ) -> list:
        """Insert many rows in few round trips: SQLite executemany (or multi-row VALUES when `returning`),
        PostgreSQL one INSERT ... SELECT FROM unnest(one array per column) (needs pg_types)."""
        if not rows:
            return []
        if self.pg:
            arrays = ", ".join(f":c{i}::{t}[]" for i, t in enumerate(pg_types or ()))
            sql = f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM unnest({arrays})"
            params = {f"c{i}": list(v) for i, v in enumerate(zip(*rows, strict=True))}
            return self.x(prepared(sql + (f" RETURNING {returning}" if returning else "")), params).all()
        cur = self._cursor()
        marks = "(" + ", ".join("?" * len(cols)) + ")"
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
        if not returning:
            self._raw(cur.executemany, sql + marks, rows)
            return []
        out: list = []
        chunk = max(1, 900 // len(cols))
        for i in range(0, len(rows), chunk):
            part = rows[i : i + chunk]
            self._raw(
                cur.execute,
                sql + ", ".join([marks] * len(part)) + f" RETURNING {returning}",
                [v for row in part for v in row],
            )
            out += cur.fetchall()
        return out

    def update_many(
        self,
        table: str,
        key: str,
        cols: tuple[str, ...],
        rows: list[tuple],
        *,
        fixed: dict[str, Any] | None = None,
        raw: dict[str, str] | None = None,
        match: tuple[str, ...] = (),
        guard: str = "",
        pg_types: tuple[str, ...] = (),
    ) -> None:
        """UPDATE many rows in few round trips. Each row is (key, *values for cols, *values for match);
        `fixed` columns get the same value everywhere, `raw` columns an SQL expression (e.g. 'n + 1'),
        `guard` is an extra SQL condition. pg_types: the types of key, cols and match, in that order."""
        if not rows:
            return
        fixed, raw = fixed or {}, raw or {}
        if self.pg:
            # the rows by their key (`key = ANY(keys)`: an index scan whatever the planner thinks of the table's
            # size; a join with unnest(...) was planned as a hash join over the whole table), each value taken
            # from its array at the key's position
            arrays = [f":a{i}::{t}[]" for i, t in enumerate(pg_types)]
            at = f"[array_position({arrays[0]}, {table}.{key})]"
            sets = [f"{c} = ({arrays[1 + i]}){at}" for i, c in enumerate(cols)]
            sets += [f"{c} = :f_{c}" for c in fixed] + [f"{c} = {e}" for c, e in raw.items()]
            where = [f"{table}.{key} = ANY({arrays[0]})"]
            where += [f"{table}.{m} = ({arrays[1 + len(cols) + i]}){at}" for i, m in enumerate(match)]
            if guard:
                where.append(guard)
            params = {f"a{i}": list(v) for i, v in enumerate(zip(*rows, strict=True))}
            params.update({f"f_{c}": v for c, v in fixed.items()})
            self.x(prepared(f"UPDATE {table} SET {', '.join(sets)} WHERE " + " AND ".join(where)), params)
            return
        sets = (
            [f"{c} = ?" for c in cols] + [f"{c} = ?" for c in fixed] + [f"{c} = {e}" for c, e in raw.items()]
        )
        where = [f"{key} = ?"] + [f"{m} = ?" for m in match] + ([guard] if guard else [])
        fvals = tuple(fixed.values())
        k = len(cols)
        args = [(*row[1 : 1 + k], *fvals, row[0], *row[1 + k :]) for row in rows]
        self._raw(
            self._cursor().executemany,
            f"UPDATE {table} SET {', '.join(sets)} WHERE " + " AND ".join(where),
            args,
        )

    def _cursor(self):
        if self._cur is None:
            self._cur = self.conn.connection.driver_connection.cursor()
        return self._cur

    def _raw(self, call, sql: str, params):
        try:
            return call(sql, params)
        except self._dbapi_error as exc:
            raise DBAPIError.instance(sql, params, exc, self._dbapi_error) from exc

    def wake(self, lane: str | None) -> None:
        """Announce new work for `lane` at commit (NOTIFY or the lane's change counter); None: no lane, no one
        waits on it."""
        if lane is not None:
            self.lanes_woken.add(lane)


def _array_literal(values: list) -> str | None:
    """A PostgreSQL array literal ('{...}', for a server with standard_conforming_strings) of ints, finite
    floats, bytes or text (None items are NULL); None for anything else (psycopg binds it then). Array items are
    double-quoted with backslash escapes, and the literal's single quotes doubled: what PostgreSQL reads back
    is exactly the values."""
    kinds = set(map(type, values))
    if kinds == {int}:  # the common arrays (ids, fences, bodies) in one pass, nothing to quote
        return "'{" + ",".join(map(str, values)) + "}'"
    if kinds == {bytes}:
        return "'{" + ",".join(['"\\\\x' + v.hex() + '"' for v in values]) + "}'"
    items = []
    for v in values:
        if v is None:
            items.append("NULL")
        elif type(v) is int:
            items.append(str(v))
        elif type(v) is float and v == v and v not in (float("inf"), float("-inf")):
            items.append(repr(v))
        elif isinstance(v, bytes):
            items.append('"\\\\x' + v.hex() + '"')
        elif type(v) is str:
            if "\x00" in v:
                return None
            items.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            return None
    return "'{" + ",".join(items).replace("'", "''") + "}'"


def _key(sql: str, params: dict | None) -> tuple:
    return (sql, tuple(sorted((k, repr(v)) for k, v in (params or {}).items())))


class _Fetched(Rows):
    __slots__ = ()

    def __init__(self, rows: list) -> None:
        self._rows = rows


class _Empty:
    """The cursor of a statement that returned no rows (its `description` is None)."""

    description = None
