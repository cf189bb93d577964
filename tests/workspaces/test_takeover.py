"""A human takes over an agent's work job in its workspace (ADR 0177): `org workspace open T-N --take`, on the
same rails (the diff guard of the job's lane, trailers naming them, never approving their own work), without
losing the agent's attempts; an approver-only human, an agent, an unknown task are refused with clear exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import org_in_process
from tests.workspaces.gitrepo import sh_git


def _ok(r):
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return json.loads(r.stdout)


def _org(root, *args, token=None):
    return org_in_process(*args, root=root, env={"ORG_TOKEN": token} if token else None)


@pytest.fixture
def started(ws_org):
    """A repository task whose builder job an agent (build-gpt) leased and tried once: a revision the diff
    guard refused (an attempt on the timeline). (root, task, job, agent's job token, workspace path)"""
    from org.bus import Bus
    from org.identity.bootstrap import agent_tokens, first_use_tokens

    with Bus.open(root=ws_org) as b:
        first_use_tokens(b)
        tokens = agent_tokens(b)
    t = _ok(_org(ws_org, "task", "add", "fix it", "-w", "change", "--repo", "app", "--as", "alice", "--json"))
    c = _ok(
        _org(ws_org, "claim", "--lane", "builder", "--as", "build-gpt", "--json", token=tokens["build-gpt"])
    )
    w = _ok(_org(ws_org, "workspace", "open", t["task"], "--as", "alice", "--json"))
    (Path(w["path"]) / ".github" / "agent.yml").write_text("x: 1\n")
    r = _org(ws_org, "submit", str(c["job"]), "--verdict", "pass", "--json", token=c["token"])
    assert r.returncode == 4 and "ORG-PROTECTED-PATH" in r.stdout
    (Path(w["path"]) / ".github" / "agent.yml").unlink()
    return ws_org, t["task"], c["job"], c["token"], Path(w["path"])


def _events(root, task):
    from org.bus import Bus
    from org.bus.audit import decode_body

    with Bus.open(root=root) as b:
        rows = b.store.read(
            lambda tx: tx.x("SELECT body FROM events WHERE task = :k ORDER BY seq", {"k": task}).all()
        )
    return [decode_body(body) for (body,) in rows]


@pytest.mark.slow
def test_a_maintainer_takes_over_a_stuck_agents_job(started):
    root, task, job, agent_token, path = started
    out = _ok(
        _org(root, "workspace", "open", task, "--as", "carol", "--take", "--note", "agent stuck", "--json")
    )
    held = out["taken_over"]
    assert held["job"] == job and held["attempt"] == 2 and out["path"] == str(path)
    # the agent's lease is over: its token stops working (exit 5), it cannot submit over the human
    r = _org(root, "heartbeat", str(job), "--json", token=agent_token)
    assert r.returncode == 5 and "Traceback" not in r.stderr
    # the diff guard of the job's lane applies to the human: a protected path is refused as for agents
    (path / ".github" / "evil.yml").write_text("x: 2\n")
    r = _org(root, "submit", str(job), "--verdict", "pass", "--json", token=held["job_token"])
    assert r.returncode == 4 and "ORG-PROTECTED-PATH" in r.stdout and "Traceback" not in r.stderr
    (path / ".github" / "evil.yml").unlink()
    (path / "src" / "fix.py").write_text("FIXED = True\n")
    s = _ok(
        _org(
            root,
            "submit",
            str(job),
            "--verdict",
            "pass",
            "--note",
            "fixed by hand",
            "--json",
            token=held["job_token"],
        )
    )
    rev = s["revision"]
    # the revision is authored by the human: git's author and org's trailers name carol
    assert sh_git(path, "log", "-1", "--format=%an", rev) == "carol"
    assert "Org-Actor: carol" in sh_git(path, "log", "-1", "--format=%B", rev)
    ev = _events(root, task)
    types = [(e["type"], e["actor"]) for e in ev]
    # the agent's attempt stays on the timeline; the takeover says who, from whom and why
    assert ("revision.denied", "build-gpt") in types and ("revision.denied", "carol") in types
    took = [e for e in ev if e["type"] == "job.taken_over"]
    assert len(took) == 1 and took[0]["actor"] == "carol"
    assert took[0]["data"]["from"] == "build-gpt" and took[0]["data"]["reason"] == "agent stuck"
    assert ("work.submitted", "carol") in types
    # the audit's fold of the job tables agrees with the takeover
    from org.bus import Bus

    with Bus.open(root=root) as b:
        v = b.audit_verify()
    assert v.ok, v.problem


@pytest.fixture
def approving_maintainer(ws_org):
    """A local policy whose maintainers may also approve (so only separation of duties can stop carol)."""
    f = ws_org / "lanes" / "maintainer.yaml"
    text = f.read_text()
    assert "  - approve\n" in text
    f.write_text(text.replace("  - approve\n", "").replace("may:\n", "may:\n  - approve\n", 1))
    return ws_org


@pytest.mark.slow
def test_a_human_author_cannot_approve_the_work(approving_maintainer, started):
    """Separation of duties covers a human author: carol, whose lane may approve here, wrote the revision after
    taking the job over and may not approve it, nor review or approve at any gate."""
    root, task, job, _agent_token, path = started
    from org.bus import Bus
    from org.engine import flow, rule_ids

    out = _ok(_org(root, "workspace", "open", task, "--as", "carol", "--take", "--json"))
    (path / "src" / "fix.py").write_text("FIXED = True\n")
    _ok(_org(root, "submit", str(job), "--verdict", "pass", "--json", token=out["taken_over"]["job_token"]))
    with Bus.open(root=root) as b:
        tr = b.repo_task(task)
        cfg, st = tr.cfg, tr.state
    assert "carol" in st.authors and "approve" in [str(a) for a in cfg.lanes["maintainer"].may]
    for gate, spec in cfg.workflows[st.workflow].gates.items():
        if spec.kind in ("review", "approval"):
            assert not flow.eligibility(cfg, st, "carol", gate)
    r = _org(root, "approve", task, "--as", "carol", "--json")
    assert r.returncode == 4 and rule_ids.SEPARATION_OF_DUTIES in r.stdout and "Traceback" not in r.stderr


@pytest.mark.slow
def test_the_default_maintainer_may_not_approve(started):
    root, task, job, _agent_token, path = started
    out = _ok(_org(root, "workspace", "open", task, "--as", "carol", "--take", "--json"))
    (path / "src" / "fix.py").write_text("FIXED = True\n")
    _ok(_org(root, "submit", str(job), "--verdict", "pass", "--json", token=out["taken_over"]["job_token"]))
    r = _org(root, "approve", task, "--as", "carol", "--json")
    assert r.returncode == 4 and "Traceback" not in r.stderr


def test_an_approver_only_human_is_refused(started):
    root, task, job, agent_token, path = started
    before = sh_git(path, "status", "--porcelain")
    r = _org(root, "workspace", "open", task, "--as", "bob", "--take", "--note", "let me", "--json")
    assert r.returncode == 4 and "Traceback" not in r.stderr
    assert "bob" in r.stderr and "code.write" in r.stderr and "approver" in r.stderr
    # nothing moved: the agent still holds its job and the workspace is as it was
    assert _org(root, "heartbeat", str(job), "--json", token=agent_token).returncode == 0
    assert sh_git(path, "status", "--porcelain") == before
    assert not [e for e in _events(root, task) if e["type"] == "job.taken_over"]


def test_an_agent_cannot_take_over(started, ws_org):
    from org.bus import Bus
    from org.identity.bootstrap import agent_tokens

    root, task, job, agent_token, _path = started
    with Bus.open(root=root) as b:
        tokens = agent_tokens(b)
    r = _org(
        root,
        "workspace",
        "open",
        task,
        "--as",
        "build-claude",
        "--take",
        "--json",
        token=tokens["build-claude"],
    )
    assert r.returncode == 4 and "Traceback" not in r.stderr and "agent" in r.stderr
    assert _org(root, "heartbeat", str(job), "--json", token=agent_token).returncode == 0


def test_unknown_task_and_no_work_job_are_clear_errors(ws_org):
    from org.bus import Bus
    from org.identity.bootstrap import first_use_tokens

    with Bus.open(root=ws_org) as b:
        first_use_tokens(b)
    r = _org(ws_org, "workspace", "open", "T-99", "--as", "carol", "--take")
    assert r.returncode == 3 and "Traceback" not in r.stderr
    plain = _ok(_org(ws_org, "task", "add", "x", "-w", "change", "--as", "alice", "--json"))
    r = _org(ws_org, "workspace", "open", plain["task"], "--as", "carol", "--take")
    assert r.returncode == 2 and "filed without --repo" in r.stderr and "Traceback" not in r.stderr
    t = _ok(_org(ws_org, "task", "add", "y", "-w", "change", "--repo", "app", "--as", "alice", "--json"))
    _ok(_org(ws_org, "workspace", "open", t["task"], "--as", "carol", "--take", "--json"))
    r = _org(ws_org, "workspace", "open", t["task"], "--as", "carol", "--take")
    assert r.returncode == 5 and "already holds" in r.stderr and "Traceback" not in r.stderr


def test_shell_starts_in_the_workspace_holding_the_job_token(started, tmp_path):
    """--shell runs the human's $SHELL in the workspace with ORG_TOKEN set to the job token just minted (so
    `org submit` there works), not to the principal token it was opened with."""
    root, task, _job, _agent_token, path = started
    seen = tmp_path / "seen"
    sh = tmp_path / "fake-shell"
    sh.write_text(f'#!/bin/sh\npwd > "{seen}"\necho "$ORG_TOKEN" >> "{seen}"\n')
    sh.chmod(0o755)
    r = org_in_process(
        "workspace",
        "open",
        task,
        "--as",
        "carol",
        "--take",
        "--shell",
        "--json",
        root=root,
        env={"SHELL": str(sh)},
    )
    out = _ok(r)
    where, token = seen.read_text().splitlines()
    assert Path(where).resolve() == path.resolve() and token == out["taken_over"]["job_token"]
    assert token.startswith("orgj_")
