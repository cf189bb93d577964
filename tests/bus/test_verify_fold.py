"""`audit verify` folds the tables' events inside the range walkers and merges them (ADR 0260): the merged fold of
any split of the log equals the fold of the whole log in one pass, a job event is skipped undecoded only when its
bytes prove no row can be compared with it, and every tampering is named alike with one worker or several."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.bus._chainfold import FOLDED, RangeFold, merge
from org.bus.audit import decode_body


def _lifecycle(bus):
    """Jobs in every state, principal and job tokens, a revoked one, pauses: the tables verify compares."""
    from org.identity.guard import Guard

    g = Guard(bus)
    tokens = {a: g.tokens.issue(a, by="alice")["token"] for a in ("build-claude", "rev-gemini", "bob")}
    g.add_task(tokens["bob"], "Fix the parser", "change", by="bob", attributes={"kind": "code"})
    c, jt = g.claim(tokens["build-claude"], "builder", "build-claude")
    g.submit(jt, c.job, "pass", note="done", content="diff", revision="r1")
    g.add_task(tokens["bob"], "Second", "change", by="bob", attributes={"kind": "code"})
    g.claim(tokens["build-claude"], "builder", "build-claude")
    bus.post_jobs("reviewer", [{"x": 1}, {"x": 2}], by="alice")
    p = bus.claim("reviewer", "rev-claude")
    bus.fail(p.job, p.token, reason="cannot")
    bus.pause("lane", "builder", by="alice", note="hold")
    bus.pause("lane", "reviewer", by="alice")
    bus.resume("lane", "reviewer", by="alice")
    gone = g.tokens.issue("bob", by="alice")
    g.tokens.revoke(token_id=gone["id"], by="alice")
    assert bus.audit_verify().ok, bus.audit_verify().problem
    return bus


def _rows(bus):
    path = bus.store.url.split("///", 1)[1]
    c = sqlite3.connect(path)
    rows = c.execute("SELECT seq, type, body FROM events ORDER BY seq").fetchall()
    jobs = frozenset(r[0] for r in c.execute("SELECT id FROM jobs"))
    tokens = frozenset(r[0] for r in c.execute("SELECT id FROM org_tokens"))
    c.close()
    return rows, (jobs, tokens)


def _state(folded) -> dict:
    return {k: v for k, v in vars(folded).items()}


def _fold(rows, wanted, cuts) -> dict:
    parts, bounds = [], [0, *sorted(set(cuts)), len(rows)]
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        f = RangeFold(*wanted)
        if rows[lo:hi]:
            _seqs, types, bodies = zip(*rows[lo:hi], strict=True)
            f.add_rows(rows[lo][0], types, tuple(map(bytes, bodies)))
        parts.append(f.result())
    return _state(merge(parts))


def _fold_decoding_everything(rows, wanted) -> dict:
    """The reference: every folded event decoded, in one pass, then only the rows' keys kept."""
    f = RangeFold(*wanted)
    for seq, type_, body in rows:
        if type_ in FOLDED:
            f.event(seq, decode_body(body))
    return _state(merge([f.result()]))


@pytest.fixture
def lifecycle(sbus):
    return _lifecycle(sbus)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(0, 200), max_size=12))
def test_any_split_of_the_log_folds_to_what_one_pass_decoding_everything_folds(lifecycle, cuts):
    rows, wanted = _rows(lifecycle)
    want = _fold_decoding_everything(rows, wanted)
    assert (
        want["jobs"] and want["job_tokens"] and want["tokens"] and want["switches"]
    )  # the fixture has them all
    assert _fold(rows, wanted, [c % (len(rows) + 1) for c in cuts]) == want
    assert _fold(rows, wanted, list(range(len(rows)))) == want  # one event per range
    nothing = (frozenset(), frozenset())  # no job or token row: no job event is read, the rest still is
    assert _fold(rows, nothing, cuts[:3]) == _fold_decoding_everything(rows, nothing)


def test_a_job_event_is_skipped_only_when_its_bytes_prove_no_row_is_concerned():
    f = RangeFold(frozenset({5}), frozenset({"jt-1"}))
    hdr = b"1\x1f\x1fjob.claimed\x1e"
    assert not f._wanted("job.claimed", hdr + b'{"job":6,"data":{"job_token":"jt-2"}}')
    assert not f._wanted("job.claimed", hdr + b'{"job":6,"data":{"job_token":null}}')
    for doubtful in (
        b'{"job":5}',  # its job has a row
        b'{"job":5.0}',  # equal as a dict key
        b'{"job":true}',  # True == 1: anything not a plain integer is decoded
        b'{"job":"5"}',
        b'{"job":{"a":1}}',
        b'{"data":{"job":5},"job":6}',  # a nested key: any mention counts
        b'{"job":6,"data":{"job_token":"jt-1"}}',  # its token has a row
        b'{"job":6,"data":{"job_token":"jt\\u002d1"}}',  # escaped: decoded
        b'{"job":6,"data":{"job_token":7}}',
    ):
        assert f._wanted("job.claimed", hdr + doubtful), doubtful


EDITS = [
    ("UPDATE jobs SET status = 'queued' WHERE status = 'done'", "status"),
    ("UPDATE jobs SET status = 'queued' WHERE status = 'dead'", "status"),
    ("UPDATE jobs SET leased_by = 'ops-claude' WHERE status = 'leased'", "leased_by"),
    ("UPDATE jobs SET lease_seconds = 7 * 86400 WHERE status = 'leased'", "lease_seconds"),
    ("UPDATE org_tokens SET revoked_at = NULL", "revoked"),
    ("UPDATE org_tokens SET fence = fence + 1 WHERE kind = 'job'", "fence"),
    ("UPDATE switches SET active = 0 WHERE target = 'builder'", "active"),
    ("DELETE FROM switches WHERE target = 'reviewer'", "gone"),
]


@pytest.mark.slow
@pytest.mark.parametrize("sql,word", EDITS)
def test_every_tampering_is_named_alike_by_one_worker_or_several(lifecycle, sql, word):
    bus = lifecycle
    with sqlite3.connect(bus.store.url.split("///", 1)[1]) as c:
        c.execute(sql)
    one = bus.audit_verify(workers=1)
    assert not one.ok and word in one.problem, one.problem
    for workers in (2, 3, 5):
        many = bus.audit_verify(workers=workers)
        assert (many.ok, many.broken_seq, many.problem) == (one.ok, one.broken_seq, one.problem), workers
