"""`org run` through the real entry point: several processes share one provider budget through the
database; the CLI reports cost per successful outcome; Ctrl-C stops gracefully with leases released."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from org.agents.localmodel import LocalModelConfig, LocalModelServer
from org.bus import Bus
from org.config.loader import load_org
from tests.helpers import run_org


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request, org_copy, tmp_path):
    """An org, its database, and one loopback provider limited to 240 rpm (4/s, bucket of 4)."""
    url = (
        f"sqlite:///{tmp_path / 'org.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    )
    srv = LocalModelServer(LocalModelConfig(seed=3, defect_rate=0.0, rpm=240, burst_s=1.0)).start()
    cfg = load_org(org_copy)
    env = {
        "ORG_LOCAL_MODEL_URL": srv.url,
        "ORG_MODELS": "local",
        "ORG_DATABASE_URL": url,
        "ORG_RATE_LIMITS": "local=240",
    }
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        yield org_copy, bus, env, srv
    srv.stop()


def _spawn(root, env, *args):
    e = {**os.environ, **env, "ORG_ROOT": str(root)}
    return subprocess.Popen(
        [sys.executable, "-m", "org", "run", "--json", *args],
        cwd=str(root),
        env=e,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_processes_share_one_rate_budget(shared):
    root, bus, env, srv = shared
    tasks = [
        bus.add_task(f"Document retry policy {i}", "change", attributes={"kind": "docs"})["task"]
        for i in range(6)
    ]
    procs = [_spawn(root, env) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]  # a hang guard only: a loaded machine is slow
    for p, (_out, errs) in zip(procs, outs, strict=True):
        assert p.returncode == 0, errs[-2000:]
    reports = [json.loads(out) for out, _ in outs]
    assert all(bus.task(t)["status"] == "done" for t in tasks)
    assert sum(r["jobs"] for r in reports) == 12 and sum(r["calls"] for r in reports) == 12
    assert all(r["jobs"] for r in reports)  # the work really was shared
    counts = srv.stats()["counts"]
    # two processes, each pacing at the full 240 rpm on its own, would see about half their calls refused
    assert counts.get("rate_limited", 0) <= 1, counts
    assert counts["ok"] == 12
    done = sum(r["tasks_done"] for r in reports)
    assert done >= 1 and all(
        r["cost_per_success_usd"] is None or r["cost_per_success_usd"] > 0 for r in reports
    )


@pytest.mark.slow
def test_ctrl_c_stops_gracefully_and_releases_leases(shared):
    root, bus, env, srv = shared
    if not env["ORG_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the SQLite run covers Ctrl-C; the database plays no part in it")
    srv.config.latency_s = 1.0
    for i in range(6):
        bus.add_task(f"Document retry policy {i}", "change", attributes={"kind": "docs"})
    p = _spawn(root, env, "--watch")
    deadline = time.monotonic() + 60
    while not [e for e in bus.events_since(0, types=("job.claimed",))] and time.monotonic() < deadline:
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    out, errs = p.communicate(timeout=30)
    assert p.returncode == 0, errs[-2000:]
    report = json.loads(out)
    assert report["stopped_by"] == "signal"
    jobs = [j for t in bus.list_tasks() for j in bus.task(t["task"])["jobs"]]
    assert not [j for j in jobs if j["status"] == "leased"]  # every lease was submitted or released
    assert report["jobs"] >= 1


def test_run_rejects_unknown_lanes_and_bad_limits(org_copy):
    r = run_org("run", "--lane", "approver", root=org_copy)
    assert r.returncode == 2 and "not an agent lane" in r.stderr
    r = run_org("run", "--limit", "openai=fast", root=org_copy)
    assert r.returncode == 2 and "--limit" in r.stderr
