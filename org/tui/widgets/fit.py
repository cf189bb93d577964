"""Fit a DataTable to the width it has: columns keep their natural width while there is room; when there is
not, optional columns are dropped (least needed first) and flexible ones shrink, their cells ending in "…".
So no screen needs horizontal scrolling at 80 columns, and a wide terminal still shows everything.

    COLS = (Col("actor"), Col("family", drop=2), Col("working on", flex=True, min_width=8))
    fill(table, COLS, rows)            # rows: tuples of str or rich Text, one cell per column
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

__all__ = ["Col", "fit_widths", "fill"]

PAD = 2  # a DataTable cell's padding, one each side


@dataclass(frozen=True)
class Col:
    label: str
    drop: int = 0  # 0: always shown; otherwise dropped when narrow, the highest number first
    flex: int = (
        0  # shrinks down to `min_width` (cells end in "…") before anything is dropped; higher gives first
    )
    min_width: int = 8


def fit_widths(cols: Sequence, natural: Sequence[int], room: int) -> list[int | None]:
    """Each column's width (None: dropped) so that the columns fit `room` cells, padding included. A column is
    anything with `drop`, `flex` and `min_width` (Col here, RowTable's Column)."""
    widths: list[int | None] = list(natural)

    def total() -> int:
        return sum(w + PAD for w in widths if w is not None)

    # a higher `flex` gives way first; among equals the rightmost (summaries, notes, who asked)
    order = sorted((i for i, c in enumerate(cols) if c.flex), key=lambda i: (-int(cols[i].flex), -i))

    def shrink() -> None:
        for i in order:
            c, w = cols[i], widths[i]
            if c.flex and w is not None and total() > room:
                widths[i] = max(min(c.min_width, w), w - (total() - room))

    shrink()
    for i in sorted((i for i, c in enumerate(cols) if c.drop), key=lambda i: -cols[i].drop):
        if total() <= room:
            break
        widths[i] = None
        widths = [
            natural[j] if w is not None else None for j, w in enumerate(widths)
        ]  # un-shrink, then again
        shrink()
    return widths


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


@overload
def _cut(cell: str | Text, width: int) -> str | Text: ...
@overload
def _cut(cell: object, width: int) -> object: ...
def _cut(cell: object, width: int) -> object:
    if cell_len(_plain(cell)) <= width:
        return cell
    t = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    t.truncate(width, overflow="ellipsis")
    return t


def fill(
    table: DataTable,
    cols: Sequence[Col],
    rows: Sequence[Sequence[object]],
    *,
    keys: Sequence[str] | None = None,
    cursor: int | None = None,
) -> None:
    """Replace the table's rows, laying its columns out for its current width (call again on resize).
    The cursor stays on its row index (or goes to `cursor`)."""
    natural = [cell_len(c.label) for c in cols]
    for r in rows:
        for i, cell in enumerate(r):
            natural[i] = max(natural[i], cell_len(_plain(cell)))
    room = table.scrollable_content_region.width or table.size.width or sum(w + PAD for w in natural)
    if len(rows) + 1 > (table.size.height or 10**6) and table.show_vertical_scrollbar is False:
        room -= table.styles.scrollbar_size_vertical  # the vertical scrollbar about to appear takes its room
    widths = fit_widths(cols, natural, room)
    layout = tuple((c.label, w) for c, w in zip(cols, widths, strict=True) if w is not None)
    keep = table.cursor_row if cursor is None else cursor
    if getattr(table, "_org_layout", None) != layout:
        table.clear(columns=True)
        for label, w in layout:
            table.add_column(_cut(label, w), width=w, key=label)
        setattr(table, "_org_layout", layout)  # noqa: B010  (the layout it was laid out for, on the widget)
    else:
        table.clear()
    for n, r in enumerate(rows):
        cells = [_cut(cell, w) for cell, w in zip(r, widths, strict=True) if w is not None]
        table.add_row(*cells, key=keys[n] if keys else None)
    if rows:
        table.move_cursor(row=max(0, min(keep or 0, len(rows) - 1)))
