"""A whole `org run` stopped while its agent hangs (issue 15; ADR 0280, 0291).

Two hung agents: the builder lane's only member a coding CLI that ignores SIGTERM and SIGINT, starts a child
that ignores them too, and sleeps for ever; and a built-in agent whose worker (in its room) waits on a model
call that does not answer for an hour. The real `org run` (supervisor, broker, agent host, gateway, the rooms)
is sent SIGINT or SIGTERM once the agent works: it must end within its bound, leave no process of its tree
behind, release the job with the reason, and lose nothing (the audit chain verifies, no lease is left)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.agents.clis.test_jobs import add_task

pytestmark = pytest.mark.slow

STOP_BOUND_S = 90.0  # a hang guard: JOIN_S (30 s) and a room's grace (5 s) fit well inside it

HANG = """#!{python}
import os, signal, subprocess, sys, time
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
# its child ignores them too, then says so in a file of the workspace (its cwd): the state the test stops
subprocess.Popen([sys.executable, "-c",
    "import signal, time\\nfor s in (15, 2, 1): signal.signal(s, signal.SIG_IGN)\\n"
    "open({marker!r}, 'w').write('ignoring')\\ntime.sleep(10**6)  # {mark}"])
print("hanging", flush=True)
while True:
    time.sleep(1)
"""


def hang_cli(exe: Path, mark: str) -> None:
    """The hung CLI at `exe`: it and its child ignore SIGTERM, SIGINT and SIGHUP; the child's command line holds
    `mark`, and once both ignore them it writes the file hang-MARK in the CLI's working folder."""
    exe.write_text(HANG.format(python=sys.executable, marker=f"hang-{mark}", mark=mark))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


def cli_working(root: Path, mark: str):
    """The hung CLI's `working(tree)`: it started its child, and both ignore the signals (the child's file says)."""

    def working(_tree: dict) -> bool:
        return any(root.glob(f".org/workspaces/*/hang-{mark}"))

    return working


CLI_STOPPED = (
    "command: stopped; stopped: org's run is stopping"  # the released reason (the adapter's name first)
)
WORKER_STOPPED = "the job's worker ended without an outcome (the run was stopped)"


def _marked(marks: list[str]) -> dict[int, str]:
    """{pid: command line} of every process now (not only a tree's) whose command line or environment holds
    one of `marks`."""
    out = {}
    for pid, (_pp, _s, cmd) in _proc_table().items():
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
        except OSError:
            env = ""
        if any(m in cmd or m in env for m in marks):
            out[pid] = cmd
    return out


