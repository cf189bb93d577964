"""The dispatcher on a real SQLite bus with the loopback model: routing, kill switches between steps,
malformed output failing the job with a clear event, quota exhaustion, budget ceilings, graceful stop.
Everything asserted from the bus (events, jobs, ledger), not from printed text."""

from __future__ import annotations

import threading
import time

from org.agents.pacing import Limits
from org.agents.runner import RunOptions
from org.agents.session import AgentSession
from org.bus import Bus
from org.config.loader import load_org


def events(bus, *types, task=None):
    return [e for e in bus.events_since(0, limit=100_000, task=task) if not types or e["type"] in types]


def run(cfg, url, env, **kw):
    limits = kw.pop("limits", None)
    with AgentSession(cfg, url, env=env, limits=limits) as s:
        return s.dispatcher(RunOptions(**{"lease_s": 60, **kw})).run()


def test_docs_task_flows_through_builder_and_cross_vendor_reviewer(org_env):
    cfg, url, env, bus = org_env
    t = bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]
    rep = run(cfg, url, env)
    assert rep.stopped_by == "idle" and rep.outcomes == {"submitted": 2}
    assert bus.task(t)["status"] == "done"
    work = events(bus, "work.submitted", task=t)[0]
    review = events(bus, "review.filed", task=t)[0]
    assert review["data"]["counts"] and review["family"] != work["family"]
    usage = bus.spend("actor")
    assert sum(r["calls"] for r in usage) == 2 and all(r["cost_usd"] > 0 for r in usage)


def test_paused_lane_is_skipped_and_resumes(org_env):
    cfg, url, env, bus = org_env
    t = bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]
    bus.pause("lane", "reviewer", note="test")
    rep = run(cfg, url, env)
    assert rep.outcomes == {"submitted": 1}  # the builder worked; the reviewer lane did not
    assert not events(bus, "review.filed", task=t)
    assert bus.task(t)["status"] == "active"
    bus.resume("lane", "reviewer")
    run(cfg, url, env)
    assert bus.task(t)["status"] == "done"


def test_pause_between_steps_releases_instead_of_submitting(org_env, local_server):
    """A switch thrown while the model is thinking: the result is not submitted, the job goes back."""
    cfg, url, env, bus = org_env
    local_server.config.latency_s = 1.0
    t = bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]
    done = threading.Event()

    def pause_soon():
        other = Bus.open(url, root=cfg.root, config=cfg)
        try:
            while not events(other, "job.claimed", task=t):
                time.sleep(0.05)
            other.pause("all", note="stop everything")
        finally:
            other.close()
            done.set()

    threading.Thread(target=pause_soon, daemon=True).start()
    rep = run(cfg, url, env)
    assert done.wait(10)
    assert rep.outcomes.get("released") == 1 and "submitted" not in rep.outcomes
    rel = events(bus, "job.released", task=t)
    assert rel and "paused" in rel[0]["data"]["reason"]
    assert not events(bus, "work.submitted", task=t)
    assert bus.task(t)["jobs"][0]["status"] == "queued"


def test_malformed_output_fails_the_job_with_a_clear_event(org_env, local_server):
    cfg, url, env, bus = org_env
    local_server.config.malformed_rate = 1.0
    t = bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]
    rep = run(cfg, url, env)
    assert rep.stopped_by == "idle" and rep.outcomes == {"failed": 1}
    failed = events(bus, "job.failed", task=t)
    assert len(failed) == 1 and "malformed" in failed[0]["data"]["reason"]
    assert "repair" in failed[0]["data"]["reason"]
    assert bus.task(t)["status"] == "escalated"
    assert sum(r["calls"] for r in bus.spend("actor")) == 2  # the reply and the repair, both in the ledger


def test_quota_exhaustion_stops_the_provider_and_keeps_the_work(org_env, local_server):
    cfg, url, env, bus = org_env
    local_server.config.quota_requests = 1
    tasks = [
        bus.add_task(f"Document policy {i}", "change", attributes={"kind": "docs"})["task"] for i in range(3)
    ]
    rep = run(cfg, url, env, limits={"local": Limits(rpm=6000)})
    assert rep.stopped_by == "idle"
    counts = local_server.stats()["counts"]
    # at most the calls already in flight meet the refusal; then the provider is blocked and nothing is sent
    assert 1 <= counts["quota_exhausted"] <= 3 and counts["requests"] <= 4, counts
    assert rep.pacer["quota_exhausted"] == counts["quota_exhausted"]
    open_jobs = [j for t in tasks for j in bus.task(t)["jobs"] if j["status"] in ("queued", "leased")]
    assert open_jobs and all(j["status"] == "queued" for j in open_jobs)  # nothing lost, nothing held
    assert any("quota" in e["data"]["reason"] for e in events(bus, "job.released"))


