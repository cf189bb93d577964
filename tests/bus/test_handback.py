"""Handing a leased job back: release (requeue, fence moves on), fail (parked, task escalated, the reason
as an event), and work_result (what a task's work delivered). Added for the dispatcher (org run)."""

from __future__ import annotations

import pytest

from org.bus import Bus
from org.errors import Conflict


@pytest.fixture
def sb(org_copy):
    b = Bus.open(f"sqlite:///{org_copy / '.org' / 'org.db'}", root=org_copy)
    yield b
    b.close()


def _docs(bus):
    return bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]


def test_release_requeues_with_a_new_fence_and_an_event(sb):
    t = _docs(sb)
    c = sb.claim("builder", "build-claude")
    sb.release(c.job, c.token, reason="the dispatcher is stopping")
    job = next(j for j in sb.task(t)["jobs"] if j["job"] == c.job)
    assert job["status"] == "queued" and job["fence"] == c.fence + 1
    ev = [e for e in sb.events_since(0, task=t) if e["type"] == "job.released"]
    assert ev and ev[0]["data"]["reason"] == "the dispatcher is stopping" and ev[0]["actor"] == "build-claude"
    with pytest.raises(Conflict):
        sb.submit(c.job, c.token, "pass", content="late")  # the old token is dead
    with pytest.raises(Conflict):
        sb.release(c.job, c.token, reason="twice")
    c2 = sb.claim("builder", "build-gpt")
    assert c2.job == c.job


def test_fail_parks_the_job_and_escalates_the_task(sb):
    t = _docs(sb)
    c = sb.claim("builder", "build-claude")
    out = sb.fail(c.job, c.token, reason="answered malformed output twice")
    assert out == {"job": c.job, "status": "dead", "escalated": True}
    view = sb.task(t)
    assert view["status"] == "escalated" and "malformed" in view["escalation"]
    types = [e["type"] for e in sb.events_since(0, task=t)]
    assert "job.failed" in types and "task.escalated" in types
    assert sb.audit_verify().ok


def test_work_result_by_gate_and_revision(sb):
    t = _docs(sb)
    c = sb.claim("builder", "build-claude")
    r = sb.submit(c.job, c.token, "pass", note="the summary", content="+docs\n")
    got = sb.work_result(t, revision=r["revision"])
    assert got["content"] == "+docs\n" and got["note"] == "the summary" and got["gate"] == "implement"
    assert sb.work_result(t, gate="implement")["revision"] == r["revision"]
    assert sb.work_result(t, revision="nope") is None
