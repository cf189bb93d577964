"""The top bar on every screen: the screens (clickable), the inbox count badge, and who is at the keyboard."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

__all__ = ["TopBar", "TABS"]

TABS = (
    ("inbox", "1 Inbox"),
    ("board", "2 Board"),
    ("agents", "3 Agents"),
    ("gates", "4 Gates"),
    ("adrs", "5 ADRs"),
)


class TopBar(Static):
    """One line: tabs with the pending-approvals badge, then the human principal."""

    DEFAULT_CSS = """
    TopBar { dock: top; height: 1; background: $panel; color: $text; }
    """

    def __init__(self, current: str) -> None:
        super().__init__(id="topbar")
        self.current = current

    def on_mount(self) -> None:
        self.watch(self.app, "pending", self._changed, init=False)
        self.watch(self.app, "principal_label", self._changed, init=False)
        self._changed()

    def _changed(self, *_: object) -> None:
        self.update(self.render_bar())

    def render_bar(self) -> Text:
        app = self.app
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(" org ", style="bold reverse")
        for mode, label in TABS:
            style = "bold underline" if mode == self.current else ""
            t.append(" ")
            t.append(label, style=style)
            if mode == "inbox":
                n = getattr(app, "pending", 0)
                t.append(f" {n} ", style="bold white on red" if n else "dim")
        who = getattr(app, "principal_label", "")
        if who:
            t.append("  as ", style="dim")
            t.append(who, style="bold")
        return t

    def on_click(self, event) -> None:
        """Mouse: a click on a tab's label switches to that screen."""
        x = event.x
        text = self.render_bar().plain
        for mode, label in TABS:
            i = text.find(label)
            if i <= x < i + len(label):
                self.app.switch_mode(mode)
                return
