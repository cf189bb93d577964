"""The schema is versioned: fresh databases are created, older ones migrated, newer ones refused untouched."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from helpers import run_org

from org.bus import Bus, SchemaTooNew
from org.bus.schema import SCHEMA_VERSION, ensure_schema, schema_version
from org.bus.store import Store
from org.errors import UsageError


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fresh_database_gets_current_version_and_wal(sbus, sqlite_url, root):
    assert schema_version(sbus.store) == SCHEMA_VERSION
    db = root / ".org" / "org.db"
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # opening again is a no-op
    assert ensure_schema(Store(sqlite_url)) == SCHEMA_VERSION


def test_newer_schema_is_refused_and_nothing_is_overwritten(sbus, sqlite_url, root):
    sbus.add_task("keep me", "change")
    sbus.close()
    db = root / ".org" / "org.db"
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.execute("UPDATE bus_meta SET value = :v WHERE key = 'schema_version'", {"v": str(SCHEMA_VERSION + 1)})
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _digest(db)
    with pytest.raises(SchemaTooNew, match=f"schema version {SCHEMA_VERSION + 1}, newer than"):
        Bus.open(sqlite_url, root=root)
    assert _digest(db) == before
    r = run_org("task", "list", root=root)
    assert r.returncode == 2 and "upgrade org" in r.stderr and "Traceback" not in r.stderr
    r = run_org("--json", "task", "list", root=root)
    assert r.returncode == 2 and '"error": "schema"' in r.stdout


def test_pg_newer_schema_is_refused(pg_url, root):
    with Bus.open(pg_url, root=root) as b:
        b.add_task("keep", "change")
        b.store.write(lambda tx: tx.x("UPDATE bus_meta SET value = '999' WHERE key = 'schema_version'"))
    with pytest.raises(SchemaTooNew):
        Bus.open(pg_url, root=root)


def test_older_schema_is_migrated_in_order(sbus, sqlite_url, root):
    sbus.add_task("survives the migration", "change")
    seen = []

    def to_v2(tx):
        seen.append(2)
        tx.x("ALTER TABLE tasks ADD COLUMN labels TEXT")

    def to_v3(tx):
        seen.append(3)
        tx.x("UPDATE tasks SET labels = 'migrated'")

    s = Store(sqlite_url)
    assert ensure_schema(s, SCHEMA_VERSION + 2, {SCHEMA_VERSION + 1: to_v2, SCHEMA_VERSION + 2: to_v3}) == SCHEMA_VERSION
    assert seen == [2, 3] and schema_version(s) == SCHEMA_VERSION + 2
    assert s.read(lambda tx: tx.x("SELECT title, labels FROM tasks").all()) == [("survives the migration", "migrated")]
    # a failing migration leaves the database as it was
    def boom(tx):
        tx.x("UPDATE tasks SET title = 'half-done'")
        raise RuntimeError("migration bug")

    with pytest.raises(RuntimeError):
        ensure_schema(s, SCHEMA_VERSION + 3, {SCHEMA_VERSION + 3: boom})
    assert schema_version(s) == SCHEMA_VERSION + 2
    assert s.read(lambda tx: tx.x("SELECT title FROM tasks").scalar()) == "survives the migration"
    with pytest.raises(UsageError, match="no migration"):
        ensure_schema(s, SCHEMA_VERSION + 5, {})


def test_foreign_tables_are_not_adopted(tmp_path, root):
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, what TEXT)")
    with pytest.raises(UsageError, match="did not create"):
        Bus.open(f"sqlite:///{db}", root=root)


def test_bad_urls_are_usage_errors(root):
    with pytest.raises(UsageError):
        Bus.open("mysql://x/y", root=root)
    with pytest.raises(UsageError):
        Bus.open("postgresql+asyncpg://x/y", root=root)
