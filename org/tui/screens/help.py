"""The help screen (`?`): every key, per screen, and what the screens are for. Keys in one column, what they
do in another that wraps to the width there is (so it reads at 80x24 as well as on a wide terminal)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

__all__ = ["HelpScreen", "SECTIONS", "render_help"]

# (title, what the screen is for, [(keys, what they do)], a closing note)
SECTIONS: list[tuple[str, str, list[tuple[str, str]], str]] = [
    (
        "Everywhere",
        "",
        [
            ("1 2 3 4 5", "Inbox, Board, Agents, Gates, ADRs (or click a tab in the top bar)"),
            ("?  f1", "this help (esc or ? closes it)"),
            ("ctrl+t", "dark or light theme"),
            ("ctrl+p", "command palette"),
            ("q", "quit"),
        ],
        "The red number beside Inbox counts the requests waiting for you.",
    ),
    (
        "1 Inbox",
        "pending approvals, riskiest tier first, then oldest first",
        [
            (
                "up down",
                "select a request: the evidence pane shows what changed, the reviews (model family, verdict), "
                "rule checks (rule id, file:line), the ADRs cited and the cost so far",
            ),
            ("pgdn space pgup", "page through the evidence"),
            ("a", "approve (optional note)"),
            ("r", "reject (a note is required)"),
            ("c", "request changes: the work goes back to its builder with your note (required)"),
            ("enter", "the task's timeline"),
        ],
        "Decisions are recorded as you, bound to the revision you saw; authors may not decide.",
    ),
    (
        "2 Board",
        "every task by state and open gate, live",
        [
            ("/", "search (any words, in any column)"),
            ("l s t w", "filter by lane, state, tier, workflow: each press moves to the next value"),
            ("x", "clear the filters"),
            ("enter", "the task's timeline (or click a selected row)"),
            ("p  u", "pause the task, or resume one paused here (the footer offers the one that applies)"),
        ],
        "A paused task shows what pauses it: the task itself, a lane, an actor, a vendor or everything.",
    ),
    (
        "Timeline",
        "every event, decision, rule and its source, model call with tokens and cost",
        [
            ("up down", "select an event: the pane below shows where each value came from"),
            ("p  u", "pause or resume the task"),
            ("esc", "back"),
        ],
        "",
    ),
    (
        "3 Agents",
        "who works on what, lease age, stuck or looping jobs, spend against budget",
        [
            ("p  u", "pause or resume the selected actor (or lane: tab to the lanes table)"),
            ("v  V", "pause or resume the selected agent's vendor (its model family)"),
            ("P  U", "pause everything, resume everything"),
        ],
        "Every switch asks first, acts at the next claim, and is recorded as an event.",
    ),
    (
        "4 Gates",
        "each workflow per tier: required and skipped gates, queued, leased and pending counts",
        [
            ("up down", "choose a workflow and tier; tab to its gates"),
        ],
        "",
    ),
    (
        "5 ADRs",
        "the written decisions",
        [
            ("/", "search them (full text)"),
            ("up down", "read one"),
        ],
        "",
    ),
]


KEYS_WIDTH = max(len(k) for _, _, keys, _ in SECTIONS for k, _ in keys)


def render_help() -> RenderableType:
    parts: list[RenderableType] = [
        Text.from_markup(
            "[b]org tui[/b]: the approval inbox and operator console. Keys first; the mouse works too."
        )
    ]
    for title, what, keys, note in SECTIONS:
        head = Text("\n")
        head.append(title, style="bold underline")
        if what:
            head.append(f"  {what}")
        parts.append(head)
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(no_wrap=True, style="bold", min_width=KEYS_WIDTH)  # one key column width: aligned
        grid.add_column(ratio=1, overflow="fold")
        for k, d in keys:
            grid.add_row(k, d)
        parts.append(grid)
        if note:
            parts.append(Text(note, style="dim"))
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(render_help(), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
