"""Issue 19 class 7, an approval wider than what was approved: an approval binds to what it showed, the
revision and the plan's actions (with their attributes), nothing else; and class 3's `via=pipeline`, which
holds only when org's pipeline carries out the approved plan, never on the requester's word."""

from __future__ import annotations

import contextlib
import json
from contextlib import contextmanager

import pytest

from org.bus.context import AUTH

PLAN = "1. deploy 2.5.0\nactions: " + json.dumps(
    [
        {"action": "deploy.production", "attributes": {"environment": "production"}},
        {"action": "host.config.push", "attributes": {"environment": "production", "via": "pipeline"}},
    ]
)


@contextmanager
def job_token(actor: str, job: int):
    """What org.identity stamps while a job token acts (org.identity.guard.acting)."""
    t = AUTH.set({"principal": actor, "kind": "agent", "token": "t", "via": "job", "job": int(job)})
    try:
        yield
    finally:
        AUTH.reset(t)


def _approved(bus):
    """An ops task whose plan (deploy.production, host.config.push through the pipeline) a human approved; the
    execute job claimed by its operator."""
    t = bus.add_task(
        "Deploy release 2.5.0", "ops", attributes={"kind": "deploy", "environment": "production"}
    )["task"]
    c = bus.claim("operator", "ops-claude")
    bus.submit(c.job, c.token, "pass", content=PLAN)
    c = bus.claim("security", "sec-gemini")
    bus.submit(c.job, c.token, "pass", note="ok")
    bus.approve(t, "alice", note="ship it")
    ex = bus.claim("operator", "ops-gpt")
    assert ex.gate == "execute"
    return t, ex


def test_the_approval_covers_the_planned_action(bus):
    t, ex = _approved(bus)
    with job_token("ops-gpt", ex.job):
        r = bus.act("deploy.production", "ops-gpt", t)
    assert r["exit_code"] == 0 and r["decision"]["approved_by"] == "alice", r["decision"]["reason"]


def test_the_issue_example_another_action_is_not_approved(bus):
    t, ex = _approved(bus)
    # the executing job takes only the plan's actions (ADR 0110)
    with job_token("ops-gpt", ex.job):
        r = bus.act("db.migrate", "ops-gpt", t, {"irreversible": True})
    assert r["exit_code"] == 4 and r["decision"]["rules"][-1]["id"] == "ORG-GATE-SCOPE"
    # asked outside any job (the bus itself, no token): the plan's approval still does not cover it
    r = bus.act("db.migrate", "ops-gpt", t, {"irreversible": True})
    assert r["exit_code"] == 6, r["decision"]["reason"]


def test_the_planned_action_with_attributes_the_plan_did_not_show_is_not_approved(bus):
    t, ex = _approved(bus)
    with job_token("ops-gpt", ex.job):
        r = bus.act("deploy.production", "ops-gpt", t, {"irreversible": True})
    assert r["exit_code"] == 6, r["decision"]["reason"]


def test_another_spelling_of_the_planned_action_is_the_same_action(bus):
    t, ex = _approved(bus)
    with job_token("ops-gpt", ex.job):
        r = bus.act("Deploy.Production", "ops-gpt", t)
    assert r["exit_code"] == 0 and r["decision"]["action"] == "deploy.production"


def test_via_pipeline_holds_only_when_the_pipeline_carries_out_the_plan(bus):
    t, ex = _approved(bus)
    # nobody's word: org derives via and ignores what a request says of it
    r = bus.act("host.config.push", "ops-gpt", t, {"via": "pipeline"})
    assert r["exit_code"] == 4 and "RED-HOST-CONFIG-OUTSIDE-PIPELINE" in [
        h["id"] for h in r["decision"]["rules"]
    ]
    assert bus.events_since(task=t, types=("action.decided",))[-1]["data"]["ignored"] == ["via"]
    # the executing operator without its job token: RED
    r = bus.act("host.config.push", "ops-gpt", t)
    assert r["exit_code"] == 4 and "RED-HOST-CONFIG-OUTSIDE-PIPELINE" in [
        h["id"] for h in r["decision"]["rules"]
    ]
    # another operator, holding no job at the executing gate
    with job_token("ops-claude", ex.job):
        r = bus.act("host.config.push", "ops-claude", t)
    assert r["exit_code"] == 4
    # the pipeline carrying out the approved plan: via=pipeline is org's own fact
    with job_token("ops-gpt", ex.job):
        r = bus.act("host.config.push", "ops-gpt", t)
    assert r["exit_code"] == 0, r["decision"]["reason"]


def test_an_action_approval_binds_to_the_attributes_it_showed(bus):
    """`org approve --action` approves the request the human saw (its action, revision and attributes): the
    same action asked again with an attribute the request did not show needs its own approval."""
    from org.identity.guard import Guard
    from tests.bus.bushelpers import carrying_out

    g = Guard(bus)
    tokens = {a: g.tokens.issue(a, by="test")["token"] for a in ("ops-claude", "sec-gemini", "alice", "bob")}
    t = g.add_task(
        tokens["alice"],
        "Restart",
        "ops",
        by="alice",
        attributes={"environment": "staging", "irreversible": False},
    )["task"]
    _c, jt = carrying_out(g, tokens, t, "service.restart", attrs={"irreversible": True})
    shown = {"irreversible": True}
    assert g.act(jt, "service.restart", "ops-claude", t, shown)["exit_code"] == 6
    g.approve(tokens["bob"], t, "bob", action="service.restart", note="the restart, as shown")
    assert g.act(jt, "service.restart", "ops-claude", t, shown)["exit_code"] == 0  # what bob saw
    r = g.act(jt, "service.restart", "ops-claude", t, {**shown, "service": "prod-db"})
    assert r["exit_code"] == 6 and r["decision"]["approved_by"] is None, r["decision"]["reason"]


