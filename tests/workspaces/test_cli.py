"""org task add --repo, org workspace open|show|gc through the console script's entry (run_app) in this process."""

from __future__ import annotations

import json

import pytest

from tests.helpers import org_in_process
from tests.workspaces.gitrepo import commit_file, sh_git


def _ok(r):
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return json.loads(r.stdout) if r.stdout.startswith("{") else r.stdout


@pytest.mark.slow
def test_task_in_a_repository_gets_a_workspace(ws_org, source):
    t = _ok(
        org_in_process(
            "task", "add", "fix add", "-w", "change", "--repo", "app", "--as", "alice", "--json", root=ws_org
        )
    )
    assert t["attributes"]["repo"] == "app"
    w = _ok(org_in_process("workspace", "open", t["task"], "--as", "alice", "--json", root=ws_org))
    assert (
        w["created"]
        and w["branch"] == f"org/{t['task']}"
        and w["base"] == sh_git(source, "rev-parse", "main")
    )
    again = _ok(org_in_process("workspace", "open", t["task"], "--as", "alice", "--json", root=ws_org))
    assert not again["created"] and again["path"] == w["path"]
    commit_file(__import__("pathlib").Path(w["path"]), "src/x.py", "X = 2\n")
    s = _ok(org_in_process("workspace", "show", t["task"], "--as", "alice", "--json", root=ws_org))
    assert s["head"] != s["accepted"] == s["base"] and s["task_status"] == "active"
    gc = _ok(org_in_process("workspace", "gc", "--as", "alice", "--json", root=ws_org))
    assert gc["workspaces"] == [{"task": t["task"], "repo": "app", "removed": False, "why": "task is active"}]
    ev = _ok(org_in_process("task", "show", t["task"], "--as", "alice", "--json", root=ws_org))
    assert ev["task"] == t["task"]


def test_bad_repo_arguments(ws_org):
    r = org_in_process("task", "add", "x", "-w", "change", "--repo", "nope", "--as", "alice", root=ws_org)
    assert r.returncode == 3 and "no repository 'nope' (repositories: app)" in r.stderr
    r = org_in_process("task", "add", "x", "-w", "change", "--set", "repo=app", "--as", "alice", root=ws_org)
    assert r.returncode == 2 and "'repo'" in r.stderr
    t = _ok(org_in_process("task", "add", "x", "-w", "change", "--as", "alice", "--json", root=ws_org))
    r = org_in_process("workspace", "show", t["task"], "--as", "alice", root=ws_org)
    assert r.returncode == 2 and "filed without --repo" in r.stderr and "Traceback" not in r.stderr
    r = org_in_process("workspace", "show", "T-99", "--as", "alice", root=ws_org)
    assert r.returncode == 3


@pytest.mark.slow
def test_org_submit_runs_the_diff_guard(ws_org):
    from pathlib import Path

    from org.bus import Bus
    from org.identity.bootstrap import agent_tokens, first_use_tokens

    with Bus.open(root=ws_org) as b:
        first_use_tokens(b)
        tokens = agent_tokens(b)
    t = _ok(
        org_in_process(
            "task",
            "add",
            "x",
            "-w",
            "change",
            "--repo",
            "app",
            "--set",
            "kind=docs",
            "--as",
            "alice",
            "--json",
            root=ws_org,
        )
    )
    w = _ok(org_in_process("workspace", "open", t["task"], "--as", "alice", "--json", root=ws_org))
    c = _ok(
        org_in_process(
            "claim",
            "--lane",
            "builder",
            "--as",
            "build-gpt",
            "--json",
            root=ws_org,
            env={"ORG_TOKEN": tokens["build-gpt"]},
        )
    )
    jt = c["token"]
    (Path(w["path"]) / ".github" / "evil.yml").write_text("x: 1\n")
    r = org_in_process(
        "submit", str(c["job"]), "--verdict", "pass", "--json", root=ws_org, env={"ORG_TOKEN": jt}
    )
    assert r.returncode == 4 and "ORG-PROTECTED-PATH" in r.stdout and "Traceback" not in r.stderr
    (Path(w["path"]) / ".github" / "evil.yml").unlink()
    (Path(w["path"]) / "notes.md").write_text("fine\n")
    s = _ok(
        org_in_process(
            "submit", str(c["job"]), "--verdict", "pass", "--json", root=ws_org, env={"ORG_TOKEN": jt}
        )
    )
    assert s["revision"] == sh_git(Path(w["path"]), "rev-parse", "HEAD") and len(s["revision"]) == 40


@pytest.mark.slow
def test_pipeline_and_outcomes_commands(ws_org):
    assert _ok(org_in_process("pipeline", "run", "--as", "alice", "--json", root=ws_org)) == {
        "ok": True,
        "done": [],
    }
    assert (
        _ok(org_in_process("outcomes", "--by", "tier", "--as", "alice", "--json", root=ws_org))["rows"] == []
    )
    assert _ok(org_in_process("outcomes", "scan", "--as", "alice", "--json", root=ws_org))["reverted"] == []
    r = org_in_process("outcomes", "--by", "colour", "--as", "alice", root=ws_org)
    assert r.returncode == 2 and "--by is one of" in r.stderr and "Traceback" not in r.stderr
