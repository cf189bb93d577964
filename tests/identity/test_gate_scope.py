"""A job token takes only the actions its gate asks for (review finding on issue 19, ADR 0110): the action
its gate's kind implies (a work gate's `action:`, a review gate's review.file, an approval gate's approve)
and, at a gate that carries out an approved plan, the actions that plan names; on its own task, while its
lease lives. Its lane's other actions are not the gate's: an operator planning a deploy may not deploy.

The expectation here is written from the config and the plan, not from org's code: every action any lane
names (patterns spelled out, other letter cases too) is tried at every gate a job can be claimed at, in
every workflow of the default org."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.config.actions import canonical_action
from org.errors import Denied, OrgError

PLANNED = [
    {"action": "deploy.production", "attributes": {"environment": "production"}},
    {"action": "credential.use", "attributes": {"credential": "deploy-key", "service": "deploy"}},
]
PLAN = "1. deploy 2.5.0 to production\nactions: " + json.dumps(PLANNED)
WHO = {
    "builder": "build-claude",
    "reviewer": "rev-gpt",
    "security": "sec-gemini",
    "operator": "ops-claude",
    "approver": "bob",
}
ATTRS = {
    "change": {"kind": "code", "environment": "production"},  # high tier: every gate, approval included
    "ops": {"kind": "deploy", "environment": "production", "credential": "deploy-key", "service": "deploy"},
}


def universe(cfg) -> list[str]:
    """Every action any lane, gate or rule of the org names (a pattern spelled out), in two spellings."""
    names: set[str] = {"work.submit", "review.file", "approve", "reject", "job.submit", "job.heartbeat"}
    for lane in cfg.lanes.values():
        names |= set(lane.may) | set(lane.may_not)
    for wf in cfg.workflows.values():
        names |= {g.implied_action for g in wf.gates.values() if g.implied_action}
    for pats in (getattr(r, "actions", None) for r in cfg.rules):
        names |= set(pats or ())
    spelled = set()
    for n in names:
        if n == "*":
            continue
        for stem in (n.replace("*", "production"), n.replace("*", "staging"), n.replace("*", "anything")):
            spelled |= {stem, stem.upper(), stem.title()}
    return sorted(spelled)


def expected(cfg, workflow: str, gate: str) -> set[str]:
    """What the gate asks its holder for, read from the YAML and the plan (not from org's code)."""
    spec = cfg.workflows[workflow].gates[gate]
    out = {spec.implied_action} if spec.implied_action else set()
    if spec.carries_out:
        out |= {a["action"] for a in PLANNED}
    return out


def try_act(guard, jt: str, action: str, actor: str, task: str) -> dict:
    """The decision, or a refusal before deciding (the door's), as a deny."""
    try:
        return guard.act(jt, action, actor, task)["decision"]
    except Denied as exc:
        return {"outcome": "deny", "rules": [{"id": exc.detail.get("rule")}], "reason": exc.message}


def walk(guard, issue, workflow: str):
    """File a task as alice, then claim each gate in turn with the lane's member: yields (gate, actor, job
    token, task) at every claimable gate, then passes the gate (the plan gate with PLAN)."""
    alice = issue("alice")
    t = guard.add_task(alice, f"Scope {workflow}", workflow, by="alice", attributes=ATTRS[workflow])["task"]
    tokens = {a: issue(a) for a in WHO.values()}
    seen = []
    for _ in range(20):
        view = guard.task(alice, t)
        if view["status"] != "active":
            break
        queued = [j for j in view["jobs"] if j["status"] == "queued"]
        if not queued:
            break
        j = queued[0]
        actor = WHO[j["lane"]]
        if j["lane"] == "reviewer" and j["gate"] == "design":
            actor = "rev-gemini"
            tokens.setdefault(actor, issue(actor))
        c, jt = guard.claim(tokens[actor], j["lane"], actor)
        seen.append(c.gate)
        yield c.gate, actor, jt, t
        verdict = "approve" if c.kind == "approval" else "pass"
        content = PLAN if c.gate == "plan" else f"work of {actor} at {c.gate}"
        guard.submit(jt, c.job, verdict, content=content, note="ok")
    assert seen, "no gate was claimable"


def test_the_review_finding_an_operator_planning_may_not_deploy(guard, issue):
    """The example: an operator's job token at the ops plan gate took deploy.staging, service.restart and
    env.rebuild before any security review."""
    alice = issue("alice")
    t = guard.add_task(
        alice, "Restart staging", "ops", by="alice", attributes={"kind": "ops", "environment": "staging"}
    )["task"]
    c, jt = guard.claim(issue("ops-claude"), "operator", "ops-claude")
    assert c.gate == "plan"
    for action in ("deploy.staging", "service.restart", "env.rebuild", "db.migrate", "ops.execute"):
        d = try_act(guard, jt, action, "ops-claude", t)
        assert d["outcome"] == "deny", (action, d)
        assert "ORG-GATE-SCOPE" in [h["id"] for h in d["rules"]], (action, d)
    assert try_act(guard, jt, "ops.plan", "ops-claude", t)["outcome"] == "allow"


@pytest.mark.parametrize("workflow", ["change", "ops"])
def test_every_action_at_every_gate_only_what_the_gate_asks(guard, issue, workflow):
    cfg = guard.config()
    actions = universe(cfg)
    gates_seen = set()
    for gate, actor, jt, t in walk(guard, issue, workflow):
        gates_seen.add(cfg.workflows[workflow].gates[gate].kind + (":plan" if gate == "execute" else ""))
        asks = expected(cfg, workflow, gate)
        for action in actions:
            d = try_act(guard, jt, action, actor, t)
            rules = [h["id"] for h in d.get("rules", [])]
            if canonical_action(action) in asks:
                assert "ORG-GATE-SCOPE" not in rules, (gate, action, d)
            else:
                assert d["outcome"] == "deny", (gate, action, d)
    kinds = {"work", "review", "approval"} | ({"work:plan"} if workflow == "ops" else set())
    assert kinds <= gates_seen, gates_seen


def test_the_executing_operator_takes_the_plans_actions_and_nothing_else(guard, issue):
    g = walk(guard, issue, "ops")
    for gate, actor, jt, t in g:
        if gate != "execute":
            continue
        assert try_act(guard, jt, "deploy.production", actor, t)["outcome"] == "allow"
        for other in ("deploy.staging", "db.migrate", "service.restart", "env.rebuild"):
            d = try_act(guard, jt, other, actor, t)
            assert d["outcome"] == "deny" and "ORG-GATE-SCOPE" in [h["id"] for h in d["rules"]], (other, d)
        d = try_act(guard, jt, "host.config.push", actor, t)  # not planned: not the pipeline's either
        assert [h["id"] for h in d["rules"]] == ["RED-HOST-CONFIG-OUTSIDE-PIPELINE"], d
        break
    else:
        pytest.fail("no execute gate")


@pytest.fixture
def planning(guard, issue):
    """An operator's job at the ops plan gate of a staging task."""
    alice = issue("alice")
    t = guard.add_task(alice, "Spell", "ops", by="alice", attributes={"environment": "staging"})["task"]
    _c, jt = guard.claim(issue("ops-claude"), "operator", "ops-claude", lease_seconds=10_000)
    return t, jt


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.text(min_size=1, max_size=24))
def test_any_spelling_outside_the_gate_is_refused(guard, planning, action):
    """Any string at all, at the plan gate: only a spelling of ops.plan may pass."""
    t, jt = planning
    try:
        d = try_act(guard, jt, action, "ops-claude", t)
    except OrgError:  # no action at all (blank): bad input, refused before deciding
        return
    if canonical_action(action) != "ops.plan":
        assert d["outcome"] == "deny", (action, d)
