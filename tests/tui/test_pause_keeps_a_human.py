"""The Agents screen cannot pause the last human who may resume (ADR 0057): the bus refuses, the TUI
shows why, nothing is paused, and the human can still resume the other."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.tui.tuihelpers import settle, wait_for


async def _pause_actor(pilot, app, actor: str) -> None:
    t = app.screen.query_one("#actors", DataTable)
    t.focus()
    t.move_cursor(row=next(i for i in range(t.row_count) if t.get_row_at(i)[0] == actor))
    await pilot.pause()
    await pilot.press("p")
    await pilot.pause()
    await pilot.press("y")


async def test_pausing_yourself_after_the_other_human_is_refused(make_app, keys, bus):
    from org.identity.bootstrap import first_use_tokens

    first_use_tokens(bus)  # alice's and bob's own token files (this test's config home)
    app = make_app("alice")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await _pause_actor(pilot, app, "bob")
        assert await wait_for(
            pilot, lambda: [(s["scope"], s["target"]) for s in bus.switches()] == [("actor", "bob")]
        )
        await _pause_actor(pilot, app, "alice")
        assert await wait_for(
            pilot, lambda: any("no human who may resume" in str(n.message) for n in app._notifications)
        )
        assert [(s["scope"], s["target"]) for s in bus.switches()] == [("actor", "bob")]
    assert bus.resume("actor", "bob", by="alice")["changed"]
