"""act, approve and reject: one pending request per task and action, bound to the revision; people rules."""

from __future__ import annotations

import pytest

from org.errors import Conflict, Denied, NotFound, Paused, UsageError
from tests.bus.bushelpers import drive


def _prod_task(bus):
    return bus.add_task(
        "Rotate", "ops", attributes={"environment": "staging", "credential": "github", "service": "github"}
    )["task"]


def test_one_pending_request_per_task_and_action(bus):
    t = _prod_task(bus)
    a = bus.act("credential.use", "ops-claude", t)
    b = bus.act("credential.use", "ops-gpt", t)
    assert a["exit_code"] == b["exit_code"] == 6
    assert a["approval"] == b["approval"] and a["approval_created"] and not b["approval_created"]
    other = bus.act("deploy.staging", "ops-claude", t)
    assert other["approval"] != a["approval"]
    pend = bus.pending_approvals(task=t)
    assert sorted(p["subject"] for p in pend) == ["credential.use", "deploy.staging"]
    with pytest.raises(UsageError, match="2 pending requests"):
        bus.approve(t, "alice")
    with pytest.raises(Denied, match="agent"):
        bus.approve(t, "ops-gpt", action="credential.use")
    bus.approve(t, "alice", action="credential.use", note="ok")
    ok = bus.act("credential.use", "ops-claude", t, {"service": "github"})
    assert ok["exit_code"] == 0 and ok["decision"]["approved_by"] == "alice"
    assert ok["decision"]["attributes"]["service"] == "github"


def test_an_action_contradicting_the_task_gets_the_strictest_reading(bus):
    """The task pins service=github; an action that sends the github credential to jira is reuse (RED),
    even though the task's own reading would be an approved allow; alice's approval does not help."""
    t = _prod_task(bus)
    bus.act("credential.use", "ops-claude", t)
    bus.approve(t, "alice", action="credential.use", note="ok")
    for actor in ("ops-claude", "sec-gemini"):  # the security lane is bound like everyone
        r = bus.act("credential.use", actor, t, {"service": "jira"})
        assert r["exit_code"] == 4, r
        assert [h["id"] for h in r["decision"]["rules"]][:1] == ["RED-CREDENTIAL-REUSE"]
        assert r["decision"]["attributes"]["service"] == "jira"
    ev = bus.events_since(task=t, types=("action.decided",))[-1]
    assert ev["decision"] == "deny" and ev["data"]["conflicts"] == {
        "service": {"task": "github", "action": "jira"}
    }
    # and the other way round: the task's production floor cannot be talked down to dev
    p = bus.add_task("Ship", "ops", attributes={"environment": "production", "irreversible": False})["task"]
    r = bus.act("deploy.production", "ops-claude", p, {"environment": "dev"})
    assert r["exit_code"] == 6 and "CONSEQ-PRODUCTION" in [h["id"] for h in r["decision"]["rules"]]
    # no conflict: one reading, no conflicts recorded
    r = bus.act("credential.use", "ops-claude", t, {"service": "github"})
    assert r["exit_code"] == 0
    assert "conflicts" not in bus.events_since(task=t, types=("action.decided",))[-1]["data"]


def test_the_requester_may_not_approve_and_a_rejection_stands(bus):
    t = _prod_task(bus)
    bus.act("credential.use", "ops-claude", t)
    bus.reject(t, "bob", action="credential.use", note="not in the change window")
    d = bus.act("credential.use", "ops-claude", t)
    assert d["exit_code"] == 4 and d["decision"]["rules"][-1]["id"] == "ORG-REJECTED-BY-HUMAN"
    assert "not in the change window" in d["decision"]["reason"]
    # the rejected request is decided, and the re-ask opened no new one: a second decision is a conflict (exit 5)
    with pytest.raises(Conflict, match="already rejected by bob"):
        bus.approve(t, "alice", action="credential.use")


def test_approval_is_bound_to_the_revision(bus):
    t = bus.add_task(
        "Plan", "ops", attributes={"environment": "staging", "credential": "github", "service": "github"}
    )["task"]
    c = bus.claim("operator", "ops-claude")
    bus.submit(c.job, c.token, "pass", content="plan v1")
    r = bus.act("credential.use", "ops-gpt", t)
    rev1 = bus.task(t)["revision"]
    assert r["exit_code"] == 6
    with pytest.raises(Conflict, match="now at"):
        bus.approve(t, "alice", action="credential.use", revision="0000")
    # the security review asks for changes: a new plan revision makes the pending request stale
    c = bus.claim("security", "sec-gemini")
    bus.submit(c.job, c.token, "changes", note="narrow the scope")
    c = bus.claim("operator", "ops-claude")
    bus.submit(c.job, c.token, "pass", content="plan v2")
    assert bus.task(t)["revision"] != rev1
    with pytest.raises(Conflict, match="stale"):
        bus.approve(t, "alice", action="credential.use")
    assert [a["status"] for a in bus.task(t)["approvals"] if a["kind"] == "action"] == ["stale"]
    r2 = bus.act("credential.use", "ops-gpt", t)
    assert r2["approval_created"] and r2["approval"] != r["approval"]


def test_authors_never_approve(bus, root):
    """A human who did the work (here alice writes the plan) may not approve it; bob may."""
    (root / "gates" / "memo.yaml").write_text(
        "workflow: memo\ngates:\n  write: {kind: work, lane: approver, action: task.add}\n"
        "  review: {kind: review, lane: reviewer, after: [write], cross_vendor: true, on_fail: write}\n"
        "  check: {kind: check, check: eligibility, after: [review]}\n"
        "  approve: {kind: approval, lane: approver, after: [check]}\n"
        "  done: {kind: terminal, after: [approve]}\n"
    )
    from org.bus import Bus

    with Bus.open(bus.store.url, root=root) as b:
        t = b.add_task("memo", "memo")["task"]
        c = b.claim("approver", "alice")
        b.submit(c.job, c.token, "pass", content="memo text")
        c = b.claim("reviewer", "rev-gpt")
        b.submit(c.job, c.token, "pass")
        with pytest.raises(Denied, match="author"):
            b.approve(t, "alice")
        with pytest.raises(NotFound, match="ORG-SEPARATION-OF-DUTIES"):
            b.claim("approver", "alice")
        inbox = b.pending_approvals(human="alice")
        assert inbox and not inbox[0]["can_decide"]
        assert b.approve(t, "bob", note="fine")["task_status"] == "done"


def test_paused_human_cannot_approve(bus):
    t = bus.add_task("x", "change", attributes={"environment": "production"})["task"]
    drive(bus, t, workers={"approver": None})
    bus.pause("actor", "bob", note="on leave")
    with pytest.raises(Paused):
        bus.approve(t, "bob")
    assert bus.approve(t, "alice")["task_status"] == "done"


@pytest.mark.slow
def test_explain_task_takes_the_strictest_reading_like_act(bus, root):
    from tests.helpers import run_org

    t = _prod_task(bus)
    bus.act("credential.use", "ops-claude", t)
    bus.approve(t, "alice", action="credential.use")
    env = {"ORG_DATABASE_URL": bus.store.url}
    same = run_org("explain", "credential.use", "--as", "ops-claude", "--task", t, root=root, env=env)
    assert same.returncode == 0, same.stderr
    other = run_org(
        "explain",
        "credential.use",
        "--as",
        "ops-claude",
        "--task",
        t,
        "--set",
        "service=jira",
        root=root,
        env=env,
    )
    assert other.returncode == 4 and "RED-CREDENTIAL-REUSE" in other.stdout, other.stdout + other.stderr
