"""The help screen (`?`): every key, per screen, and what the screens are for."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

__all__ = ["HelpScreen", "HELP"]

HELP = """[b]org tui[/b]: the approval inbox and operator console. Keys first; the mouse works too.

[b]Everywhere[/b]
  1 Inbox   2 Board   3 Agents   4 Gates   5 ADRs      (or click a tab in the top bar)
  ?  this help       ctrl+t  dark/light theme       ctrl+p  command palette       q  quit
  The red number beside Inbox counts the requests waiting for you.

[b]1 Inbox[/b]  pending approvals, riskiest tier first, then oldest first
  up/down  select: the evidence pane shows what changed, reviews (model family, verdict),
           rule checks (rule id, file:line), ADRs cited and the cost so far
  pgdn/space, pgup  page through the evidence
  a  approve (optional note)     r  reject (note required)     enter  the task's timeline
  Decisions are recorded as you, bound to the revision you saw; authors may not decide.

[b]2 Board[/b]  every task by state and open gate, live
  /  search      l lane   s state   t tier   w workflow  (each press: next value)   x  clear
  enter (or click a selected row)  timeline     p  pause the task

[b]Timeline[/b]  every event, decision, rule and its source, model call with tokens and cost
  p  pause the task    u  resume it    esc  back

[b]3 Agents[/b]  who works on what, lease age, stuck/looping jobs, spend against budget
  p  pause the selected actor (or lane: tab to the lanes table)    u  resume it
  v  pause the selected agent's vendor (model family)    P  pause everything    U  resume everything
  Every switch asks first, acts at the next claim, and is recorded as an event.

[b]4 Gates[/b]  each workflow per tier: required and skipped gates, queued/leased/pending counts
[b]5 ADRs[/b]   /  search the decisions (full text); up/down to read one

esc or ? closes this help."""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(HELP, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
