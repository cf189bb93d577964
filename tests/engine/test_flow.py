"""Task flow: full runs per tier, separation of duties, stale revisions, rework limits, failing closed,
the terminal re-check, skipped-is-not-passed and the pinned policy."""

from __future__ import annotations

import pytest

from org.config.loader import load_org, load_org_files
from org.engine import flow
from org.engine.state import Event, fold
from org.errors import Conflict, Denied, NotFound, UsageError
from tests.engine.engine_tools import line_of, org_with, run_task
from tests.helpers import REPO

SOLO = """workflow: solo
gates:
  write: {kind: work, lane: reviewer, action: test.run}
  check: {kind: review, lane: reviewer, after: [write], on_fail: write}
  ok: {kind: check, check: eligibility, after: [check]}
  done: {kind: terminal, after: [ok]}
"""


def _types(events):
    return [e.type for e in events]


# A request can raise the tier, never lower it: low comes from the attributes.
TIER_ATTRS = {"low": ({"kind": "docs"}, None), "medium": ({}, None), "high": ({}, "high")}


@pytest.mark.parametrize("tier", ["low", "medium", "high"])
def test_change_runs_to_done_and_skipped_is_never_passed(cfg, tier):
    attrs, asked = TIER_ATTRS[tier]
    events, state = run_task(cfg, "change", attrs, tier=asked)
    assert state.status == "done" and state.tier == tier, state.escalation
    plan_skipped = {e.data["gate"]: e.data["reason"] for e in events if e.type == "gate.skipped"}
    passed = {e.data["gate"] for e in events if e.type == "gate.passed"}
    assert not plan_skipped.keys() & passed
    for g, why in plan_skipped.items():
        assert state.gates[g].status == "skipped" and state.gates[g].reason == why and f"tier '{tier}'" in why
    done = next(e for e in events if e.type == "task.done")
    assert set(done.data["skipped"]) == set(plan_skipped) and not set(done.data["passed"]) & set(plan_skipped)
    assert set(done.data["passed"]) | set(plan_skipped) | {"done"} == set(cfg.workflows["change"].gates)


@pytest.mark.parametrize("tier", ["low", "medium", "high"])
def test_ops_runs_to_done_work_after_approval_does_not_unbind_it(cfg, tier):
    # 'execute' carries out the approved plan: it keeps the plan's revision, so done is reached on exactly
    # the revision the review and the approval passed on (ADR 0070)
    attrs, asked = TIER_ATTRS[tier]
    attrs = (
        {"environment": "dev", "disposable": True, "irreversible": False}
        if tier == "low"
        else {**attrs, "environment": "staging", "irreversible": False}  # said: silence is read at its worst
    )
    events, state = run_task(cfg, "ops", attrs, tier=asked)
    assert state.status == "done" and state.tier == tier, state.escalation
    if tier == "high":
        assert state.gates["approval"].revision == state.gates["approval"].bound == state.revision
        assert [g for _r, g, _a, _f in state.revisions] == ["plan", "execute"]


def test_every_event_carries_the_policy_it_was_decided_under(cfg):
    events, _ = run_task(cfg, "change", tier="high")
    assert {e.data.get("config_hash") for e in events} == {cfg.config_hash}


def test_cross_vendor_reviewers_exclude_the_authors_family(cfg):
    events = flow.start_task(cfg, "t", "x", "change", {}, requested_tier="high")
    s = fold(events)
    events += flow.submit(cfg, s, "build-claude", "spec", "pass")
    s = fold(events)
    events += flow.submit(cfg, s, "build-claude", "implement", "pass")
    s = fold(events)
    assert sorted(flow.eligible_members(cfg, s, "correctness")) == ["rev-gemini", "rev-gpt"]
    el = flow.eligibility(cfg, s, "rev-claude", "correctness")
    assert not el and el.rule == "ORG-CROSS-VENDOR"
    with pytest.raises(Denied) as exc:
        flow.submit(cfg, s, "rev-claude", "correctness", "pass")
    assert exc.value.detail["rule"] == "ORG-CROSS-VENDOR"
    assert not flow.eligibility(cfg, s, "sec-gemini", "correctness")  # wrong lane