def _planned(bus, plan_attrs: dict, filed: dict | None = None, approver: str | None = None):
    """An ops task whose plan states `plan_attrs` for db.migrate (medium tier: the operator plans, the security
    lane reviews, no human; with `approver`, a human approves it); the execute job claimed by its operator."""
    t = bus.add_task(
        "Migrate",
        "ops",
        attributes=filed or {"kind": "migration", "environment": "staging", "irreversible": False},
    )["task"]
    plan = "1. migrate\nactions: " + json.dumps([{"action": "db.migrate", "attributes": plan_attrs}])
    c = bus.claim("operator", "ops-claude")
    bus.submit(c.job, c.token, "pass", content=plan)
    c = bus.claim("security", "sec-gemini")
    bus.submit(c.job, c.token, "pass", note="ok")
    if approver:
        bus.approve(t, approver, note="as planned")
    ex = bus.claim("operator", "ops-gpt")
    assert ex is not None and ex.gate == "execute", ex
    return t, ex


def test_an_unapproved_plan_states_no_fact_a_restrictive_rule_reads(bus):
    """The plan is the acting lane's own word: with no human approving it, its attributes are claims, never
    trusted facts. A migration filed silent on `irreversible` is high at filing (ADR 0275: the filed tier reads
    silence at its worst), so no plan saying irreversible=false reaches execute without a human approving it;
    filed reversible (the filer's word, medium tier) the migration runs with no human."""
    from org.errors import NotFound

    t = bus.add_task("Migrate", "ops", attributes={"kind": "migration", "environment": "staging"})["task"]
    assert bus.task(t)["tier"] == "high"
    plan = "1. migrate\nactions: " + json.dumps(
        [{"action": "db.migrate", "attributes": {"irreversible": False}}]
    )
    c = bus.claim("operator", "ops-claude")
    bus.submit(c.job, c.token, "pass", content=plan)
    r = bus.claim("security", "sec-gemini")
    bus.submit(r.job, r.token, "pass")
    with pytest.raises(NotFound):  # execute waits for the human's approval of the plan
        bus.claim("operator", "ops-gpt")
    t2, ex = _planned(bus, {"environment": "staging", "irreversible": False})
    with job_token("ops-gpt", ex.job):
        r2 = bus.act("db.migrate", "ops-gpt", t2)
    assert r2["exit_code"] == 0, r2["decision"]["reason"]


def test_a_plan_never_contradicts_the_task_as_filed(bus):
    """A plan, even one a human approved, that states another fact than the task was filed with is read both
    ways: the task filed with the prod-db credential for the github service stays a credential reuse (RED, which
    no approval overrides) when its plan says the service is prod-db."""
    filed = {"kind": "migration", "environment": "staging", "irreversible": False, "credential": "prod-db"}
    t, ex = _planned(
        bus, {**filed, "service": "prod-db"}, filed={**filed, "service": "github"}, approver="alice"
    )
    with job_token("ops-gpt", ex.job):
        r = bus.act("db.migrate", "ops-gpt", t, {"service": "prod-db"})
    assert r["exit_code"] == 4 and "RED-CREDENTIAL-REUSE" in r["decision"]["reason"], r["decision"]["reason"]
    with job_token("ops-gpt", ex.job):
        r = bus.act("db.migrate", "ops-gpt", t)
    assert r["exit_code"] == 4 and "RED-CREDENTIAL-REUSE" in r["decision"]["reason"], r["decision"]["reason"]


def test_a_red_deny_read_without_an_unapproved_plan_stays_a_deny_that_no_approval_overrides(bus):
    """RED rules deny for everyone and no approval overrides them (DESIGN invariant 2). A plan no human
    approved that supplies the fact a RED rule needs in order not to fire (here: the service the prod-db
    credential is for) is only the acting lane's word: read without it the RED rule denies, and the request
    stays denied (exit 4), not turned into a request a human may grant."""
    t, ex = _planned(
        bus,
        {"environment": "dev", "credential": "prod-db", "service": "prod-db", "irreversible": False},
        filed={"kind": "migration", "environment": "dev", "credential": "prod-db", "irreversible": False},
    )
    with job_token("ops-gpt", ex.job):
        r = bus.act("db.migrate", "ops-gpt", t)
    assert r["exit_code"] == 4 and "RED-CREDENTIAL-REUSE" in r["decision"]["reason"], r["decision"]["reason"]
    assert r.get("approval") is None  # no request a human could grant
    # nor does a human's approval of the action, asked for by hand, turn it into an allow
    from org.errors import OrgError

    with contextlib.suppress(OrgError):
        bus.approve(t, "alice", action="db.migrate", note="looks fine")
    with job_token("ops-gpt", ex.job):
        r = bus.act("db.migrate", "ops-gpt", t)
    assert r["exit_code"] == 4 and "RED-CREDENTIAL-REUSE" in r["decision"]["reason"], r["decision"]["reason"]
