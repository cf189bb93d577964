"""Snapshots of every screen at fixed sizes over the deterministic story (fixed ids, fixed clock).
Update after an intended change with: .ci/dev pytest tests/tui/test_snapshots.py --snapshot-update"""

from __future__ import annotations

import pytest

from tests.tui.tuihelpers import settle


def _run(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for k in keys:
            await pilot.press(k)
            await settle(pilot)

    return run_before


@pytest.fixture
def make_app(make_app):
    """The app factory, with toasts that stay up: a snapshot shows the notification its keys raised whatever
    time a loaded machine took to get there (a toast's default 5 s ran out before the screenshot under load,
    and test_screen_at_80x24[board_paused] failed)."""

    def make(*a, **kw):
        app = make_app(*a, **kw)
        app.NOTIFICATION_TIMEOUT = 3600
        return app

    return make


SCREENS = {
    "inbox": (),
    "board": ("2",),
    "board_paused": ("2", "down", "down", "down", "p", "y"),  # T-2 paused from the board: 'paused: task', u
    "board_filtered": ("2", "t", "t", "t"),
    "timeline": ("enter",),
    "agents": ("3",),
    "gates": ("4", "down", "down"),
    "adrs": ("5",),
    "help": ("question_mark",),
    "approve_modal": ("a",),
}


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_screen(name, snap_compare, make_app, keys):
    assert snap_compare(make_app(), run_before=_run(*SCREENS[name]), terminal_size=(110, 32))


SMALL = ("inbox", "board", "board_paused", "timeline", "agents", "gates", "adrs", "help", "approve_modal")


@pytest.mark.parametrize("name", SMALL)
def test_screen_at_80x24(name, snap_compare, make_app, keys):
    """Every screen at the smallest size it must be usable at: no column hidden behind a horizontal scroll,
    text wrapped to the width, panes stacked where they do not fit side by side."""
    assert snap_compare(make_app(), run_before=_run(*SCREENS[name]), terminal_size=(80, 24))


def test_light_theme(snap_compare, make_app, keys):
    assert snap_compare(make_app(), run_before=_run("ctrl+t"), terminal_size=(110, 32))


def test_no_database(snap_compare, make_app, db_url):
    assert snap_compare(make_app(use_bus=False, db_url=db_url), run_before=_run(), terminal_size=(80, 24))


@pytest.mark.parametrize("name", SMALL)
async def test_nothing_hides_behind_a_horizontal_scroll_at_80x24(name, make_app, keys, org_copy):
    """At 80x24 no table or pane needs horizontal scrolling; the timeline shows at least 8 events, the agents
    table keeps done, the gates table its live counts."""
    from textual.widgets import DataTable

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(*SCREENS[name])(pilot)
        scrolled = [w for w in app.screen.query("*") if w.display and w.show_horizontal_scrollbar]
        assert not scrolled, [
            f"{w!r}: {w.virtual_size.width} > {w.scrollable_content_region.width}" for w in scrolled
        ]
        if name == "timeline":
            assert app.screen.query_one("#tl-table", DataTable).scrollable_content_region.height - 1 >= 8
        if name == "agents":
            labels = [str(c.label) for c in app.screen.query_one("#actors", DataTable).columns.values()]
            assert {"actor", "status", "working on", "lease", "spent", "done"} <= set(labels), labels
        if name == "gates":
            labels = [str(c.label) for c in app.screen.query_one("#plan-table", DataTable).columns.values()]
            assert {"gate", "plan", "queued", "leased", "pending"} <= set(labels), labels
