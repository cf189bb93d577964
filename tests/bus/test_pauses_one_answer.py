"""'Is this paused?' has one answer (issue 18, item 1): the bus refusing an action or a claim, the dispatcher
checking between steps and the TUI showing a task name the same switch, whichever switches hold."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.agents.busport import AgentDoor, holding_switch
from org.errors import Paused
from org.identity.bootstrap import agent_tokens
from org.identity.guard import Guard
from org.tui.data import task_paused_by

CANDIDATES = [
    ("all", None),
    ("actor", "ops-claude"),
    ("lane", "operator"),
    ("vendor", "anthropic"),
    ("task", "T"),
    ("actor", "ops-gpt"),
    ("lane", "builder"),
    ("vendor", "openai"),
]


def _bus_says(bus, task):
    try:
        bus.act("deploy.staging", "ops-claude", task)
    except Paused as exc:
        return (
            f"{exc.detail['scope']} {exc.detail['target']}" if exc.detail["scope"] != "all" else "everything"
        )
    return None


def _tui_says(bus, task):
    hit = task_paused_by(
        bus,
        {
            "task": task,
            "status": "active",
            "jobs": [{"status": "leased", "leased_by": "ops-claude", "lane": "operator"}],
        },
    )
    if hit is None:
        return None
    return (
        "everything" if hit["what"] == "all" else (f"task {task}" if hit["what"] == "task" else hit["what"])
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=st.lists(st.sampled_from(CANDIDATES), unique=True, max_size=4))
def test_bus_dispatcher_and_tui_name_the_same_switch(sbus, chosen):
    t = sbus.add_task("Ship", "ops", by="alice", attributes={"environment": "staging"})["task"]
    try:
        for scope, target in chosen:
            sbus.pause(scope, t if scope == "task" else target, by="alice", note="test")
        bus = _bus_says(sbus, t)
        dispatcher = holding_switch(AgentDoor(Guard(sbus), agent_tokens(sbus)), "ops-claude", "operator", t)
        tui = _tui_says(sbus, t)
        assert bus == dispatcher == tui, (chosen, bus, dispatcher, tui)
        assert (bus is None) == (
            not [
                c
                for c in chosen
                if c[0] in ("all", "task") or c[1] in ("ops-claude", "operator", "anthropic")
            ]
        )
    finally:
        for s in sbus.switches():
            sbus.resume(s["scope"], s["target"], by="alice")
