"""decide(): outcomes, the rules that matched, reasons, and the exact file:line each rule came from."""

from __future__ import annotations

import pytest

from org.engine.policy import decide
from tests.engine.engine_tools import line_of, org_with

RULES = "gates/rules.yaml"


def src(rel: str, needle: str) -> str:
    return f"{rel}:{line_of(rel, needle)}"


def test_red_credential_reuse_denies_the_security_lane(cfg):
    d = decide(cfg, "sec-gemini", "credential.use", {"credential": "jira", "service": "github"})
    assert d.outcome == "deny" and d.exit_code == 4
    assert d.rule_ids == ["RED-CREDENTIAL-REUSE"]
    (hit,) = d.rules
    assert hit.source == src(RULES, "id: RED-CREDENTIAL-REUSE") and hit.adr == 6 and hit.effect == "deny"
    assert "another service" in d.reason and "RED-CREDENTIAL-REUSE" in d.reason
    assert d.config_hash == cfg.config_hash


@pytest.mark.parametrize("actor", ["sec-gemini", "sec-claude", "build-claude", "ops-gpt", "alice"])
def test_red_rules_bind_every_lane_and_no_approval_lifts_them(cfg, actor):
    d = decide(
        cfg,
        actor,
        "credential.use",
        {"credential": "prod-db", "service": "jira", "environment": "dev"},
        approvals=["alice", "bob"],
    )
    assert d.outcome == "deny" and "RED-CREDENTIAL-REUSE" in d.rule_ids


def test_secret_reveal_is_red_even_for_humans(cfg):
    d = decide(cfg, "bob", "secret.read")
    assert d.outcome == "deny" and "RED-SECRET-REVEAL" in d.rule_ids


def test_host_config_outside_pipeline(cfg):
    ok = decide(
        cfg,
        "sec-claude",
        "host.config.push",
        {"via": "pipeline", "environment": "dev", "irreversible": False},
    )
    assert ok.outcome == "allow", ok.reason
    bad = decide(cfg, "sec-claude", "host.config.push", {"via": "manual"})
    assert bad.rule_ids == ["RED-HOST-CONFIG-OUTSIDE-PIPELINE"]
    assert bad.rules[0].source == src(RULES, "id: RED-HOST-CONFIG-OUTSIDE-PIPELINE")
    # nobody said how: the requirement is not shown to hold, so it denies (missing fails closed)
    assert decide(cfg, "sec-claude", "host.config.push").rule_ids == ["RED-HOST-CONFIG-OUTSIDE-PIPELINE"]


def test_red_and_lane_hits_are_all_reported(cfg):
    d = decide(cfg, "build-claude", "host.config.push", {"via": "manual"})
    assert d.rule_ids == ["RED-HOST-CONFIG-OUTSIDE-PIPELINE", "LANE-BUILDER-MAY-NOT"]


def test_credential_for_its_own_service(cfg):
    dev = decide(
        cfg,
        "build-gpt",
        "credential.use",
        {"credential": "github", "service": "github", "environment": "dev", "irreversible": False},
    )
    assert dev.outcome == "allow" and dev.attributes["credential_service"] == "github"
    prod = decide(
        cfg,
        "build-gpt",
        "credential.use",
        {"credential": "github", "service": "github", "environment": "production", "irreversible": False},
    )
    assert prod.outcome == "needs_approval" and prod.rule_ids == ["CONSEQ-CREDENTIAL", "CONSEQ-PRODUCTION"]
    assert prod.rules[0].source == src(RULES, "id: CONSEQ-CREDENTIAL")
    # environment unknown: credential-bearing work outside dev is not ruled out, so a human approves
    unknown = decide(
        cfg,
        "build-gpt",
        "credential.use",
        {"credential": "github", "service": "github", "irreversible": False},
    )
    assert unknown.rule_ids == ["CONSEQ-CREDENTIAL"]


def test_service_missing_is_reuse(cfg):
    d = decide(cfg, "build-gpt", "credential.use", {"credential": "github", "environment": "dev"})
    assert d.rule_ids == ["RED-CREDENTIAL-REUSE"]


def test_unknown_credential_says_nothing_about_which_exist(cfg):
    d = decide(cfg, "build-gpt", "credential.use", {"credential": "aws-root", "service": "aws"})
    assert d.rule_ids == ["ORG-CREDENTIAL-UNAVAILABLE"]
    assert not any(name in d.reason for name in cfg.credentials)


