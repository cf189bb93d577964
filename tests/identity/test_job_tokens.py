"""Job tokens: minted inside the claim, scoped to the job's task, gate and lane actions, expiring with the
lease; agents cannot approve, cannot act as another actor, and every action carries the token's identity."""

from __future__ import annotations

import pytest

from org.errors import Conflict, Denied
from org.identity.tokens import parse
from tests.identity.idhelpers import events


@pytest.fixture
def change(guard, issue):
    """A medium-tier change task and a builder's claim on its first gate."""
    alice = issue("alice")
    t = guard.add_task(alice, "Fix login", "change", by="alice")["task"]
    agent = issue("build-claude")
    c, jt = guard.claim(agent, "builder", "build-claude", lease_seconds=60)
    return {"task": t, "alice": alice, "agent": agent, "claim": c, "jt": jt}


def test_claim_mints_a_job_token_in_the_same_transaction(bus, change):
    c, jt = change["claim"], change["jt"]
    assert parse(jt)[0] == "j" and c.gate == "spec"
    claimed = events(bus, "job.claimed")[-1]
    assert claimed["data"]["job_token"] == parse(jt)[1]
    assert claimed["auth"] == {
        "principal": "build-claude",
        "kind": "agent",
        "token": parse(change["agent"])[1],
        "via": "principal",
    }


def test_job_token_stays_inside_its_job(bus, guard, issue, change):
    c, jt, t = change["claim"], change["jt"], change["task"]
    other = guard.add_task(change["alice"], "Other", "change", by="alice")["task"]
    cases = [
        (lambda: guard.submit(jt, c.job + 1, "pass"), "not"),  # another job
        (lambda: guard.act(jt, "code.write", "build-claude", other), "covers task"),  # another task
        (lambda: guard.act(jt, "deploy.production", "build-claude", t), "outside"),  # beyond the lane
        (lambda: guard.act(jt, "code.write", "build-gpt", t), "does not match"),  # another actor
        (lambda: guard.claim(jt, "builder", "build-claude"), "principal token"),  # not for claiming
        (lambda: guard.approve(jt, t, "build-claude"), "principal token"),  # nor approving
        (lambda: guard.reader(jt, command="task show"), "principal token"),
        (lambda: guard.submit(change["agent"], c.job, "pass"), "job token your claim"),  # principal for a job
        (
            lambda: guard.act(change["agent"], "code.write", "build-claude", t),
            "job token",
        ),  # agents act via jobs
    ]
    for fn, words in cases:
        with pytest.raises(Denied) as e:
            fn()
        assert words in e.value.message and e.value.exit_code == 4, e.value.message
    assert len(events(bus, "auth.denied")) == len(cases)
    r = guard.act(jt, "spec.write", "build-claude", t)  # the spec gate's own action
    assert r["decision"]["outcome"] == "allow"
    ev = events(bus, "action.decided")[-1]
    assert ev["auth"]["via"] == "job" and ev["auth"]["token"] == parse(jt)[1] and ev["auth"]["job"] == c.job


def test_job_token_expires_with_its_lease_and_heartbeats_extend_it(bus, guard, change, clock):
    c, jt = change["claim"], change["jt"]
    clock.now += 50
    hb = guard.heartbeat(jt, c.job, lease_seconds=60)
    assert hb["lease_expires"] == clock.now + 60
    clock.now += 61
    for fn in (
        lambda: guard.submit(jt, c.job, "pass"),
        lambda: guard.heartbeat(jt, c.job),
        lambda: guard.act(jt, "code.write", "build-claude", change["task"]),
    ):
        with pytest.raises(Conflict) as e:
            fn()
        assert e.value.exit_code == 5 and "expired with its lease" in e.value.message


def test_a_stale_job_token_still_exits_5_after_the_job_moved_on(bus, guard, issue, change, clock):
    c, jt = change["claim"], change["jt"]
    clock.now += 61
    bus.sweep()
    c2, jt2 = guard.claim(issue("build-gpt"), "builder", "build-gpt", lease_seconds=60)
    assert c2.job == c.job and c2.fence > c.fence
    with pytest.raises(Conflict) as e:
        guard.submit(jt, c.job, "pass")
    assert "stale token" in e.value.message
    r = guard.submit(jt2, c.job, "pass", note="spec")
    assert r["ok"] and r["ready"] == ["implement"]
    assert guard.submit(jt2, c.job, "pass", note="spec")["replayed"]  # a retried submission is answered again
    sub = events(bus, "job.submitted")[-1]
    assert sub["actor"] == "build-gpt" and sub["auth"]["token"] == parse(jt2)[1]


def test_agents_cannot_approve_only_a_human_token_can(bus, guard, issue):
    alice = issue("alice")
    t = guard.add_task(alice, "Ship", "change", by="alice", attributes={"environment": "production"})["task"]
    from tests.bus.bushelpers import drive

    drive(bus, t, workers={"approver": None}, max_steps=6)
    assert bus.task(t)["state"]["gates"]["approval"]["status"] == "ready"
    for agent in ("rev-gpt", "sec-claude"):
        tok = issue(agent)
        with pytest.raises(Denied) as e:
            guard.approve(tok, t, agent, gate="approval")
        assert e.value.detail.get("rule") == "ORG-HUMAN-APPROVAL"
        with pytest.raises(Denied):
            guard.approve(tok, t, "bob", gate="approval")  # nor by naming a human
    assert bus.task(t)["status"] == "active"
    r = guard.approve(issue("bob"), t, "bob", note="ok")
    assert r["task_status"] == "done"
    granted = [
        e
        for e in events(bus)
        if e["type"] in ("approval.granted", "job.submitted") and e.get("gate") == "approval"
    ]
    assert granted and all(
        e["auth"]["kind"] == "human" and e["auth"]["via"] == "principal" and e["auth"]["principal"] == "bob"
        for e in granted
    )


