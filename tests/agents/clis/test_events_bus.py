"""The `agent_events` operation: a CLI session's events on the job's timeline, only by the holder of the job's
live lease, only of the one event model, bounded; through the bus, the door and the bus socket alike."""

from __future__ import annotations

import pytest

from org.bus import AGENT_EVENT_KINDS
from org.errors import Conflict, UsageError


def test_every_kind_is_recorded_on_the_task_timeline(leased):
    bus, t, c = leased
    evs = [
        {"kind": k, "text": f"{k} text", "tool": "Write", "call": "c1", "data": {"n": 1}}
        for k in AGENT_EVENT_KINDS
    ]
    assert bus.agent_events(c.job, c.token, evs)["recorded"] == len(AGENT_EVENT_KINDS)
    got = [e for e in bus.events_since(0, task=t) if e["type"].startswith("agent.")]
    assert [e["type"] for e in got] == [f"agent.{k}" for k in AGENT_EVENT_KINDS]
    assert got[0]["data"] == {"text": "started text", "tool": "Write", "call": "c1", "data": {"n": 1}}
    assert got[0]["actor"] == "build-gpt" and got[0]["job"] == c.job
    assert bus.audit_verify().ok


@pytest.mark.parametrize(
    "events,contains",
    [
        ([{"kind": "decision", "text": "x"}], "kind"),
        ([{"kind": "message", "text": "x", "actor": "alice"}], "'actor'"),
        ([{"kind": "message", "text": 5}], "'text'"),
        ([{"kind": "message", "data": {"x": "y" * 20000}}], "data"),
        ([{"kind": "message"}] * 201, "at most 200"),
        ("message", "list"),
        ([5], "kind"),
    ],
)
def test_anything_else_is_refused_and_nothing_recorded(leased, events, contains):
    bus, t, c = leased
    with pytest.raises(UsageError, match=contains):
        bus.agent_events(c.job, c.token, events)
    assert not [e for e in bus.events_since(0, task=t) if e["type"].startswith("agent.")]


def test_a_long_text_is_cut_and_a_stale_token_is_refused(leased):
    bus, t, c = leased
    bus.agent_events(c.job, c.token, [{"kind": "message", "text": "x" * 50_000}])
    (e,) = [e for e in bus.events_since(0, task=t) if e["type"] == "agent.message"]
    assert len(e["data"]["text"]) == 2000
    bus.release(c.job, c.token, reason="done with it")
    with pytest.raises(Conflict):
        bus.agent_events(c.job, c.token, [{"kind": "message", "text": "after the lease"}])
