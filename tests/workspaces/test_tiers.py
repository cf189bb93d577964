"""A revision's changed paths re-classify its task (ADR 0135): the tier rises (never falls) when a revision
touches paths of a higher tier, and the gates that tier requires become required, recorded. Adversarial: a
task filed at a low tier that sneaks a high-risk or protected path into a revision must not pass at the low
tier's gates; nobody can state the paths themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from org.errors import Denied, UsageError
from org.identity.guard import Guard
from org.workspaces.service import check_revision, open_workspace

RISK_RULE = """
    - id: RISK-MIGRATIONS
      tier: high
      title: Database migrations
      when: {paths: {any: ["db/migrations/**"]}}
"""
RED_RULE = """
  - id: RED-NO-DEPLOY-OF-INFRA-CHANGES
    title: No deploy straight from a revision that changes infra
    reason: infra changes go out through the infra pipeline
    actions: [deploy.*]
    when: {paths: {any: ["infra/**"]}}
"""


@pytest.fixture
def tier_org(ws_org):
    risk = ws_org / "gates" / "risk.yaml"
    risk.write_text(risk.read_text().rstrip("\n") + "\n" + RISK_RULE)
    rules = ws_org / "gates" / "rules.yaml"
    text = rules.read_text()
    rules.write_text(text.replace("\n# Consequential:", RED_RULE + "\n# Consequential:", 1))
    assert "RED-NO-DEPLOY-OF-INFRA-CHANGES" in rules.read_text()
    return ws_org


@pytest.fixture
def tbus(tier_org, wsbus):
    return wsbus


def _events(bus, task, type_):
    return [e for e in bus.events_since(0, task=task, limit=10_000) if e["type"] == type_]


def _low_task(bus):
    """A docs task (tier low: no spec, security, design or approval gate), its workspace and builder job."""
    t = bus.add_task("fix a typo", "change", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    assert bus.task(t)["tier"] == "low"
    ws = Path(open_workspace(bus, t, actor="alice")["path"])
    g = Guard(bus)
    c, jt = g.claim(bus.tokens["build-claude"], "builder", "build-claude")
    assert c.task == t and c.gate == "implement"
    return t, ws, c.job, jt, g


def _gates(bus, task):
    return {name: g["status"] for name, g in bus.task(task)["state"]["gates"].items()}


def test_a_low_tier_task_sneaking_in_a_high_risk_path_is_raised_to_high(tbus):
    task, ws, job, jt, g = _low_task(tbus)
    assert _gates(tbus, task)["approval"] == "skipped"
    (ws / "README.md").write_text("typo fixed\n")
    (ws / "infra").mkdir()
    (ws / "infra" / "main.tf").write_text('resource "x" {}\n')
    res = check_revision(tbus, job, "build-claude")  # not a guard finding: the tier takes care of it
    assert "infra/main.tf" in res["paths"]
    g.submit(jt, job, "pass")
    raised = _events(tbus, task, "task.tier_raised")
    assert len(raised) == 1
    d = raised[0]["data"]
    assert (d["from"], d["tier"], d["revision"]) == ("low", "high", res["commit"])
    assert d["rules"] == ["REPO-APP-RISK-1"] and d["sources"][0].startswith("gates/repos.yaml:")
    assert set(d["unskipped"]) == {"spec", "security", "design", "approval"}
    t = tbus.task(task)
    assert t["tier"] == "high" and "approval" in t["state"]["required"]
    gates = _gates(tbus, task)
    # nothing the high tier requires is skipped any longer: a human approval stands between it and done
    assert gates["approval"] == "pending" and gates["design"] == "pending" and gates["spec"] == "ready"
    assert "skipped" not in {gates[n] for n in t["state"]["required"]}


def test_the_tier_never_falls_when_a_later_revision_drops_the_path(tbus):
    task, ws, job, jt, g = _low_task(tbus)
    (ws / "infra").mkdir()
    (ws / "infra" / "main.tf").write_text("x\n")
    check_revision(tbus, job, "build-claude")
    g.submit(jt, job, "pass")
    assert tbus.task(task)["tier"] == "high"
    # spec is now required: the builder writes it (a revision that only touches docs)
    c, jt2 = g.claim(tbus.tokens["build-claude"], "builder", "build-claude")
    assert c.task == task and c.gate == "spec"
    (ws / "infra" / "main.tf").unlink()
    (ws / "SPEC.md").write_text("why\n")
    check_revision(tbus, c.job, "build-claude")
    g.submit(jt2, c.job, "pass")
    assert tbus.task(task)["tier"] == "high" and len(_events(tbus, task, "task.tier_raised")) == 1
    assert _gates(tbus, task)["approval"] != "skipped"


def test_a_paths_condition_in_risk_yaml_raises_the_tier(tbus):
    task, ws, job, jt, g = _low_task(tbus)
    (ws / "db" / "migrations").mkdir(parents=True)
    (ws / "db" / "migrations" / "0001_drop.sql").write_text("DROP TABLE users;\n")
    check_revision(tbus, job, "build-claude")
    g.submit(jt, job, "pass")
    d = _events(tbus, task, "task.tier_raised")[-1]["data"]
    assert d["tier"] == "high" and d["rules"] == ["RISK-MIGRATIONS"]
    assert d["sources"][0].startswith("gates/risk.yaml:") and "Database migrations" in d["reason"]


def test_a_revision_inside_its_tier_changes_nothing(tbus):
    task, ws, job, jt, g = _low_task(tbus)
    (ws / "README.md").write_text("typo fixed\n")
    check_revision(tbus, job, "build-claude")
    g.submit(jt, job, "pass")
    assert not _events(tbus, task, "task.tier_raised") and tbus.task(task)["tier"] == "low"
    assert _gates(tbus, task)["approval"] == "skipped"


def test_a_protected_path_is_refused_to_an_agent_and_to_a_human_on_an_agents_job(tbus):
    """A human working an agent lane's job (taken over in its workspace) meets that lane's rails: the agents' diff
    guard refuses a protected path for them too, rather than routing it to a second human (ADR 0177)."""
    task, ws, job, jt, g = _low_task(tbus)
    (ws / ".github" / "workflows" / "ci.yml").write_text("on: [push]\n")
    with pytest.raises(Denied, match="ORG-PROTECTED-PATH"):
        check_revision(tbus, job, "build-claude")  # an agent: never
    with pytest.raises(Denied, match="ORG-PROTECTED-PATH"):
        check_revision(tbus, job, "alice")  # a human on the builder lane's job: the builder lane's guard
    assert tbus.task(task)["tier"] == "low"


def test_paths_reach_decide_and_nobody_states_them(tbus):
    task, ws, job, jt, g = _low_task(tbus)
    # before any revision the paths are unknown: not a missing fact read at its worst
    before = tbus.act("deploy.staging", "ops-claude", task, {"environment": "staging"})
    assert "RED-NO-DEPLOY-OF-INFRA-CHANGES" not in [r["id"] for r in before["decision"]["rules"]]
    # a request cannot state them, nor can a task be filed with them
    with pytest.raises(UsageError, match="'paths'"):
        tbus.act("deploy.staging", "ops-claude", task, {"environment": "staging", "paths": ["README.md"]})
    with pytest.raises(UsageError, match="'paths'"):
        tbus.add_task("x", "change", by="alice", attributes={"kind": "docs", "paths": ["README.md"]})
    (ws / "infra").mkdir()
    (ws / "infra" / "main.tf").write_text("x\n")
    check_revision(tbus, job, "build-claude")
    g.submit(jt, job, "pass")
    after = tbus.act("deploy.staging", "ops-claude", task, {"environment": "staging"})
    assert after["decision"]["outcome"] == "deny"
    assert "RED-NO-DEPLOY-OF-INFRA-CHANGES" in [r["id"] for r in after["decision"]["rules"]]


def test_a_paths_condition_is_checked_like_any_other(tier_org):
    from org.config.loader import load_org as load
    from org.errors import ConfigError

    risk = tier_org / "gates" / "risk.yaml"
    risk.write_text(risk.read_text().replace('{paths: {any: ["db/migrations/**"]}}', "{paths: {any: []}}"))
    with pytest.raises(ConfigError) as e:
        load(tier_org)
    assert "gates/risk.yaml" in str(e.value.problems[0]) and "glob" in str(e.value.problems[0])
    risk.write_text(
        risk.read_text().replace("{paths: {any: []}}", '{paths: {any: ["/etc/**"]}, attr: kind, eq: docs}')
    )
    with pytest.raises(ConfigError):
        load(tier_org)


def test_paths_conditions_any_all_and_unknown():
    from org.config.models import Condition
    from org.engine.conditions import compile_condition

    any_ = compile_condition(Condition.model_validate({"paths": {"any": ["infra/**", "*.tf"]}}))
    all_ = compile_condition(Condition.model_validate({"paths": {"all": ["docs/**", "*.md"]}}))
    neg = compile_condition(Condition.model_validate({"not": {"paths": {"any": ["infra/**"]}}}))
    assert not any_({}) and not all_({}) and neg({})  # unknown paths match nothing (not a missing fact)
    assert any_({"paths": ("src/a.py", "modules/x/main.tf")}) and not any_({"paths": ("src/a.py",)})
    assert all_({"paths": ("docs/a.txt", "README.md")}) and not all_({"paths": ("README.md", "src/a.py")})
    # a value that is not a list of paths (a request could only ever bring a string) is no paths at all
    assert not any_({"paths": "infra/main.tf"}) and not any_({"paths": ["infra/x", 3]})


def test_a_rule_that_would_lower_the_tier_never_does(tier_org):
    """A `paths: all` classify rule to a low tier cannot take a medium task down: the tier only rises."""
    from org.config.loader import load_org
    from org.engine.risk import classify_revision

    risk = tier_org / "gates" / "risk.yaml"
    risk.write_text(
        risk.read_text()
        + "    - {id: RISK-MD-ONLY, tier: low, title: Markdown only, when: {paths: {all: ['*.md']}}}\n"
    )
    cfg = load_org(tier_org)
    assert classify_revision(cfg, {"repo": "app"}, "medium", ("README.md",)) is None
    up = classify_revision(cfg, {"repo": "app"}, "medium", ("README.md", "infra/x.tf"))
    assert up is not None and up.tier == "high" and up.rules == ("REPO-APP-RISK-1",)
    assert classify_revision(cfg, {"repo": "app"}, "high", ("infra/x.tf",)) is None


def test_a_paths_condition_reads_as_words():
    from org.adrs.constraints import describe
    from org.config.models import Condition

    c = Condition.model_validate(
        {"all": [{"paths": {"any": ["infra/**"]}}, {"not": {"paths": {"all": ["*.md"]}}}]}
    )
    assert describe(c) == "a changed path matches infra/** and not (every changed path matches *.md)"


def test_a_filer_whose_task_is_raised_to_a_two_person_tier_becomes_an_author(tbus):
    """The two-person rule (ADR 0111) follows a raised tier (review finding): alice files a docs task (low,
    the filer may approve), a revision touches a high-risk path, the task becomes high, where the filer may not
    approve: alice is now among the authors, so she can neither approve nor review it."""
    task, ws, job, jt, g = _low_task(tbus)
    assert "alice" not in tbus.task(task)["state"]["authors"]
    (ws / "infra").mkdir()
    (ws / "infra" / "main.tf").write_text('resource "x" {}\n')
    check_revision(tbus, job, "build-claude")
    g.submit(jt, job, "pass")
    t = tbus.task(task)
    assert t["tier"] == "high"
    assert _events(tbus, task, "task.tier_raised")[0]["data"]["filer_may_approve"] is False
    assert "alice" in t["state"]["authors"]
