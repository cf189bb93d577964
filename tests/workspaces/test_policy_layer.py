"""A repository's .org/policy.yaml is read from its target branch's commit (never a workspace), shown by
`org config show --repo`, refused with FILE:LINE when it loosens (DESIGN invariant 19)."""

from __future__ import annotations

import json
from pathlib import Path

from org.config.loader import load_org
from org.workspaces.policyfile import read_repo_policy
from tests.helpers import run_org
from tests.workspaces.gitrepo import commit_file, sh_git


def test_read_from_the_target_branch_only(ws_org: Path, source: Path) -> None:
    cfg = load_org(ws_org)
    assert read_repo_policy(ws_org, cfg, "app") == (None, sh_git(source, "rev-parse", "main"))
    head = commit_file(source, ".org/policy.yaml", "limits: {max_rework_rounds: 1}\n")
    # a branch other than the target, and an uncommitted edit, are not policy
    sh_git(source, "checkout", "-q", "-b", "side")
    commit_file(source, ".org/policy.yaml", "limits: {max_rework_rounds: 0}\n")
    (source / ".org" / "policy.yaml").write_text("tier: high\n")
    assert read_repo_policy(ws_org, cfg, "app") == ("limits: {max_rework_rounds: 1}\n", head)


def test_config_show_with_a_repository(ws_org: Path, source: Path) -> None:
    commit_file(source, ".org/policy.yaml", "# tighter here\nlimits:\n  max_rework_rounds: 1\n")
    r = run_org("config", "show", "--repo", "app", "--layers", "--json", root=ws_org)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["layers"] == ["org", "repo"]
    got = {v["path"]: v for v in out["values"]}
    v = got["workflows.change.limits.max_rework_rounds"]
    assert v["value"] == 1 and v["layer"] == "repo" and v["source"].endswith(":.org/policy.yaml:3")
    assert [s["layer"] for s in v["layers"]] == ["org", "repo"]
    assert v["layers"][0]["source"].startswith("gates/change.yaml:")
    assert ".org/policy.yaml" in got["repos.app.protected"]["value"]
    human = run_org("config", "show", "--repo", "app", "--layers", root=ws_org)
    assert human.returncode == 0 and "was org" in human.stdout


def test_a_loosening_repository_is_exit_2_with_its_line(ws_org: Path, source: Path) -> None:
    commit_file(source, ".org/policy.yaml", "limits:\n  max_rework_rounds: 50\n")
    r = run_org("config", "show", "--repo", "app", root=ws_org)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert ":.org/policy.yaml:2: limits.max_rework_rounds: widens" in r.stderr, r.stderr
    assert "gates/change.yaml:" in r.stderr
