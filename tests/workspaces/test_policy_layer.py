"""A repository's .org/policy.yaml is read from its target branch's commit (never a workspace), shown by
`org config show --repo`, refused with FILE:LINE when it loosens (DESIGN invariant 19)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from org.config.loader import load_org
from org.workspaces.policyfile import read_repo_policy
from tests.helpers import org_in_process
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
    r = org_in_process("config", "show", "--repo", "app", "--layers", "--json", root=ws_org)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["layers"] == ["org", "repo"]
    got = {v["path"]: v for v in out["values"]}
    v = got["workflows.change.limits.max_rework_rounds"]
    assert v["value"] == 1 and v["layer"] == "repo" and v["source"].endswith(":.org/policy.yaml:3")
    assert [s["layer"] for s in v["layers"]] == ["org", "repo"]
    assert v["layers"][0]["source"].startswith("gates/change.yaml:")
    assert ".org/policy.yaml" in got["repos.app.protected"]["value"]
    human = org_in_process("config", "show", "--repo", "app", "--layers", root=ws_org)
    assert human.returncode == 0 and "was org" in human.stdout


def test_a_loosening_repository_is_exit_2_with_its_line(ws_org: Path, source: Path) -> None:
    commit_file(source, ".org/policy.yaml", "limits:\n  max_rework_rounds: 50\n")
    r = org_in_process("config", "show", "--repo", "app", root=ws_org)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert ":.org/policy.yaml:2: limits.max_rework_rounds: widens" in r.stderr, r.stderr
    assert "gates/change.yaml:" in r.stderr


# -- a task starts under the cascade and keeps it (DESIGN invariant 9) ------------------------------
def test_a_task_pins_the_cascade_and_keeps_it(wsbus, ws_org: Path, source: Path) -> None:
    commit_file(source, ".org/policy.yaml", "tier: high\nlimits: {max_rework_rounds: 1}\n")
    t = wsbus.add_task("x", "change", by="alice", attributes={"kind": "docs"}, repo="app")
    assert t["tier"] == "high"  # the repository's floor over the docs rule's low
    pinned = wsbus.pinned_config(t["config_hash"])
    assert pinned.workflows["change"].limits.max_rework_rounds == 1
    assert ".org/policy.yaml" in pinned.repos["app"].protected
    # the repository loosens its file later: the running task keeps its pinned cascade
    commit_file(source, ".org/policy.yaml", "# nothing\n")
    view = wsbus.task(t["task"])
    assert view["config_hash"] == t["config_hash"] and view["tier"] == "high"
    src = view["policy_source"]
    assert src["layers"] == ["org", "repo"]
    assert src["values"]["workflows.change.limits.max_rework_rounds"].startswith("repo app@")
    # every event under it says where the values came from
    evs = [e for e in wsbus.timeline(t["task"]) if e.get("type") == "task.created"]
    assert evs and "policy_source" in (evs[0].get("data") or {}), evs
    # a fresh bus reloads the pin from the database to the same cascade
    from org.bus import Bus

    fresh = Bus.open(root=ws_org)
    try:
        assert fresh.pinned_config(t["config_hash"]).workflows["change"].limits.max_rework_rounds == 1
    finally:
        fresh.close()


def test_task_policy_tightens_and_cannot_loosen(wsbus, source: Path) -> None:
    from org.errors import ConfigError

    t = wsbus.add_task(
        "y", "change", by="alice", attributes={"kind": "docs"}, repo="app", policy={"tier": "high"}
    )
    assert t["tier"] == "high"
    commit_file(source, ".org/policy.yaml", "limits: {max_rework_rounds: 1}\n")
    with pytest.raises(ConfigError) as info:
        wsbus.add_task("z", "change", by="alice", repo="app", policy={"limits": {"max_rework_rounds": 2}})
    assert "task policy:" in str(info.value) and "the repo layer's value at app@" in str(info.value)
    before = len(wsbus.list_tasks())
    commit_file(source, ".org/policy.yaml", "lanes: {builder: {may: ['*']}}\n")
    with pytest.raises(ConfigError, match=r"\.org/policy\.yaml:1: lanes\.builder\.may"):
        wsbus.add_task("w", "change", by="alice", repo="app")
    assert len(wsbus.list_tasks()) == before  # refused: nothing started


def test_cli_task_add_policy_and_config_show_task(ws_org: Path, source: Path) -> None:
    r = org_in_process(
        "task",
        "add",
        "t",
        "-w",
        "change",
        "--repo",
        "app",
        "--policy",
        "limits.max_rework_rounds=2",
        "--as",
        "alice",
        "--json",
        root=ws_org,
    )
    assert r.returncode == 0, r.stderr
    key = json.loads(r.stdout)["task"]
    bad = org_in_process(
        "task",
        "add",
        "t",
        "-w",
        "change",
        "--policy",
        "limits.max_rework_rounds=99",
        "--as",
        "alice",
        root=ws_org,
    )
    assert bad.returncode == 2 and "task policy:" in bad.stderr and "widens" in bad.stderr
    (ws_org / "gates" / "change.yaml").write_text(
        (ws_org / "gates" / "change.yaml").read_text().replace("max_rework_rounds: 3", "max_rework_rounds: 4")
    )
    r = org_in_process("config", "show", "--task", key, "--as", "alice", "--json", root=ws_org)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    got = {v["path"]: v for v in out["values"]}
    assert got["workflows.change.limits.max_rework_rounds"]["layer"] == "task"
    assert out["today_hash"] != out["config_hash"]
    # today's org raised its limit; the task's own layer still holds it at 2, pinned and today
    assert got["workflows.change.limits.max_rework_rounds"]["value"] == 2
    assert [d["path"] for d in out["differences"]] == []
    (ws_org / "gates" / "ops.yaml").write_text(
        (ws_org / "gates" / "ops.yaml").read_text().replace("max_rework_rounds: 2", "max_rework_rounds: 1")
    )
    r = org_in_process("config", "show", "--task", key, "--as", "alice", "--json", root=ws_org)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # today's org is tighter than the task's layer: shown beside the pinned value, and the layer named
    diff = {d["path"]: d for d in out["differences"]}["workflows.ops.limits.max_rework_rounds"]
    assert diff["pinned"]["value"] == 2 and diff["today"]["value"] == 1
    assert any("widens workflows.ops.limits.max_rework_rounds" in p for p in out["today_refuses"])
    shown = org_in_process("task", "show", key, "--as", "alice", root=ws_org)
    assert "policy workflows.change.limits.max_rework_rounds from task task policy:" in shown.stdout, (
        shown.stdout
    )


@pytest.mark.parametrize("exists", [False, True])
def test_a_task_cannot_change_its_repositorys_policy_on_its_own_branch(
    wsbus, source: Path, exists: bool
) -> None:
    """The policy file is a protected path of every repository task, whether or not the target has one."""
    from org.errors import Denied
    from org.identity.guard import Guard
    from org.workspaces.service import check_revision, open_workspace

    if exists:
        commit_file(source, ".org/policy.yaml", "limits: {max_rework_rounds: 1}\n")
    t = wsbus.add_task("loosen", "change", by="alice", attributes={"kind": "docs"}, repo="app")
    ws = Path(open_workspace(wsbus, t["task"], actor="alice")["path"])
    g = Guard(wsbus)
    c, _jt = g.claim(wsbus.tokens["build-claude"], "builder", "build-claude")
    (ws / ".org").mkdir(exist_ok=True)
    (ws / ".org" / "policy.yaml").write_text("limits: {max_rework_rounds: 3}\n")
    with pytest.raises(Denied) as e:
        check_revision(wsbus, c.job, "build-claude")
    f = next(f for f in e.value.detail["findings"] if f["rule"] == "ORG-PROTECTED-PATH")
    assert f["path"] == ".org/policy.yaml" and ":.org/policy.yaml" in f["source"], f


def test_the_handover_and_the_evidence_show_the_sources(wsbus, source: Path) -> None:
    """An agent's claim and prompt, and a human's evidence, name the layer and line of what was tightened."""
    from org.agents.prompts import WorkItem, _user
    from org.identity.guard import Guard
    from org.tui.data import evidence

    commit_file(source, ".org/policy.yaml", "limits:\n  max_rework_rounds: 1\n")
    t = wsbus.add_task("src", "change", by="alice", attributes={"kind": "docs"}, repo="app")
    door = Guard(wsbus)
    c, jt = door.claim(wsbus.tokens["build-claude"], "builder", "build-claude")
    assert c.task == t["task"]
    values = c.to_json()["policy_source"]["values"]
    from org.agents.handover import handover

    assert (
        handover(door, jt, c.job)["policy_source"]["values"] == values
    )  # `org job show`, `org claim --json`
    where = values["workflows.change.limits.max_rework_rounds"]
    assert where.startswith("repo app@") and where.endswith(":.org/policy.yaml:2")
    item = WorkItem("1", c.task, "src", "change", c.gate, "work", "", "builder", c.tier, policy=values)
    assert f"- workflows.change.limits.max_rework_rounds: {where}" in _user(item)
    ev = evidence(
        wsbus, {"task": t["task"], "evidence": {"config_hash": t["config_hash"], "workflow": "change"}}
    )
    assert ev["policy_source"]["values"]["workflows.change.limits.max_rework_rounds"] == where
