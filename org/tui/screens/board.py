"""The board: every task by state and open gate, filterable by lane, state, tier and workflow, searchable, live."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from org.tui.data import STATES, Board, BoardRow, Filters, age, board_update, filter_rows
from org.tui.screens.base import OrgScreen
from org.tui.widgets.filterselect import FilterSelect
from org.tui.widgets.rowtable import Column, RowTable, natural_widths

__all__ = ["BoardScreen", "COLUMNS"]

STATE_STYLE = {
    "waiting": "bold yellow",
    "paused": "bold magenta",
    "escalated": "bold red",
    "done": "green",
    "rejected": "red",
}
TIER_STYLE = {"high": "bold red", "medium": "yellow", "low": "green"}
COLUMNS = (
    Column("task"),
    Column("title", flex=2, min_width=16, max_width=40),
    Column("workflow", drop=1),
    Column("tier", styles=TIER_STYLE),
    Column("state", styles=STATE_STYLE, flex=True, min_width=12),
    Column("open gates", flex=True, min_width=10),
    Column("who", max_width=24, flex=True, min_width=8),
    Column("changed", live=lambda t, now: age(now - t), width=5),
)  # how long since the task last moved


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
        Binding("p", "pause_task", "Pause"),
        Binding("u", "resume_task", "Resume"),
        Binding("escape", "focus_table", "Table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[BoardRow] = []
        self.matched: list[BoardRow] = []
        self.widths: list[int] = []
        self.filters = Filters()
        self.choices: dict[str, list[str]] = {"lane": [], "state": list(STATES), "tier": [], "workflow": []}
        self._painted = False
        self._offering_resume = False
        self._board: Board | None = None  # the rows as of an audit head: a reload remakes only what moved

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="board-filters", classes="body"):
            yield Input(placeholder="/ search", id="board-search", compact=True)
            for f in ("lane", "state", "tier", "workflow"):
                yield FilterSelect([], prompt=f, id=f"f-{f}", compact=True, classes="filter")
        yield Static("", id="board-count", classes="body status")
        yield RowTable(COLUMNS, id="board-table", classes="body")

    def on_mount(self) -> None:
        table = self.query_one("#board-table", RowTable)
        table.clock = self.org_app.now
        table.focus()

    def tick(self) -> None:
        """The 'changed' ages move with the clock: repaint the ~40 rows on screen, no query, no new rows."""
        self.query_one("#board-table", RowTable).refresh()

    def load(self):
        reads = self.org_app.reads
        cfg = reads.config()
        self._board = board_update(reads, self._board)  # only the tasks events touched since the last head
        rows = list(self._board.rows)
        choices = {
            "lane": sorted(cfg.lanes) if cfg else [],
            "state": list(STATES),
            "tier": [t.id for t in cfg.risk.tiers] if cfg else [],
            "workflow": sorted(cfg.workflows) if cfg else [],
        }
        return rows, choices, natural_widths(COLUMNS, [r.cells for r in rows])

    def show(self, data) -> None:
        rows, choices, widths = data
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
        self.rows, self.widths = rows, widths
        self.repaint()

    # -- painting ----------------------------------------------------------------------------
    def repaint(self) -> None:
        """Filter in memory and hand the matches to the table, which paints only the rows on screen.
        The cursor stays on the task it was on while that task still matches."""
        matched = filter_rows(self.rows, self.filters)
        self.query_one("#board-count", Static).update(  # one line of fixed size: no layout pass
            f"{len(matched):,} of {len(self.rows):,} tasks · {self.filters.describe()}", layout=False
        )
        table = self.query_one("#board-table", RowTable)
        was = self.selected()
        cursor = 0
        if was is not None:
            i = table.cursor_row
            if i < len(matched) and matched[i].task == was.task:
                cursor = i
            else:
                cursor = next((j for j, r in enumerate(matched) if r.task == was.task), 0)
        self.matched = matched
        self._painted = True
        table.set_rows([r.cells for r in matched], widths=self.widths, cursor=cursor)
        self._offer_keys()

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
        self.query_one("#board-table", RowTable).focus()

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
        table = self.query_one("#board-table", RowTable)
        if not self.matched or not 0 <= table.cursor_row < len(self.matched):
            return None
        return self.matched[table.cursor_row]

    def on_row_table_row_selected(self, event: RowTable.RowSelected) -> None:
        self.action_timeline()

    def action_timeline(self) -> None:
        r = self.selected()
        if r is not None:
            from org.tui.screens.timeline import TimelineScreen

            self.org_app.push_screen(TimelineScreen(r.task))

    def on_row_table_row_highlighted(self, event: RowTable.RowHighlighted) -> None:
        self._offer_keys()

    def _offer_keys(self) -> None:
        """The footer offers p or u by whether the task under the cursor is paused by its own switch; it is
        redrawn only when that changes (a footer refresh is a layout pass: not on every filter keystroke)."""
        r = self.selected()
        paused = r is not None and r.paused == "task"
        if paused != self._offering_resume:
            self._offering_resume = paused
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The footer offers p (pause) on a running task and u (resume) on one paused by its own switch."""
        if action in ("pause_task", "resume_task"):
            r = self.selected()
            return (r is not None and r.paused == "task") == (action == "resume_task")
        return True

    def action_pause_task(self) -> None:
        self._switch("pause")

    def action_resume_task(self) -> None:
        self._switch("resume")

    def _switch(self, verb: str) -> None:
        r = self.selected()
        if r is not None:
            from org.tui.screens.agents import confirm_switch

            confirm_switch(self, verb, "task", r.task)