def test_an_operator_whose_family_passed_the_plan_does_not_carry_it_out(cfg):
    # regression: ops-claude executing a plan by ops-gpt that sec-claude passed became an author of the
    # anthropic family, so the review stopped counting and the terminal re-check escalated the task
    s = fold(
        events := flow.start_task(
            cfg,
            "t",
            "x",
            "ops",
            {"credential": "jira", "service": "jira", "environment": "staging"},
            by="alice",
        )
    )
    for actor, gate, verdict in (
        ("ops-gpt", "plan", "pass"),
        ("sec-claude", "review", "pass"),
        ("bob", "approval", "approve"),  # alice filed it: on the high tier another human approves (ADR 0111)
    ):
        events += flow.submit(cfg, s, actor, gate, verdict)
        s = fold(events)
    el = flow.eligibility(cfg, s, "ops-claude", "execute")
    assert not el and el.rule == "ORG-CROSS-VENDOR" and "'review'" in el.reason
    assert flow.eligible_members(cfg, s, "execute") == ["ops-gpt"]
    with pytest.raises(Denied):
        flow.submit(cfg, s, "ops-claude", "execute", "pass")
    events += flow.submit(cfg, s, "ops-gpt", "execute", "pass")
    assert fold(events).status == "done"


def test_an_author_never_reviews_its_own_work(tmp_path):
    cfg = org_with(tmp_path, files={"gates/solo.yaml": SOLO})
    events = flow.start_task(cfg, "t", "x", "solo", {}, requested_tier="low")
    s = fold(events)
    events += flow.submit(cfg, s, "rev-gpt", "write", "pass")
    s = fold(events)
    el = flow.eligibility(cfg, s, "rev-gpt", "check")
    assert not el and el.rule == "ORG-SEPARATION-OF-DUTIES"
    assert "rev-gpt" not in flow.eligible_members(cfg, s, "check")
    # after a rework by rev-gemini, both are authors of some revision: neither may review
    events += flow.submit(cfg, s, "rev-claude", "check", "changes")
    s = fold(events)
    events += flow.submit(cfg, s, "rev-gemini", "write", "pass")
    s = fold(events)
    assert flow.eligible_members(cfg, s, "check") == ["rev-claude"]
    events += flow.submit(cfg, s, "rev-claude", "check", "pass")
    assert fold(events).status == "done"


def test_stale_revision_is_a_conflict(cfg):
    events = flow.start_task(cfg, "t", "x", "change", {"kind": "docs"})
    s = fold(events)
    events += flow.submit(cfg, s, "build-claude", "implement", "pass", content="v1")
    s = fold(events)
    r1 = s.revision
    with pytest.raises(Conflict) as exc:
        flow.submit(cfg, s, "rev-gpt", "correctness", "pass", revision="0000000000000000")
    assert exc.value.detail["rule"] == "ORG-STALE-REVISION"
    events += flow.submit(cfg, s, "rev-gpt", "correctness", "changes", revision=r1)
    s = fold(events)
    events += flow.submit(cfg, s, "build-claude", "implement", "pass", content="v2")
    s = fold(events)
    assert s.revision != r1 and s.gates["correctness"].status == "ready"
    with pytest.raises(Conflict):
        flow.submit(cfg, s, "rev-gemini", "correctness", "pass", revision=r1)
    # the old review does not count on the new revision
    assert s.counting_reviews("correctness") == []


def test_review_of_a_closed_gate_is_a_conflict(cfg):
    events, s = run_task(cfg, "change", {"kind": "docs"})
    with pytest.raises(Conflict):
        flow.submit(cfg, s, "rev-gemini", "correctness", "pass")


def test_rework_limit_escalates(cfg):
    def always_fail(state, gate, members):
        kind = cfg.workflows["change"].gates[gate].kind
        return members[0], ("fail" if kind == "review" else "pass")

    events, s = run_task(cfg, "change", {"kind": "docs"}, pick=always_fail)
    limit = cfg.workflows["change"].limits.max_rework_rounds
    assert _types(events).count("rework.started") == limit
    assert s.status == "escalated" and s.rounds == limit
    esc = events[-1]
    assert esc.type == "task.escalated" and esc.data["kind"] == "rework_limit"
    assert esc.data["source"] == f"gates/change.yaml:{line_of('gates/change.yaml', 'limits:')}"


def test_rework_resets_parallel_reviews(cfg):
    events = flow.start_task(cfg, "t", "x", "change", {}, requested_tier="medium")
    s = fold(events)
    for actor, gate, v in (
        ("build-gpt", "spec", "pass"),
        ("build-gpt", "implement", "pass"),
        ("sec-claude", "security", "pass"),
        ("rev-claude", "correctness", "fail"),
    ):
        events += flow.submit(cfg, s, actor, gate, v)
        s = fold(events)
    assert (
        s.gates["security"].status == "pending" and s.gates["implement"].status == "ready" and s.rounds == 1
    )


