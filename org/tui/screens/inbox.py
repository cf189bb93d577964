"""The inbox: pending approvals (riskiest, then oldest first) and the evidence of the selected one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static
from textual.worker import Worker

from org.tui.data import age, evidence, inbox
from org.tui.screens.base import OrgScreen
from org.tui.widgets.evidence import render_evidence
from org.tui.widgets.fit import Col, fill
from org.tui.widgets.modals import NoteModal

__all__ = ["InboxScreen"]

TIER_STYLE = {"high": "bold red", "medium": "yellow", "low": "green"}
COLS = (
    Col("age"),
    Col("tier"),
    Col("task"),
    Col("title", flex=2, min_width=10),
    Col("asks", flex=True, min_width=8),
    Col("workflow", drop=1),
    Col("requester", flex=True, min_width=10, drop=2),
)


class InboxScreen(OrgScreen):
    MODE = "inbox"
    BINDINGS = [
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
        Binding("c", "request_changes", "Changes"),
        Binding("enter", "timeline", "Timeline"),
        Binding("2", "app.switch_mode('board')", "Board"),
        Binding("3", "app.switch_mode('agents')", "Agents"),
        Binding("pagedown,space", "evidence(1)", "Scroll evidence", show=False, priority=True),
        Binding("pageup", "evidence(-1)", "Scroll evidence back", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict] = []
        self.current: dict | None = None
        self._ev_for: tuple | None = None
        self._ev: dict | None = None  # the evidence shown (its request's age ticks with the list's)

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="inbox-body", classes="body split"):
            yield DataTable(id="inbox-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="evidence-pane"):
                yield Static("", id="evidence")

    def on_resize(self, event) -> None:
        self.query_one("#inbox-body").set_class(event.size.width < 110, "narrow")
        self.call_after_refresh(self._paint_table)  # the table's new width is known after the layout

    def tick(self) -> None:
        """Ages move with the clock: recomputed from what was read (no query), repainted when one changes."""
        now = self.org_app.now()
        changed = False
        shown = (
            self._ev["request"] if self._ev is not None else None
        )  # a listed row, or one an earlier load made
        was = shown["age"] if shown is not None else None
        for it in self.items:
            a = age(now - float(it["requested_at"]))
            if a != it["age"]:
                it["age"], changed = a, True
        if changed:
            self._paint_table()
        if shown is not None and self._ev is not None:
            shown["age"] = age(now - float(shown["requested_at"]))
            if (
                shown["age"] != was
            ):  # the evidence (a diff, reviews...) is re-rendered only when its age moved
                self.query_one("#evidence", Static).update(render_evidence(self._ev))

    def _paint_table(self) -> None:
        rows = [
            (
                it["age"],
                Text(it["tier"] or "-", style=TIER_STYLE.get(it["tier"], "")),
                it["task"] or "-",
                it.get("title") or "",
                it["what"],
                it["workflow"],
                it["requester"],
            )
            for it in self.items
        ]
        fill(
            self.query_one("#inbox-table", DataTable),
            COLS,
            rows,
            keys=[str(it["approval"]) for it in self.items],
        )

    def load(self):
        reads = self.org_app.reads
        items = inbox(reads, self.org_app.principal.actor, self.org_app.now())
        return items, reads.task_count()

    def show(self, data) -> None:
        items, total = data
        if not total:
            self.empty("The work bus is empty: no task has been started.")
            return
        self.empty(None)
        table = self.query_one("#inbox-table", DataTable)
        keep = self.current["approval"] if self.current else None
        self.items = items
        row = next((i for i, it in enumerate(items) if it["approval"] == keep), 0)
        self._paint_table()
        if not items:
            self.current = self._ev = None
            self.query_one("#evidence", Static).update(
                Text.from_markup(
                    f"[b]Inbox zero.[/b] Nothing waits for {self.org_app.principal.actor}.\n\n"
                    f"{total} task(s) on the bus: [b]2[/b] shows the board, [b]3[/b] the agents at work."
                )
            )
            return
        table.move_cursor(row=row)
        self._select(row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "inbox-table":
            self._select(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "inbox-table":
            self._select(event.cursor_row)
            self.action_timeline()

    def _select(self, row: int) -> None:
        if not 0 <= row < len(self.items):
            return
        it = self.items[row]
        self.current = it
        sig = (it["approval"], (it.get("evidence") or {}).get("revision"), self.org_app.head)
        if sig == self._ev_for:
            return
        if (
            self._ev_for is None or sig[0] != self._ev_for[0]
        ):  # another request: its evidence starts at the top
            self.query_one("#evidence-pane", VerticalScroll).scroll_home(animate=False)
        self._ev_for = sig
        reads = self.org_app.reads

        async def load() -> None:
            try:
                ev = await self.org_app.off_thread(lambda: evidence(reads, it))
            except Exception as exc:
                self.org_app.report(exc)
                return
            if self.current is not None and self.current["approval"] == it["approval"]:
                self._ev = {**ev, "request": it}  # the same dict the list ticks
                self.query_one("#evidence", Static).update(render_evidence(self._ev))
            else:
                self._ev_for = None

        _work: Worker[None] = self.run_worker(load, group="evidence", exclusive=True, exit_on_error=False)

    # -- decisions ---------------------------------------------------------------------------
    def _decide(self, verdict: str) -> None:
        """approve, reject or changes (request changes: the work at an approval gate goes back to its builder)."""
        it = self.current
        if it is None:
            self.org_app.notify("Nothing selected: the inbox is empty.", severity="warning")
            return
        human = self.org_app.principal.actor
        if it.get("can_decide") is False:
            self.org_app.notify(
                f"{human} is an author or the requester of {it['task']}: someone else must decide it.",
                title="Refused",
                severity="error",
            )
            return
        if verdict == "changes" and it.get("kind") != "gate":
            self.org_app.notify(
                "Request changes sends the work at an approval gate back to its builder; for this request "
                + (
                    "reject it with a note (the actor may ask again)."
                    if it.get("kind") == "action"
                    else "approve or reject."
                ),
                title="Not here",
                severity="warning",
            )
            return
        verb = {"approve": "Approve", "reject": "Reject", "changes": "Request changes"}[verdict]
        body = (
            f"{it['task']} {it['title']}\n{it['what']} · tier {it['tier']} · revision {it.get('revision') or '-'}"
            f"\nrecorded as {human}"
        )
        if verdict == "reject":
            body += "\nRejecting is final: the request is refused and the note goes into the task's record."
        elif verdict == "changes":
            body += (
                "\nThe work goes back to its builder with your note as a finding; it comes back for approval."
            )

        def done(note: str | None) -> None:
            if note is None:
                return
            kw = {"approval": it["approval"], "revision": (it.get("evidence") or {}).get("revision")}

            def call():
                fn = {"approve": "approve", "reject": "reject", "changes": "request_changes"}[verdict]
                return self.org_app.as_human(fn, it["task"], human, note=note, **kw)

            def ok(out) -> None:
                status = out.get("task_status") or ""
                done_ = {"approve": "Approved", "reject": "Rejected", "changes": "Changes requested:"}[
                    verdict
                ]
                self.org_app.notify(
                    f"{done_} {it['task']} {it['what']}" + (f" · task now {status}" if status else ""),
                    title=done_,
                )
                self.current = None
                self.query_one("#evidence-pane", VerticalScroll).scroll_home(
                    animate=False
                )  # the next opens at its top
                self.reload()

            self.act(call, ok)

        self.org_app.push_screen(
            NoteModal(f"{verb} {it['task']}?", body, required=verdict != "approve", action=verb), done
        )

    def action_evidence(self, direction: int) -> None:
        """Page through the evidence while the cursor stays on the request (at 80x24 it is longer than the pane)."""
        pane = self.query_one("#evidence-pane", VerticalScroll)
        if direction > 0:
            pane.scroll_page_down(animate=False)
        else:
            pane.scroll_page_up(animate=False)

    def action_approve(self) -> None:
        self._decide("approve")

    def action_reject(self) -> None:
        self._decide("reject")

    def action_request_changes(self) -> None:
        self._decide("changes")

    def action_timeline(self) -> None:
        if self.current and self.current.get("task"):
            from org.tui.screens.timeline import TimelineScreen

            self.org_app.push_screen(TimelineScreen(self.current["task"]))
