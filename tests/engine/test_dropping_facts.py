"""Issue 19 class 4, the property: dropping facts never loosens. For a random action and a filing that states
every declared attribute (random valid values), dropping any subset of the facts the action cannot be judged
without never gives a more permissive decision (allow < approved allow < needs_approval < deny) nor a lower
tier. Checked on the project's default org and on random orgs: random RED and consequential rules (some
reading the derived tier) and random `actions:` requirements over the default org's attributes.

(A fact an action does not require reads as absent when it is left out, e.g. `irreversible` on a code
change: that is a statement of the filing, not an unknown; ADR 0071 says so. Dropping a required fact is
what a hostile filer would try, and it must be read at its worst.)"""

from __future__ import annotations

import itertools

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.engine.policy import compile_policy, decide
from tests.engine.engine_tools import org_with
from tests.helpers import REPO

STRICT = {"allow": 0, "needs_approval": 2, "deny": 3}
VALUES = {
    "environment": ["dev", "staging", "production"],
    "disposable": [True, False],
    "irreversible": [True, False],
    "credential": ["github", "jira", "prod-db", "deploy-key"],
    "service": ["github", "jira", "prod-db", "deploy"],
    "kind": ["code", "docs", "deploy", "env", "config", "migration", "ops"],
}
TIERS = ["low", "medium", "high"]
ACTIONS = [
    "deploy.release",
    "deploy.production",
    "db.migrate",
    "service.restart",
    "env.rebuild",
    "ticket.file",
]


def rank(d) -> int:
    return STRICT[d.outcome] + (1 if d.outcome == "allow" and d.approved_by else 0)


def tier_of(d) -> int:
    t = d.attributes.get("tier")
    return TIERS.index(t) if t in TIERS else -1


def subsets(keys):
    return itertools.chain.from_iterable(itertools.combinations(keys, n) for n in range(1, len(keys) + 1))


def check(cfg, actor: str, action: str, filed: dict) -> None:
    """Every subset of the required facts dropped: never looser, never a lower tier."""
    d = decide(cfg, actor, action, filed, approvals=["bob"])
    required = [k for k in compile_policy(cfg).requires(action) if k in filed]
    for drop in subsets(required):
        less = {k: v for k, v in filed.items() if k not in drop}
        d2 = decide(cfg, actor, action, less, approvals=["bob"])
        assert rank(d2) >= rank(d), (action, drop, filed, d.reason, d2.reason)
        if d2.outcome == d.outcome and "tier" in d.attributes:
            assert tier_of(d2) >= tier_of(d), (action, drop, filed, d.attributes, d2.attributes)


filings = st.fixed_dictionaries({k: st.sampled_from(v) for k, v in VALUES.items()})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.sampled_from(ACTIONS), actor=st.sampled_from(["ops-claude", "build-gpt"]), filed=filings)
def test_dropping_required_facts_never_loosens_on_the_default_org(cfg, action, actor, filed):
    check(cfg, actor, action, filed)


# ---- random orgs: random rules and requirements over the default org's attributes ----------------------


@st.composite
def leaf(draw) -> dict:
    attr = draw(st.sampled_from([*sorted(VALUES), "tier"]))
    vals = TIERS if attr == "tier" else VALUES[attr]
    form = draw(st.sampled_from(["eq", "ne", "in", "not_in", "exists"]))
    if form in ("eq", "ne"):
        return {"attr": attr, form: draw(st.sampled_from(vals))}
    if form in ("in", "not_in"):
        return {
            "attr": attr,
            form: draw(st.lists(st.sampled_from(vals), min_size=1, max_size=2, unique=True)),
        }
    return {"attr": attr, "exists": draw(st.booleans())}


conditions = st.recursive(
    leaf(),
    lambda sub: st.one_of(
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: {"all": xs}),
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: {"any": xs}),
        sub.map(lambda x: {"not": x}),
    ),
    max_leaves=4,
)


@st.composite
def rules_files(draw) -> str:
    base = yaml.safe_load((REPO / "gates/rules.yaml").read_text())

    def rules(prefix: str) -> list[dict]:
        out = []
        for i in range(draw(st.integers(0, 3))):
            r = {"id": f"{prefix}-R{i}", "title": f"random rule {i}", "when": draw(conditions)}
            if draw(st.booleans()):
                r["actions"] = draw(st.lists(st.sampled_from([*ACTIONS, "deploy.*"]), min_size=1, max_size=2))
            out.append(r)
        return out

    base["red"] = rules("RED")
    base["consequential"] = rules("CONSEQ")
    facts = []
    for _ in range(draw(st.integers(1, 3))):
        f: dict = {"actions": draw(st.lists(st.sampled_from([*ACTIONS, "deploy.*"]), min_size=1, max_size=2))}
        f["requires"] = draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=3, unique=True))
        facts.append(f)
    base["actions"] = facts
    return yaml.safe_dump(base, sort_keys=False)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=rules_files(), data=st.data())
def test_dropping_required_facts_never_loosens_on_random_orgs(tmp_path_factory, text, data):
    cfg = org_with(tmp_path_factory.mktemp("rnd"), files={"gates/rules.yaml": text})
    for _ in range(5):
        action = data.draw(st.sampled_from(ACTIONS))
        check(cfg, data.draw(st.sampled_from(["ops-claude", "build-gpt"])), action, data.draw(filings))


