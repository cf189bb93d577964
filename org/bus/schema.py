"""The versioned schema: create a fresh database, migrate an older one step by step, refuse a newer one.

`bus_meta.schema_version` records the version. Opening a database:
  - without bus tables: create them at SCHEMA_VERSION (in one transaction, serialised between
    processes by SQLite's write lock or a PostgreSQL advisory lock);
  - at an older version: run MIGRATIONS[v + 1], ... in one transaction, each recorded in bus_meta;
  - at a newer version: raise SchemaTooNew and change nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from org.bus._walk import GENESIS
from org.bus.audit import create_header_indexes
from org.bus.store import NotOrgDatabase, Store, Tx, sqlite_path
from org.errors import UsageError

SCHEMA_VERSION = 10  # the version org.bus.models describes (kept here so opening needs no ORM import)
# A job's task number (`T-12` -> 12, the task's id): what the task list's indexes on jobs are ordered by (schema 10).
TASK_NUMBER = "CAST(substr(task, 3) AS INTEGER)"

__all__ = ["SchemaTooNew", "MIGRATIONS", "ensure_schema", "schema_version", "TASK_NUMBER"]


def _v2_unpriced_usage(tx: Tx) -> None:
    """Version 2: usage.cost_usd may be NULL (a call without a price has an unknown cost). Version 1
    stored such calls as $0; a successful call with tokens at exactly $0 cannot be told apart from
    one, so it becomes unknown too (conservative: an unknown cost is never taken for free)."""
    if tx.pg:
        tx.x("ALTER TABLE usage ALTER COLUMN cost_usd DROP NOT NULL")
    else:  # SQLite cannot drop a NOT NULL: rebuild the table from the current model, keeping the ids
        from org.bus.models import metadata

        table = metadata.tables["usage"]
        cols = ", ".join(c.name for c in table.columns)
        for ix in table.indexes:
            tx.x(f"DROP INDEX IF EXISTS {ix.name}")
        tx.x("ALTER TABLE usage RENAME TO usage_v1")
        table.create(tx.conn)
        tx.x(f"INSERT INTO usage ({cols}) SELECT {cols} FROM usage_v1")
        tx.x("DROP TABLE usage_v1")
    tx.x(
        "UPDATE usage SET cost_usd = NULL WHERE cost_usd = 0 AND outcome = 'ok' AND tokens_in + tokens_out > 0"
    )


def _v3_identity_tables(tx: Tx) -> None:
    """Version 3: the identity tables (org_tokens, org_auth_failures) are the bus's, in its one schema and version.
    Before, identity created them itself beside the bus's tables under its own version (bus_meta
    `identity_schema`, 1 to 3); a database that has them keeps every row (same names and columns), one that
    never met identity gets them empty, and the separate version is gone."""
    from org.bus.models import metadata

    for name in ("org_tokens", "org_auth_failures"):
        table = metadata.tables[name]
        table.create(tx.conn, checkfirst=True)
        for ix in table.indexes:
            ix.create(tx.conn, checkfirst=True)
    tx.x("DELETE FROM bus_meta WHERE key = 'identity_schema'")


def _v4_events_by_type(tx: Tx) -> None:
    """Version 4: an index on the events' type (and seq), so deciding reads fold the few event types they need
    from the chain (the pauses, ADR 0166) without scanning the log."""
    tx.x("CREATE INDEX IF NOT EXISTS ix_events_type ON events (type, seq)")
    _v4_chain_old_leases(tx)


def _v4_chain_old_leases(tx: Tx) -> None:
    """Version 4 also puts in the chain what a heartbeat changed before it: a job.lease event (from version 4 on
    every new lease length has one, and `audit verify` bounds a leased job's lease by it) for each leased job
    whose lease length differs from its last claim's, recorded by "org" at the upgrade with the table's value.
    Without it an untouched older database would fail verify; with it the check stays total afterwards."""
    from org.bus.audit import append, decode_body

    leased = {
        int(r[0]): (r[1], float(r[2]))
        for r in tx.x("SELECT id, task, lease_seconds FROM jobs WHERE status = :s", {"s": "leased"}).all()
    }
    if not leased:
        return
    claimed: dict[int, float | None] = {}
    for (body,) in tx.x("SELECT body FROM events WHERE type = :t ORDER BY seq", {"t": "job.claimed"}).all():
        ev = decode_body(body)
        if ev.get("job") in leased:
            claimed[int(ev["job"])] = (ev.get("data") or {}).get("lease_seconds")
    for jid, (task, seconds) in sorted(leased.items()):
        said = claimed.get(jid)
        if jid not in claimed or (said is not None and float(said) == seconds):
            continue  # no claim (verify names that) or the claim's own length: nothing to chain
        tx.events.append(
            {
                "v": 1,
                "type": "job.lease",
                "task": task,
                "actor": "org",
                "lane": None,
                "family": None,
                "gate": None,
                "decision": "lease",
                "rules": [],
                "config_hash": None,
                "job": jid,
                "data": {
                    "lease_seconds": seconds,
                    "reason": "schema 4 upgrade: a heartbeat before it set this",
                },
            }
        )
    append(tx)
    tx.events.clear()


def _v5_token_fingerprints(tx: Tx) -> None:
    """Version 5: every token made from now on has the fingerprint of its stored secret hash in the event that
    made it (ADR 0210), so a row given another token's salt and hash is refused and named by `audit verify`.
    For each token row already there, the upgrade chains one `token.fingerprint` event (by "org", with the
    row's values at the upgrade): authentication and verify stay total, and a later swap is still named."""
    from org.bus.audit import append, token_fingerprint

    rows = tx.x("SELECT id, salt, hash FROM org_tokens ORDER BY id").all()
    for tid, salt, digest in rows:
        tx.events.append(
            {
                "v": 1,
                "type": "token.fingerprint",
                "task": None,
                "actor": "org",
                "lane": None,
                "family": None,
                "gate": None,
                "decision": "fingerprint",
                "rules": [],
                "config_hash": None,
                "data": {
                    "token_id": tid,
                    "fingerprint": token_fingerprint(tid, salt, digest),
                    "reason": "schema 5 upgrade: made before fingerprints",
                },
            }
        )
    if rows:
        append(tx)
        tx.events.clear()


def _v6_chain_in_the_server(tx: Tx) -> None:
    """Version 6: PostgreSQL chains the audit log in the server (org.bus.audit.CHAIN_FUNCTION, ADR 0245); the
    function is (re)installed before any step runs (`ensure_schema`), so this step only records the version.
    SQLite chains in the writing process as before."""


def _v8_open_jobs_by_lane(tx: Tx) -> None:
    """Version 8: an index over the open jobs of each lane (org.bus.models ix_jobs_open), so `task list --lane`
    reads that lane's open jobs instead of probing every task (issue 23 item 4)."""
    tx.x(
        "CREATE INDEX IF NOT EXISTS ix_jobs_open ON jobs (lane, task) "
        "WHERE status IN ('queued', 'leased') AND task IS NOT NULL"
    )


def _v10_task_list_indexes(tx: Tx) -> None:
    """Version 10: `task list` filters read indexes in the list's order (newest task first) and stop at the page:
    the open jobs of a lane and the jobs an actor holds by their task's number, the tasks by workflow and by who
    made them (issue 23 item 4). Version 8's ix_jobs_open is replaced."""
    tx.x(
        f"CREATE INDEX IF NOT EXISTS ix_jobs_open_num ON jobs (lane, {TASK_NUMBER}) "
        "WHERE status IN ('queued', 'leased') AND task IS NOT NULL"
    )
    tx.x(
        f"CREATE INDEX IF NOT EXISTS ix_jobs_holder ON jobs (leased_by, {TASK_NUMBER}) "
        "WHERE leased_by IS NOT NULL AND task IS NOT NULL"
    )
    tx.x("CREATE INDEX IF NOT EXISTS ix_tasks_workflow ON tasks (workflow)")
    tx.x("CREATE INDEX IF NOT EXISTS ix_tasks_created_by ON tasks (created_by)")
    tx.x("DROP INDEX IF EXISTS ix_jobs_open")


def _v7_events_by_header(tx: Tx) -> None:
    """Version 7: indexes on the hashed header's type and task (ADR 0221), so the deciding reads select events
    by what the chain covers, never by the unhashed type and task columns."""
    create_header_indexes(tx)


def _v9_chain_in_one_insert(tx: Tx) -> None:
    """Version 9: the chain function inserts a transaction's events in one statement (ADR 0295); like version 6
    it is (re)installed before any step runs, so this step only records the version. The chain is unchanged."""


# version -> function upgrading a database from version - 1 to version (inside one transaction).
MIGRATIONS: dict[int, Callable[[Tx], None]] = {
    2: _v2_unpriced_usage,
    3: _v3_identity_tables,
    4: _v4_events_by_type,
    5: _v5_token_fingerprints,
    6: _v6_chain_in_the_server,
    7: _v7_events_by_header,
    8: _v8_open_jobs_by_lane,
    9: _v9_chain_in_one_insert,
    10: _v10_task_list_indexes,
}

_ADVISORY_KEY = 0x0126_B005  # any constant; serialises schema changes between processes on PostgreSQL


class SchemaTooNew(UsageError):
    kind = "schema"


def schema_version(store: Store) -> int | None:
    """The database's schema version, or None for a database without bus tables."""
    from sqlalchemy.exc import DBAPIError

    def fn(tx: Tx) -> int | None:
        v = tx.x("SELECT value FROM bus_meta WHERE key = 'schema_version'").scalar()
        return int(v) if v is not None else None

    try:
        return store.read(fn)
    except DBAPIError as exc:
        msg = str(exc.orig).lower()
        if "no such table" in msg or "does not exist" in msg:
            return None
        raise


def ensure_schema(
    store: Store, target: int = SCHEMA_VERSION, migrations: dict[int, Callable[[Tx], None]] | None = None
) -> int:
    """Bring the database to `target`; returns the version found before (0 for a fresh one)."""
    migrations = MIGRATIONS if migrations is None else migrations
    _precheck_sqlite(store)
    found = schema_version(store)
    if found is not None:
        _refuse_newer(store, found, target)
        if found == target:
            return found

    from sqlalchemy import inspect

    from org.bus.models import metadata

    def fn(tx: Tx) -> int:
        if tx.pg:
            tx.x("SELECT pg_advisory_xact_lock(:k)", {"k": _ADVISORY_KEY})
        insp = inspect(tx.conn)
        if tx.pg and target >= 6:  # every append needs it, the older steps' own too
            from org.bus.audit import CHAIN_FUNCTION

            tx.x(CHAIN_FUNCTION)
        if not insp.has_table("bus_meta"):
            if not tx.pg:
                _refuse_foreign_sqlite(store, insp.get_table_names())
            ours = [t for t in metadata.tables if insp.has_table(t)]
            if ours:
                raise UsageError(
                    f"the database at {store.display_url} already holds tables named {', '.join(sorted(ours))} "
                    "that org did not create; point --db at another database"
                )
            metadata.create_all(tx.conn)
            create_header_indexes(tx)
            tx.x("INSERT INTO bus_meta(key, value) VALUES ('schema_version', :v)", {"v": str(target)})
            tx.x("INSERT INTO bus_meta(key, value) VALUES ('created_at', :v)", {"v": repr(tx.now)})
            tx.x("INSERT INTO audit_head(id, seq, hash) VALUES (1, 0, :h)", {"h": GENESIS})
            return 0
        v = int(tx.x("SELECT value FROM bus_meta WHERE key = 'schema_version'").scalar() or 0)
        _refuse_newer(store, v, target)
        start = v
        while v < target:
            step = migrations.get(v + 1)
            if step is None:
                raise UsageError(f"no migration from schema version {v} to {v + 1}; nothing was changed")
            step(tx)
            v += 1
            tx.x(
                "INSERT INTO bus_meta(key, value) VALUES (:k, :v)", {"k": f"migrated:{v}", "v": repr(tx.now)}
            )
        tx.x("UPDATE bus_meta SET value = :v WHERE key = 'schema_version'", {"v": str(v)})
        return start

    return store.write(fn)


def _precheck_sqlite(store: Store) -> None:
    """Before org's own connection touches an existing SQLite file (it switches the file to WAL), look at it
    read-only: a damaged file, or one that another program made, is refused unchanged."""
    path = sqlite_path(store.url)
    if path is None or not path.is_file() or path.stat().st_size == 0:
        return
    try:
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        msg = str(exc).lower()
        if "not a database" in msg or "malformed" in msg:
            raise NotOrgDatabase.damaged(str(path), str(exc))
        return  # locked, unreadable, ...: org's own connection reports it as it always did
    if "bus_meta" not in names:
        _refuse_foreign_sqlite(store, names)


def _refuse_foreign_sqlite(store: Store, tables: list[str]) -> None:
    """A SQLite file is one database: one with tables but no bus_meta was made by something else. org adds
    nothing to it (on PostgreSQL a database may be shared, so only a clash of table names is refused)."""

    theirs = sorted(t for t in tables if not t.startswith("sqlite_"))
    if theirs:
        where = str(sqlite_path(store.url) or store.display_url)
        shown = ", ".join(theirs[:5]) + (f" and {len(theirs) - 5} more" if len(theirs) > 5 else "")
        raise NotOrgDatabase(
            f"{where} is a SQLite database that org did not create (it holds {shown}, and no org schema). Nothing "
            f"was changed. Point --db (ORG_DATABASE_URL) at org's database, or move this file aside (e.g. mv {where} "
            f"{where}.not-org) and org starts a fresh bus there.",
            tables=theirs,
        )


def _refuse_newer(store: Store, found: int, target: int) -> None:
    if found > target:
        raise SchemaTooNew(
            f"the database at {store.display_url} has schema version {found}, newer than this version of org "
            f"understands ({target}); upgrade org to use it. Nothing was changed.",
            found=found,
            supported=target,
        )
