"""PostgreSQL batching (ADR 0245): values bound as literals read back exactly, the server's chain is byte for byte
the Python chain, a failed batched write changes nothing and leaves no pooled connection in autocommit, and a
claim or a submission of plain jobs is two round trips."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.bus.audit import GENESIS, canonical, decode_body, header

HOSTILE = st.text(
    alphabet=st.sampled_from(list("a'\"\\{},%()s NULL\t\n\u00e9\u4e2d\U0001f600x0:;$")), max_size=12
)


@pytest.fixture
def pg_store(pg_url):
    from org.bus.schema import ensure_schema
    from org.bus.store import Store

    s = Store(pg_url, pool_size=1)
    ensure_schema(s)
    yield s
    s.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(st.one_of(st.none(), HOSTILE), max_size=6),
    ints=st.lists(st.integers(-(2**63), 2**63 - 1), max_size=6),
    blobs=st.lists(st.binary(max_size=20), max_size=6),
    floats=st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=4),
)
def test_values_bound_as_literals_read_back_exactly(pg_store, texts, ints, blobs, floats):
    """The attack: a value that closes the literal, the array or the item, or that looks like a placeholder."""

    def fn(tx):
        tx.batched = True
        return tx.x(
            "SELECT :t::text[], :i::bigint[], :b::bytea[], :f::float8[], :s",
            {"t": texts, "i": ints, "b": blobs, "f": floats, "s": "%(t)s'; SELECT 1"},
        ).one()

    t, i, b, f, s = pg_store.read(fn)
    assert (t, i, [bytes(x) for x in b], f, s) == (texts, ints, blobs, floats, "%(t)s'; SELECT 1")


PLACEHOLDERISH = st.lists(
    st.one_of(
        HOSTILE,
        st.sampled_from(["%(a)s", "%(b)s", "%(c)s", "%%(b)s", "see %(b)s", "}'); DELETE FROM events; --"]),
    ),
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=PLACEHOLDERISH, b=PLACEHOLDERISH, c=st.one_of(HOSTILE, st.sampled_from(["%(a)s", "%(b)s"])))
def test_an_array_holding_another_values_placeholder_binds_each_once(pg_store, a, b, c):
    """The attack (review finding 6): an earlier array holding `%(b)s` must not be bound again when b is."""

    def fn(tx):
        tx.batched = True
        return tx.x("SELECT :a::text[], :b::text[], :c", {"a": a, "b": b, "c": c}).one()

    got = pg_store.read(fn)
    assert tuple(got[:3]) == (a, b, c)


def test_the_review_case_binds_as_written(pg_store):
    a, b = ["see %(b)s"], ["x}'); DELETE FROM events; --"]

    def fn(tx):
        tx.batched = True
        return tx.x("SELECT :a::text[], :b::text[]", {"a": a, "b": b}).one()

    assert tuple(pg_store.read(fn)) == (a, b)


def test_the_server_chain_is_the_python_chain(pg_url, root):
    """Events chained by org_chain_append (tasks, types and data of every kind) hash exactly as audit.link would:
    verify, the SQLite chain and every tamper test read the same bytes."""
    from org.bus import Bus

    with Bus.open(pg_url, root=root) as bus:
        odd = {"note": "é中😀 ' \" \\ {}, NULL %(x)s", "n": [1, 2.5, None], "deep": {"b": True}}

        def fn(tx):
            for k in range(5):
                bus.ctx.record(
                    tx, "test.odd", task=None if k % 2 else f"T-{k}", actor="x", data={**odd, "k": k}
                )

        bus.ctx.write(fn)
        bus.post_jobs("builder", [{"i": 1}, {"i": "é'\\"}])
        rows = bus.store.read(
            lambda tx: tx.x("SELECT seq, task, type, body, hash FROM events ORDER BY seq").all()
        )
        prev = GENESIS
        for seq, task, typ, body, digest in rows:
            ev = decode_body(body)
            assert bytes(body) == header(seq, task, typ) + canonical(ev)
            prev = hashlib.sha256(prev + bytes(body)).digest()
            assert bytes(digest) == prev
        head = bus.store.read(lambda tx: tx.x("SELECT seq, hash FROM audit_head").one())
        assert (head[0], bytes(head[1])) == (rows[-1][0], prev)
        assert bus.audit_verify().ok


def test_a_failed_batched_write_changes_nothing_and_no_connection_stays_in_autocommit(pg_store):
    from sqlalchemy.exc import IntegrityError

    def fn(tx):
        tx.send("INSERT INTO bus_meta(key, value) VALUES ('probe', 'x')")
        tx.send("INSERT INTO bus_meta(key, value) VALUES ('schema_version', 'again')")  # the primary key
        return "never"

    with pytest.raises(IntegrityError):
        pg_store.write(fn, batched=True)
    assert pg_store.read(lambda tx: tx.x("SELECT count(*) FROM bus_meta WHERE key = 'probe'").scalar()) == 0
    with pg_store.engine.connect() as c:  # the pool's one connection
        assert c.connection.driver_connection.autocommit is False
    pg_store.write(lambda tx: tx.x("INSERT INTO bus_meta(key, value) VALUES ('probe', 'y')"))
    assert pg_store.read(lambda tx: tx.x("SELECT value FROM bus_meta WHERE key = 'probe'").scalar()) == "y"


def test_a_plain_claim_and_its_submission_take_two_round_trips_each(pg_url, root, monkeypatch):
    """The reads a claim needs (expired leases, switches, the first page) share one round trip; its writes, the
    chained events and COMMIT share the other. A submission: the locks and reads, then the writes and COMMIT."""
    from org.bus import Bus
    from org.bus import tx as txmod

    with Bus.open(pg_url, root=root) as bus:
        bus.post_jobs("builder", [{"i": k} for k in range(5)])
        bus.claim_many("builder", "build-claude", n=1)  # warm: config pinned, channel known
        flushes: list[int] = []
        real = txmod.Tx._flush

        def counted(self):
            flushes.append(len(self._pending))
            return real(self)

        monkeypatch.setattr(txmod.Tx, "_flush", counted)
        cs = bus.claim_many("builder", "build-claude", n=3)
        assert len(cs) == 3 and len(flushes) == 2, flushes
        flushes.clear()
        res = bus.submit_many([{"job": c.job, "token": c.token, "verdict": "pass"} for c in cs])
        assert all(r["ok"] for r in res) and len(flushes) == 2, flushes
        assert bus.audit_verify().ok