def test_derived_attributes_cannot_be_set_by_a_request(cfg):
    d = decide(
        cfg,
        "sec-gemini",
        "credential.use",
        {"credential": "jira", "service": "github", "credential_service": "github", "action": "x"},
    )
    assert d.rule_ids == ["RED-CREDENTIAL-REUSE"]
    assert d.attributes["credential_service"] == "jira" and d.attributes["action"] == "credential.use"


def test_lane_may_not_points_at_the_matching_pattern(cfg):
    d = decide(cfg, "build-claude", "deploy.production")
    assert d.rule_ids == ["LANE-BUILDER-MAY-NOT"]
    assert d.rules[0].source == src("lanes/builder.yaml", "- deploy.*")
    assert "deploy.*" in d.reason


def test_lane_may_points_at_the_may_list(cfg):
    d = decide(cfg, "rev-gpt", "ops.plan")
    assert d.rule_ids == ["LANE-REVIEWER-MAY"]
    assert d.rules[0].source == src("lanes/reviewer.yaml", "may:")


def test_unknown_actor(cfg):
    d = decide(cfg, "mallory", "code.read")
    assert d.outcome == "deny" and d.rule_ids == ["ORG-UNKNOWN-ACTOR"]


def test_consequential_needs_a_human_non_author(cfg):
    attrs = {
        "environment": "production",
        "irreversible": False,
    }  # stated: silence on a declared action is unknown
    assert decide(cfg, "ops-claude", "deploy.production", attrs).outcome == "needs_approval"
    ok = decide(cfg, "ops-claude", "deploy.production", attrs, approvals=["alice"])
    assert ok.outcome == "allow" and ok.approved_by == "alice" and ok.rule_ids == ["CONSEQ-PRODUCTION"]
    # an agent's approval, an author's approval and an unknown name do not count
    for approvals, authors in (
        (["sec-gemini"], []),
        (["alice"], ["alice"]),
        (["nobody"], []),
        (["ops-claude"], []),
    ):
        d = decide(cfg, "ops-claude", "deploy.production", attrs, approvals=approvals, authors=authors)
        assert d.outcome == "needs_approval", (approvals, authors)
    # the second human counts when the first is an author
    d = decide(cfg, "ops-claude", "deploy.production", attrs, approvals=["alice", "bob"], authors=["alice"])
    assert d.approved_by == "bob"


def test_a_human_never_approves_their_own_action(cfg):
    d = decide(cfg, "alice", "task.add", {"irreversible": True}, approvals=["alice"])
    assert d.outcome == "needs_approval"
    assert decide(cfg, "alice", "task.add", {"irreversible": True}, approvals=["bob"]).outcome == "allow"


def test_a_human_whose_lane_may_not_approve_does_not_count(tmp_path):
    cfg = org_with(
        tmp_path,
        files={
            "lanes/auditor.yaml": (
                "lane: auditor\nkind: human\npurpose: Reads.\nmay: [code.read]\nmay_not: [approve]\nmembers:\n  - {id: erin}\n"
            )
        },
    )
    attrs = {
        "environment": "production",
        "irreversible": False,
    }  # stated: silence on a declared action is unknown
    assert decide(cfg, "ops-gpt", "deploy.production", attrs, approvals=["erin"]).outcome == "needs_approval"
    assert decide(cfg, "ops-gpt", "deploy.production", attrs, approvals=["erin", "bob"]).approved_by == "bob"


@pytest.mark.parametrize(
    "value,outcome",
    [
        (True, "needs_approval"),
        ("true", "needs_approval"),
        ("Yes", "needs_approval"),
        (" TRUE ", "needs_approval"),
        (False, "allow"),
        ("no", "allow"),
        ("false", "allow"),
        (1, "deny"),
        ("maybe", "deny"),
        ("", "deny"),
    ],
)
def test_bool_attributes_by_declared_type(cfg, value, outcome):
    d = decide(cfg, "build-claude", "code.write", {"irreversible": value, "environment": "dev"})
    assert d.outcome == outcome, d.reason
    if outcome == "deny":
        assert d.rule_ids == ["ORG-BAD-ATTRIBUTE"]
        assert d.rules[0].source == src(RULES, "  irreversible:")


def test_values_outside_the_declared_list_are_refused_not_ignored(cfg):
    # 'prod' would otherwise slip past CONSEQ-PRODUCTION (environment eq production)
    d = decide(cfg, "ops-claude", "deploy.production", {"environment": "prod"})
    assert d.outcome == "deny" and d.rule_ids == ["ORG-BAD-ATTRIBUTE"]
    assert "dev, staging, production" in d.reason


