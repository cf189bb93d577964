"""The usage ledger and spend queries; shared rate budgets (token buckets) reserved atomically."""

from __future__ import annotations

import pytest

from org.errors import NotFound, UsageError


def test_record_usage_and_spend(bus):
    t = bus.add_task("x", "change")["task"]
    bus.record_usage(
        "build-claude",
        "anthropic/claude-sonnet-4-5",
        tokens_in=1000,
        tokens_out=200,
        cost_usd=0.5,
        latency_ms=1200,
        task=t,
    )
    bus.record_usage(
        "rev-gpt",
        "openai/gpt-5-mini",
        tokens_in=300,
        tokens_out=50,
        cost_usd=0.25,
        latency_ms=800,
        task=t,
        outcome="error",
    )
    bus.record_usage(
        "rev-gpt", "openai/gpt-5-mini", tokens_in=100, tokens_out=10, cost_usd=0.25, latency_ms=400
    )
    by_actor = {r["key"]: r for r in bus.spend("actor")}
    assert by_actor["build-claude"]["cost_usd"] == pytest.approx(0.5)
    assert by_actor["rev-gpt"]["calls"] == 2 and by_actor["rev-gpt"]["errors"] == 1
    assert by_actor["rev-gpt"]["tokens_in"] == 400
    by_lane = {r["key"]: r["cost_usd"] for r in bus.spend("lane")}
    assert by_lane == pytest.approx({"builder": 0.5, "reviewer": 0.5})
    by_task = {r["key"]: r["cost_usd"] for r in bus.spend("task")}
    assert by_task == pytest.approx({t: 0.75, None: 0.25})
    assert {r["key"] for r in bus.spend("family")} == {"anthropic", "openai"}
    assert [r["key"] for r in bus.spend("workflow", task=t)] == ["change"]
    assert bus.task(t)["spent_usd"] == pytest.approx(0.75)
    with pytest.raises(UsageError):
        bus.spend("password")
    with pytest.raises(UsageError):
        bus.record_usage("rev-gpt", "x", cost_usd=-1)


def test_token_bucket_reserve_and_settle(sbus):
    now = [1000.0]
    sbus.ctx.store.clock = lambda: now[0]
    sbus.budget("openai", capacity=10, refill_per_s=2)
    r = sbus.reserve("openai", 8)
    assert r.ok and r.tokens_left == pytest.approx(2)
    no = sbus.reserve("openai", 5)
    assert not no.ok and no.retry_after_s == pytest.approx(1.5)
    sbus.settle(r, used=3)  # 5 of the 8 come back
    assert sbus.reserve("openai", 5).ok
    now[0] += 1.0  # 2 left, refilled by 2
    late = sbus.reserve("openai", 5)
    assert not late.ok and late.retry_after_s == pytest.approx(0.5)
    assert sbus.reserve("openai", 4).ok
    now[0] += 100
    assert sbus.budgets()[0]["tokens"] == pytest.approx(0)  # stored level; refills are applied on use
    assert sbus.reserve("openai", 10).ok  # capped at capacity
    with pytest.raises(UsageError):
        sbus.reserve("openai", 11)
    with pytest.raises(NotFound):
        sbus.reserve("nobody", 1)


def test_token_bucket_is_shared_by_processes(url, root, tmp_path):
    """Four processes hammer one bucket with refill 0: exactly `capacity` reservations succeed."""
    import multiprocessing as mp

    from org.bus import Bus

    with Bus.open(url, root=root) as b:
        b.budget("anthropic", capacity=150, refill_per_s=0)
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["org.bus", "tests.bus.bus_worker"])
    # The worker lives in an importable module (bus_worker), never in a test module: pytest imports
    # test modules by path, so a child process could not unpickle a function defined here.
    from tests.bus import bus_worker

    with ctx.Pool(4) as pool:
        got = pool.starmap(bus_worker.reserve_many, [(url, str(root), 80)] * 4, chunksize=1)
    assert sum(got) == 150


def test_unpriced_calls_are_unknown_cost_never_zero(bus):
    t = bus.add_task("x", "change", attributes={"kind": "docs"})["task"]
    bus.record_usage(
        "build-claude", "anthropic/claude-sonnet-4-5", tokens_in=100, tokens_out=10, cost_usd=0.5
    )
    bus.record_usage("build-claude", "ollama/house-model", tokens_in=700, tokens_out=300)  # no price given
    bus.record_usage("rev-gpt", "ollama/house-model", tokens_in=50, tokens_out=5, cost_usd=None)
    bus.record_usage(
        "rev-gemini", "gemini/gemini-2.5-pro", tokens_in=0, tokens_out=0, cost_usd=0.0, outcome="error"
    )
    stored = bus.store.read(lambda tx: tx.x("SELECT model, cost_usd FROM usage ORDER BY id").all())
    assert [c for _, c in stored] == [0.5, None, None, 0.0]  # NULL, not 0
    by_actor = {r["key"]: r for r in bus.spend("actor")}
    mixed, none, free = by_actor["build-claude"], by_actor["rev-gpt"], by_actor["rev-gemini"]
    assert mixed["cost_usd"] == pytest.approx(0.5) and mixed["unpriced_calls"] == 1
    assert mixed["unpriced_tokens"] == 1000 and mixed["cost_complete"] is False
    assert none["cost_usd"] is None and none["unpriced_calls"] == 1 and none["cost_complete"] is False
    assert free["cost_usd"] == 0.0 and free["unpriced_calls"] == 0 and free["cost_complete"] is True
    by_model = {r["key"]: r for r in bus.spend("model")}
    assert (
        by_model["ollama/house-model"]["cost_usd"] is None
        and by_model["ollama/house-model"]["unpriced_calls"] == 2
    )
    assert bus.task(t)["unpriced_calls"] == 0


