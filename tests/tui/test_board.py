"""Board: every task, filters and search narrow it, it updates live, and a task can be paused from it."""

from __future__ import annotations

from textual.widgets import Input
from tuihelpers import settle, wait_for

from org.tui.widgets.rowtable import RowTable


def _tasks(app) -> list[str]:
    t = app.screen.query_one("#board-table", RowTable)
    return [t.get_row_at(i)[0] for i in range(t.row_count)]


async def test_filters_and_search_narrow_the_board(make_app, keys):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert sorted(_tasks(app)) == ["T-1", "T-2", "T-3", "T-4", "T-5"]
        await pilot.press("t")  # tier: low
        assert sorted(_tasks(app)) == sorted([keys["done"], keys["queued"]])
        await pilot.press("t")  # tier: medium
        assert _tasks(app) == [keys["leased"]]
        await pilot.press("x")
        await pilot.press("s", "s")  # state: waiting (on a human)
        assert sorted(_tasks(app)) == [keys["high_change"], keys["high_ops"]]
        await pilot.press("w", "w")  # workflow: ops
        assert _tasks(app) == [keys["high_ops"]]
        await pilot.press("x", "l", "l")  # lane: builder (an open job for it)
        assert _tasks(app) == [keys["leased"]]
        await pilot.press("x", "slash", *"deploy")
        assert _tasks(app) == [keys["high_ops"]]
        await pilot.press("enter")  # back to the table
        assert not isinstance(app.focused, Input)
        await pilot.press("x")
        assert len(_tasks(app)) == 5


async def test_board_updates_live_while_agents_work(make_app, keys, bus):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("down", "down")
        assert app.screen.selected().task == keys["done"]
        new = bus.add_task("Rotate the staging key", "change", by="bob", attributes={"kind": "code"})["task"]
        assert await wait_for(pilot, lambda: new in _tasks(app))  # no key pressed: the poll found it
        assert _tasks(app)[0] == new and app.screen.selected().task == keys["done"]  # the cursor stays on its task
        c = bus.claim("builder", "build-claude")
        bus.submit(c.job, c.token, "pass", content="spec")
        t = app.screen.query_one("#board-table", RowTable)
        assert await wait_for(pilot, lambda: any(
            "implement" in str(t.get_row_at(i)[5]) for i in range(t.row_count) if t.get_row_at(i)[0] == c.task))


async def test_pause_a_task_from_the_board_stops_its_next_claim(make_app, keys, bus):
    from org.errors import Paused

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert _tasks(app)[0] == keys["queued"]  # newest first: T-5, its plan job queued for the operator lane
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("y")
        assert await wait_for(pilot, lambda: any(s["scope"] == "task" for s in bus.switches()))
    try:
        bus.claim("operator", "ops-gpt")
        raise AssertionError("a paused task's job was claimed")
    except Paused:
        pass