def test_the_issue_example_a_staging_deploy_filed_without_irreversible_needs_a_human(cfg):
    """`irreversible` is not among deploy.*'s required facts; a filing that leaves it out used to read as 'not
    irreversible', so a staging deploy was allowed with no human, though stated it needs one."""
    stated = decide(cfg, "ops-claude", "deploy.release", {"environment": "staging", "irreversible": True})
    assert stated.outcome == "needs_approval"
    left_out = decide(cfg, "ops-claude", "deploy.release", {"environment": "staging"})
    assert left_out.outcome == "needs_approval", left_out.reason
    assert "CONSEQ-IRREVERSIBLE" in left_out.rule_ids
    assert "unknown: irreversible" in left_out.reason
    # stated harmless, it is judged as stated: the worst reading is only for what nobody stated
    said = decide(cfg, "ops-claude", "deploy.release", {"environment": "staging", "irreversible": False})
    assert said.outcome == "allow", said.reason


@pytest.mark.parametrize("action", ["service.restart", "env.rebuild", "deploy.release", "host.config.push"])
def test_every_declared_action_left_silent_reads_at_its_worst(cfg, action):
    """The siblings: every action the org declares (`actions:`), on a dev environment, filed silent on a fact
    a consequential rule reads, is never looser than the same filing stating its worst value."""
    base = {"environment": "dev", "disposable": True}
    for k, worst in (("irreversible", True), ("environment", "production")):
        stated = decide(cfg, "ops-claude", action, {**base, k: worst})
        less = {key: v for key, v in base.items() if key != k}
        silent = decide(cfg, "ops-claude", action, less)
        assert rank(silent) >= rank(stated), (action, k, silent.reason, stated.reason)


def test_org_facts_the_broker_s_credential_and_implied_facts_are_not_unknowns(cfg):
    """Not every silence is an unknown: `via` is org's own fact (absent: org's pipeline is not carrying it out),
    a credential is what the broker supplies (absent: none is used), an implied fact is known."""
    d = decide(cfg, "ops-claude", "deploy.production", {"irreversible": False}, approvals=["bob"])
    assert d.outcome == "allow" and d.approved_by == "bob", d.reason
    assert "unknown" not in d.reason
    d = decide(cfg, "ops-claude", "service.restart", {"environment": "dev", "irreversible": False})
    assert d.outcome == "allow", d.reason


def test_a_rule_reading_the_tier_fires_when_an_unknown_could_raise_it(tmp_path):
    """A consequential rule on the derived tier: a fact left out that could raise the tier raises it."""
    base = yaml.safe_load((REPO / "gates/rules.yaml").read_text())
    base["consequential"] = [
        {"id": "CONSEQ-HIGH", "title": "high tier", "when": {"attr": "tier", "eq": "high"}}
    ]
    cfg = org_with(tmp_path, files={"gates/rules.yaml": yaml.safe_dump(base, sort_keys=False)})
    stated = decide(cfg, "ops-claude", "service.restart", {"environment": "dev", "irreversible": False})
    assert stated.outcome == "allow", stated.reason
    silent = decide(cfg, "ops-claude", "service.restart", {"environment": "dev"})
    assert silent.outcome == "needs_approval" and silent.attributes["tier"] == "high", silent.reason


# ---- the property over ANY attribute: silence is never looser than any value it could have had ---------


def declared(cfg, action: str) -> bool:
    pol = compile_policy(cfg)
    return bool(pol.requires(action) or pol.implies(action))


def check_any(cfg, actor: str, action: str, filed: dict, drop: tuple[str, ...], refill: dict) -> None:
    """Dropping `drop` (any attributes but the broker's credential) is at least as strict as the filing with
    any values in their place (`refill`), and its tier is no lower."""
    less = {k: v for k, v in filed.items() if k not in drop}
    silent = decide(cfg, actor, action, less, approvals=["bob"])
    full = decide(cfg, actor, action, {**less, **refill}, approvals=["bob"])
    assert rank(silent) >= rank(full), (action, drop, refill, less, silent.reason, full.reason)
    if "tier" in full.attributes:
        assert tier_of(silent) >= tier_of(full), (action, drop, refill, silent.attributes, full.attributes)


DROPPABLE = sorted(k for k in VALUES if k != "credential")
# any filing: each fact stated or not (a credential on every filing would need a human anyway and hide the rest)
some_filings = st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in VALUES.items()})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    action=st.sampled_from(ACTIONS),
    actor=st.sampled_from(["ops-claude", "build-gpt"]),
    filed=some_filings,
    data=st.data(),
)
def test_dropping_any_attribute_never_loosens_on_the_default_org(cfg, action, actor, filed, data):
    if not declared(cfg, action):
        return
    drop = tuple(data.draw(st.lists(st.sampled_from(DROPPABLE), min_size=1, unique=True)))
    refill = {k: data.draw(st.sampled_from(VALUES[k])) for k in drop}
    check_any(cfg, actor, action, filed, drop, refill)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=rules_files(), data=st.data())
def test_dropping_any_attribute_never_loosens_on_random_orgs(tmp_path_factory, text, data):
    cfg = org_with(tmp_path_factory.mktemp("rnd"), files={"gates/rules.yaml": text})
    for _ in range(6):
        action = data.draw(st.sampled_from(ACTIONS))
        if not declared(cfg, action):
            continue
        drop = tuple(data.draw(st.lists(st.sampled_from(DROPPABLE), min_size=1, unique=True)))
        refill = {k: data.draw(st.sampled_from(VALUES[k])) for k in drop}
        actor = data.draw(st.sampled_from(["ops-claude", "build-gpt"]))
        check_any(cfg, actor, action, data.draw(some_filings), drop, refill)
