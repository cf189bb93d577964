"""Widgets shared by the TUI's screens."""

from org.tui.widgets.modals import ConfirmModal, NoteModal
from org.tui.widgets.topbar import TopBar

__all__ = ["ConfirmModal", "NoteModal", "TopBar"]
