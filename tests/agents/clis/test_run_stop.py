"""A whole `org run` stopped while its agent hangs (issue 15; ADR 0280, 0291).

The builder lane's only member is a coding CLI that ignores SIGTERM and SIGINT, starts a child that ignores them
too, and sleeps for ever. The real `org run` (supervisor, broker, agent host, gateway, the CLI's room) is sent
SIGINT or SIGTERM once the CLI runs: it must end within its bound, leave no process of its tree behind, release
the job with the reason, and lose nothing (the audit chain verifies, no lease is left, the task can be worked)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.agents.clis.test_jobs import add_task

pytestmark = pytest.mark.slow

STOP_BOUND_S = 90.0  # a hang guard: JOIN_S (30 s) and a room's grace (5 s) fit well inside it

HANG = """#!{python}
import signal, subprocess, sys, time
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c",
    "import signal, time\\nfor s in (15, 2, 1): signal.signal(s, signal.SIG_IGN)\\ntime.sleep(10**6)"])
print("hanging", flush=True)
while True:
    time.sleep(1)
"""


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


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_org_run_stopped_with_a_hung_cli_ends_in_bound_leaves_no_process_and_releases_the_job(
    cli_org, ws_org, tmp_path, sig
):
    from org.runtime import probe

    if not probe()[0]:
        pytest.skip("bubblewrap does not start here")
    cfg, url, env, bus = cli_org("command", "command/edit.jsonl")
    exe = tmp_path / "cli" / "bin" / "mycli"
    exe.write_text(HANG.format(python=sys.executable))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    marker = str(exe)
    t = add_task(bus)
    e = {**os.environ, **env, "ORG_ROOT": str(ws_org), "ORG_DATABASE_URL": url}
    p = subprocess.Popen(
        [sys.executable, "-m", "org", "run", "--json", "--lane", "builder"],
        cwd=str(ws_org),
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
            if sum(marker in c or "10**6" in c for _s, c in tree.values()) >= 2:  # the CLI and its child
                break
            time.sleep(0.1)
        assert p.poll() is None, p.communicate()[1][-3000:]
        assert sum(marker in c for _s, c in tree.values()) >= 1, tree
        time.sleep(
            0.5
        )  # the state being stopped is a CLI at work: let its room settle (not a synchronisation)
        tree = _tree(p.pid, _proc_table())
        t0 = time.monotonic()
        p.send_signal(sig)
        try:
            out, err = p.communicate(timeout=STOP_BOUND_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"org run did not end within {STOP_BOUND_S:g} s of {sig.name}")
        took = time.monotonic() - t0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    # no process of its tree is left (a pid reused since has another start time)
    deadline = time.monotonic() + 10  # processes killed at the end are reaped by their parents' exits
    while True:
        now = _proc_table()
        left = {pid: c for pid, (s, c) in tree.items() if pid in now and now[pid][1] == s}
        left.update({pid: c for pid, (_pp, _s, c) in now.items() if marker in c or "10**6" in c})
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not left, left
    assert "Traceback" not in err, err[-3000:]
    # the job was released with the reason, not left leased nor failed; nothing lost
    jobs = bus.task(t)["jobs"]
    assert not [j for j in jobs if j["status"] in ("leased", "dead")], jobs
    released = [x for x in bus.events_since(0, limit=100_000, task=t) if x["type"] == "job.released"]
    assert released and "stop" in json.dumps(released[-1]["data"]), released
    audit = subprocess.run(
        [sys.executable, "-m", "org", "audit", "verify"],
        cwd=str(ws_org),
        env=e,
        capture_output=True,
        text=True,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    print(f"org run ended {took:.1f} s after {sig.name}")
