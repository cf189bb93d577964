"""FilterSelect: a Select whose shown value changes without a layout pass of the whole screen.

A stock Select re-lays out the screen every time its value changes (its label is an auto-height Static),
which costs a full repaint of every widget. A filter's label is one line in a fixed width, so the board's
filters repaint only themselves: a keystroke that cycles a filter repaints the table, not the screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Select, Static
from textual.widgets._select import NoSelection, SelectCurrent, SelectOverlay

__all__ = ["FilterSelect"]


class _Current(SelectCurrent):
    def update(self, label) -> None:
        self.label = label
        self.has_value = label is not Select.NULL
        self.query_one("#label", Static).update(
            self.placeholder if isinstance(label, NoSelection) else label, layout=False
        )


class FilterSelect(Select):
    """A compact Select for one filter (one line; the same options, keys and messages as Select)."""

    DEFAULT_CSS = "FilterSelect SelectCurrent Static#label { height: 1; }"

    def compose(self) -> ComposeResult:
        yield _Current(self.prompt)
        yield SelectOverlay(type_to_search=self._type_to_search).data_bind(compact=Select.compact)
