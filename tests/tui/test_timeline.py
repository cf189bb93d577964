"""Task timeline: every event and model call, who acted, and where each rule and value came from."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from tests.tui.tuihelpers import plain, settle


async def test_timeline_shows_events_calls_and_sources(make_app, keys, bus):
    app = make_app()
    t = keys["high_change"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # from the inbox's first request
        await settle(pilot)
        table = app.screen.query_one("#tl-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        events = bus.timeline(t)
        calls = bus.spend("task", task=t)[0]["calls"]
        assert len(rows) == len(events) + calls
        types = [str(r[4]) for r in rows]
        assert (
            types.count("model.call") == calls and "review.filed" in types and "approval.requested" in types
        )
        who = {str(r[2]) for r in rows}
        assert {"bob", "build-claude", "rev-gpt", "sec-gemini", "engine"} <= who
        head = plain(app.screen.query_one("#tl-head", Static))
        assert t in head and "tier high" in head
        detail = plain(app.screen.query_one("#tl-detail", Static))  # the first row: task.created
        assert (
            "RISK-PRODUCTION" in detail
            and "gates/risk.yaml:" in detail
            and "environment='production'" in detail
        )
        call_row = types.index("model.call")
        table.move_cursor(row=call_row)
        await settle(pilot)
        detail = plain(app.screen.query_one("#tl-detail", Static))
        assert "tokens_in" in detail and "cost_usd" in detail
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query("#inbox-table")