def test_first_unpriced_call_escalates_a_budgeted_task_until_a_human_accepts(bus):
    t = bus.add_task("x", "change", attributes={"kind": "docs"})["task"]  # change: budget_usd 5
    r = bus.record_usage("build-claude", "anthropic/claude-sonnet-4-5", tokens_in=10, cost_usd=1.0, task=t)
    assert not r["escalated"] and r["task_unpriced_calls"] == 0
    r = bus.record_usage("build-claude", "ollama/house-model", tokens_in=900, tokens_out=100, task=t)
    assert r["escalated"] and r["task_spent_usd"] == pytest.approx(1.0) and r["task_unpriced_calls"] == 1
    view = bus.task(t)
    assert (
        view["status"] == "escalated" and "unpriced" in view["escalation"] and "$5.00" in view["escalation"]
    )
    assert view["spent_usd"] == pytest.approx(1.0) and view["unpriced_calls"] == 1
    esc = [e for e in bus.timeline(t) if e["type"] == "task.escalated"][-1]
    assert esc["data"]["kind"] == "budget" and esc["data"]["unpriced_calls"] == 1
    assert [a["subject"] for a in bus.pending_approvals(task=t)] == ["budget"]
    bus.approve(t, "alice", note="the house model is ours; accept its unknown cost")
    assert bus.task(t)["status"] == "active"
    # accepted: later unpriced calls are counted and reported, not escalated again ...
    r = bus.record_usage("build-claude", "ollama/house-model", tokens_in=5, task=t)
    assert not r["escalated"] and r["task_unpriced_calls"] == 2
    # ... while the priced spend still counts against the budget
    r = bus.record_usage("build-claude", "anthropic/claude-sonnet-4-5", cost_usd=4.5, task=t)
    assert r["escalated"] and "over the task budget" in bus.task(t)["escalation"]


@pytest.mark.slow
def test_spend_cli_says_unpriced_never_zero(root, sqlite_url):
    import json

    from org.bus import Bus
    from tests.helpers import run_org

    with Bus.open(sqlite_url, root=root) as b:
        b.record_usage("rev-gpt", "ollama/house-model", tokens_in=40, tokens_out=2)
        b.record_usage("build-claude", "anthropic/claude-sonnet-4-5", cost_usd=0.25)
        b.record_usage("build-claude", "ollama/house-model", tokens_in=1, tokens_out=1)
        t = b.add_task("x", "change", attributes={"kind": "docs"})["task"]
        b.record_usage("build-claude", "ollama/house-model", tokens_in=1, task=t)
    r = run_org("task", "show", t, "--as", "alice", root=root)
    assert r.returncode == 0, r.stderr
    assert "spent $0.0000 of $5.00 + 1 unpriced call of unknown cost" in r.stdout and "ESCALATED" in r.stdout
    r = run_org("spend", "--as", "alice", root=root)
    assert r.returncode == 0, r.stderr
    lines = {ln.split()[0]: ln for ln in r.stdout.splitlines()}
    assert "unpriced (1 call, 42 tokens)" in lines["rev-gpt"] and "$" not in lines["rev-gpt"]
    assert "$0.2500 + 2 unpriced calls" in lines["build-claude"]
    r = run_org("--json", "spend", "--as", "alice", root=root)
    rows = {x["key"]: x for x in json.loads(r.stdout)["rows"]}
    assert rows["rev-gpt"]["cost_usd"] is None and rows["rev-gpt"]["unpriced_calls"] == 1


def test_unpriced_calls_no_human_accepted_escalate_whenever_found(bus):
    """Not only a task's 'first' unpriced call: one recorded while the task was not active, or a row the
    schema v2 migration turned into NULL, escalates at its next call or sweep until a human resumes it."""
    t = bus.add_task("x", "change", attributes={"kind": "docs"})["task"]  # change: budget_usd 5
    # a migrated row: unpriced, in the ledger before any check ran
    bus.ctx.write(
        lambda tx: tx.x(
            "INSERT INTO usage(ts, actor, lane, task, model, tokens_in, tokens_out, cost_usd, "
            "latency_ms, outcome) VALUES (:n, 'build-claude', 'builder', :k, 'old/model', 5, 5, "
            "NULL, 0, 'ok')",
            {"n": tx.now, "k": t},
        )
    )
    assert bus.sweep()["over_budget"] == [t]  # no further call needed
    view = bus.task(t)
    assert view["status"] == "escalated" and "1 unpriced model call" in view["escalation"]
    bus.approve(t, "alice", note="accept the old calls")
    resumed = [e for e in bus.timeline(t) if e["type"] == "task.resumed"][-1]
    assert resumed["data"]["unpriced_accepted"] == 1
    r = bus.record_usage("build-claude", "ollama/house-model", tokens_in=5, task=t)
    assert not r["escalated"] and r["task_unpriced_calls"] == 2 and r["task_unpriced_accepted"] == 1
    assert bus.sweep()["over_budget"] == []

    # a task escalated for another reason gets an unpriced call meanwhile: the resume records it accepted
    u = bus.add_task("y", "change", attributes={"kind": "docs"})["task"]
    r = bus.record_usage("build-claude", "anthropic/claude-sonnet-4-5", cost_usd=6.0, task=u)
    assert r["escalated"]
    r = bus.record_usage("build-claude", "ollama/house-model", tokens_in=5, task=u)  # not active: no check
    assert not r["escalated"]
    bus.approve(u, "alice", note="raise nothing; accept")
    assert [e for e in bus.timeline(u) if e["type"] == "task.resumed"][-1]["data"]["unpriced_accepted"] == 1
