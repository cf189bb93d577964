"""Event payloads are typed where they cross a module boundary (issue 22 item 4): every event a real bus records
through its lifecycles (decisions, approval requests, escalations, the task and gate fold, the job lifecycle,
kill switches, authentication), and every event of the golden histories, has exactly the keys and types of
its model in org.bus.payloads; and the check is not blind."""

from __future__ import annotations

import json

import pytest

from org.bus import Bus
from org.bus.payloads import PAYLOADS, problems
from org.engine.state import EVENT_TYPES
from org.errors import Denied
from org.identity.bootstrap import first_use_tokens
from org.identity.guard import Guard
from tests.bus.bushelpers import drive
from tests.helpers import REPO

# recorded events whose data has a model elsewhere or none to share (each with its reason)
UNMODELLED = {
    "token.issued": "identity's own chain of tokens, read only by org.identity and audit verify",
    "token.revoked": "identity's own chain of tokens, read only by org.identity and audit verify",
    "tokens.swept": "a count for the audit log, read by no module",
    "job.lease": "a heartbeat's new lease, read by no module",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The events of a bus driven through its lifecycles (a module's worth of work, made once)."""
    from tests.helpers import starter_org

    root = starter_org(tmp_path_factory.mktemp("payloads"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORG_CONFIG_HOME", str(tmp_path_factory.mktemp("home")))
        clock = Clock()
        bus = Bus.open(root=root, clock=clock)
        first_use_tokens(bus)
        door = Guard(bus, token_files=False)
        alice = door.tokens.issue("alice", by="test")["token"]
        agent = door.tokens.issue("build-claude", by="test")["token"]
        drive(bus, door.add_task(alice, "one", "change", by="alice")["task"])
        prod = door.add_task(alice, "two", "change", by="alice", attributes={"environment": "production"})
        drive(bus, prod["task"], workers={"approver": None})
        bus.approve(prod["task"], "bob", note="ok")
        drive(bus, prod["task"])
        rejected = door.add_task(alice, "three", "change", by="alice")["task"]
        c, jt = door.claim(agent, "builder", "build-claude")
        door.heartbeat(jt, c.job, lease_seconds=100)
        door.comment(jt, c.job, "a note")
        entry = {
            "tool": "read_file",
            "args_sha256": "ab" * 8,
            "result": "ok",
            "latency_ms": 2,
            "decision": "allow",
        }
        door.record_tool_call(jt, c.job, entry)  # the tool-call ledger (ADR 0231)
        door.release(jt, c.job, reason="later")
        c, jt = door.claim(agent, "builder", "build-claude")
        door.fail(jt, c.job, reason="cannot")
        bus.reject(rejected, "bob", note="no")
        acted = door.add_task(alice, "four", "change", by="alice")["task"]
        bus.act("deploy.production", "alice", acted)
        door.pause(alice, "lane", "builder", None, note="stop")
        door.resume(alice, "lane", "builder", None)
        with pytest.raises(Denied):  # an agent approving: auth.denied
            door.approve(agent, acted, None)
        door.revoke_tokens(alice, actor="build-gpt")
        door.add_task(alice, "five", "change", by="alice")
        door.claim(agent, "builder", "build-claude", lease_seconds=60)
        clock.now += 61  # past the lease: the sweeper requeues the job
        door.sweep(alice)
        drive(
            bus,
            door.add_task(alice, "six", "change", by="alice")["task"],
            {"correctness": "fail"},
            max_steps=8,
        )
        events = bus.events_since(0, limit=100_000)
        bus.close()
    return events


def test_every_recorded_event_has_its_payloads_keys_and_types(recorded):
    types = {e["type"] for e in recorded}
    assert {
        "action.decided",
        "approval.requested",
        "escalation.opened",
        "job.claimed",
        "job.submitted",
    } <= types
    assert {
        "job.released",
        "job.failed",
        "job.cancelled",
        "job.requeued",
        "switch.paused",
        "auth.denied",
    } <= types
    assert {"task.created", "gate.passed", "review.filed", "task.done", "task.rejected"} <= types
    assert "tool.called" in types
    unknown = types - set(PAYLOADS) - set(UNMODELLED)
    assert not unknown, (
        f"recorded events with no payload model (add one to org.bus.payloads): {sorted(unknown)}"
    )
    bad = [p for e in recorded for p in problems(e)]
    assert not bad, "\n".join(bad[:20])


def test_the_engines_events_all_have_a_payload():
    assert set(EVENT_TYPES) <= set(PAYLOADS)


@pytest.mark.parametrize("name", ["demo", "scenarios"])
def test_the_golden_histories_fit_the_payloads(name):
    doc = json.loads((REPO / "tests" / "data" / "histories" / f"{name}.json").read_text())
    bad = [p for t in doc["tasks"].values() for e in t["events"] for p in problems(e)]
    assert not bad, "\n".join(bad[:20])


def test_the_check_is_not_blind(recorded):
    """An unknown key, a missing key and a wrong type are each found."""
    claimed = next(e for e in recorded if e["type"] == "job.claimed")
    assert problems({**claimed, "data": {**claimed["data"], "holder_secret": "x"}})
    assert problems({**claimed, "data": {k: v for k, v in claimed["data"].items() if k != "fence"}})
    assert problems({**claimed, "data": {**claimed["data"], "fence": "one"}})
    assert not problems(claimed)
