"""Workspaces made by org on real git repositories: branch org/T-N, the mirror, saved attempts, the lock."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from org.config.loader import load_org
from org.errors import Conflict, NotFound, UsageError
from org.workspaces.git import git
from org.workspaces.repo import Repository
from tests.workspaces.gitrepo import commit_file, sh_git


def _repo(root: Path) -> Repository:
    cfg = load_org(root)
    return Repository(root, "app", cfg.repos["app"], cfg.workspaces_dir)


def test_create_makes_branch_from_the_target_head(ws_org, source):
    repo = _repo(ws_org)
    w = repo.create("T-1")
    head = sh_git(source, "rev-parse", "main")
    assert w.path == ws_org / ".org" / "workspaces" / "T-1" and w.exists
    assert w.branch == "org/T-1" and w.base == head == w.accepted == w.head
    assert sh_git(w.path, "symbolic-ref", "HEAD") == "refs/heads/org/T-1"
    assert (w.path / "src" / "app.py").read_text().startswith("def add")
    # the source is untouched: org's branches live in org's own mirror, not in the user's clone
    assert sh_git(source, "branch", "--list", "org/*") == ""
    # the workspace is a clone of its own: its .git is a folder, not a pointer into another repository
    assert (w.path / ".git").is_dir()
    assert repo.create("T-1") == w  # idempotent


def test_workspace_cannot_move_the_mirror_refs(ws_org):
    """An agent with write access to its workspace moves only the workspace's own refs."""
    repo = _repo(ws_org)
    w = repo.create("T-2")
    before = repo.rev("refs/remotes/origin/main")
    sh_git(w.path, "update-ref", "refs/heads/main", "HEAD~0")
    sh_git(w.path, "update-ref", "refs/heads/org/T-2", commit_file(w.path, "x.txt", "x\n"))
    assert repo.rev("refs/remotes/origin/main") == before
    assert repo.rev("refs/heads/org/T-2") == w.base  # org accepts nothing until a submission


def test_agent_commits_are_saved_before_removal(ws_org):
    repo = _repo(ws_org)
    w = repo.create("T-3")
    c1 = commit_file(w.path, "src/new.py", "X = 1\n", "agent work")
    res = repo.remove("T-3")
    assert not w.path.exists() and res["saved"] == "refs/org/attempts/T-3/1"
    assert repo.attempts("T-3") == [("refs/org/attempts/T-3/1", c1)]
    # the commit's objects are in org's mirror, not only in the deleted workspace
    assert git(["cat-file", "-e", f"{c1}:src/new.py"], git_dir=repo.mirror).returncode == 0
    # made again: the branch is org's accepted head, the attempt stays
    w2 = repo.create("T-3")
    assert w2.exists and w2.head == w.base
    assert repo.attempts("T-3") == [("refs/org/attempts/T-3/1", c1)]
    # a second removal with nothing new saves nothing twice
    assert repo.remove("T-3")["saved"] is None


def test_bad_sources_are_clear_errors(ws_org, tmp_path):
    (ws_org / "gates" / "repos.yaml").write_text(f"repos:\n  app:\n    path: {tmp_path / 'nothing'}\n")
    with pytest.raises(UsageError, match="does not exist"):
        _repo(ws_org).create("T-1")
    (tmp_path / "plain").mkdir()
    (ws_org / "gates" / "repos.yaml").write_text(f"repos:\n  app:\n    path: {tmp_path / 'plain'}\n")
    with pytest.raises(UsageError, match="not a git repository"):
        _repo(ws_org).create("T-1")


def test_missing_target_branch(ws_org, source):
    text = (ws_org / "gates" / "repos.yaml").read_text().replace("target: main", "target: release")
    (ws_org / "gates" / "repos.yaml").write_text(text)
    with pytest.raises(NotFound, match="no branch 'release'"):
        _repo(ws_org).create("T-1")


def test_a_foreign_folder_in_the_way_is_not_overwritten(ws_org):
    repo = _repo(ws_org)
    p = repo.path_of("T-4")
    p.mkdir(parents=True)
    (p / "keep.txt").write_text("mine")
    with pytest.raises(Conflict, match="not the workspace of T-4"):
        repo.create("T-4")
    assert (p / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("task", ["T-0", "../T-1", "T-1/..", "T-1\n", "main"])
def test_task_ids_cannot_escape(ws_org, task):
    with pytest.raises(UsageError):
        _repo(ws_org).path_of(task)


def test_the_target_moving_is_seen_by_new_workspaces(ws_org, source):
    repo = _repo(ws_org)
    a = repo.create("T-5")
    new = commit_file(source, "README.md", "moved\n")
    b = repo.create("T-6")
    assert a.base != new and b.base == new


def test_lock_serialises_concurrent_creation(ws_org):
    repo = _repo(ws_org)
    errors: list[Exception] = []

    def make(k: int) -> None:
        try:
            Repository(repo.root, "app", repo.spec).create(f"T-{10 + k % 3}")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=make, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert repo.tasks() == ["T-10", "T-11", "T-12"]


def test_lock_times_out_with_conflict(ws_org):
    repo = _repo(ws_org)
    other = Repository(repo.root, "app", repo.spec)
    with repo.lock(), pytest.raises(Conflict, match="stayed locked"), other.lock(timeout=0.1):
        pass
