"""Gates: the workflow graph per risk tier, each gate required or skipped (with why), and live counts."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from org.tui.ops import gates_view
from org.tui.screens.base import NARROW, OrgScreen
from org.tui.widgets.fit import Col, fill

__all__ = ["GatesScreen"]


COLS = (
    Col("gate"),
    Col("kind", drop=2),
    Col("lane"),
    Col("plan"),
    Col("queued"),
    Col("leased"),
    Col("pending"),
    Col("ADRs · why", flex=True, min_width=10, drop=1),
)


def _note(r: dict) -> str:
    return r["why"] if r["plan"] == "skipped" else ", ".join(f"ADR-{n:04d}" for n in r["adrs"])


class GatesScreen(OrgScreen):
    MODE = "gates"

    def __init__(self) -> None:
        super().__init__()
        self.plans: list[dict] = []
        self.index = 0
        self._rows: list[dict] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="gates-body", classes="body"):
            yield OptionList(id="plans")
            with Vertical(id="plan-pane"):
                yield Static("", id="plan-head")
                yield DataTable(id="plan-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="gate-note")

    def on_mount(self) -> None:
        self.query_one("#plans", OptionList).focus()

    def on_resize(self, event) -> None:
        self.query_one("#plans", OptionList).compact = event.size.width < NARROW  # stacked: no border
        if self.plans:
            self.call_after_refresh(self.paint)

    def load(self):
        return gates_view(self.org_app.reads)

    def show(self, data) -> None:
        self.empty(None)
        ol = self.query_one("#plans", OptionList)
        labels = [
            f"{p['workflow']} · {p['tier']}  ({p['counts']['active'] + p['counts']['escalated']})"
            for p in data
        ]
        old = [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]
        self.plans = data
        if labels != old:
            ol.clear_options()
            ol.add_options([Option(lbl, id=str(i)) for i, lbl in enumerate(labels)])
            if data:
                ol.highlighted = min(self.index, len(data) - 1)
        self.paint()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.index = event.option_index
        self.paint()

    def paint(self) -> None:
        if not self.plans:
            return
        p = self.plans[min(self.index, len(self.plans) - 1)]
        head = Text()
        head.append(f"{p['workflow']} at tier {p['tier']}\n", style="bold")
        head.append("start → " + p["path"] + "\n")
        c = p["counts"]
        head.append(
            f"tasks: {c['active']} active, {c['escalated']} escalated, {c['done']} done, {c['rejected']} rejected",
            style="dim",
        )
        self.query_one("#plan-head", Static).update(head)
        rows = []
        for r in p["rows"]:
            skipped = r["plan"] == "skipped"
            style = "dim" if skipped else ""

            def n(v: int) -> Text:
                return Text(str(v) if v else "·", style="bold yellow" if v else "dim")

            rows.append(
                (
                    Text(r["gate"], style=style or "bold"),
                    Text(r["kind"], style=style),
                    Text(r["lane"], style=style),
                    Text(r["plan"], style=style or "green"),
                    n(r["queued"]),
                    n(r["leased"]),
                    n(r["pending"]),
                    Text(_note(r), style=style),
                )
            )
        self._rows = p["rows"]
        t = self.query_one("#plan-table", DataTable)
        fill(t, COLS, rows)
        self._note(t.cursor_row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._note(event.cursor_row)

    def _note(self, row: int) -> None:
        """The highlighted gate in full (its ADRs or why it is skipped), which a narrow column cuts short."""
        if not 0 <= row < len(self._rows):
            return
        r = self._rows[row]
        line = Text()
        line.append(f"{r['gate']}: ", style="bold")
        line.append(
            f"{r['kind']} gate, {r['plan']}" + (f" for the {r['lane']} lane" if r["lane"] != "-" else "")
        )
        if _note(r):
            line.append(f" · {_note(r)}", style="dim")
        self.query_one("#gate-note", Static).update(line)
