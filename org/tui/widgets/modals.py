"""Modal dialogs: a yes/no confirmation and a note prompt (required for a rejection)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

__all__ = ["ConfirmModal", "NoteModal"]


class ConfirmModal(ModalScreen[bool]):
    """Ask before doing something with effect (pause, resume). y/enter confirms, n/escape cancels."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, title: str, body: str = "") -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.body:
                yield Static(self.body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", variant="warning", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class NoteModal(ModalScreen["str | None"]):
    """Ask for a note. Enter submits (refused while empty when required); escape cancels (None)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, body: str = "", *, required: bool = False, action: str = "OK") -> None:
        super().__init__()
        self.title_text, self.body, self.required, self.action = title, body, required, action

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.body:
                yield Static(self.body, classes="dialog-body")
            yield Input(
                placeholder="note (required: say why)" if self.required else "note (optional)", id="note"
            )
            yield Label("", id="note-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.action} (enter)", variant="primary", id="ok")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        note = self.query_one("#note", Input)
        if self.app.is_headless:  # a still cursor in headless runs keeps screenshots comparable
            note.cursor_blink = False
        note.focus()

    def _submit(self) -> None:
        note = self.query_one("#note", Input).value.strip()
        if self.required and not note:
            self.query_one("#note-error", Label).update(
                "A note is required: say why; it goes into the task's record."
            )
            return
        self.dismiss(note)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
