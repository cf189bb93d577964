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
        return s.dispatcher(RunOptions(**{"lease_s": 120, "lanes": ("builder",), **kw})).run()


def events(bus, task, prefix="agent."):
    return [e for e in bus.events_since(0, limit=100_000, task=task) if e["type"].startswith(prefix)]


def add_task(bus):
    return bus.add_task("Add a greeting", "change", by="alice", attributes={"kind": "code"}, repo="app")[
        "task"
    ]


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
    assert by_tool["Write"]["outcome"] == "allow" and by_tool["Write"]["action"] in (
        "code.write",
        "spec.write",
    )
    assert by_tool["WebFetch"]["outcome"] == "deny" and by_tool["WebFetch"]["action"] == "web.fetch"
    assert by_tool["Edit"]["outcome"] == "deny" and "outside its workspace" in by_tool["Edit"]["reason"]
    # every allowed ask was decided and recorded as the gate's action
    decided = [e for e in bus.events_since(0, limit=100_000, task=t) if e["type"] == "action.decided"]
    assert decided
    # usage: the gateway's count, never Claude's own $12.50
    usage = [
        e["data"]["data"]
        for e in evs
        if e["type"] == "agent.usage" and e["data"]["data"].get("source") == "gateway"
    ]
    assert usage and usage[-1]["calls"] >= 1
    assert all(json.dumps(u).find("12.5") < 0 for u in usage)
    assert not (ws_org.parent / "outside.txt").exists()


def _report(evs):
    for e in evs:
        text = (e["data"] or {}).get("text") or ""
        if e["type"] == "agent.message" and text.startswith("fake report: "):
            return json.loads(text.split(": ", 1)[1].splitlines()[0])
    raise AssertionError("the fake CLI's report is not on the timeline")


@pytest.mark.slow
@pytest.mark.parametrize(
    "runtime,transcript",
    [
        ("codex", "codex/edit.jsonl"),
        ("opencode", "opencode/edit.jsonl"),
        ("aider", "aider/edit.jsonl"),
        ("mini-swe-agent", "mini/edit.jsonl"),
        ("command", "command/edit.jsonl"),
    ],
)
def test_each_cli_member_reaches_a_commit_holding_nothing_but_its_gateway_token(
    cli_org, ws_org, runtime, transcript
):
    cfg, url, env, bus = cli_org(runtime, transcript)
    t = add_task(bus)
    rep = run_builder(cfg, url, env)
    view = bus.task(t)
    assert view["state"]["gates"]["implement"]["status"] == "passed", rep.failures
    mirror = ws_org / ".org" / "repos" / "app.git"
    assert sh_git(mirror, "show", "--name-only", "--format=", view["revision"]).split() == ["src/greeting.py"]
    evs = events(bus, t)
    fins = [e["data"]["data"] for e in evs if e["type"] == "agent.finished"]
    assert fins and all(f["stop_reason"] == "end_turn" for f in fins), fins
    rep_env = _report(evs)
    assert rep_env["gateway_token"] and rep_env["anthropic_same"]
    names = set(rep_env["env"])
    assert not {"ORG_DATABASE_URL", "ORG_TOKEN", "ORG_TOKEN_PEPPER", "ORG_GATEWAY_URL"} & names
    assert {"OPENAI_BASE_URL", "OPENAI_API_KEY"} <= names
    started = [
        e["data"]["data"] for e in evs if e["type"] == "agent.started" and "runtime" in e["data"]["data"]
    ]
    assert started[0]["runtime"] == runtime
    from org.runtime import probe

    assert started[0]["isolation"] == ("bwrap" if probe()[0] else "none")
    assert rep_env["cwd"] == view["workspace"]["path"] if isinstance(view.get("workspace"), dict) else True
    usage = [
        e["data"]["data"]
        for e in evs
        if e["type"] == "agent.usage" and e["data"]["data"].get("source") == "gateway"
    ]
    assert usage and all(u["calls"] >= 1 for u in usage)
    if (
        runtime == "codex"
    ):  # its approvals went through decide(): the shell command allowed, /etc/hosts refused
        perms = [e["data"]["data"] for e in evs if e["type"] == "agent.permission"]
        assert {p["kind"]: p["outcome"] for p in perms if p["kind"] == "shell"} == {"shell": "allow"}
        assert any(p["outcome"] == "deny" and "outside its workspace" in p["reason"] for p in perms)


