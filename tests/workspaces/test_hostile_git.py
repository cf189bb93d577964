"""A workspace's .git is the agent's to write (a sandboxed CLI mounts it writable; test code the tests gate
runs can write it too): nothing its config, includes or attributes name may run in org's own process when
org opens, shows, checks, commits, diffs, merges or cleans up the workspace. Filters (clean, smudge,
process), textconv, diff.external, merge drivers, include.path to a file in the tree, fsmonitor, hooksPath,
alternateRefsCommand, packObjectsHook, pager: each one touches its own flag, and no flag may appear."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from org.identity.guard import Guard
from org.workspaces.pipeline import run_pipeline
from org.workspaces.service import check_revision, gc_workspaces, open_workspace, show_workspace
from tests.workspaces.gitrepo import commit_file, sh_git
from tests.workspaces.test_pipeline import CODE, _review


@pytest.fixture
def hbus(ws_org, request):
    """The bus of an org with the code workflow (tests gate, review, merge) on a real repository."""
    (ws_org / "gates" / "code.yaml").write_text(CODE)
    return request.getfixturevalue("wsbus")


def _arm(ws: Path, flags: Path) -> dict[str, Path]:
    """Every way a repository can make git run a program, set in the workspace as an agent would."""
    flags.mkdir(exist_ok=True)
    f = {n: flags / n for n in ("clean", "smudge", "process", "textconv", "external", "merge", "include",
                                 "fsmonitor", "hooks", "altrefs", "packhook", "pager", "info")}  # fmt: skip
    inc = ws / "inc.cfg"  # an ordinary file of the tree, included by the config
    inc.write_text(
        f'[filter "z"]\n\tclean = touch {f["include"]}; cat\n\tsmudge = touch {f["include"]}; cat\n'
    )
    hooks = ws / ".agent-hooks"
    hooks.mkdir()
    for h in ("pre-commit", "post-commit", "post-checkout", "reference-transaction", "post-index-change"):
        (hooks / h).write_text(f"#!/bin/sh\ntouch {f['hooks']}\n")
        (hooks / h).chmod(0o755)
    for key, value in [
        ("filter.x.clean", f"touch {f['clean']}; cat"),
        ("filter.x.smudge", f"touch {f['smudge']}; cat"),
        ("filter.p.process", f"touch {f['process']}; exit 1"),
        ("diff.x.textconv", f"touch {f['textconv']}; cat"),
        ("diff.external", f"touch {f['external']}; true"),
        ("merge.m.driver", f"touch {f['merge']}; true"),
        ("include.path", str(inc)),
        ("core.fsmonitor", f"touch {f['fsmonitor']}; false"),
        ("core.hooksPath", str(hooks)),
        ("core.alternateRefsCommand", f"touch {f['altrefs']}; true"),
        ("uploadpack.packObjectsHook", f"touch {f['packhook']}; exec"),
        ("core.pager", f"touch {f['pager']}; cat"),
    ]:
        sh_git(ws, "config", key, value)
    (ws / ".gitattributes").write_text("*.md filter=x diff=x merge=m\n*.py filter=p diff=x\n*.txt filter=z\n")
    (ws / ".git" / "info").mkdir(exist_ok=True)
    (ws / ".git" / "info" / "attributes").write_text(f"* filter=x diff=x\n# {f['info']}\n")
    return f


def _ran(f: dict[str, Path]) -> list[str]:
    return sorted(n for n, p in f.items() if p.exists())


def _head_file(ws: Path, task: str) -> str:
    return (ws / ".git" / "refs" / "heads" / "org" / task).read_text().strip()


def _claim(bus):
    g = Guard(bus)
    c, jt = g.claim(bus.tokens["build-claude"], "builder", "build-claude")
    return g, c, jt


def test_uncommitted_changes_in_an_armed_workspace_run_nothing(hbus, tmp_path):
    """The reviewer's repro and its class: org commits the workspace's changes and moves its branch."""
    t = hbus.add_task("swap add", "code", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    ws = Path(open_workspace(hbus, t, actor="alice")["path"])
    g, c, jt = _claim(hbus)
    f = _arm(ws, tmp_path / "flags")
    (ws / "README.md").write_text("changed\n")
    (ws / "src" / "app.py").write_text("def add(a, b):\n    return b + a\n")
    (ws / "notes.txt").write_text("new\n")
    res = check_revision(hbus, c.job, "build-claude")
    assert _ran(f) == []
    assert res["commit"] and _head_file(ws, t) == res["commit"]
    show_workspace(hbus, t)
    open_workspace(hbus, t, actor="alice")
    assert _ran(f) == []
    g.submit(jt, c.job, "pass")
    run_pipeline(hbus)  # the tests gate
    _review(hbus, t)
    done = run_pipeline(hbus)  # the merge
    assert [d["status"] for d in done] == ["done"]
    assert _ran(f) == []
    gone = gc_workspaces(hbus, "ops-claude")
    assert [r["removed"] for r in gone] == [True] and not ws.exists()
    assert _ran(f) == []


def test_org_leaves_the_workspace_clean_for_git(hbus, tmp_path):
    """org moves the branch and the index itself: the agent's own git then sees no change left."""
    t = hbus.add_task("swap add", "code", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    ws = Path(open_workspace(hbus, t, actor="alice")["path"])
    g, c, jt = _claim(hbus)
    (ws / "README.md").write_text("changed\n")
    (ws / "new dir").mkdir()
    (ws / "new dir" / "a b.txt").write_text("x\n")
    (ws / "src" / "app.py").unlink()
    res = check_revision(hbus, c.job, "build-claude")
    assert sh_git(ws, "rev-parse", "HEAD") == res["commit"] == _head_file(ws, t)
    assert sh_git(ws, "status", "--porcelain") == ""
    assert sh_git(ws, "rev-parse", "--abbrev-ref", "HEAD") == f"org/{t}"


def test_an_agent_commit_in_an_armed_workspace_runs_nothing(hbus, tmp_path):
    t = hbus.add_task("swap add", "code", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    ws = Path(open_workspace(hbus, t, actor="alice")["path"])
    g, c, jt = _claim(hbus)
    sha = commit_file(ws, "src/app.py", "def add(a, b):\n    return b + a\n")
    sh_git(ws, "pack-refs", "--all")  # the branch only in packed-refs: org reads it there too
    f = _arm(ws, tmp_path / "flags")
    res = check_revision(hbus, c.job, "build-claude", commit=sha)
    # org's commit for the agent on top of its own (ADR 0230), made without running the workspace's git
    assert sh_git(ws, "rev-parse", f"{res['commit']}^") == sha and _ran(f) == []
    show = show_workspace(hbus, t)
    assert show["head"] == res["commit"] and _ran(f) == []


def test_a_workspace_git_that_points_elsewhere_is_refused(hbus, tmp_path):
    """.git as a symlink or a gitfile (a repository org never made, with any config) is not read."""
    from org.errors import Conflict

    t = hbus.add_task("swap add", "code", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    ws = Path(open_workspace(hbus, t, actor="alice")["path"])
    g, c, jt = _claim(hbus)
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    flag = tmp_path / "ran"
    sh_git(other, "config", "core.fsmonitor", f"touch {flag}; false")
    real = ws / ".git"
    real.rename(tmp_path / "moved.git")
    (ws / ".git").write_text(f"gitdir: {other / '.git'}\n")
    with pytest.raises(Conflict, match="workspace"):
        check_revision(hbus, c.job, "build-claude")
    (ws / ".git").unlink()
    (ws / ".git").symlink_to(other / ".git")
    with pytest.raises(Conflict, match="workspace"):
        check_revision(hbus, c.job, "build-claude")
    assert show_workspace(hbus, t)["head"] is None
    assert not flag.exists()


def test_org_never_runs_git_with_a_workspace_as_its_repository(hbus, tmp_path, monkeypatch):
    """The class, not the examples: every git org starts names a repository org owns (--git-dir outside the
    workspaces); a workspace is at most a --work-tree of org's mirror, never the repository git reads."""
    import org.workspaces.git as gitmod

    calls: list[tuple[list[str], str | None]] = []
    real = gitmod.subprocess.run

    def spy(cmd, *a, **kw):
        if cmd and cmd[0] == "git":
            calls.append((list(cmd), kw.get("cwd")))
        return real(cmd, *a, **kw)

    monkeypatch.setattr(gitmod.subprocess, "run", spy)
    t = hbus.add_task("swap add", "code", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    ws = Path(open_workspace(hbus, t, actor="alice")["path"])
    wsroot = ws.parent.resolve()
    g, c, jt = _claim(hbus)
    (ws / "README.md").write_text("changed\n")
    check_revision(hbus, c.job, "build-claude")
    show_workspace(hbus, t)
    g.submit(jt, c.job, "pass")
    run_pipeline(hbus)
    _review(hbus, t)
    run_pipeline(hbus)
    gc_workspaces(hbus, "ops-claude")
    assert calls
    bad = []
    for cmd, cwd in calls:
        sub = next((a for a in cmd[1:] if not a.startswith("-") and "=" not in a), "")
        if sub in ("clone", "init"):
            continue  # a new repository org makes (its config is org's at that moment)
        gd = next((a.split("=", 1)[1] for a in cmd if a.startswith("--git-dir=")), None)
        where = Path(gd) if gd else (Path(cwd) if cwd else None)
        if where is None or where.resolve().is_relative_to(wsroot):
            bad.append((cmd, cwd))
        # a fetch or push names no workspace as the other side either
        if sub in ("fetch", "push", "pull", "ls-remote") and any(
            Path(a).is_absolute() and Path(a).resolve().is_relative_to(wsroot)
            for a in cmd
            if a.startswith("/")
        ):
            bad.append((cmd, cwd))
    assert bad == []


def test_a_driver_of_the_hosts_global_config_never_runs_on_workspace_files(hbus, tmp_path, monkeypatch):
    """A filter the host's user configured (git-lfs, say) is not the workspace's to name in .gitattributes:
    org's git reading the workspace's files as its work tree reads no global config."""
    home = tmp_path / "home"
    home.mkdir()
    flag = tmp_path / "global-ran"
    (home / ".gitconfig").write_text(
        f'[filter "g"]\n\tclean = touch {flag}; cat\n\tsmudge = touch {flag}; cat\n'
    )
    t = hbus.add_task("swap add", "code", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    ws = Path(open_workspace(hbus, t, actor="alice")["path"])
    g, c, jt = _claim(hbus)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    (ws / ".gitattributes").write_text("*.md filter=g\n")
    (ws / "README.md").write_text("changed\n")
    res = check_revision(hbus, c.job, "build-claude")
    assert res["commit"] and not flag.exists()


def test_a_workspace_objects_folder_that_points_elsewhere_is_refused(hbus, tmp_path):
    """Review finding: .git/objects as a symlink to another repository's objects let org copy that
    repository's commits into its mirror. Only the workspace's own objects folder is read."""
    from org.errors import Conflict

    t = hbus.add_task("swap add", "code", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    ws = Path(open_workspace(hbus, t, actor="alice")["path"])
    g, c, jt = _claim(hbus)
    sha = commit_file(ws, "src/app.py", "def add(a, b):\n    return b + a\n")
    objects = ws / ".git" / "objects"
    objects.rename(tmp_path / "objects")
    objects.symlink_to(tmp_path / "objects")
    with pytest.raises(Conflict, match="workspace"):
        check_revision(hbus, c.job, "build-claude", commit=sha)
