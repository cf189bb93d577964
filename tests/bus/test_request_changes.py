"""Request changes (issue 20, ADR 0125): a human at an approval gate sends the work back to its builder with
the note as a finding: a rework round, not a final no. Attacked first: without a note, by an agent, by the
wrong principal, on a stale revision, twice, on an action request or an escalation; each refused with its
exit code and nothing changed."""

from __future__ import annotations

import pytest

from org.errors import Conflict, Denied, UsageError
from tests.bus.bushelpers import drive, snapshot

PROD = {"environment": "production", "kind": "code"}


def at_approval(bus) -> str:
    """A high-tier change driven up to its approval gate (every review passed, nobody approves yet)."""
    t = bus.add_task("Rotate the webhook secret", "change", by="alice", attributes=PROD)["task"]
    view = drive(bus, t, workers={"approver": None})
    assert [a["subject"] for a in bus.pending_approvals(task=t)] == ["approval"], view
    return t


def test_request_changes_sends_the_work_back_with_the_note_as_a_finding(bus):
    t = at_approval(bus)
    rev = bus.task(t)["revision"]
    out = bus.request_changes(t, "bob", note="Log the rotation in the audit trail", revision=rev)
    assert out["verdict"] == "changes" and out["task_status"] == "active"
    assert "rework.started" in out["events"] and out["ready"] == ["implement"]
    view = bus.task(t)
    assert view["status"] == "active" and view["rounds"] == 1
    assert [j["gate"] for j in view["jobs"] if j["status"] == "queued"] == ["implement"]
    [req] = [a for a in view["approvals"] if a["kind"] == "gate"]
    assert req["status"] == "changes" and req["decided_by"] == "bob"
    # the builder's rework reads the note as a finding, from the chain (org.agents.busport.last_findings)
    [ev] = [e for e in bus.events_since(0, task=t) if e["type"] == "approval.changes_requested"]
    assert ev["actor"] == "bob" and ev["data"]["revision"] == rev
    assert ev["data"]["findings"] == [
        {"severity": "high", "text": "Log the rotation in the audit trail", "file": None}
    ]
    assert not bus.pending_approvals(task=t)
    # the builder delivers a new revision; the reviews run again and the approval gate asks anew
    view = drive(bus, t, workers={"approver": None})
    [again] = bus.pending_approvals(task=t)
    assert again["subject"] == "approval" and again["revision"] != rev
    done = bus.approve(t, "bob", note="audit trail is there now")
    assert done["task_status"] == "done"


def test_the_builders_rework_gets_the_note(bus, root):
    """What the built-in agents read for their rework round names the human's note."""
    from org.agents.busport import last_findings
    from org.identity.guard import Guard

    t = at_approval(bus)
    bus.request_changes(t, "bob", note="Keep the old secret valid for an hour")
    door = Guard(bus, token_files=False)
    tok = door.tokens.issue("build-claude", by="test")["token"]

    class Port:
        def __init__(self):
            self.door = door

        def token(self, actor):
            return tok

    assert [f["text"] for f in last_findings(Port(), "build-claude", t)] == [
        "Keep the old secret valid for an hour"
    ]


def test_the_rework_jobs_handover_names_the_note(bus):
    """The handover of the rework job (what `org job show`, the tool builder and the coding CLIs read:
    org.identity.jobfacts) names the human's note as a finding, as the built-in agents' prompt does."""
    from org.identity.jobfacts import job_facts

    t = at_approval(bus)
    bus.request_changes(t, "bob", note="Keep the old secret valid for an hour")
    c = bus.claim("builder", "build-claude")
    assert c.task == t and c.gate == "implement"
    facts = job_facts(bus, c.job, "build-claude")
    assert [(f["text"], f["by"]) for f in facts["findings"]] == [
        ("Keep the old secret valid for an hour", "bob")
    ]


@pytest.mark.parametrize("note", ["", "   \n"])
def test_request_changes_needs_a_note(bus, note):
    t = at_approval(bus)
    before = snapshot(bus)
    with pytest.raises(UsageError) as e:
        bus.request_changes(t, "bob", note=note)
    assert e.value.exit_code == 2 and "--note" in e.value.message
    assert snapshot(bus) == before


def test_an_agent_cannot_request_changes(bus):
    t = at_approval(bus)
    before = snapshot(bus)
    with pytest.raises(Denied) as e:
        bus.request_changes(t, "rev-gpt", note="I would rather not")
    assert e.value.exit_code == 4
    assert snapshot(bus)["tasks"] == before["tasks"] and snapshot(bus)["jobs"] == before["jobs"]


