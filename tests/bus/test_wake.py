"""Handoffs wake the next lane promptly: LISTEN/NOTIFY on PostgreSQL, a cheap change counter on SQLite."""

from __future__ import annotations

import threading
import time

import pytest

from org.bus import Bus
from org.bus.decisions import wait_decision

WAIT = 240.0  # a wait no wake-up test reaches: only a missing wake-up ends one this late


def test_waiting_claim_is_woken_by_a_post(url, root):
    with Bus.open(url, root=root) as poster, Bus.open(url, root=root) as worker:
        got: dict = {}

        def wait() -> None:
            t0 = time.monotonic()
            got["claim"] = worker.claim("reviewer", "rev-gpt", wait_seconds=120)
            got["at"] = time.monotonic()
            got["waited"] = got["at"] - t0

        th = threading.Thread(target=wait)
        th.start()
        time.sleep(0.5)
        assert th.is_alive()
        t = poster.add_task("x", "change", attributes={"kind": "docs"})["task"]
        c = poster.claim("builder", "build-claude")
        posted = time.monotonic()
        poster.submit(c.job, c.token, "pass")  # the handoff: the review job appears
        th.join(150)
        assert got["claim"].task == t and got["claim"].gate == "correctness"
        assert got["at"] - posted < 60, (
            got
        )  # woken by the post, not by the 120 s timeout (loose: a busy machine is slow)


def test_wait_for_events_and_events_since(url, root):
    with Bus.open(url, root=root) as a, Bus.open(url, root=root) as b:
        head = a.head()
        assert not b.wait_for_events(head, 0.2)
        th = threading.Timer(0.3, lambda: a.pause("all", note="drill"))
        th.start()
        t0 = time.monotonic()
        assert b.wait_for_events(head, 120)
        assert time.monotonic() - t0 < 60  # woken by the event, not by the 120 s timeout
        evs = b.events_since(head)
        assert [e["type"] for e in evs] == ["switch.paused"] and evs[0]["seq"] == head + 1
        a.resume("all")
        assert [e["type"] for e in b.events_since(head, types=("switch.resumed",))] == ["switch.resumed"]


def test_claim_wait_times_out_cleanly(sbus):
    import pytest

    from org.errors import NotFound

    t0 = time.monotonic()
    with pytest.raises(NotFound):
        sbus.claim("builder", "build-claude", wait_seconds=0.4)
    assert 0.35 < time.monotonic() - t0 < 60  # it waited, and it returned


@pytest.mark.parametrize("verdict", ["approve", "reject"])
def test_settling_an_action_request_wakes_the_requesters_lane(url, root, verdict):
    """The operator asked for credential.use and sleeps on its lane, as the dispatcher's workers do
    (Bus.wait_for_work, through the door) and as wait_for_decision does: a human's decision wakes both at once."""
    with (
        Bus.open(url, root=root) as human,
        Bus.open(url, root=root) as agent,
        Bus.open(url, root=root) as other,
    ):
        t = human.add_task(
            "Rotate",
            "ops",
            attributes={"environment": "staging", "credential": "github", "service": "github"},
        )["task"]
        agent.claim("operator", "ops-claude")
        r = agent.act("credential.use", "ops-claude", t)
        assert r["exit_code"] == 6 and r["approval"]
        port = Bus.open(url, root=root)
        port.wait_for_work({"operator"}, 0.01)  # the worker's waiter, armed as in the dispatcher's loop
        got: dict = {}

        # Both wait far longer than the test may take (WAIT), the requester without its 5 s re-check: a wait
        # that the decision does not wake ends only after WAIT, so "woken" is told apart from "timed out" by a
        # margin no loaded machine closes (a 1 s bound on a 20 s wait failed under load; ADR 0150).
        def worker() -> None:
            port.wait_for_work({"operator"}, WAIT)
            got["worker"] = time.monotonic()

        def requester() -> None:
            got["request"] = wait_decision(other.ctx, r["approval"], WAIT, recheck=WAIT)
            got["requester"] = time.monotonic()

        threads = [threading.Thread(target=worker), threading.Thread(target=requester)]
        for th in threads:
            th.start()
        time.sleep(0.6)
        assert all(th.is_alive() for th in threads)  # nothing else woke the operator lane
        if verdict == "approve":
            human.approve(t, "alice", action="credential.use", note="rotation window")
        else:
            human.reject(t, "alice", action="credential.use", note="not during the freeze")
        settled = time.monotonic()
        for th in threads:
            th.join(WAIT + 30)
        port.close()
        assert got["request"]["status"] == ("granted" if verdict == "approve" else "rejected")
        assert got["request"]["decided_by"] == "alice"
        woken = WAIT / 2  # woken by the decision, not at the end of the wait
        assert got["worker"] - settled < woken and got["requester"] - settled < woken, got
        again = agent.act("credential.use", "ops-claude", t)  # asking again: the human's answer holds
        assert again["decision"]["outcome"] == ("allow" if verdict == "approve" else "deny")
