"""RowTable, the board's virtualised table: only visible rows are painted, keyboard and mouse move the
cursor, a click on the cursor row selects it, new rows keep the cursor, a filter to few rows drops the
scrollbar."""

from __future__ import annotations

from textual.app import App, ComposeResult

from org.tui.widgets.rowtable import Column, RowTable

COLS = (
    Column("id"),
    Column("title", flex=True, min_width=8, max_width=30),
    Column("tier", styles={"high": "bold red"}),
)


def rows(n: int, start: int = 0) -> list[tuple[str, ...]]:
    return [
        (f"T-{i}", f"Task number {i} with a long title that is cut", "high" if i % 3 == 0 else "low")
        for i in range(start, start + n)
    ]


class Host(App):
    def __init__(self, data) -> None:
        super().__init__()
        self.data = data
        self.events: list[tuple[str, int]] = []

    def compose(self) -> ComposeResult:
        yield RowTable(COLS, id="t")

    def on_mount(self) -> None:
        t = self.query_one(RowTable)
        t.set_rows(self.data)
        t.focus()

    def on_row_table_row_highlighted(self, e: RowTable.RowHighlighted) -> None:
        self.events.append(("highlighted", e.row))

    def on_row_table_row_selected(self, e: RowTable.RowSelected) -> None:
        self.events.append(("selected", e.row))


def _screen_text(app) -> list[str]:
    return ["".join(seg.text for seg in line) for line in app.screen._compositor.render_full_update().strips]


async def test_only_the_visible_rows_are_painted():
    painted: list[int] = []
    app = Host(rows(10_000))
    async with app.run_test(size=(60, 12)) as pilot:
        t = app.query_one(RowTable)
        orig = t._paint

        def spy(cells, style, styled):
            painted.append(int(cells[0][2:]) if cells[0].startswith("T-") else -1)
            return orig(cells, style, styled)

        t._paint = spy
        t._strips.clear()
        t.refresh()
        await pilot.pause()
        assert t.row_count == 10_000
        assert painted and max(painted) < 12 and len(painted) <= 12  # the header and the rows on screen
        lines = _screen_text(app)
        assert lines[0].split()[:3] == ["id", "title", "tier"]
        assert lines[1].split()[0] == "T-0" and "…" in lines[1] and len(lines[1]) == 60


async def test_keyboard_moves_the_cursor_and_scrolls():
    app = Host(rows(500))
    async with app.run_test(size=(60, 12)) as pilot:
        t = app.query_one(RowTable)
        await pilot.press("down", "down")
        assert t.cursor_row == 2
        await pilot.press("pagedown")
        assert t.cursor_row > 2 + 5 and t.scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert t.cursor_row == 499
        assert any(line.startswith(" T-499") for line in _screen_text(app))
        await pilot.press("home")
        await pilot.pause()
        assert t.cursor_row == 0 and t.scroll_y == 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.events[-1] == ("selected", 0)
        assert ("highlighted", 499) in app.events


async def test_mouse_click_moves_then_selects():
    app = Host(rows(50))
    async with app.run_test(size=(60, 12)) as pilot:
        t = app.query_one(RowTable)
        await pilot.click(RowTable, offset=(3, 4))  # line 4 = the fourth row (the header is line 0)
        await pilot.pause()
        assert t.cursor_row == 3 and app.events[-1] == ("highlighted", 3)
        await pilot.click(RowTable, offset=(3, 4))
        await pilot.pause()
        assert app.events[-1] == ("selected", 3)
        await pilot.click(RowTable, offset=(3, 0))  # the header selects nothing
        await pilot.pause()
        assert t.cursor_row == 3 and app.events[-1] == ("selected", 3)


async def test_new_rows_and_fewer_rows():
    app = Host(rows(300))
    async with app.run_test(size=(60, 12)) as pilot:
        t = app.query_one(RowTable)
        await pilot.pause()
        assert t.show_vertical_scrollbar
        t.set_rows(rows(3), cursor=2)
        await pilot.pause()
        assert t.row_count == 3 and t.cursor_row == 2 and not t.show_vertical_scrollbar
        assert [line.split()[0] for line in _screen_text(app)[1:4]] == ["T-0", "T-1", "T-2"]
        assert _screen_text(app)[4].strip() == ""
        t.set_rows([])
        await pilot.pause()
        assert t.row_count == 0 and t.cursor_row == 0
        await pilot.press("down", "enter")
        assert not any(e[0] == "selected" for e in app.events)
