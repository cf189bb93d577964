"""The one event model every CLI's output is normalised into, recorded on the job's timeline as `agent.<kind>`.

    started      the session began (data: session, model, cli version where the CLI says)
    message      text the agent wrote
    tool_call    a tool it called (tool, call id, text: its input)
    tool_result  what the tool gave back (call id, text; data.error when it failed)
    usage        tokens the CLI says it used (data.reported: its numbers, never counted) or, once at the end,
                 what the gateway counted for the job (data.source = "gateway")
    permission   a permission request and org's answer (tool, data: action, outcome, reason, rules)
    finished     how it ended (data.stop_reason, exit_code, and the vendor's own reason)

Stop reasons: end_turn (it finished its work), max_turns, budget, error, refused (the gateway or decide()
stopped it), wall_limit, output_limit, exit_nonzero, no_marker (a command CLI ended without its completion
marker), stopped (org stopped it: the run ended or a pause).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "KINDS", "STOP_REASONS", "MAX_TEXT", "clip"]

KINDS = ("started", "message", "tool_call", "tool_result", "usage", "permission", "finished")
STOP_REASONS = (
    "end_turn",
    "max_turns",
    "budget",
    "error",
    "refused",
    "wall_limit",
    "cpu_limit",
    "output_limit",
    "exit_nonzero",
    "no_marker",
    "stopped",
)
MAX_TEXT = 2000  # characters of one event's text (the bus bounds it too)


def clip(text: Any, limit: int = MAX_TEXT) -> str:
    """Text for an event: a string, at most `limit` characters, marked when cut."""
    s = text if isinstance(text, str) else json.dumps(text, sort_keys=True, default=str)
    return s if len(s) <= limit else s[: limit - 12] + " …[cut]"


@dataclass
class Event:
    kind: str
    text: str = ""
    tool: str = ""
    call: str = ""
    data: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        self.text = clip(self.text)
        self.tool = clip(self.tool, 200)
        self.call = clip(self.call, 200)

    @property
    def stop_reason(self) -> str | None:
        return self.data.get("stop_reason") if self.kind == "finished" else None

    def to_json(self) -> dict:
        out: dict[str, Any] = {"kind": self.kind}
        for k in ("text", "tool", "call"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        if self.data:
            out["data"] = self.data
        return out
