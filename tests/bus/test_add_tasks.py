"""`Bus.add_tasks` (the bulk form of add_task, for benchmarks that grow a bus to 100k tasks): each task filed
exactly as add_task files it, in one transaction, all or none; a hostile entry anywhere in a batch leaves nothing."""

from __future__ import annotations

import sqlite3

import pytest

from org.bus import Bus
from org.errors import Denied, NotFound, OrgError, Paused, UsageError

SPECS = [
    {"title": "A", "workflow": "change", "by": "alice", "attributes": {"kind": "code", "environment": "dev"}},
    {
        "title": "B",
        "workflow": "ops",
        "by": "bob",
        "attributes": {"kind": "deploy", "environment": "production"},
    },
    {"title": "C", "workflow": "change", "attributes": {"kind": "docs"}, "tier": "high"},
    {"title": "D", "workflow": "change", "by": "alice", "idempotency_key": "k-1"},
]


def _shape(db) -> tuple:
    """What a filing leaves, without times and hashes: tasks, jobs and events (type, task, data's keys)."""
    import json

    with sqlite3.connect(db) as c:
        tasks = c.execute(
            "SELECT key, title, workflow, tier, status, created_by, attributes, rounds, last_seq FROM tasks ORDER BY id"
        ).fetchall()
        jobs = c.execute("SELECT task, gate, lane, kind, status FROM jobs ORDER BY id").fetchall()
        events = []
        for typ, task, body in c.execute("SELECT type, task, body FROM events ORDER BY seq"):
            ev = json.loads(bytes(body)[bytes(body).index(b"\x1e") + 1 :])
            events.append((typ, task, sorted((ev.get("data") or {}).items(), key=str)))
    return tasks, jobs, [e for e in events if not e[0].startswith(("auth.", "config."))]


def test_a_batch_files_each_task_as_add_task_does(tmp_path, org_copy):
    import shutil

    one, many = tmp_path / "one", tmp_path / "many"
    for d in (one, many):
        shutil.copytree(org_copy, d)
    with Bus.open(root=one) as bus:
        singly = [bus.add_task(**spec) for spec in SPECS]
    with Bus.open(root=many) as bus:
        together = bus.add_tasks(SPECS)
        assert bus.audit_verify().ok
        again = bus.add_tasks([SPECS[3]])  # its idempotency key: the same task, not a new one
        assert again[0]["created"] is False and again[0]["task"] == together[3]["task"]
    drop = {"created_at", "updated_at", "posted_at"}

    def plain(rows):
        return [{k: (plain(v) if k == "jobs" else v) for k, v in r.items() if k not in drop} for r in rows]

    assert plain(together) == plain(singly)
    assert _shape(many / ".org" / "org.db") == _shape(one / ".org" / "org.db")


@pytest.mark.parametrize(
    "bad, error",
    [
        ({"title": " ", "workflow": "change"}, UsageError),
        ({"title": "x", "workflow": "nosuch"}, NotFound),
        ({"title": "x", "workflow": "change", "by": "mallory"}, NotFound),
        ({"title": "x", "workflow": "change", "attributes": {"environment": "mars"}}, UsageError),
        ({"title": "x", "workflow": "change", "by": "build-claude"}, Denied),  # an agent may not file work
        ({"title": "x", "workflow": "change", "by": "alice", "paused": True}, Paused),
    ],
)
def test_a_hostile_entry_anywhere_in_a_batch_leaves_nothing(org_copy, bad, error):
    with Bus.open(root=org_copy) as bus:
        bus.add_task("before", "change", by="alice")
        head = bus.head()
        if bad.pop("paused", False):
            bus.pause("actor", "alice", note="stop")
            head = bus.head()
        for at in (0, 2, 4):
            batch = [dict(s, idempotency_key=None) for s in SPECS[:3]]
            batch.insert(at, bad)
            with pytest.raises((error, OrgError)) as exc:
                bus.add_tasks(batch)
            assert isinstance(exc.value, error), exc.value
            assert bus.head() == head
            assert len(bus.list_tasks()) == 1
