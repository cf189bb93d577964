"""`job_read` (ADR 0171): what a job's worker in its room reads while it works, over the bus socket with its job
token only, scoped to its own job: the switches covering it, its own task's results and events, the log's head.
Attacked as a worker would: another job's number, another task's events, a principal token, an unknown read,
a job whose lease moved on."""

from __future__ import annotations

import pytest

from org.bus import Bus
from org.errors import Conflict, Denied, UsageError
from org.identity.bootstrap import first_use_tokens
from org.identity.busd import BusServer
from org.identity.guard import Guard
from org.runtime.busclient import BusClient


@pytest.fixture
def scene(org_copy, tmp_path):
    url = f"sqlite:///{org_copy / '.org' / 'org.db'}"
    with Bus.open(url, root=org_copy) as bus:
        first_use_tokens(bus)
        g = Guard(bus, token_files=False)
        alice = g.tokens.issue("alice", by="test")["token"]
        agent = g.tokens.issue("build-claude", by="test")["token"]
        other = g.tokens.issue("build-gpt", by="test")["token"]
        mine = g.add_task(alice, "Mine", "change", by="alice")["task"]
        theirs = g.add_task(alice, "Theirs", "change", by="alice")["task"]
        c1, jt1 = g.claim(agent, "builder", "build-claude")
        c2, jt2 = g.claim(other, "builder", "build-gpt")
    with BusServer(url, root=org_copy, path=tmp_path / "bus.sock") as srv, BusClient(srv.path) as client:
        yield {
            "url": url,
            "root": org_copy,
            "client": client,
            "alice": alice,
            "agent": agent,
            "jobs": {c1.task: (c1, jt1), c2.task: (c2, jt2)},
            "tasks": (mine, theirs),
        }


def test_a_worker_reads_its_own_tasks_events_and_switches_and_nothing_of_another_task(scene):
    client = scene["client"]
    (c1, jt1), (c2, _jt2) = scene["jobs"].values()
    events = client.job_read(jt1, c1.job, "events", limit=10_000)
    assert events and {e.get("task") for e in events} == {c1.task}
    assert client.job_read(jt1, c1.job, "head") >= max(e["seq"] for e in events)
    assert client.job_read(jt1, c1.job, "switches") == []
    assert client.job_read(jt1, c1.job, "work_result") is None  # nothing submitted yet
    # another job's number with this job's token: refused, and nothing of that task is read
    with pytest.raises(Denied):
        client.job_read(jt1, c2.job, "events")
    # the scope is the token's job, whatever task a caller names: job_read takes no task
    with pytest.raises(UsageError):
        client.call("job_read", jt1, job=c1.job, what="events", task=c2.task)


def test_a_pause_covering_the_job_is_what_its_worker_reads(scene):
    client = scene["client"]
    c1, jt1 = next(iter(scene["jobs"].values()))
    with Bus.open(scene["url"], root=scene["root"]) as bus:
        bus.pause("task", c1.task, by="alice", note="hold on")
    # the job token still reads under a pause: the worker must see the pause to stop (holding_switch)
    got = client.job_read(jt1, c1.job, "switches")
    assert [(s["scope"], s["target"]) for s in got] == [("task", c1.task)]


@pytest.mark.parametrize("who", ["principal", "human", "none", "forged"])
def test_only_a_live_job_token_reads(scene, who):
    client = scene["client"]
    c1, _jt1 = next(iter(scene["jobs"].values()))
    token = {
        "principal": scene["agent"],
        "human": scene["alice"],
        "none": None,
        "forged": "orgj_0123456789abcdef_xxxxxxxx",
    }[who]
    with pytest.raises(Denied):
        client.job_read(token, c1.job, "events")


def test_an_unknown_read_is_a_usage_error_and_a_finished_job_reads_nothing(scene):
    client = scene["client"]
    c1, jt1 = next(iter(scene["jobs"].values()))
    with pytest.raises(UsageError, match="not a job read"):
        client.job_read(jt1, c1.job, "tokens")
    client.release(jt1, c1.job, reason="done with it")
    with pytest.raises(Conflict):
        client.job_read(jt1, c1.job, "events")
