"""Issue 19 class 6, who else is behind the work (ADR 0111): separation of duties follows the people behind a
principal. The issuer of a token that did work, and whoever stands behind that issuer's token, count as
authors; a token one human issues another carries the issuer into every decision made with it (so it hands
over none of the issuer's powers, and re-issuing oneself a token with it keeps the issuer behind the new one);
and on the high tier the human who filed a task does not approve it (the two-person rule)."""

from __future__ import annotations

import pytest

from org.errors import Denied
from tests.bus.bushelpers import drive

STAGING = {"environment": "staging", "irreversible": False}  # said: silence is read at its worst
PRODUCTION = {"kind": "code", "environment": "production"}


def _to_approval(bus, guard, issue, *, filer: str, builder_issuer: str = "test") -> str:
    """A high-tier change filed by `filer`, built by build-claude with a token `builder_issuer` issued, reviewed
    by the agents, and waiting at its approval gate."""
    t = guard.add_task(issue(filer), "Ship it", "change", by=filer, attributes=PRODUCTION)["task"]
    build = guard.tokens.issue("build-claude", by=builder_issuer)["token"]
    for gate in ("spec", "implement"):
        c, jt = guard.claim(build, "builder", "build-claude")
        assert c.gate == gate
        guard.submit(jt, c.job, "pass", note="done", content=f"+++ b/{gate}.py\n+ok\n")
    drive(bus, t, workers={"approver": None, "builder": None})
    assert bus.task(t)["state"]["gates"]["approval"]["status"] == "ready"
    return t


def test_a_human_who_issued_the_agents_token_that_did_the_work_may_not_approve_it(bus, guard, issue):
    """The example: alice issues build-claude's token, the work is done with it, alice approves."""
    t = _to_approval(bus, guard, issue, filer="bob", builder_issuer="alice")
    with pytest.raises(Denied) as e:
        guard.approve(issue("alice"), t, "alice", note="mine, by proxy")
    assert e.value.detail.get("rule") == "ORG-SEPARATION-OF-DUTIES"
    assert "alice" in bus.task(t)["state"]["authors"]
    # bob filed it (the two-person rule) and alice is behind the work: no human may approve it, so it fails
    # closed to an escalation rather than falling back to either of them
    assert bus.task(t)["status"] == "escalated"


def test_the_same_work_with_a_token_nobody_in_the_org_issued_is_alices_to_approve(bus, guard, issue):
    t = _to_approval(bus, guard, issue, filer="bob")
    assert guard.approve(issue("alice"), t, "alice", note="ok")["task_status"] == "done"


def test_a_human_token_issued_by_another_carries_the_issuer_into_the_decision(bus, guard, issue):
    """The example: refused as an author, alice issues bob's token and approves with it."""
    t = _to_approval(bus, guard, issue, filer="alice")
    with pytest.raises(Denied):
        guard.approve(issue("alice"), t, "alice")  # she filed it
    bobs_by_alice = guard.tokens.issue("bob", by="alice")["token"]
    with pytest.raises(Denied) as e:
        guard.approve(bobs_by_alice, t, "bob", note="bob says so")
    assert e.value.detail.get("rule") == "ORG-SEPARATION-OF-DUTIES" and "alice issued" in e.value.message
    assert bus.task(t)["status"] == "active"
    assert guard.approve(issue("bob"), t, "bob", note="my own token")["task_status"] == "done"


def test_reissuing_oneself_a_token_keeps_the_issuer_behind_it(root, bus, guard, issue):
    """bob, holding a token alice issued, issues himself a fresh one through the CLI: alice stays behind it."""
    from tests.identity.idhelpers import org

    bobs_by_alice = guard.tokens.issue("bob", by="alice")["token"]
    code, doc, err = org(root, "token", "issue", "--for", "bob", "--as", "bob", "--show", token=bobs_by_alice)
    assert code == 0, err
    fresh = doc["token"]
    assert guard.principal(fresh, as_="bob", command="t").behind == ("alice",)
    assert guard.principal(bobs_by_alice, as_="bob", command="t").behind == ("alice",)
    assert guard.principal(issue("bob"), as_="bob", command="t").behind == ()  # issued by org (the test)


def test_a_job_token_carries_the_people_behind_the_claimants_token(bus, guard, issue):
    t = guard.add_task(issue("bob"), "Fix", "change", by="bob", attributes={"kind": "code"})["task"]
    build = guard.tokens.issue("build-claude", by="alice")["token"]
    c, jt = guard.claim(build, "builder", "build-claude")
    assert c.task == t
    assert guard.principal(jt, command="t", job_ok=True).behind == ("alice",)
    guard.submit(jt, c.job, "pass", note="spec")
    sub = [e for e in bus.events_since(0, task=t) if e["type"] == "work.submitted"][-1]
    assert sub["auth"]["behind"] == ["alice"] and sub["data"]["behind"] == ["alice"]


def test_the_filer_of_a_high_tier_task_does_not_approve_it_alone(bus, guard, issue):
    """The example: the human who filed a production task approves it alone."""
    t = _to_approval(bus, guard, issue, filer="alice")
    with pytest.raises(Denied) as e:
        guard.approve(issue("alice"), t, "alice", note="my own deploy")
    assert e.value.detail.get("rule") == "ORG-SEPARATION-OF-DUTIES" and "two-person" in e.value.message
    assert guard.approve(issue("bob"), t, "bob", note="second pair of eyes")["task_status"] == "done"


def test_below_the_high_tier_the_filer_may_decide_an_action_request(bus, guard, issue):
    """The setting is the tier's: the default org turns it off only for the high tier."""
    cfg = guard.config()
    assert {t.id: t.filer_may_approve for t in cfg.risk.tiers} == {"low": True, "medium": True, "high": False}
    from tests.bus.bushelpers import GITHUB, carrying_out

    tokens = {a: issue(a) for a in ("ops-claude", "sec-gemini")}
    t = guard.add_task(issue("alice"), "Rotate", "ops", by="alice", attributes=STAGING)["task"]
    _c, jt = carrying_out(guard, tokens, t, "credential.use", attrs=GITHUB)
    assert guard.act(jt, "credential.use", "ops-claude", t)["exit_code"] == 6
    assert (
        guard.approve(issue("alice"), t, "alice", action="credential.use", note="ok")["verdict"] == "approve"
    )


def test_the_human_behind_the_token_that_asked_for_an_action_may_not_grant_it(bus, guard, issue):
    """alice issues the operator's token; the operator asks for a credential use; alice may not grant it."""
    from tests.bus.bushelpers import GITHUB, carrying_out

    tokens = {
        "ops-claude": guard.tokens.issue("ops-claude", by="alice")["token"],
        "sec-gemini": issue("sec-gemini"),
    }
    t = guard.add_task(issue("bob"), "Rotate", "ops", by="bob", attributes=STAGING)["task"]
    _c, jt = carrying_out(guard, tokens, t, "credential.use", attrs=GITHUB)
    assert guard.act(jt, "credential.use", "ops-claude", t)["exit_code"] == 6
    with pytest.raises(Denied) as e:
        guard.approve(issue("alice"), t, "alice", action="credential.use", note="mine, by proxy")
    assert e.value.detail.get("rule") == "ORG-SEPARATION-OF-DUTIES"
    assert guard.approve(issue("bob"), t, "bob", action="credential.use", note="ok")["verdict"] == "approve"
