"""Issue 19 class 4, the tier a task is filed at (ADR 0275): a fact a tier-raising classify rule reads, left out of
the filing and not settled by the workflow's `implies:`, is read at its worst (the rule fires, the higher tier).
The property: on random orgs with random tier rules and random workflow implications, dropping any attribute
from a filing never gives a lower tier."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.engine import flow
from org.engine.policy import decide
from org.engine.risk import classify_filing
from org.errors import UsageError
from tests.engine.engine_tools import org_with
from tests.helpers import REPO

TIERS = ["low", "medium", "high"]
VALUES = {
    "environment": ["dev", "staging", "production"],
    "disposable": [True, False],
    "irreversible": [True, False],
    "service": ["github", "jira", "prod-db", "deploy"],
    "kind": ["code", "docs", "deploy", "env", "config", "migration", "ops"],
}
DROPPABLE = sorted(VALUES)


def tier(cfg, workflow: str, attrs: dict, requested: str | None = None) -> str:
    events = flow.start_task(cfg, "t1", "a task", workflow, attrs, by="alice", requested_tier=requested)
    return events[0].data["tier"]


# ---- the concrete examples ------------------------------------------------------------------------------


def test_an_ops_task_filed_without_irreversible_is_classified_high(cfg):
    """The class's filing twin of ADR 0220's ops.execute: filed irreversible it is high; silent it was medium."""
    assert tier(cfg, "ops", {"kind": "deploy", "environment": "staging", "irreversible": True}) == "high"
    assert tier(cfg, "ops", {"kind": "deploy", "environment": "staging"}) == "high"
    ev = flow.start_task(cfg, "t1", "Deploy", "ops", {"kind": "deploy", "environment": "staging"}, by="alice")
    assert "RISK-IRREVERSIBLE" in ev[0].data["tier_rules"]
    assert "unknown: irreversible" in ev[0].data["tier_reason"]
    # stated, it is what it says
    assert tier(cfg, "ops", {"kind": "deploy", "environment": "staging", "irreversible": False}) == "medium"


def test_the_newcomer_s_deploy_without_environment_never_lands_below_high(cfg, tmp_path):
    """`org task add "Deploy release 2.5.0" -w ops --set kind=deploy`: the default org's ops workflow requires
    the environment (refused, exit 2); an org whose ops workflow does not require it classifies it high."""
    with pytest.raises(UsageError, match="environment"):
        tier(cfg, "ops", {"kind": "deploy"})
    loose = org_with(tmp_path, edits={"gates/ops.yaml": [("requires: [environment]", "")]})
    assert tier(loose, "ops", {"kind": "deploy"}) == "high"
    assert tier(loose, "ops", {"kind": "deploy", "irreversible": False}) == "high"  # production, at worst


def test_a_change_task_in_an_org_whose_workflow_implies_nothing_is_high(tmp_path):
    """Without the workflow's implications, a change filed `kind: code` could be production or irreversible."""
    bare = org_of(tmp_path, (REPO / "gates/risk.yaml").read_text(), {})
    assert tier(bare, "change", {"kind": "code"}) == "high"
    assert tier(bare, "change", {"kind": "code", "environment": "staging", "irreversible": False}) == "medium"


def test_the_default_org_s_ordinary_filings_keep_their_tiers(cfg):
    """The workflows say what their tasks are (ADR 0275): the README's and the demo's filings are unchanged."""
    assert tier(cfg, "change", {"kind": "code"}) == "medium"
    assert tier(cfg, "change", {"kind": "docs"}) == "low"
    assert tier(cfg, "change", {"kind": "code"}, requested="high") == "high"
    dev = {"kind": "env", "environment": "dev", "disposable": True, "irreversible": False}
    assert tier(cfg, "ops", dev) == "low"
    cred = {"kind": "ops", "environment": "staging", "credential": "jira", "service": "jira"}
    assert tier(cfg, "ops", cred) == "high"


def test_a_fact_the_workflow_says_its_tasks_lack_is_read_both_ways_when_stated(cfg, tmp_path):
    """`change` implies `environment: null`: filed `environment: production` anyway, the higher tier of the two
    readings (RISK-PRODUCTION); filed silent, the workflow settles it (no environment, not unknown)."""
    ev = flow.start_task(cfg, "t1", "Ship", "change", {"kind": "code", "environment": "production"}, by="a")
    assert ev[0].data["tier"] == "high" and "RISK-PRODUCTION" in ev[0].data["tier_rules"]
    # an org whose rule makes the absence the risk: the absent reading wins
    odd = org_with(
        tmp_path,
        edits={
            "gates/risk.yaml": [
                (
                    "tier: low\n      title: Documentation-only changes\n      when: {attr: kind, eq: docs}",
                    "tier: high\n      title: Nowhere known\n      when: {attr: environment, exists: false}",
                )
            ]
        },
    )
    assert tier(odd, "change", {"kind": "code", "environment": "staging"}) == "high"


def test_a_lowering_rule_never_fires_on_silence(tmp_path):
    """RISK-DOCS lowers the tier; an unknown `kind` never reads as docs (the default holds)."""
    bare = org_of(tmp_path, (REPO / "gates/risk.yaml").read_text(), {})
    assert tier(bare, "change", {"environment": "staging", "irreversible": False}) == "medium"


