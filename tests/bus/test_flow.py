"""The engine drives the bus: pinned policy, jobs per ready gate, joins, rework, hard stops, idempotency."""

from __future__ import annotations

import json

import pytest

from org.errors import Conflict, Denied, IntegrityError, NotFound, UsageError
from tests.bus.bushelpers import drive


def _open(bus, task):
    return sorted(
        (j["gate"], j["lane"]) for j in bus.task(task)["jobs"] if j["status"] in ("queued", "leased")
    )


def test_task_add_pins_policy_and_posts_first_jobs(bus, root):
    t = bus.add_task("Fix login", "change", by="alice", attributes={"environment": "production"})
    assert t["created"] and t["tier"] == "high" and t["status"] == "active"
    assert _open(bus, t["task"]) == [("spec", "builder")]
    cfg = bus.config()
    assert t["config_hash"] == cfg.config_hash
    files = bus.store.read(
        lambda tx: tx.x(
            "SELECT files FROM config_pins WHERE config_hash = :h", {"h": cfg.config_hash}
        ).scalar()
    )
    assert json.loads(files) == cfg.files
    # a low-tier task skips what its tier does not require, recorded as skipped (never passed)
    low = bus.add_task("Typo", "change", attributes={"kind": "docs"})
    st = bus.task(low["task"])["state"]
    assert st["gates"]["spec"]["status"] == "skipped" and st["gates"]["security"]["status"] == "skipped"
    assert _open(bus, low["task"]) == [("implement", "builder")]


def test_parallel_reviews_join_then_approval_then_done(bus):
    t = bus.add_task("Fix login", "change", attributes={"environment": "production"})["task"]
    c = bus.claim("builder", "build-claude")
    bus.submit(c.job, c.token, "pass")
    c = bus.claim("builder", "build-claude")
    bus.submit(c.job, c.token, "pass", content="diff")
    assert _open(bus, t) == [("correctness", "reviewer"), ("security", "security")]
    c = bus.claim("security", "sec-gemini")
    r = bus.submit(c.job, c.token, "pass")
    assert r["ready"] == ["correctness"]  # the join waits for the other branch
    assert _open(bus, t) == [("correctness", "reviewer")]
    c = bus.claim("reviewer", "rev-gpt")
    r = bus.submit(c.job, c.token, "pass")
    assert r["ready"] == ["design"]
    view = drive(bus, t)
    assert view["status"] == "done"
    assert not [j for j in view["jobs"] if j["status"] in ("queued", "leased")]
    assert [a["status"] for a in view["approvals"]] == ["granted"]


def test_rework_cancels_reset_jobs_and_limit_escalates_to_humans(bus):
    t = bus.add_task("Refactor", "change", attributes={"kind": "code"})[
        "task"
    ]  # medium: spec..security, no design
    c = bus.claim("builder", "build-claude")
    bus.submit(c.job, c.token, "pass")
    for rnd in range(1, 5):
        c = bus.claim("builder", "build-claude")
        bus.submit(c.job, c.token, "pass", content=f"attempt {rnd}")
        sec = bus.claim("security", "sec-gemini")  # leased while the other review fails
        c = bus.claim("reviewer", "rev-gpt")
        r = bus.submit(c.job, c.token, "changes", note="needs tests")
        view = bus.task(t)
        if rnd <= 3:
            assert "rework.started" in r["events"] and view["rounds"] == rnd
            assert _open(bus, t) == [("implement", "builder")]
        with pytest.raises(Conflict):  # its gate was reset: the leased review job was cancelled
            bus.submit(sec.job, sec.token, "pass")
    assert view["status"] == "escalated" and "rework limit" in view["escalation"]
    esc = [a for a in view["approvals"] if a["kind"] == "escalation"]
    assert len(esc) == 1 and esc[0]["status"] == "pending" and esc[0]["lane"] == "approver"
    assert _open(bus, t) == []
    with pytest.raises(Denied):
        bus.approve(t, "rev-gpt", note="agents cannot resume")
    r = bus.approve(t, "bob", note="one more round")
    assert r["task_status"] == "active"
    assert bus.task(t)["approvals"][-1]["status"] == "granted"
    with pytest.raises(
        Conflict, match="already approved by bob"
    ):  # the escalation was decided: exit 5, not 3
        bus.reject(t, "bob", note="too late")


def test_escalation_rejected_closes_task(bus):
    t = bus.add_task("Ops", "ops", attributes={"kind": "ops", "environment": "staging"})["task"]
    c = bus.claim("operator", "ops-claude")
    r = bus.submit(c.job, c.token, "fail", note="cannot plan this")
    assert r["task_status"] == "escalated"
    with pytest.raises(UsageError):
        bus.reject(t, "alice", note=" ")
    r = bus.reject(t, "alice", note="drop it")
    assert r["task_status"] == "rejected"
    assert bus.pending_approvals(task=t) == []


def test_idempotency_key(bus):
    a = bus.add_task("Once", "change", idempotency_key="req-42")
    b = bus.add_task("Once", "change", idempotency_key="req-42")
    assert a["task"] == b["task"] and a["created"] and not b["created"]
    assert len(bus.list_tasks()) == 1
    with pytest.raises(Conflict):
        bus.add_task("Something else", "change", idempotency_key="req-42")
    with pytest.raises(Conflict):
        bus.add_task("Once", "change", idempotency_key="req-42", attributes={"environment": "production"})


