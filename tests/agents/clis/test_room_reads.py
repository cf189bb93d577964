"""Review finding: a CLI job whose workspace .git an agent left as a symlink."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.agents.clis.test_jobs import add_task, run_builder


def _symlinked_git(ws: Path) -> None:
    """What an agent's earlier job may leave: the workspace's .git a symlink to a folder (the agent's to write)."""
    os.replace(ws / ".git", ws / ".git-real")
    os.symlink(".git-real", ws / ".git")


@pytest.mark.slow
def test_a_cli_job_whose_workspace_git_is_a_symlink_ends_with_a_reason_not_an_internal_error(cli_org, ws_org):
    """room_reads (ADR 0290) locks, fetches and rewrites the workspace's alternates before the room starts; an
    agent-made .git symlink makes it raise Conflict out of cli_job, which the dispatcher reports as its own bug
    ('internal error in the dispatcher') and releases the job, to be claimed and crash again."""
    from org.workspaces.service import open_workspace

    cfg, url, env, bus = cli_org("command", "command/edit.jsonl")
    t = add_task(bus)
    ws = Path(open_workspace(bus, t, actor="alice")["path"])
    _symlinked_git(ws)
    rep = run_builder(cfg, url, env)
    jobs = bus.task(t)["jobs"]
    reasons = [j.get("reason") or "" for j in jobs]
    assert not any("internal error" in str(f) for f in rep.failures), (reasons, rep.failures)
    assert not any("internal error in the dispatcher" in r for r in reasons), (reasons, rep.failures)
    # the job fails once, saying why (the workspace is unusable: no retry helps), and the CLI never ran
    assert [(j["status"], j["attempts"]) for j in jobs] == [("dead", 1)], jobs
    assert "unusable" in reasons[0] and ".git is not a folder" in reasons[0], reasons