def test_budget_ceiling_pauses_the_lane_and_says_why(org_copy, tmp_path, local_server):
    lane = org_copy / "lanes" / "builder.yaml"
    lane.write_text(lane.read_text().replace("budget: {usd: 20}", "budget: {usd: 0.001}"))
    cfg = load_org(org_copy)
    url = f"sqlite:///{tmp_path / 'bus.db'}"
    env = {"ORG_LOCAL_MODEL_URL": local_server.url, "ORG_MODELS": "local"}
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        for i in range(3):
            bus.add_task(f"Document policy {i}", "change", attributes={"kind": "docs"})
        rep = run(cfg, url, env)
        paused = events(bus, "switch.paused")
        assert [(e["data"]["scope"], e["data"]["target"]) for e in paused] == [("lane", "builder")]
        assert (
            "budget ceiling" in paused[0]["data"]["note"]
            and "lanes/builder.yaml" in paused[0]["data"]["note"]
        )
        assert rep.budget and rep.by_lane.get("builder", 0) < 3  # it stopped before doing all three


def test_unpriced_calls_are_recorded_unknown_and_pause_a_budgeted_lane(org_copy, tmp_path, local_server):
    """A builder on a model the cost map lacks: its calls go into the ledger with an unknown cost (not $0),
    the task's budget escalates it and the lane's budget pauses the lane until a human accepts."""
    lane = org_copy / "lanes" / "builder.yaml"
    lane.write_text(
        lane.read_text()
        .replace("  - {id: build-gpt, model: openai/gpt-5}\n", "")
        .replace("model: anthropic/claude-sonnet-4-5}", "model: anthropic/house-model-x, family: anthropic}")
    )
    cfg = load_org(org_copy)
    url = f"sqlite:///{tmp_path / 'bus.db'}"
    env = {"ORG_LOCAL_MODEL_URL": local_server.url, "ORG_MODELS": "local"}
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        t = bus.add_task("Document policy", "change", attributes={"kind": "docs"})["task"]
        rep = run(cfg, url, env, lanes=("builder",))
        assert rep.calls >= 1 and rep.unpriced_calls == rep.calls
        (row,) = bus.spend("actor")
        assert row["key"] == "build-claude" and row["cost_usd"] is None and row["unpriced_calls"] == rep.calls
        view = bus.task(t)
        assert (
            view["status"] == "escalated"
            and "unpriced" in view["escalation"]
            and view["unpriced_calls"] == rep.calls
        )
        paused = events(bus, "switch.paused")
        assert [(e["data"]["scope"], e["data"]["target"]) for e in paused] == [("lane", "builder")]
        assert (
            "spend unknown" in paused[0]["data"]["note"] and "lanes/builder.yaml" in paused[0]["data"]["note"]
        )


def test_graceful_stop_releases_every_lease(org_env, local_server):
    cfg, url, env, bus = org_env
    local_server.config.latency_s = 0.5
    for i in range(4):
        bus.add_task(f"Document policy {i}", "change", attributes={"kind": "docs"})
    with AgentSession(cfg, url, env=env) as s:
        d = s.dispatcher(RunOptions(until_idle=False, lease_s=60))
        threading.Timer(1.0, d.stop).start()
        t0 = time.monotonic()
        rep = d.run()
    assert time.monotonic() - t0 < 45 and rep.stopped_by == "signal"  # well before the 60 s leases
    jobs = [j for t in bus.list_tasks() for j in bus.task(t["task"])["jobs"]]
    assert jobs and not [j for j in jobs if j["status"] == "leased"]


def test_the_run_ends_when_every_lane_with_work_has_looked_since_the_last_job_not_after_a_grace(org_env):
    """Idle detection (issue 20: what `org run` costs beyond the work): once every job is done, and each lane that
    still has queued work made an empty claim pass after the last job finished, nothing can be claimed by this
    run; it stops then, without waiting out a grace period (here an hour: only that rule can end the run). A
    four-lane change must still reach done: the rule never stops before a lane saw the job handed to it."""
    cfg, url, env, bus = org_env
    t = bus.add_task("Add retry to the webhook sender", "change")["task"]
    result: list = []
    th = threading.Thread(target=lambda: result.append(run(cfg, url, env, idle_grace_s=3600.0)), daemon=True)
    th.start()
    th.join(timeout=300)  # a hang guard only; with the old rule the run waits the full hour
    assert result, "the run did not stop once its work was done"
    assert result[0].stopped_by == "idle" and result[0].outcomes == {"submitted": 4}
    assert bus.task(t)["status"] == "done"


def test_a_stopped_run_does_not_wait_out_an_idle_workers_poll(org_env):
    """An idle worker waiting for work (here up to an hour) notices the stop within a slice: the run's exit joins
    every worker, so an uninterruptible wait would be paid at the end of every run."""
    cfg, url, env, bus = org_env
    with AgentSession(cfg, url, env=env) as s:
        d = s.dispatcher(RunOptions(lease_s=60))
        port = s.port()
        try:
            th = threading.Thread(target=d._wait_for_work, args=(port, "reviewer", 3600.0), daemon=True)
            th.start()
            d.stop("test")
            th.join(timeout=120)  # a hang guard only
            assert not th.is_alive()
        finally:
            port.close()
