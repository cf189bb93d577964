"""gates/repos.yaml: strict schema, FILE:LINE errors, cross-checks (tiers, tests gates, no lane merges)."""

from __future__ import annotations

from pathlib import Path

import pytest

from org.config.loader import load_org
from org.config.repos import glob_match, task_repo
from org.errors import ConfigError, NotFound, UsageError
from tests.helpers import run_org


def _problems(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load_org(root)
    return [str(p) for p in e.value.problems]


def test_repos_load_with_their_rules(ws_org, source):
    cfg = load_org(ws_org)
    app = cfg.repos["app"]
    assert app.path == str(source) and app.target == "main" and app.merge == "merge"
    assert app.test.timeout == 120 and app.retest_on_merge is True
    assert app.max_diff.files == 20 and app.risk[0].tier == "high"
    assert cfg.source("repo:app") == "gates/repos.yaml:2"
    assert "gates/repos.yaml" in cfg.files  # the repositories are pinned policy like every other file


@pytest.mark.parametrize(
    "body, where, says",
    [
        ("repos:\n  app:\n    path: /x\n    url: file:///y\n", "gates/repos.yaml:2", "exactly one of 'path'"),
        ("repos:\n  app:\n    target: main\n", "gates/repos.yaml:2", "exactly one of 'path'"),
        (
            "repos:\n  app:\n    path: /x\n    protected: ['/etc/**']\n",
            "gates/repos.yaml:4",
            "relative to the repository",
        ),
        ("repos:\n  app:\n    path: /x\n    merge: rebase\n", "gates/repos.yaml:4", "fast-forward"),
        (
            "repos:\n  app:\n    path: /x\n    test: {run: pytest, timeout: 0}\n",
            "gates/repos.yaml:4",
            "greater than",
        ),
        ("repos:\n  app:\n    path: /x\n    bypass_guard: true\n", "gates/repos.yaml:4", "no exemptions"),
        ("repos:\n  app:\n    path: /x\n    target: org/T-1\n", "gates/repos.yaml:4", "org's own"),
        ("repos:\n  app:\n    path: /x\n    target: 'a..b'\n", "gates/repos.yaml:4", "not a branch"),
        (
            "repos:\n  app:\n    path: /x\n    risk:\n      - {paths: ['infra/**'], tier: extreme}\n",
            "gates/repos.yaml:5",
            "unknown tier 'extreme'",
        ),
        ("repos:\n  App!:\n    path: /x\n", "gates/repos.yaml:1", "must match"),
        ("repos:\n  app:\n    path: '-uhoh'\n", "gates/repos.yaml:2", "not a repository location"),
    ],
)
def test_bad_repos_file_is_reported_with_its_line(org_copy, body, where, says):
    (org_copy / "gates" / "repos.yaml").write_text(body)
    probs = _problems(org_copy)
    assert any(p.startswith(where) and says in p for p in probs), probs


@pytest.mark.parametrize("pattern", ["branch.merge", "branch.*", "*", "bra*"])
def test_no_lane_may_be_given_branch_merge(org_copy, pattern):
    lane = org_copy / "lanes" / "builder.yaml"
    text = lane.read_text().replace("  - spec.write\n", f"  - spec.write\n  - '{pattern}'\n")
    lane.write_text(text.replace("  - branch.merge\n", ""))
    probs = _problems(org_copy)
    assert any(
        p.startswith("lanes/builder.yaml:8: may.1") and "only org's pipeline merges" in p for p in probs
    ), probs


def test_a_tests_gate_needs_a_repository_workflow(org_copy):
    wf = org_copy / "gates" / "change.yaml"
    wf.write_text(
        wf.read_text().replace(
            "  eligibility:\n    kind: check\n    check: eligibility\n",
            "  eligibility:\n    kind: check\n    check: tests\n",
        )
    )
    probs = _problems(org_copy)
    assert any(p.startswith("gates/change.yaml:4: repository") for p in probs), probs
    wf.write_text("repository: required\n" + wf.read_text())
    load_org(org_copy)


def test_validate_cli_reports_repos_problems(org_copy):
    (org_copy / "gates" / "repos.yaml").write_text(
        "repos:\n  app:\n    path: /x\n    max_diff: {files: -1}\n"
    )
    r = run_org("validate", root=org_copy)
    assert r.returncode == 2 and "gates/repos.yaml:4: repos.app.max_diff.files" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_task_repo_is_checked_against_the_workflow(ws_org):
    cfg = load_org(ws_org)
    assert task_repo(cfg, "change", "app") == "app" and task_repo(cfg, "change", None) is None
    with pytest.raises(NotFound, match="no repository 'nope'"):
        task_repo(cfg, "change", "nope")


def test_repository_required_and_none(ws_org):
    wf = ws_org / "gates" / "change.yaml"
    wf.write_text("repository: required\n" + wf.read_text())
    ops = ws_org / "gates" / "ops.yaml"
    ops.write_text("repository: none\n" + ops.read_text())
    cfg = load_org(ws_org)
    with pytest.raises(UsageError, match="pass --repo"):
        task_repo(cfg, "change", None)
    with pytest.raises(UsageError, match="drop --repo"):
        task_repo(cfg, "ops", "app")


@pytest.mark.parametrize(
    "pattern, path, hit",
    [
        (".github/**", ".github/workflows/ci.yml", True),
        (".github/**", "x/.github/ci.yml", False),
        ("**/auth/**", "auth/login.py", True),
        ("**/auth/**", "src/deep/auth/x/y.py", True),
        ("**/auth/**", "src/authz/x.py", False),
        ("tests/**", "tests/test_a.py", True),
        ("tests/*.py", "tests/sub/test_a.py", False),
        ("secrets.env", "a/b/secrets.env", True),  # a bare name matches at any depth
        ("*.pem", "deploy/key.pem", True),
        ("src/?.py", "src/ab.py", False),
        ("infra/**", "infra", False),
        ("a b/**", "a b/c\nd", True),  # spaces and newlines are ordinary characters
    ],
)
def test_glob_semantics(pattern, path, hit):
    assert glob_match(pattern, path) is hit
