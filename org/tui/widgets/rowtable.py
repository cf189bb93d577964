"""RowTable: a virtualised, read-only table over plain tuples that renders only the rows on screen.

Textual's Line API: `render_line(y)` builds one Strip for the one visible line asked for, so replacing
10,000 rows (a filter keystroke) costs a list assignment and a repaint of the ~40 visible lines, never a
widget or renderable per row. The header stays fixed; one column may flex to the width left over (so the
table fits 80 columns); a row cursor moves with the keyboard and the mouse; a click on the cursor row, or
enter, selects it. Cells are plain strings; a column may map cell values to Rich styles.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from org.tui.widgets.fit import fit_widths

__all__ = ["Column", "RowTable", "natural_widths"]

Row = tuple[Any, ...]  # strings, or for a live column the value its `live` function shows


@dataclass(frozen=True)
class Column:
    label: str
    styles: Mapping[str, str] = field(default_factory=dict)  # cell value (or its first word) -> Rich style
    flex: int = (
        0  # takes the room left over, down to min_width (long cells end in "…"); higher gives way first
    )
    min_width: int = 10
    max_width: int | None = None  # longer cells end in "…" even when there is room
    drop: int = 0  # when even the flexible columns cannot fit: 0 stays, otherwise the highest goes first
    live: Callable[[Any, float], str] | None = None  # (cell, now) -> text: painted when shown, e.g. an age
    width: int = 0  # a live column's width (its text is made at paint time, so it cannot be measured before)


def natural_widths(columns: Sequence[Column], rows: Sequence[Row]) -> list[int]:
    """The widest cell of each column (header included), in terminal cells."""
    widths = [max(cell_len(c.label), c.width) for c in columns]
    for i in range(len(columns)):
        if columns[i].live is not None:
            continue
        for cell in {r[i] for r in rows}:
            n = len(cell) if cell.isascii() else cell_len(cell)
            if n > widths[i]:
                widths[i] = n
    return widths


def _fit(text: str, width: int) -> str:
    if text.isascii():
        return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def _style_of(styles: Mapping[str, Style], cell: str) -> Style | None:
    """The cell's style: by its whole value, else by its first word ("paused: lane builder" -> "paused")."""
    s = styles.get(cell)
    if s is None and cell:
        s = styles.get(cell.split(None, 1)[0].rstrip(":"))
    return s


