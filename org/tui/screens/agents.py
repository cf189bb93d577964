"""Agents and lanes: who works on what, lease age, stuck or looping jobs, spend against budget, rate budgets,
and the kill switches (pause or resume an actor, a lane, a vendor, a task or everything, after confirmation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from org.tui.data import age
from org.tui.ops import actor_lease, agents_view
from org.tui.screens.base import OrgScreen
from org.tui.widgets.fit import Col, fill
from org.tui.widgets.modals import ConfirmModal

if TYPE_CHECKING:
    from org.tui.app import OrgApp

__all__ = ["AgentsScreen", "confirm_switch"]

FLAG_STYLE = {"stuck": "bold yellow", "looping": "bold magenta", "expired": "bold red"}
# status second, so a pause shows at 80 columns; what is dropped first when narrow has the highest `drop`
ACTOR_COLS = (
    Col("actor"),
    Col("status"),
    Col("lane", drop=3),
    Col("family", drop=4),
    Col("working on", flex=True, min_width=8),
    Col("lease"),
    Col("spent"),
    Col("calls", drop=2),
    Col("done", drop=1),
)
LANE_COLS = (
    Col("lane"),
    Col("status"),
    Col("kind", drop=2),
    Col("members", drop=1),
    Col("queued"),
    Col("leased"),
    Col("spent"),
)


def confirm_switch(screen: Screen, verb: str, scope: str, target: str | None) -> None:
    """Ask, then pause or resume through the bus as the human at the keyboard; effective at the next claim."""
    app = cast("OrgApp", screen.app)
    if app.door is None:
        app.notify("No work bus yet.", severity="warning")
        return
    what = "EVERYTHING (every actor, lane and task)" if scope == "all" else f"{scope} {target}"
    effect = (
        "Jobs and leases stay as they are; the next claim or action is refused (exit 7)."
        if verb == "pause"
        else "Work continues at the next claim."
    )

    def done(yes: bool | None) -> None:
        if not yes:
            return
        human = app.principal.actor

        def call():
            return app.as_human(verb, scope, target, human, note=f"from org tui by {human}")

        def ok(out: dict) -> None:
            if out.get("changed"):
                app.notify(f"{verb}d {what}", title="Paused" if verb == "pause" else "Resumed")
            else:
                app.notify(
                    f"{what} was already {'paused' if verb == 'pause' else 'running'}", severity="warning"
                )
            if hasattr(screen, "reload"):
                screen.reload()

        if hasattr(screen, "act"):
            screen.act(call, ok)

    app.push_screen(ConfirmModal(f"{verb.capitalize()} {what}?", effect), done)


def _money(spent: float, budget: float | None, unpriced: int = 0) -> Text:
    if unpriced:  # some spend is unknown: never shown as a plain dollar figure
        return Text(f"${spent:.2f}+?" + (f"/{budget:.0f}" if budget is not None else ""), style="yellow")
    if not budget:
        return Text(f"${spent:.2f}")
    style = "bold red" if spent >= budget else ("yellow" if spent >= 0.8 * budget else "")
    return Text(f"${spent:.2f}/{budget:.0f}", style=style)


class AgentsScreen(OrgScreen):
    MODE = "agents"
    BINDINGS = [
        Binding("p", "switch('pause')", "Pause"),
        Binding("u", "switch('resume')", "Resume"),
        Binding("v", "vendor('pause')", "Pause vendor"),
        Binding("V", "vendor('resume')", "Resume vendor", show=False),
        Binding("P", "everything('pause')", "Pause ALL"),
        Binding("U", "everything('resume')", "Resume ALL", show=False),
        Binding("tab", "app.focus_next", "Next table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict = {}
        self._sig: tuple | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="agents-body", classes="body"):
            yield DataTable(id="actors", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="lanes", cursor_type="row", zebra_stripes=True)
            yield Static("", id="agents-extra")

    def on_mount(self) -> None:
        self.query_one("#actors", DataTable).focus()

    def load(self):
        return agents_view(self.org_app.reads, self.org_app.now())

    def tick(self) -> None:
        """Lease ages and flags move with the clock: repaint from what was read, without reading again."""
        if self.data:
            self.paint()

    def on_resize(self, event) -> None:
        if self.data:
            self._sig = None
            self.paint()

    def show(self, data) -> None:
        self.empty(None)
        self.data = data
        self.paint()

    def paint(self) -> None:
        data, now = self.data, self.org_app.now()
        rows = []
        for a in data["actors"]:
            lease_age, flag = actor_lease(data["leases"], a["actor"], now)
            scope = a["paused"].split(" ", 1)[
                0
            ]  # the row names the actor and its lane; the switches list says more
            status = (
                Text(f"PAUSED {scope}", style="bold red")
                if a["paused"]
                else (Text(flag, style=FLAG_STYLE.get(flag, "")) if flag else Text("ok", style="green"))
            )
            rows.append(
                (
                    a["actor"],
                    status,
                    a["lane"],
                    a["family"],
                    a["working"],
                    lease_age,
                    _money(a["spent"], a["budget"], a.get("unpriced", 0)),
                    str(a["calls"]),
                    str(a["done"]),
                )
            )
        lanes = []
        for ln in data["lanes"]:
            status = (
                Text("PAUSED " + ln["paused"].split(" ", 1)[0], style="bold red")
                if ln["paused"]
                else Text("ok", style="green")
            )
            lanes.append(
                (
                    ln["lane"],
                    status,
                    ln["kind"],
                    str(ln["members"]),
                    str(ln["queued"]),
                    str(ln["leased"]),
                    _money(ln["spent"], ln["budget"], ln.get("unpriced", 0)),
                )
            )
        sig = (tuple(tuple(map(str, r)) for r in rows), tuple(tuple(map(str, r)) for r in lanes))
        if sig != self._sig:
            self._sig = sig
            fill(self.query_one("#actors", DataTable), ACTOR_COLS, rows)
            fill(self.query_one("#lanes", DataTable), LANE_COLS, lanes)
        self.query_one("#agents-extra", Static).update(self._extra(data, now))

    @staticmethod
    def _extra(data: dict, now: float) -> Text:
        extra = Text()
        trouble = [(x, f) for x in data["leases"] if (f := x.flag(now))]
        extra.append("Leases in trouble: ", style="bold")
        if trouble:
            for x, f in trouble:
                extra.append(
                    f"\n  {f.upper():8} job {x.job} {x.task or '-'}/{x.gate or '-'} held by {x.actor}, "
                    f"attempt {x.attempts}, {age(x.age_s(now))} old",
                    style=FLAG_STYLE.get(f, ""),
                )
        else:
            extra.append("none", style="green")
        out = data.get("outcomes")
        if out:  # repository work: a success is merged by the pipeline and not reverted since
            extra.append("\nOutcomes: ", style="bold")
            extra.append(
                f"{out['succeeded']} successful (merged {out['merged']}, reverted {out['reverted']})"
                + (
                    f" · ${out['cost_per_success']:.4f} per successful outcome"
                    if out["cost_per_success"] is not None
                    else f" · cost per success unknown ({out['unpriced_calls']} unpriced calls)"
                    if out["unpriced_calls"]
                    else " · no successful outcome yet"
                )
            )
        extra.append("\nShared rate budgets: ", style="bold")
        if data["budgets"]:
            for b in data["budgets"]:
                used = 1 - b["tokens"] / b["capacity"] if b["capacity"] else 0
                extra.append(
                    f"\n  {b['provider']:<12} {used:>4.0%} used ({b['tokens']:.0f} of {b['capacity']:.0f} left, "
                    f"+{b['refill_per_s']:g}/s)",
                    style="bold red" if used > 0.9 else "",
                )
        else:
            extra.append("none configured", style="dim")
        extra.append("\nActive switches: ", style="bold")
        if data["switches"]:
            for s in data["switches"]:
                extra.append(
                    f"\n  #{s['switch']} {s['scope']} {s['target']} by {s['paused_by']}"
                    + (f": {s['note']}" if s["note"] else ""),
                    style="red",
                )
        else:
            extra.append("none", style="green")
        extra.append(f"\nVendors: {', '.join(data['vendors']) or '-'}", style="dim")
        return extra

    # -- switches ----------------------------------------------------------------------------
    def _target(self) -> tuple[str, str] | None:
        focused = self.focused
        if isinstance(focused, DataTable) and focused.id == "lanes":
            rows, scope, key = self.data.get("lanes") or [], "lane", "lane"
        else:
            focused = self.query_one("#actors", DataTable)
            rows, scope, key = self.data.get("actors") or [], "actor", "actor"
        r = focused.cursor_row
        if not rows or r is None or not 0 <= r < len(rows):
            return None
        return scope, rows[r][key]

    def action_switch(self, verb: str) -> None:
        t = self._target()
        if t is None:
            self.org_app.notify("Select an actor or a lane first.", severity="warning")
            return
        confirm_switch(self, verb, *t)

    def action_vendor(self, verb: str) -> None:
        t = self._target()
        if t is None or t[0] != "actor":
            self.org_app.notify("Select an agent: its model family is the vendor paused.", severity="warning")
            return
        a = next(x for x in self.data["actors"] if x["actor"] == t[1])
        if a["family"] in ("human", "-"):
            self.org_app.notify(f"{a['actor']} is a human; vendors are model families.", severity="warning")
            return
        confirm_switch(self, verb, "vendor", a["family"])

    def action_everything(self, verb: str) -> None:
        confirm_switch(self, verb, "all", None)