def test_no_eligible_cross_vendor_reviewer_fails_closed(tmp_path):
    # reviewers: anthropic and openai only; two authors of those families leave nobody
    cfg = org_with(
        tmp_path, {"lanes/reviewer.yaml": [("  - {id: rev-gemini, model: gemini/gemini-2.5-pro}\n", "")]}
    )
    events = flow.start_task(cfg, "t", "x", "change", {"kind": "docs"})
    s = fold(events)
    events += flow.submit(cfg, s, "build-claude", "implement", "pass")
    s = fold(events)
    events += flow.submit(cfg, s, "rev-gpt", "correctness", "changes")
    s = fold(events)
    events += flow.submit(cfg, s, "build-gpt", "implement", "pass")
    s = fold(events)
    assert s.status == "escalated"
    esc = events[-1]
    assert esc.data["kind"] == "no_eligible_reviewer" and esc.data["gate"] == "correctness"
    assert "failing closed" in esc.data["reason"]
    assert not [e for e in events if e.type == "review.filed" and e.data["revision"] == s.revision]
    # a human resuming does not make a reviewer appear: it escalates again at once
    again = flow.resume(cfg, s, "alice", note="try again")
    assert again[-1].type == "task.escalated" and again[-1].data["kind"] == "no_eligible_reviewer"


def _at_correctness(cfg):
    events = flow.start_task(cfg, "t", "x", "change", {"kind": "docs"})
    s = fold(events)
    events += flow.submit(cfg, s, "build-claude", "implement", "pass")
    return events, fold(events)


def _inject(cfg, events, *evs):
    events = events + list(evs)
    return events, fold(events)


def test_check_gate_refuses_a_review_gate_passed_without_reviews(cfg):
    events, s = _at_correctness(cfg)
    events, s = _inject(
        cfg, events, Event("gate.passed", "t", {"gate": "correctness", "revision": s.revision})
    )
    out = flow.advance(cfg, s)
    assert [e.type for e in out] == ["gate.failed", "task.escalated"]
    assert out[0].data["gate"] == "eligibility" and "ORG-CONTENT-BINDING" in out[0].data["rules"]


@pytest.mark.parametrize(
    "forged",
    [
        lambda s: [],  # no review at all
        lambda s: [
            Event(
                "review.filed",
                "t",
                {
                    "gate": "correctness",
                    "revision": s.revision,
                    "verdict": "pass",
                    "counts": True,
                    "family": "google",
                },
                "build-claude",
            )
        ],  # the author
        lambda s: [
            Event(
                "review.filed",
                "t",
                {
                    "gate": "correctness",
                    "revision": s.revision,
                    "verdict": "pass",
                    "counts": True,
                    "family": "google",
                    "cross_vendor": False,
                },
                "rev-claude",
            )
        ],  # same family, lying
        lambda s: [
            Event(
                "review.filed",
                "t",
                {
                    "gate": "correctness",
                    "revision": "old",
                    "verdict": "pass",
                    "counts": True,
                    "family": "google",
                },
                "rev-gemini",
            )
        ],  # stale revision
        lambda s: [
            Event(
                "review.filed",
                "t",
                {
                    "gate": "correctness",
                    "revision": s.revision,
                    "verdict": "pass",
                    "counts": True,
                    "family": "google",
                },
                "sec-gemini",
            )
        ],  # wrong lane
    ],
)
def test_terminal_recheck_refuses_forged_passes(cfg, forged):
    events, s = _at_correctness(cfg)
    events, s = _inject(
        cfg,
        events,
        *forged(s),
        Event("gate.passed", "t", {"gate": "correctness", "revision": s.revision}),
        Event("gate.passed", "t", {"gate": "eligibility", "revision": s.revision}),
    )
    out = flow.advance(cfg, s)
    assert out[-1].type == "task.escalated", [e.type for e in out]
    assert out[-1].data["kind"] == "bypass_detected" and "correctness" in out[-1].data["reason"]
    assert "task.done" not in _types(out)


def test_terminal_recheck_accepts_a_real_pass(cfg):
    events, s = _at_correctness(cfg)
    events, s = _inject(
        cfg,
        events,
        Event(
            "review.filed",
            "t",
            {
                "gate": "correctness",
                "revision": s.revision,
                "verdict": "pass",
                "counts": True,
                "family": "google",
                "cross_vendor": True,
            },
            "rev-gemini",
        ),
        Event("gate.passed", "t", {"gate": "correctness", "revision": s.revision}),
        Event("gate.passed", "t", {"gate": "eligibility", "revision": s.revision}),
    )
    assert _types(flow.advance(cfg, s))[-1] == "task.done"


def test_a_required_gate_marked_skipped_is_not_passed(cfg):
    events, s = _at_correctness(cfg)
    events, s = _inject(cfg, events, Event("gate.skipped", "t", {"gate": "correctness", "reason": "forged"}))
    out = flow.advance(cfg, s)
    assert _types(out)[-1] == "task.escalated" and "task.done" not in _types(out)


