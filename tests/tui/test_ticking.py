"""Ages move with the clock on every screen that shows one (inbox, board, agents' leases) without a bus change,
and without reading the bus again: each tick repaints from what was read."""

from __future__ import annotations

from textual.widgets import DataTable

from org.tui.widgets.rowtable import RowTable
from tests.tui.tuihelpers import plain, settle, wait_for


def _count_loads(screen) -> list[int]:
    calls = [0]
    real = screen.load

    def load():
        calls[0] += 1
        return real()

    screen.load = load
    return calls


async def _visit(pilot, key: str):
    """Switch screens with `key`; (the screen, its load counter from now on)."""
    await pilot.press(key)
    await settle(pilot)
    return pilot.app.screen, _count_loads(pilot.app.screen)


async def test_ages_tick_without_a_bus_change_or_a_reload(make_app, keys, bus, clock):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        head = bus.head()

        inbox = app.screen
        loads = _count_loads(inbox)
        table = inbox.query_one("#inbox-table", DataTable)
        assert table.get_row_at(0)[0] == "27m"
        assert "27m ago" in plain(inbox.query_one("#evidence"))
        clock.t += 60
        assert await wait_for(pilot, lambda: table.get_row_at(0)[0] == "28m")
        assert await wait_for(pilot, lambda: "28m ago" in plain(inbox.query_one("#evidence")))
        assert loads[0] == 0

        board, loads = await _visit(pilot, "2")
        rt = board.query_one("#board-table", RowTable)

        def changed(task: str) -> str:
            """The task's 'changed' age as the screen shows it (what was painted, not a fresh render of the row)."""
            assert any(rt.get_row_at(i)[0] == task for i in range(rt.row_count))
            screen = [
                "".join(seg.text for seg in line).split()
                for line in app.screen._compositor.render_full_update().strips
            ]
            return next(
                words[-1].rstrip("▁▂▃▄▅▆▇█▎") or words[-2] for words in screen if words and words[0] == task
            )

        assert (
            changed(keys["queued"]) == "3m"
        )  # filed 120 s before the story ended, and a minute passed above
        clock.t += 120
        assert await wait_for(pilot, lambda: changed(keys["queued"]) == "5m")
        assert loads[0] == 0

        agents, loads = await _visit(pilot, "3")
        actors = agents.query_one("#actors", DataTable)

        def lease(actor: str) -> tuple[str, str]:
            row = next(
                actors.get_row_at(i) for i in range(actors.row_count) if actors.get_row_at(i)[0] == actor
            )
            return str(row[5]), str(row[1])

        assert lease("build-gpt")[0] == "5m"  # claimed 150 s before the story ended; 3 minutes passed above
        clock.t += 60
        assert await wait_for(pilot, lambda: lease("build-gpt")[0] == "6m")
        clock.t += 5 * 60  # past the 10-minute lease: flagged expired, still without reading again
        assert await wait_for(pilot, lambda: lease("build-gpt")[1] == "expired")
        assert loads[0] == 0
        assert bus.head() == head
