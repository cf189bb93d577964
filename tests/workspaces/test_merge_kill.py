"""kill -9 of org's pipeline during a merge, with real processes: the target is left at the old head or at the
full merge, never anything else, and the next run leaves the task consistent without merging twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from org.workspaces.pipeline import run_pipeline
from tests.helpers import REPO
from tests.workspaces.gitrepo import sh_git
from tests.workspaces.test_pipeline import CODE, _build, _events, _good, _review, _start


@pytest.fixture
def code_org(ws_org):
    (ws_org / "gates" / "code.yaml").write_text(
        CODE.replace("{kind: work, lane: builder}", "{kind: work, lane: builder, action: code.write}")
    )
    return ws_org


@pytest.fixture
def cbus(code_org, wsbus):
    return wsbus


def _ready_to_merge(bus, source):
    task, ws = _start(bus)
    rev = _build(bus, task, ws, _good)
    run_pipeline(bus)
    _review(bus, task)
    return task, rev


def _pipeline_process(root: Path) -> subprocess.Popen:
    env = {**os.environ, "ORG_ROOT": str(root)}
    return subprocess.Popen(
        [sys.executable, "-m", "org", "pipeline", "run", "--as", "alice"],
        cwd=str(REPO),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("whole_group", [False, True])
def test_kill_9_during_the_push_leaves_the_target_whole(cbus, code_org, source, whole_group, tmp_path):
    task, rev = _ready_to_merge(cbus, source)
    old = sh_git(source, "rev-parse", "main")
    marker = tmp_path / "in-push"
    hook = source / ".git" / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\nsleep 3\n")
    hook.chmod(0o755)
    p = _pipeline_process(code_org)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert p.poll() is None, "the pipeline ended before it reached the push"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    if whole_group:
        os.killpg(p.pid, signal.SIGKILL)  # git push and receive-pack die with it
    else:
        p.kill()  # only org: the git processes it started carry on
    p.wait()
    time.sleep(3.5)  # whatever git still does, it finishes
    hook.unlink()
    head = sh_git(source, "rev-parse", "main")
    if head != old:  # the full merge, nothing in between
        assert sh_git(source, "rev-parse", "main^1") == old and sh_git(source, "rev-parse", "main^2") == rev
        assert f"Org-Revision: {rev}" in sh_git(source, "log", "-1", "--format=%B", "main")
    assert cbus.task(task)["status"] == "active"  # not done before the pipeline records the merge
    done = run_pipeline(cbus)  # the restart
    assert done[0]["status"] == "done"
    final = sh_git(source, "rev-parse", "main")
    if head != old:
        assert final == head and done[0]["merged"] == head  # found, not merged twice
    merges = sh_git(source, "log", "--format=%H", "-F", f"--grep=Org-Revision: {rev}", "main").split()
    assert len(merges) == 1
    assert _events(cbus, task, "task.done")[-1]["data"]["merge"]["commit"] == final


@pytest.mark.slow
def test_kill_9_at_random_moments(cbus, code_org, source):
    """Killed at spread-out moments of a whole run: after each, the target is old or fully merged."""
    task, rev = _ready_to_merge(cbus, source)
    old = sh_git(source, "rev-parse", "main")
    for delay in (0.2, 0.8, 1.4, 2.0, 2.6):
        p = _pipeline_process(code_org)
        time.sleep(delay)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        head = sh_git(source, "rev-parse", "main")
        assert head == old or (
            sh_git(source, "rev-parse", "main^1") == old and sh_git(source, "rev-parse", "main^2") == rev
        )
        sh_git(code_org / ".org" / "repos" / "app.git", "worktree", "prune")
    done = run_pipeline(cbus)
    if done:
        assert done[0]["status"] == "done"
    assert cbus.task(task)["status"] == "done"
    assert len(sh_git(source, "log", "--format=%H", "-F", f"--grep=Org-Revision: {rev}", "main").split()) == 1
