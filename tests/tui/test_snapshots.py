"""Snapshots of every screen at fixed sizes over the deterministic story (fixed ids, fixed clock).
Update after an intended change with: .ci/dev pytest tests/tui/test_snapshots.py --snapshot-update"""

from __future__ import annotations

import pytest
from tuihelpers import settle


def _run(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for k in keys:
            await pilot.press(k)
            await settle(pilot)
        await pilot.pause(0.3)
        await settle(pilot)

    return run_before


SCREENS = {
    "inbox": (),
    "board": ("2",),
    "board_filtered": ("2", "t", "t", "t"),
    "timeline": ("enter",),
    "agents": ("3",),
    "gates": ("4", "down", "down"),
    "adrs": ("5",),
    "help": ("question_mark",),
    "approve_modal": ("a",),
}


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_screen(name, snap_compare, make_app, keys, org_copy):
    if name == "adrs":  # pin the ADR list to the foundation's 0001-0009: later ADRs must not move the snapshot
        for f in (org_copy / "adrs").glob("[0-9][0-9][0-9][0-9]-*.md"):
            if int(f.name[:4]) >= 10:
                f.unlink()
    assert snap_compare(make_app(), run_before=_run(*SCREENS[name]), terminal_size=(110, 32))


def test_inbox_at_80x24(snap_compare, make_app, keys):
    assert snap_compare(make_app(), run_before=_run(), terminal_size=(80, 24))


def test_board_at_80x24(snap_compare, make_app, keys):
    assert snap_compare(make_app(), run_before=_run("2"), terminal_size=(80, 24))


def test_light_theme(snap_compare, make_app, keys):
    assert snap_compare(make_app(), run_before=_run("ctrl+t"), terminal_size=(110, 32))


def test_no_database(snap_compare, make_app, db_url):
    assert snap_compare(make_app(use_bus=False, db_url=db_url), run_before=_run(), terminal_size=(80, 24))
