"""Each real coding CLI alone as the builder lane (`runtime: aider`, `runtime: mini-swe-agent`), live and
offline, with `org run --lane builder`: the CLI works the demo task's builder jobs in its bubblewrap room (its
workspace the only writable path, no network: the gateway's Unix socket behind the relay on the room's own
loopback), calls the deterministic local model only through org's gateway with the job's gateway token, and
changes the webhook sender; org commits what it left through the diff guard. Every model call the local model
served is a row of the gateway's ledger against the CLI's job, and the user's provider key reaches nothing."""

from __future__ import annotations

import json

import pytest

from org.bus import Bus
from tests.workspaces.gitrepo import sh_git

pytestmark = pytest.mark.slow
TITLE = "Add retry with backoff to the webhook sender"
SENDER = "webhooks/sender.py"
MEMBER = {"aider": "build-aider", "mini": "build-mini"}


@pytest.mark.parametrize("cli", ["aider", "mini"])
def test_the_cli_alone_builds_the_demo_change_through_the_gateway_and_the_diff_guard(live_org, cli):
    o = live_org(cli)
    task = o.task(TITLE)
    summary, wall = o.run("--lane", "builder")
    served = o.local.stats()["served"]
    usage = o.usage()
    with Bus.open(o.url, root=o.root) as bus:
        view = bus.task(task)
        events = bus.events_since(0, limit=100_000, task=task)
    assert not summary["failures"], summary["failures"]
    # every call the local model served came through the gateway, counted against the CLI member's jobs
    assert len(usage) == served >= 2 and {u[0] for u in usage} == {MEMBER[cli]}, (usage, served)
    assert {u[2] for u in usage} == {task} and {u[3] for u in usage} == {"ok"}
    gates = view["state"]["gates"]
    assert gates["implement"]["status"] == "passed", gates
    mirror = o.root / ".org" / "repos" / "service.git"
    files = sh_git(mirror, "show", "--name-only", "--format=", view["revision"]).split()
    assert files == [SENDER], files  # the change, without the CLI's own state (.aider*, trajectories)
    assert "time.sleep(delay * 2 ** attempt)" in sh_git(mirror, "show", f"{view['revision']}:{SENDER}")
    ends = [e for e in events if e["type"] == "agent.finished"]
    assert ends and all(e["data"]["data"]["stop_reason"] == "end_turn" for e in ends), ends
    assert any(e["type"] == "agent.tool_call" for e in events)
    assert o.key not in json.dumps(events)
    jobs = sorted({u[1] for u in usage})
    calls = {j: sum(1 for u in usage if u[1] == j) for j in jobs}
    print(
        f"{cli}: {len(jobs)} builder jobs, model calls per job {list(calls.values())}, org run {wall:.1f} s"
    )
