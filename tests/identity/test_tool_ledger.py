"""The tool-call ledger on the chain (ADR 0231): a job's holder records each tool call as a `tool.called` event
(tool, arguments digest, result class, latency, decision); an entry that would carry the arguments, a file's
contents or any free text is refused, and only the live holder of the job records on it."""

from __future__ import annotations

import pytest

from org.errors import Conflict, Denied, UsageError

GOOD = {
    "tool": "read_file",
    "args_sha256": "0123456789abcdef",
    "result": "ok",
    "latency_ms": 3.2,
    "decision": "allow",
    "rules": [],
}
SECRET = "sk-live-0123456789abcdefSECRET"


@pytest.fixture
def held(guard, issue):
    alice, agent = issue("alice"), issue("build-claude")
    task = guard.add_task(alice, "Fix login", "change", by="alice")["task"]
    claim, jt = guard.claim(agent, "builder", "build-claude", lease_seconds=600)
    return guard, task, claim.job, jt, alice


def _ledger(guard, alice, task):
    return [e for e in guard.events_since(alice, 0, task=task) if e["type"] == "tool.called"]


def test_a_tool_call_is_an_event_on_the_jobs_timeline(held):
    guard, task, job, jt, alice = held
    guard.record_tool_call(jt, job, dict(GOOD))
    evs = _ledger(guard, alice, task)
    assert len(evs) == 1
    e = evs[0]
    assert e["actor"] == "build-claude" and e["job"] == job and e["lane"] == "builder"
    assert e["data"] == {**GOOD, "latency_ms": 3.2}
    lines = [x["summary"] for x in guard.timeline(alice, task) if x["type"] == "tool.called"]
    assert lines and "read_file" in lines[0] and "ok" in lines[0] and "0123456789abcdef" in lines[0]


@pytest.mark.parametrize(
    "bad",
    [
        {**GOOD, "args": {"path": "src/app.py", "content": SECRET}},  # the arguments themselves
        {**GOOD, "content": SECRET},  # a file's contents
        {**GOOD, "tool": f"read_file {SECRET}"},  # free text where a name goes
        {**GOOD, "args_sha256": SECRET},  # not a digest
        {**GOOD, "result": f"ok: {SECRET}"},  # a result class is one word of a list
        {**GOOD, "decision": "allow because " + SECRET},
        {**GOOD, "rules": [SECRET + " and some words"]},
        {**GOOD, "rules": [SECRET]},  # id-shaped, but no rule of the org's: a secret riding as a rule id
        {**GOOD, "rules": ["RED-MADE-UP-BY-THE-CALLER"]},
        {**GOOD, "rules": ["LANE-NOBODY-MAY-NOT"]},
        {**GOOD, "tool": "sk_live_0123456789abcdef"},  # name-shaped, but no tool org offers
        {**GOOD, "tool": "exfiltrate"},
        {**GOOD, "latency_ms": float("nan")},
        {**GOOD, "latency_ms": -1},
        {**GOOD, "latency_ms": True},
        "read_file ok",
        [GOOD],
    ],
)
def test_an_entry_that_would_carry_more_than_the_ledger_is_refused(held, bad):
    guard, task, job, jt, alice = held
    with pytest.raises(UsageError):
        guard.record_tool_call(jt, job, bad)
    assert _ledger(guard, alice, task) == []
    assert SECRET not in str(guard.events_since(alice, 0))


def test_only_the_live_holder_records_on_its_job(held, issue):
    guard, task, job, jt, alice = held
    with pytest.raises(Denied):  # a principal token is not a job token
        guard.record_tool_call(issue("build-claude"), job, dict(GOOD))
    other = guard.add_task(alice, "Fix logout", "change", by="alice")["task"]
    claim2, jt2 = guard.claim(issue("build-gpt"), "builder", "build-gpt", lease_seconds=600)
    with pytest.raises(Denied):  # another job's token
        guard.record_tool_call(jt2, job, dict(GOOD))
    guard.release(jt, job, reason="later")
    with pytest.raises((Conflict, Denied)):  # the lease is over
        guard.record_tool_call(jt, job, dict(GOOD))
    assert _ledger(guard, alice, task) == [] and claim2.task == other


def test_rule_ids_are_the_orgs_own(held):
    """A ledger entry names only rules that exist under the job's pinned policy: its gates/rules.yaml ids,
    org's built-in ids and its lanes' may/may-not ids."""
    guard, task, job, jt, alice = held
    rules = ["RED-SECRET-REVEAL", "ORG-GATE-SCOPE", "LANE-BUILDER-MAY-NOT"]
    guard.record_tool_call(jt, job, {**GOOD, "rules": rules, "decision": "deny", "result": "denied"})
    (e,) = _ledger(guard, alice, task)
    assert e["rules"] == rules and e["data"]["rules"] == rules


def test_every_event_column_goes_through_the_redactor(guard):
    """Whatever reaches an event's own columns (rules, actor, lane, gate, decision, ...) is masked like its
    data: a caller-influenced column never carries a secret onto the chain."""
    ctx = guard._bus.ctx
    ctx.write(
        lambda tx: ctx.record(
            tx,
            "tool.called",
            actor=SECRET,
            lane=SECRET,
            family=SECRET,
            gate=SECRET,
            decision=SECRET,
            rules=[SECRET, "ORG-GATE-SCOPE"],
            data={},
        )
    )
    rows = guard._bus.store.read(lambda tx: tx.x("SELECT task, type, body FROM events").all())
    bodies = " ".join(bytes(b).decode() if not isinstance(b, str) else b for _t, _ty, b in rows)
    assert rows and SECRET not in bodies and SECRET not in str(rows)
    assert "ORG-GATE-SCOPE" in bodies


def test_every_tool_org_offers_is_a_ledger_tool_name():
    """The ledger's tool names are the names of the tools the built-in agents are offered (one home,
    org.bus.toolspecs): every tool a builder's or a reviewer's tool set carries out is a ledger name, and the
    ledger takes no name no agent is offered; a call naming no tool is recorded as "unknown"."""
    from org.agents import review, tools
    from org.bus import REVIEW_SPECS, TOOL_NAMES, TOOL_SPECS

    offered = {t["function"]["name"] for t in [*TOOL_SPECS, *REVIEW_SPECS]}
    assert offered | {"unknown"} == TOOL_NAMES
    assert set(tools.WorkspaceTools.names) | set(review.RevisionTools.names) == offered
    assert tools.ToolResult(f"x {SECRET}", "refused", "no such tool").ledger()["tool"] == "unknown"
