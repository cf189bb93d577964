"""A transaction as the bus sees it: SQL with ':name' parameters straight on the DB-API cursor, bulk
inserts and updates in few round trips, and what to append (audit events) and announce at commit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

__all__ = ["Tx", "Rows"]


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
            n = 1 + len(cols) + len(match)
            names = ", ".join(f"k{i}" for i in range(n))
            arrays = ", ".join(f":a{i}::{t}[]" for i, t in enumerate(pg_types))
            sets = [f"{c} = v.k{i + 1}" for i, c in enumerate(cols)] + [f"{c} = :f_{c}" for c in fixed]
            sets += [f"{c} = {e}" for c, e in raw.items()]
            where = [f"{table}.{key} = v.k0"] + [
                f"{table}.{m} = v.k{1 + len(cols) + i}" for i, m in enumerate(match)
            ]
            if guard:
                where.append(guard)
            params = {f"a{i}": list(v) for i, v in enumerate(zip(*rows, strict=True))}
            params.update({f"f_{c}": v for c, v in fixed.items()})
            self.x(
                f"UPDATE {table} SET {', '.join(sets)} FROM unnest({arrays}) AS v({names}) WHERE "
                + " AND ".join(where),
                params,
            )
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


class _Empty:
    """The cursor of a statement that returned no rows (its `description` is None)."""

    description = None