def test_bad_input_is_refused_before_anything_is_written(bus):
    with pytest.raises(NotFound):
        bus.add_task("x", "nope")
    with pytest.raises(UsageError, match="unknown attribute 'enviroment'"):
        bus.add_task("x", "change", attributes={"enviroment": "production"})
    with pytest.raises(UsageError, match="one of dev, staging, production"):
        bus.add_task("x", "change", attributes={"environment": "prod"})
    with pytest.raises(Denied):
        bus.add_task("x", "change", by="build-claude")  # the builder lane may not task.add
    assert bus.list_tasks() == [] and bus.head() == 0


def test_running_task_keeps_its_pinned_policy(bus, root):
    t = bus.add_task("Pinned", "change", attributes={"environment": "production"})["task"]
    # Weaken the org on disk: drop the approval gate's tier requirement and the security review.
    wf = root / "gates" / "change.yaml"
    wf.write_text(wf.read_text().replace("quorum: 1", "quorum: 2"))
    from org.bus import Bus

    with Bus.open(bus.store.url, root=root) as fresh:
        assert fresh.config().config_hash != bus.task(t)["config_hash"]
        view = drive(fresh, t)
        assert view["status"] == "done"
        # quorum stayed 1 (the pinned policy): one correctness review sufficed
        assert len(view["state"]["gates"]["correctness"]["reviews"]) == 1
        assert {e["config_hash"] for e in fresh.timeline(t) if e["config_hash"]} == {view["config_hash"]}


def test_tampered_pin_is_refused(bus, root):
    t = bus.add_task("Pinned", "change")
    h = t["config_hash"]

    def tamper(tx):
        files = json.loads(tx.x("SELECT files FROM config_pins WHERE config_hash = :h", {"h": h}).scalar())
        files["gates/change.yaml"] = files["gates/change.yaml"].replace("quorum: 1", "quorum: 1 ")
        tx.x("UPDATE config_pins SET files = :f WHERE config_hash = :h", {"f": json.dumps(files), "h": h})

    bus.store.write(tamper)
    from org.bus import Bus

    with Bus.open(bus.store.url, root=root) as fresh, pytest.raises(IntegrityError, match="altered"):
        fresh.task(t["task"])


def test_no_progress_and_budget_escalate(sbus, root):
    import time as _t

    now = [_t.time()]
    from org.bus import Bus

    with Bus.open(sbus.store.url, root=root, clock=lambda: now[0]) as bus:
        stall = bus.add_task("Stalls", "change")["task"]
        spend = bus.add_task("Spends", "change")["task"]
        r = bus.record_usage(
            "build-claude",
            "anthropic/claude-sonnet-4-5",
            tokens_in=1000,
            tokens_out=500,
            cost_usd=4.0,
            latency_ms=900,
            task=spend,
        )
        assert not r["escalated"]
        r = bus.record_usage("build-claude", "anthropic/claude-sonnet-4-5", cost_usd=1.5, task=spend)
        assert r["escalated"] and bus.task(spend)["status"] == "escalated"
        assert bus.sweep()["stalled"] == []
        now[0] += 3601
        rep = bus.sweep()
        assert rep["stalled"] == [stall]
        assert "no progress" in bus.task(stall)["escalation"]
        kinds = {(a["task"], a["subject"]) for a in bus.pending_approvals()}
        assert kinds == {(stall, "no_progress"), (spend, "budget")}


def test_waiting_on_a_human_is_not_a_stall(sbus, root):
    import time as _t

    now = [_t.time()]
    from org.bus import Bus

    with Bus.open(sbus.store.url, root=root, clock=lambda: now[0]) as bus:
        t = bus.add_task("Prod", "change", attributes={"environment": "production"})["task"]
        for _ in range(6):
            j = [x for x in bus.task(t)["jobs"] if x["status"] == "queued"][0]
            if j["lane"] == "approver":
                break
            actor = {"builder": "build-claude", "security": "sec-gemini"}.get(j["lane"], "rev-gpt")
            c = bus.claim(j["lane"], "rev-gemini" if j["gate"] == "design" else actor)
            bus.submit(c.job, c.token, "pass")
        assert bus.task(t)["state"]["gates"]["approval"]["status"] == "ready"
        now[0] += 10_000
        assert bus.sweep()["stalled"] == []


def test_claiming_workers_sweep_on_their_own(sbus, root):
    import time as _t

    now = [_t.time()]
    from org.bus import Bus

    with Bus.open(sbus.store.url, root=root, clock=lambda: now[0]) as bus:
        t = bus.add_task("Stalls", "change")["task"]
        bus.SWEEP_EVERY = 0.0  # a worker that has been claiming for a while
        now[0] += 3601
        with pytest.raises(NotFound):
            bus.claim("reviewer", "rev-gpt")
        assert bus.task(t)["status"] == "escalated"


def test_idempotency_key_under_a_race(url, root):
    import threading

    from org.bus import Bus

    out, errs = [], []

    def add():
        try:
            with Bus.open(url, root=root) as b:
                out.append(b.add_task("Once", "change", idempotency_key="race-1")["task"])
        except Exception as exc:  # collected and asserted below
            errs.append(exc)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errs and len(set(out)) == 1 and len(out) == 4
