"""Claims hand out only eligible jobs; fencing refuses stale tokens and changes nothing; leases expire."""

from __future__ import annotations

import time

import pytest

from org.errors import Conflict, Denied, NotFound, Paused, UsageError
from tests.bus.bushelpers import snapshot


def _to_review(bus, title="Change", attrs=None, builder="build-claude"):
    t = bus.add_task(title, "change", attributes=attrs or {"kind": "code"})["task"]
    for _ in range(2):
        c = bus.claim("builder", builder)
        bus.submit(c.job, c.token, "pass", content=title)
    return t


def test_claim_skips_jobs_the_actor_may_not_take(bus):
    t1 = _to_review(bus, "by claude", builder="build-claude")
    t2 = _to_review(bus, "by gpt", builder="build-gpt")
    # rev-gpt (openai) may not review build-gpt's work (cross-vendor), though it is queued first for T2 too
    c = bus.claim("reviewer", "rev-gpt")
    assert c.task == t1 and c.gate == "correctness"
    with pytest.raises(NotFound, match="ORG-CROSS-VENDOR"):
        bus.claim("reviewer", "rev-gpt")
    c2 = bus.claim("reviewer", "rev-claude")
    assert c2.task == t2
    # T1's security job is first in the queue, but sec-claude shares T1's author's family: it gets T2's
    c3 = bus.claim("security", "sec-claude")
    assert c3.task == t2
    with pytest.raises(NotFound, match="ORG-CROSS-VENDOR"):
        bus.claim("security", "sec-claude")


def test_actor_must_belong_to_the_lane(bus):
    _to_review(bus)
    with pytest.raises(Denied, match="member of the builder lane"):
        bus.claim("reviewer", "build-claude")
    with pytest.raises(NotFound):
        bus.claim("reviewer", "nobody")
    with pytest.raises(UsageError):
        bus.claim("reviewer", "rev-gpt", lease_seconds=0)


def test_stale_token_is_refused_and_changes_nothing(bus):
    t = bus.add_task("x", "change", attributes={"kind": "code"})["task"]
    c = bus.claim("builder", "build-claude", lease_seconds=1)
    now = time.time()
    bus.ctx.store.clock = lambda: now + 5  # the lease has expired; the sweeper hands the job on
    rep = bus.sweep()
    assert rep["requeued"] == [c.job]
    c2 = bus.claim("builder", "build-gpt")
    assert c2.job == c.job and c2.fence > c.fence
    before = snapshot(bus)
    with pytest.raises(Conflict, match="stale token"):
        bus.submit(c.job, c.token, "pass")
    with pytest.raises(Conflict):
        bus.heartbeat(c.job, c.token)
    with pytest.raises(Conflict):
        bus.submit(c.job, "99-forged", "pass")
    assert snapshot(bus) == before
    r = bus.submit(c2.job, c2.token, "pass")
    assert r["ok"] and r["task"] == t
    # the same submission again is a replay (idempotent), a different verdict a conflict
    assert bus.submit(c2.job, c2.token, "pass")["replayed"]
    with pytest.raises(Conflict):
        bus.submit(c2.job, c2.token, "fail")
    with pytest.raises(NotFound):
        bus.submit(10_000, "1-x", "pass")


def test_heartbeat_extends_and_expired_lease_is_still_yours_until_taken(bus):
    bus.add_task("x", "change")
    c = bus.claim("builder", "build-claude", lease_seconds=30)
    hb = bus.heartbeat(c.job, c.token, lease_seconds=120)
    assert hb["lease_expires"] > c.lease_expires
    now = time.time()
    bus.ctx.store.clock = lambda: now + 500  # expired, but nobody swept or claimed it yet: the fence holds
    assert bus.submit(c.job, c.token, "pass")["ok"]


def test_dead_after_max_attempts_escalates(bus):
    t = bus.add_task("x", "change")["task"]
    now = [time.time()]
    bus.ctx.store.clock = lambda: now[0]
    for attempt in range(1, 4):
        c = bus.claim("builder", "build-claude", lease_seconds=10)
        assert c.attempts == attempt
        now[0] += 11
        rep = bus.sweep()
    assert rep["dead"] == [c.job]
    view = bus.task(t)
    assert view["status"] == "escalated" and "parked as dead" in view["escalation"]
    assert [j["status"] for j in view["jobs"]] == ["dead"]
    with pytest.raises(Conflict):
        bus.submit(c.job, c.token, "pass")
    # a human resumes the task: the gate gets a fresh job
    bus.approve(t, "alice", note="retry with another model")
    c = bus.claim("builder", "build-gpt")
    assert c.gate == "spec" and c.attempts == 1


