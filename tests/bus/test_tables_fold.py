"""State outside the chain (issue 19 class 8, ADR 0113): the switches (pauses) and principal tokens tables are
caches of what the hash-chained events say. A hand edit of a row (lift a pause, un-revoke a token, extend its
expiry, hand it to someone else, forge a row) is named by `audit verify` (table, row, field; exit 8), whatever
the edit did to the row's types or encoding, never a crash."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.identity.tokens import Tokens


def _made(sbus):
    tokens = Tokens(sbus)
    live = tokens.issue("alice", by="bob", ttl=3600)
    gone = tokens.issue("carol" if "carol" in sbus.config().actors else "bob", by="alice")
    tokens.revoke(token_id=gone["id"], by="alice")
    sbus.pause("lane", "builder", by="alice", note="hold")
    sbus.pause("lane", "reviewer", by="alice")
    sbus.resume("lane", "reviewer", by="alice")
    assert sbus.audit_verify().ok, sbus.audit_verify().problem
    sbus.secret = live["token"]
    return sbus, live["id"], gone["id"]


@pytest.fixture
def log(bus):
    """SQLite and PostgreSQL."""
    return _made(bus)


@pytest.fixture
def slog(sbus):
    return _made(sbus)


def _edit(bus, sql, params=()):
    from sqlalchemy import text

    sql = sql.replace("?", ":p")
    with bus.store.engine.begin() as c:
        c.execute(text(sql), {"p": params[0]} if params else {})


def _broken(bus, *words):
    r = bus.audit_verify()
    assert not r.ok and r.broken_seq is not None
    for w in words:
        assert w in r.problem, r.problem
    return r


def test_lifting_a_pause_by_hand_is_named(log):
    bus, _, _ = log
    _edit(bus, "UPDATE switches SET active = false WHERE target = 'builder'")
    _broken(bus, "switches", "active")


def test_re_pausing_or_moving_a_switch_by_hand_is_named(log):
    bus, _, _ = log
    _edit(bus, "UPDATE switches SET target = 'approver' WHERE target = 'builder'")
    _broken(bus, "switches", "target")


def test_a_forged_switch_row_is_named(log):
    bus, _, _ = log
    _edit(
        bus,
        "INSERT INTO switches(scope, target, active, paused_by, paused_at) VALUES ('lane', 'ops', true, 'x', 0)",
    )
    _broken(bus, "switches", "no event")


def test_deleting_a_pause_row_is_named(log):
    bus, _, _ = log
    _edit(bus, "DELETE FROM switches WHERE target = 'builder'")
    _broken(bus, "switches", "gone")


def test_un_revoking_a_token_by_hand_is_named(log):
    bus, _, gone = log
    _edit(bus, "UPDATE org_tokens SET revoked_at = NULL, revoked_by = NULL WHERE id = ?", (gone,))
    _broken(bus, "org_tokens", gone, "revoked")


@pytest.mark.parametrize("exp", ["NULL", "expires_at + 86400"])
def test_extending_a_token_s_expiry_by_hand_is_named(log, exp):
    bus, live, _ = log
    _edit(bus, f"UPDATE org_tokens SET expires_at = {exp} WHERE id = ?", (live,))
    _broken(bus, "org_tokens", live, "expires_at")


def test_handing_a_token_to_someone_else_by_hand_is_named(log):
    bus, live, _ = log
    _edit(
        bus, "UPDATE org_tokens SET principal = 'ops-claude', principal_kind = 'agent' WHERE id = ?", (live,)
    )
    _broken(bus, "org_tokens", live, "principal")


def test_a_forged_principal_token_row_is_named(log):
    bus, _, _ = log
    _edit(
        bus,
        "INSERT INTO org_tokens(id, kind, principal, principal_kind, salt, hash, created_at) "
        "VALUES ('feedfacefeedface', 'principal', 'alice', 'human', 's', 'h', 0)",
    )
    _broken(bus, "org_tokens", "feedfacefeedface", "no event")


def test_org_audit_verify_exits_8_naming_the_row(slog, root):
    from tests.helpers import run_org

    bus, _, gone = slog
    _edit(bus, "UPDATE org_tokens SET revoked_at = NULL WHERE id = ?", (gone,))
    r = run_org(
        "audit",
        "verify",
        "--as",
        "alice",
        root=root,
        env={"ORG_DATABASE_URL": bus.store.url, "ORG_TOKEN": bus.secret},
    )
    assert r.returncode == 8, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "org_tokens" in r.stdout + r.stderr


VALUES = st.sampled_from([None, 0, 1, 2, -1, 2**62, 1.5, "", "1", "x", "é", b"", b"\xff\xfe", b"\x01"])
FIELDS = st.sampled_from(
    [
        ("switches", "active"),
        ("switches", "scope"),
        ("switches", "target"),
        ("org_tokens", "kind"),
        ("org_tokens", "principal"),
        ("org_tokens", "principal_kind"),
        ("org_tokens", "expires_at"),
        ("org_tokens", "revoked_at"),
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=FIELDS, value=VALUES, pick=st.integers(0, 5))
def test_any_retyped_field_is_named_or_harmless_never_a_crash(slog, where, value, pick):
    """Whatever a field is set to, verify answers (never raises); a value that changes what the row says is
    named; the row put back verifies again."""
    from org.bus.store import sqlite_path

    bus = slog[0]
    table, column = where
    con = sqlite3.connect(sqlite_path(bus.store.url))
    try:
        rowids = [r[0] for r in con.execute(f"SELECT rowid FROM {table} ORDER BY rowid")]
        rowid = rowids[pick % len(rowids)]
        (before,) = con.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        try:
            with con:
                con.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (value, rowid))
        except sqlite3.IntegrityError:  # NOT NULL or a unique index: this tampering cannot be written
            return
        (after,) = con.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        report = bus.audit_verify()
        same = type(after) is type(before) and after == before
        if column == "revoked_at":
            same = (after is None) == (before is None)  # when it was revoked is the table's own note
        if not same:
            assert not report.ok and table in report.problem, (where, before, after)
        with con:
            con.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (before, rowid))
        assert bus.audit_verify().ok
    finally:
        con.close()


# -- jobs: gate, task, lane, kind from job.posted; who holds a lease and its fence from job.claimed ---------
@pytest.fixture
def jobs_log(bus):
    sbus = bus
    t = sbus.add_task("Fix the parser", "change", by="alice", attributes={"kind": "code"})["task"]
    claimed = sbus.claim("builder", "build-claude")
    sbus.add_task("Second", "change", by="alice", attributes={"kind": "code"})
    assert claimed, "nothing to claim"
    assert sbus.audit_verify().ok, sbus.audit_verify().problem
    return sbus, t


@pytest.mark.parametrize(
    "sql,field",
    [
        ("UPDATE jobs SET gate = 'approval' WHERE status = 'leased'", "gate"),
        ("UPDATE jobs SET task = (SELECT max(task) FROM jobs) WHERE status = 'leased'", "task"),
        ("UPDATE jobs SET lane = 'reviewer' WHERE status = 'queued'", "lane"),
        ("UPDATE jobs SET leased_by = 'ops-claude' WHERE status = 'leased'", "leased_by"),
        ("UPDATE jobs SET fence = fence + 1 WHERE status = 'leased'", "fence"),
        ("UPDATE jobs SET status = 'leased', leased_by = 'ops-claude' WHERE status = 'queued'", "status"),
    ],
)
def test_moving_a_job_by_hand_is_named(jobs_log, sql, field):
    bus, _ = jobs_log
    _edit(bus, sql)
    _broken(bus, "jobs", field)