def test_request_changes_on_a_stale_revision_is_a_conflict(bus):
    t = at_approval(bus)
    before = snapshot(bus)
    with pytest.raises(Conflict) as e:
        bus.request_changes(t, "bob", note="this one", revision="0" * 16)
    assert e.value.exit_code == 5
    assert snapshot(bus)["tasks"] == before["tasks"]


def test_a_second_request_on_the_same_request_is_already_decided(bus):
    t = at_approval(bus)
    bus.request_changes(t, "bob", note="first")
    for verb in ("request_changes", "approve", "reject"):
        with pytest.raises(Conflict) as e:
            getattr(bus, verb)(t, "bob", note="late", approval=1 if verb == "approve" else None)
        assert e.value.exit_code == 5, verb


def test_request_changes_is_refused_on_an_escalation(bus):
    t = bus.add_task("Fix login", "change", by="alice")["task"]
    c = bus.claim("builder", "build-claude")
    bus.fail(c.job, c.token, reason="cannot")
    [req] = bus.pending_approvals(task=t)
    assert req["kind"] == "escalation"
    before = snapshot(bus)
    with pytest.raises(UsageError) as e:
        bus.request_changes(t, "bob", note="try again")
    assert e.value.exit_code == 2 and "escalation" in e.value.message
    assert snapshot(bus) == before


def test_request_changes_is_refused_on_an_action_request(bus):
    t = bus.add_task(
        "Rotate", "ops", attributes={"environment": "staging", "credential": "github", "service": "github"}
    )["task"]
    r = bus.act("credential.use", "ops-claude", t)
    assert r["exit_code"] == 6 and r["approval"]
    before = snapshot(bus)
    with pytest.raises(UsageError) as e:
        bus.request_changes(t, "bob", note="not like this")
    assert e.value.exit_code == 2 and "reject it with a note" in e.value.message
    assert snapshot(bus) == before


def test_each_request_changes_is_a_rework_round_until_the_limit_escalates(bus):
    t = at_approval(bus)
    limit = bus.config().workflows["change"].limits.max_rework_rounds
    for n in range(limit):
        out = bus.request_changes(t, "bob", note=f"round {n + 1}")
        assert out["task_status"] == "active"
        drive(bus, t, workers={"approver": None})
    out = bus.request_changes(t, "bob", note="one more")
    assert out["task_status"] == "escalated"
    assert [a["kind"] for a in bus.pending_approvals(task=t)] == ["escalation"]


def test_org_request_changes_through_the_real_entry_point(root, tokens):
    """`org request-changes TASK --note` as the contract says: exit 0 and one JSON document; no note is a usage
    error (exit 2); a second time is already decided (exit 5); an agent's token is denied (exit 4)."""
    import json

    from org.bus import Bus
    from tests.helpers import org_in_process

    with Bus.open(root=root) as bus:
        t = at_approval(bus)
    r = org_in_process("request-changes", t, "--as", "bob", root=root)
    assert r.returncode == 2 and "--note" in r.stderr and "Traceback" not in r.stderr
    r = org_in_process("request-changes", t, "--as", "bob", "--note", " ", root=root)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    r = org_in_process(
        "request-changes",
        t,
        "--as",
        "rev-gpt",
        "--note",
        "mine",
        "--json",
        root=root,
        env={"ORG_TOKEN": tokens["rev-gpt"]},
    )
    assert r.returncode == 4, r.stderr
    r = org_in_process(
        "request-changes", t, "--as", "bob", "--note", "add a test for the expiry", "--json", root=root
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] and doc["verdict"] == "changes" and doc["task_status"] == "active"
    assert doc["ready"] == ["implement"]
    r = org_in_process("request-changes", t, "--as", "bob", "--note", "again", root=root)  # (alice filed it)
    assert r.returncode == 5 and "sent back with changes requested by bob" in r.stderr, r.stderr
    r = org_in_process("task", "show", t, "--as", "alice", root=root)
    assert r.returncode == 0 and "requested changes" in r.stdout + r.stderr, r.stdout


def test_org_inbox_text_offers_request_changes_only_where_it_applies(root, tokens):
    from org.bus import Bus
    from tests.helpers import org_in_process

    with Bus.open(root=root) as bus:
        gated = at_approval(bus)
        stuck = bus.add_task("Fix login", "change", by="alice")["task"]
        c = bus.claim("builder", "build-claude")
        assert c.task == stuck
        bus.fail(c.job, c.token, reason="cannot")
    r = org_in_process("inbox", "--as", "bob", root=root)
    assert r.returncode == 0, r.stderr
    entries = {e.split()[1]: e for e in r.stdout.strip().split("\n\n")}
    assert f"org request-changes {gated} --as bob --id " in entries[gated]
    assert "request-changes" not in entries[stuck]
