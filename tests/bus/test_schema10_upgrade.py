"""A database at schema 8 (ix_jobs_open) or 9 upgrades to 10 in place, on SQLite and PostgreSQL: the task
list's indexes are made, version 8's dropped, and every filter answers as before."""

from __future__ import annotations

import pytest

from org.bus import Bus
from org.bus.schema import SCHEMA_VERSION, schema_version


def _lists(bus):
    out = []
    for kw in ({}, {"lane": "builder"}, {"lane": "reviewer"}, {"actor": "alice"}, {"workflow": "change"}):
        out.append([t["task"] for t in bus.list_tasks(**kw)])
    return out


@pytest.mark.parametrize("found", [8, 9])
def test_a_schema_8_or_9_database_upgrades_to_10(url, root, found):
    with Bus.open(url, root=root) as bus:
        for i in range(6):
            bus.add_task(f"t{i}", "change", by="alice", attributes={"kind": "code"})
        before = _lists(bus)
    with Bus.open(url, root=root) as bus:
        store = bus.store

        def down(tx):
            for ix in ("ix_jobs_open_num", "ix_jobs_holder", "ix_tasks_workflow", "ix_tasks_created_by"):
                tx.x(f"DROP INDEX IF EXISTS {ix}")
            tx.x(
                "CREATE INDEX IF NOT EXISTS ix_jobs_open ON jobs (lane, task) "
                "WHERE status IN ('queued', 'leased') AND task IS NOT NULL"
            )
            tx.x("UPDATE bus_meta SET value = :v WHERE key = 'schema_version'", {"v": str(found)})

        store.write(down)
    with Bus.open(url, root=root) as bus:
        store = bus.store
        assert schema_version(store) == SCHEMA_VERSION == 10
        names = set()

        def read(tx):
            q = (
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                if tx.pg
                else "SELECT name FROM sqlite_master WHERE type = 'index'"
            )
            names.update(r[0] for r in tx.x(q).all())

        store.write(read)
        assert {"ix_jobs_open_num", "ix_jobs_holder", "ix_tasks_workflow", "ix_tasks_created_by"} <= names
        assert "ix_jobs_open" not in names
        assert _lists(bus) == before
