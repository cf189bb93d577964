"""OrgApp: the Textual application behind `org tui` (inbox first; board, agents, gates, ADRs; live)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker

from org.bus import sqlite_path
from org.errors import OrgError
from org.identity.guard import Guard, Reading
from org.tui.data import pending_count
from org.tui.principal import Principal
from org.tui.screens.adrs import AdrsScreen
from org.tui.screens.agents import AgentsScreen
from org.tui.screens.board import BoardScreen
from org.tui.screens.gates import GatesScreen
from org.tui.screens.help import HelpScreen
from org.tui.screens.inbox import InboxScreen

__all__ = ["OrgApp"]


class OrgApp(App):
    """The operator console. Give it an open door (org.identity.guard.Guard) or a database URL (opened when
    it exists). Every read and every decision goes through the door with the token of the human at the
    keyboard (`reads`, `as_human`)."""

    CSS_PATH = str(Path(__file__).with_name("org.tcss"))
    TITLE = "org"
    ENABLE_COMMAND_PALETTE = True
    MODES = {
        "inbox": InboxScreen,
        "board": BoardScreen,
        "agents": AgentsScreen,
        "gates": GatesScreen,
        "adrs": AdrsScreen,
    }
    DEFAULT_MODE = "inbox"
    BINDINGS = [
        Binding("1", "switch_mode('inbox')", "Inbox", show=False),
        Binding("2", "switch_mode('board')", "Board", show=False),
        Binding("3", "switch_mode('agents')", "Agents", show=False),
        Binding("4", "switch_mode('gates')", "Gates", show=False),
        Binding("5", "switch_mode('adrs')", "ADRs", show=False),
        Binding("question_mark,f1", "help", "Help"),
        Binding("ctrl+t", "toggle_dark", "Theme", show=False),
        Binding("q", "quit", "Quit"),
    ]

    pending = reactive(0)
    principal_label = reactive("")

    def __init__(
        self,
        *,
        principal: Principal,
        root: Path,
        door: Guard | None = None,
        db_url: str | None = None,
        clock: Callable[[], float] = time.time,
        poll_seconds: float = 0.75,
    ) -> None:
        super().__init__()
        self.principal = principal
        self.root = Path(root)
        self.door = door
        self.db_url = db_url
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.head = -1
        self._polling = False
        self._owns_door = False

    # -- lifecycle ---------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.principal_label = self.principal.label
        self.theme = "textual-dark" if self.dark_default() else "textual-light"
        self._open_if_ready()
        self.set_interval(self.poll_seconds, self.poll_now)
        self.poll_now()

    @staticmethod
    def dark_default() -> bool:
        return True

    def as_human(self, verb: str, *args: Any, **kw: Any) -> dict:
        """approve / reject / pause / resume through the door with the human's own token (their token file,
        or the --token given to `org tui`): the TUI never decides on a bare name."""
        assert self.door is not None, "no work bus yet"
        return getattr(self.door, verb)(self.principal.token, *args, **kw)

    @property
    def reads(self) -> Reading:
        """The door's reads bound to the human at the keyboard: every screen reads through it, and each call
        authenticates their token (revoked, the next read is refused)."""
        assert self.door is not None, "no work bus yet"
        return self.door.reading(self.principal.token, as_=self.principal.actor or None)

    def on_unmount(self) -> None:
        if self._owns_door and self.door is not None:
            self.door.close()

    def _open_if_ready(self) -> None:
        """Open the door once its database exists (a missing SQLite file is not created by looking at it)."""
        if self.door is not None or self.db_url is None:
            return
        path = sqlite_path(self.db_url)
        if path is not None and not path.exists():
            return
        try:
            door = Guard.open(self.db_url, root=self.root)
        except OrgError as exc:
            self.report(exc)
            return
        # the database appeared after start: the human at the keyboard proves it now, as `org tui` does at start
        # when it exists (a token without --as also learns whose it is); refused, the TUI exits as it would have
        from org.tui.principal import authenticate

        try:
            self.principal = authenticate(door, self.principal)
        except OrgError as exc:
            door.close()
            self.exit(return_code=exc.exit_code, message=f"org: {exc}")
            return
        self.door, self._owns_door = door, True
        self.principal_label = self.principal.label

    def no_bus_reason(self) -> str:
        path = sqlite_path(self.db_url or "")
        where = str(path) if path else (self.db_url or "the database")
        if path is not None and path.is_relative_to(self.root):
            where = str(path.relative_to(self.root))
        return f"There is no work bus yet: {where} does not exist."

    def now(self) -> float:
        return self.clock()

    async def off_thread(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.to_thread(fn)

    # -- live updates ------------------------------------------------------------------------
    def poll_now(self) -> None:
        if self._polling:
            return
        self._polling = True
        _work: Worker[None] = self.run_worker(self._poll, group="poll", exit_on_error=False)

    async def _poll(self) -> None:
        try:
            if self.door is None:
                self._open_if_ready()
                if self.door is None:
                    return
                self.screen_changed()
            reads, lane = self.reads, self.principal.lane
            head, n = await asyncio.to_thread(lambda: (reads.head(), pending_count(reads, lane)))
            self.pending = n
            changed = head != self.head
            self.head = head
            for screen in self._live_screens():
                if changed:
                    screen.bus_changed()
                else:
                    screen.tick()
        except Exception as exc:  # a poll failure is a notification, not a crash
            self.report(exc)
        finally:
            self._polling = False

    def _live_screens(self) -> list:
        out = []
        for s in self.screen_stack:
            if hasattr(s, "bus_changed") and s is self.screen:
                out.append(s)
        return out

    def screen_changed(self) -> None:
        s = self.screen
        if hasattr(s, "reload"):
            s.reload()

    # -- errors ------------------------------------------------------------------------------
    def report(self, exc: BaseException) -> None:
        """Recoverable errors become notifications (never a traceback on screen)."""
        if isinstance(exc, OrgError):
            title = {
                "denied": "Refused",
                "conflict": "Conflict",
                "not_found": "Not found",
                "paused": "Paused",
                "usage": "Not possible",
            }.get(getattr(exc, "kind", ""), "Error")
            self.notify(exc.message or str(exc), title=title, severity="error", timeout=8)
        else:
            self.log.error(repr(exc))
            self.notify(
                f"{type(exc).__name__}: {exc}", title="Unexpected error", severity="error", timeout=10
            )

    # -- actions -----------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"
