"""CLI members working real jobs: the dispatcher, a real bus, the run's gateway (local model), a real git
workspace, the fake CLI replaying its vendor's transcript in the sandbox. The change reaches a commit through the
diff guard; the CLI's events are on the timeline; its permission requests were answered by decide(); its calls
were counted at the gateway, never from its own report."""

from __future__ import annotations

import json

import pytest

from org.agents.runner import RunOptions
from org.agents.session import AgentSession
from tests.workspaces.gitrepo import sh_git


def run_builder(cfg, url, env, **kw):
    with AgentSession(cfg, url, env=env) as s:
        return s.dispatcher(RunOptions(lease_s=120, lanes=("builder",), **kw)).run()


def events(bus, task, prefix="agent."):
    return [e for e in bus.events_since(0, limit=100_000, task=task) if e["type"].startswith(prefix)]


def add_task(bus):
    return bus.add_task("Add a greeting", "change", by="alice", attributes={"kind": "code"}, repo="app")["task"]


@pytest.mark.slow
def test_claude_member_changes_the_repository_and_its_asks_go_through_decide(cli_org, ws_org):
    cfg, url, env, bus = cli_org("claude", "claude/edit.jsonl")
    t = add_task(bus)
    rep = run_builder(cfg, url, env)
    view = bus.task(t)
    gates = view["state"]["gates"]
    assert gates["implement"]["status"] == "passed", (gates, rep.failures)
    mirror = ws_org / ".org" / "repos" / "app.git"
    files = sh_git(mirror, "show", "--name-only", "--format=", view["revision"]).split()
    assert files == ["src/greeting.py"]
    evs = events(bus, t)
    kinds = [e["type"] for e in evs]
    assert kinds[0] == "agent.started" and "agent.finished" in kinds
    perms = [e["data"]["data"] for e in evs if e["type"] == "agent.permission"]
    by_tool = {p["tool"]: p for p in perms}
    assert by_tool["Write"]["outcome"] == "allow" and by_tool["Write"]["action"] in ("code.write", "spec.write")
    assert by_tool["WebFetch"]["outcome"] == "deny" and by_tool["WebFetch"]["action"] == "web.fetch"
    assert by_tool["Edit"]["outcome"] == "deny" and "outside its workspace" in by_tool["Edit"]["reason"]
    # every allowed ask was decided and recorded as the gate's action
    decided = [e for e in bus.events_since(0, limit=100_000, task=t) if e["type"] == "action.decided"]
    assert decided
    # usage: the gateway's count, never Claude's own $12.50
    usage = [e["data"]["data"] for e in evs if e["type"] == "agent.usage" and e["data"]["data"].get("source") == "gateway"]
    assert usage and usage[-1]["calls"] >= 1
    assert all(json.dumps(u).find("12.5") < 0 for u in usage)
    assert not (ws_org.parent / "outside.txt").exists()
