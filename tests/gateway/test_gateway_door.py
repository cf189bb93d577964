"""The model gateway acts only as the job holder whose token bought the grant (ADR 0157), attacked: a grant
without a live job token of an agent, a grant made to speak for another job, a job token revoked, expired,
released or swept between calls or during one, a paused actor. Each is refused (or its spend kept for the
right job only) and recorded: in the gateway's refusals, and by the door in the audit log."""

from __future__ import annotations

import json

import pytest

from org.agents.localmodel import LocalModelServer
from org.bus import Bus
from org.errors import Conflict, Denied, Paused
from org.gateway import Gateway
from org.identity.bootstrap import first_use_tokens
from org.identity.guard import Guard

BUILDER = "build-claude"
MODEL = "anthropic/claude-sonnet-4-5"
BODY = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "Say something."}]}).encode()


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


class Org:
    """A starter org on a real SQLite file: two change tasks, alice's token, each builder's claim of one."""

    def __init__(self, root, clock: Clock) -> None:
        from org.config.loader import load_org

        self.root, self.clock = root, clock
        self.url = f"sqlite:///{root / '.org' / 'org.db'}"
        self.cfg = load_org(root)
        with self.door() as door:
            first_use_tokens(door._bus)
            self.alice = door.tokens.issue("alice", by="test")["token"]
            self.tasks = [door.add_task(self.alice, f"T {i}", "change", by="alice")["task"] for i in (1, 2)]
            self.claims = {}
            for actor in (BUILDER, "build-gpt"):
                ptok = door.tokens.issue(actor, by="test")["token"]
                self.claims[actor] = door.claim(ptok, "builder", actor, lease_seconds=600)
        self.job, self.jt = self.claims[BUILDER][0].job, self.claims[BUILDER][1]

    def door(self) -> Guard:
        bus = Bus.open(self.url, root=self.root, config=self.cfg, clock=self.clock)
        return Guard(bus, token_files=False, owns_bus=True)

    def usage(self) -> list[tuple]:
        with self.door() as door:
            return door._bus.store.read(
                lambda tx: tx.x("SELECT actor, job, task, outcome FROM usage ORDER BY id").all()
            )

    def denials(self) -> list[dict]:
        with self.door() as door:
            return [e for e in door._bus.events_since(0, limit=10_000) if e["type"] == "auth.denied"]


@pytest.fixture
def org(org_copy):
    return Org(org_copy, Clock())


@pytest.fixture
def gw(org):
    notes: list[tuple[str, str]] = []
    with LocalModelServer() as local:
        g = Gateway(
            org.cfg,
            org.door,
            local_url=local.url,
            env={"ORG_MODELS": "local"},
            clock=org.clock,
            note=lambda kind, text: notes.append((kind, text)),
        )
        g.notes = notes
        with g:
            yield g


def call(gw, token: str) -> int:
    status, _headers, _body = gw.handle("/v1/chat/completions", {"authorization": f"Bearer {token}"}, BODY)
    assert gw.flush()
    return status


def test_a_grant_needs_a_live_job_token_of_an_agent(org, gw):
    """No job token, a forged one, a principal token (an agent's or a human's), a revoked one and one whose
    lease is over buy nothing; each refusal is in the gateway's record, and the door's in the audit log."""
    with org.door() as door:
        agent = door.tokens.issue(BUILDER, by="test")["token"]
        door.add_task(org.alice, "T 3", "change", by="alice")
        c, released = door.claim(agent, "builder", BUILDER)
    with org.door() as door:
        door.release(released, c.job, reason="not now")
    bad = {
        "none": (None, Denied),
        "empty": ("", Denied),
        "forged": ("orgj_" + "0" * 16 + "_" + "0" * 64, Denied),
        "agent's principal": (agent, Denied),
        "human's principal": (org.alice, Denied),
        "released": (released, Conflict),
    }
    for why, (token, error) in bad.items():
        before = len(org.denials())
        with pytest.raises(error):
            gw.grant(token)
        assert gw.refusals[-1]["code"] == "token" and gw.refusals[-1]["reason"].startswith("grant:"), why
        if error is Denied:
            assert len(org.denials()) > before, f"the door recorded no auth.denied for a {why} token"
    assert not gw.grants._by_hash and org.usage() == []
    with pytest.raises(TypeError):  # no grant names its own actor or job any more
        gw.grant(BUILDER, job=org.job, task=org.tasks[0])  # type: ignore[call-arg]


