"""Prepared statements in batched PostgreSQL transactions (ADR 0295): the hot statements are planned once per
connection, a plan made while the tables were small never becomes a scan of the grown tables, and statements
lost behind org's back (DEALLOCATE) or a batch that failed half-way cost a retry, never a refused claim."""

from __future__ import annotations

import pytest


def _every_connection(bus, sql: str) -> None:
    """Run `sql` on every connection the bus's pool holds (checked out together, so each is a different one)."""
    pool = bus.store.engine.pool
    held = [bus.store.engine.raw_connection() for _ in range(pool.checkedin())]
    try:
        for raw in held:
            cur = raw.driver_connection.cursor()
            cur.execute(sql)
            raw.driver_connection.commit()
    finally:
        for raw in held:
            raw.close()


def _round(bus, n: int = 32) -> None:
    cs = bus.claim_many("builder", "build-claude", n=n, lease_seconds=120)
    res = bus.submit_many([{"job": c.job, "token": c.token, "verdict": "pass"} for c in cs])
    assert all(r["ok"] for r in res), res


def test_a_plan_made_on_small_tables_never_scans_the_grown_ones(pg_url, root, monkeypatch):
    """The attack: run the hot statements often enough on near-empty tables that PostgreSQL settles on a generic
    plan (a scan is cheapest there), then grow the tables a hundredfold. No claim or submission may then scan a
    whole table of jobs, leases, tasks or events: each reads what it touches through an index."""
    from org.bus import Bus
    from org.bus import tx as txmod

    monkeypatch.setattr(Bus, "SWEEP_EVERY", 1e9)  # the periodic full sweep (not a claim's) reads every task
    with Bus.open(pg_url, root=root) as bus:
        bus.post_jobs("builder", [{"i": k} for k in range(40)])
        for _ in range(8):  # past the five custom plans: generic plans, made on tables of a few rows
            _round(bus, 4)
        for i in range(0, 4000, 1000):
            bus.post_jobs("builder", [{"i": k} for k in range(i, i + 1000)])
        _round(bus)
        _round(bus)  # these jobs' rows leased and done; leases and events grew too
        # a transaction's own sequential scans: the backend's counts as it starts and as it ends (PostgreSQL 15's
        # pg_stat_xact_* views also hold earlier transactions' counts until the backend flushes them)
        probe = (
            "SELECT relname, seq_scan FROM pg_stat_xact_user_tables "
            "WHERE relname IN ('jobs', 'leases', 'tasks', 'events')"
        )
        scans: list[tuple] = []
        probed = [0]
        real_flush, real_finish = txmod.Tx._flush, txmod.Tx.finish

        def flush(self):
            if self.begin:  # the transaction's first message: the counts before any of its statements
                self._pending.insert(0, (probe, ("before",)))
            return real_flush(self)

        def finish(self):
            if self.batched and self._pending and ("before",) in self._answers:
                before = dict(self._answers.pop(("before",)).all())
                after = dict(self.x(probe).all())
                scans.extend((t, n - before.get(t, 0)) for t, n in after.items() if n > before.get(t, 0))
                probed[0] += 1
            return real_finish(self)

        monkeypatch.setattr(txmod.Tx, "_flush", flush)
        monkeypatch.setattr(txmod.Tx, "finish", finish)
        for _ in range(3):
            _round(bus)
        assert scans == [], scans
        assert probed[0] >= 6  # every claim and submission was looked at
        assert bus.audit_verify().ok


def test_statements_deallocated_behind_org_s_back_are_prepared_again(pg_url, root):
    """The attack: DEALLOCATE ALL on every pooled connection (what psycopg itself does after a ROLLBACK once it
    prepared a statement of its own, or an operator's session reset). The next claim and submission still go
    through (the lost statement is a retry that prepares them again), and the chain holds."""
    from org.bus import Bus

    with Bus.open(pg_url, root=root) as bus:
        bus.post_jobs("builder", [{"i": k} for k in range(200)])
        _round(bus)
        _every_connection(bus, "DEALLOCATE ALL")
        _round(bus)
        _round(bus)
        rep = bus.audit_verify()
        assert rep.ok and rep.events == 1 + 3 * 32 * 2


def test_a_refused_submission_and_a_failed_batch_leave_claims_working(pg_url, root):
    """A batch that fails after its PREPAREs ran (a refused submission rolls back; a statement that fails at
    COMMIT) must not leave the bus believing in statements the server lacks, or lacking ones it has."""
    from org.bus import Bus
    from org.errors import Conflict

    with Bus.open(pg_url, root=root) as bus:
        bus.post_jobs("builder", [{"i": k} for k in range(100)])
        cs = bus.claim_many("builder", "build-claude", n=2, lease_seconds=120)
        with pytest.raises(Conflict):
            bus.submit(cs[0].job, "1-not-the-token", "pass")
        from sqlalchemy.exc import DataError

        with pytest.raises(DataError):  # a batched write that fails in the server, after its PREPAREs

            def broken(tx):
                tx.x("SELECT id FROM jobs WHERE id = ANY(:ids::bigint[])", {"ids": [cs[0].job]})
                tx.send("SELECT 1 / 0")
                tx.x("SELECT 1")

            bus.store.write(broken, batched=True)
        res = bus.submit_many([{"job": c.job, "token": c.token, "verdict": "pass"} for c in cs])
        assert all(r["ok"] for r in res)
        _round(bus)
        assert bus.audit_verify().ok


def test_the_hot_path_sends_no_statement_text_twice(pg_url, root, monkeypatch):
    """Once warm, a claim and a submission send only EXECUTEs of prepared statements between BEGIN and COMMIT:
    nothing is parsed or planned again."""
    from org.bus import Bus
    from org.bus import tx as txmod

    with Bus.open(pg_url, root=root) as bus:
        bus.post_jobs("builder", [{"i": k} for k in range(200)])
        _round(bus)
        sent: list[str] = []
        real = txmod.Tx._flush

        def seen(self):
            sent.extend(q for q, _ in self._pending)
            return real(self)

        monkeypatch.setattr(txmod.Tx, "_flush", seen)
        _round(bus)
        assert sent and all(q.startswith("EXECUTE org_") or q == "COMMIT" for q in sent), [
            q[:80] for q in sent
        ]
