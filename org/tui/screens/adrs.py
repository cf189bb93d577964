"""ADRs: the list, full-text search (org.adrs's FTS5 index) and reading one decision."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Markdown
from textual.worker import Worker

from org.tui.screens.base import OrgScreen
from org.tui.widgets.fit import Col, fill

__all__ = ["AdrsScreen", "adr_rows", "adr_text"]

COLS = (Col("ADR"), Col("status", drop=1), Col("title", flex=True, min_width=16))


def adr_rows(root, query: str = "") -> list[dict]:
    """ADRs by number, or the search hits for `query` (best first)."""
    from org.adrs.index import AdrIndex

    with AdrIndex(root) as idx:
        idx.sync()
        if query.strip():
            return [
                {
                    "number": h.number,
                    "title": h.title,
                    "status": h.status,
                    "tags": list(h.tags),
                    "snippet": h.snippet,
                }
                for h in idx.search(query, limit=50, mode="any")
            ]
        return [
            {
                "number": r["number"],
                "title": r["title"],
                "status": r["status"],
                "tags": r["tags"],
                "snippet": r.get("summary", ""),
            }
            for r in idx.rows()
        ]


def adr_text(root, number: int) -> str:
    from org.adrs.parse import load_adrs

    a = load_adrs(root).get(number)
    if a is None:
        return f"# ADR-{number:04d}\n\nNot found in adrs/."
    m = a.meta
    facts = [f"**{a.label}** · {m.status} · {m.date.isoformat()} · `{a.rel}`"]
    if m.tags:
        facts.append("tags: " + ", ".join(m.tags))
    if m.rules:
        facts.append("establishes rules: " + ", ".join(f"`{r}`" for r in m.rules))
    if m.gates:
        facts.append("establishes gates: " + ", ".join(f"`{g}`" for g in m.gates))
    if m.supersedes:
        facts.append("supersedes: " + ", ".join(f"ADR-{n:04d}" for n in m.supersedes))
    if m.superseded_by:
        facts.append(f"superseded by ADR-{m.superseded_by:04d}")
    return "\n\n".join(facts) + "\n\n" + a.body


class _RefitTable(DataTable):
    """The ADR list: asks its screen to fit the columns again whenever its own size changes."""

    def on_resize(self, _event) -> None:
        refit = getattr(self.screen, "refit", None)
        if refit is not None:
            refit()


class AdrsScreen(OrgScreen):
    MODE = "adrs"
    BINDINGS = [Binding("slash", "search", "Search"), Binding("escape", "focus_list", "List", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.query_text = ""
        self._reading: int | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="adrs-body", classes="body"):
            with Vertical(id="adr-list-pane"):
                yield Input(placeholder="/ search decisions", id="adr-search", compact=True)
                yield _RefitTable(id="adr-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="adr-read-pane"):
                yield Markdown("", id="adr-body")

    def on_mount(self) -> None:
        self.query_one("#adr-table", DataTable).focus()

    def bus_changed(self) -> None:
        """ADRs live in files, not on the bus: nothing to do when work moves."""

    def load(self):
        return adr_rows(self.org_app.root, self.query_text)

    async def _reload(self) -> None:  # ADRs need no bus: read them even before work exists
        try:
            rows = await self.org_app.off_thread(self.load)
            self.show(rows)
        except Exception as exc:
            self.org_app.report(exc)
        finally:
            self._loading = False

    def show(self, rows) -> None:
        self.empty(None)
        self.rows = rows
        self._paint_table(0)
        if rows:
            self._read(0)

    def _paint_table(self, cursor: int | None = None) -> None:
        fill(
            self.query_one("#adr-table", DataTable),
            COLS,
            [(f"{r['number']:04d}", r["status"], r["title"]) for r in self.rows],
            cursor=cursor,
        )

    def on_resize(self, _event) -> None:
        self.refit()

    def refit(self) -> None:
        """Lay the table's columns out again for its width (the screen's or the table's own size changed: the
        narrow layout stacks the panes after the rows may already have been fitted side by side)."""
        if self.rows:
            self.call_after_refresh(self._paint_table)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value == self.query_text:
            return
        self.query_text = event.value
        self.reload()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_focus_list()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._read(event.cursor_row)

    def _read(self, row: int) -> None:
        if not 0 <= row < len(self.rows):
            return
        n = self.rows[row]["number"]
        if n == self._reading:
            return
        self._reading = n
        root = self.org_app.root

        async def load() -> None:
            try:
                text = await self.org_app.off_thread(lambda: adr_text(root, n))
            except Exception as exc:
                self.org_app.report(exc)
                return
            await self.query_one("#adr-body", Markdown).update(text)

        _work: Worker[None] = self.run_worker(load, group="adr", exclusive=True, exit_on_error=False)

    def action_search(self) -> None:
        self.query_one("#adr-search", Input).focus()

    def action_focus_list(self) -> None:
        self.query_one("#adr-table", DataTable).focus()