# ---- the property: random orgs, random tier rules, random workflow implications ---------------------------


@st.composite
def condition(draw, depth: int = 0) -> dict:
    if depth < 2 and draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from(["all", "any"]))
        return {op: draw(st.lists(condition(depth + 1), min_size=1, max_size=3))}
    if depth < 2 and draw(st.integers(0, 6)) == 0:
        return {"not": draw(condition(depth + 1))}
    k = draw(st.sampled_from(DROPPABLE))
    op = draw(st.sampled_from(["eq", "ne", "exists"]))
    if op == "exists":
        return {"attr": k, "exists": draw(st.booleans())}
    return {"attr": k, op: draw(st.sampled_from(VALUES[k]))}


@st.composite
def random_org(draw) -> tuple[str, dict]:
    rules = [
        {"id": f"RISK-R{i}", "tier": draw(st.sampled_from(TIERS)), "when": draw(condition())}
        for i in range(draw(st.integers(1, 5)))
    ]
    risk = yaml.safe_load((REPO / "gates/risk.yaml").read_text())
    risk["risk"]["classify"] = rules
    risk["risk"]["default"] = draw(st.sampled_from(TIERS))
    implied = draw(st.dictionaries(st.sampled_from(DROPPABLE), st.none(), max_size=3))
    implies = {k: draw(st.sampled_from([None, *VALUES[k]])) for k in implied}
    return yaml.safe_dump(risk, sort_keys=False), implies


def org_of(tmp, risk_text: str, implies: dict):
    change = yaml.safe_load((REPO / "gates/change.yaml").read_text())
    change.pop("implies", None)
    if implies:
        change["implies"] = implies
    return org_with(
        tmp,
        files={
            "gates/risk.yaml": risk_text,
            "gates/change.yaml": yaml.safe_dump(change, sort_keys=False),
        },
    )


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(org=random_org(), data=st.data())
def test_dropping_any_attribute_of_a_filing_never_lowers_its_tier_on_random_orgs(tmp_path_factory, org, data):
    risk_text, implies = org
    cfg = org_of(tmp_path_factory.mktemp("org"), risk_text, implies)
    for _ in range(6):
        filed = {
            k: implies[k] if implies.get(k) is not None else data.draw(st.sampled_from(VALUES[k]), label=k)
            for k in VALUES
        }
        # sometimes the filing itself is silent on some facts too
        filed = {k: v for k, v in filed.items() if k in implies or data.draw(st.integers(0, 4), label="keep")}
        requested = data.draw(st.sampled_from([None, *TIERS]), label="requested")
        full = tier(cfg, "change", filed, requested)
        # a fact the workflow says its tasks do not have (null) is settled: stating it anyway is the filer's
        # own caution (read both ways), leaving it out is what the workflow says
        droppable = sorted(k for k in filed if implies.get(k, 0) is not None)
        if not droppable:
            continue
        drop = data.draw(st.lists(st.sampled_from(droppable), min_size=1, unique=True), label="drop")
        less = {k: v for k, v in filed.items() if k not in drop}
        got = tier(cfg, "change", less, requested)
        assert TIERS.index(got) >= TIERS.index(full), (filed, drop, full, got, risk_text, implies)


# ---- one rule, two callers: the tier a filing gets and the tier an action's decision reads ------------------


def _rules_reading_the_tier_only() -> str:
    """gates/rules.yaml with one consequential rule reading the derived tier (so decide() derives it) and no
    `actions:` entries (so an action's unknowns are exactly what the rules read, none required or implied)."""
    rules = yaml.safe_load((REPO / "gates/rules.yaml").read_text())
    rules["consequential"] = [
        {"id": "CONSEQ-TOP", "title": "top tier", "when": {"attr": "tier", "eq": "high"}}
    ]
    rules["actions"] = []
    return yaml.safe_dump(rules, sort_keys=False)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(org=random_org(), data=st.data())
def test_a_filing_and_an_action_read_the_same_silence_to_the_same_tier(tmp_path_factory, org, data):
    """The worst tier of a filing silent on facts the classify rules read (risk.classify_filing) and the tier an
    action's decision reads with those facts unknown (Policy.decide) are one rule: on random classify rules, a
    random default and random filings (some facts left out, a tier requested or not) they agree."""
    risk_text, _implies = org
    cfg = org_with(
        tmp_path_factory.mktemp("org"),
        files={"gates/risk.yaml": risk_text, "gates/rules.yaml": _rules_reading_the_tier_only()},
    )
    for _ in range(8):
        filed = {k: data.draw(st.sampled_from(VALUES[k]), label=k) for k in VALUES}
        filed = {k: v for k, v in filed.items() if data.draw(st.integers(0, 2), label="keep")}
        requested = data.draw(st.sampled_from([None, *TIERS]), label="requested")
        filing = classify_filing(cfg, filed, requested).tier
        request = filed if requested is None else {**filed, "tier": requested}
        action = decide(cfg, "ops-claude", "ticket.file", request).attributes["tier"]
        assert filing == action, (filed, requested, filing, action, risk_text)
