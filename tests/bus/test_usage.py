"""The usage ledger and spend queries; shared rate budgets (token buckets) reserved atomically."""

from __future__ import annotations

import pytest

from org.errors import NotFound, UsageError


def test_record_usage_and_spend(bus):
    t = bus.add_task("x", "change")["task"]
    bus.record_usage("build-claude", "anthropic/claude-sonnet-4-5", tokens_in=1000, tokens_out=200, cost_usd=0.5,
                     latency_ms=1200, task=t)
    bus.record_usage("rev-gpt", "openai/gpt-5-mini", tokens_in=300, tokens_out=50, cost_usd=0.25, latency_ms=800,
                     task=t, outcome="error")
    bus.record_usage("rev-gpt", "openai/gpt-5-mini", tokens_in=100, tokens_out=10, cost_usd=0.25, latency_ms=400)
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
    ctx.set_forkserver_preload(["org.bus", "bus_worker"])
    # The worker lives in an importable module (bus_worker), never in a test module: pytest imports
    # test modules by path, so a child process could not unpickle a function defined here.
    import bus_worker

    with ctx.Pool(4) as pool:
        got = pool.starmap(bus_worker.reserve_many, [(url, str(root), 80)] * 4, chunksize=1)
    assert sum(got) == 150
