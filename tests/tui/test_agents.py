"""Agents and lanes: who works on what, and kill switches that stop one agent without touching the rest."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from org.errors import Paused
from tests.tui.tuihelpers import settle, wait_for


def _row(app, table_id: str, key: str):
    t = app.screen.query_one(f"#{table_id}", DataTable)
    for i in range(t.row_count):
        if t.get_row_at(i)[0] == key:
            return i, t.get_row_at(i)
    raise AssertionError(f"{key} not in {table_id}")


async def _goto(pilot, app, table_id: str, key: str) -> None:
    t = app.screen.query_one(f"#{table_id}", DataTable)
    t.focus()
    t.move_cursor(row=_row(app, table_id, key)[0])
    await pilot.pause()


async def test_agents_show_work_lease_and_spend(make_app, keys, bus, clock):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        _, row = _row(app, "actors", "build-gpt")
        assert row[4] == f"{keys['leased']}/spec" and row[5] == "2m"  # leased 120 s ago (fixed clock)
        _, row = _row(app, "actors", "build-claude")
        assert str(row[6]).startswith("$0.03/") or str(row[6]).startswith("$0.03")
        _, lane = _row(app, "lanes", "builder")
        assert lane[5] == "1" and str(lane[6]) == "$0.03/20"
        clock.t += 9 * 60  # 11 of the lease's 10 minutes have passed: highlighted
        assert await wait_for(pilot, lambda: str(_row(app, "actors", "build-gpt")[1][1]) == "expired")


async def test_pause_one_agent_stops_its_next_claim_only(make_app, keys, bus):
    app = make_app("bob")
    bus.add_task("Another change", "change", by="alice", attributes={"kind": "code"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await _goto(pilot, app, "actors", "build-claude")
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("y")
        assert await wait_for(
            pilot, lambda: str(_row(app, "actors", "build-claude")[1][1]).startswith("PAUSED")
        )
        with pytest.raises(Paused):
            bus.claim("builder", "build-claude")
        sw = bus.switches()
        assert [(s["scope"], s["target"], s["paused_by"]) for s in sw] == [("actor", "build-claude", "bob")]
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        assert await wait_for(pilot, lambda: not bus.switches())
        assert bus.claim("builder", "build-claude").gate == "spec"


async def test_pause_a_lane_a_vendor_and_everything(make_app, keys, bus):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await _goto(pilot, app, "lanes", "operator")
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("n")  # declined: nothing happens
        await settle(pilot)
        assert bus.switches() == []
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("y")
        assert await wait_for(
            pilot, lambda: [(s["scope"], s["target"]) for s in bus.switches()] == [("lane", "operator")]
        )
        with pytest.raises(Paused):
            bus.claim("operator", "ops-gpt")
        await _goto(pilot, app, "actors", "rev-gpt")
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("y")
        assert await wait_for(
            pilot, lambda: ("vendor", "openai") in {(s["scope"], s["target"]) for s in bus.switches()}
        )
        await pilot.press("P")
        await pilot.pause()
        await pilot.press("y")
        assert await wait_for(pilot, lambda: "all" in {s["scope"] for s in bus.switches()})
        with pytest.raises(Paused):
            bus.claim("security", "sec-claude")
        await pilot.press("U")
        await pilot.pause()
        await pilot.press("y")
        assert await wait_for(pilot, lambda: "all" not in {s["scope"] for s in bus.switches()})