def test_string_attributes_are_not_turned_into_bools(tmp_path):
    cfg = org_with(
        tmp_path, {"gates/credentials.yaml": [("  jira: {service: jira,", "  jira: {service: 'yes',")]}
    )
    d = decide(
        cfg,
        "build-gpt",
        "credential.use",
        {"credential": "jira", "service": "yes", "environment": "dev", "irreversible": False},
    )
    assert d.outcome == "allow", d.reason


def test_none_is_missing(cfg):
    assert (
        decide(cfg, "build-gpt", "code.write", {"credential": None, "environment": "dev"}).outcome == "allow"
    )


def test_tier_is_derived_never_taken_from_the_request(tmp_path):
    rules = "gates/rules.yaml"
    cfg = org_with(
        tmp_path,
        {
            rules: [
                (
                    "    actions: [secret.read, secret.print, credential.reveal]\n",
                    "    actions: [secret.read, secret.print, credential.reveal]\n"
                    "  - id: RED-HIGH-TIER-MERGE\n    title: No merges at high tier\n"
                    "    actions: [code.commit]\n    when: {attr: tier, eq: high}\n",
                )
            ]
        },
    )
    high = {"environment": "production"}
    assert decide(cfg, "build-gpt", "code.commit", high).rule_ids == ["RED-HIGH-TIER-MERGE"]
    # claiming a lower tier does not lower it; asking for a higher one raises it
    assert decide(cfg, "build-gpt", "code.commit", {**high, "tier": "low"}).rule_ids == [
        "RED-HIGH-TIER-MERGE"
    ]
    low = {"kind": "docs", "environment": "dev"}
    assert decide(cfg, "build-gpt", "code.commit", low).outcome == "allow"
    assert decide(cfg, "build-gpt", "code.commit", {**low, "tier": "high"}).rule_ids == [
        "RED-HIGH-TIER-MERGE"
    ]


def test_decisions_are_deterministic_and_pinned(cfg):
    a = decide(
        cfg,
        "ops-gpt",
        "deploy.production",
        {"environment": "production", "credential": "deploy-key", "service": "deploy"},
        approvals=["bob"],
    )
    b = decide(
        cfg,
        "ops-gpt",
        "deploy.production",
        {"environment": "production", "credential": "deploy-key", "service": "deploy"},
        approvals=["bob"],
    )
    assert a == b and a.to_json() == b.to_json() and a.config_hash == cfg.config_hash


def test_decision_json_never_holds_a_secret(cfg, monkeypatch):
    monkeypatch.setenv("ORG_SECRET_GITHUB", "ghp_supersecret")
    d = decide(
        cfg,
        "build-gpt",
        "credential.use",
        {"credential": "github", "service": "github", "environment": "dev"},
    )
    assert "ghp_supersecret" not in str(d.to_json())


_ATTR_VALUES = {
    "environment": ["dev", "staging", "production"],
    "credential": ["github", "jira", "prod-db"],
    "service": ["github", "jira", "prod-db"],
    "via": ["pipeline", "manual"],
    "irreversible": [True, False],
}


def test_decide_within_is_never_weaker_than_either_reading(cfg):
    """Task-pinned attributes against the action's own: the answer is at least as strict as deciding with
    the task's values and at least as strict as deciding with the action's values (900 seeded random draws over the declared values, with and without an approval)."""
    import itertools
    import random

    from org.engine.policy import decide_within

    rank = {"allow": 0, "needs_approval": 1, "deny": 2}
    rng = random.Random(7)
    keys = sorted(_ATTR_VALUES)
    checked = conflicted = 0
    for action, actor in itertools.product(
        ["credential.use", "deploy.production", "host.config.push"], ["ops-claude", "sec-gemini"]
    ):
        for _ in range(150):
            task = {k: rng.choice(_ATTR_VALUES[k]) for k in keys if rng.random() < 0.5}
            act = {k: rng.choice(_ATTR_VALUES[k]) for k in keys if rng.random() < 0.5}
            approvals = ["alice"] if rng.random() < 0.5 else []
            d, conflicts = decide_within(cfg, actor, action, task, act, approvals=approvals)
            for reading in ({**act, **task}, {**task, **act}):
                r = decide(cfg, actor, action, reading, approvals=approvals)
                assert rank[d.outcome] >= rank[r.outcome], (task, act, d, r)
            # via is org's own fact (ADR 0071): what a request says of it is not a conflict, it is ignored
            assert set(conflicts) == {k for k in act if k in task and act[k] != task[k] and k != "via"}
            checked += 1
            conflicted += bool(conflicts)
    assert checked == 900 and conflicted > 200
