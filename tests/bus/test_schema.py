"""The schema is versioned: fresh databases are created, older ones migrated, newer ones refused untouched."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from org.bus import Bus, SchemaTooNew
from org.bus.schema import SCHEMA_VERSION, ensure_schema, schema_version
from org.bus.store import Store
from org.errors import UsageError
from tests.helpers import run_org


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fresh_database_gets_current_version_and_wal(sbus, sqlite_url, root):
    assert schema_version(sbus.store) == SCHEMA_VERSION
    db = root / ".org" / "org.db"
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # opening again is a no-op
    assert ensure_schema(Store(sqlite_url)) == SCHEMA_VERSION


@pytest.mark.slow
def test_newer_schema_is_refused_and_nothing_is_overwritten(sbus, sqlite_url, root):
    sbus.add_task("keep me", "change")
    sbus.close()
    db = root / ".org" / "org.db"
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.execute(
            "UPDATE bus_meta SET value = :v WHERE key = 'schema_version'", {"v": str(SCHEMA_VERSION + 1)}
        )
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
    assert (
        ensure_schema(s, SCHEMA_VERSION + 2, {SCHEMA_VERSION + 1: to_v2, SCHEMA_VERSION + 2: to_v3})
        == SCHEMA_VERSION
    )
    assert seen == [2, 3] and schema_version(s) == SCHEMA_VERSION + 2
    assert s.read(lambda tx: tx.x("SELECT title, labels FROM tasks").all()) == [
        ("survives the migration", "migrated")
    ]

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


# The usage table as schema version 1 created it on SQLite (copied from a database version 1 made).
USAGE_V1 = (
    "CREATE TABLE usage (id INTEGER NOT NULL, ts FLOAT NOT NULL, actor VARCHAR(128) NOT NULL, lane VARCHAR(64), "
    "task VARCHAR(32), workflow VARCHAR(64), gate VARCHAR(64), job BIGINT, model VARCHAR(200) NOT NULL, "
    "vendor VARCHAR(64), family VARCHAR(64), tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, "
    "cost_usd FLOAT NOT NULL, latency_ms FLOAT NOT NULL, outcome VARCHAR(32) NOT NULL, PRIMARY KEY (id))"
)
USAGE_V1_INDEXES = (
    "CREATE INDEX ix_usage_lane ON usage (lane, ts)",
    "CREATE INDEX ix_usage_task ON usage (task, ts)",
    "CREATE INDEX ix_usage_actor ON usage (actor, ts)",
)


def test_version_1_usage_is_migrated_to_unknown_costs(url, root):
    """Version 1 stored unpriced calls as $0 in a NOT NULL column; version 2 allows NULL (unknown) and turns
    the $0 successful calls with tokens (indistinguishable from unpriced ones) into unknown costs."""
    from org.bus import Bus

    with Bus.open(url, root=root) as b:
        t = b.add_task("spends", "change")["task"]
        rows = [
            ("build-claude", "anthropic/claude-sonnet-4-5", 900, 100, 0.5, "ok"),
            ("build-claude", "ollama/house-model", 700, 300, 0.0, "ok"),  # unpriced, stored as $0 by v1
            ("rev-gpt", "openai/gpt-5", 0, 0, 0.0, "rate_limited"),  # refused: nothing billed
            ("rev-gpt", "openai/gpt-5", 0, 0, 0.0, "ok"),
        ]

        def to_v1(tx):
            if tx.pg:
                tx.x("ALTER TABLE usage ALTER COLUMN cost_usd SET NOT NULL")
            else:
                tx.x("DROP TABLE usage")
                for sql in (USAGE_V1, *USAGE_V1_INDEXES):
                    tx.x(sql)
            for i, (actor, model, ti, to, cost, outcome) in enumerate(rows, 1):
                tx.x(
                    "INSERT INTO usage (ts, actor, task, model, tokens_in, tokens_out, cost_usd, latency_ms, outcome) "
                    "VALUES (:ts, :a, :t, :m, :ti, :to, :c, 1.0, :o)",
                    {
                        "ts": 1000.0 + i,
                        "a": actor,
                        "t": t,
                        "m": model,
                        "ti": ti,
                        "to": to,
                        "c": cost,
                        "o": outcome,
                    },
                )
            tx.x("UPDATE bus_meta SET value = '1' WHERE key = 'schema_version'")

        b.store.write(to_v1)
        with pytest.raises(Exception, match="(?i)not null|null value"):
            b.store.write(
                lambda tx: tx.x(
                    "INSERT INTO usage (ts, actor, model, tokens_in, tokens_out, cost_usd, "
                    "latency_ms, outcome) VALUES (1, 'x', 'm', 0, 0, NULL, 0, 'ok')"
                )
            )
        before = b.store.read(
            lambda tx: [tuple(r) for r in tx.x("SELECT id, model, outcome FROM usage ORDER BY id").all()]
        )
    old = Store(url)
    assert schema_version(old) == 1
    old.dispose()
    with Bus.open(url, root=root) as b:
        assert schema_version(b.store) == SCHEMA_VERSION  # 1 -> 2 -> 3 in one open
        got = b.store.read(
            lambda tx: tx.x("SELECT id, model, outcome, cost_usd FROM usage ORDER BY id").all()
        )
        assert [tuple(r[:3]) for r in got] == before  # every row kept, with its id
        assert [r[3] for r in got] == [0.5, None, 0.0, 0.0]
        assert b.store.read(lambda tx: tx.x("SELECT value FROM bus_meta WHERE key = 'migrated:2'").scalar())
        by_model = {r["key"]: r for r in b.spend("model")}
        assert (
            by_model["ollama/house-model"]["cost_usd"] is None
            and by_model["ollama/house-model"]["unpriced_calls"] == 1
        )
        assert by_model["openai/gpt-5"]["cost_usd"] == 0.0 and by_model["openai/gpt-5"]["unpriced_calls"] == 0
        assert b.task(t)["spent_usd"] == pytest.approx(0.5) and b.task(t)["unpriced_calls"] == 1
        b.record_usage(
            "rev-gpt", "ollama/house-model", tokens_in=3
        )  # NULL now goes in; new ids follow the old
        last = b.store.read(lambda tx: tx.x("SELECT id, cost_usd FROM usage ORDER BY id DESC LIMIT 1").one())
        assert last[0] > before[-1][0] and last[1] is None
        if not b.store.read(lambda tx: tx.pg):
            names = b.store.read(
                lambda tx: tx.x(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage'"
                ).all()
            )
            assert {n for (n,) in names} >= {"ix_usage_lane", "ix_usage_task", "ix_usage_actor"}


def test_a_sqlite_file_of_someone_else_is_refused_and_left_alone(tmp_path, root):
    """No name clash, but tables org did not create: refused (exit 2) and the file keeps only its own tables."""
    db = tmp_path / "notes.db"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    with pytest.raises(UsageError, match="did not create .*notes.*move this file aside") as e:
        Bus.open(f"sqlite:///{db}", root=root)
    assert e.value.exit_code == 2
    with sqlite3.connect(db) as c:
        assert [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["notes"]


def test_an_empty_sqlite_file_becomes_a_bus(tmp_path, root):
    db = tmp_path / "empty.db"
    sqlite3.connect(db).close()
    with Bus.open(f"sqlite:///{db}", root=root) as bus:
        assert bus.head() == 0


def test_a_damaged_file_is_a_clear_usage_error(tmp_path, root):
    db = tmp_path / "org.db"
    db.write_bytes(b"this is not SQLite at all " * 400)
    with pytest.raises(UsageError, match="not a usable org database.*Move it aside") as e:
        Bus.open(f"sqlite:///{db}", root=root)
    assert e.value.exit_code == 2
    assert db.read_bytes().startswith(b"this is not SQLite")
