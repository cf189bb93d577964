"""`audit verify`'s one pass on SQLite (ADR 0300) is never more lenient than the full checks: whatever is done to
the log (every tampering of test_audit, and shapes only the full checks used to look for: a body stored as text, a
short hash, a task or type of another type, rows stored out of seq order), the one pass says ok only when the full
checks do, and verify's report (ok, the seq it names, the problem) is the full checks' own."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.bus.audit import _verify, verify
from org.bus.store import Store
from tests.bus.test_audit import OPS, _copy, _rows, _tamper, sample_db  # noqa: F401 (the fixture)


def _shape(db, op: str, k: int) -> None:
    """Tamperings of a row's storage the chain's bytes do not show."""
    c = sqlite3.connect(db)
    try:
        if op == "body_as_text":
            c.execute("UPDATE events SET body = CAST(body AS TEXT) WHERE seq = ?", (k,))
        elif op == "short_hash":
            c.execute("UPDATE events SET hash = substr(hash, 1, 31) WHERE seq = ?", (k,))
        elif op == "hash_as_text":
            c.execute("UPDATE events SET hash = hex(hash) WHERE seq = ?", (k,))
        elif op == "task_as_number":
            c.execute("UPDATE events SET task = 7 WHERE seq = ?", (k,))
        elif op == "type_as_blob":
            c.execute("UPDATE events SET type = CAST(type AS BLOB) WHERE seq = ?", (k,))
        elif op == "task_not_utf8":
            c.execute("UPDATE events SET task = CAST(X'ff54' AS TEXT) WHERE seq = ?", (k,))
        elif op == "seq_as_text":
            c.execute("UPDATE events SET seq = 'x' || seq WHERE seq = ?", (k,))
        elif op == "moved":  # the same row, stored again: last in storage (rowid) order, its seq unchanged
            row = c.execute("SELECT seq, task, type, body, hash FROM events WHERE seq = ?", (k,)).fetchone()
            c.execute("DELETE FROM events WHERE seq = ?", (k,))
            c.execute("INSERT INTO events (seq, task, type, body, hash) VALUES (?, ?, ?, ?, ?)", row)
        else:
            raise AssertionError(op)
        c.commit()
    finally:
        c.close()


SHAPES = (
    "body_as_text",
    "short_hash",
    "hash_as_text",
    "task_as_number",
    "type_as_blob",
    "seq_as_text",
    "moved",
)


def _report(store: Store, **kw):
    r = verify(store, **kw)
    return r.ok, r.broken_seq, r.problem, r.events, r.head_hash


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    op=st.sampled_from(OPS + SHAPES + ("none",)),
    moved=st.booleans(),
    a=st.floats(0, 1),
    b=st.floats(0, 1),
    workers=st.sampled_from([1, 3]),
)
def test_the_one_pass_is_never_more_lenient_and_reports_as_the_full_checks(
    sample_db,  # noqa: F811 (test_audit's fixture)
    tmp_path_factory,
    op,
    moved,
    a,
    b,
    workers,
):
    db = _copy(sample_db, tmp_path_factory.mktemp("p") / "org.db")
    n = _rows(db)
    k, j = 1 + int(a * (n - 1)), 1 + int(b * (n - 1))
    if moved:  # another row first stored out of seq order: the one pass is unsure, the full checks decide
        _shape(db, "moved", j)
    if op in SHAPES:
        _shape(db, op, k)
    elif op != "none":
        _tamper(db, op, k, j)
    s = Store(f"sqlite:///{db}")
    try:
        fast = _verify(s, 20_000, None, None, workers, one_pass=True)
        full = _verify(s, 20_000, None, None, workers, one_pass=False)
        if fast.ok:
            assert full.ok, (op, full.problem)
            assert (fast.events, fast.head_hash) == (full.events, full.head_hash)
        got = verify(s, workers=workers)
        assert (got.ok, got.broken_seq, got.problem, got.events) == (
            full.ok,
            full.broken_seq,
            full.problem,
            full.events,
        ), (op, moved)
    finally:
        s.dispose()


def test_a_log_stored_out_of_seq_order_verifies_and_its_tampering_is_named(sample_db, tmp_path):  # noqa: F811
    db = _copy(sample_db, tmp_path / "org.db")
    n = _rows(db)
    _shape(db, "moved", n // 2)
    s = Store(f"sqlite:///{db}")
    try:
        rep = verify(s)
        assert rep.ok and rep.events == n
        _tamper(db, "edit_json", n // 2, 0)
        bad = verify(s, workers=3)
        assert not bad.ok and bad.broken_seq == n // 2
    finally:
        s.dispose()


@pytest.mark.parametrize("shape", ["hash_as_text", "short_hash", "body_as_text", "task_not_utf8"])
def test_a_malformed_row_where_a_worker_s_range_starts_is_named_not_a_crash(sample_db, tmp_path, shape):  # noqa: F811
    """The row before a range's first row gives the range its first link: stored as text, it once crashed the
    one pass's worker (TypeError, exit 1) instead of sending verify to the full checks."""
    n = _rows(sample_db)
    for k in sorted({1 + n * i // 3 - 1 for i in (1, 2)}):  # the last row of each range but the last
        db = _copy(sample_db, tmp_path / f"{k}" / "org.db")
        _shape(db, shape, k)
        s = Store(f"sqlite:///{db}")
        try:
            full = _verify(s, 20_000, None, None, 3, one_pass=False)
            got = verify(s, workers=3)
            assert (
                not got.ok
                and (got.broken_seq, got.problem) == (full.broken_seq, full.problem)
                and got.broken_seq == k
            )
        finally:
            s.dispose()
