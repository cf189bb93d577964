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
        ("org_tokens", "created_by"),
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=FIELDS, value=VALUES, pick=st.integers(0, 5))
def test_any_retyped_field_is_named_or_harmless_never_a_crash(slog, where, value, pick):
    """Whatever a field is set to, verify answers (never raises); a value that changes what the row says is
    named; the row put back verifies again."""
    _retype(slog[0], *where, value, pick)


def _retype(bus, table: str, column: str, value, pick: int, cond: str = "1 = 1") -> None:
    """Set one field of the `pick`th row (of those matching `cond`) to `value` and verify: never a crash; a
    change of what the row says is named (when it was revoked, a lease's end moved earlier and a lease
    length of a job not leased are the table's own notes); the row put back verifies again."""
    from org.bus.store import sqlite_path

    con = sqlite3.connect(sqlite_path(bus.store.url))
    try:
        rowids = [r[0] for r in con.execute(f"SELECT rowid FROM {table} WHERE {cond} ORDER BY rowid")]
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
            same = (after is None) == (before is None)
        elif column == "lease_expires":
            same = True  # not asserted: lowered, a lease is only stricter; raised past a heartbeat is tested
        elif column == "lease_seconds":
            (stat,) = con.execute(f"SELECT status FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
            same = same or stat != "leased"
        if not same:
            assert not report.ok and table in report.problem, (table, column, before, after)
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


# -- the rest of a job's row and its token (ADR 0113 left them; issue 19 class 8 (b)) -----------------------
@pytest.fixture
def lifecycle_log(bus):
    return _lifecycle(bus)


@pytest.fixture
def slifecycle_log(sbus):
    return _lifecycle(sbus)


def _lifecycle(bus):
    """Jobs in every state but cancelled: done, leased (with its job token), queued, dead (a failed plain job)."""
    from org.identity.guard import Guard

    g = Guard(bus)
    tokens = {a: g.tokens.issue(a, by="alice")["token"] for a in ("build-claude", "rev-gemini", "bob")}
    t = g.add_task(tokens["bob"], "Fix the parser", "change", by="bob", attributes={"kind": "code"})["task"]
    c, jt = g.claim(tokens["build-claude"], "builder", "build-claude")
    g.submit(jt, c.job, "pass", note="done", content="diff", revision="r1")  # done; a review is queued
    g.add_task(tokens["bob"], "Second", "change", by="bob", attributes={"kind": "code"})
    leased, jt2 = g.claim(tokens["build-claude"], "builder", "build-claude")  # the second task's work: leased
    (plain,) = bus.post_jobs("reviewer", [{"x": 1}], by="alice")
    p = bus.claim("reviewer", "rev-claude")
    if p.job != plain:
        bus.release(p.job, p.token, reason="not this one")
        p = bus.claim("reviewer", "rev-claude")
    bus.fail(p.job, p.token, reason="cannot")  # dead
    assert {"done", "leased", "queued", "dead"} <= _statuses(bus), _statuses(bus)
    assert bus.audit_verify().ok, bus.audit_verify().problem
    bus.guard, bus.leased_token = g, jt2
    return bus, t, leased


def _statuses(bus) -> set[str]:
    from sqlalchemy import text

    with bus.store.engine.begin() as c:
        return set(c.execute(text("SELECT status FROM jobs")).scalars().all())


@pytest.mark.parametrize(
    "sql,field",
    [
        # a done job handed back to the queue, or a queued review marked done with no submission
        ("UPDATE jobs SET status = 'queued' WHERE status = 'done'", "status"),
        ("UPDATE jobs SET status = 'done' WHERE status = 'queued'", "status"),
        ("UPDATE jobs SET status = 'queued' WHERE status = 'dead'", "status"),
        ("UPDATE jobs SET status = 'cancelled' WHERE status = 'queued'", "status"),
        ("UPDATE jobs SET status = 'dead' WHERE status = 'queued'", "status"),
        # a lease stretched past what any heartbeat could give, or its lease length changed by hand
        (
            "UPDATE jobs SET lease_expires = lease_expires + 30 * 86400 WHERE status = 'leased'",
            "lease_expires",
        ),
        ("UPDATE jobs SET lease_seconds = 7 * 86400 WHERE status = 'leased'", "lease_seconds"),
    ],
)
def test_a_job_s_status_or_lease_changed_by_hand_is_named(lifecycle_log, sql, field):
    bus = lifecycle_log[0]
    _edit(bus, sql)
    _broken(bus, "jobs", field)


def test_a_heartbeat_keeps_the_chain_and_the_lease_in_step(lifecycle_log):
    """What a heartbeat may do (extend the lease, change its length) is not a tampering."""
    bus, _t, leased = lifecycle_log
    bus.guard.heartbeat(bus.leased_token, leased.job, lease_seconds=900)
    bus.guard.heartbeat(bus.leased_token, leased.job)
    assert bus.audit_verify().ok, bus.audit_verify().problem


@pytest.mark.parametrize(
    "sql,field",
    [
        (
            "UPDATE org_tokens SET created_by = NULL WHERE kind = 'principal' AND principal = 'build-claude'",
            "created_by",
        ),
        (
            "UPDATE org_tokens SET created_by = 'build-claude' WHERE kind = 'principal' AND principal = 'bob'",
            "created_by",
        ),
        ("UPDATE org_tokens SET principal = 'rev-gemini' WHERE kind = 'job'", "principal"),
        ("UPDATE org_tokens SET created_by = NULL WHERE kind = 'job'", "created_by"),
        ("UPDATE org_tokens SET job = job + 1 WHERE kind = 'job'", "job"),
        ("UPDATE org_tokens SET fence = fence + 1 WHERE kind = 'job'", "fence"),
        ("UPDATE org_tokens SET gate = 'review' WHERE kind = 'job'", "gate"),
        ("UPDATE org_tokens SET task = 'T-999' WHERE kind = 'job'", "task"),
        ("UPDATE org_tokens SET expires_at = expires_at + 86400 WHERE kind = 'job'", "expires_at"),
    ],
)
def test_a_job_token_or_a_token_s_issuer_changed_by_hand_is_named(lifecycle_log, sql, field):
    bus = lifecycle_log[0]
    _edit(bus, sql)
    _broken(bus, "org_tokens", field)


def test_a_forged_job_token_row_is_named(lifecycle_log):
    bus = lifecycle_log[0]
    _edit(
        bus,
        "INSERT INTO org_tokens(id, kind, principal, principal_kind, salt, hash, created_at, created_by, job, fence, "
        "task, gate, lane, actions) SELECT 'jforged', kind, principal, principal_kind, salt, hash, created_at, "
        "created_by, job, fence, task, gate, lane, actions FROM org_tokens WHERE kind = 'job' LIMIT 1",
    )
    _broken(bus, "org_tokens", "jforged")


JOB_FIELDS = st.sampled_from(
    [
        ("jobs", "status"),
        ("jobs", "lease_seconds"),
        ("jobs", "lease_expires"),
        ("org_tokens", "created_by"),
        ("org_tokens", "job"),
        ("org_tokens", "fence"),
        ("org_tokens", "task"),
        ("org_tokens", "gate"),
        ("org_tokens", "lane"),
        ("org_tokens", "expires_at"),
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=JOB_FIELDS, value=VALUES, pick=st.integers(0, 8))
def test_any_retyped_job_or_job_token_field_is_named_never_a_crash(slifecycle_log, where, value, pick):
    """Jobs and job tokens too: whatever a field is set to, verify answers (never raises); a change of what the
    row says is named; the row put back verifies again."""
    table, column = where
    cond = "kind = 'job'" if table == "org_tokens" and column != "created_by" else "1 = 1"
    _retype(slifecycle_log[0], table, column, value, pick, cond)