def test_approval_reject_rejects_the_task(cfg):
    def reject(state, gate, members):
        kind = cfg.workflows["change"].gates[gate].kind
        return members[0], {"work": "pass", "review": "pass", "approval": "reject"}[kind]

    events, s = run_task(cfg, "change", tier="high", pick=reject)
    assert s.status == "rejected" and s.gates["approval"].status == "failed"


def test_only_humans_approve(cfg):
    events, s = run_task(cfg, "change", tier="high", limit=5)
    assert s.ready_gates() == ["approval"]
    assert flow.eligible_members(cfg, s, "approval") == ["bob"]  # alice filed it (the two-person rule)
    with pytest.raises(Denied):
        flow.submit(cfg, s, "sec-gpt", "approval", "approve")


def test_work_failure_escalates(cfg):
    events = flow.start_task(cfg, "t", "x", "change", {"kind": "docs"})
    out = flow.submit(cfg, fold(events), "build-claude", "implement", "fail", note="cannot build")
    assert out[-1].type == "task.escalated" and out[-1].data["kind"] == "work_failed"


def test_stalls_and_budgets_escalate_and_humans_resume(cfg):
    events = flow.start_task(cfg, "t", "x", "change", {"kind": "docs"})
    s = fold(events)
    lim = cfg.workflows["change"].limits
    assert flow.escalate_if_stalled(cfg, s, lim.no_progress_seconds) == []
    esc = flow.escalate_if_stalled(cfg, s, lim.no_progress_seconds + 1)
    assert esc[0].data["kind"] == "no_progress"
    assert flow.escalate_if_over_budget(cfg, s, lim.budget_usd) == []
    assert flow.escalate_if_over_budget(cfg, s, lim.budget_usd + 0.01)[0].data["kind"] == "budget"
    s2 = fold(events + esc)
    with pytest.raises(Denied):
        flow.resume(cfg, s2, "build-claude")
    with pytest.raises(Conflict):
        flow.resume(cfg, s, "alice")
    s3 = fold(events + esc + flow.resume(cfg, s2, "alice", note="go on"))
    assert s3.status == "active" and s3.ready_gates() == ["implement"]


def test_start_task_input_errors(cfg):
    with pytest.raises(NotFound):
        flow.start_task(cfg, "t", "x", "nosuch", {})
    with pytest.raises(UsageError):
        flow.start_task(cfg, "t", "x", "change", {}, requested_tier="urgent")
    with pytest.raises(UsageError, match="environment"):
        flow.start_task(cfg, "t", "x", "change", {"environment": "prod"})


def test_a_running_task_keeps_its_policy(tmp_path):
    cfg1 = org_with(tmp_path)
    events = flow.start_task(cfg1, "t", "x", "change", {"kind": "docs"})
    s = fold(events)
    # someone weakens the YAML mid-flight: correctness only at high
    p = tmp_path / "gates" / "change.yaml"
    p.write_text(p.read_text().replace("    adrs: [4]\n", "    adrs: [4]\n    tiers: [high]\n"))
    cfg2 = load_org(tmp_path)
    assert cfg2.config_hash != cfg1.config_hash
    with pytest.raises(Conflict) as exc:
        flow.submit(cfg2, s, "build-claude", "implement", "pass")
    assert exc.value.detail["rule"] == "ORG-POLICY-PINNED"
    assert flow.eligibility(cfg2, s, "build-claude", "implement").rule == "ORG-POLICY-PINNED"
    with pytest.raises(Conflict):
        flow.advance(cfg2, s)
    # the pinned files reproduce the pinned policy
    pinned = load_org_files(cfg1.files)
    assert pinned.config_hash == cfg1.config_hash == s.config_hash
    events += flow.submit(pinned, s, "build-claude", "implement", "pass")
    assert fold(events).gates["correctness"].status == "ready"


def test_load_org_files_matches_load_org():
    a = load_org(REPO)
    b = load_org_files(a.files)
    assert b.config_hash == a.config_hash and b.sources == a.sources and set(b.actors) == set(a.actors)


def test_state_copy_is_independent(cfg):
    events, s = _at_correctness(cfg)
    c = s.copy()
    fold(
        [
            Event(
                "review.filed",
                "t",
                {
                    "gate": "correctness",
                    "revision": s.revision,
                    "verdict": "pass",
                    "counts": True,
                    "family": "google",
                },
                "rev-gemini",
            ),
            Event(
                "work.submitted",
                "t",
                {"gate": "implement", "revision": "r2", "family": "openai"},
                "build-gpt",
            ),
            Event("gate.passed", "t", {"gate": "correctness", "revision": "r2"}),
        ],
        c,
    )
    assert s.gates["correctness"].reviews == [] and s.gates["correctness"].status == "ready"
    assert s.authors == {"build-claude"} and len(s.revisions) == 1
    assert c.gates["correctness"].status == "passed" and c.authors == {"build-claude", "build-gpt"}
