"""`audit verify`'s one pass (ADR 0300) must never accept a log the full checks reject."""

from __future__ import annotations

import sqlite3

import pytest

from org.bus.audit import _verify, verify
from org.bus.store import Store
from tests.bus.test_audit import _copy, _rows, sample_db  # noqa: F401 (the fixture)


def _drop_seq_uniqueness(db) -> None:
    """The events table rebuilt by someone with the file: same columns, no primary key on seq."""
    c = sqlite3.connect(db)
    c.executescript(
        "CREATE TABLE ev2 (seq BIGINT NOT NULL, task VARCHAR(32), type VARCHAR, body BLOB, hash BLOB);"
        "INSERT INTO ev2 SELECT seq, task, type, body, hash FROM events ORDER BY seq;"
        "DROP TABLE events; ALTER TABLE ev2 RENAME TO events;"
        "CREATE INDEX ix_ev_seq ON events (seq);"
    )
    c.commit()
    c.close()


@pytest.mark.parametrize("workers", [1, 3])
def test_a_row_whose_seq_column_names_its_predecessor_is_rejected_by_both_passes(
    sample_db,  # noqa: F811 (test_audit's fixture)
    tmp_path,
    workers,
):
    db = _copy(sample_db, tmp_path / "org.db")
    n = _rows(db)
    k = n // 2
    _drop_seq_uniqueness(db)
    s0 = Store(f"sqlite:///{db}")
    try:
        assert verify(s0).ok  # the rebuild alone changes nothing the chain shows
    finally:
        s0.dispose()
    c = sqlite3.connect(db)
    c.execute(
        "UPDATE events SET seq = ? WHERE seq = ?", (k - 1, k)
    )  # row k now claims to be k - 1: seqs 1..n, one twice
    c.commit()
    c.close()
    s = Store(f"sqlite:///{db}")
    try:
        full = _verify(s, 20_000, None, None, workers, one_pass=False)
        fast = _verify(s, 20_000, None, None, workers, one_pass=True)
        assert not full.ok, "the full checks see event k's header disagree with its seq column"
        assert not verify(s, workers=workers).ok, "org audit verify reports ok"
        assert not fast.ok, (
            "the one pass accepts what the full checks reject",
            full.broken_seq,
            full.problem,
        )
    finally:
        s.dispose()
