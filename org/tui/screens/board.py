"""The board: every task by state and open gate, filterable by lane, state, tier and workflow, searchable, live."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Select, Static

from org.tui.data import STATES, BoardRow, Filters, board_rows, filter_rows
from org.tui.screens.base import OrgScreen

__all__ = ["BoardScreen", "PAGE"]

PAGE = 100  # rows painted per step: a filter repaints one page; scrolling near the end paints the next
TITLE_MAX = 32
STATE_STYLE = {"waiting": "bold yellow", "escalated": "bold red", "done": "green", "rejected": "red", "active": ""}
TIER_STYLE = {"high": "bold red", "medium": "yellow", "low": "green"}


class BoardScreen(OrgScreen):
    MODE = "board"
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("l", "cycle('lane')", "Lane"),
        Binding("s", "cycle('state')", "State"),
        Binding("t", "cycle('tier')", "Tier"),
        Binding("w", "cycle('workflow')", "Workflow"),
        Binding("x", "clear_filters", "Clear"),
        Binding("enter", "timeline", "Timeline", show=False),
        Binding("p", "pause_task", "Pause task"),
        Binding("escape", "focus_table", "Table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[BoardRow] = []
        self.shown: list[BoardRow] = []
        self.matched: list[BoardRow] = []
        self.filters = Filters()
        self.choices: dict[str, list[str]] = {"lane": [], "state": list(STATES), "tier": [], "workflow": []}
        self._painted: tuple | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="board-filters", classes="body"):
            yield Input(placeholder="/ search", id="board-search", compact=True)
            for f in ("lane", "state", "tier", "workflow"):
                yield Select([], prompt=f, id=f"f-{f}", compact=True, classes="filter")
        yield Static("", id="board-count", classes="body status")
        table = DataTable(id="board-table", cursor_type="row", zebra_stripes=True, classes="body")
        for label, key in (("task", "task"), ("title", "title"), ("workflow", "wf"), ("tier", "tier"),
                           ("state", "state"), ("open gates", "gates"), ("who", "who")):
            table.add_column(label, key=key)
        yield table

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#board-table", DataTable).focus()

    def load(self):
        bus = self.app.bus
        cfg = bus.config()
        rows = board_rows(bus)
        choices = {"lane": sorted(cfg.lanes) if cfg else [], "state": list(STATES),
                   "tier": [t.id for t in cfg.risk.tiers] if cfg else [],
                   "workflow": sorted(cfg.workflows) if cfg else []}
        return rows, choices

    def show(self, data) -> None:
        rows, choices = data
        if not rows:
            self.empty("The work bus is empty: no task has been started.")
            return
        self.empty(None)
        if choices != self.choices or not self._painted:
            self.choices = choices
            for f, opts in choices.items():
                sel = self.query_one(f"#f-{f}", Select)
                with self.prevent(Select.Changed):
                    sel.set_options([(o, o) for o in opts])
                    value = getattr(self.filters, f)
                    if value in opts:
                        sel.value = value
        self.rows = rows
        self.repaint()

    # -- painting ----------------------------------------------------------------------------
    def repaint(self) -> None:
        matched = filter_rows(self.rows, self.filters)
        count = self.query_one("#board-count", Static)
        count.update(f"{len(matched):,} of {len(self.rows):,} tasks · {self.filters.describe()}")
        sig = (self.filters, tuple(matched[:PAGE]))
        if sig == self._painted and len(matched) == len(self.matched):
            self.matched = matched
            return
        self._painted = sig
        self.matched = matched
        table = self.query_one("#board-table", DataTable)
        keep = table.cursor_row
        table.clear()
        self.shown = []
        self._paint_more(max(PAGE, keep + 1))
        if self.shown:
            table.move_cursor(row=min(keep, len(self.shown) - 1))

    def _paint_more(self, n: int = PAGE) -> None:
        """Append the next n matching rows (the table holds only what was scrolled to)."""
        start = len(self.shown)
        more = self.matched[start:start + n]
        if not more:
            return
        self.shown.extend(more)
        self.query_one("#board-table", DataTable).add_rows(
            [(r.task, r.title if len(r.title) <= TITLE_MAX else r.title[:TITLE_MAX - 1] + "…", r.workflow,
              Text(r.tier or "-", style=TIER_STYLE.get(r.tier, "")),
              Text(r.state, style=STATE_STYLE.get(r.state, "")), r.gates, r.holders or ", ".join(sorted(r.lanes)) or "-")
             for r in more])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.shown) - 10:
            self._paint_more()

    def set_filter(self, **kw) -> None:
        self.filters = Filters(**{**self.filters.__dict__, **kw})
        self.repaint()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "board-search":
            self.set_filter(text=event.value.strip())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_focus_table()

    def on_select_changed(self, event: Select.Changed) -> None:
        f = (event.select.id or "")[2:]
        if f in self.choices:
            v = event.value
            self.set_filter(**{f: None if v is Select.NULL or v is None else str(v)})

    # -- actions -----------------------------------------------------------------------------
    def action_search(self) -> None:
        self.query_one("#board-search", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one("#board-table", DataTable).focus()

    def action_cycle(self, name: str) -> None:
        """Keyboard filter: each press moves to the next value; after the last, back to 'any'."""
        opts = [None, *self.choices.get(name, [])]
        cur = getattr(self.filters, name)
        nxt = opts[(opts.index(cur) + 1) % len(opts)] if cur in opts else None
        sel = self.query_one(f"#f-{name}", Select)
        with self.prevent(Select.Changed):
            sel.value = nxt if nxt is not None else Select.NULL
        self.set_filter(**{name: nxt})

    def action_clear_filters(self) -> None:
        for f in ("lane", "state", "tier", "workflow"):
            with self.prevent(Select.Changed):
                self.query_one(f"#f-{f}", Select).value = Select.NULL
        with self.prevent(Input.Changed):
            self.query_one("#board-search", Input).value = ""
        self.filters = Filters()
        self.repaint()

    def selected(self) -> BoardRow | None:
        table = self.query_one("#board-table", DataTable)
        if not self.shown or table.cursor_row is None or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_timeline()

    def action_timeline(self) -> None:
        r = self.selected()
        if r is not None:
            from org.tui.screens.timeline import TimelineScreen

            self.app.push_screen(TimelineScreen(r.task))

    def action_pause_task(self) -> None:
        r = self.selected()
        if r is not None:
            from org.tui.screens.agents import confirm_switch

            confirm_switch(self, "pause", "task", r.task)