FAULTS = {
    "hang": ("faults_hang.jsonl", "wall_limit"),
    "flood": ("faults_flood.jsonl", "output_limit"),
    "exit": ("faults_exit.jsonl", "exit_nonzero"),
    "model": ("faults_model.jsonl", "exit_nonzero"),
    "no_marker": ("command/no_marker.jsonl", "no_marker"),
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_misbehaving_cli_is_stopped_its_job_failed_with_the_reason_and_the_dispatcher_goes_on(
    cli_org, ws_org, tmp_path, monkeypatch, fault
):
    from org.agents.clis import job as cli_job_mod
    from org.agents.clis.driver import DriveLimits

    transcript, stop = FAULTS[fault]
    monkeypatch.setattr(cli_job_mod, "LIMITS", DriveLimits(wall_s=3.0, max_output=1 << 20))
    cfg, url, env, bus = cli_org("command", transcript, lane_models="openai/gpt-5")
    t = add_task(bus)
    rep = run_builder(cfg, url, env)
    assert rep.stopped_by == "idle"  # the dispatcher finished its run
    jobs = bus.task(t)["jobs"]
    dead = [j for j in jobs if j["status"] == "dead"]
    assert dead, (jobs, rep.failures)
    assert stop in (dead[0]["reason"] or ""), (dead[0], rep.failures)
    fins = [e["data"]["data"] for e in events(bus, t) if e["type"] == "agent.finished"]
    assert fins[-1]["stop_reason"] == stop
    assert not (ws_org.parent / "escape.txt").exists() and not (tmp_path / "escape.txt").exists()
    if fault == "model":  # the gateway refused the model its lane may not use, and said why
        assert "not allowed" in dead[0]["reason"], dead[0]["reason"]


@pytest.mark.slow
def test_a_cli_writing_outside_its_workspace_writes_into_its_room_only(cli_org, ws_org, tmp_path):
    """In the sandbox the rest of the file system is not the host's: a write to ../ or /tmp lands in the room's
    own scratch space and is gone with it; only the workspace change reaches the commit."""
    from org.runtime import probe

    if not probe()[0]:
        pytest.skip(f"no sandbox here ({probe()[1]}): without one a CLI can write where its user can")
    cfg, url, env, bus = cli_org("command", "faults_outside.jsonl")
    t = add_task(bus)
    rep = run_builder(cfg, url, env)
    view = bus.task(t)
    assert view["state"]["gates"]["implement"]["status"] == "passed", rep.failures
    ws_parent = ws_org / ".org" / "workspaces"
    assert not list(ws_org.rglob("escape.txt")) and not (ws_parent / "escape.txt").exists()
    assert not list(tmp_path.rglob("escape.txt")) and not __import__("os").path.exists("/escape-abs.txt")
    mirror = ws_org / ".org" / "repos" / "app.git"
    assert sh_git(mirror, "show", "--name-only", "--format=", view["revision"]).split() == ["src/greeting.py"]


@pytest.mark.slow
@pytest.mark.parametrize("scope", ["task", "actor"])
def test_a_kill_switch_reaches_a_running_cli_at_its_next_model_call(cli_org, local_server, scope):
    """The task (or the member) is paused while its CLI works (during its first model call): the gateway
    refuses the second call, the CLI gives up, and the job is released (not failed); nothing is submitted, and
    the dispatcher ends its run (a paused member's own token no longer opens the run's reads)."""
    cfg, url, env, bus = cli_org("command", "faults_pause.jsonl")
    t = add_task(bus)
    original = local_server.handle_chat
    calls = []

    def handle(body):
        calls.append(body)
        if len(calls) == 1:
            bus.pause(scope, t if scope == "task" else "build-cli", by="alice", note="stop it")
        return original(body)

    local_server.handle_chat = handle
    rep = run_builder(cfg, url, env, lease_s=2 if scope == "actor" else 120)
    assert len(calls) == 1  # the second call never reached the model
    assert rep.stopped_by == "idle"
    jobs = bus.task(t)["jobs"]
    assert not [j for j in jobs if j["status"] == "dead"], jobs
    assert not [e for e in bus.events_since(0, limit=100_000, task=t) if e["type"] == "work.submitted"]
    assert not [f for f in rep.failures if "internal error" in f["detail"]], rep.failures
    if scope == "task":  # a paused member's own job token is refused too: its lease runs out instead
        released = [e for e in bus.events_since(0, limit=100_000, task=t) if e["type"] == "job.released"]
        assert released and "paused" in json.dumps(released[-1]), (released, rep.failures)


@pytest.mark.slow
def test_org_run_works_a_cli_member_through_the_supervisor_and_its_agent_host(
    cli_org, ws_org, local_server, tmp_path
):
    """The real `org run` process: the supervisor holds the gateway, the agent host (no secret in its
    environment) finds the CLI on ORG_CLI_PATH and runs it in its room; the change reaches a commit."""
    import os
    import subprocess
    import sys

    cfg, url, env, bus = cli_org("command", "command/edit.jsonl")
    t = add_task(bus)
    e = {
        **os.environ,
        **env,
        "ORG_ROOT": str(ws_org),
        "ORG_DATABASE_URL": url,
        "OPENAI_API_KEY": "sk-provider-key-the-cli-must-never-see",
    }
    p = subprocess.run(
        [sys.executable, "-m", "org", "run", "--json", "--lane", "builder"],
        cwd=str(ws_org),
        env=e,
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard only
    )
    assert p.returncode == 0, p.stderr[-3000:]
    view = bus.task(t)
    assert view["state"]["gates"]["implement"]["status"] == "passed", p.stderr[-2000:]
    rep_env = _report(events(bus, t))
    assert rep_env["gateway_token"]  # its OPENAI_API_KEY is the job's gateway token, not the provider key
    report = json.loads(p.stdout)
    assert report["calls"] >= 2  # counted at the gateway: one call per job (spec and implement)


@pytest.mark.slow
def test_a_cli_change_to_a_protected_path_is_refused_by_the_diff_guard(cli_org, ws_org):
    """What a CLI leaves in its workspace is a revision like any other: the diff guard refuses a change to a
    protected path, the job fails with the reason, and nothing reaches the repository."""
    cfg, url, env, bus = cli_org("command", "faults_protected.jsonl")
    t = add_task(bus)
    rep = run_builder(cfg, url, env)
    dead = [j for j in bus.task(t)["jobs"] if j["status"] == "dead"]
    assert dead and "submission was refused" in dead[0]["reason"] and ".github" in dead[0]["reason"], (
        dead,
        rep.failures,
    )
    assert bus.task(t)["revision"] is None or ".github" not in sh_git(
        ws_org / ".org" / "repos" / "app.git", "show", "--name-only", "--format=", bus.task(t)["revision"]
    )


SPINNERS = {
    "spins": "while True:\n    pass\n",
    # ignores SIGXCPU: the kernel's SIGKILL at the limit's hard bound, said as the CPU limit by the relay
    "ignores_sigxcpu": "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("spinner", sorted(SPINNERS))
def test_a_spinning_cli_member_in_a_lane_with_a_1s_cpu_limit_is_killed_and_its_job_failed(
    cli_org, ws_org, tmp_path, spinner
):
    """A coding CLI member (runtime: command) that spins in a builder lane with `room: {cpu_s: 1}`: the
    real dispatcher, bus, gateway and workspace; the job is dead with the CPU limit as its reason, the
    dispatcher ends its run."""
    import stat
    import sys

    from org.runtime import probe

    if not probe()[0]:
        pytest.skip("bubblewrap does not start here")
    p = ws_org / "lanes" / "builder.yaml"
    p.write_text(p.read_text() + "room: {cpu_s: 1, wall_s: 120}\n")  # the lane's limits (ADR 0291)
    cfg, url, env, bus = cli_org("command", "command/edit.jsonl")
    assert cfg.lanes["builder"].room.cpu_s == 1
    exe = tmp_path / "cli" / "bin" / "mycli"  # the fake CLI replaced by one that spins
    exe.write_text(f"#!{sys.executable}\n{SPINNERS[spinner]}")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    t = add_task(bus)
    rep = run_builder(cfg, url, env)
    assert rep.stopped_by == "idle"
    dead = [j for j in bus.task(t)["jobs"] if j["status"] == "dead"]
    assert dead and "CPU limit of 1 s" in (dead[0]["reason"] or ""), (bus.task(t)["jobs"], rep.failures)
    fins = [e["data"]["data"] for e in events(bus, t) if e["type"] == "agent.finished"]
    assert fins[-1]["stop_reason"] == "cpu_limit"
