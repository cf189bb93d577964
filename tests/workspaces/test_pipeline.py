"""org's pipeline on real repositories: the tests gate on the bound commit, the merge at done (scratch merge,
retest when the target moved, compare-and-swap push, trailers), conflicts sent back to the builder."""

from __future__ import annotations

from pathlib import Path

import pytest

from org.identity.guard import Guard
from org.workspaces.pipeline import run_pipeline
from org.workspaces.service import check_revision, open_workspace
from tests.workspaces.gitrepo import commit_file, sh_git

CODE = """\
workflow: code
repository: required
implies: {environment: null, irreversible: false}  # as the default org says (ADR 0275): else filed high
gates:
  implement: {kind: work, lane: builder, action: code.write}
  tests: {kind: check, check: tests, after: [implement]}
  correctness: {kind: review, lane: reviewer, after: [tests], cross_vendor: true, on_fail: implement}
  approval: {kind: approval, lane: approver, after: [correctness], tiers: [high]}
  done: {kind: terminal, after: [approval]}
"""


@pytest.fixture
def code_org(ws_org):
    (ws_org / "gates" / "code.yaml").write_text(CODE)
    return ws_org


@pytest.fixture
def cbus(code_org, wsbus):
    return wsbus  # opened after code_org wrote the workflow


def _events(bus, task, type_=None):
    evs = bus.events_since(0, task=task, limit=10_000)
    return [e for e in evs if type_ is None or e["type"] == type_]


def _build(bus, task, ws: Path, change) -> str:
    g = Guard(bus)
    c, jt = g.claim(bus.tokens["build-claude"], "builder", "build-claude")
    assert c.task == task and c.gate == "implement"
    change(ws)
    res = check_revision(bus, c.job, "build-claude")
    g.submit(jt, c.job, "pass")
    return res["commit"]


def _review(bus, task, verdict="pass"):
    g = Guard(bus)
    c, jt = g.claim(bus.tokens["rev-gpt"], "reviewer", "rev-gpt")
    assert c.task == task
    return g.submit(jt, c.job, verdict, note="looks right")


