"""One task's trace: every event, decision, rule (with where its value came from), model call, and who acted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Static

from org.tui.data import task_paused_by, timeline
from org.tui.screens.base import OrgScreen
from org.tui.widgets.evidence import VERDICT_STYLE
from org.tui.widgets.fit import Col, fill
from org.tui.widgets.topbar import TopBar

__all__ = ["TimelineScreen"]


# the lane/family goes first when narrow (the detail pane below names it too); the summary shrinks to fit
COLS = (
    Col("#"),
    Col("time"),
    Col("who", flex=True, min_width=10),
    Col("lane/family", drop=1),
    Col("what"),
    Col("summary", flex=True, min_width=16),
)


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S") if t else "--:--:--"


class TimelineScreen(OrgScreen):
    """Pushed over the board or inbox; escape goes back."""

    MODE = ""
    BINDINGS = [
        Binding("escape,backspace", "back", "Back"),
        Binding("p", "pause", "Pause task"),
        Binding("u", "resume", "Resume task"),
    ]

    def __init__(self, task: str) -> None:
        super().__init__()
        self.task_key = task
        self.entries: list[dict] = []
        self.paused: dict | None = None

    def compose(self) -> ComposeResult:
        yield TopBar("")
        with Vertical(classes="body", id="tl-body"):
            yield Static("", id="tl-head")
            yield DataTable(id="tl-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="tl-detail-pane"):
                yield Static("", id="tl-detail")
        yield Static("", id="empty", classes="empty")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tl-table", DataTable).focus()

    def load(self):
        reads = self.org_app.reads
        data = timeline(reads, self.task_key)
        data["paused"] = task_paused_by(reads, data["view"])
        return data

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """p (pause) while the task runs, u (resume) while its own switch stops it."""
        if action in ("pause", "resume"):
            own = (self.paused or {}).get("what") == "task"
            return own == (action == "resume")
        return True

    def show(self, data) -> None:
        self.empty(None)
        v = data["view"]
        head = Text()
        head.append(f"{v['task']}  {v['title']}\n", style="bold")
        head.append(f"{v['workflow']} · tier {v['tier']} · {v['status']} · round {v['rounds']}")
        spent, budget = float(v.get("spent_usd") or 0), v.get("budget_usd")
        head.append(f" · ${spent:.4f}" + (f" of ${budget:.2f}" if budget else ""))
        if v.get("unpriced_calls"):
            head.append(f" + {v['unpriced_calls']} unpriced", style="yellow")
        head.append(f" · revision {str(v['revision'] or '-')[:12]}", style="dim")
        rev = v.get("revision_evidence")
        if (
            rev
        ):  # a repository task: its checked commit (the diff is in the revision.committed event's detail)
            head.append(
                f"\ncommit {str(rev.get('commit'))[:12]} vs base {str(rev.get('base'))[:12]}: {rev.get('files')} "
                f"files +{rev.get('added')} -{rev.get('removed')}"
            )
            if v.get("merged_evidence"):
                head.append(f" · merged as {str(v['merged_evidence'].get('commit'))[:12]}", style="green")
            if v.get("reverted_evidence"):
                head.append(" · REVERTED", style="bold red")
        self.paused = p = data.get("paused")
        self.refresh_bindings()
        if p:
            what = "this task" if p["what"] == "task" else ("everything" if p["what"] == "all" else p["what"])
            head.append(
                f"\nPAUSED ({what}) by {p['by']}" + (f": {p['note']}" if p["note"] else ""),
                style="bold magenta",
            )
            head.append(
                "  u resumes it" if p["what"] == "task" else "  resume it on the Agents screen (3)",
                style="dim",
            )
        gates = (v.get("state") or {}).get("gates") or {}
        if gates:
            head.append("\ngates: ", style="dim")
            for i, (g, s) in enumerate(gates.items()):
                st = s["status"]
                head.append(("" if i == 0 else ", ") + g + " ")
                head.append(
                    st,
                    style={"passed": "green", "failed": "red", "ready": "bold yellow", "skipped": "dim"}.get(
                        st, ""
                    ),
                )
        self.query_one("#tl-head", Static).update(head)
        table = self.query_one("#tl-table", DataTable)
        keep = table.cursor_row
        sig = [(e["seq"], e["t"], e["type"]) for e in data["entries"]]
        if sig == [(e["seq"], e["t"], e["type"]) for e in self.entries]:
            return
        self.entries = data["entries"]
        self._paint_table(keep)

    def on_resize(self, _event) -> None:
        if self.entries:
            self.call_after_refresh(self._paint_table, None)

    def _paint_table(self, keep: int | None) -> None:
        rows = []
        for e in self.entries:
            who = Text(e["actor"], style="bold cyan" if e["family"] == "human" else "")
            lane = "/".join(x for x in (e["lane"], e["family"]) if x) or "-"
            what = Text(
                e["type"], style="magenta" if e["kind"] == "call" else VERDICT_STYLE.get(e["decision"], "")
            )
            rows.append((str(e["seq"]) if e["seq"] else "$", _clock(e["t"]), who, lane, what, e["summary"]))
        table = self.query_one("#tl-table", DataTable)
        fill(table, COLS, rows, cursor=keep)
        if self.entries:
            self._detail(table.cursor_row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def _detail(self, row: int) -> None:
        if not 0 <= row < len(self.entries):
            return
        e = self.entries[row]
        lane = "/".join(x for x in (e["lane"], e["family"]) if x)
        parts: list[RenderableType] = [
            Text(
                f"{e['type']} by {e['actor']}"
                + (f" ({lane})" if lane else "")
                + (f" at gate {e['gate']}" if e["gate"] else ""),
                style="bold",
            ),
            Text(e["summary"]),
        ]
        src = e.get("sources") or {}
        if src:
            t = Table(box=None, show_header=True, header_style="dim", pad_edge=False, title=None, expand=True)
            t.add_column("value")
            t.add_column("came from", overflow="fold")
            for rid, where in (src.get("rules") or {}).items():
                t.add_row(f"rule {rid}", str(where))
            for k in ("gate", "workflow", "limits", "actor"):
                if src.get(k):
                    t.add_row(k, str(src[k]))
            if src.get("tier"):
                t.add_row("tier", ", ".join(str(x) for x in src["tier"] if x))
            if isinstance(src.get("attributes"), dict):
                for k, where in src["attributes"].items():
                    val = (e["data"].get("attributes") or {}).get(k)
                    t.add_row(f"{k}={val!r}", str(where))
            elif src.get("attributes"):
                t.add_row("attributes", str(src["attributes"]))
            parts.append(t)
        if e["type"] == "revision.committed":  # the real diff org read from git, coloured
            from org.tui.widgets.evidence import revision_diff

            parts.append(revision_diff(e.get("data"), max_lines=200))
        data = {k: v for k, v in (e.get("data") or {}).items() if k not in ("rules", "patch", "paths")}
        if data:
            parts.append(Text(json.dumps(data, indent=1, sort_keys=True, default=str)[:2000], style="dim"))
        self.query_one("#tl-detail", Static).update(Group(*parts))

    def action_back(self) -> None:
        self.org_app.pop_screen()

    def action_pause(self) -> None:
        from org.tui.screens.agents import confirm_switch

        confirm_switch(self, "pause", "task", self.task_key)

    def action_resume(self) -> None:
        from org.tui.screens.agents import confirm_switch

        confirm_switch(self, "resume", "task", self.task_key)