def test_a_grant_made_to_speak_for_another_job_writes_nothing_for_it(org, gw):
    """A grant whose remembered job, task or job token was swapped in memory: the door writes usage only for
    the job of the token it is given, and refuses (exit 4, recorded) a row for any other."""
    other = org.claims["build-gpt"][0]
    token = gw.grant(org.jt)
    grant, _ = gw.grants.check(token)
    grant.job, grant.task = other.job, other.task  # the grant now claims the other builder's job
    assert call(gw, token) == 200  # the call is made: its spend is lost loudly, never booked to build-gpt
    assert ("ledger", f"could not record a model call of {BUILDER} (job {other.job})") in [
        (k, t.split(":")[0]) for k, t in gw.notes
    ]
    assert org.usage() == []
    assert [d["data"]["reason"] for d in org.denials()][-1] == "other job"
    grant.job, grant.task = org.job, org.tasks[0]
    grant.job_token = org.claims["build-gpt"][1]  # another job's token behind build-claude's grant
    assert call(gw, token) == 200
    assert org.usage() == [] and org.denials()[-1]["actor"] == "build-gpt"
    with org.door() as door, pytest.raises(Denied) as e:  # nor may it read another lane's switches
        door.pauses_covering(org.jt, lane="reviewer")
    assert e.value.exit_code == 4 and org.denials()[-1]["data"]["reason"] == "other lane"


def test_a_revoked_job_token_kills_its_grant_at_the_next_call(org, gw):
    token = gw.grant(org.jt)
    assert call(gw, token) == 200
    with org.door() as door:
        assert door.revoke_tokens(org.alice, actor=BUILDER)  # its job tokens too
    assert call(gw, token) == 401
    assert gw.refusals[-1]["code"] == "token" and org.denials()[-1]["data"]["reason"] == "revoked"
    assert call(gw, token) == 401 and "revoked" in gw.refusals[-1]["reason"]  # the grant itself died
    assert [r[3] for r in org.usage()] == ["ok"]  # no row without a holder the door authenticated


def test_an_expired_lease_kills_its_grant_and_is_recorded_for_its_job(org, gw):
    token = gw.grant(org.jt)
    org.clock.now += 601  # past the lease (nobody heartbeats)
    assert call(gw, token) == 401 and gw.refusals[-1]["code"] == "lease"
    assert org.usage() == [(BUILDER, org.job, org.tasks[0], "refused:lease")]
    with pytest.raises(Conflict):
        gw.grant(org.jt)


def _during_the_call(monkeypatch, what) -> None:
    """Run `what` while the model call is in flight (after every check passed, before the answer)."""
    from org.gateway import server

    real = server.forward

    def forward(*a, **k):
        what()
        return real(*a, **k)

    monkeypatch.setattr(server, "forward", forward)


def test_a_job_released_mid_call_keeps_the_calls_spend_and_refuses_the_next(org, gw, monkeypatch):
    token = gw.grant(org.jt)

    def release() -> None:
        with org.door() as door:
            door.release(org.jt, org.job, reason="the holder stopped")

    _during_the_call(monkeypatch, release)
    assert call(gw, token) == 200  # already made: answered and counted for its job
    monkeypatch.undo()
    assert call(gw, token) == 401 and gw.refusals[-1]["code"] == "lease"
    assert org.usage() == [
        (BUILDER, org.job, org.tasks[0], "ok"),
        (BUILDER, org.job, org.tasks[0], "refused:lease"),
    ]


def test_a_job_token_swept_mid_call_loses_the_row_loudly_never_writes_it_as_another(org, gw, monkeypatch):
    token = gw.grant(org.jt)

    def release_and_sweep() -> None:
        with org.door() as door:
            door.release(org.jt, org.job, reason="the holder stopped")
            org.clock.now += 601  # past the token's own expiry (its claimed lease)
            assert door.tokens.sweep(grace_s=0) >= 1

    _during_the_call(monkeypatch, release_and_sweep)
    assert call(gw, token) == 200
    assert org.usage() == []
    assert any(k == "ledger" and f"job {org.job}" in t for k, t in gw.notes)
    monkeypatch.undo()
    assert call(gw, token) == 401 and gw.refusals[-1]["code"] == "token"