class RowTable(ScrollView, can_focus=True):
    """A table of rows (tuples of strings, one per column) with a row cursor."""

    COMPONENT_CLASSES = {"rowtable--header", "rowtable--even-row", "rowtable--cursor", "rowtable--hover"}
    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .rowtable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .rowtable--header { background-tint: $foreground 5%; }
        }
        & > .rowtable--header { text-style: bold; background: $panel; color: $foreground; }
        & > .rowtable--even-row { background: $surface-lighten-1 50%; }
        &:dark > .rowtable--even-row { background: $surface-darken-1 40%; }
        & > .rowtable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .rowtable--hover { background: $block-hover-background; }
    }
    """
    BINDINGS = [
        Binding("enter", "select", "Select", show=False),
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "jump(0)", "First", show=False),
        Binding("end,ctrl+end", "jump(-1)", "Last", show=False),
    ]

    class RowHighlighted(Message):
        """The cursor moved to `row` (an index into the current rows)."""

        def __init__(self, table: RowTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> RowTable:
            return self.table

    class RowSelected(RowHighlighted):
        """Enter, or a click on the cursor row."""

    def __init__(
        self, columns: Sequence[Column], *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = tuple(columns)
        self._rows: Sequence[Row] = ()
        self._natural = [cell_len(c.label) for c in self.columns]
        self._widths = list(self._natural)
        self._cursor = 0
        self._hover: int | None = None
        self._styles = [{k: Style.parse(v) for k, v in c.styles.items()} for c in self.columns]
        self._strips: dict[tuple[Row, Style, bool], Strip] = {}  # painted rows, by content and row style
        self._header: Row = tuple(c.label for c in self.columns)
        self._live = {i: c.live for i, c in enumerate(self.columns) if c.live is not None}
        self.clock: Callable[[], float] = time.time  # what live columns show is as of this clock
        self.virtual_size = Size(self._total_width(), 1)

    # -- data ------------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> Sequence[Row]:
        return self._rows

    def get_row_at(self, index: int) -> Row:
        return self._rows[index]

    def set_rows(
        self, rows: Sequence[Row], *, widths: Sequence[int] | None = None, cursor: int | None = None
    ) -> None:
        """Show these rows (kept by reference, not copied). widths: the natural column widths if the caller
        knows them (e.g. over all rows, so columns do not jump as a filter narrows them); cursor: where the
        cursor goes (default: stays at its index, within the new rows)."""
        self._rows = rows
        self._natural = list(widths) if widths is not None else natural_widths(self.columns, rows)
        self._hover = None
        self._layout_columns()
        self._cursor = max(0, min(self._cursor if cursor is None else cursor, len(rows) - 1))
        self._scroll_to_cursor()
        self.refresh()

    # -- cursor ----------------------------------------------------------------------------------
    @property
    def cursor_row(self) -> int:
        return self._cursor

    def move_cursor(self, row: int, *, notify: bool = True) -> None:
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        if row != self._cursor:
            self._refresh_row(self._cursor)
            self._cursor = row
            self._refresh_row(row)
        self._scroll_to_cursor()
        if notify:
            self.post_message(self.RowHighlighted(self, row))

    def action_cursor(self, delta: int) -> None:
        self._set_hover(None)
        self.move_cursor(self._cursor + delta)

    def action_page(self, direction: int) -> None:
        self._set_hover(None)
        self.move_cursor(self._cursor + direction * max(1, self._page_height() - 1))

    def action_jump(self, where: int) -> None:
        self._set_hover(None)
        self.move_cursor(len(self._rows) - 1 if where < 0 else where)

    def action_select(self) -> None:
        if self._rows:
            self.post_message(self.RowSelected(self, self._cursor))

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_y)
        h = self._page_height()
        if self._cursor < top:
            top = self._cursor
        elif self._cursor >= top + h:
            top = self._cursor - h + 1
        top = max(0, min(top, max(0, len(self._rows) + 1 - self.scrollable_content_region.height)))
        if top != int(self.scroll_y):
            self.scroll_to(y=top, animate=False, force=True, immediate=True)

    def _refresh_row(self, row: int | None) -> None:
        if row is None:
            return
        y = row - int(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.refresh_line(y)

    # -- mouse -----------------------------------------------------------------------------------
    def _row_at(self, event: events.MouseEvent) -> int | None:
        off = event.get_content_offset(self)
        if off is None or off.y < 1:
            return None
        row = int(self.scroll_y) + off.y - 1
        return row if 0 <= row < len(self._rows) else None

    def _set_hover(self, row: int | None) -> None:
        if row != self._hover:
            old, self._hover = self._hover, row
            self._refresh_row(old)
            self._refresh_row(row)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._row_at(event))

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def on_click(self, event: events.Click) -> None:
        row = self._row_at(event)
        if row is None:
            return
        if row == self._cursor:
            self.post_message(self.RowSelected(self, row))
        else:
            self.move_cursor(row)

    # -- layout ----------------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self._layout_columns()
        self._scroll_to_cursor()

    def _total_width(self) -> int:
        return sum(w + 2 for w in self._widths if w)

    def _layout_columns(self) -> None:
        widths = [
            min(w, c.max_width) if c.max_width else w
            for w, c in zip(self._natural, self.columns, strict=True)
        ]
        room = self.scrollable_content_region.width or self.size.width
        if (
            room
        ):  # flexible columns shrink (rightmost first), then optional ones go; a dropped column is width 0
            widths = [w or 0 for w in fit_widths(self.columns, widths, room)]
        if widths != self._widths:
            self._widths = widths
            self._strips.clear()
        size = Size(self._total_width(), len(self._rows) + 1)
        if size == self.virtual_size:
            return
        if not self.container_size:
            self.virtual_size = size  # not laid out yet: the first layout sizes the scrollbars
            return
        # A new row count needs no layout of the screen (the table's own region does not change), only new
        # scrollbars: set the size without the reactive's layout pass. Showing or hiding a scrollbar
        # changes its `display`, which asks for the layout it needs by itself.
        self.set_reactive(RowTable.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    # -- painting --------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        sx = int(self.scroll_x)
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("rowtable--header")
            strip = self._strip(self._header, style, styled=False)
        else:
            i = int(self.scroll_y) + y - 1
            if i >= len(self._rows):
                return Strip.blank(width, base)
            styled = True
            if i == self._cursor:  # the cursor's colours win over the cells' (as in a DataTable)
                style, styled = base + self.get_component_rich_style("rowtable--cursor"), False
            elif i == self._hover:
                style = base + self.get_component_rich_style("rowtable--hover")
            elif i % 2 == 0:
                style = base + self.get_component_rich_style("rowtable--even-row")
            else:
                style = base
            row = self._rows[i]
            if self._live:
                now = self.clock()
                row = tuple(live(v, now) if (live := self._live.get(j)) else v for j, v in enumerate(row))
            strip = self._strip(row, style, styled=styled)
        return strip.crop(sx, sx + width).extend_cell_length(width, style)

    def _strip(self, cells: Row, style: Style, *, styled: bool = True) -> Strip:
        strip = self._strips.get((cells, style, styled))
        if strip is None:
            if len(self._strips) > 1000:
                self._strips.clear()
            strip = self._strips[cells, style, styled] = self._paint(cells, style, styled)
        return strip

    def _paint(self, cells: Row, style: Style, styled: bool) -> Strip:
        segs = []
        for cell, w, styles in zip(cells, self._widths, self._styles, strict=False):
            if not w:
                continue
            s = _style_of(styles, cell) if styled and styles else None
            segs.append(Segment(" " + _fit(cell, w) + " ", style + s if s is not None else style))
        return Strip(segs, self._total_width())
