"""Issue 19 class 4 for actions the org does not declare: their silence is read at its worst too. ADR 0168
read a missing fact at its worst only for actions in the `actions:` catalogue; an undeclared action (an
operator's ops.execute, anything a wildcard lane may take) read it as absent, i.e. harmless. Now every action's
silence is read at its worst for every RED, consequential and tier-raising rule, and org's own verbs and the
declared workspace actions say what they imply (ADR 0220)."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.engine.policy import compile_policy, decide
from tests.engine.engine_tools import org_with
from tests.engine.test_dropping_facts import (
    ACTIONS,
    VALUES,
    check_any,
    rank,
    rules_files,
    some_filings,
)
from tests.helpers import REPO

WILD = "  - ops.plan\n  - data.*\n  - report.*\n  - bucket.*\n"
UNDECLARED = ["ops.execute", "data.purge", "Data.Purge", "report.send", "work.submit", "scan.run"]


def test_an_undeclared_operator_action_left_silent_needs_what_stated_needs(cfg):
    """ops.execute (the execute gate's action) is in no `actions:` entry: filed without `irreversible` it was
    allowed with no human, though filed irreversible it needs one."""
    stated = decide(cfg, "ops-claude", "ops.execute", {"environment": "staging", "irreversible": True})
    assert stated.outcome == "needs_approval", stated.reason
    silent = decide(cfg, "ops-claude", "ops.execute", {"environment": "staging"})
    assert silent.outcome == "needs_approval", silent.reason
    assert "CONSEQ-IRREVERSIBLE" in silent.rule_ids and "unknown: irreversible" in silent.reason


def wildcard_org(tmp_path):
    return org_with(tmp_path, edits={"lanes/operator.yaml": [("  - ops.plan\n", WILD)]})


@pytest.mark.parametrize("action", ["data.purge", "DATA.purge", "report.send", "bucket.empty"])
def test_a_wildcard_lane_s_undeclared_action_left_silent_is_read_at_its_worst(tmp_path, action):
    cfg = wildcard_org(tmp_path)
    for fact, worst in (("irreversible", True), ("environment", "production")):
        stated = decide(cfg, "ops-claude", action, {fact: worst})
        assert stated.outcome == "needs_approval", (action, fact, stated.reason)
        silent = decide(cfg, "ops-claude", action, {})
        assert rank(silent) >= rank(stated), (action, fact, silent.reason)


def test_org_s_own_verbs_and_the_workspace_actions_stay_allowed_when_silent(cfg):
    """What org's verbs and the declared workspace actions imply is known, not missing: a human approving,
    pausing or filing, and a builder writing in its workspace, are not held for a human."""
    for actor, action in (
        ("alice", "approve"),
        ("alice", "reject"),
        ("alice", "pause"),
        ("alice", "resume"),
        ("alice", "task.add"),
        ("build-gpt", "code.write"),
        ("build-gpt", "spec.write"),
        ("build-gpt", "branch.push"),
        ("build-gpt", "test.run"),
        ("rev-gpt", "review.file"),
        ("sec-gpt", "scan.run"),
        ("ops-claude", "ops.plan"),
    ):
        d = decide(cfg, actor, action, {})
        assert d.outcome == "allow", (actor, action, d.reason)


def test_a_filing_that_contradicts_an_implication_is_read_both_ways(cfg):
    """code.write implies irreversible: false; a task filed irreversible: true is not loosened by it."""
    d = decide(cfg, "build-gpt", "code.write", {"irreversible": True})
    assert d.outcome == "needs_approval", d.reason
    d = decide(cfg, "build-gpt", "code.write", {"environment": "production"})
    assert d.outcome == "needs_approval", d.reason


# ---- the property over every action, declared or not -----------------------------------------------------

ANY_ACTION = st.sampled_from([*ACTIONS, *UNDECLARED, "code.write", "approve", "review.file"])
DROPPABLE = sorted(k for k in VALUES if k != "credential")


def refill_for(cfg, action: str, drop, data) -> dict:
    """Values in the place of the dropped facts: any value, but an implied fact has only its implied value
    (an action always has it; a request saying otherwise is read both ways, never looser)."""
    implied = compile_policy(cfg).implies(action)
    out = {}
    for k in drop:
        if k in implied:
            if implied[k] is not None:
                out[k] = implied[k]
        else:
            out[k] = data.draw(st.sampled_from(VALUES[k]))
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    action=ANY_ACTION | st.just("ops.execute"),  # often the default org's own undeclared action
    actor=st.sampled_from(["ops-claude", "ops-claude", "build-gpt", "sec-gpt", "alice"]),
    filed=some_filings,
    data=st.data(),
)
def test_dropping_any_attribute_of_any_action_never_loosens_on_the_default_org(
    cfg, action, actor, filed, data
):
    drop = tuple(data.draw(st.lists(st.sampled_from(DROPPABLE), min_size=1, unique=True)))
    check_any(cfg, actor, action, filed, drop, refill_for(cfg, action, drop, data))


@st.composite
def random_rules(draw) -> str:
    """rules_files with random `implies` too, on declared and undeclared actions."""
    base = yaml.safe_load(draw(rules_files()))
    for f in base["actions"]:
        if draw(st.booleans()):
            k = draw(st.sampled_from(DROPPABLE))
            f["implies"] = {k: draw(st.sampled_from(VALUES[k]))}
    return yaml.safe_dump(base, sort_keys=False)


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=random_rules(), data=st.data())
def test_dropping_any_attribute_of_any_action_never_loosens_on_random_orgs(tmp_path_factory, text, data):
    root = tmp_path_factory.mktemp("rnd")
    cfg = org_with(
        root,
        files={"gates/rules.yaml": text},
        edits={"lanes/operator.yaml": [("  - ops.plan\n", WILD)]},
    )
    for _ in range(6):
        action = data.draw(ANY_ACTION)
        drop = tuple(data.draw(st.lists(st.sampled_from(DROPPABLE), min_size=1, unique=True)))
        actor = data.draw(st.sampled_from(["ops-claude", "build-gpt"]))
        check_any(cfg, actor, action, data.draw(some_filings), drop, refill_for(cfg, action, drop, data))


def test_the_default_rules_file_declares_the_workspace_actions():
    """The catalogue says what code actions imply, so their silence is not read at its worst by accident."""
    text = (REPO / "gates/rules.yaml").read_text()
    assert "code.*" in text


# ---- a workflow implies facts for all its actions ---------------------------------------------------------


def test_a_workflow_s_implied_facts_hold_for_every_task_and_action_of_it(tmp_path):
    """gates/ops.yaml `implies: {irreversible: true}`: a task filed silent has it (the high tier, every action
    read with it); a filing saying otherwise is refused with the workflow's file and line (exit 2)."""
    from org.engine import flow
    from org.errors import UsageError

    cfg = org_with(
        tmp_path,
        edits={
            "gates/ops.yaml": [
                ("requires: [environment]", "requires: [environment]\nimplies: {irreversible: true}")
            ]
        },
    )
    events = flow.start_task(cfg, "t1", "Migrate", "ops", {"environment": "staging"}, by="alice")
    assert events[0].data["attributes"]["irreversible"] is True and events[0].data["tier"] == "high"
    with pytest.raises(UsageError, match=r"gates/ops.yaml:\d+.*irreversible"):
        flow.start_task(
            cfg, "t2", "Migrate", "ops", {"environment": "staging", "irreversible": False}, by="alice"
        )


@pytest.mark.parametrize(
    ("implies", "why"),
    [
        ("{tide: high}", "unknown attribute 'tide'"),
        ("{environment: moon}", "not a value"),
        ("{via: pipeline}", "derived by org"),
        ("{irreversible: maybe}", "not a value"),
    ],
)
def test_a_workflow_implying_a_fact_it_cannot_is_a_config_error(tmp_path, implies, why):
    from org.errors import ConfigError

    with pytest.raises(ConfigError, match=rf"gates/ops.yaml:\d+: implies\.\w+: .*{why}"):
        org_with(
            tmp_path,
            edits={
                "gates/ops.yaml": [
                    ("requires: [environment]", f"requires: [environment]\nimplies: {implies}")
                ]
            },
        )