def test_security_lane_is_refused_red_actions_like_everyone(bus, guard, issue):
    alice = issue("alice")
    t = guard.add_task(alice, "Rotate", "ops", by="alice", attributes={"environment": "staging"})["task"]
    c, jt = guard.claim(issue("ops-claude"), "operator", "ops-claude")
    guard.submit(jt, c.job, "pass", note="plan")
    c, sjt = guard.claim(issue("sec-gemini"), "security", "sec-gemini")
    assert c.task == t
    r = guard.act(sjt, "host.config.push", "sec-gemini", t, {"via": "manual"})
    assert r["exit_code"] == 4 and [h["id"] for h in r["decision"]["rules"]] == [
        "RED-HOST-CONFIG-OUTSIDE-PIPELINE"
    ]
    r = guard.act(sjt, "credential.use", "sec-gemini", t, {"credential": "jira", "service": "github"})
    assert r["exit_code"] == 4 and [h["id"] for h in r["decision"]["rules"]] == ["RED-CREDENTIAL-REUSE"]
    assert not bus.pending_approvals(task=t)  # RED: no approval request is even opened
    decided = events(bus, "action.decided")
    assert all(e["auth"]["principal"] == "sec-gemini" and e["auth"]["via"] == "job" for e in decided)


def _job_rows(bus) -> dict[str, int]:
    return dict(bus.store.read(lambda tx: tx.x("SELECT id, job FROM org_tokens WHERE kind = 'job'").all()))


def test_job_token_rows_go_once_the_lease_is_over_and_the_audit_trail_stays(bus, guard, issue, change, clock):
    from org.identity.tokens import REPLAY_GRACE_S

    c, jt = change["claim"], change["jt"]
    done_id = parse(jt)[1]
    guard.submit(jt, c.job, "pass", note="spec")
    c2, jt2 = guard.claim(
        change["agent"], "builder", "build-claude", lease_seconds=60
    )  # implement: still leased
    live_id = parse(jt2)[1]
    assert {done_id, live_id} <= set(_job_rows(bus))
    assert guard.tokens.sweep() == 0  # within the grace a retried submission is still answered
    assert guard.submit(jt, c.job, "pass", note="spec")["replayed"]
    for _ in range(
        int(REPLAY_GRACE_S + 120) // 50
    ):  # the live job's heartbeats carry its token past its first lease
        clock.now += 50
        guard.heartbeat(jt2, c2.job, lease_seconds=60)
    r = guard.sweep(change["agent"])  # what the dispatcher calls
    assert r["job_tokens_removed"] == 1 and set(_job_rows(bus)) == {live_id}
    swept = events(bus, "tokens.swept")
    assert len(swept) == 1 and swept[0]["data"]["job_tokens"] == 1
    # the trail: the removed token's id is still on its claim and on every event it authorised
    claimed = [e for e in events(bus, "job.claimed") if e["data"]["job_token"] == done_id]
    authorised = [e for e in events(bus) if (e.get("auth") or {}).get("token") == done_id]
    assert len(claimed) == 1 and {"job.submitted", "work.submitted"} <= {e["type"] for e in authorised}
    assert bus.audit_verify().ok
    with pytest.raises(Denied) as e:  # a removed token is just an unknown one
        guard.submit(jt, c.job, "pass")
    assert e.value.message == "authentication failed"
    assert guard.submit(jt2, c2.job, "pass", note="impl")["ok"]  # the live one was kept


@pytest.mark.parametrize("n", [1, 3, 8])
def test_every_job_token_minted_into_a_batch_of_plain_claims_is_named_by_its_job_claimed_event(
    bus, guard, issue, n
):
    """A claim of several plain jobs writes its job.claimed events spliced from one encoded event (ADR 0295); the
    door's minter names each job's token in its event. Whatever batch the bus claims with a mint hook (the door
    claims one job; Bus.claim_many takes the hook too), every event the hook edits carries the token in the chain,
    and each minted token works for its job."""
    from org.identity.guard import acting
    from org.identity.tokens import parse

    jobs = bus.post_jobs("builder", [{"n": i} for i in range(n)], by="alice")
    agent = issue("build-claude")
    principal = guard.principal(agent, as_="build-claude", command="claim")
    minted: dict[int, str] = {}
    with acting(principal):  # as the door claims
        claims = bus.claim_many(
            "builder", "build-claude", n=n, lease_seconds=60, mint=guard.tokens.minter(principal, minted)
        )
    assert sorted(c.job for c in claims) == sorted(jobs) == sorted(minted)
    named = {ev["job"]: ev["data"]["job_token"] for ev in events(bus, "job.claimed")}
    assert named == {job: parse(token)[1] for job, token in minted.items()}
    for job, token in minted.items():
        guard.heartbeat(token, job)
    assert bus.audit_verify().ok
