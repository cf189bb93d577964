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


@pytest.mark.xfail(
    strict=True,
    reason="issue 19 class 4, open: a fact an action does not require still reads as absent (ADR 0071); "
    "judging declared actions on every fact their rules read needs a per-rule worst reading to stay fast",
)
def test_the_issue_example_a_staging_deploy_filed_without_irreversible_needs_a_human(cfg):
    """`irreversible` is not among deploy.*'s required facts, so a filing that leaves it out reads as 'not
    irreversible' and a staging deploy is allowed with no human, though stated it needs one."""
    stated = decide(cfg, "ops-claude", "deploy.release", {"environment": "staging", "irreversible": True})
    assert stated.outcome == "needs_approval"
    left_out = decide(cfg, "ops-claude", "deploy.release", {"environment": "staging"})
    assert left_out.outcome == "needs_approval", left_out.reason