def test_plain_jobs_and_retry(bus):
    ids = bus.post_jobs("builder", [{"n": 1}, {"n": 2}], max_attempts=1)
    c = bus.claim("builder", "build-claude", lease_seconds=5)
    assert c.job == ids[0] and c.payload == {"n": 1} and c.task is None
    now = time.time()
    bus.ctx.store.clock = lambda: now + 10
    assert bus.sweep()["dead"] == [ids[0]]
    assert [a["subject"] for a in bus.pending_approvals()] == [f"dead_job:{ids[0]}"]
    bus.retry_job(ids[0], by="alice")
    got = bus.claim_many("builder", "build-claude", n=5)
    assert sorted(x.job for x in got) == sorted(ids)
    res = bus.submit_many([{"job": x.job, "token": x.token, "verdict": "pass"} for x in got])
    assert all(r["ok"] for r in res)


def test_refused_submission_releases_the_job(bus):
    t = _to_review(bus)
    c = bus.claim("reviewer", "rev-gpt")
    # the engine's eligibility changes under the lease: pretend rev-gpt became an author (a stale claim)

    def make_author(tx):
        from org.bus.context import task_key

        row = bus.ctx.task_row(tx, task_key(t))
        st = bus.ctx.state(tx, row)
        st.authors.add("rev-gpt")

    bus.store.read(make_author)
    with pytest.raises(Denied, match="author"):
        bus.submit(c.job, c.token, "pass")
    bus.ctx._states.clear()
    j = [x for x in bus.task(t)["jobs"] if x["job"] == c.job][0]
    assert j["status"] == "queued" and j["fence"] > c.fence
    assert bus.claim("reviewer", "rev-gemini").job == c.job


def test_pause_scopes_stop_claims_and_actions_and_keep_state(bus):
    t = _to_review(bus)
    before = bus.task(t)["jobs"]
    for scope, target, blocked, free in [
        ("actor", "rev-gpt", ("reviewer", "rev-gpt"), ("reviewer", "rev-gemini")),
        ("lane", "reviewer", ("reviewer", "rev-gemini"), ("security", "sec-gemini")),
        ("vendor", "google", ("security", "sec-gemini"), ("reviewer", "rev-gpt")),
        ("vendor", "openai/gpt-5-mini", ("reviewer", "rev-gpt"), ("reviewer", "rev-gemini")),
        ("task", t, ("reviewer", "rev-gpt"), None),
        ("all", None, ("security", "sec-gpt"), None),
    ]:
        r = bus.pause(scope, target, by="alice", note="incident 7")
        assert r["changed"] and not bus.pause(scope, target, by="alice")["changed"]
        with pytest.raises(Paused):
            bus.claim(*blocked)
        if free:
            c = bus.claim(*free)
            bus.ctx.store.write(
                lambda tx, c=c: tx.x(
                    "UPDATE jobs SET status = 'queued', leased_by = NULL, token = NULL WHERE id = :j",
                    {"j": c.job},
                )
            )
        with pytest.raises(Paused):
            bus.act("code.read", blocked[1], t) if scope != "lane" else bus.act("code.read", "rev-gemini", t)
        assert bus.resume(scope, target, by="alice")["changed"]
    assert [j["job"] for j in bus.task(t)["jobs"]] == [j["job"] for j in before]
    types = [e["type"] for e in bus.events_since(0) if e["type"].startswith("switch.")]
    assert types == ["switch.paused", "switch.resumed"] * 6
    with pytest.raises(Denied):
        bus.pause("all", by="build-claude")  # the builder lane may not pause
    with pytest.raises(NotFound):
        bus.pause("vendor", "nobody-ai")


def test_pause_refuses_a_leased_submission_until_resumed(bus):
    bus.add_task("x", "change")
    c = bus.claim("builder", "build-claude")
    bus.pause("actor", "build-claude")
    before = snapshot(bus)
    with pytest.raises(Paused):
        bus.submit(c.job, c.token, "pass")
    assert snapshot(bus) == before
    bus.heartbeat(c.job, c.token)  # the lease is kept while paused
    bus.resume("actor", "build-claude")
    assert bus.submit(c.job, c.token, "pass")["ok"]


def test_quorum_two_needs_two_different_reviewers(bus, root):
    wf = root / "gates" / "change.yaml"
    wf.write_text(wf.read_text().replace("    quorum: 1\n", "    quorum: 2\n"))
    from org.bus import Bus

    with Bus.open(bus.store.url, root=root) as b:
        t = _to_review(b)
        jobs = [j for j in b.task(t)["jobs"] if j["gate"] == "correctness"]
        assert len(jobs) == 2
        c1 = b.claim("reviewer", "rev-gpt")
        with pytest.raises(NotFound):
            b.claim("reviewer", "rev-gpt")  # one review each, even across slots
        c2 = b.claim("reviewer", "rev-gemini")
        r1 = b.submit(c1.job, c1.token, "pass")
        assert r1["ready"] == ["correctness", "security"]
        r2 = b.submit(c2.job, c2.token, "pass")
        assert "gate.passed" in r2["events"]