def test_a_paused_actor_is_refused_and_recorded(org, gw):
    token = gw.grant(org.jt)
    with org.door() as door:
        door.pause(org.alice, "actor", BUILDER, None, note="stop")
    assert call(gw, token) == 403 and gw.refusals[-1]["code"] == "paused"
    assert org.denials()[-1]["data"]["reason"] == "paused"
    assert org.usage() == [(BUILDER, org.job, org.tasks[0], "refused:paused")]  # recorded for its job
    with pytest.raises(Paused):
        gw.grant(org.jt)
    with org.door() as door:
        door.resume(org.alice, "actor", BUILDER, None)
    assert call(gw, token) == 200  # a pause is not the end of the job


# -- the holder the gateway remembers between calls (ADR 0285) -------------------------------------------------
def _reads_on_this_thread(monkeypatch) -> list[str]:
    """Every read transaction (Store.read) made on the calling thread from now on (the ledger's writer works on
    its own thread, after the answer)."""
    import threading

    from org.bus.store import Store

    me, seen = threading.get_ident(), []
    real = Store.read

    def read(self, fn, *a, **k):
        if threading.get_ident() == me:
            seen.append(getattr(fn, "__qualname__", repr(fn)))
        return real(self, fn, *a, **k)

    monkeypatch.setattr(Store, "read", read)
    return seen


def test_a_remembered_holder_costs_one_read_per_call(org, gw, monkeypatch):
    """After the grant, a call's checks (the token against its row, the lease, every switch) are one read of
    the bus, not one per check: what the remembered holder saves. A refused call goes the whole way."""
    token = gw.grant(org.jt)
    reads = _reads_on_this_thread(monkeypatch)
    assert call(gw, token) == 200  # the first reads its task's pinned policy too (once per task and lane)
    for _ in range(3):
        reads.clear()
        assert call(gw, token) == 200
        assert len(reads) == 1, reads
    with org.door() as door:
        door.pause(org.alice, "lane", "builder", None, note="stop")
    reads.clear()
    assert call(gw, token) == 403
    assert len(reads) > 1  # the full checks, which refuse and record as they always did


def _change(org, what: str) -> str:
    """Change the bus under a remembered holder (from another connection, as a human or the run would);
    the refusal code the gateway must record at its next call."""
    door = org.door()
    try:
        pause = {
            "pause actor": ("actor", BUILDER),
            "pause lane": ("lane", "builder"),
            "pause task": ("task", org.tasks[0]),
            "pause vendor": ("vendor", "anthropic"),
            "pause all": ("all", None),
        }
        if what in pause:
            door.pause(org.alice, *pause[what], None, note="stop")
            return "paused"
        if what == "revoke its tokens":
            door.revoke_tokens(org.alice, actor=BUILDER)
            return "token"
        if what == "release":
            door.release(org.jt, org.job, reason="the holder stopped")
        elif what == "fail":
            door.fail(org.jt, org.job, reason="it broke")
        elif what == "submit":
            door.submit(org.jt, org.job, "pass", note="done")
        elif what == "lease expires":
            org.clock.now += 601
        elif what == "requeued and claimed again":  # the same actor, the same task, a new fence
            door.release(org.jt, org.job, reason="again")
            agent = door.tokens.issue(BUILDER, by="test")["token"]
            assert door.claim(agent, "builder", BUILDER)[0].job == org.job
        elif what == "swept":
            door.release(org.jt, org.job, reason="the holder stopped")
            org.clock.now += 601
            assert door.tokens.sweep(grace_s=0) >= 1
            return "token"
        else:  # the token's row itself rewritten in the table (no event says so)
            tid = org.jt.split("_")[1]
            sql = {
                "row revoked in the table only": "UPDATE org_tokens SET revoked_at = 1 WHERE id = :i",
                "row given another secret": "UPDATE org_tokens SET hash = 'ab' || substr(hash, 3) WHERE id = :i",
                "row moved to another job": "UPDATE org_tokens SET job = job + 1 WHERE id = :i",
            }[what]
            door._bus.store.write(lambda tx: tx.x(sql, {"i": tid}))
            return "token"
        return "lease"
    finally:
        door.close()


