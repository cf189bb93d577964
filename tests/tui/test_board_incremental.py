"""The board reloads only the tasks events touched since the audit head it last saw (issue 23 item 4): after any
sequence of bus actions the incremental board is exactly the full rebuild, in the data and on the screen."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.tui.data import board_rows, board_update
from org.tui.widgets.rowtable import RowTable
from tests.tui.tuihelpers import settle, wait_for

ACTIONS = st.sampled_from(
    [
        "add",
        "add_old",
        "claim",
        "submit",
        "fail",
        "pause_task",
        "pause_lane",
        "resume",
        "plain",
        "approve",
        "nothing",
    ]
)


def _act(bus, clock, action: str, i: int) -> None:
    """One bus action (whatever state the bus is in; an action that cannot apply does nothing)."""
    from org.errors import OrgError

    clock.t += 7
    try:
        if action in ("add", "add_old"):
            kind = "docs" if action == "add" else "code"
            bus.add_task(f"task {i}", "change", by="alice", attributes={"kind": kind})
        elif action == "claim":
            bus.claim("builder", "build-claude")
        elif action in ("submit", "fail"):
            c = bus.claim("builder", "build-gpt")
            if c is not None:
                if action == "submit":
                    bus.submit(c.job, c.token, "pass", note="ok", content="diff", revision=f"r{i}")
                else:
                    bus.release(c.job, c.token, reason="not now")
        elif action == "pause_task":
            keys = [r.task for r in board_rows(bus)]
            if keys:
                bus.pause("task", keys[i % len(keys)], by="alice")
        elif action == "pause_lane":
            bus.pause("lane", "builder", by="alice")
        elif action == "resume":
            bus.resume("lane", "builder", by="alice")
        elif action == "plain":
            bus.post_jobs("reviewer", [{"x": i}], by="alice")
        elif action == "approve":
            bus.add_task(
                f"prod {i}", "change", by="bob", attributes={"environment": "production", "kind": "code"}
            )
    except OrgError:
        pass


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTIONS, min_size=1, max_size=14), every=st.integers(1, 3))
def test_the_incremental_board_is_the_full_rebuild_after_any_events(bus, clock, actions, every):
    board = board_update(bus, None)
    assert list(board.rows) == board_rows(bus)
    for i, action in enumerate(actions):
        _act(bus, clock, action, i)
        if i % every == 0:  # reloads skip some heads too
            board = board_update(bus, board)
            assert list(board.rows) == board_rows(bus), actions[: i + 1]
            assert board.at == {r.task: j for j, r in enumerate(board.rows)}
    board = board_update(bus, board)
    assert list(board.rows) == board_rows(bus)


def test_a_reload_with_nothing_new_reads_no_task(bus, keys):
    board = board_update(bus, None)
    b = bus.board(since=board.head)
    assert (b["full"], b["changed"], b["tasks"]) == (False, [], [])
    assert board_update(bus, board).rows == board.rows


def _tasks(app) -> list[str]:
    t = app.screen.query_one("#board-table", RowTable)
    return [t.get_row_at(i)[0] for i in range(t.row_count)]


@pytest.mark.slow
async def test_the_board_screen_shows_the_full_rebuild_as_events_arrive(make_app, bus, keys, clock):
    app = make_app(poll=0.05)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        for i, action in enumerate(["add", "claim", "submit", "pause_lane", "add", "resume", "approve"]):
            _act(bus, clock, action, 100 + i)
            want = board_rows(bus)
            assert await wait_for(pilot, lambda want=want: app.screen.rows == want), action
            assert _tasks(app) == [r.task for r in want]
