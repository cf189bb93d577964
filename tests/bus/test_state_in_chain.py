"""State outside the chain (issue 19, class 8): a decision reads only what the hash-chained events say; the
tables are caches. Hand-edited rows never loosen a decision, and `audit verify` answers any tampering with
the log, whatever it did to a row's types or encoding, with a broken link (exit 8), never a crash."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.errors import IntegrityError


def _sql(bus, statement, params=None):
    from sqlalchemy import text

    with bus.store.engine.begin() as c:
        c.execute(text(statement), params or {})


def _prod_task(bus):
    return bus.add_task("Ship", "ops", by="bob", attributes={"environment": "production"})[
        "task"
    ]  # alice decides


def test_a_hand_granted_approval_row_does_not_allow(bus):
    t = _prod_task(bus)
    first = bus.act("deploy.production", "ops-claude", t)
    assert first["exit_code"] == 6
    _sql(
        bus,
        "UPDATE approvals SET status = 'granted', decided_by = 'alice' WHERE id = :id",
        {"id": first["approval"]},
    )
    again = bus.act("deploy.production", "ops-claude", t)
    assert again["exit_code"] == 6, again["decision"]


def test_a_hand_deleted_rejection_row_still_stands(bus):
    t = _prod_task(bus)
    first = bus.act("deploy.production", "ops-claude", t)
    bus.reject(t, "alice", action="deploy.production", note="not today")
    _sql(bus, "DELETE FROM approvals WHERE id = :id", {"id": first["approval"]})
    assert bus.act("deploy.production", "ops-claude", t)["exit_code"] == 4


def test_a_task_row_pointing_at_another_pinned_policy_is_refused(bus, root):
    """Re-pointing a task's config_hash at a looser pinned policy must not loosen its decisions."""
    t = _prod_task(bus)
    rules = root / "gates" / "rules.yaml"
    rules.write_text(rules.read_text().replace("CONSEQ-PRODUCTION", "CONSEQ-PRODUCTION-2"))
    from org.bus import Bus

    with Bus.open(bus.store.url, root=root) as other:
        other.add_task(
            "other", "ops", by="alice", attributes={"environment": "dev"}
        )  # pins today's (edited) policy
        new_hash = other.config().config_hash
    _sql(bus, "UPDATE tasks SET config_hash = :h WHERE key = :k", {"h": new_hash, "k": t})
    with pytest.raises(IntegrityError):
        bus.act("deploy.production", "ops-claude", t)


# -- audit verify over tamperings ------------------------------------------------------------------------
VALUES = st.sampled_from([None, 0, -1, 2**62, 1.5, "", "x", "7", b"", b"\xff\xfe", b"\x00" * 40, "é" * 3])
COLUMNS = st.sampled_from(
    [
        ("events", "seq"),
        ("events", "task"),
        ("events", "type"),
        ("events", "body"),
        ("events", "hash"),
        ("audit_head", "seq"),
        ("audit_head", "hash"),
    ]
)


@pytest.fixture
def small_log(sbus):
    t = _prod_task(sbus)
    sbus.act("deploy.production", "ops-claude", t)
    sbus.approve(t, "alice", action="deploy.production")
    assert sbus.audit_verify().ok
    return sbus


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=COLUMNS, value=VALUES, row=st.integers(1, 6))
def test_verify_names_any_tampering_and_never_crashes(small_log, where, value, row):
    from org.bus.store import sqlite_path

    path = sqlite_path(small_log.store.url)
    table, column = where
    con = sqlite3.connect(path)
    try:
        con.execute("BEGIN")
        key = "id = 1" if table == "audit_head" else f"seq = {row}"
        rowid, *before = con.execute(f"SELECT rowid, {column} FROM {table} WHERE {key}").fetchone()
        try:
            con.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (value, rowid))
        except sqlite3.IntegrityError:  # a NOT NULL or unique column: this tampering cannot be written
            con.rollback()
            return
        after = list(con.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", (rowid,)).fetchone())
        con.commit()
        try:
            report = small_log.audit_verify()
        except IntegrityError:
            report = None
        if before != after and report is not None:
            assert not report.ok, (where, value, row)
        if report is not None and not report.ok:
            assert report.broken_seq is not None and report.problem
        con.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (*before, rowid))
        con.commit()
        assert small_log.audit_verify().ok, "the test did not put the row back"
    finally:
        con.close()


@pytest.mark.parametrize("value", ["not bytes", None, 12])
def test_org_audit_verify_exits_8_on_a_retyped_row(small_log, root, value):
    from org.bus.store import sqlite_path
    from tests.helpers import run_org

    con = sqlite3.connect(sqlite_path(small_log.store.url))
    with con:
        con.execute("UPDATE events SET task = ? WHERE seq = 2", (value,)) if value is None else con.execute(
            "UPDATE events SET body = ? WHERE seq = 2", (value,)
        )
    con.close()
    r = run_org("audit", "verify", "--as", "alice", root=root, env={"ORG_DATABASE_URL": small_log.store.url})
    assert r.returncode == 8, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "event 2" in r.stdout + r.stderr