CHANGES = [
    "pause actor",
    "pause lane",
    "pause task",
    "pause vendor",
    "pause all",
    "revoke its tokens",
    "release",
    "fail",
    "submit",
    "lease expires",
    "requeued and claimed again",
    "swept",
    "row revoked in the table only",
    "row given another secret",
    "row moved to another job",
]


@pytest.mark.parametrize("what", CHANGES)
def test_what_changes_between_two_calls_refuses_the_next_though_the_holder_is_remembered(org, gw, what):
    """Two calls; between them a kill switch, a revocation, the job's end, its lease's expiry, its token swept
    or its row tampered with. The second call is refused with its reason, recorded as it was before the
    gateway remembered holders (the door's auth.denied where the token fails), and so is every call after."""
    token = gw.grant(org.jt)
    assert call(gw, token) == 200 and call(gw, token) == 200  # remembered, and used
    denials = len(org.denials())
    code = _change(org, what)
    status = call(gw, token)
    assert status == {"paused": 403, "lease": 401, "token": 401}[code], what
    assert gw.refusals[-1]["code"] == code, (what, gw.refusals[-1])
    if what == "pause actor" or code == "token":
        assert len(org.denials()) > denials, f"the door recorded no auth.denied after '{what}'"
    assert call(gw, token) == status  # and the next one too
    ok = [r for r in org.usage() if r[3] == "ok"]
    assert len(ok) == 2, org.usage()  # no call went through after the change


@pytest.mark.parametrize("usage", [b"NaN", b"-Infinity", b"-500", b"1e300"])
def test_a_model_server_stating_no_count_leaves_an_unpriced_row_never_a_poisoned_one(org, usage):
    """The model server behind the gateway answers with prompt_tokens NaN, -inf, negative or huge: the agent gets
    its answer, the ledger a row for its job with 0 tokens and an unknown cost (which a budget escalates), and
    the spend stays a finite number."""
    import math

    from tests.gateway.test_upstream import Upstream

    up = Upstream()
    up.answer = (
        200,
        {},
        b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],'
        b' "usage": {"prompt_tokens": ' + usage + b', "completion_tokens": 7}}',
    )
    try:
        with Gateway(org.cfg, org.door, local_url=up.url, env={"ORG_MODELS": "local"}, clock=org.clock) as gw:
            token = gw.grant(org.jt)
            assert call(gw, token) == 200
    finally:
        up.srv.shutdown()
        up.srv.server_close()
    with org.door() as door:
        rows = door._bus.store.read(
            lambda tx: tx.x("SELECT job, tokens_in, tokens_out, cost_usd, outcome FROM usage").all()
        )
        spend = door._bus.spend("actor")
    assert [tuple(r) for r in rows] == [(org.job, 0, 0, None, "ok")]
    assert all(math.isfinite(v) for r in spend for v in r.values() if isinstance(v, float))


def test_a_booking_with_a_remembered_holder_reads_nothing_and_a_holder_lent_to_another_token_is_no_pass(
    org, monkeypatch
):
    """The gateway books a call's rate budget with the holder it re-checked at the call's start (no read for
    the token again); that holder lent to any other token (forged, another job's, a principal's) is ignored and
    the token authenticated the whole way: refused, recorded, the bucket untouched."""
    with org.door() as door:
        door.budget(org.alice, "p", capacity=10, refill_per_s=0)
        held = door.holding(org.jt, command="model.call")
        reads = _reads_on_this_thread(monkeypatch)
        r = door.reserve(org.jt, "p", 4, held=held)
        door.settle(org.jt, r, used=1, held=held)
        assert reads == [] and door.budgets(org.alice)[0]["tokens"] == 9
        monkeypatch.undo()
        forged = "orgj_" + org.jt.split("_")[1] + "_" + "0" * 64  # its id, another secret
        denials = len(org.denials())
        with pytest.raises(Denied):
            door.reserve(forged, "p", 4, held=held)
        with pytest.raises(Denied):
            door.settle(forged, ("p", 4), used=0, held=held)
        assert len(org.denials()) == denials + 2 and door.budgets(org.alice)[0]["tokens"] == 9
        # another live job token books as itself, never as the lent holder: its booking is not build-claude's
        door.reserve(org.claims["build-gpt"][1], "p", 4, held=held)
        with pytest.raises(Denied):
            door.settle(org.jt, ("p", 4), used=0, held=held)
        assert org.denials()[-1]["data"]["reason"] == "settle beyond its reservations"
