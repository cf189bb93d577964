"""Lane agents against the loopback model through the real litellm client: success, malformed output
(repair, then fail), 429 storms, quota exhaustion and a provider that is down."""

from __future__ import annotations

import threading

from org.agents.localwriter import SMELLS
from org.agents.pacing import Limits, Pacer
from org.agents.prompts import WorkItem

TITLE = "Add retry with backoff to the webhook sender"


def build_item(round_=0, findings=()):
    return WorkItem(
        job="j1",
        task="T-1",
        title=TITLE,
        workflow="change",
        gate="implement",
        gate_kind="work",
        gate_description="Make the change",
        lane="builder",
        tier="medium",
        attributes={"kind": "code"},
        round=round_,
        findings=list(findings),
    )


def review_item(work, lane="reviewer", gate="correctness"):
    return WorkItem(
        job="j2",
        task="T-1",
        title=TITLE,
        workflow="change",
        gate=gate,
        gate_kind="review",
        gate_description="",
        lane=lane,
        tier="medium",
        attributes={"kind": "code"},
        revision="rev1",
        work=work,
        adr_ids=[4],
        adr_text="- ADR-0004 Reviews come from another model family",
    )


def test_build_then_review_catches_the_defect_and_the_rework_fixes_it(make_agent, local_server):
    local_server.config.defect_rate = 1.0
    built = make_agent("build-claude").work(build_item(), "builder")
    assert built.ok and not built.repaired and built.output.files
    smells = [k for k, (s, *_r) in SMELLS.items() if s in built.output.diff]
    assert smells in (["logic"], ["security"])
    lane, actor = ("reviewer", "rev-gpt") if smells == ["logic"] else ("security", "sec-gemini")
    rev = make_agent(actor).work(
        review_item(built.output.diff, lane), lane if lane == "security" else "reviewer"
    )
    assert rev.ok and rev.output.verdict == "changes" and rev.output.revision == "rev1"
    assert rev.output.findings[0].severity == "high" and rev.output.adrs_cited == [4]
    fixed = make_agent("build-claude").work(
        build_item(1, [f.model_dump() for f in rev.output.findings]), "builder"
    )
    assert fixed.ok and not any(s in fixed.output.diff for s, *_r in SMELLS.values())
    again = make_agent(actor).work(
        review_item(fixed.output.diff, lane), lane if lane == "security" else "reviewer"
    )
    assert again.output.verdict == "pass"
    assert all(c.cost_usd and c.cost_usd > 0 for c in built.calls + rev.calls)


def test_same_prompt_same_reply(make_agent):
    a = make_agent("build-gpt").work(build_item(), "builder")
    b = make_agent("build-gpt").work(build_item(), "builder")
    assert a.output == b.output


def test_malformed_once_is_repaired(make_agent, local_server):
    local_server.config.malformed_rate = 0.999  # first replies malformed, repairs answered properly
    res = make_agent("rev-gemini").work(review_item("+x = 1\n"), "reviewer")
    assert res.ok and res.repaired and len(res.calls) == 2
    assert local_server.stats()["counts"] == {"requests": 2, "malformed": 1, "ok": 1}


def test_malformed_twice_fails_the_job_clearly(make_agent, local_server):
    local_server.config.malformed_rate = 1.0
    res = make_agent("rev-gemini").work(review_item("+x = 1\n"), "reviewer")
    assert not res.ok and res.failure == "malformed" and len(res.calls) == 2
    assert "rev-gemini" in res.error and "ReviewVerdict" in res.error and "repair" in res.error


def test_a_429_storm_is_paced_away(make_agent, local_server):
    """20 agents at once against a 600 rpm provider: paced, nobody fails, hardly a 429."""
    local_server.config.rpm = 600
    pacer = Pacer(limits={"local": Limits(rpm=600)}, backoff_base_s=0.05)
    results = []

    def agent(i):
        for _ in range(2):
            results.append(make_agent("rev-claude", pacer).work(review_item(f"+x = {i}\n"), "reviewer"))

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = local_server.stats()["counts"]
    assert len(results) == 40 and all(r.ok for r in results)
    assert counts.get("rate_limited", 0) <= 1, counts


def test_unpaced_agents_do_storm(make_agent, local_server):
    """The same load without the pacer: the provider refuses most of it (so the test above can fail)."""
    # 600 rpm's bucket of 10, refilled too slowly to matter however long a loaded machine takes to send 20
    local_server.config.rpm, local_server.config.burst_s = 0.6, 1000.0
    results = []
    threads = [
        threading.Thread(
            target=lambda i=i: results.append(
                make_agent("rev-claude").work(review_item(f"+y = {i}\n"), "reviewer")
            )
        )
        for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for r in results if r.failure == "rate_limited") >= 5


def test_429s_from_a_lower_limit_than_configured_back_off_without_a_storm(make_agent, local_server):
    """Someone else shares the key: the provider allows 300 rpm though we think 3000. We slow down."""
    local_server.config.rpm = 300
    pacer = Pacer(limits={"local": Limits(rpm=3000)}, backoff_base_s=0.1, max_attempts=6)
    results = []

    def agent(i):
        results.append(make_agent("rev-claude", pacer).work(review_item(f"+z = {i}\n"), "reviewer"))

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = local_server.stats()["counts"]
    assert all(r.ok for r in results)
    assert counts["requests"] <= 2 * len(results), counts  # no storm: at most one refusal per call on average
    assert pacer.scale("local") < 1.0


def test_quota_exhaustion_stops_the_provider(make_agent, local_server):
    local_server.config.quota_requests = 2
    local_server.config.quota_reset_s = 900
    pacer = Pacer(limits={"local": Limits(rpm=6000)})
    outs = [make_agent("rev-gpt", pacer).work(review_item(f"+q = {i}\n"), "reviewer") for i in range(6)]
    assert [o.ok for o in outs] == [True, True, False, False, False, False]
    assert {o.failure for o in outs[2:]} == {"quota_exhausted"}
    assert local_server.stats()["counts"]["requests"] == 3  # after the first refusal nothing more is sent
    assert pacer.stats.refused_fast == 3


def test_provider_down_is_reported_after_a_few_spaced_tries(make_agent, local_server):
    local_server.config.down = True
    pacer = Pacer(limits={"local": Limits(rpm=6000)}, backoff_base_s=0.02)
    res = make_agent("rev-gpt", pacer).work(review_item("+d = 1\n"), "reviewer")
    assert not res.ok and res.failure == "unavailable"
    assert local_server.stats()["counts"]["requests"] == 3
    local_server.stop()
    res = make_agent("rev-gpt", pacer).work(review_item("+d = 2\n"), "reviewer")
    assert res.failure == "unavailable"
