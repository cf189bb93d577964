"""The base of every main screen: top bar, footer, empty-state panel, and loading data off the UI thread."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from rich.markup import escape
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker

from org.tui.widgets.topbar import TopBar

if TYPE_CHECKING:
    from org.tui.app import OrgApp

__all__ = ["OrgScreen", "empty_help", "suggested_commands", "narrow", "NARROW"]


def suggested_commands(human: str) -> list[tuple[list[str], str]]:
    """The commands the empty screens suggest, as argv lists (each one runs as shown in a fresh org, for
    `human` at the keyboard: tests/tui/test_cli.py runs them), in the order a new user would type them."""
    return [
        (["org", "demo"], "a realistic story: agents, reviews, approvals"),
        (["org", "task", "add", "Fix login", "--workflow", "change", "--as", human], "start a task yourself"),
        (["org", "run"], "lets the lane agents pick it up"),
    ]


def empty_help(why: str, human: str) -> str:
    """The explanation panel: why there is nothing to show and the commands that change that."""
    cmds = [(shlex.join(argv), what) for argv, what in suggested_commands(human)]
    lines = ["[b]Nothing to show yet.[/b]", "", escape(why), "", "In this org's folder, run"]
    for cmd, what in cmds:
        lines += [f"  [b]{escape(cmd)}[/b]", f"      {escape(what)}"]
    lines += ["", "This screen updates by itself as soon as work appears."]
    return "\n".join(lines)


NARROW = 100  # below this many columns, screens stack their panes and the footer is compact


def narrow(screen: Screen, width: int) -> bool:
    """Mark the screen narrow (CSS class), and make its footer compact, without the palette key, when it is."""
    is_narrow = width < NARROW
    screen.set_class(is_narrow, "narrow")
    for footer in screen.query(Footer):
        footer.compact = is_narrow
        footer.show_command_palette = not is_narrow
    return is_narrow


class OrgScreen(Screen):
    """Subclasses set MODE, compose_body() and load() (runs in a thread) / show(data) (runs on the UI)."""

    MODE = ""
    _loading = False
    _again = False

    @property
    def org_app(self) -> OrgApp:
        """The app this screen runs in, as org's (its door, principal, clock, report): Textual types it App."""
        return cast("OrgApp", self.app)

    def compose(self) -> ComposeResult:
        yield TopBar(self.MODE)
        yield from self.compose_body()
        yield Static("", id="empty", classes="empty")
        yield Footer()

    def compose_body(self) -> ComposeResult:  # pragma: no cover - abstract
        return iter(())

    def on_mount(self) -> None:
        self.query_one("#empty", Static).display = False
        self.reload()

    def on_resize(self, event) -> None:
        narrow(self, event.size.width)

    def on_screen_resume(self) -> None:
        self.reload()

    # -- data --------------------------------------------------------------------------------
    def load(self) -> Any:  # runs in a worker thread
        return None

    def show(self, data: Any) -> None:  # runs on the UI thread
        pass

    def bus_changed(self) -> None:
        """The app saw new events on the bus."""
        self.reload()

    def tick(self) -> None:
        """Called every poll even without news (for ages and leases)."""

    def reload(self) -> None:
        if self._loading:
            self._again = True
            return
        self._loading = True
        _work: Worker[None] = self.run_worker(self._reload, group="load", exit_on_error=False)

    async def _reload(self) -> None:
        try:
            while True:
                self._again = False
                if self.org_app.door is None:
                    self.empty(self.org_app.no_bus_reason())
                    return
                data = await self.org_app.off_thread(self.load)
                if data is not None:
                    self.show(data)
                if not self._again:
                    return
        except Exception as exc:  # never a traceback on screen
            self.org_app.report(exc)
        finally:
            self._loading = False

    def empty(self, why: str | None) -> None:
        """Show the explanation panel instead of the body (why None: hide it)."""
        panel = self.query_one("#empty", Static)
        if why is None:
            panel.display = False
            for w in self.query(".body"):
                w.display = True
            return
        panel.update(empty_help(why, self.org_app.principal.suggest_as))
        panel.display = True
        for w in self.query(".body"):
            w.display = False

    def act(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None) -> None:
        """Run a bus write off the UI thread; report errors as notifications."""

        async def run() -> None:
            try:
                out = await asyncio.to_thread(fn)
            except Exception as exc:
                self.org_app.report(exc)
                return
            if done is not None:
                done(out)
            self.org_app.poll_now()

        _work: Worker[None] = self.run_worker(run, group="act", exit_on_error=False)
