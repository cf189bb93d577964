"""Events spliced from one encoded event (Ctx.record_batch, ADR 0295) are byte for byte what record() and
canonical() make one by one: the chain, verify and every tamper test read the same bytes."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from org.bus.audit import ENCODED, canonical, decode_body, header, iso
from org.bus.context import AUTH, Ctx

NAMES = st.text(
    alphabet=st.sampled_from(list("ab-_'\"\\{}:,0123456789 é中😀\u2028\x01")), min_size=1, max_size=12
)
INTS = st.integers(-(2**63), 2**63 - 1)


def _ctx() -> Ctx:
    return Ctx(store=SimpleNamespace(), root=None)  # type: ignore[arg-type]


def _bodies(events: list[dict], now: float) -> list[bytes]:
    out = []
    for ev in events:
        made = ev.get(ENCODED)
        if made is None:
            ev["ts"] = iso(now)
            made = canonical(ev)
        out.append(made)
    return out


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(INTS, INTS, INTS), min_size=0, max_size=8),
    actor=NAMES,
    lane=NAMES,
    family=st.one_of(st.none(), NAMES),
    decision=NAMES,
    expires=NAMES,
    lease=st.floats(allow_nan=False, allow_infinity=False),
    auth=st.one_of(st.none(), st.fixed_dictionaries({"principal": NAMES, "job": INTS})),
    now=st.floats(min_value=0, max_value=4e9),
)
def test_spliced_events_are_the_events_record_makes(
    rows, actor, lane, family, decision, expires, lease, auth, now
):
    """The attack: numbers that look like the stand-ins' neighbours (negative, 19 digits, 0), names full of JSON's
    own characters and escapes, an auth stamp that holds a number too. Whatever they are, the batch's bytes are
    the one-by-one bytes, in the same order."""
    ctx = _ctx()
    common = {"actor": actor, "lane": lane, "family": family, "decision": decision, "config_hash": "c0ffee"}
    data = {"lease_seconds": lease, "expires": expires}
    token = AUTH.set(auth)
    try:
        one = SimpleNamespace(events=[], now=now)
        for job, fence, attempt in rows:
            ctx.record(
                one,
                "job.claimed",
                job=job,
                data={**data, "fence": fence, "attempt": attempt},
                trusted=True,
                **common,
            )  # type: ignore[arg-type]
        batch = SimpleNamespace(events=[], now=now)
        ctx.record_batch(
            batch, "job.claimed", [(j, {"fence": f, "attempt": a}) for j, f, a in rows], data=data, **common
        )  # type: ignore[arg-type]
    finally:
        AUTH.reset(token)
    if len(rows) > 2:  # the batch path itself, not its per-row fallback
        assert all(ENCODED in ev for ev in batch.events)
    want, got = _bodies(one.events, now), _bodies(batch.events, now)
    assert got == want
    for ev, body in zip(batch.events, got, strict=True):  # what the chain's header is made of is right too
        assert (ev["type"], ev.get("task")) == ("job.claimed", None)
        assert header(1, ev.get("task"), ev["type"]).endswith(b"job.claimed\x1e")
        assert decode_body(b"\x1e" + body)["job"] == ev["job"]


def test_a_claim_and_a_submission_of_plain_jobs_chain_the_bytes_record_makes(bus):
    """Through the bus (both databases): every stored body is header + canonical(its decoded event)."""
    bus.post_jobs("builder", [{"i": k} for k in range(40)])
    cs = bus.claim_many("builder", "build-claude", n=32)
    items = [{"job": c.job, "token": c.token, "verdict": "pass" if c.job % 3 else "fail"} for c in cs]
    items[5]["note"] = "a note: its own event"
    assert all(r["ok"] for r in bus.submit_many(items))
    rows = bus.store.read(lambda tx: tx.x("SELECT seq, task, type, body FROM events ORDER BY seq").all())
    assert len(rows) == 1 + 32 + 32
    for seq, task, typ, body in rows:
        assert bytes(body) == header(seq, task, typ) + canonical(decode_body(body))
    subs = [decode_body(b) for _, _, t, b in rows if t == "job.submitted"]
    assert [e["job"] for e in subs] == [c.job for c in cs]  # in the items' order
    assert [e["decision"] for e in subs] == [it["verdict"] for it in items]
    assert subs[5]["data"]["note"] == "a note: its own event"
    assert bus.audit_verify().ok
