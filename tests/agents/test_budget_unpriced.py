"""Lane and member budgets fail closed on unpriced calls (ADR 0051): any unaccepted unknown spend pauses,
whichever worker or migration brought it; a human resuming that pause accepts it; priced spend still counts."""

from __future__ import annotations

import threading

import pytest

from org.agents.busport import AgentDoor
from org.agents.jobwork import JobRunner
from org.bus import Bus
from org.config.loader import load_org
from org.identity.bootstrap import agent_tokens
from org.identity.guard import Guard


def _port(bus) -> AgentDoor:
    """The door as the dispatcher's workers hold it, with the builders' tokens."""
    return AgentDoor(Guard(bus), agent_tokens(bus, actors=["build-claude", "build-gpt"]))


def _spent(bus, scope: str, key: str) -> tuple:
    r = bus.scope_spend(scope, key)
    return r["spent_usd"], r["unpriced_calls"], r["unpriced_accepted"]


@pytest.fixture
def lane_bus(org_copy, tmp_path):
    cfg = load_org(org_copy)  # lanes/builder.yaml: budget {usd: 20}
    url = f"sqlite:///{tmp_path / 'bus.db'}"
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        yield cfg, url, bus


def _paused(bus):
    return [(s["scope"], s["target"]) for s in bus.switches(active_only=True)]


def test_two_concurrent_unpriced_calls_in_one_lane_pause_it(lane_bus, org_copy):
    """Two workers whose first unpriced calls land together each see 2 unpriced calls on the lane: both pause
    (idempotently), where a check for 'this job's calls are all of them' let neither."""
    cfg, url, _ = lane_bus
    runner = JobRunner(cfg, {}, None, None, None)
    recorded, out, errors = threading.Barrier(2), {}, []

    def worker(actor: str) -> None:
        try:
            with Bus.open(url, root=org_copy, config=cfg) as b:
                port = _port(b)
                b.record_usage(actor, "anthropic/house-model-x", tokens_in=100, lane="builder")
                recorded.wait(timeout=20)
                out[actor] = runner._budget(port, "builder", actor)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(a,)) for a in ("build-claude", "build-gpt")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert all(out[a] and "spend unknown" in out[a][0] and "2 model call(s)" in out[a][0] for a in out), out
    with Bus.open(url, root=org_copy, config=cfg) as b:
        assert _paused(b) == [("lane", "builder")]  # one switch: the second pause found it active


def test_old_unpriced_rows_pause_until_a_human_resumes_then_priced_spend_still_counts(lane_bus):
    cfg, _, bus = lane_bus
    runner, port = JobRunner(cfg, {}, None, None, None), _port(bus)
    # unpriced rows no human accepted (as the schema v2 migration leaves old $0 rows), then a priced job
    bus.record_usage("build-claude", "anthropic/house-model-x", tokens_in=10, lane="builder")
    bus.record_usage("build-claude", "anthropic/claude-sonnet-4-5", cost_usd=1.0, lane="builder")
    why = runner._budget(port, "builder", "build-claude")
    assert len(why) == 1 and why[0].startswith("spend unknown: lane builder spent $1.0000 plus 1 model call")
    assert _paused(bus) == [("lane", "builder")]
    assert _spent(bus, "lane", "builder") == (pytest.approx(1.0), 1, False)
    bus.resume("lane", "builder", note="house model accepted")
    (resumed,) = [e for e in bus.events_since(0, limit=10_000) if e["type"] == "switch.resumed"]
    assert resumed["data"]["unpriced_accepted"] == 1
    assert _spent(bus, "lane", "builder") == (pytest.approx(1.0), 1, True)
    # accepted: later unpriced calls are reported, not paused again ...
    bus.record_usage("build-claude", "anthropic/house-model-x", tokens_in=10, lane="builder")
    assert runner._budget(port, "builder", "build-claude") == [] and _paused(bus) == []
    assert _spent(bus, "lane", "builder")[1] == 2
    # ... while the priced spend still counts against the ceiling ($20)
    bus.record_usage("build-claude", "anthropic/claude-sonnet-4-5", cost_usd=19.5, lane="builder")
    why = runner._budget(port, "builder", "build-claude")
    assert why and "budget ceiling reached" in why[0] and _paused(bus) == [("lane", "builder")]


def test_resuming_a_pause_that_was_not_for_unknown_spend_accepts_nothing(lane_bus):
    cfg, _, bus = lane_bus
    runner, port = JobRunner(cfg, {}, None, None, None), _port(bus)
    bus.pause("lane", "builder", note="maintenance")
    bus.record_usage("build-claude", "anthropic/house-model-x", tokens_in=10, lane="builder")
    bus.resume("lane", "builder")
    assert _spent(bus, "lane", "builder") == (0.0, 1, False)
    assert runner._budget(port, "builder", "build-claude") and _paused(bus) == [("lane", "builder")]


def test_run_and_demo_summaries_never_show_unknown_spend_as_zero():
    from org.agents.demo import cost_fields, cost_text

    all_unpriced = cost_fields(0.0, calls=4, unpriced=4, done=2)
    assert all_unpriced == {"cost_usd": None, "cost_per_success_usd": None}
    assert cost_text(all_unpriced["cost_usd"], 4) == "unpriced (4 calls)"
    mixed = cost_fields(0.5, calls=4, unpriced=1, done=2)
    assert mixed == {"cost_usd": 0.5, "cost_per_success_usd": None}  # the true per-task cost is unknown
    assert cost_text(mixed["cost_usd"], 1) == "$0.5000 + 1 unpriced call"
    priced = cost_fields(0.5, calls=4, unpriced=0, done=2)
    assert priced == {"cost_usd": 0.5, "cost_per_success_usd": 0.25} and cost_text(0.5, 0) == "$0.5000"
