"""Issue 19 classes 3 and 4: exemptions through declared attributes and action spellings, self-declared facts,
and missing facts read as harmless. Attacks as a hostile user or a misbehaving agent would write them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.engine import flow
from org.engine.policy import decide, decide_within
from org.errors import ConfigError, UsageError
from tests.engine.engine_tools import org_with

RULES = "gates/rules.yaml"
STRICT = {"allow": 0, "needs_approval": 2, "deny": 3}


def rank(d) -> int:
    return STRICT[d.outcome] + (1 if d.outcome == "allow" and d.approved_by else 0)


# ---- class 3: who acts is never a fact a rule reads -------------------------------------------------------


@pytest.mark.parametrize(
    "decl",
    [
        "  team: {type: str}\n",
        "  role: {type: str, values: [admin, dev]}\n",
        "  requested_by: {type: str}\n",
        "  owner_team: {type: str}\n",
        "  department: {type: str}\n",
        "  squad: {type: str, description: Where the work goes.}\n",
        "  origin: {type: str, description: Who asks for the change.}\n",
        "  cohort: {type: str, description: The group the requester belongs to.}\n",
    ],
)
def test_validate_refuses_attributes_that_name_or_describe_who_acts(tmp_path, decl):
    with pytest.raises(ConfigError) as e:
        org_with(tmp_path, {RULES: [("attributes:\n", "attributes:\n" + decl)]})
    name = decl.split(":")[0].strip()
    hits = [p for p in e.value.problems if p.path == f"attributes.{name}"]
    assert hits and hits[0].file == RULES and hits[0].line > 0, [str(p) for p in e.value.problems]
    assert "who acts" in hits[0].message


def test_the_issue_example_team_exemption_is_refused(tmp_path):
    edits = {
        RULES: [
            ("attributes:\n", "attributes:\n  team: {type: str}\n"),
            (
                "    when: {attr: via, ne: pipeline}\n",
                "    when:\n      all:\n        - {attr: via, ne: pipeline}\n        - {attr: team, ne: security}\n",
            ),
        ]
    }
    with pytest.raises(ConfigError):
        org_with(tmp_path, edits)


# A lane with wildcards in its may: spellings of RED actions must not slip past the RED rules.
WILD = (
    "lane: wild\nkind: agent\npurpose: p\nmay: ['*.push', '*.read', '*.print', '*.reveal']\n"
    "members:\n  - {id: wild-gpt, model: openai/gpt-5}\n"
)
LOOKALIKE = {"o": "\u043e", "e": "\u0435", "a": "\u0430", "c": "\u0441", "p": "\u0440", "s": "\u0455"}


@st.composite
def spellings(draw, action: str) -> str:
    out = []
    for ch in action:
        how = draw(st.sampled_from(["same", "same", "upper", "fullwidth", "lookalike", "invisible"]))
        if how == "upper":
            out.append(ch.upper())
        elif how == "fullwidth" and ch.isalpha():
            out.append(chr(ord(ch) - 0x21 + 0xFF01))
        elif how == "lookalike" and ch in LOOKALIKE:
            out.append(LOOKALIKE[ch])
        elif how == "invisible":
            out.append(ch + draw(st.sampled_from(["\u200b", "\u00ad", "\u2060", "\ufeff"])))
        else:
            out.append(ch)
    pad = draw(st.sampled_from(["", " ", "\t", "\n"]))
    return pad + "".join(out) + pad


@pytest.fixture(scope="module")
def wild(tmp_path_factory):
    return org_with(tmp_path_factory.mktemp("wild"), files={"lanes/wild.yaml": WILD})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_spelling_of_a_red_action_is_allowed(wild, data):
    action = data.draw(
        st.sampled_from(["host.config.push", "secret.read", "secret.print", "credential.reveal"])
    )
    spelt = data.draw(spellings(action))
    d = decide(wild, "wild-gpt", spelt, {"via": "manual"})
    assert d.outcome == "deny", (repr(spelt), d.reason)


def test_an_acting_agent_cannot_claim_the_pipeline(cfg):
    # via is a fact org derives (its pipeline carries the action out), not the requester's word
    d, _ = decide_within(cfg, "sec-gemini", "host.config.push", {}, {"via": "pipeline"})
    assert d.outcome == "deny" and "RED-HOST-CONFIG-OUTSIDE-PIPELINE" in d.rule_ids


def test_an_acting_agent_cannot_claim_its_way_under_a_consequential_rule(cfg):
    task = {"kind": "ops", "credential": "deploy-key", "service": "deploy"}  # filed without environment
    d, _ = decide_within(cfg, "ops-claude", "credential.use", task, {"environment": "dev"})
    assert d.outcome == "needs_approval", d.reason


@pytest.mark.parametrize("value", ["PROD-DB", "Prod-Db", "\uff50rod-db", " prod-db "])
def test_attribute_values_are_canonical_before_a_rule_sees_them(tmp_path, value):
    cfg = org_with(
        tmp_path,
        {
            RULES: [
                (
                    "red:\n",
                    "red:\n  - id: RED-NO-PROD-DB\n    title: never\n"
                    "    when: {attr: service, eq: prod-db}\n",
                )
            ]
        },
    )
    d = decide(
        cfg, "ops-claude", "service.restart", {"service": value, "environment": "dev", "irreversible": False}
    )
    assert d.outcome == "deny" and "RED-NO-PROD-DB" in d.rule_ids, d.reason


@pytest.mark.parametrize("value", ["PRODUCTION", "Production", "\uff50roduction"])
def test_enumerated_values_in_other_spellings_are_the_value(cfg, value):
    d = decide(cfg, "ops-claude", "service.restart", {"environment": value, "irreversible": False})
    assert d.outcome == "needs_approval" and "CONSEQ-PRODUCTION" in d.rule_ids, d.reason


# ---- class 4: missing facts never loosen ------------------------------------------------------------------


def test_the_issue_example_deploy_without_environment_needs_a_human(cfg):
    d, _ = decide_within(cfg, "ops-claude", "deploy.production", {"kind": "deploy"}, {})
    assert d.outcome == "needs_approval", d.reason


@pytest.mark.parametrize(
    "action,task",
    [
        ("deploy.release", {"kind": "deploy", "irreversible": False}),  # production unknown
        ("db.migrate", {"kind": "migration", "environment": "staging"}),  # irreversible unknown
        ("service.restart", {"kind": "ops", "irreversible": False}),
        ("env.rebuild", {"kind": "env", "irreversible": False}),
    ],
)
def test_an_action_missing_a_fact_it_requires_is_read_at_its_worst(cfg, action, task):
    d, _ = decide_within(cfg, "ops-claude", action, task, {})
    assert d.outcome == "needs_approval", d.reason


def test_an_ops_task_is_not_filed_without_the_facts_its_workflow_requires(cfg):
    with pytest.raises(UsageError) as e:
        flow.start_task(cfg, "t1", "Deploy release 2.5.0", "ops", {"kind": "deploy"}, by="alice")
    assert "environment" in e.value.message


ACTIONS = [
    "deploy.production",
    "deploy.release",
    "db.migrate",
    "env.rebuild",
    "service.restart",
    "host.config.push",
    "credential.use",
    "code.write",
    "review.file",
    "secret.rotate",
]
VALUES = {
    "environment": ["dev", "staging", "production"],
    "disposable": [True, False],
    "irreversible": [True, False],
    "credential": ["github", "jira", "prod-db", "deploy-key"],
    "service": ["github", "jira", "prod-db", "deploy"],
    "via": ["pipeline", "manual", "agent"],
    "kind": ["code", "docs", "deploy", "env", "config", "migration", "ops"],
}
attrs = st.dictionaries(st.sampled_from(sorted(VALUES)), st.none(), max_size=5).flatmap(
    lambda d: st.fixed_dictionaries({k: st.sampled_from(VALUES[k]) for k in d})
)


@settings(max_examples=400, deadline=None)
@given(
    action=st.sampled_from(ACTIONS),
    actor=st.sampled_from(["ops-claude", "sec-gpt", "build-gpt", "alice"]),
    task=attrs,
    claims=attrs,
    data=st.data(),
)
def test_claims_never_loosen_and_dropping_a_required_fact_never_loosens(
    cfg, action, actor, task, claims, data
):
    """Whatever an acting agent adds to its request never gives a more permissive answer than leaving it out
    (its claims can only tighten); dropping a fact the action requires never does either (a missing fact
    reads at its worst)."""
    d, _ = decide_within(cfg, actor, action, task, claims, approvals=["bob"])
    if claims:
        k = data.draw(st.sampled_from(sorted(claims)))
        less = {a: v for a, v in claims.items() if a != k}
        d2, _ = decide_within(cfg, actor, action, task, less, approvals=["bob"])
        assert rank(d) >= rank(d2) or d2.outcome == d.outcome, (k, d.reason, d2.reason)
    from org.engine.policy import compile_policy

    required = compile_policy(cfg).requires(action)
    present = sorted(set(required) & set(task))
    if present:
        k = data.draw(st.sampled_from(present))
        less = {a: v for a, v in task.items() if a != k}
        d3, _ = decide_within(cfg, actor, action, less, claims, approvals=["bob"])
        assert rank(d3) >= rank(d) or d3.outcome == d.outcome, (k, d.reason, d3.reason)
