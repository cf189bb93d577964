"""Board: every task, filters and search narrow it, it updates live, and a task can be paused from it."""

from __future__ import annotations

from textual.widgets import Input

from org.tui.widgets.rowtable import RowTable
from tests.tui.tuihelpers import settle, wait_for


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
        await pilot.press("w", "w", "w")  # workflow: ops (after change and code)
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
        assert (
            _tasks(app)[0] == new and app.screen.selected().task == keys["done"]
        )  # the cursor stays on its task
        c = bus.claim("builder", "build-claude")
        bus.submit(c.job, c.token, "pass", content="spec")
        t = app.screen.query_one("#board-table", RowTable)
        assert await wait_for(
            pilot,
            lambda: any(
                "implement" in str(t.get_row_at(i)[5])
                for i in range(t.row_count)
                if t.get_row_at(i)[0] == c.task
            ),
        )


async def test_pause_a_task_from_the_board_stops_its_next_claim(make_app, keys, bus):
    from org.errors import Paused

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert (
            _tasks(app)[0] == keys["queued"]
        )  # newest first: T-5, its plan job queued for the operator lane
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("y")
        assert await wait_for(pilot, lambda: any(s["scope"] == "task" for s in bus.switches()))
    try:
        bus.claim("operator", "ops-gpt")
        raise AssertionError("a paused task's job was claimed")
    except Paused:
        pass


def _state(app, task: str) -> str:
    t = app.screen.query_one("#board-table", RowTable)
    return next(t.get_row_at(i)[4] for i in range(t.row_count) if t.get_row_at(i)[0] == task)


def _footer_keys(app) -> set[str]:
    """The keys the footer offers now (an action whose check_action says False is left out)."""
    return {k for k, ab in app.screen.active_bindings.items() if ab.enabled and ab.binding.show}


async def test_a_paused_task_shows_what_is_paused_and_resumes_from_the_board(make_app, keys, bus):
    """`org pause --task` (or p on the board) shows 'paused: task', not 'active'; a lane or actor pause shows
    which; u on the board resumes a task paused there; the timeline says it is paused and by whom."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        leased, queued = keys["leased"], keys["queued"]
        assert _state(app, leased) == "active"
        bus.pause("task", leased, by="bob", note="looping on the spec")  # from another terminal
        assert await wait_for(pilot, lambda: _state(app, leased) == "paused: task")
        assert _state(app, queued) == "active"
        bus.pause("actor", "build-gpt", by="bob")  # T-4's lease holder; the task's own pause is named first
        bus.resume("task", leased, by="bob")
        assert await wait_for(pilot, lambda: _state(app, leased) == "paused: actor build-gpt")
        bus.resume("actor", "build-gpt", by="bob")
        bus.pause("lane", "operator", by="bob")  # T-5's plan job waits in the operator lane
        assert await wait_for(pilot, lambda: _state(app, queued) == "paused: lane operator")
        assert _state(app, leased) == "active"
        bus.resume("lane", "operator", by="bob")
        assert await wait_for(pilot, lambda: _state(app, queued) == "active")
        await pilot.press("s", "s", "s")  # state filter: paused (nothing is)
        assert _tasks(app) == []
        await pilot.press("x")

        while app.screen.selected().task != leased:
            await pilot.press("down")
        assert "p" in _footer_keys(app) and "u" not in _footer_keys(app)
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("y")
        assert await wait_for(pilot, lambda: _state(app, leased) == "paused: task")
        assert await wait_for(pilot, lambda: "u" in _footer_keys(app) and "p" not in _footer_keys(app))
        await pilot.press("s", "s", "s")
        assert _tasks(app) == [leased]
        await pilot.press("x")
        await pilot.press("enter")  # its timeline
        assert await wait_for(
            pilot, lambda: "PAUSED (this task) by alice" in str(app.screen.query_one("#tl-head").render())
        )
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        assert await wait_for(pilot, lambda: _state(app, leased) == "active")
        assert not bus.switches()


def test_the_timeline_names_the_switch_of_its_own_task_not_another_tasks(keys, bus):
    """With two tasks paused, each task's timeline names its own pause (who pulled it, its note)."""
    from org.tui.data import task_paused_by

    leased, queued = keys["leased"], keys["queued"]
    bus.pause("task", queued, by="alice", note="first")
    bus.pause("task", leased, by="bob", note="second")
    for key, by, note in ((queued, "alice", "first"), (leased, "bob", "second")):
        hit = task_paused_by(bus, bus.task(key))
        assert hit is not None and (hit["what"], hit["by"], hit["note"]) == ("task", by, note), (key, hit)


async def test_every_screen_reads_with_the_humans_token(make_app, keys, bus, org_copy, db_url):
    """The TUI reads the bus only through the door (org.identity.guard), with the token of the human at the
    keyboard: once it is revoked, a task started later never reaches the board or the inbox count, and the
    refusal is a notification (it used to read the raw bus, whoever sat there)."""
    from org.identity.bootstrap import first_use_tokens
    from org.identity.tokens import Tokens
    from tests.helpers import read_token

    first_use_tokens(bus)
    app = make_app("alice", token=read_token(org_copy, "alice", db_url))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert sorted(_tasks(app)) == sorted(keys.values())
        pending = app.pending
        Tokens(bus).revoke(actor="alice", by="test")
        new = bus.add_task("Rotate the staging key", "change", by="bob", attributes={"kind": "code"})["task"]
        assert await wait_for(pilot, lambda: any(n.title == "Refused" for n in app._notifications))
        app.screen.reload()
        await settle(pilot)
        assert new not in _tasks(app) and app.pending == pending
