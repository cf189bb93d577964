"""The TUI's screens (imported by org.tui.app)."""

__all__: list[str] = []
