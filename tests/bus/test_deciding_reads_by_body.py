"""Issue 19 class 8, ADR 0205's follow-up (ADR 0221): the deciding reads select events by what the hash covers.
Each attack edits, with sqlite3 on the real database file (no org code), a table a decision reads: the events'
unhashed `type` or `task` column (a pause, a revocation, a human's rejection hidden from the fold), a cached row,
or a body. The decision must not change, or the process fails closed (IntegrityError, exit 8); and `org audit
verify` answers exit 8, never a crash."""

from __future__ import annotations

import sqlite3

import pytest

from org.errors import Denied, IntegrityError, Paused
from org.identity.tokens import Tokens
from tests.helpers import paused_builders


def _sql(root, *sqls: str) -> None:
    """Hand edits of the real SQLite file, as an intruder with the file would make them."""
    con = sqlite3.connect(root / ".org" / "org.db")
    try:
        for s in sqls:
            con.execute(s)
        con.commit()
    finally:
        con.close()


def _verify_says_8(sbus) -> None:
    rep = sbus.audit_verify()
    assert not rep.ok and rep.problem, rep


def _push_is_refused(sbus, t, job) -> None:
    """ops-claude, holding `job`'s token, pushes host config on task `t`: denied (exit 4) or failed closed
    (IntegrityError, exit 8); and verify names the edit."""
    from tests.bus.test_approval_scope import job_token

    with job_token("ops-claude", job):
        try:
            r = sbus.act("host.config.push", "ops-claude", t)["exit_code"]
        except IntegrityError:
            r = 8
    assert r in (4, 8), r
    _verify_says_8(sbus)


@pytest.fixture
def paused(sbus):
    return paused_builders(sbus)


@pytest.mark.parametrize(
    "sqls",
    [
        ["UPDATE events SET type = 'switch.note' WHERE type = 'switch.paused'"],
        ["UPDATE events SET type = 'task.note' WHERE type = 'switch.paused'"],
        ["UPDATE events SET task = 'T-999' WHERE type = 'switch.paused'"],
        ["UPDATE events SET type = 'switch.resumed' WHERE type = 'switch.paused'"],
    ],
)
def test_a_pause_hidden_from_the_fold_by_its_columns_still_holds(paused, root, sqls):
    _sql(root, *sqls, "UPDATE switches SET active = 0 WHERE target = 'builder'")
    with pytest.raises((Paused, IntegrityError)):
        paused.claim("builder", "build-claude")
    _verify_says_8(paused)


def test_a_pause_whose_body_was_edited_fails_closed(paused, root):
    """The body names another lane: the hash no longer links, and the read says so (exit 8)."""
    _sql(
        root,
        "UPDATE events SET body = CAST(replace(CAST(body AS TEXT), '\"builder\"', '\"approver\"') AS BLOB) "
        "WHERE type = 'switch.paused'",
        "UPDATE switches SET active = 0 WHERE target = 'builder'",
    )
    with pytest.raises(IntegrityError):
        paused.claim("builder", "build-claude")
    _verify_says_8(paused)


def test_a_revocation_hidden_by_its_type_column_still_refuses(sbus, root):
    tokens = Tokens(sbus)
    gone = tokens.issue("build-gpt", by="alice")
    tokens.revoke(token_id=gone["id"], by="alice")
    _sql(
        root,
        "UPDATE events SET type = 'token.note' WHERE type = 'token.revoked'",
        f"UPDATE org_tokens SET revoked_at = NULL, revoked_by = NULL WHERE id = '{gone['id']}'",
    )
    fresh = Tokens(sbus)  # a new process: nothing remembered
    with pytest.raises((Denied, IntegrityError)):
        fresh.authenticate(gone["token"])
    assert not fresh.valid(gone["token"])
    _verify_says_8(sbus)


def test_tokens_valid_believes_the_row_only_as_far_as_the_chain(sbus, root):
    tokens = Tokens(sbus)
    tokens.issue("alice", by="alice")  # a human who may resume keeps a live token
    gone = tokens.issue("alice", by="alice")
    tokens.revoke(token_id=gone["id"], by="alice")
    live = tokens.issue("bob", by="bob", ttl=60)
    assert tokens.valid(live["token"]) and not tokens.valid(gone["token"])
    _sql(
        root,
        f"UPDATE org_tokens SET revoked_at = NULL, revoked_by = NULL WHERE id = '{gone['id']}'",
        f"UPDATE org_tokens SET expires_at = NULL WHERE id = '{live['id']}'",
    )
    fresh = Tokens(sbus)
    assert not fresh.valid(gone["token"])
    assert not fresh.valid(live["token"])
    _verify_says_8(sbus)


