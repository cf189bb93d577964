"""Built-in builders on a repository task: the dispatcher, the loopback local model over real litellm, a
real git workspace. The change is a real commit the diff guard checked; every tool call is an action
decided and recorded; a hostile model's escape attempt ends in a clear outcome and changes nothing outside."""

from __future__ import annotations

import json
import sys

import pytest

from org.agents.runner import RunOptions
from org.agents.session import AgentSession
from org.bus import Bus
from org.config.loader import load_org
from tests.helpers import chat_answer
from tests.workspaces.gitrepo import sh_git


@pytest.fixture
def repo_env(ws_org, tmp_path, local_server):
    cfg = load_org(ws_org)
    url = f"sqlite:///{tmp_path / 'bus.db'}"
    env = {"ORG_LOCAL_MODEL_URL": local_server.url, "ORG_MODELS": "local"}
    bus = Bus.open(url, root=ws_org, config=cfg)
    yield cfg, url, env, bus
    bus.close()


def _run(cfg, url, env, lanes=("builder",)):
    with AgentSession(cfg, url, env=env) as s:
        return s.dispatcher(RunOptions(lease_s=120, lanes=tuple(lanes))).run()


def _events(bus, task, *types):
    return [e for e in bus.events_since(0, limit=100_000, task=task) if e["type"] in types]


@pytest.mark.slow
def test_a_builder_changes_the_repository_with_tools(repo_env, ws_org):
    cfg, url, env, bus = repo_env
    t = bus.add_task(
        "Add retries to the webhook sender", "change", by="alice", attributes={"kind": "code"}, repo="app"
    )["task"]
    _run(cfg, url, env)
    view = bus.task(t)
    gates = view["state"]["gates"]
    assert gates["spec"]["status"] == gates["implement"]["status"] == "passed", gates
    mirror = ws_org / ".org" / "repos" / "app.git"
    files = sh_git(mirror, "show", "--name-only", "--format=", view["revision"]).split()
    assert files == ["src/org_service/add_retries_webhook_sender.py"]
    # every tool call was an action decided as the gate's action, recorded on the chain
    decided = [
        e
        for e in _events(bus, t, "action.decided")
        if (e.get("data") or {}).get("action") in ("spec.write", "code.write")
        or e.get("action") in ("spec.write", "code.write")
    ]
    assert len(decided) >= 8  # list, write, test, submit at two gates
    # ... and is in the tool-call ledger on the chain: tool, arguments digest, result, latency, decision
    calls = _events(bus, t, "tool.called")
    assert len(calls) >= 8 and {"list_files", "write_file", "run_tests", "submit"} <= {
        c["data"]["tool"] for c in calls
    }
    # org adds the policy's provenance to every event of a task under a repository's layer (policy_source)
    assert all(
        set(c["data"]) - {"policy_source"}
        == {"tool", "args_sha256", "result", "latency_ms", "decision", "rules"}
        for c in calls
    )
    written = sh_git(mirror, "show", f"{view['revision']}:src/org_service/add_retries_webhook_sender.py")
    assert not any(
        line.strip() in json.dumps(c) for c in calls for line in written.splitlines() if len(line) > 20
    )
    work = _events(bus, t, "work.submitted")
    assert any("tests:" in json.dumps(w) for w in work)


@pytest.mark.slow
def test_a_model_that_writes_outside_the_workspace_changes_nothing_there(
    repo_env, ws_org, local_server, tmp_path
):
    cfg, url, env, bus = repo_env
    target = tmp_path / "escape.txt"
    n = {"i": 0}

    def handle(body):
        n["i"] += 1
        call = {
            "id": f"c{n['i']}",
            "type": "function",
            "function": {
                "name": "write_file",
                "arguments": json.dumps({"path": f"../../../{target.name}", "content": "x"}),
            },
        }
        return chat_answer({"role": "assistant", "content": None, "tool_calls": [call]})

    local_server.handle_chat = handle
    t = bus.add_task("Add retries", "change", by="alice", attributes={"kind": "code"}, repo="app")["task"]
    rep = _run(cfg, url, env)
    assert not target.exists() and not (ws_org / target.name).exists()
    dead = [j for j in bus.task(t)["jobs"] if j["status"] == "dead"]
    assert dead and "no progress" in (dead[0]["reason"] or ""), bus.task(t)["jobs"]
    assert rep is not None and sys.executable


@pytest.mark.slow
def test_reviewers_catch_the_seeded_defect_in_the_real_diff_and_the_rework_fixes_it(
    repo_env, ws_org, local_server
):
    cfg, url, env, bus = repo_env
    local_server.config.defect_rate = 1.0
    t = bus.add_task(
        "Add retries to the webhook sender", "change", by="alice", attributes={"kind": "code"}, repo="app"
    )["task"]
    _run(cfg, url, env, lanes=("builder", "reviewer", "security"))
    view = bus.task(t)
    sent_back = [e for e in _events(bus, t, "review.filed") if e["data"]["verdict"] == "changes"]
    assert sent_back, [e["data"] for e in _events(bus, t, "review.filed")]
    f = sent_back[0]["data"]["findings"][0]
    assert f["file"] == "src/org_service/add_retries_webhook_sender.py" and isinstance(f["line"], int)
    gates = view["state"]["gates"]
    assert gates["correctness"]["status"] == gates["security"]["status"] == "passed", gates
    assert gates["done"]["bound"] == view["revision"]  # what waits for the pipeline's merge
    mirror = ws_org / ".org" / "repos" / "app.git"
    final = sh_git(mirror, "show", f"{view['revision']}:src/org_service/add_retries_webhook_sender.py")
    assert "range(retries)" in final and "verify=False" not in final
    # the reviewers were never shown the builder's note (its account of the work)
    notes = [e["data"].get("note", "") for e in _events(bus, t, "work.submitted")]
    assert notes and all(n not in json.dumps(local_server.counts) for n in notes if n)


@pytest.mark.slow
def test_a_reviewer_never_passes_a_diff_it_saw_only_in_part(repo_env, monkeypatch):
    """A builder pads its change past the diff cut so a file is never shown: the built-in reviewers are
    told the diff is truncated, and a pass of it fails the job (a human reviews) instead of passing the gate."""
    from org.workspaces import service

    cfg, url, env, bus = repo_env
    monkeypatch.setattr(service.revision_patch, "__kwdefaults__", {"limit": 120})  # any real change is cut
    t = bus.add_task(
        "Add retries to the webhook sender", "change", by="alice", attributes={"kind": "code"}, repo="app"
    )["task"]
    _run(cfg, url, env, lanes=("builder", "reviewer", "security"))
    view = bus.task(t)
    passed = [e for e in _events(bus, t, "review.filed") if e["data"]["verdict"] == "pass"]
    assert not passed, [e["data"] for e in passed]
    gates = view["state"]["gates"]
    assert gates["correctness"]["status"] != "passed" and gates["security"]["status"] != "passed", gates
    failed = [j for j in view["jobs"] if "not seen whole" in (j.get("reason") or "")]
    assert failed, view["jobs"]