def _start(bus):
    t = bus.add_task("swap add", "code", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    return t, Path(open_workspace(bus, t, actor="alice")["path"])


def _good(ws: Path) -> None:
    (ws / "src" / "app.py").write_text("def add(a, b):\n    return b + a\n")


def test_from_task_to_merged_commit_through_the_gates(cbus, source):
    old = sh_git(source, "rev-parse", "main")
    task, ws = _start(cbus)
    rev = _build(cbus, task, ws, _good)
    done = run_pipeline(cbus)
    assert [(d["gate"], d["kind"], d["ok"]) for d in done] == [("tests", "tests", True)], _events(
        cbus, task, "gate.failed"
    )[0]["data"]["tests"]["tail"]
    passed = [e for e in _events(cbus, task, "gate.passed") if e["data"]["gate"] == "tests"][-1]
    tests = passed["data"]["tests"]
    assert tests["commit"] == rev and tests["exit_code"] == 0 and len(tests["sha256"]) == 64
    assert tests["sandbox"] == "bubblewrap" and "1 passed" in tests["tail"]
    assert run_pipeline(cbus) == []  # nothing waits: the review is a lane's
    assert sh_git(source, "rev-parse", "main") == old  # nothing merged before done
    _review(cbus, task)
    done = run_pipeline(cbus)
    assert [(d["kind"], d["ok"], d["status"]) for d in done] == [("merge", True, "done")]
    head = sh_git(source, "rev-parse", "main")
    assert sh_git(source, "rev-parse", "main^1") == old and sh_git(source, "rev-parse", "main^2") == rev
    msg = sh_git(source, "log", "-1", "--format=%B", "main")
    assert f"Org-Task: {task}" in msg and f"Org-Revision: {rev}" in msg
    assert "Org-Reviewer: rev-gpt (openai, correctness)" in msg
    assert sh_git(source, "show", "main:src/app.py") == "def add(a, b):\n    return b + a"
    merged = _events(cbus, task, "outcome.merged")
    assert merged and merged[-1]["data"]["commit"] == head
    assert _events(cbus, task, "task.done")[-1]["data"]["merge"]["commit"] == head
    assert run_pipeline(cbus) == []


def test_failing_tests_send_the_work_back(cbus):
    task, ws = _start(cbus)
    rev = _build(
        cbus, task, ws, lambda w: (w / "src" / "app.py").write_text("def add(a, b):\n    return a - b\n")
    )
    done = run_pipeline(cbus)
    assert done[0]["ok"] is False and done[0]["status"] == "active"
    failed = [e for e in _events(cbus, task, "gate.failed") if e["data"]["gate"] == "tests"][-1]
    assert failed["data"]["tests"]["exit_code"] != 0 and failed["data"]["revision"] == rev
    assert "ORG-TESTS-FAILED" in failed["rules"]
    assert _events(cbus, task, "outcome.tests_failed")
    # the builder gets the implement gate again
    c, _jt = Guard(cbus).claim(cbus.tokens["build-claude"], "builder", "build-claude")
    assert c.task == task and c.gate == "implement"


def test_a_conflict_sends_the_task_back_with_the_paths(cbus, source):
    task, ws = _start(cbus)
    _build(cbus, task, ws, _good)
    run_pipeline(cbus)
    _review(cbus, task)
    before = commit_file(source, "src/app.py", "def add(a, b):\n    return sum((a, b))\n", "someone else")
    done = run_pipeline(cbus)
    assert done[0]["ok"] is False and done[0]["conflicts"] == ["src/app.py"] and done[0]["status"] == "active"
    assert sh_git(source, "rev-parse", "main") == before  # the target is untouched
    ev = _events(cbus, task, "outcome.merge_conflict")[-1]
    assert ev["data"]["conflicts"] == ["src/app.py"]
    c, _jt = Guard(cbus).claim(cbus.tokens["build-claude"], "builder", "build-claude")
    assert c.task == task and c.gate == "implement"


def test_the_merge_result_is_tested_again_when_the_target_moved(cbus, source):
    task, ws = _start(cbus)
    _build(cbus, task, ws, _good)
    run_pipeline(cbus)
    _review(cbus, task)
    # a change elsewhere that breaks the merged result's tests
    commit_file(
        source,
        "tests/test_more.py",
        "from src.app import add\n\n\ndef test_sub():\n    assert add(2, 2) == 5\n",
    )
    old = sh_git(source, "rev-parse", "main")
    done = run_pipeline(cbus)
    assert done[0]["ok"] is False and sh_git(source, "rev-parse", "main") == old
    ev = [e for e in _events(cbus, task, "gate.failed") if e["data"]["gate"] == "done"][-1]
    assert ev["data"]["merge"]["retest"]["exit_code"] != 0 and "ORG-MERGE-FAILED" in ev["rules"]


def test_no_lane_merges_only_the_pipeline(cbus, source):
    """Before done, nothing a lane does moves the target, and a workspace's refs are not the target's."""
    old = sh_git(source, "rev-parse", "main")
    task, ws = _start(cbus)
    sh_git(ws, "push", "-q", "origin", "HEAD:refs/heads/main", check=False)  # reaches org's mirror at most
    _build(cbus, task, ws, _good)
    assert sh_git(source, "rev-parse", "main") == old


def test_a_checked_out_target_is_a_clear_error(cbus, source):
    sh_git(source, "config", "--unset", "receive.denyCurrentBranch")
    from org.errors import Conflict

    task, ws = _start(cbus)
    _build(cbus, task, ws, _good)
    run_pipeline(cbus)
    _review(cbus, task)
    with pytest.raises(Conflict, match="checked out in"):
        run_pipeline(cbus)
    sh_git(source, "config", "receive.denyCurrentBranch", "updateInstead")
    assert run_pipeline(cbus)[0]["status"] == "done"
    assert sh_git(source, "status", "--porcelain") == ""  # the user's files follow the merge


def _no_bwrap(monkeypatch, tmp_path, how: str) -> None:
    """bubblewrap missing from PATH, or present but unable to start (a user-namespace-less container)."""
    import shutil

    from org.workspaces import commands

    real = shutil.which
    if how == "missing":
        monkeypatch.setattr(commands.shutil, "which", lambda n, *a, **k: None if n == "bwrap" else real(n))
    else:
        fake = tmp_path / "bwrap"
        fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
        fake.chmod(0o755)
        monkeypatch.setattr(
            commands.shutil, "which", lambda n, *a, **k: str(fake) if n == "bwrap" else real(n)
        )
    commands.sandbox_available.cache_clear()
    monkeypatch.setattr(commands, "sandbox_available", commands.sandbox_available)


@pytest.mark.parametrize("how", ["missing", "broken"])
def test_without_bubblewrap_the_tests_gate_fails_closed(cbus, code_org, tmp_path, monkeypatch, how):
    """A misbehaving agent's test command (it writes outside its checkout) never runs unsandboxed by default:
    the pipeline refuses with ORG-NO-SANDBOX (exit 4), the gate keeps waiting, the work is not blamed."""
    from org.errors import Denied
    from org.workspaces import commands

    marker = tmp_path / "escaped"
    task, ws = _start(cbus)
    rev = _build(
        cbus, task, ws, lambda w: (w / "conftest.py").write_text(f"open({str(marker)!r}, 'w').write('out')\n")
    )
    _no_bwrap(monkeypatch, tmp_path, how)
    try:
        with pytest.raises(Denied) as exc:
            run_pipeline(cbus)
        assert exc.value.exit_code == 4 and exc.value.detail["rule"] == "ORG-NO-SANDBOX"
        assert "bubblewrap" in exc.value.message and "sandbox: optional" in exc.value.message
        assert not marker.exists()  # nothing ran
        assert not _events(cbus, task, "gate.failed") and not _events(cbus, task, "outcome.tests_failed")
    finally:
        monkeypatch.undo()
        commands.sandbox_available.cache_clear()
    # with bubblewrap back the same gate runs, on the same commit (the test command cannot write outside)
    done = run_pipeline(cbus)
    assert [(d["gate"], d["ok"]) for d in done] == [("tests", True)]
    assert not marker.exists()
    passed = [e for e in _events(cbus, task, "gate.passed") if e["data"]["gate"] == "tests"][-1]
    assert passed["data"]["tests"]["commit"] == rev and passed["data"]["tests"]["sandbox"] == "bubblewrap"


@pytest.fixture
def optional_org(code_org):
    y = code_org / "gates" / "repos.yaml"
    y.write_text(y.read_text().replace("\n    merge: merge\n", "\n    merge: merge\n    sandbox: optional\n"))
    assert "sandbox: optional" in y.read_text()
    return code_org


def test_sandbox_optional_runs_unsandboxed_and_says_so(optional_org, wsbus, tmp_path, monkeypatch):
    from org.workspaces import commands

    cbus = wsbus
    task, ws = _start(cbus)
    _build(cbus, task, ws, _good)
    _no_bwrap(monkeypatch, tmp_path, "missing")
    try:
        done = run_pipeline(cbus)
    finally:
        monkeypatch.undo()
        commands.sandbox_available.cache_clear()
    assert [(d["gate"], d["ok"]) for d in done] == [("tests", True)]
    passed = [e for e in _events(cbus, task, "gate.passed") if e["data"]["gate"] == "tests"][-1]
    assert passed["data"]["tests"]["sandbox"] == "no sandbox: bubblewrap is not installed"
    assert "no sandbox" in passed["data"]["reason"]


def test_the_starter_org_can_clean_up_merged_workspaces(cbus, source):
    """workspace.gc is a lane's power in the starter org (operator agents, approver humans), and only theirs: a
    builder cleaning up (e.g. to hide its attempts) is denied by the rules, and nothing is removed."""
    from org.workspaces.service import gc_workspaces

    task, ws = _start(cbus)
    _build(cbus, task, ws, _good)
    run_pipeline(cbus)
    _review(cbus, task)
    assert [d["status"] for d in run_pipeline(cbus)] == ["done"]
    denied = gc_workspaces(cbus, "build-claude")
    assert [(r["task"], r["removed"]) for r in denied] == [(task, False)]
    assert "LANE-BUILDER-MAY" in denied[0]["rules"] and ws.exists()
    assert gc_workspaces(cbus, "rev-gpt")[0]["removed"] is False and ws.exists()
    kept = gc_workspaces(cbus, "ops-claude", dry_run=True)
    assert kept[0]["removed"] is False and ws.exists()
    gone = gc_workspaces(cbus, "ops-claude")
    assert [(r["task"], r["removed"]) for r in gone] == [(task, True)] and not ws.exists()
    assert _events(cbus, task, "workspace.removed")[-1]["actor"] == "ops-claude"
    task2, ws2 = _start(cbus)  # an open task's workspace stays, whoever asks
    assert gc_workspaces(cbus, "alice")[0]["why"] == "task is active" and ws2.exists()