def _still_denied(bus, t) -> None:
    try:
        out = bus.act("deploy.production", "ops-claude", t)["decision"]["outcome"]
    except IntegrityError:
        out = "failed closed"
    assert out in ("deny", "failed closed"), out
    _verify_says_8(bus)


@pytest.fixture
def rejected(sbus):
    t = sbus.add_task(
        "Ship", "ops", by="alice", attributes={"environment": "production", "irreversible": False}
    )["task"]
    d = sbus.act("deploy.production", "ops-claude", t)
    assert d["decision"]["outcome"] == "needs_approval"
    sbus.reject(t, "bob", action="deploy.production", note="not in the window")
    assert sbus.act("deploy.production", "ops-claude", t)["decision"]["outcome"] == "deny"
    return sbus, t


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE events SET type = 'action.note' WHERE type = 'action.rejected'",
        "UPDATE events SET task = 'T-999' WHERE type = 'action.rejected'",
        "UPDATE events SET type = 'action.approved' WHERE type = 'action.rejected'",
    ],
)
def test_a_human_s_rejection_hidden_by_its_columns_still_denies(rejected, root, sql):
    bus, t = rejected
    _sql(root, sql, "UPDATE approvals SET status = 'granted', decided_by = 'bob'")
    _still_denied(bus, t)


def test_an_approval_request_s_shown_facts_moved_away_do_not_widen_a_grant(rejected, root):
    """The approval.requested event (what the human was shown) moved to another task by its column."""
    bus, t = rejected
    _sql(root, "UPDATE events SET task = 'T-999' WHERE type = 'approval.requested'")
    _still_denied(bus, t)


def test_a_job_row_handed_to_another_operator_gives_it_no_pipeline(sbus, root):
    """The jobs table says ops-claude holds the executing job (its leased_by edited by hand): via=pipeline is
    org's fact only for the holder the chain's job.claimed names, so host.config.push stays RED for ops-claude."""
    from tests.bus.test_approval_scope import _approved

    t, ex = _approved(sbus)
    _sql(root, f"UPDATE jobs SET leased_by = 'ops-claude' WHERE id = {int(ex.job)}")
    _push_is_refused(sbus, t, ex.job)


def test_a_job_row_moved_to_the_executing_gate_gives_no_pipeline(sbus, root):
    """The executing job's row is handed back (released) and the plan job's row retyped as the executing gate's,
    held by ops-claude: the chain says that job is the plan's and done."""
    from tests.bus.test_approval_scope import _approved

    t, ex = _approved(sbus)
    plan_job = next(j["job"] for j in sbus.task(t)["jobs"] if j["gate"] == "plan")
    _sql(
        root,
        f"UPDATE jobs SET gate = 'execute', status = 'leased', leased_by = 'ops-claude' WHERE id = {int(plan_job)}",
    )
    _push_is_refused(sbus, t, plan_job)


@pytest.mark.parametrize(
    "change", ["principal = 'ops-gpt'", "job = job + 1", "gate = 'execute'", "lane = 'security'"]
)
def test_a_job_token_row_re_pointed_by_hand_is_refused(sbus, root, change):
    """The fingerprint binds a job token's secret to its id (ADR 0210); its principal, job, gate and lane are
    the job.claimed event's too: a row edited to speak for another agent or another job is refused."""
    from org.identity.guard import Guard

    g = Guard(sbus)
    alice = g.tokens.issue("alice", by="test")["token"]
    g.add_task(alice, "Restart", "ops", by="alice", attributes={"environment": "staging"})
    op = g.tokens.issue("ops-claude", by="alice")["token"]
    _c, jt = g.claim(op, "operator", "ops-claude")
    assert g.tokens.authenticate(jt).actor == "ops-claude"
    _sql(root, f"UPDATE org_tokens SET {change} WHERE kind = 'job'")
    with pytest.raises((Denied, IntegrityError)):
        Tokens(sbus).authenticate(jt)
    _verify_says_8(sbus)