def _proc_table() -> dict[int, tuple[int, str, str]]:
    """{pid: (ppid, start time, command line)} of every process now."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat_line = Path(f"/proc/{d}/stat").read_text()
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat_line.rsplit(")", 1)[1].split()
        out[int(d)] = (int(fields[1]), fields[19], cmd)
    return out


def _tree(root: int, table: dict[int, tuple[int, str, str]]) -> dict[int, tuple[str, str]]:
    """{pid: (start time, command line)} of `root` and everything under it."""
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _s, _c) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = {}, [root]
    while todo:
        p = todo.pop()
        if p in table and p not in out:
            out[p] = (table[p][1], table[p][2])
            todo += kids.get(p, [])
    return out


def _run_and_stop(
    root: Path, e: dict, args: list[str], working, sig: int, bus, task: str, reason: str, marks: list[str]
) -> None:
    """Start `org run ARGS`, wait until `working(tree)` says its agent is at work, send `sig`, and check the end:
    the job released with `reason` (a substring of the released event's reason) and no process left, neither
    of its tree as it was nor any whose command line or environment holds one of `marks` (`e` gets the first
    as ORG_TEST_STOP_MARK: a process started after the snapshot, or reparented away from the tree, is seen)."""
    e = {**e, "ORG_TEST_STOP_MARK": marks[0]}
    p = subprocess.Popen(
        [sys.executable, "-m", "org", "run", "--json", *args],
        cwd=str(root),
        env=e,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300  # a hang guard: `org run` starts its broker, gateway, agent host
        tree: dict[int, tuple[str, str]] = {}
        while time.monotonic() < deadline and p.poll() is None:
            tree = _tree(p.pid, _proc_table())
            if working(tree):
                break
            time.sleep(0.1)
        assert p.poll() is None, p.communicate()[1][-3000:]
        assert working(tree), tree
        time.sleep(
            0.5
        )  # the state being stopped is an agent at work: let its room settle (not a synchronisation)
        tree = _tree(p.pid, _proc_table())
        t0 = time.monotonic()
        p.send_signal(sig)
        try:
            _out, err = p.communicate(timeout=STOP_BOUND_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"org run did not end within {STOP_BOUND_S:g} s of {signal.Signals(sig).name}")
        took = time.monotonic() - t0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    # no process of its tree is left (a pid reused since has another start time)
    deadline = time.monotonic() + 10  # processes killed at the end are reaped by their parents' exits
    while True:
        now = _proc_table()
        left = {pid: c for pid, (st, c) in tree.items() if pid in now and now[pid][1] == st} | _marked(marks)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not left, left
    assert "Traceback" not in err, err[-3000:]
    # the job was released with the reason, not left leased nor failed; nothing lost
    jobs = bus.task(task)["jobs"]
    assert not [j for j in jobs if j["status"] in ("leased", "dead")], jobs
    released = [x for x in bus.events_since(0, limit=100_000, task=task) if x["type"] == "job.released"]
    assert released and reason in released[-1]["data"].get("reason", ""), released
    audit = subprocess.run(
        [sys.executable, "-m", "org", "audit", "verify"], cwd=str(root), env=e, capture_output=True, text=True
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    print(f"org run ended {took:.1f} s after {signal.Signals(sig).name}: {released[-1]['data']['reason']}")


SIGNALS = pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])


@SIGNALS
def test_org_run_stopped_with_a_hung_cli_ends_in_bound_leaves_no_process_and_releases_the_job(
    cli_org, ws_org, tmp_path, sig
):
    from org.runtime import probe

    if not probe()[0]:
        pytest.skip("bubblewrap does not start here")
    cfg, url, env, bus = cli_org("command", "command/edit.jsonl")
    exe = tmp_path / "cli" / "bin" / "mycli"
    mark = uuid.uuid4().hex
    hang_cli(exe, mark)
    t = add_task(bus)
    e = {**os.environ, **env, "ORG_ROOT": str(ws_org), "ORG_DATABASE_URL": url}

    _run_and_stop(
        ws_org,
        e,
        ["--lane", "builder"],
        cli_working(ws_org, mark),
        sig,
        bus,
        t,
        CLI_STOPPED,
        [mark, str(exe)],
    )


@SIGNALS
def test_org_run_stopped_with_a_built_in_worker_hung_on_its_model_call_ends_in_bound_and_releases_the_job(
    org_copy, tmp_path, sig
):
    from org.agents.localmodel import LocalModelConfig, LocalModelServer
    from org.bus import Bus
    from org.config.loader import load_org
    from org.runtime import probe

    if not probe()[0]:
        pytest.skip("bubblewrap does not start here")
    srv = LocalModelServer(LocalModelConfig(seed=3, latency_s=3600.0)).start()  # every call hangs an hour
    url = f"sqlite:///{tmp_path / 'org.db'}"
    e = {
        **os.environ,
        "ORG_ROOT": str(org_copy),
        "ORG_DATABASE_URL": url,
        "ORG_LOCAL_MODEL_URL": srv.url,
        "ORG_MODELS": "local",
    }
    try:
        with Bus.open(url, root=org_copy, config=load_org(org_copy)) as bus:
            t = bus.add_task("Document the retry policy", "change", by="alice", attributes={"kind": "docs"})[
                "task"
            ]

            def working(tree: dict) -> bool:  # a worker in its room, its model call at the model (hung there)
                return srv.stats()["served"] >= 1 and any(
                    "org.agents.worker" in c and "bwrap" in c for _s, c in tree.values()
                )

            _run_and_stop(
                org_copy, e, [], working, sig, bus, t, WORKER_STOPPED, [uuid.uuid4().hex, str(org_copy)]
            )
    finally:
        srv.stop()
