"""The audit log is tamper-evident: any edit, deletion, insertion or reordering is caught and named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.bus.audit import GENESIS, canonical, decode_body, header, link, verify
from org.bus.store import Store
from tests.bus.bushelpers import drive, forge_consistently


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory, repo) -> Path:
    """A real log: two tasks driven through their gates, a pause, an action decision."""
    from org.bus import Bus
    from tests.helpers import starter_org

    root = starter_org(tmp_path_factory.mktemp("audit_org"), ("lanes", "gates"))
    with Bus.open(root=root) as bus:
        a = bus.add_task("A", "change", attributes={"environment": "production"})["task"]
        drive(bus, a)
        b = bus.add_task("B", "change", attributes={"kind": "code"})["task"]
        bus.pause("lane", "reviewer", note="look")
        bus.resume("lane", "reviewer")
        drive(bus, b, verdicts={"security": "changes"}, max_steps=6)
        bus.act("deploy.production", "ops-claude", a)
        assert bus.audit_verify().ok
    return root / ".org" / "org.db"


def _copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    s = sqlite3.connect(src)
    d = sqlite3.connect(dst)
    s.backup(d)
    s.close()
    d.close()
    return dst


def _rows(db: Path) -> int:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT max(seq) FROM events").fetchone()[0]


OPS = (
    "edit_body",
    "edit_json",
    "edit_hash",
    "edit_task",
    "edit_type",
    "edit_seq",
    "delete",
    "swap",
    "truncate",
    "append",
    "insert_middle",
    "edit_head",
)


def _tamper(db: Path, op: str, k: int, j: int) -> int:
    """Apply one tampering; return the seq verify must name."""
    c = sqlite3.connect(db)
    n = c.execute("SELECT max(seq) FROM events").fetchone()[0]
    try:
        if op == "edit_body":
            body = bytearray(c.execute("SELECT body FROM events WHERE seq = ?", (k,)).fetchone()[0])
            body[-2] ^= 0x01
            c.execute("UPDATE events SET body = ? WHERE seq = ?", (bytes(body), k))
            return k
        if op == "edit_json":  # a plausible edit: change who did it, keep everything well-formed
            body = c.execute("SELECT body FROM events WHERE seq = ?", (k,)).fetchone()[0]
            ev = decode_body(body)
            ev["actor"] = "mallory"
            c.execute(
                "UPDATE events SET body = ? WHERE seq = ?",
                (header(k, ev["task"], ev["type"]) + canonical(ev), k),
            )
            return k
        if op == "edit_hash":
            c.execute("UPDATE events SET hash = ? WHERE seq = ?", (b"\x00" * 32, k))
            return k
        if op == "edit_task":
            c.execute(
                "UPDATE events SET task = CASE WHEN task IS NULL THEN 'T-99' ELSE NULL END WHERE seq = ?",
                (k,),
            )
            return k
        if op == "edit_type":
            c.execute("UPDATE events SET type = 'gate.passed' || type WHERE seq = ?", (k,))
            return k
        if op == "edit_seq":
            c.execute("UPDATE events SET seq = ? WHERE seq = ?", (n + 100, k))
            return k
        if op == "delete":
            c.execute("DELETE FROM events WHERE seq = ?", (k,))
            return k
        if op == "swap":
            lo, hi = sorted((k, j))
            if lo == hi:
                hi = lo + 1 if lo < n else lo - 1
                lo, hi = sorted((lo, hi))
            a = c.execute("SELECT task, type, body, hash FROM events WHERE seq = ?", (lo,)).fetchone()
            b = c.execute("SELECT task, type, body, hash FROM events WHERE seq = ?", (hi,)).fetchone()
            c.execute("UPDATE events SET task = ?, type = ?, body = ?, hash = ? WHERE seq = ?", (*b, lo))
            c.execute("UPDATE events SET task = ?, type = ?, body = ?, hash = ? WHERE seq = ?", (*a, hi))
            return lo
        if op == "truncate":
            c.execute("DELETE FROM events WHERE seq >= ?", (k,))
            return k
        if op == "append":  # a well-linked forged event after the head
            prev = c.execute("SELECT hash FROM events WHERE seq = ?", (n,)).fetchone()[0]
            ev = {"type": "task.done", "task": "T-1", "actor": "mallory", "data": {}}
            body = header(n + 1, "T-1", "task.done") + canonical(ev)
            c.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                (n + 1, "T-1", "task.done", body, link(prev, body)),
            )
            return n + 1
        if op == "insert_middle":  # shift k.. up by one and slip a well-linked event in at k
            for s in range(n, k - 1, -1):
                c.execute("UPDATE events SET seq = ? WHERE seq = ?", (s + 1, s))
            prev = (
                GENESIS
                if k == 1
                else c.execute("SELECT hash FROM events WHERE seq = ?", (k - 1,)).fetchone()[0]
            )
            ev = {"type": "approval.granted", "task": "T-1", "actor": "mallory", "data": {"gate": "approval"}}
            body = header(k, "T-1", "approval.granted") + canonical(ev)
            c.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                (k, "T-1", "approval.granted", body, link(prev, body)),
            )
            return k + 1  # the forged event links correctly; the event it displaced no longer does
        if op == "edit_head":
            c.execute("UPDATE audit_head SET hash = ?", (b"\x11" * 32,))
            return n
        raise AssertionError(op)
    finally:
        c.commit()
        c.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(OPS), a=st.floats(0, 1), b=st.floats(0, 1))
def test_any_tampering_is_detected_and_named(sample_db, tmp_path_factory, op, a, b):
    n = _rows(sample_db)
    k, j = 1 + int(a * (n - 1)), 1 + int(b * (n - 1))
    db = _copy(sample_db, tmp_path_factory.mktemp("t") / "org.db")
    want = _tamper(db, op, k, j)
    st_ = Store(f"sqlite:///{db}")
    try:
        rep = verify(st_)
    finally:
        st_.dispose()
    assert not rep.ok, (op, k)
    assert rep.broken_seq == want, (op, k, rep.problem)


def test_untouched_copy_verifies_and_parallel_agrees(sample_db, tmp_path):
    db = _copy(sample_db, tmp_path / "org.db")
    s = Store(f"sqlite:///{db}")
    one, two = verify(s, workers=1), verify(s, workers=3)
    assert one.ok and two.ok and one.events == two.events == _rows(db) and one.head_hash == two.head_hash
    _tamper(db, "edit_json", 40, 0)
    assert verify(s, workers=3).broken_seq == verify(s, workers=1).broken_seq == 40
    s.dispose()


def test_anchor_detects_a_rewritten_chain(sample_db, tmp_path):
    db = _copy(sample_db, tmp_path / "org.db")
    s = Store(f"sqlite:///{db}")
    rep = verify(s)
    anchor = {rep.head_seq: rep.head_hash}
    assert verify(s, anchors=anchor).ok
    forge_consistently(db, 3)  # the attack a plain chain cannot see; the anchor does
    assert verify(s).ok  # consistent forgery
    bad = verify(s, anchors=anchor)
    assert not bad.ok and bad.broken_seq == rep.head_seq
    s.dispose()


def test_pg_tampering_is_detected(pg_url, root):
    from org.bus import Bus

    with Bus.open(pg_url, root=root) as bus:
        t = bus.add_task("A", "change")["task"]
        drive(bus, t)
        rep = bus.audit_verify()
        assert rep.ok and rep.events > 20
        assert bus.audit_verify(anchors={rep.head_seq: rep.head_hash}).ok
        bus.store.write(lambda tx: tx.x("UPDATE events SET task = NULL WHERE seq = 7"))
        assert bus.audit_verify().broken_seq == 7
        bus.store.write(lambda tx: tx.x("UPDATE events SET task = :t WHERE seq = 7", {"t": t}))
        bus.store.write(lambda tx: tx.x("DELETE FROM events WHERE seq = 12"))
        rep2 = bus.audit_verify(workers=2)
        assert not rep2.ok and rep2.broken_seq == 12 and "missing" in rep2.problem
