"""Risk classification, gate plans per tier (skipped recorded with the reason), graphs and bypass paths."""

from __future__ import annotations

import pytest

from org.engine.graph import START, build_graph, plan_for
from org.engine.proofs import bypass_path, prove
from org.engine.risk import classify
from tests.engine.engine_tools import line_of

RISK = "gates/risk.yaml"


@pytest.mark.parametrize(
    "attrs,tier,rules",
    [
        ({"kind": "docs"}, "low", ("RISK-DOCS",)),
        ({"environment": "dev", "disposable": True}, "low", ("RISK-DISPOSABLE-DEV",)),
        ({"environment": "dev", "disposable": "yes"}, "low", ("RISK-DISPOSABLE-DEV",)),
        ({"environment": "production"}, "high", ("RISK-PRODUCTION",)),
        ({"irreversible": "true"}, "high", ("RISK-IRREVERSIBLE",)),
        ({"credential": "github", "environment": "staging"}, "high", ("RISK-CREDENTIAL",)),
        ({"credential": "github"}, "high", ("RISK-CREDENTIAL",)),  # environment unknown: not dev
        ({"credential": "github", "environment": "dev"}, "medium", ()),
        (
            {"kind": "docs", "environment": "production"},
            "high",
            ("RISK-DOCS", "RISK-PRODUCTION"),
        ),  # highest wins
        ({}, "medium", ()),
        ({"environment": "prod"}, "medium", ()),  # a bad value counts as missing here
    ],
)
def test_classify(cfg, attrs, tier, rules):
    c = classify(cfg, attrs)
    assert (c.tier, c.rules) == (tier, rules)
    if rules:
        assert c.sources == tuple(f"{RISK}:{line_of(RISK, f'id: {r}')}" for r in rules)
        top = rules[-1] if tier == "high" else rules[0]
        assert c.reason.startswith(f"{top}: ")
    else:
        assert c.sources == (f"{RISK}:{line_of(RISK, 'default: medium')}",) and "default" in c.reason


def test_requested_tier_raises_never_lowers(cfg):
    assert classify(cfg, {"kind": "docs"}, "high").tier == "high"
    c = classify(cfg, {"environment": "production"}, "low")
    assert c.tier == "high" and c.rules == ("RISK-PRODUCTION",)


@pytest.mark.parametrize(
    "tier,skipped",
    [
        ("low", {"spec", "security", "design", "approval"}),
        ("medium", {"design", "approval"}),
        ("high", set()),
    ],
)
def test_plan_for_change(cfg, tier, skipped):
    wf = cfg.workflows["change"]
    plan = plan_for(wf, tier)
    assert set(plan.skipped) == skipped
    assert set(plan.required) == set(wf.gates) - skipped - {"done"}
    assert plan.terminal == "done" and plan.order[-1] == "done"
    for g, why in plan.skipped.items():
        assert f"not required at tier '{tier}'" in why and ", ".join(wf.gates[g].tiers) in why
    assert set(plan.required_controls) == {
        g for g in plan.required if wf.gates[g].kind in ("review", "approval", "check")
    }
    # the order respects every 'after' link
    pos = {g: i for i, g in enumerate(plan.order)}
    assert all(pos[d] < pos[g] for g, spec in wf.gates.items() for d in spec.after)


def test_graph_has_start_joins_and_rework_edges(cfg):
    wf = cfg.workflows["change"]
    g = build_graph(wf)
    assert list(g.successors(START)) == ["spec"]
    assert set(g.predecessors("design")) == {"correctness", "security"}
    assert not g.has_edge("correctness", "implement")
    r = build_graph(wf, rework=True)
    assert r.edges["correctness", "implement"]["kind"] == "rework"
    assert r.edges["implement", "correctness"]["kind"] == "flow"


def test_default_org_has_no_bypass_and_proves_clean(cfg):
    assert prove(cfg) == []
    for wf in cfg.workflows.values():
        for t in cfg.risk.tiers:
            assert bypass_path(wf, t.id) is None
