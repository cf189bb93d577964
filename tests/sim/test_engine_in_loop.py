"""Every simulated step goes through org.engine: its rules, gates and hard stops shape the outcomes."""

from __future__ import annotations

import json
import textwrap

import pytest

from org.errors import ConfigError
from org.sim.orgbuild import build_org
from org.sim.run import simulate
from org.sim.scenario import load_scenario
from org.sim.world import World

SHORT = [("duration", "2d"), ("warmup", "0")]


def _strip(m: dict) -> dict:
    return {k: v for k, v in m.items() if k not in ("wall_seconds", "events_per_second")}


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = simulate("review-cross-vendor", sets=SHORT)
    b = simulate("review-cross-vendor", sets=SHORT)
    c = simulate("review-cross-vendor", sets=SHORT, seed=2)
    assert _strip(a) == _strip(b)
    assert _strip(a) != _strip(c)
    json.dumps(a)  # plain data all the way down


def test_cross_vendor_and_separation_of_duties_hold_on_every_finished_task():
    ls = load_scenario("review-cross-vendor", SHORT)
    cfg = build_org(ls)
    world = World(ls.spec, cfg, keep=True)
    m = world.run()
    assert m["tasks"]["done"] > 50
    checked = 0
    for task in world.finished:
        st = task.state
        if st.status != "done":
            continue
        wf = cfg.workflows[st.workflow]
        for gate in st.required:
            spec = wf.gates[gate]
            if spec.kind != "review":
                continue
            reviews = st.counting_reviews(gate)
            assert len(reviews) >= spec.quorum
            for r in reviews:
                assert r.actor not in st.authors
                assert r.family not in st.author_families
                checked += 1
    assert checked > 100


def test_stale_reviews_are_refused_by_the_engine():
    # parallel correctness and security reviews: when one sends the work back, the other's verdict
    # on the old revision is refused (Conflict) and counted, never applied
    m = simulate("review-cross-vendor", sets=SHORT)
    assert m["stale_submissions"] > 0
    assert m["rework"]["rounds_per_done"] > 0


def test_a_red_rule_denies_the_action_and_the_task_stalls_into_an_escalation(tmp_path):
    p = tmp_path / "red.yaml"
    p.write_text(
        textwrap.dedent("""
        extends: review-cross-vendor
        duration: 1d
        warmup: 0
        workload:
          streams:
            - name: reuse
              workflow: change
              attributes: {kind: code, environment: staging, credential: jira, service: github}
              per_hour: 2
              actions: {implement: credential.use}
        """)
    )
    m = simulate(p)
    denied = m["denied"]
    # the RED rule denies the stream's action, or (since gates imply their action, ADR 0070) the gate's own
    # action to every member: either way it is named, nobody works, and the stall detector escalates
    assert denied and all("RED-CREDENTIAL-REUSE" in k for k in denied), denied
    assert m["tasks"]["done"] == 0
    assert m["rework"]["escalated_by_kind"].get("no_progress", 0) > 0  # the engine's stall detector


def test_a_lane_without_the_permission_is_denied(tmp_path):
    p = tmp_path / "lane.yaml"
    p.write_text(
        textwrap.dedent("""
        extends: review-cross-vendor
        duration: 1d
        warmup: 0
        workload:
          streams:
            - {name: sneaky, workflow: change, attributes: {kind: code}, per_hour: 2, actions: {implement: deploy.production}}
        """)
    )
    m = simulate(p)
    assert any("LANE-BUILDER-MAY-NOT" in k for k in m["denied"])
    assert m["tasks"]["done"] == 0


def test_budget_and_rework_limits_escalate():
    m = simulate("review-cross-vendor", sets=[*SHORT, ("org.limits.change.budget_usd", 0.05)])
    assert m["rework"]["escalated_by_kind"].get("budget", 0) > 0
    m = simulate("review-cross-vendor", sets=[*SHORT, ("org.limits.change.max_rework_rounds", 1)])
    esc = m["rework"]["escalated_by_kind"]
    assert esc.get("rework_limit", 0) > 0
    assert m["rework"]["rounds_per_done"] <= 1
    with pytest.raises(ConfigError) as exc:  # no rework at all would leave review failures nowhere to go
        simulate("review-cross-vendor", sets=[*SHORT, ("org.limits.change.max_rework_rounds", 0)])
    assert "rework loops need a bound" in str(exc.value)


def test_consequential_actions_pass_once_a_human_approved():
    # production changes: decide() needs a non-author human's approval for code.write in production
    # at the implement gate, which comes before the approval gate; after approval nothing is denied
    m = simulate("ceremony-light", sets=[*SHORT, ("workload.streams.1.actions", {"implement": "code.write"})])
    assert any("CONSEQ-PRODUCTION" in k for k in m["denied"])
    m = simulate("ceremony-light", sets=SHORT)
    assert m["denied"] == {}
    assert m["approval"]["approved"] > 0


def test_progress_is_reported_and_reaches_the_end():
    seen: list[float] = []
    simulate("mmc", sets=[("duration", "40d")], progress=seen.append)
    assert seen and seen == sorted(seen) and 0 < seen[-1] <= 1.0
